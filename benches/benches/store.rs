//! The SQL stores' port calls as kms-core makes them: the DEK path's key
//! and material reads, a listing, a tag listing (a page of keys and their
//! tags) and a tag write, on SQLite (a file in the temporary directory)
//! and, when PostgreSQL's binaries are installed, on a throwaway local
//! PostgreSQL cluster. Compares the adapters against themselves across
//! changes; no floor (the database is the work).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use kms_core::ports::{
    KeyListQuery, KeyMaterial, KeyTagStore, MasterKeyStore, TagFilter, Timestamp,
};
use kms_store_conformance::{id, key, wrapped};
use kms_store_postgres::testing::cluster_or_skip;
use kms_store_postgres::{PostgresStore, PostgresStoreOptions};
use kms_store_sqlite::SqliteStore;

const PROJECT: &str = "project-1";
const KEYS: usize = 100;

/// 100 keys of the default keystore, each with the tags `env` (`prod` or
/// `test`), `team` and `n`.
fn fill<S: MasterKeyStore + KeyTagStore>(store: &S) {
    for n in 0..KEYS {
        let k = key(n, PROJECT, &format!("alias-{n}"), "0");
        store
            .insert_key(&k, &KeyMaterial::Wrapped(wrapped(&k.key_id, 1, 3)))
            .unwrap();
        let env = if n % 2 == 0 { "prod" } else { "test" };
        let tags = [
            ("env".to_owned(), env.to_owned()),
            ("team".to_owned(), "kms".to_owned()),
            ("n".to_owned(), n.to_string()),
        ];
        store
            .update_key_tags(PROJECT, &k.key_id, &tags, &[], 20)
            .unwrap();
    }
}

fn cases<S: MasterKeyStore + KeyTagStore>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    store: &S,
) {
    let key_id = id(42);
    let page = KeyListQuery {
        offset: 20,
        limit: 20,
        live_at: Timestamp(1_800_000_000_000),
        state: None,
        spec: None,
    };
    g.bench_function(format!("{name}/get_key"), |b| {
        b.iter(|| store.get_key(PROJECT, black_box(&key_id)).unwrap().unwrap())
    });
    g.bench_function(format!("{name}/get_key_material"), |b| {
        b.iter(|| {
            store
                .get_key_material(black_box(&key_id), 1)
                .unwrap()
                .unwrap()
        })
    });
    g.bench_function(format!("{name}/list_keys_20_of_100"), |b| {
        b.iter(|| store.list_keys(PROJECT, black_box(&page)).unwrap())
    });
    let prod = [TagFilter {
        key: "env".to_owned(),
        values: vec!["prod".to_owned()],
    }];
    g.bench_function(format!("{name}/list_keys_by_tags_20_of_50"), |b| {
        b.iter(|| {
            let (total, keys) = store
                .list_keys_by_tags(PROJECT, black_box(&prod), None, &page)
                .unwrap();
            assert_eq!((total, keys.len()), (50, 20));
            keys
        })
    });
    let mut v = 0u64;
    g.bench_function(format!("{name}/update_key_tags"), |b| {
        b.iter(|| {
            v += 1;
            let tag = [("team".to_owned(), format!("kms-{v}"))];
            store
                .update_key_tags(PROJECT, &key_id, &tag, &[], 20)
                .unwrap();
        })
    });
}

fn stores(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("kms-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = SqliteStore::open(dir.join("kms.db")).unwrap();
    fill(&sqlite);
    let mut g = c.benchmark_group("store");
    g.sample_size(30);
    cases(&mut g, "sqlite", &sqlite);
    drop(sqlite);
    let _ = std::fs::remove_dir_all(&dir);

    if let Some(cluster) = cluster_or_skip("store bench").unwrap() {
        let options = PostgresStoreOptions {
            pool_size: 4,
            io_threads: 1,
            ..PostgresStoreOptions::default()
        };
        let pg = PostgresStore::connect_with(&cluster.url(), &options).unwrap();
        fill(&pg);
        cases(&mut g, "postgres", &pg);
    }
    g.finish();
}

criterion_group!(benches, stores);
criterion_main!(benches);
