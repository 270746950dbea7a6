//! Key rotation through the core: policy, status, rotate-on-demand, and
//! old DEK and data ciphertexts decrypting after rotation while new ones
//! use the new version.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use base64ct::Encoding as _;
use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody,
    DecryptDatakeyRequestBody, EncryptDataRequestBody, ErrorCode, LooseString,
    OperateKeyRequestBody, RotateOnDemandRequestBody, ScheduleKeyDeletionRequestBody,
    UpdateKeyRotationIntervalRequestBody,
};

const NOW: i64 = 1_767_225_600_000;

fn setup() -> (Kms, Arc<ManualClock>, String) {
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let ports = memory::ports(
        &[9u8; 32],
        [3u8; 32],
        clock.clone(),
        vec![],
        Arc::new(VecAudit::default()),
    )
    .unwrap();
    let kms = Kms::new(ports, CoreConfig::default());
    let key = kms
        .wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "rotated".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    (kms, clock, key)
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn op(key_id: &str) -> OperateKeyRequestBody {
    OperateKeyRequestBody {
        key_id: key_id.into(),
        sequence: None,
    }
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
}

fn rotate(k: &Kms, key: &str) {
    let r = k
        .wire()
        .rotate_on_demand(&a(), &RotateOnDemandRequestBody { key_id: key.into() })
        .unwrap();
    assert_eq!(r.key_id, key);
}

fn dek(k: &Kms, key: &str) -> (String, String) {
    let r = k
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: key.into(),
                additional_authenticated_data: Some("aad".into()),
                ..Default::default()
            },
        )
        .unwrap();
    (r.plain_text.expose().clone(), r.cipher_text)
}

fn undek(k: &Kms, key: &str, ct: &str) -> String {
    k.wire()
        .decrypt_datakey(
            &a(),
            &DecryptDatakeyRequestBody {
                key_id: key.into(),
                cipher_text: ct.into(),
                datakey_cipher_length: "32".into(),
                additional_authenticated_data: Some("aad".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .data_key
        .expose()
        .clone()
}

fn data(k: &Kms, key: &str, text: &str) -> String {
    k.wire()
        .encrypt_data(
            &a(),
            &EncryptDataRequestBody {
                key_id: key.into(),
                plain_text: text.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .cipher_text
}

fn undata(k: &Kms, ct: &str) -> String {
    k.wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: ct.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .plain_text
        .expose()
        .clone()
}

/// The key version a ciphertext names (bytes 40..44 of the blob).
fn version_of(raw: &[u8]) -> u32 {
    u32::from_be_bytes(raw[40..44].try_into().unwrap())
}

#[test]
fn old_ciphertexts_decrypt_after_rotation_and_new_ones_use_the_new_version() {
    let (k, clock, key) = setup();
    let (p1, c1) = dek(&k, &key);
    let d1 = data(&k, &key, "before");
    clock.set(Timestamp(NOW + 5_000));
    rotate(&k, &key);
    let (p2, c2) = dek(&k, &key);
    let d2 = data(&k, &key, "after");
    assert_eq!(version_of(&base16ct::mixed::decode_vec(&c1).unwrap()), 1);
    assert_eq!(version_of(&base16ct::mixed::decode_vec(&c2).unwrap()), 2);
    assert_eq!(version_of(&base64ct::Base64::decode_vec(&d1).unwrap()), 1);
    assert_eq!(version_of(&base64ct::Base64::decode_vec(&d2).unwrap()), 2);
    assert_eq!(undek(&k, &key, &c1), p1);
    assert_eq!(undek(&k, &key, &c2), p2);
    assert_eq!(undata(&k, &d1), "before");
    assert_eq!(undata(&k, &d2), "after");
    rotate(&k, &key);
    assert_eq!(undata(&k, &d1), "before");
    assert_eq!(undek(&k, &key, &c2), p2);
    let s = k.wire().get_key_rotation_status(&a(), &op(&key)).unwrap();
    assert_eq!(s.number_of_rotations, 2);
    assert_eq!(s.last_rotation_time, (NOW + 5_000).to_string());
    assert!(!s.key_rotation_enabled);
    assert_eq!(s.rotation_interval, 365);
}

#[test]
fn policy_enable_disable_and_interval() {
    let (k, _clock, key) = setup();
    let status = |k: &Kms| k.wire().get_key_rotation_status(&a(), &op(&key)).unwrap();
    assert_eq!(status(&k).last_rotation_time, "");
    // Rotation is off: its interval cannot change, nor can it be disabled
    // (KMS.0313 "Key rotation is not enabled").
    assert_err(
        k.wire().update_key_rotation_interval(
            &a(),
            &UpdateKeyRotationIntervalRequestBody {
                key_id: key.clone(),
                rotation_interval: LooseString::from("90"),
                sequence: None,
            },
        ),
        ErrorCode::KmsRotationNotEnabled,
    );
    assert_err(
        k.wire().disable_key_rotation(&a(), &op(&key)),
        ErrorCode::KmsRotationNotEnabled,
    );
    k.wire().enable_key_rotation(&a(), &op(&key)).unwrap();
    // Enabled: enabling again is KMS.2901 ("Key rotation is not disabled").
    assert_err(
        k.wire().enable_key_rotation(&a(), &op(&key)),
        ErrorCode::KmsRotationNotDisabled,
    );
    assert!(
        status(&k).key_rotation_enabled,
        "the record cache is invalidated"
    );
    assert_eq!(
        k.wire()
            .describe_key(&a(), &op(&key))
            .unwrap()
            .key_info
            .key_rotation_enabled,
        "true"
    );
    let interval = |v: &str| UpdateKeyRotationIntervalRequestBody {
        key_id: key.clone(),
        rotation_interval: LooseString::from(v),
        sequence: None,
    };
    k.wire()
        .update_key_rotation_interval(&a(), &interval("30"))
        .unwrap();
    assert_eq!(status(&k).rotation_interval, 30);
    for bad in ["29", "366", "x", ""] {
        assert_err(
            k.wire().update_key_rotation_interval(&a(), &interval(bad)),
            ErrorCode::KmsInvalidRotationInterval,
        );
    }
    k.wire().disable_key_rotation(&a(), &op(&key)).unwrap();
    assert_err(
        k.wire().disable_key_rotation(&a(), &op(&key)),
        ErrorCode::KmsRotationNotEnabled,
    );
    assert_err(
        k.wire().update_key_rotation_interval(&a(), &interval("60")),
        ErrorCode::KmsRotationNotEnabled,
    );
    let s = status(&k);
    assert!(!s.key_rotation_enabled);
    assert_eq!(s.rotation_interval, 30, "the interval survives disabling");
    // Only an enabled key's rotation changes.
    k.wire().disable_key(&a(), &op(&key)).unwrap();
    assert_err(
        k.wire().enable_key_rotation(&a(), &op(&key)),
        ErrorCode::KmsKeyDisabled,
    );
    assert_err(
        k.wire().rotate_on_demand(
            &a(),
            &RotateOnDemandRequestBody {
                key_id: key.clone(),
            },
        ),
        ErrorCode::KmsKeyDisabled,
    );
    k.wire().enable_key(&a(), &op(&key)).unwrap();
    k.wire()
        .schedule_key_deletion(
            &a(),
            &ScheduleKeyDeletionRequestBody {
                key_id: key.clone(),
                pending_days: "7".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_err(
        k.wire().update_key_rotation_interval(&a(), &interval("90")),
        ErrorCode::KmsKeyPendingDeletion,
    );
    assert_err(
        k.wire().get_key_rotation_status(&a(), &op("bad")),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        k.wire().rotate_on_demand(
            &Caller::new("dom-b", "proj-b"),
            &RotateOnDemandRequestBody {
                key_id: key.clone(),
            },
        ),
        ErrorCode::KmsKeyNotFound,
    );
}

/// The typed face: rotate-on-demand returns the version it made current,
/// get-key-rotation-status the policy and history with the last rotation
/// as a `Timestamp`; the wire renders the same values as text.
#[test]
fn typed_rotation_reports_versions_and_times_as_numbers() {
    use kms_model::{OperateKeyRequest, RotateOnDemandRequest, UpdateKeyRotationIntervalRequest};

    let (k, clock, key) = setup();
    let op_req = OperateKeyRequest::from_body(&op(&key)).unwrap();
    let status = k.get_key_rotation_status(&a(), &op_req).unwrap();
    assert!(!status.enabled);
    assert_eq!(status.interval_days, 365);
    assert_eq!(status.last_rotation_time, None);
    assert_eq!(status.rotations, 0);

    let rotate = RotateOnDemandRequest::from_body(&RotateOnDemandRequestBody {
        key_id: key.clone(),
    })
    .unwrap();
    clock.set(Timestamp(NOW + 1_000));
    assert_eq!(k.rotate_on_demand(&a(), &rotate).unwrap(), 2);
    clock.set(Timestamp(NOW + 5_000));
    assert_eq!(k.rotate_on_demand(&a(), &rotate).unwrap(), 3);

    k.enable_key_rotation(&a(), &op_req).unwrap();
    let e = k.enable_key_rotation(&a(), &op_req).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsRotationNotDisabled);
    k.update_key_rotation_interval(
        &a(),
        &UpdateKeyRotationIntervalRequest::from_body(&UpdateKeyRotationIntervalRequestBody {
            key_id: key.clone(),
            rotation_interval: LooseString("90".into()),
            sequence: None,
        })
        .unwrap(),
    )
    .unwrap();
    let status = k.get_key_rotation_status(&a(), &op_req).unwrap();
    assert!(status.enabled);
    assert_eq!(status.interval_days, 90);
    assert_eq!(status.last_rotation_time, Some(Timestamp(NOW + 5_000)));
    assert_eq!(status.rotations, 2);
    let wire = k.wire().get_key_rotation_status(&a(), &op(&key)).unwrap();
    assert_eq!(wire.last_rotation_time, (NOW + 5_000).to_string());
    assert_eq!(
        (
            wire.key_rotation_enabled,
            wire.rotation_interval,
            wire.number_of_rotations
        ),
        (true, 90, 2)
    );

    k.disable_key_rotation(&a(), &op_req).unwrap();
    assert!(!k.get_key_rotation_status(&a(), &op_req).unwrap().enabled);
}

// ---------------------------------------------------------------- automatic rotation

const DAY: i64 = 86_400_000;

/// Enabled, number of rotations, last rotation time, interval.
fn status(k: &Kms, key: &str) -> (bool, u32, String, u32) {
    let s = k.wire().get_key_rotation_status(&a(), &op(key)).unwrap();
    (
        s.key_rotation_enabled,
        s.number_of_rotations,
        s.last_rotation_time,
        s.rotation_interval,
    )
}

fn set_interval(k: &Kms, key: &str, days: u32) {
    k.wire()
        .update_key_rotation_interval(
            &a(),
            &UpdateKeyRotationIntervalRequestBody {
                key_id: key.into(),
                rotation_interval: LooseString(days.to_string()),
                sequence: None,
            },
        )
        .unwrap();
}

#[test]
fn a_key_rotates_once_when_its_interval_has_passed_and_old_ciphertexts_still_open() {
    let (k, clock, key) = setup();
    // Created at NOW; rotation turned on 10 days later, interval 30 days:
    // due at NOW + 40 days, counted from the enabling, not the creation.
    clock.set(Timestamp(NOW + 10 * DAY));
    k.wire().enable_key_rotation(&a(), &op(&key)).unwrap();
    set_interval(&k, &key, 30);
    let (plain, ct) = dek(&k, &key);
    let sealed = data(&k, &key, "before");

    clock.set(Timestamp(NOW + 40 * DAY - 1));
    let sweep = k.rotate_due(100).unwrap();
    assert!(
        sweep.rotated.is_empty() && sweep.failed.is_empty(),
        "{sweep:?}"
    );
    assert_eq!(status(&k, &key).1, 0);

    clock.set(Timestamp(NOW + 40 * DAY));
    let sweep = k.rotate_due(100).unwrap();
    assert_eq!(sweep.rotated, [(key.clone(), 2)]);
    assert!(sweep.failed.is_empty());
    assert_eq!(
        status(&k, &key),
        (true, 1, (NOW + 40 * DAY).to_string(), 30),
        "one rotation, at the sweep's instant"
    );

    // A second sweep at the same instant finds nothing due.
    assert!(k.rotate_due(100).unwrap().rotated.is_empty());
    // New DEKs use version 2; the old DEK and data still open.
    let (_, ct2) = dek(&k, &key);
    assert_eq!(version_of(&base16ct::mixed::decode_vec(&ct2).unwrap()), 2);
    assert_eq!(undek(&k, &key, &ct), plain);
    assert_eq!(undata(&k, &sealed), "before");

    // The next interval counts from the rotation.
    clock.set(Timestamp(NOW + 70 * DAY - 1));
    assert!(k.rotate_due(100).unwrap().rotated.is_empty());
    clock.set(Timestamp(NOW + 70 * DAY));
    assert_eq!(k.rotate_due(100).unwrap().rotated, [(key.clone(), 3)]);
    assert_eq!(status(&k, &key).1, 2);
}

#[test]
fn keys_without_rotation_disabled_or_key_pairs_never_rotate_by_themselves() {
    let (k, clock, key) = setup();
    // Rotation off (the default).
    let pair = k
        .wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "pair".into(),
                key_spec: Some("EC_P256".into()),
                key_usage: Some("SIGN_VERIFY".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    let off = k
        .wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "off".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    // On, then the key disabled.
    k.wire().enable_key_rotation(&a(), &op(&key)).unwrap();
    k.wire().disable_key(&a(), &op(&key)).unwrap();
    clock.set(Timestamp(NOW + 1000 * DAY));
    let sweep = k.rotate_due(100).unwrap();
    assert!(
        sweep.rotated.is_empty() && sweep.failed.is_empty(),
        "{sweep:?}"
    );
    for id in [&key, &off, &pair] {
        assert_eq!(status(&k, id).1, 0);
    }
    // Enabled again: due at once (its interval started over a year ago).
    k.wire().enable_key(&a(), &op(&key)).unwrap();
    assert_eq!(k.rotate_due(100).unwrap().rotated, [(key.clone(), 2)]);
}

#[test]
fn sweeps_racing_on_threads_rotate_a_due_key_once() {
    let (k, clock, key) = setup();
    k.wire().enable_key_rotation(&a(), &op(&key)).unwrap();
    clock.set(Timestamp(NOW + 400 * DAY));
    let k = Arc::new(k);
    let rotated: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let k = k.clone();
                s.spawn(move || k.rotate_due(100).unwrap().rotated.len())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(rotated, 1, "one sweep rotates the key, the others skip it");
    assert_eq!(status(&k, &key).1, 1);
}
