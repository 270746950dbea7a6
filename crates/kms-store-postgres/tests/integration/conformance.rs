#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The port-conformance suite (kms-store-conformance) against PostgreSQL
//! stores: one throwaway cluster, a fresh schema per store set.

use std::sync::atomic::{AtomicUsize, Ordering};

use kms_store_conformance::{RotationSet, StoreSet, run_all, run_rotation_cases};
use kms_store_postgres::testing::{PgCluster, cluster_or_skip};
use kms_store_postgres::{PostgresStore, PostgresStoreOptions};

fn connect(cluster: &PgCluster, n: &AtomicUsize) -> PostgresStore {
    let options = PostgresStoreOptions {
        pool_size: 8,
        io_threads: 1,
        schema: Some(format!("conformance_{}", n.fetch_add(1, Ordering::Relaxed))),
        ..PostgresStoreOptions::default()
    };
    PostgresStore::connect_with(&cluster.url(), &options).unwrap()
}

fn postgres(cluster: &PgCluster, n: &AtomicUsize) -> StoreSet {
    StoreSet::shared(connect(cluster, n))
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

#[test]
fn postgres_store_conforms_for_root_rotation() {
    let Some(cluster) = cluster_or_skip("postgres_store_conforms_for_root_rotation").unwrap()
    else {
        return;
    };
    let n = AtomicUsize::new(0);
    run_rotation_cases(&|| RotationSet::shared(connect(&cluster, &n)));
    assert!(n.load(Ordering::Relaxed) > 0, "the suite made no store");
}
