//! Why a call on the adapter's runtime failed, and what the ports make of
//! it.

use std::time::Duration;

use deadpool_postgres::PoolError;
use kms_core::ports::PortErrorKind;
use kms_store_sql::{Constraint, DbError, Violation, describe};
use tokio_postgres::error::SqlState;

/// Why a port call failed before it could give an answer.
#[derive(Debug)]
pub(crate) enum Fail {
    Pg(tokio_postgres::Error),
    Pool(PoolError),
    Timeout(Duration),
    /// The adapter's runtime is gone (the call's task was dropped).
    Gone,
    /// A result column could not be read (the driver's text).
    Unreadable(String),
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

pub(crate) type Call<T> = std::result::Result<T, Fail>;

/// The constraint a statement broke, by its name.
fn violation(e: &tokio_postgres::Error) -> Option<Violation> {
    let db = e.as_db_error()?;
    let constraint = db.constraint().and_then(Constraint::from_name);
    if *db.code() == SqlState::UNIQUE_VIOLATION {
        Some(Violation::Unique(constraint))
    } else if *db.code() == SqlState::FOREIGN_KEY_VIOLATION {
        Some(Violation::ForeignKey(constraint))
    } else {
        None
    }
}

impl Fail {
    /// As the ports see it: a lost or refused connection, a pool timeout,
    /// a server shutting down are [`PortErrorKind::Unavailable`]; a broken
    /// constraint is named; any other server error is
    /// [`PortErrorKind::Other`].
    pub(crate) fn into_db(self) -> DbError {
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
                DbError {
                    violation: violation(&e),
                    kind,
                    text: describe(&e),
                }
            }
            Self::Pool(e) => {
                let why = match &e {
                    PoolError::Backend(e) => describe(e),
                    other => describe(other),
                };
                DbError::new(
                    PortErrorKind::Unavailable,
                    format!("no connection to PostgreSQL: {why}"),
                )
            }
            Self::Timeout(d) => DbError::new(
                PortErrorKind::Unavailable,
                format!("PostgreSQL did not answer within {d:?}"),
            ),
            Self::Gone => DbError::new(
                PortErrorKind::Unavailable,
                "the PostgreSQL adapter's runtime stopped",
            ),
            Self::Unreadable(text) => DbError::new(PortErrorKind::Corrupt, text),
        }
    }
}
