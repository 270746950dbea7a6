//! Ciphertext format v1: layout, header parsing, context encoding, and the
//! seal/open engine shared by DEK and PIN blobs.
//!
//! Layout (all integers big-endian), see `docs/ciphertext-format.md`:
//!
//! | offset    | size | field                                        |
//! |-----------|------|----------------------------------------------|
//! | 0         | 1    | format version, `0x01`                       |
//! | 1         | 1    | algorithm / purpose id (`0x01` DEK, `0x03` PIN, `0x04` private key, `0x05` data, `0x06` CMK signing key; `0x02` retired) |
//! | 2         | 2    | plaintext length `n` in bytes                |
//! | 4         | 36   | key id (ASCII; all zero in root-key blobs)   |
//! | 40        | 4    | key version (zero in root-key blobs)         |
//! | 44        | 32   | salt                                         |
//! | 76        | 12   | nonce                                        |
//! | 88        | n    | ciphertext                                   |
//! | 88+n      | 16   | GCM tag                                      |
//! | 104+n     | 32   | key commitment                               |

use aes_gcm::aead::Nonce;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Tag};
use hkdf::Hkdf;
use sha2::Sha256;
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
    pub(crate) const fn alg(self) -> u8 {
        match self {
            BlobKind::DataKey => ALG_DEK,
            BlobKind::Pin => ALG_PIN,
            BlobKind::PrivateKey => ALG_PRIVATE_KEY,
            BlobKind::Data => ALG_DATA,
            BlobKind::SigningKey => ALG_SIGNING_KEY,
        }
    }

    const fn label(self) -> &'static [u8] {
        match self {
            BlobKind::DataKey => LABEL_DEK,
            BlobKind::Pin => LABEL_PIN,
            BlobKind::PrivateKey => LABEL_PRIVATE_KEY,
            BlobKind::Data => LABEL_DATA,
            BlobKind::SigningKey => LABEL_SIGNING_KEY,
        }
    }

    /// Allowed plaintext lengths, in bytes.
    const fn len_range(self) -> (usize, usize) {
        match self {
            BlobKind::DataKey => (crate::dek::MIN_DEK_BYTES, crate::dek::MAX_DEK_BYTES),
            BlobKind::Pin => (crate::pin::PIN_LEN, crate::pin::PIN_LEN),
            BlobKind::PrivateKey => (1, crate::sealed::MAX_PRIVATE_KEY_BYTES),
            BlobKind::Data => (1, crate::data::MAX_DATA_BYTES),
            BlobKind::SigningKey => (1, crate::sealed::MAX_PRIVATE_KEY_BYTES),
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
    plaintext_len: usize,
    key_id: [u8; KEY_ID_LEN],
    key_version: u32,
}

impl core::fmt::Debug for CiphertextHeader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CiphertextHeader")
            .field("kind", &self.kind)
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
    let kind = match *blob.get(1)? {
        ALG_DEK => BlobKind::DataKey,
        ALG_PIN => BlobKind::Pin,
        ALG_PRIVATE_KEY => BlobKind::PrivateKey,
        ALG_DATA => BlobKind::Data,
        ALG_SIGNING_KEY => BlobKind::SigningKey,
        ALG_PIN_RETIRED => return None,
        _ => return None,
    };
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

/// The sealing key of one purpose: an HKDF-SHA256 state keyed once with a
/// pseudorandom key derived from the parent key (the keyed HMAC is cached,
/// so a per-wrap derivation costs two HMAC blocks).
pub(crate) struct SealingKey {
    kdf: Hkdf<Sha256>,
    kind: BlobKind,
    key_id: [u8; KEY_ID_LEN],
    key_version: u32,
}

/// Length of the per-wrap derivation: 32 bytes AES-256-GCM key, 32 bytes commitment.
const OKM_LEN: usize = 32 + COMMIT_LEN;

impl SealingKey {
    pub(crate) fn new(
        prk: &[u8; 32],
        kind: BlobKind,
        key_id: [u8; KEY_ID_LEN],
        key_version: u32,
    ) -> Result<Self> {
        let kdf = Hkdf::<Sha256>::from_prk(prk).map_err(|_| Error::InvalidKeyLength {
            expected: 32,
            actual: prk.len(),
        })?;
        Ok(Self {
            kdf,
            kind,
            key_id,
            key_version,
        })
    }

    /// Per-wrap derivation: `HKDF-Expand(prk, label || blob[0..76], 64)`, i.e.
    /// bound to the whole header up to and including the salt.
    fn derive(&self, header_to_salt: &[u8]) -> Result<Zeroizing<[u8; OKM_LEN]>> {
        let mut okm = Zeroizing::new([0u8; OKM_LEN]);
        self.kdf
            .expand_multi_info(&[self.kind.label(), header_to_salt], &mut okm[..])
            .map_err(|_| Error::Rejected)?;
        Ok(okm)
    }

    /// Seals an `n`-byte plaintext. `fill` receives `blob[44..88+n]` (salt,
    /// nonce, then the plaintext area) and must fill all of it: salt and
    /// nonce from the CSPRNG, the plaintext from wherever it comes.
    pub(crate) fn seal<F>(
        &self,
        n: usize,
        ctx: &EncodedContext<'_>,
        fill: F,
    ) -> Result<crate::Ciphertext>
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
        out[1] = self.kind.alg();
        out[OFF_LEN..OFF_KEY_ID].copy_from_slice(&n16.to_be_bytes());
        out[OFF_KEY_ID..OFF_KEY_VERSION].copy_from_slice(&self.key_id);
        out[OFF_KEY_VERSION..OFF_SALT].copy_from_slice(&self.key_version.to_be_bytes());
        let ct_end = HEADER_LEN + n;
        fill(&mut out[OFF_SALT..ct_end])?;

        let okm = self.derive(&out[..OFF_NONCE])?;
        let cipher = Aes256Gcm::new_from_slice(&okm[..32]).map_err(|_| Error::Rejected)?;
        let mut aad_buf = [0u8; HEADER_LEN + MAX_CTX_LEN];
        let aad = ctx.aad(&out[..HEADER_LEN], &mut aad_buf);

        let (head, body) = out.split_at_mut(HEADER_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(&head[OFF_NONCE..HEADER_LEN])
            .map_err(|_| Error::Rejected)?;
        let (pt, trailer) = body.split_at_mut(n);
        let tag = cipher
            .encrypt_inout_detached(&nonce, aad, pt.into())
            .map_err(|_| Error::Rejected)?;
        trailer[..TAG_LEN].copy_from_slice(&tag);
        trailer[TAG_LEN..].copy_from_slice(&okm[32..]);
        let header = CiphertextHeader {
            kind: self.kind,
            plaintext_len: n,
            key_id: self.key_id,
            key_version: self.key_version,
        };
        Ok(crate::Ciphertext::from_sealed(
            core::mem::take(&mut *out),
            header,
        ))
    }

    /// Opens a blob of this key's kind, key id and version under `ctx`.
    /// Every failure is [`Error::Rejected`].
    pub(crate) fn open(&self, blob: &[u8], ctx: &EncodedContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
        let header = parse_header(blob)?;
        if header.kind != self.kind
            || header.key_id != self.key_id
            || header.key_version != self.key_version
        {
            return Err(Error::Rejected);
        }
        let n = header.plaintext_len;
        let okm = self.derive(blob.get(..OFF_NONCE).ok_or(Error::Rejected)?)?;
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
        let commit_ok = okm[32..].ct_eq(commit);

        let cipher = Aes256Gcm::new_from_slice(&okm[..32]).map_err(|_| Error::Rejected)?;
        let mut aad_buf = [0u8; HEADER_LEN + MAX_CTX_LEN];
        let aad = ctx.aad(head, &mut aad_buf);
        let nonce = Nonce::<Aes256Gcm>::try_from(&head[OFF_NONCE..HEADER_LEN])
            .map_err(|_| Error::Rejected)?;
        let tag = Tag::try_from(tag).map_err(|_| Error::Rejected)?;
        let mut pt = Zeroizing::new(ct.to_vec());
        let gcm_ok = cipher
            .decrypt_inout_detached(&nonce, aad, pt.as_mut_slice().into(), &tag)
            .is_ok();
        if bool::from(commit_ok & subtle::Choice::from(u8::from(gcm_ok))) {
            Ok(pt)
        } else {
            Err(Error::Rejected)
        }
    }
}
