//! [`kms_core::ports::KeyAliasStore`] over any [`Driver`]: the alias
//! API's table `key_aliases`, its statements per [`Dialect`] and the
//! port's operations. Each write is one transaction that first locks the
//! key row it counts aliases of (PostgreSQL's `FOR UPDATE`; SQLite's write
//! transaction holds the database), so the per-key limit holds under
//! concurrent writers; the alias's uniqueness in its project is the
//! table's primary key.

use std::sync::LazyLock;

use kms_core::ports::{AliasRecord, AliasWriteError, PortResult, Timestamp};

use crate::dialect::{Dialect, gone};
use crate::driver::{Access, Driver, Fail};
use crate::value::{Constraint, Row, Value, Violation, to_i64};

/// `CREATE TABLE key_aliases` and its index. `int`: the integer type;
/// `alias`: the alias column's type (PostgreSQL's `TEXT COLLATE "C"`, so
/// that order and `>` are byte order, as SQLite's default); `tail`: what
/// follows the table's closing parenthesis (SQLite's ` WITHOUT ROWID`).
#[macro_export]
macro_rules! key_aliases_table {
    (int: $int:literal, alias: $alias:literal, tail: $tail:literal) => {
        concat!(
            "
-- The alias API's aliases: unique per project, each naming one key of
-- its project; deleted with their key.
CREATE TABLE key_aliases (
    project_id  TEXT NOT NULL,
    alias       ",
            $alias,
            " NOT NULL,
    key_id      TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    domain_id   TEXT NOT NULL,
    create_time ",
            $int,
            " NOT NULL,
    update_time ",
            $int,
            " NOT NULL,
    CONSTRAINT key_alias_name PRIMARY KEY (project_id, alias)
)",
            $tail,
            ";
CREATE INDEX key_aliases_by_key ON key_aliases (key_id);
"
        )
    };
}

const ALIAS_COLUMNS: &str =
    "a.domain_id, a.project_id, a.alias, a.key_id, a.create_time, a.update_time";

/// The statements of the alias store, rendered per dialect.
#[derive(Debug)]
struct AliasQueries {
    lock_key: String,
    count_of_key: String,
    insert: String,
    lock_alias: String,
    move_alias: String,
    get: String,
    delete: String,
    list: String,
}

impl AliasQueries {
    fn new(d: Dialect) -> Self {
        let r = |sql: &str| d.render(sql);
        Self {
            lock_key: r(&format!(
                "SELECT 1 FROM keys WHERE project_id = ?1 AND key_id = ?2{}",
                d.for_update()
            )),
            count_of_key: r("SELECT COUNT(*) FROM key_aliases WHERE key_id = ?1"),
            insert: r("INSERT INTO key_aliases
                 (domain_id, project_id, alias, key_id, create_time, update_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            lock_alias: r(&format!(
                "SELECT key_id FROM key_aliases WHERE project_id = ?1 AND alias = ?2{}",
                d.for_update()
            )),
            move_alias: r("UPDATE key_aliases SET key_id = ?3, update_time = ?4
                 WHERE project_id = ?1 AND alias = ?2"),
            get: r(&format!(
                "SELECT {ALIAS_COLUMNS} FROM key_aliases a WHERE a.project_id = ?1 AND a.alias = ?2"
            )),
            delete: r(
                "DELETE FROM key_aliases WHERE project_id = ?1 AND alias = ?2
                 AND (?3::text IS NULL OR key_id = ?3::text)",
            ),
            list: r(&format!(
                "SELECT {ALIAS_COLUMNS} FROM key_aliases a JOIN keys k ON k.key_id = a.key_id
                 WHERE a.project_id = ?1
                   AND (?2::text IS NULL OR a.key_id = ?2::text)
                   AND (?3::text IS NULL OR a.alias > ?3::text)
                   AND {}
                 ORDER BY a.alias LIMIT ?5",
                gone("k.", 4)
            )),
        }
    }
}

fn queries(d: Dialect) -> &'static AliasQueries {
    static SQLITE: LazyLock<AliasQueries> = LazyLock::new(|| AliasQueries::new(Dialect::Sqlite));
    static POSTGRES: LazyLock<AliasQueries> =
        LazyLock::new(|| AliasQueries::new(Dialect::Postgres));
    match d {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn record(r: &Row) -> PortResult<AliasRecord> {
    Ok(AliasRecord {
        domain_id: r.text(0)?,
        project_id: r.text(1)?,
        alias: r.text(2)?,
        key_id: r.text(3)?,
        create_time: Timestamp(r.int(4)?),
        update_time: Timestamp(r.int(5)?),
    })
}

fn too_many(count: i64, max_per_key: usize) -> bool {
    usize::try_from(count).unwrap_or(usize::MAX) >= max_per_key
}

/// [`kms_core::ports::KeyAliasStore::insert_alias`].
///
/// # Errors
/// As the port.
pub fn insert_alias<D: Driver>(
    d: &D,
    a: &AliasRecord,
    max_per_key: usize,
) -> Result<(), AliasWriteError> {
    let qs = queries(D::DIALECT);
    let res = d.run(Access::Transaction, |c| {
        if c.query_opt(&qs.lock_key, &[(&a.project_id).into(), (&a.key_id).into()])?
            .is_none()
        {
            return Ok(Err(AliasWriteError::KeyNotFound));
        }
        if too_many(
            c.count(&qs.count_of_key, &[(&a.key_id).into()])?,
            max_per_key,
        ) {
            return Ok(Err(AliasWriteError::TooMany));
        }
        let params: [Value; 6] = [
            (&a.domain_id).into(),
            (&a.project_id).into(),
            (&a.alias).into(),
            (&a.key_id).into(),
            a.create_time.0.into(),
            a.update_time.0.into(),
        ];
        c.execute(&qs.insert, &params)?;
        c.commit()?;
        Ok(Ok(()))
    });
    match res {
        Ok(r) => r,
        Err(e) => match &e {
            Fail::Db(db)
                if matches!(
                    db.violation,
                    Some(Violation::Unique(Some(Constraint::AliasName) | None))
                ) =>
            {
                Err(AliasWriteError::AliasTaken)
            }
            _ => Err(d.fail(e, "insert alias").into()),
        },
    }
}

/// [`kms_core::ports::KeyAliasStore::associate_alias`].
///
/// # Errors
/// As the port.
pub fn associate_alias<D: Driver>(
    d: &D,
    project_id: &str,
    alias: &str,
    target_key_id: &str,
    max_per_key: usize,
    at: Timestamp,
) -> Result<AliasRecord, AliasWriteError> {
    let qs = queries(D::DIALECT);
    let res = d.run(Access::Transaction, |c| {
        if c.query_opt(&qs.lock_key, &[project_id.into(), target_key_id.into()])?
            .is_none()
        {
            return Ok(Err(AliasWriteError::KeyNotFound));
        }
        let Some(current) = c.query_opt(&qs.lock_alias, &[project_id.into(), alias.into()])? else {
            return Ok(Err(AliasWriteError::AliasNotFound));
        };
        if current.text(0)? != target_key_id
            && too_many(
                c.count(&qs.count_of_key, &[target_key_id.into()])?,
                max_per_key,
            )
        {
            return Ok(Err(AliasWriteError::TooMany));
        }
        c.execute(
            &qs.move_alias,
            &[
                project_id.into(),
                alias.into(),
                target_key_id.into(),
                at.0.into(),
            ],
        )?;
        let row = c
            .query_opt(&qs.get, &[project_id.into(), alias.into()])?
            .unwrap_or_default();
        let moved = record(&row)?;
        c.commit()?;
        Ok(Ok(moved))
    });
    res.map_err(|e| AliasWriteError::Backend(d.fail(e, "associate alias")))?
}

/// [`kms_core::ports::KeyAliasStore::delete_aliases`].
///
/// # Errors
/// As the port.
pub fn delete_aliases<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: Option<&str>,
    aliases: &[String],
) -> Result<(), AliasWriteError> {
    let qs = queries(D::DIALECT);
    let res = d.run(Access::Transaction, |c| {
        for a in aliases {
            let params: [Value; 3] = [project_id.into(), a.into(), key_id.into()];
            if c.execute(&qs.delete, &params)? == 0 {
                // Not committed: every delete is rolled back.
                return Ok(Err(AliasWriteError::AliasNotFound));
            }
        }
        c.commit()?;
        Ok(Ok(()))
    });
    res.map_err(|e| AliasWriteError::Backend(d.fail(e, "delete aliases")))?
}

/// [`kms_core::ports::KeyAliasStore::get_alias`].
///
/// # Errors
/// As the port.
pub fn get_alias<D: Driver>(
    d: &D,
    project_id: &str,
    alias: &str,
) -> PortResult<Option<AliasRecord>> {
    let params = [project_id.into(), alias.into()];
    d.run(Access::Read, |c| {
        Ok(c.query_opt(&queries(D::DIALECT).get, &params)?)
    })
    .map_err(|e| d.fail(e, "get alias"))?
    .map(|r| record(&r))
    .transpose()
}

/// [`kms_core::ports::KeyAliasStore::list_aliases`].
///
/// # Errors
/// As the port.
pub fn list_aliases<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: Option<&str>,
    after: Option<&str>,
    limit: u64,
    live_at: Timestamp,
) -> PortResult<Vec<AliasRecord>> {
    let params: [Value; 5] = [
        project_id.into(),
        key_id.into(),
        after.into(),
        live_at.0.into(),
        to_i64(limit).into(),
    ];
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&queries(D::DIALECT).list, &params)?)
        })
        .map_err(|e| d.fail(e, "list aliases"))?;
    found.iter().map(record).collect()
}
