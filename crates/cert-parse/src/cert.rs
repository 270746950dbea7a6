//! Parsing one DER certificate into the owned record, Go semantics.

use sha2::{Digest, Sha256};
use x509_parser::certificate::{X509Certificate, X509CertificateParser};
use x509_parser::nom::Parser;
use x509_parser::time::ASN1Time;

use crate::der;
use crate::error::{Error, Result};
use crate::key::{Curve, KeyFamily, PublicKey};
use crate::names::{self, Keep};

/// Everything API Gateway reports about one certificate, as owned values
/// with Go `crypto/x509` semantics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The subject's last CN attribute (Go's `Subject.CommonName`), `""` if none.
    pub common_name: String,
    /// SAN dNSName values, then iPAddress values (Go's `net.IP.String()`), in certificate order.
    pub san: Vec<String>,
    /// notBefore, RFC 3339 UTC with `Z`.
    pub not_before: String,
    /// notAfter, RFC 3339 UTC with `Z`.
    pub not_after: String,
    /// notBefore as Unix seconds.
    pub not_before_unix: i64,
    /// notAfter as Unix seconds.
    pub not_after_unix: i64,
    /// The serial in decimal, with `-` when negative.
    pub serial_number: String,
    /// The X.509 version (1, 2 or 3).
    pub version: u8,
    /// Go's `SignatureAlgorithm.String()`, `"0"` when Go does not know it.
    pub signature_algorithm: &'static str,
    /// From the subject public key; `None` for keys API Gateway does not
    /// accept (DSA, Ed448, GOST, X25519, ...).
    pub algorithm_type: Option<KeyFamily>,
    /// Subject O values, in order.
    pub organization: Vec<String>,
    /// Subject OU values, in order.
    pub organizational_unit: Vec<String>,
    /// Subject L values, in order.
    pub locality: Vec<String>,
    /// Subject ST values, in order.
    pub state: Vec<String>,
    /// Subject C values, in order (as written, even when not two letters).
    pub country: Vec<String>,
    /// The issuer's O values, in order.
    pub issuer: Vec<String>,
    /// SHA-256 of the certificate's DER.
    pub sha256_fingerprint: [u8; 32],
    /// basicConstraints cA = TRUE.
    pub is_ca: bool,
}

impl CertificateInfo {
    /// The SHA-256 fingerprint as 64 lower-case hex digits.
    #[must_use]
    pub fn sha256_fingerprint_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.sha256_fingerprint)
    }
}

/// A certificate parsed for checking: the x509-parser view (borrowing the
/// caller's DER) plus what this crate extracted.
pub(crate) struct Parsed<'a> {
    pub(crate) x509: X509Certificate<'a>,
    pub(crate) info: CertificateInfo,
    pub(crate) public_key: Option<PublicKey>,
}

const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];

/// Parses one DER certificate (`index` is only used in errors).
pub(crate) fn parse(der_bytes: &[u8], index: usize) -> Result<Parsed<'_>> {
    let bad = |reason| Error::cert(index, reason);
    let (rest, x509) = X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(der_bytes)
        .map_err(|_| bad("malformed certificate"))?;
    if !rest.is_empty() {
        return Err(bad("trailing data after certificate"));
    }

    // Raw walk for what Go compares byte for byte.
    let (cert, _) = der::expect(der_bytes, der::SEQUENCE).ok_or(bad("malformed certificate"))?;
    let (tbs, rest) =
        der::expect(cert.value, der::SEQUENCE).ok_or(bad("malformed tbs certificate"))?;
    let (outer_alg, _) =
        der::expect(rest, der::SEQUENCE).ok_or(bad("malformed signature algorithm"))?;
    let (_, tbs_rest) = der::optional(tbs.value, 0xa0).ok_or(bad("malformed version"))?;
    let (serial, tbs_rest) =
        der::expect(tbs_rest, der::INTEGER).ok_or(bad("malformed serial number"))?;
    let (inner_alg, _) =
        der::expect(tbs_rest, der::SEQUENCE).ok_or(bad("malformed signature algorithm"))?;
    if inner_alg.full != outer_alg.full {
        return Err(bad(
            "inner and outer signature algorithm identifiers don't match",
        ));
    }
    if !der::valid_integer(serial.value) {
        return Err(bad("malformed serial number"));
    }
    if serial.value.len() > MAX_SERIAL_OCTETS {
        return Err(bad("serial number longer than 64 octets"));
    }

    let version = x509.tbs_certificate.version.0;
    if version > 2 {
        return Err(bad("invalid version"));
    }

    let subject =
        names::parse_name(x509.tbs_certificate.subject.as_raw(), Keep::Subject).map_err(bad)?;
    let issuer = names::parse_name(x509.tbs_certificate.issuer.as_raw(), Keep::OrganizationOnly)
        .map_err(bad)?;

    let mut san = Vec::new();
    let mut is_ca = false;
    if version == 2 {
        let exts = x509.tbs_certificate.extensions();
        for (i, ext) in exts.iter().enumerate() {
            let oid = ext.oid.as_bytes();
            if exts[..i].iter().any(|e| e.oid.as_bytes() == oid) {
                return Err(bad("certificate contains duplicate extensions"));
            }
            if oid == OID_SAN {
                san = names::parse_san(ext.value).map_err(bad)?;
            } else if oid == OID_BASIC_CONSTRAINTS {
                is_ca =
                    parse_basic_constraints(ext.value).ok_or(bad("invalid basic constraints"))?;
            }
        }
    }

    let spki = x509.tbs_certificate.subject_pki.raw;
    let (public_key, algorithm_type) = parse_public_key(spki).map_err(bad)?;

    let validity = &x509.tbs_certificate.validity;
    let info = CertificateInfo {
        common_name: subject.common_name,
        san,
        not_before: rfc3339(&validity.not_before),
        not_after: rfc3339(&validity.not_after),
        not_before_unix: validity.not_before.timestamp(),
        not_after_unix: validity.not_after.timestamp(),
        serial_number: decimal_serial(serial.value),
        version: u8::try_from(version + 1).map_err(|_| bad("invalid version"))?,
        signature_algorithm: signature_algorithm_name(inner_alg.value),
        algorithm_type,
        organization: subject.organization,
        organizational_unit: subject.organizational_unit,
        locality: subject.locality,
        state: subject.state,
        country: subject.country,
        issuer: issuer.organization,
        sha256_fingerprint: Sha256::digest(der_bytes).into(),
        is_ca,
    };
    Ok(Parsed {
        x509,
        info,
        public_key,
    })
}

/// Go's `parseBasicConstraintsExtension`; returns cA.
fn parse_basic_constraints(value: &[u8]) -> Option<bool> {
    let (seq, _) = der::expect(value, der::SEQUENCE)?;
    let (ca, rest) = der::optional(seq.value, der::BOOLEAN)?;
    let is_ca = match ca {
        None => false,
        Some(b) => match b.value {
            [0x00] => false,
            [0xff] => true,
            _ => return None,
        },
    };
    let (len, _) = der::optional(rest, der::INTEGER)?;
    if let Some(len) = len {
        // Go reads it into an int: it must be a valid, representable integer.
        if !der::valid_integer(len.value) || len.value.len() > 8 {
            return None;
        }
    }
    Some(is_ca)
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const OID_DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
const NULL_PARAMS: &[u8] = &[0x05, 0x00];

/// Go's `parsePublicKey` checks for the algorithms Go knows, and the key
/// material this crate compares with private keys.
fn parse_public_key(
    spki: &[u8],
) -> core::result::Result<(Option<PublicKey>, Option<KeyFamily>), &'static str> {
    let (seq, _) = der::expect(spki, der::SEQUENCE).ok_or("malformed public key info")?;
    let (alg, rest) =
        der::expect(seq.value, der::SEQUENCE).ok_or("malformed public key algorithm")?;
    let (bits, _) = der::expect(rest, der::BIT_STRING).ok_or("malformed subjectPublicKey")?;
    if !der::valid_bit_string(bits.value) {
        return Err("malformed subjectPublicKey");
    }
    let (oid, params) = der::expect(alg.value, der::OID).ok_or("malformed public key algorithm")?;
    match oid.value {
        OID_RSA => {
            if params != NULL_PARAMS {
                return Err("RSA key missing NULL parameters");
            }
            let key = der::octet_aligned_bits(bits.value).ok_or("invalid RSA public key")?;
            let (seq, _) = der::expect(key, der::SEQUENCE).ok_or("invalid RSA public key")?;
            let (n, rest) = der::expect(seq.value, der::INTEGER).ok_or("invalid RSA modulus")?;
            let (e, _) = der::expect(rest, der::INTEGER).ok_or("invalid RSA public exponent")?;
            if !der::valid_integer(e.value) || e.value.len() > 8 {
                return Err("invalid RSA public exponent");
            }
            let n = der::positive_integer(n.value).ok_or("RSA modulus is not a positive number")?;
            let e = der::positive_integer(e.value)
                .ok_or("RSA public exponent is not a positive number")?;
            Ok((
                Some(PublicKey::Rsa {
                    n: n.to_vec(),
                    e: e.to_vec(),
                }),
                Some(KeyFamily::Rsa),
            ))
        }
        OID_EC => {
            let (curve_oid, _) = der::expect(params, der::OID).ok_or("invalid ECDSA parameters")?;
            let curve = Curve::from_oid(curve_oid.value).ok_or("unsupported elliptic curve")?;
            let point = der::octet_aligned_bits(bits.value)
                .ok_or("failed to unmarshal elliptic curve point")?;
            if point.first() != Some(&0x04) || !curve.is_valid_uncompressed_point(point) {
                return Err("failed to unmarshal elliptic curve point");
            }
            let family = if curve == Curve::Sm2 {
                KeyFamily::Sm2
            } else {
                KeyFamily::Ecc
            };
            Ok((
                Some(PublicKey::Ec {
                    curve,
                    point: point.to_vec(),
                }),
                Some(family),
            ))
        }
        OID_ED25519 | OID_X25519 => {
            if !params.is_empty() {
                return Err("Ed25519/X25519 key encoded with illegal parameters");
            }
            let key = der::octet_aligned_bits(bits.value).ok_or("wrong Ed25519 public key size")?;
            let key: [u8; 32] = key
                .try_into()
                .map_err(|_| "wrong Ed25519/X25519 public key size")?;
            if oid.value == OID_X25519 {
                Ok((None, None))
            } else {
                Ok((Some(PublicKey::Ed25519(key)), Some(KeyFamily::Ed25519)))
            }
        }
        OID_DSA => {
            let key = der::octet_aligned_bits(bits.value).ok_or("invalid DSA public key")?;
            let (y, _) = der::expect(key, der::INTEGER).ok_or("invalid DSA public key")?;
            let (p, _) = der::expect(params, der::SEQUENCE).ok_or("invalid DSA parameters")?;
            let (pp, rest) = der::expect(p.value, der::INTEGER).ok_or("invalid DSA parameters")?;
            let (q, rest) = der::expect(rest, der::INTEGER).ok_or("invalid DSA parameters")?;
            let (g, _) = der::expect(rest, der::INTEGER).ok_or("invalid DSA parameters")?;
            for v in [y.value, pp.value, q.value, g.value] {
                der::positive_integer(v).ok_or("zero or negative DSA parameter")?;
            }
            Ok((None, None))
        }
        _ => Ok((None, None)),
    }
}

/// RFC 3339 UTC with second precision, e.g. `2031-08-16T06:36:13Z`.
pub(crate) fn rfc3339(t: &ASN1Time) -> String {
    let dt = t.to_datetime();
    let mut out = String::with_capacity(20);
    // UTCTime and GeneralizedTime carry four-digit years (0..=9999).
    let year = u32::try_from(dt.year()).unwrap_or(0).min(9999);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, u32::from(u8::from(dt.month())), 2);
    out.push('-');
    push_digits(&mut out, u32::from(dt.day()), 2);
    out.push('T');
    push_digits(&mut out, u32::from(dt.hour()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(dt.minute()), 2);
    out.push(':');
    push_digits(&mut out, u32::from(dt.second()), 2);
    out.push('Z');
    out
}

/// Appends `value` in decimal, zero-padded to `width` digits (at most 10).
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut v = value;
    let mut i = buf.len();
    while v > 0 && i > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = i.min(buf.len().saturating_sub(width));
    out.extend(buf[start..].iter().map(|&b| char::from(b)));
}

/// Longest serial number accepted, in content octets. RFC 5280 caps
/// serials at 20 octets and asks relying parties to handle that much; real
/// CAs exceed it (the shared corpus holds a 32-octet one) and Go's
/// `ParseCertificate` sets no limit at all. 64 octets keeps every real
/// certificate while bounding the decimal conversion below, which is
/// quadratic in the length.
pub const MAX_SERIAL_OCTETS: usize = 64;

/// Two's-complement big-endian INTEGER content to decimal.
pub(crate) fn decimal_serial(bytes: &[u8]) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = bytes.to_vec();
    if negative {
        // Two's complement: invert and add one.
        for b in &mut magnitude {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    // Base 10^9 limbs, least significant first.
    let mut limbs: Vec<u32> = Vec::with_capacity(bytes.len() / 4 + 1);
    for &byte in &magnitude {
        let mut carry = u64::from(byte);
        for limb in &mut limbs {
            let v = u64::from(*limb) * 256 + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    }
    let mut out = String::with_capacity(limbs.len() * 9 + 1);
    if negative {
        out.push('-');
    }
    match limbs.split_last() {
        None => out.push('0'),
        Some((top, lower)) => {
            push_digits(&mut out, *top, 1);
            for limb in lower.iter().rev() {
                push_digits(&mut out, *limb, 9);
            }
        }
    }
    out
}

const PKCS1: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
const SHA1_RSA_OIW: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1d];
const DSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03];
const DSA_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02];
const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const ECDSA_SHA2: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
const SHA2_HASH: [u8; 8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];

/// Go's `getSignatureAlgorithmFromAI` and `SignatureAlgorithm.String()`,
/// from the content of an AlgorithmIdentifier SEQUENCE.
pub(crate) fn signature_algorithm_name(ai: &[u8]) -> &'static str {
    const UNKNOWN: &str = "0";
    let Some((oid, params)) = der::expect(ai, der::OID) else {
        return UNKNOWN;
    };
    let oid = oid.value;
    if oid == OID_ED25519 {
        return if params.is_empty() {
            "Ed25519"
        } else {
            UNKNOWN
        };
    }
    if oid == SHA1_RSA_OIW {
        return "SHA1-RSA";
    }
    if oid == DSA_SHA1 {
        return "DSA-SHA1";
    }
    if oid == DSA_SHA256 {
        return "DSA-SHA256";
    }
    if oid == ECDSA_SHA1 {
        return "ECDSA-SHA1";
    }
    if let Some(rest) = oid.strip_prefix(&ECDSA_SHA2[..]) {
        return match rest {
            [2] => "ECDSA-SHA256",
            [3] => "ECDSA-SHA384",
            [4] => "ECDSA-SHA512",
            _ => UNKNOWN,
        };
    }
    if let Some(rest) = oid.strip_prefix(&PKCS1[..]) {
        return match rest {
            [2] => "MD2-RSA",
            [4] => "MD5-RSA",
            [5] => "SHA1-RSA",
            [11] => "SHA256-RSA",
            [12] => "SHA384-RSA",
            [13] => "SHA512-RSA",
            [10] => pss_name(params).unwrap_or(UNKNOWN),
            _ => UNKNOWN,
        };
    }
    UNKNOWN
}

/// An AlgorithmIdentifier's OID and its raw parameters (Go's `FullBytes`).
fn algorithm_identifier(full: &[u8]) -> Option<(&[u8], &[u8])> {
    let (seq, _) = der::expect(full, der::SEQUENCE)?;
    let (oid, params) = der::expect(seq.value, der::OID)?;
    if !params.is_empty() {
        // At most one parameters element.
        let (_, trailing) = der::read(params)?;
        if !trailing.is_empty() {
            return None;
        }
    }
    Some((oid.value, params))
}

/// Go's RSASSA-PSS bucketing; `None` means "unknown".
fn pss_name(params: &[u8]) -> Option<&'static str> {
    let (seq, _) = der::expect(params, der::SEQUENCE)?;
    let (hash, rest) = der::expect(seq.value, 0xa0)?;
    let (mgf, rest) = der::expect(rest, 0xa1)?;
    let (salt, rest) = der::expect(rest, 0xa2)?;
    let (trailer, rest) = der::optional(rest, 0xa3)?;
    if !rest.is_empty() {
        return None;
    }
    let small_int = |explicit: &[u8]| -> Option<i64> {
        let (int, trailing) = der::expect(explicit, der::INTEGER)?;
        if !trailing.is_empty() || !der::valid_integer(int.value) || int.value.len() > 8 {
            return None;
        }
        let first = *int.value.first()?;
        let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
        Some(
            int.value
                .iter()
                .fold(init, |acc, &b| (acc << 8) | i64::from(b)),
        )
    };
    let (hash_oid, hash_params) = algorithm_identifier(hash.value)?;
    let (mgf_oid, mgf_params) = algorithm_identifier(mgf.value)?;
    let (mgf_hash_oid, mgf_hash_params) = algorithm_identifier(mgf_params)?;
    let salt = small_int(salt.value)?;
    let trailer = match trailer {
        Some(t) => small_int(t.value)?,
        None => 1,
    };
    let null_or_absent = |p: &[u8]| p.is_empty() || p == NULL_PARAMS;
    const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
    if !null_or_absent(hash_params)
        || mgf_oid != MGF1
        || mgf_hash_oid != hash_oid
        || !null_or_absent(mgf_hash_params)
        || trailer != 1
    {
        return None;
    }
    match (hash_oid.strip_prefix(&SHA2_HASH[..])?, salt) {
        ([1], 32) => Some("SHA256-RSAPSS"),
        ([2], 48) => Some("SHA384-RSAPSS"),
        ([3], 64) => Some("SHA512-RSAPSS"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal_serial(&[0]), "0");
        assert_eq!(decimal_serial(&[0x3b, 0x9a, 0xca, 0x00]), "1000000000");
        assert_eq!(decimal_serial(&[0x3b, 0x9a, 0xca, 0x01]), "1000000001");
        assert_eq!(decimal_serial(&[0x01, 0x00]), "256");
        assert_eq!(decimal_serial(&[0xff]), "-1");
        assert_eq!(decimal_serial(&[0x80]), "-128");
        assert_eq!(
            decimal_serial(&(-18_008_675_309i64).to_be_bytes()[3..]),
            "-18008675309"
        );
        assert_eq!(
            decimal_serial(&[0x3b, 0x9a, 0xca, 0x00, 0x3b, 0x9a, 0xca, 0x00]),
            (0x3b9a_ca00_3b9a_ca00u64).to_string()
        );
    }
}
