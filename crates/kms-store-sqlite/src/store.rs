//! [`SqliteStore`]: every store port of kms-core over one SQLite file.
//!
//! Writes go through one connection behind a mutex (SQLite has one writer
//! anyway); reads go through a small pool of read-only connections, which in
//! WAL mode never wait for the writer. Every atomic rule of the ports is a
//! constraint of the schema, so each conditional insert is one statement (or
//! one transaction) and a constraint violation is the "taken" answer.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kms_core::ports::{
    CertificateFilter, CertificateStore, CertificateWriteError, DeleteKeystoreOutcome,
    InsertKeyError, InsertKeystoreError, KeyListQuery, KeyOrigin, KeyRecord, KeyRotation, KeyState,
    KeystoreRecord, KeystoreState, KeystoreStore, MasterKeyStore, PinVerifierStore, PortError,
    PortResult, ROOT_KEY_CHECK_LEN, RotateKeyError, StoredCertificate, Timestamp,
    UpdateKeyAliasError,
};
use kms_core::ports::{KeyMaterial, KeyTag, KeyTagStore, TagFilter, TagWriteError, TaggedKeys};
use kms_crypto::{Ciphertext, PinVerifier, WrappedMasterKey};
use kms_model::{CertificateRecord, CmkSpec, KeyUsage, KeystoreRef, KeystoreType};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::error::Error;

type Result<T, E = Error> = std::result::Result<T, E>;
use crate::schema;

/// How to open a [`SqliteStore`].
#[derive(Clone, Debug)]
pub struct SqliteStoreOptions {
    /// Read connections in the pool (at least 1).
    pub readers: usize,
    /// How long a connection waits for a lock before reporting a failure.
    pub busy_timeout: Duration,
}

impl Default for SqliteStoreOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            readers: (cores * 2).clamp(2, 16),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Every store port of kms-core over one SQLite database file. Cheap to
/// clone (the connections are shared).
///
/// Durability: WAL with `synchronous=FULL`. A write returns only after its
/// WAL frame is on disk, so an acknowledged key survives a power cut, not
/// just a process crash. Writes are rare here (a CMK, a keystore, a
/// certificate) while the hot path (DEK operations) only reads, so the fsync
/// per commit costs little, and losing an acknowledged CMK would make every
/// DEK wrapped under it undecryptable.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("readers", &self.inner.readers.len())
            .finish()
    }
}

/// SQLite failures ([`backend`]) of every store of this process.
static FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many SQLite calls of the stores of this process failed (what the
/// ports report as [`kms_core::ports::PortErrorKind::Unavailable`]: I/O, a
/// busy database past its timeout, a failed statement) since it started;
/// for a host's metrics.
#[must_use]
pub fn failure_count() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// A SQLite failure as the ports report it, with the SQLite error as source.
pub(crate) fn backend(e: &rusqlite::Error) -> PortError {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    // rusqlite::Error is not Clone; its text and code are what logs need.
    PortError::unavailable("sqlite", SqliteFailure(e.to_string()))
}

/// The text of a rusqlite error, kept as a [`PortError`]'s source.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SqliteFailure(String);

/// Which constraint a failed statement violated, from SQLite's message
/// (`UNIQUE constraint failed: keystores.domain_id, keystores.alias`).
#[derive(Debug, PartialEq, Eq)]
enum Violation {
    Unique(String),
    ForeignKey,
}

fn violation(e: &rusqlite::Error) -> Option<Violation> {
    match e {
        rusqlite::Error::SqliteFailure(err, msg) if err.code == ErrorCode::ConstraintViolation => {
            let msg = msg.as_deref().unwrap_or("");
            if let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") {
                Some(Violation::Unique(cols.to_owned()))
            } else if msg.starts_with("FOREIGN KEY") {
                Some(Violation::ForeignKey)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave SQLite inconsistent (an
    // open transaction is rolled back when its guard drops).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn configure(conn: &Connection, busy: Duration) -> Result<()> {
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Overwrite deleted content with zeros, so a replaced or deleted row
    // (a legacy clear private key, a deleted certificate) does not linger
    // in free pages of the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    if fk != 1 {
        return Err(Error::Pragma("foreign_keys"));
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Makes `path` a file only its owner can read or write: created 0600 when
/// missing, narrowed to 0600 when group or others had access (the file
/// holds wrapped keys and sealed private keys; the owner loses nothing).
fn private_file(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let file = opts.open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mode = file.metadata().map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    opts.open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Narrows an existing file to its owner, by path (chmod, no open).
fn narrow_by_path(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with default
    /// options, switches it to WAL and applies pending migrations.
    ///
    /// # Errors
    /// The file cannot be opened, is not SQLite, or has a newer schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &SqliteStoreOptions::default())
    }

    /// [`SqliteStore::open`] with explicit options.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: &SqliteStoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        private_file(&path)?;
        let mut writer = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Pragma("journal_mode"));
        }
        configure(&writer, options.busy_timeout)?;
        schema::migrate(&mut writer)?;
        // SQLite creates `-wal` and `-shm` with the database file's mode;
        // ones left by an earlier run are tightened too, by path: opening
        // and closing them here would drop the POSIX locks this process's
        // connection holds on them (they are per process, released by any
        // close), and another process opening the database (a backup)
        // would then take itself for the first and truncate the `-shm`
        // this process has mapped (SIGBUS).
        for suffix in ["-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.exists() {
                narrow_by_path(&side)?;
            }
        }
        let mut readers = Vec::with_capacity(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            let r = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            configure(&r, options.busy_timeout)?;
            readers.push(Mutex::new(r));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Seals every private key that schema 1 stored in clear: for each
    /// such certificate, `seal(project_id, certificate_id, pem)` returns
    /// the sealed blob (kms-core's `Kms::seal_certificate_private_key`),
    /// which replaces the clear key in one transaction for all rows. The
    /// WAL is then checkpointed and truncated, and `secure_delete` has
    /// zeroed the freed cells, so no clear key remains in the files.
    /// Returns how many keys were sealed (0 once done: run it at every
    /// start).
    ///
    /// # Errors
    /// SQLite failure, or [`Error::Seal`] when `seal` fails (nothing is
    /// changed then).
    pub fn seal_legacy_private_keys<E>(
        &self,
        mut seal: impl FnMut(&str, &str, &[u8]) -> std::result::Result<Vec<u8>, E>,
    ) -> Result<usize>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let mut conn = lock(&self.inner.writer);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let legacy: Vec<(String, String, Zeroizing<String>)> = {
            let mut stmt = tx.prepare(
                "SELECT id, project_id, key_pem FROM certificates WHERE sealed_private_key IS NULL",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, Zeroizing::new(r.get::<_, String>(2)?)))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (id, project_id, pem) in &legacy {
            let sealed = seal(project_id, id, pem.as_bytes()).map_err(|e| Error::Seal {
                certificate_id: id.clone(),
                source: Box::new(e),
            })?;
            tx.execute(
                "UPDATE certificates SET sealed_private_key = ?1, key_pem = '' WHERE id = ?2",
                params![sealed, id],
            )?;
        }
        tx.commit()?;
        if !legacy.is_empty() {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok(legacy.len())
    }

    /// The schema version of the open file.
    ///
    /// # Errors
    /// SQLite failure.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.read(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))?)
    }

    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let readers = &self.inner.readers;
        let n = readers.len();
        let start = self.inner.next_reader.fetch_add(1, Ordering::Relaxed) % n.max(1);
        for i in 0..n {
            if let Ok(guard) = readers[(start + i) % n].try_lock() {
                return f(&guard);
            }
        }
        match readers.get(start) {
            Some(m) => f(&lock(m)),
            None => f(&lock(&self.inner.writer)),
        }
    }

    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&mut lock(&self.inner.writer))
    }
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

pub(crate) type KeystoreRow = (String, String, String, String, Option<String>, String, i64);

pub(crate) fn keystore_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeystoreRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

pub(crate) fn keystore_record(row: KeystoreRow) -> PortResult<KeystoreRecord> {
    let (keystore_id, domain_id, alias, ty, cluster_id, state, create_time) = row;
    Ok(KeystoreRecord {
        keystore_id,
        domain_id,
        alias,
        keystore_type: KeystoreType::parse(&ty)
            .map_err(|_| PortError::corrupt(format!("bad keystore type {ty:?} in database")))?,
        cluster_id,
        state: keystore_state(&state)?,
        create_time: Timestamp(create_time),
    })
}

pub(crate) const KEYSTORE_COLUMNS: &str =
    "keystore_id, domain_id, alias, keystore_type, cluster_id, state, create_time";

impl KeystoreStore for SqliteStore {
    fn insert_keystore(&self, record: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
        let res = self.write(|c| {
            c.prepare_cached(
                "INSERT INTO keystores (keystore_id, domain_id, alias, keystore_type, cluster_id, state, create_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                record.keystore_id,
                record.domain_id,
                record.alias,
                record.keystore_type.as_str(),
                record.cluster_id,
                record.state.as_str(),
                record.create_time.0,
            ])
        });
        match res {
            Ok(_) => Ok(()),
            Err(e) => match violation(&e) {
                Some(Violation::Unique(cols)) if cols.contains("keystores.alias") => {
                    Err(InsertKeystoreError::AliasTaken)
                }
                Some(Violation::Unique(cols)) if cols.contains("keystores.cluster_id") => {
                    Err(InsertKeystoreError::ClusterTaken)
                }
                _ => Err(backend(&e).into()),
            },
        }
    }

    fn get_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<Option<KeystoreRecord>> {
        let row = self
            .read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {KEYSTORE_COLUMNS} FROM keystores WHERE domain_id = ?1 AND keystore_id = ?2"
                ))?
                .query_row(params![domain_id, keystore_id], keystore_row)
                .optional()
            })
            .map_err(|e| backend(&e))?;
        row.map(keystore_record).transpose()
    }

    fn list_keystores(
        &self,
        domain_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<KeystoreRecord>)> {
        let (total, rows) = self
            .read(|c| {
                let total: i64 = c
                    .prepare_cached("SELECT COUNT(*) FROM keystores WHERE domain_id = ?1")?
                    .query_row(params![domain_id], |r| r.get(0))?;
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {KEYSTORE_COLUMNS} FROM keystores WHERE domain_id = ?1
                     ORDER BY create_time, rowid LIMIT ?2 OFFSET ?3"
                ))?;
                let rows = stmt
                    .query_map(
                        params![domain_id, to_i64(limit), to_i64(offset)],
                        keystore_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((total, rows))
            })
            .map_err(|e| backend(&e))?;
        let records = rows
            .into_iter()
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
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "UPDATE keystores SET state = ?3 WHERE domain_id = ?1 AND keystore_id = ?2",
                )?
                .execute(params![domain_id, keystore_id, state.as_str()])
            })
            .map_err(|e| backend(&e))?;
        Ok(n > 0)
    }

    fn delete_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<DeleteKeystoreOutcome> {
        let res = self.write(|c| {
            c.prepare_cached("DELETE FROM keystores WHERE domain_id = ?1 AND keystore_id = ?2")?
                .execute(params![domain_id, keystore_id])
        });
        match res {
            Ok(0) => Ok(DeleteKeystoreOutcome::NotFound),
            Ok(_) => Ok(DeleteKeystoreOutcome::Deleted),
            Err(e) if violation(&e) == Some(Violation::ForeignKey) => {
                Ok(DeleteKeystoreOutcome::HasKeys)
            }
            Err(e) => Err(backend(&e)),
        }
    }

    fn record_root_key_check(
        &self,
        keystore_id: &str,
        check: &[u8; ROOT_KEY_CHECK_LEN],
    ) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]> {
        let name = format!("{ROOT_KEY_CHECK_PREFIX}{keystore_id}");
        let recorded: Vec<u8> = self
            .write(|c| {
                c.execute(
                    "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    params![name, check.as_slice()],
                )?;
                c.query_row("SELECT value FROM meta WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })
            })
            .map_err(|e| backend(&e))?;
        recorded.try_into().map_err(|_| {
            PortError::corrupt(format!(
                "root-key check value of keystore {keystore_id} has the wrong length"
            ))
        })
    }

    fn forget_root_key_check(&self, keystore_id: &str) -> PortResult<()> {
        let name = format!("{ROOT_KEY_CHECK_PREFIX}{keystore_id}");
        self.write(|c| c.execute("DELETE FROM meta WHERE name = ?1", [&name]))
            .map_err(|e| backend(&e))?;
        Ok(())
    }
}

/// `meta` names of dedicated keystores' root-key check values: this
/// prefix and the keystore id.
const ROOT_KEY_CHECK_PREFIX: &str = "root_key_check/";

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

type KeyRow = (
    (String, String, String, String, String, String, String),
    (i64, i64, Option<i64>),
    (bool, i64, Option<i64>, i64),
    (String, String, String),
);

const KEY_COLUMNS: &str = "key_id, domain_id, project_id, alias, description, keystore_id, state,
     current_version, create_time, deletion_time,
     rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
     key_spec, key_usage, origin";

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ),
        (r.get(7)?, r.get(8)?, r.get(9)?),
        (r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?),
        (r.get(14)?, r.get(15)?, r.get(16)?),
    ))
}

fn key_record(row: KeyRow) -> PortResult<KeyRecord> {
    let (
        (key_id, domain_id, project_id, alias, description, keystore_id, state),
        (ver, ct, dt),
        (rot_enabled, rot_interval, rot_last, rot_count),
        (spec, usage, origin),
    ) = row;
    let corrupt = |what: &'static str| PortError::corrupt(what);
    Ok(KeyRecord {
        key_id,
        domain_id,
        project_id,
        alias,
        description,
        keystore_id,
        state: key_state(&state)?,
        current_version: u32::try_from(ver)
            .map_err(|_| PortError::corrupt("bad key version in database"))?,
        create_time: Timestamp(ct),
        deletion_time: dt.map(Timestamp),
        rotation: KeyRotation {
            enabled: rot_enabled,
            interval_days: u32::try_from(rot_interval)
                .map_err(|_| corrupt("bad rotation interval in database"))?,
            last_rotation_time: rot_last.map(Timestamp),
            rotations: u32::try_from(rot_count)
                .map_err(|_| corrupt("bad rotation count in database"))?,
        },
        spec: CmkSpec::parse(&spec).map_err(|_| corrupt("bad key spec in database"))?,
        usage: KeyUsage::parse(&usage).map_err(|_| corrupt("bad key usage in database"))?,
        origin: KeyOrigin::parse(&origin).map_err(|_| corrupt("bad key origin in database"))?,
    })
}

impl MasterKeyStore for SqliteStore {
    fn insert_key(&self, record: &KeyRecord, material: &KeyMaterial) -> Result<(), InsertKeyError> {
        let dedicated =
            KeystoreRef::is_dedicated_id(&record.keystore_id).then_some(&record.keystore_id);
        let res = self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.prepare_cached(
                "INSERT INTO keys (key_id, domain_id, project_id, alias, description, keystore_id,
                                   dedicated_keystore_id, state, current_version, create_time, deletion_time,
                                   rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
                                   key_spec, key_usage, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?
            .execute(params![
                record.key_id,
                record.domain_id,
                record.project_id,
                record.alias,
                record.description,
                record.keystore_id,
                dedicated,
                record.state.as_str(),
                record.current_version,
                record.create_time.0,
                record.deletion_time.map(|t| t.0),
                record.rotation.enabled,
                record.rotation.interval_days,
                record.rotation.last_rotation_time.map(|t| t.0),
                record.rotation.rotations,
                record.spec.as_str(),
                record.usage.as_str(),
                record.origin.as_str(),
            ])?;
            // A key awaiting import has no version yet.
            if let Some(bytes) = material.stored_bytes() {
                tx.prepare_cached(
                    "INSERT INTO key_material (key_id, version, wrapped) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![record.key_id, record.current_version, bytes])?;
            }
            tx.commit()
        });
        match res {
            Ok(()) => Ok(()),
            Err(e) => match violation(&e) {
                Some(Violation::Unique(cols)) if cols.contains("keys.alias") => {
                    Err(InsertKeyError::AliasTaken)
                }
                Some(Violation::ForeignKey) => Err(InsertKeyError::KeystoreGone),
                _ => Err(backend(&e).into()),
            },
        }
    }

    fn get_key(&self, project_id: &str, key_id: &str) -> PortResult<Option<Arc<KeyRecord>>> {
        let row: Option<KeyRow> = self
            .read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE project_id = ?1 AND key_id = ?2"
                ))?
                .query_row(params![project_id, key_id], key_row)
                .optional()
            })
            .map_err(|e| backend(&e))?;
        row.map(|r| key_record(r).map(Arc::new)).transpose()
    }

    fn get_key_material(&self, key_id: &str, version: u32) -> PortResult<Option<Vec<u8>>> {
        self.read(|c| {
            c.prepare_cached("SELECT wrapped FROM key_material WHERE key_id = ?1 AND version = ?2")?
                .query_row(params![key_id, version], |r| r.get(0))
                .optional()
        })
        .map_err(|e| backend(&e))
    }

    fn set_key_state(
        &self,
        project_id: &str,
        key_id: &str,
        state: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> PortResult<bool> {
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "UPDATE keys SET state = ?3, deletion_time = ?4 WHERE project_id = ?1 AND key_id = ?2",
                )?
                .execute(params![project_id, key_id, state.as_str(), deletion_time.map(|t| t.0)])
            })
            .map_err(|e| backend(&e))?;
        Ok(n > 0)
    }

    fn count_keys_in_keystore(&self, keystore_id: &str) -> PortResult<u64> {
        self.read(|c| {
            c.prepare_cached("SELECT COUNT(*) FROM keys WHERE keystore_id = ?1")?
                .query_row(params![keystore_id], |r| r.get::<_, i64>(0))
        })
        .map(to_u64)
        .map_err(|e| backend(&e))
    }

    fn list_keys(
        &self,
        project_id: &str,
        query: &KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)> {
        // ?2: the state filter (NULL: any); ?3: the instant at which keys
        // pending deletion with an earlier deletion time are gone; ?4: the
        // spec filter (NULL: any).
        const MATCH: &str = "project_id = ?1 AND (?2 IS NULL OR state = ?2)
             AND NOT (state = '4' AND deletion_time IS NOT NULL AND deletion_time <= ?3)
             AND (?4 IS NULL OR key_spec = ?4)";
        let state = query.state.map(KeyState::as_str);
        let spec = query.spec.map(CmkSpec::as_str);
        let live_at = query.live_at.0;
        let (total, rows) = self
            .read(|c| {
                let total: i64 = c
                    .prepare_cached(&format!("SELECT COUNT(*) FROM keys WHERE {MATCH}"))?
                    .query_row(params![project_id, state, live_at, spec], |r| r.get(0))?;
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE {MATCH}
                     ORDER BY create_time, key_id LIMIT ?5 OFFSET ?6"
                ))?;
                let rows = stmt
                    .query_map(
                        params![
                            project_id,
                            state,
                            live_at,
                            spec,
                            to_i64(query.limit),
                            to_i64(query.offset)
                        ],
                        key_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((total, rows))
            })
            .map_err(|e| backend(&e))?;
        let records = rows
            .into_iter()
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
        let res = self.write(|c| {
            c.prepare_cached("UPDATE keys SET alias = ?3 WHERE project_id = ?1 AND key_id = ?2")?
                .execute(params![project_id, key_id, alias])
        });
        match res {
            Ok(0) => Err(UpdateKeyAliasError::NotFound),
            Ok(_) => Ok(()),
            Err(e) => match violation(&e) {
                Some(Violation::Unique(cols)) if cols.contains("keys.alias") => {
                    Err(UpdateKeyAliasError::AliasTaken)
                }
                _ => Err(backend(&e).into()),
            },
        }
    }

    fn update_key_description(
        &self,
        project_id: &str,
        key_id: &str,
        description: &str,
    ) -> PortResult<bool> {
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "UPDATE keys SET description = ?3 WHERE project_id = ?1 AND key_id = ?2",
                )?
                .execute(params![project_id, key_id, description])
            })
            .map_err(|e| backend(&e))?;
        Ok(n > 0)
    }

    fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64> {
        // key_material and key_tags follow through ON DELETE CASCADE.
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "DELETE FROM keys WHERE state = '4'
                     AND deletion_time IS NOT NULL AND deletion_time <= ?1",
                )?
                .execute(params![at.0])
            })
            .map_err(|e| backend(&e))?;
        Ok(n as u64)
    }

    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
    ) -> PortResult<bool> {
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "UPDATE keys SET rotation_enabled = COALESCE(?3, rotation_enabled),
                                     rotation_interval = COALESCE(?4, rotation_interval)
                     WHERE project_id = ?1 AND key_id = ?2",
                )?
                .execute(params![project_id, key_id, enabled, interval_days])
            })
            .map_err(|e| backend(&e))?;
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
        let res = self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx
                .prepare_cached(
                    "UPDATE keys SET current_version = ?3, last_rotation_time = ?5,
                                     number_of_rotations = number_of_rotations + 1
                     WHERE project_id = ?1 AND key_id = ?2 AND current_version = ?4",
                )?
                .execute(params![project_id, key_id, version, previous, at.0])?;
            if n == 0 {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM keys WHERE project_id = ?1 AND key_id = ?2")?
                    .query_row(params![project_id, key_id], |_| Ok(()))
                    .optional()?
                    .is_some();
                return Ok(Some(exists));
            }
            tx.prepare_cached(
                "INSERT INTO key_material (key_id, version, wrapped) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![key_id, version, material.as_bytes()])?;
            tx.commit()?;
            Ok(None)
        });
        match res {
            Ok(None) => Ok(()),
            Ok(Some(true)) => Err(RotateKeyError::VersionChanged),
            Ok(Some(false)) => Err(RotateKeyError::NotFound),
            Err(e) => match violation(&e) {
                // Material for that version exists already: another
                // rotation got there.
                Some(Violation::Unique(_)) => Err(RotateKeyError::VersionChanged),
                _ => Err(backend(&e).into()),
            },
        }
    }
}

// ---------------------------------------------------------------- key tags

fn tags_of(c: &Connection, key_id: &str) -> rusqlite::Result<Vec<KeyTag>> {
    c.prepare_cached("SELECT tag_key, tag_value FROM key_tags WHERE key_id = ?1 ORDER BY tag_key")?
        .query_map(params![key_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

impl KeyTagStore for SqliteStore {
    fn update_key_tags(
        &self,
        project_id: &str,
        key_id: &str,
        upsert: &[KeyTag],
        remove: &[String],
        max_tags: usize,
    ) -> Result<(), TagWriteError> {
        let res = self.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM keys WHERE project_id = ?1 AND key_id = ?2")?
                .query_row(params![project_id, key_id], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Ok(Err(TagWriteError::NotFound));
            }
            for (k, v) in upsert {
                tx.prepare_cached(
                    "INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                )?
                .execute(params![key_id, k, v])?;
            }
            for k in remove {
                tx.prepare_cached("DELETE FROM key_tags WHERE key_id = ?1 AND tag_key = ?2")?
                    .execute(params![key_id, k])?;
            }
            let n: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM key_tags WHERE key_id = ?1")?
                .query_row(params![key_id], |r| r.get(0))?;
            if to_u64(n) > u64::try_from(max_tags).unwrap_or(u64::MAX) {
                // Dropping the transaction rolls every change back.
                return Ok(Err(TagWriteError::TooMany));
            }
            tx.commit()?;
            Ok(Ok(()))
        });
        res.map_err(|e| TagWriteError::Backend(backend(&e)))?
    }

    fn get_key_tags(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<KeyTag>>> {
        self.read(|c| {
            let exists = c
                .prepare_cached("SELECT 1 FROM keys WHERE project_id = ?1 AND key_id = ?2")?
                .query_row(params![project_id, key_id], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Ok(None);
            }
            tags_of(c, key_id).map(Some)
        })
        .map_err(|e| backend(&e))
    }

    fn list_project_tags(
        &self,
        project_id: &str,
        live_at: Timestamp,
    ) -> PortResult<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = self
            .read(|c| {
                c.prepare_cached(
                    "SELECT DISTINCT t.tag_key, t.tag_value FROM key_tags t
                     JOIN keys k ON k.key_id = t.key_id
                     WHERE k.project_id = ?1
                       AND NOT (k.state = '4' AND k.deletion_time IS NOT NULL
                                AND k.deletion_time <= ?2)
                     ORDER BY t.tag_key, t.tag_value",
                )?
                .query_map(params![project_id, live_at.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect()
            })
            .map_err(|e| backend(&e))?;
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
        use rusqlite::types::Value;
        let mut cond = String::from(
            "project_id = ?1
             AND NOT (state = '4' AND deletion_time IS NOT NULL AND deletion_time <= ?2)",
        );
        let mut args: Vec<Value> = vec![
            Value::Text(project_id.to_owned()),
            Value::Integer(query.live_at.0),
        ];
        if let Some(a) = alias_contains {
            // instr: a plain substring test, no LIKE wildcards to escape.
            args.push(Value::Text(a.to_owned()));
            cond.push_str(&format!(" AND instr(alias, ?{}) > 0", args.len()));
        }
        for f in tags {
            args.push(Value::Text(f.key.clone()));
            cond.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM key_tags t WHERE t.key_id = keys.key_id AND t.tag_key = ?{}",
                args.len()
            ));
            if !f.values.is_empty() {
                let mut marks = Vec::new();
                for v in &f.values {
                    args.push(Value::Text(v.clone()));
                    marks.push(format!("?{}", args.len()));
                }
                cond.push_str(&format!(" AND t.tag_value IN ({})", marks.join(", ")));
            }
            cond.push(')');
        }
        let limit_at = args.len() + 1;
        let res = self.read(|c| {
            let total: i64 = c
                .prepare(&format!("SELECT COUNT(*) FROM keys WHERE {cond}"))?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
            let mut page_args = args.clone();
            page_args.push(Value::Integer(to_i64(query.limit)));
            page_args.push(Value::Integer(to_i64(query.offset)));
            let rows = c
                .prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM keys WHERE {cond}
                     ORDER BY create_time, key_id LIMIT ?{limit_at} OFFSET ?{}",
                    limit_at + 1
                ))?
                .query_map(rusqlite::params_from_iter(page_args.iter()), key_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let tags = tags_of(c, &row.0.0)?;
                out.push((row, tags));
            }
            Ok((total, out))
        });
        let (total, rows) = res.map_err(|e| backend(&e))?;
        let records = rows
            .into_iter()
            .map(|(row, tags)| key_record(row).map(|k| (k, tags)))
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), records))
    }
}

// ---------------------------------------------------------------- PIN verifiers

impl PinVerifierStore for SqliteStore {
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()> {
        self.write(|c| {
            c.prepare_cached(
                "INSERT OR IGNORE INTO pin_verifiers (domain_id, keystore_id, verifier) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![domain_id, keystore_id, verifier.as_bytes().as_slice()])
        })
        .map(|_| ())
        .map_err(|e| backend(&e))
    }

    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pin_verifiers
                                WHERE domain_id = ?1 AND keystore_id = ?2 AND verifier = ?3)",
            )?
            .query_row(
                params![domain_id, keystore_id, verifier.as_bytes().as_slice()],
                |r| r.get::<_, bool>(0),
            )
        })
        .map_err(|e| backend(&e))
    }
}

// ---------------------------------------------------------------- certificates

fn scope(record: &CertificateRecord) -> (&str, &str) {
    let ty = record.r#type.as_deref().unwrap_or("global");
    let instance = record.instance_id.as_deref().unwrap_or("common");
    (ty, instance)
}

type CertRow = (String, String, Option<Vec<u8>>, Option<String>);

fn cert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CertRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn stored_certificate(row: CertRow) -> PortResult<StoredCertificate> {
    let (json, cert_pem, sealed, trusted_root_ca) = row;
    let record: CertificateRecord = serde_json::from_str(&json)
        .map_err(|e| PortError::corrupt("bad certificate record in database").with_source(e))?;
    // NULL only in a schema-1 row whose clear key was not sealed yet: the
    // host runs `seal_legacy_private_keys` before serving.
    let sealed = sealed
        .ok_or_else(|| PortError::corrupt("certificate private key not sealed (legacy row)"))?;
    let sealed_private_key = Ciphertext::from_bytes(&sealed)
        .map_err(|e| PortError::corrupt("bad sealed private key in database").with_source(e))?;
    Ok(StoredCertificate {
        record,
        cert_pem,
        sealed_private_key,
        trusted_root_ca,
    })
}

fn cert_write_error(e: &rusqlite::Error) -> CertificateWriteError {
    match violation(e) {
        Some(Violation::Unique(cols)) if cols.contains("certificates.name") => {
            CertificateWriteError::NameTaken
        }
        _ => backend(e).into(),
    }
}

fn record_json(record: &CertificateRecord) -> Result<String, CertificateWriteError> {
    serde_json::to_string(record).map_err(|e| {
        PortError::corrupt("cannot serialise certificate record")
            .with_source(e)
            .into()
    })
}

const CERT_FILTER: &str = "project_id = ?1
    AND (?2 IS NULL OR instr(name, ?2) > 0)
    AND (?3 IS NULL OR instr(common_name, ?3) > 0)
    AND (?4 IS NULL OR signature_algorithm = ?4)
    AND (?5 IS NULL OR scope_type = ?5)
    AND (?6 IS NULL OR instance_id = ?6)
    AND (?7 IS NULL OR algorithm_type = ?7)";

fn sealed(cert: &StoredCertificate) -> &[u8] {
    cert.sealed_private_key.as_bytes()
}

/// Parameters `?1..=?12` of the certificate INSERT and UPDATE, in column
/// order: id, project_id, scope_type, instance_id, name, common_name,
/// signature_algorithm, algorithm_type, record_json, cert_pem,
/// sealed_private_key, trusted_root_ca.
fn cert_params<'a>(
    cert: &'a StoredCertificate,
    ty: &'a &'a str,
    instance: &'a &'a str,
    json: &'a &'a str,
    sealed_key: &'a &'a [u8],
) -> [&'a dyn rusqlite::ToSql; 12] {
    let r = &cert.record;
    let or_empty = |v: &'a Option<String>| -> &'a dyn rusqlite::ToSql {
        match v {
            Some(v) => v,
            None => &"",
        }
    };
    [
        &r.id,
        or_empty(&r.project_id),
        ty,
        instance,
        &r.name,
        &r.common_name,
        &r.signature_algorithm,
        or_empty(&r.algorithm_type),
        json,
        &cert.cert_pem,
        sealed_key,
        &cert.trusted_root_ca,
    ]
}

impl CertificateStore for SqliteStore {
    fn insert_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let r = &cert.record;
        let (ty, instance) = scope(r);
        let json = record_json(r)?;
        self.write(|c| {
            c.prepare_cached(
                "INSERT INTO certificates (id, project_id, scope_type, instance_id, name, common_name,
                     signature_algorithm, algorithm_type, record_json, cert_pem, sealed_private_key,
                     trusted_root_ca, key_pem)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '')",
            )?
            .execute(cert_params(cert, &ty, &instance, &json.as_str(), &sealed(cert)))
        })
        .map(|_| ())
        .map_err(|e| cert_write_error(&e))
    }

    fn get_certificate(&self, project_id: &str, id: &str) -> PortResult<Option<StoredCertificate>> {
        let row = self
            .read(|c| {
                c.prepare_cached(
                    "SELECT record_json, cert_pem, sealed_private_key, trusted_root_ca FROM certificates
                     WHERE project_id = ?1 AND id = ?2",
                )?
                .query_row(params![project_id, id], cert_row)
                .optional()
            })
            .map_err(|e| backend(&e))?;
        row.map(stored_certificate).transpose()
    }

    fn list_certificates(
        &self,
        project_id: &str,
        filter: &CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<StoredCertificate>)> {
        let f = filter;
        let (total, rows) = self
            .read(|c| {
                let p = params![
                    project_id,
                    f.name,
                    f.common_name,
                    f.signature_algorithm,
                    f.r#type,
                    f.instance_id,
                    f.algorithm_type,
                ];
                let total: i64 = c
                    .prepare_cached(&format!(
                        "SELECT COUNT(*) FROM certificates WHERE {CERT_FILTER}"
                    ))?
                    .query_row(p, |r| r.get(0))?;
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT record_json, cert_pem, sealed_private_key, trusted_root_ca FROM certificates
                     WHERE {CERT_FILTER} ORDER BY rowid LIMIT ?8 OFFSET ?9"
                ))?;
                let rows = stmt
                    .query_map(
                        params![
                            project_id,
                            f.name,
                            f.common_name,
                            f.signature_algorithm,
                            f.r#type,
                            f.instance_id,
                            f.algorithm_type,
                            to_i64(limit),
                            to_i64(offset),
                        ],
                        cert_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((total, rows))
            })
            .map_err(|e| backend(&e))?;
        let certs = rows
            .into_iter()
            .map(stored_certificate)
            .collect::<PortResult<Vec<_>>>()?;
        Ok((to_u64(total), certs))
    }

    fn update_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let r = &cert.record;
        let (ty, instance) = scope(r);
        let json = record_json(r)?;
        let n = self
            .write(|c| {
                c.prepare_cached(
                    "UPDATE certificates SET scope_type = ?3, instance_id = ?4, name = ?5,
                         common_name = ?6, signature_algorithm = ?7, algorithm_type = ?8,
                         record_json = ?9, cert_pem = ?10, sealed_private_key = ?11, trusted_root_ca = ?12,
                         key_pem = ''
                     WHERE id = ?1 AND project_id = ?2",
                )?
                .execute(cert_params(cert, &ty, &instance, &json.as_str(), &sealed(cert)))
            })
            .map_err(|e| cert_write_error(&e))?;
        if n == 0 {
            Err(CertificateWriteError::NotFound)
        } else {
            Ok(())
        }
    }

    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool> {
        self.write(|c| {
            c.prepare_cached("DELETE FROM certificates WHERE project_id = ?1 AND id = ?2")?
                .execute(params![project_id, id])
        })
        .map(|n| n > 0)
        .map_err(|e| backend(&e))
    }
}
