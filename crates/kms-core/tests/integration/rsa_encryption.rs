//! RSA key pairs with `key_usage` ENCRYPT_DECRYPT: encrypt-data and
//! decrypt-data with `RSAES_OAEP_SHA_256`, the plaintext limit per key
//! size (k - 2*hLen - 2), the codes for an algorithm that does not fit the
//! key, and the private key sealed at rest like every key pair's.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64ct::{Base64, Encoding};
use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_crypto::{BlobKind, Ciphertext};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    EncryptDataRequestBody, OperateKeyRequestBody, RotateOnDemandRequestBody, SignRequestBody,
};

const OAEP: &str = "RSAES_OAEP_SHA_256";

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, alias: &str, spec: &str, usage: &str) -> String {
    k.wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: Some(spec.into()),
                key_usage: Some(usage.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn enc(k: &Kms, key: &str, text: &str, alg: Option<&str>) -> Result<String, ApiError> {
    k.wire()
        .encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: key.into(),
                plain_text: text.into(),
                encryption_algorithm: alg.map(str::to_owned),
                ..Default::default()
            },
        )
        .map(|r| r.cipher_text)
}

fn dec(k: &Kms, key: Option<&str>, ct: &str, alg: Option<&str>) -> Result<String, ApiError> {
    k.wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: ct.into(),
                key_id: key.map(str::to_owned),
                encryption_algorithm: alg.map(str::to_owned),
                ..Default::default()
            },
        )
        .map(|r| {
            assert_eq!(
                Base64::decode_vec(r.plain_text_base64.expose()).unwrap(),
                r.plain_text.expose().as_bytes(),
                "plain_text_base64 is the same bytes"
            );
            r.plain_text.expose_owned()
        })
}

fn code(r: Result<impl std::fmt::Debug, ApiError>) -> (u16, &'static str) {
    let e = r.expect_err("expected an error");
    (e.status(), e.code().as_str())
}

#[test]
fn rsa_keys_encrypt_with_oaep_sha256_up_to_k_minus_2hlen_minus_2() {
    let ports = memory::test_ports([5u8; 32]).unwrap();
    let store = ports.keys.clone();
    let k = Kms::new(ports, CoreConfig::default());
    for (spec, k_bytes, max) in [
        ("RSA_2048", 256, 190),
        ("RSA_3072", 384, 318),
        ("RSA_4096", 512, 446),
    ] {
        let key = create(&k, spec, spec, "ENCRYPT_DECRYPT");
        let d = k
            .wire()
            .describe_key(
                &a(),
                &OperateKeyRequestBody {
                    key_id: key.clone(),
                    sequence: None,
                },
            )
            .unwrap()
            .key_info;
        assert_eq!(
            (d.key_spec.as_str(), d.key_usage.as_str()),
            (spec, "ENCRYPT_DECRYPT")
        );
        // The private key is stored only sealed: a key-pair blob naming
        // the key, never the PKCS#8 DER.
        let stored = store.get_key_material(&key, 1).unwrap().unwrap();
        let blob = Ciphertext::from_bytes(&stored).unwrap();
        assert_eq!(blob.header().kind(), BlobKind::SigningKey);
        assert_eq!(blob.header().key_id(), Some(key.as_str()));

        for text in ["x".to_owned(), "m".repeat(max)] {
            let ct = enc(&k, &key, &text, Some(OAEP)).unwrap();
            let raw = Base64::decode_vec(&ct).unwrap();
            assert_eq!(raw.len(), k_bytes, "{spec}: a k-byte ciphertext, base64");
            // OAEP is randomised.
            assert_ne!(ct, enc(&k, &key, &text, Some(OAEP)).unwrap());
            assert_eq!(dec(&k, Some(&key), &ct, Some(OAEP)).unwrap(), text);
        }
        // One byte over the limit: KMS.2108.
        assert_eq!(
            code(enc(&k, &key, &"m".repeat(max + 1), Some(OAEP))),
            (400, "KMS.2108"),
            "{spec}"
        );
    }
}

#[test]
fn algorithms_that_do_not_fit_the_key_get_the_published_codes() {
    let k = Kms::new(
        memory::test_ports([6u8; 32]).unwrap(),
        CoreConfig::default(),
    );
    let rsa = create(&k, "rsa", "RSA_2048", "ENCRYPT_DECRYPT");
    let rsa_sign = create(&k, "rsa-sign", "RSA_2048", "SIGN_VERIFY");
    let aes = create(&k, "aes", "AES_256", "ENCRYPT_DECRYPT");
    let sm2 = create(&k, "sm2", "SM2", "ENCRYPT_DECRYPT");
    let ct = enc(&k, &rsa, "secret", Some(OAEP)).unwrap();

    // An RSA key takes RSAES_OAEP_SHA_256 only: KMS.2106.
    assert_eq!(code(enc(&k, &rsa, "x", None)), (400, "KMS.2106"));
    assert_eq!(
        code(enc(&k, &rsa, "x", Some("SM2_ENCRYPT"))),
        (400, "KMS.2106")
    );
    assert_eq!(code(dec(&k, Some(&rsa), &ct, None)), (400, "KMS.2106"));
    // A symmetric key takes SYMMETRIC_DEFAULT only: KMS.2105.
    assert_eq!(code(enc(&k, &aes, "x", Some(OAEP))), (400, "KMS.2105"));
    assert_eq!(
        code(dec(&k, Some(&aes), &ct, Some(OAEP))),
        (400, "KMS.2105")
    );
    // An SM2 key does not do RSAES-OAEP: KMS.0325.
    assert_eq!(code(enc(&k, &sm2, "x", Some(OAEP))), (400, "KMS.0325"));
    // A signing key does not encrypt: KMS.0335.
    assert_eq!(code(enc(&k, &rsa_sign, "x", Some(OAEP))), (400, "KMS.0335"));
    // An encryption key does not sign: KMS.0334.
    assert_eq!(
        code(k.wire().sign(
            &a(),
            &SignRequestBody {
                key_id: rsa.clone(),
                message: Base64::encode_string(&[7u8; 32]),
                signing_algorithm: "RSASSA_PSS_SHA_256".into(),
                message_type: None,
                sequence: None,
            },
        )),
        (400, "KMS.0334")
    );
    // Symmetric operations on an RSA key: KMS.0325; rotation: KMS.0324.
    assert_eq!(
        code(k.wire().create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: rsa.clone(),
                ..Default::default()
            },
        )),
        (400, "KMS.0325")
    );
    assert_eq!(
        code(k.wire().rotate_on_demand(
            &a(),
            &RotateOnDemandRequestBody {
                key_id: rsa.clone()
            }
        )),
        (400, "KMS.0324")
    );
    // An RSA ciphertext names no key: key_id is mandatory (KMS.0204).
    assert_eq!(code(dec(&k, None, &ct, Some(OAEP))), (400, "KMS.0204"));
    // Public-key encryption binds no context (KMS.0208) or AAD (KMS.0308).
    let with_ctx = EncryptDataRequestBody {
        key_id: rsa.clone(),
        plain_text: "x".into(),
        encryption_algorithm: Some(OAEP.into()),
        encryption_context: serde_json::json!({"a": "1"}).as_object().cloned(),
        ..Default::default()
    };
    assert_eq!(
        code(k.wire().encrypt_data(&a(), &with_ctx)),
        (400, "KMS.0208")
    );
    let with_aad = EncryptDataRequestBody {
        encryption_context: None,
        additional_authenticated_data: Some("aad".into()),
        ..with_ctx
    };
    assert_eq!(
        code(k.wire().encrypt_data(&a(), &with_aad)),
        (400, "KMS.0308")
    );
    // Another RSA key's ciphertext, a tampered one, a truncated one: the
    // opaque KMS.2201.
    let other = create(&k, "rsa2", "RSA_2048", "ENCRYPT_DECRYPT");
    assert_eq!(
        code(dec(&k, Some(&other), &ct, Some(OAEP))),
        (400, "KMS.2201")
    );
    let mut raw = Base64::decode_vec(&ct).unwrap();
    raw[100] ^= 1;
    let tampered = Base64::encode_string(&raw);
    assert_eq!(
        code(dec(&k, Some(&rsa), &tampered, Some(OAEP))),
        (400, "KMS.2201")
    );
    let short = Base64::encode_string(&raw[..200]);
    assert_eq!(
        code(dec(&k, Some(&rsa), &short, Some(OAEP))),
        (400, "KMS.2201")
    );
    // And the untouched one still opens.
    assert_eq!(dec(&k, Some(&rsa), &ct, Some(OAEP)).unwrap(), "secret");
    // A disabled key neither encrypts nor decrypts (KMS.0209).
    k.wire()
        .disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: rsa.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        code(dec(&k, Some(&rsa), &ct, Some(OAEP))),
        (400, "KMS.0209")
    );
}
