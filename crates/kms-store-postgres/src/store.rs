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
//! The ports themselves are kms-store-sql's, over this pool's connections
//! (module `driver`).

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use kms_core::ports::PortResult;
use kms_store_sql::Driver;
use tokio_postgres::NoTls;

use crate::error::Error;
use crate::fail::{Call, Fail};

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
    /// before it fails as [`kms_core::ports::PortErrorKind::Unavailable`].
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

/// Failed port calls of every store of this process.
pub(crate) static FAILURES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many port calls of the PostgreSQL stores of this process failed (a
/// refused or lost connection, a pool or operation timeout, a server error
/// that is not a constraint's answer) since it started; for a host's
/// metrics.
#[must_use]
pub fn failure_count() -> u64 {
    FAILURES.load(std::sync::atomic::Ordering::Relaxed)
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
        .map_err(|e| self.port_error(e.into_db(), "schema version"))
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
        .map_err(|e| self.port_error(e.into_db(), "root key fingerprint"))
    }

    pub(crate) fn pool(&self) -> Pool {
        self.inner.pool.clone()
    }

    /// Runs `fut` on the adapter's runtime without waiting for it.
    pub(crate) fn detach(&self, fut: impl Future<Output = ()> + Send + 'static) {
        drop(self.inner.handle.spawn(fut));
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
