//! One scenario per business rule and per error code, through the in-memory
//! adapters: status, code and message are asserted, not just "an error".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, ClusterInfo, Timestamp};
use kms_core::{CertificateQuery, CoreConfig, Kms};
use kms_model::{
    ApiError, CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody,
    CreateKeyStoreRequestBody, CreatePinRequestBody, DecryptDatakeyRequestBody,
    EncryptDatakeyRequestBody, ErrorCode, KeystoreType, LooseString, OperateKeyRequestBody,
    ScheduleKeyDeletionRequestBody,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use sha2::{Digest, Sha256};

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

struct Fixture {
    kms: Arc<Kms>,
    clock: Arc<ManualClock>,
    audit: Arc<VecAudit>,
    ca_pem: String,
    other_ca_pem: String,
}

fn ca() -> (String, [u8; 32]) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let fp: [u8; 32] = Sha256::digest(cert.der()).into();
    (cert.pem(), fp)
}

fn fixture() -> Fixture {
    let (ca_pem, fp) = ca();
    let (other_ca_pem, _) = ca();
    let clusters = vec![
        ClusterInfo {
            cluster_id: "hsm-a".into(),
            domain_id: "dom-a".into(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: Some(fp),
        },
        ClusterInfo {
            cluster_id: "hsm-b".into(),
            domain_id: "dom-a".into(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: Some(fp),
        },
        ClusterInfo {
            cluster_id: "cdms-a".into(),
            domain_id: "dom-a".into(),
            cluster_type: KeystoreType::Cdms,
            ca_fingerprint: None,
        },
        ClusterInfo {
            cluster_id: "hsm-foreign".into(),
            domain_id: "dom-b".into(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: Some(fp),
        },
    ];
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let audit = Arc::new(VecAudit::default());
    let ports = memory::ports(
        &[9u8; 32],
        [3u8; 32],
        clock.clone(),
        clusters,
        audit.clone(),
    )
    .unwrap();
    Fixture {
        kms: Arc::new(Kms::new(ports, CoreConfig::default())),
        clock,
        audit,
        ca_pem,
        other_ca_pem,
    }
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn a2() -> Caller {
    Caller::new("dom-a", "proj-a2")
}

fn b() -> Caller {
    Caller::new("dom-b", "proj-b")
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) -> ApiError {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
    assert_eq!(e.status(), code.status());
    assert!(
        e.error_msg().starts_with(code.message()),
        "{}",
        e.error_msg()
    );
    e
}

fn keystore_body(alias: &str, cluster: &str, ca: Option<&str>) -> CreateKeyStoreRequestBody {
    CreateKeyStoreRequestBody {
        keystore_alias: alias.into(),
        hsm_cluster_id: Some(cluster.into()),
        hsm_ca_cert: ca.map(str::to_owned),
        ..Default::default()
    }
}

fn key(f: &Fixture, caller: &Caller, alias: &str, keystore: Option<&str>) -> String {
    f.kms
        .wire()
        .create_key(
            caller,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                keystore_id: keystore.map(LooseString::from),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn dek_body(key_id: &str, bits: &str, aad: Option<&str>) -> CreateDatakeyRequestBody {
    CreateDatakeyRequestBody {
        key_id: key_id.into(),
        datakey_length: Some(bits.into()),
        additional_authenticated_data: aad.map(str::to_owned),
        ..Default::default()
    }
}

fn decrypt_body(
    key_id: &str,
    ct: &str,
    bytes: usize,
    aad: Option<&str>,
) -> DecryptDatakeyRequestBody {
    DecryptDatakeyRequestBody {
        key_id: key_id.into(),
        cipher_text: ct.into(),
        datakey_cipher_length: bytes.to_string().as_str().into(),
        additional_authenticated_data: aad.map(str::to_owned),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- keystores

#[test]
fn keystore_rules() {
    let f = fixture();
    let ks = f
        .kms
        .wire()
        .create_keystore(&a(), &keystore_body("ks-1", "hsm-a", Some(&f.ca_pem)))
        .unwrap();
    assert_eq!(ks.keystore.domain_id, "dom-a");

    // alias unique within the domain
    assert_err(
        f.kms
            .wire()
            .create_keystore(&a(), &keystore_body("ks-1", "hsm-b", None)),
        ErrorCode::KmsKeystoreAliasTaken,
    );
    // a cluster backs at most one keystore
    assert_err(
        f.kms
            .wire()
            .create_keystore(&a(), &keystore_body("ks-2", "hsm-a", None)),
        ErrorCode::KmsClusterHasKeystore,
    );
    // unknown cluster, and another domain's cluster, are both "does not exist"
    assert_err(
        f.kms
            .wire()
            .create_keystore(&a(), &keystore_body("ks-3", "nope", None)),
        ErrorCode::KmsClusterNotFound,
    );
    assert_err(
        f.kms
            .wire()
            .create_keystore(&a(), &keystore_body("ks-3", "hsm-foreign", None)),
        ErrorCode::KmsClusterNotFound,
    );
    // the CA certificate must be the cluster's, and a CA
    assert_err(
        f.kms
            .wire()
            .create_keystore(&a(), &keystore_body("ks-3", "hsm-b", Some(&f.other_ca_pem))),
        ErrorCode::KmsCaCertMismatch,
    );
    assert_err(
        f.kms.wire().create_keystore(
            &a(),
            &keystore_body("ks-3", "hsm-b", Some("not a certificate")),
        ),
        ErrorCode::KmsInvalidCaCert,
    );
    // keystore_type consistent with the cluster's type
    let cdms_as_dhsm = CreateKeyStoreRequestBody {
        keystore_alias: "ks-3".into(),
        cluster_id: Some("cdms-a".into()),
        keystore_type: Some("DHSM".into()),
        ..Default::default()
    };
    assert_err(
        f.kms.wire().create_keystore(&a(), &cdms_as_dhsm),
        ErrorCode::KmsKeystoreTypeMismatch,
    );
    let cdms = CreateKeyStoreRequestBody {
        keystore_type: Some("2".into()),
        ..cdms_as_dhsm
    };
    f.kms.wire().create_keystore(&a(), &cdms).unwrap();

    // the same alias is free in another domain
    let other = f
        .kms
        .wire()
        .create_keystore(&b(), &keystore_body("ks-1", "hsm-foreign", None))
        .unwrap();

    // list / show are per domain
    let list = f.kms.wire().list_keystores(&a(), None, None).unwrap();
    assert_eq!(list.total, 2);
    assert!(list.keystores.iter().all(|k| k.domain_id == "dom-a"));
    let shown = f
        .kms
        .wire()
        .show_keystore(&a(), &ks.keystore.keystore_id)
        .unwrap();
    assert_eq!(
        (
            shown.keystore.keystore_type.as_str(),
            shown.keystore.hsm_cluster_id.as_str()
        ),
        ("DHSM", "hsm-a")
    );
    assert_err(
        f.kms
            .wire()
            .show_keystore(&a(), &other.keystore.keystore_id),
        ErrorCode::KmsKeystoreNotFound,
    );
    assert_err(
        f.kms.wire().list_keystores(&a(), Some("x"), None),
        ErrorCode::KmsInvalidOffset,
    );
    assert_eq!(
        f.kms
            .wire()
            .list_keystores(&a(), Some("1"), Some("1"))
            .unwrap()
            .keystores
            .len(),
        1
    );
}

#[test]
fn keystore_with_keys_cannot_be_deleted_and_disabled_keystore_keys_are_unusable() {
    let f = fixture();
    let ks = f
        .kms
        .wire()
        .create_keystore(&a(), &keystore_body("ks-1", "hsm-a", None))
        .unwrap()
        .keystore
        .keystore_id;
    let key_id = key(&f, &a(), "k1", Some(&ks));
    f.kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek_body(&key_id, "256", None))
        .unwrap();

    assert_err(
        f.kms.wire().delete_keystore(&a(), &ks),
        ErrorCode::KmsKeystoreHasKeys,
    );

    let st = f.kms.wire().disable_keystore(&a(), &ks).unwrap();
    assert_eq!(st.keystore.keystore_state, "DISABLED");
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&key_id, "256", None)),
        ErrorCode::KmsKeystoreDisabled,
    );
    assert_err(
        f.kms.wire().create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "k2".into(),
                keystore_id: Some(ks.as_str().into()),
                ..Default::default()
            },
        ),
        ErrorCode::KmsKeystoreDisabled,
    );
    f.kms.wire().enable_keystore(&a(), &ks).unwrap();
    f.kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek_body(&key_id, "256", None))
        .unwrap();

    // an empty keystore deletes; then it is gone
    let ks2 = f
        .kms
        .wire()
        .create_keystore(&a(), &keystore_body("ks-2", "hsm-b", None))
        .unwrap()
        .keystore
        .keystore_id;
    f.kms.wire().delete_keystore(&a(), &ks2).unwrap();
    assert_err(
        f.kms.wire().delete_keystore(&a(), &ks2),
        ErrorCode::KmsKeystoreNotFound,
    );
    assert_err(
        f.kms.wire().enable_keystore(&a(), &ks2),
        ErrorCode::KmsKeystoreNotFound,
    );
    assert_err(
        f.kms.wire().show_keystore(&a(), "not-an-id"),
        ErrorCode::KmsInvalidParameter,
    );
}

#[test]
fn races_on_one_alias_or_one_cluster_have_exactly_one_winner() {
    for round in 0..25 {
        let f = fixture();
        for same_alias in [true, false] {
            let barrier = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let kms = Arc::clone(&f.kms);
                    let barrier = Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        let (alias, cluster) = if same_alias {
                            (
                                "race".to_owned(),
                                if i % 2 == 0 { "hsm-a" } else { "cdms-a" },
                            )
                        } else {
                            (format!("race-{round}-{i}"), "hsm-b")
                        };
                        let body = if cluster == "cdms-a" {
                            CreateKeyStoreRequestBody {
                                keystore_alias: alias,
                                cluster_id: Some(cluster.into()),
                                keystore_type: Some("CDMS".into()),
                                ..Default::default()
                            }
                        } else {
                            keystore_body(&alias, cluster, None)
                        };
                        barrier.wait();
                        kms.wire().create_keystore(&a(), &body)
                    })
                })
                .collect();
            let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            let winners = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(winners, 1, "round {round}, same_alias {same_alias}");
            let expected = if same_alias {
                ErrorCode::KmsKeystoreAliasTaken
            } else {
                ErrorCode::KmsClusterHasKeystore
            };
            // with the same alias, losers on the other cluster may only lose on the alias
            for r in results.iter().filter_map(|r| r.as_ref().err()) {
                if same_alias {
                    assert!(matches!(
                        r.code(),
                        ErrorCode::KmsKeystoreAliasTaken | ErrorCode::KmsClusterHasKeystore
                    ));
                } else {
                    assert_eq!(r.code(), expected);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- PINs

#[test]
fn pin_rules() {
    let f = fixture();
    for ks in ["1", "2"] {
        let pin = f
            .kms
            .wire()
            .create_pin(
                &a(),
                &CreatePinRequestBody {
                    pin_type: None,
                    keystore_id: Some(ks.into()),
                },
            )
            .unwrap();
        assert!(
            pin.pin.expose().len() > 64 && pin.pin.expose().bytes().all(|b| b.is_ascii_hexdigit())
        );
    }
    assert_err(
        f.kms.wire().create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some("0".into()),
            },
        ),
        ErrorCode::KmsKeystoreNotSupported,
    );
    assert_err(
        f.kms.wire().create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some("00000000-0000-4000-8000-00000000ffff".into()),
            },
        ),
        ErrorCode::KmsKeystoreNotFound,
    );
    assert_err(
        f.kms
            .wire()
            .create_pin(&a(), &CreatePinRequestBody::default()),
        ErrorCode::KmsMissingParameter,
    );

    let ks = f
        .kms
        .wire()
        .create_keystore(&a(), &keystore_body("ks-1", "hsm-a", None))
        .unwrap()
        .keystore
        .keystore_id;
    f.kms
        .wire()
        .create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some(ks.as_str().into()),
            },
        )
        .unwrap();
    // another domain cannot use it
    assert_err(
        f.kms.wire().create_pin(
            &b(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some(ks.as_str().into()),
            },
        ),
        ErrorCode::KmsKeystoreNotFound,
    );
    f.kms.wire().disable_keystore(&a(), &ks).unwrap();
    assert_err(
        f.kms.wire().create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some(ks.as_str().into()),
            },
        ),
        ErrorCode::KmsKeystoreDisabled,
    );
}

#[test]
fn a_presented_pin_must_verify_against_the_keys_keystore() {
    let f = fixture();
    let default_key = key(&f, &a(), "k-default", None);
    let ks = f
        .kms
        .wire()
        .create_keystore(&a(), &keystore_body("ks-1", "hsm-a", None))
        .unwrap()
        .keystore
        .keystore_id;
    let dedicated_key = key(&f, &a(), "k-dedicated", Some(&ks));

    let shared_pin = f
        .kms
        .wire()
        .create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some("1".into()),
            },
        )
        .unwrap()
        .pin;
    let ks_pin = f
        .kms
        .wire()
        .create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some(ks.as_str().into()),
            },
        )
        .unwrap()
        .pin;
    let plain_pin = f
        .kms
        .wire()
        .create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: Some("PlainText".into()),
                keystore_id: Some("2".into()),
            },
        )
        .unwrap()
        .pin;
    assert_eq!(plain_pin.expose().len(), 64);

    let with_pin = |key_id: &str, pin: &str, pin_type: &str| CreateDatakeyRequestBody {
        pin: Some(pin.into()),
        pin_type: Some(pin_type.into()),
        ..dek_body(key_id, "256", None)
    };
    f.kms
        .wire()
        .create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, shared_pin.expose(), "CipherText"),
        )
        .unwrap();
    f.kms
        .wire()
        .create_datakey_without_plaintext(
            &a(),
            &with_pin(&dedicated_key, ks_pin.expose(), "CipherText"),
        )
        .unwrap();
    f.kms
        .wire()
        .create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, plain_pin.expose(), "PlainText"),
        )
        .unwrap();
    f.kms
        .wire()
        .create_datakey_without_plaintext(
            &a(),
            &with_pin(
                &default_key,
                &plain_pin.expose().to_lowercase(),
                "PlainText",
            ),
        )
        .unwrap();

    // a PIN of another keystore, a tampered PIN, an unknown plain PIN, a PIN of the wrong type
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&dedicated_key, shared_pin.expose(), "CipherText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, ks_pin.expose(), "CipherText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    let mut tampered = shared_pin.expose().clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, &tampered, "CipherText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, &"AB".repeat(32), "PlainText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, plain_pin.expose(), "CipherText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    // another domain's plain PIN does not verify for us
    let b_pin = f
        .kms
        .wire()
        .create_pin(
            &b(),
            &CreatePinRequestBody {
                pin_type: Some("PlainText".into()),
                keystore_id: Some("2".into()),
            },
        )
        .unwrap()
        .pin;
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &with_pin(&default_key, b_pin.expose(), "PlainText"),
        ),
        ErrorCode::KmsInvalidPin,
    );
    // nor does its ciphertext PIN of a shared keystore, whose root key every
    // domain shares: the PIN blob is bound to the domain that created it
    for shared in ["1", "2"] {
        let b_sealed = f
            .kms
            .wire()
            .create_pin(
                &b(),
                &CreatePinRequestBody {
                    pin_type: None,
                    keystore_id: Some(shared.into()),
                },
            )
            .unwrap()
            .pin;
        assert_err(
            f.kms.wire().create_datakey_without_plaintext(
                &a(),
                &with_pin(&default_key, b_sealed.expose(), "CipherText"),
            ),
            ErrorCode::KmsInvalidPin,
        );
        // while domain b's own key accepts it
        let b_key = key(&f, &b(), &format!("b-key-{shared}"), None);
        f.kms
            .wire()
            .create_datakey_without_plaintext(
                &b(),
                &with_pin(&b_key, b_sealed.expose(), "CipherText"),
            )
            .unwrap();
    }
}

// ---------------------------------------------------------------- DEKs

#[test]
fn every_dek_length_round_trips_and_matches_its_digest() {
    let f = fixture();
    let key_id = key(&f, &a(), "k1", None);
    for bits in (8..=8192).step_by(8) {
        let aad = (bits % 16 == 0).then_some("context-123");
        let dek = f
            .kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&key_id, &bits.to_string(), aad))
            .unwrap();
        assert_eq!(dek.key_id, key_id);
        let plain = f
            .kms
            .wire()
            .decrypt_datakey(
                &a(),
                &decrypt_body(&key_id, &dek.cipher_text, bits / 8, aad),
            )
            .unwrap();
        assert_eq!(plain.datakey_length, (bits / 8).to_string());
        let bytes = base16ct::mixed::decode_vec(plain.data_key.expose()).unwrap();
        assert_eq!(bytes.len(), bits / 8);
        assert_eq!(
            plain.datakey_dgst,
            base16ct::upper::encode_string(&Sha256::digest(&bytes))
        );
    }
}

#[test]
fn a_dek_does_not_decrypt_under_another_project_key_or_aad() {
    let f = fixture();
    let k1 = key(&f, &a(), "k1", None);
    let k2 = key(&f, &a(), "k2", None);
    let dek = f
        .kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek_body(&k1, "256", Some("aad-1")))
        .unwrap()
        .cipher_text;

    f.kms
        .wire()
        .decrypt_datakey(&a(), &decrypt_body(&k1, &dek, 32, Some("aad-1")))
        .unwrap();
    // lower-case hex is accepted too
    f.kms
        .wire()
        .decrypt_datakey(
            &a(),
            &decrypt_body(&k1, &dek.to_lowercase(), 32, Some("aad-1")),
        )
        .unwrap();
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k1, &dek, 32, Some("aad-2"))),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k1, &dek, 32, None)),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k2, &dek, 32, Some("aad-1"))),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k1, &dek, 16, Some("aad-1"))),
        ErrorCode::KmsCipherTextLengthMismatch,
    );
    assert_err(
        f.kms.wire().decrypt_datakey(
            &a(),
            &decrypt_body(&k1, &dek[..dek.len() - 2], 32, Some("aad-1")),
        ),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k1, "00", 32, None)),
        ErrorCode::KmsInvalidCipherText,
    );
    // another project of the same domain does not see the key at all
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a2(), &decrypt_body(&k1, &dek, 32, Some("aad-1"))),
        ErrorCode::KmsKeyNotFound,
    );
    // a PIN blob is not a DEK blob
    let pin = f
        .kms
        .wire()
        .create_pin(
            &a(),
            &CreatePinRequestBody {
                pin_type: None,
                keystore_id: Some("1".into()),
            },
        )
        .unwrap()
        .pin;
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k1, pin.expose(), 32, None)),
        ErrorCode::KmsInvalidCipherText,
    );
}

#[test]
fn create_datakey_encrypt_and_decrypt() {
    let f = fixture();
    let k = key(&f, &a(), "k1", None);
    let made = f
        .kms
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: k.clone(),
                key_spec: Some("AES_128".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(made.plain_text.expose().len(), 32);
    let back = f
        .kms
        .wire()
        .decrypt_datakey(&a(), &decrypt_body(&k, &made.cipher_text, 16, None))
        .unwrap();
    assert_eq!(back.data_key, made.plain_text);

    // encrypt-datakey: DEK || SHA-256(DEK)
    let dek = [0x42u8; 48];
    let mut plain = dek.to_vec();
    plain.extend_from_slice(&Sha256::digest(dek));
    let body = EncryptDatakeyRequestBody {
        key_id: k.clone(),
        plain_text: base16ct::lower::encode_string(&plain).into(),
        datakey_plain_length: "48".into(),
        additional_authenticated_data: Some("x".into()),
        ..Default::default()
    };
    let wrapped = f.kms.wire().encrypt_datakey(&a(), &body).unwrap();
    assert_eq!(wrapped.datakey_length, "48");
    let back = f
        .kms
        .wire()
        .decrypt_datakey(&a(), &decrypt_body(&k, &wrapped.cipher_text, 48, Some("x")))
        .unwrap();
    assert_eq!(back.data_key, base16ct::upper::encode_string(&dek).into());

    let mut bad = plain.clone();
    bad[0] ^= 1;
    let body = EncryptDatakeyRequestBody {
        plain_text: base16ct::lower::encode_string(&bad).into(),
        ..body
    };
    assert_err(
        f.kms.wire().encrypt_datakey(&a(), &body),
        ErrorCode::KmsDekHashMismatch,
    );
}

/// Huawei's Java encryption SDK (`KMSKeyring.realDecrypt`) sends
/// `datakey_cipher_length: "32"` whatever its suite; its AES_128 and SM4
/// DEKs are 16 bytes, made by create-datakey (`datakey_length` 128) or
/// locally and wrapped by encrypt-datakey (`datakey_plain_length` "16").
/// The declared length is a bound: the 16-byte DEK comes back with its own
/// length, still only under its key, project and AAD.
#[test]
fn java_encryption_sdk_decrypts_16_byte_deks_with_datakey_cipher_length_32() {
    let f = fixture();
    let k = key(&f, &a(), "k1", None);
    let other = key(&f, &a(), "k2", None);
    let made = f
        .kms
        .wire()
        .create_datakey(&a(), &dek_body(&k, "128", None))
        .unwrap();
    let dek = [0x5au8; 16];
    let mut plain = dek.to_vec();
    plain.extend_from_slice(&Sha256::digest(dek));
    let wrapped = f
        .kms
        .wire()
        .encrypt_datakey(
            &a(),
            &EncryptDatakeyRequestBody {
                key_id: k.clone(),
                plain_text: base16ct::lower::encode_string(&plain).into(),
                datakey_plain_length: "16".into(),
                additional_authenticated_data: Some("ctx".into()),
                ..Default::default()
            },
        )
        .unwrap();
    for (ct, expected, aad) in [
        (&made.cipher_text, made.plain_text.clone(), None),
        (
            &wrapped.cipher_text,
            base16ct::upper::encode_string(&dek).into(),
            Some("ctx"),
        ),
    ] {
        let back = f
            .kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k, ct, 32, aad))
            .unwrap();
        assert_eq!(back.data_key, expected);
        assert_eq!(back.datakey_length, "16");
        let bytes = base16ct::mixed::decode_vec(back.data_key.expose()).unwrap();
        assert_eq!(
            back.datakey_dgst,
            base16ct::upper::encode_string(&Sha256::digest(&bytes))
        );
        // The largest bound, and the exact length, answer the same.
        for bound in [16, 1024] {
            let again = f
                .kms
                .wire()
                .decrypt_datakey(&a(), &decrypt_body(&k, ct, bound, aad))
                .unwrap();
            assert_eq!(again.data_key, expected);
        }
        // Below the DEK's length is still KMS.2204.
        assert_err(
            f.kms
                .wire()
                .decrypt_datakey(&a(), &decrypt_body(&k, ct, 15, aad)),
            ErrorCode::KmsCipherTextLengthMismatch,
        );
        // The bound changes nothing else: wrong AAD or key is KMS.2201.
        assert_err(
            f.kms
                .wire()
                .decrypt_datakey(&a(), &decrypt_body(&k, ct, 32, Some("other"))),
            ErrorCode::KmsInvalidCipherText,
        );
        assert_err(
            f.kms
                .wire()
                .decrypt_datakey(&a(), &decrypt_body(&other, ct, 32, aad)),
            ErrorCode::KmsInvalidCipherText,
        );
    }
    // A blob whose length field is rewritten does not open under any bound:
    // the length is authenticated with the blob.
    let mut forged = base16ct::mixed::decode_vec(&made.cipher_text).unwrap();
    forged[3] = 15;
    forged.truncate(forged.len() - 1);
    assert_err(
        f.kms.wire().decrypt_datakey(
            &a(),
            &decrypt_body(&k, &base16ct::upper::encode_string(&forged), 32, None),
        ),
        ErrorCode::KmsInvalidCipherText,
    );
}

#[test]
fn key_states_gate_use() {
    let f = fixture();
    let k = key(&f, &a(), "k1", None);
    assert_err(
        f.kms.wire().create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "k1".into(),
                ..Default::default()
            },
        ),
        ErrorCode::KmsDuplicateKeyAlias,
    );
    // same alias in another project is fine
    key(&f, &a2(), "k1", None);

    let dek = f
        .kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek_body(&k, "256", None))
        .unwrap()
        .cipher_text;
    let op = OperateKeyRequestBody {
        key_id: k.clone(),
        sequence: None,
    };
    // Only a disabled key is enabled (KMS.1201 "The key is not
    // disabled"), only an enabled key disabled (KMS.1301 "The key is not
    // enabled"): neither succeeds twice.
    let code = |e: ApiError| (e.status(), e.code().as_str());
    assert_eq!(
        code(f.kms.wire().enable_key(&a(), &op).unwrap_err()),
        (400, "KMS.1201")
    );
    assert_eq!(
        f.kms
            .wire()
            .disable_key(&a(), &op)
            .unwrap()
            .key_info
            .key_state,
        "3"
    );
    assert_eq!(
        code(f.kms.wire().disable_key(&a(), &op).unwrap_err()),
        (400, "KMS.1301")
    );
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&k, "256", None)),
        ErrorCode::KmsKeyDisabled,
    );
    assert_err(
        f.kms
            .wire()
            .decrypt_datakey(&a(), &decrypt_body(&k, &dek, 32, None)),
        ErrorCode::KmsKeyDisabled,
    );
    assert_eq!(
        f.kms
            .wire()
            .enable_key(&a(), &op)
            .unwrap()
            .key_info
            .key_state,
        "2"
    );
    f.kms
        .wire()
        .decrypt_datakey(&a(), &decrypt_body(&k, &dek, 32, None))
        .unwrap();

    let bad_days = ScheduleKeyDeletionRequestBody {
        key_id: k.clone(),
        pending_days: "3".into(),
        sequence: None,
    };
    assert_err(
        f.kms.wire().schedule_key_deletion(&a(), &bad_days),
        ErrorCode::KmsInvalidPendingDays,
    );
    let sched = ScheduleKeyDeletionRequestBody {
        pending_days: "7".into(),
        ..bad_days
    };
    assert_eq!(
        code(f.kms.wire().cancel_key_deletion(&a(), &op).unwrap_err()),
        (400, "KMS.1501")
    );
    assert_eq!(
        f.kms
            .wire()
            .schedule_key_deletion(&a(), &sched)
            .unwrap()
            .key_state,
        "4"
    );
    // Scheduling again: KMS.1402 "The key is already in Pending deletion
    // state" (it used to be KMS.0210).
    assert_eq!(
        code(
            f.kms
                .wire()
                .schedule_key_deletion(&a(), &sched)
                .unwrap_err()
        ),
        (400, "KMS.1402")
    );
    assert_err(
        f.kms.wire().disable_key(&a(), &op),
        ErrorCode::KmsKeyPendingDeletion,
    );
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&k, "256", None)),
        ErrorCode::KmsKeyPendingDeletion,
    );
    assert_err(
        f.kms.wire().enable_key(&a(), &op),
        ErrorCode::KmsKeyPendingDeletion,
    );

    // unknown key / other project's key: "does not exist"; malformed: KMS.0205
    assert_err(
        f.kms.wire().disable_key(&b(), &op),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(
            &a(),
            &dek_body("00000000-0000-0000-0000-000000000000", "256", None),
        ),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body("bad", "256", None)),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&k, "12", None)),
        ErrorCode::KmsDatakeyLengthNotByteMultiple,
    );
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&k, "8200", None)),
        ErrorCode::KmsDatakeyLengthOutOfRange,
    );
}

#[test]
fn audit_records_who_what_and_sequence_but_never_a_secret() {
    let f = fixture();
    let k = key(&f, &a(), "k1", None);
    let seq = "919c82d4-8046-4722-9094-35c3c6524cff";
    let made = f
        .kms
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                sequence: Some(seq.into()),
                ..dek_body(&k, "256", None)
            },
        )
        .unwrap();
    let _ = f
        .kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek_body(&k, "7", None));
    let events = f.audit.events();
    let ev = events
        .iter()
        .find(|e| e.action == "create-datakey")
        .unwrap();
    assert_eq!(
        (ev.domain_id.as_str(), ev.project_id.as_str()),
        ("dom-a", "proj-a")
    );
    assert_eq!(ev.resource.as_deref(), Some(k.as_str()));
    assert_eq!(ev.sequence.as_deref(), Some(seq));
    assert_eq!(ev.error_code, None);
    let failed = events
        .iter()
        .find(|e| e.action == "create-datakey-without-plaintext")
        .unwrap();
    assert_eq!(failed.error_code, Some("KMS.1901"));
    let all = format!("{events:?}");
    assert!(
        !all.contains(made.plain_text.expose().as_str())
            && !all.contains(&made.plain_text.expose().to_lowercase())
    );
    assert!(
        !format!("{made:?}").contains(made.plain_text.expose().as_str()),
        "response Debug is redacted"
    );
}

// ---------------------------------------------------------------- certificates

fn leaf(name: &str, not_after_year: i32) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(not_after_year, 1, 1);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn form(name: &str, cert: &(String, String)) -> CertificateForm {
    CertificateForm {
        name: name.into(),
        cert_content: cert.0.clone(),
        private_key: cert.1.clone().into(),
        ..Default::default()
    }
}

#[test]
fn certificate_rules() {
    let f = fixture();
    let c = leaf("apigtest.example.com", 2031);
    let rec = f
        .kms
        .wire()
        .create_certificate(&a(), &form("cert_demo", &c))
        .unwrap();
    assert_eq!(rec.common_name, "apigtest.example.com");
    assert_eq!(rec.san, vec!["apigtest.example.com"]);
    assert_eq!(
        (rec.r#type.as_deref(), rec.instance_id.as_deref()),
        (Some("global"), Some("common"))
    );
    assert_eq!(rec.project_id.as_deref(), Some("proj-a"));
    assert_eq!(rec.not_after, "2031-01-01T00:00:00Z");
    assert_eq!(rec.create_time, "2026-01-01T00:00:00Z");
    assert_eq!(rec.algorithm_type.as_deref(), Some("ECC"));
    assert_eq!(rec.signature_algorithm, "ECDSA-SHA256");
    assert_eq!(rec.id.len(), 32);

    // name unique per project and scope
    assert_err(
        f.kms
            .wire()
            .create_certificate(&a(), &form("cert_demo", &c)),
        ErrorCode::ApigCertificateNameTaken,
    );
    let inst = CertificateForm {
        r#type: Some("instance".into()),
        instance_id: Some("gw-1".into()),
        ..form("cert_demo", &c)
    };
    let inst_rec = f.kms.wire().create_certificate(&a(), &inst).unwrap();
    assert_eq!(inst_rec.instance_id.as_deref(), Some("gw-1"));
    f.kms
        .wire()
        .create_certificate(&a2(), &form("cert_demo", &c))
        .unwrap();
    let no_instance = CertificateForm {
        instance_id: None,
        ..inst
    };
    let e = assert_err(
        f.kms.wire().create_certificate(&a(), &no_instance),
        ErrorCode::ApigParameterMissing,
    );
    assert!(e.error_msg().ends_with("parameterName:instance_id"));

    // show / list / update / delete, per project
    assert_eq!(f.kms.wire().show_certificate(&a(), &rec.id).unwrap(), rec);
    assert_err(
        f.kms.wire().show_certificate(&a2(), &rec.id),
        ErrorCode::ApigCertificateNotFound,
    );
    let list = f
        .kms
        .wire()
        .list_certificates(&a(), &CertificateQuery::default())
        .unwrap();
    assert_eq!((list.total, list.size), (2, 2));
    let mut q = CertificateQuery::default();
    q.filter.r#type = Some("instance".into());
    assert_eq!(f.kms.wire().list_certificates(&a(), &q).unwrap().total, 1);
    q.limit = Some("0".into());
    assert_err(
        f.kms.wire().list_certificates(&a(), &q),
        ErrorCode::ApigInvalidParameterValue,
    );

    f.clock.set(Timestamp(NOW + 60_000));
    let c2 = leaf("other.example.com", 2030);
    let upd = f
        .kms
        .wire()
        .update_certificate(&a(), &rec.id, &form("cert_renamed", &c2))
        .unwrap();
    assert_eq!(
        (upd.id.as_str(), upd.common_name.as_str()),
        (rec.id.as_str(), "other.example.com")
    );
    assert_eq!(
        (upd.create_time.as_str(), upd.update_time.as_str()),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z")
    );
    assert_err(
        f.kms
            .wire()
            .update_certificate(&a2(), &rec.id, &form("cert_x", &c2)),
        ErrorCode::ApigCertificateNotFound,
    );

    f.kms.wire().delete_certificate(&a(), &rec.id).unwrap();
    assert_err(
        f.kms.wire().delete_certificate(&a(), &rec.id),
        ErrorCode::ApigCertificateNotFound,
    );
}

#[test]
fn certificate_checks_map_to_apig_codes() {
    let f = fixture();
    let c = leaf("a.example.com", 2031);
    let other = leaf("b.example.com", 2031);
    // key of another certificate
    assert_err(
        f.kms
            .wire()
            .create_certificate(&a(), &form("cert_one", &(c.0.clone(), other.1.clone()))),
        ErrorCode::ApigCertKeyMismatch,
    );
    // expired at the clock's time
    let old = leaf("old.example.com", 2025);
    assert_err(
        f.kms
            .wire()
            .create_certificate(&a(), &form("cert_two", &old)),
        ErrorCode::ApigCertExpired,
    );
    // garbage
    assert_err(
        f.kms
            .wire()
            .create_certificate(&a(), &form("cert_three", &("nope".into(), c.1.clone()))),
        ErrorCode::ApigInvalidCertOrKey,
    );
    // encrypted key
    let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_err(
        f.kms
            .wire()
            .create_certificate(&a(), &form("cert_four", &(c.0.clone(), enc.into()))),
        ErrorCode::ApigEncryptedKey,
    );
    // declared algorithm must match
    let rsa_declared = CertificateForm {
        algorithm_type: Some("RSA".into()),
        ..form("cert_five", &c)
    };
    assert_err(
        f.kms.wire().create_certificate(&a(), &rsa_declared),
        ErrorCode::ApigInvalidParameterValue,
    );
    // bad name
    assert_err(
        f.kms.wire().create_certificate(&a(), &form("1bad", &c)),
        ErrorCode::ApigInvalidParameterValue,
    );
}

/// A key created with origin `external` waits for its material in state
/// "5": it serves nothing, cannot be enabled, disabled or rotated, lists
/// under "5", and cancelling its deletion brings it back to waiting.
#[test]
fn an_external_key_waits_for_import_in_state_5() {
    use kms_model::{EncryptDataRequestBody, ListKeysRequestBody, SignRequestBody};
    let f = fixture();
    let create = |alias: &str, spec: Option<&str>, origin: &str, keystore: Option<&str>| {
        f.kms.wire().create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: spec.map(str::to_owned),
                origin: Some(origin.into()),
                keystore_id: keystore.map(LooseString::from),
                ..Default::default()
            },
        )
    };
    let k = create("byok", None, "external", None)
        .unwrap()
        .key_info
        .key_id;
    let op = OperateKeyRequestBody {
        key_id: k.clone(),
        sequence: None,
    };
    let info = f.kms.wire().describe_key(&a(), &op).unwrap().key_info;
    assert_eq!(
        (info.key_state.as_str(), info.origin.as_str()),
        ("5", "external")
    );

    // Only "kms" and "external" are origins; a dedicated keystore makes its
    // keys' material itself.
    assert_err(
        create("other", None, "imported", None),
        ErrorCode::KmsInvalidParameter,
    );
    assert_err(
        create(
            "other",
            None,
            "external",
            Some("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
        ),
        ErrorCode::KmsKeystoreNoImport,
    );

    // No material: no DEK, no data encryption (KMS.1301 "The key is not
    // enabled").
    assert_err(
        f.kms
            .wire()
            .create_datakey_without_plaintext(&a(), &dek_body(&k, "256", None)),
        ErrorCode::KmsKeyNotEnabled,
    );
    assert_err(
        f.kms.wire().encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: k.clone(),
                plain_text: "hello".into(),
                ..Default::default()
            },
        ),
        ErrorCode::KmsKeyNotEnabled,
    );
    // Neither enabled nor disabled, and never rotated.
    assert_err(
        f.kms.wire().enable_key(&a(), &op),
        ErrorCode::KmsKeyNotDisabled,
    );
    assert_err(
        f.kms.wire().disable_key(&a(), &op),
        ErrorCode::KmsKeyNotEnabled,
    );
    assert_err(
        f.kms.wire().enable_key_rotation(&a(), &op),
        ErrorCode::KmsExternalKeyNotRotatable,
    );

    // A key pair waiting for import signs nothing and shows no public key.
    let pair = create("byok-rsa", Some("RSA_2048"), "external", None)
        .unwrap()
        .key_info
        .key_id;
    assert_err(
        f.kms.wire().sign(
            &a(),
            &SignRequestBody {
                key_id: pair.clone(),
                message: "aGVsbG8=".into(),
                signing_algorithm: "RSASSA_PSS_SHA_256".into(),
                message_type: Some("RAW".into()),
                ..Default::default()
            },
        ),
        ErrorCode::KmsKeyNotEnabled,
    );
    assert_err(
        f.kms.wire().get_public_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: pair,
                sequence: None,
            },
        ),
        ErrorCode::KmsKeyNotEnabled,
    );

    // Listed under "5" (both waiting keys), not under "2".
    let listed = |state: &str| {
        f.kms
            .wire()
            .list_keys(
                &a(),
                &ListKeysRequestBody {
                    key_state: Some(state.into()),
                    key_spec: Some("ALL".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .total
    };
    assert_eq!((listed("5"), listed("2")), (2, 0));

    // Deletion can be scheduled; cancelling it returns to waiting.
    let scheduled = f
        .kms
        .wire()
        .schedule_key_deletion(
            &a(),
            &ScheduleKeyDeletionRequestBody {
                key_id: k.clone(),
                pending_days: "7".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(scheduled.key_state, "4");
    let back = f.kms.wire().cancel_key_deletion(&a(), &op).unwrap();
    assert_eq!(back.key_state, "5");
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op)
            .unwrap()
            .key_info
            .key_state,
        "5"
    );
}
