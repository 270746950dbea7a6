//! create-rsa-datakey-pair / create-ec-datakey-pair through the core with
//! in-memory adapters: the private key, in clear and once decrypt-data has
//! opened its ciphertext, matches the public key; the CMK rules; AAD.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use base64ct::Encoding as _;
use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_crypto::{SigningKey, SigningKeySpec};
use kms_model::{
    ApiError, CreateDatakeyPairResponseBody, CreateEcDatakeyPairRequest,
    CreateEcDatakeyPairRequestBody, CreateKeyRequestBody, CreateRsaDatakeyPairRequestBody,
    DecryptDataRequestBody, ErrorCode, OperateKeyRequestBody, RotateOnDemandRequestBody,
};
use p521::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};

fn kms() -> Kms {
    Kms::new(
        memory::test_ports([5u8; 32]).unwrap(),
        CoreConfig::default(),
    )
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, alias: &str, spec: &str, usage: Option<&str>) -> String {
    k.wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: Some(spec.into()),
                key_usage: usage.map(Into::into),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn b64(s: &str) -> Vec<u8> {
    base64ct::Base64::decode_vec(s).unwrap()
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
}

/// The public key (DER SubjectPublicKeyInfo) of a PKCS#8 private key of
/// `spec`, derived by a decoder independent of the generator's encoder
/// where one is at hand (kms-crypto's key loader for the CMK specs, the
/// RustCrypto curve crates for P-521 and secp256k1).
fn public_of(spec: &str, pkcs8: &[u8]) -> Vec<u8> {
    let cmk = |s| {
        SigningKey::from_pkcs8_der(s, pkcs8)
            .unwrap()
            .public_key()
            .to_der()
            .unwrap()
    };
    match spec {
        "RSA_2048" => cmk(SigningKeySpec::Rsa2048),
        "RSA_3072" => cmk(SigningKeySpec::Rsa3072),
        "RSA_4096" => cmk(SigningKeySpec::Rsa4096),
        "ECC_NIST_P256" => cmk(SigningKeySpec::EcP256),
        "ECC_NIST_P384" => cmk(SigningKeySpec::EcP384),
        "SM2" => cmk(SigningKeySpec::Sm2),
        "ECC_NIST_P521" => p521::SecretKey::from_pkcs8_der(pkcs8)
            .unwrap()
            .public_key()
            .to_public_key_der()
            .unwrap()
            .into_vec(),
        "ECC_SECG_P256K1" => k256::SecretKey::from_pkcs8_der(pkcs8)
            .unwrap()
            .public_key()
            .to_public_key_der()
            .unwrap()
            .into_vec(),
        other => panic!("no such spec {other}"),
    }
}

fn rsa_body(key_id: &str, spec: &str) -> CreateRsaDatakeyPairRequestBody {
    CreateRsaDatakeyPairRequestBody {
        key_id: key_id.into(),
        key_spec: spec.into(),
        ..Default::default()
    }
}

fn ec_body(key_id: &str, spec: &str) -> CreateEcDatakeyPairRequestBody {
    CreateEcDatakeyPairRequestBody {
        key_id: key_id.into(),
        key_spec: spec.into(),
        ..Default::default()
    }
}

/// decrypt-data of a private key's ciphertext, with `aad`.
fn open(k: &Kms, caller: &Caller, ct: &str, aad: Option<&str>) -> Result<Vec<u8>, ApiError> {
    k.wire()
        .decrypt_data(
            caller,
            &DecryptDataRequestBody {
                cipher_text: ct.into(),
                additional_authenticated_data: aad.map(Into::into),
                ..Default::default()
            },
        )
        .map(|d| b64(d.plain_text_base64.expose()))
}

/// The pair's private key (in clear when returned, and opened by
/// decrypt-data) matches its public key.
fn check_pair(k: &Kms, r: &CreateDatakeyPairResponseBody, spec: &str, aad: Option<&str>) {
    assert_eq!(r.key_spec, spec);
    assert_eq!(
        (&r.wrapped_private_key, &r.ciphertext_recipient),
        (&None, &None)
    );
    let public = b64(&r.public_key);
    let opened = open(k, &a(), &r.private_key_cipher_text, aad).unwrap();
    assert_eq!(public_of(spec, &opened), public, "{spec}: opened key");
    if let Some(plain) = &r.private_key_plain_text {
        assert_eq!(b64(plain.expose()), opened, "{spec}: the two private keys");
    }
}

#[test]
fn every_ec_spec_and_rsa_2048_match_their_public_keys() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let sm4 = create(&k, "sm4", "SM4", None);
    for cmk in [&aes, &sm4] {
        for spec in [
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
            "SM2",
        ] {
            let r = k
                .wire()
                .create_ec_datakey_pair(&a(), &ec_body(cmk, spec))
                .unwrap();
            assert_eq!(&r.key_id, cmk);
            assert!(
                r.private_key_plain_text.is_some(),
                "with_plain_text defaults to true"
            );
            check_pair(&k, &r, spec, None);
        }
        let r = k
            .wire()
            .create_rsa_datakey_pair(&a(), &rsa_body(cmk, "RSA_2048"))
            .unwrap();
        check_pair(&k, &r, "RSA_2048", None);
        // An RSA-2048 public key: 2048-bit modulus, exponent 65537 (the
        // SubjectPublicKeyInfo ends with the DER INTEGER 65537).
        assert!(b64(&r.public_key).ends_with(&[0x02, 0x03, 0x01, 0x00, 0x01]));
    }
}

#[test]
fn two_pairs_differ() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let one = k
        .wire()
        .create_ec_datakey_pair(&a(), &ec_body(&aes, "ECC_NIST_P256"))
        .unwrap();
    let two = k
        .wire()
        .create_ec_datakey_pair(&a(), &ec_body(&aes, "ECC_NIST_P256"))
        .unwrap();
    assert_ne!(one.public_key, two.public_key);
    assert_ne!(one.private_key_cipher_text, two.private_key_cipher_text);
}

#[test]
fn without_plain_text_only_the_ciphertext_holds_the_private_key() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let r = k
        .wire()
        .create_rsa_datakey_pair(
            &a(),
            &CreateRsaDatakeyPairRequestBody {
                with_plain_text: Some(false),
                ..rsa_body(&aes, "RSA_2048")
            },
        )
        .unwrap();
    assert_eq!(r.private_key_plain_text, None);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("private_key_plain_text").is_none(), "{json}");
    check_pair(&k, &r, "RSA_2048", None);
    let r = k
        .wire()
        .create_ec_datakey_pair(
            &a(),
            &CreateEcDatakeyPairRequestBody {
                with_plain_text: Some(false),
                ..ec_body(&aes, "SM2")
            },
        )
        .unwrap();
    assert_eq!(r.private_key_plain_text, None);
    check_pair(&k, &r, "SM2", None);
}

#[test]
fn the_aad_is_bound_as_decrypt_data_expects_it() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let r = k
        .wire()
        .create_ec_datakey_pair(
            &a(),
            &CreateEcDatakeyPairRequestBody {
                additional_authenticated_data: Some("tenant-7".into()),
                ..ec_body(&aes, "ECC_NIST_P384")
            },
        )
        .unwrap();
    check_pair(&k, &r, "ECC_NIST_P384", Some("tenant-7"));
    for wrong in [None, Some("tenant-8")] {
        assert_err(
            open(&k, &a(), &r.private_key_cipher_text, wrong),
            ErrorCode::KmsInvalidCipherText,
        );
    }
    // The blob is bound to the caller's project too: another project
    // cannot open it (it does not see the key).
    let other = Caller::new("dom-b", "proj-b");
    assert!(open(&k, &other, &r.private_key_cipher_text, Some("tenant-7")).is_err());
}

#[test]
fn the_ciphertext_still_opens_after_the_cmk_rotates() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let r = k
        .wire()
        .create_ec_datakey_pair(&a(), &ec_body(&aes, "ECC_SECG_P256K1"))
        .unwrap();
    k.wire()
        .rotate_on_demand(
            &a(),
            &RotateOnDemandRequestBody {
                key_id: aes.clone(),
            },
        )
        .unwrap();
    check_pair(&k, &r, "ECC_SECG_P256K1", None);
}

#[test]
fn only_a_usable_symmetric_data_key_encrypts_the_private_key() {
    let k = kms();
    // A key pair, whatever its usage: KMS.0325.
    let rsa_enc = create(&k, "rsa", "RSA_2048", Some("ENCRYPT_DECRYPT"));
    let ec_sign = create(&k, "ec", "EC_P256", None);
    let sm2_enc = create(&k, "sm2", "SM2", Some("ENCRYPT_DECRYPT"));
    for key in [&rsa_enc, &ec_sign, &sm2_enc] {
        assert_err(
            k.wire()
                .create_rsa_datakey_pair(&a(), &rsa_body(key, "RSA_2048")),
            ErrorCode::KmsAsymmetricUnsupported,
        );
        assert_err(
            k.wire()
                .create_ec_datakey_pair(&a(), &ec_body(key, "ECC_NIST_P256")),
            ErrorCode::KmsAsymmetricUnsupported,
        );
    }
    assert_eq!(ErrorCode::KmsAsymmetricUnsupported.as_str(), "KMS.0325");
    // No such key (in this project).
    assert_err(
        k.wire().create_ec_datakey_pair(
            &a(),
            &ec_body("00000000-0000-4000-8000-000000000000", "SM2"),
        ),
        ErrorCode::KmsKeyNotFound,
    );
    // A disabled key.
    let aes = create(&k, "aes", "AES_256", None);
    k.wire()
        .disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: aes.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_err(
        k.wire().create_ec_datakey_pair(&a(), &ec_body(&aes, "SM2")),
        ErrorCode::KmsKeyDisabled,
    );
    // A body that breaks a rule.
    assert_err(
        k.wire()
            .create_rsa_datakey_pair(&a(), &rsa_body(&aes, "ECC_NIST_P256")),
        ErrorCode::KmsInvalidParameter,
    );
}

#[test]
fn each_call_is_audited_once_with_its_key() {
    let audit = Arc::new(VecAudit::default());
    let ports = memory::ports(
        &[9u8; 32],
        [4u8; 32],
        Arc::new(ManualClock::new(Timestamp(1_767_225_600_000))),
        vec![],
        audit.clone(),
    )
    .unwrap();
    let k = Kms::new(ports, CoreConfig::default());
    let aes = create(&k, "aes", "AES_256", None);
    let before = audit.events().len();
    k.wire()
        .create_ec_datakey_pair(&a(), &ec_body(&aes, "SM2"))
        .unwrap();
    let rsa = create(&k, "rsa", "RSA_2048", Some("ENCRYPT_DECRYPT"));
    let before_refused = audit.events().len();
    let _ = k
        .wire()
        .create_rsa_datakey_pair(&a(), &rsa_body(&rsa, "RSA_2048"));
    let events = audit.events();
    let ok = &events[before];
    assert_eq!(
        (ok.action, ok.resource.as_deref(), ok.error_code),
        ("create-ec-datakey-pair", Some(aes.as_str()), None)
    );
    assert_eq!(events.len(), before_refused + 1);
    let refused = &events[before_refused];
    assert_eq!(
        (refused.action, refused.error_code),
        ("create-rsa-datakey-pair", Some("KMS.0325"))
    );
}

#[test]
fn the_typed_result_shows_no_key_material() {
    let k = kms();
    let aes = create(&k, "aes", "AES_256", None);
    let req = CreateEcDatakeyPairRequest::from_body(&ec_body(&aes, "ECC_NIST_P256")).unwrap();
    let pair = k.create_ec_datakey_pair(&a(), &req).unwrap();
    let der = pair.private_key_der.as_ref().unwrap();
    let shown = format!("{pair:?}");
    assert!(shown.contains("<redacted>"), "{shown}");
    let hex: String = der.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!shown.contains(&hex[..16]), "{shown}");
    assert!(!shown.contains(&format!("{:?}", &der[..8])), "{shown}");
}

/// A data key pair uses its CMK: an alias (the alias API) names the CMK as
/// its id does, and the answer carries the key id; an unknown alias is
/// KMS.0207.
#[test]
fn an_alias_names_the_pair_cmk() {
    let k = kms();
    let cmk = create(&k, "pairs", "AES_256", None);
    k.wire()
        .create_alias(
            &a(),
            &kms_model::CreateAliasRequestBody {
                key_id: cmk.clone(),
                alias: "alias/pairs".into(),
            },
        )
        .unwrap();
    let body = |key_id: &str| CreateEcDatakeyPairRequestBody {
        key_id: key_id.into(),
        key_spec: "ECC_NIST_P256".into(),
        ..Default::default()
    };
    let made = k
        .wire()
        .create_ec_datakey_pair(&a(), &body("alias/pairs"))
        .unwrap();
    assert_eq!(made.key_id, cmk);
    assert_err(
        k.wire().create_ec_datakey_pair(&a(), &body("alias/none")),
        ErrorCode::KmsKeyNotFound,
    );
}
