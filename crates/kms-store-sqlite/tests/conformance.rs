//! The port-conformance suite (kms-store-conformance) against SQLite: each
//! case gets a new database file.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kms_store_sqlite::SqliteStore;

struct Sqlite {
    dir: tempfile::TempDir,
    n: AtomicUsize,
}

impl kms_store_conformance::StoreFactory for Sqlite {
    type Store = SqliteStore;
    fn make(&self) -> Arc<SqliteStore> {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        Arc::new(SqliteStore::open(self.dir.path().join(format!("kms-{n}.db"))).unwrap())
    }
}

fn sqlite() -> Sqlite {
    Sqlite {
        dir: tempfile::tempdir().unwrap(),
        n: AtomicUsize::new(0),
    }
}

kms_store_conformance::conformance_tests!(sqlite());
