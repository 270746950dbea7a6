//! MAC keys, key agreement and the version documents through the core:
//! create (spec and usage rules), generate-mac checked against an
//! independent HMAC over seeded material, verify-mac true and false and
//! across a rotation, the algorithm-to-spec rule, HMAC keys refused for
//! everything else (KMS.0341), derive-shared-secret against the peer's
//! side of ECDH, and the version documents.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64ct::{Base64, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use kms_core::ports::{Caller, EntropyRng};
use kms_core::{CoreConfig, ImportedKeyMaterial, Kms, SeedKey, memory};
use kms_model::{
    CreateKeyRequestBody, DeriveSharedSecretRequestBody, EncryptDataRequestBody, ErrorCode,
    GenerateMacRequestBody, ListKeysRequestBody, OperateKeyRequestBody, RotateOnDemandRequestBody,
    SignRequestBody, VerifyMacRequestBody,
};
use zeroize::Zeroizing;

const SEEDED: &str = "5eeded00-0000-4000-8000-00000000ac01";
const MATERIAL: [u8; 32] = [0x42; 32];

fn kms() -> Kms {
    Kms::new(
        memory::test_ports([4u8; 32]).unwrap(),
        CoreConfig::default(),
    )
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, alias: &str, spec: &str, usage: Option<&str>) -> Result<String, ErrorCode> {
    k.wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: Some(spec.into()),
                key_usage: usage.map(str::to_owned),
                ..Default::default()
            },
        )
        .map(|r| r.key_info.key_id)
        .map_err(|e| e.code())
}

fn generate(k: &Kms, key: &str, alg: &str, msg: &[u8]) -> Result<String, ErrorCode> {
    k.wire()
        .generate_mac(
            &a(),
            &GenerateMacRequestBody {
                key_id: key.into(),
                mac_algorithm: alg.into(),
                message: Base64::encode_string(msg),
            },
        )
        .map(|r| {
            assert_eq!(r.key_id, key);
            assert_eq!(r.mac_algorithm, alg);
            r.mac
        })
        .map_err(|e| e.code())
}

fn verify(k: &Kms, key: &str, alg: &str, msg: &[u8], mac: &str) -> Result<bool, ErrorCode> {
    k.wire()
        .verify_mac(
            &a(),
            &VerifyMacRequestBody {
                key_id: key.into(),
                mac_algorithm: alg.into(),
                message: Base64::encode_string(msg),
                mac: mac.into(),
            },
        )
        .map(|r| r.mac_valid)
        .map_err(|e| e.code())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn generate_mac_is_the_hmac_of_the_seeded_material_for_every_spec() {
    for (spec, alg) in [
        ("HMAC_256", "HMAC_SHA_256"),
        ("HMAC_384", "HMAC_SHA_384"),
        ("HMAC_512", "HMAC_SHA_512"),
        ("HMAC_SM3", "HMAC_SM3"),
    ] {
        let k = kms();
        k.seed_key(
            &a(),
            &SeedKey {
                key_id: SEEDED.into(),
                key: CreateKeyRequestBody {
                    key_alias: "mac".into(),
                    key_spec: Some(spec.into()),
                    ..Default::default()
                },
                key_material: Some(ImportedKeyMaterial::new(Zeroizing::new(MATERIAL.to_vec()))),
                ..Default::default()
            },
        )
        .unwrap();
        let msg = b"the message";
        let want = match alg {
            "HMAC_SHA_256" => {
                let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&MATERIAL).unwrap();
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            "HMAC_SHA_384" => {
                let mut m = <Hmac<sha2::Sha384> as KeyInit>::new_from_slice(&MATERIAL).unwrap();
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            "HMAC_SHA_512" => {
                let mut m = <Hmac<sha2::Sha512> as KeyInit>::new_from_slice(&MATERIAL).unwrap();
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
            _ => {
                let mut m = <Hmac<sm3::Sm3> as KeyInit>::new_from_slice(&MATERIAL).unwrap();
                m.update(msg);
                m.finalize().into_bytes().to_vec()
            }
        };
        let mac = generate(&k, SEEDED, alg, msg).unwrap();
        assert_eq!(mac, hex(&want), "{spec}: lower-case hex of the HMAC");
        assert_eq!(verify(&k, SEEDED, alg, msg, &mac), Ok(true));
        assert_eq!(
            verify(&k, SEEDED, alg, msg, &mac.to_uppercase()),
            Ok(true),
            "either hex case"
        );
        assert_eq!(verify(&k, SEEDED, alg, b"the messagE", &mac), Ok(false));
        let mut bad = want.clone();
        bad[0] ^= 0x80;
        assert_eq!(verify(&k, SEEDED, alg, msg, &hex(&bad)), Ok(false));
        assert_eq!(
            verify(&k, SEEDED, alg, msg, &hex(&want[..want.len() - 1])),
            Ok(false),
            "a truncated MAC is not valid"
        );
    }
}

#[test]
fn hmac_keys_keep_to_their_usage_and_algorithm() {
    let k = kms();
    let mac = create(&k, "mac", "HMAC_256", None).unwrap();
    // Described with its spec and usage; listed by its spec.
    let d = k
        .wire()
        .describe_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: mac.clone(),
                sequence: None,
            },
        )
        .unwrap()
        .key_info;
    assert_eq!(
        (d.key_spec.as_str(), d.key_usage.as_str()),
        ("HMAC_256", "GENERATE_VERIFY_MAC")
    );
    let listed = k
        .wire()
        .list_keys(
            &a(),
            &ListKeysRequestBody {
                key_spec: Some("HMAC_256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(listed.keys, vec![mac.clone()]);
    // Other usages for an HMAC key: KMS.0341; GENERATE_VERIFY_MAC for
    // another spec, KEY_AGREEMENT outside EC: KMS.0308.
    for usage in ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"] {
        assert_eq!(
            create(&k, "x", "HMAC_512", Some(usage)),
            Err(ErrorCode::KmsHmacUnsupported)
        );
    }
    for spec in ["AES_256", "SM4", "RSA_2048", "EC_P256", "SM2"] {
        assert_eq!(
            create(&k, "x", spec, Some("GENERATE_VERIFY_MAC")),
            Err(ErrorCode::KmsInvalidParameter),
            "{spec}"
        );
    }
    for spec in ["AES_256", "RSA_2048", "SM2", "HMAC_SM3"] {
        assert!(
            create(&k, "x", spec, Some("KEY_AGREEMENT")).is_err(),
            "{spec}"
        );
    }
    // Another algorithm than the key's: KMS.0308.
    assert_eq!(
        generate(&k, &mac, "HMAC_SHA_512", b"m"),
        Err(ErrorCode::KmsInvalidParameter)
    );
    assert_eq!(
        verify(&k, &mac, "HMAC_SM3", b"m", &"00".repeat(32)),
        Err(ErrorCode::KmsInvalidParameter)
    );
    // An HMAC key does nothing else: KMS.0341.
    let enc = k.wire().encrypt_data(
        &a(),
        &EncryptDataRequestBody {
            key_id: mac.clone(),
            plain_text: "abc".into(),
            ..Default::default()
        },
    );
    assert_eq!(enc.unwrap_err().code(), ErrorCode::KmsHmacUnsupported);
    let sig = k.wire().sign(
        &a(),
        &SignRequestBody {
            key_id: mac.clone(),
            message: Base64::encode_string(&[1u8; 32]),
            signing_algorithm: "ECDSA_SHA_256".into(),
            ..Default::default()
        },
    );
    assert_eq!(sig.unwrap_err().code(), ErrorCode::KmsHmacUnsupported);
    let pk = k.wire().get_public_key(
        &a(),
        &OperateKeyRequestBody {
            key_id: mac.clone(),
            sequence: None,
        },
    );
    assert_eq!(pk.unwrap_err().code(), ErrorCode::KmsHmacUnsupported);
    // MACs of other keys: an AES key KMS.0331, a key pair KMS.0325.
    let aes = create(&k, "aes", "AES_256", None).unwrap();
    assert_eq!(
        generate(&k, &aes, "HMAC_SHA_256", b"m"),
        Err(ErrorCode::KmsSymmetricUnsupported)
    );
    let ec = create(&k, "ec", "EC_P256", None).unwrap();
    assert_eq!(
        generate(&k, &ec, "HMAC_SHA_256", b"m"),
        Err(ErrorCode::KmsAsymmetricUnsupported)
    );
    // A disabled HMAC key: KMS.0209.
    k.wire()
        .disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: mac.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        generate(&k, &mac, "HMAC_SHA_256", b"m"),
        Err(ErrorCode::KmsKeyDisabled)
    );
    // Body rules: an empty message, one over 4096 bytes.
    assert!(generate(&k, &mac, "HMAC_SHA_256", b"").is_err());
    assert_eq!(
        generate(&k, &mac, "HMAC_SHA_256", &[0u8; 4097]),
        Err(ErrorCode::KmsInvalidParameter)
    );
}

#[test]
fn a_mac_made_before_a_rotation_still_verifies_and_new_macs_use_the_new_version() {
    let k = kms();
    let key = create(&k, "mac", "HMAC_384", None).unwrap();
    let before = generate(&k, &key, "HMAC_SHA_384", b"m").unwrap();
    k.wire()
        .rotate_on_demand(
            &a(),
            &RotateOnDemandRequestBody {
                key_id: key.clone(),
            },
        )
        .unwrap();
    let after = generate(&k, &key, "HMAC_SHA_384", b"m").unwrap();
    assert_ne!(before, after, "the new version's material makes the MAC");
    assert_eq!(verify(&k, &key, "HMAC_SHA_384", b"m", &before), Ok(true));
    assert_eq!(verify(&k, &key, "HMAC_SHA_384", b"m", &after), Ok(true));
    assert_eq!(verify(&k, &key, "HMAC_SHA_384", b"n", &after), Ok(false));
}

#[test]
fn derive_shared_secret_matches_the_peer_side_of_ecdh() {
    let k = kms();
    let entropy = kms_core::os::OsEntropy;
    for (spec, peer_spec) in [
        ("EC_P256", kms_crypto::SigningKeySpec::EcP256),
        ("EC_P384", kms_crypto::SigningKeySpec::EcP384),
    ] {
        let key = create(&k, &format!("agree-{spec}"), spec, Some("KEY_AGREEMENT")).unwrap();
        let ours = k
            .wire()
            .get_public_key(
                &a(),
                &OperateKeyRequestBody {
                    key_id: key.clone(),
                    sequence: None,
                },
            )
            .unwrap()
            .public_key;
        let peer = kms_crypto::SigningKey::generate(peer_spec, &mut EntropyRng(&entropy)).unwrap();
        let body = DeriveSharedSecretRequestBody {
            key_id: key.clone(),
            key_agreement_algorithm: "ECDH".into(),
            public_key: Base64::encode_string(&peer.public_key().to_der().unwrap()),
            recipient: None,
        };
        let r = k.wire().derive_shared_secret(&a(), &body).unwrap();
        assert_eq!(r.key_agreement_algorithm, "ECDH");
        // The peer's side: its private key with our public key (PEM
        // SubjectPublicKeyInfo, as get-publickey gives it).
        let der = pem_body(&ours);
        let theirs = peer.diffie_hellman(&der).unwrap();
        assert_eq!(
            Base64::decode_vec(&r.shared_secret).unwrap(),
            *theirs,
            "{spec}"
        );
        // A key of the other curve, or garbage: KMS.0308.
        let other = if spec == "EC_P256" {
            kms_crypto::SigningKeySpec::EcP384
        } else {
            kms_crypto::SigningKeySpec::EcP256
        };
        let wrong = kms_crypto::SigningKey::generate(other, &mut EntropyRng(&entropy)).unwrap();
        for bad in [
            wrong.public_key().to_der().unwrap(),
            vec![0x30, 0x03, 1, 2, 3],
        ] {
            let e = k
                .wire()
                .derive_shared_secret(
                    &a(),
                    &DeriveSharedSecretRequestBody {
                        public_key: Base64::encode_string(&bad),
                        ..body.clone()
                    },
                )
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::KmsInvalidParameter);
        }
        // A signing key of the same curve does not agree (KMS.0335).
        let signer = create(&k, &format!("sign-{spec}"), spec, None).unwrap();
        let e = k
            .wire()
            .derive_shared_secret(
                &a(),
                &DeriveSharedSecretRequestBody {
                    key_id: signer,
                    ..body.clone()
                },
            )
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::KmsKeyIsForSigning);
        // A KEY_AGREEMENT key does not sign either, nor rotate.
        let e = k
            .wire()
            .sign(
                &a(),
                &SignRequestBody {
                    key_id: key.clone(),
                    message: Base64::encode_string(&[1u8; 32]),
                    signing_algorithm: "ECDSA_SHA_256".into(),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::KmsAsymmetricUnsupported);
    }
    // The confidential-computing recipient is not served: KMS.0308.
    let key = create(&k, "agree-r", "EC_P256", Some("KEY_AGREEMENT")).unwrap();
    let e = k
        .wire()
        .derive_shared_secret(
            &a(),
            &DeriveSharedSecretRequestBody {
                key_id: key,
                key_agreement_algorithm: "ECDH".into(),
                public_key: "AAAA".into(),
                recipient: Some(kms_model::Recipient::default()),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidParameter);
}

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    Base64::decode_vec(&b64).unwrap()
}

#[test]
fn the_version_documents_name_v1_0() {
    let k = kms();
    let all = k.wire().show_versions(&a(), "").unwrap();
    assert_eq!(all.versions.len(), 1);
    let v = &all.versions[0];
    assert_eq!(
        (v.id.as_str(), v.status.as_str(), v.version.as_str()),
        ("v1.0", "CURRENT", "")
    );
    assert_eq!(v.links[0].href, "/v1.0/");
    assert_eq!(v.links[0].rel, "self");
    let one = k
        .wire()
        .show_version(&a(), "https://kms.example", "v1.0")
        .unwrap();
    assert_eq!(one.version.links[0].href, "https://kms.example/v1.0/");
    assert_eq!(one.version.updated, v.updated);
    assert_eq!(
        k.wire().show_version(&a(), "", "v2").unwrap_err().code(),
        ErrorCode::KmsInvalidUrl
    );
}

/// generate-mac and verify-mac use a key: its alias (the alias API) names
/// it as its id does; the answer carries the key id, an unknown alias is
/// KMS.0207.
#[test]
fn an_alias_names_the_mac_key() {
    let k = kms();
    let key = create(&k, "mac", "HMAC_256", None).unwrap();
    k.wire()
        .create_alias(
            &a(),
            &kms_model::CreateAliasRequestBody {
                key_id: key.clone(),
                alias: "alias/mac".into(),
            },
        )
        .unwrap();
    let by_id = generate(&k, &key, "HMAC_SHA_256", b"m").unwrap();
    let r = k
        .wire()
        .generate_mac(
            &a(),
            &GenerateMacRequestBody {
                key_id: "alias/mac".into(),
                mac_algorithm: "HMAC_SHA_256".into(),
                message: Base64::encode_string(b"m"),
            },
        )
        .unwrap();
    assert_eq!(
        (r.key_id.as_str(), r.mac.as_str()),
        (key.as_str(), by_id.as_str())
    );
    let r = k
        .wire()
        .verify_mac(
            &a(),
            &VerifyMacRequestBody {
                key_id: "alias/mac".into(),
                mac_algorithm: "HMAC_SHA_256".into(),
                message: Base64::encode_string(b"m"),
                mac: by_id,
            },
        )
        .unwrap();
    assert!(r.mac_valid);
    assert_eq!(
        generate(&k, "alias/none", "HMAC_SHA_256", b"m"),
        Err(ErrorCode::KmsKeyNotFound)
    );
}
