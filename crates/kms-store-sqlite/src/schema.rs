//! Versioned migrations, tracked in `PRAGMA user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the schema from version `i` to
//! `i + 1` and runs in one transaction together with the version bump, so a
//! crash mid-migration leaves the previous version intact.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r"
CREATE TABLE keystores (
    keystore_id   TEXT PRIMARY KEY NOT NULL,
    domain_id     TEXT NOT NULL,
    alias         TEXT NOT NULL,
    keystore_type TEXT NOT NULL,
    -- At most one keystore per cluster (NULLs are distinct in SQLite).
    cluster_id    TEXT UNIQUE,
    state         TEXT NOT NULL CHECK (state IN ('ENABLED', 'DISABLED')),
    create_time   INTEGER NOT NULL,
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
    dedicated_keystore_id TEXT REFERENCES keystores (keystore_id) ON DELETE RESTRICT,
    state           TEXT NOT NULL CHECK (state IN ('2', '3', '4')),
    current_version INTEGER NOT NULL,
    create_time     INTEGER NOT NULL,
    deletion_time   INTEGER,
    -- Key alias unique per project.
    CONSTRAINT key_alias UNIQUE (project_id, alias)
);
CREATE INDEX keys_by_dedicated_keystore ON keys (dedicated_keystore_id)
    WHERE dedicated_keystore_id IS NOT NULL;

-- CMK versions, only ever wrapped under the keystore's root key.
CREATE TABLE key_material (
    key_id  TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    PRIMARY KEY (key_id, version)
) WITHOUT ROWID;

CREATE TABLE pin_verifiers (
    domain_id   TEXT NOT NULL,
    keystore_id TEXT NOT NULL,
    verifier    BLOB NOT NULL,
    PRIMARY KEY (domain_id, keystore_id, verifier)
) WITHOUT ROWID;

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
    key_pem             TEXT NOT NULL,
    trusted_root_ca     TEXT,
    -- Certificate name unique per project and scope.
    CONSTRAINT certificate_name UNIQUE (project_id, scope_type, instance_id, name)
);
",
    // 2: certificate private keys are stored sealed under the root key
    // (kms-crypto blob, algorithm 0x04). `key_pem` keeps a schema-1 row's
    // clear key only until the host seals it
    // (`SqliteStore::seal_legacy_private_keys`); rows written since hold ''.
    r"
ALTER TABLE certificates ADD COLUMN sealed_private_key BLOB;
",
    // 3: key rotation policy and history. Existing keys get rotation off,
    // the default 365-day interval, no rotation yet.
    r"
ALTER TABLE keys ADD COLUMN rotation_enabled INTEGER NOT NULL DEFAULT 0
    CHECK (rotation_enabled IN (0, 1));
ALTER TABLE keys ADD COLUMN rotation_interval INTEGER NOT NULL DEFAULT 365;
ALTER TABLE keys ADD COLUMN last_rotation_time INTEGER;
ALTER TABLE keys ADD COLUMN number_of_rotations INTEGER NOT NULL DEFAULT 0;
",
    // 4: tags of keys, one value per tag key and key.
    r"
CREATE TABLE key_tags (
    key_id    TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
) WITHOUT ROWID;
CREATE INDEX key_tags_by_tag ON key_tags (tag_key, tag_value);
",
    // 5: key pairs. Existing keys are AES_256 ENCRYPT_DECRYPT; a key pair's
    // version-1 `key_material.wrapped` holds its sealed private key
    // (kms-crypto blob 0x06) instead of an RFC 5649 wrap.
    r"
ALTER TABLE keys ADD COLUMN key_spec TEXT NOT NULL DEFAULT 'AES_256';
ALTER TABLE keys ADD COLUMN key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT'
    CHECK (key_usage IN ('ENCRYPT_DECRYPT', 'SIGN_VERIFY'));
",
    // 6: backup and root-key rotation. `meta` holds the database's own
    // records: `change_counter`, bumped by triggers on every row written
    // (what `restore` compares to call a database newer than a backup),
    // the root key's fingerprint and generation, and a root-key rotation
    // under way. `root_gen` marks the rows a rotation moved; a rotation
    // carries every keystore's PIN keys over in `carried_pin_keys`.
    r"
CREATE TABLE meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB
);
INSERT INTO meta (name, value) VALUES ('change_counter', 0), ('root_generation', 0);
ALTER TABLE key_material ADD COLUMN root_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certificates ADD COLUMN root_gen INTEGER NOT NULL DEFAULT 0;
CREATE TABLE carried_pin_keys (
    keystore_id TEXT PRIMARY KEY NOT NULL,
    wrapped     BLOB NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER keystores_insert_counts AFTER INSERT ON keystores
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER keystores_update_counts AFTER UPDATE ON keystores
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER keystores_delete_counts AFTER DELETE ON keystores
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER keys_insert_counts AFTER INSERT ON keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER keys_update_counts AFTER UPDATE ON keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER keys_delete_counts AFTER DELETE ON keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_material_insert_counts AFTER INSERT ON key_material
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_material_update_counts AFTER UPDATE ON key_material
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_material_delete_counts AFTER DELETE ON key_material
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_tags_insert_counts AFTER INSERT ON key_tags
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_tags_update_counts AFTER UPDATE ON key_tags
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_tags_delete_counts AFTER DELETE ON key_tags
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER pin_verifiers_insert_counts AFTER INSERT ON pin_verifiers
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER pin_verifiers_update_counts AFTER UPDATE ON pin_verifiers
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER pin_verifiers_delete_counts AFTER DELETE ON pin_verifiers
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER certificates_insert_counts AFTER INSERT ON certificates
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER certificates_update_counts AFTER UPDATE ON certificates
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER certificates_delete_counts AFTER DELETE ON certificates
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER carried_pin_keys_insert_counts AFTER INSERT ON carried_pin_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER carried_pin_keys_update_counts AFTER UPDATE ON carried_pin_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER carried_pin_keys_delete_counts AFTER DELETE ON carried_pin_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
",
    // 7: a key's origin: `kms` (generated here; every key before) or
    // `external` (its material was given by its owner, as a seeded key's).
    r"
ALTER TABLE keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'kms'
    CHECK (origin IN ('kms', 'external'));
",
    // 8: key state '5', pending import (a key created with origin
    // `external`, no material yet). SQLite cannot alter a CHECK: the state
    // column is replaced by one whose CHECK allows '5' (no index, trigger
    // or other constraint names the column; its own CHECK goes with it).
    r"
ALTER TABLE keys ADD COLUMN new_state TEXT NOT NULL DEFAULT '2'
    CHECK (new_state IN ('2', '3', '4', '5'));
UPDATE keys SET new_state = state;
ALTER TABLE keys DROP COLUMN state;
ALTER TABLE keys RENAME COLUMN new_state TO state;
",
];

/// Applies every migration the file has not seen yet.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let start = usize::try_from(found).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        // `user_version` takes no bound parameter; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
