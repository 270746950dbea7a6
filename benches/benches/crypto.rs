//! kms-crypto DEK engine: create-datakey-without-plaintext and decrypt-datakey,
//! each in one group with its references:
//!
//! * (a) `primitives`: the same primitives the engine calls, called directly in
//!   sequence with no format around them (one CSPRNG draw of salt || nonce ||
//!   DEK, the HKDF-Expand of the per-wrap key and commitment from a cached
//!   PRK, AES-256-GCM key setup, the seal over an AAD of the engine's length);
//! * (b) `naive_floor`: one CSPRNG draw of nonce || DEK and one seal with a
//!   prebuilt AES-256-GCM cipher (no per-wrap key, no commitment, no AAD).
//!
//! Every variant draws from the same seeded ChaCha20 generator.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hkdf::Hkdf;
use kms_crypto::{DekContext, DekLength, MasterKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";
const AAD: &[u8] = b"bench additional authenticated data";
const BITS: [u64; 4] = [128, 256, 512, 8192];
const LABEL: &[u8] = b"kms-rs/v1/dek-wrap";
const HEADER: usize = 88;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([7; 32])
}

/// Length of the engine's AAD: header plus the encoded context.
fn aad_len() -> usize {
    HEADER + 2 + PROJECT.len() + 2 + AAD.len()
}

fn generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("crypto/generate_dek_without_plaintext");
    let key = MasterKey::generate(&mut rng(), KEY_ID, 1).unwrap();
    let ctx = DekContext::new(PROJECT, AAD).unwrap();
    let mut prk = [0u8; 32];
    rng().fill_bytes(&mut prk);
    let kdf = Hkdf::<Sha256>::from_prk(&prk).unwrap();
    let floor_cipher = Aes256Gcm::new_from_slice(&[9u8; 32]).unwrap();
    let mut aad = vec![0u8; aad_len()];
    rng().fill_bytes(&mut aad);

    for bits in BITS {
        let len = DekLength::from_bits(bits).unwrap();
        let n = len.bytes();
        g.throughput(Throughput::Bytes(n as u64));

        let mut r = rng();
        g.bench_with_input(BenchmarkId::new("engine", bits), &len, |b, &len| {
            b.iter(|| key.generate_dek(&mut r, len, black_box(&ctx)).unwrap())
        });

        // (a) the same primitives, directly, into a preallocated buffer.
        let mut r = rng();
        let mut buf = vec![0u8; HEADER + n + 16 + 32];
        g.bench_with_input(BenchmarkId::new("primitives", bits), &n, |b, &n| {
            b.iter(|| {
                r.fill_bytes(&mut buf[44..HEADER + n]);
                let mut okm = [0u8; 64];
                kdf.expand_multi_info(&[LABEL, &buf[..76]], &mut okm)
                    .unwrap();
                let cipher = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
                let (head, body) = buf.split_at_mut(HEADER);
                let nonce = Nonce::<Aes256Gcm>::try_from(&head[76..HEADER]).unwrap();
                let tag = cipher
                    .encrypt_inout_detached(&nonce, black_box(&aad), (&mut body[..n]).into())
                    .unwrap();
                body[n..n + 16].copy_from_slice(&tag);
                body[n + 16..].copy_from_slice(&okm[32..]);
                black_box(&buf);
            })
        });

        // (b) the naive floor: one draw, one seal with a prebuilt cipher.
        let mut r = rng();
        let mut buf = vec![0u8; 12 + n];
        g.bench_with_input(BenchmarkId::new("naive_floor", bits), &n, |b, _| {
            b.iter(|| {
                r.fill_bytes(&mut buf);
                let (nonce, dek) = buf.split_at_mut(12);
                let nonce = Nonce::<Aes256Gcm>::try_from(&*nonce).unwrap();
                let tag = floor_cipher
                    .encrypt_inout_detached(&nonce, b"", dek.into())
                    .unwrap();
                black_box((&buf, tag));
            })
        });
    }
    g.finish();
}

fn unwrap(c: &mut Criterion) {
    let mut g = c.benchmark_group("crypto/unwrap_dek");
    let key = MasterKey::generate(&mut rng(), KEY_ID, 1).unwrap();
    let ctx = DekContext::new(PROJECT, AAD).unwrap();
    let mut prk = [0u8; 32];
    rng().fill_bytes(&mut prk);
    let kdf = Hkdf::<Sha256>::from_prk(&prk).unwrap();
    let mut aad = vec![0u8; aad_len()];
    rng().fill_bytes(&mut aad);
    let floor_cipher = Aes256Gcm::new_from_slice(&[9u8; 32]).unwrap();

    for bits in BITS {
        let len = DekLength::from_bits(bits).unwrap();
        let n = len.bytes();
        g.throughput(Throughput::Bytes(n as u64));
        let blob = key
            .generate_dek(&mut rng(), len, &ctx)
            .unwrap()
            .into_bytes();
        g.bench_with_input(BenchmarkId::new("engine", bits), &blob, |b, blob| {
            b.iter(|| key.unwrap_dek(black_box(blob), &ctx).unwrap())
        });

        // (a) derive, key setup, constant-time commitment check, open: directly.
        let mut okm = [0u8; 64];
        kdf.expand_multi_info(&[LABEL, &blob[..76]], &mut okm)
            .unwrap();
        let sealing = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
        let nonce = Nonce::<Aes256Gcm>::try_from(&blob[76..HEADER]).unwrap();
        let mut ct = blob[HEADER..HEADER + n].to_vec();
        let tag = sealing
            .encrypt_inout_detached(&nonce, &aad, ct.as_mut_slice().into())
            .unwrap();
        let commitment = okm[32..].to_vec();
        g.bench_with_input(BenchmarkId::new("primitives", bits), &n, |b, _| {
            b.iter(|| {
                let mut okm = [0u8; 64];
                kdf.expand_multi_info(&[LABEL, &blob[..76]], &mut okm)
                    .unwrap();
                let ok = okm[32..].ct_eq(&commitment);
                let cipher = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
                let mut pt = ct.clone();
                cipher
                    .decrypt_inout_detached(&nonce, black_box(&aad), pt.as_mut_slice().into(), &tag)
                    .unwrap();
                black_box((ok, pt));
            })
        });

        // (b) one open with a prebuilt cipher.
        let mut ct_floor = vec![1u8; n];
        let tag_floor = floor_cipher
            .encrypt_inout_detached(&nonce, b"", ct_floor.as_mut_slice().into())
            .unwrap();
        g.bench_with_input(BenchmarkId::new("naive_floor", bits), &n, |b, _| {
            b.iter(|| {
                let mut pt = ct_floor.clone();
                floor_cipher
                    .decrypt_inout_detached(&nonce, b"", pt.as_mut_slice().into(), &tag_floor)
                    .unwrap();
                black_box(pt);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, generate, unwrap);
criterion_main!(benches);
