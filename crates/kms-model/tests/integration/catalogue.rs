//! The error catalogue: unique codes, statuses as documented, body shapes,
//! and `docs/errors.md` in sync with the code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use kms_model::{ApiError, ErrorBody, ErrorCode, Service};

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = HashSet::new();
    for code in ErrorCode::ALL {
        assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
        // API Gateway's own codes (`APIGW.`, e.g. its throttling answer)
        // have its flat shape.
        let prefixes: &[&str] = match code.service() {
            Service::Kms => &["KMS."],
            Service::Apig => &["APIG.", "APIGW."],
        };
        let digits = prefixes
            .iter()
            .find_map(|p| code.as_str().strip_prefix(p))
            .expect("prefix matches service");
        assert!(
            digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}",
            code.as_str()
        );
        assert!(
            [400, 401, 403, 404, 405, 429, 500, 502, 504].contains(&code.status()),
            "{} has an undocumented status",
            code.as_str()
        );
        assert!(!code.message().is_empty());
    }
    // the statuses the reference pages document all occur
    let statuses: HashSet<u16> = ErrorCode::ALL.iter().map(|c| c.status()).collect();
    for s in [400, 401, 403, 404, 500, 502, 504] {
        assert!(statuses.contains(&s), "no code with status {s}");
    }
}

#[test]
fn project_defined_codes_stay_out_of_published_ranges() {
    for code in ErrorCode::ALL.iter().filter(|c| !c.is_published()) {
        let n: u32 = code.as_str().split('.').nth(1).unwrap().parse().unwrap();
        match code.service() {
            Service::Kms => assert!(n >= 6000, "{}", code.as_str()),
            Service::Apig => assert!((4000..9999).contains(&n), "{}", code.as_str()),
        }
    }
}

#[test]
fn bodies_have_the_service_shape() {
    let kms = ApiError::bare(ErrorCode::KmsKeyNotFound);
    assert_eq!(kms.status(), 404);
    assert_eq!(
        kms.to_json(),
        r#"{"error":{"error_code":"KMS.0207","error_msg":"The key does not exist"}}"#
    );
    assert!(matches!(kms.body(), ErrorBody::Kms(_)));
    let apig = ApiError::new(ErrorCode::ApigInstanceNotFound, "id:f0fa1789");
    assert_eq!(
        apig.to_json(),
        r#"{"error_code":"APIG.3030","error_msg":"The instance does not exist: id:f0fa1789"}"#
    );
    // both shapes parse back
    let back: ErrorBody = serde_json::from_str(&kms.to_json()).unwrap();
    assert_eq!(back, kms.body());
    let back: ErrorBody = serde_json::from_str(&apig.to_json()).unwrap();
    assert_eq!(back, apig.body());
}

#[test]
fn docs_errors_md_lists_every_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
    let doc = std::fs::read_to_string(path).expect("docs/errors.md must exist");
    let table = doc
        .split("<!-- catalogue:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- catalogue:end -->").next())
        .expect("catalogue markers in docs/errors.md");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| code"))
        .collect();
    assert_eq!(rows.len(), ErrorCode::ALL.len(), "docs/errors.md row count");
    for (row, code) in rows.iter().zip(ErrorCode::ALL) {
        let expected = format!(
            "| {} | {} | {} | {} |",
            code.as_str(),
            code.status(),
            code.message(),
            if code.is_published() {
                "yes"
            } else {
                "project-defined"
            }
        );
        assert_eq!(*row, expected);
    }
}
