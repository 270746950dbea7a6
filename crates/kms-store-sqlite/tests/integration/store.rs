#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! What only a file-backed store has: migrations, persistence across
//! reopen, the `Debug` form. The port rules themselves (round trips, the
//! atomic rules, races, tenancy) are in `conformance.rs`, shared with the
//! in-memory store.

use kms_core::ports::{
    CertificateFilter, CertificateStore, KeystoreState, KeystoreStore, MasterKeyStore,
    PinVerifierStore,
};
use kms_store_conformance::{DOMAIN, PROJECT, certificate, id, key, keystore, verifier, wrapped};
use kms_store_sqlite::{SCHEMA_VERSION, SqliteStore};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("kms.db")).unwrap();
    (dir, store)
}

#[test]
fn schema_is_migrated_to_current_version() {
    let (_dir, store) = open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kms.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn everything_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kms.db");
    let ks = keystore(1, DOMAIN, "k", Some("c"));
    let k = key(2, PROJECT, "a", &id(1));
    let w = wrapped(&id(2), 1, 2);
    let c = certificate(3, PROJECT, "name_x");
    let v = verifier(4);
    {
        let store = SqliteStore::open(&path).unwrap();
        store.insert_keystore(&ks).unwrap();
        store.insert_key(&k, &w.clone().into()).unwrap();
        store.insert_certificate(&c).unwrap();
        store.insert_pin_verifier(DOMAIN, &id(1), &v).unwrap();
        assert!(
            store
                .set_keystore_state(DOMAIN, &id(1), KeystoreState::Disabled)
                .unwrap()
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.get_keystore(DOMAIN, &id(1)).unwrap(),
        Some(kms_core::ports::KeystoreRecord {
            state: KeystoreState::Disabled,
            ..ks
        })
    );
    assert_eq!(store.get_key(PROJECT, &id(2)).unwrap().as_deref(), Some(&k));
    assert_eq!(
        store.get_key_material(&id(2), 1).unwrap().as_deref(),
        Some(w.as_bytes())
    );
    assert_eq!(
        store.get_certificate(PROJECT, &c.record.id).unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        store
            .list_certificates(PROJECT, &CertificateFilter::default(), 0, 10)
            .unwrap(),
        (1, vec![c])
    );
    assert!(store.has_pin_verifier(DOMAIN, &id(1), &v).unwrap());
    assert_eq!(store.count_keys_in_keystore(&id(1)).unwrap(), 1);
}

#[test]
fn debug_shows_no_content() {
    let (_dir, store) = open();
    let dbg = format!("{store:?}");
    assert!(
        dbg.contains("SqliteStore") && dbg.contains("kms.db"),
        "{dbg}"
    );
}

/// A schema 7 database, whose key state CHECK allows only '2'..'4',
/// migrates to 8: its keys keep their states, and a key awaiting import
/// (state '5') can then be stored.
#[test]
fn a_schema_7_database_migrates_to_pending_import() {
    use kms_core::ports::{KeyMaterial, KeyOrigin, KeyState};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kms.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .insert_key(&key(1, PROJECT, "old", "0"), &wrapped(&id(1), 1, 1).into())
            .unwrap();
        assert!(
            store
                .set_key_state(PROJECT, &id(1), KeyState::Disabled, None)
                .unwrap()
        );
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Schema 14 undone: the grants table (and its triggers).
    conn.execute_batch("DROP TABLE key_grants;").unwrap();
    // Schema 13 undone: key material import's table (and its triggers)
    // and the key's two columns.
    conn.execute_batch(
        "DROP TABLE import_tokens;
         ALTER TABLE keys DROP COLUMN material_expiry;
         ALTER TABLE keys DROP COLUMN import_fingerprint;",
    )
    .unwrap();
    // Schema 11 undone: the alias API's table (and its triggers). Schema
    // 10 (the key usage column replaced) is re-run as it is.
    conn.execute_batch("DROP TABLE key_groups; DROP TABLE key_aliases;")
        .unwrap();
    // Schema 9 undone: the rotation interval's start.
    conn.execute_batch("ALTER TABLE keys DROP COLUMN rotation_start;")
        .unwrap();
    // Schema 8 undone: the state column back under schema 7's CHECK.
    conn.execute_batch(
        "ALTER TABLE keys ADD COLUMN old_state TEXT NOT NULL DEFAULT '2'
             CHECK (old_state IN ('2', '3', '4'));
         UPDATE keys SET old_state = state;
         ALTER TABLE keys DROP COLUMN state;
         ALTER TABLE keys RENAME COLUMN old_state TO state;
         PRAGMA user_version = 7;",
    )
    .unwrap();
    // Schema 7 refuses state '5'.
    assert!(
        conn.execute("UPDATE keys SET state = '5' WHERE key_id = ?1", [id(1)])
            .is_err()
    );
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let k = store.get_key(PROJECT, &id(1)).unwrap().unwrap();
    assert_eq!(k.state, KeyState::Disabled);
    // Schema 9: no recorded interval start; the interval counts from the
    // last rotation, else the creation.
    assert_eq!(k.rotation.interval_start, None);
    assert_eq!(
        store.get_key_material(&id(1), 1).unwrap().as_deref(),
        Some(wrapped(&id(1), 1, 1).as_bytes())
    );
    let waiting = kms_core::ports::KeyRecord {
        state: KeyState::PendingImport,
        current_version: 0,
        origin: KeyOrigin::External,
        ..key(2, PROJECT, "byok", "0")
    };
    store
        .insert_key(&waiting, &KeyMaterial::AwaitingImport)
        .unwrap();
    assert_eq!(
        store.get_key(PROJECT, &id(2)).unwrap().as_deref(),
        Some(&waiting)
    );
}

/// Schema 3 adds the rotation columns, schema 4 the key tags (schema 5 key
/// pairs, schema 6 backup and root-rotation records): a schema-2
/// file (the columns and tables dropped, the version set back) opens,
/// migrates, keeps its keys and reads them with rotation off, the default
/// interval, no history and no tags.
#[test]
fn a_schema_2_database_migrates_to_key_rotation() {
    use kms_core::ports::KeyRotation;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kms.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .insert_key(&key(1, PROJECT, "old", "0"), &wrapped(&id(1), 1, 1).into())
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Schema 14 undone: the grants table (and its triggers).
    conn.execute_batch("DROP TABLE key_grants;").unwrap();
    // Schema 13 undone: key material import's table (and its triggers)
    // and the key's two columns.
    conn.execute_batch(
        "DROP TABLE import_tokens;
         ALTER TABLE keys DROP COLUMN material_expiry;
         ALTER TABLE keys DROP COLUMN import_fingerprint;",
    )
    .unwrap();
    // Schema 11 undone: the alias API's table (and its triggers). Schema
    // 10 (the key usage column replaced) is re-run as it is.
    conn.execute_batch("DROP TABLE key_groups; DROP TABLE key_aliases;")
        .unwrap();
    // Schema 9 undone: the rotation interval's start.
    conn.execute_batch("ALTER TABLE keys DROP COLUMN rotation_start;")
        .unwrap();
    // Schema 7 undone: the origin column.
    conn.execute_batch("ALTER TABLE keys DROP COLUMN origin;")
        .unwrap();
    // Schema 6 undone: its triggers, tables and columns.
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    conn.execute_batch(
        "DROP TABLE meta;
         DROP TABLE carried_pin_keys;
         ALTER TABLE key_material DROP COLUMN root_gen;
         ALTER TABLE certificates DROP COLUMN root_gen;",
    )
    .unwrap();
    conn.execute_batch(
        "DROP TABLE key_tags;
         ALTER TABLE keys DROP COLUMN rotation_enabled;
         ALTER TABLE keys DROP COLUMN rotation_interval;
         ALTER TABLE keys DROP COLUMN last_rotation_time;
         ALTER TABLE keys DROP COLUMN number_of_rotations;
         ALTER TABLE keys DROP COLUMN key_spec;
         ALTER TABLE keys DROP COLUMN key_usage;
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 14);
    let k = store.get_key(PROJECT, &id(1)).unwrap().unwrap();
    assert_eq!(*k, key(1, PROJECT, "old", "0"));
    assert_eq!(k.rotation, KeyRotation::default());
    // Schema 7: every key from before was generated here.
    assert_eq!(k.origin, kms_core::ports::KeyOrigin::Kms);
    // Schema 5: a key from before key pairs is AES_256 ENCRYPT_DECRYPT.
    assert_eq!(
        (k.spec, k.usage),
        (
            kms_model::CmkSpec::Aes256,
            kms_model::KeyUsage::EncryptDecrypt
        )
    );
    assert_eq!(
        kms_core::ports::KeyTagStore::get_key_tags(&store, PROJECT, &id(1)).unwrap(),
        Some(vec![])
    );
    assert_eq!(
        store.get_key_material(&id(1), 1).unwrap().as_deref(),
        Some(wrapped(&id(1), 1, 1).as_bytes())
    );
}

/// A certificate's `record_json` exactly as the versions before the typed
/// record wrote it (`serde_json` of kms-model's `CertificateRecord`), for
/// certificate `certificate(4, PROJECT, ..)`.
const RECORD_JSON_BEFORE: &str = concat!(
    r#"{"id":"00000004000040008000000000000000","name":"legacy_cert","type":"instance","#,
    r#""instance_id":"gw-7","project_id":"project-a","common_name":"legacy.example.com","#,
    r#""san":["legacy.example.com","192.0.2.7"],"version":3,"organization":["Org"],"#,
    r#""organizational_unit":[],"locality":["City"],"state":[],"country":["CN"],"#,
    r#""not_before":"2023-03-04T05:06:07Z","not_after":"2033-03-04T05:06:07Z","#,
    r#""serial_number":"340282366920938463463374607431768211455","issuer":["Issuer Org"],"#,
    r#""signature_algorithm":"ECDSA-SHA256","create_time":"2023-03-05T00:00:01Z","#,
    r#""update_time":"2023-04-05T00:00:02Z","is_has_trusted_root_ca":false,"#,
    r#""algorithm_type":"ECC"}"#
);

#[test]
fn a_certificate_record_written_before_decodes_and_is_written_back_unchanged() {
    let (dir, store) = open();
    let c = certificate(4, PROJECT, "legacy_cert");
    store.insert_certificate(&c).unwrap();
    // The row as an earlier version left it.
    let conn = rusqlite::Connection::open(dir.path().join("kms.db")).unwrap();
    let set = conn
        .execute(
            "UPDATE certificates SET record_json = ?1, scope_type = 'instance',
             instance_id = 'gw-7', algorithm_type = 'ECC' WHERE id = ?2",
            rusqlite::params![RECORD_JSON_BEFORE, c.record.id],
        )
        .unwrap();
    assert_eq!(set, 1);

    let got = store
        .get_certificate(PROJECT, &c.record.id)
        .unwrap()
        .unwrap();
    let r = &got.record;
    assert_eq!(r.id, c.record.id);
    assert_eq!(r.name, "legacy_cert");
    assert_eq!(r.project_id, PROJECT);
    assert_eq!(r.scope.type_str(), "instance");
    assert_eq!(r.scope.instance_id_str(), "gw-7");
    assert_eq!(r.san, ["legacy.example.com", "192.0.2.7"]);
    assert_eq!(r.not_before, kms_core::ports::Timestamp(1_677_906_367_000));
    assert_eq!(kms_core::rfc3339(r.not_after), "2033-03-04T05:06:07Z");
    assert_eq!(kms_core::rfc3339(r.create_time), "2023-03-05T00:00:01Z");
    assert_eq!(kms_core::rfc3339(r.update_time), "2023-04-05T00:00:02Z");
    assert_eq!(r.serial_number, "340282366920938463463374607431768211455");
    assert!(!r.has_trusted_root_ca);
    assert_eq!(r.algorithm_type.map(|a| a.as_str()), Some("ECC"));
    assert_eq!(got.cert_pem, c.cert_pem);
    assert_eq!(got.sealed_private_key, c.sealed_private_key);

    // Written back through the store: the same text, byte for byte.
    store.update_certificate(&got).unwrap();
    let text: String = conn
        .query_row(
            "SELECT record_json FROM certificates WHERE id = ?1",
            [&c.record.id],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(text, RECORD_JSON_BEFORE);
    assert_eq!(
        store.get_certificate(PROJECT, &c.record.id).unwrap(),
        Some(got)
    );
}
