//! Every check, with generated keys and chains (OpenSSL fixtures from
//! `tests/data/generated/gen.sh`, and rcgen at test time).

use cert_parse::{
    CertificateUpload, Error, KeyEncoding, KeyFamily, check_ca_certificate, check_certificate,
    check_chain, parse_certificates, parse_private_key,
};

use super::common::read;

fn g(name: &str) -> String {
    read(&format!("generated/{name}"))
}

/// A time inside the certificate's validity (its notBefore + 1 day).
fn inside(cert_pem: &str) -> i64 {
    parse_certificates(cert_pem).unwrap()[0].not_before_unix + 86_400
}

fn upload<'a>(cert: &'a str, key: &'a str, root: Option<&'a str>) -> CertificateUpload<'a> {
    CertificateUpload {
        cert_content: cert,
        private_key: key,
        trusted_root_ca: root,
    }
}

fn check(cert: &str, key: &str) -> Result<cert_parse::CheckedCertificate, Error> {
    check_certificate(&upload(cert, key, None), inside(cert))
}

#[test]
fn every_key_type_and_encoding_matches_its_certificate() {
    let cases = [
        (
            "rsa.crt",
            "rsa-pkcs1.key",
            KeyFamily::Rsa,
            KeyEncoding::Pkcs1,
        ),
        (
            "rsa.crt",
            "rsa-pkcs8.key",
            KeyFamily::Rsa,
            KeyEncoding::Pkcs8,
        ),
        (
            "ec-p256.crt",
            "ec-p256-sec1.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p256.crt",
            "ec-p256-sec1-nopub.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p256.crt",
            "ec-p256-pkcs8.key",
            KeyFamily::Ecc,
            KeyEncoding::Pkcs8,
        ),
        (
            "ec-p384.crt",
            "ec-p384-sec1.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p384.crt",
            "ec-p384-sec1-nopub.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p384.crt",
            "ec-p384-pkcs8.key",
            KeyFamily::Ecc,
            KeyEncoding::Pkcs8,
        ),
        (
            "ec-p521.crt",
            "ec-p521-sec1.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p521.crt",
            "ec-p521-sec1-nopub.key",
            KeyFamily::Ecc,
            KeyEncoding::Sec1,
        ),
        (
            "ec-p521.crt",
            "ec-p521-pkcs8.key",
            KeyFamily::Ecc,
            KeyEncoding::Pkcs8,
        ),
        (
            "ed25519.crt",
            "ed25519-pkcs8.key",
            KeyFamily::Ed25519,
            KeyEncoding::Pkcs8,
        ),
    ];
    for (cert, key, family, encoding) in cases {
        let (cert, key_pem) = (g(cert), g(key));
        let parsed = parse_private_key(&key_pem).unwrap();
        assert_eq!(
            (parsed.algorithm_type(), parsed.encoding()),
            (family, encoding),
            "{key}"
        );
        let record = check(&cert, &key_pem).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(record.algorithm_type, Some(family), "{key}");
        assert_eq!(record.leaf.algorithm_type, Some(family), "{key}");
        assert!(!record.is_has_trusted_root_ca);
    }
}

#[test]
fn ec_parameters_block_before_the_key_is_skipped() {
    let key = g("ec-p256-with-params.key");
    assert!(key.contains("EC PARAMETERS"));
    // Its own certificate is not among the fixtures: it must parse, and
    // must not match another P-256 certificate.
    assert_eq!(
        parse_private_key(&key).unwrap().algorithm_type(),
        KeyFamily::Ecc
    );
    assert_eq!(
        check(&g("ec-p256.crt"), &key).unwrap_err(),
        Error::KeyMismatch
    );
}

#[test]
fn mismatched_keys_are_2101() {
    let cases = [
        ("rsa.crt", "other-rsa.key"),
        ("ec-p256.crt", "other-p256.key"),
        ("ed25519.crt", "other-ed25519.key"),
        ("rsa.crt", "ed25519-pkcs8.key"),
        ("ec-p256.crt", "ec-p384-pkcs8.key"),
        ("ec-p521.crt", "ec-p256-sec1.key"),
        ("ed25519.crt", "rsa-pkcs8.key"),
    ];
    for (cert, key) in cases {
        let err = check(&g(cert), &g(key)).unwrap_err();
        assert_eq!(err, Error::KeyMismatch, "{cert} + {key}");
        assert_eq!((err.apig_code(), err.http_status()), ("APIG.2101", 400));
    }
}

#[test]
fn encrypted_keys_are_2105() {
    for key in ["encrypted-pkcs8.key", "encrypted-legacy.key"] {
        let err = check(&g("rsa.crt"), &g(key)).unwrap_err();
        assert_eq!(err, Error::EncryptedPrivateKey, "{key}");
        assert_eq!(err.apig_code(), "APIG.2105");
    }
}

#[test]
fn unparsable_inputs_are_2106() {
    let cert = g("rsa.crt");
    let key = g("rsa-pkcs1.key");
    let bad_keys = [
        String::new(),
        "not a key".to_owned(),
        cert.clone(), // a certificate pasted as the key
        key.replace("MII", "MIJ"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----".to_owned(),
        format!("{key}\n{key}"),
    ];
    for bad in &bad_keys {
        let err = check(&cert, bad).unwrap_err();
        assert!(matches!(err, Error::InvalidPrivateKey { .. }), "{err:?}");
        assert_eq!(err.apig_code(), "APIG.2106");
    }
    let bad_certs = [
        String::new(),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".to_owned(),
        key.clone(),
    ];
    for bad in &bad_certs {
        let err = check_certificate(&upload(bad, &key, None), 0).unwrap_err();
        assert!(matches!(err, Error::InvalidCertificate { .. }), "{err:?}");
        assert_eq!(err.apig_code(), "APIG.2106");
    }
}

#[test]
fn validity_is_checked_at_the_callers_time() {
    let (cert, key) = (g("rsa.crt"), g("rsa-pkcs1.key"));
    let info = &parse_certificates(&cert).unwrap()[0];
    let at = |t| check_certificate(&upload(&cert, &key, None), t);
    assert!(at(info.not_before_unix).is_ok());
    assert!(at(info.not_after_unix).is_ok());
    let err = at(info.not_after_unix + 1).unwrap_err();
    assert_eq!(
        err,
        Error::Expired {
            index: 0,
            not_after: info.not_after.clone()
        }
    );
    assert_eq!(err.apig_code(), "APIG.2102");
    let err = at(info.not_before_unix - 1).unwrap_err();
    assert_eq!(
        err,
        Error::NotYetValid {
            index: 0,
            not_before: info.not_before.clone()
        }
    );
    assert_eq!(err.apig_code(), "APIG.2102");
}

#[test]
fn an_expired_intermediate_is_2102() {
    let chain = format!("{}{}", g("leaf.crt"), g("intermediate.crt"));
    let infos = parse_certificates(&chain).unwrap();
    let t = infos[1].not_after_unix + 1;
    // The leaf is still valid then only if it outlives the intermediate;
    // either way the first failing certificate is reported.
    let err = check_certificate(&upload(&chain, &g("rsa-pkcs1.key"), None), t).unwrap_err();
    assert!(matches!(err, Error::Expired { .. }), "{err:?}");
}

#[test]
fn chains_must_be_linked_in_order_by_name_and_signature() {
    let (leaf, inter, root, key) = (
        g("leaf.crt"),
        g("intermediate.crt"),
        g("root.crt"),
        g("rsa-pkcs1.key"),
    );
    let t = inside(&leaf);
    let run = |chain: String| check_certificate(&upload(&chain, &key, None), t);

    assert_eq!(run(leaf.clone()).unwrap().chain_len, 1);
    assert_eq!(run(format!("{leaf}{inter}")).unwrap().chain_len, 2);
    assert_eq!(
        run(format!("{leaf}\n{inter}\n{root}")).unwrap().chain_len,
        3
    );

    let out_of_order = run(format!("{leaf}{root}{inter}")).unwrap_err();
    assert_eq!(
        out_of_order,
        Error::ChainNotMatched {
            index: 0,
            reason: "issuer does not match the next certificate's subject"
        }
    );
    assert_eq!(out_of_order.apig_code(), "APIG.2104");

    // Same subject name as the real intermediate, different key: only the
    // signature check can tell.
    let foreign = run(format!("{leaf}{}", g("foreign-intermediate.crt"))).unwrap_err();
    assert_eq!(
        foreign,
        Error::ChainNotMatched {
            index: 0,
            reason: "signature not verified by the next certificate"
        }
    );
    let unrelated = run(format!("{leaf}{}", g("other-intermediate.crt"))).unwrap_err();
    assert!(
        matches!(unrelated, Error::ChainNotMatched { index: 0, .. }),
        "{unrelated:?}"
    );
    // Intermediate right, root wrong.
    let wrong_root = run(format!("{leaf}{inter}{}", g("foreign-root.crt"))).unwrap_err();
    assert_eq!(
        wrong_root,
        Error::ChainNotMatched {
            index: 1,
            reason: "signature not verified by the next certificate"
        }
    );
}

#[test]
fn trusted_root_present_and_absent() {
    let (leaf, inter, root, key) = (
        g("leaf.crt"),
        g("intermediate.crt"),
        g("root.crt"),
        g("rsa-pkcs1.key"),
    );
    let chain = format!("{leaf}{inter}");
    let t = inside(&leaf);
    let run = |root: Option<&str>| check_certificate(&upload(&chain, &key, root), t);

    assert!(!run(None).unwrap().is_has_trusted_root_ca);
    assert!(!run(Some("  \n")).unwrap().is_has_trusted_root_ca);
    assert!(run(Some(&root)).unwrap().is_has_trusted_root_ca);
    // Several roots, the right one second.
    assert!(
        run(Some(&format!("{}{root}", g("foreign-root.crt"))))
            .unwrap()
            .is_has_trusted_root_ca
    );
    // The root itself at the end of the chain, and trusted.
    let full = format!("{chain}{root}");
    assert!(
        check_certificate(&upload(&full, &key, Some(&root)), t)
            .unwrap()
            .is_has_trusted_root_ca
    );

    let err = run(Some(&g("foreign-root.crt"))).unwrap_err();
    assert_eq!(
        err,
        Error::ChainNotMatched {
            index: 1,
            reason: "chain does not lead to the trusted root"
        }
    );
    // A leaf alone does not verify to the root (its issuer is the intermediate).
    let err = check_certificate(&upload(&leaf, &key, Some(&root)), t).unwrap_err();
    assert!(matches!(err, Error::ChainNotMatched { index: 0, .. }));
    // An unparsable trusted root is 2106.
    let err = run(Some(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ))
    .unwrap_err();
    assert_eq!(err.apig_code(), "APIG.2106");
    // check_chain: the same without a key.
    assert!(
        check_chain(&chain, Some(&root), t)
            .unwrap()
            .is_has_trusted_root_ca
    );
}

#[test]
fn p521_ecdsa_sha512_chain_verifies() {
    let leaf = g("p256-under-p521.crt");
    let root = g("p521-root.crt");
    assert_eq!(
        parse_certificates(&leaf).unwrap()[0].signature_algorithm,
        "ECDSA-SHA512"
    );
    let key = g("ec-p256-sec1.key");
    let t = inside(&leaf);
    assert_eq!(
        check_certificate(&upload(&format!("{leaf}{root}"), &key, None), t)
            .unwrap()
            .chain_len,
        2
    );
    assert!(
        check_certificate(&upload(&leaf, &key, Some(&root)), t)
            .unwrap()
            .is_has_trusted_root_ca
    );
    let err = check_certificate(&upload(&leaf, &key, Some(&g("root.crt"))), t).unwrap_err();
    assert_eq!(err.apig_code(), "APIG.2104");
}

/// What users paste: CRLF, whitespace, literal `\n`, quotes, one line.
#[test]
fn mangled_pem_is_tolerated() {
    let (cert, key) = (g("leaf.crt"), g("rsa-pkcs8.key"));
    let reference = check(&cert, &key).unwrap();
    let mangle: [fn(&str) -> String; 5] = [
        |s| s.replace('\n', "\r\n"),
        |s| format!("\n\t  {s}  \n\n"),
        |s| s.replace('\n', "\\n"),
        |s| format!("'{}'", s.replace('\n', "\\n")),
        |s| s.replace('\n', ""),
    ];
    for (i, m) in mangle.iter().enumerate() {
        let record = check_certificate(&upload(&m(&cert), &m(&key), None), inside(&cert))
            .unwrap_or_else(|e| panic!("mangling {i}: {e}"));
        assert_eq!(record, reference, "mangling {i}");
    }
}

#[test]
fn sizes_and_chain_length_are_capped() {
    let cert = g("rsa.crt");
    let key = g("rsa-pkcs1.key");
    let huge = " ".repeat(cert_parse::MAX_CERT_PEM_BYTES + 1) + &cert;
    let err = check_certificate(&upload(&huge, &key, None), 0).unwrap_err();
    assert!(matches!(
        err,
        Error::TooLarge {
            what: "cert_content",
            ..
        }
    ));
    let huge_key = " ".repeat(cert_parse::MAX_KEY_PEM_BYTES + 1) + &key;
    assert!(matches!(
        parse_private_key(&huge_key).unwrap_err(),
        Error::TooLarge {
            what: "private_key",
            ..
        }
    ));
    let long = cert.repeat(cert_parse::MAX_CHAIN_LEN + 1);
    let err = check_certificate(&upload(&long, &key, None), 0).unwrap_err();
    assert!(matches!(err, Error::TooManyCertificates { .. }));
    assert_eq!(err.apig_code(), "APIG.2106");
    assert_eq!(
        parse_certificates(&cert.repeat(cert_parse::MAX_CHAIN_LEN))
            .unwrap()
            .len(),
        cert_parse::MAX_CHAIN_LEN
    );
}

#[test]
fn private_key_debug_is_redacted() {
    let key = parse_private_key(&g("ec-p256-sec1.key")).unwrap();
    assert_eq!(
        format!("{key:?}"),
        "PrivateKey { algorithm_type: Ecc, encoding: Sec1, .. }"
    );
    let upload = upload("cert", "-----BEGIN PRIVATE KEY-----SECRET", None);
    assert!(!format!("{upload:?}").contains("SECRET"));
}

#[test]
fn ca_check_requires_basic_constraints_ca() {
    let ca = check_ca_certificate(&g("root.crt")).unwrap();
    let hex: String = ca
        .sha256_fingerprint()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, g("root.crt.sha256").trim());
    assert_eq!(ca.info.sha256_fingerprint_hex(), hex);
    let err = check_ca_certificate(&g("leaf.crt")).unwrap_err();
    assert_eq!(err, Error::NotCaCertificate);
    // Self-signed without basicConstraints (rcgen's default).
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["hsm.example.com".to_owned()]).unwrap();
    let no_bc = params.self_signed(&key).unwrap().pem();
    assert_eq!(
        check_ca_certificate(&no_bc).unwrap_err(),
        Error::NotCaCertificate
    );
    let two = format!("{}{}", g("root.crt"), g("intermediate.crt"));
    assert!(matches!(
        check_ca_certificate(&two).unwrap_err(),
        Error::InvalidCertificate { .. }
    ));
    assert!(check_ca_certificate(&g("intermediate.crt")).is_ok());
}

#[test]
fn leaf_fields_of_a_generated_chain() {
    let info = &parse_certificates(&g("leaf.crt")).unwrap()[0];
    assert_eq!(info.common_name, "leaf.example.com");
    assert_eq!(
        info.san,
        [
            "leaf.example.com",
            "*.example.com",
            "192.0.2.10",
            "2001:db8::1"
        ]
    );
    assert_eq!(info.organization, ["Example Tech"]);
    assert_eq!(info.organizational_unit, ["API Gateway"]);
    assert_eq!(info.issuer, ["Example"]);
    assert_eq!(info.serial_number, "300");
    assert_eq!(info.signature_algorithm, "SHA256-RSA");
    assert_eq!(info.version, 3);
    assert!(!info.is_ca);
}

/// rcgen-generated pairs at test time: matched, mismatched, and validity
/// windows chosen here.
#[test]
fn rcgen_generated_pairs() {
    use rcgen::{
        CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
        date_time_ymd,
    };
    for alg in [
        &PKCS_ECDSA_P256_SHA256,
        &PKCS_ECDSA_P384_SHA384,
        &PKCS_ED25519,
    ] {
        let key = KeyPair::generate_for(alg).unwrap();
        let other = KeyPair::generate_for(alg).unwrap();
        let mut params = CertificateParams::new(vec!["gen.example.com".to_owned()]).unwrap();
        params.not_before = date_time_ymd(2030, 1, 1);
        params.not_after = date_time_ymd(2031, 1, 1);
        let cert = params.self_signed(&key).unwrap().pem();
        let at_2030_06 = 1_906_416_000; // 2030-06-01T00:00:00Z
        let ok = check_certificate(&upload(&cert, &key.serialize_pem(), None), at_2030_06).unwrap();
        assert_eq!(ok.leaf.san, ["gen.example.com"]);
        assert_eq!(ok.leaf.not_before, "2030-01-01T00:00:00Z");
        let err = check_certificate(&upload(&cert, &other.serialize_pem(), None), at_2030_06)
            .unwrap_err();
        assert_eq!(err, Error::KeyMismatch);
        let err = check_certificate(
            &upload(&cert, &key.serialize_pem(), None),
            at_2030_06 - 365 * 86_400,
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotYetValid { .. }));
    }
}

#[test]
fn apig_mapping_is_stable() {
    let cases = [
        (
            Error::KeyMismatch,
            "APIG.2101",
            "The certificate does not match the private key",
        ),
        (
            Error::Expired {
                index: 0,
                not_after: String::new(),
            },
            "APIG.2102",
            "The certificate has expired or is not yet valid",
        ),
        (
            Error::NotYetValid {
                index: 0,
                not_before: String::new(),
            },
            "APIG.2102",
            "The certificate has expired or is not yet valid",
        ),
        (
            Error::ChainNotMatched {
                index: 0,
                reason: "x",
            },
            "APIG.2104",
            "The certificate chain does not match",
        ),
        (
            Error::EncryptedPrivateKey,
            "APIG.2105",
            "Encrypted private keys are not supported",
        ),
        (
            Error::InvalidCertificate {
                index: 0,
                reason: "x",
            },
            "APIG.2106",
            "Invalid certificate or private key",
        ),
        (
            Error::InvalidPrivateKey { reason: "x" },
            "APIG.2106",
            "Invalid certificate or private key",
        ),
        (
            Error::TooLarge {
                what: "x",
                limit: 1,
            },
            "APIG.2106",
            "Invalid certificate or private key",
        ),
        (
            Error::NotCaCertificate,
            "APIG.2106",
            "Invalid certificate or private key",
        ),
    ];
    for (err, code, msg) in cases {
        assert_eq!(
            (err.apig_code(), err.http_status(), err.apig_message()),
            (code, 400, msg)
        );
    }
}
