//! Asymmetric CMKs: RSA (2048/3072/4096), ECDSA (P-256, P-384) and SM2 key
//! pairs that sign and verify (and, for SM2, encrypt and decrypt).
//!
//! RSA and ECDSA signing and verification run on AWS-LC (`aws-lc-rs`, its
//! constant-time assembly; docs/architecture.md says why); key generation,
//! key encodings (PKCS#8, SubjectPublicKeyInfo), hashing of raw messages,
//! the verifications AWS-LC has no equivalent for (PSS with any salt
//! length) and all of SM2 are RustCrypto (`rsa`, `p256`, `p384`, `sha2`,
//! `sm2`, `sm3`). A private key keeps the PKCS#8 DER it was made from, so
//! what is sealed is the same bytes RustCrypto encoded.
//!
//! * RSASSA-PSS uses MGF1 with the message hash and a salt as long as the
//!   hash; verification accepts any salt length (what other signers use).
//! * RSASSA-PKCS1-v1_5 uses the DigestInfo prefix of the hash.
//! * RSA private-key operations are blinded, and PSS salts and ECDSA nonces
//!   drawn, by AWS-LC from its own DRBG (seeded from the operating system);
//!   the caller's CSPRNG generates keys and drives SM2.
//! * ECDSA signatures are DER-encoded (`SEQUENCE { r, s }`), as X.509,
//!   OpenSSL and Python's `cryptography` use; nonces are random, hedged
//!   with the private key and digest (AWS-LC), so two signatures of one
//!   digest differ.
//! * Verification answers exactly what RustCrypto answers: AWS-LC's
//!   acceptance is taken as is (a valid signature is valid to both), and
//!   a signature AWS-LC rejects is checked again by RustCrypto (PSS salts
//!   of other lengths), so only invalid signatures pay twice. ECDSA
//!   signatures must first parse as strict DER (RustCrypto).
//!
//! * SM2 (GB/T 32918.2, GM/T 0003.2) signs `e = SM3(Z_A || M)` with the
//!   distinguishing identifier [`SM2_DEFAULT_ID`]; signatures are DER
//!   (`SEQUENCE { r, s }`, GM/T 0009). Nonces are RFC 6979-style with
//!   added randomness from the caller's CSPRNG.
//! * SM2 encryption (GB/T 32918.4) is C1C3C2 with SM3, DER-encoded as
//!   GM/T 0009's `SM2Cipher`; decryption also takes the raw
//!   `04 || x || y || C3 || C2` byte string.
//!
//! A message is either a digest of the algorithm's hash (exactly the hash's
//! length; for SM2, `e = SM3(Z_A || M)`, which Huawei's API documentation
//! calls the digest) or the raw message (1..=4096 bytes), hashed here.

use core::fmt;

use std::sync::Arc;

use aws_lc_rs::digest as lc_digest;
use aws_lc_rs::signature::{
    self as lc_sig, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _, ParsedPublicKey,
    VerificationAlgorithm,
};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::TryCryptoRng;
use rsa::Pkcs1v15Sign;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::signature::hazmat::PrehashVerifier;
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use sm2::pke::Mode;

/// A sized handle on a possibly unsized generator (the sm2 crate's
/// encryption takes a sized one).
struct RngRef<'a, R: ?Sized>(&'a mut R);

impl<R: TryCryptoRng + ?Sized> rand_core::TryRng for RngRef<'_, R> {
    type Error = R::Error;
    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        self.0.try_next_u32()
    }
    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        self.0.try_next_u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        self.0.try_fill_bytes(dst)
    }
}

impl<R: TryCryptoRng + ?Sized> TryCryptoRng for RngRef<'_, R> {}

/// The largest raw message signed or verified, in bytes.
pub const MAX_SIGNED_MESSAGE_BYTES: usize = 4096;

/// The SM2 distinguishing identifier hashed into `Z_A`: the default user ID
/// of GB/T 35276-2017 (and GM/T 0009-2012), `"1234567812345678"`.
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// The largest SM2 plaintext encrypted or decrypted, in bytes (what
/// encrypt-data takes).
pub const MAX_SM2_PLAINTEXT_BYTES: usize = 4096;

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
    /// SM2 on the curve of GB/T 32918.5 (OID 1.2.156.10197.1.301): signs
    /// with SM2DSA_SM3 and encrypts with SM2_ENCRYPT.
    Sm2,
}

impl SigningKeySpec {
    /// Every spec.
    pub const ALL: [Self; 6] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EcP256,
        Self::EcP384,
        Self::Sm2,
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
            Self::Sm2 => "SM2",
        }
    }

    /// The spec of a `key_spec` name, if it is one of these.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The largest RSAES-OAEP-SHA-256 plaintext of an RSA key of this
    /// spec, `k - 2*hLen - 2` bytes (RFC 8017 7.1.1): 190, 318 and 446
    /// bytes for RSA_2048, RSA_3072 and RSA_4096; `None` for other specs.
    #[must_use]
    pub const fn rsa_oaep_sha256_max_plaintext(self) -> Option<usize> {
        match self.rsa_bits() {
            Some(bits) => Some(bits / 8 - 2 * 32 - 2),
            None => None,
        }
    }

    const fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            Self::EcP256 | Self::EcP384 | Self::Sm2 => None,
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
    /// SM3 (GB/T 32905, GM/T 0004).
    Sm3,
}

impl HashAlg {
    /// Digest length, in bytes.
    #[must_use]
    pub const fn len(self) -> usize {
        match self {
            Self::Sha256 | Self::Sm3 => 32,
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
            Self::Sm3 => sm3::Sm3::digest(msg).to_vec(),
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
    /// SM2 with SM3 (`SM2DSA_SM3`, GB/T 32918.2), DER signature.
    Sm2Dsa,
}

impl SigningAlgorithm {
    /// Every algorithm.
    pub const ALL: [Self; 10] = [
        Self::RsaPss(HashAlg::Sha256),
        Self::RsaPss(HashAlg::Sha384),
        Self::RsaPss(HashAlg::Sha512),
        Self::RsaPkcs1v15(HashAlg::Sha256),
        Self::RsaPkcs1v15(HashAlg::Sha384),
        Self::RsaPkcs1v15(HashAlg::Sha512),
        Self::Ecdsa(HashAlg::Sha256),
        Self::Ecdsa(HashAlg::Sha384),
        Self::Ecdsa(HashAlg::Sha512),
        Self::Sm2Dsa,
    ];

    /// Huawei's name (`RSASSA_PSS_SHA_256`, `ECDSA_SHA_384`, ...); empty
    /// for a pairing no algorithm has (an RSA or ECDSA variant with SM3).
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
            Self::Sm2Dsa => "SM2DSA_SM3",
            // Not constructed: SM3 belongs to SM2DSA_SM3 only.
            Self::RsaPss(HashAlg::Sm3)
            | Self::RsaPkcs1v15(HashAlg::Sm3)
            | Self::Ecdsa(HashAlg::Sm3) => "",
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
            Self::Sm2Dsa => HashAlg::Sm3,
        }
    }

    /// Whether a key of `spec` signs with this algorithm: any RSA padding
    /// and SHA-2 hash with an RSA key; ECDSA with SHA-256 on P-256 and
    /// SHA-384 on P-384 (the curve's own strength, as AWS and Huawei KMS
    /// pair them); SM2DSA_SM3 with an SM2 key only.
    #[must_use]
    pub const fn fits(self, spec: SigningKeySpec) -> bool {
        matches!(
            (self, spec),
            (
                Self::RsaPss(HashAlg::Sha256 | HashAlg::Sha384 | HashAlg::Sha512)
                    | Self::RsaPkcs1v15(HashAlg::Sha256 | HashAlg::Sha384 | HashAlg::Sha512),
                SigningKeySpec::Rsa2048 | SigningKeySpec::Rsa3072 | SigningKeySpec::Rsa4096,
            ) | (Self::Ecdsa(HashAlg::Sha256), SigningKeySpec::EcP256)
                | (Self::Ecdsa(HashAlg::Sha384), SigningKeySpec::EcP384)
                | (Self::Sm2Dsa, SigningKeySpec::Sm2)
        )
    }
}

/// What is signed: a digest computed by the caller, or the message itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// A digest of the algorithm's hash (`message_type` `DIGEST`); for
    /// SM2DSA_SM3, `e = SM3(Z_A || M)` with `Z_A` over [`SM2_DEFAULT_ID`]
    /// and the key's public point (GB/T 32918.2 steps A1-A2).
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
    Rsa(Fast<Box<RsaPublicKey>>),
    P256(Fast<p256::ecdsa::VerifyingKey>),
    P384(Fast<p384::ecdsa::VerifyingKey>),
    Sm2(sm2::SecretKey),
}

/// AWS-LC's private key of an RSA or ECDSA pair (for the private-key
/// operation), the PKCS#8 DER it was loaded from (what is sealed,
/// returned byte for byte) and the RustCrypto public half.
struct Fast<P> {
    key: LcKey,
    pkcs8: Zeroizing<Vec<u8>>,
    public: P,
}

enum LcKey {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(EcdsaKeyPair),
}

impl<P> Fast<P> {
    /// The AWS-LC public key, as the verifier parses it.
    fn lc_public(&self) -> &[u8] {
        match &self.key {
            LcKey::Rsa(k) => k.public_key().as_ref(),
            LcKey::Ec(k) => k.public_key().as_ref(),
        }
    }
}

/// Loads an RSA PKCS#8 key into AWS-LC (which checks it: `RSA_check_key`)
/// and reads its public half back; the modulus must be `bits` long.
fn rsa_fast(der: &[u8], bits: usize) -> Result<Fast<Box<RsaPublicKey>>> {
    let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(der).map_err(|_| Error::Rejected)?;
    let public =
        RsaPublicKey::from_pkcs1_der(key.public_key().as_ref()).map_err(|_| Error::Rejected)?;
    if public.n().bit_width() as usize != bits {
        return Err(Error::Rejected);
    }
    Ok(Fast {
        key: LcKey::Rsa(key),
        pkcs8: Zeroizing::new(der.to_vec()),
        public: Box::new(public),
    })
}

/// Loads an EC PKCS#8 key of `alg`'s curve into AWS-LC (which checks it:
/// `EC_KEY_check_key`) and reads its public point back.
fn ec_fast<P>(
    der: &[u8],
    alg: &'static EcdsaSigningAlgorithm,
    public: impl FnOnce(&[u8]) -> Option<P>,
) -> Result<Fast<P>> {
    let key = EcdsaKeyPair::from_pkcs8(alg, der).map_err(|_| Error::Rejected)?;
    let public = public(key.public_key().as_ref()).ok_or(Error::Rejected)?;
    Ok(Fast {
        key: LcKey::Ec(key),
        pkcs8: Zeroizing::new(der.to_vec()),
        public,
    })
}

fn p256_fast(der: &[u8]) -> Result<Fast<p256::ecdsa::VerifyingKey>> {
    ec_fast(der, &lc_sig::ECDSA_P256_SHA256_ASN1_SIGNING, |p| {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(p).ok()
    })
}

fn p384_fast(der: &[u8]) -> Result<Fast<p384::ecdsa::VerifyingKey>> {
    ec_fast(der, &lc_sig::ECDSA_P384_SHA384_ASN1_SIGNING, |p| {
        p384::ecdsa::VerifyingKey::from_sec1_bytes(p).ok()
    })
}

/// AWS-LC's digest algorithm of a SHA-2 hash.
fn lc_hash(h: HashAlg) -> Option<&'static lc_digest::Algorithm> {
    match h {
        HashAlg::Sha256 => Some(&lc_digest::SHA256),
        HashAlg::Sha384 => Some(&lc_digest::SHA384),
        HashAlg::Sha512 => Some(&lc_digest::SHA512),
        HashAlg::Sm3 => None,
    }
}

/// A digest as AWS-LC takes it (checked for the hash's length).
fn lc_digest(h: HashAlg, digest: &[u8]) -> Result<lc_digest::Digest> {
    let alg = lc_hash(h).ok_or(Error::AlgorithmMismatch)?;
    lc_digest::Digest::import_less_safe(digest, alg).map_err(|_| Error::AlgorithmMismatch)
}

/// An asymmetric CMK's private key. Zeroized on drop (the PKCS#8 copy by
/// `Zeroizing`, the RustCrypto types by theirs, AWS-LC's key by
/// `OPENSSL_free`, which cleanses before freeing); `Debug` shows the spec
/// only; not `Clone`.
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
        // RSA and ECDSA keys are generated by RustCrypto from the caller's
        // generator, encoded as PKCS#8 and loaded into AWS-LC.
        let secret = match spec.rsa_bits() {
            Some(bits) => {
                let key = RsaPrivateKey::new(rng, bits).map_err(|_| Error::Entropy)?;
                let der = key.to_pkcs8_der().map_err(|_| Error::Rejected)?;
                Secret::Rsa(rsa_fast(der.as_bytes(), bits)?)
            }
            None if spec == SigningKeySpec::EcP256 => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                let key = loop {
                    crate::rng::fill(rng, &mut bytes[..])?;
                    // Out of range (probability ~2^-32): draw again.
                    if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes[..]) {
                        break k;
                    }
                };
                let der = key.to_pkcs8_der().map_err(|_| Error::Rejected)?;
                Secret::P256(p256_fast(der.as_bytes())?)
            }
            None if spec == SigningKeySpec::Sm2 => {
                let mut bytes = Zeroizing::new([0u8; 32]);
                Secret::Sm2(loop {
                    crate::rng::fill(rng, &mut bytes[..])?;
                    // d must be in [1, n-2] (GB/T 32918.1 6.1): anything
                    // else (probability ~2^-32) is drawn again.
                    if let Ok(k) = sm2::SecretKey::from_slice(&bytes[..])
                        && sm2_signer(&k).is_ok()
                    {
                        break k;
                    }
                })
            }
            None => {
                let mut bytes = Zeroizing::new([0u8; 48]);
                let key = loop {
                    crate::rng::fill(rng, &mut bytes[..])?;
                    if let Ok(k) = p384::ecdsa::SigningKey::from_slice(&bytes[..]) {
                        break k;
                    }
                };
                let der = key.to_pkcs8_der().map_err(|_| Error::Rejected)?;
                Secret::P384(p384_fast(der.as_bytes())?)
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
            SigningKeySpec::EcP256 => Secret::P256(p256_fast(der)?),
            SigningKeySpec::EcP384 => Secret::P384(p384_fast(der)?),
            SigningKeySpec::Sm2 => {
                let k = sm2::SecretKey::from_pkcs8_der(der).map_err(|_| Error::Rejected)?;
                sm2_signer(&k)?;
                Secret::Sm2(k)
            }
            SigningKeySpec::Rsa2048 | SigningKeySpec::Rsa3072 | SigningKeySpec::Rsa4096 => {
                let bits = spec.rsa_bits().ok_or(Error::Rejected)?;
                Secret::Rsa(rsa_fast(der, bits)?)
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
            Secret::Rsa(k) => return Ok(k.pkcs8.clone()),
            Secret::P256(k) => return Ok(k.pkcs8.clone()),
            Secret::P384(k) => return Ok(k.pkcs8.clone()),
            Secret::Sm2(k) => k.to_pkcs8_der(),
        }
        .map_err(|_| Error::Rejected)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The key spec.
    #[must_use]
    pub const fn spec(&self) -> SigningKeySpec {
        self.spec
    }

    /// ECDH (SEC 1 section 3.3.1, the cofactor is 1 on these curves) of
    /// this EC P-256 or P-384 private key with a peer's public key, DER
    /// SubjectPublicKeyInfo: the shared secret is the agreed point's x
    /// coordinate (32 or 48 bytes), as OpenSSL's and Python
    /// `cryptography`'s `exchange(ECDH())` return it.
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] for an RSA or SM2 key;
    /// [`Error::Rejected`] if `peer_spki_der` is not a public key on this
    /// key's curve (the identity is not encodable, so never accepted).
    pub fn diffie_hellman(&self, peer_spki_der: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        use p256::pkcs8::DecodePublicKey;
        match &self.secret {
            Secret::P256(k) => {
                let peer = p256::PublicKey::from_public_key_der(peer_spki_der)
                    .map_err(|_| Error::Rejected)?;
                let secret =
                    p256::SecretKey::from_pkcs8_der(&k.pkcs8).map_err(|_| Error::Rejected)?;
                let shared =
                    p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
                Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
            }
            Secret::P384(k) => {
                let peer = p384::PublicKey::from_public_key_der(peer_spki_der)
                    .map_err(|_| Error::Rejected)?;
                let secret =
                    p384::SecretKey::from_pkcs8_der(&k.pkcs8).map_err(|_| Error::Rejected)?;
                let shared =
                    p384::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
                Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
            }
            Secret::Rsa(_) | Secret::Sm2(_) => Err(Error::AlgorithmMismatch),
        }
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        let (key, fast) = match &self.secret {
            Secret::Rsa(k) => (
                Public::Rsa(k.public.clone()),
                LcVerifier::parse(k.lc_public(), &RSA_VERIFIERS),
            ),
            Secret::P256(k) => (
                Public::P256(k.public),
                LcVerifier::parse(k.lc_public(), &[&lc_sig::ECDSA_P256_SHA256_ASN1]),
            ),
            Secret::P384(k) => (
                Public::P384(k.public),
                LcVerifier::parse(k.lc_public(), &[&lc_sig::ECDSA_P384_SHA384_ASN1]),
            ),
            Secret::Sm2(k) => (Public::Sm2(k.public_key()), LcVerifier::default()),
        };
        PublicKey {
            spec: self.spec,
            key,
            fast,
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
            (Secret::Rsa(k), SigningAlgorithm::RsaPss(h) | SigningAlgorithm::RsaPkcs1v15(h)) => {
                let LcKey::Rsa(key) = &k.key else {
                    return Err(Error::AlgorithmMismatch);
                };
                let encoding: &'static dyn lc_sig::RsaEncoding = match alg {
                    SigningAlgorithm::RsaPss(HashAlg::Sha256) => &lc_sig::RSA_PSS_SHA256,
                    SigningAlgorithm::RsaPss(HashAlg::Sha384) => &lc_sig::RSA_PSS_SHA384,
                    SigningAlgorithm::RsaPss(HashAlg::Sha512) => &lc_sig::RSA_PSS_SHA512,
                    SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha256) => &lc_sig::RSA_PKCS1_SHA256,
                    SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha384) => &lc_sig::RSA_PKCS1_SHA384,
                    SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha512) => &lc_sig::RSA_PKCS1_SHA512,
                    // Refused by `fits` above; no RSA algorithm names SM3.
                    _ => return Err(Error::AlgorithmMismatch),
                };
                let digest = lc_digest(h, &digest)?;
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign_digest(encoding, &digest, &mut sig)
                    .map_err(|_| Error::Entropy)?;
                Ok(sig)
            }
            (
                Secret::P256(Fast {
                    key: LcKey::Ec(key),
                    ..
                })
                | Secret::P384(Fast {
                    key: LcKey::Ec(key),
                    ..
                }),
                SigningAlgorithm::Ecdsa(h),
            ) => {
                // `fits` paired the hash with the curve: the key's own
                // algorithm (ECDSA_P256_SHA256 / ECDSA_P384_SHA384, DER).
                let digest = lc_digest(h, &digest)?;
                let sig = key.sign_digest(&digest).map_err(|_| Error::Entropy)?;
                Ok(sig.as_ref().to_vec())
            }
            (Secret::Sm2(k), SigningAlgorithm::Sm2Dsa) => {
                use sm2::dsa::signature::RandomizedSigner;
                use sm2::dsa::signature::hazmat::RandomizedPrehashSigner;
                let signer = sm2_signer(k)?;
                // A digest is `e` itself; a raw message is hashed with Z_A
                // by the crate (steps A1-A2).
                let sig: sm2::dsa::Signature = match message {
                    Message::Digest(e) => signer.sign_prehash_with_rng(rng, e),
                    Message::Raw(m) => signer.try_sign_with_rng(rng, m),
                }
                .map_err(|_| Error::Entropy)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            _ => Err(Error::AlgorithmMismatch),
        }
    }

    /// SM2_ENCRYPT decryption (GB/T 32918.4, C1C3C2 with SM3): takes GM/T
    /// 0009's DER `SM2Cipher` (what [`PublicKey::encrypt_sm2`] returns) or
    /// the raw byte string `04 || x || y || C3 || C2` (C1 uncompressed or
    /// compressed). At most [`MAX_SM2_PLAINTEXT_BYTES`] of plaintext.
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] unless an SM2 key; [`Error::Rejected`]
    /// for every failure to decrypt (malformed, wrong key, bad C3).
    pub fn decrypt_sm2(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let Secret::Sm2(k) = &self.secret else {
            return Err(Error::AlgorithmMismatch);
        };
        if ciphertext.len() > MAX_SM2_CIPHERTEXT_BYTES {
            return Err(Error::Rejected);
        }
        let dk = sm2::pke::DecryptingKey::new_with_mode(k.to_nonzero_scalar(), Mode::C1C3C2);
        let plain = match ciphertext.first() {
            Some(0x30) => dk.decrypt_der(ciphertext),
            Some(_) => dk.decrypt(ciphertext),
            None => return Err(Error::Rejected),
        }
        .map(Zeroizing::new)
        .map_err(|_| Error::Rejected)?;
        if plain.is_empty() || plain.len() > MAX_SM2_PLAINTEXT_BYTES {
            return Err(Error::Rejected);
        }
        Ok(plain)
    }
}

impl SigningKey {
    /// RSAES-OAEP decryption (RFC 8017 7.1.2) with SHA-256, MGF1-SHA-256
    /// and an empty label, what Python's `cryptography`, OpenSSL and Huawei
    /// KMS's `RSAES_OAEP_SHA_256` use, by AWS-LC (as RSA signing), which
    /// blinds the private-key operation with its own OS-seeded generator;
    /// `_rng` is kept for the callers that pass theirs. The ciphertext must
    /// be exactly `k` bytes.
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] unless an RSA key; [`Error::Rejected`]
    /// for every failure to decrypt (wrong length, wrong key, bad padding),
    /// without saying which.
    pub fn decrypt_rsa_oaep_sha256<R: TryCryptoRng + ?Sized>(
        &self,
        _rng: &mut R,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt_rsa_oaep(&aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256, ciphertext)
    }

    /// RSAES-OAEP decryption with SHA-1, MGF1-SHA-1 and an empty label
    /// (`RSAES_OAEP_SHA_1`, OpenSSL's default OAEP): only to unwrap key
    /// material a client imports with that documented wrapping algorithm
    /// (OAEP's security does not rest on SHA-1's collision resistance).
    ///
    /// # Errors
    /// As [`SigningKey::decrypt_rsa_oaep_sha256`].
    pub fn decrypt_rsa_oaep_sha1(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt_rsa_oaep(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1, ciphertext)
    }

    fn decrypt_rsa_oaep(
        &self,
        algorithm: &'static aws_lc_rs::rsa::OaepAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};
        let Secret::Rsa(k) = &self.secret else {
            return Err(Error::AlgorithmMismatch);
        };
        if ciphertext.len() != k.public.size() {
            return Err(Error::Rejected);
        }
        let key = PrivateDecryptingKey::from_pkcs8(&k.pkcs8)
            .ok()
            .and_then(|key| OaepPrivateDecryptingKey::new(key).ok())
            .ok_or(Error::Rejected)?;
        let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let n = key
            .decrypt(algorithm, ciphertext, &mut out, None)
            .map_err(|_| Error::Rejected)?
            .len();
        out.truncate(n);
        Ok(out)
    }
}

/// The largest SM2 ciphertext accepted: DER of a 4096-byte plaintext
/// (two 33-byte INTEGERs, a 32-byte OCTET STRING, headers) with room.
const MAX_SM2_CIPHERTEXT_BYTES: usize = MAX_SM2_PLAINTEXT_BYTES + 256;

/// The SM2 signer of a secret key with the default identifier; fails for
/// `d = n - 1`, which has no signing inverse.
fn sm2_signer(k: &sm2::SecretKey) -> Result<sm2::dsa::SigningKey> {
    sm2::dsa::SigningKey::new(SM2_DEFAULT_ID, k).map_err(|_| Error::Rejected)
}

fn pkcs1v15_scheme(h: HashAlg) -> Pkcs1v15Sign {
    match h {
        HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
        HashAlg::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
        HashAlg::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        // Never reached: `fits` pairs SM3 with SM2 only.
        HashAlg::Sm3 => Pkcs1v15Sign::new::<sm3::Sm3>(),
    }
}

#[derive(Clone)]
enum Public {
    Rsa(Box<RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Sm2(sm2::PublicKey),
}

/// The RSA verification algorithms in [`rsa_verifier_index`] order.
static RSA_VERIFIERS: [&dyn VerificationAlgorithm; 6] = [
    &lc_sig::RSA_PSS_2048_8192_SHA256,
    &lc_sig::RSA_PSS_2048_8192_SHA384,
    &lc_sig::RSA_PSS_2048_8192_SHA512,
    &lc_sig::RSA_PKCS1_2048_8192_SHA256,
    &lc_sig::RSA_PKCS1_2048_8192_SHA384,
    &lc_sig::RSA_PKCS1_2048_8192_SHA512,
];

/// Where an RSA algorithm's AWS-LC verifier is in [`RSA_VERIFIERS`].
fn rsa_verifier_index(alg: SigningAlgorithm) -> Option<usize> {
    Some(match alg {
        SigningAlgorithm::RsaPss(HashAlg::Sha256) => 0,
        SigningAlgorithm::RsaPss(HashAlg::Sha384) => 1,
        SigningAlgorithm::RsaPss(HashAlg::Sha512) => 2,
        SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha256) => 3,
        SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha384) => 4,
        SigningAlgorithm::RsaPkcs1v15(HashAlg::Sha512) => 5,
        _ => return None,
    })
}

/// AWS-LC's parsed public key, once per verification algorithm the spec
/// fits (the parsed key is bound to its algorithm); empty for SM2, or if
/// AWS-LC refused the key (then RustCrypto verifies alone).
#[derive(Clone, Default)]
struct LcVerifier(Option<Arc<[ParsedPublicKey]>>);

impl LcVerifier {
    fn parse(public: &[u8], algs: &[&'static dyn VerificationAlgorithm]) -> Self {
        let parsed: core::result::Result<Vec<_>, _> = algs
            .iter()
            .map(|alg| ParsedPublicKey::new(*alg, public))
            .collect();
        Self(parsed.ok().map(Arc::from))
    }

    /// Whether AWS-LC accepts `signature` of `digest` with the `i`th
    /// algorithm (false if it has none).
    fn accepts(&self, i: usize, h: HashAlg, digest: &[u8], signature: &[u8]) -> bool {
        let Some(parsed) = self.0.as_ref().and_then(|p| p.get(i)) else {
            return false;
        };
        lc_digest(h, digest).is_ok_and(|d| parsed.verify_digest_sig(&d, signature).is_ok())
    }
}

/// An asymmetric CMK's public key.
#[derive(Clone)]
pub struct PublicKey {
    spec: SigningKeySpec,
    key: Public,
    fast: LcVerifier,
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
            Public::Sm2(k) => k.to_public_key_pem(LineEnding::LF),
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
            Public::Sm2(k) => k.to_public_key_der(),
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
        // AWS-LC first; what it rejects, RustCrypto checks again (see the
        // module documentation), so the answer is RustCrypto's.
        let fast = |i: usize| self.fast.accepts(i, alg.hash(), &digest, signature);
        let ok = match (&self.key, alg) {
            (Public::Rsa(k), SigningAlgorithm::RsaPss(h)) => {
                rsa_verifier_index(alg).is_some_and(fast) || verify_pss(k, h, &digest, signature)
            }
            (Public::Rsa(k), SigningAlgorithm::RsaPkcs1v15(h)) => {
                rsa_verifier_index(alg).is_some_and(fast)
                    || k.verify(pkcs1v15_scheme(h), &digest, signature).is_ok()
            }
            (Public::P256(k), SigningAlgorithm::Ecdsa(_)) => {
                p256::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|s| fast(0) || k.verify_prehash(&digest, &s).is_ok())
            }
            (Public::P384(k), SigningAlgorithm::Ecdsa(_)) => {
                p384::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|s| fast(0) || k.verify_prehash(&digest, &s).is_ok())
            }
            (Public::Sm2(k), SigningAlgorithm::Sm2Dsa) => {
                use sm2::dsa::signature::Verifier;
                let Ok(vk) = sm2::dsa::VerifyingKey::new(SM2_DEFAULT_ID, *k) else {
                    return Ok(false);
                };
                sm2::dsa::Signature::from_der(signature).is_ok_and(|s| match message {
                    Message::Digest(e) => vk.verify_prehash(e, &s).is_ok(),
                    Message::Raw(m) => vk.verify(m, &s).is_ok(),
                })
            }
            _ => return Err(Error::AlgorithmMismatch),
        };
        Ok(ok)
    }

    /// SM2_ENCRYPT (GB/T 32918.4 with SM3, order C1C3C2): 1..=4096 bytes
    /// of plaintext, encoded as GM/T 0009-2012's DER
    /// `SM2Cipher ::= SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER,
    /// HASH OCTET STRING (32), CipherText OCTET STRING }`.
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] unless an SM2 key;
    /// [`Error::InvalidDataLength`] outside 1..=4096 bytes;
    /// [`Error::Entropy`] if the generator fails.
    pub fn encrypt_sm2<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let Public::Sm2(k) = &self.key else {
            return Err(Error::AlgorithmMismatch);
        };
        if plaintext.is_empty() || plaintext.len() > MAX_SM2_PLAINTEXT_BYTES {
            return Err(Error::InvalidDataLength {
                len: plaintext.len(),
            });
        }
        let ek = sm2::pke::EncryptingKey::new_with_mode(*k, Mode::C1C3C2);
        ek.encrypt_der(&mut RngRef(rng), plaintext)
            .map_err(|_| Error::Entropy)
    }
}

impl PublicKey {
    /// RSAES-OAEP encryption (RFC 8017 7.1.1) with SHA-256, MGF1-SHA-256
    /// and an empty label: a ciphertext of `k` bytes (256, 384 or 512).
    ///
    /// # Errors
    /// [`Error::AlgorithmMismatch`] unless an RSA key;
    /// [`Error::InvalidDataLength`] for an empty plaintext;
    /// [`Error::RsaPlaintextTooLong`] over
    /// [`SigningKeySpec::rsa_oaep_sha256_max_plaintext`]; [`Error::Entropy`]
    /// if the generator fails.
    pub fn encrypt_rsa_oaep_sha256<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let (Public::Rsa(k), Some(max)) = (&self.key, self.spec.rsa_oaep_sha256_max_plaintext())
        else {
            return Err(Error::AlgorithmMismatch);
        };
        if plaintext.is_empty() {
            return Err(Error::InvalidDataLength { len: 0 });
        }
        if plaintext.len() > max {
            return Err(Error::RsaPlaintextTooLong {
                len: plaintext.len(),
                max,
            });
        }
        k.oaep_encrypt_with_rng::<Sha256, _>(rng, plaintext)
            .map_err(|_| Error::Entropy)
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
        // Never reached: `fits` pairs SM3 with SM2 only.
        HashAlg::Sm3 => false,
    }
}
