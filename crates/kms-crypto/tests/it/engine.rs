//! Engine properties: round trips, tampering, binding, typed errors, redaction.

use kms_crypto::{
    BlobKind, CIPHERTEXT_OVERHEAD, Ciphertext, CiphertextHeader, Dek, DekContext, DekLength, Error,
    MAX_PRIVATE_KEY_BYTES, MasterKey, Pin, PinScope, PinVerifier, PrivateKeyScope, RootKey,
    WRAPPED_MASTER_KEY_LEN,
};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{SeedableRng, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const OTHER_KEY_ID: &str = "1d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn cmk(seed: u64) -> MasterKey {
    MasterKey::generate(&mut rng(seed), KEY_ID, 1).unwrap()
}

fn ctx(aad: &[u8]) -> DekContext<'_> {
    DekContext::new(PROJECT, aad).unwrap()
}

const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

fn scope(keystore_id: &str) -> PinScope<'_> {
    PinScope::new(keystore_id, DOMAIN).unwrap()
}

fn pk_scope<'a>(project: &'a str, certificate: &'a str) -> PrivateKeyScope<'a> {
    PrivateKeyScope::new(project, certificate).unwrap()
}

#[test]
fn retired_pin_blobs_are_refused() {
    // Algorithm 0x02 bound a PIN to its keystore only; such blobs (whatever
    // their content) are no longer well-formed.
    let root = RootKey::generate(&mut rng(5)).unwrap();
    let pin = Pin::generate(&mut rng(6)).unwrap();
    let sealed = root.seal_pin(&mut rng(7), &scope("1"), &pin).unwrap();
    assert_eq!(sealed.as_bytes()[1], 0x03);
    let mut retired = sealed.as_bytes().to_vec();
    retired[1] = 0x02;
    assert_eq!(
        CiphertextHeader::parse(&retired).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.open_pin(&scope("1"), &retired).unwrap_err(),
        Error::Rejected
    );
}

#[test]
fn private_keys_seal_bound_to_project_and_certificate() {
    let root = RootKey::generate(&mut rng(8)).unwrap();
    let pem = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    let s = pk_scope(PROJECT, "cert-1");
    let sealed = root.seal_private_key(&mut rng(9), &s, pem).unwrap();
    assert_eq!(sealed.header().kind(), BlobKind::PrivateKey);
    assert_eq!(sealed.header().key_id(), None);
    assert_eq!(sealed.header().plaintext_len(), pem.len());
    assert_eq!(sealed.as_bytes().len(), CIPHERTEXT_OVERHEAD + pem.len());
    assert_eq!(sealed.as_bytes()[..2], [0x01, 0x04]);
    // The PEM text does not appear in the blob.
    assert!(!sealed.as_bytes().windows(10).any(|w| w == &pem[..10]));
    assert_eq!(
        &root.open_private_key(&s, sealed.as_bytes()).unwrap()[..],
        &pem[..]
    );
    let hex = sealed.to_hex();
    assert_eq!(Ciphertext::from_hex(&hex).unwrap(), sealed);
    // Another certificate, another project, another root, another purpose.
    for other in [
        pk_scope(PROJECT, "cert-2"),
        pk_scope("other-project", "cert-1"),
    ] {
        assert_eq!(
            root.open_private_key(&other, sealed.as_bytes())
                .unwrap_err(),
            Error::Rejected
        );
    }
    let other_root = RootKey::generate(&mut rng(10)).unwrap();
    assert_eq!(
        other_root
            .open_private_key(&s, sealed.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    let pin = Pin::generate(&mut rng(11)).unwrap();
    let pin_blob = root.seal_pin(&mut rng(12), &scope("1"), &pin).unwrap();
    assert_eq!(
        root.open_private_key(&s, pin_blob.as_bytes()).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.open_pin(&scope("1"), sealed.as_bytes()).unwrap_err(),
        Error::Rejected
    );
    for i in 0..sealed.as_bytes().len() * 8 {
        let mut t = sealed.as_bytes().to_vec();
        t[i / 8] ^= 1 << (i % 8);
        assert_eq!(root.open_private_key(&s, &t).unwrap_err(), Error::Rejected);
    }
    for len in 0..sealed.as_bytes().len() {
        assert_eq!(
            root.open_private_key(&s, &sealed.as_bytes()[..len])
                .unwrap_err(),
            Error::Rejected
        );
    }
    // Limits.
    assert_eq!(
        root.seal_private_key(&mut rng(1), &s, b"").unwrap_err(),
        Error::InvalidPrivateKeyLength { len: 0 }
    );
    let big = vec![b'k'; MAX_PRIVATE_KEY_BYTES + 1];
    assert_eq!(
        root.seal_private_key(&mut rng(1), &s, &big).unwrap_err(),
        Error::InvalidPrivateKeyLength {
            len: MAX_PRIVATE_KEY_BYTES + 1
        }
    );
    let max = root
        .seal_private_key(&mut rng(1), &s, &big[..MAX_PRIVATE_KEY_BYTES])
        .unwrap();
    assert_eq!(
        root.open_private_key(&s, max.as_bytes()).unwrap().len(),
        MAX_PRIVATE_KEY_BYTES
    );
    assert_eq!(
        PrivateKeyScope::new("", "c").unwrap_err(),
        Error::InvalidProjectId
    );
    assert_eq!(
        PrivateKeyScope::new("p", "").unwrap_err(),
        Error::InvalidCertificateId
    );
    assert_eq!(
        PrivateKeyScope::new("p", &"c".repeat(129)).unwrap_err(),
        Error::InvalidCertificateId
    );
}

#[test]
fn round_trip_every_length_with_and_without_aad() {
    let key = cmk(1);
    let mut r = rng(2);
    let mut count = 0;
    for bits in (8..=8192u64).step_by(8) {
        let len = DekLength::from_bits(bits).unwrap();
        for aad in [
            &b""[..],
            &b"some additional authenticated data"[..],
            &[0xa5u8; 128][..],
        ] {
            let c = ctx(aad);
            let (dek, ct) = key.generate_dek_with_plaintext(&mut r, len, &c).unwrap();
            assert_eq!(dek.expose_secret().len() as u64 * 8, bits);
            assert_eq!(ct.as_bytes().len(), CIPHERTEXT_OVERHEAD + len.bytes());
            let back = key.unwrap_dek(ct.as_bytes(), &c).unwrap();
            assert_eq!(back.expose_secret(), dek.expose_secret());
            // plaintext-free generation and caller-supplied wrap of the same length
            let ct2 = key.generate_dek(&mut r, len, &c).unwrap();
            assert_eq!(key.unwrap_dek(ct2.as_bytes(), &c).unwrap().length(), len);
            let ct3 = key.wrap_dek(&mut r, &dek, &c).unwrap();
            assert_eq!(
                key.unwrap_dek(ct3.as_bytes(), &c).unwrap().expose_secret(),
                dek.expose_secret()
            );
            // the hex wire form round-trips in either case
            let hex = ct.to_hex();
            assert!(
                hex.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            );
            assert_eq!(Ciphertext::from_hex(&hex.to_lowercase()).unwrap(), ct);
            count += 1;
        }
    }
    assert_eq!(count, 1024 * 3);
}

fn sample_blob() -> (MasterKey, Vec<u8>) {
    let key = cmk(7);
    let ct = key
        .generate_dek(&mut rng(8), DekLength::AES_256, &ctx(b"aad"))
        .unwrap();
    (key, ct.into_bytes())
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let (key, blob) = sample_blob();
    assert_eq!(blob.len(), 168);
    let c = ctx(b"aad");
    key.unwrap_dek(&blob, &c).unwrap();
    let mut flips = 0;
    for i in 0..blob.len() {
        for bit in 0..8 {
            let mut t = blob.clone();
            t[i] ^= 1 << bit;
            assert_eq!(
                key.unwrap_dek(&t, &c).unwrap_err(),
                Error::Rejected,
                "byte {i} bit {bit}"
            );
            flips += 1;
        }
    }
    assert_eq!(flips, 168 * 8);
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    let (key, blob) = sample_blob();
    let c = ctx(b"aad");
    for len in 0..blob.len() {
        assert_eq!(
            key.unwrap_dek(&blob[..len], &c).unwrap_err(),
            Error::Rejected,
            "truncated to {len}"
        );
        assert_eq!(
            CiphertextHeader::parse(&blob[..len]).unwrap_err(),
            Error::Rejected
        );
    }
    for extra in [0u8, 0xff] {
        let mut t = blob.clone();
        t.push(extra);
        assert_eq!(key.unwrap_dek(&t, &c).unwrap_err(), Error::Rejected);
        assert_eq!(CiphertextHeader::parse(&t).unwrap_err(), Error::Rejected);
    }
}

#[test]
fn wrong_key_version_project_aad_and_kind_are_rejected() {
    let (key, blob) = sample_blob();
    let good = ctx(b"aad");
    key.unwrap_dek(&blob, &good).unwrap();
    // another master key with the same id and version
    let other = MasterKey::generate(&mut rng(99), KEY_ID, 1).unwrap();
    assert_eq!(other.unwrap_dek(&blob, &good).unwrap_err(), Error::Rejected);
    // the same material under another version or key id
    let root = RootKey::generate(&mut rng(5)).unwrap();
    let wrapped = root.wrap_master_key(&key).unwrap();
    let same = root
        .unwrap_master_key(KEY_ID, 1, wrapped.as_bytes())
        .unwrap();
    same.unwrap_dek(&blob, &good).unwrap();
    #[cfg(feature = "hazmat")]
    {
        let v2 = MasterKey::from_bytes(KEY_ID, 2, key.expose_secret_bytes()).unwrap();
        assert_eq!(v2.unwrap_dek(&blob, &good).unwrap_err(), Error::Rejected);
        let id2 = MasterKey::from_bytes(OTHER_KEY_ID, 1, key.expose_secret_bytes()).unwrap();
        assert_eq!(id2.unwrap_dek(&blob, &good).unwrap_err(), Error::Rejected);
    }
    let v2 = MasterKey::generate(&mut rng(7), KEY_ID, 2).unwrap(); // same bytes as `key` (same seed)
    assert_eq!(v2.unwrap_dek(&blob, &good).unwrap_err(), Error::Rejected);
    let id2 = MasterKey::generate(&mut rng(7), OTHER_KEY_ID, 1).unwrap();
    assert_eq!(id2.unwrap_dek(&blob, &good).unwrap_err(), Error::Rejected);
    // wrong project, wrong or missing AAD, AAD moved into the project id
    for (p, a) in [
        ("0b8b7d5b2c0040a3a53e1d1e2c8c0a12", &b"aad"[..]),
        (PROJECT, &b"aae"[..]),
        (PROJECT, &b""[..]),
        (PROJECT, &b"aad\0"[..]),
    ] {
        let c = DekContext::new(p, a).unwrap();
        assert_eq!(
            key.unwrap_dek(&blob, &c).unwrap_err(),
            Error::Rejected,
            "{p} {a:?}"
        );
    }
    // a PIN blob is never a DEK blob, and vice versa
    let pin = Pin::generate(&mut rng(3)).unwrap();
    let sealed = root
        .seal_pin(&mut rng(4), &scope("keystore-1"), &pin)
        .unwrap();
    assert_eq!(sealed.header().kind(), BlobKind::Pin);
    assert_eq!(
        key.unwrap_dek(sealed.as_bytes(), &good).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.open_pin(&scope("keystore-1"), &blob).unwrap_err(),
        Error::Rejected
    );
    // even with the kind byte rewritten, the other purpose's derivation rejects it
    let mut as_dek = sealed.as_bytes().to_vec();
    as_dek[1] = 0x01;
    assert_eq!(key.unwrap_dek(&as_dek, &good).unwrap_err(), Error::Rejected);
}

#[test]
fn context_encoding_is_unambiguous() {
    let key = cmk(11);
    let mut r = rng(12);
    // "ab" + "c" vs "a" + "bc": same concatenation, different contexts
    let a = DekContext::new("ab", b"c").unwrap();
    let b = DekContext::new("a", b"bc").unwrap();
    let ct = key.generate_dek(&mut r, DekLength::AES_128, &a).unwrap();
    key.unwrap_dek(ct.as_bytes(), &a).unwrap();
    assert_eq!(
        key.unwrap_dek(ct.as_bytes(), &b).unwrap_err(),
        Error::Rejected
    );
}

#[test]
fn header_is_readable_without_the_key() {
    let (key, blob) = sample_blob();
    let h = CiphertextHeader::parse(&blob).unwrap();
    assert_eq!(h.kind(), BlobKind::DataKey);
    assert_eq!(h.key_id(), Some(KEY_ID));
    assert_eq!(h.key_version(), key.version());
    assert_eq!(h.plaintext_len(), 32);
    assert_eq!(Ciphertext::from_bytes(&blob).unwrap().header(), &h);
}

#[test]
fn each_wrap_is_fresh() {
    let key = cmk(13);
    let mut r = rng(14);
    let dek = Dek::from_bytes(&[7u8; 32]).unwrap();
    let a = key.wrap_dek(&mut r, &dek, &ctx(b"")).unwrap();
    let b = key.wrap_dek(&mut r, &dek, &ctx(b"")).unwrap();
    assert_ne!(a, b);
    assert_ne!(a.as_bytes()[44..76], b.as_bytes()[44..76], "salt");
}

#[test]
fn encrypt_datakey_input_digest_is_checked() {
    let dek = [0x11u8; 64];
    let mut input = dek.to_vec();
    input.extend_from_slice(&Sha256::digest(dek));
    let parsed = Dek::from_bytes_with_digest(&input).unwrap();
    assert_eq!(parsed.expose_secret(), &dek[..]);
    assert_eq!(parsed.sha256().as_slice(), Sha256::digest(dek).as_slice());
    let mut bad = input.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        Dek::from_bytes_with_digest(&bad).unwrap_err(),
        Error::DigestMismatch
    );
    bad = input.clone();
    bad[0] ^= 1;
    assert_eq!(
        Dek::from_bytes_with_digest(&bad).unwrap_err(),
        Error::DigestMismatch
    );
    assert_eq!(
        Dek::from_bytes_with_digest(&input[..32]).unwrap_err(),
        Error::InvalidDekPlaintextLength { len: 0 }
    );
    assert_eq!(
        Dek::from_bytes_with_digest(&input[..5]).unwrap_err(),
        Error::InvalidDekPlaintextLength { len: 5 }
    );
    let big = vec![0u8; 1025];
    let mut big_input = big.clone();
    big_input.extend_from_slice(&Sha256::digest(&big));
    assert_eq!(
        Dek::from_bytes_with_digest(&big_input).unwrap_err(),
        Error::InvalidDekPlaintextLength { len: 1025 }
    );
    assert_eq!(
        Dek::from_bytes(&[]).unwrap_err(),
        Error::InvalidDekPlaintextLength { len: 0 }
    );
}

#[test]
fn caller_mistakes_get_typed_errors() {
    for bad in [
        "",
        "short",
        &KEY_ID[1..],
        &format!("{KEY_ID}x"),
        "0d0466b0 e727-4d9c-b4dc-2a3fb0a2e1b6",
        "0d0466b0\te727-4d9c-b4dc-2a3fb0a2e1b6",
    ] {
        let e = MasterKey::generate(&mut rng(1), bad, 1).unwrap_err();
        assert_eq!(e, Error::InvalidKeyId { len: bad.len() }, "{bad:?}");
    }
    // 36 bytes but not ASCII
    let non_ascii = "é0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
    assert_eq!(non_ascii.len(), 36);
    assert!(matches!(
        MasterKey::generate(&mut rng(1), non_ascii, 1),
        Err(Error::InvalidKeyId { len: 36 })
    ));
    let root = RootKey::generate(&mut rng(1)).unwrap();
    assert!(matches!(
        root.unwrap_master_key("x", 1, &[0; 80]),
        Err(Error::InvalidKeyId { len: 1 })
    ));

    for (bits, e) in [
        (0, Error::DekLengthOutOfRange { bits: 0 }),
        (7, Error::DekLengthOutOfRange { bits: 7 }),
        (8200, Error::DekLengthOutOfRange { bits: 8200 }),
        (u64::MAX, Error::DekLengthOutOfRange { bits: u64::MAX }),
        (9, Error::DekLengthNotByteAligned { bits: 9 }),
        (8191, Error::DekLengthNotByteAligned { bits: 8191 }),
    ] {
        assert_eq!(DekLength::from_bits(bits).unwrap_err(), e);
    }
    assert_eq!(DekLength::from_bits(8).unwrap().bytes(), 1);
    assert_eq!(DekLength::from_bits(8192).unwrap(), DekLength::MAX);
    assert!(DekLength::from_bytes(0).is_err() && DekLength::from_bytes(1025).is_err());
    assert_eq!(DekLength::from_bytes(64).unwrap(), DekLength::BITS_512);

    assert_eq!(
        DekContext::new(PROJECT, &[0; 129]).unwrap_err(),
        Error::AadTooLong { len: 129 }
    );
    assert!(DekContext::new(PROJECT, &[0; 128]).is_ok());
    assert_eq!(
        DekContext::new("", b"").unwrap_err(),
        Error::InvalidProjectId
    );
    assert_eq!(
        DekContext::new(&"p".repeat(129), b"").unwrap_err(),
        Error::InvalidProjectId
    );
    assert_eq!(
        DekContext::new("pro ject", b"").unwrap_err(),
        Error::InvalidProjectId
    );

    assert_eq!(Ciphertext::from_hex("0").unwrap_err(), Error::InvalidHex);
    assert_eq!(Ciphertext::from_hex("zz").unwrap_err(), Error::InvalidHex);
    assert_eq!(Ciphertext::from_hex("00").unwrap_err(), Error::Rejected);
    assert_eq!(
        kms_crypto::hex::decode("aBcD").unwrap().as_slice(),
        &[0xab, 0xcd]
    );

    assert_eq!(
        RootKey::from_bytes(&[0; 31]).unwrap_err(),
        Error::InvalidKeyLength {
            expected: 32,
            actual: 31
        }
    );
    assert_eq!(
        MasterKey::from_bytes(KEY_ID, 1, &[0; 33]).unwrap_err(),
        Error::InvalidKeyLength {
            expected: 32,
            actual: 33
        }
    );
    assert_eq!(
        RootKey::derive_from_secret(&[0; 31], "1").unwrap_err(),
        Error::SecretTooShort
    );
    assert_eq!(
        RootKey::derive_from_secret(&[0; 32], "").unwrap_err(),
        Error::InvalidKeystoreId
    );
    assert_eq!(
        PinScope::new(&"k".repeat(65), DOMAIN).unwrap_err(),
        Error::InvalidKeystoreId
    );
    assert_eq!(PinScope::new("1", "").unwrap_err(), Error::InvalidDomainId);
    assert_eq!(
        PinScope::new("1", &"d".repeat(129)).unwrap_err(),
        Error::InvalidDomainId
    );
    assert_eq!(
        PinScope::new("1", "d d").unwrap_err(),
        Error::InvalidDomainId
    );
    assert!(PinScope::new("1", &"d".repeat(128)).is_ok());
    assert_eq!(
        Pin::from_hex("00").unwrap_err(),
        Error::InvalidPinLength { expected: 32 }
    );
    assert_eq!(
        PinVerifier::from_bytes(&[0; 31]).unwrap_err(),
        Error::InvalidKeyLength {
            expected: 32,
            actual: 31
        }
    );
}

/// A generator that always fails.
struct Broken;

#[derive(Debug)]
struct BrokenError;
impl core::fmt::Display for BrokenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("broken")
    }
}
impl core::error::Error for BrokenError {}

impl TryRng for Broken {
    type Error = BrokenError;
    fn try_next_u32(&mut self) -> Result<u32, BrokenError> {
        Err(BrokenError)
    }
    fn try_next_u64(&mut self) -> Result<u64, BrokenError> {
        Err(BrokenError)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), BrokenError> {
        Err(BrokenError)
    }
}
impl TryCryptoRng for Broken {}

#[test]
fn entropy_failure_is_reported() {
    let key = cmk(1);
    let root = RootKey::generate(&mut rng(1)).unwrap();
    assert_eq!(RootKey::generate(&mut Broken).unwrap_err(), Error::Entropy);
    assert_eq!(
        MasterKey::generate(&mut Broken, KEY_ID, 1).unwrap_err(),
        Error::Entropy
    );
    assert_eq!(
        key.generate_dek(&mut Broken, DekLength::AES_256, &ctx(b""))
            .unwrap_err(),
        Error::Entropy
    );
    assert_eq!(
        key.generate_dek_with_plaintext(&mut Broken, DekLength::AES_256, &ctx(b""))
            .unwrap_err(),
        Error::Entropy
    );
    assert_eq!(
        key.wrap_dek(&mut Broken, &Dek::from_bytes(&[1; 16]).unwrap(), &ctx(b""))
            .unwrap_err(),
        Error::Entropy
    );
    assert_eq!(Pin::generate(&mut Broken).unwrap_err(), Error::Entropy);
    let pin = Pin::generate(&mut rng(2)).unwrap();
    assert_eq!(
        root.seal_pin(&mut Broken, &scope("1"), &pin).unwrap_err(),
        Error::Entropy
    );
    // dyn generators work too (the shape kms-core's entropy port can take)
    let mut boxed: Box<dyn TryCryptoRng<Error = core::convert::Infallible>> = Box::new(rng(3));
    key.generate_dek(&mut *boxed, DekLength::AES_128, &ctx(b""))
        .unwrap();
}

#[test]
fn master_key_wrapping() {
    let root = RootKey::generate(&mut rng(21)).unwrap();
    let key = cmk(22);
    let wrapped = root.wrap_master_key(&key).unwrap();
    assert_eq!(wrapped.as_bytes().len(), WRAPPED_MASTER_KEY_LEN);
    assert_eq!(wrapped.to_hex().len(), 160);
    let back = root
        .unwrap_master_key(KEY_ID, 1, wrapped.as_bytes())
        .unwrap();
    // the unwrapped key opens what the original sealed
    let ct = key
        .generate_dek(&mut rng(23), DekLength::AES_256, &ctx(b""))
        .unwrap();
    back.unwrap_dek(ct.as_bytes(), &ctx(b"")).unwrap();
    // bound to key id and version
    assert_eq!(
        root.unwrap_master_key(OTHER_KEY_ID, 1, wrapped.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.unwrap_master_key(KEY_ID, 2, wrapped.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    // another root key
    let other_root = RootKey::generate(&mut rng(24)).unwrap();
    assert_eq!(
        other_root
            .unwrap_master_key(KEY_ID, 1, wrapped.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    // every bit flip and every truncation
    for i in 0..wrapped.as_bytes().len() * 8 {
        let mut t = wrapped.as_bytes().to_vec();
        t[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            root.unwrap_master_key(KEY_ID, 1, &t).unwrap_err(),
            Error::Rejected
        );
    }
    for len in 0..WRAPPED_MASTER_KEY_LEN {
        assert_eq!(
            root.unwrap_master_key(KEY_ID, 1, &wrapped.as_bytes()[..len])
                .unwrap_err(),
            Error::Rejected
        );
    }
    // RFC 5649 known answer: the wrap is the aes-kw KWP of id || version || key
    #[cfg(feature = "hazmat")]
    {
        use aes_kw::{KeyInit, KwpAes256};
        let kwp = KwpAes256::new_from_slice(root.expose_secret_bytes()).unwrap();
        let mut payload = KEY_ID.as_bytes().to_vec();
        payload.extend_from_slice(&1u32.to_be_bytes());
        payload.extend_from_slice(key.expose_secret_bytes());
        let mut out = [0u8; 80];
        assert_eq!(
            kwp.wrap_key(&payload, &mut out).unwrap(),
            wrapped.as_bytes()
        );
    }
}

#[test]
fn root_keys_from_a_secret_are_per_keystore() {
    let secret = [0x5au8; 32];
    let a1 = RootKey::derive_from_secret(&secret, "1").unwrap();
    let a2 = RootKey::derive_from_secret(&secret, "1").unwrap();
    let b = RootKey::derive_from_secret(&secret, "2").unwrap();
    let key = cmk(31);
    let w = a1.wrap_master_key(&key).unwrap();
    a2.unwrap_master_key(KEY_ID, 1, w.as_bytes()).unwrap();
    assert_eq!(
        b.unwrap_master_key(KEY_ID, 1, w.as_bytes()).unwrap_err(),
        Error::Rejected
    );
}

#[test]
fn pins() {
    let root = RootKey::generate(&mut rng(41)).unwrap();
    let mut r = rng(42);
    let pin = Pin::generate(&mut r).unwrap();
    let hex = pin.to_hex();
    assert_eq!(hex.len(), 64);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
    );
    assert_ne!(
        pin.expose_secret(),
        Pin::generate(&mut r).unwrap().expose_secret()
    );

    // sealed
    let sealed = root.seal_pin(&mut r, &scope("keystore-1"), &pin).unwrap();
    assert_eq!(sealed.header().kind(), BlobKind::Pin);
    assert_eq!(sealed.header().key_id(), None);
    assert_eq!(
        root.open_pin(&scope("keystore-1"), sealed.as_bytes())
            .unwrap()
            .expose_secret(),
        pin.expose_secret()
    );
    root.verify_sealed_pin(&scope("keystore-1"), &sealed.to_hex())
        .unwrap();
    root.verify_sealed_pin(&scope("keystore-1"), &sealed.to_hex().to_lowercase())
        .unwrap();
    assert_eq!(
        root.verify_sealed_pin(&scope("keystore-2"), &sealed.to_hex())
            .unwrap_err(),
        Error::Rejected
    );
    // The same keystore in another domain: a shared keystore's PIN does not
    // travel between tenants.
    assert_eq!(
        root.verify_sealed_pin(
            &PinScope::new("keystore-1", "another-domain").unwrap(),
            &sealed.to_hex()
        )
        .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.verify_sealed_pin(&scope("keystore-1"), "not hex")
            .unwrap_err(),
        Error::Rejected
    );
    let other_root = RootKey::generate(&mut rng(43)).unwrap();
    assert_eq!(
        other_root
            .verify_sealed_pin(&scope("keystore-1"), &sealed.to_hex())
            .unwrap_err(),
        Error::Rejected
    );
    for i in 0..sealed.as_bytes().len() * 8 {
        let mut t = sealed.as_bytes().to_vec();
        t[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            root.open_pin(&scope("keystore-1"), &t).unwrap_err(),
            Error::Rejected
        );
    }
    for len in 0..sealed.as_bytes().len() {
        assert_eq!(
            root.open_pin(&scope("keystore-1"), &sealed.as_bytes()[..len])
                .unwrap_err(),
            Error::Rejected
        );
    }

    // plain, against a keyed verifier
    let v = root.pin_verifier("keystore-1", &pin).unwrap();
    assert_ne!(
        v.as_bytes(),
        pin.expose_secret(),
        "the verifier is not the PIN"
    );
    let stored = PinVerifier::from_bytes(v.as_bytes()).unwrap();
    root.verify_plain_pin("keystore-1", &pin.to_hex(), &stored)
        .unwrap();
    root.verify_plain_pin("keystore-1", &pin.to_hex().to_lowercase(), &stored)
        .unwrap();
    let wrong = Pin::generate(&mut r).unwrap();
    assert_eq!(
        root.verify_plain_pin("keystore-1", &wrong.to_hex(), &stored)
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.verify_plain_pin("keystore-2", &pin.to_hex(), &stored)
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        other_root
            .verify_plain_pin("keystore-1", &pin.to_hex(), &stored)
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.verify_plain_pin("keystore-1", "00", &stored)
            .unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        root.verify_plain_pin("keystore-1", "xyz", &stored)
            .unwrap_err(),
        Error::Rejected
    );
}

#[test]
fn debug_is_redacted() {
    let root = RootKey::generate(&mut rng(51)).unwrap();
    assert_eq!(format!("{root:?}"), "RootKey(AES-256, redacted)");
    let key = cmk(52);
    assert_eq!(
        format!("{key:?}"),
        format!("MasterKey {{ key_id: \"{KEY_ID}\", version: 1, material: \"redacted\" }}")
    );
    let (dek, ct) = key
        .generate_dek_with_plaintext(&mut rng(53), DekLength::AES_256, &ctx(b""))
        .unwrap();
    assert_eq!(format!("{dek:?}"), "Dek(256 bits, redacted)");
    let dbg = format!("{dek:#?}");
    assert!(!dbg.contains(dek.to_hex().as_str()) && !dbg.contains(&dek.to_hex().to_lowercase()));
    let pin = Pin::generate(&mut rng(54)).unwrap();
    assert_eq!(format!("{pin:?}"), "Pin(redacted)");
    let v = root.pin_verifier("1", &pin).unwrap();
    assert_eq!(format!("{v:?}"), "PinVerifier(..)");
    let ct_dbg = format!("{ct:?}");
    assert!(ct_dbg.starts_with("Ciphertext {") && ct_dbg.contains(KEY_ID));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prop_round_trip(dek in proptest::collection::vec(any::<u8>(), 1..=1024),
                       aad in proptest::collection::vec(any::<u8>(), 0..=128),
                       project in "[0-9a-z]{1,64}",
                       seed in any::<u64>()) {
        let key = cmk(seed);
        let c = DekContext::new(&project, &aad).unwrap();
        let d = Dek::from_bytes(&dek).unwrap();
        let ct = key.wrap_dek(&mut rng(seed ^ 1), &d, &c).unwrap();
        let h = CiphertextHeader::parse(ct.as_bytes()).unwrap();
        prop_assert_eq!(h.plaintext_len(), dek.len());
        prop_assert_eq!(Ciphertext::from_hex(&ct.to_hex()).unwrap(), ct.clone());
        let back = key.unwrap_dek(ct.as_bytes(), &c).unwrap();
        prop_assert_eq!(back.expose_secret(), &dek[..]);
    }

    #[test]
    fn prop_arbitrary_bytes_never_unwrap(blob in proptest::collection::vec(any::<u8>(), 0..400)) {
        let key = cmk(1);
        let root = RootKey::generate(&mut rng(2)).unwrap();
        prop_assert_eq!(key.unwrap_dek(&blob, &ctx(b"")).unwrap_err(), Error::Rejected);
        prop_assert_eq!(root.open_pin(&scope("1"), &blob).unwrap_err(), Error::Rejected);
        prop_assert_eq!(root.open_private_key(&pk_scope("p", "c"), &blob).unwrap_err(), Error::Rejected);
        prop_assert_eq!(root.unwrap_master_key(KEY_ID, 1, &blob).unwrap_err(), Error::Rejected);
        let _ = CiphertextHeader::parse(&blob);
    }

    #[test]
    fn prop_random_mutation_rejected(idx in any::<prop::sample::Index>(), byte in 1u8..=255) {
        let (key, mut blob) = sample_blob();
        let i = idx.index(blob.len());
        blob[i] ^= byte;
        prop_assert_eq!(key.unwrap_dek(&blob, &ctx(b"aad")).unwrap_err(), Error::Rejected);
    }
}

#[test]
fn master_keys_compare_in_constant_time_by_id_version_and_material() {
    use subtle::ConstantTimeEq;
    let bytes = [0x5au8; 32];
    let a = MasterKey::from_bytes(KEY_ID, 1, &bytes).unwrap();
    let same = MasterKey::from_bytes(KEY_ID, 1, &bytes).unwrap();
    assert!(bool::from(a.ct_eq(&same)));
    let mut other = bytes;
    other[31] ^= 1;
    for different in [
        MasterKey::from_bytes(KEY_ID, 1, &other).unwrap(),
        MasterKey::from_bytes(KEY_ID, 2, &bytes).unwrap(),
        MasterKey::from_bytes(OTHER_KEY_ID, 1, &bytes).unwrap(),
    ] {
        assert!(!bool::from(a.ct_eq(&different)), "{different:?}");
    }
    // An unwrapped key is the key that was wrapped.
    let root = RootKey::from_bytes(&[7u8; 32]).unwrap();
    let back = root
        .unwrap_master_key(KEY_ID, 1, root.wrap_master_key(&a).unwrap().as_bytes())
        .unwrap();
    assert!(bool::from(back.ct_eq(&a)));
}
