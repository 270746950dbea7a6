//! encrypt-data / decrypt-data through the core with in-memory adapters.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64ct::Encoding as _;
use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    DecryptDatakeyRequestBody, EncryptDataRequestBody, ErrorCode, OperateKeyRequestBody,
    ReEncryptRequestBody, RotateOnDemandRequestBody,
};
use serde_json::json;

fn kms() -> Kms {
    let ports = memory::test_ports([3u8; 32]).unwrap();
    Kms::new(ports, CoreConfig::default())
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, caller: &Caller, alias: &str) -> String {
    k.wire()
        .create_key(
            caller,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn ctx(v: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    v.as_object().cloned()
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
}

fn decrypt(cipher_text: &str) -> DecryptDataRequestBody {
    DecryptDataRequestBody {
        cipher_text: cipher_text.into(),
        ..Default::default()
    }
}

#[test]
fn round_trip_from_the_ciphertext_alone() {
    let k = kms();
    let key = create(&k, &a(), "data");
    for text in ["x", "hello, world \u{1F512}", &"z".repeat(4096)] {
        let e = k
            .wire()
            .encrypt_data(
                &a(),
                &EncryptDataRequestBody {
                    key_id: key.clone(),
                    plain_text: text.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(e.key_id, key);
        let raw = base64ct::Base64::decode_vec(&e.cipher_text).unwrap();
        assert_eq!(raw.len(), 136 + text.len());
        assert_eq!((raw[0], raw[1]), (0x01, 0x05), "version 1, data blob");
        let d = k
            .wire()
            .decrypt_data(&a(), &decrypt(&e.cipher_text))
            .unwrap();
        assert_eq!(d.key_id, key);
        assert_eq!(d.plain_text, text.into());
        assert_eq!(
            base64ct::Base64::decode_vec(d.plain_text_base64.expose()).unwrap(),
            text.as_bytes()
        );
    }
}

#[test]
fn context_aad_key_and_project_are_bound() {
    let k = kms();
    let key = create(&k, &a(), "bound");
    let other_key = create(&k, &a(), "other");
    let e = k
        .wire()
        .encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: key.clone(),
                plain_text: "secret".into(),
                additional_authenticated_data: Some("aad".into()),
                encryption_context: ctx(json!({"b": "2", "a": "1"})),
                ..Default::default()
            },
        )
        .unwrap();
    let with =
        |aad: Option<&str>, c: serde_json::Value, key_id: Option<&str>| DecryptDataRequestBody {
            cipher_text: e.cipher_text.clone(),
            additional_authenticated_data: aad.map(str::to_owned),
            encryption_context: ctx(c),
            key_id: key_id.map(str::to_owned),
            ..Default::default()
        };
    // Key order does not matter: the context is canonical.
    let d = k
        .wire()
        .decrypt_data(
            &a(),
            &with(Some("aad"), json!({"a": "1", "b": "2"}), Some(&key)),
        )
        .unwrap();
    assert_eq!(d.plain_text, "secret".into());
    for bad in [
        with(None, json!({"a": "1", "b": "2"}), None),
        with(Some("aad"), json!({"a": "1"}), None),
        with(Some("aad"), json!({}), None),
        with(Some("aad"), json!({"a": "1", "b": "2"}), Some(&other_key)),
    ] {
        assert_err(
            k.wire().decrypt_data(&a(), &bad),
            ErrorCode::KmsInvalidCipherText,
        );
    }
    // Another project does not see the key.
    assert_err(
        k.wire().decrypt_data(
            &Caller::new("dom-a", "proj-other"),
            &with(Some("aad"), json!({"a": "1", "b": "2"}), None),
        ),
        ErrorCode::KmsKeyNotFound,
    );
    // A disabled key does not decrypt.
    k.wire()
        .disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: key.clone(),
                sequence: None,
            },
        )
        .unwrap();
    assert_err(
        k.wire()
            .decrypt_data(&a(), &with(Some("aad"), json!({"a": "1", "b": "2"}), None)),
        ErrorCode::KmsKeyDisabled,
    );
}

#[test]
fn bad_input_gets_the_exact_code() {
    let k = kms();
    let key = create(&k, &a(), "inputs");
    let enc = |f: &dyn Fn(&mut EncryptDataRequestBody)| {
        let mut b = EncryptDataRequestBody {
            key_id: key.clone(),
            plain_text: "p".into(),
            ..Default::default()
        };
        f(&mut b);
        k.wire().encrypt_data(&a(), &b)
    };
    assert_err(
        enc(&|b| b.plain_text = String::new().into()),
        ErrorCode::KmsInvalidPlainText,
    );
    assert_err(
        enc(&|b| b.plain_text = "x".repeat(4097).into()),
        ErrorCode::KmsInvalidPlainText,
    );
    assert_err(
        enc(&|b| b.key_id = "bad".into()),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        enc(&|b| b.encryption_algorithm = Some("RSAES_OAEP_SHA_256".into())),
        ErrorCode::KmsSymmetricAlgorithmMismatch,
    );
    assert_err(
        enc(&|b| b.encryption_context = ctx(json!({"n": 1}))),
        ErrorCode::KmsInvalidEncryptionContext,
    );
    assert_err(
        enc(&|b| b.additional_authenticated_data = Some("a".repeat(129))),
        ErrorCode::KmsInvalidParameter,
    );
    for bad in ["", "!!!!", "AQUA", &"A".repeat(5652)] {
        assert_err(
            k.wire().decrypt_data(&a(), &decrypt(bad)),
            ErrorCode::KmsInvalidCipherText,
        );
    }
    // A DEK ciphertext is no data ciphertext, and the other way round.
    let dek = k
        .wire()
        .create_datakey_without_plaintext(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: key.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    let dek_raw = base16ct::mixed::decode_vec(&dek.cipher_text).unwrap();
    assert_err(
        k.wire()
            .decrypt_data(&a(), &decrypt(&base64ct::Base64::encode_string(&dek_raw))),
        ErrorCode::KmsInvalidCipherText,
    );
    let data = enc(&|b| b.plain_text = "0123456789abcdef0123456789abcdef".into()).unwrap();
    let data_raw = base64ct::Base64::decode_vec(&data.cipher_text).unwrap();
    assert_err(
        k.wire().decrypt_datakey(
            &a(),
            &DecryptDatakeyRequestBody {
                key_id: key.clone(),
                cipher_text: base16ct::upper::encode_string(&data_raw),
                datakey_cipher_length: "32".into(),
                ..Default::default()
            },
        ),
        ErrorCode::KmsInvalidCipherText,
    );
}

#[test]
fn re_encrypt_moves_data_to_another_key_or_the_newest_version() {
    let k = kms();
    let src = create(&k, &a(), "source");
    let dst = create(&k, &a(), "destination");
    let e = k
        .wire()
        .encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: src.clone(),
                plain_text: "moved".into(),
                additional_authenticated_data: Some("old".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let body = |dst: &str, src_aad: Option<&str>| ReEncryptRequestBody {
        cipher_text: e.cipher_text.clone(),
        source_additional_authenticated_data: src_aad.map(str::to_owned),
        destination_key_id: dst.into(),
        destination_additional_authenticated_data: Some("new".into()),
        ..Default::default()
    };
    let r = k.wire().re_encrypt(&a(), &body(&dst, Some("old"))).unwrap();
    assert_eq!(
        (r.key_id.as_str(), r.source_key_id.as_str()),
        (dst.as_str(), src.as_str())
    );
    assert_eq!(r.destination_encryption_algorithm, "SYMMETRIC_DEFAULT");
    let d = k
        .wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: r.cipher_text.clone(),
                additional_authenticated_data: Some("new".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (d.key_id.as_str(), d.plain_text.expose().as_str()),
        (dst.as_str(), "moved")
    );
    // The wrong source AAD, a named source key that is not the blob's.
    assert_err(
        k.wire().re_encrypt(&a(), &body(&dst, None)),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        k.wire().re_encrypt(
            &a(),
            &ReEncryptRequestBody {
                source_key_id: Some(dst.clone()),
                ..body(&dst, Some("old"))
            },
        ),
        ErrorCode::KmsInvalidCipherText,
    );
    assert_err(
        k.wire().re_encrypt(&a(), &body("bad", Some("old"))),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        k.wire().re_encrypt(
            &a(),
            &ReEncryptRequestBody {
                datakey_cipher_length: Some("32".into()),
                ..body(&dst, Some("old"))
            },
        ),
        ErrorCode::KmsInvalidParameter,
    );
    // Same key after a rotation: the new blob names the new version.
    k.wire()
        .rotate_on_demand(
            &a(),
            &RotateOnDemandRequestBody {
                key_id: src.clone(),
            },
        )
        .unwrap();
    let r = k.wire().re_encrypt(&a(), &body(&src, Some("old"))).unwrap();
    let raw = base64ct::Base64::decode_vec(&r.cipher_text).unwrap();
    assert_eq!(u32::from_be_bytes(raw[40..44].try_into().unwrap()), 2);
}
