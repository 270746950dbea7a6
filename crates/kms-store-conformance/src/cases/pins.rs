//! PIN verifier store cases.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- PIN verifiers

/// A verifier is recorded for one domain and one keystore; recording it
/// twice is harmless; several verifiers coexist.
pub fn pin_verifier_per_domain_and_keystore(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let p = &*s.pins;
    let (v, w) = (verifier(3), verifier(4));
    let has = |d: &str, k: &str, x: &PinVerifier| ok(p.has_pin_verifier(d, k, x), "has");
    assert!(!has(DOMAIN, "1", &v), "nothing recorded yet");
    ok(p.insert_pin_verifier(DOMAIN, "1", &v), "insert");
    ok(
        p.insert_pin_verifier(DOMAIN, "1", &v),
        "recording the same verifier again is not an error",
    );
    assert!(has(DOMAIN, "1", &v));
    assert!(!has(DOMAIN, "2", &v), "another keystore");
    assert!(!has(OTHER_DOMAIN, "1", &v), "another domain");
    assert!(!has(DOMAIN, "1", &w), "another verifier");
    ok(p.insert_pin_verifier(DOMAIN, "1", &w), "insert");
    assert!(has(DOMAIN, "1", &v) && has(DOMAIN, "1", &w), "both kept");
    ok(p.insert_pin_verifier(OTHER_DOMAIN, &id(1), &v), "insert");
    assert!(has(OTHER_DOMAIN, &id(1), &v));
    assert!(!has(DOMAIN, &id(1), &v));
}
