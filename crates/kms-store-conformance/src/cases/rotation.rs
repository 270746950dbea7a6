//! Key rotation policy and versions.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- rotation

/// A key is inserted with its rotation record as given (round trip), and
/// set_key_rotation changes the flag and the interval independently,
/// within the project only.
pub fn key_rotation_policy(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let rec = KeyRecord {
        rotation: KeyRotation {
            enabled: true,
            interval_days: 90,
            last_rotation_time: Some(Timestamp(1_700_000_000_123)),
            rotations: 4,
            interval_start: Some(Timestamp(1_700_000_000_456)),
        },
        current_version: 5,
        ..key(1, PROJECT, "a", "0")
    };
    ok(
        s.keys
            .insert_key(&rec, &KeyMaterial::from(wrapped(&id(1), 5, 1))),
        "insert",
    );
    let got = |s: &StoreSet| {
        ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("key 1 gone"))
    };
    assert_eq!(*got(&s), rec, "the rotation record round-trips");
    assert!(ok(
        s.keys
            .set_key_rotation(PROJECT, &id(1), Some(false), None, None),
        "disable"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: false,
            ..rec.rotation
        }
    );
    assert!(ok(
        s.keys
            .set_key_rotation(PROJECT, &id(1), None, Some(30), None),
        "interval"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: false,
            interval_days: 30,
            ..rec.rotation
        }
    );
    assert!(ok(
        s.keys
            .set_key_rotation(PROJECT, &id(1), Some(true), Some(365), None),
        "both"
    ));
    assert_eq!(
        got(&s).rotation,
        KeyRotation {
            enabled: true,
            interval_days: 365,
            ..rec.rotation
        }
    );
    assert!(!ok(
        s.keys
            .set_key_rotation(OTHER_PROJECT, &id(1), Some(false), None, None),
        "other project"
    ));
    assert!(!ok(
        s.keys
            .set_key_rotation(PROJECT, &id(2), Some(false), None, None),
        "unknown"
    ));
    let (_, listed) = ok(s.keys.list_keys(PROJECT, &query(None, 0, 0, 10)), "list");
    assert_eq!(
        listed[0].rotation,
        got(&s).rotation,
        "list reads the rotation too"
    );
}

/// rotate_key stores the new version's material, makes it current, stamps
/// the time and counts; every older version's material stays; a rotation
/// from a version that is no longer current changes nothing; an unknown
/// key or another project's key is not found.
pub fn key_rotation_versions(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let w1 = wrapped(&id(1), 1, 1);
    let w2 = wrapped(&id(1), 2, 2);
    let w3 = wrapped(&id(1), 3, 3);
    ok(
        s.keys
            .insert_key(&key(1, PROJECT, "a", "0"), &KeyMaterial::from(w1.clone())),
        "insert",
    );
    ok(
        s.keys
            .rotate_key(PROJECT, &id(1), &w2, 2, Timestamp(1_700_000_001_000)),
        "rotate to 2",
    );
    let k = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(k.current_version, 2);
    assert_eq!(k.rotation.rotations, 1);
    assert_eq!(
        k.rotation.last_rotation_time,
        Some(Timestamp(1_700_000_001_000))
    );
    assert_eq!(
        k.rotation.interval_start,
        Some(Timestamp(1_700_000_001_000)),
        "a rotation starts the next interval"
    );
    assert_eq!(
        s.keys
            .rotate_key(PROJECT, &id(1), &wrapped(&id(1), 2, 9), 2, Timestamp(1)),
        Err(RotateKeyError::VersionChanged),
        "a rotation from version 1 again"
    );
    assert_eq!(
        s.keys.rotate_key(PROJECT, &id(1), &w3, 4, Timestamp(1)),
        Err(RotateKeyError::VersionChanged),
        "a version that skips one"
    );
    ok(
        s.keys
            .rotate_key(PROJECT, &id(1), &w3, 3, Timestamp(1_700_000_002_000)),
        "rotate to 3",
    );
    for (v, w) in [(1, &w1), (2, &w2), (3, &w3)] {
        assert_eq!(
            ok(s.keys.get_key_material(&id(1), v), "material").as_deref(),
            Some(w.as_bytes()),
            "version {v} kept byte for byte"
        );
    }
    let k = ok(s.keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((k.current_version, k.rotation.rotations), (3, 2));
    assert_eq!(
        s.keys
            .rotate_key(OTHER_PROJECT, &id(1), &w3, 4, Timestamp(1)),
        Err(RotateKeyError::NotFound)
    );
    assert_eq!(
        s.keys.rotate_key(PROJECT, &id(7), &w3, 2, Timestamp(1)),
        Err(RotateKeyError::NotFound)
    );
    assert_eq!(ok(s.keys.get_key_material(&id(1), 4), "material"), None);
}

/// 8 threads rotate one key from version 1: exactly one new version.
pub fn race_rotate_key(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    ok(
        keys.insert_key(
            &key(1, PROJECT, "a", "0"),
            &KeyMaterial::from(wrapped(&id(1), 1, 1)),
        ),
        "insert",
    );
    let results = race(|i| {
        let seed = u8::try_from(i).unwrap_or(0).wrapping_add(10);
        keys.rotate_key(PROJECT, &id(1), &wrapped(&id(1), 2, seed), 2, Timestamp(1))
    });
    one_winner(&results, &RotateKeyError::VersionChanged, "key rotation");
    let k = ok(keys.get_key(PROJECT, &id(1)), "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!((k.current_version, k.rotation.rotations), (2, 1));
    let winner = results.iter().position(Result::is_ok).unwrap_or(0);
    let seed = u8::try_from(winner).unwrap_or(0).wrapping_add(10);
    assert_eq!(
        ok(keys.get_key_material(&id(1), 2), "material").as_deref(),
        Some(wrapped(&id(1), 2, seed).as_bytes()),
        "the winner's material is the stored version 2"
    );
}

/// keys_due_for_rotation lists, across projects, exactly the enabled,
/// generated, symmetric keys with rotation on whose interval (from its
/// start, else the last rotation, else the creation) has passed, the
/// longest overdue first, at most `limit`; with each its current version.
/// Turning rotation on restarts the interval; a rotation moves the key out.
pub fn keys_due_for_rotation(new: &dyn Fn() -> StoreSet) {
    const DAY: i64 = 86_400_000;
    let s = new();
    let base = key(1, PROJECT, "x", "0").create_time;
    let on = |n: usize, project: &str, f: &dyn Fn(&mut KeyRecord)| {
        let mut k = key(n, project, &format!("k{n}"), "0");
        k.rotation.enabled = true;
        k.rotation.interval_days = 30;
        f(&mut k);
        let v = k.current_version.max(1);
        k.current_version = v;
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::from(wrapped(&id(n), v, 1))),
            "insert",
        );
    };
    // 1: created at base, due at base + 30 days.
    on(1, PROJECT, &|_| {});
    // 2: another project, rotated at base + 5 days, due at base + 35 days.
    on(2, OTHER_PROJECT, &|k| {
        k.rotation.last_rotation_time = Some(Timestamp(base.0 + 5 * DAY));
        k.current_version = 3;
    });
    // 3: interval started (rotation enabled) at base + 20 days: due at +50.
    on(3, PROJECT, &|k| {
        k.rotation.interval_start = Some(Timestamp(base.0 + 20 * DAY));
    });
    // Never due: rotation off, disabled, pending deletion, imported, a key
    // pair.
    on(4, PROJECT, &|k| k.rotation.enabled = false);
    on(5, PROJECT, &|k| k.state = KeyState::Disabled);
    on(6, PROJECT, &|k| {
        k.state = KeyState::PendingDeletion;
        k.deletion_time = Some(Timestamp(base.0 + 400 * DAY));
    });
    on(7, PROJECT, &|k| k.origin = KeyOrigin::External);
    on(8, PROJECT, &|k| {
        k.spec = CmkSpec::EcP256;
        k.usage = KeyUsage::SignVerify;
    });
    let due = |at: i64, limit: u64| -> Vec<(String, String, u32)> {
        ok(s.keys.keys_due_for_rotation(Timestamp(at), limit), "due")
            .into_iter()
            .map(|d| (d.project_id, d.key_id, d.current_version))
            .collect()
    };
    assert_eq!(due(base.0 + 30 * DAY - 1, 10), [], "nothing due yet");
    assert_eq!(
        due(base.0 + 30 * DAY + 1, 10),
        [(PROJECT.to_owned(), id(1), 1)],
        "key 1 is due at its creation plus the interval"
    );
    let all = due(base.0 + 400 * DAY, 10);
    assert_eq!(
        all,
        [
            (PROJECT.to_owned(), id(1), 1),
            (OTHER_PROJECT.to_owned(), id(2), 3),
            (PROJECT.to_owned(), id(3), 1),
        ],
        "every due key, any project, the longest overdue first"
    );
    assert_eq!(due(base.0 + 400 * DAY, 2).len(), 2, "at most limit");
    // Rotating key 1 starts its next interval; turning key 3's rotation on
    // again restarts it.
    ok(
        s.keys.rotate_key(
            PROJECT,
            &id(1),
            &wrapped(&id(1), 2, 2),
            2,
            Timestamp(base.0 + 31 * DAY),
        ),
        "rotate",
    );
    assert!(ok(
        s.keys.set_key_rotation(
            PROJECT,
            &id(3),
            Some(true),
            None,
            Some(Timestamp(base.0 + 100 * DAY)),
        ),
        "restart"
    ));
    assert_eq!(
        due(base.0 + 61 * DAY - 1, 10),
        [(OTHER_PROJECT.to_owned(), id(2), 3)],
        "key 1 is next due 30 days after its rotation, key 3 after its restart"
    );
    assert_eq!(
        due(base.0 + 130 * DAY, 10),
        [
            (OTHER_PROJECT.to_owned(), id(2), 3),
            (PROJECT.to_owned(), id(1), 2),
            (PROJECT.to_owned(), id(3), 1),
        ]
    );
}
