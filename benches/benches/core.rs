//! kms-core: create-datakey-without-plaintext through the core with the
//! in-memory adapters, against kms-crypto's own generate call on the same
//! key and the same kind of CSPRNG (ChaCha20). The difference is the core's
//! overhead: body validation, key and keystore lookup, state checks, the
//! master-key cache, hex encoding and the audit event. Target: at most +30%.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kms_core::memory::{self, ManualClock};
use kms_core::ports::{Caller, Timestamp};
use kms_core::software::NullAudit;
use kms_core::{CoreConfig, Kms};
use kms_crypto::{DekContext, DekLength, MasterKey};
use kms_model::{CreateDatakeyRequestBody, CreateKeyRequestBody};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn overhead(c: &mut Criterion) {
    let ports = memory::ports(
        &[7u8; 32],
        [1u8; 32],
        Arc::new(ManualClock::new(Timestamp(1_700_000_000_000))),
        vec![],
        Arc::new(NullAudit),
    )
    .unwrap();
    let kms = Kms::new(ports, CoreConfig::default());
    let caller = Caller::new("domain-1", "project-1");
    let key_id = kms
        .wire()
        .create_key(
            &caller,
            &CreateKeyRequestBody {
                key_alias: "bench".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    let body = CreateDatakeyRequestBody {
        key_id: key_id.clone(),
        datakey_length: Some("256".into()),
        ..Default::default()
    };

    let mut rng = ChaCha20Rng::from_seed([2u8; 32]);
    let mk = MasterKey::generate(&mut rng, &key_id, 1).unwrap();
    let ctx = DekContext::new("project-1", b"").unwrap();

    let mut g = c.benchmark_group("create_datakey_without_plaintext_256");
    g.bench_function("kms_crypto_generate_dek", |b| {
        b.iter(|| {
            mk.generate_dek(&mut rng, DekLength::AES_256, black_box(&ctx))
                .unwrap()
        })
    });
    g.bench_function("kms_crypto_generate_dek_and_hex", |b| {
        b.iter(|| {
            mk.generate_dek(&mut rng, DekLength::AES_256, black_box(&ctx))
                .unwrap()
                .to_hex()
        })
    });
    g.bench_function("kms_core_in_memory", |b| {
        b.iter(|| {
            kms.wire()
                .create_datakey_without_plaintext(&caller, black_box(&body))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
