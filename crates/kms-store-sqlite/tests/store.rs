#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! What only SQLite has: migrations, persistence across reopen, `Debug`.
//! The ports' rules (round trips, uniqueness, races, tenancy) are the
//! conformance suite in `tests/conformance.rs`.

use kms_core::ports::{
    CertificateStore, KeyRecord, KeyState, KeystoreRecord, KeystoreState, KeystoreStore,
    MasterKeyStore, StoredCertificate, Timestamp,
};
use kms_crypto::{MasterKey, RootKey, WrappedMasterKey};
use kms_model::{CertificateRecord, KeystoreType};
use kms_store_sqlite::{SCHEMA_VERSION, SqliteStore};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("kms.db")).unwrap();
    (dir, store)
}

fn keystore(id: &str, domain: &str, alias: &str, cluster: Option<&str>) -> KeystoreRecord {
    KeystoreRecord {
        keystore_id: id.into(),
        domain_id: domain.into(),
        alias: alias.into(),
        keystore_type: KeystoreType::Dhsm,
        cluster_id: cluster.map(Into::into),
        state: KeystoreState::Enabled,
        create_time: Timestamp(1_700_000_000_000),
    }
}

fn key(id: &str, project: &str, alias: &str, keystore_id: &str) -> KeyRecord {
    KeyRecord {
        key_id: id.into(),
        domain_id: "dom".into(),
        project_id: project.into(),
        alias: alias.into(),
        description: String::new(),
        keystore_id: keystore_id.into(),
        state: KeyState::Enabled,
        current_version: 1,
        create_time: Timestamp(1_700_000_000_000),
        deletion_time: None,
    }
}

fn wrapped(key_id: &str) -> WrappedMasterKey {
    let root = RootKey::from_bytes(&[1u8; 32]).unwrap();
    let mk = MasterKey::from_bytes(key_id, 1, &[7u8; 32]).unwrap();
    root.wrap_master_key(&mk).unwrap()
}

fn cert(id: &str, project: &str, name: &str) -> StoredCertificate {
    StoredCertificate {
        record: CertificateRecord {
            id: id.into(),
            name: name.into(),
            r#type: Some("global".into()),
            instance_id: Some("common".into()),
            project_id: Some(project.into()),
            common_name: format!("{name}.example.com"),
            signature_algorithm: "SHA256-RSA".into(),
            algorithm_type: Some("RSA".into()),
            ..CertificateRecord::default()
        },
        cert_pem: "-----BEGIN CERTIFICATE-----".into(),
        sealed_private_key: sealed_key(project, id),
        trusted_root_ca: None,
    }
}

/// A private key sealed the way kms-core seals it.
fn sealed_key(project: &str, id: &str) -> kms_crypto::Ciphertext {
    use kms_core::ports::RootKeyProvider;
    let roots = kms_core::software::SoftwareRootKeys::new(&[7u8; 32]).unwrap();
    let entropy = kms_core::software::ChaChaEntropy::from_seed([3u8; 32]);
    roots
        .seal_private_key(
            &kms_crypto::PrivateKeyScope::new(project, id).unwrap(),
            &entropy,
            b"-----BEGIN PRIVATE KEY-----",
        )
        .unwrap()
}

fn id(n: usize) -> String {
    format!("{n:08x}-0000-0000-0000-000000000000")
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
