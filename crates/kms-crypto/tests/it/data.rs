//! Data blobs (algorithm `0x05`, encrypt-data / decrypt-data): round trips,
//! the documented construction recomputed with the primitives directly,
//! context binding, and separation from DEK blobs.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use kms_crypto::{BlobKind, Ciphertext, DataContext, DekContext, Error, MAX_DATA_BYTES, MasterKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";
const SEED: [u8; 32] = *b"kms-rs data format v1 seed 00000";

fn key(version: u32) -> MasterKey {
    MasterKey::from_bytes(KEY_ID, version, &[7u8; 32]).unwrap()
}

#[test]
fn round_trip_at_every_size_boundary() {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let k = key(2);
    let ctx = DataContext::new(PROJECT, b"aad", br#"{"a":"b"}"#).unwrap();
    for n in [1, 2, 100, MAX_DATA_BYTES] {
        let pt = vec![0x5a; n];
        let ct = k.encrypt_data(&mut rng, &pt, &ctx).unwrap();
        assert_eq!(ct.as_bytes().len(), 136 + n);
        let h = Ciphertext::from_bytes(ct.as_bytes()).unwrap();
        assert_eq!(h.header().kind(), BlobKind::Data);
        assert_eq!(h.header().key_id(), Some(KEY_ID));
        assert_eq!(h.header().key_version(), 2);
        assert_eq!(h.header().plaintext_len(), n);
        assert_eq!(&*k.decrypt_data(ct.as_bytes(), &ctx).unwrap(), &pt[..]);
    }
    for n in [0, MAX_DATA_BYTES + 1] {
        assert_eq!(
            k.encrypt_data(&mut rng, &vec![1; n], &ctx).unwrap_err(),
            Error::InvalidDataLength { len: n }
        );
    }
}

#[test]
fn bound_to_project_context_key_and_version() {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let k = key(1);
    let ctx = DataContext::new(PROJECT, b"", br#"{"k":"v"}"#).unwrap();
    let ct = k.encrypt_data(&mut rng, b"hello", &ctx).unwrap();
    let reject = |k: &MasterKey, c: &DataContext<'_>| {
        assert_eq!(
            k.decrypt_data(ct.as_bytes(), c).unwrap_err(),
            Error::Rejected
        );
    };
    reject(
        &k,
        &DataContext::new("other-project", b"", br#"{"k":"v"}"#).unwrap(),
    );
    reject(
        &k,
        &DataContext::new(PROJECT, b"", br#"{"k":"w"}"#).unwrap(),
    );
    reject(&k, &DataContext::new(PROJECT, b"", b"").unwrap());
    // The two parts are length-prefixed: moving bytes between them differs.
    reject(
        &k,
        &DataContext::new(PROJECT, br#"{"k":"v"}"#, b"").unwrap(),
    );
    reject(&key(2), &ctx);
    reject(&MasterKey::from_bytes(KEY_ID, 1, &[8u8; 32]).unwrap(), &ctx);
    // A data blob is no DEK, and a DEK blob no data.
    let dek_ctx = DekContext::new(PROJECT, b"").unwrap();
    assert_eq!(
        k.unwrap_dek(ct.as_bytes(), &dek_ctx).unwrap_err(),
        Error::Rejected
    );
    let dek = k
        .generate_dek(&mut rng, kms_crypto::DekLength::AES_256, &dek_ctx)
        .unwrap();
    let none = DataContext::new(PROJECT, b"", b"").unwrap();
    assert_eq!(
        k.decrypt_data(dek.as_bytes(), &none).unwrap_err(),
        Error::Rejected
    );
    // Every single-bit flip is rejected.
    for i in 0..ct.as_bytes().len() {
        let mut bad = ct.as_bytes().to_vec();
        bad[i] ^= 0x01;
        assert_eq!(
            k.decrypt_data(&bad, &ctx).unwrap_err(),
            Error::Rejected,
            "byte {i}"
        );
    }
}

/// `docs/ciphertext-format.md`, data blob: recomputed from the text.
#[test]
fn the_documented_construction_reproduces_the_blob() {
    let mk = [7u8; 32];
    let k = key(3);
    let aad = b"aad text";
    let ec = br#"{"purpose":"test"}"#;
    let pt = b"the data";
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let blob = k
        .encrypt_data(&mut rng, pt, &DataContext::new(PROJECT, aad, ec).unwrap())
        .unwrap()
        .into_bytes();
    let mut draw = [0u8; 44];
    ChaCha20Rng::from_seed(SEED).fill_bytes(&mut draw);

    assert_eq!(blob[0], 0x01, "version");
    assert_eq!(blob[1], 0x05, "algorithm");
    assert_eq!(&blob[2..4], &(pt.len() as u16).to_be_bytes());
    assert_eq!(&blob[4..40], KEY_ID.as_bytes());
    assert_eq!(&blob[40..44], &3u32.to_be_bytes());
    assert_eq!(&blob[44..76], &draw[..32], "salt");
    assert_eq!(&blob[76..88], &draw[32..], "nonce");

    let mut prk = [0u8; 32];
    Hkdf::<Sha256>::from_prk(&mk)
        .unwrap()
        .expand(b"kms-rs/v1/cmk/data-encrypt", &mut prk)
        .unwrap();
    let mut okm = [0u8; 64];
    Hkdf::<Sha256>::from_prk(&prk)
        .unwrap()
        .expand_multi_info(&[b"kms-rs/v1/data-encrypt", &blob[..76]], &mut okm)
        .unwrap();
    let n = pt.len();
    assert_eq!(&blob[88 + n + 16..], &okm[32..], "commitment");

    let mut h = Sha256::new();
    h.update((aad.len() as u32).to_be_bytes());
    h.update(aad);
    h.update((ec.len() as u32).to_be_bytes());
    h.update(ec);
    let binding: [u8; 32] = h.finalize().into();
    let mut full_aad = blob[..88].to_vec();
    full_aad.extend_from_slice(&(PROJECT.len() as u16).to_be_bytes());
    full_aad.extend_from_slice(PROJECT.as_bytes());
    full_aad.extend_from_slice(&32u16.to_be_bytes());
    full_aad.extend_from_slice(&binding);
    let cipher = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
    let nonce = aes_gcm::aead::Nonce::<Aes256Gcm>::try_from(&blob[76..88]).unwrap();
    let mut buf = pt.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce, &full_aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(&blob[88..88 + n], &buf[..], "ciphertext");
    assert_eq!(&blob[88 + n..88 + n + 16], tag.as_slice(), "tag");

    // No context at all: the second context field is empty (length 0).
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let bare = k
        .encrypt_data(&mut rng, pt, &DataContext::new(PROJECT, b"", b"").unwrap())
        .unwrap()
        .into_bytes();
    let mut okm = [0u8; 64];
    Hkdf::<Sha256>::from_prk(&prk)
        .unwrap()
        .expand_multi_info(&[b"kms-rs/v1/data-encrypt", &bare[..76]], &mut okm)
        .unwrap();
    let mut aad0 = bare[..88].to_vec();
    aad0.extend_from_slice(&(PROJECT.len() as u16).to_be_bytes());
    aad0.extend_from_slice(PROJECT.as_bytes());
    aad0.extend_from_slice(&0u16.to_be_bytes());
    let cipher = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
    let mut buf = pt.to_vec();
    cipher
        .encrypt_inout_detached(&nonce, &aad0, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(&bare[88..88 + n], &buf[..]);
}
