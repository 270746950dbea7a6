#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `backup` and `restore` on files: the change counter counts every write,
//! a backup is private and self-contained, `restore` refuses a database in
//! use and one newer than the backup unless forced.

use kms_core::ports::{MasterKeyStore, PinVerifierStore};
use kms_store_conformance::{DOMAIN, PROJECT, id, key, verifier, wrapped};
use kms_store_sqlite::{Error, Replaced, SqliteStore, backup, restore};

#[test]
fn backup_and_restore_follow_the_change_counter() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kms.db");
    let store = SqliteStore::open(&db).unwrap();
    store
        .insert_key(&key(1, PROJECT, "a", "0"), &wrapped(&id(1), 1, 1).into())
        .unwrap();
    let first = dir.path().join("first.db");
    let a = backup(&db, &first).unwrap();
    assert!(a.change_counter >= 2, "a key and its material: {a:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&first).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    store
        .insert_pin_verifier(DOMAIN, "1", &verifier(3))
        .unwrap();
    let second = dir.path().join("second.db");
    let b = backup(&db, &second).unwrap();
    assert_eq!(b.change_counter, a.change_counter + 1, "one row written");

    // The store is open: restore refuses.
    assert!(matches!(
        restore(&first, &db, true),
        Err(Error::InUse { .. })
    ));
    drop(store);
    // Newer than the first backup: only with force.
    assert!(matches!(
        restore(&first, &db, false),
        Err(Error::NewerDatabase { database, backup }) if database == b.change_counter && backup == a.change_counter
    ));
    let (info, replaced) = restore(&first, &db, true).unwrap();
    assert_eq!(info, a);
    assert_eq!(
        replaced,
        Replaced::Database {
            change_counter: b.change_counter
        }
    );
    let store = SqliteStore::open(&db).unwrap();
    assert!(!store.has_pin_verifier(DOMAIN, "1", &verifier(3)).unwrap());
    assert!(store.get_key(PROJECT, &id(1)).unwrap().is_some());
    drop(store);
    // The second backup is newer: no force needed. Into a new directory too.
    restore(&second, &db, false).unwrap();
    let fresh = dir.path().join("fresh/kms.db");
    let (_, replaced) = restore(&second, &fresh, false).unwrap();
    assert_eq!(replaced, Replaced::Nothing);
    let store = SqliteStore::open(&fresh).unwrap();
    assert!(store.has_pin_verifier(DOMAIN, "1", &verifier(3)).unwrap());

    // Not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    assert!(restore(&junk, &db, true).is_err());
}
