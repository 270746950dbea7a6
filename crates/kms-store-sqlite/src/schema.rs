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
    concat!(
        kms_store_sql::keystores_table!(int: "INTEGER", cluster: "UNIQUE", seq: ""),
        kms_store_sql::keys_table!(int: "INTEGER", fk: " ", more: ""),
        kms_store_sql::material_tables!(
            int: "INTEGER",
            bytes: "BLOB",
            pk: "",
            tail: " WITHOUT ROWID"
        ),
        kms_store_sql::certificates_table!(
            key: "\n    key_pem             TEXT NOT NULL,",
            seq: ""
        ),
    ),
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
    kms_store_sql::key_tags_table!(tail: " WITHOUT ROWID"),
    // 5: key pairs.
    kms_store_sql::schema::KEY_PAIRS,
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
    // 7: a key's origin.
    kms_store_sql::schema::KEY_ORIGIN,
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
    // 9: when the running rotation interval of a key started.
    kms_store_sql::schema::KEY_ROTATION_START,
    // 10: key usages GENERATE_VERIFY_MAC and KEY_AGREEMENT.
    kms_store_sql::schema::KEY_USAGES_SQLITE,
    // 11: the alias API's aliases (PostgreSQL's version 10), counted in the
    // change counter like every table.
    concat!(
        kms_store_sql::key_aliases_table!(int: "INTEGER", alias: "TEXT", tail: " WITHOUT ROWID"),
        r"
CREATE TRIGGER key_aliases_insert_counts AFTER INSERT ON key_aliases
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_aliases_update_counts AFTER UPDATE ON key_aliases
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_aliases_delete_counts AFTER DELETE ON key_aliases
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
"
    ),
    // 12: multi-region groups (PostgreSQL's version 11), counted in the
    // change counter like every table.
    concat!(
        kms_store_sql::key_groups_table!(
            flag: "INTEGER CHECK (is_primary IN (0, 1))",
            tail: " WITHOUT ROWID"
        ),
        r"
CREATE TRIGGER key_groups_insert_counts AFTER INSERT ON key_groups
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_groups_update_counts AFTER UPDATE ON key_groups
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_groups_delete_counts AFTER DELETE ON key_groups
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
"
    ),
    // 13: key material import (PostgreSQL's version 12): the material's
    // expiry and fingerprint on the key, the import tokens (counted in the
    // change counter like every table).
    concat!(
        kms_store_sql::import_tables!(int: "INTEGER", bytes: "BLOB", tail: " WITHOUT ROWID"),
        r"
CREATE TRIGGER import_tokens_insert_counts AFTER INSERT ON import_tokens
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER import_tokens_update_counts AFTER UPDATE ON import_tokens
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER import_tokens_delete_counts AFTER DELETE ON import_tokens
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
"
    ),
    // 14: grants of keys (PostgreSQL's version 13), counted by `meta`'s
    // change counter like every other table.
    concat!(
        kms_store_sql::key_grants_sql!(),
        r"
CREATE TRIGGER key_grants_insert_counts AFTER INSERT ON key_grants
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_grants_update_counts AFTER UPDATE ON key_grants
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
CREATE TRIGGER key_grants_delete_counts AFTER DELETE ON key_grants
    BEGIN UPDATE meta SET value = value + 1 WHERE name = 'change_counter'; END;
"
    ),
];

/// Applies every migration the file has not seen yet.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let start =
        kms_store_sql::schema::pending(found, SCHEMA_VERSION).ok_or(Error::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        })?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        // `user_version` takes no bound parameter; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
