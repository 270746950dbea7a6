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
    r"
CREATE TABLE keystores (
    keystore_id   TEXT PRIMARY KEY NOT NULL,
    domain_id     TEXT NOT NULL,
    alias         TEXT NOT NULL,
    keystore_type TEXT NOT NULL,
    -- At most one keystore per cluster (NULLs are distinct).
    cluster_id    TEXT CONSTRAINT keystore_cluster UNIQUE,
    state         TEXT NOT NULL CHECK (state IN ('ENABLED', 'DISABLED')),
    create_time   BIGINT NOT NULL,
    -- Insertion order: the tie-break of listings.
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    -- Keystore alias unique per domain.
    CONSTRAINT keystore_alias UNIQUE (domain_id, alias)
);

CREATE TABLE keys (
    key_id          TEXT PRIMARY KEY NOT NULL,
    domain_id       TEXT NOT NULL,
    project_id      TEXT NOT NULL,
    alias           TEXT NOT NULL,
    description     TEXT NOT NULL,
    keystore_id     TEXT NOT NULL,
    -- Set only for a dedicated keystore: the foreign key makes a keystore
    -- that holds keys undeletable, and a key in a deleted keystore
    -- uninsertable, without any read-then-write in the adapter.
    dedicated_keystore_id TEXT
        CONSTRAINT key_dedicated_keystore REFERENCES keystores (keystore_id) ON DELETE RESTRICT,
    state           TEXT NOT NULL CHECK (state IN ('2', '3', '4')),
    current_version BIGINT NOT NULL,
    create_time     BIGINT NOT NULL,
    deletion_time   BIGINT,
    rotation_enabled    BOOLEAN NOT NULL DEFAULT FALSE,
    rotation_interval   BIGINT NOT NULL DEFAULT 365,
    last_rotation_time  BIGINT,
    number_of_rotations BIGINT NOT NULL DEFAULT 0,
    -- Key alias unique per project.
    CONSTRAINT key_alias UNIQUE (project_id, alias)
);
CREATE INDEX keys_by_dedicated_keystore ON keys (dedicated_keystore_id)
    WHERE dedicated_keystore_id IS NOT NULL;
CREATE INDEX keys_by_keystore ON keys (keystore_id);
CREATE INDEX keys_by_project ON keys (project_id, create_time, key_id);

-- CMK versions, only ever wrapped under the keystore's root key.
CREATE TABLE key_material (
    key_id  TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    wrapped BYTEA NOT NULL,
    CONSTRAINT key_material_version PRIMARY KEY (key_id, version)
);

CREATE TABLE pin_verifiers (
    domain_id   TEXT NOT NULL,
    keystore_id TEXT NOT NULL,
    verifier    BYTEA NOT NULL,
    PRIMARY KEY (domain_id, keystore_id, verifier)
);

CREATE TABLE certificates (
    id                  TEXT PRIMARY KEY NOT NULL,
    project_id          TEXT NOT NULL,
    scope_type          TEXT NOT NULL,
    instance_id         TEXT NOT NULL,
    name                TEXT NOT NULL,
    common_name         TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL,
    algorithm_type      TEXT NOT NULL,
    record_json         TEXT NOT NULL,
    cert_pem            TEXT NOT NULL,
    -- Sealed under the root key (kms-crypto blob, algorithm 0x04); never clear.
    sealed_private_key  BYTEA NOT NULL,
    trusted_root_ca     TEXT,
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY,
    -- Certificate name unique per project and scope.
    CONSTRAINT certificate_name UNIQUE (project_id, scope_type, instance_id, name)
);

-- Tags of keys, one value per tag key and key.
CREATE TABLE key_tags (
    key_id    TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);
CREATE INDEX key_tags_by_tag ON key_tags (tag_key, tag_value);
",
    // 2: key pairs (SQLite's version 5). Existing keys are AES_256
    // ENCRYPT_DECRYPT; a key pair's version-1 `key_material.wrapped` holds
    // its sealed private key (kms-crypto blob 0x06) instead of an RFC 5649
    // wrap.
    r"
ALTER TABLE keys ADD COLUMN key_spec TEXT NOT NULL DEFAULT 'AES_256';
ALTER TABLE keys ADD COLUMN key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT'
    CHECK (key_usage IN ('ENCRYPT_DECRYPT', 'SIGN_VERIFY'));
",
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
    // 5: a key's origin (SQLite's version 7): `kms` (generated here; every
    // key before) or `external` (its material was given by its owner, as a
    // seeded key's).
    r"
ALTER TABLE keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'kms'
    CHECK (origin IN ('kms', 'external'));
",
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
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let start = usize::try_from(found).unwrap_or(0);
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
