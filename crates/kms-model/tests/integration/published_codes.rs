//! Every KMS code the workspace can emit is one Huawei Cloud publishes
//! (`tests/data/kms-error-codes.tsv`, the service's own table), with the
//! published HTTP status, or one documented in `docs/errors.md` under
//! "Project-defined codes" with the reason no published code fits.
//!
//! Two views: the catalogue ([`ErrorCode::ALL`], what the error type can
//! say) and the source (every `KMS.dddd` literal in the workspace's
//! non-test code, so a code written past the catalogue is caught too).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kms_model::{ErrorCode, Service};

const TSV: &str = include_str!("../data/kms-error-codes.tsv");

/// `code -> (status, message)` of the published table.
fn published() -> BTreeMap<&'static str, (u16, &'static str)> {
    let mut lines = TSV.lines();
    assert_eq!(
        lines.next(),
        Some("status\terror_code\terror_msg (as the service words it)")
    );
    let mut out = BTreeMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let mut f = line.split('\t');
        let (status, code, msg) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        assert!(f.next().is_none(), "{line}");
        assert!(
            out.insert(code, (status.parse().unwrap(), msg)).is_none(),
            "{code} twice in the table"
        );
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The codes `docs/errors.md` lists as project-defined, each with a reason
/// (the table between the `project-codes` markers).
fn documented_project_codes() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(repo_root().join("docs/errors.md")).unwrap();
    let table = doc
        .split("<!-- project-codes:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- project-codes:end -->").next())
        .expect("project-codes markers in docs/errors.md");
    table
        .lines()
        .filter(|l| l.starts_with("| KMS.") || l.starts_with("| APIG."))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert!(cells.len() >= 3, "{l}");
            (cells[0].to_owned(), cells[2].to_owned())
        })
        .collect()
}

#[test]
fn the_copied_table_is_the_published_one() {
    let table = published();
    assert_eq!(table.len(), 160);
    // Spot checks against the service's table.
    assert_eq!(table["KMS.0207"], (404, "The key does not exist."));
    assert_eq!(
        table["KMS.1402"],
        (400, "The key is already in Pending deletion state.")
    );
    assert_eq!(table["KMS.0308"], (400, "Invalid parameter."));
}

#[test]
fn every_published_catalogue_code_is_in_the_table_with_its_status() {
    let table = published();
    for code in ErrorCode::ALL
        .iter()
        .filter(|c| c.service() == Service::Kms)
    {
        if code.is_published() {
            let (status, _) = table
                .get(code.as_str())
                .unwrap_or_else(|| panic!("{} is marked published but not in the table", code));
            assert_eq!(code.status(), *status, "{code}: the published status");
        } else {
            assert!(
                !table.contains_key(code.as_str()),
                "{code} is published: it cannot be project-defined"
            );
        }
    }
}

#[test]
fn every_project_defined_code_is_documented_with_a_reason() {
    let documented = documented_project_codes();
    let project: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .filter(|c| !c.is_published())
        .map(|c| c.as_str().to_owned())
        .collect();
    let listed: BTreeSet<String> = documented.keys().cloned().collect();
    assert_eq!(project, listed, "docs/errors.md project-defined codes");
    for (code, why) in &documented {
        assert!(why.len() > 10, "{code}: no reason given");
    }
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `KMS.` followed by four digits in `text`.
fn kms_literals(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("KMS.") {
        let start = i + at;
        let digits = &b[start + 4..(start + 8).min(b.len())];
        if digits.len() == 4
            && digits.iter().all(u8::is_ascii_digit)
            && b.get(start + 8).is_none_or(|c| !c.is_ascii_digit())
        {
            out.push(text[start..start + 8].to_owned());
        }
        i = start + 4;
    }
    out
}

#[test]
fn the_source_emits_no_kms_code_outside_the_table_and_the_documented_list() {
    let table = published();
    let documented = documented_project_codes();
    let mut files = Vec::new();
    let crates = repo_root().join("crates");
    for krate in std::fs::read_dir(&crates).unwrap().flatten() {
        // Library and binary code only: tests may name codes they refuse.
        rust_sources(&krate.path().join("src"), &mut files);
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut seen = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for code in kms_literals(&text) {
            assert!(
                table.contains_key(code.as_str()) || documented.contains_key(&code),
                "{}: {code} is neither published nor documented in docs/errors.md",
                f.display()
            );
            seen.insert(code);
        }
    }
    // The catalogue's codes are literals of kms-model's source: the scan
    // sees them all.
    for code in ErrorCode::ALL
        .iter()
        .filter(|c| c.service() == Service::Kms)
    {
        assert!(seen.contains(code.as_str()), "{code} not found by the scan");
    }
}

#[test]
fn the_literal_scan_finds_what_it_should() {
    assert_eq!(
        kms_literals("a KMS.0207 b \"KMS.6011\" KMS.12345 KMS.12 xKMS.0308"),
        ["KMS.0207", "KMS.6011", "KMS.0308"]
    );
}
