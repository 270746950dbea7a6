//! The shared X.509 vectors: every expected field, exactly.

use cert_parse::{CertificateInfo, Error, parse_certificates};
use serde::Deserialize;

use super::common::{data_dir, read};

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Expected {
    common_name: String,
    san: Vec<String>,
    not_before: String,
    not_after: String,
    serial_number: String,
    version: u8,
    signature_algorithm: String,
    organization: Vec<String>,
    organizational_unit: Vec<String>,
    locality: Vec<String>,
    state: Vec<String>,
    country: Vec<String>,
    issuer: Vec<String>,
}

fn actual(info: &CertificateInfo) -> Expected {
    Expected {
        common_name: info.common_name.clone(),
        san: info.san.clone(),
        not_before: info.not_before.clone(),
        not_after: info.not_after.clone(),
        serial_number: info.serial_number.clone(),
        version: info.version,
        signature_algorithm: info.signature_algorithm.to_owned(),
        organization: info.organization.clone(),
        organizational_unit: info.organizational_unit.clone(),
        locality: info.locality.clone(),
        state: info.state.clone(),
        country: info.country.clone(),
        issuer: info.issuer.clone(),
    }
}

#[derive(Deserialize)]
struct Index {
    count: usize,
    certificates: Vec<IndexEntry>,
}

#[derive(Deserialize)]
struct IndexEntry {
    file: String,
    expected: String,
    sha256: String,
}

#[test]
fn every_expected_field_matches() {
    let dir = data_dir("x509");
    let index: Index = serde_json::from_str(&read("x509/INDEX.json")).unwrap();
    assert_eq!(index.count, 77);
    assert_eq!(index.certificates.len(), 77);
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in &index.certificates {
        let pem = std::fs::read_to_string(dir.join(&entry.file)).unwrap();
        let expected: Expected =
            serde_json::from_str(&read(&format!("x509/{}", entry.expected))).unwrap();
        match parse_certificates(&pem) {
            Ok(infos) => {
                assert_eq!(infos.len(), 1, "{}", entry.file);
                let got = actual(&infos[0]);
                if got != expected {
                    failures.push(format!(
                        "{}:\n  got      {got:?}\n  expected {expected:?}",
                        entry.file
                    ));
                }
                // The fingerprint is SHA-256 of the DER, not of the PEM file
                // (whose hash the index records).
                assert_eq!(infos[0].sha256_fingerprint_hex().len(), 64);
                assert_ne!(
                    infos[0].sha256_fingerprint_hex(),
                    entry.sha256,
                    "{}",
                    entry.file
                );
            }
            Err(e) => failures.push(format!("{}: {e}", entry.file)),
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 77);
}

#[derive(Deserialize)]
struct Manifest {
    count: usize,
    inputs: Vec<serde_json::Value>,
}

/// Go 1.23 is the reference: reject what it rejects (a typed error, APIG.2106),
/// accept what it accepts with the fields it reports. `scottishpower` is
/// rejected (Go <= 1.23; Go master would accept).
#[test]
fn malformed_inputs_follow_go_1_23() {
    let dir = data_dir("x509-malformed");
    let manifest: Manifest = serde_json::from_str(&read("x509-malformed/manifest.json")).unwrap();
    assert_eq!(manifest.count, 12);
    let (mut rejected, mut accepted) = (0, 0);
    for input in &manifest.inputs {
        let file = input["file"].as_str().unwrap();
        let pem = std::fs::read_to_string(dir.join(file)).unwrap();
        let go = input["go1.23"].as_str().unwrap();
        let result = parse_certificates(&pem);
        if go.starts_with("rejects") {
            match result {
                Err(e @ Error::InvalidCertificate { .. }) => {
                    assert_eq!(e.apig_code(), "APIG.2106");
                    rejected += 1;
                }
                other => panic!("{file}: Go rejects ({go}), we gave {other:?}"),
            }
        } else {
            assert_eq!(go, "accepts");
            let infos = result.unwrap_or_else(|e| panic!("{file}: Go accepts, we refused: {e}"));
            let expected: Expected =
                serde_json::from_value(input["go_fields(go1.23)"].clone()).unwrap();
            assert_eq!(actual(&infos[0]), expected, "{file}");
            accepted += 1;
        }
    }
    assert_eq!((rejected, accepted), (9, 3));
}
