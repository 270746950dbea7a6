//! The committed example blob of `docs/ciphertext-format.md`, decoded field by
//! field and recomputed independently from the documented construction.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};
use hkdf::Hkdf;
use kms_crypto::{BlobKind, Ciphertext, DekContext, DekLength, MasterKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use sha2::Sha256;

use crate::{data_file, unhex};

pub(crate) const SEED: [u8; 32] = *b"kms-rs ciphertext format v1 seed";
pub(crate) const KEY_ID: &str = "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6";
pub(crate) const KEY_VERSION: u32 = 3;
pub(crate) const PROJECT: &str = "0b8b7d5b2c0040a3a53e1d1e2c8c0a11";
pub(crate) const AAD: &[u8] = b"example";

/// (name, size) of each field of a 32-byte DEK blob, in order.
const FIELDS: [(&str, usize); 10] = [
    ("version", 1),
    ("algorithm", 1),
    ("length", 2),
    ("key id", 36),
    ("key version", 4),
    ("salt", 32),
    ("nonce", 12),
    ("ciphertext", 32),
    ("tag", 16),
    ("commitment", 32),
];

fn generate() -> Ciphertext {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let key = MasterKey::generate(&mut rng, KEY_ID, KEY_VERSION).unwrap();
    let ctx = DekContext::new(PROJECT, AAD).unwrap();
    key.generate_dek(&mut rng, DekLength::AES_256, &ctx)
        .unwrap()
}

fn committed_hex() -> String {
    data_file("example-v1.hex").trim().to_owned()
}

#[test]
fn example_blob_is_reproducible() {
    let ct = generate();
    if std::env::var_os("KMS_CRYPTO_BLESS").is_some() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/example-v1.hex");
        std::fs::write(path, format!("{}\n", ct.to_hex())).unwrap();
    }
    assert_eq!(
        ct.to_hex(),
        committed_hex(),
        "the engine no longer produces the documented example"
    );
}

#[test]
fn example_blob_decodes_field_by_field() {
    let blob = unhex(&committed_hex());
    assert_eq!(blob.len(), FIELDS.iter().map(|f| f.1).sum::<usize>());
    let mut off = 0;
    let mut field = |name: &str| {
        let (_, size) = FIELDS.iter().copied().find(|f| f.0 == name).unwrap();
        let start = FIELDS
            .iter()
            .take_while(|f| f.0 != name)
            .map(|f| f.1)
            .sum::<usize>();
        assert_eq!(start, off, "fields are read in order");
        off += size;
        &blob[start..start + size]
    };
    let version = field("version");
    let algorithm = field("algorithm");
    let length = field("length");
    let key_id = field("key id");
    let key_version = field("key version");
    let salt = field("salt");
    let nonce = field("nonce");
    let ciphertext = field("ciphertext");
    let tag = field("tag");
    let commitment = field("commitment");
    assert_eq!(off, blob.len());

    assert_eq!(version, [0x01]);
    assert_eq!(algorithm, [0x01]);
    assert_eq!(length, 32u16.to_be_bytes());
    assert_eq!(key_id, KEY_ID.as_bytes());
    assert_eq!(key_version, KEY_VERSION.to_be_bytes());

    // The seeded generator's stream: 32 bytes of master key, then one draw of
    // salt || nonce || DEK.
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut mk = [0u8; 32];
    rng.fill_bytes(&mut mk);
    let mut draw = [0u8; 32 + 12 + 32];
    rng.fill_bytes(&mut draw);
    assert_eq!(salt, &draw[..32]);
    assert_eq!(nonce, &draw[32..44]);
    let dek = &draw[44..];

    // The documented construction, recomputed with the primitives directly.
    let mut prk = [0u8; 32];
    Hkdf::<Sha256>::from_prk(&mk)
        .unwrap()
        .expand(b"kms-rs/v1/cmk/dek-wrap", &mut prk)
        .unwrap();
    let mut okm = [0u8; 64];
    Hkdf::<Sha256>::from_prk(&prk)
        .unwrap()
        .expand_multi_info(&[b"kms-rs/v1/dek-wrap", &blob[..76]], &mut okm)
        .unwrap();
    assert_eq!(commitment, &okm[32..]);
    let mut aad = blob[..88].to_vec();
    aad.extend_from_slice(&(PROJECT.len() as u16).to_be_bytes());
    aad.extend_from_slice(PROJECT.as_bytes());
    aad.extend_from_slice(&(AAD.len() as u16).to_be_bytes());
    aad.extend_from_slice(AAD);
    let cipher = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
    let mut buf = dek.to_vec();
    let nonce = aes_gcm::aead::Nonce::<Aes256Gcm>::try_from(nonce).unwrap();
    let t = cipher
        .encrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(ciphertext, &buf[..]);
    assert_eq!(tag, t.as_slice());

    // And through the engine: header without the key, unwrap with it.
    let ct = Ciphertext::from_bytes(&blob).unwrap();
    assert_eq!(ct.header().kind(), BlobKind::DataKey);
    assert_eq!(ct.header().key_id(), Some(KEY_ID));
    assert_eq!(ct.header().key_version(), KEY_VERSION);
    let key = MasterKey::generate(&mut ChaCha20Rng::from_seed(SEED), KEY_ID, KEY_VERSION).unwrap();
    let got = key
        .unwrap_dek(&blob, &DekContext::new(PROJECT, AAD).unwrap())
        .unwrap();
    assert_eq!(got.expose_secret(), dek);
}

/// `docs/ciphertext-format.md` shows the same blob, one field per line
/// (`<hex>  <field name>`) between `<!-- example-v1 -->` markers.
#[test]
fn format_document_shows_the_example() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ciphertext-format.md");
    let doc = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    let start = doc.find("<!-- example-v1 -->").expect("start marker");
    let end = doc.find("<!-- /example-v1 -->").expect("end marker");
    let block = &doc[start..end];
    let mut hex = String::new();
    let mut names = Vec::new();
    for line in block
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        let (h, name) = line
            .split_once(char::is_whitespace)
            .expect("hex then field name");
        let (field, size) = FIELDS[names.len()];
        assert_eq!(name.trim(), field, "field order in the document");
        assert_eq!(h.len(), 2 * size, "size of {field} in the document");
        hex.push_str(h);
        names.push(field);
    }
    assert_eq!(names.len(), FIELDS.len());
    assert_eq!(
        hex,
        committed_hex(),
        "the document's example differs from tests/data/example-v1.hex"
    );
}

/// With caller-chosen salt and nonce (hazmat), wrapping the example's DEK
/// reproduces the example blob exactly.
#[cfg(feature = "hazmat")]
#[test]
fn hazmat_wrap_with_fixed_salt_and_nonce_reproduces_the_example() {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let key = MasterKey::generate(&mut rng, KEY_ID, KEY_VERSION).unwrap();
    let mut draw = [0u8; 32 + 12 + 32];
    rng.fill_bytes(&mut draw);
    let salt: [u8; 32] = draw[..32].try_into().unwrap();
    let nonce: [u8; 12] = draw[32..44].try_into().unwrap();
    let dek = kms_crypto::Dek::from_bytes(&draw[44..]).unwrap();
    let ctx = DekContext::new(PROJECT, AAD).unwrap();
    let ct = key
        .wrap_dek_with_salt_and_nonce(&salt, &nonce, &dek, &ctx)
        .unwrap();
    assert_eq!(ct.to_hex(), committed_hex());
}
