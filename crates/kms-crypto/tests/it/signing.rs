//! Asymmetric CMKs: sign / verify round trips for every spec and fitting
//! algorithm, both message types, the algorithm-to-spec rules, tampering,
//! and the sealed form (algorithm `0x06`) bound to key id and spec.
//! Signatures cross-verify between kms-crypto (AWS-LC underneath for RSA
//! and ECDSA) and RustCrypto called directly, both ways, and key encodings
//! are RustCrypto's byte for byte. Interoperability with an independent
//! implementation (Python's `cryptography`) is checked by the official-SDK
//! test of kms-server.

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
            // PKCS#1 v1.5 is deterministic; PSS is salted and ECDSA nonces
            // are random (AWS-LC).
            match alg {
                SigningAlgorithm::RsaPss(_) | SigningAlgorithm::Ecdsa(_) => {
                    assert_ne!(raw, pre)
                }
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

/// RustCrypto's RSA keys of a kms-crypto key pair (from its PKCS#8).
fn rustcrypto_rsa(key: &SigningKey) -> rsa::PrivateKey {
    use rsa::pkcs8::DecodePrivateKey;
    rsa::PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap()
}

const RSA_SPECS: [SigningKeySpec; 3] = [
    SigningKeySpec::Rsa2048,
    SigningKeySpec::Rsa3072,
    SigningKeySpec::Rsa4096,
];

/// Every RSA signature kms-crypto makes verifies under RustCrypto's `rsa`,
/// and every one RustCrypto makes (PSS with the hash-length salt, with no
/// salt and with the largest salt; PKCS#1 v1.5) verifies under kms-crypto;
/// a changed bit fails under both.
#[test]
fn rsa_signatures_cross_verify_with_rustcrypto() {
    use rsa::signature::RandomizedSigner;
    use rsa::signature::Verifier;
    use rsa::traits::PublicKeyParts;
    for (i, spec) in RSA_SPECS.into_iter().enumerate() {
        let key = SigningKey::generate(spec, &mut rng(40 + i as u8)).unwrap();
        let public = key.public_key();
        let rc = rustcrypto_rsa(&key);
        let rc_public = rc.to_public_key();
        let msg = b"cross-verified";
        macro_rules! both_ways {
            ($h:ty, $hash:expr) => {{
                // kms-crypto signs, RustCrypto verifies.
                let pss = key
                    .sign(
                        SigningAlgorithm::RsaPss($hash),
                        Message::Raw(msg),
                        &mut rng(1),
                    )
                    .unwrap();
                let vk = rsa::pss::VerifyingKey::<$h>::new(rc_public.clone());
                vk.verify(msg, &rsa::pss::Signature::try_from(pss.as_slice()).unwrap())
                    .unwrap();
                let mut bad = pss.clone();
                bad[7] ^= 1;
                assert!(
                    vk.verify(msg, &rsa::pss::Signature::try_from(bad.as_slice()).unwrap())
                        .is_err()
                );
                let v15 = key
                    .sign(
                        SigningAlgorithm::RsaPkcs1v15($hash),
                        Message::Raw(msg),
                        &mut rng(1),
                    )
                    .unwrap();
                let vk = rsa::pkcs1v15::VerifyingKey::<$h>::new(rc_public.clone());
                vk.verify(
                    msg,
                    &rsa::pkcs1v15::Signature::try_from(v15.as_slice()).unwrap(),
                )
                .unwrap();
                // PKCS#1 v1.5 is deterministic: the same bytes as RustCrypto's.
                let sk = rsa::pkcs1v15::SigningKey::<$h>::new(rc.clone());
                let rc_v15: rsa::pkcs1v15::Signature = sk.sign_with_rng(&mut rng(2), msg);
                assert_eq!(
                    Box::<[u8]>::from(rc_v15.clone()).into_vec(),
                    v15,
                    "{spec:?}"
                );
                assert!(
                    public
                        .verify(
                            SigningAlgorithm::RsaPkcs1v15($hash),
                            Message::Raw(msg),
                            &Box::<[u8]>::from(rc_v15).into_vec()
                        )
                        .unwrap()
                );
                // RustCrypto signs PSS with several salt lengths; kms-crypto
                // verifies each (AWS-LC for the hash-length salt, RustCrypto
                // for the others).
                let h_len = <$h as sha2::Digest>::output_size();
                let max_salt = rc_public.size() - h_len - 2;
                for salt in [h_len, 0, max_salt] {
                    let sk = rsa::pss::SigningKey::<$h>::new_with_salt_len(rc.clone(), salt);
                    let sig: rsa::pss::Signature = sk.sign_with_rng(&mut rng(3), msg);
                    let sig = Box::<[u8]>::from(sig).into_vec();
                    assert!(
                        public
                            .verify(SigningAlgorithm::RsaPss($hash), Message::Raw(msg), &sig)
                            .unwrap(),
                        "{spec:?} salt {salt}"
                    );
                    let mut bad = sig.clone();
                    bad[5] ^= 0x10;
                    assert!(
                        !public
                            .verify(SigningAlgorithm::RsaPss($hash), Message::Raw(msg), &bad)
                            .unwrap()
                    );
                }
            }};
        }
        both_ways!(Sha256, HashAlg::Sha256);
        both_ways!(Sha384, HashAlg::Sha384);
        both_ways!(Sha512, HashAlg::Sha512);
    }
}

/// ECDSA signatures kms-crypto makes are strict DER that RustCrypto's
/// `p256` / `p384` verify, and RustCrypto's (RFC 6979) verify under
/// kms-crypto; a changed bit, a non-DER (fixed r || s) encoding and a
/// signature of another digest fail.
#[test]
fn ecdsa_signatures_cross_verify_with_rustcrypto() {
    use p256::pkcs8::DecodePrivateKey;
    use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    macro_rules! both_ways {
        ($curve:ident, $spec:expr, $hash:expr, $len:expr) => {{
            for seed in 0..8u8 {
                let key = SigningKey::generate($spec, &mut rng(60 + seed)).unwrap();
                let public = key.public_key();
                let alg = SigningAlgorithm::Ecdsa($hash);
                let rc = $curve::ecdsa::SigningKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap())
                    .unwrap();
                let vk = *rc.verifying_key();
                let d = [seed.wrapping_mul(31); $len];
                let sig = key.sign(alg, Message::Digest(&d), &mut rng(1)).unwrap();
                let parsed = $curve::ecdsa::Signature::from_der(&sig).unwrap();
                assert_eq!(parsed.to_der().as_bytes(), sig.as_slice(), "strict DER");
                vk.verify_prehash(&d, &parsed).unwrap();
                let mut other = d;
                other[0] ^= 1;
                assert!(vk.verify_prehash(&other, &parsed).is_err());

                let rc_sig: $curve::ecdsa::Signature = rc.sign_prehash(&d).unwrap();
                let der = rc_sig.to_der().as_bytes().to_vec();
                assert!(public.verify(alg, Message::Digest(&d), &der).unwrap());
                assert!(!public.verify(alg, Message::Digest(&other), &der).unwrap());
                let mut bad = der.clone();
                let last = bad.len() - 1;
                bad[last] ^= 1;
                assert!(!public.verify(alg, Message::Digest(&d), &bad).unwrap());
                assert!(
                    !public
                        .verify(alg, Message::Digest(&d), rc_sig.to_bytes().as_slice())
                        .unwrap()
                );
            }
        }};
    }
    both_ways!(p256, SigningKeySpec::EcP256, HashAlg::Sha256, 32);
    both_ways!(p384, SigningKeySpec::EcP384, HashAlg::Sha384, 48);
}

/// Key formats are RustCrypto's, byte for byte: a loaded key gives back
/// the PKCS#8 it was loaded from, which is what RustCrypto re-encodes from
/// it, and the public key (PEM SubjectPublicKeyInfo) is RustCrypto's.
#[test]
fn key_encodings_are_rustcryptos() {
    use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
    for (i, spec) in [
        SigningKeySpec::Rsa2048,
        SigningKeySpec::EcP256,
        SigningKeySpec::EcP384,
    ]
    .into_iter()
    .enumerate()
    {
        let key = SigningKey::generate(spec, &mut rng(80 + i as u8)).unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let loaded = SigningKey::from_pkcs8_der(spec, &der).unwrap();
        assert_eq!(*loaded.to_pkcs8_der().unwrap(), *der);
        let (rc_der, rc_pem) = match spec {
            SigningKeySpec::Rsa2048 => {
                let k = rsa::PrivateKey::from_pkcs8_der(&der).unwrap();
                (
                    k.to_pkcs8_der().unwrap().as_bytes().to_vec(),
                    k.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
                )
            }
            SigningKeySpec::EcP256 => {
                let k = p256::ecdsa::SigningKey::from_pkcs8_der(&der).unwrap();
                (
                    k.to_pkcs8_der().unwrap().as_bytes().to_vec(),
                    k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                )
            }
            _ => {
                let k = p384::ecdsa::SigningKey::from_pkcs8_der(&der).unwrap();
                (
                    k.to_pkcs8_der().unwrap().as_bytes().to_vec(),
                    k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap(),
                )
            }
        };
        assert_eq!(rc_der, *der, "{spec:?}: PKCS#8 as RustCrypto encodes it");
        assert_eq!(key.public_key().to_pem().unwrap(), rc_pem, "{spec:?}");
        assert_eq!(loaded.public_key().to_pem().unwrap(), rc_pem, "{spec:?}");
    }
    // A key of one size is not loaded as another.
    let der = SigningKey::generate(SigningKeySpec::Rsa2048, &mut rng(90))
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    assert_eq!(
        SigningKey::from_pkcs8_der(SigningKeySpec::Rsa3072, &der).err(),
        Some(Error::Rejected)
    );
    assert_eq!(
        SigningKey::from_pkcs8_der(SigningKeySpec::EcP256, &der).err(),
        Some(Error::Rejected)
    );
}
