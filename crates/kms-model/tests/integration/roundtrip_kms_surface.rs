//! Round trips of the wire types added for the wider KMS surface (issue
//! #10): any value serialises to JSON and back to itself. As in
//! `roundtrip.rs`, the strategies list every field (no `..Default`), so a
//! new field fails to compile here until it is covered. Also: the
//! canonical encryption context does not depend on key order.
#![allow(clippy::unwrap_used, missing_docs)]

use kms_model::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-zA-Z0-9:/_\\-\"\\\\ ]{0,40}"]
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn loose() -> impl Strategy<Value = LooseString> {
    text().prop_map(LooseString)
}

fn opt_loose() -> impl Strategy<Value = Option<LooseString>> {
    proptest::option::of(loose())
}

fn context() -> impl Strategy<Value = Option<serde_json::Map<String, serde_json::Value>>> {
    proptest::option::of(
        proptest::collection::btree_map(text(), text(), 0..4).prop_map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect()
        }),
    )
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(v).unwrap();
    let back: T =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
    prop_assert_eq!(&back, v);
    prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
    Ok(())
}

prop_compose! {
    fn arb_key_details()(
        ids in (text(), text(), text(), text(), text(), text()),
        more in (text(), text(), text(), text(), text(), text()),
        rest in (text(), text(), text(), text(), text()),
        multi_region_key_type in opt_text(),
    ) -> KeyDetails {
        let (key_id, domain_id, key_alias, realm, key_spec, key_usage) = ids;
        let (key_description, creation_date, scheduled_deletion_date, key_state, default_key_flag, key_type) = more;
        let (expiration_time, origin, key_rotation_enabled, sys_enterprise_project_id, keystore_id) = rest;
        KeyDetails {
            key_id, domain_id, key_alias, realm, key_spec, key_usage, key_description,
            creation_date, scheduled_deletion_date, key_state, default_key_flag, key_type,
            expiration_time, origin, key_rotation_enabled, sys_enterprise_project_id, keystore_id,
            multi_region_key_type,
        }
    }
}

prop_compose! {
    fn arb_list_keys_request_body()(limit in opt_loose(), marker in opt_loose(), key_state in opt_loose(), key_spec in opt_text(), enterprise_project_id in opt_text(), sequence in opt_text()) -> ListKeysRequestBody {
        ListKeysRequestBody { limit, marker, key_state, key_spec, enterprise_project_id, sequence }
    }
}

prop_compose! {
    fn arb_list_keys_response_body()(keys in proptest::collection::vec(text(), 0..3), key_details in proptest::collection::vec(arb_key_details(), 0..3), next_marker in text(), truncated in text(), total in any::<u64>()) -> ListKeysResponseBody {
        ListKeysResponseBody { keys, key_details, next_marker, truncated, total }
    }
}

prop_compose! {
    fn arb_encrypt_data_request_body()(key_id in text(), plain_text in text(), encryption_algorithm in opt_text(), additional_authenticated_data in opt_text(), encryption_context in context(), sequence in opt_text()) -> EncryptDataRequestBody {
        EncryptDataRequestBody { key_id, plain_text: plain_text.into(), encryption_algorithm, additional_authenticated_data, encryption_context, sequence }
    }
}

prop_compose! {
    fn arb_decrypt_data_request_body()(cipher_text in text(), encryption_algorithm in opt_text(), key_id in opt_text(), additional_authenticated_data in opt_text(), encryption_context in context(), sequence in opt_text()) -> DecryptDataRequestBody {
        DecryptDataRequestBody { cipher_text, encryption_algorithm, key_id, additional_authenticated_data, encryption_context, sequence }
    }
}

prop_compose! {
    fn arb_tag_item()(key in text(), value in text()) -> TagItem {
        TagItem { key, value }
    }
}

prop_compose! {
    fn arb_tag()(key in text(), values in proptest::collection::vec(text(), 0..3)) -> Tag {
        Tag { key, values }
    }
}

prop_compose! {
    fn arb_list_kms_by_tags_request_body()(limit in opt_loose(), offset in opt_loose(), action in text(), tags in proptest::option::of(proptest::collection::vec(arb_tag(), 0..3)), matches in proptest::option::of(proptest::collection::vec(arb_tag_item(), 0..3)), sequence in opt_text()) -> ListKmsByTagsRequestBody {
        ListKmsByTagsRequestBody { limit, offset, action, tags, matches, sequence }
    }
}

prop_compose! {
    fn arb_action_resources()(resource_id in text(), resource_detail in arb_key_details(), resource_name in text(), tags in proptest::collection::vec(arb_tag_item(), 0..3)) -> ActionResources {
        ActionResources { resource_id, resource_detail, resource_name, tags }
    }
}

prop_compose! {
    fn arb_re_encrypt_request_body()(
        a in (opt_text(), opt_text(), opt_text(), text()),
        b in (opt_text(), opt_text(), opt_loose(), text()),
    ) -> ReEncryptRequestBody {
        let (source_key_id, source_additional_authenticated_data, source_encryption_algorithm, destination_key_id) = a;
        let (destination_additional_authenticated_data, destination_encryption_algorithm, datakey_cipher_length, cipher_text) = b;
        ReEncryptRequestBody {
            source_key_id, source_additional_authenticated_data, source_encryption_algorithm,
            destination_key_id, destination_additional_authenticated_data,
            destination_encryption_algorithm, datakey_cipher_length, cipher_text,
        }
    }
}

proptest! {
    #[test]
    fn key_details_round_trip(v in arb_key_details()) {
        round_trip(&v)?;
        round_trip(&ListKeyDetailResponseBody { key_info: v })?;
    }

    #[test]
    fn list_keys_round_trip(req in arb_list_keys_request_body(), resp in arb_list_keys_response_body()) {
        round_trip(&req)?;
        round_trip(&resp)?;
    }

    #[test]
    fn key_updates_round_trip(key_id in text(), s in text(), sequence in opt_text()) {
        round_trip(&UpdateKeyAliasRequestBody { key_id: key_id.clone(), key_alias: s.clone(), sequence: sequence.clone() })?;
        round_trip(&UpdateKeyAliasResponseBody { key_info: KeyAliasInfo { key_id: key_id.clone(), key_alias: s.clone() } })?;
        round_trip(&UpdateKeyDescriptionRequestBody { key_id: key_id.clone(), key_description: s.clone(), sequence })?;
        round_trip(&UpdateKeyDescriptionResponseBody { key_info: KeyDescriptionInfo { key_id: key_id.clone(), key_description: s.clone() } })?;
        round_trip(&CancelKeyDeletionResponseBody { key_id: key_id.clone(), key_state: s.clone() })?;
        round_trip(&RotateOnDemandRequestBody { key_id: key_id.clone() })?;
        round_trip(&RotateOnDemandResponseBody { key_id: key_id.clone() })?;
        round_trip(&CreateRandomResponseBody { random_data: s.clone() })?;
        round_trip(&EncryptDataResponseBody { key_id: key_id.clone(), cipher_text: s.clone() })?;
        round_trip(&DecryptDataResponseBody { key_id, plain_text: s.clone().into(), plain_text_base64: s.into() })?;
    }

    #[test]
    fn data_bodies_round_trip(e in arb_encrypt_data_request_body(), d in arb_decrypt_data_request_body(), r in arb_re_encrypt_request_body()) {
        round_trip(&e)?;
        round_trip(&d)?;
        round_trip(&r)?;
    }

    #[test]
    fn rotation_and_random_round_trip(key_id in text(), n in loose(), sequence in opt_text(), enabled in any::<bool>(), interval in any::<u32>(), last in text(), count in any::<u32>()) {
        round_trip(&UpdateKeyRotationIntervalRequestBody { key_id, rotation_interval: n.clone(), sequence: sequence.clone() })?;
        round_trip(&ShowKeyRotationStatusResponseBody { key_rotation_enabled: enabled, rotation_interval: interval, last_rotation_time: last, number_of_rotations: count, key_materials: Vec::new() })?;
        round_trip(&ShowKeyRotationStatusResponseBody { key_rotation_enabled: enabled, rotation_interval: interval, last_rotation_time: String::new(), number_of_rotations: count, key_materials: vec![KeyMaterialStatus { material_id: "m".into(), charge_id: String::new(), create_time: "1".into(), expiration_time: String::new(), state: 2 }] })?;
        round_trip(&GenRandomRequestBody { random_data_length: n, sequence })?;
    }

    #[test]
    fn re_encrypt_response_round_trips(a in text(), b in text(), c in text(), d in text(), e in text()) {
        round_trip(&ReEncryptResponseBody { key_id: a, source_key_id: b, source_encryption_algorithm: c, destination_encryption_algorithm: d, cipher_text: e })?;
    }

    #[test]
    fn tag_bodies_round_trip(
        items in proptest::collection::vec(arb_tag_item(), 0..4),
        action in text(),
        sequence in opt_text(),
        n in any::<u64>(),
        list in arb_list_kms_by_tags_request_body(),
        resources in proptest::collection::vec(arb_action_resources(), 0..3),
        one in arb_tag_item(),
    ) {
        round_trip(&BatchCreateKmsTagsRequestBody { tags: items.clone(), action, sequence: sequence.clone() })?;
        round_trip(&ShowKmsTagsResponseBody { tags: items, exist_tags_num: n })?;
        round_trip(&list)?;
        round_trip(&ListKmsByTagsResponseBody { resources, total_count: n })?;
        round_trip(&CreateKmsTagRequestBody { tag: one, sequence })?;
        round_trip(&ListKmsTagsResponseBody { tags: list.tags.clone().unwrap_or_default() })?;
    }

    #[test]
    fn the_canonical_encryption_context_ignores_key_order(pairs in proptest::collection::btree_map("[a-z]{1,6}", text(), 0..6)) {
        let forward: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        // The same object as JSON text with its keys in reverse order and
        // whitespace, through the request decoder.
        let members: Vec<String> = pairs
            .iter()
            .rev()
            .map(|(k, v)| format!("{} : {}", serde_json::to_string(k).unwrap(), serde_json::to_string(v).unwrap()))
            .collect();
        let body = format!(
            r#"{{"key_id":"0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6","plain_text":"x","encryption_context":{{ {} }}}}"#,
            members.join(" , ")
        );
        let a = EncryptionContext::parse(&forward).unwrap().canonical();
        let b = EncryptDataRequest::from_json(body.as_bytes())
            .unwrap()
            .encryption_context
            .canonical();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.is_empty(), pairs.is_empty());
        if !pairs.is_empty() {
            let again: std::collections::BTreeMap<String, String> = serde_json::from_slice(&a).unwrap();
            prop_assert_eq!(again, pairs);
        }
    }
}

prop_compose! {
    fn arb_alias_entity()(
        a in (text(), text(), text()),
        b in (text(), text(), text()),
    ) -> AliasEntity {
        let (domain_id, key_id, alias) = a;
        let (alias_urn, create_time, update_time) = b;
        AliasEntity { domain_id, key_id, alias, alias_urn, create_time, update_time }
    }
}

proptest! {
    #[test]
    fn alias_bodies_round_trip(
        key_id in text(),
        alias in text(),
        aliases in proptest::collection::vec(text(), 0..4),
        opt_key in opt_text(),
        entities in proptest::collection::vec(arb_alias_entity(), 0..3),
        next_marker in text(),
        current_count in any::<u64>(),
    ) {
        round_trip(&CreateAliasRequestBody { key_id: key_id.clone(), alias: alias.clone() })?;
        round_trip(&DeleteAliasRequestBody { aliases, key_id: opt_key })?;
        round_trip(&AssociateAliasRequestBody { alias, target_key_id: key_id })?;
        for e in &entities {
            round_trip(e)?;
        }
        round_trip(&ListAliasResponseBody {
            aliases: entities,
            page_info: AliasPageInfo { next_marker, current_count },
        })?;
    }
}

proptest! {
    /// Key material import's bodies (issue 24 item 3).
    #[test]
    fn import_bodies_round_trip(
        ids in (text(), text(), text(), text()),
        seq in opt_text(),
        privatekey in opt_text(),
        expiry in opt_loose(),
        expiration_time in any::<i64>(),
    ) {
        let (key_id, wrapping_algorithm, import_token, material) = ids;
        round_trip(&GetParametersForImportRequestBody {
            key_id: key_id.clone(),
            wrapping_algorithm: wrapping_algorithm.clone(),
            sequence: seq.clone(),
        })?;
        round_trip(&CreateParametersForImportResponseBody {
            key_id: key_id.clone(),
            import_token: import_token.clone(),
            expiration_time,
            public_key: wrapping_algorithm,
        })?;
        round_trip(&ImportKeyMaterialRequestBody {
            key_id,
            import_token,
            encrypted_key_material: material,
            encrypted_privatekey: privatekey,
            expiration_time: expiry,
            sequence: seq,
        })?;
    }
}
