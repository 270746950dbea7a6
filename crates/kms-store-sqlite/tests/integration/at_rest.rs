#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Secrets at rest. A schema-1 database stored certificate private keys in
//! clear: opening it migrates the schema, `seal_legacy_private_keys` seals
//! every such key, and afterwards no clear key remains in the database or
//! its WAL. The database files are owner-only whatever the directory.

use kms_core::ports::{CertificateStore, RootKeyProvider};
use kms_core::software::{ChaChaEntropy, SoftwareRootKeys};
use kms_crypto::PrivateKeyScope;
use kms_store_sqlite::{SCHEMA_VERSION, SqliteStore};

const PEM: &str =
    "-----BEGIN PRIVATE KEY-----\nTHIS-IS-A-LEGACY-CLEAR-KEY-MARKER\n-----END PRIVATE KEY-----\n";
const MARKER: &[u8] = b"THIS-IS-A-LEGACY-CLEAR-KEY-MARKER";

/// The schema-1 certificates table, as the first release created it, and
/// the other schema-1 tables later migrations touch.
const SCHEMA_1_CERTIFICATES: &str = r"
CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL, project_id TEXT NOT NULL, scope_type TEXT NOT NULL,
    instance_id TEXT NOT NULL, name TEXT NOT NULL, common_name TEXT NOT NULL,
    signature_algorithm TEXT NOT NULL, algorithm_type TEXT NOT NULL, record_json TEXT NOT NULL,
    cert_pem TEXT NOT NULL, key_pem TEXT NOT NULL, trusted_root_ca TEXT,
    CONSTRAINT certificate_name UNIQUE (project_id, scope_type, instance_id, name)
);
-- Later migrations alter the keys table too: its schema-1 form.
CREATE TABLE keys (
    key_id TEXT PRIMARY KEY NOT NULL, domain_id TEXT NOT NULL, project_id TEXT NOT NULL,
    alias TEXT NOT NULL, description TEXT NOT NULL, keystore_id TEXT NOT NULL,
    dedicated_keystore_id TEXT, state TEXT NOT NULL, current_version INTEGER NOT NULL,
    create_time INTEGER NOT NULL, deletion_time INTEGER,
    CONSTRAINT key_alias UNIQUE (project_id, alias)
);
-- Later migrations alter or watch (triggers) the rest of schema 1 too.
CREATE TABLE keystores (
    keystore_id TEXT PRIMARY KEY NOT NULL, domain_id TEXT NOT NULL, alias TEXT NOT NULL,
    keystore_type TEXT NOT NULL, cluster_id TEXT UNIQUE, state TEXT NOT NULL,
    create_time INTEGER NOT NULL, CONSTRAINT keystore_alias UNIQUE (domain_id, alias)
);
CREATE TABLE key_material (
    key_id TEXT NOT NULL, version INTEGER NOT NULL, wrapped BLOB NOT NULL,
    PRIMARY KEY (key_id, version)
) WITHOUT ROWID;
CREATE TABLE pin_verifiers (
    domain_id TEXT NOT NULL, keystore_id TEXT NOT NULL, verifier BLOB NOT NULL,
    PRIMARY KEY (domain_id, keystore_id, verifier)
) WITHOUT ROWID;";

fn record_json(id: &str, name: &str) -> String {
    serde_json::to_string(&kms_model::CertificateRecord {
        id: id.into(),
        name: name.into(),
        r#type: Some("global".into()),
        instance_id: Some("common".into()),
        project_id: Some("p1".into()),
        // Every version wrote the times (RFC 3339); the store decodes them.
        not_before: "2024-01-01T00:00:00Z".into(),
        not_after: "2034-01-01T00:00:00Z".into(),
        create_time: "2024-06-01T00:00:00Z".into(),
        update_time: "2024-06-01T00:00:00Z".into(),
        ..kms_model::CertificateRecord::default()
    })
    .unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.is_file() && contains(&std::fs::read(&p).unwrap(), needle)
    })
}

#[test]
fn legacy_clear_private_keys_are_sealed_and_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kms.db");
    {
        // A schema-1 file: the full first migration is what the store
        // runs; here only the table this test needs, at user_version 1.
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(SCHEMA_1_CERTIFICATES).unwrap();
        c.execute(
            "INSERT INTO certificates VALUES ('c1', 'p1', 'global', 'common', 'cert_one',
             'a.example.com', 'SHA256-RSA', 'RSA', ?1, 'CERT', ?2, NULL)",
            rusqlite::params![record_json("c1", "cert_one"), PEM],
        )
        .unwrap();
        c.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    assert!(
        files_contain(dir.path(), MARKER),
        "the fixture must hold the clear key"
    );

    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    // Before sealing, the row is refused rather than served without a key.
    let e = store.get_certificate("p1", "c1").unwrap_err();
    assert_eq!(e.kind(), kms_core::ports::PortErrorKind::Corrupt);

    let roots = SoftwareRootKeys::new(&[9u8; 32]).unwrap();
    let entropy = ChaChaEntropy::from_seed([4u8; 32]);
    let seal = |project: &str, id: &str, pem: &[u8]| {
        roots
            .seal_private_key(&PrivateKeyScope::new(project, id).unwrap(), &entropy, pem)
            .map(kms_crypto::Ciphertext::into_bytes)
    };
    assert_eq!(store.seal_legacy_private_keys(seal).unwrap(), 1);
    assert_eq!(store.seal_legacy_private_keys(seal).unwrap(), 0);

    let cert = store.get_certificate("p1", "c1").unwrap().unwrap();
    let opened = roots
        .open_private_key(
            &PrivateKeyScope::new("p1", "c1").unwrap(),
            cert.sealed_private_key.as_bytes(),
        )
        .unwrap();
    assert_eq!(&opened[..], PEM.as_bytes());
    drop(store);
    assert!(
        !files_contain(dir.path(), MARKER),
        "a clear private key is left in the database files"
    );
}

#[test]
fn a_failed_seal_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kms.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(SCHEMA_1_CERTIFICATES).unwrap();
        for (id, name) in [("c1", "cert_one"), ("c2", "cert_two")] {
            c.execute(
                "INSERT INTO certificates VALUES (?1, 'p1', 'global', 'common', ?2,
                 'a.example.com', 'SHA256-RSA', 'RSA', ?3, 'CERT', ?4, NULL)",
                rusqlite::params![id, name, record_json(id, name), PEM],
            )
            .unwrap();
        }
        c.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    let store = SqliteStore::open(&db).unwrap();
    let mut calls = 0;
    let err = store
        .seal_legacy_private_keys(|_, _, _| {
            calls += 1;
            if calls == 2 {
                Err(std::io::Error::other("provider down"))
            } else {
                Ok(vec![1, 2, 3])
            }
        })
        .unwrap_err();
    assert!(
        matches!(err, kms_store_sqlite::Error::Seal { .. }),
        "{err:?}"
    );
    // The first row's update was rolled back with the second's failure.
    let roots = SoftwareRootKeys::new(&[9u8; 32]).unwrap();
    let entropy = ChaChaEntropy::from_seed([4u8; 32]);
    let n = store
        .seal_legacy_private_keys(|project: &str, id: &str, pem: &[u8]| {
            roots
                .seal_private_key(&PrivateKeyScope::new(project, id).unwrap(), &entropy, pem)
                .map(kms_crypto::Ciphertext::into_bytes)
        })
        .unwrap();
    assert_eq!(n, 2);
}

#[cfg(unix)]
#[test]
fn database_files_are_private_even_in_an_open_directory() {
    use kms_core::ports::KeystoreStore;
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.path().join("kms.db");
    let store = SqliteStore::open(&db).unwrap();
    // A write makes sure the WAL and the shared-memory index exist.
    store.list_keystores("d", 0, 1).unwrap();
    store
        .insert_keystore(&kms_core::ports::KeystoreRecord {
            keystore_id: "ks-1".into(),
            domain_id: "d".into(),
            alias: "a".into(),
            keystore_type: kms_model::KeystoreType::Dhsm,
            cluster_id: None,
            state: kms_core::ports::KeystoreState::Enabled,
            create_time: kms_core::ports::Timestamp(0),
        })
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.path().join(format!("kms.db{suffix}"));
        assert!(p.exists(), "{}", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    drop(store);
    // A database an earlier version left world-readable is narrowed.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _store = SqliteStore::open(&db).unwrap();
    assert_eq!(mode(&db), 0o600);
}
