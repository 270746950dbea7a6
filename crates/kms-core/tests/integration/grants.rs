//! Grants through the core with in-memory adapters: who may create, list,
//! revoke and retire them, and that a grantee of another domain performs
//! exactly the granted operations on the key (and nothing else), that the
//! key never shows in the grantee's own listing, that a non-grantee gets
//! KMS.0207, and that revocation takes effect at once on this instance and
//! within the record cache's TTL on another sharing the store.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use kms_core::memory::{ManualClock, MemoryStore, VecAudit};
use kms_core::ports::{Caller, Timestamp};
use kms_core::{CoreConfig, Kms};
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateGrantRequestBody, CreateKeyRequestBody,
    DecryptDataRequestBody, DecryptDatakeyRequestBody, EncryptDataRequestBody, ErrorCode,
    ListGrantsRequestBody, ListKeysRequestBody, ListRetirableGrantsRequestBody,
    OperateKeyRequestBody, RevokeGrantRequestBody,
};

const T0: i64 = 1_767_225_600_000;

/// The key's owner: user `owner1` of domain `doma`, project `proja`.
fn owner() -> Caller {
    Caller::new("doma", "proja").with_user("owner1")
}

/// A user of another domain.
fn grantee() -> Caller {
    Caller::new("domb", "projb").with_user("userb")
}

/// Another user of that other domain.
fn colleague() -> Caller {
    Caller::new("domb", "projb2").with_user("userc")
}

/// A third domain, named by no grant.
fn stranger() -> Caller {
    Caller::new("domc", "projc").with_user("userd")
}

struct Env {
    kms: Kms,
    audit: Arc<VecAudit>,
    clock: Arc<ManualClock>,
}

/// A service over `store` (two services over one store are two replicas).
fn env_on(store: Arc<MemoryStore>) -> Env {
    let audit = Arc::new(VecAudit::default());
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let ports = kms_core::ports::Ports::builder(
        store,
        Arc::new(kms_core::software::SoftwareRootKeys::new(&[7u8; 32]).unwrap()),
        audit.clone(),
    )
    .clock(clock.clone())
    .entropy(Arc::new(kms_core::software::ChaChaEntropy::from_seed(
        [8u8; 32],
    )))
    .build()
    .unwrap();
    Env {
        kms: Kms::new(ports, CoreConfig::default()),
        audit,
        clock,
    }
}

fn env() -> Env {
    env_on(Arc::new(MemoryStore::new()))
}

fn create_key(k: &Kms, caller: &Caller, alias: &str) -> String {
    k.wire()
        .create_key(
            caller,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn grant_body(key: &str, grantee: &str, ops: &[&str]) -> CreateGrantRequestBody {
    CreateGrantRequestBody {
        key_id: key.into(),
        grantee_principal: grantee.into(),
        operations: ops.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    }
}

fn grant(k: &Kms, caller: &Caller, body: &CreateGrantRequestBody) -> String {
    k.wire().create_grant(caller, body).unwrap().grant_id
}

fn revoke_body(key: &str, grant_id: &str) -> RevokeGrantRequestBody {
    RevokeGrantRequestBody {
        key_id: key.into(),
        grant_id: grant_id.into(),
        sequence: None,
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> String {
    r.expect_err("expected an error").code().as_str().to_owned()
}

fn describe(k: &Kms, caller: &Caller, key: &str) -> Result<String, ApiError> {
    k.wire()
        .describe_key(
            caller,
            &OperateKeyRequestBody {
                key_id: key.into(),
                sequence: None,
            },
        )
        .map(|r| r.key_info.key_id)
}

fn encrypt(k: &Kms, caller: &Caller, key: &str, text: &str) -> Result<String, ApiError> {
    k.wire()
        .encrypt_data(
            caller,
            &EncryptDataRequestBody {
                key_id: key.into(),
                plain_text: text.into(),
                ..Default::default()
            },
        )
        .map(|r| r.cipher_text)
}

fn decrypt(k: &Kms, caller: &Caller, cipher_text: &str) -> Result<String, ApiError> {
    k.wire()
        .decrypt_data(
            caller,
            &DecryptDataRequestBody {
                cipher_text: cipher_text.into(),
                ..Default::default()
            },
        )
        .map(|r| r.plain_text.expose_owned())
}

fn list_keys(k: &Kms, caller: &Caller) -> Vec<String> {
    k.wire()
        .list_keys(
            caller,
            &ListKeysRequestBody {
                key_spec: Some("ALL".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .keys
}

#[test]
fn a_grantee_of_another_domain_performs_exactly_the_granted_operations() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "shared");
    grant(
        k,
        &owner(),
        &grant_body(
            &key,
            "userb",
            &["encrypt-data", "decrypt-data", "describe-key"],
        ),
    );
    // Granted: describe, encrypt, decrypt (addressed under its own
    // project), and the owner and the grantee open each other's data.
    assert_eq!(describe(k, &grantee(), &key).unwrap(), key);
    let by_grantee = encrypt(k, &grantee(), &key, "from b").unwrap();
    assert_eq!(decrypt(k, &owner(), &by_grantee).unwrap(), "from b");
    let by_owner = encrypt(k, &owner(), &key, "from a").unwrap();
    assert_eq!(decrypt(k, &grantee(), &by_owner).unwrap(), "from a");
    // Not granted: DEKs, management, listing its grants: the key does
    // not exist for the grantee.
    let dek = CreateDatakeyRequestBody {
        key_id: key.clone(),
        datakey_length: Some("256".into()),
        ..Default::default()
    };
    assert_eq!(code(k.wire().create_datakey(&grantee(), &dek)), "KMS.0207");
    let op = OperateKeyRequestBody {
        key_id: key.clone(),
        sequence: None,
    };
    assert_eq!(code(k.wire().disable_key(&grantee(), &op)), "KMS.0207");
    assert_eq!(
        code(k.wire().enable_key_rotation(&grantee(), &op)),
        "KMS.0207"
    );
    assert_eq!(code(k.wire().get_public_key(&grantee(), &op)), "KMS.0207");
    let lg = ListGrantsRequestBody {
        key_id: key.clone(),
        ..Default::default()
    };
    assert_eq!(code(k.wire().list_grants(&grantee(), &lg)), "KMS.0207");
    assert_eq!(
        code(
            k.wire()
                .create_grant(&grantee(), &grant_body(&key, "userc", &["encrypt-data"]))
        ),
        "KMS.0207",
        "create-grant was not granted"
    );
    // The key is the owner's: never in the grantee's own listing.
    assert!(list_keys(k, &grantee()).is_empty());
    assert_eq!(list_keys(k, &owner()), vec![key.clone()]);
    // Another user of the grantee's domain, and a third domain: nothing.
    for other in [colleague(), stranger()] {
        assert_eq!(code(describe(k, &other, &key)), "KMS.0207");
        assert_eq!(code(encrypt(k, &other, &key, "x")), "KMS.0207");
        assert_eq!(code(decrypt(k, &other, &by_owner)), "KMS.0207");
    }
    // A caller of the grantee's domain with no user: a user grant does
    // not name it.
    assert_eq!(
        code(describe(k, &Caller::new("domb", "projb"), &key)),
        "KMS.0207"
    );
}

#[test]
fn a_domain_grant_names_every_caller_of_that_domain() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "shared");
    let mut body = grant_body(&key, "domb", &["create-datakey", "decrypt-datakey"]);
    body.grantee_principal_type = Some("domain".into());
    grant(k, &owner(), &body);
    for caller in [grantee(), colleague(), Caller::new("domb", "projx")] {
        let made = k
            .wire()
            .create_datakey(
                &caller,
                &CreateDatakeyRequestBody {
                    key_id: key.clone(),
                    datakey_length: Some("256".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        // The owner opens the DEK a grantee made (both bound to the key's
        // project).
        let opened = k
            .wire()
            .decrypt_datakey(
                &owner(),
                &DecryptDatakeyRequestBody {
                    key_id: key.clone(),
                    cipher_text: made.cipher_text.clone(),
                    datakey_cipher_length: "32".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(opened.data_key, made.plain_text);
        assert_eq!(code(describe(k, &caller, &key)), "KMS.0207");
    }
    assert_eq!(code(describe(k, &stranger(), &key)), "KMS.0207");
}

#[test]
fn revocation_takes_effect_at_once_here_and_within_the_ttl_on_a_replica() {
    let store = Arc::new(MemoryStore::new());
    let a = env_on(Arc::clone(&store));
    let b = env_on(store);
    let key = create_key(&a.kms, &owner(), "shared");
    let id = grant(
        &a.kms,
        &owner(),
        &grant_body(&key, "userb", &["describe-key"]),
    );
    // Both replicas admit the grantee (B caches the key's grants).
    assert!(describe(&a.kms, &grantee(), &key).is_ok());
    assert!(describe(&b.kms, &grantee(), &key).is_ok());
    a.kms
        .wire()
        .revoke_grant(&owner(), &revoke_body(&key, &id))
        .unwrap();
    // A: at once.
    assert_eq!(code(describe(&a.kms, &grantee(), &key)), "KMS.0207");
    // B: within the TTL (1 s by default): still cached just before, gone
    // once it has passed.
    b.clock.set(Timestamp(T0 + 999));
    assert!(describe(&b.kms, &grantee(), &key).is_ok());
    b.clock.set(Timestamp(T0 + 1000));
    assert_eq!(code(describe(&b.kms, &grantee(), &key)), "KMS.0207");
    // Revoking again: the grant is no longer the key's.
    assert_eq!(
        code(a.kms.wire().revoke_grant(&owner(), &revoke_body(&key, &id))),
        "KMS.2502"
    );
}

#[test]
fn list_grants_pages_and_reports_every_field() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "listed");
    let mut ids = Vec::new();
    for n in 0..3u8 {
        e.clock.set(Timestamp(T0 + i64::from(n)));
        let mut body = grant_body(&key, "userb", &["encrypt-data", "describe-key"]);
        body.name = Some(format!("g{n}"));
        body.retiring_principal = Some("retirer1".into());
        ids.push(grant(k, &owner(), &body));
    }
    let page = |limit: &str, marker: Option<&str>| {
        k.wire()
            .list_grants(
                &owner(),
                &ListGrantsRequestBody {
                    key_id: key.clone(),
                    limit: Some(limit.into()),
                    marker: marker.map(Into::into),
                    sequence: None,
                },
            )
            .unwrap()
    };
    let first = page("2", None);
    assert_eq!(
        (
            first.total,
            first.truncated.as_str(),
            first.next_marker.as_str()
        ),
        (3, "true", "2")
    );
    assert_eq!(
        first
            .grants
            .iter()
            .map(|g| g.grant_id.clone())
            .collect::<Vec<_>>(),
        ids[..2]
    );
    let g = &first.grants[0];
    assert_eq!(g.key_id, key);
    assert_eq!(g.grant_id.len(), 64);
    assert_eq!(
        (
            g.grantee_principal.as_str(),
            g.grantee_principal_type.as_str(),
            g.issuing_principal.as_str(),
            g.name.as_str(),
            g.retiring_principal.as_str(),
            g.creation_date.as_str(),
        ),
        (
            "userb",
            "user",
            "owner1",
            "g0",
            "retirer1",
            &*T0.to_string()
        )
    );
    assert_eq!(g.operations, ["describe-key", "encrypt-data"]);
    let last = page("2", Some("2"));
    assert_eq!(
        (
            last.total,
            last.truncated.as_str(),
            last.next_marker.as_str()
        ),
        (3, "false", "")
    );
    assert_eq!(last.grants.len(), 1);
    // The retiring principal lists them; a user named nowhere: none.
    let retirer = Caller::new("domr", "projr").with_user("retirer1");
    let r = k
        .wire()
        .list_retirable_grants(&retirer, &ListRetirableGrantsRequestBody::default())
        .unwrap();
    assert_eq!((r.total, r.grants.len()), (3, 3));
    let r = k
        .wire()
        .list_retirable_grants(&stranger(), &ListRetirableGrantsRequestBody::default())
        .unwrap();
    assert_eq!((r.total, r.truncated.as_str()), (0, "false"));
}

#[test]
fn retire_is_for_the_grantee_or_the_retiring_principal() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "retired");
    let mut body = grant_body(&key, "userb", &["describe-key"]);
    body.retiring_principal = Some("retirer1".into());
    let by_retirer = grant(k, &owner(), &body);
    let by_grantee = grant(k, &owner(), &body);
    let retirer = Caller::new("domr", "projr").with_user("retirer1");
    // A stranger: the key does not exist for it; the owner: the grant is
    // not one it retires (it revokes).
    assert_eq!(
        code(
            k.wire()
                .retire_grant(&stranger(), &revoke_body(&key, &by_retirer))
        ),
        "KMS.0207"
    );
    assert_eq!(
        code(
            k.wire()
                .retire_grant(&owner(), &revoke_body(&key, &by_retirer))
        ),
        "KMS.2502"
    );
    k.wire()
        .retire_grant(&retirer, &revoke_body(&key, &by_retirer))
        .unwrap();
    k.wire()
        .retire_grant(&grantee(), &revoke_body(&key, &by_grantee))
        .unwrap();
    assert_eq!(code(describe(k, &grantee(), &key)), "KMS.0207");
    assert_eq!(
        code(
            k.wire()
                .retire_grant(&grantee(), &revoke_body(&key, &by_grantee))
        ),
        "KMS.0207"
    );
}

#[test]
fn a_grantee_with_create_grant_grants_only_what_it_holds() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "chain");
    grant(
        k,
        &owner(),
        &grant_body(
            &key,
            "userb",
            &["create-grant", "encrypt-data", "describe-key"],
        ),
    );
    assert_eq!(
        code(
            k.wire()
                .create_grant(&grantee(), &grant_body(&key, "userc", &["decrypt-data"]))
        ),
        "KMS.2403"
    );
    let sub = grant(k, &grantee(), &grant_body(&key, "userc", &["describe-key"]));
    assert_eq!(describe(k, &colleague(), &key).unwrap(), key);
    let listed = k
        .wire()
        .list_grants(
            &owner(),
            &ListGrantsRequestBody {
                key_id: key.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    let g = listed.grants.iter().find(|g| g.grant_id == sub).unwrap();
    assert_eq!(g.issuing_principal, "userb");
}

#[test]
fn grant_rules_answer_their_published_codes() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "rules");
    let c = |body: CreateGrantRequestBody| code(k.wire().create_grant(&owner(), &body));
    assert_eq!(c(grant_body(&key, "userb", &["create-grant"])), "KMS.2401");
    assert_eq!(c(grant_body(&key, "user-b", &["encrypt-data"])), "KMS.2402");
    assert_eq!(c(grant_body(&key, "userb", &["sign"])), "KMS.0308");
    assert_eq!(
        c(grant_body(
            "00000000-0000-4000-8000-000000000000",
            "userb",
            &["encrypt-data"]
        )),
        "KMS.0207"
    );
    assert_eq!(
        code(k.wire().revoke_grant(&owner(), &revoke_body(&key, "abc"))),
        "KMS.2501"
    );
    assert_eq!(
        code(
            k.wire()
                .revoke_grant(&owner(), &revoke_body(&key, &"ab".repeat(32)))
        ),
        "KMS.2502"
    );
    // The per-key limit: KMS.2404.
    for _ in 0..CoreConfig::default().max_grants_per_key {
        grant(k, &owner(), &grant_body(&key, "userb", &["describe-key"]));
    }
    assert_eq!(
        c(grant_body(&key, "userb", &["describe-key"])),
        ErrorCode::KmsTooManyKeyGrants.as_str()
    );
}

#[test]
fn a_grantees_use_is_audited_as_the_grantee() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "audited");
    grant(k, &owner(), &grant_body(&key, "userb", &["encrypt-data"]));
    encrypt(k, &grantee(), &key, "x").unwrap();
    let last = e.audit.events().pop().unwrap();
    assert_eq!(
        (
            last.action,
            last.domain_id.as_str(),
            last.project_id.as_str(),
            last.resource.as_deref(),
            last.error_code,
        ),
        ("encrypt-data", "domb", "projb", Some(key.as_str()), None)
    );
}

#[test]
fn a_granted_use_keeps_the_keys_state_rules() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "stateful");
    grant(
        k,
        &owner(),
        &grant_body(&key, "userb", &["encrypt-data", "describe-key"]),
    );
    let op = OperateKeyRequestBody {
        key_id: key.clone(),
        sequence: None,
    };
    k.wire().disable_key(&owner(), &op).unwrap();
    // Disabled: the grantee gets the owner's answer, not a 404.
    assert_eq!(code(encrypt(k, &grantee(), &key, "x")), "KMS.0209");
    assert_eq!(describe(k, &grantee(), &key).unwrap(), key);
    k.wire().enable_key(&owner(), &op).unwrap();
    assert!(encrypt(k, &grantee(), &key, "x").is_ok());
}

#[test]
fn a_grantees_lookups_are_served_from_the_grant_cache_and_counted() {
    let e = env();
    let k = &e.kms;
    let key = create_key(k, &owner(), "counted");
    grant(k, &owner(), &grant_body(&key, "userb", &["describe-key"]));
    // The owner's own key never consults grants.
    describe(k, &owner(), &key).unwrap();
    let before = k.cache_stats().key_grants;
    assert_eq!((before.hits, before.misses), (0, 0));
    // The grantee: one read of the key's grants, then served from cache
    // until the TTL passes.
    describe(k, &grantee(), &key).unwrap();
    describe(k, &grantee(), &key).unwrap();
    let warm = k.cache_stats().key_grants;
    assert_eq!((warm.hits, warm.misses), (1, 1));
    e.clock.set(Timestamp(T0 + 1000));
    describe(k, &grantee(), &key).unwrap();
    let expired = k.cache_stats().key_grants;
    assert_eq!((expired.hits, expired.misses), (1, 2));
}

/// show-user-quotas' `grant_per_CMK`: the most grants one key of the
/// project has, against the per-key limit create-grant enforces; a
/// revocation lowers it.
#[test]
fn grant_per_cmk_counts_the_busiest_key() {
    let Env { kms: k, .. } = env();
    let per_cmk = |caller: &Caller| {
        k.wire()
            .show_user_quotas(caller)
            .unwrap()
            .quotas
            .resources
            .into_iter()
            .find(|r| r.kind == "grant_per_CMK")
            .map(|r| (r.used, r.quota))
            .expect("a grant_per_CMK entry")
    };
    assert_eq!(per_cmk(&owner()), (0, 100));
    let busy = create_key(&k, &owner(), "busy");
    let quiet = create_key(&k, &owner(), "quiet");
    let first = grant(&k, &owner(), &grant_body(&busy, "userb", &["encrypt-data"]));
    grant(&k, &owner(), &grant_body(&busy, "userc", &["decrypt-data"]));
    grant(
        &k,
        &owner(),
        &grant_body(&quiet, "userb", &["encrypt-data"]),
    );
    assert_eq!(per_cmk(&owner()), (2, 100));
    // The grantee's own project holds no key with grants.
    assert_eq!(per_cmk(&grantee()), (0, 100));
    k.wire()
        .revoke_grant(&owner(), &revoke_body(&busy, &first))
        .unwrap();
    assert_eq!(per_cmk(&owner()), (1, 100));
}
