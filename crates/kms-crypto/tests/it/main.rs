//! kms-crypto integration tests, one binary: known-answer vectors, engine
//! properties and tampering, and the documented example blob.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agreement;
mod data;
mod engine;
mod example;
mod pin_keys;
mod rsa_oaep;
mod signing;
mod sm;
mod vectors;

use std::path::PathBuf;

/// A committed test-data file; a missing file fails the test, never skips it.
pub(crate) fn data_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("test data {} is missing: {e}", path.display()))
}

pub(crate) fn unhex(s: &str) -> Vec<u8> {
    base16ct::mixed::decode_vec(s).unwrap_or_else(|e| panic!("bad hex in test data {s:?}: {e}"))
}
