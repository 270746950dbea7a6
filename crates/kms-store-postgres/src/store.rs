//! [`PostgresStore`]: every store port of kms-core over one PostgreSQL
//! database, shared by any number of kms-server replicas.
//!
//! The ports are synchronous and are called both from tokio worker threads
//! (the DEK path reads inline) and from `spawn_blocking`. The adapter owns a
//! small tokio runtime on its own threads, where the connection pool
//! (deadpool-postgres over tokio-postgres) lives; a port call spawns its
//! query there and waits on a std channel, so it never enters the
//! caller's runtime (the sync `postgres` crate would panic there).
//!
//! Every atomic rule of the ports is a constraint of the schema or a
//! single transaction, exactly as in the SQLite adapter: a constraint
//! violation (identified by its name) is the "taken" answer.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use kms_core::ports::{
    CertificateFilter, CertificateStore, CertificateWriteError, DeleteKeystoreOutcome,
    InsertKeyError, InsertKeystoreError, KeyListQuery, KeyMaterial, KeyOrigin, KeyRecord,
    KeyRotation, KeyState, KeyTag, KeyTagStore, KeystoreRecord, KeystoreState, KeystoreStore,
    MasterKeyStore, PinVerifierStore, PortError, PortErrorKind, PortResult, ROOT_KEY_CHECK_LEN,
    RotateKeyError, StoredCertificate, TagFilter, TagWriteError, TaggedKeys, Timestamp,
    UpdateKeyAliasError,
};
use kms_crypto::{Ciphertext, PinVerifier, WrappedMasterKey};
use kms_model::{CertificateRecord, CmkSpec, KeyUsage, KeystoreRef, KeystoreType};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::error::Error;

type Result<T, E = Error> = std::result::Result<T, E>;
use crate::schema;

/// How to open a [`PostgresStore`].
#[derive(Clone, Debug)]
pub struct PostgresStoreOptions {
    /// Connections in the pool (at least 1).
    pub pool_size: usize,
    /// Threads of the adapter's I/O runtime (at least 1).
    pub io_threads: usize,
    /// How long establishing one connection may take.
    pub connect_timeout: Duration,
    /// How long one port call (waiting for a connection included) may take
    /// before it fails as [`PortErrorKind::Unavailable`].
    pub operation_timeout: Duration,
    /// A schema (`[a-z_][a-z0-9_]*`) to keep the tables in, created if
    /// missing and put first on the connections' `search_path`; `None`
    /// uses the database's default search path (normally `public`).
    pub schema: Option<String>,
    /// PEM file of the CA that signed the server's certificate: connect
    /// over TLS (rustls) and verify the certificate's chain and host name,
    /// as libpq's `sslmode=verify-full` does. `None`: the URL's
    /// `sslrootcert` if it has one, else no TLS unless the URL's `sslmode`
    /// asks for it (then opening fails: TLS is never used unverified).
    pub ca_file: Option<std::path::PathBuf>,
    /// The password, when it is not in the URL (read from a file or the
    /// environment by the host). A URL with a password as well is refused.
    pub password: Option<Password>,
    /// Where to look the password up when neither the URL nor
    /// [`Self::password`] gives one: a libpq password file ([`crate::pgpass`]).
    /// The default is `PGPASSFILE`, else `~/.pgpass`; `None` looks nowhere.
    pub passfile: Option<std::path::PathBuf>,
}

/// A PostgreSQL password: zeroized on drop, never shown by `Debug`.
#[derive(Clone)]
pub struct Password(zeroize::Zeroizing<String>);

impl Password {
    /// A password from its text, as is.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self(zeroize::Zeroizing::new(text.to_owned()))
    }

    /// The password itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Default for PostgresStoreOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            io_threads: 2,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(10),
            schema: None,
            ca_file: None,
            password: None,
            passfile: crate::pgpass::default_path(),
        }
    }
}

/// The password of `config`'s connection in the libpq password file at
/// `path`: its first host (`localhost` for a Unix socket, as libpq), its
/// first port (5432 by default), its database (the user by default) and
/// user.
fn passfile_password(
    config: &tokio_postgres::Config,
    path: Option<&std::path::Path>,
) -> Result<Option<zeroize::Zeroizing<String>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let Some(user) = config.get_user() else {
        return Ok(None);
    };
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let database = config.get_dbname().unwrap_or(user);
    crate::pgpass::lookup_in_file(path, &host, &port, database, user)
}

/// Every store port of kms-core over one PostgreSQL database. Cheap to
/// clone (the pool is shared).
///
/// Durability is PostgreSQL's: a write returns after its commit, which
/// with the default `synchronous_commit = on` is on disk.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// `host:port/dbname` (no user, no password), for logs.
    target: String,
    pool: Pool,
    handle: tokio::runtime::Handle,
    operation_timeout: Duration,
    /// Dropped with the store: the runtime thread then shuts the runtime
    /// down on its own thread (dropping a runtime inside another runtime's
    /// worker would panic).
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.inner.target)
            .field("pool_size", &self.inner.pool.status().max_size)
            .finish()
    }
}

/// Why a port call failed before it could give an answer.
#[derive(Debug)]
pub(crate) enum Fail {
    Pg(tokio_postgres::Error),
    Pool(PoolError),
    Timeout(Duration),
    /// The adapter's runtime is gone (the call's task was dropped).
    Gone,
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Pg(e)
    }
}

impl From<PoolError> for Fail {
    fn from(e: PoolError) -> Self {
        Self::Pool(e)
    }
}

/// Failed port calls ([`Fail::port`]) of every store of this process.
static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many port calls of the PostgreSQL stores of this process failed (a
/// refused or lost connection, a pool or operation timeout, a server error
/// that is not a constraint's answer) since it started; for a host's
/// metrics.
#[must_use]
pub fn failure_count() -> u64 {
    FAILURES.load(std::sync::atomic::Ordering::Relaxed)
}

/// The text of a failure, kept as a [`PortError`]'s source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct PgFailure(String);

impl Fail {
    /// The name of the constraint a statement violated, and which kind.
    fn violation(&self) -> Option<(Violation, &str)> {
        let Self::Pg(e) = self else { return None };
        let db = e.as_db_error()?;
        let kind = if *db.code() == SqlState::UNIQUE_VIOLATION {
            Violation::Unique
        } else if *db.code() == SqlState::FOREIGN_KEY_VIOLATION {
            Violation::ForeignKey
        } else {
            return None;
        };
        Some((kind, db.constraint().unwrap_or("")))
    }

    /// As the ports report it: a lost or refused connection, a pool
    /// timeout, a server shutting down are [`PortErrorKind::Unavailable`];
    /// any other server error is [`PortErrorKind::Other`].
    pub(crate) fn port(self, context: &'static str) -> PortError {
        FAILURES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self {
            Self::Pg(e) => {
                let unavailable = e.is_closed()
                    || e.as_db_error().is_none_or(|db| {
                        let code = db.code().code();
                        // 08: connection exception; 57P0x: shutting down or
                        // starting; 53: insufficient resources.
                        code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
                    });
                let kind = if unavailable {
                    PortErrorKind::Unavailable
                } else {
                    PortErrorKind::Other
                };
                PortError::new(kind, context).with_source(PgFailure(describe(&e)))
            }
            Self::Pool(e) => PortError::unavailable(
                context,
                PgFailure(format!(
                    "no connection to PostgreSQL: {}",
                    describe_pool(&e)
                )),
            ),
            Self::Timeout(d) => PortError::unavailable(
                context,
                PgFailure(format!("PostgreSQL did not answer within {d:?}")),
            ),
            Self::Gone => PortError::unavailable(
                context,
                PgFailure("the PostgreSQL adapter's runtime stopped".to_owned()),
            ),
        }
    }
}

/// An error with its causes (tokio-postgres puts the useful part, e.g.
/// "Connection refused", in the source).
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

pub(crate) fn describe_pool(e: &PoolError) -> String {
    match e {
        PoolError::Backend(e) => describe(e),
        other => describe(other),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Violation {
    Unique,
    ForeignKey,
}

pub(crate) type Call<T> = std::result::Result<T, Fail>;

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Starts the adapter's runtime on a thread of its own; returns its handle
/// and the sender whose drop stops it.
fn start_runtime(
    threads: usize,
) -> Result<(tokio::runtime::Handle, tokio::sync::oneshot::Sender<()>)> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (handle_tx, handle_rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("kms-postgres".to_owned())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .thread_name("kms-postgres-io")
                .enable_all()
                .build();
            match rt {
                Ok(rt) => {
                    let _ = handle_tx.send(Ok(rt.handle().clone()));
                    // Until the store is dropped (Err: the sender went).
                    let _ = rt.block_on(stop_rx);
                    rt.shutdown_timeout(Duration::from_secs(2));
                }
                Err(e) => {
                    let _ = handle_tx.send(Err(e));
                }
            }
        })
        .map_err(Error::Runtime)?;
    let handle = handle_rx
        .recv()
        .map_err(|_| Error::Runtime(std::io::Error::other("runtime thread exited")))?
        .map_err(Error::Runtime)?;
    Ok((handle, stop_tx))
}

/// Runs `fut` on `handle` and waits for it on this thread (any thread: a
/// tokio worker of another runtime, a blocking thread, a plain thread).
fn block_on_adapter<T, F>(handle: &tokio::runtime::Handle, limit: Duration, fut: F) -> Call<T>
where
    T: Send + 'static,
    F: Future<Output = Call<T>> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let out = match tokio::time::timeout(limit, fut).await {
            Ok(out) => out,
            Err(_) => Err(Fail::Timeout(limit)),
        };
        let _ = tx.send(out);
    });
    rx.recv().unwrap_or(Err(Fail::Gone))
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`
    /// or the key-value form) with default options and applies pending
    /// migrations.
    ///
    /// # Errors
    /// The URL is invalid, the database cannot be reached, or its schema is
    /// newer than this build.
    pub fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &PostgresStoreOptions::default())
    }

    /// [`PostgresStore::connect`] with explicit options.
    ///
    /// # Errors
    /// As [`PostgresStore::connect`], or an invalid schema name.
    pub fn connect_with(url: &str, options: &PostgresStoreOptions) -> Result<Self> {
        let (url, url_tls) = crate::tls::split_url(url);
        let tls = crate::tls::connector(
            url_tls.mode.as_deref(),
            options.ca_file.as_deref().or(url_tls.root_cert.as_deref()),
        )?;
        // Never echo the URL: it may carry a password.
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| Error::Config(format!("invalid PostgreSQL URL: {e}")))?;
        if tls.is_some() {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
        }
        match (&options.password, config.get_password().is_some()) {
            (Some(_), true) => {
                return Err(Error::Config(
                    "the URL holds a password and a password was given as well; give it once"
                        .to_owned(),
                ));
            }
            (Some(p), false) => {
                config.password(p.expose().as_bytes());
            }
            (None, true) => {}
            (None, false) => {
                if let Some(p) = passfile_password(&config, options.passfile.as_deref())? {
                    config.password(p.as_bytes());
                }
            }
        }
        if let Some(schema) = &options.schema {
            if !schema::valid_schema_name(schema) {
                return Err(Error::Config(format!(
                    "invalid schema name {schema:?} (expected [a-z_][a-z0-9_]*)"
                )));
            }
            config.options(format!("-c search_path={schema}"));
        }
        config.connect_timeout(options.connect_timeout);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("kms-store-postgres");
        let target = target_of(&config);
        let (handle, stop) = start_runtime(options.io_threads)?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(tls) => Manager::from_config(config, tls, manager_config),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.operation_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| Error::Config(format!("connection pool: {e}")))?;
        let schema_name = options.schema.clone();
        let migrate_pool = pool.clone();
        let limit = options
            .operation_timeout
            .saturating_add(options.connect_timeout);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        handle.spawn(async move {
            let out = tokio::time::timeout(limit, async move {
                let mut client = migrate_pool.get().await?;
                schema::migrate(&mut client, schema_name.as_deref()).await
            })
            .await
            .unwrap_or(Err(Error::Timeout(limit)));
            let _ = tx.send(out);
        });
        rx.recv()
            .map_err(|_| Error::Runtime(std::io::Error::other("runtime stopped")))??;
        Ok(Self {
            inner: Arc::new(Inner {
                target,
                pool,
                handle,
                operation_timeout: options.operation_timeout,
                _stop: stop,
            }),
        })
    }

    /// `host:port/dbname` of the database (no credentials), for logs.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// The schema version recorded in the database.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub fn schema_version(&self) -> PortResult<i64> {
        let pool = self.pool();
        self.call(async move {
            let c = pool.get().await?;
            let row = c
                .query_one("SELECT version FROM kms_schema_version", &[])
                .await?;
            Ok(row.try_get::<_, i64>(0)?)
        })
        .map_err(|e| e.port("postgres: schema version"))
    }

    /// Records `fingerprint` (a keyed hash of the root key, computed by
    /// the host; never the key) if the database has none yet, and tells
    /// whether the recorded one is `fingerprint`: `false` means this
    /// process was given another root key than the replicas before it, and
    /// must not serve (every key would fail to unwrap). Atomic: of two
    /// replicas starting at once with different keys, one is refused.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub fn check_root_key_fingerprint(&self, fingerprint: &[u8]) -> PortResult<bool> {
        let pool = self.pool();
        let fp = fingerprint.to_vec();
        self.call(async move {
            let c = pool.get().await?;
            c.execute(
                "INSERT INTO root_key_fingerprint (singleton, fingerprint) VALUES (TRUE, $1)
                 ON CONFLICT (singleton) DO NOTHING",
                &[&fp],
            )
            .await?;
            let row = c
                .query_one("SELECT fingerprint FROM root_key_fingerprint", &[])
                .await?;
            let stored: Vec<u8> = row.try_get(0)?;
            Ok(stored == fp)
        })
        .map_err(|e| e.port("postgres: root key fingerprint"))
    }

    pub(crate) fn pool(&self) -> Pool {
        self.inner.pool.clone()
    }

    pub(crate) fn call<T, F>(&self, fut: F) -> Call<T>
    where
        T: Send + 'static,
        F: Future<Output = Call<T>> + Send + 'static,
    {
        block_on_adapter(&self.inner.handle, self.inner.operation_timeout, fut)
    }
}

fn target_of(config: &tokio_postgres::Config) -> String {
    let host = config.get_hosts().first().map_or_else(
        || "localhost".to_owned(),
        |h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        },
    );
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().or(config.get_user()).unwrap_or("");
    format!("{host}:{port}/{db}")
}

// ---------------------------------------------------------------- keystores

fn keystore_state(s: &str) -> PortResult<KeystoreState> {
    match s {
        "ENABLED" => Ok(KeystoreState::Enabled),
        "DISABLED" => Ok(KeystoreState::Disabled),
        other => Err(PortError::corrupt(format!(
            "bad keystore state {other:?} in database"
        ))),
    }
}

pub(crate) fn corrupt_row(e: tokio_postgres::Error) -> PortError {
    PortError::corrupt("bad row in database").with_source(PgFailure(describe(&e)))
}

pub(crate) fn keystore_record(r: &Row) -> PortResult<KeystoreRecord> {
    let ty: String = r.try_get(3).map_err(corrupt_row)?;
    let state: String = r.try_get(5).map_err(corrupt_row)?;
    Ok(KeystoreRecord {
        keystore_id: r.try_get(0).map_err(corrupt_row)?,
        domain_id: r.try_get(1).map_err(corrupt_row)?,
        alias: r.try_get(2).map_err(corrupt_row)?,
        keystore_type: KeystoreType::parse(&ty)
            .map_err(|_| PortError::corrupt(format!("bad keystore type {ty:?} in database")))?,
        cluster_id: r.try_get(4).map_err(corrupt_row)?,
        state: keystore_state(&state)?,
        create_time: Timestamp(r.try_get(6).map_err(corrupt_row)?),
    })
}

pub(crate) const KEYSTORE_COLUMNS: &str =
    "keystore_id, domain_id, alias, keystore_type, cluster_id, state, create_time";

impl KeystoreStore for PostgresStore {
    fn insert_keystore(&self, record: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
        let pool = self.pool();
        let r = record.clone();
        let res = self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached(
                    "INSERT INTO keystores (keystore_id, domain_id, alias, keystore_type, cluster_id, state, create_time)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .await?;
            c.execute(
                &stmt,
                &[
                    &r.keystore_id,
                    &r.domain_id,
                    &r.alias,
                    &r.keystore_type.as_str(),
                    &r.cluster_id,
                    &r.state.as_str(),
                    &r.create_time.0,
                ],
            )
            .await?;
            Ok(())
        });
        match res {
            Ok(()) => Ok(()),
            Err(e) => match e.violation() {
                Some((Violation::Unique, "keystore_alias")) => Err(InsertKeystoreError::AliasTaken),
                Some((Violation::Unique, "keystore_cluster")) => {
                    Err(InsertKeystoreError::ClusterTaken)
                }
                _ => Err(e.port("postgres: insert keystore").into()),
            },
        }
    }

    fn get_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<Option<KeystoreRecord>> {
        let pool = self.pool();
        let (d, k) = (domain_id.to_owned(), keystore_id.to_owned());
        let row = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT {KEYSTORE_COLUMNS} FROM keystores WHERE domain_id = $1 AND keystore_id = $2"
                    ))
                    .await?;
                Ok(c.query_opt(&stmt, &[&d, &k]).await?)
            })
            .map_err(|e| e.port("postgres: get keystore"))?;
        row.as_ref().map(keystore_record).transpose()
    }

    fn list_keystores(
        &self,
        domain_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<KeystoreRecord>)> {
        let pool = self.pool();
        let d = domain_id.to_owned();
        let (total, rows) = self
            .call(async move {
                let c = pool.get().await?;
                let count = c
                    .prepare_cached("SELECT COUNT(*) FROM keystores WHERE domain_id = $1")
                    .await?;
                let total: i64 = c.query_one(&count, &[&d]).await?.try_get(0)?;
                let page = c
                    .prepare_cached(&format!(
                        "SELECT {KEYSTORE_COLUMNS} FROM keystores WHERE domain_id = $1
                         ORDER BY create_time, seq LIMIT $2 OFFSET $3"
                    ))
                    .await?;
                let rows = c
                    .query(&page, &[&d, &to_i64(limit), &to_i64(offset)])
                    .await?;
                Ok((total, rows))
            })
            .map_err(|e| e.port("postgres: list keystores"))?;
        let records = rows
            .iter()
            .map(keystore_record)
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }

    fn set_keystore_state(
        &self,
        domain_id: &str,
        keystore_id: &str,
        state: KeystoreState,
    ) -> PortResult<bool> {
        let pool = self.pool();
        let (d, k) = (domain_id.to_owned(), keystore_id.to_owned());
        let n = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "UPDATE keystores SET state = $3 WHERE domain_id = $1 AND keystore_id = $2",
                    )
                    .await?;
                Ok(c.execute(&stmt, &[&d, &k, &state.as_str()]).await?)
            })
            .map_err(|e| e.port("postgres: set keystore state"))?;
        Ok(n > 0)
    }

    fn delete_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<DeleteKeystoreOutcome> {
        let pool = self.pool();
        let (d, k) = (domain_id.to_owned(), keystore_id.to_owned());
        let res = self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached("DELETE FROM keystores WHERE domain_id = $1 AND keystore_id = $2")
                .await?;
            Ok(c.execute(&stmt, &[&d, &k]).await?)
        });
        match res {
            Ok(0) => Ok(DeleteKeystoreOutcome::NotFound),
            Ok(_) => Ok(DeleteKeystoreOutcome::Deleted),
            Err(e) if matches!(e.violation(), Some((Violation::ForeignKey, _))) => {
                Ok(DeleteKeystoreOutcome::HasKeys)
            }
            Err(e) => Err(e.port("postgres: delete keystore")),
        }
    }

    fn record_root_key_check(
        &self,
        keystore_id: &str,
        check: &[u8; ROOT_KEY_CHECK_LEN],
    ) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]> {
        let pool = self.pool();
        let (k, v) = (keystore_id.to_owned(), check.to_vec());
        let recorded: Vec<u8> = self
            .call(async move {
                let c = pool.get().await?;
                c.execute(
                    "INSERT INTO root_key_checks (keystore_id, check_value) VALUES ($1, $2)
                     ON CONFLICT (keystore_id) DO NOTHING",
                    &[&k, &v],
                )
                .await?;
                let row = c
                    .query_one(
                        "SELECT check_value FROM root_key_checks WHERE keystore_id = $1",
                        &[&k],
                    )
                    .await?;
                Ok(row.try_get::<_, Vec<u8>>(0)?)
            })
            .map_err(|e| e.port("postgres: record root key check"))?;
        recorded.try_into().map_err(|_| {
            PortError::corrupt(format!(
                "root-key check value of keystore {keystore_id} has the wrong length"
            ))
        })
    }

    fn forget_root_key_check(&self, keystore_id: &str) -> PortResult<()> {
        let pool = self.pool();
        let k = keystore_id.to_owned();
        self.call(async move {
            let c = pool.get().await?;
            c.execute("DELETE FROM root_key_checks WHERE keystore_id = $1", &[&k])
                .await?;
            Ok(())
        })
        .map_err(|e| e.port("postgres: forget root key check"))
    }
}

// ---------------------------------------------------------------- master keys

fn key_state(s: &str) -> PortResult<KeyState> {
    match s {
        "2" => Ok(KeyState::Enabled),
        "3" => Ok(KeyState::Disabled),
        "4" => Ok(KeyState::PendingDeletion),
        "5" => Ok(KeyState::PendingImport),
        other => Err(PortError::corrupt(format!(
            "bad key state {other:?} in database"
        ))),
    }
}

const KEY_COLUMNS: &str = "key_id, domain_id, project_id, alias, description, keystore_id, state,
     current_version, create_time, deletion_time,
     rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
     key_spec, key_usage, origin";

fn key_record(r: &Row) -> PortResult<KeyRecord> {
    let state: String = r.try_get(6).map_err(corrupt_row)?;
    let ver: i64 = r.try_get(7).map_err(corrupt_row)?;
    let interval: i64 = r.try_get(11).map_err(corrupt_row)?;
    let rotations: i64 = r.try_get(13).map_err(corrupt_row)?;
    let spec: String = r.try_get(14).map_err(corrupt_row)?;
    let usage: String = r.try_get(15).map_err(corrupt_row)?;
    let origin: String = r.try_get(16).map_err(corrupt_row)?;
    Ok(KeyRecord {
        key_id: r.try_get(0).map_err(corrupt_row)?,
        domain_id: r.try_get(1).map_err(corrupt_row)?,
        project_id: r.try_get(2).map_err(corrupt_row)?,
        alias: r.try_get(3).map_err(corrupt_row)?,
        description: r.try_get(4).map_err(corrupt_row)?,
        keystore_id: r.try_get(5).map_err(corrupt_row)?,
        state: key_state(&state)?,
        current_version: u32::try_from(ver)
            .map_err(|_| PortError::corrupt("bad key version in database"))?,
        create_time: Timestamp(r.try_get(8).map_err(corrupt_row)?),
        deletion_time: r
            .try_get::<_, Option<i64>>(9)
            .map_err(corrupt_row)?
            .map(Timestamp),
        rotation: KeyRotation {
            enabled: r.try_get(10).map_err(corrupt_row)?,
            interval_days: u32::try_from(interval)
                .map_err(|_| PortError::corrupt("bad rotation interval in database"))?,
            last_rotation_time: r
                .try_get::<_, Option<i64>>(12)
                .map_err(corrupt_row)?
                .map(Timestamp),
            rotations: u32::try_from(rotations)
                .map_err(|_| PortError::corrupt("bad rotation count in database"))?,
        },
        spec: CmkSpec::parse(&spec).map_err(|_| PortError::corrupt("bad key spec in database"))?,
        usage: KeyUsage::parse(&usage)
            .map_err(|_| PortError::corrupt("bad key usage in database"))?,
        origin: KeyOrigin::parse(&origin)
            .map_err(|_| PortError::corrupt("bad key origin in database"))?,
    })
}

/// Whether the project holds the key (inside a transaction: the row is
/// locked until it ends, so writers of the same key queue up).
async fn lock_key(
    tx: &deadpool_postgres::Transaction<'_>,
    project_id: &str,
    key_id: &str,
) -> Call<bool> {
    let stmt = tx
        .prepare_cached("SELECT 1 FROM keys WHERE project_id = $1 AND key_id = $2 FOR UPDATE")
        .await?;
    Ok(tx
        .query_opt(&stmt, &[&project_id, &key_id])
        .await?
        .is_some())
}

impl MasterKeyStore for PostgresStore {
    fn insert_key(&self, record: &KeyRecord, material: &KeyMaterial) -> Result<(), InsertKeyError> {
        let pool = self.pool();
        let r = record.clone();
        let wrapped = material.stored_bytes().map(<[u8]>::to_vec);
        let res = self.call(async move {
            let dedicated = KeystoreRef::is_dedicated_id(&r.keystore_id).then_some(&r.keystore_id);
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO keys (key_id, domain_id, project_id, alias, description, keystore_id,
                                       dedicated_keystore_id, state, current_version, create_time, deletion_time,
                                       rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
                                       key_spec, key_usage, origin)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
                )
                .await?;
            tx.execute(
                &stmt,
                &[
                    &r.key_id,
                    &r.domain_id,
                    &r.project_id,
                    &r.alias,
                    &r.description,
                    &r.keystore_id,
                    &dedicated,
                    &r.state.as_str(),
                    &i64::from(r.current_version),
                    &r.create_time.0,
                    &r.deletion_time.map(|t| t.0),
                    &r.rotation.enabled,
                    &i64::from(r.rotation.interval_days),
                    &r.rotation.last_rotation_time.map(|t| t.0),
                    &i64::from(r.rotation.rotations),
                    &r.spec.as_str(),
                    &r.usage.as_str(),
                    &r.origin.as_str(),
                ],
            )
            .await?;
            // A key awaiting import has no version yet.
            if let Some(wrapped) = wrapped {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO key_material (key_id, version, wrapped) VALUES ($1, $2, $3)",
                    )
                    .await?;
                tx.execute(&stmt, &[&r.key_id, &i64::from(r.current_version), &wrapped])
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        });
        match res {
            Ok(()) => Ok(()),
            Err(e) => match e.violation() {
                Some((Violation::Unique, "key_alias")) => Err(InsertKeyError::AliasTaken),
                Some((Violation::ForeignKey, "key_dedicated_keystore")) => {
                    Err(InsertKeyError::KeystoreGone)
                }
                _ => Err(e.port("postgres: insert key").into()),
            },
        }
    }

    fn get_key(&self, project_id: &str, key_id: &str) -> PortResult<Option<Arc<KeyRecord>>> {
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        let row = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM keys WHERE project_id = $1 AND key_id = $2"
                    ))
                    .await?;
                Ok(c.query_opt(&stmt, &[&p, &k]).await?)
            })
            .map_err(|e| e.port("postgres: get key"))?;
        row.as_ref()
            .map(|r| key_record(r).map(Arc::new))
            .transpose()
    }

    fn get_key_material(&self, key_id: &str, version: u32) -> PortResult<Option<Vec<u8>>> {
        let pool = self.pool();
        let k = key_id.to_owned();
        let row = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "SELECT wrapped FROM key_material WHERE key_id = $1 AND version = $2",
                    )
                    .await?;
                Ok(c.query_opt(&stmt, &[&k, &i64::from(version)]).await?)
            })
            .map_err(|e| e.port("postgres: get key material"))?;
        row.map(|r| r.try_get::<_, Vec<u8>>(0).map_err(corrupt_row))
            .transpose()
    }

    fn set_key_state(
        &self,
        project_id: &str,
        key_id: &str,
        state: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> PortResult<bool> {
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        let n = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "UPDATE keys SET state = $3, deletion_time = $4 WHERE project_id = $1 AND key_id = $2",
                    )
                    .await?;
                Ok(c
                    .execute(&stmt, &[&p, &k, &state.as_str(), &deletion_time.map(|t| t.0)])
                    .await?)
            })
            .map_err(|e| e.port("postgres: set key state"))?;
        Ok(n > 0)
    }

    fn count_keys_in_keystore(&self, keystore_id: &str) -> PortResult<u64> {
        let pool = self.pool();
        let k = keystore_id.to_owned();
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached("SELECT COUNT(*) FROM keys WHERE keystore_id = $1")
                .await?;
            Ok(c.query_one(&stmt, &[&k]).await?.try_get::<_, i64>(0)?)
        })
        .map(to_u64)
        .map_err(|e| e.port("postgres: count keys"))
    }

    fn list_keys(
        &self,
        project_id: &str,
        query: &KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)> {
        // $2: the state filter (NULL: any); $3: the instant at which keys
        // pending deletion with an earlier deletion time are gone; $4: the
        // spec filter (NULL: any).
        const MATCH: &str = "project_id = $1 AND ($2::text IS NULL OR state = $2::text)
             AND NOT (state = '4' AND deletion_time IS NOT NULL AND deletion_time <= $3)
             AND ($4::text IS NULL OR key_spec = $4::text)";
        let pool = self.pool();
        let p = project_id.to_owned();
        let state = query.state.map(KeyState::as_str);
        let spec = query.spec.map(|s| s.as_str().to_owned());
        let live_at = query.live_at.0;
        let (limit, offset) = (to_i64(query.limit), to_i64(query.offset));
        let (total, rows) = self
            .call(async move {
                let c = pool.get().await?;
                let count = c
                    .prepare_cached(&format!("SELECT COUNT(*) FROM keys WHERE {MATCH}"))
                    .await?;
                let total: i64 = c
                    .query_one(&count, &[&p, &state, &live_at, &spec])
                    .await?
                    .try_get(0)?;
                let page = c
                    .prepare_cached(&format!(
                        "SELECT {KEY_COLUMNS} FROM keys WHERE {MATCH}
                         ORDER BY create_time, key_id LIMIT $5 OFFSET $6"
                    ))
                    .await?;
                let rows = c
                    .query(&page, &[&p, &state, &live_at, &spec, &limit, &offset])
                    .await?;
                Ok((total, rows))
            })
            .map_err(|e| e.port("postgres: list keys"))?;
        let records = rows
            .iter()
            .map(key_record)
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }

    fn update_key_alias(
        &self,
        project_id: &str,
        key_id: &str,
        alias: &str,
    ) -> Result<(), UpdateKeyAliasError> {
        let pool = self.pool();
        let (p, k, a) = (project_id.to_owned(), key_id.to_owned(), alias.to_owned());
        let res = self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached("UPDATE keys SET alias = $3 WHERE project_id = $1 AND key_id = $2")
                .await?;
            Ok(c.execute(&stmt, &[&p, &k, &a]).await?)
        });
        match res {
            Ok(0) => Err(UpdateKeyAliasError::NotFound),
            Ok(_) => Ok(()),
            Err(e) => match e.violation() {
                Some((Violation::Unique, "key_alias")) => Err(UpdateKeyAliasError::AliasTaken),
                _ => Err(e.port("postgres: update key alias").into()),
            },
        }
    }

    fn update_key_description(
        &self,
        project_id: &str,
        key_id: &str,
        description: &str,
    ) -> PortResult<bool> {
        let pool = self.pool();
        let (p, k, d) = (
            project_id.to_owned(),
            key_id.to_owned(),
            description.to_owned(),
        );
        let n = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "UPDATE keys SET description = $3 WHERE project_id = $1 AND key_id = $2",
                    )
                    .await?;
                Ok(c.execute(&stmt, &[&p, &k, &d]).await?)
            })
            .map_err(|e| e.port("postgres: update key description"))?;
        Ok(n > 0)
    }

    fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64> {
        // key_material and key_tags follow through ON DELETE CASCADE.
        let pool = self.pool();
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached(
                    "DELETE FROM keys WHERE state = '4'
                     AND deletion_time IS NOT NULL AND deletion_time <= $1",
                )
                .await?;
            Ok(c.execute(&stmt, &[&at.0]).await?)
        })
        .map_err(|e| e.port("postgres: purge deleted keys"))
    }

    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
    ) -> PortResult<bool> {
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        let interval = interval_days.map(i64::from);
        let n = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "UPDATE keys SET rotation_enabled = COALESCE($3, rotation_enabled),
                                         rotation_interval = COALESCE($4, rotation_interval)
                         WHERE project_id = $1 AND key_id = $2",
                    )
                    .await?;
                Ok(c.execute(&stmt, &[&p, &k, &enabled, &interval]).await?)
            })
            .map_err(|e| e.port("postgres: set key rotation"))?;
        Ok(n > 0)
    }

    fn rotate_key(
        &self,
        project_id: &str,
        key_id: &str,
        material: &WrappedMasterKey,
        version: u32,
        at: Timestamp,
    ) -> Result<(), RotateKeyError> {
        let Some(previous) = version.checked_sub(1) else {
            return Err(RotateKeyError::VersionChanged);
        };
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        let wrapped = material.as_bytes().to_vec();
        let res = self.call(async move {
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            // A concurrent rotation holds the row; this UPDATE waits for it,
            // then re-checks `current_version` against the committed row.
            let stmt = tx
                .prepare_cached(
                    "UPDATE keys SET current_version = $3, last_rotation_time = $5,
                                     number_of_rotations = number_of_rotations + 1
                     WHERE project_id = $1 AND key_id = $2 AND current_version = $4",
                )
                .await?;
            let n = tx
                .execute(
                    &stmt,
                    &[&p, &k, &i64::from(version), &i64::from(previous), &at.0],
                )
                .await?;
            if n == 0 {
                let stmt = tx
                    .prepare_cached("SELECT 1 FROM keys WHERE project_id = $1 AND key_id = $2")
                    .await?;
                let exists = tx.query_opt(&stmt, &[&p, &k]).await?.is_some();
                return Ok(Some(exists));
            }
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO key_material (key_id, version, wrapped) VALUES ($1, $2, $3)",
                )
                .await?;
            tx.execute(&stmt, &[&k, &i64::from(version), &wrapped])
                .await?;
            tx.commit().await?;
            Ok(None)
        });
        match res {
            Ok(None) => Ok(()),
            Ok(Some(true)) => Err(RotateKeyError::VersionChanged),
            Ok(Some(false)) => Err(RotateKeyError::NotFound),
            Err(e) => match e.violation() {
                // Material for that version exists already: another
                // rotation got there.
                Some((Violation::Unique, _)) => Err(RotateKeyError::VersionChanged),
                _ => Err(e.port("postgres: rotate key").into()),
            },
        }
    }
}

// ---------------------------------------------------------------- key tags

async fn tags_of<C: deadpool_postgres::GenericClient>(c: &C, key_id: &str) -> Call<Vec<KeyTag>> {
    let stmt = c
        .prepare_cached(
            "SELECT tag_key, tag_value FROM key_tags WHERE key_id = $1 ORDER BY tag_key",
        )
        .await?;
    let rows = c.query(&stmt, &[&key_id]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((r.try_get(0)?, r.try_get(1)?));
    }
    Ok(out)
}

impl KeyTagStore for PostgresStore {
    fn update_key_tags(
        &self,
        project_id: &str,
        key_id: &str,
        upsert: &[KeyTag],
        remove: &[String],
        max_tags: usize,
    ) -> Result<(), TagWriteError> {
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        let (upsert, remove) = (upsert.to_vec(), remove.to_vec());
        let max = i64::try_from(max_tags).unwrap_or(i64::MAX);
        let res = self.call(async move {
            let mut c = pool.get().await?;
            let tx = c.transaction().await?;
            // Locks the key's row: concurrent tag writes to one key run one
            // after the other, so the count below is the final one.
            if !lock_key(&tx, &p, &k).await? {
                return Ok(Err(TagWriteError::NotFound));
            }
            let up = tx
                .prepare_cached(
                    "INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES ($1, $2, $3)
                     ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                )
                .await?;
            for (tk, tv) in &upsert {
                tx.execute(&up, &[&k, tk, tv]).await?;
            }
            let del = tx
                .prepare_cached("DELETE FROM key_tags WHERE key_id = $1 AND tag_key = $2")
                .await?;
            for tk in &remove {
                tx.execute(&del, &[&k, tk]).await?;
            }
            let count = tx
                .prepare_cached("SELECT COUNT(*) FROM key_tags WHERE key_id = $1")
                .await?;
            let n: i64 = tx.query_one(&count, &[&k]).await?.try_get(0)?;
            if n > max {
                // Dropping the transaction rolls every change back.
                return Ok(Err(TagWriteError::TooMany));
            }
            tx.commit().await?;
            Ok(Ok(()))
        });
        res.map_err(|e| TagWriteError::Backend(e.port("postgres: update key tags")))?
    }

    fn get_key_tags(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<KeyTag>>> {
        let pool = self.pool();
        let (p, k) = (project_id.to_owned(), key_id.to_owned());
        self.call(async move {
            let mut c = pool.get().await?;
            // One snapshot for the existence check and the tags.
            let tx = c
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?;
            let stmt = tx
                .prepare_cached("SELECT 1 FROM keys WHERE project_id = $1 AND key_id = $2")
                .await?;
            if tx.query_opt(&stmt, &[&p, &k]).await?.is_none() {
                return Ok(None);
            }
            let tags = tags_of(&tx, &k).await?;
            tx.commit().await?;
            Ok(Some(tags))
        })
        .map_err(|e| e.port("postgres: get key tags"))
    }

    fn list_project_tags(
        &self,
        project_id: &str,
        live_at: Timestamp,
    ) -> PortResult<Vec<(String, Vec<String>)>> {
        let pool = self.pool();
        let p = project_id.to_owned();
        let rows: Vec<(String, String)> = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "SELECT DISTINCT t.tag_key, t.tag_value FROM key_tags t
                         JOIN keys k ON k.key_id = t.key_id
                         WHERE k.project_id = $1
                           AND NOT (k.state = '4' AND k.deletion_time IS NOT NULL
                                    AND k.deletion_time <= $2)
                         ORDER BY t.tag_key, t.tag_value",
                    )
                    .await?;
                let rows = c.query(&stmt, &[&p, &live_at.0]).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push((r.try_get(0)?, r.try_get(1)?));
                }
                Ok(out)
            })
            .map_err(|e| e.port("postgres: list project tags"))?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in rows {
            match out.last_mut() {
                Some((last, values)) if *last == k => values.push(v),
                _ => out.push((k, vec![v])),
            }
        }
        Ok(out)
    }

    fn list_keys_by_tags(
        &self,
        project_id: &str,
        tags: &[TagFilter],
        alias_contains: Option<&str>,
        query: &KeyListQuery,
    ) -> PortResult<TaggedKeys> {
        let mut cond = String::from(
            "project_id = $1
             AND NOT (state = '4' AND deletion_time IS NOT NULL AND deletion_time <= $2)",
        );
        let mut args: Vec<Box<dyn ToSql + Send + Sync>> =
            vec![Box::new(project_id.to_owned()), Box::new(query.live_at.0)];
        if let Some(a) = alias_contains {
            // strpos: a plain substring test, no LIKE wildcards to escape.
            args.push(Box::new(a.to_owned()));
            cond.push_str(&format!(" AND strpos(alias, ${}::text) > 0", args.len()));
        }
        for f in tags {
            args.push(Box::new(f.key.clone()));
            cond.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM key_tags t WHERE t.key_id = keys.key_id AND t.tag_key = ${}::text",
                args.len()
            ));
            if !f.values.is_empty() {
                let mut marks = Vec::new();
                for v in &f.values {
                    args.push(Box::new(v.clone()));
                    marks.push(format!("${}::text", args.len()));
                }
                cond.push_str(&format!(" AND t.tag_value IN ({})", marks.join(", ")));
            }
            cond.push(')');
        }
        let limit_at = args.len() + 1;
        let page_sql = format!(
            "SELECT {KEY_COLUMNS} FROM keys WHERE {cond}
             ORDER BY create_time, key_id LIMIT ${limit_at} OFFSET ${}",
            limit_at + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM keys WHERE {cond}");
        let (limit, offset) = (to_i64(query.limit), to_i64(query.offset));
        let pool = self.pool();
        let (total, rows) = self
            .call(async move {
                let mut c = pool.get().await?;
                // One snapshot for the count, the page and the tags.
                let tx = c
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let params: Vec<&(dyn ToSql + Sync)> =
                    args.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
                let total: i64 = tx.query_one(&count_sql, &params).await?.try_get(0)?;
                let mut page_params = params.clone();
                page_params.push(&limit);
                page_params.push(&offset);
                let rows = tx.query(&page_sql, &page_params).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let key_id: String = row.try_get(0)?;
                    let tags = tags_of(&tx, &key_id).await?;
                    out.push((row, tags));
                }
                tx.commit().await?;
                Ok((total, out))
            })
            .map_err(|e| e.port("postgres: list keys by tags"))?;
        let records = rows
            .into_iter()
            .map(|(row, tags)| key_record(&row).map(|k| (k, tags)))
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }
}

// ---------------------------------------------------------------- PIN verifiers

impl PinVerifierStore for PostgresStore {
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()> {
        let pool = self.pool();
        let (d, k) = (domain_id.to_owned(), keystore_id.to_owned());
        let v = verifier.as_bytes().to_vec();
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached(
                    "INSERT INTO pin_verifiers (domain_id, keystore_id, verifier) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                )
                .await?;
            c.execute(&stmt, &[&d, &k, &v]).await?;
            Ok(())
        })
        .map_err(|e| e.port("postgres: insert PIN verifier"))
    }

    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool> {
        let pool = self.pool();
        let (d, k) = (domain_id.to_owned(), keystore_id.to_owned());
        let v = verifier.as_bytes().to_vec();
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM pin_verifiers
                                    WHERE domain_id = $1 AND keystore_id = $2 AND verifier = $3)",
                )
                .await?;
            Ok(c.query_one(&stmt, &[&d, &k, &v])
                .await?
                .try_get::<_, bool>(0)?)
        })
        .map_err(|e| e.port("postgres: has PIN verifier"))
    }
}

// ---------------------------------------------------------------- certificates

/// The columns a certificate write stores, owned (for the adapter's task).
struct CertParams {
    id: String,
    project_id: String,
    scope_type: String,
    instance_id: String,
    name: String,
    common_name: String,
    signature_algorithm: String,
    algorithm_type: String,
    record_json: String,
    cert_pem: String,
    sealed_private_key: Vec<u8>,
    trusted_root_ca: Option<String>,
}

impl CertParams {
    fn new(cert: &StoredCertificate) -> Result<Self, CertificateWriteError> {
        let r = &cert.record;
        let record_json = serde_json::to_string(r).map_err(|e| {
            CertificateWriteError::from(
                PortError::corrupt("cannot serialise certificate record").with_source(e),
            )
        })?;
        Ok(Self {
            id: r.id.clone(),
            project_id: r.project_id.clone().unwrap_or_default(),
            scope_type: r.r#type.clone().unwrap_or_else(|| "global".to_owned()),
            instance_id: r.instance_id.clone().unwrap_or_else(|| "common".to_owned()),
            name: r.name.clone(),
            common_name: r.common_name.clone(),
            signature_algorithm: r.signature_algorithm.clone(),
            algorithm_type: r.algorithm_type.clone().unwrap_or_default(),
            record_json,
            cert_pem: cert.cert_pem.clone(),
            sealed_private_key: cert.sealed_private_key.as_bytes().to_vec(),
            trusted_root_ca: cert.trusted_root_ca.clone(),
        })
    }

    /// `$1..=$12` in column order.
    fn params(&self) -> [&(dyn ToSql + Sync); 12] {
        [
            &self.id,
            &self.project_id,
            &self.scope_type,
            &self.instance_id,
            &self.name,
            &self.common_name,
            &self.signature_algorithm,
            &self.algorithm_type,
            &self.record_json,
            &self.cert_pem,
            &self.sealed_private_key,
            &self.trusted_root_ca,
        ]
    }
}

fn stored_certificate(r: &Row) -> PortResult<StoredCertificate> {
    let json: String = r.try_get(0).map_err(corrupt_row)?;
    let record: CertificateRecord = serde_json::from_str(&json)
        .map_err(|e| PortError::corrupt("bad certificate record in database").with_source(e))?;
    let sealed: Vec<u8> = r.try_get(2).map_err(corrupt_row)?;
    let sealed_private_key = Ciphertext::from_bytes(&sealed)
        .map_err(|e| PortError::corrupt("bad sealed private key in database").with_source(e))?;
    Ok(StoredCertificate {
        record,
        cert_pem: r.try_get(1).map_err(corrupt_row)?,
        sealed_private_key,
        trusted_root_ca: r.try_get(3).map_err(corrupt_row)?,
    })
}

fn cert_write_error(e: Fail, context: &'static str) -> CertificateWriteError {
    match e.violation() {
        Some((Violation::Unique, "certificate_name")) => CertificateWriteError::NameTaken,
        _ => e.port(context).into(),
    }
}

const CERT_FILTER: &str = "project_id = $1
    AND ($2::text IS NULL OR strpos(name, $2::text) > 0)
    AND ($3::text IS NULL OR strpos(common_name, $3::text) > 0)
    AND ($4::text IS NULL OR signature_algorithm = $4::text)
    AND ($5::text IS NULL OR scope_type = $5::text)
    AND ($6::text IS NULL OR instance_id = $6::text)
    AND ($7::text IS NULL OR algorithm_type = $7::text)";

impl CertificateStore for PostgresStore {
    fn insert_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let params = CertParams::new(cert)?;
        let pool = self.pool();
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached(
                    "INSERT INTO certificates (id, project_id, scope_type, instance_id, name, common_name,
                         signature_algorithm, algorithm_type, record_json, cert_pem, sealed_private_key,
                         trusted_root_ca)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .await?;
            c.execute(&stmt, &params.params()).await?;
            Ok(())
        })
        .map_err(|e| cert_write_error(e, "postgres: insert certificate"))
    }

    fn get_certificate(&self, project_id: &str, id: &str) -> PortResult<Option<StoredCertificate>> {
        let pool = self.pool();
        let (p, i) = (project_id.to_owned(), id.to_owned());
        let row = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "SELECT record_json, cert_pem, sealed_private_key, trusted_root_ca FROM certificates
                         WHERE project_id = $1 AND id = $2",
                    )
                    .await?;
                Ok(c.query_opt(&stmt, &[&p, &i]).await?)
            })
            .map_err(|e| e.port("postgres: get certificate"))?;
        row.as_ref().map(stored_certificate).transpose()
    }

    fn list_certificates(
        &self,
        project_id: &str,
        filter: &CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<StoredCertificate>)> {
        let pool = self.pool();
        let p = project_id.to_owned();
        let f = filter.clone();
        let (limit, offset) = (to_i64(limit), to_i64(offset));
        let (total, rows) = self
            .call(async move {
                let mut c = pool.get().await?;
                let tx = c
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let filter: [&(dyn ToSql + Sync); 7] = [
                    &p,
                    &f.name,
                    &f.common_name,
                    &f.signature_algorithm,
                    &f.r#type,
                    &f.instance_id,
                    &f.algorithm_type,
                ];
                let count = tx
                    .prepare_cached(&format!(
                        "SELECT COUNT(*) FROM certificates WHERE {CERT_FILTER}"
                    ))
                    .await?;
                let total: i64 = tx.query_one(&count, &filter).await?.try_get(0)?;
                let page = tx
                    .prepare_cached(&format!(
                        "SELECT record_json, cert_pem, sealed_private_key, trusted_root_ca FROM certificates
                         WHERE {CERT_FILTER} ORDER BY seq LIMIT $8 OFFSET $9"
                    ))
                    .await?;
                let mut page_params: Vec<&(dyn ToSql + Sync)> = filter.to_vec();
                page_params.push(&limit);
                page_params.push(&offset);
                let rows = tx.query(&page, &page_params).await?;
                tx.commit().await?;
                Ok((total, rows))
            })
            .map_err(|e| e.port("postgres: list certificates"))?;
        let certs = rows
            .iter()
            .map(stored_certificate)
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), certs))
    }

    fn update_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let params = CertParams::new(cert)?;
        let pool = self.pool();
        let n = self
            .call(async move {
                let c = pool.get().await?;
                let stmt = c
                    .prepare_cached(
                        "UPDATE certificates SET scope_type = $3, instance_id = $4, name = $5,
                             common_name = $6, signature_algorithm = $7, algorithm_type = $8,
                             record_json = $9, cert_pem = $10, sealed_private_key = $11, trusted_root_ca = $12
                         WHERE id = $1 AND project_id = $2",
                    )
                    .await?;
                Ok(c.execute(&stmt, &params.params()).await?)
            })
            .map_err(|e| cert_write_error(e, "postgres: update certificate"))?;
        if n == 0 {
            Err(CertificateWriteError::NotFound)
        } else {
            Ok(())
        }
    }

    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool> {
        let pool = self.pool();
        let (p, i) = (project_id.to_owned(), id.to_owned());
        self.call(async move {
            let c = pool.get().await?;
            let stmt = c
                .prepare_cached("DELETE FROM certificates WHERE project_id = $1 AND id = $2")
                .await?;
            Ok(c.execute(&stmt, &[&p, &i]).await?)
        })
        .map(|n| n > 0)
        .map_err(|e| e.port("postgres: delete certificate"))
    }
}
