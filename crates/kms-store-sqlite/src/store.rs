//! [`SqliteStore`]: every store port of kms-core over one SQLite file.
//!
//! Writes go through one connection behind a mutex (SQLite has one writer
//! anyway); reads go through a small pool of read-only connections, which in
//! WAL mode never wait for the writer. The ports themselves are
//! kms-store-sql's, over this file's connections (module `driver`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};
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

/// SQLite failures of every store of this process.
pub(crate) static FAILURES: AtomicU64 = AtomicU64::new(0);

/// How many SQLite calls of the stores of this process failed (what the
/// ports report as [`kms_core::ports::PortErrorKind::Unavailable`]: I/O, a
/// busy database past its timeout, a failed statement) since it started;
/// for a host's metrics.
#[must_use]
pub fn failure_count() -> u64 {
    FAILURES.load(Ordering::Relaxed)
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
        Ok(self.read(|c| c.query_row::<i64, _, _>("PRAGMA user_version", [], |r| r.get(0)))?)
    }

    /// Runs `f` on a free read connection (or, when all are busy, waits
    /// for one).
    pub(crate) fn read<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
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

    /// Runs `f` on the write connection.
    pub(crate) fn write<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        f(&mut lock(&self.inner.writer))
    }
}
