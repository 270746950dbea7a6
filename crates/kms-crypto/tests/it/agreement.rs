#![allow(clippy::unwrap_used, missing_docs)]
//! ECDH of EC key pairs (derive-shared-secret).

use kms_crypto::{Error, SigningKey, SigningKeySpec};

fn rng() -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng as _;
    rand_chacha::ChaCha20Rng::from_seed([24; 32])
}

#[test]
fn both_sides_agree_on_p256_and_p384() {
    let mut rng = rng();
    for (spec, len) in [(SigningKeySpec::EcP256, 32), (SigningKeySpec::EcP384, 48)] {
        let a = SigningKey::generate(spec, &mut rng).unwrap();
        let b = SigningKey::generate(spec, &mut rng).unwrap();
        let ab = a.diffie_hellman(&b.public_key().to_der().unwrap()).unwrap();
        let ba = b.diffie_hellman(&a.public_key().to_der().unwrap()).unwrap();
        assert_eq!(ab.len(), len);
        assert_eq!(*ab, *ba);
        // Another peer, another secret.
        let c = SigningKey::generate(spec, &mut rng).unwrap();
        assert_ne!(
            *a.diffie_hellman(&c.public_key().to_der().unwrap()).unwrap(),
            *ab
        );
    }
}

#[test]
fn a_peer_key_of_another_curve_or_garbage_is_rejected() {
    let mut rng = rng();
    let p256 = SigningKey::generate(SigningKeySpec::EcP256, &mut rng).unwrap();
    let p384 = SigningKey::generate(SigningKeySpec::EcP384, &mut rng).unwrap();
    let sm2 = SigningKey::generate(SigningKeySpec::Sm2, &mut rng).unwrap();
    let p384_pub = p384.public_key().to_der().unwrap();
    assert_eq!(p256.diffie_hellman(&p384_pub).unwrap_err(), Error::Rejected);
    assert_eq!(
        p384.diffie_hellman(&p256.public_key().to_der().unwrap())
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        p256.diffie_hellman(&sm2.public_key().to_der().unwrap())
            .unwrap_err(),
        Error::Rejected
    );
    for garbage in [&[][..], &[0x30, 0x00][..], &[0xff; 91][..]] {
        assert_eq!(p256.diffie_hellman(garbage).unwrap_err(), Error::Rejected);
    }
    // Only EC keys agree.
    assert_eq!(
        sm2.diffie_hellman(&p384_pub).unwrap_err(),
        Error::AlgorithmMismatch
    );
}
