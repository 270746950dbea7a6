#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The port-conformance suite (kms-store-conformance) against PostgreSQL
//! stores: one throwaway cluster, a fresh schema per store set.

use std::sync::atomic::{AtomicUsize, Ordering};

use kms_store_conformance::{StoreSet, run_all};
use kms_store_postgres::testing::{PgCluster, cluster_or_skip};
use kms_store_postgres::{PostgresStore, PostgresStoreOptions};

fn postgres(cluster: &PgCluster, n: &AtomicUsize) -> StoreSet {
    let options = PostgresStoreOptions {
        pool_size: 8,
        io_threads: 1,
        schema: Some(format!("conformance_{}", n.fetch_add(1, Ordering::Relaxed))),
        ..PostgresStoreOptions::default()
    };
    let store = PostgresStore::connect_with(&cluster.url(), &options).unwrap();
    StoreSet::shared(store)
}

#[test]
fn postgres_store_conforms() {
    let Some(cluster) = cluster_or_skip("postgres_store_conforms").unwrap() else {
        return;
    };
    let n = AtomicUsize::new(0);
    run_all(&|| postgres(&cluster, &n));
    assert!(n.load(Ordering::Relaxed) > 0, "the suite made no store");
}
