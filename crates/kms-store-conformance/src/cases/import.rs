//! Key material import: import tokens, importing, deleting and expiring
//! material, the fingerprint kept for the re-import rule.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

use kms_core::ports::{ImportMaterialError, ImportTokenRecord};

/// A key created with origin external, pending import, no version.
fn waiting(n: usize, project: &str) -> KeyRecord {
    KeyRecord {
        state: KeyState::PendingImport,
        current_version: 0,
        origin: KeyOrigin::External,
        ..key(n, project, &format!("ext{n}"), "0")
    }
}

fn token(n: usize, key_id: &str, expires: i64) -> ImportTokenRecord {
    ImportTokenRecord {
        token_id: id(100 + n),
        project_id: PROJECT.to_owned(),
        key_id: key_id.to_owned(),
        secret_digest: vec![u8::try_from(n).unwrap_or(0); 32],
        wrapping_algorithm: "RSAES_OAEP_SHA_256".to_owned(),
        sealed_private_key: vec![0xA5; 300],
        expires: Timestamp(expires),
    }
}

fn get(s: &StoreSet, n: usize) -> KeyRecord {
    (*ok(s.keys.get_key(PROJECT, &id(n)), "get").unwrap_or_else(|| panic!("key {n} gone"))).clone()
}

/// Tokens round-trip by id, are purged once expired (at or before the
/// instant) and go with their key when it is purged.
pub fn import_tokens_round_trip_and_purge(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys
            .insert_key(&waiting(1, PROJECT), &KeyMaterial::AwaitingImport),
        "insert",
    );
    let (a, b) = (token(1, &id(1), 1_000), token(2, &id(1), 2_000));
    ok(s.keys.insert_import_token(&a), "token a");
    ok(s.keys.insert_import_token(&b), "token b");
    assert!(
        s.keys.insert_import_token(&a).is_err(),
        "an id is never reused"
    );
    assert_eq!(
        ok(s.keys.get_import_token(&a.token_id), "get a"),
        Some(a.clone())
    );
    assert_eq!(ok(s.keys.get_import_token(&id(999)), "get none"), None);
    assert_eq!(ok(s.keys.purge_import_tokens(Timestamp(999)), "purge"), 0);
    assert_eq!(ok(s.keys.purge_import_tokens(Timestamp(1_000)), "purge"), 1);
    assert_eq!(ok(s.keys.get_import_token(&a.token_id), "get a"), None);
    assert_eq!(
        ok(s.keys.get_import_token(&b.token_id), "get b"),
        Some(b.clone())
    );
    // The key scheduled for deletion and purged: its tokens go with it.
    assert!(ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(5))
        ),
        "schedule"
    ));
    assert_eq!(
        ok(s.keys.purge_deleted_keys(Timestamp(10)), "purge keys"),
        1
    );
    assert_eq!(ok(s.keys.get_import_token(&b.token_id), "get b"), None);
}

/// import_key_material writes version 1 and enables the key only while
/// it is pending import; delete_key_material takes it back (material gone,
/// fingerprint kept), after which only the same fingerprint imports; an
/// expired-only delete needs the expiry to have come.
pub fn import_delete_and_reimport(new: &dyn Fn() -> StoreSet) {
    let s = new();
    ok(
        s.keys
            .insert_key(&waiting(1, PROJECT), &KeyMaterial::AwaitingImport),
        "insert",
    );
    assert_eq!(ok(s.keys.import_fingerprint(PROJECT, &id(1)), "fp"), None);
    let fp = [7u8; 32];
    let material = KeyMaterial::from(wrapped(&id(1), 1, 3));
    assert_eq!(
        s.keys
            .import_key_material(OTHER_PROJECT, &id(1), &material, &fp, None),
        Err(ImportMaterialError::NotFound),
        "another project's key"
    );
    ok(
        s.keys
            .import_key_material(PROJECT, &id(1), &material, &fp, Some(Timestamp(5_000))),
        "import",
    );
    let k = get(&s, 1);
    assert_eq!(
        (k.state, k.current_version, k.material_expiry),
        (KeyState::Enabled, 1, Some(Timestamp(5_000)))
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(1), 1), "material").as_deref(),
        material.stored_bytes()
    );
    assert_eq!(
        ok(s.keys.import_fingerprint(PROJECT, &id(1)), "fp"),
        Some(fp.to_vec())
    );
    assert_eq!(
        ok(s.keys.import_fingerprint(OTHER_PROJECT, &id(1)), "fp"),
        None
    );
    assert_eq!(
        s.keys
            .import_key_material(PROJECT, &id(1), &material, &fp, None),
        Err(ImportMaterialError::NotPendingImport),
        "an enabled key takes no import"
    );
    // Not expired yet at 4999: nothing happens.
    assert!(!ok(
        s.keys
            .delete_key_material(PROJECT, &id(1), Some(Timestamp(4_999))),
        "early expiry"
    ));
    assert_eq!(get(&s, 1).state, KeyState::Enabled);
    assert!(ok(
        s.keys
            .delete_key_material(PROJECT, &id(1), Some(Timestamp(5_000))),
        "expiry"
    ));
    let k = get(&s, 1);
    assert_eq!(
        (k.state, k.current_version, k.material_expiry),
        (KeyState::PendingImport, 0, None)
    );
    assert_eq!(ok(s.keys.get_key_material(&id(1), 1), "material"), None);
    assert!(!ok(
        s.keys.delete_key_material(PROJECT, &id(1), None),
        "nothing to delete"
    ));
    assert_eq!(
        s.keys
            .import_key_material(PROJECT, &id(1), &material, &[8u8; 32], None),
        Err(ImportMaterialError::MaterialDiffers),
        "other material"
    );
    assert_eq!(get(&s, 1).state, KeyState::PendingImport, "nothing changed");
    ok(
        s.keys
            .import_key_material(PROJECT, &id(1), &material, &fp, None),
        "same material again",
    );
    let k = get(&s, 1);
    assert_eq!((k.state, k.material_expiry), (KeyState::Enabled, None));
    // Disabled material is deletable too; pending deletion is not.
    assert!(ok(
        s.keys
            .set_key_state(PROJECT, &id(1), KeyState::Disabled, None),
        "disable"
    ));
    assert!(ok(
        s.keys.delete_key_material(PROJECT, &id(1), None),
        "delete"
    ));
    assert_eq!(
        ok(s.keys.import_fingerprint(PROJECT, &id(1)), "fp"),
        Some(fp.to_vec()),
        "the fingerprint stays"
    );
    ok(
        s.keys
            .import_key_material(PROJECT, &id(1), &material, &fp, None),
        "import",
    );
    assert!(ok(
        s.keys.set_key_state(
            PROJECT,
            &id(1),
            KeyState::PendingDeletion,
            Some(Timestamp(9))
        ),
        "schedule"
    ));
    assert!(!ok(
        s.keys.delete_key_material(PROJECT, &id(1), None),
        "pending deletion"
    ));
}

/// Concurrent imports into one key: exactly one wins, the others find it
/// no longer pending import.
pub fn race_import_key_material(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let keys = &*s.keys;
    ok(
        keys.insert_key(&waiting(1, PROJECT), &KeyMaterial::AwaitingImport),
        "insert",
    );
    let results = race(|i| {
        let seed = u8::try_from(i).unwrap_or(0).wrapping_add(20);
        keys.import_key_material(
            PROJECT,
            &id(1),
            &KeyMaterial::from(wrapped(&id(1), 1, seed)),
            &[seed; 32],
            None,
        )
    });
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "one import wins: {results:?}");
    for r in &results {
        match r {
            Ok(())
            | Err(ImportMaterialError::NotPendingImport | ImportMaterialError::MaterialDiffers) => {
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let winner = results.iter().position(Result::is_ok).unwrap_or(0);
    let seed = u8::try_from(winner).unwrap_or(0).wrapping_add(20);
    assert_eq!(
        ok(keys.get_key_material(&id(1), 1), "material").as_deref(),
        Some(wrapped(&id(1), 1, seed).as_bytes()),
        "the winner's material is version 1"
    );
    assert_eq!(
        ok(keys.import_fingerprint(PROJECT, &id(1)), "fp"),
        Some(vec![seed; 32])
    );
}
