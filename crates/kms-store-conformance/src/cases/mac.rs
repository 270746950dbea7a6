//! MAC keys and key-agreement keys: the `HMAC_*` specs and the
//! `GENERATE_VERIFY_MAC` / `KEY_AGREEMENT` usages round-trip (SQL schemas
//! check the usage column), HMAC keys rotate like symmetric keys and
//! list-keys filters by their spec.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

/// Every HMAC spec with `GENERATE_VERIFY_MAC` and an EC key with
/// `KEY_AGREEMENT` round-trip; an HMAC key's versions are kept per
/// version across a rotation; list_keys filters by an HMAC spec.
pub fn mac_and_agreement_keys_round_trip(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let mut hmac_ids = Vec::new();
    for (n, spec) in [
        (1, CmkSpec::Hmac256),
        (2, CmkSpec::Hmac384),
        (3, CmkSpec::Hmac512),
        (4, CmkSpec::HmacSm3),
    ] {
        let k = KeyRecord {
            spec,
            usage: KeyUsage::GenerateVerifyMac,
            ..key(n, PROJECT, &format!("mac-{n}"), "0")
        };
        ok(
            s.keys
                .insert_key(&k, &KeyMaterial::from(wrapped(&k.key_id, 1, n as u8))),
            "insert HMAC key",
        );
        assert_eq!(
            ok(s.keys.get_key(PROJECT, &k.key_id), "get").as_deref(),
            Some(&k),
            "an HMAC key's spec and GENERATE_VERIFY_MAC usage must round-trip"
        );
        hmac_ids.push(k.key_id);
    }
    let ec = KeyRecord {
        spec: CmkSpec::EcP384,
        usage: KeyUsage::KeyAgreement,
        ..key(5, PROJECT, "agree", "0")
    };
    let pair = kms_crypto::SigningKey::generate(
        kms_crypto::SigningKeySpec::EcP384,
        &mut rand_chacha::ChaCha20Rng::from_seed([5; 32]),
    )
    .unwrap_or_else(|e| panic!("key pair: {e}"));
    let sealed = RootKey::from_bytes(&[1u8; 32])
        .unwrap_or_else(|e| panic!("root key: {e}"))
        .seal_signing_key(
            &mut rand_chacha::ChaCha20Rng::from_seed([0; 32]),
            &ec.key_id,
            &pair,
        )
        .unwrap_or_else(|e| panic!("seal: {e}"));
    ok(
        s.keys.insert_key(&ec, &KeyMaterial::SealedKeyPair(sealed)),
        "insert KEY_AGREEMENT key",
    );
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &ec.key_id), "get").as_deref(),
        Some(&ec),
        "a KEY_AGREEMENT key's usage must round-trip"
    );
    // An HMAC key rotates: version 2 is stored beside version 1.
    let v2 = wrapped(&hmac_ids[0], 2, 42);
    ok(
        s.keys
            .rotate_key(PROJECT, &hmac_ids[0], &v2, 2, Timestamp(1_800_000_000_000)),
        "rotate HMAC key",
    );
    assert_eq!(
        ok(s.keys.get_key_material(&hmac_ids[0], 2), "material v2").as_deref(),
        Some(v2.as_bytes()),
        "an HMAC key's new version must be stored"
    );
    assert_eq!(
        ok(s.keys.get_key_material(&hmac_ids[0], 1), "material v1").as_deref(),
        Some(wrapped(&hmac_ids[0], 1, 1).as_bytes()),
        "an HMAC key's old version must stay"
    );
    let rotated = ok(s.keys.get_key(PROJECT, &hmac_ids[0]), "get rotated")
        .unwrap_or_else(|| panic!("rotated HMAC key missing"));
    assert_eq!(
        rotated.current_version, 2,
        "rotation makes version 2 current"
    );
    let only = |spec| {
        let q = KeyListQuery {
            spec,
            ..query(None, 0, 0, 100)
        };
        let (total, page) = ok(s.keys.list_keys(PROJECT, &q), "list");
        assert_eq!(total, page.len() as u64, "total of a spec filter");
        key_ids(&page)
    };
    assert_eq!(only(Some(CmkSpec::Hmac384)), vec![hmac_ids[1].clone()]);
    assert_eq!(only(Some(CmkSpec::HmacSm3)), vec![hmac_ids[3].clone()]);
    assert_eq!(only(Some(CmkSpec::EcP384)), vec![ec.key_id.clone()]);
    assert_eq!(only(None).len(), 5, "no spec filter: every key");
}
