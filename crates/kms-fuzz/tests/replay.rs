//! Replays every committed fuzz corpus on the stable toolchain.
//!
//! Fails when a target declared in `fuzz/Cargo.toml` has no body in
//! `kms_fuzz::targets()`, when a body has no declared binary, or when a
//! target's corpus directory is missing or empty: a replay that silently
//! finds nothing proves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The `name = "..."` of every `[[bin]]` in `fuzz/Cargo.toml`.
fn declared_targets() -> BTreeSet<String> {
    let manifest =
        std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml must exist");
    let mut names = BTreeSet::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(rest) = line.strip_prefix("name = \"") {
                names.insert(rest.trim_end_matches('"').to_owned());
            }
        }
    }
    names
}

#[test]
fn every_declared_target_has_a_body_and_vice_versa() {
    let declared = declared_targets();
    let bodies: BTreeSet<String> = kms_fuzz::targets().map(|(n, _)| n.to_owned()).collect();
    assert!(!declared.is_empty(), "no [[bin]] in fuzz/Cargo.toml");
    assert_eq!(
        declared, bodies,
        "fuzz/Cargo.toml and kms_fuzz::targets() disagree"
    );
    for name in &declared {
        let src = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&src).expect("fuzz target source must exist");
        assert!(
            text.contains(&format!("::{name}(data)")),
            "{} does not call its body",
            src.display()
        );
    }
}

/// The fuzz list follows the operation registry: every body an operation
/// takes has its `body_<name>` target.
#[test]
fn every_operation_body_has_a_fuzz_target() {
    let bodies: BTreeSet<String> = kms_fuzz::targets().map(|(n, _)| n.to_owned()).collect();
    let missing: Vec<String> = kms_model::Operation::ALL
        .iter()
        .filter_map(|op| op.body_name())
        .map(|b| format!("body_{b}"))
        .filter(|t| !bodies.contains(t))
        .collect();
    assert!(
        missing.is_empty(),
        "bodies without a fuzz target: {missing:?}"
    );
}

#[test]
fn replay_every_corpus() {
    let mut total = 0usize;
    for (name, body) in kms_fuzz::targets() {
        let dir = fuzz_dir().join("corpus").join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
        let mut count = 0usize;
        for entry in entries {
            let path = entry.expect("readable corpus entry").path();
            if path.is_file() {
                let data = std::fs::read(&path).expect("readable corpus file");
                body(&data);
                count += 1;
            }
        }
        assert!(count > 0, "corpus {} is empty", dir.display());
        total += count;
    }
    assert!(total > 0);
}
