//! RSAES-OAEP-SHA-256 of RSA key pairs (encrypt-data's
//! `RSAES_OAEP_SHA_256`): interoperates with the `rsa` crate's own OAEP
//! padding driven from the exported PKCS#8 key (SHA-256, MGF1-SHA-256,
//! empty label), the plaintext limit `k - 2*hLen - 2`, the errors.
//! Interoperability with an independent implementation (Python's
//! `cryptography`) is checked by the official-SDK test of kms-server.

use kms_crypto::{Error, SigningKey, SigningKeySpec};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs8::DecodePrivateKey;
use sha2::{Sha256, Sha384};

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

#[test]
fn oaep_sha256_interoperates_and_stops_at_k_minus_2hlen_minus_2() {
    for (spec, k, max) in [
        (SigningKeySpec::Rsa2048, 256, 190),
        (SigningKeySpec::Rsa3072, 384, 318),
    ] {
        assert_eq!(spec.rsa_oaep_sha256_max_plaintext(), Some(max));
        let key = SigningKey::generate(spec, &mut rng(1)).unwrap();
        let public = key.public_key();
        let theirs = rsa::PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
        let msg = vec![0xa5u8; max];
        // Ours to theirs.
        let ct = public.encrypt_rsa_oaep_sha256(&mut rng(2), &msg).unwrap();
        assert_eq!(ct.len(), k);
        assert_eq!(
            theirs.decrypt(rsa::Oaep::<Sha256>::new(), &ct).unwrap(),
            msg
        );
        // Theirs to ours.
        let their_ct = theirs
            .to_public_key()
            .encrypt(&mut rng(3), rsa::Oaep::<Sha256>::new(), b"from rsa")
            .unwrap();
        assert_eq!(
            &key.decrypt_rsa_oaep_sha256(&mut rng(4), &their_ct).unwrap()[..],
            b"from rsa"
        );
        // Another MGF1 hash is another scheme: refused, opaquely.
        let other_mgf = theirs
            .to_public_key()
            .encrypt(
                &mut rng(5),
                rsa::Oaep::<Sha256, Sha384>::new_with_mgf_hash(),
                b"x",
            )
            .unwrap();
        assert_eq!(
            key.decrypt_rsa_oaep_sha256(&mut rng(6), &other_mgf).err(),
            Some(Error::Rejected)
        );
        // One byte over, and nothing at all.
        assert_eq!(
            public
                .encrypt_rsa_oaep_sha256(&mut rng(7), &vec![0u8; max + 1])
                .err(),
            Some(Error::RsaPlaintextTooLong { len: max + 1, max })
        );
        assert_eq!(
            public.encrypt_rsa_oaep_sha256(&mut rng(8), b"").err(),
            Some(Error::InvalidDataLength { len: 0 })
        );
        // Tampered, truncated, padded, empty: the same opaque answer.
        let mut bad = ct.clone();
        bad[k / 2] ^= 1;
        // Also k bytes that are no RSA ciphertext at all: zero, one, and a
        // value above the modulus.
        let zero = vec![0u8; k];
        let one = [vec![0u8; k - 1], vec![1]].concat();
        let high = vec![0xffu8; k];
        for c in [
            &bad[..],
            &ct[..k - 1],
            &[ct.clone(), vec![0]].concat()[..],
            &[],
            &zero,
            &one,
            &high,
        ] {
            assert_eq!(
                key.decrypt_rsa_oaep_sha256(&mut rng(9), c).err(),
                Some(Error::Rejected)
            );
        }
    }
}

#[test]
fn only_rsa_keys_do_oaep() {
    for spec in [
        SigningKeySpec::EcP256,
        SigningKeySpec::EcP384,
        SigningKeySpec::Sm2,
    ] {
        assert_eq!(spec.rsa_oaep_sha256_max_plaintext(), None);
        let key = SigningKey::generate(spec, &mut rng(10)).unwrap();
        assert_eq!(
            key.public_key()
                .encrypt_rsa_oaep_sha256(&mut rng(11), b"x")
                .err(),
            Some(Error::AlgorithmMismatch)
        );
        assert_eq!(
            key.decrypt_rsa_oaep_sha256(&mut rng(12), &[0u8; 256]).err(),
            Some(Error::AlgorithmMismatch)
        );
    }
    assert_eq!(
        SigningKeySpec::Rsa4096.rsa_oaep_sha256_max_plaintext(),
        Some(446)
    );
}
