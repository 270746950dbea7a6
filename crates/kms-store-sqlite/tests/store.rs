#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! What only SQLite has: migrations, persistence across reopen, `Debug`.
//! The ports' rules (round trips, uniqueness, races, tenancy) are the
//! conformance suite in `tests/conformance.rs`.

use kms_core::ports::{CertificateStore, KeystoreStore, MasterKeyStore};
use kms_store_conformance::fixtures::{cert, id, key, keystore, wrapped};
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
    let w = wrapped(&id(2));
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .insert_keystore(&keystore(&id(1), "dom", "k", Some("c")))
            .unwrap();
        store
            .insert_key(&key(&id(2), "proj", "a", &id(1)), &w)
            .unwrap();
        store
            .insert_certificate(&cert(&id(3), "proj", "name_x"))
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.get_keystore("dom", &id(1)).unwrap().is_some());
    assert!(store.get_key("proj", &id(2)).unwrap().is_some());
    assert_eq!(
        store.get_key_material(&id(2), 1).unwrap().as_deref(),
        Some(w.as_bytes())
    );
    assert!(store.get_certificate("proj", &id(3)).unwrap().is_some());
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
