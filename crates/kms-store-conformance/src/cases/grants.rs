//! Grants of keys.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

use kms_core::ports::{GrantRecord, InsertGrantError};
use kms_model::{GrantOperation, GranteeType};

/// Grant `n` (id: 64 hex digits from `n`) of key `id(key)` of `project`,
/// to user `grantee`, made at `1_700_000_000_000 + n` ms.
#[must_use]
pub fn grant(n: usize, key: usize, project: &str, grantee: &str) -> GrantRecord {
    GrantRecord {
        grant_id: format!("{n:064x}"),
        key_id: id(key),
        domain_id: DOMAIN.to_owned(),
        project_id: project.to_owned(),
        grantee_principal: grantee.to_owned(),
        grantee_type: GranteeType::User,
        operations: vec![GrantOperation::DescribeKey, GrantOperation::EncryptData],
        issuing_principal: "issuer1".to_owned(),
        retiring_principal: None,
        name: String::new(),
        creation_date: Timestamp(1_700_000_000_000 + i64::try_from(n).unwrap_or(0)),
    }
}

fn insert_keys(s: &StoreSet, keys: &[(usize, &str)]) {
    for &(n, project) in keys {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), "0"),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "insert key",
        );
    }
}

/// A grant round-trips every field (a domain grantee, every operation, a
/// retiring principal, a name); grants_of_key returns a key's grants
/// oldest first whatever the caller's project; list_grants is confined to
/// the key's project; a grant of a key not in the project is refused.
pub fn grant_round_trip_and_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, OTHER_PROJECT)]);
    let mut full = grant(2, 1, PROJECT, "otherdomain");
    full.grantee_type = GranteeType::Domain;
    full.operations = GrantOperation::ALL.to_vec();
    full.retiring_principal = Some("retirer1".into());
    full.name = "tf/grant:1_a-b".into();
    let plain = grant(1, 1, PROJECT, "user1");
    ok(s.grants.insert_grant(&full, 100), "insert");
    ok(s.grants.insert_grant(&plain, 100), "insert");
    assert_eq!(
        ok(s.grants.grants_of_key(&id(1)), "of key"),
        vec![plain.clone(), full.clone()],
        "oldest first, every field kept"
    );
    assert_eq!(
        ok(s.grants.list_grants(PROJECT, &id(1), 0, 10), "list"),
        (2, vec![plain.clone(), full])
    );
    assert_eq!(
        ok(s.grants.list_grants(OTHER_PROJECT, &id(1), 0, 10), "list"),
        (0, vec![]),
        "another project sees none of the key's grants"
    );
    assert_eq!(ok(s.grants.grants_of_key(&id(2)), "of key"), vec![]);
    assert_eq!(
        s.grants
            .insert_grant(&grant(3, 1, OTHER_PROJECT, "user1"), 100),
        Err(InsertGrantError::KeyNotFound),
        "the key is not in that project"
    );
    assert_eq!(
        s.grants.insert_grant(&grant(4, 9, PROJECT, "user1"), 100),
        Err(InsertGrantError::KeyNotFound),
        "no such key"
    );
}

/// list_grants and list_retirable_grants page with offset and limit and
/// count every grant; list_retirable_grants finds grants by retiring
/// principal across projects.
pub fn grant_listing_paging_and_retirable(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, OTHER_PROJECT)]);
    for n in 1..=5 {
        let mut g = grant(n, 1, PROJECT, "user1");
        if n % 2 == 1 {
            g.retiring_principal = Some("retirer1".into());
        }
        ok(s.grants.insert_grant(&g, 100), "insert");
    }
    let mut other = grant(6, 2, OTHER_PROJECT, "user2");
    other.retiring_principal = Some("retirer1".into());
    ok(s.grants.insert_grant(&other, 100), "insert");
    let ids = |v: Vec<GrantRecord>| v.into_iter().map(|g| g.grant_id).collect::<Vec<_>>();
    let (total, page) = ok(s.grants.list_grants(PROJECT, &id(1), 1, 2), "page");
    assert_eq!(total, 5);
    assert_eq!(
        ids(page),
        vec![format!("{:064x}", 2), format!("{:064x}", 3)]
    );
    let (total, page) = ok(s.grants.list_grants(PROJECT, &id(1), 4, 10), "last page");
    assert_eq!((total, ids(page)), (5, vec![format!("{:064x}", 5)]));
    let (total, page) = ok(
        s.grants.list_retirable_grants("retirer1", 0, 10),
        "retirable",
    );
    assert_eq!(total, 4);
    assert_eq!(
        ids(page),
        [1, 3, 5, 6]
            .iter()
            .map(|n| format!("{n:064x}"))
            .collect::<Vec<_>>()
    );
    let (total, page) = ok(s.grants.list_retirable_grants("retirer1", 3, 1), "page");
    assert_eq!((total, ids(page)), (4, vec![format!("{:064x}", 6)]));
    assert_eq!(
        ok(s.grants.list_retirable_grants("nobody", 0, 10), "none"),
        (0, vec![])
    );
}

/// delete_grant deletes one grant of one key, once; a grant id of another
/// key deletes nothing.
pub fn grant_delete(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT)]);
    ok(
        s.grants.insert_grant(&grant(1, 1, PROJECT, "user1"), 100),
        "insert",
    );
    ok(
        s.grants.insert_grant(&grant(2, 2, PROJECT, "user1"), 100),
        "insert",
    );
    assert!(
        !ok(
            s.grants.delete_grant(&id(1), &format!("{:064x}", 2)),
            "other key"
        ),
        "grant 2 is key 2's"
    );
    assert!(ok(
        s.grants.delete_grant(&id(1), &format!("{:064x}", 1)),
        "delete"
    ));
    assert!(!ok(
        s.grants.delete_grant(&id(1), &format!("{:064x}", 1)),
        "again"
    ));
    assert_eq!(ok(s.grants.grants_of_key(&id(1)), "of key"), vec![]);
    assert_eq!(ok(s.grants.grants_of_key(&id(2)), "of key").len(), 1);
}

/// A key carries at most `max_per_key` grants: 8 threads racing for the
/// last 3 places of a key insert exactly 3.
pub fn grant_limit_is_atomic(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT)]);
    for n in 1..=2 {
        ok(
            s.grants.insert_grant(&grant(n, 1, PROJECT, "user1"), 5),
            "insert",
        );
    }
    let barrier = Barrier::new(RACE_THREADS);
    let grants = Arc::clone(&s.grants);
    let results: Vec<Result<(), InsertGrantError>> = thread::scope(|sc| {
        let handles: Vec<_> = (0..RACE_THREADS)
            .map(|t| {
                let (grants, barrier) = (&grants, &barrier);
                sc.spawn(move || {
                    barrier.wait();
                    grants.insert_grant(&grant(100 + t, 1, PROJECT, "user1"), 5)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("race thread panicked")))
            .collect()
    });
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 3, "exactly the free places are taken: {results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(InsertGrantError::TooMany)),
        "{results:?}"
    );
    assert_eq!(ok(s.grants.grants_of_key(&id(1)), "of key").len(), 5);
}

/// A grant goes with its key when the key is purged.
pub fn grants_go_with_their_purged_key(new: &dyn Fn() -> StoreSet) {
    let s = new();
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT)]);
    ok(
        s.grants.insert_grant(&grant(1, 1, PROJECT, "user1"), 100),
        "insert",
    );
    ok(
        s.grants.insert_grant(&grant(2, 2, PROJECT, "user1"), 100),
        "insert",
    );
    let t = 1_700_000_000_000;
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(t)),
        ),
        "schedule",
    );
    assert_eq!(ok(s.keys.purge_deleted_keys(Timestamp(t)), "purge"), 1);
    assert_eq!(ok(s.grants.grants_of_key(&id(1)), "of key"), vec![]);
    assert_eq!(ok(s.grants.grants_of_key(&id(2)), "kept").len(), 1);
}

/// most_grants_on_a_key: the busiest key of the project counts, other
/// projects' grants do not, 0 with none; a delete lowers it.
pub fn most_grants_on_a_key_of_the_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    assert_eq!(ok(s.grants.most_grants_on_a_key(PROJECT), "most"), 0);
    insert_keys(&s, &[(1, PROJECT), (2, PROJECT), (3, OTHER_PROJECT)]);
    for (n, key, project) in [
        (1, 1, PROJECT),
        (2, 1, PROJECT),
        (3, 2, PROJECT),
        (4, 3, OTHER_PROJECT),
        (5, 3, OTHER_PROJECT),
        (6, 3, OTHER_PROJECT),
    ] {
        ok(
            s.grants
                .insert_grant(&grant(n, key, project, &format!("user{n}")), 100),
            "insert",
        );
    }
    assert_eq!(ok(s.grants.most_grants_on_a_key(PROJECT), "most"), 2);
    assert_eq!(ok(s.grants.most_grants_on_a_key(OTHER_PROJECT), "most"), 3);
    assert!(ok(
        s.grants.delete_grant(&id(1), &format!("{:064x}", 1)),
        "delete"
    ));
    assert_eq!(ok(s.grants.most_grants_on_a_key(PROJECT), "most"), 1);
    assert_eq!(ok(s.grants.most_grants_on_a_key("nobody"), "most"), 0);
}
