//! Fuzz targets of kms-crypto: the v1 ciphertext parser, and every unwrap
//! path (DEK, PIN, wrapped master key, sealed private key; AES and SM4
//! suites; SM2 decryption) on arbitrary bytes.

use std::sync::OnceLock;

use kms_crypto::{
    BlobKind, CipherSuite, Ciphertext, CiphertextHeader, DataContext, Dek, DekContext, DekLength,
    Error, MasterKey, Pin, PinScope, PrivateKeyScope, RootKey, SigningKey, SigningKeySpec,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// `(binary name, body)` for each kms-crypto target.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[
    ("crypto_ciphertext_parse", crypto_ciphertext_parse),
    ("crypto_dek_unwrap", crypto_dek_unwrap),
    ("crypto_data_decrypt", crypto_data_decrypt),
    ("crypto_ecdh_public_key", crypto_ecdh_public_key),
    ("crypto_import", crypto_import),
];

/// Key id of the fixed fuzzing master key.
pub const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
/// Project id of the fixed fuzzing context.
pub const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";
/// Additional authenticated data of the fixed fuzzing context.
pub const AAD: &[u8] = b"fuzz";
/// Keystore id of the fixed fuzzing PIN blobs.
pub const KEYSTORE: &str = "keystore-fuzz";
/// Domain id of the fixed fuzzing PIN blobs.
pub const DOMAIN: &str = "domain-fuzz";
/// Certificate id of the fixed fuzzing private-key blobs (project [`PROJECT`]).
pub const CERTIFICATE: &str = "certificate-fuzz";

fn pin_scope(keystore_id: &'static str, domain_id: &'static str) -> PinScope<'static> {
    match PinScope::new(keystore_id, domain_id) {
        Ok(s) => s,
        Err(e) => panic!("fixed PIN scope is invalid: {e:?}"),
    }
}

fn key_scope(project_id: &'static str, certificate_id: &'static str) -> PrivateKeyScope<'static> {
    match PrivateKeyScope::new(project_id, certificate_id) {
        Ok(s) => s,
        Err(e) => panic!("fixed private-key scope is invalid: {e:?}"),
    }
}

/// The fixed keys the unwrap target opens with (seeded, so committed seeds stay valid).
pub struct Keys {
    /// Root key of keystore [`KEYSTORE`].
    pub root: RootKey,
    /// Master key [`KEY_ID`], version 1.
    pub master: MasterKey,
    /// SM4 master key [`KEY_ID`], version 1 (other material).
    pub sm4: MasterKey,
    /// SM2 key pair.
    pub sm2: SigningKey,
    /// RSA_2048 key pair (RSAES-OAEP-SHA-256).
    pub rsa: SigningKey,
}

/// The fixed keys, built once.
///
/// # Panics
/// Never in practice: the seeded generator cannot fail and the ids are valid.
#[allow(clippy::expect_used)]
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::from_seed(*b"kms-rs fuzzing keys, not secret!");
        // Drawn in this order so that earlier committed seeds stay valid.
        let root = RootKey::generate(&mut rng).expect("root key");
        let master = MasterKey::generate(&mut rng, KEY_ID, 1).expect("master key");
        let sm4 = MasterKey::generate_with_suite(CipherSuite::Sm4Gcm, &mut rng, KEY_ID, 1)
            .expect("SM4 master key");
        let sm2 = SigningKey::generate(SigningKeySpec::Sm2, &mut rng).expect("SM2 key");
        let rsa = SigningKey::generate(SigningKeySpec::Rsa2048, &mut rng).expect("RSA key");
        Keys {
            root,
            master,
            sm4,
            sm2,
            rsa,
        }
    })
}

/// Parses arbitrary bytes (and, when they are UTF-8, their hex reading) as a
/// v1 blob; whatever parses must satisfy the format's invariants.
pub fn crypto_ciphertext_parse(data: &[u8]) {
    check_parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        match Ciphertext::from_hex(text) {
            Ok(ct) => check_parse(ct.as_bytes()),
            Err(Error::InvalidHex | Error::Rejected) => {}
            Err(e) => panic!("unexpected error from from_hex: {e:?}"),
        }
    }
}

fn check_parse(data: &[u8]) {
    let header = CiphertextHeader::parse(data);
    let ct = Ciphertext::from_bytes(data);
    assert_eq!(
        header.as_ref().ok(),
        ct.as_ref().ok().map(Ciphertext::header)
    );
    match header {
        Ok(h) => {
            assert_eq!(
                data.len(),
                kms_crypto::CIPHERTEXT_OVERHEAD + h.plaintext_len()
            );
            // The suite is the algorithm id's: 0x07..=0x0B are SM4.
            let sm4 = matches!(data.get(1), Some(0x07..=0x0b));
            assert_eq!(h.suite() == CipherSuite::Sm4Gcm, sm4);
            match h.kind() {
                BlobKind::DataKey => {
                    let id = h.key_id().unwrap_or_default();
                    assert_eq!(id.len(), 36);
                    assert!(id.bytes().all(|b| b.is_ascii_graphic()));
                    assert!((1..=1024).contains(&h.plaintext_len()));
                }
                BlobKind::Data => {
                    let id = h.key_id().unwrap_or_default();
                    assert_eq!(id.len(), 36);
                    assert!((1..=kms_crypto::MAX_DATA_BYTES).contains(&h.plaintext_len()));
                }
                BlobKind::SigningKey => {
                    assert!(h.key_id().is_some());
                    assert_eq!(h.key_version(), 1);
                }
                BlobKind::Pin => {
                    assert_eq!(h.key_id(), None);
                    assert_eq!(h.key_version(), 0);
                    assert_eq!(h.plaintext_len(), kms_crypto::PIN_LEN);
                }
                BlobKind::PrivateKey => {
                    assert_eq!(h.key_id(), None);
                    assert_eq!(h.key_version(), 0);
                    assert!((1..=kms_crypto::MAX_PRIVATE_KEY_BYTES).contains(&h.plaintext_len()));
                }
                _ => panic!("unknown blob kind"),
            }
            // The wire form round-trips, in either case.
            if let Ok(ct) = ct {
                let hex = ct.to_hex();
                assert_eq!(Ciphertext::from_hex(&hex).as_ref(), Ok(&ct));
                assert_eq!(Ciphertext::from_hex(&hex.to_lowercase()).as_ref(), Ok(&ct));
            }
        }
        Err(e) => assert_eq!(e, Error::Rejected),
    }
}

/// Runs arbitrary bytes through an unwrap path chosen by the first byte
/// (mod 8): `0` DEK blob, `1` sealed PIN, `2` wrapped master key, `3` hex
/// text of a DEK blob, `4` encrypt-datakey input (DEK || SHA-256), `5`
/// sealed private key, `6` SM4 DEK blob, `7` encrypt-datakey input of an
/// SM4 key (DEK || SM3).
/// A failure must be the opaque error (or, for 4, a typed input error); a
/// success must be consistent.
pub fn crypto_dek_unwrap(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let k = keys();
    let Ok(ctx) = DekContext::new(PROJECT, AAD) else {
        panic!("fixed context is valid");
    };
    match mode % 8 {
        0 => check_dek_unwrap(k, &k.master, body, &ctx),
        6 => check_dek_unwrap(k, &k.sm4, body, &ctx),
        7 => match Dek::from_bytes_with_suite_digest(CipherSuite::Sm4Gcm, body) {
            Ok(dek) => {
                assert_eq!(dek.expose_secret().len() + 32, body.len());
                assert_eq!(&dek.sm3()[..], &body[dek.expose_secret().len()..]);
            }
            Err(Error::DigestMismatch | Error::InvalidDekPlaintextLength { .. }) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        },
        1 => match k.root.open_pin(&pin_scope(KEYSTORE, DOMAIN), body) {
            Ok(pin) => {
                assert_eq!(
                    CiphertextHeader::parse(body).map(|h| h.kind()),
                    Ok(BlobKind::Pin)
                );
                let verifier = k.root.pin_verifier(KEYSTORE, &pin);
                let Ok(verifier) = verifier else {
                    panic!("valid keystore id")
                };
                assert_eq!(
                    k.root.verify_plain_pin(KEYSTORE, &pin.to_hex(), &verifier),
                    Ok(())
                );
                assert_eq!(
                    k.root
                        .open_pin(&pin_scope("other-keystore", DOMAIN), body)
                        .err(),
                    Some(Error::Rejected)
                );
                assert_eq!(
                    k.root
                        .open_pin(&pin_scope(KEYSTORE, "other-domain"), body)
                        .err(),
                    Some(Error::Rejected)
                );
            }
            Err(e) => assert_eq!(e, Error::Rejected),
        },
        2 => match k.root.unwrap_master_key(KEY_ID, 1, body) {
            Ok(mk) => {
                assert_eq!((mk.key_id(), mk.version()), (KEY_ID, 1));
                assert_eq!(
                    k.root.wrap_master_key(&mk).map(|w| w.as_bytes() == body),
                    Ok(true)
                );
            }
            Err(e) => assert_eq!(e, Error::Rejected),
        },
        3 => {
            if let Ok(text) = std::str::from_utf8(body) {
                if let Ok(ct) = Ciphertext::from_hex(text) {
                    check_dek_unwrap(k, &k.master, ct.as_bytes(), &ctx);
                }
            }
        }
        5 => match k
            .root
            .open_private_key(&key_scope(PROJECT, CERTIFICATE), body)
        {
            Ok(pem) => {
                assert_eq!(
                    CiphertextHeader::parse(body).map(|h| (h.kind(), h.plaintext_len())),
                    Ok((BlobKind::PrivateKey, pem.len()))
                );
                assert_eq!(
                    k.root
                        .open_private_key(&key_scope(PROJECT, "other-certificate"), body)
                        .err(),
                    Some(Error::Rejected)
                );
                assert_eq!(
                    k.root.open_pin(&pin_scope(KEYSTORE, DOMAIN), body).err(),
                    Some(Error::Rejected)
                );
            }
            Err(e) => assert_eq!(e, Error::Rejected),
        },
        _ => match Dek::from_bytes_with_digest(body) {
            Ok(dek) => {
                assert_eq!(dek.expose_secret().len() + 32, body.len());
                assert_eq!(&dek.sha256()[..], &body[dek.expose_secret().len()..]);
            }
            Err(Error::DigestMismatch | Error::InvalidDekPlaintextLength { .. }) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        },
    }
}

fn check_dek_unwrap(k: &Keys, master: &MasterKey, body: &[u8], ctx: &DekContext<'_>) {
    match master.unwrap_dek(body, ctx) {
        Ok(dek) => {
            let header = CiphertextHeader::parse(body);
            let Ok(header) = header else {
                panic!("an unwrapped blob must parse")
            };
            assert_eq!(header.kind(), BlobKind::DataKey);
            assert_eq!(header.suite(), master.suite());
            assert_eq!(header.key_id(), Some(KEY_ID));
            // Never under the other suite's key.
            let other_key = if master.suite() == CipherSuite::Sm4Gcm {
                &k.master
            } else {
                &k.sm4
            };
            assert_eq!(other_key.unwrap_dek(body, ctx).err(), Some(Error::Rejected));
            assert_eq!(header.plaintext_len(), dek.expose_secret().len());
            assert_eq!(
                DekLength::from_bytes(dek.expose_secret().len()),
                Ok(dek.length())
            );
            // Bound to its context and key kind.
            if let Ok(other) = DekContext::new(PROJECT, b"other") {
                assert_eq!(master.unwrap_dek(body, &other).err(), Some(Error::Rejected));
            }
            assert_eq!(
                k.root.open_pin(&pin_scope(KEYSTORE, DOMAIN), body).err(),
                Some(Error::Rejected)
            );
            assert_eq!(
                k.root
                    .open_private_key(&key_scope(PROJECT, CERTIFICATE), body)
                    .err(),
                Some(Error::Rejected)
            );
        }
        Err(e) => assert_eq!(e, Error::Rejected),
    }
}

/// Seed inputs for both targets: valid blobs made with the fixed keys, and
/// truncated, extended and retagged variants. `(target, file name, bytes)`.
///
/// # Panics
/// Never in practice (seeded generator, valid fixed inputs).
#[allow(clippy::expect_used)]
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let k = keys();
    let mut rng = ChaCha20Rng::from_seed(*b"kms-rs fuzzing seeds, not secret");
    let ctx = DekContext::new(PROJECT, AAD).expect("ctx");
    let mut out = Vec::new();
    let mut blobs = Vec::new();
    for bits in [8u64, 128, 256, 512, 8192] {
        let len = DekLength::from_bits(bits).expect("len");
        blobs.push((
            format!("dek{bits}"),
            k.master
                .generate_dek(&mut rng, len, &ctx)
                .expect("dek")
                .into_bytes(),
        ));
    }
    let pin = Pin::generate(&mut rng).expect("pin");
    let sealed = k
        .root
        .seal_pin(&mut rng, &pin_scope(KEYSTORE, DOMAIN), &pin)
        .expect("seal")
        .into_bytes();
    let sealed_key = k
        .root
        .seal_private_key(
            &mut rng,
            &key_scope(PROJECT, CERTIFICATE),
            b"-----BEGIN PRIVATE KEY-----\nfuzz\n-----END PRIVATE KEY-----\n",
        )
        .expect("seal")
        .into_bytes();
    let wrapped = k
        .root
        .wrap_master_key(&k.master)
        .expect("wrap")
        .as_bytes()
        .to_vec();
    for (name, blob) in &blobs {
        out.push((
            "crypto_ciphertext_parse",
            format!("{name}-valid"),
            blob.clone(),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("{name}-valid"),
            [&[0u8][..], blob].concat(),
        ));
    }
    let (_, b256) = &blobs[2];
    out.push((
        "crypto_ciphertext_parse",
        "pin-valid".into(),
        sealed.clone(),
    ));
    out.push((
        "crypto_ciphertext_parse",
        "dek256-hex".into(),
        kms_crypto::hex::encode_upper(b256).into_bytes(),
    ));
    out.push((
        "crypto_ciphertext_parse",
        "dek256-hex-lower".into(),
        kms_crypto::hex::encode_upper(b256)
            .to_lowercase()
            .into_bytes(),
    ));
    for cut in [0usize, 1, 4, 40, 87, 88, 135, 136, 167] {
        out.push((
            "crypto_ciphertext_parse",
            format!("dek256-trunc{cut}"),
            b256[..cut].to_vec(),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("dek256-trunc{cut}"),
            [&[0u8][..], &b256[..cut]].concat(),
        ));
    }
    let mut extended = b256.clone();
    extended.push(0);
    out.push((
        "crypto_ciphertext_parse",
        "dek256-extended".into(),
        extended.clone(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "dek256-extended".into(),
        [&[0u8][..], &extended].concat(),
    ));
    let mut retagged = b256.clone();
    retagged[1] = 0x02;
    out.push((
        "crypto_ciphertext_parse",
        "dek256-as-pin".into(),
        retagged.clone(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "dek256-as-pin".into(),
        [&[1u8][..], &retagged].concat(),
    ));
    let mut flipped = b256.clone();
    flipped[100] ^= 1;
    out.push((
        "crypto_dek_unwrap",
        "dek256-bitflip".into(),
        [&[0u8][..], &flipped].concat(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "pin-valid".into(),
        [&[1u8][..], &sealed].concat(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "pin-as-dek".into(),
        [&[0u8][..], &sealed].concat(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "wrapped-mk-valid".into(),
        [&[2u8][..], &wrapped].concat(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "wrapped-mk-trunc".into(),
        [&[2u8][..], &wrapped[..72]].concat(),
    ));
    let hex = kms_crypto::hex::encode_upper(b256);
    out.push((
        "crypto_dek_unwrap",
        "dek256-hex".into(),
        [&[3u8][..], hex.as_bytes()].concat(),
    ));
    let dek = [0x42u8; 32];
    let digest = kms_crypto::Dek::from_bytes(&dek).expect("dek").sha256();
    out.push((
        "crypto_dek_unwrap",
        "dek-with-digest".into(),
        [&[4u8][..], &dek, &digest].concat(),
    ));
    out.push((
        "crypto_ciphertext_parse",
        "private-key-valid".into(),
        sealed_key.clone(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "private-key-valid".into(),
        [&[5u8][..], &sealed_key].concat(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "private-key-as-pin".into(),
        [&[1u8][..], &sealed_key].concat(),
    ));
    let mut retired = sealed.clone();
    retired[1] = 0x02;
    out.push(("crypto_ciphertext_parse", "pin-retired-alg".into(), retired));
    out.push(("crypto_dek_unwrap", "empty".into(), Vec::new()));
    out.extend(sm_seeds(k, &mut rng, &ctx));
    out
}

/// National-algorithm seeds: SM4 DEK and data blobs (valid, relabelled to
/// the AES ids and back, truncated, flipped), `DEK || SM3(DEK)`, and SM2
/// ciphertexts (DER and raw).
#[allow(clippy::expect_used)]
fn sm_seeds(
    k: &Keys,
    rng: &mut ChaCha20Rng,
    ctx: &DekContext<'_>,
) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let with = |mode: u8, b: &[u8]| [&[mode][..], b].concat();
    for bits in [128u64, 256] {
        let len = DekLength::from_bits(bits).expect("len");
        let blob = k.sm4.generate_dek(rng, len, ctx).expect("dek").into_bytes();
        out.push((
            "crypto_ciphertext_parse",
            format!("sm4-dek{bits}-valid"),
            blob.clone(),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-valid"),
            with(6, &blob),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-under-aes"),
            with(0, &blob),
        ));
        let mut as_aes = blob.clone();
        as_aes[1] = 0x01;
        out.push((
            "crypto_ciphertext_parse",
            format!("sm4-dek{bits}-as-aes"),
            as_aes.clone(),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-as-aes"),
            with(0, &as_aes),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-as-aes-sm4"),
            with(6, &as_aes),
        ));
        let mut flipped = blob.clone();
        flipped[95] ^= 0x80;
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-bitflip"),
            with(6, &flipped),
        ));
        out.push((
            "crypto_dek_unwrap",
            format!("sm4-dek{bits}-trunc"),
            with(6, &blob[..blob.len() - 1]),
        ));
    }
    let aes = k
        .master
        .generate_dek(rng, DekLength::AES_256, ctx)
        .expect("dek")
        .into_bytes();
    let mut as_sm4 = aes.clone();
    as_sm4[1] = 0x07;
    out.push((
        "crypto_ciphertext_parse",
        "aes-dek-as-sm4".into(),
        as_sm4.clone(),
    ));
    out.push((
        "crypto_dek_unwrap",
        "aes-dek-as-sm4".into(),
        with(6, &as_sm4),
    ));
    let dek = Dek::from_bytes(&[0x42u8; 16]).expect("dek");
    out.push((
        "crypto_dek_unwrap",
        "sm4-dek-with-sm3".into(),
        with(7, &[dek.expose_secret(), &dek.sm3()[..]].concat()),
    ));
    out.push((
        "crypto_dek_unwrap",
        "sm4-dek-with-sha256".into(),
        with(7, &[dek.expose_secret(), &dek.sha256()[..]].concat()),
    ));
    let dctx = DataContext::new(PROJECT, AAD, br#"{"fuzz":"yes"}"#).expect("ctx");
    let data = k
        .sm4
        .encrypt_data(rng, b"national data", &dctx)
        .expect("data")
        .into_bytes();
    out.push((
        "crypto_ciphertext_parse",
        "sm4-data-valid".into(),
        data.clone(),
    ));
    out.push((
        "crypto_data_decrypt",
        "sm4-open-valid".into(),
        with(2, &data),
    ));
    out.push((
        "crypto_data_decrypt",
        "sm4-open-under-aes".into(),
        with(0, &data),
    ));
    out.push((
        "crypto_data_decrypt",
        "sm4-encrypt".into(),
        with(3, b"sm4 data"),
    ));
    let der = k
        .sm2
        .public_key()
        .encrypt_sm2(rng, b"sm2 data")
        .expect("sm2");
    out.push(("crypto_data_decrypt", "sm2-der".into(), with(4, &der)));
    let mut bad = der.clone();
    if let Some(b) = bad.last_mut() {
        *b ^= 1;
    }
    out.push((
        "crypto_data_decrypt",
        "sm2-der-flipped".into(),
        with(4, &bad),
    ));
    out.push((
        "crypto_data_decrypt",
        "sm2-raw-garbage".into(),
        with(
            4,
            &[&[0x04u8][..], &[0x11; 64], &[0x22; 32], b"xyz"].concat(),
        ),
    ));
    let oaep = k
        .rsa
        .public_key()
        .encrypt_rsa_oaep_sha256(rng, b"rsa data")
        .expect("rsa");
    out.push(("crypto_data_decrypt", "rsa-oaep".into(), with(5, &oaep)));
    let mut bad = oaep.clone();
    bad[17] ^= 1;
    out.push((
        "crypto_data_decrypt",
        "rsa-oaep-flipped".into(),
        with(5, &bad),
    ));
    out.push((
        "crypto_data_decrypt",
        "rsa-oaep-short".into(),
        with(5, &oaep[..255]),
    ));
    out.push((
        "crypto_data_decrypt",
        "rsa-encrypt".into(),
        with(6, b"rsa data"),
    ));
    out.push((
        "crypto_data_decrypt",
        "rsa-encrypt-over-length".into(),
        with(6, &[0x5a; 191]),
    ));
    out
}

/// The RSAES-OAEP-SHA-256 modes of [`crypto_data_decrypt`].
fn rsa_oaep(key: &SigningKey, decrypt: bool, body: &[u8]) {
    const MAX: usize = 190;
    let mut rng = ChaCha20Rng::from_seed([11u8; 32]);
    let plain = if decrypt {
        match key.decrypt_rsa_oaep_sha256(&mut rng, body) {
            Ok(pt) => pt.to_vec(),
            Err(e) => {
                assert_eq!(e, Error::Rejected);
                return;
            }
        }
    } else {
        body.to_vec()
    };
    match key.public_key().encrypt_rsa_oaep_sha256(&mut rng, &plain) {
        Ok(ct) => {
            assert!((1..=MAX).contains(&plain.len()));
            assert_eq!(ct.len(), 256);
            let Ok(back) = key.decrypt_rsa_oaep_sha256(&mut rng, &ct) else {
                panic!("a fresh RSAES-OAEP ciphertext decrypts");
            };
            assert_eq!(&back[..], &plain[..]);
        }
        Err(Error::RsaPlaintextTooLong { len, max }) => {
            assert_eq!((len, max), (plain.len(), MAX));
            assert!(!decrypt, "a decrypted plaintext fits the key");
        }
        Err(Error::InvalidDataLength { len: 0 }) => assert!(plain.is_empty()),
        Err(e) => panic!("unexpected error from encrypt_rsa_oaep_sha256: {e:?}"),
    }
}

/// Data blobs (algorithms `0x05` and `0x08`) and SM2 ciphertexts. First
/// byte: mode (mod 5). `0` opens the rest as a data blob under the fixed
/// AES key and context: a success must be a data blob of that key that
/// also opens through its parsed header, and nothing opens under another
/// context. `1` encrypts the rest (when 1..=4096 bytes) and must get it
/// back, and only in the same context. `2` and `3` do the same with the
/// SM4 key. `4` decrypts the rest as an SM2 ciphertext (DER or raw): any
/// success re-encrypts and decrypts to the same bytes. `5` decrypts the
/// rest as an RSAES-OAEP-SHA-256 ciphertext under the fixed RSA_2048 key
/// (any success is at most 190 bytes and round-trips; any failure the
/// opaque [`Error::Rejected`]); `6` encrypts the rest with it: 1..=190
/// bytes come back, more are [`Error::RsaPlaintextTooLong`].
pub fn crypto_data_decrypt(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let k = keys();
    let mode = mode % 7;
    if mode >= 5 {
        rsa_oaep(&k.rsa, mode == 5, body);
        return;
    }
    if mode == 4 {
        match k.sm2.decrypt_sm2(body) {
            Ok(pt) => {
                assert!((1..=kms_crypto::MAX_SM2_PLAINTEXT_BYTES).contains(&pt.len()));
                let mut rng = ChaCha20Rng::from_seed([9u8; 32]);
                let Ok(ct) = k.sm2.public_key().encrypt_sm2(&mut rng, &pt) else {
                    panic!("a decrypted plaintext encrypts again");
                };
                assert_eq!(
                    k.sm2.decrypt_sm2(&ct).ok().map(|p| p.to_vec()),
                    Some(pt.to_vec())
                );
            }
            Err(e) => assert_eq!(e, Error::Rejected),
        }
        return;
    }
    let (master, other_master) = if mode >= 2 {
        (&k.sm4, &k.master)
    } else {
        (&k.master, &k.sm4)
    };
    let Ok(ctx) = DataContext::new(PROJECT, AAD, br#"{"fuzz":"yes"}"#) else {
        panic!("fixed context is valid");
    };
    let Ok(other) = DataContext::new(PROJECT, AAD, b"") else {
        panic!("fixed context is valid");
    };
    if mode % 2 == 0 {
        if let Ok(pt) = master.decrypt_data(body, &ctx) {
            let Ok(h) = CiphertextHeader::parse(body) else {
                panic!("an opened blob parses");
            };
            assert_eq!(h.kind(), BlobKind::Data);
            assert_eq!(h.suite(), master.suite());
            assert_eq!(h.key_id(), Some(KEY_ID));
            assert_eq!(
                other_master.decrypt_data(body, &ctx).err(),
                Some(Error::Rejected)
            );
            assert_eq!(h.plaintext_len(), pt.len());
            assert_eq!(
                master.decrypt_data(body, &other).err(),
                Some(Error::Rejected)
            );
        } else {
            assert_eq!(master.decrypt_data(body, &ctx).err(), Some(Error::Rejected));
        }
        return;
    }
    let mut rng = ChaCha20Rng::from_seed([7u8; 32]);
    match master.encrypt_data(&mut rng, body, &ctx) {
        Ok(ct) => {
            assert_eq!(ct.header().kind(), BlobKind::Data);
            let Ok(back) = master.decrypt_data(ct.as_bytes(), &ctx) else {
                panic!("a fresh data blob opens");
            };
            assert_eq!(&back[..], body);
            assert_eq!(
                master.decrypt_data(ct.as_bytes(), &other).err(),
                Some(Error::Rejected)
            );
            let dek_ctx = DekContext::new(PROJECT, AAD);
            let Ok(dek_ctx) = dek_ctx else {
                panic!("fixed context is valid");
            };
            assert!(master.unwrap_dek(ct.as_bytes(), &dek_ctx).is_err());
        }
        Err(Error::InvalidDataLength { len }) => {
            assert!(len == 0 || len > kms_crypto::MAX_DATA_BYTES);
        }
        Err(e) => panic!("unexpected error from encrypt_data: {e:?}"),
    }
}

/// ECDH keys of the agreement target (their own seeded generator, so the
/// unwrap targets' keys and seeds are untouched).
#[allow(clippy::expect_used)]
fn ecdh_keys() -> &'static [SigningKey; 2] {
    static KEYS: OnceLock<[SigningKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::from_seed(*b"kms-rs ECDH fuzzing keys, public");
        [
            SigningKey::generate(SigningKeySpec::EcP256, &mut rng).expect("P-256 key"),
            SigningKey::generate(SigningKeySpec::EcP384, &mut rng).expect("P-384 key"),
        ]
    })
}

/// Arbitrary bytes as derive-shared-secret's peer public key, on both
/// curves: a secret of the curve's field length, or [`Error::Rejected`];
/// never a panic, never another error.
pub fn crypto_ecdh_public_key(data: &[u8]) {
    for (key, len) in ecdh_keys().iter().zip([32, 48]) {
        match key.diffie_hellman(data) {
            Ok(secret) => assert_eq!(secret.len(), len),
            Err(Error::Rejected) => {}
            Err(e) => panic!("unexpected error from diffie_hellman: {e:?}"),
        }
    }
}

/// Key material import on arbitrary bytes: the import token parser (a
/// token that parses re-encodes to the same bytes), and the temporary-key
/// unwrap of an imported private key (the first byte picks the temporary
/// key's length: 16, 32 or another, which must be refused as such).
#[allow(clippy::expect_used)] // a parsed token that does not re-encode is the bug sought
pub fn crypto_import(data: &[u8]) {
    if let Ok(t) = kms_crypto::ImportToken::parse(data) {
        assert_eq!(data.len(), kms_crypto::IMPORT_TOKEN_LEN);
        let again =
            kms_crypto::ImportToken::encode(t.id(), &data[1 + kms_crypto::IMPORT_TOKEN_ID_LEN..])
                .expect("a parsed token re-encodes");
        assert_eq!(again, data);
    }
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let len = match pick % 3 {
        0 => 16,
        1 => 32,
        _ => usize::from(pick % 48),
    };
    let key = vec![0x5au8; len];
    match kms_crypto::unwrap_private_key(&key, rest) {
        Ok(der) => assert!(der.len() <= rest.len()),
        Err(Error::Rejected) => {}
        Err(Error::InvalidKeyLength { actual, .. }) => {
            assert!(actual != 16 && actual != 32);
        }
        Err(e) => panic!("unexpected error from unwrap_private_key: {e:?}"),
    }
}
