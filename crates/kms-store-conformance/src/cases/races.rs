//! Races between threads: one winner, nothing half-written.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- races

/// 8 threads insert keystores with one alias in one domain: one wins, the
/// others get `AliasTaken`, one keystore exists.
pub fn race_keystore_alias(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let results = race(|i| ks.insert_keystore(&keystore(i, DOMAIN, "same", None)));
    one_winner(&results, &InsertKeystoreError::AliasTaken, "keystore alias");
    assert_eq!(ok(ks.list_keystores(DOMAIN, 0, 100), "list").0, 1);
}

/// 8 threads insert keystores (of different domains) on one cluster: one
/// wins, the others get `ClusterTaken`.
pub fn race_keystore_cluster(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = &*s.keystores;
    let results = race(|i| {
        let domain = if i % 2 == 0 { DOMAIN } else { OTHER_DOMAIN };
        ks.insert_keystore(&keystore(i, domain, &format!("a{i}"), Some("cluster")))
    });
    one_winner(&results, &InsertKeystoreError::ClusterTaken, "cluster");
    let total = ok(ks.list_keystores(DOMAIN, 0, 100), "list").0
        + ok(ks.list_keystores(OTHER_DOMAIN, 0, 100), "list").0;
    assert_eq!(total, 1, "one keystore on the cluster");
}

/// 8 threads insert keys with one alias in one project: one wins, the
/// others get `AliasTaken` and leave no material behind.
pub fn race_key_alias(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    let results = race(|i| {
        keys.insert_key(
            &key(i, PROJECT, "same", "0"),
            &KeyMaterial::from(wrapped(&id(i), 1, 1)),
        )
    });
    one_winner(&results, &InsertKeyError::AliasTaken, "key alias");
    for (i, r) in results.iter().enumerate() {
        let stored = ok(keys.get_key(PROJECT, &id(i)), "get").is_some();
        let material = ok(keys.get_key_material(&id(i), 1), "material").is_some();
        assert_eq!(
            (stored, material),
            (r.is_ok(), r.is_ok()),
            "only the winner is stored, with its material"
        );
    }
}

/// 8 threads insert certificates with one name in one scope: one wins.
pub fn race_certificate_name(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    let results = race(|i| c.insert_certificate(&certificate(i, PROJECT, "same_name")));
    one_winner(
        &results,
        &CertificateWriteError::NameTaken,
        "certificate name",
    );
    let all = CertificateFilter::default();
    assert_eq!(ok(c.list_certificates(PROJECT, &all, 0, 100), "list").0, 1);
}

/// 8 threads rename 8 certificates to one name: one wins, exactly one
/// certificate has the name.
pub fn race_certificate_rename(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let c = &*s.certificates;
    for i in 0..RACE_THREADS {
        ok(
            c.insert_certificate(&certificate(i, PROJECT, &format!("cert_{i}"))),
            "insert",
        );
    }
    let results = race(|i| c.update_certificate(&certificate(i, PROJECT, "same_name")));
    one_winner(
        &results,
        &CertificateWriteError::NameTaken,
        "certificate rename",
    );
    let (total, page) = ok(
        c.list_certificates(PROJECT, &CertificateFilter::default(), 0, 100),
        "list",
    );
    assert_eq!(total as usize, RACE_THREADS, "renames delete nothing");
    assert_eq!(
        page.iter().filter(|x| x.record.name == "same_name").count(),
        1,
        "exactly one certificate has the name"
    );
}

/// One thread deletes a dedicated keystore while 7 insert keys into it,
/// 10 rounds: either the delete wins (and every insert is
/// `KeystoreGone`) or a key exists and so does the keystore. Never a key
/// in a deleted keystore.
pub fn race_delete_keystore_against_key_insert(new: &dyn Fn() -> StoreSet) {
    for round in 0..10 {
        let s = new();
        let ks_id = id(1000 + round);
        ok(
            s.keystores.insert_keystore(&KeystoreRecord {
                keystore_id: ks_id.clone(),
                ..keystore(0, DOMAIN, "ks", None)
            }),
            "keystore",
        );
        let results = race(|i| {
            if i == 0 {
                Err(ok(s.keystores.delete_keystore(DOMAIN, &ks_id), "delete"))
            } else {
                Ok(s.keys.insert_key(
                    &key(i, PROJECT, &format!("a{i}"), &ks_id),
                    &KeyMaterial::from(wrapped(&id(i), 1, 1)),
                ))
            }
        });
        let deleted = results
            .iter()
            .any(|r| matches!(r, Err(DeleteKeystoreOutcome::Deleted)));
        let keys = ok(s.keys.count_keys_in_keystore(&ks_id), "count");
        if deleted {
            assert_eq!(
                keys, 0,
                "round {round}: keystore deleted while holding keys"
            );
            for r in results.iter().flatten() {
                assert_eq!(
                    *r,
                    Err(InsertKeyError::KeystoreGone),
                    "round {round}: an insert after the delete"
                );
            }
        } else {
            assert!(
                results
                    .iter()
                    .any(|r| matches!(r, Err(DeleteKeystoreOutcome::HasKeys))),
                "round {round}: the delete must report HasKeys, got {results:?}"
            );
            assert!(keys > 0, "round {round}: HasKeys without a key");
            assert!(
                ok(s.keystores.get_keystore(DOMAIN, &ks_id), "get").is_some(),
                "round {round}: keystore gone although the delete said HasKeys"
            );
            for r in results.iter().flatten() {
                assert_eq!(*r, Ok(()), "round {round}: the keystore stayed");
            }
        }
    }
}
