//! Every store port of kms-core over any [`Driver`]: the statements of
//! [`crate::Queries`], the rows of [`crate::records`], and the constraint
//! answers of [`Violation`].
//!
//! Every atomic rule of the ports is a constraint of the schema or one
//! transaction: a constraint violation (identified by its name, or by
//! SQLite's columns) is the "taken" answer.

use std::sync::Arc;

use kms_core::ports::{
    CarriedPinKeys, CertificateFilter, CertificateWriteError, DeleteKeystoreOutcome, DueRotation,
    InsertKeyError, InsertKeystoreError, KeyListQuery, KeyMaterial, KeyRecord, KeyState, KeyTag,
    KeystoreRecord, KeystoreState, PortError, PortErrorKind, PortResult, ROOT_FINGERPRINT_LEN,
    ROOT_KEY_CHECK_LEN, Rewrapped, RootBoundItem, RootBoundRow, RootKeyState, RootRotationTarget,
    RotateKeyError, StoredCertificate, TagFilter, TagWriteError, TaggedKeys, Timestamp,
    UpdateKeyAliasError,
};
use kms_crypto::{PinVerifier, WrappedMasterKey};

use crate::dialect::{Dialect, KEY_COLUMNS, ROOT_KEY_CHECK_PREFIX, gone};
use crate::driver::{Access, Answer, Conn, Driver, Fail, Statement};
use crate::value::{Constraint, DbError, Row, Value, Violation, to_i64, to_u64};
use crate::{codes, records};

fn q<D: Driver>() -> &'static crate::Queries {
    D::DIALECT.queries()
}

/// The constraint a failure broke, if that is why it failed.
fn violation(e: &Fail) -> Option<Violation> {
    match e {
        Fail::Db(db) => db.violation,
        Fail::Port(_) => None,
    }
}

/// Runs `statements` in one [`Conn::batch`] and gives their answers.
fn batch<const N: usize>(
    c: &mut dyn Conn,
    statements: [Statement<'_>; N],
) -> Result<[Answer; N], Fail> {
    let answers = c.batch(statements.into())?;
    answers.try_into().map_err(|_| {
        Fail::Db(DbError::new(
            PortErrorKind::Other,
            "the driver answered a batch short",
        ))
    })
}

fn rows<T>(rows: Vec<Row>, f: impl Fn(&Row) -> PortResult<T>) -> PortResult<Vec<T>> {
    rows.iter().map(f).collect()
}

fn pair(r: &Row) -> PortResult<(String, String)> {
    Ok((r.text(0)?, r.text(1)?))
}

/// A count and a page of rows, in one batch; `access`: whether they must
/// agree ([`Access::Snapshot`]) or may not ([`Access::Read`]).
fn page<D: Driver>(
    d: &D,
    (access, op): (Access, &'static str),
    (count, page): (&str, &str),
    filter: Vec<Value>,
    (limit, offset): (u64, u64),
) -> PortResult<(u64, Vec<Row>)> {
    let mut page_params = filter.clone();
    page_params.push(to_i64(limit).into());
    page_params.push(to_i64(offset).into());
    d.run(access, |c| {
        let [total, rows] = batch(
            c,
            [
                Statement::query(count, filter),
                Statement::query(page, page_params),
            ],
        )?;
        Ok((to_u64(total.count()?), rows.rows()))
    })
    .map_err(|e| d.fail(e, op))
}

// ---------------------------------------------------------------- keystores

/// [`kms_core::ports::KeystoreStore::insert_keystore`].
///
/// # Errors
/// As the port.
pub fn insert_keystore<D: Driver>(d: &D, r: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
    let params = records::keystore_params(r);
    let res = d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().insert_keystore, &params)?)
    });
    match res {
        Ok(_) => Ok(()),
        Err(e) => match violation(&e) {
            Some(Violation::Unique(Some(Constraint::KeystoreAlias))) => {
                Err(InsertKeystoreError::AliasTaken)
            }
            Some(Violation::Unique(Some(Constraint::KeystoreCluster))) => {
                Err(InsertKeystoreError::ClusterTaken)
            }
            _ => Err(d.fail(e, "insert keystore").into()),
        },
    }
}

/// [`kms_core::ports::KeystoreStore::get_keystore`].
///
/// # Errors
/// As the port.
pub fn get_keystore<D: Driver>(
    d: &D,
    domain_id: &str,
    keystore_id: &str,
) -> PortResult<Option<KeystoreRecord>> {
    let params = [domain_id.into(), keystore_id.into()];
    d.run(Access::Read, |c| {
        Ok(c.query_opt(&q::<D>().get_keystore, &params)?)
    })
    .map_err(|e| d.fail(e, "get keystore"))?
    .as_ref()
    .map(records::keystore)
    .transpose()
}

/// [`kms_core::ports::KeystoreStore::list_keystores`].
///
/// # Errors
/// As the port.
pub fn list_keystores<D: Driver>(
    d: &D,
    domain_id: &str,
    offset: u64,
    limit: u64,
) -> PortResult<(u64, Vec<KeystoreRecord>)> {
    let qs = q::<D>();
    let (total, page) = page(
        d,
        (Access::Read, "list keystores"),
        (&qs.count_keystores, &qs.page_keystores),
        vec![domain_id.into()],
        (limit, offset),
    )?;
    Ok((total, rows(page, records::keystore)?))
}

/// [`kms_core::ports::KeystoreStore::set_keystore_state`].
///
/// # Errors
/// As the port.
pub fn set_keystore_state<D: Driver>(
    d: &D,
    domain_id: &str,
    keystore_id: &str,
    state: KeystoreState,
) -> PortResult<bool> {
    let params = [
        domain_id.into(),
        keystore_id.into(),
        codes::keystore_state_code(state).into(),
    ];
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().set_keystore_state, &params)?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "set keystore state"))
}

/// [`kms_core::ports::KeystoreStore::delete_keystore`].
///
/// # Errors
/// As the port.
pub fn delete_keystore<D: Driver>(
    d: &D,
    domain_id: &str,
    keystore_id: &str,
) -> PortResult<DeleteKeystoreOutcome> {
    let params = [domain_id.into(), keystore_id.into()];
    match d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().delete_keystore, &params)?)
    }) {
        Ok(0) => Ok(DeleteKeystoreOutcome::NotFound),
        Ok(_) => Ok(DeleteKeystoreOutcome::Deleted),
        Err(e) if matches!(violation(&e), Some(Violation::ForeignKey(_))) => {
            Ok(DeleteKeystoreOutcome::HasKeys)
        }
        Err(e) => Err(d.fail(e, "delete keystore")),
    }
}

fn root_key_check_id(dialect: Dialect, keystore_id: &str) -> Value {
    match dialect {
        Dialect::Sqlite => format!("{ROOT_KEY_CHECK_PREFIX}{keystore_id}").into(),
        Dialect::Postgres => keystore_id.into(),
    }
}

/// [`kms_core::ports::KeystoreStore::record_root_key_check`].
///
/// # Errors
/// As the port.
pub fn record_root_key_check<D: Driver>(
    d: &D,
    keystore_id: &str,
    check: &[u8; ROOT_KEY_CHECK_LEN],
) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]> {
    let id = root_key_check_id(D::DIALECT, keystore_id);
    let qs = q::<D>();
    let recorded = d
        .run(Access::Write, |c| {
            let [_, row] = batch(
                c,
                [
                    Statement::execute(
                        &qs.record_root_key_check,
                        vec![id.clone(), check.as_slice().into()],
                    ),
                    Statement::query(&qs.get_root_key_check, vec![id]),
                ],
            )?;
            Ok(row.first().unwrap_or_default().bytes(0)?)
        })
        .map_err(|e| d.fail(e, "record root key check"))?;
    recorded.try_into().map_err(|_| {
        PortError::corrupt(format!(
            "root-key check value of keystore {keystore_id} has the wrong length"
        ))
    })
}

/// [`kms_core::ports::KeystoreStore::forget_root_key_check`].
///
/// # Errors
/// As the port.
pub fn forget_root_key_check<D: Driver>(d: &D, keystore_id: &str) -> PortResult<()> {
    let id = root_key_check_id(D::DIALECT, keystore_id);
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().forget_root_key_check, &[id])?)
    })
    .map(drop)
    .map_err(|e| d.fail(e, "forget root key check"))
}

// ---------------------------------------------------------------- master keys

/// [`kms_core::ports::MasterKeyStore::insert_key`].
///
/// # Errors
/// As the port.
pub fn insert_key<D: Driver>(
    d: &D,
    record: &KeyRecord,
    material: &KeyMaterial,
) -> Result<(), InsertKeyError> {
    let qs = q::<D>();
    let mut writes = vec![Statement::execute(
        &qs.insert_key,
        records::key_params(record),
    )];
    // A key awaiting import has no version yet.
    if let Some(bytes) = material.stored_bytes() {
        let version = vec![
            (&record.key_id).into(),
            record.current_version.into(),
            bytes.into(),
        ];
        writes.push(Statement::execute(&qs.insert_material, version));
    }
    let res = d.run(Access::Transaction, |c| {
        c.batch(writes)?;
        Ok(c.commit()?)
    });
    match res {
        Ok(()) => Ok(()),
        Err(e) => match violation(&e) {
            Some(Violation::Unique(Some(Constraint::KeyAlias))) => Err(InsertKeyError::AliasTaken),
            // SQLite does not name the foreign key; the key's dedicated
            // keystore is the only one a new key can miss.
            Some(Violation::ForeignKey(None | Some(Constraint::KeyDedicatedKeystore))) => {
                Err(InsertKeyError::KeystoreGone)
            }
            _ => Err(d.fail(e, "insert key").into()),
        },
    }
}

/// [`kms_core::ports::MasterKeyStore::get_key`].
///
/// # Errors
/// As the port.
pub fn get_key<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
) -> PortResult<Option<Arc<KeyRecord>>> {
    let params = [project_id.into(), key_id.into()];
    d.run(Access::Read, |c| {
        Ok(c.query_opt(&q::<D>().get_key, &params)?)
    })
    .map_err(|e| d.fail(e, "get key"))?
    .map(|r| records::key(&r).map(Arc::new))
    .transpose()
}

/// [`kms_core::ports::MasterKeyStore::get_key_material`].
///
/// # Errors
/// As the port.
pub fn get_key_material<D: Driver>(
    d: &D,
    key_id: &str,
    version: u32,
) -> PortResult<Option<Vec<u8>>> {
    let params = [key_id.into(), version.into()];
    d.run(Access::Read, |c| {
        Ok(c.query_opt(&q::<D>().get_material, &params)?)
    })
    .map_err(|e| d.fail(e, "get key material"))?
    .map(|r| r.bytes(0))
    .transpose()
}

/// [`kms_core::ports::MasterKeyStore::set_key_state`].
///
/// # Errors
/// As the port.
pub fn set_key_state<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    state: KeyState,
    deletion_time: Option<Timestamp>,
) -> PortResult<bool> {
    let params = [
        project_id.into(),
        key_id.into(),
        codes::key_state_code(state).into(),
        deletion_time.map(|t| t.0).into(),
    ];
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().set_key_state, &params)?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "set key state"))
}

/// [`kms_core::ports::MasterKeyStore::count_keys_in_keystore`].
///
/// # Errors
/// As the port.
pub fn count_keys_in_keystore<D: Driver>(d: &D, keystore_id: &str) -> PortResult<u64> {
    d.run(Access::Read, |c| {
        c.count(&q::<D>().count_in_keystore, &[keystore_id.into()])
    })
    .map(to_u64)
    .map_err(|e| d.fail(e, "count keys"))
}

/// [`kms_core::ports::MasterKeyStore::list_keys`].
///
/// # Errors
/// As the port.
pub fn list_keys<D: Driver>(
    d: &D,
    project_id: &str,
    query: &KeyListQuery,
) -> PortResult<(u64, Vec<KeyRecord>)> {
    let qs = q::<D>();
    let filter = vec![
        project_id.into(),
        query.state.map(codes::key_state_code).into(),
        query.live_at.0.into(),
        query.spec.map(codes::spec_code).into(),
    ];
    let (total, page) = page(
        d,
        (Access::Read, "list keys"),
        (&qs.count_keys, &qs.page_keys),
        filter,
        (query.limit, query.offset),
    )?;
    Ok((total, rows(page, records::key)?))
}

/// [`kms_core::ports::MasterKeyStore::update_key_alias`].
///
/// # Errors
/// As the port.
pub fn update_key_alias<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    alias: &str,
) -> Result<(), UpdateKeyAliasError> {
    let params = [project_id.into(), key_id.into(), alias.into()];
    match d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().update_alias, &params)?)
    }) {
        Ok(0) => Err(UpdateKeyAliasError::NotFound),
        Ok(_) => Ok(()),
        Err(e) => match violation(&e) {
            Some(Violation::Unique(Some(Constraint::KeyAlias))) => {
                Err(UpdateKeyAliasError::AliasTaken)
            }
            _ => Err(d.fail(e, "update key alias").into()),
        },
    }
}

/// [`kms_core::ports::MasterKeyStore::update_key_description`].
///
/// # Errors
/// As the port.
pub fn update_key_description<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    description: &str,
) -> PortResult<bool> {
    let params = [project_id.into(), key_id.into(), description.into()];
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().update_description, &params)?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "update key description"))
}

/// [`kms_core::ports::MasterKeyStore::purge_deleted_keys`]. `key_material`
/// and `key_tags` follow through `ON DELETE CASCADE`.
///
/// # Errors
/// As the port.
pub fn purge_deleted_keys<D: Driver>(d: &D, at: Timestamp) -> PortResult<u64> {
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().purge_deleted, &[at.0.into()])?)
    })
    .map_err(|e| d.fail(e, "purge deleted keys"))
}

/// [`kms_core::ports::MasterKeyStore::set_key_rotation`].
///
/// # Errors
/// As the port.
pub fn set_key_rotation<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    enabled: Option<bool>,
    interval_days: Option<u32>,
    interval_start: Option<Timestamp>,
) -> PortResult<bool> {
    let params = [
        project_id.into(),
        key_id.into(),
        enabled.into(),
        interval_days.into(),
        interval_start.map(|t| t.0).into(),
    ];
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().set_rotation, &params)?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "set key rotation"))
}

/// [`kms_core::ports::MasterKeyStore::rotate_key`].
///
/// # Errors
/// As the port.
pub fn rotate_key<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    material: &WrappedMasterKey,
    version: u32,
    at: Timestamp,
) -> Result<(), RotateKeyError> {
    let Some(previous) = version.checked_sub(1) else {
        return Err(RotateKeyError::VersionChanged);
    };
    let qs = q::<D>();
    let key: [Value; 2] = [project_id.into(), key_id.into()];
    let res = d.run(Access::Transaction, |c| {
        // A concurrent rotation holds the row (PostgreSQL) or the database
        // (SQLite); this UPDATE waits for it, then re-checks
        // `current_version` against the committed row.
        let mut update = key.to_vec();
        update.extend([version.into(), previous.into(), at.0.into()]);
        if c.execute(&qs.rotate, &update)? == 0 {
            return Ok(Some(c.query_opt(&qs.key_exists, &key)?.is_some()));
        }
        let wrapped = material.as_bytes().into();
        c.execute(
            &qs.insert_material,
            &[key_id.into(), version.into(), wrapped],
        )?;
        c.commit()?;
        Ok(None)
    });
    match res {
        Ok(None) => Ok(()),
        Ok(Some(true)) => Err(RotateKeyError::VersionChanged),
        Ok(Some(false)) => Err(RotateKeyError::NotFound),
        Err(e) => match violation(&e) {
            // Material for that version exists already: another rotation
            // got there.
            Some(Violation::Unique(_)) => Err(RotateKeyError::VersionChanged),
            _ => Err(d.fail(e, "rotate key").into()),
        },
    }
}

/// [`kms_core::ports::MasterKeyStore::keys_due_for_rotation`].
///
/// # Errors
/// As the port.
pub fn keys_due_for_rotation<D: Driver>(
    d: &D,
    at: Timestamp,
    limit: u64,
) -> PortResult<Vec<DueRotation>> {
    let params = [at.0.into(), true.into(), to_i64(limit).into()];
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&q::<D>().rotation_due, &params)?)
        })
        .map_err(|e| d.fail(e, "list keys due for rotation"))?;
    rows(found, |r| {
        Ok(DueRotation {
            project_id: r.text(0)?,
            key_id: r.text(1)?,
            current_version: u32::try_from(r.int(2)?)
                .map_err(|e| PortError::corrupt("bad key version in database").with_source(e))?,
        })
    })
}

// ---------------------------------------------------------------- key tags

/// [`kms_core::ports::KeyTagStore::update_key_tags`].
///
/// # Errors
/// As the port.
pub fn update_key_tags<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    upsert: &[KeyTag],
    remove: &[String],
    max_tags: usize,
) -> Result<(), TagWriteError> {
    let qs = q::<D>();
    let res = d.run(Access::Transaction, |c| {
        // Locks the key's row (PostgreSQL; SQLite's write transaction
        // holds the database): concurrent tag writes to one key run one
        // after the other, so the count below is the final one.
        if c.query_opt(&qs.lock_key, &[project_id.into(), key_id.into()])?
            .is_none()
        {
            return Ok(Err(TagWriteError::NotFound));
        }
        let mut writes: Vec<Statement<'_>> = upsert
            .iter()
            .map(|(k, v)| {
                Statement::execute(&qs.upsert_tag, vec![key_id.into(), k.into(), v.into()])
            })
            .collect();
        writes.extend(
            remove
                .iter()
                .map(|k| Statement::execute(&qs.delete_tag, vec![key_id.into(), k.into()])),
        );
        writes.push(Statement::query(&qs.count_tags, vec![key_id.into()]));
        let count = c.batch(writes)?.pop().map(Answer::count).transpose()?;
        let n = count.unwrap_or(0);
        if to_u64(n) > u64::try_from(max_tags).unwrap_or(u64::MAX) {
            // Not committed: every change is rolled back.
            return Ok(Err(TagWriteError::TooMany));
        }
        c.commit()?;
        Ok(Ok(()))
    });
    res.map_err(|e| TagWriteError::Backend(d.fail(e, "update key tags")))?
}

/// [`kms_core::ports::KeyTagStore::get_key_tags`].
///
/// # Errors
/// As the port.
pub fn get_key_tags<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
) -> PortResult<Option<Vec<KeyTag>>> {
    let qs = q::<D>();
    // One snapshot for the existence check and the tags.
    d.run(Access::Snapshot, |c| {
        let [exists, tags] = batch(
            c,
            [
                Statement::query(&qs.key_exists, vec![project_id.into(), key_id.into()]),
                Statement::query(&qs.tags_of, vec![key_id.into()]),
            ],
        )?;
        if exists.first().is_none() {
            return Ok(None);
        }
        Ok(Some(rows(tags.rows(), pair)?))
    })
    .map_err(|e| d.fail(e, "get key tags"))
}

/// [`kms_core::ports::KeyTagStore::list_project_tags`].
///
/// # Errors
/// As the port.
pub fn list_project_tags<D: Driver>(
    d: &D,
    project_id: &str,
    live_at: Timestamp,
) -> PortResult<Vec<(String, Vec<String>)>> {
    let params = [project_id.into(), live_at.0.into()];
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&q::<D>().project_tags, &params)?)
        })
        .map_err(|e| d.fail(e, "list project tags"))?;
    Ok(records::group_tags(rows(found, pair)?))
}

/// The statements of one [`list_keys_by_tags`]: the filter, its count and
/// its page, with their parameters.
#[derive(Debug)]
pub struct TagQuery {
    /// `SELECT COUNT(*)` of the matching keys.
    pub count: String,
    /// One page of them ([`KEY_COLUMNS`]), by creation.
    pub page: String,
    /// The filter's parameters; the page's are these, the limit and the
    /// offset.
    pub params: Vec<Value>,
}

/// The statements listing a project's live keys carrying every tag of
/// `tags` (with one of its values, when it has some) and whose alias
/// contains `alias_contains`.
#[must_use]
pub fn tag_query(
    dialect: Dialect,
    project_id: &str,
    tags: &[TagFilter],
    alias_contains: Option<&str>,
    live_at: Timestamp,
) -> TagQuery {
    let mut cond = format!("project_id = ?1 AND {}", gone("", 2));
    let mut params: Vec<Value> = vec![project_id.into(), live_at.0.into()];
    if let Some(a) = alias_contains {
        params.push(a.into());
        cond.push_str(" AND ");
        cond.push_str(&dialect.contains("alias", params.len()));
    }
    for f in tags {
        params.push((&f.key).into());
        cond.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM key_tags t WHERE t.key_id = keys.key_id AND t.tag_key = {}",
            dialect.text_param(params.len())
        ));
        if !f.values.is_empty() {
            let mut marks = Vec::with_capacity(f.values.len());
            for v in &f.values {
                params.push(v.into());
                marks.push(dialect.text_param(params.len()));
            }
            cond.push_str(&format!(" AND t.tag_value IN ({})", marks.join(", ")));
        }
        cond.push(')');
    }
    let cond = dialect.render(&cond);
    let limit_at = params.len() + 1;
    let order = format!(
        "ORDER BY create_time, key_id LIMIT {} OFFSET {}",
        dialect.param(limit_at),
        dialect.param(limit_at + 1)
    );
    TagQuery {
        count: format!("SELECT COUNT(*) FROM keys WHERE {cond}"),
        page: format!("SELECT {KEY_COLUMNS} FROM keys WHERE {cond}\n {order}"),
        params,
    }
}

/// `key_id, tag_key, tag_value` of every key of `keys`, by key and tag
/// key: one statement for the page, not one per key.
fn tags_of_keys(c: &mut dyn Conn, dialect: Dialect, keys: &[KeyRecord]) -> Result<Vec<Row>, Fail> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=keys.len()).map(|n| dialect.text_param(n)).collect();
    let sql = format!(
        "SELECT key_id, tag_key, tag_value FROM key_tags WHERE key_id IN ({})
         ORDER BY key_id, tag_key",
        marks.join(", ")
    );
    let params: Vec<Value> = keys.iter().map(|k| (&k.key_id).into()).collect();
    Ok(c.query(&sql, &params)?)
}

/// [`kms_core::ports::KeyTagStore::list_keys_by_tags`]: the count and the
/// page (one batch), then the page's tags (one statement for all of its
/// keys), in one snapshot.
///
/// # Errors
/// As the port.
pub fn list_keys_by_tags<D: Driver>(
    d: &D,
    project_id: &str,
    tags: &[TagFilter],
    alias_contains: Option<&str>,
    query: &KeyListQuery,
) -> PortResult<TaggedKeys> {
    let tq = tag_query(D::DIALECT, project_id, tags, alias_contains, query.live_at);
    let mut page_params = tq.params.clone();
    page_params.push(to_i64(query.limit).into());
    page_params.push(to_i64(query.offset).into());
    let ((total, keys), tags) = d
        .run(Access::Snapshot, |c| {
            let [total, page] = batch(
                c,
                [
                    Statement::query(&tq.count, tq.params.clone()),
                    Statement::query(&tq.page, page_params),
                ],
            )?;
            let keys = rows(page.rows(), records::key)?;
            let tags = tags_of_keys(c, D::DIALECT, &keys)?;
            Ok(((total, keys), tags))
        })
        .map_err(|e| d.fail(e, "list keys by tags"))?;
    let mut by_key: std::collections::HashMap<String, Vec<KeyTag>> =
        std::collections::HashMap::with_capacity(keys.len());
    for r in tags {
        by_key
            .entry(r.text(0)?)
            .or_default()
            .push((r.text(1)?, r.text(2)?));
    }
    let tagged = keys
        .into_iter()
        .map(|k| {
            let tags = by_key.remove(&k.key_id).unwrap_or_default();
            (k, tags)
        })
        .collect();
    Ok((to_u64(total.count()?), tagged))
}

// ---------------------------------------------------------------- PIN verifiers

fn pin_params(domain_id: &str, keystore_id: &str, verifier: &PinVerifier) -> [Value; 3] {
    [
        domain_id.into(),
        keystore_id.into(),
        verifier.as_bytes().as_slice().into(),
    ]
}

/// [`kms_core::ports::PinVerifierStore::insert_pin_verifier`].
///
/// # Errors
/// As the port.
pub fn insert_pin_verifier<D: Driver>(
    d: &D,
    domain_id: &str,
    keystore_id: &str,
    verifier: &PinVerifier,
) -> PortResult<()> {
    let params = pin_params(domain_id, keystore_id, verifier);
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().insert_pin, &params)?)
    })
    .map(drop)
    .map_err(|e| d.fail(e, "insert PIN verifier"))
}

/// [`kms_core::ports::PinVerifierStore::has_pin_verifier`].
///
/// # Errors
/// As the port.
pub fn has_pin_verifier<D: Driver>(
    d: &D,
    domain_id: &str,
    keystore_id: &str,
    verifier: &PinVerifier,
) -> PortResult<bool> {
    let params = pin_params(domain_id, keystore_id, verifier);
    d.run(Access::Read, |c| {
        let row = c.query_opt(&q::<D>().has_pin, &params)?;
        Ok(row.unwrap_or_default().flag(0)?)
    })
    .map_err(|e| d.fail(e, "has PIN verifier"))
}

// ---------------------------------------------------------------- certificates

fn cert_write<D: Driver>(
    d: &D,
    cert: &StoredCertificate,
    sql: &str,
    op: &'static str,
) -> Result<u64, CertificateWriteError> {
    let params = records::certificate_params(cert)?;
    d.run(Access::Write, |c| Ok(c.execute(sql, &params)?))
        .map_err(|e| match violation(&e) {
            Some(Violation::Unique(Some(Constraint::CertificateName))) => {
                CertificateWriteError::NameTaken
            }
            _ => d.fail(e, op).into(),
        })
}

/// [`kms_core::ports::CertificateStore::insert_certificate`].
///
/// # Errors
/// As the port.
pub fn insert_certificate<D: Driver>(
    d: &D,
    cert: &StoredCertificate,
) -> Result<(), CertificateWriteError> {
    cert_write(d, cert, &q::<D>().insert_cert, "insert certificate").map(drop)
}

/// [`kms_core::ports::CertificateStore::update_certificate`].
///
/// # Errors
/// As the port.
pub fn update_certificate<D: Driver>(
    d: &D,
    cert: &StoredCertificate,
) -> Result<(), CertificateWriteError> {
    match cert_write(d, cert, &q::<D>().update_cert, "update certificate")? {
        0 => Err(CertificateWriteError::NotFound),
        _ => Ok(()),
    }
}

/// [`kms_core::ports::CertificateStore::get_certificate`].
///
/// # Errors
/// As the port.
pub fn get_certificate<D: Driver>(
    d: &D,
    project_id: &str,
    id: &str,
) -> PortResult<Option<StoredCertificate>> {
    let params = [project_id.into(), id.into()];
    d.run(Access::Read, |c| {
        Ok(c.query_opt(&q::<D>().get_cert, &params)?)
    })
    .map_err(|e| d.fail(e, "get certificate"))?
    .as_ref()
    .map(records::certificate)
    .transpose()
}

/// [`kms_core::ports::CertificateStore::list_certificates`].
///
/// # Errors
/// As the port.
pub fn list_certificates<D: Driver>(
    d: &D,
    project_id: &str,
    f: &CertificateFilter,
    offset: u64,
    limit: u64,
) -> PortResult<(u64, Vec<StoredCertificate>)> {
    let qs = q::<D>();
    let filter = vec![
        project_id.into(),
        f.name.as_deref().into(),
        f.common_name.as_deref().into(),
        f.signature_algorithm.as_deref().into(),
        f.r#type.as_deref().into(),
        f.instance_id.as_deref().into(),
        f.algorithm_type.as_deref().into(),
    ];
    let (total, page) = page(
        d,
        (Access::Snapshot, "list certificates"),
        (&qs.count_certs, &qs.page_certs),
        filter,
        (limit, offset),
    )?;
    Ok((total, rows(page, records::certificate)?))
}

/// [`kms_core::ports::CertificateStore::delete_certificate`].
///
/// # Errors
/// As the port.
pub fn delete_certificate<D: Driver>(d: &D, project_id: &str, id: &str) -> PortResult<bool> {
    let params = [project_id.into(), id.into()];
    d.run(Access::Write, |c| {
        Ok(c.execute(&q::<D>().delete_cert, &params)?)
    })
    .map(|n| n > 0)
    .map_err(|e| d.fail(e, "delete certificate"))
}

// ---------------------------------------------------------------- root-key rotation

/// [`kms_core::ports::RootRotationStore::root_key_state`].
///
/// # Errors
/// As the port.
pub fn root_key_state<D: Driver>(d: &D) -> PortResult<RootKeyState> {
    let row = d
        .run(
            Access::Read,
            |c| Ok(c.query_opt(&q::<D>().root_state, &[])?),
        )
        .map_err(|e| d.fail(e, "root key state"))?;
    records::root_state(row.as_ref())
}

/// [`kms_core::ports::RootRotationStore::record_root_fingerprint`].
///
/// # Errors
/// As the port.
pub fn record_root_fingerprint<D: Driver>(
    d: &D,
    fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
) -> PortResult<RootKeyState> {
    let qs = q::<D>();
    let row = d
        .run(Access::Write, |c| {
            let [_, state] = batch(
                c,
                [
                    Statement::execute(&qs.record_fingerprint, vec![fingerprint.as_slice().into()]),
                    Statement::query(&qs.root_state, vec![]),
                ],
            )?;
            Ok(state.first())
        })
        .map_err(|e| d.fail(e, "record root key fingerprint"))?;
    records::root_state(row.as_ref())
}

/// [`kms_core::ports::RootRotationStore::all_keystores`].
///
/// # Errors
/// As the port.
pub fn all_keystores<D: Driver>(d: &D) -> PortResult<Vec<KeystoreRecord>> {
    let found = d
        .run(Access::Read, |c| Ok(c.query(&q::<D>().all_keystores, &[])?))
        .map_err(|e| d.fail(e, "all keystores"))?;
    rows(found, records::keystore)
}

/// [`kms_core::ports::RootRotationStore::carried_pin_keys`].
///
/// # Errors
/// As the port.
pub fn carried_pin_keys<D: Driver>(d: &D) -> PortResult<Vec<CarriedPinKeys>> {
    let found = d
        .run(Access::Read, |c| {
            Ok(c.query(&q::<D>().carried_pin_keys, &[])?)
        })
        .map_err(|e| d.fail(e, "carried PIN keys"))?;
    rows(found, records::carried)
}

/// The recorded root key state, its row locked until the transaction ends.
fn locked_state<D: Driver>(c: &mut dyn Conn) -> Result<RootKeyState, Fail> {
    let row = c.query_opt(&q::<D>().lock_root_state, &[])?;
    Ok(records::root_state(row.as_ref())?)
}

/// [`kms_core::ports::RootRotationStore::begin_root_rotation`].
///
/// # Errors
/// As the port.
pub fn begin_root_rotation<D: Driver>(
    d: &D,
    from: &[u8; ROOT_FINGERPRINT_LEN],
    to: &RootRotationTarget,
    pin_keys: &[CarriedPinKeys],
) -> PortResult<bool> {
    let qs = q::<D>();
    d.run(Access::Transaction, |c| {
        let state = locked_state::<D>(c)?;
        if state.rotation.is_some() || state.fingerprint != Some(*from) {
            return Ok(false);
        }
        let mut writes = vec![Statement::execute(&qs.delete_carried, vec![])];
        writes.extend(pin_keys.iter().map(|p| {
            let wrapped = p.wrapped.as_slice().into();
            Statement::execute(&qs.insert_carried, vec![(&p.keystore_id).into(), wrapped])
        }));
        let target = vec![to.fingerprint.as_slice().into(), to.generation.into()];
        writes.push(Statement::execute(&qs.set_rotation_target, target));
        c.batch(writes)?;
        c.commit()?;
        Ok(true)
    })
    .map_err(|e| d.fail(e, "begin root key rotation"))
}

/// [`kms_core::ports::RootRotationStore::unmoved_root_bound`].
///
/// # Errors
/// As the port.
pub fn unmoved_root_bound<D: Driver>(
    d: &D,
    generation: u32,
    limit: usize,
) -> PortResult<Vec<RootBoundRow>> {
    let qs = q::<D>();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (material, certs) = d
        .run(Access::Snapshot, |c| {
            let material = c.query(&qs.unmoved_material, &[generation.into(), limit.into()])?;
            let left = limit - i64::try_from(material.len()).unwrap_or(limit);
            let certs = if left > 0 {
                c.query(&qs.unmoved_certs, &[generation.into(), left.into()])?
            } else {
                Vec::new()
            };
            Ok((material, certs))
        })
        .map_err(|e| d.fail(e, "unmoved root-bound rows"))?;
    let mut out = rows(material, records::unmoved_material)?;
    out.extend(rows(certs, records::unmoved_cert)?);
    Ok(out)
}

/// [`kms_core::ports::RootRotationStore::store_rewrapped`].
///
/// # Errors
/// As the port.
pub fn store_rewrapped<D: Driver>(d: &D, generation: u32, rows: &[Rewrapped]) -> PortResult<usize> {
    let qs = q::<D>();
    let writes = rows.iter().map(|r| {
        let (new, old) = (r.new.as_slice().into(), r.old.as_slice().into());
        match &r.item {
            RootBoundItem::KeyMaterial {
                key_id, version, ..
            } => Statement::execute(
                &qs.rewrap_material,
                vec![
                    new,
                    generation.into(),
                    key_id.into(),
                    (*version).into(),
                    old,
                ],
            ),
            RootBoundItem::CertificatePrivateKey { certificate_id, .. } => Statement::execute(
                &qs.rewrap_cert,
                vec![new, generation.into(), certificate_id.into(), old],
            ),
        }
    });
    d.run(Access::Transaction, |c| {
        let written: u64 = c
            .batch(writes.collect())?
            .into_iter()
            .map(Answer::changed)
            .sum();
        c.commit()?;
        Ok(usize::try_from(written).unwrap_or(usize::MAX))
    })
    .map_err(|e| d.fail(e, "store re-wrapped rows"))
}

/// [`kms_core::ports::RootRotationStore::finish_root_rotation`].
///
/// # Errors
/// As the port.
pub fn finish_root_rotation<D: Driver>(d: &D, to: &RootRotationTarget) -> PortResult<bool> {
    let qs = q::<D>();
    d.run(Access::Transaction, |c| {
        if locked_state::<D>(c)?.rotation != Some(*to) {
            return Ok(false);
        }
        if c.count(&qs.count_unmoved, &[to.generation.into()])? != 0 {
            return Ok(false);
        }
        let target = vec![to.fingerprint.as_slice().into(), to.generation.into()];
        let mut writes = vec![Statement::execute(&qs.finish_rotation, target)];
        if let Some(clear) = &qs.clear_rotation {
            writes.push(Statement::execute(clear, vec![]));
        }
        c.batch(writes)?;
        c.commit()?;
        Ok(true)
    })
    .map_err(|e| d.fail(e, "finish root key rotation"))
}
