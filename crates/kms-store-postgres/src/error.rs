//! Errors of opening a store. Errors of port calls are the ports' own
//! types ([`kms_core::ports::PortError`] and the insert outcomes).

use kms_store_sql::describe;

/// Connecting to or migrating the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PostgreSQL (or the connection to it) reported an error (the driver's
    /// error is the source).
    #[error("postgres: {}", describe(&**.0))]
    Postgres(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No connection could be taken from the pool (PostgreSQL unreachable,
    /// refused the login, or did not answer in time).
    #[error("postgres connection: {}", describe(&**.0))]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database was written by a newer version of this crate.
    #[error("database schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// The version recorded in `kms_schema_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The options or the connection URL are unusable.
    #[error("postgres configuration: {0}")]
    Config(String),
    /// The adapter's I/O runtime could not be started.
    #[error("postgres runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Opening did not finish in time.
    #[error("postgres: no answer within {0:?}")]
    Timeout(std::time::Duration),
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Postgres(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        // The backend's own error says why (e.g. "Connection refused").
        match e {
            deadpool_postgres::PoolError::Backend(e) => Self::Pool(Box::new(e)),
            other => Self::Pool(Box::new(other)),
        }
    }
}

/// Result of opening a store.
pub type Result<T> = std::result::Result<T, Error>;
