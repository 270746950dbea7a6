//! CMK management through the core with in-memory adapters and a manual
//! clock: describe-key, list-keys, update alias and description,
//! cancel-key-deletion, and the deletion window evaluated against the clock.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateKeyRequestBody, ErrorCode, ListKeysRequestBody,
    LooseString, OperateKeyRequestBody, ScheduleKeyDeletionRequestBody, UpdateKeyAliasRequestBody,
    UpdateKeyDescriptionRequestBody,
};

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400_000;

struct Fixture {
    kms: Kms,
    clock: Arc<ManualClock>,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let ports = memory::ports(
        &[9u8; 32],
        [3u8; 32],
        clock.clone(),
        vec![],
        Arc::new(VecAudit::default()),
    )
    .unwrap();
    Fixture {
        kms: Kms::new(ports, CoreConfig::default()),
        clock,
    }
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn b() -> Caller {
    Caller::new("dom-b", "proj-b")
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
}

fn create(f: &Fixture, alias: &str) -> String {
    f.kms
        .wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_description: Some(format!("{alias} description")),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn op(key_id: &str) -> OperateKeyRequestBody {
    OperateKeyRequestBody {
        key_id: key_id.into(),
        sequence: None,
    }
}

fn schedule(f: &Fixture, key_id: &str, days: &str) {
    f.kms
        .wire()
        .schedule_key_deletion(
            &a(),
            &ScheduleKeyDeletionRequestBody {
                key_id: key_id.into(),
                pending_days: days.into(),
                sequence: None,
            },
        )
        .unwrap();
}

fn list(f: &Fixture, body: ListKeysRequestBody) -> kms_model::ListKeysResponseBody {
    f.kms.wire().list_keys(&a(), &body).unwrap()
}

#[test]
fn describe_key_reports_every_field_as_the_sdk_reads_it() {
    let f = fixture();
    let k = create(&f, "described");
    let d = f.kms.wire().describe_key(&a(), &op(&k)).unwrap().key_info;
    assert_eq!(d.key_id, k);
    assert_eq!(d.domain_id, "dom-a");
    assert_eq!(d.key_alias, "described");
    assert_eq!(d.key_description, "described description");
    assert_eq!(d.key_state, "2");
    assert_eq!(d.key_spec, "AES_256");
    assert_eq!(d.key_usage, "ENCRYPT_DECRYPT");
    assert_eq!(d.origin, "kms");
    assert_eq!(d.creation_date, NOW.to_string());
    assert_eq!(d.scheduled_deletion_date, "");
    assert_eq!(d.keystore_id, "0");
    assert_eq!(d.realm, "local-1");
    // Another project's key does not exist; a malformed id is KMS.0205.
    assert_err(
        f.kms.wire().describe_key(&b(), &op(&k)),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms.wire().describe_key(&a(), &op("nope")),
        ErrorCode::KmsInvalidKeyId,
    );
}

#[test]
fn list_keys_pages_with_marker_and_filters_by_state_and_spec() {
    let f = fixture();
    let mut ids = Vec::new();
    for n in 0..5 {
        f.clock.set(Timestamp(NOW + n));
        ids.push(create(&f, &format!("k{n}")));
    }
    f.kms.wire().disable_key(&a(), &op(&ids[1])).unwrap();
    let page = list(
        &f,
        ListKeysRequestBody {
            limit: Some("2".into()),
            ..Default::default()
        },
    );
    assert_eq!(page.keys, ids[..2]);
    assert_eq!(page.total, 5);
    assert_eq!(page.truncated, "true");
    assert_eq!(page.next_marker, "2");
    assert_eq!(page.key_details[1].key_state, "3");
    let last = list(
        &f,
        ListKeysRequestBody {
            limit: Some(LooseString::from("2")),
            marker: Some(LooseString::from("4")),
            ..Default::default()
        },
    );
    assert_eq!(last.keys, ids[4..]);
    assert_eq!(last.truncated, "false");
    assert_eq!(last.next_marker, "");
    let disabled = list(
        &f,
        ListKeysRequestBody {
            key_state: Some("3".into()),
            ..Default::default()
        },
    );
    assert_eq!(disabled.keys, vec![ids[1].clone()]);
    assert_eq!(disabled.total, 1);
    for (spec, n) in [("ALL", 5), ("AES_256", 5), ("RSA_2048", 0)] {
        let r = list(
            &f,
            ListKeysRequestBody {
                key_spec: Some(spec.into()),
                ..Default::default()
            },
        );
        assert_eq!(r.total, n, "{spec}");
    }
    // A limit above 1000 is a page of (at most) 1000: Terraform's
    // huaweicloud_kms_keys data source sends `"limit": 2000`. It used to be
    // refused (KMS.0308); the real service accepts it.
    let all = list(
        &f,
        ListKeysRequestBody {
            limit: Some("2000".into()),
            ..Default::default()
        },
    );
    assert_eq!(all.keys, ids);
    assert_eq!(all.truncated, "false");
    assert_eq!(all.next_marker, "");
    for (bad, code) in [
        (
            ListKeysRequestBody {
                limit: Some("0".into()),
                ..Default::default()
            },
            ErrorCode::KmsInvalidLimit,
        ),
        (
            ListKeysRequestBody {
                marker: Some("-1".into()),
                ..Default::default()
            },
            ErrorCode::KmsInvalidMarker,
        ),
        (
            ListKeysRequestBody {
                key_state: Some("6".into()),
                ..Default::default()
            },
            ErrorCode::KmsInvalidParameter,
        ),
        (
            ListKeysRequestBody {
                key_spec: Some("AES_128".into()),
                ..Default::default()
            },
            ErrorCode::KmsInvalidParameter,
        ),
    ] {
        assert_err(f.kms.wire().list_keys(&a(), &bad), code);
    }
    assert_eq!(
        f.kms
            .wire()
            .list_keys(&b(), &ListKeysRequestBody::default())
            .unwrap()
            .total,
        0
    );
}

#[test]
fn alias_and_description_updates() {
    let f = fixture();
    let k = create(&f, "first");
    create(&f, "taken");
    let r = f
        .kms
        .wire()
        .update_key_alias(
            &a(),
            &UpdateKeyAliasRequestBody {
                key_id: k.clone(),
                key_alias: "renamed".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(r.key_info.key_alias, "renamed");
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op(&k))
            .unwrap()
            .key_info
            .key_alias,
        "renamed",
        "the record cache is invalidated"
    );
    let rename = |alias: &str| UpdateKeyAliasRequestBody {
        key_id: k.clone(),
        key_alias: alias.into(),
        sequence: None,
    };
    assert_err(
        f.kms.wire().update_key_alias(&a(), &rename("taken")),
        ErrorCode::KmsDuplicateKeyAlias,
    );
    assert_err(
        f.kms.wire().update_key_alias(&a(), &rename("bad alias")),
        ErrorCode::KmsInvalidKeyAlias,
    );
    f.kms
        .wire()
        .update_key_alias(&a(), &rename("renamed"))
        .unwrap();
    let describe = |d: &str| UpdateKeyDescriptionRequestBody {
        key_id: k.clone(),
        key_description: d.into(),
        sequence: None,
    };
    f.kms
        .wire()
        .update_key_description(&a(), &describe("new text"))
        .unwrap();
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op(&k))
            .unwrap()
            .key_info
            .key_description,
        "new text"
    );
    assert_err(
        f.kms
            .wire()
            .update_key_description(&a(), &describe(&"x".repeat(256))),
        ErrorCode::KmsInvalidKeyDescription,
    );
    schedule(&f, &k, "7");
    assert_err(
        f.kms.wire().update_key_description(&a(), &describe("late")),
        ErrorCode::KmsKeyPendingDeletion,
    );
    assert_err(
        f.kms.wire().update_key_alias(&a(), &rename("late")),
        ErrorCode::KmsKeyPendingDeletion,
    );
}

#[test]
fn a_key_past_its_deletion_date_is_gone_and_cancel_restores_a_disabled_key() {
    let f = fixture();
    let k = create(&f, "doomed");
    let keep = create(&f, "kept");
    assert_err(
        f.kms.wire().cancel_key_deletion(&a(), &op(&k)),
        ErrorCode::KmsKeyNotPendingDeletion,
    );
    schedule(&f, &k, "7");
    let d = f.kms.wire().describe_key(&a(), &op(&k)).unwrap().key_info;
    assert_eq!(d.key_state, "4");
    assert_eq!(d.scheduled_deletion_date, (NOW + 7 * DAY).to_string());
    // Cancel within the window: disabled, usable again once enabled.
    let c = f.kms.wire().cancel_key_deletion(&a(), &op(&k)).unwrap();
    assert_eq!(c.key_state, "3");
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op(&k))
            .unwrap()
            .key_info
            .key_state,
        "3"
    );
    f.kms.wire().enable_key(&a(), &op(&k)).unwrap();
    let dek = CreateDatakeyRequestBody {
        key_id: k.clone(),
        ..Default::default()
    };
    f.kms
        .wire()
        .create_datakey_without_plaintext(&a(), &dek)
        .unwrap();
    // Schedule again and let the clock pass the date: gone everywhere.
    schedule(&f, &k, "7");
    f.clock.set(Timestamp(NOW + 7 * DAY - 1));
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op(&k))
            .unwrap()
            .key_info
            .key_state,
        "4"
    );
    assert_eq!(list(&f, ListKeysRequestBody::default()).total, 2);
    f.clock.set(Timestamp(NOW + 7 * DAY));
    assert_err(
        f.kms.wire().describe_key(&a(), &op(&k)),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms.wire().cancel_key_deletion(&a(), &op(&k)),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms.wire().enable_key(&a(), &op(&k)),
        ErrorCode::KmsKeyNotFound,
    );
    assert_err(
        f.kms.wire().create_datakey_without_plaintext(&a(), &dek),
        ErrorCode::KmsKeyNotFound,
    );
    let all = list(&f, ListKeysRequestBody::default());
    assert_eq!(all.keys, vec![keep]);
    assert_eq!(all.total, 1);
    let pending = list(
        &f,
        ListKeysRequestBody {
            key_state: Some("4".into()),
            ..Default::default()
        },
    );
    assert_eq!(pending.total, 0);
}

#[test]
fn a_gone_key_frees_its_alias_for_create_and_rename() {
    let f = fixture();
    let k = create(&f, "reused");
    let other = create(&f, "other");
    schedule(&f, &k, "7");
    assert_err(
        f.kms.wire().create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: "reused".into(),
                ..Default::default()
            },
        ),
        ErrorCode::KmsDuplicateKeyAlias,
    );
    f.clock.set(Timestamp(NOW + 7 * DAY));
    let again = create(&f, "reused");
    assert_ne!(again, k);
    schedule(&f, &again, "7");
    f.clock.set(Timestamp(NOW + 14 * DAY));
    f.kms
        .wire()
        .update_key_alias(
            &a(),
            &UpdateKeyAliasRequestBody {
                key_id: other.clone(),
                key_alias: "reused".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(
        f.kms
            .wire()
            .describe_key(&a(), &op(&other))
            .unwrap()
            .key_info
            .key_alias,
        "reused"
    );
}

/// The typed face: validated requests in, the key's record as written
/// out, numbers and times as numbers; the wire face renders the same
/// record.
#[test]
fn typed_key_operations_return_the_records_they_wrote() {
    use kms_core::ErrorKind;
    use kms_core::ports::KeyState;
    use kms_model::{
        CreateKeyRequest, ListKeysRequest, OperateKeyRequest, ScheduleKeyDeletionRequest,
        UpdateKeyAliasRequest, UpdateKeyDescriptionRequest,
    };

    let f = fixture();
    let created = f
        .kms
        .create_key(
            &a(),
            &CreateKeyRequest::from_body(&CreateKeyRequestBody {
                key_alias: "typed".into(),
                key_description: Some("typed description".into()),
                ..Default::default()
            })
            .unwrap(),
        )
        .unwrap();
    assert_eq!(created.alias, "typed");
    assert_eq!(created.description, "typed description");
    assert_eq!(created.state, KeyState::Enabled);
    assert_eq!(created.current_version, 1);
    assert_eq!(created.create_time, Timestamp(NOW));
    assert_eq!(created.deletion_time, None);
    assert_eq!(
        (created.domain_id.as_str(), created.project_id.as_str()),
        ("dom-a", "proj-a")
    );
    let op_req = |k: &str| OperateKeyRequest::from_body(&op(k)).unwrap();
    // What describe-key reads back is what create-key returned.
    assert_eq!(
        f.kms.describe_key(&a(), &op_req(&created.key_id)).unwrap(),
        created
    );

    let disabled = f.kms.disable_key(&a(), &op_req(&created.key_id)).unwrap();
    assert_eq!(disabled.state, KeyState::Disabled);
    let e = f
        .kms
        .disable_key(&a(), &op_req(&created.key_id))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        (ErrorCode::KmsKeyNotEnabled, ErrorKind::Refused)
    );
    assert_eq!(
        f.kms
            .enable_key(&a(), &op_req(&created.key_id))
            .unwrap()
            .state,
        KeyState::Enabled
    );

    let renamed = f
        .kms
        .update_key_alias(
            &a(),
            &UpdateKeyAliasRequest::from_body(&UpdateKeyAliasRequestBody {
                key_id: created.key_id.clone(),
                key_alias: "typed-renamed".into(),
                sequence: None,
            })
            .unwrap(),
        )
        .unwrap();
    assert_eq!(renamed.alias, "typed-renamed");
    let redescribed = f
        .kms
        .update_key_description(
            &a(),
            &UpdateKeyDescriptionRequest::from_body(&UpdateKeyDescriptionRequestBody {
                key_id: created.key_id.clone(),
                key_description: "new words".into(),
                sequence: None,
            })
            .unwrap(),
        )
        .unwrap();
    assert_eq!(
        (redescribed.alias.as_str(), redescribed.description.as_str()),
        ("typed-renamed", "new words")
    );
    assert_eq!(
        f.kms.describe_key(&a(), &op_req(&created.key_id)).unwrap(),
        redescribed
    );

    let scheduled = f
        .kms
        .schedule_key_deletion(
            &a(),
            &ScheduleKeyDeletionRequest::from_body(&ScheduleKeyDeletionRequestBody {
                key_id: created.key_id.clone(),
                pending_days: "7".into(),
                sequence: None,
            })
            .unwrap(),
        )
        .unwrap();
    assert_eq!(scheduled.state, KeyState::PendingDeletion);
    assert_eq!(scheduled.deletion_time, Some(Timestamp(NOW + 7 * DAY)));
    // The wire renders that record: state code and millisecond text.
    let d = f
        .kms
        .wire()
        .describe_key(&a(), &op(&created.key_id))
        .unwrap()
        .key_info;
    assert_eq!(d.key_state, "4");
    assert_eq!(d.scheduled_deletion_date, (NOW + 7 * DAY).to_string());
    let cancelled = f
        .kms
        .cancel_key_deletion(&a(), &op_req(&created.key_id))
        .unwrap();
    assert_eq!(
        (cancelled.state, cancelled.deletion_time),
        (KeyState::Disabled, None)
    );
    assert_eq!(
        f.kms.describe_key(&a(), &op_req(&created.key_id)).unwrap(),
        cancelled
    );

    // Another project's key is not found, a typed NotFound.
    let e = f
        .kms
        .describe_key(&b(), &op_req(&created.key_id))
        .unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        (ErrorCode::KmsKeyNotFound, ErrorKind::NotFound)
    );

    // A page: records, the next marker and the total as numbers.
    // Created later (oldest first: the order does not rest on the ids).
    let more: Vec<String> = (0..2)
        .map(|n| {
            f.clock.set(Timestamp(NOW + 1 + n));
            create(&f, &format!("more{n}"))
        })
        .collect();
    let page_req = |marker: &str| {
        ListKeysRequest::from_body(&ListKeysRequestBody {
            limit: Some("2".into()),
            marker: Some(LooseString(marker.into())),
            ..Default::default()
        })
        .unwrap()
    };
    let first = f.kms.list_keys(&a(), &page_req("0")).unwrap();
    assert_eq!(first.total, 3);
    assert_eq!(first.next_marker, Some(2));
    assert!(first.truncated());
    assert_eq!(first.keys[0], cancelled);
    assert_eq!(first.keys[1].key_id, more[0]);
    let last = f.kms.list_keys(&a(), &page_req("2")).unwrap();
    assert_eq!((last.total, last.next_marker), (3, None));
    assert!(!last.truncated());
    assert_eq!(last.keys.len(), 1);
    assert_eq!(last.keys[0].key_id, more[1]);
}
