//! Data-encryption keys: lengths, context, the DEK itself and the master-key operations.

use core::fmt;

use rand_core::TryCryptoRng;
use sha2::{Digest, Sha256};
use sm3::Sm3;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{
    CipherSuite, Ciphertext, EncodedContext, HEADER_LEN, MAX_CTX_FIELD, MAX_DEK_BYTES,
    MIN_DEK_BYTES, NONCE_LEN, SALT_LEN, is_context_id,
};
use crate::keys::MasterKey;
use crate::rng;

/// Length of a SHA-256 (and of an SM3) digest, in bytes.
pub const DIGEST_LEN: usize = 32;

/// A DEK length: 8..=8192 bits, whole bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DekLength(u16);

impl DekLength {
    /// 128 bits (AES_128).
    pub const AES_128: Self = Self(16);
    /// 256 bits (AES_256, the default).
    pub const AES_256: Self = Self(32);
    /// 512 bits.
    pub const BITS_512: Self = Self(64);
    /// 8192 bits, the largest.
    pub const MAX: Self = Self(1024);

    /// From a length in bits (`datakey_length`).
    ///
    /// # Errors
    /// [`Error::DekLengthOutOfRange`] outside 8..=8192;
    /// [`Error::DekLengthNotByteAligned`] if not a multiple of 8.
    pub fn from_bits(bits: u64) -> Result<Self> {
        if !(8..=8192).contains(&bits) {
            return Err(Error::DekLengthOutOfRange { bits });
        }
        if bits % 8 != 0 {
            return Err(Error::DekLengthNotByteAligned { bits });
        }
        u16::try_from(bits / 8)
            .map(Self)
            .map_err(|_| Error::DekLengthOutOfRange { bits })
    }

    /// From a length in bytes (1..=1024).
    ///
    /// # Errors
    /// [`Error::DekLengthOutOfRange`] outside 1..=1024.
    pub fn from_bytes(bytes: usize) -> Result<Self> {
        match u16::try_from(bytes) {
            Ok(b) if (MIN_DEK_BYTES..=MAX_DEK_BYTES).contains(&bytes) => Ok(Self(b)),
            _ => Err(Error::DekLengthOutOfRange {
                bits: (bytes as u64).saturating_mul(8),
            }),
        }
    }

    /// Length in bits.
    pub fn bits(self) -> u32 {
        u32::from(self.0) * 8
    }

    /// Length in bytes.
    pub fn bytes(self) -> usize {
        usize::from(self.0)
    }
}

/// The caller context a DEK ciphertext is bound to: the project id and the
/// optional `additional_authenticated_data` (at most 128 bytes; absent and
/// empty are the same).
///
/// Encoded unambiguously as `u16 len || project id || u16 len || aad` and
/// authenticated together with the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DekContext<'a> {
    project_id: &'a str,
    aad: &'a [u8],
}

impl<'a> DekContext<'a> {
    /// Checks and builds a context.
    ///
    /// # Errors
    /// [`Error::InvalidProjectId`] unless the project id is 1..=128 printable
    /// ASCII bytes; [`Error::AadTooLong`] if `aad` exceeds 128 bytes.
    pub fn new(project_id: &'a str, aad: &'a [u8]) -> Result<Self> {
        let p = project_id.as_bytes();
        if !is_context_id(p) {
            return Err(Error::InvalidProjectId);
        }
        if aad.len() > MAX_CTX_FIELD {
            return Err(Error::AadTooLong { len: aad.len() });
        }
        Ok(Self { project_id, aad })
    }

    /// The project id.
    pub fn project_id(&self) -> &'a str {
        self.project_id
    }

    /// The additional authenticated data (empty when absent).
    pub fn aad(&self) -> &'a [u8] {
        self.aad
    }

    fn encode(&self) -> Result<EncodedContext<'a>> {
        EncodedContext::new(self.project_id.as_bytes(), self.aad)
    }
}

/// A plaintext data-encryption key, 1..=1024 bytes. Zeroized on drop, not
/// `Clone`, `Debug` shows only its length.
pub struct Dek(Zeroizing<Vec<u8>>);

impl fmt::Debug for Dek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dek({} bits, redacted)", self.0.len() * 8)
    }
}

impl Dek {
    /// A caller's DEK (raw bytes).
    ///
    /// # Errors
    /// [`Error::InvalidDekPlaintextLength`] unless 1..=1024 bytes.
    pub fn from_bytes(dek: &[u8]) -> Result<Self> {
        if !(MIN_DEK_BYTES..=MAX_DEK_BYTES).contains(&dek.len()) {
            return Err(Error::InvalidDekPlaintextLength { len: dek.len() });
        }
        Ok(Self(Zeroizing::new(dek.to_vec())))
    }

    /// The encrypt-datakey input: the DEK followed by its SHA-256 digest.
    /// The digest is checked (in constant time).
    ///
    /// # Errors
    /// [`Error::InvalidDekPlaintextLength`] unless the DEK part is 1..=1024
    /// bytes; [`Error::DigestMismatch`] if the digest is not the DEK's.
    pub fn from_bytes_with_digest(dek_and_digest: &[u8]) -> Result<Self> {
        Self::from_bytes_with_suite_digest(CipherSuite::Aes256Gcm, dek_and_digest)
    }

    /// The encrypt-datakey input of a master key of `suite`: the DEK
    /// followed by its SHA-256 digest (AES) or its SM3 digest (SM4, as
    /// Huawei's encryption SDK sends `DEK || SM3(DEK)` for SM4 keys). The
    /// digest is checked (in constant time).
    ///
    /// # Errors
    /// As [`Dek::from_bytes_with_digest`].
    pub fn from_bytes_with_suite_digest(suite: CipherSuite, dek_and_digest: &[u8]) -> Result<Self> {
        let len = dek_and_digest.len();
        let dek_len = len
            .checked_sub(DIGEST_LEN)
            .ok_or(Error::InvalidDekPlaintextLength { len })?;
        let (dek, digest) = dek_and_digest.split_at(dek_len);
        if !(MIN_DEK_BYTES..=MAX_DEK_BYTES).contains(&dek_len) {
            return Err(Error::InvalidDekPlaintextLength { len: dek_len });
        }
        if !bool::from(suite_digest(suite, dek).ct_eq(digest)) {
            return Err(Error::DigestMismatch);
        }
        Self::from_bytes(dek)
    }

    /// The DEK's bytes (what create-datakey returns as `plain_text` and
    /// decrypt-datakey as `data_key`).
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Upper-case hex of the DEK, zeroized on drop.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(base16ct::upper::encode_string(&self.0))
    }

    /// SHA-256 of the DEK (`datakey_dgst`).
    pub fn sha256(&self) -> [u8; DIGEST_LEN] {
        Sha256::digest(&self.0[..]).into()
    }

    /// SM3 of the DEK (`datakey_dgst` under an SM4 master key).
    pub fn sm3(&self) -> [u8; DIGEST_LEN] {
        Sm3::digest(&self.0[..]).into()
    }

    /// The DEK's digest under a master key of `suite`: SHA-256 (AES) or
    /// SM3 (SM4).
    pub fn digest_for(&self, suite: CipherSuite) -> [u8; DIGEST_LEN] {
        suite_digest(suite, &self.0)
    }

    /// The DEK length.
    pub fn length(&self) -> DekLength {
        // Every constructor checks 1..=1024 bytes.
        DekLength(u16::try_from(self.0.len()).unwrap_or(0))
    }
}

/// SHA-256 or SM3 of `data`, by suite.
fn suite_digest(suite: CipherSuite, data: &[u8]) -> [u8; DIGEST_LEN] {
    match suite {
        CipherSuite::Aes256Gcm => Sha256::digest(data).into(),
        CipherSuite::Sm4Gcm => Sm3::digest(data).into(),
    }
}

impl MasterKey {
    /// create-datakey-without-plaintext: draws a DEK and returns only its
    /// ciphertext. Salt, nonce and DEK are drawn in one CSPRNG call straight
    /// into the output buffer, and the DEK is encrypted in place, so the
    /// plaintext exists only inside the (zeroized-on-error) output buffer.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate_dek<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        length: DekLength,
        ctx: &DekContext<'_>,
    ) -> Result<Ciphertext> {
        let ctx = ctx.encode()?;
        self.dek_seal
            .seal(length.bytes(), &ctx, |area| rng::fill(rng, area))
    }

    /// create-datakey: draws a DEK and returns it with its ciphertext.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate_dek_with_plaintext<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        length: DekLength,
        ctx: &DekContext<'_>,
    ) -> Result<(Dek, Ciphertext)> {
        let ctx = ctx.encode()?;
        let mut plain = Zeroizing::new(vec![0u8; length.bytes()]);
        let ct = self.dek_seal.seal(length.bytes(), &ctx, |area| {
            rng::fill(rng, area)?;
            plain.copy_from_slice(&area[SALT_LEN + NONCE_LEN..]);
            Ok(())
        })?;
        Ok((Dek(plain), ct))
    }

    /// encrypt-datakey: wraps a caller's DEK (see [`Dek::from_bytes_with_digest`]).
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn wrap_dek<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        dek: &Dek,
        ctx: &DekContext<'_>,
    ) -> Result<Ciphertext> {
        let ctx = ctx.encode()?;
        self.dek_seal.seal(dek.0.len(), &ctx, |area| {
            let (salt_nonce, pt) = area.split_at_mut(SALT_LEN + NONCE_LEN);
            rng::fill(rng, salt_nonce)?;
            pt.copy_from_slice(&dek.0);
            Ok(())
        })
    }

    /// Wraps a DEK under caller-chosen salt and nonce. Hazardous: reusing a
    /// (salt, nonce) pair under one master key breaks confidentiality. For
    /// known-answer tests only.
    ///
    /// # Errors
    /// As [`MasterKey::wrap_dek`].
    #[cfg(feature = "hazmat")]
    pub fn wrap_dek_with_salt_and_nonce(
        &self,
        salt: &[u8; SALT_LEN],
        nonce: &[u8; NONCE_LEN],
        dek: &Dek,
        ctx: &DekContext<'_>,
    ) -> Result<Ciphertext> {
        let ctx = ctx.encode()?;
        self.dek_seal.seal(dek.0.len(), &ctx, |area| {
            area[..SALT_LEN].copy_from_slice(salt);
            area[SALT_LEN..SALT_LEN + NONCE_LEN].copy_from_slice(nonce);
            area[SALT_LEN + NONCE_LEN..].copy_from_slice(&dek.0);
            Ok(())
        })
    }

    /// decrypt-datakey: unwraps a DEK blob made under this master key
    /// version and the same context.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure: malformed, truncated or
    /// extended blob, PIN blob, other key id or version, wrong master key,
    /// wrong project or AAD, bad tag, bad commitment.
    pub fn unwrap_dek(&self, blob: &[u8], ctx: &DekContext<'_>) -> Result<Dek> {
        let ctx = ctx.encode().map_err(|_| Error::Rejected)?;
        self.dek_seal.open(blob, &ctx).map(Dek)
    }
}

// Silences "unused" for HEADER_LEN when hazmat is off; it documents where the
// plaintext area starts relative to the salt.
const _: () = assert!(HEADER_LEN == crate::format::OFF_SALT + SALT_LEN + NONCE_LEN);
