//! Key material import over any [`Driver`]: the table `import_tokens`, the
//! columns `keys.material_expiry` and `keys.import_fingerprint`, their
//! statements per [`Dialect`] and the
//! [`kms_core::ports::MasterKeyStore`] operations of import. Each write is
//! one conditional statement or one transaction whose first statement is
//! the conditional update of the key row (which holds the row, PostgreSQL,
//! or the database, SQLite), so two replicas never both import.

use std::sync::LazyLock;

use kms_core::ports::{
    ImportMaterialError, ImportTokenRecord, KeyMaterial, PortError, PortResult, Timestamp,
};

use crate::dialect::Dialect;
use crate::driver::{Access, Driver};
use crate::value::{Row, Value};

/// The migration of both schemas: the key columns and `import_tokens`.
/// `int`: the integer type; `bytes`: the byte-string type; `tail`: what
/// follows the table's closing parenthesis (SQLite's ` WITHOUT ROWID`).
#[macro_export]
macro_rules! import_tables {
    (int: $int:literal, bytes: $bytes:literal, tail: $tail:literal) => {
        concat!(
            "
-- When a key's imported material expires (milliseconds; NULL: never or
-- none), and the keyed fingerprint of the last material imported (kept
-- after the material is deleted, for the re-import rule).
ALTER TABLE keys ADD COLUMN material_expiry ",
            $int,
            ";
ALTER TABLE keys ADD COLUMN import_fingerprint ",
            $bytes,
            ";
-- get-parameters-for-import's tokens: the wrapping key pair sealed under
-- the root key, a digest of the token's secret part; deleted with their
-- key, purged once expired.
CREATE TABLE import_tokens (
    token_id           TEXT PRIMARY KEY NOT NULL,
    project_id         TEXT NOT NULL,
    key_id             TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    secret_digest      ",
            $bytes,
            " NOT NULL,
    wrapping_algorithm TEXT NOT NULL,
    sealed_private_key ",
            $bytes,
            " NOT NULL,
    expires            ",
            $int,
            " NOT NULL
)",
            $tail,
            ";
CREATE INDEX import_tokens_by_key ON import_tokens (key_id);
CREATE INDEX import_tokens_by_expiry ON import_tokens (expires);
"
        )
    };
}

const TOKEN_COLUMNS: &str = "token_id, project_id, key_id, secret_digest, wrapping_algorithm, \
     sealed_private_key, expires";

/// The statements of import, rendered per dialect.
#[derive(Debug)]
struct ImportQueries {
    insert_token: String,
    get_token: String,
    purge_tokens: String,
    fingerprint: String,
    import: String,
    key_state: String,
    delete_material_rows: String,
    insert_material: String,
    delete_material: String,
}

impl ImportQueries {
    fn new(d: Dialect) -> Self {
        let r = |sql: &str| d.render(sql);
        Self {
            insert_token: r(&format!(
                "INSERT INTO import_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            )),
            get_token: r(&format!(
                "SELECT {TOKEN_COLUMNS} FROM import_tokens WHERE token_id = ?1"
            )),
            purge_tokens: r("DELETE FROM import_tokens WHERE expires <= ?1"),
            fingerprint: r(
                "SELECT import_fingerprint FROM keys WHERE project_id = ?1 AND key_id = ?2",
            ),
            // The one conditional write that decides the import: pending
            // import, and no other material before.
            import: r("UPDATE keys SET state = '2', current_version = 1,
                     material_expiry = ?3, import_fingerprint = ?4
                 WHERE project_id = ?1 AND key_id = ?2 AND state = '5'
                   AND (import_fingerprint IS NULL OR import_fingerprint = ?4)"),
            key_state: r(
                "SELECT state, import_fingerprint FROM keys WHERE project_id = ?1 AND key_id = ?2",
            ),
            delete_material_rows: r("DELETE FROM key_material WHERE key_id = ?1"),
            insert_material: r(
                "INSERT INTO key_material (key_id, version, wrapped) VALUES (?1, 1, ?2)",
            ),
            delete_material: r("UPDATE keys SET state = '5', current_version = 0,
                     material_expiry = NULL
                 WHERE project_id = ?1 AND key_id = ?2 AND state IN ('2', '3')
                   AND (CAST(?3 AS BIGINT) IS NULL
                        OR (material_expiry IS NOT NULL AND material_expiry <= CAST(?3 AS BIGINT)))"),
        }
    }
}

fn queries(d: Dialect) -> &'static ImportQueries {
    static SQLITE: LazyLock<ImportQueries> = LazyLock::new(|| ImportQueries::new(Dialect::Sqlite));
    static POSTGRES: LazyLock<ImportQueries> =
        LazyLock::new(|| ImportQueries::new(Dialect::Postgres));
    match d {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn token(r: &Row) -> PortResult<ImportTokenRecord> {
    Ok(ImportTokenRecord {
        token_id: r.text(0)?,
        project_id: r.text(1)?,
        key_id: r.text(2)?,
        secret_digest: r.bytes(3)?,
        wrapping_algorithm: r.text(4)?,
        sealed_private_key: r.bytes(5)?,
        expires: Timestamp(r.int(6)?),
    })
}

/// [`kms_core::ports::MasterKeyStore::insert_import_token`].
///
/// # Errors
/// As the port.
pub fn insert_import_token<D: Driver>(d: &D, t: &ImportTokenRecord) -> PortResult<()> {
    let params: [Value; 7] = [
        (&t.token_id).into(),
        (&t.project_id).into(),
        (&t.key_id).into(),
        t.secret_digest.as_slice().into(),
        (&t.wrapping_algorithm).into(),
        t.sealed_private_key.as_slice().into(),
        t.expires.0.into(),
    ];
    d.run(Access::Write, |c| {
        c.execute(&queries(D::DIALECT).insert_token, &params)?;
        Ok(())
    })
    .map_err(|e| d.fail(e, "insert import token"))
}

/// [`kms_core::ports::MasterKeyStore::get_import_token`].
///
/// # Errors
/// As the port.
pub fn get_import_token<D: Driver>(d: &D, token_id: &str) -> PortResult<Option<ImportTokenRecord>> {
    let row = d
        .run(Access::Read, |c| {
            Ok(c.query_opt(&queries(D::DIALECT).get_token, &[token_id.into()])?)
        })
        .map_err(|e| d.fail(e, "get import token"))?;
    row.as_ref().map(token).transpose()
}

/// [`kms_core::ports::MasterKeyStore::purge_import_tokens`].
///
/// # Errors
/// As the port.
pub fn purge_import_tokens<D: Driver>(d: &D, at: Timestamp) -> PortResult<u64> {
    d.run(Access::Write, |c| {
        Ok(c.execute(&queries(D::DIALECT).purge_tokens, &[at.0.into()])?)
    })
    .map_err(|e| d.fail(e, "purge import tokens"))
}

/// [`kms_core::ports::MasterKeyStore::import_fingerprint`].
///
/// # Errors
/// As the port.
pub fn import_fingerprint<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
) -> PortResult<Option<Vec<u8>>> {
    let row = d
        .run(Access::Read, |c| {
            Ok(c.query_opt(
                &queries(D::DIALECT).fingerprint,
                &[project_id.into(), key_id.into()],
            )?)
        })
        .map_err(|e| d.fail(e, "get import fingerprint"))?;
    match row {
        Some(r) => r.opt_bytes(0),
        None => Ok(None),
    }
}

/// [`kms_core::ports::MasterKeyStore::import_key_material`].
///
/// # Errors
/// As the port.
pub fn import_key_material<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    material: &KeyMaterial,
    fingerprint: &[u8],
    expiry: Option<Timestamp>,
) -> Result<(), ImportMaterialError> {
    let qs = queries(D::DIALECT);
    let Some(bytes) = material.stored_bytes() else {
        return Err(PortError::corrupt("no material to import").into());
    };
    let key: [Value; 2] = [project_id.into(), key_id.into()];
    let res = d.run(Access::Transaction, |c| {
        let mut update = key.to_vec();
        update.extend([expiry.map(|t| t.0).into(), fingerprint.into()]);
        if c.execute(&qs.import, &update)? == 0 {
            // Why not: read the row as it is now.
            let why = match c.query_opt(&qs.key_state, &key)? {
                None => ImportMaterialError::NotFound,
                Some(r) if r.text(0)? != "5" => ImportMaterialError::NotPendingImport,
                Some(_) => ImportMaterialError::MaterialDiffers,
            };
            return Ok(Err(why));
        }
        c.execute(&qs.delete_material_rows, &[key_id.into()])?;
        c.execute(&qs.insert_material, &[key_id.into(), bytes.into()])?;
        c.commit()?;
        Ok(Ok(()))
    });
    match res {
        Ok(r) => r,
        Err(e) => Err(d.fail(e, "import key material").into()),
    }
}

/// [`kms_core::ports::MasterKeyStore::delete_key_material`].
///
/// # Errors
/// As the port.
pub fn delete_key_material<D: Driver>(
    d: &D,
    project_id: &str,
    key_id: &str,
    expired_at: Option<Timestamp>,
) -> PortResult<bool> {
    let qs = queries(D::DIALECT);
    let params: [Value; 3] = [
        project_id.into(),
        key_id.into(),
        expired_at.map(|t| t.0).into(),
    ];
    d.run(Access::Transaction, |c| {
        if c.execute(&qs.delete_material, &params)? == 0 {
            return Ok(false);
        }
        c.execute(&qs.delete_material_rows, &[key_id.into()])?;
        c.commit()?;
        Ok(true)
    })
    .map_err(|e| d.fail(e, "delete key material"))
}
