//! The tables both schemas share, written once. Each macro expands to a
//! string literal (so an adapter's migrations stay a `const` list), with
//! what the two databases spell differently given by the adapter: the
//! integer and byte types, `WITHOUT ROWID`, PostgreSQL's `seq` identity
//! column and constraint names, and the columns one of them added in a
//! later migration than the other.
//!
//! A migration, once released, never changes its effect: the adapters'
//! migrations expand these macros with exactly the columns, types and
//! constraints they always created.

/// `CREATE TABLE keystores`. `int`: the integer type; `cluster`: the
/// constraint on `cluster_id`; `seq`: a column line (with its leading
/// newline) or `""`.
#[macro_export]
macro_rules! keystores_table {
    (int: $int:literal, cluster: $cluster:literal, seq: $seq:literal) => {
        concat!(
            "
CREATE TABLE keystores (
    keystore_id   TEXT PRIMARY KEY NOT NULL,
    domain_id     TEXT NOT NULL,
    alias         TEXT NOT NULL,
    keystore_type TEXT NOT NULL,
    -- At most one keystore per cluster (NULLs are distinct).
    cluster_id    TEXT ",
            $cluster,
            ",
    state         TEXT NOT NULL CHECK (state IN ('ENABLED', 'DISABLED')),
    create_time   ",
            $int,
            " NOT NULL,",
            $seq,
            "
    -- Keystore alias unique per domain.
    CONSTRAINT keystore_alias UNIQUE (domain_id, alias)
);
"
        )
    };
}

/// `CREATE TABLE keys` and its index on dedicated keystores. `int`: the
/// integer type; `fk`: what precedes `REFERENCES` of
/// `dedicated_keystore_id`; `more`: further column lines (each with its
/// leading newline) or `""`.
#[macro_export]
macro_rules! keys_table {
    (int: $int:literal, fk: $fk:literal, more: $more:literal) => {
        concat!(
            "
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
    dedicated_keystore_id TEXT",
            $fk,
            "REFERENCES keystores (keystore_id) ON DELETE RESTRICT,
    state           TEXT NOT NULL CHECK (state IN ('2', '3', '4')),
    current_version ",
            $int,
            " NOT NULL,
    create_time     ",
            $int,
            " NOT NULL,
    deletion_time   ",
            $int,
            ",",
            $more,
            "
    -- Key alias unique per project.
    CONSTRAINT key_alias UNIQUE (project_id, alias)
);
CREATE INDEX keys_by_dedicated_keystore ON keys (dedicated_keystore_id)
    WHERE dedicated_keystore_id IS NOT NULL;
"
        )
    };
}

/// `CREATE TABLE key_material` and `pin_verifiers`. `int`, `bytes`: the
/// types; `pk`: what precedes the material's `PRIMARY KEY`; `tail`: what
/// follows each table's closing parenthesis (SQLite's ` WITHOUT ROWID`).
#[macro_export]
macro_rules! material_tables {
    (int: $int:literal, bytes: $bytes:literal, pk: $pk:literal, tail: $tail:literal) => {
        concat!(
            "
-- CMK versions, only ever wrapped under the keystore's root key.
CREATE TABLE key_material (
    key_id  TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    version ",
            $int,
            " NOT NULL,
    wrapped ",
            $bytes,
            " NOT NULL,
    ",
            $pk,
            "PRIMARY KEY (key_id, version)
)",
            $tail,
            ";

CREATE TABLE pin_verifiers (
    domain_id   TEXT NOT NULL,
    keystore_id TEXT NOT NULL,
    verifier    ",
            $bytes,
            " NOT NULL,
    PRIMARY KEY (domain_id, keystore_id, verifier)
)",
            $tail,
            ";
"
        )
    };
}

/// `CREATE TABLE certificates`. `key`: the private key's column lines
/// (each with its leading newline and trailing comma); `seq`: a column
/// line (with its leading newline) or `""`.
#[macro_export]
macro_rules! certificates_table {
    (key: $key:literal, seq: $seq:literal) => {
        concat!(
            "
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
    cert_pem            TEXT NOT NULL,",
            $key,
            "
    trusted_root_ca     TEXT,",
            $seq,
            "
    -- Certificate name unique per project and scope.
    CONSTRAINT certificate_name UNIQUE (project_id, scope_type, instance_id, name)
);
"
        )
    };
}

/// `CREATE TABLE key_tags` and its index. `tail`: what follows the
/// table's closing parenthesis (SQLite's ` WITHOUT ROWID`).
#[macro_export]
macro_rules! key_tags_table {
    (tail: $tail:literal) => {
        concat!(
            "
-- Tags of keys, one value per tag key and key.
CREATE TABLE key_tags (
    key_id    TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
)",
            $tail,
            ";
CREATE INDEX key_tags_by_tag ON key_tags (tag_key, tag_value);
"
        )
    };
}

/// Key pairs (SQLite's version 5, PostgreSQL's 2). Existing keys are
/// `AES_256` `ENCRYPT_DECRYPT`; a key pair's version-1
/// `key_material.wrapped` holds its sealed private key (kms-crypto blob
/// 0x06) instead of an RFC 5649 wrap.
pub const KEY_PAIRS: &str = r"
ALTER TABLE keys ADD COLUMN key_spec TEXT NOT NULL DEFAULT 'AES_256';
ALTER TABLE keys ADD COLUMN key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT'
    CHECK (key_usage IN ('ENCRYPT_DECRYPT', 'SIGN_VERIFY'));
";

/// A key's origin (SQLite's version 7, PostgreSQL's 5): `kms` (generated
/// here; every key before) or `external` (its material was given by its
/// owner, as a seeded key's).
pub const KEY_ORIGIN: &str = r"
ALTER TABLE keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'kms'
    CHECK (origin IN ('kms', 'external'));
";

/// Migration: when a key's running rotation interval started (rotation
/// last enabled, or the key last rotated), milliseconds; NULL for every key
/// before, whose interval counts from its last rotation, else its creation.
pub const KEY_ROTATION_START: &str = r"
ALTER TABLE keys ADD COLUMN rotation_start BIGINT;
";

/// The key usages of MAC keys and key agreement, `GENERATE_VERIFY_MAC`
/// and `KEY_AGREEMENT` (SQLite's version 10, PostgreSQL's 9), for
/// PostgreSQL, which names the column's CHECK `keys_key_usage_check`.
/// (The key specs have no CHECK: `HMAC_*` needs no migration.)
pub const KEY_USAGES_POSTGRES: &str = r"
ALTER TABLE keys DROP CONSTRAINT keys_key_usage_check;
ALTER TABLE keys ADD CONSTRAINT keys_key_usage_check CHECK
    (key_usage IN ('ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'));
";

/// The same for SQLite, which cannot alter a CHECK: the column is replaced
/// by one whose CHECK allows the new usages (no index, trigger or other
/// constraint names the column).
pub const KEY_USAGES_SQLITE: &str = r"
ALTER TABLE keys ADD COLUMN new_key_usage TEXT NOT NULL DEFAULT 'ENCRYPT_DECRYPT'
    CHECK (new_key_usage IN ('ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'));
UPDATE keys SET new_key_usage = key_usage;
ALTER TABLE keys DROP COLUMN key_usage;
ALTER TABLE keys RENAME COLUMN new_key_usage TO key_usage;
";

/// The index of the first migration a database at version `found` lacks,
/// or `None` when `found` is newer than `latest`, the version this build
/// writes.
#[must_use]
pub fn pending(found: i64, latest: i64) -> Option<usize> {
    (found <= latest).then(|| usize::try_from(found).unwrap_or(0))
}
