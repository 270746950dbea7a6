//! Tags of CMKs through the core with in-memory adapters.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{
    ApiError, BatchCreateKmsTagsRequestBody, CreateKeyRequestBody, CreateKmsTagRequestBody,
    ErrorCode, ListKmsByTagsRequestBody, ScheduleKeyDeletionRequestBody, Tag, TagItem,
};

fn kms() -> Kms {
    let ports = memory::test_ports([3u8; 32]).unwrap();
    Kms::new(ports, CoreConfig::default())
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn create(k: &Kms, alias: &str) -> String {
    k.wire()
        .create_key(
            &a(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn assert_err<T: std::fmt::Debug>(r: Result<T, ApiError>, code: ErrorCode) {
    let e = r.expect_err("expected an error");
    assert_eq!(e.code(), code, "{e}");
}

fn items(pairs: &[(&str, &str)]) -> Vec<TagItem> {
    pairs
        .iter()
        .map(|(k, v)| TagItem {
            key: (*k).into(),
            value: (*v).into(),
        })
        .collect()
}

fn action(action: &str, pairs: &[(&str, &str)]) -> BatchCreateKmsTagsRequestBody {
    BatchCreateKmsTagsRequestBody {
        tags: items(pairs),
        action: action.into(),
        sequence: None,
    }
}

#[test]
fn create_show_delete_and_list_by_tags() {
    let k = kms();
    let one = create(&k, "app-one");
    let two = create(&k, "app-two");
    k.wire()
        .batch_kms_tags(
            &a(),
            &one,
            &action("create", &[("env", "prod"), ("team", "a")]),
        )
        .unwrap();
    k.wire()
        .batch_kms_tags(&a(), &two, &action("create", &[("env", "dev")]))
        .unwrap();
    let shown = k.wire().show_kms_tags(&a(), &one).unwrap();
    assert_eq!(shown.tags, items(&[("env", "prod"), ("team", "a")]));
    assert_eq!(shown.exist_tags_num, 2);
    let by = |tags: Vec<Tag>, act: &str| {
        k.wire()
            .list_kms_by_tags(
                &a(),
                &ListKmsByTagsRequestBody {
                    action: act.into(),
                    tags: Some(tags),
                    ..Default::default()
                },
            )
            .unwrap()
    };
    let prod = by(
        vec![Tag {
            key: "env".into(),
            values: vec!["prod".into()],
        }],
        "filter",
    );
    assert_eq!(prod.total_count, 1);
    assert_eq!(prod.resources[0].resource_id, one);
    assert_eq!(prod.resources[0].resource_name, "app-one");
    assert_eq!(prod.resources[0].resource_detail.key_id, one);
    assert_eq!(prod.resources[0].tags, shown.tags);
    let count = by(
        vec![Tag {
            key: "env".into(),
            values: vec![],
        }],
        "count",
    );
    assert_eq!((count.total_count, count.resources.len()), (2, 0));
    let all = k.wire().list_kms_tags(&a()).unwrap();
    assert_eq!(
        all.tags,
        vec![
            Tag {
                key: "env".into(),
                values: vec!["dev".into(), "prod".into()],
            },
            Tag {
                key: "team".into(),
                values: vec!["a".into()],
            },
        ]
    );
    assert!(
        k.wire()
            .list_kms_tags(&Caller::new("dom-b", "proj-b"))
            .unwrap()
            .tags
            .is_empty()
    );
    k.wire()
        .batch_kms_tags(&a(), &one, &action("delete", &[("team", "")]))
        .unwrap();
    assert_eq!(
        k.wire().show_kms_tags(&a(), &one).unwrap().tags,
        items(&[("env", "prod")])
    );
}

#[test]
fn limits_and_errors() {
    let k = kms();
    let key = create(&k, "limited");
    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
    let ten_refs: Vec<(&str, &str)> = ten.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    k.wire()
        .batch_kms_tags(&a(), &key, &action("create", &ten_refs))
        .unwrap();
    assert_err(
        k.wire()
            .batch_kms_tags(&a(), &key, &action("create", &[("eleventh", "v")])),
        ErrorCode::KmsTooManyTags,
    );
    assert_eq!(
        k.wire()
            .batch_kms_tags(&a(), &key, &action("create", &[("eleventh", "v")]))
            .unwrap_err()
            .code()
            .as_str(),
        "KMS.0409",
        "the published \"Too many tags\"",
    );
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("n{i}"), "v".into())).collect();
    let eleven: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    for (bad, code) in [
        (action("replace", &[("a", "b")]), "KMS.0404"),
        (action("create", &[]), "KMS.0401"),
        (action("create", &eleven), "KMS.0407"),
        (action("create", &[("", "v")]), "KMS.0406"),
        (action("create", &[("a=b", "v")]), "KMS.0406"),
        (action("create", &[(&"k".repeat(37), "v")]), "KMS.0411"),
        (action("create", &[("k", "v*")]), "KMS.0405"),
        (action("create", &[("k", &"v".repeat(44))]), "KMS.0410"),
        (action("create", &[("dup", "1"), ("dup", "2")]), "KMS.0412"),
    ] {
        let e = k.wire().batch_kms_tags(&a(), &key, &bad).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, code), "{e}");
    }
    assert_err(
        k.wire()
            .batch_kms_tags(&a(), "bad-id", &action("create", &[("a", "b")])),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        k.wire()
            .show_kms_tags(&Caller::new("dom-b", "proj-b"), &key),
        ErrorCode::KmsKeyNotFound,
    );
    let filter = |f: &dyn Fn(&mut ListKmsByTagsRequestBody)| {
        let mut b = ListKmsByTagsRequestBody {
            action: "filter".into(),
            ..Default::default()
        };
        f(&mut b);
        b
    };
    let tag = |key: &str, values: &[&str]| Tag {
        key: key.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    };
    let many: Vec<String> = (0..11).map(|i| format!("v{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for (bad, code) in [
        (filter(&|b| b.action = "sum".into()), "KMS.0404"),
        (filter(&|b| b.limit = Some("0".into())), "KMS.1601"),
        (filter(&|b| b.offset = Some("-1".into())), "KMS.0417"),
        (
            filter(&|b| b.matches = Some(items(&[("resource_id", "x")]))),
            "KMS.0403",
        ),
        (
            filter(&|b| b.matches = Some(items(&[("resource_name", "")]))),
            "KMS.0402",
        ),
        (filter(&|b| b.tags = Some(vec![tag("", &[])])), "KMS.0406"),
        (
            filter(&|b| b.tags = Some(vec![tag("k", &["a<b"])])),
            "KMS.0405",
        ),
        (
            filter(&|b| b.tags = Some(vec![tag("k", &many)])),
            "KMS.0413",
        ),
        (
            filter(&|b| b.tags = Some(vec![tag("k", &[]), tag("k", &[])])),
            "KMS.0412",
        ),
    ] {
        let e = k.wire().list_kms_by_tags(&a(), &bad).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, code), "{e}");
    }
    let r = k
        .wire()
        .list_kms_by_tags(
            &a(),
            &ListKmsByTagsRequestBody {
                action: "filter".into(),
                matches: Some(items(&[("resource_name", "limit")])),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.total_count, 1);
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
        k.wire()
            .batch_kms_tags(&a(), &key, &action("delete", &[("k1", "")])),
        ErrorCode::KmsKeyPendingDeletion,
    );
}

#[test]
fn single_tag_create_and_delete() {
    let k = kms();
    let key = create(&k, "single");
    let one = |key_s: &str, v: &str| CreateKmsTagRequestBody {
        tag: TagItem {
            key: key_s.into(),
            value: v.into(),
        },
        sequence: None,
    };
    k.wire()
        .create_kms_tag(&a(), &key, &one("env", "prod"))
        .unwrap();
    k.wire()
        .create_kms_tag(&a(), &key, &one("env", "dev"))
        .unwrap();
    k.wire()
        .create_kms_tag(&a(), &key, &one("team", ""))
        .unwrap();
    assert_eq!(
        k.wire().show_kms_tags(&a(), &key).unwrap().tags,
        items(&[("env", "dev"), ("team", "")])
    );
    k.wire().delete_kms_tag(&a(), &key, "env").unwrap();
    k.wire().delete_kms_tag(&a(), &key, "absent").unwrap();
    assert_eq!(
        k.wire().show_kms_tags(&a(), &key).unwrap().tags,
        items(&[("team", "")])
    );
    assert_err(
        k.wire().create_kms_tag(&a(), &key, &one("", "v")),
        ErrorCode::KmsInvalidTagKey,
    );
    assert_err(
        k.wire().delete_kms_tag(&a(), &key, "a*b"),
        ErrorCode::KmsInvalidTagKey,
    );
    assert_err(
        k.wire().delete_kms_tag(&a(), "x", "env"),
        ErrorCode::KmsInvalidKeyId,
    );
    assert_err(
        k.wire()
            .create_kms_tag(&Caller::new("dom-b", "proj-b"), &key, &one("k", "v")),
        ErrorCode::KmsKeyNotFound,
    );
}
