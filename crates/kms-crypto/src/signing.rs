//! Asymmetric CMKs: RSA (2048/3072/4096) and ECDSA (P-256, P-384) key pairs
//! that sign and verify, with every primitive from RustCrypto (`rsa`,
//! `p256`, `p384`, `sha2`).
//!
//! * RSASSA-PSS uses MGF1 with the message hash and a salt as long as the
//!   hash; verification accepts any salt length (what other signers use).
//! * RSASSA-PKCS1-v1_5 uses the DigestInfo prefix of the hash.
//! * RSA private-key operations are blinded with the caller's CSPRNG.
//! * ECDSA signatures are deterministic (RFC 6979) and DER-encoded
//!   (`SEQUENCE { r, s }`), as X.509, OpenSSL and Python's `cryptography` use.
//!
//! A message is either a digest of the algorithm's hash (exactly the hash's
//! length) or the raw message (1..=4096 bytes), hashed here.

use core::fmt;

use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::TryCryptoRng;
use rsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, Pss};
use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The largest raw message signed or verified, in bytes.
pub const MAX_SIGNED_MESSAGE_BYTES: usize = 4096;

/// The largest signature accepted for verification, in bytes (an RSA-4096
/// signature is 512 bytes; a DER ECDSA P-384 signature at most 104).
pub const MAX_SIGNATURE_BYTES: usize = 512;

/// An asymmetric CMK's key spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningKeySpec {
    /// RSA, 2048-bit modulus, public exponent 65537.
    Rsa2048,
    /// RSA, 3072-bit modulus, public exponent 65537.
    Rsa3072,
    /// RSA, 4096-bit modulus, public exponent 65537.
    Rsa4096,
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
}

impl SigningKeySpec {
    /// Every spec.
    pub const ALL: [Self; 5] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP384,
    ];

    /// Huawei's `key_spec` name (`RSA_2048`, `EC_P256`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EcP256 => "EC_P256",
            Self::EcP384 => "EC_P384",
        }
    }

    /// The spec of a `key_spec` name, if it is one of these.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    const fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcP256 | Self::EcP384 => None,
        }
    }
}

/// The hash a signing algorithm applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// Digest length, in bytes.
    #[must_use]
    pub const fn len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Never: every digest has a length. (For clippy's `len_without_is_empty`.)
    #[must_use]
    pub const fn is_empty(self) -> bool {
        false
    }

    fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(msg).to_vec(),
            Self::Sha384 => Sha384::digest(msg).to_vec(),
            Self::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// A signing algorithm (Huawei's `signing_algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PSS (RFC 8017 §8.1).
    RsaPss(HashAlg),
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1v15(HashAlg),
    /// ECDSA (FIPS 186-5), DER signature.
    Ecdsa(HashAlg),
}

impl SigningAlgorithm {
    /// Every algorithm.
    pub const ALL: [Self; 9] = [
        Self::RsaPss(HashAlg::Sha256),
        Self::RsaPss(HashAlg::Sha384),
        Self::RsaPss(HashAlg::Sha512),
        Self::RsaPkcs1v15(HashAlg::Sha256),
        Self::RsaPkcs1v15(HashAlg::Sha384),
        Self::RsaPkcs1v15(HashAlg::Sha512),
        Self::Ecdsa(HashAlg::Sha256),
        Self::Ecdsa(HashAlg::Sha384),
        Self::Ecdsa(HashAlg::Sha512),
    ];

    /// Huawei's name (`RSASSA_PSS_SHA_256`, `ECDSA_SHA_384`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        use HashAlg::{Sha256, Sha384, Sha512};
        match self {
            Self::RsaPss(Sha256) => "RSASSA_PSS_SHA_256",
            Self::RsaPss(Sha384) => "RSASSA_PSS_SHA_384",
            Self::RsaPss(Sha512) => "RSASSA_PSS_SHA_512",
            Self::RsaPkcs1v15(Sha256) => "RSASSA_PKCS1_V1_5_SHA_256",
            Self::RsaPkcs1v15(Sha384) => "RSASSA_PKCS1_V1_5_SHA_384",
            Self::RsaPkcs1v15(Sha512) => "RSASSA_PKCS1_V1_5_SHA_512",
            Self::Ecdsa(Sha256) => "ECDSA_SHA_256",
            Self::Ecdsa(Sha384) => "ECDSA_SHA_384",
            Self::Ecdsa(Sha512) => "ECDSA_SHA_512",
        }
    }

    /// The algorithm of a `signing_algorithm` name, if it is one of these.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The hash the algorithm applies.
    #[must_use]
    pub const fn hash(self) -> HashAlg {
        match self {
            Self::RsaPss(h) | Self::RsaPkcs1v15(h) | Self::Ecdsa(h) => h,
        }
    }

    /// Whether a key of `spec` signs with this algorithm: any RSA padding
    /// and hash with an RSA key; ECDSA with SHA-256 on P-256 and SHA-384 on
    /// P-384 (the curve's own strength, as AWS and Huawei KMS pair them).
    #[must_use]
    pub const fn fits(self, spec: SigningKeySpec) -> bool {
        match (self, spec) {
            (
                Self::RsaPss(_) | Self::RsaPkcs1v15(_),
                SigningKeySpec::Rsa2048 | SigningKeySpec::Rsa3072 | SigningKeySpec::Rsa4096,
            ) => true,
            (Self::Ecdsa(HashAlg::Sha256), SigningKeySpec::EcP256)
            | (Self::Ecdsa(HashAlg::Sha384), SigningKeySpec::EcP384) => true,
            _ => false,
        }
    }
}

/// What is signed: a digest computed by the caller, or the message itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A digest of the algorithm's hash (`message_type` `DIGEST`).
    Digest(&'a [u8]),
    /// The raw message, 1..=4096 bytes (`message_type` `RAW`).
    Raw(&'a [u8]),
}

impl Message<'_> {
    /// The digest to sign: checked for length, or computed from the message.
    fn digest(self, hash: HashAlg) -> Result<Vec<u8>> {
        match self {
            Self::Digest(d) if d.len() == hash.len() => Ok(d.to_vec()),
            Self::Digest(d) => Err(Error::InvalidDigestLength {
                expected: hash.len(),
                len: d.len(),
            }),
            Self::Raw(m) if !m.is_empty() && m.len() <= MAX_SIGNED_MESSAGE_BYTES => {
                Ok(hash.digest(m))
            }
            Self::Raw(m) => Err(Error::InvalidMessageLength { len: m.len() }),
        }
    }
}

enum Secret {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// An asymmetric CMK's private key. Zeroized on drop (by the RustCrypto
/// types it holds); `Debug` shows the spec only; not `Clone`.
pub struct SigningKey {
    spec: SigningKeySpec,
    secret: Secret,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, redacted)", self.spec.name())
    }
}

impl SigningKey {
    /// Generates a key pair from the caller's CSPRNG.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails.
    pub fn generate<R: TryCryptoRng + ?Sized>(spec: SigningKeySpec, rng: &mut R) -> Result<Self> {
        let secret = match spec.rsa_bits() {
            Some(bits) => Secret::Rsa(Box::new(
                RsaPrivateKey::new(rng, bits).map_err(|_| Error::Entropy)?,
            )),
            None if spec == SigningKeySpec::EcP256 => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                Secret::P256(loop {
                    crate::rng::fill(rng, &mut bytes[..])?;
                    // Out of range (probability ~2^-32): draw again.
                    if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes[..]) {
                        break k;
                    }
                })
            }
            None => {
                let mut bytes = Zeroizing::new([0u8; 48]);
                Secret::P384(loop {
                    crate::rng::fill(rng, &mut bytes[..])?;
                    if let Ok(k) = p384::ecdsa::SigningKey::from_slice(&bytes[..]) {
                        break k;
                    }
                })
            }
        };
        Ok(Self { spec, secret })
    }

    /// Loads a PKCS#8 (DER) private key that must be of `spec`.
    ///
    /// # Errors
    /// [`Error::Rejected`] if it is not a PKCS#8 key of that spec.
    pub fn from_pkcs8_der(spec: SigningKeySpec, der: &[u8]) -> Result<Self> {
        let secret = match spec {
            SigningKeySpec::EcP256 => Secret::P256(
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| Error::Rejected)?,
            ),
            SigningKeySpec::EcP384 => Secret::P384(
                p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| Error::Rejected)?,
            ),
            _ => {
                let key = RsaPrivateKey::from_pkcs8_der(der).map_err(|_| Error::Rejected)?;
                if Some(key.n().bit_width() as usize) != spec.rsa_bits() {
                    return Err(Error::Rejected);
                }
                Secret::Rsa(Box::new(key))
            }
        };
        Ok(Self { spec, secret })
    }

    /// The private key as PKCS#8 DER.
    ///
    /// # Errors
    /// [`Error::Rejected`] if encoding fails (it does not for these keys).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        let doc = match &self.secret {
            Secret::Rsa(k) => k.to_pkcs8_der(),
            Secret::P256(k) => k.to_pkcs8_der(),
            Secret::P384(k) => k.to_pkcs8_der(),
        }
        .map_err(|_| Error::Rejected)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The key spec.
    #[must_use]
    pub const fn spec(&self) -> SigningKeySpec {
        self.spec
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let key = match &self.secret {
            Secret::Rsa(k) => Public::Rsa(Box::new(k.to_public_key())),
            Secret::P256(k) => Public::P256(*k.verifying_key()),
            Secret::P384(k) => Public::P384(*k.verifying_key()),
        };
        PublicKey {
            spec: self.spec,
            key,
        }
    }

    /// Signs `message` with `alg`.
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] if `alg` does not fit the key spec;
    /// [`Error::InvalidDigestLength`] / [`Error::InvalidMessageLength`];
    /// [`Error::Entropy`] if the generator fails (RSA blinding, PSS salt).
    pub fn sign<R: TryCryptoRng + ?Sized>(
        &self,
        alg: SigningAlgorithm,
        message: Message<'_>,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        if !alg.fits(self.spec) {
            return Err(Error::AlgorithmMismatch);
        }
        let digest = message.digest(alg.hash())?;
        match (&self.secret, alg) {
            (Secret::Rsa(k), SigningAlgorithm::RsaPss(h)) => match h {
                HashAlg::Sha256 => k.sign_with_rng(rng, Pss::<Sha256>::new(), &digest),
                HashAlg::Sha384 => k.sign_with_rng(rng, Pss::<Sha384>::new(), &digest),
                HashAlg::Sha512 => k.sign_with_rng(rng, Pss::<Sha512>::new(), &digest),
            }
            .map_err(|_| Error::Entropy),
            (Secret::Rsa(k), SigningAlgorithm::RsaPkcs1v15(h)) => k
                .sign_with_rng(rng, pkcs1v15_scheme(h), &digest)
                .map_err(|_| Error::Entropy),
            (Secret::P256(k), SigningAlgorithm::Ecdsa(_)) => {
                let sig: p256::ecdsa::Signature =
                    k.sign_prehash(&digest).map_err(|_| Error::Rejected)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            (Secret::P384(k), SigningAlgorithm::Ecdsa(_)) => {
                let sig: p384::ecdsa::Signature =
                    k.sign_prehash(&digest).map_err(|_| Error::Rejected)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            _ => Err(Error::AlgorithmMismatch),
        }
    }
}

fn pkcs1v15_scheme(h: HashAlg) -> Pkcs1v15Sign {
    match h {
        HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        HashAlg::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        HashAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
    }
}

#[derive(Clone)]
enum Public {
    Rsa(Box<RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// An asymmetric CMK's public key.
#[derive(Clone)]
pub struct PublicKey {
    spec: SigningKeySpec,
    key: Public,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.spec.name())
    }
}

impl PublicKey {
    /// The key spec.
    #[must_use]
    pub const fn spec(&self) -> SigningKeySpec {
        self.spec
    }

    /// The key as a PEM `PUBLIC KEY` (X.509 SubjectPublicKeyInfo), LF line
    /// endings.
    ///
    /// # Errors
    /// [`Error::Rejected`] if encoding fails (it does not for these keys).
    pub fn to_pem(&self) -> Result<String> {
        match &self.key {
            Public::Rsa(k) => k.to_public_key_pem(LineEnding::LF),
            Public::P256(k) => k.to_public_key_pem(LineEnding::LF),
            Public::P384(k) => k.to_public_key_pem(LineEnding::LF),
        }
        .map_err(|_| Error::Rejected)
    }

    /// The key as DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`Error::Rejected`] if encoding fails (it does not for these keys).
    pub fn to_der(&self) -> Result<Vec<u8>> {
        match &self.key {
            Public::Rsa(k) => k.to_public_key_der(),
            Public::P256(k) => k.to_public_key_der(),
            Public::P384(k) => k.to_public_key_der(),
        }
        .map(|d| d.into_vec())
        .map_err(|_| Error::Rejected)
    }

    /// Whether `signature` is a valid signature of `message` under `alg`.
    /// A malformed signature is `Ok(false)`, as is any signature over
    /// [`MAX_SIGNATURE_BYTES`].
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] if `alg` does not fit the key spec;
    /// [`Error::InvalidDigestLength`] / [`Error::InvalidMessageLength`].
    pub fn verify(
        &self,
        alg: SigningAlgorithm,
        message: Message<'_>,
        signature: &[u8],
    ) -> Result<bool> {
        if !alg.fits(self.spec) {
            return Err(Error::AlgorithmMismatch);
        }
        let digest = message.digest(alg.hash())?;
        if signature.is_empty() || signature.len() > MAX_SIGNATURE_BYTES {
            return Ok(false);
        }
        let ok = match (&self.key, alg) {
            (Public::Rsa(k), SigningAlgorithm::RsaPss(h)) => verify_pss(k, h, &digest, signature),
            (Public::Rsa(k), SigningAlgorithm::RsaPkcs1v15(h)) => {
                k.verify(pkcs1v15_scheme(h), &digest, signature).is_ok()
            }
            (Public::P256(k), SigningAlgorithm::Ecdsa(_)) => {
                p256::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok())
            }
            (Public::P384(k), SigningAlgorithm::Ecdsa(_)) => {
                p384::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok())
            }
            _ => return Err(Error::AlgorithmMismatch),
        };
        Ok(ok)
    }
}

/// PSS verification with the salt length read from the signature (what a
/// signer using the maximum salt, as OpenSSL may, produces too).
fn verify_pss(key: &RsaPublicKey, h: HashAlg, digest: &[u8], signature: &[u8]) -> bool {
    fn run<D>(key: &RsaPublicKey, digest: &[u8], signature: &[u8]) -> bool
    where
        D: Digest + sha2::digest::FixedOutputReset,
    {
        let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
            return false;
        };
        rsa::pss::VerifyingKey::<D>::new_with_auto_salt_len(key.clone())
            .verify_prehash(digest, &sig)
            .is_ok()
    }
    match h {
        HashAlg::Sha256 => run::<Sha256>(key, digest, signature),
        HashAlg::Sha384 => run::<Sha384>(key, digest, signature),
        HashAlg::Sha512 => run::<Sha512>(key, digest, signature),
    }
}
