#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Every operation of the registry (`kms_model::Operation::ALL`) writes
//! exactly one audit line named after it, including a request refused by
//! validation and the host-only export of a certificate's private key.

use std::collections::HashSet;
use std::sync::Arc;

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, Clock, Timestamp};
use kms_core::{CertificateQuery, CoreConfig, Kms};
use kms_model::{
    BatchCreateKmsTagsRequestBody, CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody,
    CreateKeyStoreRequestBody, CreateKmsTagRequestBody, CreatePinRequestBody,
    DecryptDataRequestBody, DecryptDatakeyRequestBody, EncryptDataRequestBody,
    EncryptDatakeyRequestBody, GenRandomRequestBody, ListKeysRequestBody, ListKmsByTagsRequestBody,
    OperateKeyRequestBody, Operation, ReEncryptRequestBody, RotateOnDemandRequestBody,
    ScheduleKeyDeletionRequestBody, SignRequestBody, UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequestBody, UpdateKeyRotationIntervalRequestBody, VerifyRequestBody,
};
use kms_model::{CreateEcDatakeyPairRequestBody, CreateRsaDatakeyPairRequestBody};
use kms_model::{
    CreateGrantRequestBody, ListGrantsRequestBody, ListRetirableGrantsRequestBody,
    RevokeGrantRequestBody,
};

/// A well-formed key id no key has.
const NO_KEY: &str = "00000000-0000-4000-8000-000000000000";

fn kms() -> (Kms, Arc<VecAudit>) {
    let (kms, audit, _) = kms_with_clock();
    (kms, audit)
}

fn kms_with_clock() -> (Kms, Arc<VecAudit>, Arc<ManualClock>) {
    let audit = Arc::new(VecAudit::default());
    let clock = Arc::new(ManualClock::new(Timestamp(1_767_225_600_000)));
    let ports = memory::ports(&[9u8; 32], [4u8; 32], clock.clone(), vec![], audit.clone()).unwrap();
    (Kms::new(ports, CoreConfig::default()), audit, clock)
}

/// A key of `caller` with rotation enabled, and the clock moved past its
/// interval: the next [`Kms::rotate_due`] rotates it.
fn a_key_due_for_rotation(kms: &Kms, caller: &Caller, clock: &ManualClock) {
    let key = kms
        .wire()
        .create_key(
            caller,
            &CreateKeyRequestBody {
                key_alias: "due".into(),
                ..CreateKeyRequestBody::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    kms.wire()
        .enable_key_rotation(
            caller,
            &OperateKeyRequestBody {
                key_id: key,
                sequence: None,
            },
        )
        .unwrap();
    clock.set(Timestamp(clock.now().0 + 366 * 86_400_000));
}

fn op_body() -> OperateKeyRequestBody {
    OperateKeyRequestBody {
        key_id: NO_KEY.into(),
        sequence: None,
    }
}

/// Calls `op` once, with a request that is refused or answered (either
/// way it must be audited); `false` for an operation this test does not
/// know yet (a new operation must be added here).
#[allow(clippy::too_many_lines)]
fn call(kms: &Kms, caller: &Caller, op: Operation) -> bool {
    let form = CertificateForm::default();
    match op {
        Operation::CreateKeystore => {
            let _ = kms
                .wire()
                .create_keystore(caller, &CreateKeyStoreRequestBody::default());
        }
        Operation::ListKeystores => {
            let _ = kms.wire().list_keystores(caller, None, Some("0"));
        }
        Operation::ShowKeystore => {
            let _ = kms.wire().show_keystore(caller, NO_KEY);
        }
        Operation::DeleteKeystore => {
            let _ = kms.wire().delete_keystore(caller, NO_KEY);
        }
        Operation::EnableKeystore => {
            let _ = kms.wire().enable_keystore(caller, NO_KEY);
        }
        Operation::DisableKeystore => {
            let _ = kms.wire().disable_keystore(caller, NO_KEY);
        }
        Operation::CreatePin => {
            let _ = kms
                .wire()
                .create_pin(caller, &CreatePinRequestBody::default());
        }
        Operation::CreateKey => {
            let _ = kms
                .wire()
                .create_key(caller, &CreateKeyRequestBody::default());
        }
        Operation::EnableKey => {
            let _ = kms.wire().enable_key(caller, &op_body());
        }
        Operation::DisableKey => {
            let _ = kms.wire().disable_key(caller, &op_body());
        }
        Operation::ScheduleKeyDeletion => {
            // A body rule broken (pending_days 1): refused, and audited.
            let _ = kms.wire().schedule_key_deletion(
                caller,
                &ScheduleKeyDeletionRequestBody {
                    key_id: NO_KEY.into(),
                    pending_days: "1".into(),
                    sequence: None,
                },
            );
        }
        Operation::CancelKeyDeletion => {
            let _ = kms.wire().cancel_key_deletion(caller, &op_body());
        }
        Operation::DescribeKey => {
            let _ = kms.wire().describe_key(caller, &op_body());
        }
        Operation::ListKeys => {
            let _ = kms
                .wire()
                .list_keys(caller, &ListKeysRequestBody::default());
        }
        Operation::UpdateKeyAlias => {
            let _ = kms
                .wire()
                .update_key_alias(caller, &UpdateKeyAliasRequestBody::default());
        }
        Operation::UpdateKeyDescription => {
            let _ = kms
                .wire()
                .update_key_description(caller, &UpdateKeyDescriptionRequestBody::default());
        }
        Operation::EncryptData => {
            let _ = kms
                .wire()
                .encrypt_data(caller, &EncryptDataRequestBody::default());
        }
        Operation::DecryptData => {
            let _ = kms
                .wire()
                .decrypt_data(caller, &DecryptDataRequestBody::default());
        }
        Operation::ReEncrypt => {
            let _ = kms
                .wire()
                .re_encrypt(caller, &ReEncryptRequestBody::default());
        }
        Operation::EnableKeyRotation => {
            let _ = kms.wire().enable_key_rotation(caller, &op_body());
        }
        Operation::DisableKeyRotation => {
            let _ = kms.wire().disable_key_rotation(caller, &op_body());
        }
        Operation::GetKeyRotationStatus => {
            let _ = kms.wire().get_key_rotation_status(caller, &op_body());
        }
        Operation::UpdateKeyRotationInterval => {
            let _ = kms.wire().update_key_rotation_interval(
                caller,
                &UpdateKeyRotationIntervalRequestBody::default(),
            );
        }
        Operation::RotateOnDemand => {
            let _ = kms
                .wire()
                .rotate_on_demand(caller, &RotateOnDemandRequestBody::default());
        }
        Operation::BatchKmsTags => {
            let _ = kms.wire().batch_kms_tags(
                caller,
                NO_KEY,
                &BatchCreateKmsTagsRequestBody::default(),
            );
        }
        Operation::ShowKmsTags => {
            let _ = kms.wire().show_kms_tags(caller, NO_KEY);
        }
        Operation::CreateKmsTag => {
            let _ = kms
                .wire()
                .create_kms_tag(caller, NO_KEY, &CreateKmsTagRequestBody::default());
        }
        Operation::DeleteKmsTag => {
            let _ = kms.wire().delete_kms_tag(caller, NO_KEY, "t");
        }
        Operation::ListKmsByTags => {
            let _ = kms
                .wire()
                .list_kms_by_tags(caller, &ListKmsByTagsRequestBody::default());
        }
        Operation::ListKmsTags => {
            let _ = kms.wire().list_kms_tags(caller);
        }
        Operation::GenRandom => {
            let _ = kms
                .wire()
                .gen_random(caller, &GenRandomRequestBody::default());
        }
        Operation::Sign => {
            let _ = kms.wire().sign(caller, &SignRequestBody::default());
        }
        Operation::ValidateSignature => {
            let _ = kms
                .wire()
                .validate_signature(caller, &VerifyRequestBody::default());
        }
        Operation::GetPublicKey => {
            let _ = kms.wire().get_public_key(caller, &op_body());
        }
        Operation::CreateDatakey => {
            let _ = kms
                .wire()
                .create_datakey(caller, &CreateDatakeyRequestBody::default());
        }
        Operation::CreateDatakeyWithoutPlaintext => {
            let _ = kms
                .wire()
                .create_datakey_without_plaintext(caller, &CreateDatakeyRequestBody::default());
        }
        Operation::EncryptDatakey => {
            let _ = kms
                .wire()
                .encrypt_datakey(caller, &EncryptDatakeyRequestBody::default());
        }
        Operation::DecryptDatakey => {
            let _ = kms
                .wire()
                .decrypt_datakey(caller, &DecryptDatakeyRequestBody::default());
        }
        Operation::CreateCertificate => {
            let _ = kms.wire().create_certificate(caller, &form);
        }
        Operation::ListCertificates => {
            let _ = kms
                .wire()
                .list_certificates(caller, &CertificateQuery::default());
        }
        Operation::ShowCertificate => {
            let _ = kms.wire().show_certificate(caller, "c0ffee");
        }
        Operation::UpdateCertificate => {
            let _ = kms.wire().update_certificate(caller, "c0ffee", &form);
        }
        Operation::DeleteCertificate => {
            let _ = kms.wire().delete_certificate(caller, "c0ffee");
        }
        Operation::ExportCertificatePrivateKey => {
            let _ = kms.wire().certificate_private_key(caller, "c0ffee");
        }
        Operation::ShowUserQuotas => {
            let _ = kms.wire().show_user_quotas(caller);
        }
        Operation::ShowUserInstances => {
            let _ = kms.wire().show_user_instances(caller);
        }
        Operation::ListSupportRegions => {
            let _ = kms.wire().list_support_regions(caller, Some("x"), None);
        }
        Operation::RotateOnSchedule => {
            assert_eq!(kms.rotate_due(10).unwrap().rotated.len(), 1);
        }
        Operation::GenerateMac => {
            let _ = kms
                .wire()
                .generate_mac(caller, &kms_model::GenerateMacRequestBody::default());
        }
        Operation::VerifyMac => {
            let _ = kms
                .wire()
                .verify_mac(caller, &kms_model::VerifyMacRequestBody::default());
        }
        Operation::DeriveSharedSecret => {
            let _ = kms
                .wire()
                .derive_shared_secret(caller, &kms_model::DeriveSharedSecretRequestBody::default());
        }
        Operation::ShowVersions => {
            let _ = kms.wire().show_versions(caller, "");
        }
        Operation::ShowVersion => {
            // An unknown version: refused, and audited.
            let _ = kms.wire().show_version(caller, "", "v9");
        }
        Operation::CreateAlias => {
            let _ = kms.wire().create_alias(
                caller,
                &kms_model::CreateAliasRequestBody {
                    key_id: NO_KEY.into(),
                    alias: "alias/a".into(),
                },
            );
        }
        Operation::ListAliases => {
            let _ = kms.wire().list_aliases(caller, None, Some("0"), None);
        }
        Operation::DeleteAlias => {
            let _ = kms
                .wire()
                .delete_alias(caller, &kms_model::DeleteAliasRequestBody::default());
        }
        Operation::AssociateAlias => {
            let _ = kms.wire().associate_alias(
                caller,
                &kms_model::AssociateAliasRequestBody {
                    alias: "alias/none".into(),
                    target_key_id: NO_KEY.into(),
                },
            );
        }
        // A valid body naming no key: refused by the typed operation
        // (KMS.0207), which audits it.
        Operation::CreateRsaDatakeyPair => {
            let _ = kms.wire().create_rsa_datakey_pair(
                caller,
                &CreateRsaDatakeyPairRequestBody {
                    key_id: NO_KEY.into(),
                    key_spec: "RSA_2048".into(),
                    ..CreateRsaDatakeyPairRequestBody::default()
                },
            );
        }
        Operation::CreateEcDatakeyPair => {
            let _ = kms.wire().create_ec_datakey_pair(
                caller,
                &CreateEcDatakeyPairRequestBody {
                    key_id: NO_KEY.into(),
                    key_spec: "ECC_NIST_P256".into(),
                    ..CreateEcDatakeyPairRequestBody::default()
                },
            );
        }
        Operation::CreateParametersForImport => {
            let _ = kms.wire().get_parameters_for_import(
                caller,
                &kms_model::GetParametersForImportRequestBody {
                    key_id: NO_KEY.into(),
                    wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                    sequence: None,
                },
            );
        }
        Operation::ImportKeyMaterial => {
            let _ = kms.wire().import_key_material(
                caller,
                &kms_model::ImportKeyMaterialRequestBody {
                    key_id: NO_KEY.into(),
                    import_token: "AAAA".into(),
                    encrypted_key_material: "AAAA".into(),
                    ..kms_model::ImportKeyMaterialRequestBody::default()
                },
            );
        }
        Operation::DeleteImportedKeyMaterial => {
            let _ = kms.wire().delete_imported_key_material(caller, &op_body());
        }
        Operation::ReplicateKey => {
            let _ = kms.wire().replicate_key(
                caller,
                NO_KEY,
                &kms_model::ReplicateKeyRequestBody {
                    replica_region: "cn-south-1".into(),
                    key_alias: "r".into(),
                    replica_project_id: "p2".into(),
                    ..Default::default()
                },
            );
        }
        Operation::UpdatePrimaryRegion => {
            let _ = kms.wire().update_primary_region(
                caller,
                NO_KEY,
                &kms_model::UpdatePrimaryRegionRequestBody {
                    key_id: None,
                    primary_region: "cn-south-1".into(),
                },
            );
        }
        Operation::CreateGrant => {
            let _ = kms
                .wire()
                .create_grant(caller, &CreateGrantRequestBody::default());
        }
        Operation::ListGrants => {
            let _ = kms.wire().list_grants(
                caller,
                &ListGrantsRequestBody {
                    key_id: NO_KEY.into(),
                    ..Default::default()
                },
            );
        }
        Operation::ListRetirableGrants => {
            let _ = kms
                .wire()
                .list_retirable_grants(caller, &ListRetirableGrantsRequestBody::default());
        }
        Operation::RevokeGrant => {
            let _ = kms
                .wire()
                .revoke_grant(caller, &RevokeGrantRequestBody::default());
        }
        Operation::RetireGrant => {
            let _ = kms.wire().retire_grant(
                caller,
                &RevokeGrantRequestBody {
                    key_id: NO_KEY.into(),
                    grant_id: "ab".repeat(32),
                    sequence: None,
                },
            );
        }
        _ => return false,
    }
    true
}

#[test]
fn every_operation_writes_one_audit_line_named_after_it() {
    let (kms, audit, clock) = kms_with_clock();
    let caller = Caller::new("dom-a", "proj-a");
    let mut unknown = Vec::new();
    for &op in Operation::ALL {
        if op == Operation::RotateOnSchedule {
            a_key_due_for_rotation(&kms, &caller, &clock);
        }
        let before = audit.events().len();
        if !call(&kms, &caller, op) {
            unknown.push(op.name());
            continue;
        }
        let events = audit.events();
        let new: Vec<_> = events[before..].iter().map(|e| e.action).collect();
        assert_eq!(new, [op.name()], "{op:?} must write exactly one line");
        let e = &events[before];
        assert_eq!(
            (e.domain_id.as_str(), e.project_id.as_str()),
            ("dom-a", "proj-a")
        );
    }
    assert!(
        unknown.is_empty(),
        "operations this test does not call: {unknown:?}"
    );
}

#[test]
fn a_refused_body_is_audited_with_its_code() {
    let (kms, audit) = kms();
    let caller = Caller::new("dom-a", "proj-a");
    let e = kms
        .wire()
        .schedule_key_deletion(
            &caller,
            &ScheduleKeyDeletionRequestBody {
                key_id: NO_KEY.into(),
                pending_days: "1".into(),
                sequence: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code().as_str(), "KMS.1401");
    let last = audit.events().pop().unwrap();
    assert_eq!(
        (last.action, last.error_code, last.resource.as_deref()),
        ("schedule-key-deletion", Some("KMS.1401"), Some(NO_KEY))
    );
}

#[test]
fn operation_names_are_unique() {
    let names: HashSet<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    assert_eq!(names.len(), Operation::ALL.len());
}
