//! Online backup and restore of a database file with SQLite's backup API.
//!
//! [`backup`] copies a live database (a server may be writing to it: in
//! WAL mode the copy is one read transaction, so it is a consistent
//! snapshot of the moment it began) into a new file, written 0600 under a
//! temporary name and renamed into place only when complete.
//!
//! [`restore`] copies a backup over a database only while no other
//! connection has it open (it takes SQLite's exclusive lock, so a server
//! running on it is detected, not raced), and refuses to replace a
//! database *newer* than the backup unless forced. "Newer" is the change
//! counter in the `meta` table: triggers add 1 for every row any write
//! inserts, updates or deletes, so a database that changed since the
//! backup was taken (or after being restored from it) counts more.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{Error, Result};
use crate::schema::SCHEMA_VERSION;

/// What a backup or a restore copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupInfo {
    /// The change counter of the copy (see the module docs).
    pub change_counter: i64,
    /// Its schema version.
    pub schema_version: i64,
    /// Its pages.
    pub pages: i64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Copies every page of `from` into `to` in one step (one read
/// transaction on `from`: a consistent snapshot), retrying while a lock is
/// briefly held elsewhere.
fn copy(from: &Connection, to: &mut Connection) -> Result<()> {
    let b = Backup::new(from, to)?;
    for _ in 0..400 {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => std::thread::sleep(Duration::from_millis(25)),
        }
    }
    Err(Error::from(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some("the database stayed locked during the backup".to_owned()),
    )))
}

fn info(c: &Connection) -> Result<BackupInfo> {
    Ok(BackupInfo {
        change_counter: change_counter(c)?,
        schema_version: c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
        pages: c.query_row("PRAGMA page_count", [], |r| r.get(0))?,
    })
}

fn check_integrity(c: &Connection, path: &Path) -> Result<()> {
    let verdict: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(Error::NotADatabase {
            path: path.to_path_buf(),
            why: verdict,
        })
    }
}

/// A new file only its owner can read or write (it holds wrapped keys).
fn create_private(path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path).map(drop).map_err(io(path))
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    let _ = dir;
    Ok(())
}

/// Copies the database at `db` (which a server may be using) into a new
/// file `out`: written under a temporary name beside it (mode 0600),
/// checked, synced, then renamed to `out` (which it replaces). The copy is
/// a self-contained database (rollback journal, no `-wal` file).
///
/// # Errors
/// `db` does not exist or is not a database; `out`'s directory is not
/// writable; SQLite failures.
pub fn backup(db: &Path, out: &Path) -> Result<BackupInfo> {
    if !db.is_file() {
        return Err(Error::Io {
            path: db.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database here"),
        });
    }
    // Read-write (never created): a read-only connection to a WAL database
    // needs its `-shm` to exist already.
    let from = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    from.busy_timeout(Duration::from_secs(10))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    create_private(&tmp)?;
    let result = (|| {
        let mut to = Connection::open(&tmp)?;
        copy(&from, &mut to)?;
        let mode: String = to.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(Error::Pragma("journal_mode"));
        }
        check_integrity(&to, &tmp)?;
        let info = info(&to)?;
        to.close().map_err(|(_, e)| Error::from(e))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, out).map_err(io(out))?;
        sync_dir(&dir)?;
        Ok(info)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Opens `db` exclusively for an instant, to be refused if another
/// connection (a running server) has it open.
fn lock_exclusively(db: &Path) -> Result<Connection> {
    let c = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // No waiting: a lock held elsewhere means a server has it open.
    c.busy_timeout(Duration::ZERO)?;
    c.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    // The first write transaction takes the exclusive lock, which the
    // connection keeps until it closes (locking_mode EXCLUSIVE).
    c.execute_batch("BEGIN EXCLUSIVE")
        .map_err(|e| in_use(e, db))?;
    Ok(c)
}

fn in_use(e: rusqlite::Error, db: &Path) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Error::InUse {
                path: db.to_path_buf(),
            }
        }
        _ => Error::from(e),
    }
}

/// Fails with [`Error::InUse`] if another connection (a running server)
/// has the database at `db` open. A check, not a lock: an operator
/// command that must not run beside a server calls it before opening the
/// store.
///
/// # Errors
/// [`Error::InUse`]; SQLite failures.
pub fn ensure_not_in_use(db: &Path) -> Result<()> {
    let c = lock_exclusively(db)?;
    c.execute_batch("COMMIT").map_err(|e| in_use(e, db))?;
    c.close().map_err(|(_, e)| Error::from(e))
}

/// What [`restore`] found in place of the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replaced {
    /// No database was there.
    Nothing,
    /// A database with this change counter.
    Database {
        /// Its change counter.
        change_counter: i64,
    },
}

/// Replaces the database at `db` (created, with its directory, if missing)
/// by the backup at `from`, in one transaction.
///
/// Refused while another connection (a running server) has `db` open, and
/// when `db`'s change counter is greater than the backup's (it has changes
/// the backup lacks) unless `force`.
///
/// # Errors
/// [`Error::InUse`], [`Error::NewerDatabase`], [`Error::NotADatabase`]
/// (the backup fails SQLite's integrity check), [`Error::SchemaTooNew`],
/// SQLite and file failures.
pub fn restore(from: &Path, db: &Path, force: bool) -> Result<(BackupInfo, Replaced)> {
    if !from.is_file() {
        return Err(Error::Io {
            path: from.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no backup here"),
        });
    }
    let src = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    check_integrity(&src, from)?;
    let backup_info = info(&src)?;
    if backup_info.schema_version > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found: backup_info.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    let existed = db.exists();
    if !existed {
        if let Some(dir) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(io(dir))?;
        }
        create_private(db)?;
    }
    let mut to = lock_exclusively(db)?;
    let in_use = |e| in_use(e, db);
    let replaced = if existed {
        let found = change_counter(&to).map_err(in_use)?;
        Replaced::Database {
            change_counter: found,
        }
    } else {
        Replaced::Nothing
    };
    to.execute_batch("COMMIT").map_err(in_use)?;
    if let Replaced::Database { change_counter } = replaced {
        if change_counter > backup_info.change_counter && !force {
            return Err(Error::NewerDatabase {
                database: change_counter,
                backup: backup_info.change_counter,
            });
        }
    }
    copy(&src, &mut to)?;
    check_integrity(&to, db)?;
    to.close().map_err(|(_, e)| Error::from(e))?;
    Ok((backup_info, replaced))
}

/// The database's change counter (0 when it has none: written before
/// schema 6), which the triggers of schema 6 bump on every row written.
fn change_counter(c: &Connection) -> rusqlite::Result<i64> {
    let has_meta: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(0);
    }
    let value: Option<Option<i64>> = c
        .query_row(
            "SELECT value FROM meta WHERE name = 'change_counter'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.flatten().unwrap_or(0))
}
