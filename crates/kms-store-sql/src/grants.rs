//! The grant store ([`kms_core::ports::KeyGrantStore`]) over any
//! [`Driver`]: its table, its statements (rendered once per [`Dialect`])
//! and its operations.

use std::sync::LazyLock;

use kms_core::ports::{GrantRecord, InsertGrantError, PortError, PortResult, Timestamp};
use kms_model::{GrantOperation, GranteeType};

use crate::dialect::Dialect;
use crate::driver::{Access, Driver, Statement};
use crate::value::{Row, Value, to_i64, to_u64};

/// `CREATE TABLE key_grants` and its indexes as a literal (for
/// `concat!`), the same in both dialects (SQLite's `BIGINT` has integer
/// affinity). A grant goes with its key (`ON DELETE CASCADE`).
#[macro_export]
macro_rules! key_grants_sql {
    () => {
        r"
CREATE TABLE key_grants (
    grant_id           TEXT PRIMARY KEY NOT NULL,
    key_id             TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    domain_id          TEXT NOT NULL,
    project_id         TEXT NOT NULL,
    grantee_principal  TEXT NOT NULL,
    grantee_type       TEXT NOT NULL CHECK (grantee_type IN ('user', 'domain')),
    -- Comma-separated operation names, in the API reference's order.
    operations         TEXT NOT NULL,
    issuing_principal  TEXT NOT NULL,
    retiring_principal TEXT,
    name               TEXT NOT NULL,
    create_time        BIGINT NOT NULL
);
CREATE INDEX key_grants_by_key ON key_grants (key_id, create_time, grant_id);
CREATE INDEX key_grants_by_retiring ON key_grants (retiring_principal, create_time, grant_id);
"
    };
}

/// [`key_grants_sql!`] as a constant.
pub const KEY_GRANTS: &str = crate::key_grants_sql!();

/// The columns of a grant row, in [`grant`]'s order.
const GRANT_COLUMNS: &str = "grant_id, key_id, domain_id, project_id, grantee_principal, \
     grantee_type, operations, issuing_principal, retiring_principal, name, create_time";

/// The grant statements of one dialect.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct GrantQueries {
    pub insert: String,
    pub lock_key: String,
    pub count_of_key: String,
    pub of_key: String,
    pub count_listed: String,
    pub listed: String,
    pub count_retirable: String,
    pub retirable: String,
    pub delete: String,
    pub most_on_a_key: String,
}

impl GrantQueries {
    fn new(d: Dialect) -> Self {
        let r = |sql: &str| d.render(sql);
        let order = "ORDER BY create_time, grant_id";
        Self {
            insert: r(&format!(
                "INSERT INTO key_grants ({GRANT_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            )),
            lock_key: r(&format!(
                "SELECT 1 FROM keys WHERE project_id = ?1 AND key_id = ?2{}",
                d.for_update()
            )),
            count_of_key: r("SELECT COUNT(*) FROM key_grants WHERE key_id = ?1"),
            of_key: r(&format!(
                "SELECT {GRANT_COLUMNS} FROM key_grants WHERE key_id = ?1 {order}"
            )),
            count_listed: r(
                "SELECT COUNT(*) FROM key_grants WHERE project_id = ?1 AND key_id = ?2",
            ),
            listed: r(&format!(
                "SELECT {GRANT_COLUMNS} FROM key_grants WHERE project_id = ?1 AND key_id = ?2
                 {order} LIMIT ?3 OFFSET ?4"
            )),
            count_retirable: r("SELECT COUNT(*) FROM key_grants WHERE retiring_principal = ?1"),
            retirable: r(&format!(
                "SELECT {GRANT_COLUMNS} FROM key_grants WHERE retiring_principal = ?1
                 {order} LIMIT ?2 OFFSET ?3"
            )),
            delete: r("DELETE FROM key_grants WHERE key_id = ?1 AND grant_id = ?2"),
            most_on_a_key: r("SELECT COUNT(*) AS n FROM key_grants WHERE project_id = ?1
                 GROUP BY key_id ORDER BY n DESC LIMIT 1"),
        }
    }
}

/// The grant statements of `d` (rendered once).
fn q<D: Driver>() -> &'static GrantQueries {
    static SQLITE: LazyLock<GrantQueries> = LazyLock::new(|| GrantQueries::new(Dialect::Sqlite));
    static POSTGRES: LazyLock<GrantQueries> =
        LazyLock::new(|| GrantQueries::new(Dialect::Postgres));
    match D::DIALECT {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn corrupt(what: &'static str) -> PortError {
    PortError::corrupt(what)
}

/// A grant row (columns as `GRANT_COLUMNS` lists them).
///
/// # Errors
/// A column of the wrong type, an unknown grantee type or operation.
pub fn grant(r: &Row) -> PortResult<GrantRecord> {
    let grantee_type = match r.text(5)?.as_str() {
        "user" => GranteeType::User,
        "domain" => GranteeType::Domain,
        _ => return Err(corrupt("grant row: unknown grantee type")),
    };
    let operations = r
        .text(6)?
        .split(',')
        .map(|s| GrantOperation::parse(s).map_err(|_| corrupt("grant row: unknown operation")))
        .collect::<PortResult<Vec<_>>>()?;
    Ok(GrantRecord {
        grant_id: r.text(0)?,
        key_id: r.text(1)?,
        domain_id: r.text(2)?,
        project_id: r.text(3)?,
        grantee_principal: r.text(4)?,
        grantee_type,
        operations,
        issuing_principal: r.text(7)?,
        retiring_principal: r.opt_text(8)?,
        name: r.text(9)?,
        creation_date: Timestamp(r.int(10)?),
    })
}

fn params(g: &GrantRecord) -> Vec<Value> {
    let ops: Vec<&str> = g.operations.iter().map(|o| o.as_str()).collect();
    vec![
        (&g.grant_id).into(),
        (&g.key_id).into(),
        (&g.domain_id).into(),
        (&g.project_id).into(),
        (&g.grantee_principal).into(),
        g.grantee_type.as_str().into(),
        ops.join(",").into(),
        (&g.issuing_principal).into(),
        g.retiring_principal.as_deref().into(),
        (&g.name).into(),
        g.creation_date.0.into(),
    ]
}

fn grants(rows: &[Row]) -> PortResult<Vec<GrantRecord>> {
    rows.iter().map(grant).collect()
}

/// [`kms_core::ports::KeyGrantStore::insert_grant`]: the key's row locked
/// (PostgreSQL; SQLite's write transaction holds the database), the count
/// checked, the row inserted, in one transaction.
///
/// # Errors
/// As the port.
pub fn insert_grant<D: Driver>(
    d: &D,
    g: &GrantRecord,
    max_per_key: u64,
) -> Result<(), InsertGrantError> {
    let qs = q::<D>();
    let row = params(g);
    let res = d.run(Access::Transaction, |c| {
        if c.query_opt(&qs.lock_key, &[(&g.project_id).into(), (&g.key_id).into()])?
            .is_none()
        {
            return Ok(Err(InsertGrantError::KeyNotFound));
        }
        let n = c.count(&qs.count_of_key, &[(&g.key_id).into()])?;
        if to_u64(n) >= max_per_key {
            return Ok(Err(InsertGrantError::TooMany));
        }
        c.execute(&qs.insert, &row)?;
        c.commit()?;
        Ok(Ok(()))
    });
    res.map_err(|e| InsertGrantError::Backend(d.fail(e, "insert grant")))?
}

/// [`kms_core::ports::KeyGrantStore::grants_of_key`].
///
/// # Errors
/// As the port.
pub fn grants_of_key<D: Driver>(d: &D, key_id: &str) -> PortResult<Vec<GrantRecord>> {
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&q::<D>().of_key, &[key_id.into()])?)
        })
        .map_err(|e| d.fail(e, "grants of key"))?;
    grants(&found)
}

/// A count and a page, in one snapshot.
fn page<D: Driver>(
    d: &D,
    op: &'static str,
    (count, page): (&str, &str),
    filter: Vec<Value>,
    offset: u64,
    limit: u64,
) -> PortResult<(u64, Vec<GrantRecord>)> {
    let mut page_params = filter.clone();
    page_params.push(to_i64(limit).into());
    page_params.push(to_i64(offset).into());
    let (total, rows) = d
        .run(Access::Snapshot, |c| {
            let answers = c.batch(vec![
                Statement::query(count, filter),
                Statement::query(page, page_params),
            ])?;
            let mut it = answers.into_iter();
            let total = it.next().map(|a| a.count()).transpose()?.unwrap_or(0);
            let rows = it.next().map(|a| a.rows()).unwrap_or_default();
            Ok((to_u64(total), rows))
        })
        .map_err(|e| d.fail(e, op))?;
    Ok((total, grants(&rows)?))
}

/// [`kms_core::ports::KeyGrantStore::list_grants`].
///
/// # Errors
/// As the port.
pub fn list_grants<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    offset: u64,
    limit: u64,
) -> PortResult<(u64, Vec<GrantRecord>)> {
    let qs = q::<D>();
    page(
        d,
        "list grants",
        (&qs.count_listed, &qs.listed),
        vec![project_id.into(), key_id.into()],
        offset,
        limit,
    )
}

/// [`kms_core::ports::KeyGrantStore::list_retirable_grants`].
///
/// # Errors
/// As the port.
pub fn list_retirable_grants<D: Driver>(
    d: &D,
    principal: &str,
    offset: u64,
    limit: u64,
) -> PortResult<(u64, Vec<GrantRecord>)> {
    let qs = q::<D>();
    page(
        d,
        "list retirable grants",
        (&qs.count_retirable, &qs.retirable),
        vec![principal.into()],
        offset,
        limit,
    )
}

/// [`kms_core::ports::KeyGrantStore::delete_grant`].
///
/// # Errors
/// As the port.
pub fn delete_grant<D: Driver>(d: &D, key_id: &str, grant_id: &str) -> PortResult<bool> {
    let params = [key_id.into(), grant_id.into()];
    let n = d
        .run(Access::Write, |c| Ok(c.execute(&q::<D>().delete, &params)?))
        .map_err(|e| d.fail(e, "delete grant"))?;
    Ok(n > 0)
}

/// [`kms_core::ports::KeyGrantStore::most_grants_on_a_key`].
///
/// # Errors
/// As the port.
pub fn most_grants_on_a_key<D: Driver>(d: &D, project_id: &str) -> PortResult<u64> {
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&q::<D>().most_on_a_key, &[project_id.into()])?)
        })
        .map_err(|e| d.fail(e, "most grants on a key"))?;
    match found.first() {
        None => Ok(0),
        Some(r) => u64::try_from(r.int(0)?).map_err(|_| corrupt("negative grant count")),
    }
}
