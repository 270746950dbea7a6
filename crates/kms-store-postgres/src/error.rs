//! Errors of opening a store. Errors of port calls are the ports' own
//! types ([`kms_core::ports::PortError`] and the insert outcomes).

/// Connecting to or migrating the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PostgreSQL (or the connection to it) reported an error.
    #[error("postgres: {}", crate::store::describe(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection could be taken from the pool (PostgreSQL unreachable,
    /// refused the login, or did not answer in time).
    #[error("postgres connection: {}", crate::store::describe_pool(.0))]
    Pool(#[from] deadpool_postgres::PoolError),
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

/// Result of opening a store.
pub type Result<T> = std::result::Result<T, Error>;
