//! Data key pairs (create-rsa-datakey-pair, create-ec-datakey-pair): an
//! asymmetric key pair generated for use outside the service, its private
//! key as PKCS#8 DER and its public key as DER SubjectPublicKeyInfo.
//!
//! Every key is generated from the caller's CSPRNG:
//!
//! * RSA (2048, 3072, 4096 bits, public exponent 65537), NIST P-256 and
//!   P-384, and SM2 the way asymmetric CMKs are ([`SigningKey::generate`]:
//!   RustCrypto `rsa`, `p256`, `p384`, `sm2`; an RSA key is then loaded
//!   into AWS-LC, which checks it);
//! * NIST P-521 (`p521`) and SECG secp256k1 (`k256`), RustCrypto: the
//!   scalar is drawn from the generator (P-521's top seven bits cleared)
//!   and drawn again in the rare case it is zero or not below the group
//!   order.
//!
//! The pair leaves this crate as bytes: nothing here stores or encrypts it
//! (the core seals the PKCS#8 DER as a data blob under a CMK).

use core::fmt;

use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::signing::{SigningKey, SigningKeySpec};

/// The key spec of a data key pair (the `key_spec` of
/// create-rsa-datakey-pair and create-ec-datakey-pair).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataKeyPairSpec {
    /// RSA, 2048-bit modulus, public exponent 65537.
    Rsa2048,
    /// RSA, 3072-bit modulus, public exponent 65537.
    Rsa3072,
    /// RSA, 4096-bit modulus, public exponent 65537.
    Rsa4096,
    /// NIST P-256 (secp256r1).
    EccNistP256,
    /// NIST P-384 (secp384r1).
    EccNistP384,
    /// NIST P-521 (secp521r1).
    EccNistP521,
    /// SECG secp256k1.
    EccSecgP256k1,
    /// SM2 (GB/T 32918.5, OID 1.2.156.10197.1.301).
    Sm2,
}

impl DataKeyPairSpec {
    /// Every spec.
    pub const ALL: [Self; 8] = [
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::EccNistP256,
        Self::EccNistP384,
        Self::EccNistP521,
        Self::EccSecgP256k1,
        Self::Sm2,
    ];

    /// Huawei's `key_spec` name (`RSA_2048`, `ECC_NIST_P256`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rsa2048 => "RSA_2048",
            Self::Rsa3072 => "RSA_3072",
            Self::Rsa4096 => "RSA_4096",
            Self::EccNistP256 => "ECC_NIST_P256",
            Self::EccNistP384 => "ECC_NIST_P384",
            Self::EccNistP521 => "ECC_NIST_P521",
            Self::EccSecgP256k1 => "ECC_SECG_P256K1",
            Self::Sm2 => "SM2",
        }
    }

    /// The spec of a `key_spec` name, if it is one of these.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The asymmetric-CMK spec generated the same way, if there is one.
    const fn signing_spec(self) -> Option<SigningKeySpec> {
        match self {
            Self::Rsa2048 => Some(SigningKeySpec::Rsa2048),
            Self::Rsa3072 => Some(SigningKeySpec::Rsa3072),
            Self::Rsa4096 => Some(SigningKeySpec::Rsa4096),
            Self::EccNistP256 => Some(SigningKeySpec::EcP256),
            Self::EccNistP384 => Some(SigningKeySpec::EcP384),
            Self::Sm2 => Some(SigningKeySpec::Sm2),
            Self::EccNistP521 | Self::EccSecgP256k1 => None,
        }
    }
}

/// A generated data key pair. The private key is zeroized on drop;
/// `Debug` shows the spec only; not `Clone`.
pub struct DataKeyPair {
    spec: DataKeyPairSpec,
    public_key_der: Vec<u8>,
    private_key_der: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for DataKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKeyPair({}, redacted)", self.spec.name())
    }
}

/// Draws of an EC scalar before the generator is taken to be broken.
const MAX_DRAWS: usize = 64;

/// Draws a scalar of `$len` bytes until `$ty::from_slice` takes it (the
/// first byte masked with `$mask`), and encodes the pair.
macro_rules! ec_pair {
    ($rng:expr, $ty:ty, $len:expr, $mask:expr) => {{
        let mut bytes = Zeroizing::new([0u8; $len]);
        let mut drawn = None;
        // Zero or not below the order (probability below 2^-32 for these
        // curves): draw again; a generator that fails this often is broken.
        for _ in 0..MAX_DRAWS {
            crate::rng::fill($rng, &mut bytes[..])?;
            bytes[0] &= $mask;
            if let Ok(k) = <$ty>::from_slice(&bytes[..]) {
                drawn = Some(k);
                break;
            }
        }
        let key = drawn.ok_or(Error::Entropy)?;
        let private = key.to_pkcs8_der().map_err(|_| Error::Rejected)?;
        let public = key
            .public_key()
            .to_public_key_der()
            .map_err(|_| Error::Rejected)?;
        (
            public.into_vec(),
            Zeroizing::new(private.as_bytes().to_vec()),
        )
    }};
}

impl DataKeyPair {
    /// Generates a key pair of `spec` from the caller's CSPRNG.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the generator fails; [`Error::Rejected`] if
    /// an encoding fails (it does not for these keys).
    pub fn generate<R: TryCryptoRng + ?Sized>(spec: DataKeyPairSpec, rng: &mut R) -> Result<Self> {
        let (public_key_der, private_key_der) = match spec.signing_spec() {
            Some(s) => {
                let key = SigningKey::generate(s, rng)?;
                (key.public_key().to_der()?, key.to_pkcs8_der()?)
            }
            // P-521's order is just below 2^521: a 66-byte scalar keeps one
            // bit of its first byte.
            None if spec == DataKeyPairSpec::EccNistP521 => {
                ec_pair!(rng, p521::SecretKey, 66, 0x01)
            }
            None => ec_pair!(rng, k256::SecretKey, 32, 0xff),
        };
        Ok(Self {
            spec,
            public_key_der,
            private_key_der,
        })
    }

    /// The key spec.
    #[must_use]
    pub const fn spec(&self) -> DataKeyPairSpec {
        self.spec
    }

    /// The public key, DER SubjectPublicKeyInfo (RFC 5280; for EC keys
    /// `id-ecPublicKey` with the curve's OID and an uncompressed point).
    #[must_use]
    pub fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// The private key, PKCS#8 DER (RFC 5208 `PrivateKeyInfo`; for EC keys
    /// a SEC1 `ECPrivateKey` inside).
    #[must_use]
    pub fn private_key_der(&self) -> &Zeroizing<Vec<u8>> {
        &self.private_key_der
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use p256::pkcs8::DecodePrivateKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::from_seed([7; 32])
    }

    /// The public key derived again from the PKCS#8 private key, by the
    /// curve's or RSA's own decoder, as DER SubjectPublicKeyInfo.
    fn public_of(spec: DataKeyPairSpec, der: &[u8]) -> Vec<u8> {
        match spec {
            DataKeyPairSpec::Rsa2048 | DataKeyPairSpec::Rsa3072 | DataKeyPairSpec::Rsa4096 => {
                let k = rsa::PrivateKey::from_pkcs8_der(der).unwrap();
                rsa::PublicKey::from(&k)
                    .to_public_key_der()
                    .unwrap()
                    .into_vec()
            }
            DataKeyPairSpec::EccNistP256 => p256::SecretKey::from_pkcs8_der(der)
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            DataKeyPairSpec::EccNistP384 => p384::SecretKey::from_pkcs8_der(der)
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            DataKeyPairSpec::EccNistP521 => p521::SecretKey::from_pkcs8_der(der)
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            DataKeyPairSpec::EccSecgP256k1 => k256::SecretKey::from_pkcs8_der(der)
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
            DataKeyPairSpec::Sm2 => sm2::SecretKey::from_pkcs8_der(der)
                .unwrap()
                .public_key()
                .to_public_key_der()
                .unwrap()
                .into_vec(),
        }
    }

    #[test]
    fn names_round_trip() {
        for s in DataKeyPairSpec::ALL {
            assert_eq!(DataKeyPairSpec::from_name(s.name()), Some(s));
        }
        assert_eq!(DataKeyPairSpec::from_name("EC_P256"), None);
        assert_eq!(DataKeyPairSpec::from_name("rsa_2048"), None);
    }

    /// Every spec but the two slow RSA sizes (RSA_2048 stands for them:
    /// the same code with another bit count).
    #[test]
    fn private_keys_match_their_public_keys() {
        let mut rng = rng();
        for spec in DataKeyPairSpec::ALL {
            if matches!(spec, DataKeyPairSpec::Rsa3072 | DataKeyPairSpec::Rsa4096) {
                continue;
            }
            let pair = DataKeyPair::generate(spec, &mut rng).unwrap();
            assert_eq!(pair.spec(), spec);
            assert_eq!(
                public_of(spec, pair.private_key_der()),
                pair.public_key_der(),
                "{spec:?}"
            );
            // Two pairs of one spec differ.
            let again = DataKeyPair::generate(spec, &mut rng).unwrap();
            assert_ne!(again.private_key_der(), pair.private_key_der());
        }
    }

    #[test]
    fn curve_oids_are_in_the_public_keys() {
        // (spec, DER of the namedCurve OID)
        let cases: [(DataKeyPairSpec, &[u8]); 5] = [
            (
                DataKeyPairSpec::EccNistP256,
                &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
            ),
            (
                DataKeyPairSpec::EccNistP384,
                &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
            ),
            (
                DataKeyPairSpec::EccNistP521,
                &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
            ),
            (
                DataKeyPairSpec::EccSecgP256k1,
                &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a],
            ),
            (
                DataKeyPairSpec::Sm2,
                &[0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d],
            ),
        ];
        let mut rng = rng();
        for (spec, oid) in cases {
            let pair = DataKeyPair::generate(spec, &mut rng).unwrap();
            assert!(
                pair.public_key_der().windows(oid.len()).any(|w| w == oid),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        let pair = DataKeyPair::generate(DataKeyPairSpec::EccNistP256, &mut rng()).unwrap();
        assert_eq!(format!("{pair:?}"), "DataKeyPair(ECC_NIST_P256, redacted)");
    }

    #[test]
    fn a_generator_stuck_at_zero_is_an_entropy_error() {
        // Zero is never a scalar: a generator that only gives zeros makes
        // no key, and the draw gives up rather than looping forever.
        struct Zeros;
        impl rand_core::TryRng for Zeros {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
                Ok(0)
            }
            fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
                Ok(0)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        impl rand_core::TryCryptoRng for Zeros {}
        for spec in [DataKeyPairSpec::EccNistP521, DataKeyPairSpec::EccSecgP256k1] {
            assert!(matches!(
                DataKeyPair::generate(spec, &mut Zeros),
                Err(Error::Entropy)
            ));
        }
    }
}
