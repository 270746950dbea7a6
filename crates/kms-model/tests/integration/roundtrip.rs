//! Round trips of every wire type: any value serialises to JSON and
//! deserialises back to itself (proptest, 256 cases per type), and the
//! string fields that also take a JSON integer read it as its decimal text.
//! The strategies list every field (no `..Default`), so a new field fails
//! to compile here until it is covered.
#![allow(clippy::unwrap_used, missing_docs)]

use kms_model::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Any text, control characters, quotes, backslashes and non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9:/_\\-\"\\\\ ]{0,40}"]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(text(), 0..4)
}

fn loose() -> impl Strategy<Value = LooseString> {
    text().prop_map(LooseString)
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(v).unwrap();
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, v);
    // Serialising again gives the same text.
    prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
    Ok(())
}

prop_compose! {
    fn arb_create_key_store_request_body()(keystore_alias in text(), hsm_cluster_id in opt_text(), hsm_ca_cert in opt_text(), cluster_id in opt_text(), keystore_type in proptest::option::of(loose())) -> CreateKeyStoreRequestBody {
        CreateKeyStoreRequestBody { keystore_alias, hsm_cluster_id, hsm_ca_cert, cluster_id, keystore_type }
    }
}

prop_compose! {
    fn arb_keystore_info()(keystore_id in text(), domain_id in text()) -> KeystoreInfo {
        KeystoreInfo { keystore_id, domain_id }
    }
}

prop_compose! {
    fn arb_create_key_store_response_body()(keystore in arb_keystore_info()) -> CreateKeyStoreResponseBody {
        CreateKeyStoreResponseBody { keystore }
    }
}

prop_compose! {
    fn arb_keystore_details()(keystore_id in text(), domain_id in text(), keystore_alias in text(), keystore_type in text(), hsm_cluster_id in text(), cluster_id in text(), create_time in text()) -> KeystoreDetails {
        KeystoreDetails { keystore_id, domain_id, keystore_alias, keystore_type, hsm_cluster_id, cluster_id, create_time }
    }
}

prop_compose! {
    fn arb_list_key_stores_response_body()(total in any::<u64>(), keystores in proptest::collection::vec(arb_keystore_details(), 0..4)) -> ListKeyStoresResponseBody {
        ListKeyStoresResponseBody { total, keystores }
    }
}

prop_compose! {
    fn arb_show_key_store_response_body()(keystore in arb_keystore_details()) -> ShowKeyStoreResponseBody {
        ShowKeyStoreResponseBody { keystore }
    }
}

prop_compose! {
    fn arb_keystore_state_info()(keystore_id in text(), keystore_state in text()) -> KeystoreStateInfo {
        KeystoreStateInfo { keystore_id, keystore_state }
    }
}

prop_compose! {
    fn arb_keystore_state_response_body()(keystore in arb_keystore_state_info()) -> KeystoreStateResponseBody {
        KeystoreStateResponseBody { keystore }
    }
}

prop_compose! {
    fn arb_create_pin_request_body()(pin_type in opt_text(), keystore_id in proptest::option::of(loose())) -> CreatePinRequestBody {
        CreatePinRequestBody { pin_type, keystore_id }
    }
}

prop_compose! {
    fn arb_create_pin_response_body()(pin in text()) -> CreatePinResponseBody {
        CreatePinResponseBody { pin: pin.into() }
    }
}

prop_compose! {
    fn arb_create_key_request_body()(key_alias in text(), key_spec in opt_text(), key_usage in opt_text(), key_description in opt_text(), origin in opt_text(), enterprise_project_id in opt_text(), sequence in opt_text(), keystore_id in proptest::option::of(loose())) -> CreateKeyRequestBody {
        CreateKeyRequestBody { key_alias, key_spec, key_usage, key_description, origin, enterprise_project_id, sequence, keystore_id }
    }
}

prop_compose! {
    fn arb_key_info()(key_id in text(), domain_id in text(), region_id in text()) -> KeyInfo {
        KeyInfo { key_id, domain_id, region_id }
    }
}

prop_compose! {
    fn arb_create_key_response_body()(key_info in arb_key_info()) -> CreateKeyResponseBody {
        CreateKeyResponseBody { key_info }
    }
}

prop_compose! {
    fn arb_create_datakey_request_body()(key_id in text(), key_spec in opt_text(), datakey_length in proptest::option::of(loose()), additional_authenticated_data in opt_text(), sequence in opt_text(), pin in opt_text(), pin_type in opt_text()) -> CreateDatakeyRequestBody {
        CreateDatakeyRequestBody { key_id, key_spec, datakey_length, additional_authenticated_data, sequence, pin: pin.map(Into::into), pin_type }
    }
}

prop_compose! {
    fn arb_create_datakey_response_body()(key_id in text(), plain_text in text(), cipher_text in text()) -> CreateDatakeyResponseBody {
        CreateDatakeyResponseBody { key_id, plain_text: plain_text.into(), cipher_text }
    }
}

prop_compose! {
    fn arb_create_datakey_without_plaintext_response_body()(key_id in text(), cipher_text in text()) -> CreateDatakeyWithoutPlaintextResponseBody {
        CreateDatakeyWithoutPlaintextResponseBody { key_id, cipher_text }
    }
}

prop_compose! {
    fn arb_encrypt_datakey_request_body()(key_id in text(), plain_text in text(), datakey_plain_length in loose(), additional_authenticated_data in opt_text(), sequence in opt_text(), pin in opt_text(), pin_type in opt_text()) -> EncryptDatakeyRequestBody {
        EncryptDatakeyRequestBody { key_id, plain_text: plain_text.into(), datakey_plain_length, additional_authenticated_data, sequence, pin: pin.map(Into::into), pin_type }
    }
}

prop_compose! {
    fn arb_encrypt_datakey_response_body()(key_id in text(), cipher_text in text(), datakey_length in text()) -> EncryptDatakeyResponseBody {
        EncryptDatakeyResponseBody { key_id, cipher_text, datakey_length }
    }
}

prop_compose! {
    fn arb_decrypt_datakey_request_body()(key_id in text(), cipher_text in text(), datakey_cipher_length in loose(), additional_authenticated_data in opt_text(), sequence in opt_text()) -> DecryptDatakeyRequestBody {
        DecryptDatakeyRequestBody { key_id, cipher_text, datakey_cipher_length, additional_authenticated_data, sequence }
    }
}

prop_compose! {
    fn arb_decrypt_datakey_response_body()(data_key in text(), datakey_length in text(), datakey_dgst in text()) -> DecryptDatakeyResponseBody {
        DecryptDatakeyResponseBody { data_key: data_key.into(), datakey_length, datakey_dgst }
    }
}

prop_compose! {
    fn arb_certificate_form()(name in text(), cert_content in text(), private_key in text(), type_ in opt_text(), instance_id in opt_text(), trusted_root_ca in opt_text(), algorithm_type in opt_text()) -> CertificateForm {
        CertificateForm { name, cert_content, private_key: private_key.into(), r#type: type_, instance_id, trusted_root_ca, algorithm_type }
    }
}

prop_compose! {
    fn arb_certificate_record()((id, name, type_, instance_id, project_id, common_name, san, version, organization, organizational_unit,) in (text(), text(), opt_text(), opt_text(), opt_text(), text(), texts(), any::<u8>(), texts(), texts(),), (locality, state, country, not_before, not_after, serial_number, issuer, signature_algorithm, create_time, update_time,) in (texts(), texts(), texts(), text(), text(), text(), texts(), text(), text(), text(),), (is_has_trusted_root_ca, algorithm_type,) in (any::<Option<bool>>(), opt_text(),)) -> CertificateRecord {
        CertificateRecord { id, name, r#type: type_, instance_id, project_id, common_name, san, version, organization, organizational_unit, locality, state, country, not_before, not_after, serial_number, issuer, signature_algorithm, create_time, update_time, is_has_trusted_root_ca, algorithm_type }
    }
}

prop_compose! {
    fn arb_certificate_base()((id, name, type_, instance_id, project_id, common_name, san, not_after, signature_algorithm, create_time,) in (text(), text(), text(), text(), text(), text(), texts(), text(), text(), text(),), (update_time, is_has_trusted_root_ca, algorithm_type,) in (text(), any::<bool>(), text(),)) -> CertificateBase {
        CertificateBase { id, name, r#type: type_, instance_id, project_id, common_name, san, not_after, signature_algorithm, create_time, update_time, is_has_trusted_root_ca, algorithm_type }
    }
}

prop_compose! {
    fn arb_list_certificates_v2_response_body()(size in any::<u64>(), total in any::<u64>(), certs in proptest::collection::vec(arb_certificate_base(), 0..4)) -> ListCertificatesV2ResponseBody {
        ListCertificatesV2ResponseBody { size, total, certs }
    }
}

prop_compose! {
    fn arb_operate_key_request_body()(key_id in text(), sequence in opt_text()) -> OperateKeyRequestBody {
        OperateKeyRequestBody { key_id, sequence }
    }
}

prop_compose! {
    fn arb_key_state_info()(key_id in text(), key_state in text()) -> KeyStateInfo {
        KeyStateInfo { key_id, key_state }
    }
}

prop_compose! {
    fn arb_key_state_response_body()(key_info in arb_key_state_info()) -> KeyStateResponseBody {
        KeyStateResponseBody { key_info }
    }
}

prop_compose! {
    fn arb_schedule_key_deletion_request_body()(key_id in text(), pending_days in loose(), sequence in opt_text()) -> ScheduleKeyDeletionRequestBody {
        ScheduleKeyDeletionRequestBody { key_id, pending_days, sequence }
    }
}

prop_compose! {
    fn arb_schedule_key_deletion_response_body()(key_id in text(), key_state in text()) -> ScheduleKeyDeletionResponseBody {
        ScheduleKeyDeletionResponseBody { key_id, key_state }
    }
}

proptest! {
    #[test]
    fn create_key_store_request_body_round_trips(v in arb_create_key_store_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn keystore_info_round_trips(v in arb_keystore_info()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_key_store_response_body_round_trips(v in arb_create_key_store_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn keystore_details_round_trips(v in arb_keystore_details()) {
        round_trip(&v)?;
    }

    #[test]
    fn list_key_stores_response_body_round_trips(v in arb_list_key_stores_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn show_key_store_response_body_round_trips(v in arb_show_key_store_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn keystore_state_info_round_trips(v in arb_keystore_state_info()) {
        round_trip(&v)?;
    }

    #[test]
    fn keystore_state_response_body_round_trips(v in arb_keystore_state_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_pin_request_body_round_trips(v in arb_create_pin_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_pin_response_body_round_trips(v in arb_create_pin_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_key_request_body_round_trips(v in arb_create_key_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn key_info_round_trips(v in arb_key_info()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_key_response_body_round_trips(v in arb_create_key_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_datakey_request_body_round_trips(v in arb_create_datakey_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_datakey_response_body_round_trips(v in arb_create_datakey_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn create_datakey_without_plaintext_response_body_round_trips(v in arb_create_datakey_without_plaintext_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn encrypt_datakey_request_body_round_trips(v in arb_encrypt_datakey_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn encrypt_datakey_response_body_round_trips(v in arb_encrypt_datakey_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn decrypt_datakey_request_body_round_trips(v in arb_decrypt_datakey_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn decrypt_datakey_response_body_round_trips(v in arb_decrypt_datakey_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn certificate_form_round_trips(v in arb_certificate_form()) {
        round_trip(&v)?;
    }

    #[test]
    fn certificate_record_round_trips(v in arb_certificate_record()) {
        round_trip(&v)?;
    }

    #[test]
    fn certificate_base_round_trips(v in arb_certificate_base()) {
        round_trip(&v)?;
    }

    #[test]
    fn list_certificates_v2_response_body_round_trips(v in arb_list_certificates_v2_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn operate_key_request_body_round_trips(v in arb_operate_key_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn key_state_info_round_trips(v in arb_key_state_info()) {
        round_trip(&v)?;
    }

    #[test]
    fn key_state_response_body_round_trips(v in arb_key_state_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn schedule_key_deletion_request_body_round_trips(v in arb_schedule_key_deletion_request_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn schedule_key_deletion_response_body_round_trips(v in arb_schedule_key_deletion_response_body()) {
        round_trip(&v)?;
    }

    #[test]
    fn integers_are_read_as_their_decimal_text(n in any::<u64>(), m in any::<i64>()) {
        let body: CreateDatakeyRequestBody =
            serde_json::from_str(&format!(r#"{{"key_id":"k","datakey_length":{n}}}"#)).unwrap();
        prop_assert_eq!(body.datakey_length, Some(LooseString(n.to_string())));
        let body: DecryptDatakeyRequestBody = serde_json::from_str(&format!(
            r#"{{"key_id":"k","cipher_text":"00","datakey_cipher_length":{m}}}"#
        ))
        .unwrap();
        prop_assert_eq!(body.datakey_cipher_length, LooseString(m.to_string()));
    }
}
