//! Fuzz targets of kms-model: one per validator, one per request body.
//!
//! Validator targets are differential: the `regex` crate, compiled from the
//! same pattern constants, must agree with the hand-written validator on
//! every input.

use std::sync::LazyLock;

use kms_model::{
    Aad, CertificateName, CertificateScope, DatakeyLength, KeyId, KeystoreAlias, KeystoreRef,
    KeystoreType, Operation, PemText, PinType, Sequence, decode_hex,
};
use regex::Regex;

/// `(binary name, body)` for each kms-model target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[
    ("model_keystore_alias", model_keystore_alias),
    ("model_key_id", model_key_id),
    ("model_datakey_length", model_datakey_length),
    ("model_sequence", model_sequence),
    ("model_certificate_name", model_certificate_name),
    ("model_hex", model_hex),
    ("model_pem_text", model_pem_text),
    ("model_small_fields", model_small_fields),
    ("body_create_keystore", body_create_keystore),
    ("body_create_pin", body_create_pin),
    ("body_create_key", body_create_key),
    ("body_create_datakey", body_create_datakey),
    ("body_encrypt_datakey", body_encrypt_datakey),
    ("body_decrypt_datakey", body_decrypt_datakey),
    ("body_certificate_form", body_certificate_form),
    ("body_operate_key", body_operate_key),
    ("body_list_keys", body_list_keys),
    ("body_update_key_alias", body_update_key_alias),
    ("body_update_key_description", body_update_key_description),
    ("body_encrypt_data", body_encrypt_data),
    ("body_decrypt_data", body_decrypt_data),
    (
        "body_update_key_rotation_interval",
        body_update_key_rotation_interval,
    ),
    ("body_rotate_on_demand", body_rotate_on_demand),
    ("body_schedule_key_deletion", body_schedule_key_deletion),
    ("body_batch_kms_tags", body_batch_kms_tags),
    ("body_list_kms_by_tags", body_list_kms_by_tags),
    ("body_gen_random", body_gen_random),
    ("body_re_encrypt", body_re_encrypt),
    ("body_create_kms_tag", body_create_kms_tag),
    ("body_sign", body_sign),
    ("body_validate_signature", body_validate_signature),
    ("body_create_grant", body_create_grant),
    ("body_list_grants", body_list_grants),
    ("body_list_retirable_grants", body_list_retirable_grants),
    ("body_revoke_grant", body_revoke_grant),
    ("body_generate_mac", body_generate_mac),
    ("body_verify_mac", body_verify_mac),
    ("body_derive_shared_secret", body_derive_shared_secret),
    ("body_create_alias", body_create_alias),
    ("body_delete_alias", body_delete_alias),
    ("body_associate_alias", body_associate_alias),
    ("model_alias_name", model_alias_name),
    ("query_list_aliases", query_list_aliases),
    ("body_create_rsa_datakey_pair", body_create_rsa_datakey_pair),
    ("body_create_ec_datakey_pair", body_create_ec_datakey_pair),
    (
        "body_get_parameters_for_import",
        body_get_parameters_for_import,
    ),
    ("body_import_key_material", body_import_key_material),
    ("body_replicate_key", body_replicate_key),
    ("body_update_primary_region", body_update_primary_region),
];

#[allow(clippy::expect_used)] // the patterns are constants: a failure is a bug
fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("pattern constants compile")
}

static ALIAS: LazyLock<Regex> = LazyLock::new(|| regex(kms_model::ALIAS_PATTERN));
static KEY_ID: LazyLock<Regex> = LazyLock::new(|| regex(kms_model::KEY_ID_PATTERN));
static ALIAS_NAME: LazyLock<Regex> = LazyLock::new(|| regex(kms_model::ALIAS_NAME_PATTERN));
static CERT_NAME: LazyLock<Regex> = LazyLock::new(|| regex(kms_model::CERTIFICATE_NAME_PATTERN));

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `KeystoreAlias` against its regex.
pub fn model_keystore_alias(data: &[u8]) {
    if let Some(s) = text(data) {
        assert_eq!(KeystoreAlias::parse(s).is_ok(), ALIAS.is_match(s), "{s:?}");
    }
}

/// `KeyId` against its regex.
pub fn model_key_id(data: &[u8]) {
    if let Some(s) = text(data) {
        assert_eq!(KeyId::parse(s).is_ok(), KEY_ID.is_match(s), "{s:?}");
    }
}

/// `DatakeyLength` against an arithmetic reference, and the resolution rule.
pub fn model_datakey_length(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let reference = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u128>()
            .is_ok_and(|v| (8..=8192).contains(&v) && v % 8 == 0);
    let got = DatakeyLength::parse(s);
    assert_eq!(got.is_ok(), reference, "{s:?}");
    let (len, spec) = s.split_once('|').unwrap_or((s, ""));
    let resolved = DatakeyLength::resolve(Some(len), Some(spec).filter(|x| !x.is_empty()));
    if let Ok(r) = resolved {
        assert_eq!(Ok(r), DatakeyLength::parse(len));
    }
    let _ = DatakeyLength::parse_bytes_field("datakey_plain_length", s);
}

/// `Sequence`: exactly 36 bytes, or exactly 32 hexadecimal digits (a UUID
/// without hyphens, as Cloud Custodian sends it), kept as sent.
pub fn model_sequence(data: &[u8]) {
    if let Some(s) = text(data) {
        let simple_uuid = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let got = Sequence::parse(s);
        assert_eq!(got.is_ok(), s.len() == 36 || simple_uuid, "{s:?}");
        if let Ok(seq) = got {
            assert_eq!(seq.as_str(), s);
        }
    }
}

/// `CertificateName` against its regex.
pub fn model_certificate_name(data: &[u8]) {
    if let Some(s) = text(data) {
        assert_eq!(
            CertificateName::parse(s).is_ok(),
            CERT_NAME.is_match(s),
            "{s:?}"
        );
    }
}

/// Hex decoding: accepted exactly when even-length ASCII hex within the cap,
/// and re-encoding gives the input back (modulo case).
pub fn model_hex(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let cap = 64;
    let expected = !s.is_empty()
        && s.len() % 2 == 0
        && s.len() <= cap * 2
        && s.bytes().all(|b| b.is_ascii_hexdigit());
    match decode_hex("cipher_text", s, cap) {
        Ok(bytes) => {
            assert!(expected, "{s:?}");
            let again: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(again, s.to_ascii_lowercase());
        }
        Err(_) => assert!(!expected, "{s:?}"),
    }
}

/// PEM text fields: non-blank and within the size cap.
pub fn model_pem_text(data: &[u8]) {
    if let Some(s) = text(data) {
        let ok = PemText::parse_field("cert_content", s).is_ok();
        assert_eq!(
            ok,
            !s.trim().is_empty() && s.len() <= kms_model::MAX_PEM_BYTES
        );
    }
}

/// The enumerated and bounded fields: pin_type, keystore_id, keystore_type,
/// certificate scope and AAD. Each is tried on the input.
pub fn model_small_fields(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(p) = PinType::parse(s) {
        assert_eq!(p.as_str(), s);
    }
    if let Ok(r) = KeystoreRef::parse(s) {
        assert_eq!(r.as_str(), s);
    }
    if let Ok(t) = KeystoreType::parse(s) {
        assert!(["0", "1", "2", t.as_str()].contains(&s));
    }
    let (kind, id) = s.split_once('|').unwrap_or((s, ""));
    let _ = CertificateScope::resolve(Some(kind), Some(id).filter(|x| !x.is_empty()));
    assert_eq!(
        Aad::parse_optional(Some(s)).is_ok(),
        s.len() <= kms_model::MAX_AAD_BYTES
    );
}

fn body(op: Operation, data: &[u8]) {
    // Ok or a wire error, never a panic; an error must render.
    if let Err(e) = op.validate_json(data) {
        assert!(!e.to_json().is_empty());
        assert!(e.status() >= 400);
    }
}

/// create-keystore body.
pub fn body_create_keystore(data: &[u8]) {
    body(Operation::CreateKeystore, data);
}

/// create-pin body.
pub fn body_create_pin(data: &[u8]) {
    body(Operation::CreatePin, data);
}

/// create-key body.
pub fn body_create_key(data: &[u8]) {
    body(Operation::CreateKey, data);
}

/// create-datakey(-without-plaintext) body.
pub fn body_create_datakey(data: &[u8]) {
    body(Operation::CreateDatakeyWithoutPlaintext, data);
}

/// encrypt-datakey body.
pub fn body_encrypt_datakey(data: &[u8]) {
    body(Operation::EncryptDatakey, data);
}

/// decrypt-datakey body.
pub fn body_decrypt_datakey(data: &[u8]) {
    body(Operation::DecryptDatakey, data);
}

/// certificate form body.
pub fn body_certificate_form(data: &[u8]) {
    body(Operation::CreateCertificate, data);
}

/// describe-key, enable/disable-key and cancel-key-deletion body (`OperateKeyRequestBody`).
pub fn body_operate_key(data: &[u8]) {
    body(Operation::DescribeKey, data);
}

/// list-keys body.
pub fn body_list_keys(data: &[u8]) {
    body(Operation::ListKeys, data);
}

/// update-key-alias body.
pub fn body_update_key_alias(data: &[u8]) {
    body(Operation::UpdateKeyAlias, data);
}

/// update-key-description body.
pub fn body_update_key_description(data: &[u8]) {
    body(Operation::UpdateKeyDescription, data);
}

/// encrypt-data body.
pub fn body_encrypt_data(data: &[u8]) {
    body(Operation::EncryptData, data);
}

/// decrypt-data body.
pub fn body_decrypt_data(data: &[u8]) {
    body(Operation::DecryptData, data);
}

/// update-key-rotation-interval body.
pub fn body_update_key_rotation_interval(data: &[u8]) {
    body(Operation::UpdateKeyRotationInterval, data);
}

/// rotate-on-demand body.
pub fn body_rotate_on_demand(data: &[u8]) {
    body(Operation::RotateOnDemand, data);
}

/// schedule-key-deletion body.
pub fn body_schedule_key_deletion(data: &[u8]) {
    body(Operation::ScheduleKeyDeletion, data);
}

/// tags/action body.
pub fn body_batch_kms_tags(data: &[u8]) {
    body(Operation::BatchKmsTags, data);
}

/// list-kms-by-tags body.
pub fn body_list_kms_by_tags(data: &[u8]) {
    body(Operation::ListKmsByTags, data);
}

/// gen-random body.
pub fn body_gen_random(data: &[u8]) {
    body(Operation::GenRandom, data);
}

/// re-encrypt body.
pub fn body_re_encrypt(data: &[u8]) {
    body(Operation::ReEncrypt, data);
}

/// create-kms-tag body (one tag).
pub fn body_create_kms_tag(data: &[u8]) {
    body(Operation::CreateKmsTag, data);
}

/// sign body.
pub fn body_sign(data: &[u8]) {
    body(Operation::Sign, data);
}

/// verify (validate-signature) body.
pub fn body_validate_signature(data: &[u8]) {
    body(Operation::ValidateSignature, data);
}

/// create-grant body.
pub fn body_create_grant(data: &[u8]) {
    body(Operation::CreateGrant, data);
}

/// list-grants body.
pub fn body_list_grants(data: &[u8]) {
    body(Operation::ListGrants, data);
}

/// list-retirable-grants body.
pub fn body_list_retirable_grants(data: &[u8]) {
    body(Operation::ListRetirableGrants, data);
}

/// revoke-grant and retire-grant body.
pub fn body_revoke_grant(data: &[u8]) {
    body(Operation::RevokeGrant, data);
}

/// generate-mac body.
pub fn body_generate_mac(data: &[u8]) {
    body(Operation::GenerateMac, data);
}

/// verify-mac body.
pub fn body_verify_mac(data: &[u8]) {
    body(Operation::VerifyMac, data);
}

/// derive-shared-secret body.
pub fn body_derive_shared_secret(data: &[u8]) {
    body(Operation::DeriveSharedSecret, data);
}

/// create-alias body.
pub fn body_create_alias(data: &[u8]) {
    body(Operation::CreateAlias, data);
}

/// delete-alias body.
pub fn body_delete_alias(data: &[u8]) {
    body(Operation::DeleteAlias, data);
}

/// associate-alias body.
pub fn body_associate_alias(data: &[u8]) {
    body(Operation::AssociateAlias, data);
}

/// `AliasName` against its regex; an accepted alias is kept as sent and
/// is in the alias form a key id may take.
pub fn model_alias_name(data: &[u8]) {
    if let Some(s) = text(data) {
        let got = kms_model::AliasName::parse(s);
        assert_eq!(got.is_ok(), ALIAS_NAME.is_match(s), "{s:?}");
        if let Ok(a) = got {
            assert_eq!(a.as_str(), s);
            assert!(kms_model::AliasName::is_alias_form(s));
        }
    }
}

/// The list-aliases query (`key_id`, `limit`, `marker`, one per line):
/// accepted or a KMS wire error, never a panic; an accepted query has a
/// limit in 1..=100 and a marker that is an alias.
pub fn query_list_aliases(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let mut parts = s.splitn(3, '\n');
    let (key_id, limit, marker) = (parts.next(), parts.next(), parts.next());
    match kms_model::ListAliasesRequest::from_query(key_id, limit, marker) {
        Ok(q) => {
            assert!((1..=kms_model::MAX_LIST_ALIASES_LIMIT).contains(&q.limit));
            if let Some(m) = &q.marker {
                assert!(ALIAS_NAME.is_match(m.as_str()), "{m:?}");
            }
            if let Some(k) = &q.key_id {
                assert!(KEY_ID.is_match(k.as_str()), "{k:?}");
            }
        }
        Err(e) => {
            let api = e.to_kms();
            assert!(api.status() >= 400);
            assert!(!api.to_json().is_empty());
        }
    }
}

/// create-rsa-datakey-pair body.
pub fn body_create_rsa_datakey_pair(data: &[u8]) {
    body(Operation::CreateRsaDatakeyPair, data);
}

/// create-ec-datakey-pair body.
pub fn body_create_ec_datakey_pair(data: &[u8]) {
    body(Operation::CreateEcDatakeyPair, data);
}

/// get-parameters-for-import body.
pub fn body_get_parameters_for_import(data: &[u8]) {
    body(Operation::CreateParametersForImport, data);
}

/// import-key-material body.
pub fn body_import_key_material(data: &[u8]) {
    body(Operation::ImportKeyMaterial, data);
}

/// replicate-key body (the path's key id is checked by the wire layer).
pub fn body_replicate_key(data: &[u8]) {
    body(Operation::ReplicateKey, data);
}

/// update-primary-region body.
pub fn body_update_primary_region(data: &[u8]) {
    body(Operation::UpdatePrimaryRegion, data);
}
