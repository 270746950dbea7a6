//! [`PostgresStore`] as a [`kms_store_sql::Driver`].
//!
//! A [`kms_store_sql::Conn`] here is a pooled connection taken on the
//! adapter's runtime with its first statement (one hop to the runtime for
//! a one-statement port call, as before). A snapshot or a transaction
//! sends its `BEGIN` with that first statement, and a batch of statements
//! is one hop; a transaction not committed when the call ends is rolled
//! back on the runtime (the call does not wait for it), and a connection
//! whose task was dropped inside a transaction, or that could not end
//! one, is closed rather than returned to the pool.

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;

use deadpool_postgres::{Object, Pool};
use kms_store_sql::{
    Access, Answer, Conn, DbError, Dialect, Driver, Fail, Row, Statement, Value, Work, describe,
};
use tokio_postgres::types::{ToSql, Type};

use crate::fail::Fail as PgFail;
use crate::store::{FAILURES, PostgresStore};

/// A parameter as tokio-postgres binds it, typed as the statement expects
/// (a NULL needs a type too).
fn bind(v: Value, ty: &Type) -> Box<dyn ToSql + Sync + Send> {
    match v {
        Value::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Value::Null if *ty == Type::INT4 => Box::new(None::<i32>),
        Value::Null if *ty == Type::BOOL => Box::new(None::<bool>),
        Value::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
        Value::Null => Box::new(None::<String>),
        Value::Int(i) if *ty == Type::INT4 => Box::new(i32::try_from(i).unwrap_or(i32::MAX)),
        Value::Int(i) => Box::new(i),
        Value::Text(t) => Box::new(t),
        Value::Bytes(b) => Box::new(b),
        Value::Bool(b) => Box::new(b),
    }
}

/// A result column, by its type.
fn cell(r: &tokio_postgres::Row, i: usize) -> Result<Value, tokio_postgres::Error> {
    let ty = r.columns()[i].type_();
    Ok(if *ty == Type::INT8 {
        r.try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Int)
    } else if *ty == Type::INT4 {
        r.try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |v| Value::Int(i64::from(v)))
    } else if *ty == Type::BOOL {
        r.try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, Value::Bool)
    } else if *ty == Type::BYTEA {
        r.try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Bytes)
    } else {
        // TEXT, or an error naming the type.
        r.try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text)
    })
}

/// A pooled connection inside the runtime's task: dropped there (the task
/// timed out) inside a transaction, the connection is closed, which rolls
/// the transaction back, instead of going back to the pool mid-transaction.
struct Held {
    client: Option<Object>,
    in_tx: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let (Some(c), true) = (self.client.take(), self.in_tx) {
            drop(Object::take(c));
        }
    }
}

/// A [`Statement`] owned, to move into the runtime's task.
type Owned = (String, Vec<Value>, bool);

async fn statement(c: &Object, (sql, params, rows): Owned) -> Result<Answer, PgFail> {
    let stmt = c.prepare_cached(&sql).await?;
    let binds: Vec<_> = params
        .into_iter()
        .zip(stmt.params())
        .map(|(v, ty)| bind(v, ty))
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| &**b as _).collect();
    if !rows {
        return Ok(Answer::Changed(c.execute(&stmt, &refs).await?));
    }
    let mut out = Vec::new();
    for r in c.query(&stmt, &refs).await? {
        let row = (0..r.len()).map(|i| cell(&r, i)).collect::<Result<_, _>>();
        out.push(Row(row.map_err(|e| PgFail::Unreadable(describe(&e)))?));
    }
    Ok(Answer::Rows(out))
}

/// One [`Driver::run`]'s connection.
struct PgConn<'s> {
    store: &'s PostgresStore,
    client: Option<Object>,
    /// The `BEGIN` to send with the first statement.
    begin: Option<&'static str>,
    /// A transaction is open on `client`.
    open: bool,
}

impl PgConn<'_> {
    /// Runs `statements` (after the pending `BEGIN`) on the runtime, in
    /// one hop, stopping at the first that fails.
    fn hop(&mut self, statements: Vec<Owned>) -> Result<Vec<Answer>, DbError> {
        let pool: Pool = self.store.pool();
        let mut held = Held {
            client: self.client.take(),
            in_tx: self.open,
        };
        let begin = self.begin.take();
        let (client, open, answers) = self
            .store
            .call(async move {
                if held.client.is_none() {
                    held.client = Some(pool.get().await?);
                }
                let answers = match &held.client {
                    Some(c) => {
                        let mut answers = Ok(Vec::with_capacity(statements.len()));
                        if let Some(b) = begin {
                            match c.batch_execute(b).await {
                                Ok(()) => held.in_tx = true,
                                Err(e) => answers = Err(e.into()),
                            }
                        }
                        for st in statements {
                            let Ok(done) = &mut answers else { break };
                            match statement(c, st).await {
                                Ok(a) => done.push(a),
                                Err(e) => answers = Err(e),
                            }
                        }
                        answers
                    }
                    None => Err(PgFail::Gone),
                };
                let open = held.in_tx;
                held.in_tx = false;
                Ok((held.client.take(), open, answers))
            })
            .map_err(PgFail::into_db)?;
        self.client = client;
        self.open = open;
        answers.map_err(PgFail::into_db)
    }

    fn one(&mut self, sql: &str, params: &[Value], rows: bool) -> Result<Answer, DbError> {
        let mut answers = self.hop(vec![(sql.to_owned(), params.to_vec(), rows)])?;
        answers.pop().ok_or_else(|| PgFail::Gone.into_db())
    }
}

impl Drop for PgConn<'_> {
    /// Rolls an open transaction back on the runtime without waiting (a
    /// snapshot's reads are done; a failed transaction's answer is known);
    /// the connection goes back to the pool after it, or is closed when
    /// the rollback fails.
    fn drop(&mut self) {
        if let (true, Some(c)) = (self.open, self.client.take()) {
            self.store.detach(async move {
                if c.batch_execute("ROLLBACK").await.is_err() {
                    drop(Object::take(c));
                }
            });
        }
    }
}

impl Conn for PgConn<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        Ok(self.one(sql, params, true)?.rows())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        Ok(self.one(sql, params, false)?.changed())
    }

    fn batch(&mut self, statements: Vec<Statement<'_>>) -> Result<Vec<Answer>, DbError> {
        let owned = statements
            .into_iter()
            .map(|s| (s.sql.to_owned(), s.params, s.rows))
            .collect();
        self.hop(owned)
    }

    fn commit(&mut self) -> Result<(), DbError> {
        if !self.open {
            return Ok(());
        }
        let res = self.hop(vec![("COMMIT".to_owned(), Vec::new(), false)]);
        if res.is_err() {
            // Not known to have ended: never back to the pool.
            self.client.take().map(Object::take);
        }
        self.open = false;
        res.map(drop)
    }
}

impl Driver for PostgresStore {
    const DIALECT: Dialect = Dialect::Postgres;

    const FAILURES: &'static AtomicU64 = &FAILURES;

    fn run<T>(&self, access: Access, f: impl Work<T>) -> Result<T, Fail> {
        let begin = match access {
            Access::Read | Access::Write => None,
            // One snapshot for a count and its page, an existence check
            // and what it guards.
            Access::Snapshot => Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            Access::Transaction => Some("BEGIN"),
        };
        f(&mut PgConn {
            store: self,
            client: None,
            begin,
            open: false,
        })
    }

    fn context(op: &'static str) -> Cow<'static, str> {
        Cow::Owned(format!("postgres: {op}"))
    }
}

kms_store_sql::impl_store_ports!(PostgresStore);
