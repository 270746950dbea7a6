//! National (SM) cryptography: GM/T known answers for the primitives, the
//! SM4 blob suite (tampering, suite confusion, the documented example),
//! SM3 digests of DEKs, and SM2 key pairs checked against GM/T 0003.5's
//! published example and against gmssl (an independent pure-Python
//! implementation).

use aes_gcm::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use kms_crypto::{
    BlobKind, CipherSuite, Ciphertext, CiphertextHeader, DataContext, Dek, DekContext, DekLength,
    Error, MasterKey, Message, RootKey, SM2_DEFAULT_ID, SigningAlgorithm, SigningKey,
    SigningKeySpec,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sm3::{Digest, Sm3};
use sm4::cipher::BlockCipherEncrypt;

use crate::{data_file, unhex};

const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn sm4_cmk(seed: u64) -> MasterKey {
    MasterKey::generate_with_suite(CipherSuite::Sm4Gcm, &mut rng(seed), KEY_ID, 1).unwrap()
}

fn ctx(aad: &[u8]) -> DekContext<'_> {
    DekContext::new(PROJECT, aad).unwrap()
}

// ------------------------------------------------------------ primitives

/// GB/T 32905-2016 (GM/T 0004-2012) Appendix A, examples 1 and 2.
#[test]
fn sm3_gmt_0004_examples() {
    assert_eq!(
        Sm3::digest(b"abc").as_slice(),
        unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    );
    assert_eq!(
        Sm3::digest(b"abcd".repeat(16)).as_slice(),
        unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    );
}

/// GB/T 32907-2016 (GM/T 0002-2012) Appendix A, example 1: key and
/// plaintext `0123456789abcdeffedcba9876543210`.
#[test]
fn sm4_gmt_0002_example() {
    let key = unhex("0123456789abcdeffedcba9876543210");
    let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
    let mut block = sm4::cipher::Block::<sm4::Sm4>::try_from(&key[..]).unwrap();
    cipher.encrypt_block(&mut block);
    assert_eq!(block.as_slice(), unhex("681edf34d206965e86b3e94f536e4246"));
}

/// RFC 8998 Appendix A.1: SM4-GCM, the AEAD of the SM4 blob suite (the
/// generic GCM of `aes-gcm` over `sm4`).
#[test]
fn sm4_gcm_rfc_8998_example() {
    type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;
    let key = unhex("0123456789ABCDEFFEDCBA9876543210");
    let nonce = unhex("00001234567800000000ABCD");
    let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
    let mut buf = unhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
         EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
    );
    let c = Sm4Gcm::new_from_slice(&key).unwrap();
    let n = aes_gcm::aead::Nonce::<Sm4Gcm>::try_from(&nonce[..]).unwrap();
    let tag = c
        .encrypt_inout_detached(&n, &aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(
        buf,
        unhex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        )
    );
    assert_eq!(tag.as_slice(), unhex("83DE3541E4C2B58177E065A9BF7B62EC"));
}

// ------------------------------------------------------------ SM4 blobs

#[test]
fn sm4_keys_round_trip_deks_and_data() {
    let mk = sm4_cmk(1);
    assert_eq!(mk.suite(), CipherSuite::Sm4Gcm);
    for len in [1usize, 16, 32, 64, 1024] {
        let (dek, ct) = mk
            .generate_dek_with_plaintext(
                &mut rng(len as u64),
                DekLength::from_bytes(len).unwrap(),
                &ctx(b"aad"),
            )
            .unwrap();
        assert_eq!(ct.as_bytes()[..2], [0x01, 0x07]);
        assert_eq!(ct.header().kind(), BlobKind::DataKey);
        assert_eq!(ct.header().suite(), CipherSuite::Sm4Gcm);
        let back = mk.unwrap_dek(ct.as_bytes(), &ctx(b"aad")).unwrap();
        assert_eq!(back.expose_secret(), dek.expose_secret());
    }
    let dctx = DataContext::new(PROJECT, b"a", b"{\"k\":\"v\"}").unwrap();
    let ct = mk.encrypt_data(&mut rng(9), b"hello sm4", &dctx).unwrap();
    assert_eq!(ct.as_bytes()[..2], [0x01, 0x08]);
    assert_eq!(ct.header().kind(), BlobKind::Data);
    assert_eq!(ct.header().suite(), CipherSuite::Sm4Gcm);
    assert_eq!(
        &mk.decrypt_data(ct.as_bytes(), &dctx).unwrap()[..],
        b"hello sm4"
    );
}

/// Every single-byte change of one SM4 DEK blob (each byte XORed with
/// each of 255 values) and every truncation and extension is rejected.
#[test]
fn every_flipped_byte_of_an_sm4_blob_is_rejected() {
    let mk = sm4_cmk(2);
    let ct = mk
        .generate_dek(&mut rng(3), DekLength::from_bytes(16).unwrap(), &ctx(b""))
        .unwrap();
    let blob = ct.as_bytes().to_vec();
    assert_eq!(blob.len(), 136 + 16);
    let mut tried = 0usize;
    for i in 0..blob.len() {
        for x in 1..=255u8 {
            let mut b = blob.clone();
            b[i] ^= x;
            assert_eq!(
                mk.unwrap_dek(&b, &ctx(b"")).unwrap_err(),
                Error::Rejected,
                "byte {i} xor {x:#04x}"
            );
            tried += 1;
        }
    }
    assert_eq!(tried, 152 * 255);
    for n in 0..blob.len() {
        assert!(mk.unwrap_dek(&blob[..n], &ctx(b"")).is_err());
    }
    let mut longer = blob.clone();
    longer.push(0);
    assert!(mk.unwrap_dek(&longer, &ctx(b"")).is_err());
    assert!(mk.unwrap_dek(&blob, &ctx(b"")).is_ok());
}

/// The algorithm id is authenticated: an SM4 blob relabelled as AES (and
/// the other way round) opens under neither key, and a key of one suite
/// never opens the other suite's blob, even from the same material.
#[test]
fn sm4_and_aes_blobs_cannot_be_confused() {
    let aes = MasterKey::generate(&mut rng(4), KEY_ID, 1).unwrap();
    let sm4 = MasterKey::generate(&mut rng(4), KEY_ID, 1)
        .unwrap()
        .into_suite(CipherSuite::Sm4Gcm)
        .unwrap();
    let len = DekLength::AES_256;
    let a = aes.generate_dek(&mut rng(5), len, &ctx(b"")).unwrap();
    let s = sm4.generate_dek(&mut rng(5), len, &ctx(b"")).unwrap();
    assert_eq!(a.as_bytes()[1], 0x01);
    assert_eq!(s.as_bytes()[1], 0x07);
    // Same material, same draws: only the suite differs, and every byte
    // after the header differs too.
    assert_eq!(a.as_bytes()[..1], s.as_bytes()[..1]);
    assert_ne!(a.as_bytes()[88..], s.as_bytes()[88..]);
    assert_eq!(
        sm4.unwrap_dek(a.as_bytes(), &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        aes.unwrap_dek(s.as_bytes(), &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    let mut relabelled = s.as_bytes().to_vec();
    relabelled[1] = 0x01;
    assert_eq!(
        CiphertextHeader::parse(&relabelled).unwrap().suite(),
        CipherSuite::Aes256Gcm
    );
    assert_eq!(
        aes.unwrap_dek(&relabelled, &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        sm4.unwrap_dek(&relabelled, &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    let mut relabelled = a.as_bytes().to_vec();
    relabelled[1] = 0x07;
    assert_eq!(
        aes.unwrap_dek(&relabelled, &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        sm4.unwrap_dek(&relabelled, &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    // Data and DEK blobs of the SM4 suite do not cross either.
    let dctx = DataContext::new(PROJECT, b"", b"").unwrap();
    let d = sm4.encrypt_data(&mut rng(6), &[7u8; 32], &dctx).unwrap();
    let mut as_dek = d.as_bytes().to_vec();
    as_dek[1] = 0x07;
    assert_eq!(
        sm4.unwrap_dek(&as_dek, &ctx(b"")).unwrap_err(),
        Error::Rejected
    );
    assert_eq!(
        aes.decrypt_data(d.as_bytes(), &dctx).unwrap_err(),
        Error::Rejected
    );
    // Unknown ids next to the new ones stay refused.
    for id in [0x00u8, 0x02, 0x0c, 0x10, 0xff] {
        let mut b = s.as_bytes().to_vec();
        b[1] = id;
        assert_eq!(CiphertextHeader::parse(&b).unwrap_err(), Error::Rejected);
    }
}

#[test]
fn encrypt_datakey_input_is_dek_and_its_sm3_digest_under_sm4() {
    let dek = [0x5au8; 16];
    let mut input = dek.to_vec();
    input.extend_from_slice(&Sm3::digest(dek));
    let d = Dek::from_bytes_with_suite_digest(CipherSuite::Sm4Gcm, &input).unwrap();
    assert_eq!(d.expose_secret(), dek);
    assert_eq!(d.sm3().as_slice(), Sm3::digest(dek).as_slice());
    assert_eq!(d.digest_for(CipherSuite::Sm4Gcm), d.sm3());
    assert_eq!(d.digest_for(CipherSuite::Aes256Gcm), d.sha256());
    // A SHA-256 digest is not an SM3 one, and the other way round.
    assert_eq!(
        Dek::from_bytes_with_suite_digest(CipherSuite::Aes256Gcm, &input).unwrap_err(),
        Error::DigestMismatch
    );
    let mut sha = dek.to_vec();
    sha.extend_from_slice(&sha2::Sha256::digest(dek));
    assert_eq!(
        Dek::from_bytes_with_suite_digest(CipherSuite::Sm4Gcm, &sha).unwrap_err(),
        Error::DigestMismatch
    );
    let mut bad = input.clone();
    bad[20] ^= 1;
    assert_eq!(
        Dek::from_bytes_with_suite_digest(CipherSuite::Sm4Gcm, &bad).unwrap_err(),
        Error::DigestMismatch
    );
}

#[test]
fn sm4_master_key_debug_is_redacted() {
    let mk = sm4_cmk(7);
    let s = format!("{mk:?}");
    assert!(s.contains("Sm4Gcm") && s.contains("redacted"), "{s}");
}

// ------------------------------------------------------------ the documented SM4 example

pub(crate) const SEED: [u8; 32] = *b"kms-rs ciphertext format v1 seed";
const EX_VERSION: u32 = 3;
const EX_AAD: &[u8] = b"example";

/// (name, size) of each field of a 16-byte SM4 DEK blob, in order.
const FIELDS: [(&str, usize); 10] = [
    ("version", 1),
    ("algorithm", 1),
    ("length", 2),
    ("key id", 36),
    ("key version", 4),
    ("salt", 32),
    ("nonce", 12),
    ("ciphertext", 16),
    ("tag", 16),
    ("commitment", 32),
];

fn generate_example() -> Ciphertext {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let key =
        MasterKey::generate_with_suite(CipherSuite::Sm4Gcm, &mut rng, KEY_ID, EX_VERSION).unwrap();
    let ctx = DekContext::new(PROJECT, EX_AAD).unwrap();
    key.generate_dek(&mut rng, DekLength::AES_128, &ctx)
        .unwrap()
}

fn committed_sm4_hex() -> String {
    data_file("example-sm4.hex").trim().to_owned()
}

#[test]
fn sm4_example_blob_is_reproducible() {
    let ct = generate_example();
    if std::env::var_os("KMS_CRYPTO_BLESS").is_some() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/example-sm4.hex");
        std::fs::write(path, format!("{}\n", ct.to_hex())).unwrap();
    }
    assert_eq!(ct.to_hex(), committed_sm4_hex());
}

/// The documented SM4 example, decoded field by field and recomputed with
/// the primitives (`hkdf` over `sm3`, GCM over `sm4`) from the document's
/// text alone.
#[test]
fn sm4_example_decodes_and_recomputes_from_the_document() {
    let blob = unhex(&committed_sm4_hex());
    let mut off = 0;
    let mut f = Vec::new();
    for (_, size) in FIELDS {
        f.push(&blob[off..off + size]);
        off += size;
    }
    assert_eq!(off, blob.len());
    let [
        version,
        algorithm,
        length,
        key_id,
        key_version,
        salt,
        nonce,
        ciphertext,
        tag,
        commitment,
    ] = f[..]
    else {
        panic!("ten fields");
    };
    assert_eq!(version, [0x01]);
    assert_eq!(algorithm, [0x07]);
    assert_eq!(length, 16u16.to_be_bytes());
    assert_eq!(key_id, KEY_ID.as_bytes());
    assert_eq!(key_version, EX_VERSION.to_be_bytes());

    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut mk = [0u8; 32];
    rng.fill_bytes(&mut mk);
    let mut draw = [0u8; 32 + 12 + 16];
    rng.fill_bytes(&mut draw);
    assert_eq!(salt, &draw[..32]);
    assert_eq!(nonce, &draw[32..44]);
    let dek = &draw[44..];

    let mut prk = [0u8; 32];
    Hkdf::<Sm3>::from_prk(&mk)
        .unwrap()
        .expand(b"kms-rs/v1/cmk/sm4/dek-wrap", &mut prk)
        .unwrap();
    let mut okm = [0u8; 48];
    Hkdf::<Sm3>::from_prk(&prk)
        .unwrap()
        .expand_multi_info(&[b"kms-rs/v1/sm4/dek-wrap", &blob[..76]], &mut okm)
        .unwrap();
    assert_eq!(commitment, &okm[16..]);
    let mut aad = blob[..88].to_vec();
    aad.extend_from_slice(&(PROJECT.len() as u16).to_be_bytes());
    aad.extend_from_slice(PROJECT.as_bytes());
    aad.extend_from_slice(&(EX_AAD.len() as u16).to_be_bytes());
    aad.extend_from_slice(EX_AAD);
    type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;
    let c = Sm4Gcm::new_from_slice(&okm[..16]).unwrap();
    let n = aes_gcm::aead::Nonce::<Sm4Gcm>::try_from(nonce).unwrap();
    let mut buf = dek.to_vec();
    let t = c
        .encrypt_inout_detached(&n, &aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(ciphertext, &buf[..]);
    assert_eq!(tag, t.as_slice());

    let key = MasterKey::generate_with_suite(
        CipherSuite::Sm4Gcm,
        &mut ChaCha20Rng::from_seed(SEED),
        KEY_ID,
        EX_VERSION,
    )
    .unwrap();
    let got = key
        .unwrap_dek(&blob, &DekContext::new(PROJECT, EX_AAD).unwrap())
        .unwrap();
    assert_eq!(got.expose_secret(), dek);
}

/// `docs/ciphertext-format.md` shows the same blob between
/// `<!-- example-sm4 -->` markers, one field per line.
#[test]
fn format_document_shows_the_sm4_example() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ciphertext-format.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc.find("<!-- example-sm4 -->").expect("start marker");
    let end = doc.find("<!-- /example-sm4 -->").expect("end marker");
    let mut hex = String::new();
    let mut n = 0;
    for line in doc[start..end]
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        let (h, name) = line.split_once(char::is_whitespace).unwrap();
        let (field, size) = FIELDS[n];
        assert_eq!(name.trim(), field);
        assert_eq!(h.len(), 2 * size, "{field}");
        hex.push_str(h);
        n += 1;
    }
    assert_eq!(n, FIELDS.len());
    assert_eq!(hex, committed_sm4_hex());
}

// ------------------------------------------------------------ SM2

/// GM/T 0003.5-2012 (GB/T 32918.2-2016 Annex A) example on the
/// recommended curve: private key, public key, message "message digest",
/// identifier 1234567812345678, k, and the signature (r, s). gmssl 3.2.2
/// (pure Python, `CryptSM2.sign` with the same k) reproduces it too.
const GMT_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const GMT_P: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020\
                     CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const GMT_E: &str = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640";
const GMT_R: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
const GMT_S: &str = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

/// The GM/T example key as PKCS#8, through the sm2 crate.
fn gmt_key() -> SigningKey {
    use pkcs8::EncodePrivateKey;
    let sk = sm2::SecretKey::from_slice(&unhex(GMT_D)).unwrap();
    let der = sk.to_pkcs8_der().unwrap();
    SigningKey::from_pkcs8_der(SigningKeySpec::Sm2, der.as_bytes()).unwrap()
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of two 32-byte big-endian values.
fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    fn int(v: &[u8]) -> Vec<u8> {
        let mut v = v.to_vec();
        while v.len() > 1 && v[0] == 0 && v[1] < 0x80 {
            v.remove(0);
        }
        if v[0] >= 0x80 {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    }
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// `e = SM3(Z_A || M)`, `Z_A = SM3(ENTL || ID || a || b || xG || yG || xA
/// || yA)` (GB/T 32918.2 5.5, 6.1), computed here from the standard's
/// curve parameters, independently of the sm2 crate.
fn sm2_e(public_sec1: &[u8], id: &[u8], msg: &[u8]) -> Vec<u8> {
    let a = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC";
    let b = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93";
    let xg = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7";
    let yg = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";
    let mut z = Sm3::new();
    z.update(((id.len() * 8) as u16).to_be_bytes());
    z.update(id);
    for h in [a, b, xg, yg] {
        z.update(unhex(h));
    }
    z.update(&public_sec1[1..]);
    let za = z.finalize();
    let mut e = Sm3::new();
    e.update(za);
    e.update(msg);
    e.finalize().to_vec()
}

#[test]
fn sm2_gmt_0003_example_verifies() {
    let key = gmt_key();
    let public = key.public_key();
    // The public key of the standard's private key.
    let spki = public.to_der().unwrap();
    assert!(spki.ends_with(&unhex(GMT_P)), "public point");
    // e is SM3(Z_A || M) with the default identifier.
    let e = sm2_e(&unhex(GMT_P), SM2_DEFAULT_ID.as_bytes(), b"message digest");
    assert_eq!(e, unhex(GMT_E));
    let sig = der_sig(&unhex(GMT_R), &unhex(GMT_S));
    let alg = SigningAlgorithm::Sm2Dsa;
    assert!(public.verify(alg, Message::Digest(&e), &sig).unwrap());
    assert!(
        public
            .verify(alg, Message::Raw(b"message digest"), &sig)
            .unwrap()
    );
    assert!(
        !public
            .verify(alg, Message::Raw(b"message digesT"), &sig)
            .unwrap()
    );
    // DIGEST means e, not SM3(M): the plain hash of the message does not
    // verify.
    let plain = Sm3::digest(b"message digest");
    assert!(!public.verify(alg, Message::Digest(&plain), &sig).unwrap());
    let mut bad = sig.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(!public.verify(alg, Message::Digest(&e), &bad).unwrap());
}

#[test]
fn sm2_sign_digest_and_raw_agree() {
    let key = SigningKey::generate(SigningKeySpec::Sm2, &mut rng(11)).unwrap();
    let public = key.public_key();
    let pem = public.to_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    let spki = public.to_der().unwrap();
    // id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301.
    let sm2_oid = [0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
    assert!(spki.windows(sm2_oid.len()).any(|w| w == sm2_oid));
    let point = &spki[spki.len() - 65..];
    let msg = b"kms-rs SM2 raw message";
    let e = sm2_e(point, SM2_DEFAULT_ID.as_bytes(), msg);
    let alg = SigningAlgorithm::Sm2Dsa;
    let s_raw = key.sign(alg, Message::Raw(msg), &mut rng(12)).unwrap();
    let s_dig = key.sign(alg, Message::Digest(&e), &mut rng(13)).unwrap();
    for s in [&s_raw, &s_dig] {
        assert_eq!(s[0], 0x30, "DER");
        assert!(public.verify(alg, Message::Raw(msg), s).unwrap());
        assert!(public.verify(alg, Message::Digest(&e), s).unwrap());
    }
    // Length and pairing rules.
    assert_eq!(
        key.sign(alg, Message::Digest(&e[..31]), &mut rng(1))
            .unwrap_err(),
        Error::InvalidDigestLength {
            expected: 32,
            len: 31
        }
    );
    assert_eq!(
        key.sign(
            SigningAlgorithm::Ecdsa(kms_crypto::HashAlg::Sha256),
            Message::Digest(&e),
            &mut rng(1)
        )
        .unwrap_err(),
        Error::AlgorithmMismatch
    );
    let ec = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(2)).unwrap();
    assert_eq!(
        ec.sign(alg, Message::Digest(&e), &mut rng(1)).unwrap_err(),
        Error::AlgorithmMismatch
    );
    assert_eq!(SigningAlgorithm::from_name("SM2DSA_SM3"), Some(alg));
    assert_eq!(SigningKeySpec::from_name("SM2"), Some(SigningKeySpec::Sm2));
    assert!(format!("{key:?}").contains("redacted"));
}

#[test]
fn sm2_keys_seal_and_open_under_a_root_key() {
    let root = RootKey::generate(&mut rng(20)).unwrap();
    let key = SigningKey::generate(SigningKeySpec::Sm2, &mut rng(21)).unwrap();
    let sealed = root.seal_signing_key(&mut rng(22), KEY_ID, &key).unwrap();
    assert_eq!(sealed.header().kind(), BlobKind::SigningKey);
    let back = root
        .open_signing_key(KEY_ID, SigningKeySpec::Sm2, sealed.as_bytes())
        .unwrap();
    assert_eq!(
        back.public_key().to_der().unwrap(),
        key.public_key().to_der().unwrap()
    );
    // Bound to the spec: an SM2 key does not open as EC_P256.
    assert_eq!(
        root.open_signing_key(KEY_ID, SigningKeySpec::EcP256, sealed.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
}

/// A ciphertext made by gmssl 3.2.2 (`CryptSM2(mode=1).encrypt`, C1C3C2,
/// C1 without its `04` prefix, which the raw form here requires) under the
/// GM/T example key, plaintext "encryption standard".
const GMSSL_CT: &str = "fe2070b4fce88f43333510a9636aad8a648ca2db94646ca42c74c7be0c0467a3\
                        7f19b91e9f64968bf436aefc2e8ffb5ebf3e4f64206fd68b33e6e0b21bdbeb78\
                        33f5537f36dac2b8eac33a303a2a836c140df8e15036bd6ac151023e022423d6\
                        17daf6a1db281a7459d95dece3a5bb619ae7da";

#[test]
fn sm2_decrypts_a_gmssl_ciphertext() {
    let key = gmt_key();
    let mut raw = vec![0x04];
    raw.extend(unhex(GMSSL_CT));
    assert_eq!(&key.decrypt_sm2(&raw).unwrap()[..], b"encryption standard");
    // Without the prefix it is not a point encoding: rejected.
    assert_eq!(
        key.decrypt_sm2(&unhex(GMSSL_CT)).unwrap_err(),
        Error::Rejected
    );
    // Every flipped byte of C3 or C2 is rejected (C1 flips may land on
    // another point, whose C3 then fails).
    for i in 1..raw.len() {
        let mut b = raw.clone();
        b[i] ^= 0x01;
        assert!(key.decrypt_sm2(&b).is_err(), "byte {i}");
    }
}

#[test]
fn sm2_encryption_round_trips_as_der() {
    let key = SigningKey::generate(SigningKeySpec::Sm2, &mut rng(30)).unwrap();
    let public = key.public_key();
    for len in [1usize, 32, 4096] {
        let msg = vec![0xa5u8; len];
        let ct = public.encrypt_sm2(&mut rng(len as u64), &msg).unwrap();
        assert_eq!(ct[0], 0x30, "GM/T 0009 SM2Cipher is a DER SEQUENCE");
        assert_eq!(&key.decrypt_sm2(&ct).unwrap()[..], &msg[..]);
    }
    assert!(matches!(
        public.encrypt_sm2(&mut rng(1), &[]).unwrap_err(),
        Error::InvalidDataLength { len: 0 }
    ));
    assert!(matches!(
        public.encrypt_sm2(&mut rng(1), &[0u8; 4097]).unwrap_err(),
        Error::InvalidDataLength { len: 4097 }
    ));
    // Another key's ciphertext, garbage and the empty input are rejected.
    let other = SigningKey::generate(SigningKeySpec::Sm2, &mut rng(31)).unwrap();
    let ct = other.public_key().encrypt_sm2(&mut rng(2), b"x").unwrap();
    assert_eq!(key.decrypt_sm2(&ct).unwrap_err(), Error::Rejected);
    for junk in [&[][..], &[0x30][..], &[0x04; 200][..], &[0u8; 5000][..]] {
        assert_eq!(key.decrypt_sm2(junk).unwrap_err(), Error::Rejected);
    }
    // Only SM2 keys encrypt.
    let ec = SigningKey::generate(SigningKeySpec::EcP256, &mut rng(3)).unwrap();
    assert_eq!(
        ec.public_key().encrypt_sm2(&mut rng(1), b"x").unwrap_err(),
        Error::AlgorithmMismatch
    );
    assert_eq!(ec.decrypt_sm2(&ct).unwrap_err(), Error::AlgorithmMismatch);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn prop_sm2_decrypt_is_total(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let key = gmt_key();
        let _ = key.decrypt_sm2(&bytes);
    }
}

// ------------------------------------------------------------ the national root

const SECRET: [u8; 32] = [0x33; 32];

/// A national root wraps master keys with RFC 5649 KWP over SM4, under the
/// documented KEK: `HKDF-SM3-Expand(root, "kms-rs/v1/sm/root/kwp-sm4",
/// 32)[..16]`, `root = HKDF-SM3(salt "kms-rs/v1/sm/root-from-secret",
/// secret, u16 len || keystore id)`; recomputed here with `hkdf`, `sm3`
/// and `aes-kw`'s KWP over `sm4`.
#[test]
fn national_root_wraps_master_keys_with_kwp_over_sm4() {
    use aes_kw::cipher::KeyInit as _;
    let root = RootKey::derive_national_from_secret(&SECRET, "0").unwrap();
    assert_eq!(root.suite(), CipherSuite::Sm4Gcm);
    assert_eq!(format!("{root:?}"), "RootKey(SM4, redacted)");
    let mk = sm4_cmk(40);
    let wrapped = root.wrap_master_key(&mk).unwrap();
    assert_eq!(wrapped.as_bytes().len(), 80);

    let mut rk = [0u8; 32];
    Hkdf::<Sm3>::new(Some(b"kms-rs/v1/sm/root-from-secret"), &SECRET)
        .expand_multi_info(&[&1u16.to_be_bytes(), b"0"], &mut rk)
        .unwrap();
    let mut kek = [0u8; 32];
    Hkdf::<Sm3>::from_prk(&rk)
        .unwrap()
        .expand(b"kms-rs/v1/sm/root/kwp-sm4", &mut kek)
        .unwrap();
    let kwp = aes_kw::AesKwp::<sm4::Sm4>::new_from_slice(&kek[..16]).unwrap();
    let mut buf = [0u8; 80];
    let payload = kwp.unwrap_key(wrapped.as_bytes(), &mut buf).unwrap();
    assert_eq!(&payload[..36], KEY_ID.as_bytes());
    assert_eq!(&payload[36..40], 1u32.to_be_bytes());

    let back = root
        .unwrap_master_key(KEY_ID, 1, wrapped.as_bytes())
        .unwrap();
    let back = back.into_suite(CipherSuite::Sm4Gcm).unwrap();
    let ct = mk
        .generate_dek(&mut rng(41), DekLength::AES_128, &ctx(b""))
        .unwrap();
    assert!(back.unwrap_dek(ct.as_bytes(), &ctx(b"")).is_ok());
    // The AES root of the same keystore and secret is another key.
    let aes_root = RootKey::derive_from_secret(&SECRET, "0").unwrap();
    assert_eq!(
        aes_root
            .unwrap_master_key(KEY_ID, 1, wrapped.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    let aes_wrapped = aes_root.wrap_master_key(&mk).unwrap();
    assert_eq!(
        root.unwrap_master_key(KEY_ID, 1, aes_wrapped.as_bytes())
            .unwrap_err(),
        Error::Rejected
    );
    for i in 0..80 {
        let mut b = wrapped.as_bytes().to_vec();
        b[i] ^= 0x01;
        assert!(root.unwrap_master_key(KEY_ID, 1, &b).is_err(), "byte {i}");
    }
}

#[test]
fn national_root_seals_pins_private_keys_and_key_pairs_with_the_sm4_suite() {
    use kms_crypto::{Pin, PinScope, PrivateKeyScope};
    let root = RootKey::derive_national_from_secret(&SECRET, "1").unwrap();
    let aes_root = RootKey::derive_from_secret(&SECRET, "1").unwrap();
    let scope = PinScope::new("1", "domain-a").unwrap();
    let pin = Pin::generate(&mut rng(50)).unwrap();
    let sealed = root.seal_pin(&mut rng(51), &scope, &pin).unwrap();
    assert_eq!(sealed.as_bytes()[..2], [0x01, 0x09]);
    assert_eq!(sealed.header().kind(), BlobKind::Pin);
    assert_eq!(sealed.header().suite(), CipherSuite::Sm4Gcm);
    assert!(root.open_pin(&scope, sealed.as_bytes()).is_ok());
    assert_eq!(
        aes_root.open_pin(&scope, sealed.as_bytes()).unwrap_err(),
        Error::Rejected
    );
    let aes_sealed = aes_root.seal_pin(&mut rng(51), &scope, &pin).unwrap();
    assert_eq!(
        root.open_pin(&scope, aes_sealed.as_bytes()).unwrap_err(),
        Error::Rejected
    );
    for i in 0..sealed.as_bytes().len() {
        let mut b = sealed.as_bytes().to_vec();
        b[i] ^= 0x80;
        assert!(root.open_pin(&scope, &b).is_err(), "byte {i}");
    }
    // PIN verifiers: HMAC-SM3, not HMAC-SHA256.
    let v = root.pin_verifier("1", &pin).unwrap();
    assert_eq!(root.verify_plain_pin("1", &pin.to_hex(), &v), Ok(()));
    let av = aes_root.pin_verifier("1", &pin).unwrap();
    assert_ne!(v.as_bytes(), av.as_bytes());
    assert!(aes_root.verify_plain_pin("1", &pin.to_hex(), &v).is_err());

    let s = PrivateKeyScope::new(PROJECT, "cert-1").unwrap();
    let pem = b"-----BEGIN PRIVATE KEY-----\nsm\n-----END PRIVATE KEY-----\n";
    let sealed = root.seal_private_key(&mut rng(52), &s, pem).unwrap();
    assert_eq!(sealed.as_bytes()[..2], [0x01, 0x0a]);
    assert_eq!(
        &root.open_private_key(&s, sealed.as_bytes()).unwrap()[..],
        pem
    );
    assert!(aes_root.open_private_key(&s, sealed.as_bytes()).is_err());

    // An SM2 key pair under a national root: national end to end.
    let pair = SigningKey::generate(SigningKeySpec::Sm2, &mut rng(53)).unwrap();
    let sealed = root.seal_signing_key(&mut rng(54), KEY_ID, &pair).unwrap();
    assert_eq!(sealed.as_bytes()[..2], [0x01, 0x0b]);
    assert_eq!(sealed.header().kind(), BlobKind::SigningKey);
    let back = root
        .open_signing_key(KEY_ID, SigningKeySpec::Sm2, sealed.as_bytes())
        .unwrap();
    assert_eq!(
        back.public_key().to_der().unwrap(),
        pair.public_key().to_der().unwrap()
    );
    assert!(
        aes_root
            .open_signing_key(KEY_ID, SigningKeySpec::Sm2, sealed.as_bytes())
            .is_err()
    );
    let generated = RootKey::generate_with_suite(CipherSuite::Sm4Gcm, &mut rng(55)).unwrap();
    assert_eq!(generated.suite(), CipherSuite::Sm4Gcm);
}

/// A root-key rotation between national roots carries the PIN keys wrapped
/// with KWP over SM4: PINs sealed and verifiers made under the old root
/// keep verifying under the new one, and an AES root cannot unwrap them.
#[test]
fn national_roots_carry_pin_keys_across_a_rotation() {
    use kms_crypto::{Pin, PinScope};
    let new_secret = [0x44u8; 32];
    let old = RootKey::derive_national_from_secret(&SECRET, "1").unwrap();
    let new = RootKey::derive_national_from_secret(&new_secret, "1").unwrap();
    let scope = PinScope::new("1", "domain-a").unwrap();
    let pin = Pin::generate(&mut rng(60)).unwrap();
    let sealed = old.seal_pin(&mut rng(61), &scope, &pin).unwrap();
    let verifier = old.pin_verifier("1", &pin).unwrap();
    assert!(new.open_pin(&scope, sealed.as_bytes()).is_err());
    let wrapped = new.wrap_pin_keys("1", &old.pin_keys()).unwrap();
    let keys = new.unwrap_pin_keys("1", &wrapped).unwrap();
    let carried = new.with_pin_keys(&keys).unwrap();
    assert_eq!(carried.suite(), CipherSuite::Sm4Gcm);
    assert!(carried.open_pin(&scope, sealed.as_bytes()).is_ok());
    assert_eq!(
        carried.verify_plain_pin("1", &pin.to_hex(), &verifier),
        Ok(())
    );
    let aes = RootKey::derive_from_secret(&new_secret, "1").unwrap();
    assert!(aes.unwrap_pin_keys("1", &wrapped).is_err());
}
