//! Key material import (BYOK) through the core: get-parameters-for-import,
//! the client's side done with RustCrypto's `rsa` and `sm2` directly
//! (RSAES-OAEP-SHA-256, SM2 under the returned public key),
//! import-key-material, the key then serving encrypt-data and DEKs; the
//! token rules, the material's expiry by the clock port, delete and the
//! re-import rule, and automatic rotation skipping imported keys.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use base64ct::{Base64, Encoding as _};
use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, EntropyRng, KeyState, Ports, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    DecryptDatakeyRequestBody, EncryptDataRequestBody, ErrorCode,
    GetParametersForImportRequestBody, ImportKeyMaterialRequestBody, ListKeysRequestBody,
    LooseString, OperateKeyRequestBody, ScheduleKeyDeletionRequestBody,
};

const NOW: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;

struct Fixture {
    kms: Kms,
    clock: Arc<ManualClock>,
    ports: Ports,
}

fn setup() -> Fixture {
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let ports = memory::ports(
        &[9u8; 32],
        [5u8; 32],
        clock.clone(),
        vec![],
        Arc::new(VecAudit::default()),
    )
    .unwrap();
    Fixture {
        kms: Kms::new(ports.clone(), CoreConfig::default()),
        clock,
        ports,
    }
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn b() -> Caller {
    Caller::new("dom-b", "proj-b")
}

fn create(f: &Fixture, alias: &str, spec: &str, origin: &str) -> String {
    f.kms
        .wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: Some(spec.into()),
                origin: Some(origin.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

/// `(import_token, public key DER, expiration_time)`.
fn params(f: &Fixture, key: &str, alg: &str) -> Result<(String, Vec<u8>, i64), ErrorCode> {
    f.kms
        .wire()
        .get_parameters_for_import(
            &a(),
            &GetParametersForImportRequestBody {
                key_id: key.into(),
                wrapping_algorithm: alg.into(),
                sequence: None,
            },
        )
        .map(|r| {
            assert_eq!(r.key_id, key);
            (
                r.import_token,
                Base64::decode_vec(&r.public_key).unwrap(),
                r.expiration_time,
            )
        })
        .map_err(|e| e.code())
}

/// RSAES-OAEP-SHA-256 under a DER public key, by RustCrypto's `rsa`.
fn oaep(f: &Fixture, public_der: &[u8], data: &[u8]) -> String {
    use rsa::pkcs8::DecodePublicKey as _;
    let pk = rsa::PublicKey::from_public_key_der(public_der).unwrap();
    let ct = pk
        .oaep_encrypt_with_rng::<sha2::Sha256, _>(&mut EntropyRng(&*f.ports.entropy), data)
        .unwrap();
    Base64::encode_string(&ct)
}

fn import(
    f: &Fixture,
    caller: &Caller,
    key: &str,
    token: &str,
    wrapped: &str,
    expiry: Option<&str>,
) -> Result<(), ErrorCode> {
    f.kms
        .wire()
        .import_key_material(
            caller,
            &ImportKeyMaterialRequestBody {
                key_id: key.into(),
                import_token: token.into(),
                encrypted_key_material: wrapped.into(),
                encrypted_privatekey: None,
                expiration_time: expiry.map(LooseString::from),
                sequence: None,
            },
        )
        .map_err(|e| e.code())
}

fn describe(f: &Fixture, key: &str) -> kms_model::KeyDetails {
    f.kms
        .wire()
        .describe_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: key.into(),
                sequence: None,
            },
        )
        .unwrap()
        .key_info
}

fn encrypt(f: &Fixture, key: &str, text: &str) -> Result<String, ErrorCode> {
    f.kms
        .wire()
        .encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: key.into(),
                plain_text: text.into(),
                ..Default::default()
            },
        )
        .map(|r| r.cipher_text)
        .map_err(|e| e.code())
}

fn decrypt(f: &Fixture, blob: &str) -> Result<String, ErrorCode> {
    f.kms
        .wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: blob.into(),
                ..Default::default()
            },
        )
        .map(|r| r.plain_text.expose().clone())
        .map_err(|e| e.code())
}

fn delete_material(f: &Fixture, key: &str) -> Result<(), ErrorCode> {
    f.kms
        .wire()
        .delete_imported_key_material(
            &a(),
            &OperateKeyRequestBody {
                key_id: key.into(),
                sequence: None,
            },
        )
        .map_err(|e| e.code())
}

const MATERIAL: [u8; 32] = [0x3c; 32];

/// An external AES key with MATERIAL imported (expiry as given).
fn imported(f: &Fixture, alias: &str, expiry: Option<&str>) -> String {
    let key = create(f, alias, "AES_256", "external");
    let (token, public, _) = params(f, &key, "RSAES_OAEP_SHA_256").unwrap();
    import(f, &a(), &key, &token, &oaep(f, &public, &MATERIAL), expiry).unwrap();
    key
}

#[test]
fn imported_material_becomes_version_1_and_serves_every_operation() {
    let f = setup();
    let key = create(&f, "byok", "AES_256", "external");
    assert_eq!(describe(&f, &key).key_state, "5");
    assert_eq!(encrypt(&f, &key, "early"), Err(ErrorCode::KmsKeyNotEnabled));
    let (token, public, expires) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    // 24 hours, in seconds; a token of 200 base64 characters.
    assert_eq!(expires, NOW / 1000 + 86_400);
    assert_eq!(token.len(), 200);
    // An RSA-2048 SubjectPublicKeyInfo.
    {
        use rsa::pkcs8::DecodePublicKey as _;
        use rsa::traits::PublicKeyParts as _;
        let pk = rsa::PublicKey::from_public_key_der(&public).unwrap();
        assert_eq!(pk.size(), 256);
    }
    let expiry = (NOW / 1000 + 7 * 86_400).to_string();
    import(
        &f,
        &a(),
        &key,
        &token,
        &oaep(&f, &public, &MATERIAL),
        Some(&expiry),
    )
    .unwrap();
    let d = describe(&f, &key);
    assert_eq!((d.key_state.as_str(), d.origin.as_str()), ("2", "external"));
    assert_eq!(d.expiration_time, format!("{expiry}000"));
    // Stored as generated material is: wrapped under the root key, never
    // in clear.
    let stored = f.ports.keys.get_key_material(&key, 1).unwrap().unwrap();
    assert_eq!(stored.len(), 80);
    assert!(!stored.windows(32).any(|w| w == MATERIAL));
    // The key serves encrypt-data and DEKs.
    let blob = encrypt(&f, &key, "hello").unwrap();
    assert_eq!(decrypt(&f, &blob).unwrap(), "hello");
    let dek = f
        .kms
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: key.clone(),
                datakey_length: Some(LooseString::from("256")),
                ..Default::default()
            },
        )
        .unwrap();
    let opened = f
        .kms
        .wire()
        .decrypt_datakey(
            &a(),
            &DecryptDatakeyRequestBody {
                key_id: key.clone(),
                cipher_text: dek.cipher_text.clone(),
                datakey_cipher_length: LooseString::from("32"),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.data_key.expose(), dek.plain_text.expose());
    // The same material imported into another key gives another
    // ciphertext key: the blob names its key, and does not open elsewhere.
    let other = imported(&f, "byok2", None);
    let blob2 = encrypt(&f, &other, "hello").unwrap();
    assert_ne!(blob, blob2);
}

#[test]
fn the_token_rules() {
    let f = setup();
    let key = create(&f, "byok", "AES_256", "external");
    let other = create(&f, "byok-other", "AES_256", "external");
    let (token, public, _) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    let wrapped = oaep(&f, &public, &MATERIAL);
    // Forged: one bit of the secret flipped; truncated; not base64.
    let mut bytes = Base64::decode_vec(&token).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    let forged = Base64::encode_string(&bytes);
    assert_eq!(
        import(&f, &a(), &key, &forged, &wrapped, None),
        Err(ErrorCode::KmsImportTokenInvalid)
    );
    let short = Base64::encode_string(&bytes[..100]);
    assert_eq!(
        import(&f, &a(), &key, &short, &wrapped, None),
        Err(ErrorCode::KmsImportTokenInvalid)
    );
    assert_eq!(
        import(&f, &a(), &key, "!!", &wrapped, None),
        Err(ErrorCode::KmsInvalidParameter)
    );
    // Another key's token; another project's caller.
    assert_eq!(
        import(&f, &a(), &other, &token, &wrapped, None),
        Err(ErrorCode::KmsImportTokenKeyMismatch)
    );
    assert_eq!(
        import(&f, &b(), &key, &token, &wrapped, None),
        Err(ErrorCode::KmsImportTokenInvalid)
    );
    // Material wrapped under another token's key does not open.
    let (_, public2, _) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    assert_eq!(
        import(&f, &a(), &key, &token, &oaep(&f, &public2, &MATERIAL), None),
        Err(ErrorCode::KmsImportTokenInvalid)
    );
    // Length and expiry.
    assert_eq!(
        import(&f, &a(), &key, &token, &oaep(&f, &public, &[1u8; 16]), None),
        Err(ErrorCode::KmsImportMaterialLength)
    );
    assert_eq!(
        import(
            &f,
            &a(),
            &key,
            &token,
            &wrapped,
            Some(&(NOW / 1000).to_string())
        ),
        Err(ErrorCode::KmsImportExpirationPast)
    );
    assert_eq!(describe(&f, &key).key_state, "5");
    // A key generated here takes no import parameters; neither does a key
    // pending deletion.
    let kms_key = create(&f, "generated", "AES_256", "kms");
    assert_eq!(
        params(&f, &kms_key, "RSAES_OAEP_SHA_256").unwrap_err(),
        ErrorCode::KmsInvalidParameter
    );
    assert_eq!(
        params(&f, &key, "RSAES_PKCS1_V1_5").unwrap_err(),
        ErrorCode::KmsInvalidParameter
    );
    // After 24 hours the token has expired (and is purged by the next
    // get-parameters-for-import).
    f.clock.set(Timestamp(NOW + DAY));
    assert_eq!(
        import(&f, &a(), &key, &token, &wrapped, None),
        Err(ErrorCode::KmsImportTokenExpired)
    );
    let (fresh, public3, _) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    assert_eq!(
        import(&f, &a(), &key, &token, &wrapped, None),
        Err(ErrorCode::KmsImportTokenInvalid),
        "purged"
    );
    f.kms
        .wire()
        .schedule_key_deletion(
            &a(),
            &ScheduleKeyDeletionRequestBody {
                key_id: key.clone(),
                pending_days: LooseString::from("7"),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        import(&f, &a(), &key, &fresh, &oaep(&f, &public3, &MATERIAL), None),
        Err(ErrorCode::KmsKeyPendingDeletion)
    );
}

#[test]
fn sm2_encrypt_wraps_too() {
    let f = setup();
    let key = create(&f, "byok-sm2", "AES_256", "external");
    let (token, public, _) = params(&f, &key, "SM2_ENCRYPT").unwrap();
    use sm2::pkcs8::DecodePublicKey as _;
    let pk = sm2::PublicKey::from_public_key_der(&public).unwrap();
    let ct = sm2::pke::EncryptingKey::new_with_mode(pk, sm2::pke::Mode::C1C3C2)
        .encrypt_der(&mut EntropyRng(&*f.ports.entropy), &MATERIAL)
        .unwrap();
    import(&f, &a(), &key, &token, &Base64::encode_string(&ct), None).unwrap();
    let blob = encrypt(&f, &key, "sm2-wrapped").unwrap();
    assert_eq!(decrypt(&f, &blob).unwrap(), "sm2-wrapped");
}

#[test]
fn delete_and_the_reimport_rule() {
    let f = setup();
    let key = imported(&f, "byok", None);
    let blob = encrypt(&f, &key, "kept").unwrap();
    delete_material(&f, &key).unwrap();
    let d = describe(&f, &key);
    assert_eq!(
        (d.key_state.as_str(), d.expiration_time.as_str()),
        ("5", "")
    );
    assert_eq!(f.ports.keys.get_key_material(&key, 1).unwrap(), None);
    assert_eq!(decrypt(&f, &blob), Err(ErrorCode::KmsKeyNotEnabled));
    assert_eq!(
        delete_material(&f, &key),
        Err(ErrorCode::KmsMaterialNotDeletable)
    );
    let (token, public, _) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    assert_eq!(
        import(
            &f,
            &a(),
            &key,
            &token,
            &oaep(&f, &public, &[0x3d; 32]),
            None
        ),
        Err(ErrorCode::KmsImportMaterialDiffers)
    );
    import(&f, &a(), &key, &token, &oaep(&f, &public, &MATERIAL), None).unwrap();
    assert_eq!(decrypt(&f, &blob).unwrap(), "kept");
    // Importing into a key that has material: refused; a key generated
    // here has no imported material to delete.
    assert_eq!(
        import(&f, &a(), &key, &token, &oaep(&f, &public, &MATERIAL), None),
        Err(ErrorCode::KmsInvalidParameter)
    );
    let generated = create(&f, "generated", "AES_256", "kms");
    assert_eq!(
        delete_material(&f, &generated),
        Err(ErrorCode::KmsInvalidParameter)
    );
    // A disabled key's material may be deleted too.
    f.kms
        .wire()
        .disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: key.clone(),
                sequence: None,
            },
        )
        .unwrap();
    delete_material(&f, &key).unwrap();
    assert_eq!(describe(&f, &key).key_state, "5");
}

#[test]
fn expired_material_reads_as_pending_import_and_is_removed() {
    let f = setup();
    let expiry_s = NOW / 1000 + 3600;
    let key = imported(&f, "byok", Some(&expiry_s.to_string()));
    let blob = encrypt(&f, &key, "before").unwrap();
    f.clock.set(Timestamp(expiry_s * 1000 - 1));
    assert_eq!(decrypt(&f, &blob).unwrap(), "before");
    // The expiry comes: listed as pending import before anything touches it.
    f.clock.set(Timestamp(expiry_s * 1000));
    let listed = f
        .kms
        .wire()
        .list_keys(&a(), &ListKeysRequestBody::default())
        .unwrap();
    let entry = listed.key_details.iter().find(|k| k.key_id == key).unwrap();
    assert_eq!(entry.key_state, "5");
    assert_eq!(decrypt(&f, &blob), Err(ErrorCode::KmsKeyNotEnabled));
    // Used once: the material is gone from storage, the stored state too.
    assert_eq!(f.ports.keys.get_key_material(&key, 1).unwrap(), None);
    let stored = f.ports.keys.get_key("proj-a", &key).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.current_version, stored.material_expiry),
        (KeyState::PendingImport, 0, None)
    );
    assert_eq!(describe(&f, &key).key_state, "5");
    // The same material comes back (a new token), and the old blob opens.
    let (token, public, _) = params(&f, &key, "RSAES_OAEP_SHA_256").unwrap();
    import(&f, &a(), &key, &token, &oaep(&f, &public, &MATERIAL), None).unwrap();
    assert_eq!(decrypt(&f, &blob).unwrap(), "before");
}

#[test]
fn automatic_rotation_skips_imported_keys() {
    let f = setup();
    let key = imported(&f, "byok", None);
    let generated = create(&f, "generated", "AES_256", "kms");
    // Rotation cannot be turned on through the API for an imported key
    // (KMS.0312); a store holding the flag anyway is not obeyed.
    let on = |id: &str| {
        assert!(
            f.ports
                .keys
                .set_key_rotation("proj-a", id, Some(true), Some(30), Some(Timestamp(NOW)))
                .unwrap()
        );
    };
    on(&key);
    on(&generated);
    f.clock.set(Timestamp(NOW + 31 * DAY));
    let sweep = f.kms.rotate_due(100).unwrap();
    let rotated: Vec<&str> = sweep.rotated.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(rotated, [generated.as_str()]);
    let k = f.ports.keys.get_key("proj-a", &key).unwrap().unwrap();
    assert_eq!((k.current_version, k.rotation.rotations), (1, 0));
}
