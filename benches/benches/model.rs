//! kms-model: each validator, and parse-and-validate of each seed request
//! body. Target: a 255-character alias and a key_id each validate in under
//! 100 ns (median).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kms_model::{
    Aad, CertificateName, CertificateRequest, CertificateScope, CreateDatakeyRequest,
    CreateKeystoreRequest, CreatePinRequest, DatakeyLength, KeyId, KeystoreAlias, KeystoreRef,
    KeystoreType, PinType, Sequence, decode_hex,
};

const SEED_000: &[u8] = include_bytes!("../../crates/kms-model/tests/data/seeds/000_request.json");
const SEED_002: &[u8] = include_bytes!("../../crates/kms-model/tests/data/seeds/002_request.json");
const SEED_003: &[u8] = include_bytes!("../../crates/kms-model/tests/data/seeds/003_request.json");
const SEED_004: &[u8] = include_bytes!("../../crates/kms-model/tests/data/seeds/004_request.json");

fn validators(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    for len in [1usize, 64, 255] {
        let alias = "aZ9:/_-".repeat(64)[..len].to_owned();
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::new("keystore_alias", len), &alias, |b, a| {
            b.iter(|| KeystoreAlias::parse(black_box(a)))
        });
    }
    g.throughput(Throughput::Elements(1));
    let key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    g.bench_function("key_id", |b| b.iter(|| KeyId::parse(black_box(key_id))));
    g.bench_function("key_id_rejected", |b| {
        b.iter(|| KeyId::parse(black_box("0d0466b0-e727-4d9c-b35d-f84bb474a37F")))
    });
    g.bench_function("datakey_length", |b| {
        b.iter(|| DatakeyLength::parse(black_box("512")))
    });
    g.bench_function("datakey_length_resolve", |b| {
        b.iter(|| DatakeyLength::resolve(black_box(None), black_box(Some("AES_128"))))
    });
    let seq = "919c82d4-8046-4722-9094-35c3c6524cff";
    g.bench_function("sequence", |b| b.iter(|| Sequence::parse(black_box(seq))));
    g.bench_function("pin_type", |b| {
        b.iter(|| PinType::parse(black_box("CipherText")))
    });
    g.bench_function("keystore_ref", |b| {
        b.iter(|| KeystoreRef::parse(black_box("bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e")))
    });
    g.bench_function("keystore_type", |b| {
        b.iter(|| KeystoreType::parse(black_box("DHSM")))
    });
    g.bench_function("certificate_name_50", |b| {
        let name = format!("c{}", "x_1".repeat(17))[..50].to_owned();
        b.iter(|| CertificateName::parse(black_box(&name)))
    });
    g.bench_function("certificate_scope", |b| {
        b.iter(|| CertificateScope::resolve(black_box(Some("instance")), black_box(Some("gw-1"))))
    });
    let aad = "a".repeat(128);
    g.bench_function("aad_128", |b| b.iter(|| Aad::parse(black_box(&aad))));
    let hex = "AB".repeat(64 + 32);
    g.bench_function("hex_96_bytes", |b| {
        b.iter(|| decode_hex("plain_text", black_box(&hex), 1056))
    });
    g.finish();
}

fn bodies(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_and_validate");
    g.bench_function("000_create_keystore", |b| {
        b.iter(|| CreateKeystoreRequest::from_json(black_box(SEED_000)))
    });
    g.bench_function("002_create_pin", |b| {
        b.iter(|| CreatePinRequest::from_json(black_box(SEED_002)))
    });
    g.bench_function("003_create_certificate", |b| {
        b.iter(|| CertificateRequest::from_json(black_box(SEED_003)))
    });
    g.bench_function("004_create_datakey_without_plaintext", |b| {
        b.iter(|| CreateDatakeyRequest::from_json(black_box(SEED_004)))
    });
    g.finish();
}

criterion_group!(benches, validators, bodies);
criterion_main!(benches);
