//! The cases: one function per rule of the store ports' contracts.
//! Each takes a [`StoreFactory`] and panics, naming the rule, on a
//! divergence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Barrier};
use std::thread;

use kms_core::ports::{
    CertificateFilter, CertificateStore, CertificateWriteError, DeleteKeystoreOutcome,
    InsertKeyError, InsertKeystoreError, KeyState, KeystoreState, KeystoreStore, MasterKeyStore,
    PinVerifierStore, Timestamp,
};
use kms_crypto::{PIN_VERIFIER_LEN, PinVerifier, RootKey};

use crate::StoreFactory;
use crate::fixtures::{cert, id, key, keystore, wrapped};

/// Runs `f(i)` on 8 threads released together; returns each thread's result.
fn race<T: Send + 'static>(f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let f = Arc::clone(&f);
            let b = Arc::clone(&barrier);
            thread::spawn(move || {
                b.wait();
                f(i)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// A keystore reads back field for field in its domain only; state changes, paging and delete behave, and a deleted keystore frees its cluster.
pub fn keystore_round_trip_state_list_delete<F: StoreFactory>(f: &F) {
    let store = f.make();
    let ks = keystore(&id(1), "dom", "alias1", Some("cluster-1"));
    store.insert_keystore(&ks).unwrap();
    assert_eq!(store.get_keystore("dom", &id(1)).unwrap(), Some(ks.clone()));
    assert_eq!(store.get_keystore("other", &id(1)).unwrap(), None);
    assert!(
        store
            .set_keystore_state("dom", &id(1), KeystoreState::Disabled)
            .unwrap()
    );
    assert!(
        !store
            .set_keystore_state("other", &id(1), KeystoreState::Disabled)
            .unwrap()
    );
    assert_eq!(
        store.get_keystore("dom", &id(1)).unwrap().unwrap().state,
        KeystoreState::Disabled
    );
    store
        .insert_keystore(&keystore(&id(2), "dom", "alias2", None))
        .unwrap();
    store
        .insert_keystore(&keystore(&id(3), "dom", "alias3", None))
        .unwrap();
    let (total, page) = store.list_keystores("dom", 1, 1).unwrap();
    assert_eq!(total, 3);
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].keystore_id, id(2));
    assert_eq!(
        store.delete_keystore("other", &id(1)).unwrap(),
        DeleteKeystoreOutcome::NotFound
    );
    assert_eq!(
        store.delete_keystore("dom", &id(1)).unwrap(),
        DeleteKeystoreOutcome::Deleted
    );
    assert_eq!(store.get_keystore("dom", &id(1)).unwrap(), None);
    // The cluster is free again.
    store
        .insert_keystore(&keystore(&id(4), "dom", "alias1", Some("cluster-1")))
        .unwrap();
}

/// A keystore alias is unique per domain; a cluster backs at most one keystore across all domains.
pub fn keystore_alias_is_per_domain_and_cluster_is_global<F: StoreFactory>(f: &F) {
    let store = f.make();
    store
        .insert_keystore(&keystore(&id(1), "dom", "a", Some("c1")))
        .unwrap();
    assert_eq!(
        store.insert_keystore(&keystore(&id(2), "dom", "a", None)),
        Err(InsertKeystoreError::AliasTaken)
    );
    store
        .insert_keystore(&keystore(&id(3), "dom2", "a", None))
        .unwrap();
    assert_eq!(
        store.insert_keystore(&keystore(&id(4), "dom2", "b", Some("c1"))),
        Err(InsertKeystoreError::ClusterTaken)
    );
}

/// Eight concurrent inserts of one alias: exactly one wins, the others get `AliasTaken`.
pub fn race_on_keystore_alias_has_one_winner<F: StoreFactory>(f: &F) {
    let store = f.make();
    let s = Arc::clone(&store);
    let results = race(move |i| s.insert_keystore(&keystore(&id(i), "dom", "same", None)));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(InsertKeystoreError::AliasTaken))
    );
    assert_eq!(store.list_keystores("dom", 0, 100).unwrap().0, 1);
}

/// Eight concurrent inserts on one cluster: exactly one wins, the others get `ClusterTaken`.
pub fn race_on_cluster_has_one_winner<F: StoreFactory>(f: &F) {
    let store = f.make();
    let s = Arc::clone(&store);
    let results =
        race(move |i| s.insert_keystore(&keystore(&id(i), "dom", &format!("a{i}"), Some("c"))));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(InsertKeystoreError::ClusterTaken))
    );
}

/// Eight concurrent key inserts with one alias in a project: exactly one wins; another project may reuse it.
pub fn race_on_key_alias_has_one_winner<F: StoreFactory>(f: &F) {
    let store = f.make();
    let s = Arc::clone(&store);
    let results = race(move |i| s.insert_key(&key(&id(i), "proj", "same", "0"), &wrapped(&id(i))));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(InsertKeyError::AliasTaken))
    );
    // Another project may use the alias.
    store
        .insert_key(&key(&id(100), "proj2", "same", "0"), &wrapped(&id(100)))
        .unwrap();
}

/// Eight concurrent certificate inserts with one name: exactly one wins, the others get `NameTaken`.
pub fn race_on_certificate_name_has_one_winner<F: StoreFactory>(f: &F) {
    let store = f.make();
    let s = Arc::clone(&store);
    let results = race(move |i| s.insert_certificate(&cert(&id(i), "proj", "same_name")));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || *r == Err(CertificateWriteError::NameTaken))
    );
}

/// Deleting a keystore while keys are inserted into it never leaves a key in a deleted keystore.
pub fn race_delete_keystore_against_key_insert_never_orphans<F: StoreFactory>(f: &F) {
    for round in 0..20 {
        let store = f.make();
        let ks = id(1000 + round);
        store
            .insert_keystore(&keystore(&ks, "dom", "k", None))
            .unwrap();
        let s = Arc::clone(&store);
        let ks2 = ks.clone();
        let results = race(move |i| {
            if i == 0 {
                Err(s.delete_keystore("dom", &ks2).unwrap())
            } else {
                Ok(s.insert_key(
                    &key(&id(i), "proj", &format!("a{i}"), &ks2),
                    &wrapped(&id(i)),
                ))
            }
        });
        let deleted = results
            .iter()
            .any(|r| matches!(r, Err(DeleteKeystoreOutcome::Deleted)));
        let keys = store.count_keys_in_keystore(&ks).unwrap();
        if deleted {
            assert_eq!(keys, 0, "keystore deleted while holding keys");
            for r in results.iter().flatten() {
                assert_eq!(*r, Err(InsertKeyError::KeystoreGone));
            }
        } else {
            assert!(keys > 0);
            assert!(store.get_keystore("dom", &ks).unwrap().is_some());
        }
    }
}

/// A key and its wrapped material read back exactly, in its project only; state and deletion time change atomically.
pub fn key_round_trip_material_and_state<F: StoreFactory>(f: &F) {
    let store = f.make();
    let rec = key(&id(1), "proj", "k1", "0");
    let w = wrapped(&id(1));
    store.insert_key(&rec, &w).unwrap();
    assert_eq!(
        store.get_key("proj", &id(1)).unwrap().as_deref(),
        Some(&rec)
    );
    assert_eq!(store.get_key("other", &id(1)).unwrap(), None);
    assert_eq!(
        store.get_key_material(&id(1), 1).unwrap().as_deref(),
        Some(w.as_bytes())
    );
    assert_eq!(store.get_key_material(&id(1), 2).unwrap(), None);
    // What is stored unwraps under the root key: only wrapped material.
    let root = RootKey::from_bytes(&[1u8; 32]).unwrap();
    let material = store.get_key_material(&id(1), 1).unwrap().unwrap();
    assert_ne!(material, vec![7u8; 32]);
    let mk = root.unwrap_master_key(&id(1), 1, &material).unwrap();
    assert_eq!((mk.key_id(), mk.version()), (id(1).as_str(), 1));
    assert!(
        store
            .set_key_state(
                "proj",
                &id(1),
                KeyState::PendingDeletion,
                Some(Timestamp(5))
            )
            .unwrap()
    );
    assert!(
        !store
            .set_key_state("other", &id(1), KeyState::Disabled, None)
            .unwrap()
    );
    let got = store.get_key("proj", &id(1)).unwrap().unwrap();
    assert_eq!(got.state, KeyState::PendingDeletion);
    assert_eq!(got.deletion_time, Some(Timestamp(5)));
}

/// A keystore holding keys is not deleted, and a key cannot go into a keystore that does not exist.
pub fn keystore_with_keys_cannot_be_deleted<F: StoreFactory>(f: &F) {
    let store = f.make();
    store
        .insert_keystore(&keystore(&id(1), "dom", "k", None))
        .unwrap();
    store
        .insert_key(&key(&id(2), "proj", "a", &id(1)), &wrapped(&id(2)))
        .unwrap();
    assert_eq!(store.count_keys_in_keystore(&id(1)).unwrap(), 1);
    assert_eq!(
        store.delete_keystore("dom", &id(1)).unwrap(),
        DeleteKeystoreOutcome::HasKeys
    );
    assert!(store.get_keystore("dom", &id(1)).unwrap().is_some());
    // A key into a keystore that does not exist.
    assert_eq!(
        store.insert_key(&key(&id(3), "proj", "b", &id(9)), &wrapped(&id(3))),
        Err(InsertKeyError::KeystoreGone)
    );
}

/// PIN verifiers are scoped by domain and keystore; inserting one twice is harmless.
pub fn pin_verifiers<F: StoreFactory>(f: &F) {
    let store = f.make();
    let v = PinVerifier::from_bytes(&[3u8; PIN_VERIFIER_LEN]).unwrap();
    let w = PinVerifier::from_bytes(&[4u8; PIN_VERIFIER_LEN]).unwrap();
    assert!(!store.has_pin_verifier("dom", "1", &v).unwrap());
    store.insert_pin_verifier("dom", "1", &v).unwrap();
    store.insert_pin_verifier("dom", "1", &v).unwrap();
    assert!(store.has_pin_verifier("dom", "1", &v).unwrap());
    assert!(!store.has_pin_verifier("dom", "2", &v).unwrap());
    assert!(!store.has_pin_verifier("dom2", "1", &v).unwrap());
    assert!(!store.has_pin_verifier("dom", "1", &w).unwrap());
}

/// Certificates read back exactly (sealed private key included), filter and page, keep names unique per scope on update, and delete in their project only.
pub fn certificate_round_trip_filter_update_delete<F: StoreFactory>(f: &F) {
    let store = f.make();
    let a = cert(&id(1), "proj", "alpha_cert");
    store.insert_certificate(&a).unwrap();
    let mut b = cert(&id(2), "proj", "beta_cert");
    b.record.signature_algorithm = "ECDSA-SHA256".into();
    store.insert_certificate(&b).unwrap();
    store
        .insert_certificate(&cert(&id(3), "other", "alpha_cert"))
        .unwrap();
    assert_eq!(
        store.get_certificate("proj", &id(1)).unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.get_certificate("other", &id(1)).unwrap(), None);

    let all = CertificateFilter::default();
    let (total, page) = store.list_certificates("proj", &all, 0, 10).unwrap();
    assert_eq!(total, 2);
    assert_eq!(page[0].record.id, id(1));
    let by_name = CertificateFilter {
        name: Some("beta".into()),
        ..CertificateFilter::default()
    };
    let (total, page) = store.list_certificates("proj", &by_name, 0, 10).unwrap();
    assert_eq!((total, page[0].record.id.as_str()), (1, id(2).as_str()));
    let by_alg = CertificateFilter {
        signature_algorithm: Some("SHA256-RSA".into()),
        ..CertificateFilter::default()
    };
    assert_eq!(
        store.list_certificates("proj", &by_alg, 0, 10).unwrap().0,
        1
    );
    let (total, page) = store.list_certificates("proj", &all, 1, 10).unwrap();
    assert_eq!((total, page.len()), (2, 1));

    // Update to a taken name fails; to a free one succeeds.
    let mut a2 = a.clone();
    a2.record.name = "beta_cert".into();
    assert_eq!(
        store.update_certificate(&a2),
        Err(CertificateWriteError::NameTaken)
    );
    a2.record.name = "gamma_cert".into();
    store.update_certificate(&a2).unwrap();
    assert_eq!(
        store
            .get_certificate("proj", &id(1))
            .unwrap()
            .unwrap()
            .record
            .name,
        "gamma_cert"
    );
    let mut missing = a2.clone();
    missing.record.id = id(99);
    missing.record.name = "delta_cert".into();
    assert_eq!(
        store.update_certificate(&missing),
        Err(CertificateWriteError::NotFound)
    );
    // Same name in another scope is allowed.
    let mut inst = cert(&id(4), "proj", "beta_cert");
    inst.record.r#type = Some("instance".into());
    inst.record.instance_id = Some("inst-1".into());
    store.insert_certificate(&inst).unwrap();

    assert!(store.delete_certificate("proj", &id(1)).unwrap());
    assert!(!store.delete_certificate("proj", &id(1)).unwrap());
    assert!(!store.delete_certificate("proj", &id(3)).unwrap());
}

/// Nothing of one tenant is visible to another: keystores by domain, keys
/// and certificates by project, PIN verifiers by domain.
pub fn tenants_see_only_their_own<F: StoreFactory>(f: &F) {
    let store = f.make();
    store
        .insert_keystore(&keystore(&id(1), "dom-a", "shared_alias", None))
        .unwrap();
    store
        .insert_keystore(&keystore(&id(2), "dom-b", "shared_alias", None))
        .unwrap();
    assert_eq!(store.list_keystores("dom-a", 0, 100).unwrap().0, 1);
    assert_eq!(store.get_keystore("dom-a", &id(2)).unwrap(), None);
    assert_eq!(
        store.delete_keystore("dom-a", &id(2)).unwrap(),
        DeleteKeystoreOutcome::NotFound
    );
    assert!(
        !store
            .set_keystore_state("dom-a", &id(2), KeystoreState::Disabled)
            .unwrap()
    );
    store
        .insert_key(&key(&id(3), "proj-a", "k", "0"), &wrapped(&id(3)))
        .unwrap();
    assert_eq!(store.get_key("proj-b", &id(3)).unwrap(), None);
    assert!(
        !store
            .set_key_state("proj-b", &id(3), KeyState::Disabled, None)
            .unwrap()
    );
    assert_eq!(
        store.get_key("proj-a", &id(3)).unwrap().unwrap().state,
        KeyState::Enabled
    );
    store
        .insert_certificate(&cert(&id(4), "proj-a", "cert_a"))
        .unwrap();
    assert_eq!(store.get_certificate("proj-b", &id(4)).unwrap(), None);
    let all = CertificateFilter::default();
    assert_eq!(store.list_certificates("proj-b", &all, 0, 10).unwrap().0, 0);
    assert!(!store.delete_certificate("proj-b", &id(4)).unwrap());
    let mut moved = cert(&id(4), "proj-b", "cert_a");
    moved.record.common_name = "changed".into();
    assert_eq!(
        store.update_certificate(&moved),
        Err(CertificateWriteError::NotFound),
        "an update names its project"
    );
    let v = PinVerifier::from_bytes(&[5u8; PIN_VERIFIER_LEN]).unwrap();
    store.insert_pin_verifier("dom-a", "1", &v).unwrap();
    assert!(!store.has_pin_verifier("dom-b", "1", &v).unwrap());
}

/// Paging: `offset` and `limit` cut the list in insertion order, `total`
/// counts everything, and an offset past the end is an empty page.
pub fn paging_is_stable<F: StoreFactory>(f: &F) {
    let store = f.make();
    for i in 0..7 {
        store
            .insert_keystore(&keystore(&id(10 + i), "dom", &format!("ks{i}"), None))
            .unwrap();
        store
            .insert_certificate(&cert(&id(20 + i), "proj", &format!("cert_{i}")))
            .unwrap();
    }
    let mut seen = Vec::new();
    for offset in (0..7).step_by(3) {
        let (total, page) = store.list_keystores("dom", offset, 3).unwrap();
        assert_eq!(total, 7);
        seen.extend(page.into_iter().map(|k| k.keystore_id));
    }
    assert_eq!(seen, (0..7).map(|i| id(10 + i)).collect::<Vec<_>>());
    let (total, page) = store.list_keystores("dom", 50, 3).unwrap();
    assert_eq!((total, page.len()), (7, 0));
    let all = CertificateFilter::default();
    let (total, page) = store.list_certificates("proj", &all, 5, 10).unwrap();
    assert_eq!(total, 7);
    assert_eq!(
        page.iter().map(|c| c.record.id.clone()).collect::<Vec<_>>(),
        vec![id(25), id(26)]
    );
}
