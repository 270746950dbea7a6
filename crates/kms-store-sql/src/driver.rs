//! What an adapter provides: connections and transactions.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use kms_core::ports::{PortError, PortResult};

use crate::dialect::Dialect;
use crate::value::{DbError, Row, Value};

/// One connection (or open transaction) of a driver, for the duration of
/// one [`Driver::run`].
pub trait Conn {
    /// Runs a statement that returns rows.
    ///
    /// # Errors
    /// The driver's failure.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

    /// Runs a statement; returns how many rows it changed.
    ///
    /// # Errors
    /// The driver's failure.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

    /// Runs statements one after the other (stopping at the first that
    /// fails), in one round trip to the driver where it has such a cost.
    ///
    /// # Errors
    /// The driver's failure.
    fn batch(&mut self, statements: Vec<Statement<'_>>) -> Result<Vec<Answer>, DbError> {
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            out.push(if s.rows {
                Answer::Rows(self.query(s.sql, &s.params)?)
            } else {
                Answer::Changed(self.execute(s.sql, &s.params)?)
            });
        }
        Ok(out)
    }

    /// Commits the transaction of an [`Access::Transaction`] (a no-op
    /// otherwise). A transaction not committed when [`Driver::run`]'s
    /// closure returns is rolled back.
    ///
    /// # Errors
    /// The driver's failure.
    fn commit(&mut self) -> Result<(), DbError>;
}

/// One statement of a [`Conn::batch`].
#[derive(Debug)]
pub struct Statement<'a> {
    /// The SQL.
    pub sql: &'a str,
    /// Its parameters.
    pub params: Vec<Value>,
    /// Whether it returns rows (else: how many rows it changed).
    pub rows: bool,
}

impl<'a> Statement<'a> {
    /// A statement that returns rows.
    #[must_use]
    pub fn query(sql: &'a str, params: Vec<Value>) -> Self {
        Self {
            sql,
            params,
            rows: true,
        }
    }

    /// A statement that changes rows.
    #[must_use]
    pub fn execute(sql: &'a str, params: Vec<Value>) -> Self {
        Self {
            sql,
            params,
            rows: false,
        }
    }
}

/// What a statement of a [`Conn::batch`] answered.
#[derive(Debug)]
pub enum Answer {
    /// Its rows.
    Rows(Vec<Row>),
    /// How many rows it changed.
    Changed(u64),
}

impl Answer {
    /// The rows (none for a statement that changed rows).
    #[must_use]
    pub fn rows(self) -> Vec<Row> {
        match self {
            Self::Rows(rows) => rows,
            Self::Changed(_) => Vec::new(),
        }
    }

    /// The first row, if any.
    #[must_use]
    pub fn first(self) -> Option<Row> {
        self.rows().into_iter().next()
    }

    /// The integer of the first row's first column (a `COUNT(*)`).
    ///
    /// # Errors
    /// No such integer.
    pub fn count(self) -> PortResult<i64> {
        self.first().unwrap_or_default().int(0)
    }

    /// How many rows the statement changed (returned, for a query).
    #[must_use]
    pub fn changed(self) -> u64 {
        match self {
            Self::Rows(rows) => rows.len() as u64,
            Self::Changed(n) => n,
        }
    }
}

impl dyn Conn + '_ {
    /// The first row of a statement's result, if any.
    ///
    /// # Errors
    /// The driver's failure.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The integer a `SELECT COUNT(*)` returns.
    ///
    /// # Errors
    /// The driver's failure, or no integer.
    pub fn count(&mut self, sql: &str, params: &[Value]) -> Result<i64, Fail> {
        let row = self.query_opt(sql, params)?.unwrap_or_default();
        Ok(row.int(0)?)
    }
}

/// What a [`Driver::run`] needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// One read statement (or several that need not agree).
    Read,
    /// Several reads that must see one state of the database.
    Snapshot,
    /// One write statement.
    Write,
    /// Several statements, all or none: a write transaction.
    Transaction,
}

/// Why a store operation stopped.
#[derive(Debug)]
pub enum Fail {
    /// The driver failed (or a constraint refused a statement).
    Db(DbError),
    /// The data read back is wrong, or another port error.
    Port(PortError),
}

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<PortError> for Fail {
    fn from(e: PortError) -> Self {
        Self::Port(e)
    }
}

/// What [`Driver::run`] runs on a connection.
pub trait Work<T>: FnOnce(&mut dyn Conn) -> Result<T, Fail> {}

impl<T, F: FnOnce(&mut dyn Conn) -> Result<T, Fail>> Work<T> for F {}

/// A database driver: connections and transactions, and its failures as
/// the ports report them. `ops` does the rest.
pub trait Driver {
    /// The SQL the database speaks.
    const DIALECT: Dialect;

    /// Failed calls of every store of this driver in the process (a
    /// host's metrics read it).
    const FAILURES: &'static AtomicU64;

    /// Runs `f` on a connection fit for `access`.
    ///
    /// # Errors
    /// `f`'s error, or no connection.
    fn run<T>(&self, access: Access, f: impl Work<T>) -> Result<T, Fail>;

    /// The [`PortError`] context of a failure of operation `op` (e.g.
    /// `"get key"`).
    fn context(op: &'static str) -> Cow<'static, str>;

    /// A failure of operation `op` as the ports report it, counted in
    /// [`Self::FAILURES`].
    fn port_error(&self, e: DbError, op: &'static str) -> PortError {
        Self::FAILURES.fetch_add(1, Ordering::Relaxed);
        PortError::new(e.kind, Self::context(op)).with_source(e.source())
    }

    /// [`Self::port_error`], or the port error itself.
    fn fail(&self, e: Fail, op: &'static str) -> PortError {
        match e {
            Fail::Db(e) => self.port_error(e, op),
            Fail::Port(e) => e,
        }
    }
}
