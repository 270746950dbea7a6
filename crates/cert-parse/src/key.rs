//! Private keys (PKCS#1, PKCS#8, SEC1) and the public keys they must match.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::der;
use crate::error::{Error, Result};
use crate::pem::{self, PemError};

/// The public-key family, as API Gateway's `algorithm_type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyFamily {
    /// RSA (`rsaEncryption`).
    Rsa,
    /// ECDSA on a NIST curve (P-224, P-256, P-384, P-521).
    Ecc,
    /// An EC key on the SM2 curve.
    Sm2,
    /// Ed25519.
    Ed25519,
}

impl KeyFamily {
    /// The wire spelling: `RSA`, `ECC`, `SM2` or `Ed25519`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::Ecc => "ECC",
            Self::Sm2 => "SM2",
            Self::Ed25519 => "Ed25519",
        }
    }
}

impl core::fmt::Display for KeyFamily {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The named curves a certificate's EC key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P224,
    P256,
    P384,
    P521,
    Sm2,
}

impl Curve {
    pub(crate) fn from_oid(oid: &[u8]) -> Option<Self> {
        match oid {
            [0x2b, 0x81, 0x04, 0x00, 0x21] => Some(Self::P224),
            [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => Some(Self::P256),
            [0x2b, 0x81, 0x04, 0x00, 0x22] => Some(Self::P384),
            [0x2b, 0x81, 0x04, 0x00, 0x23] => Some(Self::P521),
            [0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d] => Some(Self::Sm2),
            _ => None,
        }
    }

    fn field_len(self) -> usize {
        match self {
            Self::P224 => 28,
            Self::P256 | Self::Sm2 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// Go's `elliptic.Unmarshal`: uncompressed and on the curve. P-224 and
    /// SM2 have no arithmetic here: only the encoding is checked.
    pub(crate) fn is_valid_uncompressed_point(self, point: &[u8]) -> bool {
        if point.len() != 1 + 2 * self.field_len() || point.first() != Some(&0x04) {
            return false;
        }
        match self {
            Self::P256 => p256::PublicKey::from_sec1_bytes(point).is_ok(),
            Self::P384 => p384::PublicKey::from_sec1_bytes(point).is_ok(),
            Self::P521 => p521::PublicKey::from_sec1_bytes(point).is_ok(),
            Self::P224 | Self::Sm2 => true,
        }
    }

    fn family(self) -> KeyFamily {
        if self == Self::Sm2 {
            KeyFamily::Sm2
        } else {
            KeyFamily::Ecc
        }
    }
}

/// A public key in the form the key-match check compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// A SEC1-encoded point.
    Ec {
        curve: Curve,
        point: Vec<u8>,
    },
    Ed25519([u8; 32]),
}

fn ec_points_equal(curve: Curve, a: &[u8], b: &[u8]) -> bool {
    fn eq<K: PartialEq, E>(a: core::result::Result<K, E>, b: core::result::Result<K, E>) -> bool {
        matches!((a, b), (Ok(a), Ok(b)) if a == b)
    }
    match curve {
        Curve::P256 => eq(
            p256::PublicKey::from_sec1_bytes(a),
            p256::PublicKey::from_sec1_bytes(b),
        ),
        Curve::P384 => eq(
            p384::PublicKey::from_sec1_bytes(a),
            p384::PublicKey::from_sec1_bytes(b),
        ),
        Curve::P521 => eq(
            p521::PublicKey::from_sec1_bytes(a),
            p521::PublicKey::from_sec1_bytes(b),
        ),
        Curve::P224 | Curve::Sm2 => a.len() == b.len() && bool::from(a.ct_eq(b)),
    }
}

impl PublicKey {
    /// Whether two keys are the same key (constant time in the key bytes).
    pub(crate) fn matches(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Rsa { n: n1, e: e1 }, Self::Rsa { n: n2, e: e2 }) => {
                n1.len() == n2.len()
                    && e1.len() == e2.len()
                    && bool::from(n1.ct_eq(n2) & e1.ct_eq(e2))
            }
            (
                Self::Ec {
                    curve: c1,
                    point: p1,
                },
                Self::Ec {
                    curve: c2,
                    point: p2,
                },
            ) => c1 == c2 && ec_points_equal(*c1, p1, p2),
            (Self::Ed25519(a), Self::Ed25519(b)) => bool::from(a.ct_eq(b)),
            _ => false,
        }
    }
}

/// How the private key was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyEncoding {
    /// `RSA PRIVATE KEY` (PKCS#1).
    Pkcs1,
    /// `PRIVATE KEY` (PKCS#8 / RFC 5958).
    Pkcs8,
    /// `EC PRIVATE KEY` (SEC1).
    Sec1,
}

/// A parsed private key.
///
/// It keeps only the public half (derived from the private key when the
/// encoding does not carry it, checked against it when it does); the
/// decoded secret bytes live in zeroizing buffers and are wiped before
/// [`parse_private_key`] returns. `Debug` shows the algorithm only.
#[derive(Clone)]
pub struct PrivateKey {
    algorithm_type: KeyFamily,
    encoding: KeyEncoding,
    pub(crate) public: PublicKey,
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm_type", &self.algorithm_type)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// RSA, ECC (NIST curves), SM2 or Ed25519.
    #[must_use]
    pub fn algorithm_type(&self) -> KeyFamily {
        self.algorithm_type
    }

    /// The PEM encoding it came in.
    #[must_use]
    pub fn encoding(&self) -> KeyEncoding {
        self.encoding
    }
}

/// Largest private-key PEM text accepted (an RSA-8192 PKCS#8 key is ~6.5 KiB).
pub const MAX_KEY_PEM_BYTES: usize = 16 * 1024;

/// Parses a private key PEM: PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY`
/// (RSA, EC P-224/P-256/P-384/P-521/SM2, Ed25519) or SEC1 `EC PRIVATE KEY`
/// (an `EC PARAMETERS` block before it is skipped), and validates it: RSA as
/// Go's `rsa.PrivateKey.Validate`, EC and Ed25519 by deriving the public key
/// from the private part (an embedded public key must agree). The same input
/// tolerance as certificates applies.
///
/// # Errors
/// [`Error::EncryptedPrivateKey`] for `ENCRYPTED PRIVATE KEY` or a
/// `Proc-Type: 4,ENCRYPTED` header; [`Error::TooLarge`] past
/// [`MAX_KEY_PEM_BYTES`]; otherwise [`Error::InvalidPrivateKey`].
pub fn parse_private_key(pem_text: &str) -> Result<PrivateKey> {
    if pem_text.len() > MAX_KEY_PEM_BYTES {
        return Err(Error::TooLarge {
            what: "private_key",
            limit: MAX_KEY_PEM_BYTES,
        });
    }
    let text = pem::normalize(pem_text);
    let mut found = None;
    for block in pem::blocks(&text) {
        let block = block.map_err(|e| Error::key(e.reason()))?;
        let encoding = match block.label {
            "ENCRYPTED PRIVATE KEY" => return Err(Error::EncryptedPrivateKey),
            "EC PARAMETERS" => continue,
            "RSA PRIVATE KEY" => KeyEncoding::Pkcs1,
            "PRIVATE KEY" => KeyEncoding::Pkcs8,
            "EC PRIVATE KEY" => KeyEncoding::Sec1,
            _ => return Err(Error::key("unexpected PEM block in private key")),
        };
        if found.is_some() {
            return Err(Error::key("more than one private key"));
        }
        found = Some((block, encoding));
    }
    let (block, encoding) = found.ok_or(Error::key("no private key PEM block"))?;
    let der_bytes = block.decode_secret().map_err(|e| match e {
        PemError::Encrypted => Error::EncryptedPrivateKey,
        other => Error::key(other.reason()),
    })?;
    let (algorithm_type, public) = match encoding {
        KeyEncoding::Pkcs1 => (KeyFamily::Rsa, rsa_public(&der_bytes)?),
        KeyEncoding::Sec1 => {
            let (curve, public) = sec1_public(&der_bytes, None)?;
            (curve.family(), public)
        }
        KeyEncoding::Pkcs8 => pkcs8_public(&der_bytes)?,
    };
    Ok(PrivateKey {
        algorithm_type,
        encoding,
        public,
    })
}

/// Largest RSA modulus accepted in a private key, in bits. The 16 KiB PEM
/// cap already bounds it near this size; naming it keeps the big-number
/// work of the validation below bounded whatever the encoding.
pub const MAX_RSA_MODULUS_BITS: usize = 16_384;

fn rsa_public(der_bytes: &[u8]) -> Result<PublicKey> {
    let key = pkcs1::RsaPrivateKeyRef::try_from(der_bytes)
        .map_err(|_| Error::key("malformed PKCS#1 RSA key"))?;
    let n = key.modulus.as_bytes();
    let e = key.public_exponent.as_bytes();
    if n.is_empty() || e.is_empty() || key.private_exponent.as_bytes().is_empty() {
        return Err(Error::key("malformed PKCS#1 RSA key"));
    }
    validate_rsa(&key)?;
    Ok(PublicKey::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

/// The checks of Go's `rsa.PrivateKey.Validate` (which
/// `x509.ParsePKCS1PrivateKey` runs), so that a key whose `n` and `e` match
/// the certificate but whose private part is not that key's (say
/// `d = p = q = 1`) is refused: two primes (multi-prime keys are refused),
/// `1 < e < 2^31`, each prime `> 1`, `p * q = n`, `d * e ≡ 1` modulo `p - 1`
/// and `q - 1`, and the stored CRT values `dP = d mod (p - 1)`,
/// `dQ = d mod (q - 1)`, `qInv * q ≡ 1 (mod p)` with `qInv < p`. Sizes are
/// capped before any arithmetic. The arithmetic is `crypto-bigint`'s.
fn validate_rsa(key: &pkcs1::RsaPrivateKeyRef<'_>) -> Result<()> {
    use core::cmp::Ordering;
    use crypto_bigint::{BoxedUint, ConcatenatingMul, NonZero};

    if key.other_prime_infos.is_some() {
        return Err(Error::key("multi-prime RSA keys are not supported"));
    }
    let max_bytes = MAX_RSA_MODULUS_BITS / 8;
    let fields = [
        key.modulus,
        key.public_exponent,
        key.private_exponent,
        key.prime1,
        key.prime2,
        key.exponent1,
        key.exponent2,
        key.coefficient,
    ];
    if fields.iter().any(|f| f.as_bytes().len() > max_bytes) {
        return Err(Error::key("RSA key larger than 16384 bits"));
    }
    // Every intermediate is private-key material: zeroized on drop.
    let big =
        |u: pkcs1::UintRef<'_>| Zeroizing::new(BoxedUint::from_be_slice_vartime(u.as_bytes()));
    let eq = |a: &BoxedUint, b: &BoxedUint| a.cmp_vartime(b) == Ordering::Equal;
    let gt = |a: &BoxedUint, b: &BoxedUint| a.cmp_vartime(b) == Ordering::Greater;
    let one = BoxedUint::one();
    let n = big(key.modulus);
    let e = big(key.public_exponent);
    let d = big(key.private_exponent);
    let p = big(key.prime1);
    let q = big(key.prime2);
    if !gt(&e, &one) || e.bit_width_vartime() > 31 {
        return Err(Error::key("RSA public exponent out of range"));
    }
    if !gt(&p, &one) || !gt(&q, &one) {
        return Err(Error::key("RSA prime not greater than one"));
    }
    if !eq(&Zeroizing::new(p.concatenating_mul(&*q)), &n) {
        return Err(Error::key("RSA primes do not multiply to the modulus"));
    }
    // p, q > 1, so p - 1 and q - 1 are non-zero.
    let nonzero = |v: BoxedUint| {
        Option::<NonZero<BoxedUint>>::from(NonZero::new(v))
            .ok_or(Error::key("RSA prime not greater than one"))
    };
    let p1 = nonzero(p.wrapping_sub(&one))?;
    let q1 = nonzero(q.wrapping_sub(&one))?;
    let pnz = nonzero((*p).clone())?;
    let de = Zeroizing::new(d.concatenating_mul(&*e));
    if !eq(&Zeroizing::new(de.rem(&p1)), &one) || !eq(&Zeroizing::new(de.rem(&q1)), &one) {
        return Err(Error::key(
            "RSA private exponent does not invert the public exponent",
        ));
    }
    let dp = big(key.exponent1);
    let dq = big(key.exponent2);
    if !eq(&dp, &Zeroizing::new(d.rem(&p1))) || !eq(&dq, &Zeroizing::new(d.rem(&q1))) {
        return Err(Error::key("RSA CRT exponent does not match the key"));
    }
    let qinv = big(key.coefficient);
    if !gt(&p, &qinv) || !eq(&Zeroizing::new(qinv.concatenating_mul(&*q).rem(&pnz)), &one) {
        return Err(Error::key("RSA CRT coefficient does not match the key"));
    }
    Ok(())
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn pkcs8_public(der_bytes: &[u8]) -> Result<(KeyFamily, PublicKey)> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der_bytes)
        .map_err(|_| Error::key("malformed PKCS#8 key"))?;
    let secret = info.private_key.as_bytes();
    match info.algorithm.oid.as_bytes() {
        OID_RSA => Ok((KeyFamily::Rsa, rsa_public(secret)?)),
        OID_EC => {
            let params = info
                .algorithm
                .parameters
                .ok_or(Error::key("EC key without curve"))?;
            if pkcs8::der::Tagged::tag(&params) != pkcs8::der::Tag::ObjectIdentifier {
                return Err(Error::key("EC key with explicit curve parameters"));
            }
            let curve =
                Curve::from_oid(params.value()).ok_or(Error::key("unsupported elliptic curve"))?;
            let (curve, public) = sec1_public(secret, Some(curve))?;
            Ok((curve.family(), public))
        }
        OID_ED25519 => {
            if info.algorithm.parameters.is_some() {
                return Err(Error::key("Ed25519 key with parameters"));
            }
            let (seed, rest) = der::expect(secret, der::OCTET_STRING)
                .ok_or(Error::key("malformed Ed25519 key"))?;
            let seed: &[u8; 32] = seed
                .value
                .try_into()
                .map_err(|_| Error::key("malformed Ed25519 key"))?;
            if !rest.is_empty() {
                return Err(Error::key("malformed Ed25519 key"));
            }
            let seed = Zeroizing::new(*seed);
            let derived = ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_bytes();
            if let Some(embedded) = info.public_key {
                let embedded = embedded
                    .as_bytes()
                    .ok_or(Error::key("malformed Ed25519 public key"))?;
                if embedded != derived {
                    return Err(Error::key(
                        "embedded public key does not match the private key",
                    ));
                }
            }
            Ok((KeyFamily::Ed25519, PublicKey::Ed25519(derived)))
        }
        _ => Err(Error::key("unsupported private key algorithm")),
    }
}

/// SEC1 `ECPrivateKey`; `outer` is the curve named by a PKCS#8 wrapper.
fn sec1_public(der_bytes: &[u8], outer: Option<Curve>) -> Result<(Curve, PublicKey)> {
    let key =
        sec1::EcPrivateKey::try_from(der_bytes).map_err(|_| Error::key("malformed SEC1 EC key"))?;
    let inner = match key.parameters.and_then(|p| p.named_curve()) {
        Some(oid) => {
            Some(Curve::from_oid(oid.as_bytes()).ok_or(Error::key("unsupported elliptic curve"))?)
        }
        None => None,
    };
    let curve = match (outer, inner) {
        (Some(a), Some(b)) if a != b => return Err(Error::key("conflicting curve parameters")),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => return Err(Error::key("EC key without curve")),
    };
    if key.private_key.len() != curve.field_len() {
        return Err(Error::key("EC private key has the wrong length"));
    }
    let bad_scalar = |_| Error::key("invalid EC private scalar");
    let derived: Vec<u8> = match curve {
        Curve::P256 => p256::SecretKey::from_slice(key.private_key)
            .map_err(bad_scalar)?
            .public_key()
            .to_sec1_bytes()
            .into(),
        Curve::P384 => p384::SecretKey::from_slice(key.private_key)
            .map_err(bad_scalar)?
            .public_key()
            .to_sec1_bytes()
            .into(),
        Curve::P521 => p521::SecretKey::from_slice(key.private_key)
            .map_err(bad_scalar)?
            .public_key()
            .to_sec1_bytes()
            .into(),
        Curve::P224 => p224::SecretKey::from_slice(key.private_key)
            .map_err(bad_scalar)?
            .public_key()
            .to_sec1_bytes()
            .into(),
        Curve::Sm2 => sm2::SecretKey::from_slice(key.private_key)
            .map_err(bad_scalar)?
            .public_key()
            .to_sec1_bytes()
            .into(),
    };
    // The public key is always the one the scalar gives (as Go's
    // ParseECPrivateKey recomputes it); an embedded one must agree, so a key
    // that carries the certificate's point over some other scalar is refused.
    if let Some(embedded) = key.public_key {
        if !ec_points_equal(curve, &derived, embedded) {
            return Err(Error::key(
                "embedded public key does not match the private key",
            ));
        }
    }
    let point = derived;
    Ok((curve, PublicKey::Ec { curve, point }))
}
