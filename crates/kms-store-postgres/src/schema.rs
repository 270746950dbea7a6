//! Versioned migrations, tracked in the one-row table `kms_schema_version`.
//!
//! Every pending migration runs in one transaction together with the
//! version bump, after `pg_advisory_xact_lock`: two replicas starting at
//! once on an empty database do not both migrate (the second waits, then
//! finds the schema current), and a failure mid-migration leaves the
//! previous version intact (PostgreSQL DDL is transactional).

use deadpool_postgres::Object;

use crate::error::{Error, Result};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock every migrating replica takes (an arbitrary constant,
/// "kms-schema" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b6d_735f_7363_6865;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the schema of SQLite's version 4, in PostgreSQL.
    concat!(
        kms_store_sql::keystores_table!(
            int: "BIGINT",
            cluster: "CONSTRAINT keystore_cluster UNIQUE",
            seq: "\n    -- Insertion order: the tie-break of listings.\n    seq           BIGINT GENERATED ALWAYS AS IDENTITY,"
        ),
        kms_store_sql::keys_table!(
            int: "BIGINT",
            fk: "\n        CONSTRAINT key_dedicated_keystore ",
            more: "\n    rotation_enabled    BOOLEAN NOT NULL DEFAULT FALSE,\n    rotation_interval   BIGINT NOT NULL DEFAULT 365,\n    last_rotation_time  BIGINT,\n    number_of_rotations BIGINT NOT NULL DEFAULT 0,"
        ),
        "CREATE INDEX keys_by_keystore ON keys (keystore_id);
CREATE INDEX keys_by_project ON keys (project_id, create_time, key_id);
",
        kms_store_sql::material_tables!(
            int: "BIGINT",
            bytes: "BYTEA",
            pk: "CONSTRAINT key_material_version ",
            tail: ""
        ),
        kms_store_sql::certificates_table!(
            key: "\n    -- Sealed under the root key (kms-crypto blob, algorithm 0x04); never clear.\n    sealed_private_key  BYTEA NOT NULL,",
            seq: "\n    seq                 BIGINT GENERATED ALWAYS AS IDENTITY,"
        ),
        kms_store_sql::key_tags_table!(tail: ""),
    ),
    // 2: key pairs (SQLite's version 5).
    kms_store_sql::schema::KEY_PAIRS,
    // 3: the fingerprint of the root key the replicas share (a keyed hash
    // the host computes; never the key), recorded by the first replica, so
    // a replica started with another root key is refused at start.
    r"
CREATE TABLE root_key_fingerprint (
    singleton   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    fingerprint BYTEA NOT NULL
);
",
    // 4: root-key rotation (SQLite's version 6): the recorded root key's
    // generation and a rotation under way, the per-row mark of the
    // generation a rotation moved a row to, the PIN keys it carried.
    r"
ALTER TABLE root_key_fingerprint ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE root_key_fingerprint ADD COLUMN rotation_fingerprint BYTEA;
ALTER TABLE root_key_fingerprint ADD COLUMN rotation_generation BIGINT;
ALTER TABLE key_material ADD COLUMN root_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE certificates ADD COLUMN root_gen BIGINT NOT NULL DEFAULT 0;
CREATE TABLE carried_pin_keys (
    keystore_id TEXT PRIMARY KEY NOT NULL,
    wrapped     BYTEA NOT NULL
);
",
    // 5: a key's origin (SQLite's version 7).
    kms_store_sql::schema::KEY_ORIGIN,
    // 6: the check value of each HSM-bound keystore's root key (computed
    // by the token, revealing nothing about the key), recorded on first
    // use, so a token key replaced under the same label is refused.
    r"
CREATE TABLE root_key_checks (
    keystore_id TEXT PRIMARY KEY NOT NULL,
    check_value BYTEA NOT NULL
);
",
    // 7: key state '5', pending import (SQLite's version 8): a key created
    // with origin `external` waits for its material.
    r"
ALTER TABLE keys DROP CONSTRAINT keys_state_check;
ALTER TABLE keys ADD CONSTRAINT keys_state_check CHECK (state IN ('2', '3', '4', '5'));
",
    // 8: when the running rotation interval of a key started (SQLite's
    // version 9).
    kms_store_sql::schema::KEY_ROTATION_START,
    // 9: key usages GENERATE_VERIFY_MAC and KEY_AGREEMENT (SQLite's
    // version 10).
    kms_store_sql::schema::KEY_USAGES_POSTGRES,
    // 10: the alias API's aliases (SQLite's version 11); the alias column
    // compares and sorts in byte order (`COLLATE "C"`), as SQLite's does.
    kms_store_sql::key_aliases_table!(int: "BIGINT", alias: "TEXT COLLATE \"C\"", tail: ""),
    // 11: multi-region groups (SQLite's version 12).
    kms_store_sql::key_groups_table!(flag: "BOOLEAN", tail: ""),
    // 12: key material import (SQLite's version 13): the material's expiry
    // and fingerprint on the key, the import tokens.
    kms_store_sql::import_tables!(int: "BIGINT", bytes: "BYTEA", tail: ""),
    // 13: grants of keys (SQLite's version 14).
    kms_store_sql::grants::KEY_GRANTS,
];

/// A schema name safe to splice into SQL: `[a-z_][a-z0-9_]{0,62}`.
pub(crate) fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 63
}

/// Creates `schema` when given (already validated), then applies every
/// migration the database has not seen yet, all in one transaction under
/// the migration lock. Returns the version found before.
pub(crate) async fn migrate(client: &mut Object, schema: Option<&str>) -> Result<i64> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    if let Some(schema) = schema {
        // Validated by the caller: `[a-z_][a-z0-9_]*`, so quoting is enough.
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .await?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS kms_schema_version (
             singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
             version   BIGINT NOT NULL
         )",
    )
    .await?;
    let found: i64 = tx
        .query_opt("SELECT version FROM kms_schema_version", &[])
        .await?
        .map_or(Ok(0), |r| r.try_get(0))?;
    let Some(start) = kms_store_sql::schema::pending(found, SCHEMA_VERSION) else {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    };
    for sql in MIGRATIONS.iter().skip(start) {
        tx.batch_execute(sql).await?;
    }
    tx.execute(
        "INSERT INTO kms_schema_version (singleton, version) VALUES (TRUE, $1)
         ON CONFLICT (singleton) DO UPDATE SET version = excluded.version",
        &[&SCHEMA_VERSION],
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}
