//! [`SqliteStore`] as a [`kms_store_sql::Driver`]: statements on the
//! reader pool or the writer, write transactions `BEGIN IMMEDIATE`, and
//! SQLite's failures and constraint messages as the ports report them.

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;

use kms_core::ports::PortErrorKind;
use kms_store_sql::{
    Access, Conn, Constraint, DbError, Dialect, Driver, Fail, Row, Value, Violation, Work,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use crate::store::{FAILURES, SqliteStore};

/// A parameter as rusqlite binds it.
struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
            Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
        }))
    }
}

fn cell(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        // No REAL column in the schema: read as its bits would be wrong,
        // so it is a type the row readers refuse.
        ValueRef::Real(_) => Value::Null,
        ValueRef::Text(t) => {
            String::from_utf8(t.to_vec()).map_or_else(|e| Value::Bytes(e.into_bytes()), Value::Text)
        }
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

/// Which constraint a failed statement broke, from SQLite's message
/// (`UNIQUE constraint failed: keystores.domain_id, keystores.alias`;
/// SQLite names the columns of a UNIQUE constraint and never a foreign
/// key).
fn violation(e: &rusqlite::Error) -> Option<Violation> {
    let rusqlite::Error::SqliteFailure(err, msg) = e else {
        return None;
    };
    if err.code != ErrorCode::ConstraintViolation {
        return None;
    }
    let msg = msg.as_deref().unwrap_or("");
    if let Some(cols) = msg.strip_prefix("UNIQUE constraint failed: ") {
        Some(Violation::Unique(Constraint::from_sqlite_columns(cols)))
    } else if msg.starts_with("FOREIGN KEY") {
        Some(Violation::ForeignKey(None))
    } else {
        None
    }
}

fn db_error(e: &rusqlite::Error) -> DbError {
    DbError {
        violation: violation(e),
        kind: PortErrorKind::Unavailable,
        text: e.to_string(),
    }
}

fn query(c: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = c.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(Bind)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(cell(r.get_ref(i)?));
        }
        out.push(Row(row));
    }
    Ok(out)
}

fn execute(c: &Connection, sql: &str, params: &[Value]) -> rusqlite::Result<u64> {
    let n = c
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(params.iter().map(Bind)))?;
    Ok(n as u64)
}

/// A read connection or the writer, outside a transaction.
struct Plain<'a>(&'a Connection);

impl Conn for Plain<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        query(self.0, sql, params).map_err(|e| db_error(&e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        execute(self.0, sql, params).map_err(|e| db_error(&e))
    }

    fn commit(&mut self) -> Result<(), DbError> {
        Ok(())
    }
}

/// The writer inside `BEGIN IMMEDIATE`; dropped uncommitted, it rolls back.
struct Tx<'a>(Option<Transaction<'a>>);

impl Tx<'_> {
    fn conn(&self) -> Result<&Connection, DbError> {
        self.0
            .as_deref()
            .ok_or_else(|| DbError::new(PortErrorKind::Other, "transaction already committed"))
    }
}

impl Conn for Tx<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        query(self.conn()?, sql, params).map_err(|e| db_error(&e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        execute(self.conn()?, sql, params).map_err(|e| db_error(&e))
    }

    fn commit(&mut self) -> Result<(), DbError> {
        match self.0.take() {
            Some(tx) => tx.commit().map_err(|e| db_error(&e)),
            None => Ok(()),
        }
    }
}

impl Driver for SqliteStore {
    const DIALECT: Dialect = Dialect::Sqlite;

    const FAILURES: &'static AtomicU64 = &FAILURES;

    fn run<T>(&self, access: Access, f: impl Work<T>) -> Result<T, Fail> {
        match access {
            Access::Read | Access::Snapshot => self.read(|c| f(&mut Plain(c))),
            Access::Write => self.write(|c| f(&mut Plain(c))),
            Access::Transaction => self.write(|c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| db_error(&e))?;
                f(&mut Tx(Some(tx)))
            }),
        }
    }

    fn context(_op: &'static str) -> Cow<'static, str> {
        Cow::Borrowed("sqlite")
    }
}

kms_store_sql::impl_store_ports!(SqliteStore);
