//! gen-random through the core.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use kms_core::memory;
use kms_core::ports::Caller;
use kms_core::{CoreConfig, Kms};
use kms_model::{ErrorCode, GenRandomRequestBody};

#[test]
fn random_data_of_every_length_and_exact_codes() {
    let ports = memory::test_ports([3u8; 32]).unwrap();
    let k = Kms::new(ports, CoreConfig::default());
    let a = Caller::new("dom-a", "proj-a");
    let body = |bits: &str| GenRandomRequestBody {
        random_data_length: bits.into(),
        sequence: None,
    };
    let mut seen = std::collections::HashSet::new();
    for bits in [8u32, 16, 512, 8192] {
        let r = k.wire().gen_random(&a, &body(&bits.to_string())).unwrap();
        assert_eq!(
            r.random_data.len(),
            bits as usize / 4,
            "two hex digits per byte"
        );
        assert!(
            r.random_data
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
        assert!(seen.insert(r.random_data), "fresh bytes every call");
    }
    // Out of 8..=8192 or not a number: KMS.1801; in range but not whole
    // bytes: KMS.1802 ("random_data_length must be a multiple of 8").
    for (bad, code) in [
        ("0", "KMS.1801"),
        ("7", "KMS.1801"),
        ("12", "KMS.1802"),
        ("8200", "KMS.1801"),
        ("abc", "KMS.1801"),
        ("", "KMS.1801"),
        ("-8", "KMS.1801"),
    ] {
        let e = k.wire().gen_random(&a, &body(bad)).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, code), "{bad}: {e}");
    }
    let e = k
        .wire()
        .gen_random(
            &a,
            &GenRandomRequestBody {
                random_data_length: "64".into(),
                sequence: Some("short".into()),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidSequence);
}
