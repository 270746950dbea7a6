//! Ciphertext format v1: layout, header parsing, context encoding, the
//! seal/open engine every blob kind shares, each kind's plaintext bounds,
//! the rule of the ids bound into a blob's context, and [`Ciphertext`].
//! The modules of the blob kinds (`dek`, `pin`, `sealed`, `data`, `keys`)
//! build on it; it reads nothing from them.
//!
//! Layout (all integers big-endian), see `docs/ciphertext-format.md`:
//!
//! | offset    | size | field                                        |
//! |-----------|------|----------------------------------------------|
//! | 0         | 1    | format version, `0x01`                       |
//! | 1         | 1    | algorithm / purpose id (`0x01` DEK, `0x03` PIN, `0x04` private key, `0x05` data, `0x06` CMK signing key; SM4 suite: `0x07` DEK, `0x08` data, `0x09` PIN, `0x0A` private key, `0x0B` signing key; `0x02` retired) |
//! | 2         | 2    | plaintext length `n` in bytes                |
//! | 4         | 36   | key id (ASCII; all zero in root-key blobs)   |
//! | 40        | 4    | key version (zero in root-key blobs)         |
//! | 44        | 32   | salt                                         |
//! | 76        | 12   | nonce                                        |
//! | 88        | n    | ciphertext                                   |
//! | 88+n      | 16   | GCM tag                                      |
//! | 104+n     | 32   | key commitment                               |

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Tag};
use hkdf::Hkdf;
use sha2::Sha256;
use sm3::Sm3;
use sm4::Sm4;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub(crate) const VERSION_V1: u8 = 0x01;
pub(crate) const ALG_DEK: u8 = 0x01;
/// `0x02` was the PIN blob bound to its keystore only; it is retired (a
/// PIN of a shared keystore must also be bound to its domain) and refused.
pub(crate) const ALG_PIN_RETIRED: u8 = 0x02;
pub(crate) const ALG_PIN: u8 = 0x03;
pub(crate) const ALG_PRIVATE_KEY: u8 = 0x04;
pub(crate) const ALG_DATA: u8 = 0x05;
pub(crate) const ALG_SIGNING_KEY: u8 = 0x06;
/// A DEK wrapped under an SM4 master key: HKDF-SM3, SM4-GCM.
pub(crate) const ALG_DEK_SM4: u8 = 0x07;
/// Data encrypted under an SM4 master key: HKDF-SM3, SM4-GCM.
pub(crate) const ALG_DATA_SM4: u8 = 0x08;
/// A PIN sealed under a national (SM) root key.
pub(crate) const ALG_PIN_SM4: u8 = 0x09;
/// A certificate private key sealed under a national (SM) root key.
pub(crate) const ALG_PRIVATE_KEY_SM4: u8 = 0x0A;
/// A key pair's private key sealed under a national (SM) root key.
pub(crate) const ALG_SIGNING_KEY_SM4: u8 = 0x0B;

/// GCM over the SM4 block cipher (the generic GCM of `aes-gcm`), 96-bit
/// nonce, 128-bit tag.
pub(crate) type Sm4Gcm = AesGcm<Sm4, U12>;

pub(crate) const KEY_ID_LEN: usize = 36;
pub(crate) const SALT_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const COMMIT_LEN: usize = 32;

pub(crate) const OFF_LEN: usize = 2;
pub(crate) const OFF_KEY_ID: usize = 4;
pub(crate) const OFF_KEY_VERSION: usize = OFF_KEY_ID + KEY_ID_LEN; // 40
pub(crate) const OFF_SALT: usize = OFF_KEY_VERSION + 4; // 44
pub(crate) const OFF_NONCE: usize = OFF_SALT + SALT_LEN; // 76
/// Length of the fixed header, which ends where the ciphertext starts.
pub(crate) const HEADER_LEN: usize = OFF_NONCE + NONCE_LEN; // 88
/// Bytes a blob adds to its plaintext.
pub(crate) const OVERHEAD: usize = HEADER_LEN + TAG_LEN + COMMIT_LEN; // 136

/// HKDF info labels: one per purpose, so a DEK key can never equal a PIN key.
pub(crate) const LABEL_DEK: &[u8] = b"kms-rs/v1/dek-wrap";
pub(crate) const LABEL_PIN: &[u8] = b"kms-rs/v1/pin-seal/domain";
pub(crate) const LABEL_PRIVATE_KEY: &[u8] = b"kms-rs/v1/private-key-seal";
pub(crate) const LABEL_DATA: &[u8] = b"kms-rs/v1/data-encrypt";
pub(crate) const LABEL_SIGNING_KEY: &[u8] = b"kms-rs/v1/signing-key-seal";
pub(crate) const LABEL_DEK_SM4: &[u8] = b"kms-rs/v1/sm4/dek-wrap";
pub(crate) const LABEL_DATA_SM4: &[u8] = b"kms-rs/v1/sm4/data-encrypt";
pub(crate) const LABEL_PIN_SM4: &[u8] = b"kms-rs/v1/sm4/pin-seal/domain";
pub(crate) const LABEL_PRIVATE_KEY_SM4: &[u8] = b"kms-rs/v1/sm4/private-key-seal";
pub(crate) const LABEL_SIGNING_KEY_SM4: &[u8] = b"kms-rs/v1/sm4/signing-key-seal";

/// The primitives of a blob: its key derivation and its AEAD. Part of the
/// algorithm id, which is authenticated (it is in the AAD and in the
/// per-wrap derivation), so a blob of one suite never opens as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherSuite {
    /// HKDF-SHA256 per-wrap key, AES-256-GCM, 256-bit key commitment.
    Aes256Gcm,
    /// HKDF-SM3 per-wrap key, SM4-GCM (GM/T 0002 block cipher in GCM,
    /// 128-bit key), 256-bit key commitment: only national (SM)
    /// primitives.
    Sm4Gcm,
}

impl CipherSuite {
    /// Length of the AEAD key, in bytes.
    const fn key_len(self) -> usize {
        match self {
            Self::Aes256Gcm => 32,
            Self::Sm4Gcm => 16,
        }
    }
}

/// Shortest DEK, in bytes (8 bits).
pub(crate) const MIN_DEK_BYTES: usize = 1;
/// Longest DEK, in bytes (8192 bits).
pub(crate) const MAX_DEK_BYTES: usize = 1024;
/// Length of a PIN, in bytes (256 bits; 64 hex characters).
pub const PIN_LEN: usize = 32;
/// The largest private key (PEM text) a blob holds, in bytes.
pub const MAX_PRIVATE_KEY_BYTES: usize = 32 * 1024;
/// Largest plaintext of a data blob, in bytes.
pub const MAX_DATA_BYTES: usize = 4096;

/// Largest encoded context: two u16 length prefixes and two 128-byte fields.
pub(crate) const MAX_CTX_FIELD: usize = 128;
const MAX_CTX_LEN: usize = 2 + MAX_CTX_FIELD + 2 + MAX_CTX_FIELD;

/// What a blob holds, from its algorithm id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlobKind {
    /// A data-encryption key wrapped under a master key (algorithm id `0x01`).
    DataKey,
    /// A PIN sealed under a keystore's root key, bound to the keystore and
    /// the domain (algorithm id `0x03`).
    Pin,
    /// A certificate's private key sealed under the default keystore's root
    /// key, bound to the project and certificate id (algorithm id `0x04`).
    PrivateKey,
    /// Caller data (encrypt-data, at most 4096 bytes) encrypted under a
    /// master key, bound to the project and the request's context
    /// (algorithm id `0x05`).
    Data,
    /// An asymmetric CMK's private key (PKCS#8 DER) sealed under its
    /// keystore's root key, bound to the key id (in the header) and the key
    /// spec (algorithm id `0x06`).
    SigningKey,
}

impl BlobKind {
    /// The algorithm id of this purpose under `suite`, if that pair exists.
    pub(crate) const fn alg(self, suite: CipherSuite) -> Option<u8> {
        match (self, suite) {
            (BlobKind::DataKey, CipherSuite::Aes256Gcm) => Some(ALG_DEK),
            (BlobKind::Pin, CipherSuite::Aes256Gcm) => Some(ALG_PIN),
            (BlobKind::PrivateKey, CipherSuite::Aes256Gcm) => Some(ALG_PRIVATE_KEY),
            (BlobKind::Data, CipherSuite::Aes256Gcm) => Some(ALG_DATA),
            (BlobKind::SigningKey, CipherSuite::Aes256Gcm) => Some(ALG_SIGNING_KEY),
            (BlobKind::DataKey, CipherSuite::Sm4Gcm) => Some(ALG_DEK_SM4),
            (BlobKind::Data, CipherSuite::Sm4Gcm) => Some(ALG_DATA_SM4),
            (BlobKind::Pin, CipherSuite::Sm4Gcm) => Some(ALG_PIN_SM4),
            (BlobKind::PrivateKey, CipherSuite::Sm4Gcm) => Some(ALG_PRIVATE_KEY_SM4),
            (BlobKind::SigningKey, CipherSuite::Sm4Gcm) => Some(ALG_SIGNING_KEY_SM4),
        }
    }

    /// The purpose and suite of an algorithm id (`None` for a retired or
    /// unknown id).
    const fn from_alg(alg: u8) -> Option<(Self, CipherSuite)> {
        Some(match alg {
            ALG_DEK => (BlobKind::DataKey, CipherSuite::Aes256Gcm),
            ALG_PIN => (BlobKind::Pin, CipherSuite::Aes256Gcm),
            ALG_PRIVATE_KEY => (BlobKind::PrivateKey, CipherSuite::Aes256Gcm),
            ALG_DATA => (BlobKind::Data, CipherSuite::Aes256Gcm),
            ALG_SIGNING_KEY => (BlobKind::SigningKey, CipherSuite::Aes256Gcm),
            ALG_DEK_SM4 => (BlobKind::DataKey, CipherSuite::Sm4Gcm),
            ALG_DATA_SM4 => (BlobKind::Data, CipherSuite::Sm4Gcm),
            ALG_PIN_SM4 => (BlobKind::Pin, CipherSuite::Sm4Gcm),
            ALG_PRIVATE_KEY_SM4 => (BlobKind::PrivateKey, CipherSuite::Sm4Gcm),
            ALG_SIGNING_KEY_SM4 => (BlobKind::SigningKey, CipherSuite::Sm4Gcm),
            ALG_PIN_RETIRED => return None,
            _ => return None,
        })
    }

    const fn label(self, suite: CipherSuite) -> &'static [u8] {
        match (self, suite) {
            (BlobKind::DataKey, CipherSuite::Sm4Gcm) => LABEL_DEK_SM4,
            (BlobKind::Data, CipherSuite::Sm4Gcm) => LABEL_DATA_SM4,
            (BlobKind::Pin, CipherSuite::Sm4Gcm) => LABEL_PIN_SM4,
            (BlobKind::PrivateKey, CipherSuite::Sm4Gcm) => LABEL_PRIVATE_KEY_SM4,
            (BlobKind::SigningKey, CipherSuite::Sm4Gcm) => LABEL_SIGNING_KEY_SM4,
            (BlobKind::DataKey, _) => LABEL_DEK,
            (BlobKind::Pin, _) => LABEL_PIN,
            (BlobKind::PrivateKey, _) => LABEL_PRIVATE_KEY,
            (BlobKind::Data, _) => LABEL_DATA,
            (BlobKind::SigningKey, _) => LABEL_SIGNING_KEY,
        }
    }

    /// Allowed plaintext lengths, in bytes.
    const fn len_range(self) -> (usize, usize) {
        match self {
            BlobKind::DataKey => (MIN_DEK_BYTES, MAX_DEK_BYTES),
            BlobKind::Pin => (PIN_LEN, PIN_LEN),
            BlobKind::PrivateKey => (1, MAX_PRIVATE_KEY_BYTES),
            BlobKind::Data => (1, MAX_DATA_BYTES),
            BlobKind::SigningKey => (1, MAX_PRIVATE_KEY_BYTES),
        }
    }
}

/// The authenticated, key-free part of a v1 blob, readable without any key.
///
/// Use it to find the master key (and its version) a DEK ciphertext was made
/// under before unwrapping it, and to check the plaintext length a caller
/// claims. Reading a header proves nothing: only an unwrap authenticates it.
#[derive(Clone, PartialEq, Eq)]
pub struct CiphertextHeader {
    kind: BlobKind,
    suite: CipherSuite,
    plaintext_len: usize,
    key_id: [u8; KEY_ID_LEN],
    key_version: u32,
}

impl core::fmt::Debug for CiphertextHeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CiphertextHeader")
            .field("kind", &self.kind)
            .field("suite", &self.suite)
            .field("plaintext_len", &self.plaintext_len)
            .field("key_id", &self.key_id())
            .field("key_version", &self.key_version)
            .finish()
    }
}

impl CiphertextHeader {
    /// Parses and checks the structure of a whole v1 blob (header and every
    /// length), without any key.
    ///
    /// # Errors
    /// [`Error::Rejected`] if the blob is not a well-formed v1 blob: wrong
    /// version or algorithm id, a length out of range, a key id that is not
    /// printable ASCII, or a total length that is not exactly the one the
    /// header implies (truncated or trailing bytes).
    pub fn parse(blob: &[u8]) -> Result<Self> {
        parse_header(blob)
    }

    /// What the blob holds.
    pub fn kind(&self) -> BlobKind {
        self.kind
    }

    /// The primitives the blob was made with (from its algorithm id).
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// Length of the wrapped plaintext, in bytes (the DEK's byte length).
    pub fn plaintext_len(&self) -> usize {
        self.plaintext_len
    }

    /// The master key id of a DEK or data blob, or the CMK of a sealed
    /// signing key; `None` for a PIN or certificate private-key blob.
    pub fn key_id(&self) -> Option<&str> {
        match self.kind {
            BlobKind::DataKey | BlobKind::Data | BlobKind::SigningKey => {
                core::str::from_utf8(&self.key_id).ok()
            }
            BlobKind::Pin | BlobKind::PrivateKey => None,
        }
    }

    /// The master key version of a DEK or data blob (zero in a root-key blob).
    pub fn key_version(&self) -> u32 {
        self.key_version
    }
}

/// A printable ASCII byte (0x21..=0x7e): no space, no control character.
const fn is_printable(b: u8) -> bool {
    b.is_ascii_graphic()
}

pub(crate) fn check_printable(s: &[u8]) -> bool {
    s.iter().all(|&b| is_printable(b))
}

/// An id of 1..=`max` printable ASCII bytes.
pub(crate) fn is_printable_id(s: &[u8], max: usize) -> bool {
    !s.is_empty() && s.len() <= max && check_printable(s)
}

/// The rule of every id bound into a blob's context (project, domain,
/// certificate id): 1..=128 printable ASCII bytes.
pub(crate) fn is_context_id(s: &[u8]) -> bool {
    is_printable_id(s, MAX_CTX_FIELD)
}

/// Checks a key id: exactly 36 printable ASCII bytes.
pub(crate) fn key_id_bytes(key_id: &str) -> Result<[u8; KEY_ID_LEN]> {
    let b = key_id.as_bytes();
    match <[u8; KEY_ID_LEN]>::try_from(b) {
        Ok(arr) if check_printable(&arr) => Ok(arr),
        _ => Err(Error::InvalidKeyId { len: b.len() }),
    }
}

fn read_u16(blob: &[u8], off: usize) -> Option<u16> {
    let b = blob.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn read_u32(blob: &[u8], off: usize) -> Option<u32> {
    let b = blob.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

pub(crate) fn parse_header(blob: &[u8]) -> Result<CiphertextHeader> {
    parse_header_opt(blob).ok_or(Error::Rejected)
}

fn parse_header_opt(blob: &[u8]) -> Option<CiphertextHeader> {
    if blob.len() < OVERHEAD || *blob.first()? != VERSION_V1 {
        return None;
    }
    // `ALG_PIN_RETIRED` (0x02) and unknown ids have no purpose: refused.
    let (kind, suite) = BlobKind::from_alg(*blob.get(1)?)?;
    let n = usize::from(read_u16(blob, OFF_LEN)?);
    let (min, max) = kind.len_range();
    if n < min || n > max || blob.len() != OVERHEAD.checked_add(n)? {
        return None;
    }
    let key_id: [u8; KEY_ID_LEN] = blob.get(OFF_KEY_ID..OFF_KEY_VERSION)?.try_into().ok()?;
    let key_version = read_u32(blob, OFF_KEY_VERSION)?;
    let ids_ok = match kind {
        BlobKind::DataKey | BlobKind::Data => check_printable(&key_id),
        BlobKind::SigningKey => check_printable(&key_id) && key_version == 1,
        BlobKind::Pin | BlobKind::PrivateKey => key_id.iter().all(|&b| b == 0) && key_version == 0,
    };
    if !ids_ok {
        return None;
    }
    Some(CiphertextHeader {
        kind,
        suite,
        plaintext_len: n,
        key_id,
        key_version,
    })
}

/// The caller's context, encoded unambiguously as
/// `u16 len(a) || a || u16 len(b) || b` (both fields at most 128 bytes),
/// written straight into the AAD buffer after the header.
#[derive(Clone, Copy)]
pub(crate) struct EncodedContext<'a> {
    a: &'a [u8],
    b: &'a [u8],
}

/// The AAD of a blob: the 88-byte header followed by the encoded context.
type AadBuf = [u8; HEADER_LEN + MAX_CTX_LEN];

impl<'a> EncodedContext<'a> {
    pub(crate) fn new(a: &'a [u8], b: &'a [u8]) -> Result<Self> {
        if a.len() > MAX_CTX_FIELD || b.len() > MAX_CTX_FIELD {
            return Err(Error::AadTooLong {
                len: a.len().max(b.len()),
            });
        }
        Ok(Self { a, b })
    }

    /// Writes `header || context` into `buf`; returns the AAD.
    fn aad<'b>(&self, header: &[u8], buf: &'b mut AadBuf) -> &'b [u8] {
        let mut len = 0;
        for field in [header, self.a, self.b] {
            if len > 0 {
                // Both context fields are at most 128 bytes (checked in `new`).
                let flen = u16::try_from(field.len()).unwrap_or(u16::MAX);
                buf[len..len + 2].copy_from_slice(&flen.to_be_bytes());
                len += 2;
            }
            buf[len..len + field.len()].copy_from_slice(field);
            len += field.len();
        }
        &buf[..len]
    }
}

/// An HKDF state keyed once with a purpose's pseudorandom key: HKDF-SHA256
/// for the AES suite, HKDF-SM3 (RFC 5869 over HMAC-SM3) for the SM4 suite.
#[derive(Clone)]
pub(crate) enum Kdf {
    Sha256(Hkdf<Sha256>),
    Sm3(Hkdf<Sm3>),
}

impl Kdf {
    /// The HKDF of `suite` with `prk` as its pseudorandom key (the Extract
    /// step skipped: `prk` is uniformly random).
    pub(crate) fn from_prk(suite: CipherSuite, prk: &[u8]) -> Result<Self> {
        let err = |_| Error::InvalidKeyLength {
            expected: 32,
            actual: prk.len(),
        };
        Ok(match suite {
            CipherSuite::Aes256Gcm => Self::Sha256(Hkdf::<Sha256>::from_prk(prk).map_err(err)?),
            CipherSuite::Sm4Gcm => Self::Sm3(Hkdf::<Sm3>::from_prk(prk).map_err(err)?),
        })
    }

    pub(crate) fn expand_multi_info(&self, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
        match self {
            Self::Sha256(k) => k.expand_multi_info(info, out),
            Self::Sm3(k) => k.expand_multi_info(info, out),
        }
        .map_err(|_| Error::Rejected)
    }
}

/// The sealing key of one purpose: an HKDF state keyed once with a
/// pseudorandom key derived from the parent key (the keyed HMAC is cached,
/// so a per-wrap derivation costs two HMAC blocks).
pub(crate) struct SealingKey {
    kdf: Kdf,
    kind: BlobKind,
    suite: CipherSuite,
    alg: u8,
    key_id: [u8; KEY_ID_LEN],
    key_version: u32,
}

/// Length of the per-wrap derivation buffer: at most a 32-byte AEAD key,
/// then 32 bytes of commitment (SM4 uses 16 + 32 of it).
const OKM_LEN: usize = 32 + COMMIT_LEN;

impl SealingKey {
    pub(crate) fn with_suite(
        prk: &[u8; 32],
        kind: BlobKind,
        suite: CipherSuite,
        key_id: [u8; KEY_ID_LEN],
        key_version: u32,
    ) -> Result<Self> {
        let alg = kind.alg(suite).ok_or(Error::Rejected)?;
        Ok(Self {
            kdf: Kdf::from_prk(suite, prk)?,
            kind,
            suite,
            alg,
            key_id,
            key_version,
        })
    }

    /// Per-wrap derivation: `HKDF-Expand(prk, label || blob[0..76], L)`
    /// with `L` = AEAD key length + 32, i.e. bound to the whole header up to
    /// and including the salt. Returns the buffer and `L`'s key part.
    fn derive(&self, header_to_salt: &[u8]) -> Result<(Zeroizing<[u8; OKM_LEN]>, usize)> {
        let mut okm = Zeroizing::new([0u8; OKM_LEN]);
        let klen = self.suite.key_len();
        self.kdf.expand_multi_info(
            &[self.kind.label(self.suite), header_to_salt],
            &mut okm[..klen + COMMIT_LEN],
        )?;
        Ok((okm, klen))
    }

    /// Encrypts `buf` in place with the suite's AEAD; returns the tag.
    fn encrypt(&self, key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8]) -> Result<Tag> {
        match self.suite {
            CipherSuite::Aes256Gcm => {
                let c = Aes256Gcm::new_from_slice(key).map_err(|_| Error::Rejected)?;
                let n = nonce.try_into().map_err(|_| Error::Rejected)?;
                c.encrypt_inout_detached(n, aad, buf.into())
            }
            CipherSuite::Sm4Gcm => {
                let c = Sm4Gcm::new_from_slice(key).map_err(|_| Error::Rejected)?;
                let n = nonce.try_into().map_err(|_| Error::Rejected)?;
                c.encrypt_inout_detached(n, aad, buf.into())
            }
        }
        .map_err(|_| Error::Rejected)
    }

    /// Decrypts `buf` in place with the suite's AEAD; whether the tag held.
    fn decrypt(&self, key: &[u8], nonce: &[u8], aad: &[u8], buf: &mut [u8], tag: &Tag) -> bool {
        match self.suite {
            CipherSuite::Aes256Gcm => {
                let (Ok(c), Ok(n)) = (Aes256Gcm::new_from_slice(key), nonce.try_into()) else {
                    return false;
                };
                c.decrypt_inout_detached(n, aad, buf.into(), tag).is_ok()
            }
            CipherSuite::Sm4Gcm => {
                let (Ok(c), Ok(n)) = (Sm4Gcm::new_from_slice(key), nonce.try_into()) else {
                    return false;
                };
                c.decrypt_inout_detached(n, aad, buf.into(), tag).is_ok()
            }
        }
    }

    /// Seals an `n`-byte plaintext. `fill` receives `blob[44..88+n]` (salt,
    /// nonce, then the plaintext area) and must fill all of it: salt and
    /// nonce from the CSPRNG, the plaintext from wherever it comes.
    pub(crate) fn seal<F>(&self, n: usize, ctx: &EncodedContext<'_>, fill: F) -> Result<Ciphertext>
    where
        F: FnOnce(&mut [u8]) -> Result<()>,
    {
        let (min, max) = self.kind.len_range();
        if n < min || n > max {
            return Err(Error::InvalidDekPlaintextLength { len: n });
        }
        let n16 = u16::try_from(n).map_err(|_| Error::InvalidDekPlaintextLength { len: n })?;
        // Zeroizing while the plaintext is in it; taken out once sealed.
        let mut out = Zeroizing::new(vec![0u8; OVERHEAD + n]);
        out[0] = VERSION_V1;
        out[1] = self.alg;
        out[OFF_LEN..OFF_KEY_ID].copy_from_slice(&n16.to_be_bytes());
        out[OFF_KEY_ID..OFF_KEY_VERSION].copy_from_slice(&self.key_id);
        out[OFF_KEY_VERSION..OFF_SALT].copy_from_slice(&self.key_version.to_be_bytes());
        let ct_end = HEADER_LEN + n;
        fill(&mut out[OFF_SALT..ct_end])?;

        let (okm, klen) = self.derive(&out[..OFF_NONCE])?;
        let mut aad_buf = [0u8; HEADER_LEN + MAX_CTX_LEN];
        let aad = ctx.aad(&out[..HEADER_LEN], &mut aad_buf);

        let (head, body) = out.split_at_mut(HEADER_LEN);
        let (pt, trailer) = body.split_at_mut(n);
        let tag = self.encrypt(&okm[..klen], &head[OFF_NONCE..HEADER_LEN], aad, pt)?;
        trailer[..TAG_LEN].copy_from_slice(&tag);
        trailer[TAG_LEN..].copy_from_slice(&okm[klen..klen + COMMIT_LEN]);
        let header = CiphertextHeader {
            kind: self.kind,
            suite: self.suite,
            plaintext_len: n,
            key_id: self.key_id,
            key_version: self.key_version,
        };
        Ok(Ciphertext::from_sealed(core::mem::take(&mut *out), header))
    }

    /// Opens a blob of this key's kind, key id and version under `ctx`.
    /// Every failure is [`Error::Rejected`].
    pub(crate) fn open(&self, blob: &[u8], ctx: &EncodedContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
        let header = parse_header(blob)?;
        if header.kind != self.kind
            || header.suite != self.suite
            || blob.get(1) != Some(&self.alg)
            || header.key_id != self.key_id
            || header.key_version != self.key_version
        {
            return Err(Error::Rejected);
        }
        let n = header.plaintext_len;
        let (okm, klen) = self.derive(blob.get(..OFF_NONCE).ok_or(Error::Rejected)?)?;
        let ct_end = HEADER_LEN + n;
        let (Some(head), Some(ct), Some(tag), Some(commit)) = (
            blob.get(..HEADER_LEN),
            blob.get(HEADER_LEN..ct_end),
            blob.get(ct_end..ct_end + TAG_LEN),
            blob.get(ct_end + TAG_LEN..),
        ) else {
            return Err(Error::Rejected);
        };
        // Both checks always run; only their conjunction is reported.
        let commit_ok = okm[klen..klen + COMMIT_LEN].ct_eq(commit);

        let mut aad_buf = [0u8; HEADER_LEN + MAX_CTX_LEN];
        let aad = ctx.aad(head, &mut aad_buf);
        let tag = Tag::try_from(tag).map_err(|_| Error::Rejected)?;
        let mut pt = Zeroizing::new(ct.to_vec());
        let gcm_ok = self.decrypt(
            &okm[..klen],
            &head[OFF_NONCE..HEADER_LEN],
            aad,
            pt.as_mut_slice(),
            &tag,
        );
        if bool::from(commit_ok & subtle::Choice::from(u8::from(gcm_ok))) {
            Ok(pt)
        } else {
            Err(Error::Rejected)
        }
    }
}

/// Bytes a v1 blob adds to its plaintext: 88-byte header, 16-byte tag,
/// 32-byte commitment.
pub const CIPHERTEXT_OVERHEAD: usize = OVERHEAD;

/// A v1 blob (a wrapped DEK, a sealed PIN or a sealed private key) whose structure has been
/// checked. Not secret: its wire form is [`Ciphertext::to_hex`].
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext {
    bytes: Vec<u8>,
    header: CiphertextHeader,
}

impl core::fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ciphertext")
            .field("header", &self.header)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Ciphertext {
    pub(crate) fn from_sealed(bytes: Vec<u8>, header: CiphertextHeader) -> Self {
        Self { bytes, header }
    }

    /// Checks the structure of a blob (see [`CiphertextHeader::parse`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] if it is not a well-formed v1 blob.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let header = parse_header(bytes)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            header,
        })
    }

    /// Decodes the wire form (hex, either case) and checks the structure.
    ///
    /// # Errors
    /// [`Error::InvalidHex`] if the text is not hex; [`Error::Rejected`] if
    /// the bytes are not a well-formed v1 blob.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = crate::hex::decode(text)?;
        Self::from_bytes(&bytes)
    }

    /// The header (kind, key id, key version, plaintext length).
    pub fn header(&self) -> &CiphertextHeader {
        &self.header
    }

    /// The blob's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The blob's bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The wire form: upper-case hex.
    pub fn to_hex(&self) -> String {
        crate::hex::encode_upper(&self.bytes)
    }
}

impl AsRef<[u8]> for Ciphertext {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}
