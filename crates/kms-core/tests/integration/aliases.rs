//! The alias API through the core with in-memory adapters: create, list
//! (filters, paging), associate, delete, the rules and codes, tenancy,
//! keys pending deletion, and an alias as `key_id` where an operation
//! accepts one.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    AliasEntity, ApiError, AssociateAliasRequestBody, CreateAliasRequestBody,
    CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDataRequestBody, DeleteAliasRequestBody,
    EncryptDataRequestBody, OperateKeyRequestBody, ScheduleKeyDeletionRequestBody,
};

const T0: i64 = 1_767_225_600_000;

struct Fixture {
    kms: Kms,
    clock: Arc<ManualClock>,
    audit: Arc<VecAudit>,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let audit = Arc::new(VecAudit::default());
    let ports = memory::ports(&[9u8; 32], [6u8; 32], clock.clone(), vec![], audit.clone()).unwrap();
    Fixture {
        kms: Kms::new(ports, CoreConfig::default()),
        clock,
        audit,
    }
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn b() -> Caller {
    Caller::new("dom-b", "proj-b")
}

fn create_key(k: &Kms, c: &Caller, alias: &str) -> String {
    k.wire()
        .create_key(
            c,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn create_alias(k: &Kms, c: &Caller, key_id: &str, alias: &str) -> Result<AliasEntity, ApiError> {
    k.wire().create_alias(
        c,
        &CreateAliasRequestBody {
            key_id: key_id.into(),
            alias: alias.into(),
        },
    )
}

fn associate(k: &Kms, c: &Caller, alias: &str, key_id: &str) -> Result<AliasEntity, ApiError> {
    k.wire().associate_alias(
        c,
        &AssociateAliasRequestBody {
            alias: alias.into(),
            target_key_id: key_id.into(),
        },
    )
}

fn delete(k: &Kms, c: &Caller, key_id: Option<&str>, aliases: &[&str]) -> Result<(), ApiError> {
    k.wire().delete_alias(
        c,
        &DeleteAliasRequestBody {
            aliases: aliases.iter().map(|s| (*s).to_owned()).collect(),
            key_id: key_id.map(str::to_owned),
        },
    )
}

fn listed(k: &Kms, c: &Caller, key_id: Option<&str>) -> Vec<(String, String)> {
    k.wire()
        .list_aliases(c, key_id, None, None)
        .unwrap()
        .aliases
        .into_iter()
        .map(|a| (a.alias, a.key_id))
        .collect()
}

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
    r.expect_err("expected an error").code().as_str()
}

fn encrypt(k: &Kms, c: &Caller, key_id: &str) -> Result<(String, String), ApiError> {
    k.wire()
        .encrypt_data(
            c,
            &EncryptDataRequestBody {
                key_id: key_id.into(),
                plain_text: "hello".into(),
                ..Default::default()
            },
        )
        .map(|r| (r.key_id, r.cipher_text))
}

#[test]
fn create_list_associate_delete() {
    let f = fixture();
    let k = &f.kms;
    let key1 = create_key(k, &a(), "one");
    let key2 = create_key(k, &a(), "two");
    let made = create_alias(k, &a(), &key1, "alias/app").unwrap();
    assert_eq!(
        made,
        AliasEntity {
            domain_id: "dom-a".into(),
            key_id: key1.clone(),
            alias: "alias/app".into(),
            alias_urn: "kms:local-1:dom-a:alias:alias/app".into(),
            create_time: "2026-01-01T00:00:00Z".into(),
            update_time: "2026-01-01T00:00:00Z".into(),
        }
    );
    assert_eq!(listed(k, &a(), None), [("alias/app".into(), key1.clone())]);
    // The same alias again, for either key: KMS.1104.
    assert_eq!(code(create_alias(k, &a(), &key2, "alias/app")), "KMS.1104");
    assert_eq!(code(create_alias(k, &a(), &key1, "alias/app")), "KMS.1104");
    // Moved to key 2 a minute later.
    f.clock.set(Timestamp(T0 + 60_000));
    let moved = associate(k, &a(), "alias/app", &key2).unwrap();
    assert_eq!(
        (
            moved.key_id.as_str(),
            moved.create_time.as_str(),
            moved.update_time.as_str()
        ),
        (
            key2.as_str(),
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:01:00Z"
        )
    );
    assert_eq!(listed(k, &a(), Some(&key1)), []);
    assert_eq!(
        listed(k, &a(), Some(&key2)),
        [("alias/app".into(), key2.clone())]
    );
    // A delete naming key 1 finds no alias/app of key 1: nothing deleted.
    assert_eq!(
        code(delete(k, &a(), Some(&key1), &["alias/app"])),
        "KMS.0207"
    );
    assert_eq!(listed(k, &a(), None).len(), 1);
    delete(k, &a(), Some(&key2), &["alias/app"]).unwrap();
    assert_eq!(listed(k, &a(), None), []);
    assert_eq!(code(delete(k, &a(), None, &["alias/app"])), "KMS.0207");
    assert_eq!(code(associate(k, &a(), "alias/app", &key1)), "KMS.0207");
}

#[test]
fn rules_and_codes() {
    let f = fixture();
    let k = &f.kms;
    let key = create_key(k, &a(), "one");
    // The alias/ prefix, a name after it, the character set, 255 bytes.
    for bad in [
        "kms-1234",
        "alias/",
        "alias/a b",
        "alias/é",
        "Alias/x",
        "",
        &format!("alias/{}", "x".repeat(250)),
    ] {
        assert_eq!(
            code(create_alias(k, &a(), &key, bad)),
            "KMS.0308",
            "{bad:?}"
        );
    }
    create_alias(k, &a(), &key, &format!("alias/{}", "x".repeat(249))).unwrap();
    create_alias(k, &a(), &key, "alias/a:b/c_d-E9").unwrap();
    assert_eq!(
        code(create_alias(k, &a(), "not-a-key", "alias/z")),
        "KMS.0205"
    );
    assert_eq!(
        code(create_alias(
            k,
            &a(),
            "00000000-0000-4000-8000-000000000000",
            "alias/z"
        )),
        "KMS.0207"
    );
    assert_eq!(code(associate(k, &a(), "alias/x", "bad")), "KMS.0205");
    assert_eq!(code(delete(k, &a(), None, &[])), "KMS.0308");
    assert_eq!(
        code(delete(k, &a(), None, &["alias/q", "alias/q"])),
        "KMS.0308"
    );
    assert_eq!(code(delete(k, &a(), Some("bad"), &["alias/q"])), "KMS.0205");
    // The query: limit 1..=100 (KMS.1601), marker an alias (KMS.1602),
    // key_id a key id (KMS.0205).
    for (limit, marker, want) in [
        (Some("0"), None, "KMS.1601"),
        (Some("101"), None, "KMS.1601"),
        (Some("ten"), None, "KMS.1601"),
        (None, Some("x"), "KMS.1602"),
    ] {
        assert_eq!(
            code(k.wire().list_aliases(&a(), None, limit, marker)),
            want,
            "{limit:?} {marker:?}"
        );
    }
    assert_eq!(
        code(k.wire().list_aliases(&a(), Some("x"), None, None)),
        "KMS.0205"
    );
    // An empty parameter is an absent one.
    assert_eq!(
        k.wire()
            .list_aliases(&a(), Some(""), Some(""), Some(""))
            .unwrap()
            .aliases
            .len(),
        2
    );
}

#[test]
fn at_most_50_aliases_per_key() {
    let f = fixture();
    let k = &f.kms;
    let key = create_key(k, &a(), "one");
    let other = create_key(k, &a(), "two");
    for i in 0..50 {
        create_alias(k, &a(), &key, &format!("alias/n{i:02}")).unwrap();
    }
    assert_eq!(code(create_alias(k, &a(), &key, "alias/n50")), "KMS.0308");
    create_alias(k, &a(), &other, "alias/elsewhere").unwrap();
    assert_eq!(
        code(associate(k, &a(), "alias/elsewhere", &key)),
        "KMS.0308"
    );
}

#[test]
fn paging_by_marker() {
    let f = fixture();
    let k = &f.kms;
    let key = create_key(k, &a(), "one");
    for n in ["alias/e", "alias/a", "alias/c", "alias/b", "alias/d"] {
        create_alias(k, &a(), &key, n).unwrap();
    }
    let mut seen = Vec::new();
    let mut marker = String::new();
    let mut pages = 0;
    loop {
        let page = k
            .wire()
            .list_aliases(&a(), Some(&key), Some("2"), Some(&marker))
            .unwrap();
        pages += 1;
        assert_eq!(page.page_info.current_count, page.aliases.len() as u64);
        seen.extend(page.aliases.iter().map(|a| a.alias.clone()));
        if page.page_info.next_marker.is_empty() {
            break;
        }
        assert_eq!(
            Some(&page.page_info.next_marker),
            seen.last(),
            "the marker is the page's last alias"
        );
        marker = page.page_info.next_marker;
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        ["alias/a", "alias/b", "alias/c", "alias/d", "alias/e"]
    );
    // A full last page says there is no next one.
    let all = k.wire().list_aliases(&a(), None, Some("5"), None).unwrap();
    assert_eq!(
        (all.aliases.len(), all.page_info.next_marker.as_str()),
        (5, "")
    );
}

#[test]
fn tenancy() {
    let f = fixture();
    let k = &f.kms;
    let key_a = create_key(k, &a(), "one");
    let key_b = create_key(k, &b(), "one");
    create_alias(k, &a(), &key_a, "alias/shared-name").unwrap();
    // Another project: its own alias of the same name, and none of A's.
    create_alias(k, &b(), &key_b, "alias/shared-name").unwrap();
    assert_eq!(
        listed(k, &b(), None),
        [("alias/shared-name".into(), key_b.clone())]
    );
    assert_eq!(code(create_alias(k, &b(), &key_a, "alias/x")), "KMS.0207");
    assert_eq!(
        code(associate(k, &b(), "alias/shared-name", &key_a)),
        "KMS.0207"
    );
    assert_eq!(code(encrypt(k, &b(), "alias/none")), "KMS.0207");
    // Each project's alias resolves to its own key.
    assert_eq!(encrypt(k, &a(), "alias/shared-name").unwrap().0, key_a);
    assert_eq!(encrypt(k, &b(), "alias/shared-name").unwrap().0, key_b);
}

#[test]
fn alias_as_key_id() {
    let f = fixture();
    let k = &f.kms;
    let key1 = create_key(k, &a(), "one");
    let key2 = create_key(k, &a(), "two");
    create_alias(k, &a(), &key1, "alias/app").unwrap();
    // encrypt-data answers (and audits) the key id the alias names.
    let (id, ct) = encrypt(k, &a(), "alias/app").unwrap();
    assert_eq!(id, key1);
    let last = f.audit.events().pop().unwrap();
    assert_eq!(
        (last.action, last.resource.as_deref()),
        ("encrypt-data", Some(key1.as_str()))
    );
    // decrypt-data with the alias as its (optional) key_id.
    let opened = k
        .wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: ct.clone(),
                key_id: Some("alias/app".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.key_id, key1);
    // describe-key and create-datakey.
    let described = k
        .wire()
        .describe_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: "alias/app".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(described.key_info.key_id, key1);
    let dek = k
        .wire()
        .create_datakey(
            &a(),
            &CreateDatakeyRequestBody {
                key_id: "alias/app".into(),
                datakey_length: Some("256".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(dek.key_id, key1);
    // Moved: the next call uses key 2; the old ciphertext still opens
    // (its key comes from the blob).
    associate(k, &a(), "alias/app", &key2).unwrap();
    assert_eq!(encrypt(k, &a(), "alias/app").unwrap().0, key2);
    let opened = k
        .wire()
        .decrypt_data(
            &a(),
            &DecryptDataRequestBody {
                cipher_text: ct,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(opened.key_id, key1);
    // A malformed alias is a bad key id; an unknown one a missing key.
    assert_eq!(code(encrypt(k, &a(), "alias/")), "KMS.0205");
    assert_eq!(code(encrypt(k, &a(), "alias/none")), "KMS.0207");
    // Operations that manage a key take its id only.
    assert_eq!(
        code(k.wire().disable_key(
            &a(),
            &OperateKeyRequestBody {
                key_id: "alias/app".into(),
                sequence: None,
            },
        )),
        "KMS.0205"
    );
    // Deleted: the alias names nothing any more.
    delete(k, &a(), None, &["alias/app"]).unwrap();
    assert_eq!(code(encrypt(k, &a(), "alias/app")), "KMS.0207");
}

#[test]
fn keys_pending_deletion_and_gone() {
    let f = fixture();
    let k = &f.kms;
    let key = create_key(k, &a(), "one");
    let target = create_key(k, &a(), "two");
    create_alias(k, &a(), &key, "alias/doomed").unwrap();
    create_alias(k, &a(), &target, "alias/mover").unwrap();
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
    // Pending deletion: no new alias, no alias moved to it; the existing
    // alias stays (cancel-key-deletion would make it usable again) and
    // resolves to a key refused as pending deletion.
    assert_eq!(code(create_alias(k, &a(), &key, "alias/more")), "KMS.0210");
    assert_eq!(code(associate(k, &a(), "alias/mover", &key)), "KMS.0210");
    assert_eq!(
        listed(k, &a(), Some(&key)),
        [("alias/doomed".into(), key.clone())]
    );
    assert_eq!(code(encrypt(k, &a(), "alias/doomed")), "KMS.0210");
    // Once the deletion time has passed the key is gone, and so are its
    // aliases, from the listing and from resolution.
    f.clock.set(Timestamp(T0 + 8 * 86_400_000));
    assert_eq!(listed(k, &a(), None), [("alias/mover".into(), target)]);
    assert_eq!(code(encrypt(k, &a(), "alias/doomed")), "KMS.0207");
}
