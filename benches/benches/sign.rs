//! Asymmetric CMKs against the primitives under them, per operation on one
//! core (one 32- or 48-byte digest each):
//!
//! * `sign/<alg>` and `verify/<alg>`: `kms_crypto::SigningKey::sign` /
//!   `PublicKey::verify` (what a warm request runs once the key pair is
//!   cached), next to the same operation called directly on RustCrypto
//!   (`rsa` 0.10 with a precomputed key, `p256` / `p384`) and on AWS-LC
//!   (`aws-lc-rs`). `openssl speed rsa2048 ecdsap256 ecdsap384` is the
//!   external reference (docs/benchmarks.md).
//! * `open/<spec>`: loading a PKCS#8 private key (`SigningKey::from_pkcs8_der`),
//!   what a key-pair cache miss pays on top of the unsealing.
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::digest;
use aws_lc_rs::rsa::KeyPair as AwsRsaKeyPair;
use aws_lc_rs::signature::{self as aws_sig, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};
use kms_crypto::{HashAlg, Message, SigningAlgorithm, SigningKey, SigningKeySpec};
use p256::pkcs8::DecodePrivateKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier, RandomizedPrehashSigner};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([7; 32])
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

/// A key of `spec` (RSA keys from a fixed seed: generation is slow).
fn key(spec: SigningKeySpec) -> (SigningKey, Vec<u8>) {
    let k = SigningKey::generate(spec, &mut rng()).unwrap();
    let der = k.to_pkcs8_der().unwrap().to_vec();
    (k, der)
}

fn rsa2048(c: &mut Criterion) {
    let (key, der) = key(SigningKeySpec::Rsa2048);
    let public = key.public_key();
    let alg = SigningAlgorithm::RsaPss(HashAlg::Sha256);
    let d = [0x5a_u8; 32];
    let rc =
        rsa::pss::SigningKey::<sha2::Sha256>::new(rsa::PrivateKey::from_pkcs8_der(&der).unwrap());
    let rc_verify = rsa::pss::VerifyingKey::<sha2::Sha256>::new(
        rsa::PrivateKey::from_pkcs8_der(&der)
            .unwrap()
            .to_public_key(),
    );
    let aws = AwsRsaKeyPair::from_pkcs8(&der).unwrap();
    let aws_digest = digest::Digest::import_less_safe(&d, &digest::SHA256).unwrap();
    let aws_public = ParsedPublicKey::new(
        &aws_sig::RSA_PSS_2048_8192_SHA256,
        aws.public_key().as_ref(),
    )
    .unwrap();
    let sig = key.sign(alg, Message::Digest(&d), &mut rng()).unwrap();

    let mut g = c.benchmark_group("sign/rsa2048_pss_sha256");
    let mut r = rng();
    g.bench_function("kms-crypto", |b| {
        b.iter(|| {
            key.sign(alg, Message::Digest(black_box(&d)), &mut r)
                .unwrap()
        })
    });
    let mut r = rng();
    g.bench_function("rustcrypto rsa 0.10", |b| {
        b.iter(|| {
            let s: rsa::pss::Signature = rc.sign_prehash_with_rng(&mut r, black_box(&d)).unwrap();
            s
        })
    });
    let mut out = vec![0u8; aws.public_modulus_len()];
    g.bench_function("aws-lc-rs", |b| {
        b.iter(|| {
            aws.sign_digest(&aws_sig::RSA_PSS_SHA256, black_box(&aws_digest), &mut out)
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("verify/rsa2048_pss_sha256");
    g.bench_function("kms-crypto", |b| {
        b.iter(|| {
            assert!(
                public
                    .verify(alg, Message::Digest(black_box(&d)), &sig)
                    .unwrap()
            )
        })
    });
    let rc_sig = rsa::pss::Signature::try_from(sig.as_slice()).unwrap();
    g.bench_function("rustcrypto rsa 0.10", |b| {
        b.iter(|| rc_verify.verify_prehash(black_box(&d), &rc_sig).unwrap())
    });
    g.bench_function("aws-lc-rs", |b| {
        b.iter(|| {
            aws_public
                .verify_digest_sig(black_box(&aws_digest), &sig)
                .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("open/rsa2048");
    g.bench_function("kms-crypto from_pkcs8_der", |b| {
        b.iter(|| SigningKey::from_pkcs8_der(SigningKeySpec::Rsa2048, black_box(&der)).unwrap())
    });
    g.bench_function("rustcrypto rsa 0.10 from_pkcs8_der", |b| {
        b.iter(|| rsa::PrivateKey::from_pkcs8_der(black_box(&der)).unwrap())
    });
    g.bench_function("aws-lc-rs from_pkcs8", |b| {
        b.iter(|| AwsRsaKeyPair::from_pkcs8(black_box(&der)).unwrap())
    });
    g.finish();
}

macro_rules! ecdsa {
    ($fn:ident, $curve:ident, $spec:expr, $hash:expr, $len:expr, $name:literal,
     $aws_sign:expr, $aws_verify:expr, $aws_digest:expr) => {
        fn $fn(c: &mut Criterion) {
            let (key, der) = key($spec);
            let public = key.public_key();
            let alg = SigningAlgorithm::Ecdsa($hash);
            let d = [0x5a_u8; $len];
            let rc = $curve::ecdsa::SigningKey::from_pkcs8_der(&der).unwrap();
            let rc_verify = *rc.verifying_key();
            let aws = EcdsaKeyPair::from_pkcs8($aws_sign, &der).unwrap();
            let aws_digest = digest::Digest::import_less_safe(&d, $aws_digest).unwrap();
            let aws_public = ParsedPublicKey::new($aws_verify, aws.public_key().as_ref()).unwrap();
            let sig = key.sign(alg, Message::Digest(&d), &mut rng()).unwrap();

            let mut g = c.benchmark_group(concat!("sign/", $name));
            let mut r = rng();
            g.bench_function("kms-crypto", |b| {
                b.iter(|| {
                    key.sign(alg, Message::Digest(black_box(&d)), &mut r)
                        .unwrap()
                })
            });
            g.bench_function(concat!("rustcrypto ", stringify!($curve)), |b| {
                b.iter(|| {
                    let s: $curve::ecdsa::Signature = rc.sign_prehash(black_box(&d)).unwrap();
                    s.to_der()
                })
            });
            g.bench_function("aws-lc-rs", |b| {
                b.iter(|| aws.sign_digest(black_box(&aws_digest)).unwrap())
            });
            g.finish();

            let mut g = c.benchmark_group(concat!("verify/", $name));
            g.bench_function("kms-crypto", |b| {
                b.iter(|| {
                    assert!(
                        public
                            .verify(alg, Message::Digest(black_box(&d)), &sig)
                            .unwrap()
                    )
                })
            });
            let rc_sig = $curve::ecdsa::Signature::from_der(&sig).unwrap();
            g.bench_function(concat!("rustcrypto ", stringify!($curve)), |b| {
                b.iter(|| rc_verify.verify_prehash(black_box(&d), &rc_sig).unwrap())
            });
            g.bench_function("aws-lc-rs", |b| {
                b.iter(|| {
                    aws_public
                        .verify_digest_sig(black_box(&aws_digest), &sig)
                        .unwrap()
                })
            });
            g.finish();
        }
    };
}

ecdsa!(
    p256,
    p256,
    SigningKeySpec::EcP256,
    HashAlg::Sha256,
    32,
    "ecdsa_p256_sha256",
    &aws_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
    &aws_sig::ECDSA_P256_SHA256_ASN1,
    &digest::SHA256
);
ecdsa!(
    p384,
    p384,
    SigningKeySpec::EcP384,
    HashAlg::Sha384,
    48,
    "ecdsa_p384_sha384",
    &aws_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
    &aws_sig::ECDSA_P384_SHA384_ASN1,
    &digest::SHA384
);

criterion_group! {
    name = benches;
    config = config();
    targets = rsa2048, p256, p384
}
criterion_main!(benches);
