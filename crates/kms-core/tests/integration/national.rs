//! National (SM) cryptography through the core: SM4 CMKs (data keys with
//! SM3 digests, data, re-encrypt, rotation) and SM2 key pairs (SM2DSA_SM3,
//! SM2_ENCRYPT, get-publickey), and the rules that keep them apart from the
//! AES path.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64ct::{Base64, Encoding};
use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{
    CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    DecryptDatakeyRequestBody, EncryptDataRequestBody, EncryptDatakeyRequestBody, ErrorCode,
    OperateKeyRequestBody, ReEncryptRequestBody, RotateOnDemandRequestBody, SignRequestBody,
    VerifyRequestBody,
};
use sha2::Digest as _;

fn kms() -> Kms {
    Kms::new(
        memory::test_ports([7u8; 32]).unwrap(),
        CoreConfig::default(),
    )
}

fn caller() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, alias: &str, spec: &str, usage: Option<&str>) -> String {
    k.wire()
        .create_key(
            &caller(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: Some(spec.into()),
                key_usage: usage.map(str::to_owned),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn sm3(b: &[u8]) -> Vec<u8> {
    sm3::Sm3::digest(b).to_vec()
}

fn hex(b: &[u8]) -> String {
    base16ct::upper::encode_string(b)
}

fn decrypt_dk(
    k: &Kms,
    key: &str,
    ct: &str,
) -> Result<kms_model::DecryptDatakeyResponseBody, ErrorCode> {
    k.wire()
        .decrypt_datakey(
            &caller(),
            &DecryptDatakeyRequestBody {
                key_id: key.into(),
                cipher_text: ct.into(),
                datakey_cipher_length: "1024".into(),
                ..Default::default()
            },
        )
        .map_err(|e| e.code())
}

#[test]
fn sm4_keys_serve_every_symmetric_operation_with_sm_blobs() {
    let k = kms();
    let c = caller();
    let sm4 = create(&k, "sm4", "SM4", None);
    let aes = create(&k, "aes", "AES_256", None);
    let d = k
        .wire()
        .describe_key(
            &c,
            &OperateKeyRequestBody {
                key_id: sm4.clone(),
                sequence: None,
            },
        )
        .unwrap()
        .key_info;
    assert_eq!(d.key_spec, "SM4");
    assert_eq!(d.key_usage, "ENCRYPT_DECRYPT");

    // create-datakey with key_spec SM4: a 128-bit DEK in an 0x07 blob, its
    // digest SM3.
    let r = k
        .wire()
        .create_datakey(
            &c,
            &CreateDatakeyRequestBody {
                key_id: sm4.clone(),
                key_spec: Some("SM4".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.plain_text.expose().len(), 32, "16 bytes in hex");
    assert_eq!(&r.cipher_text[..4], "0107");
    let dek = base16ct::mixed::decode_vec(r.plain_text.expose()).unwrap();
    let back = decrypt_dk(&k, &sm4, &r.cipher_text).unwrap();
    assert_eq!(back.data_key, r.plain_text);
    assert_eq!(back.datakey_length, "16");
    assert_eq!(back.datakey_dgst, hex(&sm3(&dek)));
    // An AES key keeps SHA-256.
    let ra = k
        .wire()
        .create_datakey(
            &c,
            &CreateDatakeyRequestBody {
                key_id: aes.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(&ra.cipher_text[..4], "0101");
    let dek_a = base16ct::mixed::decode_vec(ra.plain_text.expose()).unwrap();
    assert_eq!(
        decrypt_dk(&k, &aes, &ra.cipher_text).unwrap().datakey_dgst,
        hex(&sha2::Sha256::digest(&dek_a))
    );
    // Each key refuses the other's blob.
    assert_eq!(
        decrypt_dk(&k, &aes, &r.cipher_text).unwrap_err(),
        ErrorCode::KmsInvalidCipherText
    );
    assert_eq!(
        decrypt_dk(&k, &sm4, &ra.cipher_text).unwrap_err(),
        ErrorCode::KmsInvalidCipherText
    );

    // create-datakey-without-plaintext.
    let w = k
        .wire()
        .create_datakey_without_plaintext(
            &c,
            &CreateDatakeyRequestBody {
                key_id: sm4.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(&w.cipher_text[..4], "0107");
    assert_eq!(
        decrypt_dk(&k, &sm4, &w.cipher_text).unwrap().datakey_length,
        "32"
    );

    // encrypt-datakey takes DEK || SM3(DEK) under SM4, not SHA-256.
    let dek = [0x42u8; 16];
    let enc = |plain: Vec<u8>| {
        k.wire()
            .encrypt_datakey(
                &c,
                &EncryptDatakeyRequestBody {
                    key_id: sm4.clone(),
                    plain_text: hex(&plain).into(),
                    datakey_plain_length: "16".into(),
                    ..Default::default()
                },
            )
            .map_err(|e| e.code())
    };
    let e = enc([dek.to_vec(), sm3(&dek)].concat()).unwrap();
    assert_eq!(
        decrypt_dk(&k, &sm4, &e.cipher_text).unwrap().data_key,
        hex(&dek).into()
    );
    assert_eq!(
        enc([dek.to_vec(), sha2::Sha256::digest(dek).to_vec()].concat()).unwrap_err(),
        ErrorCode::KmsDekHashMismatch
    );

    // encrypt-data / decrypt-data / re-encrypt / rotation.
    let ed = k
        .wire()
        .encrypt_data(
            &c,
            &EncryptDataRequestBody {
                key_id: sm4.clone(),
                plain_text: "national".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(Base64::decode_vec(&ed.cipher_text).unwrap()[1], 0x08);
    let dd = |ct: &str| {
        k.wire()
            .decrypt_data(
                &c,
                &DecryptDataRequestBody {
                    cipher_text: ct.into(),
                    ..Default::default()
                },
            )
            .map(|r| r.plain_text)
            .map_err(|e| e.code())
    };
    assert_eq!(dd(&ed.cipher_text).unwrap(), "national".into());
    k.wire()
        .rotate_on_demand(
            &c,
            &RotateOnDemandRequestBody {
                key_id: sm4.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        dd(&ed.cipher_text).unwrap(),
        "national".into(),
        "old version still opens"
    );
    assert_eq!(
        decrypt_dk(&k, &sm4, &e.cipher_text).unwrap().data_key,
        hex(&dek).into()
    );
    let after = k
        .wire()
        .encrypt_data(
            &c,
            &EncryptDataRequestBody {
                key_id: sm4.clone(),
                plain_text: "v2".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let blob = Base64::decode_vec(&after.cipher_text).unwrap();
    assert_eq!(blob[1], 0x08);
    assert_eq!(blob[40..44], 2u32.to_be_bytes());
    // Re-encrypt from SM4 to AES and back.
    let re = k
        .wire()
        .re_encrypt(
            &c,
            &ReEncryptRequestBody {
                cipher_text: ed.cipher_text.clone(),
                destination_key_id: aes.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(Base64::decode_vec(&re.cipher_text).unwrap()[1], 0x05);
    assert_eq!(dd(&re.cipher_text).unwrap(), "national".into());
    let back = k
        .wire()
        .re_encrypt(
            &c,
            &ReEncryptRequestBody {
                cipher_text: re.cipher_text.clone(),
                destination_key_id: sm4.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(Base64::decode_vec(&back.cipher_text).unwrap()[1], 0x08);
    assert_eq!(dd(&back.cipher_text).unwrap(), "national".into());

    // SM4 keys do not sign.
    assert_eq!(
        k.wire()
            .create_key(
                &c,
                &CreateKeyRequestBody {
                    key_alias: "x".into(),
                    key_spec: Some("SM4".into()),
                    key_usage: Some("SIGN_VERIFY".into()),
                    ..Default::default()
                }
            )
            .unwrap_err()
            .code(),
        ErrorCode::KmsSymmetricCannotSign
    );
}

#[test]
fn sm2_key_pairs_sign_verify_and_encrypt() {
    let k = kms();
    let c = caller();
    let sig_key = create(&k, "sm2s", "SM2", None);
    let enc_key = create(&k, "sm2e", "SM2", Some("ENCRYPT_DECRYPT"));
    let aes = create(&k, "aes", "AES_256", None);

    let pem = k
        .wire()
        .get_public_key(
            &c,
            &OperateKeyRequestBody {
                key_id: sig_key.clone(),
                sequence: None,
            },
        )
        .unwrap()
        .public_key;
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    // An ENCRYPT_DECRYPT SM2 key's public key is readable too.
    k.wire()
        .get_public_key(
            &c,
            &OperateKeyRequestBody {
                key_id: enc_key.clone(),
                sequence: None,
            },
        )
        .unwrap();

    let sign = |key: &str, msg: &[u8], t: &str| {
        k.wire()
            .sign(
                &c,
                &SignRequestBody {
                    key_id: key.into(),
                    message: Base64::encode_string(msg),
                    signing_algorithm: "SM2DSA_SM3".into(),
                    message_type: Some(t.into()),
                    sequence: None,
                },
            )
            .map(|r| r.signature)
            .map_err(|e| e.code())
    };
    let verify = |key: &str, msg: &[u8], t: &str, sig: &str| {
        k.wire()
            .validate_signature(
                &c,
                &VerifyRequestBody {
                    key_id: key.into(),
                    message: Base64::encode_string(msg),
                    signature: sig.into(),
                    signing_algorithm: "SM2DSA_SM3".into(),
                    message_type: Some(t.into()),
                    sequence: None,
                },
            )
            .unwrap()
            .signature_valid
    };
    let s = sign(&sig_key, b"hello", "RAW").unwrap();
    assert_eq!(verify(&sig_key, b"hello", "RAW", &s), "true");
    assert_eq!(verify(&sig_key, b"hellO", "RAW", &s), "false");
    let d = sign(&sig_key, &[9u8; 32], "DIGEST").unwrap();
    assert_eq!(verify(&sig_key, &[9u8; 32], "DIGEST", &d), "true");
    // Not with other keys or algorithms.
    assert_eq!(
        sign(&enc_key, b"hello", "RAW").unwrap_err(),
        ErrorCode::KmsKeyIsForEncryption
    );
    assert_eq!(
        sign(&aes, b"hello", "RAW").unwrap_err(),
        ErrorCode::KmsSymmetricUnsupported
    );
    let ec = create(&k, "ec", "EC_P256", None);
    assert_eq!(
        sign(&ec, b"hello", "RAW").unwrap_err(),
        ErrorCode::KmsSigningAlgorithmUnsupported
    );

    // SM2_ENCRYPT: DER out, key_id required to decrypt.
    let enc = |key: &str, alg: Option<&str>| {
        k.wire()
            .encrypt_data(
                &c,
                &EncryptDataRequestBody {
                    key_id: key.into(),
                    plain_text: "secret sm2".into(),
                    encryption_algorithm: alg.map(str::to_owned),
                    ..Default::default()
                },
            )
            .map(|r| r.cipher_text)
            .map_err(|e| e.code())
    };
    let ct = enc(&enc_key, Some("SM2_ENCRYPT")).unwrap();
    assert_eq!(Base64::decode_vec(&ct).unwrap()[0], 0x30);
    let dec = |key: Option<&str>, ct: &str, alg: Option<&str>| {
        k.wire()
            .decrypt_data(
                &c,
                &DecryptDataRequestBody {
                    cipher_text: ct.into(),
                    key_id: key.map(str::to_owned),
                    encryption_algorithm: alg.map(str::to_owned),
                    ..Default::default()
                },
            )
            .map(|r| r.plain_text)
            .map_err(|e| e.code())
    };
    assert_eq!(
        dec(Some(&enc_key), &ct, Some("SM2_ENCRYPT")).unwrap(),
        "secret sm2".into()
    );
    assert_eq!(
        dec(None, &ct, Some("SM2_ENCRYPT")).unwrap_err(),
        ErrorCode::KmsMissingParameter
    );
    assert_eq!(
        dec(None, &ct, None).unwrap_err(),
        ErrorCode::KmsInvalidCipherText
    );
    let mut bad = Base64::decode_vec(&ct).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        dec(
            Some(&enc_key),
            &Base64::encode_string(&bad),
            Some("SM2_ENCRYPT")
        )
        .unwrap_err(),
        ErrorCode::KmsInvalidCipherText
    );
    // SM2 binds no AAD or context: refused, not silently unbound.
    assert_eq!(
        k.wire()
            .encrypt_data(
                &c,
                &EncryptDataRequestBody {
                    key_id: enc_key.clone(),
                    plain_text: "x".into(),
                    encryption_algorithm: Some("SM2_ENCRYPT".into()),
                    additional_authenticated_data: Some("aad".into()),
                    ..Default::default()
                },
            )
            .unwrap_err()
            .code(),
        ErrorCode::KmsInvalidParameter
    );
    // The wrong pairings.
    assert_eq!(
        enc(&enc_key, None).unwrap_err(),
        ErrorCode::KmsAsymmetricUnsupported
    );
    assert_eq!(
        enc(&aes, Some("SM2_ENCRYPT")).unwrap_err(),
        ErrorCode::KmsSymmetricAlgorithmMismatch
    );
    assert_eq!(
        enc(&sig_key, Some("SM2_ENCRYPT")).unwrap_err(),
        ErrorCode::KmsKeyIsForSigning
    );
    assert_eq!(
        k.wire()
            .create_datakey(
                &c,
                &CreateDatakeyRequestBody {
                    key_id: enc_key.clone(),
                    ..Default::default()
                }
            )
            .unwrap_err()
            .code(),
        ErrorCode::KmsAsymmetricUnsupported
    );
    assert_eq!(
        k.wire()
            .rotate_on_demand(
                &c,
                &RotateOnDemandRequestBody {
                    key_id: enc_key.clone()
                }
            )
            .unwrap_err()
            .code(),
        ErrorCode::KmsAsymmetricUnsupported
    );
}

/// Keystores "0" and "1" with national (SM) software roots: CMKs stored
/// under KWP over SM4, PINs sealed with the SM4 suite (0x09); the same
/// store read through AES roots opens nothing.
#[test]
fn national_keystores_keep_every_layer_national() {
    use std::sync::Arc;

    use kms_core::software::SoftwareRootKeys;
    use kms_crypto::{CipherSuite, RootKey};
    use kms_model::CreatePinRequestBody;

    let secret = [9u8; 32];
    let mut ports = memory::test_ports([8u8; 32]).unwrap();
    let provider = SoftwareRootKeys::new(&secret)
        .unwrap()
        .with_national_keystores(["0", "1"]);
    assert!(provider.is_national("0") && !provider.is_national("2"));
    ports.root_keys = Arc::new(provider);
    let k = Kms::new(ports.clone(), CoreConfig::default());
    let c = caller();
    let sm4 = create(&k, "sm4", "SM4", None);
    let sm2 = create(&k, "sm2", "SM2", None);

    let r = k
        .wire()
        .create_datakey(
            &c,
            &CreateDatakeyRequestBody {
                key_id: sm4.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        decrypt_dk(&k, &sm4, &r.cipher_text).unwrap().data_key,
        r.plain_text
    );
    let s = k
        .wire()
        .sign(
            &c,
            &SignRequestBody {
                key_id: sm2.clone(),
                message: Base64::encode_string(b"m"),
                signing_algorithm: "SM2DSA_SM3".into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .unwrap();
    assert!(!s.signature.is_empty());

    // The stored CMK is KWP over SM4 under keystore "0"'s national root.
    let wrapped = ports.keys.get_key_material(&sm4, 1).unwrap().unwrap();
    let root = RootKey::derive_national_from_secret(&secret, "0").unwrap();
    assert_eq!(root.suite(), CipherSuite::Sm4Gcm);
    assert!(root.unwrap_master_key(&sm4, 1, &wrapped).is_ok());
    assert!(
        RootKey::derive_from_secret(&secret, "0")
            .unwrap()
            .unwrap_master_key(&sm4, 1, &wrapped)
            .is_err()
    );
    // The stored key pair is an SM4-suite blob (0x0B).
    let sealed = ports.keys.get_key_material(&sm2, 1).unwrap().unwrap();
    assert_eq!(sealed[1], 0x0b);

    // A PIN of keystore "1" is an SM4-suite blob (0x09); "2" stays AES.
    let pin = |ks: &str| {
        k.wire()
            .create_pin(
                &c,
                &CreatePinRequestBody {
                    pin_type: Some("CipherText".into()),
                    keystore_id: Some(ks.into()),
                },
            )
            .unwrap()
            .pin
            .expose_owned()
    };
    assert_eq!(&pin("1")[..4], "0109");
    assert_eq!(&pin("2")[..4], "0103");

    // The same data through AES roots: nothing opens.
    let mut mixed = ports;
    mixed.root_keys = Arc::new(SoftwareRootKeys::new(&secret).unwrap());
    let aes = Kms::new(mixed, CoreConfig::default());
    assert!(decrypt_dk(&aes, &sm4, &r.cipher_text).is_err());
}
