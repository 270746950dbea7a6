//! show-user-quotas, show-user-instances and list-support-regions through
//! the core: the counts follow the project's keys (pending deletion
//! included), the CMK quota is the one create-key enforces (KMS.1105), and
//! the regions are the configured one.

use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{CreateKeyRequestBody, ErrorCode, ScheduleKeyDeletionRequestBody};

fn kms(max_keys: u64) -> Kms {
    Kms::new(
        memory::test_ports([3u8; 32]).unwrap(),
        CoreConfig {
            region_id: "eu-test-1".to_owned(),
            max_keys_per_project: max_keys,
            ..CoreConfig::default()
        },
    )
}

fn create(k: &Kms, c: &Caller, alias: &str) -> Result<String, ErrorCode> {
    k.wire()
        .create_key(
            c,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
        .map(|r| r.key_info.key_id)
        .map_err(|e| e.code())
}

/// `(type, used, quota)` of each entry of show-user-quotas.
fn quotas(k: &Kms, c: &Caller) -> Vec<(String, u64, u64)> {
    k.wire()
        .show_user_quotas(c)
        .unwrap()
        .quotas
        .resources
        .into_iter()
        .map(|r| (r.kind, r.used, r.quota))
        .collect()
}

fn cmk(k: &Kms, c: &Caller) -> (u64, u64) {
    quotas(k, c)
        .into_iter()
        .find(|(kind, _, _)| kind == "CMK")
        .map(|(_, used, quota)| (used, quota))
        .expect("a CMK entry")
}

#[test]
fn the_cmk_quota_counts_the_projects_keys_and_is_enforced() {
    let k = kms(3);
    let a = Caller::new("dom-a", "proj-a");
    let b = Caller::new("dom-b", "proj-b");
    assert_eq!(cmk(&k, &a), (0, 3));
    assert_eq!(k.wire().show_user_instances(&a).unwrap().instance_num, 0);
    let first = create(&k, &a, "q0").unwrap();
    create(&k, &a, "q1").unwrap();
    assert_eq!(cmk(&k, &a), (2, 3));
    // A key pending deletion still counts (create-key counts it too).
    k.wire()
        .schedule_key_deletion(
            &a,
            &ScheduleKeyDeletionRequestBody {
                key_id: first,
                pending_days: "7".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(cmk(&k, &a), (2, 3));
    assert_eq!(k.wire().show_user_instances(&a).unwrap().instance_num, 2);
    create(&k, &a, "q2").unwrap();
    assert_eq!(cmk(&k, &a), (3, 3));
    // At the quota: create-key refuses with the published code, and the
    // count does not move.
    assert_eq!(create(&k, &a, "q3"), Err(ErrorCode::KmsTooManyKeys));
    assert_eq!(cmk(&k, &a), (3, 3));
    assert_eq!(k.wire().show_user_instances(&a).unwrap().instance_num, 3);
    // Another project has its own count.
    assert_eq!(cmk(&k, &b), (0, 3));
    assert_eq!(k.wire().show_user_instances(&b).unwrap().instance_num, 0);
}

#[test]
fn the_regions_are_the_configured_one() {
    let k = kms(10);
    let a = Caller::new("dom-a", "proj-a");
    assert_eq!(
        k.wire()
            .list_support_regions(&a, None, None)
            .unwrap()
            .regions,
        ["eu-test-1"]
    );
}
