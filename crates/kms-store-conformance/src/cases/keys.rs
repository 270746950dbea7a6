//! Key store cases: records, material, states, listing, alias and description.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- keys

/// Every field of a key comes back as inserted (by get_key and list_keys),
/// for every state, with and without a deletion time, for several
/// versions, for both origins.
pub fn key_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keystores
            .insert_keystore(&keystore(100, DOMAIN, "ks", None)),
        "keystore",
    );
    let records = [
        key(1, PROJECT, "plain", "0"),
        KeyRecord {
            domain_id: OTHER_DOMAIN.to_owned(),
            description: "Beschreibung ✓ with \"quotes\" and 'apostrophes'".to_owned(),
            state: KeyState::Disabled,
            current_version: 7,
            create_time: Timestamp(-5),
            origin: KeyOrigin::External,
            ..key(2, PROJECT, "disabled", "1")
        },
        KeyRecord {
            state: KeyState::PendingDeletion,
            deletion_time: Some(Timestamp(1_900_000_000_000)),
            current_version: u32::MAX,
            description: String::new(),
            ..key(3, OTHER_PROJECT, "pending", &id(100))
        },
    ];
    for r in &records {
        ok(
            s.keys.insert_key(
                r,
                &KeyMaterial::from(wrapped(&r.key_id, r.current_version, 9)),
            ),
            "insert key",
        );
    }
    for r in &records {
        assert_eq!(
            ok(s.keys.get_key(&r.project_id, &r.key_id), "get").as_deref(),
            Some(r),
            "get_key must return every field as inserted"
        );
    }
    // list_keys reads the same columns: every field, origin included.
    let (total, listed) = ok(
        s.keys.list_keys(PROJECT, &query(None, 0, 0, 10)),
        "list_keys",
    );
    assert_eq!(total, 2);
    assert_eq!(
        listed,
        [records[1].clone(), records[0].clone()],
        "oldest first, as inserted"
    );
}

/// A key pair: its spec and usage round-trip, its version-1 material is the
/// variable-length sealed private key, byte for byte, and list_keys filters
/// by spec.
pub fn key_pair_round_trip_and_spec_filter(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let aes = key(1, PROJECT, "aes", "0");
    ok(
        s.keys
            .insert_key(&aes, &KeyMaterial::from(wrapped(&aes.key_id, 1, 1))),
        "insert aes",
    );
    let mut pairs = Vec::new();
    for (n, spec) in [
        (2, CmkSpec::Rsa2048),
        (3, CmkSpec::EcP256),
        (4, CmkSpec::Rsa2048),
    ] {
        let k = KeyRecord {
            spec,
            usage: KeyUsage::SignVerify,
            ..key(n, PROJECT, &format!("pair-{n}"), "0")
        };
        // A real sealed private key (about 1.3 KiB for RSA-2048).
        let pair = kms_crypto::SigningKey::generate(
            match spec {
                CmkSpec::EcP256 => kms_crypto::SigningKeySpec::EcP256,
                _ => kms_crypto::SigningKeySpec::Rsa2048,
            },
            &mut rand_chacha::ChaCha20Rng::from_seed([n as u8; 32]),
        )
        .unwrap_or_else(|e| panic!("key pair: {e}"));
        let root = RootKey::from_bytes(&[1u8; 32]).unwrap_or_else(|e| panic!("root key: {e}"));
        let sealed = root
            .seal_signing_key(
                &mut rand_chacha::ChaCha20Rng::from_seed([0; 32]),
                &k.key_id,
                &pair,
            )
            .unwrap_or_else(|e| panic!("seal: {e}"));
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::SealedKeyPair(sealed.clone())),
            "insert key pair",
        );
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &k.key_id), "get").as_deref(),
            Some(&k),
            "a key pair's spec and usage must round-trip"
        );
        assert_eq!(
            ok(s.keys.get_key_material(&k.key_id, 1), "material").as_deref(),
            Some(sealed.as_bytes()),
            "a key pair's sealed private key must round-trip byte for byte"
        );
        pairs.push(k.key_id);
    }
    let only = |spec| {
        let q = KeyListQuery {
            spec,
            ..query(None, 0, 0, 100)
        };
        let (total, page) = ok(s.keys.list_keys(PROJECT, &q), "list");
        assert_eq!(total, page.len() as u64, "total of a spec filter");
        key_ids(&page)
    };
    assert_eq!(only(None).len(), 4, "no spec filter: every key");
    assert_eq!(
        only(Some(CmkSpec::Aes256)),
        vec![aes.key_id.clone()],
        "AES_256 only"
    );
    assert_eq!(
        only(Some(CmkSpec::Rsa2048)),
        vec![pairs[0].clone(), pairs[2].clone()],
        "RSA_2048 only"
    );
    assert_eq!(
        only(Some(CmkSpec::EcP256)),
        vec![pairs[1].clone()],
        "EC_P256 only"
    );
    assert!(only(Some(CmkSpec::Rsa4096)).is_empty(), "no RSA_4096 key");
}

/// Unknown keys: `None`, no material, `false`.
pub fn key_not_found(new: &dyn Fn() -> StoreSet) {
    let s = new();
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(1)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    assert!(
        !ok(
            s.keys
                .set_key_state(PROJECT, &id(1), KeyState::Disabled, None),
            "set state"
        ),
        "set_key_state of an unknown key must be false"
    );
    assert_eq!(ok(s.keys.count_keys_in_keystore(&id(1)), "count"), 0);
}

/// The material is stored under the key's `current_version`, byte for
/// byte, and under no other version; it survives state changes.
pub fn key_material_per_version(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let a = KeyRecord {
        current_version: 3,
        ..key(1, PROJECT, "a", "0")
    };
    let wa = wrapped(&id(1), 3, 1);
    let wb = wrapped(&id(2), 1, 2);
    ok(
        s.keys.insert_key(&a, &KeyMaterial::from(wa.clone())),
        "insert a",
    );
    ok(
        s.keys
            .insert_key(&key(2, PROJECT, "b", "0"), &KeyMaterial::from(wb.clone())),
        "insert b",
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(1), 3), "material").as_deref(),
        Some(wa.as_bytes()),
        "material of the current version, byte for byte"
    );
    for v in [0, 1, 2, 4, u32::MAX] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), v), "material"),
            None,
            "no material under version {v}"
        );
    }
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material").as_deref(),
        Some(wb.as_bytes())
    );
    ok(
        s.keys
            .set_key_state(PROJECT, &id(1), KeyState::Disabled, None),
        "disable",
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(1), 3), "material").as_deref(),
        Some(wa.as_bytes()),
        "state changes keep the material"
    );
}

/// "Only if its alias is free within the project": a taken alias is
/// `AliasTaken` (whatever the keystore) and stores neither the key nor its
/// material; another project may use the alias.
pub fn key_alias_unique_per_project(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "alias", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "first",
    );
    assert_eq!(
        s.keys.insert_key(
            &key(2, PROJECT, "alias", "1"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2))
        ),
        Err(InsertKeyError::AliasTaken),
        "same alias, same project, other keystore"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(2)), "get"), None);
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material"),
        None,
        "a refused insert stores no material"
    );
    ok(
        s.keys.insert_key(
            &KeyRecord {
                domain_id: OTHER_DOMAIN.to_owned(),
                ..key(3, OTHER_PROJECT, "alias", "0")
            },
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "the same alias in another project is free",
    );
}

/// A key whose alias is taken **and** whose keystore is gone is refused
/// with one of the two answers and stores nothing.
pub fn key_insert_breaking_both_rules_inserts_nothing(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "alias", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "first",
    );
    let r = s.keys.insert_key(
        &key(2, PROJECT, "alias", &id(99)),
        &KeyMaterial::from(wrapped(&id(2), 1, 2)),
    );
    assert!(
        matches!(
            r,
            Err(InsertKeyError::AliasTaken | InsertKeyError::KeystoreGone)
        ),
        "alias taken and keystore gone: got {r:?}"
    );
    assert_eq!(ok(s.keys.get_key(PROJECT, &id(2)), "get"), None);
    assert_eq!(ok(s.keys.get_key_material(&id(2), 1), "material"), None);
}

/// Enabled -> Disabled -> PendingDeletion(t) -> Disabled -> Enabled: the
/// state and the deletion time are both replaced (cancelling clears it),
/// every other field is unchanged.
pub fn key_state_transitions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = key(1, PROJECT, "a", "0");
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 1, 1))),
        "insert",
    );
    for (state, deletion) in [
        (KeyState::Disabled, None),
        (
            KeyState::PendingDeletion,
            Some(Timestamp(1_800_000_000_000)),
        ),
        (KeyState::Disabled, None),
        (KeyState::Enabled, None),
        (KeyState::Enabled, None),
    ] {
        assert!(
            ok(
                s.keys.set_key_state(PROJECT, &id(1), state, deletion),
                "set state"
            ),
            "set_key_state of an existing key must be true ({state:?})"
        );
        let want = KeyRecord {
            state,
            deletion_time: deletion,
            ..rec.clone()
        };
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
            Some(&want),
            "after set_key_state({state:?}, {deletion:?})"
        );
    }
}

/// A key created with origin `external` is stored with no version: state
/// `5`, `current_version` 0, no material; it lists under its state, can be
/// scheduled for deletion and return to waiting, and takes its alias.
pub fn key_awaiting_import(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = KeyRecord {
        state: KeyState::PendingImport,
        current_version: 0,
        origin: KeyOrigin::External,
        ..key(1, PROJECT, "byok", "0")
    };
    ok(
        s.keys.insert_key(&rec, &KeyMaterial::AwaitingImport),
        "insert",
    );
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
        Some(&rec)
    );
    for version in [0, 1] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), version), "material"),
            None,
            "a key awaiting import has no version {version}"
        );
    }
    let (total, page) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::PendingImport), 0, 0, 10)),
        "list pending import",
    );
    assert_eq!((total, key_ids(&page)), (1, vec![id(1)]));
    let (total, _) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::Enabled), 0, 0, 10)),
        "list enabled",
    );
    assert_eq!(total, 0);
    let deletion = Some(Timestamp(1_800_000_000_000));
    for (state, deletion) in [
        (KeyState::PendingDeletion, deletion),
        (KeyState::PendingImport, None),
    ] {
        assert!(ok(
            s.keys.set_key_state(PROJECT, &id(1), state, deletion),
            "set state"
        ));
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &id(1)), "get").map(|k| (k.state, k.deletion_time)),
            Some((state, deletion))
        );
    }
    assert_eq!(
        s.keys.insert_key(
            &key(2, PROJECT, "byok", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2))
        ),
        Err(InsertKeyError::AliasTaken),
        "the waiting key holds its alias"
    );
}

/// Another project sees nothing of a key and cannot change its state.
pub fn key_tenancy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = key(1, PROJECT, "a", "0");
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 1, 1))),
        "insert",
    );
    assert_eq!(
        ok(s.keys.get_key(OTHER_PROJECT, &id(1)), "get"),
        None,
        "another project's key is None"
    );
    assert!(
        !ok(
            s.keys.set_key_state(
                OTHER_PROJECT,
                &id(1),
                KeyState::PendingDeletion,
                Some(Timestamp(1))
            ),
            "set"
        ),
        "another project cannot change the state"
    );
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(1)), "get").as_deref(),
        Some(&rec),
        "the owner's key is untouched"
    );
}

// ---------------------------------------------------------------- key management

pub(crate) fn key_ids(list: &[KeyRecord]) -> Vec<String> {
    list.iter().map(|k| k.key_id.clone()).collect()
}

pub(crate) fn query(
    state: Option<KeyState>,
    live_at: i64,
    offset: u64,
    limit: u64,
) -> KeyListQuery {
    KeyListQuery {
        state,
        spec: None,
        live_at: Timestamp(live_at),
        offset,
        limit,
    }
}

/// list_keys: the project's keys only, oldest first (create time, then
/// key id), the state filter, offset and limit, the total of all matching
/// keys, and keys pending deletion whose deletion time is at or before
/// `live_at` neither listed nor counted (those later still are).
pub fn key_list_filters_paging_and_expiry(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let t = 1_700_000_000_000;
    // Inserted out of order; ids 3 and 4 share a create time.
    for (n, ct) in [(4, t + 5), (1, t + 9), (3, t + 5), (2, t + 1)] {
        let k = KeyRecord {
            create_time: Timestamp(ct),
            ..key(n, PROJECT, &format!("k{n}"), "0")
        };
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::from(wrapped(&id(n), 1, 1))),
            "insert",
        );
    }
    ok(
        s.keys.insert_key(
            &key(9, OTHER_PROJECT, "other", "0"),
            &KeyMaterial::from(wrapped(&id(9), 1, 1)),
        ),
        "insert other project",
    );
    let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, t, 0, 100)), "list");
    assert_eq!(total, 4, "only the project's keys are counted");
    assert_eq!(
        key_ids(&page),
        vec![id(2), id(3), id(4), id(1)],
        "oldest first, ties by key id"
    );
    assert_eq!(
        page[0],
        KeyRecord {
            create_time: Timestamp(t + 1),
            ..key(2, PROJECT, "k2", "0")
        },
        "every field round-trips"
    );
    let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, t, 1, 2)), "page");
    assert_eq!((total, key_ids(&page)), (4, vec![id(3), id(4)]));
    let (_, page) = ok(
        s.keys.list_keys(PROJECT, &query(None, t, 4, 2)),
        "past the end",
    );
    assert!(page.is_empty());
    ok(
        s.keys
            .set_key_state(PROJECT, &id(3), KeyState::Disabled, None),
        "disable",
    );
    ok(
        s.keys.set_key_state(
            PROJECT,
            &id(4),
            KeyState::PendingDeletion,
            Some(Timestamp(t + 100)),
        ),
        "schedule deletion",
    );
    let (total, page) = ok(
        s.keys
            .list_keys(PROJECT, &query(Some(KeyState::Disabled), t, 0, 100)),
        "disabled",
    );
    assert_eq!((total, key_ids(&page)), (1, vec![id(3)]));
    let (total, _) = ok(
        s.keys.list_keys(
            PROJECT,
            &query(Some(KeyState::PendingDeletion), t + 99, 0, 100),
        ),
        "pending before its time",
    );
    assert_eq!(total, 1, "a key pending deletion is listed until its time");
    for at in [t + 100, t + 101] {
        let (total, page) = ok(s.keys.list_keys(PROJECT, &query(None, at, 0, 100)), "gone");
        assert_eq!(
            (total, key_ids(&page)),
            (3, vec![id(2), id(3), id(1)]),
            "a key whose deletion time has come is gone"
        );
    }
    let (total, _) = ok(
        s.keys.list_keys(OTHER_PROJECT, &query(None, t, 0, 100)),
        "other project",
    );
    assert_eq!(total, 1);
}

/// update_key_alias: renames within the project, keeps every other field,
/// refuses an alias another key of the project has (changing nothing),
/// accepts the key's own alias and an alias taken in another project only,
/// and is not-found for an unknown key or another project's key.
pub fn key_alias_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "one", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(2, PROJECT, "two", "0"),
            &KeyMaterial::from(wrapped(&id(2), 1, 2)),
        ),
        "insert",
    );
    ok(
        s.keys.insert_key(
            &key(3, OTHER_PROJECT, "elsewhere", "0"),
            &KeyMaterial::from(wrapped(&id(3), 1, 3)),
        ),
        "insert",
    );
    ok(s.keys.update_key_alias(PROJECT, &id(1), "uno"), "rename");
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(*got, key(1, PROJECT, "uno", "0"), "only the alias changed");
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(1), "two"),
        Err(UpdateKeyAliasError::AliasTaken)
    );
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(got.alias, "uno", "a refused rename changes nothing");
    ok(s.keys.update_key_alias(PROJECT, &id(1), "uno"), "own alias");
    ok(
        s.keys.update_key_alias(PROJECT, &id(1), "elsewhere"),
        "an alias of another project is free",
    );
    ok(
        s.keys.insert_key(
            &key(4, PROJECT, "uno", "0"),
            &KeyMaterial::from(wrapped(&id(4), 1, 4)),
        ),
        "the old alias is free again",
    );
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(99), "x"),
        Err(UpdateKeyAliasError::NotFound)
    );
    assert_eq!(
        s.keys.update_key_alias(PROJECT, &id(3), "x"),
        Err(UpdateKeyAliasError::NotFound),
        "another project's key is not found"
    );
}

/// update_key_description: sets the description only, within the project.
pub fn key_description_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys.insert_key(
            &key(1, PROJECT, "one", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    assert!(ok(
        s.keys
            .update_key_description(PROJECT, &id(1), "new words \u{e9}"),
        "describe"
    ));
    let got = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"));
    assert_eq!(
        *got,
        KeyRecord {
            description: "new words \u{e9}".to_owned(),
            ..key(1, PROJECT, "one", "0")
        }
    );
    assert!(ok(
        s.keys.update_key_description(PROJECT, &id(1), ""),
        "empty"
    ));
    assert!(!ok(
        s.keys.update_key_description(OTHER_PROJECT, &id(1), "x"),
        "other project"
    ));
    assert!(!ok(
        s.keys.update_key_description(PROJECT, &id(2), "x"),
        "unknown"
    ));
}

/// 8 threads rename 8 keys to one alias: exactly one wins.
pub fn race_key_alias_update(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    for i in 0..RACE_THREADS {
        ok(
            keys.insert_key(
                &key(i, PROJECT, &format!("k{i}"), "0"),
                &KeyMaterial::from(wrapped(&id(i), 1, 1)),
            ),
            "insert",
        );
    }
    let results = race(|i| keys.update_key_alias(PROJECT, &id(i), "same"));
    one_winner(
        &results,
        &UpdateKeyAliasError::AliasTaken,
        "key alias update",
    );
    let (_, all) = ok(keys.list_keys(PROJECT, &query(None, 0, 0, 100)), "list");
    assert_eq!(all.iter().filter(|k| k.alias == "same").count(), 1);
}
