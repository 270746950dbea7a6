//! Carried PIN keys: a root key given another root key's PIN keys verifies
//! that root key's PINs (sealed and plaintext) and nothing else changes;
//! the wrap of PIN keys is bound to its root key and keystore.

use kms_crypto::{Error, Pin, PinScope, RootKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([7u8; 32])
}

#[test]
fn carried_pin_keys_keep_old_pins_verifying_under_a_new_root_key() {
    let old = RootKey::derive_from_secret(&[1u8; 32], "1").unwrap();
    let new = RootKey::derive_from_secret(&[2u8; 32], "1").unwrap();
    let mut r = rng();
    let pin = Pin::generate(&mut r).unwrap();
    let scope = PinScope::new("1", "domain-a").unwrap();
    let sealed = old.seal_pin(&mut r, &scope, &pin).unwrap();
    let verifier = old.pin_verifier("1", &pin).unwrap();
    assert!(new.open_pin(&scope, sealed.as_bytes()).is_err());

    let wrapped = new.wrap_pin_keys("1", &old.pin_keys()).unwrap();
    let keys = new.unwrap_pin_keys("1", &wrapped).unwrap();
    assert_eq!(format!("{keys:?}"), "PinKeys(redacted)");
    let new = new.with_pin_keys(&keys).unwrap();
    assert_eq!(
        new.open_pin(&scope, sealed.as_bytes())
            .unwrap()
            .expose_secret(),
        pin.expose_secret()
    );
    assert_eq!(new.pin_verifier("1", &pin).unwrap(), verifier);
    new.verify_plain_pin("1", &pin.to_hex(), &verifier).unwrap();
    // The carried keys are the ones in effect, and carry on again.
    let third = RootKey::derive_from_secret(&[3u8; 32], "1").unwrap();
    let carried = third
        .unwrap_pin_keys("1", &third.wrap_pin_keys("1", &new.pin_keys()).unwrap())
        .unwrap();
    let third = third.with_pin_keys(&carried).unwrap();
    assert_eq!(third.pin_verifier("1", &pin).unwrap(), verifier);
}

#[test]
fn a_pin_keys_wrap_opens_only_under_its_root_key_and_keystore() {
    let a = RootKey::derive_from_secret(&[1u8; 32], "2").unwrap();
    let b = RootKey::derive_from_secret(&[2u8; 32], "2").unwrap();
    let wrapped = a.wrap_pin_keys("2", &a.pin_keys()).unwrap();
    assert!(matches!(
        b.unwrap_pin_keys("2", &wrapped),
        Err(Error::Rejected)
    ));
    assert!(matches!(
        a.unwrap_pin_keys("1", &wrapped),
        Err(Error::Rejected)
    ));
    let mut tampered = wrapped.clone();
    tampered[10] ^= 1;
    assert!(matches!(
        a.unwrap_pin_keys("2", &tampered),
        Err(Error::Rejected)
    ));
    assert!(matches!(
        a.unwrap_pin_keys("2", &wrapped[..16]),
        Err(Error::Rejected)
    ));
    // Never read as a master key, nor a master key's wrap as PIN keys.
    assert!(a.unwrap_master_key(&"k".repeat(36), 1, &wrapped).is_err());
    let mk = kms_crypto::MasterKey::from_bytes(&"k".repeat(36), 1, &[9u8; 32]).unwrap();
    let wrapped_mk = a.wrap_master_key(&mk).unwrap();
    assert!(a.unwrap_pin_keys("2", wrapped_mk.as_bytes()).is_err());
    assert!(a.wrap_pin_keys("", &a.pin_keys()).is_err());
}
