#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The conformance suite against kms-core's in-memory adapters.

use kms_core::memory::{MemoryStore, SequentialIds};
use kms_core::ports::ClusterInfo;
use kms_core::software::{ChaChaEntropy, RandomIds, StaticClusters};
use kms_model::KeystoreType;
use kms_store_conformance::{RotationSet, StoreSet, run_all, run_rotation_cases};

fn memory() -> StoreSet {
    StoreSet::shared(MemoryStore::new())
}

#[test]
fn memory_store_conforms() {
    run_all(&memory);
}

#[test]
fn memory_store_conforms_for_root_rotation() {
    run_rotation_cases(&|| RotationSet::shared(MemoryStore::new()));
}

#[test]
fn static_clusters_conform() {
    let clusters = vec![
        ClusterInfo {
            cluster_id: "hsm-1".into(),
            domain_id: "domain-a".into(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: Some([7u8; 32]),
        },
        ClusterInfo {
            cluster_id: "cdms-1".into(),
            domain_id: "domain-b".into(),
            cluster_type: KeystoreType::Cdms,
            ca_fingerprint: None,
        },
    ];
    kms_store_conformance::cluster_directory_lookup(&StaticClusters(clusters.clone()), &clusters);
}

#[test]
fn random_ids_conform() {
    let entropy = std::sync::Arc::new(ChaChaEntropy::from_seed([5u8; 32]));
    kms_store_conformance::id_generator_format_and_uniqueness(&RandomIds(entropy));
}

#[test]
fn sequential_ids_conform() {
    kms_store_conformance::id_generator_format_and_uniqueness(&SequentialIds::default());
}
