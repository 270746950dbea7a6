//! National (SM) cryptography against its references:
//!
//! * `sm/dek_wrap`: encrypt-datakey of a 256-bit DEK (`MasterKey::wrap_dek`)
//!   under an SM4 key (HKDF-SM3 per-wrap key, SM4-GCM, commitment) and
//!   under an AES key (HKDF-SHA256, AES-256-GCM), each next to its bare
//!   block cipher floor: the two 16-byte blocks of the DEK through a
//!   prebuilt `sm4` / `aes` cipher (no mode, no key schedule, no KDF).
//! * `sm/sign`: SM2DSA_SM3 of a 32-byte digest (`SigningKey::sign`), with
//!   ECDSA P-256 of the same digest as a reference and SM2 verification;
//!   `openssl speed sm2` is the external reference (docs/benchmarks.md).
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use aes_gcm::aead::KeyInit;
use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::BlockCipherEncrypt;
use criterion::{Criterion, criterion_group, criterion_main};
use kms_crypto::{
    CipherSuite, Dek, DekContext, HashAlg, MasterKey, Message, SigningAlgorithm, SigningKey,
    SigningKeySpec,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([7; 32])
}

fn dek_wrap(c: &mut Criterion) {
    let mut g = c.benchmark_group("sm/dek_wrap");
    let ctx = DekContext::new(PROJECT, b"").unwrap();
    let dek = Dek::from_bytes(&[0x42; 32]).unwrap();
    for (name, suite) in [
        ("sm4_gcm_engine", CipherSuite::Sm4Gcm),
        ("aes_gcm_engine", CipherSuite::Aes256Gcm),
    ] {
        let key = MasterKey::generate_with_suite(suite, &mut rng(), KEY_ID, 1).unwrap();
        let mut r = rng();
        g.bench_function(name, |b| {
            b.iter(|| key.wrap_dek(&mut r, black_box(&dek), &ctx).unwrap())
        });
    }
    let sm4 = sm4::Sm4::new_from_slice(&[9u8; 16]).unwrap();
    let mut blocks = [sm4::cipher::Block::<sm4::Sm4>::default(); 2];
    g.bench_function("sm4_blocks_floor", |b| {
        b.iter(|| {
            sm4.encrypt_blocks(black_box(&mut blocks));
        })
    });
    let aes = Aes256::new_from_slice(&[9u8; 32]).unwrap();
    let mut blocks = [aes_gcm::aes::Block::default(); 2];
    g.bench_function("aes256_blocks_floor", |b| {
        b.iter(|| {
            aes.encrypt_blocks(black_box(&mut blocks));
        })
    });
    g.finish();
}

fn sign(c: &mut Criterion) {
    let mut g = c.benchmark_group("sm/sign");
    let digest = [0x5a; 32];
    let sm2 = SigningKey::generate(SigningKeySpec::Sm2, &mut rng()).unwrap();
    let ec = SigningKey::generate(SigningKeySpec::EcP256, &mut rng()).unwrap();
    let mut r = rng();
    g.bench_function("sm2dsa_sm3_sign", |b| {
        b.iter(|| {
            sm2.sign(
                SigningAlgorithm::Sm2Dsa,
                Message::Digest(black_box(&digest)),
                &mut r,
            )
            .unwrap()
        })
    });
    let sig = sm2
        .sign(
            SigningAlgorithm::Sm2Dsa,
            Message::Digest(&digest),
            &mut rng(),
        )
        .unwrap();
    let public = sm2.public_key();
    g.bench_function("sm2dsa_sm3_verify", |b| {
        b.iter(|| {
            assert!(
                public
                    .verify(
                        SigningAlgorithm::Sm2Dsa,
                        Message::Digest(&digest),
                        black_box(&sig)
                    )
                    .unwrap()
            )
        })
    });
    let alg = SigningAlgorithm::Ecdsa(HashAlg::Sha256);
    g.bench_function("ecdsa_p256_sign", |b| {
        b.iter(|| {
            ec.sign(alg, Message::Digest(black_box(&digest)), &mut r)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, dek_wrap, sign);
criterion_main!(benches);
