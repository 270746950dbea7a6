//! Asymmetric CMKs: sign / verify round trips for every spec and fitting
//! algorithm, both message types, the algorithm-to-spec rules, tampering,
//! and the sealed form (algorithm `0x06`) bound to key id and spec.
//! Interoperability with an independent implementation (Python's
//! `cryptography`) is checked by the official-SDK test of kms-server.

use kms_crypto::{
    BlobKind, Ciphertext, Error, HashAlg, Message, RootKey, SigningAlgorithm, SigningKey,
    SigningKeySpec,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sha2::{Digest, Sha256, Sha384, Sha512};

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const OTHER_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b7";

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn digest(h: HashAlg, m: &[u8]) -> Vec<u8> {
    match h {
        HashAlg::Sha256 => Sha256::digest(m).to_vec(),
        HashAlg::Sha384 => Sha384::digest(m).to_vec(),
        HashAlg::Sha512 => Sha512::digest(m).to_vec(),
        // SM2's digest includes Z_A: tests/it/sm.rs checks it.
        HashAlg::Sm3 => unreachable!("SM2DSA_SM3 is tested in sm.rs"),
    }
}

#[test]
fn every_spec_signs_and_verifies_with_every_fitting_algorithm() {
    let msg = b"the quick brown fox";
    for (i, spec) in SigningKeySpec::ALL.into_iter().enumerate() {
        let key = SigningKey::generate(spec, &mut rng(i as u8)).unwrap();
        assert_eq!(key.spec(), spec);
        let public = key.public_key();
        let mut fitting = 0;
        for alg in SigningAlgorithm::ALL {
            if !alg.fits(spec) {
                assert_eq!(
                    key.sign(alg, Message::Raw(msg), &mut rng(9)),
                    Err(Error::AlgorithmMismatch),
                    "{alg:?} with {spec:?}"
                );
                assert_eq!(
                    public.verify(alg, Message::Raw(msg), &[1u8; 64]),
                    Err(Error::AlgorithmMismatch)
                );
                continue;
            }
            fitting += 1;
            if alg == SigningAlgorithm::Sm2Dsa {
                continue; // DIGEST is SM3(Z_A || M): tests/it/sm.rs
            }
            let d = digest(alg.hash(), msg);
            let raw = key.sign(alg, Message::Raw(msg), &mut rng(1)).unwrap();
            let pre = key.sign(alg, Message::Digest(&d), &mut rng(2)).unwrap();
            // A raw message and its digest are the same signing input.
            for sig in [&raw, &pre] {
                assert!(public.verify(alg, Message::Raw(msg), sig).unwrap());
                assert!(public.verify(alg, Message::Digest(&d), sig).unwrap());
                assert!(!public.verify(alg, Message::Raw(b"another"), sig).unwrap());
                let mut bad = sig.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                assert!(!public.verify(alg, Message::Raw(msg), &bad).unwrap());
                assert!(!public.verify(alg, Message::Raw(msg), &[]).unwrap());
                assert!(
                    !public
                        .verify(alg, Message::Raw(msg), &sig[..sig.len() / 2])
                        .unwrap()
                );
            }
            // ECDSA (RFC 6979) and PKCS#1 v1.5 are deterministic; PSS is salted.
            match alg {
                SigningAlgorithm::RsaPss(_) => assert_ne!(raw, pre),
                _ => assert_eq!(raw, pre),
            }
        }
        assert_eq!(fitting, if spec.name().starts_with("RSA") { 6 } else { 1 });
    }
}

#[test]
fn digest_and_raw_lengths_are_checked() {
    let key = SigningKey::generate(SigningKeySpec::EcP384, &mut rng(3)).unwrap();
    let alg = SigningAlgorithm::Ecdsa(HashAlg::Sha384);
    assert_eq!(
        key.sign(alg, Message::Digest(&[0u8; 32]), &mut rng(1)),
        Err(Error::InvalidDigestLength {
            expected: 48,
            len: 32
        })
    );
    assert_eq!(
        key.sign(alg, Message::Raw(&[]), &mut rng(1)),
        Err(Error::InvalidMessageLength { len: 0 })
    );
    assert_eq!(
        key.sign(alg, Message::Raw(&[0u8; 4097]), &mut rng(1)),
        Err(Error::InvalidMessageLength { len: 4097 })
    );
    assert!(
        key.sign(alg, Message::Raw(&[0u8; 4096]), &mut rng(1))
            .is_ok()
    );
}

#[test]
fn a_signature_of_one_key_does_not_verify_under_another() {
    let a = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(4)).unwrap();
    let b = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(5)).unwrap();
    let alg = SigningAlgorithm::Ecdsa(HashAlg::Sha256);
    let sig = a.sign(alg, Message::Raw(b"m"), &mut rng(1)).unwrap();
    assert!(
        a.public_key()
            .verify(alg, Message::Raw(b"m"), &sig)
            .unwrap()
    );
    assert!(
        !b.public_key()
            .verify(alg, Message::Raw(b"m"), &sig)
            .unwrap()
    );
}

#[test]
fn public_keys_are_pem_spki_of_the_right_size() {
    for (i, spec) in SigningKeySpec::ALL.into_iter().enumerate() {
        let key = SigningKey::generate(spec, &mut rng(10 + i as u8)).unwrap();
        let pem = key.public_key().to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
        let der = key.public_key().to_der().unwrap();
        // SubjectPublicKeyInfo sizes: RSA n bytes plus ~38 bytes of DER;
        // uncompressed EC points plus the curve OIDs.
        let expected = match spec {
            SigningKeySpec::Rsa2048 => 294,
            SigningKeySpec::Rsa3072 => 422,
            SigningKeySpec::Rsa4096 => 550,
            SigningKeySpec::EcP256 => 91,
            SigningKeySpec::EcP384 => 120,
            // id-ecPublicKey, the SM2 curve OID, a 65-byte point.
            SigningKeySpec::Sm2 => 91,
            _ => unreachable!(),
        };
        assert_eq!(der.len(), expected, "{spec:?}");
        // The PKCS#8 form loads back as the same key, and only as its spec.
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let again = SigningKey::from_pkcs8_der(spec, &pkcs8).unwrap();
        assert_eq!(again.public_key().to_der().unwrap(), der);
        for other in SigningKeySpec::ALL.into_iter().filter(|&o| o != spec) {
            assert_eq!(
                SigningKey::from_pkcs8_der(other, &pkcs8).unwrap_err(),
                Error::Rejected,
                "{spec:?} loaded as {other:?}"
            );
        }
    }
}

#[test]
fn sealed_signing_keys_open_only_for_their_key_id_spec_and_root() {
    let root = RootKey::from_bytes(&[1u8; 32]).unwrap();
    let other_root = RootKey::from_bytes(&[2u8; 32]).unwrap();
    let key = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(20)).unwrap();
    let sealed = root.seal_signing_key(&mut rng(21), KEY_ID, &key).unwrap();
    let h = Ciphertext::from_bytes(sealed.as_bytes()).unwrap();
    assert_eq!(h.header().kind(), BlobKind::SigningKey);
    assert_eq!(h.header().key_id(), Some(KEY_ID));
    assert_eq!(h.header().key_version(), 1);
    assert_eq!(sealed.as_bytes()[1], 0x06);

    let opened = root
        .open_signing_key(KEY_ID, SigningKeySpec::EcP256, sealed.as_bytes())
        .unwrap();
    assert_eq!(
        opened.public_key().to_der().unwrap(),
        key.public_key().to_der().unwrap()
    );
    let rejected = [
        root.open_signing_key(OTHER_ID, SigningKeySpec::EcP256, sealed.as_bytes()),
        root.open_signing_key(KEY_ID, SigningKeySpec::EcP384, sealed.as_bytes()),
        other_root.open_signing_key(KEY_ID, SigningKeySpec::EcP256, sealed.as_bytes()),
    ];
    for r in rejected {
        assert_eq!(r.unwrap_err(), Error::Rejected);
    }
    // Any flipped byte is rejected.
    for i in 0..sealed.as_bytes().len() {
        let mut b = sealed.as_bytes().to_vec();
        b[i] ^= 0x80;
        assert!(
            root.open_signing_key(KEY_ID, SigningKeySpec::EcP256, &b)
                .is_err(),
            "byte {i}"
        );
    }
    // A certificate private-key blob is not a signing-key blob.
    let scope = kms_crypto::PrivateKeyScope::new("p", KEY_ID).unwrap();
    let pk = root.seal_private_key(&mut rng(22), &scope, b"pem").unwrap();
    assert!(
        root.open_signing_key(KEY_ID, SigningKeySpec::EcP256, pk.as_bytes())
            .is_err()
    );
}

#[test]
fn debug_shows_no_key_material() {
    let key = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(30)).unwrap();
    assert_eq!(format!("{key:?}"), "SigningKey(EC_P256, redacted)");
}
