//! Keystore store cases.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- keystores

/// Every field of a keystore comes back as inserted, for every keystore
/// type, both states, with and without a cluster.
pub fn keystore_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let records = [
        KeystoreRecord {
            keystore_type: KeystoreType::Default,
            state: KeystoreState::Enabled,
            ..keystore(1, DOMAIN, "ks-default", None)
        },
        KeystoreRecord {
            keystore_type: KeystoreType::Dhsm,
            state: KeystoreState::Disabled,
            ..keystore(2, DOMAIN, "ks-dhsm", Some("cluster-dhsm"))
        },
        KeystoreRecord {
            keystore_type: KeystoreType::Cdms,
            create_time: Timestamp(1_800_000_000_123),
            ..keystore(3, DOMAIN, "ks_cdms-Ünïcode", Some("cluster-cdms"))
        },
    ];
    for r in &records {
        ok(s.keystores.insert_keystore(r), "insert keystore");
    }
    for r in &records {
        assert_eq!(
            ok(s.keystores.get_keystore(DOMAIN, &r.keystore_id), "get"),
            Some(r.clone()),
            "get_keystore must return every field as inserted"
        );
    }
    let (total, page) = ok(s.keystores.list_keystores(DOMAIN, 0, 10), "list");
    assert_eq!(total, 3, "list_keystores total");
    assert_eq!(
        page,
        records.to_vec(),
        "list_keystores must return every field"
    );
}

/// Unknown keystores: `None`, an empty list, `false`, `NotFound`.
pub fn keystore_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(1)), "get"), None);
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list"), (0, vec![]));
    assert!(
        !ok(
            ks.set_keystore_state(DOMAIN, &id(1), KeystoreState::Disabled),
            "set state"
        ),
        "set_keystore_state of an unknown keystore must be false"
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::NotFound
    );
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", None)),
        "insert",
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(2)), "get"),
        None,
        "another id"
    );
}

/// "Inserts only if its alias is free within its domain": a taken alias
/// is `AliasTaken` and inserts nothing; the same alias in another domain
/// is free.
pub fn keystore_alias_unique_per_domain(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "alias", None)),
        "first",
    );
    assert_eq!(
        ks.insert_keystore(&keystore(2, DOMAIN, "alias", None)),
        Err(InsertKeystoreError::AliasTaken),
        "same alias, same domain"
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(2)), "get"),
        None,
        "a refused insert must insert nothing"
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 1);
    ok(
        ks.insert_keystore(&keystore(3, OTHER_DOMAIN, "alias", None)),
        "the same alias in another domain is free",
    );
}

/// "Its cluster (when present) backs no keystore": a cluster backs at most
/// one keystore across every domain; keystores without a cluster do not
/// collide.
pub fn keystore_cluster_unique_across_domains(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("cluster-1"))),
        "first",
    );
    assert_eq!(
        ks.insert_keystore(&keystore(2, OTHER_DOMAIN, "b", Some("cluster-1"))),
        Err(InsertKeystoreError::ClusterTaken),
        "a cluster backs one keystore, whatever the domain"
    );
    assert_eq!(ok(ks.get_keystore(OTHER_DOMAIN, &id(2)), "get"), None);
    assert_eq!(
        ks.insert_keystore(&keystore(3, DOMAIN, "c", Some("cluster-1"))),
        Err(InsertKeystoreError::ClusterTaken),
        "same domain, other alias"
    );
    for n in 4..7 {
        ok(
            ks.insert_keystore(&keystore(n, DOMAIN, &format!("none-{n}"), None)),
            "keystores without a cluster do not collide",
        );
    }
    ok(
        ks.insert_keystore(&keystore(7, DOMAIN, "d", Some("cluster-2"))),
        "another cluster is free",
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 5);
}

/// A keystore whose alias **and** cluster are both taken is refused with
/// one of the two answers (the port docs do not rank them) and inserts
/// nothing.
pub fn keystore_insert_breaking_both_rules_inserts_nothing(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("c"))),
        "first",
    );
    let r = ks.insert_keystore(&keystore(2, DOMAIN, "a", Some("c")));
    assert!(
        matches!(
            r,
            Err(InsertKeystoreError::AliasTaken | InsertKeystoreError::ClusterTaken)
        ),
        "alias and cluster taken: got {r:?}"
    );
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").0, 1);
}

/// Enabled -> Disabled -> Enabled, each visible through get and list with
/// every other field unchanged; setting the current state again is `true`.
pub fn keystore_state_transitions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let rec = keystore(1, DOMAIN, "a", Some("c"));
    ok(ks.insert_keystore(&rec), "insert");
    for state in [
        KeystoreState::Disabled,
        KeystoreState::Disabled,
        KeystoreState::Enabled,
    ] {
        assert!(
            ok(ks.set_keystore_state(DOMAIN, &id(1), state), "set state"),
            "set_keystore_state of an existing keystore must be true ({state:?})"
        );
        let want = KeystoreRecord {
            state,
            ..rec.clone()
        };
        assert_eq!(
            ok(ks.get_keystore(DOMAIN, &id(1)), "get"),
            Some(want.clone())
        );
        assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 10), "list").1, vec![want]);
    }
}

/// Pages of keystores: the total is the domain's count whatever the page;
/// offset and limit cut the oldest-first order; past the end is empty.
pub fn keystore_list_paging(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    for n in 0..5 {
        ok(
            ks.insert_keystore(&keystore(n, DOMAIN, &format!("k{n}"), None)),
            "insert",
        );
    }
    for n in 10..12 {
        ok(
            ks.insert_keystore(&keystore(n, OTHER_DOMAIN, &format!("k{n}"), None)),
            "insert",
        );
    }
    let page = |offset, limit| {
        let (total, page) = ok(ks.list_keystores(DOMAIN, offset, limit), "list");
        (total, ids_of_keystores(&page))
    };
    let ids = |ns: &[usize]| ns.iter().map(|n| id(*n)).collect::<Vec<_>>();
    assert_eq!(page(0, 2), (5, ids(&[0, 1])), "first page");
    assert_eq!(page(2, 2), (5, ids(&[2, 3])), "second page");
    assert_eq!(page(4, 2), (5, ids(&[4])), "last, short page");
    assert_eq!(page(5, 2), (5, vec![]), "offset at the end");
    assert_eq!(page(u64::MAX, 2), (5, vec![]), "huge offset");
    assert_eq!(page(0, 0), (5, vec![]), "limit 0");
    assert_eq!(page(0, u64::MAX), (5, ids(&[0, 1, 2, 3, 4])), "huge limit");
    assert_eq!(page(1, u64::MAX), (5, ids(&[1, 2, 3, 4])));
}

/// "Oldest first": keystores inserted out of `create_time` order are
/// listed by `create_time`, not by insertion.
pub fn keystore_list_oldest_first_by_create_time(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    for (n, t) in [(1, 300), (2, 100), (3, 200)] {
        ok(
            ks.insert_keystore(&KeystoreRecord {
                create_time: Timestamp(t),
                ..keystore(n, DOMAIN, &format!("k{n}"), None)
            }),
            "insert",
        );
    }
    let (_, page) = ok(ks.list_keystores(DOMAIN, 0, 10), "list");
    assert_eq!(
        ids_of_keystores(&page),
        vec![id(2), id(3), id(1)],
        "list_keystores must be oldest first (by create_time)"
    );
    let (_, page) = ok(ks.list_keystores(DOMAIN, 1, 1), "list");
    assert_eq!(
        ids_of_keystores(&page),
        vec![id(3)],
        "paging follows the same order"
    );
}

/// Another domain sees nothing of a keystore and cannot change or delete it.
pub fn keystore_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let rec = keystore(1, DOMAIN, "a", Some("c"));
    ok(ks.insert_keystore(&rec), "insert");
    assert_eq!(ok(ks.get_keystore(OTHER_DOMAIN, &id(1)), "get"), None);
    assert_eq!(
        ok(ks.list_keystores(OTHER_DOMAIN, 0, 10), "list"),
        (0, vec![])
    );
    assert!(
        !ok(
            ks.set_keystore_state(OTHER_DOMAIN, &id(1), KeystoreState::Disabled),
            "set"
        ),
        "another domain cannot change the state"
    );
    assert_eq!(
        ok(ks.delete_keystore(OTHER_DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::NotFound,
        "another domain cannot delete"
    );
    assert_eq!(
        ok(ks.get_keystore(DOMAIN, &id(1)), "get"),
        Some(rec),
        "the owner's keystore is untouched"
    );
}

/// `Deleted` frees the alias and the cluster; a second delete is
/// `NotFound`; a keystore holding a key (of any project) is `HasKeys` and
/// stays as it was.
pub fn delete_keystore_outcomes(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    ok(
        ks.insert_keystore(&keystore(1, DOMAIN, "a", Some("c"))),
        "insert",
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete"),
        DeleteKeystoreOutcome::Deleted
    );
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(1)), "get"), None);
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(1)), "delete again"),
        DeleteKeystoreOutcome::NotFound
    );
    let rec = keystore(2, DOMAIN, "a", Some("c"));
    ok(
        ks.insert_keystore(&rec),
        "a deleted keystore's alias and cluster are free again",
    );
    let k = key(3, OTHER_PROJECT, "k", &id(2));
    ok(
        s.keys
            .insert_key(&k, &KeyMaterial::from(wrapped(&id(3), 1, 3))),
        "key in the keystore",
    );
    assert_eq!(
        ok(ks.delete_keystore(DOMAIN, &id(2)), "delete"),
        DeleteKeystoreOutcome::HasKeys,
        "a keystore holding a key (of any project) is not deleted"
    );
    assert_eq!(ok(ks.get_keystore(DOMAIN, &id(2)), "get"), Some(rec));
    assert_eq!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(3)), "get key").as_deref(),
        Some(&k)
    );
}

/// A dedicated keystore's root-key check value is recorded by the first
/// caller only (later ones learn the recorded value), per keystore,
/// without a keystore row; forgotten, the next value is recorded.
pub fn root_key_check_recorded_once(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert_eq!(ok(ks.record_root_key_check(&id(1), &a), "record"), a);
    assert_eq!(
        ok(ks.record_root_key_check(&id(1), &b), "record another"),
        a,
        "the first value stays recorded"
    );
    assert_eq!(
        ok(ks.record_root_key_check(&id(2), &b), "other keystore"),
        b
    );
    ok(ks.forget_root_key_check(&id(1)), "forget");
    ok(ks.forget_root_key_check(&id(1)), "forget again");
    assert_eq!(
        ok(ks.record_root_key_check(&id(1), &b), "record after forget"),
        b
    );
    assert_eq!(ok(ks.record_root_key_check(&id(2), &a), "still"), b);
}

/// "For a dedicated keystore, the keystore still exists": a key into an
/// unknown or deleted keystore is `KeystoreGone` and stores nothing; the
/// default and shared keystores `0`, `1`, `2` need no keystore record.
pub fn insert_key_needs_existing_dedicated_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    assert_eq!(
        s.keys.insert_key(
            &key(1, PROJECT, "a", &id(99)),
            &KeyMaterial::from(wrapped(&id(1), 1, 1))
        ),
        Err(InsertKeyError::KeystoreGone),
        "unknown dedicated keystore"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    for (n, shared) in [(2, "0"), (3, "1"), (4, "2")] {
        ok(
            s.keys.insert_key(
                &key(n, PROJECT, &format!("shared-{shared}"), shared),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "keys in the default and shared keystores need no keystore record",
        );
    }
    ok(
        s.keystores
            .insert_keystore(&keystore(5, DOMAIN, "ks", None)),
        "keystore",
    );
    assert_eq!(
        ok(s.keystores.delete_keystore(DOMAIN, &id(5)), "delete"),
        DeleteKeystoreOutcome::Deleted
    );
    assert_eq!(
        s.keys.insert_key(
            &key(6, PROJECT, "b", &id(5)),
            &KeyMaterial::from(wrapped(&id(6), 1, 1))
        ),
        Err(InsertKeyError::KeystoreGone),
        "deleted dedicated keystore"
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(5)), "count"), 0);
}

/// `count_keys_in_keystore` counts the keys of every project in one
/// keystore, and no other keystore's.
pub fn count_keys_in_keystore_counts_every_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    for n in [1, 2] {
        ok(
            s.keystores
                .insert_keystore(&keystore(n, DOMAIN, &format!("ks{n}"), None)),
            "keystore",
        );
    }
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 0);
    for (n, project, ks) in [(10, PROJECT, 1), (11, OTHER_PROJECT, 1), (12, PROJECT, 2)] {
        ok(
            s.keys.insert_key(
                &key(n, project, &format!("k{n}"), &id(ks)),
                &KeyMaterial::from(wrapped(&id(n), 1, 1)),
            ),
            "key",
        );
    }
    ok(
        s.keys.insert_key(
            &key(13, PROJECT, "k13", "0"),
            &KeyMaterial::from(wrapped(&id(13), 1, 1)),
        ),
        "key",
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 2);
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(2)), "count"), 1);
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(3)), "count"), 0);
    assert_eq!(ok(s.keys.count_keys_in_keystore("0"), "count"), 1);
}
