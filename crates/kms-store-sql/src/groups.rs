//! Multi-region groups over any [`Driver`]: the table `key_groups` (one
//! row per member key, cascading with it), its statements per [`Dialect`]
//! and the [`kms_core::ports::MasterKeyStore`] methods that read and write
//! it. A replica is inserted in one transaction with its key row, every
//! version of its material and both members' rows; the group's one member
//! per region is a unique index.

use std::sync::LazyLock;

use kms_core::ports::{GroupMember, InsertReplicaError, KeyRecord, PortResult};
use kms_crypto::WrappedMasterKey;

use crate::dialect::Dialect;
use crate::driver::{Access, Driver, Fail, Statement};
use crate::value::{Constraint, Row, Value, Violation};

/// `CREATE TABLE key_groups` and its indexes. `flag`: the boolean type
/// (SQLite's `INTEGER` with a CHECK, PostgreSQL's `BOOLEAN`); `tail`:
/// what follows the table's closing parenthesis.
#[macro_export]
macro_rules! key_groups_table {
    (flag: $flag:literal, tail: $tail:literal) => {
        concat!(
            "
-- Multi-region groups: keys of one account in different regions holding
-- the same material; one row per member, deleted with its key.
CREATE TABLE key_groups (
    key_id     TEXT PRIMARY KEY REFERENCES keys (key_id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL,
    project_id TEXT NOT NULL,
    domain_id  TEXT NOT NULL,
    region_id  TEXT NOT NULL,
    is_primary ",
            $flag,
            " NOT NULL
)",
            $tail,
            ";
CREATE UNIQUE INDEX key_group_region ON key_groups (group_id, region_id);
"
        )
    };
}

const MEMBER_COLUMNS: &str = "key_id, project_id, domain_id, region_id, group_id, is_primary";

#[derive(Debug)]
struct GroupQueries {
    group: String,
    insert_member: String,
    insert_source: String,
    set_primary: String,
}

impl GroupQueries {
    fn new(d: Dialect) -> Self {
        let r = |sql: &str| d.render(sql);
        Self {
            group: r(&format!(
                "SELECT {MEMBER_COLUMNS} FROM key_groups
                 WHERE group_id = (SELECT group_id FROM key_groups WHERE key_id = ?1)"
            )),
            insert_member: r("INSERT INTO key_groups
                 (key_id, project_id, domain_id, region_id, group_id, is_primary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            insert_source: r("INSERT INTO key_groups
                 (key_id, project_id, domain_id, region_id, group_id, is_primary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key_id) DO NOTHING"),
            set_primary: r("UPDATE key_groups SET is_primary = (key_id = ?1)
                 WHERE group_id = (SELECT group_id FROM key_groups WHERE key_id = ?1)"),
        }
    }
}

fn queries(d: Dialect) -> &'static GroupQueries {
    static SQLITE: LazyLock<GroupQueries> = LazyLock::new(|| GroupQueries::new(Dialect::Sqlite));
    static POSTGRES: LazyLock<GroupQueries> =
        LazyLock::new(|| GroupQueries::new(Dialect::Postgres));
    match d {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn member(r: &Row) -> PortResult<GroupMember> {
    Ok(GroupMember {
        key_id: r.text(0)?,
        project_id: r.text(1)?,
        domain_id: r.text(2)?,
        region_id: r.text(3)?,
        group_id: r.text(4)?,
        primary: r.flag(5)?,
    })
}

fn member_params(m: &GroupMember, group_id: &str, primary: bool) -> Vec<Value> {
    vec![
        (&m.key_id).into(),
        (&m.project_id).into(),
        (&m.domain_id).into(),
        (&m.region_id).into(),
        group_id.into(),
        primary.into(),
    ]
}

/// [`kms_core::ports::MasterKeyStore::key_group`].
///
/// # Errors
/// As the port.
pub fn key_group<D: Driver>(d: &D, key_id: &str) -> PortResult<Vec<GroupMember>> {
    let rows = d
        .run(Access::Read, |c| {
            Ok(c.query(&queries(D::DIALECT).group, &[key_id.into()])?)
        })
        .map_err(|e| d.fail(e, "key group"))?;
    rows.iter().map(member).collect()
}

/// [`kms_core::ports::MasterKeyStore::insert_replica`].
///
/// # Errors
/// As the port.
pub fn insert_replica<D: Driver>(
    d: &D,
    source: &GroupMember,
    record: &KeyRecord,
    versions: &[WrappedMasterKey],
    replica: &GroupMember,
) -> Result<(), InsertReplicaError> {
    let qs = queries(D::DIALECT);
    let common = D::DIALECT.queries();
    let res = d.run(Access::Transaction, |c| {
        // The source joins as its own group's primary unless it is in a
        // group already (the row is then left as it is).
        c.execute(
            &qs.insert_source,
            &member_params(source, &source.key_id, true),
        )?;
        let group = c
            .query(&qs.group, &[(&source.key_id).into()])?
            .iter()
            .find_map(|r| {
                let m = member(r).ok()?;
                (m.key_id == source.key_id).then_some(m.group_id)
            })
            .unwrap_or_else(|| source.key_id.clone());
        let mut writes = vec![Statement::execute(
            &common.insert_key,
            crate::records::key_params(record),
        )];
        for (i, w) in versions.iter().enumerate() {
            let version = u32::try_from(i + 1).unwrap_or(u32::MAX);
            writes.push(Statement::execute(
                &common.insert_material,
                vec![(&record.key_id).into(), version.into(), w.as_bytes().into()],
            ));
        }
        writes.push(Statement::execute(
            &qs.insert_member,
            member_params(replica, &group, false),
        ));
        c.batch(writes)?;
        Ok(c.commit()?)
    });
    match res {
        Ok(()) => Ok(()),
        Err(e) => match &e {
            Fail::Db(db) => match db.violation {
                Some(Violation::Unique(Some(Constraint::KeyAlias))) => {
                    Err(InsertReplicaError::AliasTaken)
                }
                Some(Violation::Unique(Some(Constraint::GroupRegion))) => {
                    Err(InsertReplicaError::RegionTaken)
                }
                Some(Violation::ForeignKey(_)) => Err(InsertReplicaError::SourceGone),
                _ => Err(d.fail(e, "insert replica").into()),
            },
            Fail::Port(_) => Err(d.fail(e, "insert replica").into()),
        },
    }
}

/// [`kms_core::ports::MasterKeyStore::set_group_primary`].
///
/// # Errors
/// As the port.
pub fn set_group_primary<D: Driver>(d: &D, key_id: &str) -> PortResult<bool> {
    d.run(Access::Write, |c| {
        Ok(c.execute(&queries(D::DIALECT).set_primary, &[key_id.into()])?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "set group primary"))
}
