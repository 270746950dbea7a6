#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The port-conformance suite (kms-store-conformance) against SQLite
//! stores, each in its own temporary directory.

use kms_store_conformance::{RotationSet, StoreSet, run_all, run_rotation_cases};
use kms_store_sqlite::SqliteStore;

fn sqlite() -> StoreSet {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("kms.db")).unwrap();
    StoreSet::shared(store).with_guard(dir)
}

#[test]
fn sqlite_store_conforms() {
    run_all(&sqlite);
}

#[test]
fn sqlite_store_conforms_for_root_rotation() {
    run_rotation_cases(&|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("kms.db")).unwrap();
        RotationSet::shared(store).with_guard(dir)
    });
}
