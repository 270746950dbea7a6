//! Records the cases build, for adapters' own tests too.
#![allow(clippy::unwrap_used)]

use kms_core::ports::{
    KeyRecord, KeyState, KeystoreRecord, KeystoreState, RootKeyProvider, StoredCertificate,
    Timestamp,
};
use kms_crypto::{MasterKey, RootKey, WrappedMasterKey};
use kms_model::{CertificateRecord, KeystoreType};

/// An enabled DHSM keystore record.
pub fn keystore(id: &str, domain: &str, alias: &str, cluster: Option<&str>) -> KeystoreRecord {
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

/// An enabled key record (version 1) of domain `dom`.
pub fn key(id: &str, project: &str, alias: &str, keystore_id: &str) -> KeyRecord {
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

/// Master key material for `key_id`, wrapped under a fixed root key
/// (`[1; 32]`; the material is `[7; 32]`).
pub fn wrapped(key_id: &str) -> WrappedMasterKey {
    let root = RootKey::from_bytes(&[1u8; 32]).unwrap();
    let mk = MasterKey::from_bytes(key_id, 1, &[7u8; 32]).unwrap();
    root.wrap_master_key(&mk).unwrap()
}

/// A global certificate with a sealed private key.
pub fn cert(id: &str, project: &str, name: &str) -> StoredCertificate {
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
pub fn sealed_key(project: &str, id: &str) -> kms_crypto::Ciphertext {
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

/// The `n`th id, in the key-id shape.
pub fn id(n: usize) -> String {
    format!("{n:08x}-0000-0000-0000-000000000000")
}
