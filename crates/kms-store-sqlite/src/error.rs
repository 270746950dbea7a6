//! Errors of opening a store. Errors of port calls are the ports' own
//! types ([`kms_core::ports::PortError`] and the insert outcomes).

/// Opening or migrating the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite reported an error (the driver's error is the source).
    #[error("sqlite: {0}")]
    Sqlite(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was written by a newer version of this crate.
    #[error("database schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The database file (or its `-wal`/`-shm`) could not be created or
    /// made private.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A pragma did not take the value asked for.
    #[error("sqlite refused pragma {0}")]
    Pragma(&'static str),
    /// Another connection (a running server) has the database open.
    #[error("{path} is in use (is kms-server running on it?): stop it first")]
    InUse {
        /// The database.
        path: std::path::PathBuf,
    },
    /// The database has changes the backup lacks.
    #[error(
        "the database is newer than the backup (change counter {database} > {backup}); \
         pass --force to replace it anyway"
    )]
    NewerDatabase {
        /// The database's change counter.
        database: i64,
        /// The backup's.
        backup: i64,
    },
    /// The file fails SQLite's integrity check.
    #[error("{path} is not an intact database: {why}")]
    NotADatabase {
        /// The file.
        path: std::path::PathBuf,
        /// SQLite's verdict.
        why: String,
    },
    /// Sealing a legacy clear private key failed (nothing was changed).
    #[error("sealing the private key of certificate {certificate_id} failed")]
    Seal {
        /// The certificate whose key did not seal.
        certificate_id: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(Box::new(e))
    }
}

/// Result of opening a store.
pub type Result<T> = std::result::Result<T, Error>;
