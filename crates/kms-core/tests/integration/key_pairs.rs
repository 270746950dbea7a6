//! Key pairs through the core: create, describe, list by spec, sign /
//! verify / get-publickey, and the rules that keep key pairs and symmetric
//! keys apart (usage, rotation, state).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64ct::{Base64, Encoding};
use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{
    CreateKeyRequestBody, EncryptDataRequestBody, ErrorCode, ListKeysRequestBody,
    OperateKeyRequestBody, SignRequestBody, VerifyRequestBody,
};

fn kms() -> Kms {
    let ports = memory::test_ports([4u8; 32]).unwrap();
    Kms::new(ports, CoreConfig::default())
}

fn create(k: &Kms, c: &Caller, alias: &str, spec: Option<&str>) -> String {
    k.wire()
        .create_key(
            c,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: spec.map(str::to_owned),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn sign(k: &Kms, c: &Caller, key: &str, alg: &str, msg: &[u8]) -> Result<String, ErrorCode> {
    k.wire()
        .sign(
            c,
            &SignRequestBody {
                key_id: key.into(),
                message: Base64::encode_string(msg),
                signing_algorithm: alg.into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .map(|r| r.signature)
        .map_err(|e| e.code())
}

fn verify(k: &Kms, c: &Caller, key: &str, alg: &str, msg: &[u8], sig: &str) -> String {
    k.wire()
        .validate_signature(
            c,
            &VerifyRequestBody {
                key_id: key.into(),
                message: Base64::encode_string(msg),
                signature: sig.into(),
                signing_algorithm: alg.into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .unwrap()
        .signature_valid
}

fn op(key: &str) -> OperateKeyRequestBody {
    OperateKeyRequestBody {
        key_id: key.into(),
        sequence: None,
    }
}

#[test]
fn key_pairs_sign_verify_and_stay_apart_from_symmetric_keys() {
    let k = kms();
    let a = Caller::new("dom-a", "proj-a");
    let aes = create(&k, &a, "aes", None);
    let ec = create(&k, &a, "ec", Some("EC_P256"));
    let rsa = create(&k, &a, "rsa", Some("RSA_2048"));

    let d = k.wire().describe_key(&a, &op(&ec)).unwrap().key_info;
    assert_eq!(
        (d.key_spec.as_str(), d.key_usage.as_str()),
        ("EC_P256", "SIGN_VERIFY")
    );
    let d = k.wire().describe_key(&a, &op(&aes)).unwrap().key_info;
    assert_eq!(
        (d.key_spec.as_str(), d.key_usage.as_str()),
        ("AES_256", "ENCRYPT_DECRYPT")
    );

    // Round trips, and a changed message or another key's signature fails.
    for (key, alg) in [
        (&ec, "ECDSA_SHA_256"),
        (&rsa, "RSASSA_PSS_SHA_256"),
        (&rsa, "RSASSA_PKCS1_V1_5_SHA_512"),
    ] {
        let sig = sign(&k, &a, key, alg, b"hello").unwrap();
        assert_eq!(verify(&k, &a, key, alg, b"hello", &sig), "true", "{alg}");
        assert_eq!(verify(&k, &a, key, alg, b"hellO", &sig), "false", "{alg}");
    }
    let ec2 = create(&k, &a, "ec2", Some("EC_P256"));
    let sig = sign(&k, &a, &ec, "ECDSA_SHA_256", b"m").unwrap();
    assert_eq!(verify(&k, &a, &ec2, "ECDSA_SHA_256", b"m", &sig), "false");

    let pem = k.wire().get_public_key(&a, &op(&ec)).unwrap().public_key;
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    assert_ne!(
        pem,
        k.wire().get_public_key(&a, &op(&ec2)).unwrap().public_key
    );

    // Usage rules: exact codes.
    assert_eq!(
        sign(&k, &a, &ec, "ECDSA_SHA_384", b"m"),
        Err(ErrorCode::KmsSigningAlgorithmUnsupported)
    );
    assert_eq!(
        sign(&k, &a, &rsa, "ECDSA_SHA_256", b"m"),
        Err(ErrorCode::KmsSigningAlgorithmUnsupported)
    );
    assert_eq!(
        sign(&k, &a, &aes, "ECDSA_SHA_256", b"m"),
        Err(ErrorCode::KmsSymmetricUnsupported)
    );
    assert_eq!(
        k.wire().get_public_key(&a, &op(&aes)).unwrap_err().code(),
        ErrorCode::KmsSymmetricUnsupported
    );
    let enc = EncryptDataRequestBody {
        key_id: ec.clone(),
        plain_text: "x".into(),
        ..Default::default()
    };
    assert_eq!(
        k.wire().encrypt_data(&a, &enc).unwrap_err().code(),
        ErrorCode::KmsKeyIsForSigning
    );
    assert_eq!(
        k.wire()
            .enable_key_rotation(&a, &op(&rsa))
            .unwrap_err()
            .code(),
        ErrorCode::KmsRsaNotRotatable
    );

    // Another project sees nothing; a disabled key pair does not sign.
    let b = Caller::new("dom-a", "proj-b");
    assert_eq!(
        sign(&k, &b, &ec, "ECDSA_SHA_256", b"m"),
        Err(ErrorCode::KmsKeyNotFound)
    );
    k.wire().disable_key(&a, &op(&ec)).unwrap();
    assert_eq!(
        sign(&k, &a, &ec, "ECDSA_SHA_256", b"m"),
        Err(ErrorCode::KmsKeyDisabled)
    );

    // list-keys filters by spec.
    let list = |spec: &str| {
        k.wire()
            .list_keys(
                &a,
                &ListKeysRequestBody {
                    key_spec: Some(spec.into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .keys
    };
    assert_eq!(list("AES_256"), vec![aes.clone()]);
    assert_eq!(list("RSA_2048"), vec![rsa.clone()]);
    assert_eq!(list("EC_P256").len(), 2);
    assert_eq!(list("ALL").len(), 4);
    assert!(list("SM2").is_empty());
}
