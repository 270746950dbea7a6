//! Every statement of the store ports, written once and rendered per
//! [`Dialect`].

use std::sync::LazyLock;

use kms_core::ports::{KeyOrigin, KeyState};
use kms_model::CmkSpec;

use crate::codes;

/// The SQL a database speaks, where the two differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?N` placeholders, `instr`, `rowid`, no `FOR UPDATE` (a
    /// write transaction holds the whole database), the root key's
    /// records in `meta`.
    Sqlite,
    /// PostgreSQL: `$N` placeholders (typed `$N::text` where only the
    /// statement fixes the type), `strpos`, the `seq` identity column,
    /// `FOR UPDATE`, the root key's records in `root_key_fingerprint` and
    /// `root_key_checks`.
    Postgres,
}

impl Dialect {
    /// Placeholder `n` (1-based).
    #[must_use]
    pub fn param(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }

    /// Placeholder `n` of a text parameter that may be NULL.
    #[must_use]
    pub fn text_param(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}::text"),
        }
    }

    /// `column` contains text parameter `n` (a plain substring test: no
    /// LIKE wildcards to escape).
    #[must_use]
    pub fn contains(self, column: &str, n: usize) -> String {
        match self {
            Self::Sqlite => format!("instr({column}, ?{n}) > 0"),
            Self::Postgres => format!("strpos({column}, ${n}::text) > 0"),
        }
    }

    /// The insertion-order column, the tie-break of listings.
    #[must_use]
    pub const fn seq(self) -> &'static str {
        match self {
            Self::Sqlite => "rowid",
            Self::Postgres => "seq",
        }
    }

    /// What locks a selected row until the transaction ends.
    #[must_use]
    pub const fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    /// The statements of this dialect (rendered once).
    #[must_use]
    pub fn queries(self) -> &'static Queries {
        static SQLITE: LazyLock<Queries> = LazyLock::new(|| Queries::new(Dialect::Sqlite));
        static POSTGRES: LazyLock<Queries> = LazyLock::new(|| Queries::new(Dialect::Postgres));
        match self {
            Self::Sqlite => &SQLITE,
            Self::Postgres => &POSTGRES,
        }
    }

    /// `SELECT {columns} FROM {table} WHERE {filter}`, with the filter's
    /// `?N` placeholders in this dialect.
    fn select(self, columns: &str, table: &str, filter: &str) -> String {
        self.render(&format!("SELECT {columns} FROM {table} WHERE {filter}"))
    }

    /// `sql` with `?N` placeholders (and `?N::text`, a typed one) in this
    /// dialect.
    #[must_use]
    pub fn render(self, sql: &str) -> String {
        match self {
            Self::Sqlite => sql.replace("::text", ""),
            Self::Postgres => sql.replace('?', "$"),
        }
    }
}

/// The columns of a keystore row, in `records::keystore`'s order.
pub const KEYSTORE_COLUMNS: &str =
    "keystore_id, domain_id, alias, keystore_type, cluster_id, state, create_time";

/// The columns of a key row, in `records::key`'s order.
pub const KEY_COLUMNS: &str =
    "key_id, domain_id, project_id, alias, description, keystore_id, state,
     current_version, create_time, deletion_time,
     rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
     key_spec, key_usage, origin, rotation_start, material_expiry";

/// When a key's automatic rotation is due, in milliseconds: the running
/// interval's start (else the last rotation, else the creation) plus the
/// interval in days (`kms_core::ports::KeyRecord::rotation_due_at`).
const ROTATION_DUE: &str =
    "COALESCE(rotation_start, last_rotation_time, create_time) + rotation_interval * 86400000";

/// The stored codes of the symmetric key specs (the ones that rotate), as
/// an SQL list (fixed codes of `codes`, no caller text).
fn symmetric_spec_codes() -> String {
    CmkSpec::ALL
        .iter()
        .filter(|s| !s.is_asymmetric())
        .map(|s| format!("'{}'", codes::spec_code(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of a certificate row, in `records::certificate`'s
/// order.
pub const CERT_COLUMNS: &str = "record_json, cert_pem, sealed_private_key, trusted_root_ca";

/// Keys gone for good at `?{live_at}` (pending deletion, deletion time
/// passed), prefixed by `table.` when given.
#[must_use]
pub fn gone(prefix: &str, live_at: usize) -> String {
    format!(
        "NOT ({prefix}state = '4' AND {prefix}deletion_time IS NOT NULL \
         AND {prefix}deletion_time <= ?{live_at})"
    )
}

/// The statements of the store ports in one dialect.
#[derive(Debug)]
#[allow(missing_docs)] // each is named for what it does; the SQL says the rest
pub struct Queries {
    pub dialect: Dialect,
    // keystores
    pub insert_keystore: String,
    pub get_keystore: String,
    pub count_keystores: String,
    pub page_keystores: String,
    pub all_keystores: String,
    pub set_keystore_state: String,
    pub delete_keystore: String,
    pub record_root_key_check: String,
    pub get_root_key_check: String,
    pub forget_root_key_check: String,
    // keys
    pub insert_key: String,
    pub insert_material: String,
    pub get_key: String,
    pub get_material: String,
    pub set_key_state: String,
    pub count_in_keystore: String,
    pub count_keys: String,
    pub page_keys: String,
    pub update_alias: String,
    pub update_description: String,
    pub purge_deleted: String,
    pub set_rotation: String,
    pub rotate: String,
    pub rotation_due: String,
    pub key_exists: String,
    pub lock_key: String,
    // tags
    pub upsert_tag: String,
    pub delete_tag: String,
    pub count_tags: String,
    pub tags_of: String,
    pub project_tags: String,
    // PIN verifiers
    pub insert_pin: String,
    pub has_pin: String,
    // certificates
    pub insert_cert: String,
    pub get_cert: String,
    pub count_certs: String,
    pub page_certs: String,
    pub update_cert: String,
    pub delete_cert: String,
    // root-key rotation
    pub root_state: String,
    pub lock_root_state: String,
    pub record_fingerprint: String,
    pub carried_pin_keys: String,
    pub delete_carried: String,
    pub insert_carried: String,
    pub set_rotation_target: String,
    pub unmoved_material: String,
    pub unmoved_certs: String,
    pub rewrap_material: String,
    pub rewrap_cert: String,
    pub count_unmoved: String,
    /// `?1` fingerprint, `?2` generation: the finished rotation's root key
    /// becomes the recorded one.
    pub finish_rotation: String,
    /// Then (no parameters): the rotation under way is cleared, when that
    /// is a statement of its own.
    pub clear_rotation: Option<String>,
}

/// `meta` name of a dedicated keystore's root-key check value (SQLite):
/// this prefix and the keystore id.
pub const ROOT_KEY_CHECK_PREFIX: &str = "root_key_check/";

impl Queries {
    #[allow(clippy::too_many_lines)] // one statement a line, nothing to split
    fn new(d: Dialect) -> Self {
        let sqlite = d == Dialect::Sqlite;
        let seq = d.seq();
        let r = |sql: &str| d.render(sql);
        // ?2: the state filter (NULL: any); ?3: the instant at which keys
        // pending deletion with an earlier deletion time are gone; ?4: the
        // spec filter (NULL: any).
        let key_match = format!(
            "project_id = ?1 AND (?2::text IS NULL OR state = ?2::text) AND {} \
             AND (?4::text IS NULL OR key_spec = ?4::text)",
            gone("", 3)
        );
        let cert_filter = format!(
            "project_id = ?1
             AND (?2::text IS NULL OR {})
             AND (?3::text IS NULL OR {})
             AND (?4::text IS NULL OR signature_algorithm = ?4::text)
             AND (?5::text IS NULL OR scope_type = ?5::text)
             AND (?6::text IS NULL OR instance_id = ?6::text)
             AND (?7::text IS NULL OR algorithm_type = ?7::text)",
            d.contains("name", 2),
            d.contains("common_name", 3),
        );
        // SQLite keeps a schema-1 row's clear key in `key_pem` until it is
        // sealed; rows written since hold ''.
        let (key_pem_col, key_pem_val, key_pem_set) = if sqlite {
            (", key_pem", ", ''", ",\n key_pem = ''")
        } else {
            ("", "", "")
        };
        let (root_state, record_fingerprint, set_rotation_target, finish_rotation, clear_rotation) =
            if sqlite {
                (
                    "SELECT (SELECT value FROM meta WHERE name = 'root_fingerprint'),
                            (SELECT value FROM meta WHERE name = 'root_generation'),
                            (SELECT value FROM meta WHERE name = 'rotation_fingerprint'),
                            (SELECT value FROM meta WHERE name = 'rotation_generation')"
                        .to_owned(),
                    "INSERT INTO meta (name, value) VALUES ('root_fingerprint', ?1)
                     ON CONFLICT (name) DO NOTHING",
                    "INSERT INTO meta (name, value)
                     VALUES ('rotation_fingerprint', ?1), ('rotation_generation', ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    "INSERT INTO meta (name, value)
                     VALUES ('root_fingerprint', ?1), ('root_generation', ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    Some(
                        "DELETE FROM meta WHERE name IN ('rotation_fingerprint', 'rotation_generation')"
                            .to_owned(),
                    ),
                )
            } else {
                (
                    "SELECT fingerprint, generation, rotation_fingerprint, rotation_generation
                     FROM root_key_fingerprint"
                        .to_owned(),
                    "INSERT INTO root_key_fingerprint (singleton, fingerprint) VALUES (TRUE, ?1)
                     ON CONFLICT (singleton) DO NOTHING",
                    "UPDATE root_key_fingerprint SET rotation_fingerprint = ?1,
                            rotation_generation = ?2",
                    "UPDATE root_key_fingerprint SET fingerprint = ?1, generation = ?2,
                            rotation_fingerprint = NULL, rotation_generation = NULL",
                    None,
                )
            };
        let (record_check, get_check, forget_check) = if sqlite {
            (
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                "SELECT value FROM meta WHERE name = ?1",
                "DELETE FROM meta WHERE name = ?1",
            )
        } else {
            (
                "INSERT INTO root_key_checks (keystore_id, check_value) VALUES (?1, ?2)
                 ON CONFLICT (keystore_id) DO NOTHING",
                "SELECT check_value FROM root_key_checks WHERE keystore_id = ?1",
                "DELETE FROM root_key_checks WHERE keystore_id = ?1",
            )
        };
        let all_keystores_order = if sqlite { "keystore_id" } else { "seq" };
        let unmoved = "root_gen <> ?1 AND sealed_private_key IS NOT NULL";
        Self {
            dialect: d,
            insert_keystore: r(&format!(
                "INSERT INTO keystores ({KEYSTORE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            )),
            get_keystore: d.select(
                KEYSTORE_COLUMNS,
                "keystores",
                "domain_id = ?1 AND keystore_id = ?2",
            ),
            count_keystores: d.select("COUNT(*)", "keystores", "domain_id = ?1"),
            page_keystores: d.select(
                KEYSTORE_COLUMNS,
                "keystores",
                &format!("domain_id = ?1 ORDER BY create_time, {seq} LIMIT ?2 OFFSET ?3"),
            ),
            all_keystores: format!(
                "SELECT {KEYSTORE_COLUMNS} FROM keystores ORDER BY create_time, {all_keystores_order}"
            ),
            set_keystore_state: r(
                "UPDATE keystores SET state = ?3 WHERE domain_id = ?1 AND keystore_id = ?2",
            ),
            delete_keystore: r("DELETE FROM keystores WHERE domain_id = ?1 AND keystore_id = ?2"),
            record_root_key_check: r(record_check),
            get_root_key_check: r(get_check),
            forget_root_key_check: r(forget_check),
            insert_key: r("INSERT INTO keys (key_id, domain_id, project_id, alias, description, keystore_id,
                               dedicated_keystore_id, state, current_version, create_time, deletion_time,
                               rotation_enabled, rotation_interval, last_rotation_time, number_of_rotations,
                               key_spec, key_usage, origin, rotation_start, material_expiry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"),
            insert_material: r(
                "INSERT INTO key_material (key_id, version, wrapped) VALUES (?1, ?2, ?3)",
            ),
            get_key: d.select(KEY_COLUMNS, "keys", "project_id = ?1 AND key_id = ?2"),
            get_material: d.select("wrapped", "key_material", "key_id = ?1 AND version = ?2"),
            set_key_state: r(
                "UPDATE keys SET state = ?3, deletion_time = ?4 WHERE project_id = ?1 AND key_id = ?2",
            ),
            count_in_keystore: d.select("COUNT(*)", "keys", "keystore_id = ?1"),
            count_keys: d.select("COUNT(*)", "keys", &key_match),
            page_keys: d.select(
                KEY_COLUMNS,
                "keys",
                &format!("{key_match} ORDER BY create_time, key_id LIMIT ?5 OFFSET ?6"),
            ),
            update_alias: r("UPDATE keys SET alias = ?3 WHERE project_id = ?1 AND key_id = ?2"),
            update_description: r(
                "UPDATE keys SET description = ?3 WHERE project_id = ?1 AND key_id = ?2",
            ),
            purge_deleted: r("DELETE FROM keys WHERE state = '4'
                 AND deletion_time IS NOT NULL AND deletion_time <= ?1"),
            set_rotation: r("UPDATE keys SET rotation_enabled = COALESCE(?3, rotation_enabled),
                                 rotation_interval = COALESCE(?4, rotation_interval),
                                 rotation_start = COALESCE(?5, rotation_start)
                 WHERE project_id = ?1 AND key_id = ?2"),
            rotate: r("UPDATE keys SET current_version = ?3, last_rotation_time = ?5,
                                 rotation_start = ?5,
                                 number_of_rotations = number_of_rotations + 1
                 WHERE project_id = ?1 AND key_id = ?2 AND current_version = ?4"),
            // Symmetric specs only: a key pair's rotation cannot be enabled,
            // but the store does not rely on that.
            rotation_due: r(&format!(
                "SELECT project_id, key_id, current_version FROM keys
                 WHERE rotation_enabled = ?2 AND state = '{enabled}' AND origin = '{kms}'
                   AND key_spec IN ({symmetric})
                   AND {due} <= ?1
                 ORDER BY {due}, key_id LIMIT ?3",
                enabled = codes::key_state_code(KeyState::Enabled),
                kms = codes::origin_code(KeyOrigin::Kms),
                symmetric = symmetric_spec_codes(),
                due = ROTATION_DUE,
            )),
            key_exists: d.select("1", "keys", "project_id = ?1 AND key_id = ?2"),
            lock_key: d.select(
                "1",
                "keys",
                &format!("project_id = ?1 AND key_id = ?2{}", d.for_update()),
            ),
            upsert_tag: r("INSERT INTO key_tags (key_id, tag_key, tag_value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value"),
            delete_tag: r("DELETE FROM key_tags WHERE key_id = ?1 AND tag_key = ?2"),
            count_tags: d.select("COUNT(*)", "key_tags", "key_id = ?1"),
            tags_of: d.select(
                "tag_key, tag_value",
                "key_tags",
                "key_id = ?1 ORDER BY tag_key",
            ),
            project_tags: r(&format!(
                "SELECT DISTINCT t.tag_key, t.tag_value FROM key_tags t
                 JOIN keys k ON k.key_id = t.key_id
                 WHERE k.project_id = ?1 AND {}
                 ORDER BY t.tag_key, t.tag_value",
                gone("k.", 2)
            )),
            insert_pin: r(
                "INSERT INTO pin_verifiers (domain_id, keystore_id, verifier) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            ),
            has_pin: r("SELECT EXISTS (SELECT 1 FROM pin_verifiers
                                WHERE domain_id = ?1 AND keystore_id = ?2 AND verifier = ?3)"),
            insert_cert: r(&format!(
                "INSERT INTO certificates (id, project_id, scope_type, instance_id, name, common_name,
                     signature_algorithm, algorithm_type, record_json, cert_pem, sealed_private_key,
                     trusted_root_ca{key_pem_col})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12{key_pem_val})"
            )),
            get_cert: d.select(CERT_COLUMNS, "certificates", "project_id = ?1 AND id = ?2"),
            count_certs: d.select("COUNT(*)", "certificates", &cert_filter),
            page_certs: d.select(
                CERT_COLUMNS,
                "certificates",
                &format!("{cert_filter} ORDER BY {seq} LIMIT ?8 OFFSET ?9"),
            ),
            update_cert: r(&format!(
                "UPDATE certificates SET scope_type = ?3, instance_id = ?4, name = ?5,
                     common_name = ?6, signature_algorithm = ?7, algorithm_type = ?8,
                     record_json = ?9, cert_pem = ?10, sealed_private_key = ?11,
                     trusted_root_ca = ?12{key_pem_set}
                 WHERE id = ?1 AND project_id = ?2"
            )),
            delete_cert: r("DELETE FROM certificates WHERE project_id = ?1 AND id = ?2"),
            lock_root_state: format!("{root_state}{}", d.for_update()),
            root_state,
            record_fingerprint: r(record_fingerprint),
            carried_pin_keys: "SELECT keystore_id, wrapped FROM carried_pin_keys ORDER BY keystore_id"
                .to_owned(),
            delete_carried: "DELETE FROM carried_pin_keys".to_owned(),
            insert_carried: r("INSERT INTO carried_pin_keys (keystore_id, wrapped) VALUES (?1, ?2)"),
            set_rotation_target: r(set_rotation_target),
            unmoved_material: r("SELECT m.key_id, m.version, k.keystore_id, k.key_spec, m.wrapped
                 FROM key_material m JOIN keys k ON k.key_id = m.key_id
                 WHERE m.root_gen <> ?1 ORDER BY m.key_id, m.version LIMIT ?2"),
            // A schema-1 SQLite row whose clear key is not sealed yet has
            // NULL: the host seals it (under the root key it then has)
            // before serving.
            unmoved_certs: d.select(
                "project_id, id, sealed_private_key",
                "certificates",
                &format!("{unmoved} ORDER BY id LIMIT ?2"),
            ),
            rewrap_material: r("UPDATE key_material SET wrapped = ?1, root_gen = ?2
                 WHERE key_id = ?3 AND version = ?4 AND wrapped = ?5"),
            rewrap_cert: r("UPDATE certificates SET sealed_private_key = ?1, root_gen = ?2
                 WHERE id = ?3 AND sealed_private_key = ?4"),
            count_unmoved: r(&format!(
                "SELECT (SELECT count(*) FROM key_material WHERE root_gen <> ?1)
                      + (SELECT count(*) FROM certificates WHERE {unmoved})"
            )),
            finish_rotation: r(finish_rotation),
            clear_rotation,
        }
    }
}
