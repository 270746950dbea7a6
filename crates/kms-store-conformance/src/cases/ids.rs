//! Ids are never reused.

#[allow(clippy::wildcard_imports, unused_imports)]
use crate::*;

// ---------------------------------------------------------------- ids

/// An insert reusing an existing id (with a free alias or name) must not
/// replace or duplicate the stored record or its material; any error is
/// acceptable. Not stated in the port docs (ids come fresh from the
/// `IdGenerator`), but an adapter that overwrites would silently lose a
/// CMK's material on an id collision.
pub fn existing_id_is_never_overwritten(new: &dyn Fn() -> StoreSet) {
    let s = new();
    let ks = keystore(1, DOMAIN, "first", None);
    ok(s.keystores.insert_keystore(&ks), "keystore");
    let again = s
        .keystores
        .insert_keystore(&keystore(1, DOMAIN, "second", None));
    assert!(
        again.is_err(),
        "a keystore with an existing id must be refused"
    );
    assert_eq!(
        ok(s.keystores.list_keystores(DOMAIN, 0, 10), "list"),
        (1, vec![ks])
    );

    let k = key(2, PROJECT, "first", "0");
    let w = wrapped(&id(2), 1, 1);
    ok(s.keys.insert_key(&k, &KeyMaterial::from(w.clone())), "key");
    let again = s.keys.insert_key(
        &key(2, PROJECT, "second", "0"),
        &KeyMaterial::from(wrapped(&id(2), 1, 2)),
    );
    assert!(again.is_err(), "a key with an existing id must be refused");
    assert_eq!(
        ok(s.keys.get_key(PROJECT, &id(2)), "get").as_deref(),
        Some(&k),
        "the first key is kept"
    );
    assert_eq!(
        ok(s.keys.get_key_material(&id(2), 1), "material").as_deref(),
        Some(w.as_bytes()),
        "the first key's material is kept"
    );

    let c = certificate(3, PROJECT, "first");
    ok(s.certificates.insert_certificate(&c), "certificate");
    let again = s
        .certificates
        .insert_certificate(&certificate(3, PROJECT, "second"));
    assert!(
        again.is_err(),
        "a certificate with an existing id must be refused"
    );
    assert_eq!(
        ok(
            s.certificates
                .list_certificates(PROJECT, &CertificateFilter::default(), 0, 10),
            "list"
        ),
        (1, vec![c])
    );
}
