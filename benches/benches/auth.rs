//! The cost of authenticating one create-datakey-without-plaintext request
//! with kms-server's `Authenticator`: an `X-Auth-Token`, and the official
//! SDK's SDK-HMAC-SHA256 signature over `content-type;host;x-sdk-date`.
//!
//! The floor of the signature is its cryptography alone over the same
//! bytes: SHA-256 of the body, SHA-256 of the (pre-assembled) canonical
//! request, and HMAC-SHA256 of the string to sign with a pre-keyed HMAC;
//! nothing parsed, canonicalised or looked up. `signature (HMAC keyed per
//! call)` is `kms_sign::signature`, which keys the HMAC with the secret
//! key on every call, as verification did before the authenticator kept
//! one keyed HMAC per access key.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use kms_core::ports::Caller;
use kms_server::{AccessKey, Authenticator, Token};
use kms_sign::OwnedRequest;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const AK: &str = "BENCHAK0000000000000";
const SK: &str = "bench-sk-00000000000000000000000000000000";
const TOKEN: &str = "bench-token-0123456789abcdef0123456789";
const PATH: &str = "/v1.0/0123456789abcdef0123456789abcdef/kms/create-datakey-without-plaintext";
const BODY: &str = r#"{"key_id":"0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6","datakey_length":"256"}"#;
const SIGNED: [&str; 3] = ["content-type", "host", "x-sdk-date"];
/// 2026-12-03T09:00:00Z, and the verifier's clock a minute later.
const DATE: &str = "20261203T090000Z";
const NOW: i64 = 1_796_288_460;

fn caller() -> Caller {
    Caller::new(
        "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0",
        "0123456789abcdef0123456789abcdef",
    )
}

fn request(extra: Vec<(String, String)>) -> OwnedRequest {
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Host".to_owned(), "127.0.0.1:8080".to_owned()),
    ];
    headers.extend(extra);
    OwnedRequest {
        method: "POST".to_owned(),
        path: PATH.to_owned(),
        query: String::new(),
        headers,
        body: BODY.as_bytes().to_vec(),
    }
}

fn bench(c: &mut Criterion) {
    let auth = Authenticator::new(
        vec![AccessKey {
            access_key: AK.to_owned(),
            secret_key: Zeroizing::new(SK.to_owned()),
            caller: caller(),
        }],
        vec![Token {
            token: Zeroizing::new(TOKEN.to_owned()),
            caller: caller(),
        }],
    );
    let with_token = request(vec![("X-Auth-Token".to_owned(), TOKEN.to_owned())]);
    let mut signed = request(vec![("X-Sdk-Date".to_owned(), DATE.to_owned())]);
    let authorization = kms_sign::authorization_header(&signed, AK, SK, &SIGNED).unwrap();
    signed
        .headers
        .push(("Authorization".to_owned(), authorization));
    // Both pass, so what is timed is the accepting path.
    assert!(auth.authenticate(&with_token, NOW).is_ok());
    assert!(auth.authenticate(&signed, NOW).is_ok());

    let canonical = kms_sign::canonical_request(&signed, &SIGNED).unwrap();
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(SK.as_bytes()).unwrap();

    let mut g = c.benchmark_group("auth/create-datakey-without-plaintext");
    g.bench_function("X-Auth-Token", |b| {
        b.iter(|| auth.authenticate(black_box(&with_token), NOW).is_ok());
    });
    g.bench_function("SDK-HMAC-SHA256", |b| {
        b.iter(|| auth.authenticate(black_box(&signed), NOW).is_ok());
    });
    g.bench_function("signature (HMAC keyed per call)", |b| {
        b.iter(|| kms_sign::signature(black_box(&signed), &SIGNED, DATE, SK).unwrap());
    });
    g.bench_function("floor: SHA-256 x2 + pre-keyed HMAC", |b| {
        b.iter(|| {
            let body = Sha256::digest(black_box(BODY.as_bytes()));
            let hash = Sha256::digest(black_box(canonical.as_bytes()));
            let mut hex = [0u8; 64];
            let hex = base16ct::lower::encode(&hash, &mut hex).unwrap();
            let mut mac = keyed.clone();
            let algorithm = kms_sign::ALGORITHM.as_bytes();
            for piece in [algorithm, b"\n", DATE.as_bytes(), b"\n", hex] {
                mac.update(piece);
            }
            (body, mac.finalize().into_bytes())
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
