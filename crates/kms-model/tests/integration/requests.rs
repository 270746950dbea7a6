//! Request-level rules and their wire errors: status, code, message, shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kms_model::{
    ApiError, CreateDatakeyRequest, CreateKeyRequest, CreateKeystoreRequest, CreatePinRequest,
    DecryptDatakeyRequest, EncryptDatakeyRequest, ErrorCode, KeystoreRef, KeystoreType,
    MAX_BODY_BYTES, Operation, PinType, Rule, Service,
};
use kms_model::{
    CmkSpec, KeyUsage, MessageType, SignRequest, SigningAlgorithm, ValidateSignatureRequest,
};
use serde_json::{Value, json};

const KEY: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

fn err(op: Operation, body: &Value) -> ApiError {
    op.validate_json(body.to_string().as_bytes()).unwrap_err()
}

fn ok(op: Operation, body: &Value) -> Value {
    op.validate_json(body.to_string().as_bytes()).unwrap()
}

#[test]
fn keystore_both_editions() {
    // 2023 edition
    let r = CreateKeystoreRequest::from_json(
        json!({"keystore_alias":"ks1","hsm_cluster_id":"c1","hsm_ca_cert":"PEM"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        (r.keystore_type, r.cluster_id.unwrap().as_str()),
        (KeystoreType::Dhsm, "c1")
    );
    // 2025 edition, both spellings and a JSON number
    for t in [json!("1"), json!("DHSM"), json!(1)] {
        let r = CreateKeystoreRequest::from_json(
            json!({"keystore_alias":"ks1","cluster_id":"c1","keystore_type":t})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (r.keystore_type, r.cluster_id.unwrap().as_str()),
            (KeystoreType::Dhsm, "c1")
        );
    }
    for t in ["2", "CDMS"] {
        let r = CreateKeystoreRequest::from_json(
            json!({"keystore_alias":"ks1","cluster_id":"cdms-1","keystore_type":t})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(r.keystore_type, KeystoreType::Cdms);
    }
    let r = CreateKeystoreRequest::from_json(br#"{"keystore_alias":"ks1","keystore_type":"0"}"#)
        .unwrap();
    assert_eq!(
        (r.keystore_type, r.cluster_id),
        (KeystoreType::Default, None)
    );
    // both ids, agreeing
    assert!(CreateKeystoreRequest::from_json(
        br#"{"keystore_alias":"ks1","hsm_cluster_id":"c1","cluster_id":"c1","keystore_type":"DHSM"}"#
    )
    .is_ok());
}

#[test]
fn keystore_rule_violations() {
    let op = Operation::CreateKeystore;
    let e = err(
        op,
        &json!({"keystore_alias":"ks1","hsm_cluster_id":"c1","cluster_id":"c2"}),
    );
    assert_eq!(
        (e.status(), e.code()),
        (400, ErrorCode::KmsInvalidParameter)
    );
    assert!(
        e.error_msg()
            .contains("hsm_cluster_id and cluster_id differ"),
        "{}",
        e.error_msg()
    );

    let e = err(op, &json!({"keystore_alias":"ks1"}));
    assert_eq!(e.code(), ErrorCode::KmsMissingParameter);
    assert_eq!(
        e.error_msg(),
        "Parameters missing: hsm_cluster_id is missing"
    );

    let e = err(op, &json!({"hsm_cluster_id":"c1"}));
    assert_eq!(e.code(), ErrorCode::KmsMissingParameter);
    assert!(e.error_msg().contains("keystore_alias"));

    let e = err(op, &json!({"keystore_alias":"ks 1","hsm_cluster_id":"c1"}));
    assert_eq!(e.code(), ErrorCode::KmsInvalidParameter);
    assert_eq!(
        e.to_json(),
        r#"{"error":{"error_code":"KMS.0308","error_msg":"Invalid parameter: keystore_alias must match ^[a-zA-Z0-9:/_-]{1,255}$ (invalid character at byte 2)"}}"#
    );
    assert!(
        err(op, &json!({"keystore_alias":"ks1","keystore_type":"2"}))
            .error_msg()
            .contains("cluster_id is missing")
    );
    assert!(err(op, &json!({"keystore_alias":"ks1","keystore_type":"2","cluster_id":"x","hsm_cluster_id":"x"})).error_msg().contains("inconsistent"));
    assert!(
        err(
            op,
            &json!({"keystore_alias":"ks1","keystore_type":"0","hsm_ca_cert":"PEM"})
        )
        .error_msg()
        .contains("hsm_ca_cert")
    );
    assert!(
        err(
            op,
            &json!({"keystore_alias":"ks1","keystore_type":"9","cluster_id":"c"})
        )
        .error_msg()
        .contains("keystore_type")
    );
    assert!(
        err(
            op,
            &json!({"keystore_alias":"ks1","keystore_type":1.5,"cluster_id":"c"})
        )
        .error_msg()
        .contains("keystore_type")
    );
    assert!(
        err(
            op,
            &json!({"keystore_alias":"ks1","hsm_cluster_id":"c1","hsm_ca_cert":""})
        )
        .error_msg()
        .contains("hsm_ca_cert must not be empty")
    );
}

#[test]
fn positional_arrays_and_other_non_objects_are_refused() {
    // serde's derive accepts a JSON array as a positional struct; each of
    // these fills every field of its body in declaration order.
    let cases: [(Operation, String); 4] = [
        (
            Operation::CreateDatakeyWithoutPlaintext,
            format!(r#"["{KEY}", "AES_256", "512", null, null]"#),
        ),
        (Operation::CreatePin, r#"["CipherText", "1"]"#.to_owned()),
        (
            Operation::CreateKeystore,
            r#"["ks1", "c1", "ca", "c1", "DHSM"]"#.to_owned(),
        ),
        (
            Operation::DecryptDatakey,
            format!(r#"["{KEY}", "00", "64", null, null]"#),
        ),
    ];
    for (op, body) in cases {
        let e = op.validate_json(body.as_bytes()).unwrap_err();
        assert_eq!(
            (e.status(), e.code()),
            (400, ErrorCode::KmsInvalidJson),
            "{op:?}"
        );
        assert!(
            e.error_msg().contains("must be a JSON object"),
            "{}",
            e.error_msg()
        );
    }
    for body in [&b"  \n[]"[..], b"\"s\"", b"1", b"null", b"true", b"   "] {
        let e = Operation::CreatePin.validate_json(body).unwrap_err();
        assert_eq!(e.code(), ErrorCode::KmsInvalidJson);
        let e = Operation::CreateCertificate
            .validate_json(body)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::ApigParameterError, "{e:?}");
    }
    // Leading whitespace before an object is still JSON.
    assert!(
        Operation::CreatePin
            .validate_json(b" \r\n\t{\"keystore_id\":\"1\"}")
            .is_ok()
    );
}

#[test]
fn json_errors_name_the_field() {
    let op = Operation::CreateDatakeyWithoutPlaintext;
    let e = op.validate_json(b"{not json").unwrap_err();
    assert_eq!((e.status(), e.code()), (400, ErrorCode::KmsInvalidJson));
    let e = op.validate_json(b"[]").unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidJson);
    let e = op.validate_json(b"").unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidJson);
    let e = op
        .validate_json(format!(r#"{{"key_id":"{KEY}"}} trailing"#).as_bytes())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidJson);

    let e = err(op, &json!({"key_id": 5}));
    assert_eq!(e.code(), ErrorCode::KmsInvalidKeyId);
    assert!(
        e.error_msg()
            .starts_with("Invalid key ID: key_id has the wrong type"),
        "{}",
        e.error_msg()
    );
    let e = err(
        op,
        &json!({"key_id": KEY, "additional_authenticated_data": ["x"]}),
    );
    assert!(
        e.error_msg()
            .contains("additional_authenticated_data has the wrong type"),
        "{}",
        e.error_msg()
    );
    let e = err(op, &json!({"key_id": KEY, "datakey_length": true}));
    assert!(
        e.error_msg().contains("datakey_length has the wrong type"),
        "{}",
        e.error_msg()
    );
    let e = err(op, &json!({}));
    assert_eq!(e.code(), ErrorCode::KmsMissingParameter);
    assert_eq!(e.error_msg(), "Parameters missing: key_id is missing");

    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        op.validate_json(&big).unwrap_err().code(),
        ErrorCode::KmsRequestTooLong
    );

    // unknown fields are ignored; null is "absent"
    ok(
        op,
        &json!({"key_id": KEY, "some_new_field": {"x": 1}, "key_spec": null}),
    );
}

#[test]
fn datakey_requests() {
    let op = Operation::CreateDatakeyWithoutPlaintext;
    let v = ok(op, &json!({"key_id": KEY, "datakey_length": 512}));
    assert_eq!(v["datakey_length"], 512);
    let v = ok(op, &json!({"key_id": KEY, "key_spec": "AES_128"}));
    assert_eq!(v["datakey_length"], 128);
    assert_eq!(
        err(op, &json!({"key_id": KEY, "datakey_length": "8200"})).code(),
        ErrorCode::KmsDatakeyLengthOutOfRange
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "datakey_length": "12"})).code(),
        ErrorCode::KmsDatakeyLengthNotByteMultiple
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "datakey_length": "abc"})).code(),
        ErrorCode::KmsInvalidParameter
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "datakey_length": -8})).code(),
        ErrorCode::KmsInvalidParameter
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "key_spec": "AES_512"})).code(),
        ErrorCode::KmsInvalidKeySpec
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": "0D0466B0-E727-4D9C-B35D-F84BB474A37F"})
        )
        .code(),
        ErrorCode::KmsInvalidKeyId
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "sequence": "short"})).code(),
        ErrorCode::KmsInvalidSequence
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "additional_authenticated_data": "a".repeat(129)})
        )
        .code(),
        ErrorCode::KmsInvalidParameter
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "pin": "xyz"})).code(),
        ErrorCode::KmsInvalidParameter
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "pin": "00", "pin_type": "Other"})
        )
        .code(),
        ErrorCode::KmsInvalidParameter
    );

    let r = CreateDatakeyRequest::from_json(
        json!({"key_id": KEY, "pin": "0A0b", "pin_type": "PlainText", "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}).to_string().as_bytes(),
    )
    .unwrap();
    let pin = r.pin.unwrap();
    assert_eq!(
        (&pin.bytes[..], pin.pin_type),
        (&[0x0a, 0x0b][..], PinType::PlainText)
    );
    assert_eq!(format!("{pin:?}"), "PresentedPin(PlainText, <redacted>)");
    let v = ok(op, &json!({"key_id": KEY, "pin": "0A0B"}));
    assert_eq!(v["pin"]["pin"], "<redacted>");
}

#[test]
fn encrypt_and_decrypt_datakey_requests() {
    let dek_and_hash = "AB".repeat(32 + 32);
    let r = EncryptDatakeyRequest::from_json(
        json!({"key_id": KEY, "plain_text": dek_and_hash, "datakey_plain_length": "32"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!((r.plain_text.len(), r.datakey_length.bytes()), (64, 32));
    assert!(
        !format!("{r:?}").contains("AB"),
        "Debug must not show the DEK"
    );
    let v = ok(
        Operation::EncryptDatakey,
        &json!({"key_id": KEY, "plain_text": dek_and_hash, "datakey_plain_length": 32}),
    );
    assert_eq!(v["plain_text"], "<redacted, 64 bytes>");

    let op = Operation::EncryptDatakey;
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "plain_text": dek_and_hash, "datakey_plain_length": "16"})
        )
        .code(),
        ErrorCode::KmsPlainTextLengthMismatch
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "plain_text": "XYZ", "datakey_plain_length": "16"})
        )
        .code(),
        ErrorCode::KmsInvalidPlainText
    );
    assert_eq!(
        err(op, &json!({"key_id": KEY, "plain_text": dek_and_hash})).code(),
        ErrorCode::KmsMissingParameter
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "plain_text": dek_and_hash, "datakey_plain_length": "0"})
        )
        .code(),
        ErrorCode::KmsInvalidParameter
    );

    let r = DecryptDatakeyRequest::from_json(
        json!({"key_id": KEY, "cipher_text": "00aaFF", "datakey_cipher_length": "32"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        (r.cipher_text, r.max_datakey_length.bytes()),
        (vec![0, 0xaa, 0xff], 32)
    );
    let op = Operation::DecryptDatakey;
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "cipher_text": "0", "datakey_cipher_length": "32"})
        )
        .code(),
        ErrorCode::KmsInvalidCipherText
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "cipher_text": "", "datakey_cipher_length": "32"})
        )
        .code(),
        ErrorCode::KmsInvalidCipherText
    );
    assert_eq!(
        err(
            op,
            &json!({"key_id": KEY, "cipher_text": "00".repeat(5000), "datakey_cipher_length": "32"})
        )
        .code(),
        ErrorCode::KmsInvalidCipherText
    );
}

#[test]
fn pin_and_key_requests() {
    let r = CreatePinRequest::from_json(br#"{"keystore_id":"2"}"#).unwrap();
    assert_eq!(
        (r.pin_type, r.keystore),
        (PinType::CipherText, Some(KeystoreRef::SharedData))
    );
    let r = CreatePinRequest::from_json(br#"{"pin_type":"PlainText"}"#).unwrap();
    assert_eq!((r.pin_type, r.keystore), (PinType::PlainText, None));
    let e = err(Operation::CreatePin, &json!({}));
    assert_eq!(e.error_msg(), "Parameters missing: keystore_id is missing");
    assert!(
        err(Operation::CreatePin, &json!({"keystore_id":"7"}))
            .error_msg()
            .contains("keystore_id")
    );
    assert!(
        CreatePinRequest::from_json(br#"{"keystore_id":1}"#).is_ok(),
        "a number is accepted"
    );

    let r = CreateKeyRequest::from_json(br#"{"key_alias":"k1"}"#).unwrap();
    assert_eq!(r.keystore, KeystoreRef::Default);
    let op = Operation::CreateKey;
    assert_eq!(
        err(op, &json!({"key_alias":"k 1"})).code(),
        ErrorCode::KmsInvalidKeyAlias
    );
    assert_eq!(
        (r.key_spec, r.key_usage),
        (CmkSpec::Aes256, KeyUsage::EncryptDecrypt)
    );
    // Key pairs sign and verify: that is their default usage.
    for (spec, want) in [
        ("RSA_2048", CmkSpec::Rsa2048),
        ("RSA_3072", CmkSpec::Rsa3072),
        ("RSA_4096", CmkSpec::Rsa4096),
        ("EC_P256", CmkSpec::EcP256),
        ("EC_P384", CmkSpec::EcP384),
    ] {
        let body = json!({"key_alias":"k1","key_spec":spec});
        let r = CreateKeyRequest::from_json(body.to_string().as_bytes()).unwrap();
        assert_eq!((r.key_spec, r.key_usage), (want, KeyUsage::SignVerify));
        let body = json!({"key_alias":"k1","key_spec":spec,"key_usage":"SIGN_VERIFY"});
        assert!(CreateKeyRequest::from_json(body.to_string().as_bytes()).is_ok());
        // RSA keys also encrypt (RSAES-OAEP); EC keys never do: KMS.1114.
        let body = json!({"key_alias":"k1","key_spec":spec,"key_usage":"ENCRYPT_DECRYPT"});
        if spec.starts_with("RSA_") {
            let r = CreateKeyRequest::from_json(body.to_string().as_bytes()).unwrap();
            assert_eq!((r.key_spec, r.key_usage), (want, KeyUsage::EncryptDecrypt));
        } else {
            let e = err(op, &body);
            assert_eq!((e.status(), e.code().as_str()), (400, "KMS.1114"), "{spec}");
        }
    }
    for (body, code) in [
        (
            json!({"key_alias":"k1","key_usage":"SIGN_VERIFY"}),
            ErrorCode::KmsSymmetricCannotSign,
        ),
        (
            json!({"key_alias":"k1","key_spec":"SM4","key_usage":"SIGN_VERIFY"}),
            ErrorCode::KmsSymmetricCannotSign,
        ),
        (
            json!({"key_alias":"k1","key_spec":"HMAC_256","key_usage":"ENCRYPT_DECRYPT"}),
            ErrorCode::KmsHmacUnsupported,
        ),
        (
            json!({"key_alias":"k1","key_spec":"RSA_1024"}),
            ErrorCode::KmsInvalidKeySpec,
        ),
        (
            json!({"key_alias":"k1","key_spec":""}),
            ErrorCode::KmsInvalidKeySpec,
        ),
        (
            json!({"key_alias":"k1","key_usage":"SIGN"}),
            ErrorCode::KmsInvalidParameter,
        ),
    ] {
        assert_eq!(err(op, &body).code(), code, "{body}");
    }
    assert_eq!(
        err(op, &json!({"key_alias":"k1","keystore_id":"1"})).code(),
        ErrorCode::KmsKeystoreNotSupported
    );
    assert_eq!(
        err(
            op,
            &json!({"key_alias":"k1","key_description":"d".repeat(256)})
        )
        .code(),
        ErrorCode::KmsInvalidKeyDescription
    );
    // The suffix /default is the service's default master keys' (KMS.1101).
    for alias in ["obs/default", "a/default", "/default"] {
        let e = err(op, &json!({ "key_alias": alias }));
        assert_eq!(
            (e.status(), e.code().as_str()),
            (400, "KMS.1101"),
            "{alias}"
        );
        let e = err(
            Operation::UpdateKeyAlias,
            &json!({ "key_id": KEY, "key_alias": alias }),
        );
        assert_eq!(
            (e.status(), e.code().as_str()),
            (400, "KMS.1101"),
            "{alias}"
        );
    }
    for alias in ["default", "obs/default2", "default/x", "a/Default"] {
        ok(op, &json!({ "key_alias": alias }));
    }
}

#[test]
fn certificate_form_errors_are_flat_apig() {
    let op = Operation::CreateCertificate;
    let base = json!({"name":"cert_demo","cert_content":"PEM","private_key":"KEY"});
    let v = ok(op, &base);
    assert_eq!(
        (
            v["scope"]["type"].as_str(),
            v["scope"]["instance_id"].as_str()
        ),
        (Some("global"), Some("common"))
    );
    assert_eq!(v["private_key"], "<redacted, 3 bytes>");

    let mut bad = base.clone();
    bad["name"] = json!("1cert");
    let e = err(op, &bad);
    assert_eq!(
        (e.status(), e.code(), e.code().service()),
        (400, ErrorCode::ApigInvalidParameterValue, Service::Apig)
    );
    assert_eq!(
        e.to_json(),
        r#"{"error_code":"APIG.2012","error_msg":"Invalid parameter value,parameterName:name. The value must match ^[a-zA-Z\u4e00-\u9fa5][a-zA-Z0-9_\u4e00-\u9fa5]{3,49}$ (invalid character at byte 0)"}"#
            .replace("\\u4e00", "\u{4e00}")
            .replace("\\u9fa5", "\u{9fa5}")
    );
    let mut inst = base.clone();
    inst["type"] = json!("instance");
    let e = err(op, &inst);
    assert_eq!(e.code(), ErrorCode::ApigParameterMissing);
    assert_eq!(
        e.to_json(),
        r#"{"error_code":"APIG.2001","error_msg":"The request parameters must be specified,parameterName:instance_id"}"#
    );
    let e = err(op, &json!({"name":"cert_demo","cert_content":"PEM"}));
    assert_eq!(e.code(), ErrorCode::ApigParameterMissing);
    assert!(e.error_msg().ends_with("parameterName:private_key"));
    assert_eq!(
        op.validate_json(b"{").unwrap_err().code(),
        ErrorCode::ApigParameterError
    );
    let mut alg = base;
    alg["algorithm_type"] = json!("DSA");
    assert!(
        err(op, &alg)
            .error_msg()
            .contains("parameterName:algorithm_type")
    );
}

#[test]
fn rule_display_is_stable() {
    assert_eq!(
        Rule::NotMultipleOf(8).to_string(),
        "must be a multiple of 8"
    );
}

#[test]
fn sign_and_verify_bodies() {
    use base64ct::{Base64, Encoding};
    let b64 = |n: usize| Base64::encode_string(&vec![7u8; n]);
    let sign = |v: &Value| SignRequest::from_json(v.to_string().as_bytes());
    let verify = |v: &Value| ValidateSignatureRequest::from_json(v.to_string().as_bytes());

    // A digest must be exactly as long as the algorithm's hash.
    for (alg, len) in [
        ("RSASSA_PSS_SHA_256", 32),
        ("RSASSA_PKCS1_V1_5_SHA_384", 48),
        ("ECDSA_SHA_512", 64),
    ] {
        let r = sign(&json!({"key_id":KEY,"message":b64(len),"signing_algorithm":alg})).unwrap();
        assert_eq!(r.message_type, MessageType::Digest, "DIGEST is the default");
        assert_eq!(r.message.len(), len);
        assert_eq!(r.signing_algorithm.as_str(), alg);
        let e = sign(&json!({"key_id":KEY,"message":b64(len + 1),"signing_algorithm":alg}))
            .unwrap_err()
            .to_kms();
        assert_eq!((e.status(), e.code().as_str()), (400, "KMS.0329"), "{alg}");
    }
    // A raw message: 1..=4096 bytes.
    let raw = |n: usize| json!({"key_id":KEY,"message":b64(n),"signing_algorithm":"ECDSA_SHA_256","message_type":"RAW"});
    assert_eq!(sign(&raw(4096)).unwrap().message.len(), 4096);
    assert_eq!(sign(&raw(1)).unwrap().message_type, MessageType::Raw);
    assert_eq!(
        sign(&raw(4097)).unwrap_err().to_kms().code(),
        ErrorCode::KmsInvalidParameter
    );

    let base = json!({"key_id":KEY,"message":b64(32),"signing_algorithm":"ECDSA_SHA_256"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, code) in [
        (with("key_id", json!("nope")), ErrorCode::KmsInvalidKeyId),
        (with("message", json!("")), ErrorCode::KmsInvalidParameter),
        (
            with("message", json!("not base64!")),
            ErrorCode::KmsInvalidParameter,
        ),
        (
            with("signing_algorithm", json!("")),
            ErrorCode::KmsMissingParameter,
        ),
        (
            with("signing_algorithm", json!("ECDSA")),
            ErrorCode::KmsInvalidParameter,
        ),
        (
            with("message_type", json!("HEX")),
            ErrorCode::KmsInvalidParameter,
        ),
        (
            with("sequence", json!("short")),
            ErrorCode::KmsInvalidSequence,
        ),
        (
            json!({"key_id":KEY,"message":b64(32)}),
            ErrorCode::KmsMissingParameter,
        ),
    ] {
        assert_eq!(sign(&body).unwrap_err().to_kms().code(), code, "{body}");
    }
    assert_eq!(
        SigningAlgorithm::parse("ED25519_SHA_512").unwrap_err().rule,
        Rule::Unsupported("no Ed25519 keys are served")
    );
    // SM2DSA_SM3 is served; its DIGEST is SM3(Z_A || M), 32 bytes.
    let mut b = base.clone();
    b["signing_algorithm"] = json!("SM2DSA_SM3");
    let r = sign(&b).unwrap();
    assert_eq!(r.signing_algorithm, SigningAlgorithm::Sm2DsaSm3);
    b["message"] = json!(b64(31));
    assert_eq!(
        sign(&b).unwrap_err().to_kms().code(),
        ErrorCode::KmsDigestLengthMismatch
    );

    // verify: the same rules, and a signature of 1..=512 bytes.
    let v = |sig: Value| {
        let mut b = base.clone();
        b["signature"] = sig;
        verify(&b)
    };
    assert_eq!(v(json!(b64(512))).unwrap().signature.len(), 512);
    assert_eq!(
        v(json!(b64(71))).unwrap().signing_algorithm,
        SigningAlgorithm::EcdsaSha256
    );
    for sig in [json!(b64(513)), json!(""), json!("***")] {
        assert_eq!(
            v(sig).unwrap_err().to_kms().code(),
            ErrorCode::KmsInvalidParameter
        );
    }
    assert_eq!(
        verify(&base).unwrap_err().to_kms().code(),
        ErrorCode::KmsMissingParameter
    );
}

// ---------------------------------------------------------------- inputs real tools send
//
// Each rule below is documented in docs/errors.md ("Inputs real tools
// send") with the tool's source it comes from.

#[test]
fn cloud_custodian_sends_sequence_as_uuid4_hex() {
    // tools/c7n_huaweicloud/c7n_huaweicloud/resources/kms.py:
    // `OperateKeyRequestBody(key_id=..., sequence=uuid.uuid4().hex)` on
    // enable-key, disable-key, enable/disable-key-rotation and describe-key.
    let hex = "3f2c9a0e8d4b4f6e9a1b2c3d4e5f6a7b";
    for op in [Operation::DescribeKey, Operation::CreateDatakey] {
        let v = ok(op, &json!({"key_id": KEY, "sequence": hex}));
        assert_eq!(v["sequence"], hex, "kept as sent");
    }
    // Upper case and the documented 36-byte form still pass.
    ok(
        Operation::DescribeKey,
        &json!({"key_id": KEY, "sequence": hex.to_uppercase()}),
    );
    ok(
        Operation::DescribeKey,
        &json!({"key_id": KEY, "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}),
    );
    // 32 characters that are not hex, and other lengths, are still KMS.0206.
    for bad in [
        "g".repeat(32),
        hex[..31].to_owned(),
        format!("{hex}0"),
        String::new(),
    ] {
        let e = err(
            Operation::DescribeKey,
            &json!({"key_id": KEY, "sequence": bad}),
        );
        assert_eq!(e.code(), ErrorCode::KmsInvalidSequence, "{bad:?}");
        assert!(
            e.error_msg().contains("32 hexadecimal digits"),
            "{}",
            e.error_msg()
        );
    }
}

#[test]
fn cloud_custodian_posts_list_keys_with_no_body() {
    // kms.py `Kms.get_api_resources`: `client.list_keys(ListKeysRequest())`
    // with no body, so the Python SDK sends none: it is `{}`.
    for body in [&b""[..], b" \r\n\t"] {
        let v = Operation::ListKeys.validate_json(body).unwrap();
        assert_eq!(v, Operation::ListKeys.validate_json(b"{}").unwrap());
        assert_eq!(v["limit"], 1000);
        assert_eq!(v["key_spec"], json!({"Only": "AES_256"}));
    }
    let parsed: kms_model::ListKeysRequestBody = kms_model::decode_optional_body(b"").unwrap();
    assert_eq!(parsed, kms_model::ListKeysRequestBody::default());
    // Only list-keys takes an absent body; elsewhere it is still KMS.0202.
    assert_eq!(
        Operation::DescribeKey
            .validate_json(b"")
            .unwrap_err()
            .code(),
        ErrorCode::KmsInvalidJson
    );
    // A body that is there is decoded as before.
    assert_eq!(
        Operation::ListKeys.validate_json(b"[]").unwrap_err().code(),
        ErrorCode::KmsInvalidJson
    );
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        Operation::ListKeys.validate_json(&big).unwrap_err().code(),
        ErrorCode::KmsRequestTooLong
    );
}

#[test]
fn terraform_kms_keys_data_source_sends_limit_2000_as_an_integer() {
    // huaweicloud/services/dew/data_source_huaweicloud_kms_keys.go
    // `buildlistKeysBody`: `"limit": 2000`, a JSON integer; the page is
    // capped at 1000 and `next_marker` leads on.
    let v = ok(Operation::ListKeys, &json!({"limit": 2000}));
    assert_eq!(v["limit"], 1000);
    for (limit, served) in [
        (json!(1), 1),
        (json!("1000"), 1000),
        (json!(1001), 1000),
        (json!("99999999999999999999999"), 1000),
    ] {
        assert_eq!(
            ok(Operation::ListKeys, &json!({ "limit": limit }))["limit"],
            served,
            "{limit}"
        );
    }
    for bad in [
        json!(0),
        json!("0"),
        json!(-1),
        json!("ten"),
        json!(2.5),
        json!(""),
    ] {
        assert_eq!(
            err(Operation::ListKeys, &json!({ "limit": bad })).code(),
            ErrorCode::KmsInvalidLimit,
            "{bad}"
        );
    }
    // list-kms-by-tags documents 1..=1000 and keeps refusing more.
    assert_eq!(
        err(
            Operation::ListKmsByTags,
            &json!({"action": "filter", "limit": 2000})
        )
        .code(),
        ErrorCode::KmsInvalidLimit
    );
}

#[test]
fn java_encryption_sdk_sends_datakey_cipher_length_32_for_16_byte_deks() {
    // huaweicloud-encryption-sdk-java KMSKeyring.realDecrypt:
    // `.withDatakeyCipherLength("32")` whatever the suite (AES_128 and
    // SM4 DEKs are 16 bytes): the length is a bound, checked by kms-core
    // against the length the ciphertext carries.
    let r = DecryptDatakeyRequest::from_json(
        json!({"key_id": KEY, "cipher_text": "00aa", "datakey_cipher_length": "32"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(r.max_datakey_length.bytes(), 32);
    for bad in ["0", "1025", "x"] {
        assert_eq!(
            err(
                Operation::DecryptDatakey,
                &json!({"key_id": KEY, "cipher_text": "00aa", "datakey_cipher_length": bad})
            )
            .code(),
            ErrorCode::KmsInvalidParameter,
            "{bad}"
        );
    }
}

#[test]
fn golangsdk_sends_encryption_context_as_a_json_string() {
    // huaweicloud/golangsdk openstack/kms/v1/crypto (EncryptDataOpts,
    // DecryptDataOpts: `EncryptionContext string`): the string holds the
    // object, and binds exactly what the object binds.
    let object = json!({"b": "2", "a": "1"});
    for op in [Operation::EncryptData, Operation::DecryptData] {
        let base = match op {
            Operation::EncryptData => json!({"key_id": KEY, "plain_text": "x"}),
            _ => json!({"cipher_text": "A".repeat(128)}),
        };
        let with = |ctx: Value| {
            let mut b = base.clone();
            b["encryption_context"] = ctx;
            b
        };
        let as_object = ok(op, &with(object.clone()));
        let as_string = ok(op, &with(json!(object.to_string())));
        assert_eq!(as_string, as_object, "{op:?}");
        assert_eq!(as_object["encryption_context"], json!({"a": "1", "b": "2"}));
        // An empty string is no context, as null and {} are.
        let none = ok(op, &base);
        assert_eq!(ok(op, &with(json!(""))), none);
        assert_eq!(ok(op, &with(json!({}))), none);
        assert_eq!(ok(op, &with(Value::Null)), none);
        // A string that is not a JSON object, and any other type: KMS.0208
        // (the published "Invalid value of encryption_context") naming the
        // field.
        for bad in [
            json!("purpose=test"),
            json!("[\"a\"]"),
            json!("\"{}\""),
            json!("{\"a\": 1}"),
            json!(["a"]),
            json!(5),
        ] {
            let e = err(op, &with(bad.clone()));
            assert_eq!(
                (e.status(), e.code().as_str()),
                (400, "KMS.0208"),
                "{op:?} {bad}"
            );
            assert!(
                e.error_msg().contains("encryption_context"),
                "{}",
                e.error_msg()
            );
        }
    }
}

#[test]
fn terraform_kms_data_key_source_sends_encryption_context_to_create_datakey() {
    // huaweicloud/services/dew/data_source_huaweicloud_kms_data_key.go sends
    // `keys.DataEncryptOpts{EncryptionContext: <string>}` to create-datakey,
    // whose body (the SDK's CreateDatakeyRequestBody) has no such field:
    // ignored like any unknown field, whatever its shape.
    for ctx in [json!("{\"k\":\"v\"}"), json!("not json"), json!({"k": "v"})] {
        ok(
            Operation::CreateDatakey,
            &json!({"key_id": KEY, "datakey_length": "256", "encryption_context": ctx}),
        );
    }
}
