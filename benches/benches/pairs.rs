//! Data key pairs (create-rsa-datakey-pair, create-ec-datakey-pair): the
//! key generation of every spec in kms-crypto (`DataKeyPair::generate`:
//! the pair and its PKCS#8 and SubjectPublicKeyInfo encodings), the part
//! of the operation that dominates it (the seal of the PKCS#8 DER as a
//! data blob is the encrypt-data path, measured in `core`).
//!
//! RSA key generation searches for primes: its time varies from key to key,
//! so each sample is a fresh key from one seeded ChaCha20 generator and the
//! RSA sizes run flat sampling with few samples (docs/benchmarks.md).
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use kms_crypto::{DataKeyPair, DataKeyPairSpec};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("pairs/generate");
    for spec in DataKeyPairSpec::ALL {
        let rsa = matches!(
            spec,
            DataKeyPairSpec::Rsa2048 | DataKeyPairSpec::Rsa3072 | DataKeyPairSpec::Rsa4096
        );
        if rsa {
            g.sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .measurement_time(Duration::from_secs(30));
        } else {
            g.sampling_mode(SamplingMode::Auto)
                .sample_size(50)
                .measurement_time(Duration::from_secs(5));
        }
        let mut rng = ChaCha20Rng::from_seed([11; 32]);
        g.bench_with_input(
            BenchmarkId::from_parameter(spec.name()),
            &spec,
            |b, &spec| {
                b.iter(|| DataKeyPair::generate(black_box(spec), &mut rng).unwrap());
            },
        );
    }
    g.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
