//! Wires the in-memory store to the OS defaults of `Ports::builder`
//! (system clock, per-thread OS-seeded CSPRNG; feature `os`), then runs the four seed operations end to end, printing each
//! request's response as the wire would carry it.
//!
//! ```text
//! cargo run -p kms-core --example seed_operations
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use kms_core::memory::{MemoryStore, VecAudit};
use kms_core::ports::{Caller, ClusterInfo, Ports};
use kms_core::software::{SoftwareRootKeys, StaticClusters};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody, CreateKeyStoreRequestBody,
    CreatePinRequestBody, DecryptDatakeyRequestBody, KeystoreType,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use sha2::{Digest, Sha256};

fn show<T: serde::Serialize>(route: &str, value: &T) {
    println!(
        "{route}\n{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // An HSM cluster with its CA certificate, as a host's config would list it.
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(vec![])?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let cluster = ClusterInfo {
        cluster_id: "hsm_cluster_id".into(),
        domain_id: "b168fe00ff56492495a7d22974df2d0b".into(),
        cluster_type: KeystoreType::Dhsm,
        ca_fingerprint: Some(Sha256::digest(ca.der()).into()),
    };

    let mut root_secret = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut root_secret[..])?;
    let audit = Arc::new(VecAudit::default());
    let ports = Ports::builder(
        Arc::new(MemoryStore::new()),
        Arc::new(SoftwareRootKeys::new(&root_secret[..])?),
        audit.clone(),
    )
    .clusters(Arc::new(StaticClusters(vec![cluster])))
    .build()?;
    let kms = Kms::new(ports, CoreConfig::default());
    let caller = Caller::new("b168fe00ff56492495a7d22974df2d0b", "project-1");

    // 000/001: create a dedicated keystore (2023 request shape)
    let ks = kms.wire().create_keystore(
        &caller,
        &CreateKeyStoreRequestBody {
            keystore_alias: "keystore_alia1".into(),
            hsm_cluster_id: Some("hsm_cluster_id".into()),
            hsm_ca_cert: Some(ca.pem()),
            ..Default::default()
        },
    )?;
    show("POST /v1.0/project-1/keystores", &ks);

    // 002: create a PIN sealed by the shared management-plane cluster
    let pin = kms.wire().create_pin(
        &caller,
        &CreatePinRequestBody {
            pin_type: Some("CipherText".into()),
            keystore_id: Some("1".into()),
        },
    )?;
    println!(
        "POST /v1.0/project-1/kms/create-pin\n{{\"pin\": \"{}...\"}}\n",
        &pin.pin.expose()[..16]
    );

    // 004: create a plaintext-free DEK under a new CMK in that keystore
    let key = kms.wire().create_key(
        &caller,
        &CreateKeyRequestBody {
            key_alias: "seed-key".into(),
            keystore_id: Some(ks.keystore.keystore_id.as_str().into()),
            ..Default::default()
        },
    )?;
    show("POST /v1.0/project-1/kms/create-key", &key);
    let dek = kms.wire().create_datakey_without_plaintext(
        &caller,
        &CreateDatakeyRequestBody {
            key_id: key.key_info.key_id.clone(),
            datakey_length: Some("512".into()),
            ..Default::default()
        },
    )?;
    show(
        "POST /v1.0/project-1/kms/create-datakey-without-plaintext",
        &dek,
    );
    let back = kms.wire().decrypt_datakey(
        &caller,
        &DecryptDatakeyRequestBody {
            key_id: key.key_info.key_id,
            cipher_text: dek.cipher_text,
            datakey_cipher_length: "64".into(),
            ..Default::default()
        },
    )?;
    println!(
        "POST /v1.0/project-1/kms/decrypt-datakey\n{{\"datakey_length\": \"{}\", \"datakey_dgst\": \"{}\"}} (data_key not shown)\n",
        back.datakey_length, back.datakey_dgst
    );

    // 003: create an SSL certificate
    let leaf_key = KeyPair::generate()?;
    let mut leaf_params =
        CertificateParams::new(vec!["apigtest.example.com".into(), "*.san.com".into()])?;
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "apigtest.example.com");
    let leaf = leaf_params.self_signed(&leaf_key)?;
    let cert = kms.wire().create_certificate(
        &caller,
        &CertificateForm {
            name: "cert_demo".into(),
            cert_content: leaf.pem(),
            private_key: leaf_key.serialize_pem().into(),
            r#type: Some("instance".into()),
            instance_id: Some("f0fa1789-3b76-433b-a787-9892951c620e".into()),
            ..Default::default()
        },
    )?;
    show("POST /v2/project-1/apigw/certificates", &cert);

    println!("audit trail: {} events", audit.events().len());
    for e in audit.events() {
        println!(
            "  {} {} {:?}",
            e.action,
            e.resource.unwrap_or_default(),
            e.error_code
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
