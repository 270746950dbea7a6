//! Benchmarks of cert-parse, each group with its floor: the raw
//! x509-parser parse of the same DER (and, for the full check, the two
//! RSA signature verifications that any chain check must do).
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use cert_parse::{CertificateUpload, check_certificate, parse_certificate_der, parse_certificates};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use x509_parser::prelude::{FromDer, X509Certificate};

fn fixture(name: &str) -> String {
    let path = format!("{}/data/cert/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn der_of(pem: &str) -> Vec<u8> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    p.contents
}

fn extract(c: &mut Criterion) {
    let mut group = c.benchmark_group("cert/extract");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (name, file) in [("rsa2048-leaf", "leaf.crt"), ("p256-leaf", "ec-p256.crt")] {
        let pem = fixture(file);
        let der = der_of(&pem);
        group.throughput(Throughput::Bytes(der.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("floor: x509-parser from_der", name),
            &der,
            |b, der| {
                b.iter(|| {
                    X509Certificate::from_der(black_box(der))
                        .unwrap()
                        .1
                        .tbs_certificate
                        .version
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("floor: x509-parser pem+from_der", name),
            &pem,
            |b, pem| {
                b.iter(|| {
                    let (_, p) =
                        x509_parser::pem::parse_x509_pem(black_box(pem).as_bytes()).unwrap();
                    X509Certificate::from_der(&p.contents)
                        .unwrap()
                        .1
                        .tbs_certificate
                        .version
                        .0
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("cert-parse from DER", name),
            &der,
            |b, der| b.iter(|| parse_certificate_der(black_box(der)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("cert-parse from PEM", name),
            &pem,
            |b, pem| b.iter(|| parse_certificates(black_box(pem)).unwrap()),
        );
    }
    group.finish();
}

fn full_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("cert/check");
    group
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let (leaf, inter, root, key) = (
        fixture("leaf.crt"),
        fixture("intermediate.crt"),
        fixture("root.crt"),
        fixture("rsa-pkcs1.key"),
    );
    let chain = format!("{leaf}{inter}{root}");
    let ders: Vec<Vec<u8>> = [&leaf, &inter, &root].iter().map(|p| der_of(p)).collect();
    let at = parse_certificates(&leaf).unwrap()[0].not_before_unix + 86_400;

    group.bench_function(
        BenchmarkId::new("floor: x509-parser from_der x3", "rsa2048-chain3"),
        |b| {
            b.iter(|| {
                ders.iter()
                    .map(|d| {
                        X509Certificate::from_der(black_box(d))
                            .unwrap()
                            .1
                            .tbs_certificate
                            .version
                            .0
                    })
                    .sum::<u32>()
            })
        },
    );
    let parsed: Vec<X509Certificate<'_>> = ders
        .iter()
        .map(|d| X509Certificate::from_der(d).unwrap().1)
        .collect();
    group.bench_function(
        BenchmarkId::new(
            "floor: 2 RSA-2048 signature verifications",
            "rsa2048-chain3",
        ),
        |b| {
            b.iter(|| {
                parsed[0]
                    .verify_signature(Some(parsed[1].public_key()))
                    .unwrap();
                parsed[1]
                    .verify_signature(Some(parsed[2].public_key()))
                    .unwrap();
            })
        },
    );
    let upload = CertificateUpload {
        cert_content: &chain,
        private_key: &key,
        trusted_root_ca: None,
    };
    group.bench_function(
        BenchmarkId::new("cert-parse check_certificate", "rsa2048-chain3"),
        |b| b.iter(|| check_certificate(black_box(&upload), at).unwrap()),
    );
    let leaf_only = CertificateUpload {
        cert_content: &leaf,
        private_key: &key,
        trusted_root_ca: None,
    };
    group.bench_function(
        BenchmarkId::new("cert-parse check_certificate (leaf + key only)", "rsa2048"),
        |b| b.iter(|| check_certificate(black_box(&leaf_only), at).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, extract, full_check);
criterion_main!(benches);
