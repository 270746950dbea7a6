#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! TLS to PostgreSQL: a throwaway cluster serving an rcgen certificate and
//! refusing connections without TLS; the store connects only when it
//! verifies that certificate, chain and host name (`sslmode=verify-full`).

use std::path::Path;
use std::time::Duration;

use kms_core::ports::MasterKeyStore;
use kms_store_postgres::testing::cluster_or_skip;
use kms_store_postgres::{PostgresStore, PostgresStoreOptions};

/// A CA (its PEM) and a server certificate for 127.0.0.1 only (chain PEM,
/// key PEM) that it signed.
fn ca_and_server_cert() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "kms test PostgreSQL CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server
        .distinguished_name
        .push(rcgen::DnType::CommonName, "127.0.0.1");
    let cert = server.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

fn options(ca_file: Option<&Path>) -> PostgresStoreOptions {
    PostgresStoreOptions {
        pool_size: 2,
        io_threads: 1,
        connect_timeout: Duration::from_secs(3),
        operation_timeout: Duration::from_secs(3),
        schema: Some("tls".to_owned()),
        ca_file: ca_file.map(Path::to_path_buf),
        password: None,
        passfile: None,
    }
}

#[test]
fn connects_over_tls_only_to_the_certificate_the_ca_signed_for_that_host() {
    let Some(cluster) = cluster_or_skip("tls").unwrap() else {
        return;
    };
    let (ca, cert, key) = ca_and_server_cert();
    cluster.enable_tls(&cert, &key, true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let (other_ca, _, _) = ca_and_server_cert();
    let other_ca_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, other_ca).unwrap();
    let url = cluster.url();

    // The CA as an option: TLS, verified (the server refuses plain
    // connections, so this one is encrypted).
    let s = PostgresStore::connect_with(&url, &options(Some(&ca_file))).unwrap();
    assert_eq!(s.count_keys_in_keystore("0").unwrap(), 0);
    drop(s);
    // The same with libpq's URL parameters.
    let with_params = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    );
    let s = PostgresStore::connect_with(&with_params, &options(None)).unwrap();
    assert_eq!(s.count_keys_in_keystore("0").unwrap(), 0);
    drop(s);

    let fails = |url: &str, ca: Option<&Path>| {
        PostgresStore::connect_with(url, &options(ca))
            .expect_err("connected")
            .to_string()
    };
    // Without TLS: refused by the server (no hostssl-less entry).
    let err = fails(&url, None);
    assert!(
        err.contains("pg_hba.conf") || err.contains("encryption"),
        "{err}"
    );
    // A certificate another CA signed.
    let err = fails(&url, Some(&other_ca_file));
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // The right CA, but the certificate is not for the host connected to.
    let by_name = url.replace("127.0.0.1", "localhost");
    let err = fails(&by_name, Some(&ca_file));
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    // TLS asked for without a CA: refused before connecting.
    let err = fails(&format!("{url}?sslmode=require"), None);
    assert!(err.contains("CA file"), "{err}");
}
