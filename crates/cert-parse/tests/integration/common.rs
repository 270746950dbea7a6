//! Shared helpers.

use std::path::PathBuf;

/// `tests/data/<rel>`; panics (fails the test) when missing.
pub(crate) fn data_dir(rel: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(dir.is_dir(), "test data {} is missing", dir.display());
    dir
}

/// Reads `tests/data/<rel>` as text; panics when missing.
pub(crate) fn read(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("test data {} is missing: {e}", path.display()))
}
