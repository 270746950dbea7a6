//! The create/update-certificate check and the keystore CA check.

use x509_parser::certificate::X509Certificate;

use crate::cert::{self, CertificateInfo, Parsed};
use crate::error::{Error, Result};
use crate::key::{self, KeyFamily, PublicKey};
use crate::pem;

/// Largest `cert_content` or `trusted_root_ca` PEM text accepted.
pub const MAX_CERT_PEM_BYTES: usize = 64 * 1024;
/// Most certificates accepted in one `cert_content` or `trusted_root_ca`.
pub const MAX_CHAIN_LEN: usize = 8;

/// The certificate part of API Gateway's `CertificateForm`.
#[derive(Clone, Copy)]
pub struct CertificateUpload<'a> {
    /// PEM: the leaf first, then its intermediates.
    pub cert_content: &'a str,
    /// PEM private key of the leaf.
    pub private_key: &'a str,
    /// Optional PEM trusted root(s); empty or blank counts as absent.
    pub trusted_root_ca: Option<&'a str>,
}

impl core::fmt::Debug for CertificateUpload<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CertificateUpload")
            .field("cert_content_len", &self.cert_content.len())
            .field("private_key", &"<redacted>")
            .field("trusted_root_ca", &self.trusted_root_ca.map(str::len))
            .finish()
    }
}

/// What a successful check reports: the leaf's fields plus the record
/// fields that depend on the whole upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckedCertificate {
    /// The leaf certificate's fields (common_name, san, ..., fingerprint).
    pub leaf: CertificateInfo,
    /// The leaf's key family (always known once a check has passed; for
    /// [`check_chain`] without a key, `None` means a key kind API Gateway
    /// does not accept).
    pub algorithm_type: Option<KeyFamily>,
    /// Number of certificates in `cert_content` (leaf included).
    pub chain_len: usize,
    /// `true` when a trusted root was given (and the chain verified to it).
    pub is_has_trusted_root_ca: bool,
}

/// A CA certificate accepted for a keystore.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaCertificate {
    /// Its fields.
    pub info: CertificateInfo,
}

impl CaCertificate {
    /// SHA-256 of the certificate's DER.
    #[must_use]
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        self.info.sha256_fingerprint
    }
}

/// Decodes every `CERTIFICATE` block of a PEM text.
fn decode_certificates(text: &str, what: &'static str) -> Result<Vec<Vec<u8>>> {
    if text.len() > MAX_CERT_PEM_BYTES {
        return Err(Error::TooLarge {
            what,
            limit: MAX_CERT_PEM_BYTES,
        });
    }
    let text = pem::normalize(text);
    let mut out = Vec::new();
    for (index, block) in pem::blocks(&text).enumerate() {
        let block = block.map_err(|e| Error::cert(index, e.reason()))?;
        if block.label != "CERTIFICATE" {
            return Err(Error::cert(
                index,
                "unexpected PEM block (expected CERTIFICATE)",
            ));
        }
        if index >= MAX_CHAIN_LEN {
            return Err(Error::TooManyCertificates {
                what,
                limit: MAX_CHAIN_LEN,
            });
        }
        out.push(block.decode().map_err(|e| Error::cert(index, e.reason()))?);
    }
    if out.is_empty() {
        return Err(Error::cert(0, "no CERTIFICATE PEM block"));
    }
    Ok(out)
}

/// Parses one DER certificate into its fields (Go `x509.ParseCertificate`
/// semantics).
///
/// # Errors
/// [`Error::InvalidCertificate`] when Go would refuse it.
pub fn parse_certificate_der(der: &[u8]) -> Result<CertificateInfo> {
    cert::parse(der, 0).map(|p| p.info)
}

/// Parses every certificate of a PEM text (leaf first), with the input
/// tolerance described in the crate docs.
///
/// # Errors
/// [`Error::InvalidCertificate`], [`Error::TooLarge`] or
/// [`Error::TooManyCertificates`].
pub fn parse_certificates(pem_text: &str) -> Result<Vec<CertificateInfo>> {
    let ders = decode_certificates(pem_text, "cert_content")?;
    ders.iter()
        .enumerate()
        .map(|(i, d)| cert::parse(d, i).map(|p| p.info))
        .collect()
}

fn parse_all(ders: &[Vec<u8>]) -> Result<Vec<Parsed<'_>>> {
    ders.iter()
        .enumerate()
        .map(|(i, d)| cert::parse(d, i))
        .collect()
}

fn check_validity(info: &CertificateInfo, index: usize, at_unix: i64) -> Result<()> {
    if at_unix < info.not_before_unix {
        return Err(Error::NotYetValid {
            index,
            not_before: info.not_before.clone(),
        });
    }
    if at_unix > info.not_after_unix {
        return Err(Error::Expired {
            index,
            not_after: info.not_after.clone(),
        });
    }
    Ok(())
}

/// `child` names `parent` as its issuer and `parent`'s key verifies its signature.
fn issued_by(child: &Parsed<'_>, parent: &Parsed<'_>) -> bool {
    child.x509.tbs_certificate.issuer.as_raw() == parent.x509.tbs_certificate.subject.as_raw()
        && verify_signature(&child.x509, parent)
}

fn verify_signature(child: &X509Certificate<'_>, parent: &Parsed<'_>) -> bool {
    if child
        .verify_signature(Some(parent.x509.public_key()))
        .is_ok()
    {
        return true;
    }
    // ring has no P-521: verify ECDSA-SHA512 on P-521 with RustCrypto.
    if let Some(PublicKey::Ec {
        curve: key::Curve::P521,
        point,
    }) = &parent.public_key
    {
        if cert::signature_algorithm_name(child.signature_algorithm_content()) == "ECDSA-SHA512" {
            use p521::ecdsa::signature::Verifier;
            let Ok(key) = p521::ecdsa::VerifyingKey::from_sec1_bytes(point) else {
                return false;
            };
            let Ok(sig) = p521::ecdsa::Signature::from_der(&child.signature_value.data) else {
                return false;
            };
            return key.verify(child.tbs_certificate.as_ref(), &sig).is_ok();
        }
    }
    false
}

trait AlgorithmContent {
    fn signature_algorithm_content(&self) -> &[u8];
}

impl AlgorithmContent for X509Certificate<'_> {
    /// The outer AlgorithmIdentifier's content (equal to the inner one:
    /// `cert::parse` checked).
    fn signature_algorithm_content(&self) -> &[u8] {
        let raw = self.as_raw();
        crate::der::expect(raw, crate::der::SEQUENCE)
            .and_then(|(c, _)| crate::der::read(c.value))
            .and_then(|(_, rest)| crate::der::expect(rest, crate::der::SEQUENCE))
            .map_or(&[], |(alg, _)| alg.value)
    }
}

/// Validity of every certificate, then the links leaf → intermediates →
/// trusted root.
fn check_parsed_chain(
    chain: &[Parsed<'_>],
    trusted_root_ca: Option<&str>,
    at_unix: i64,
) -> Result<bool> {
    for (index, p) in chain.iter().enumerate() {
        check_validity(&p.info, index, at_unix)?;
    }
    for (index, pair) in chain.windows(2).enumerate() {
        if let [child, parent] = pair {
            if child.x509.tbs_certificate.issuer.as_raw()
                != parent.x509.tbs_certificate.subject.as_raw()
            {
                return Err(Error::chain(
                    index,
                    "issuer does not match the next certificate's subject",
                ));
            }
            if !verify_signature(&child.x509, parent) {
                return Err(Error::chain(
                    index,
                    "signature not verified by the next certificate",
                ));
            }
        }
    }
    let roots_text = trusted_root_ca.filter(|t| !pem::normalize(t).trim().is_empty());
    let Some(roots_text) = roots_text else {
        return Ok(false);
    };
    let root_ders = decode_certificates(roots_text, "trusted_root_ca")?;
    let roots = parse_all(&root_ders)?;
    let last_index = chain.len().saturating_sub(1);
    let last = chain
        .last()
        .ok_or(Error::cert(0, "no CERTIFICATE PEM block"))?;
    let anchor = roots
        .iter()
        .find(|r| r.x509.as_raw() == last.x509.as_raw())
        .or_else(|| roots.iter().find(|r| issued_by(last, r)))
        .ok_or(Error::chain(
            last_index,
            "chain does not lead to the trusted root",
        ))?;
    check_validity(&anchor.info, chain.len(), at_unix)?;
    Ok(true)
}

/// Checks a certificate chain without a private key: every certificate
/// parses and is valid at `at_unix` (seconds since the Unix epoch; the
/// crate reads no clock), each is issued (name and signature) by the next,
/// and, when `trusted_root_ca` is given, the last one is that root or is
/// issued by it.
///
/// # Errors
/// [`Error::InvalidCertificate`], [`Error::TooLarge`],
/// [`Error::TooManyCertificates`] (APIG.2106); [`Error::Expired`],
/// [`Error::NotYetValid`] (APIG.2102); [`Error::ChainNotMatched`] (APIG.2104).
pub fn check_chain(
    cert_content: &str,
    trusted_root_ca: Option<&str>,
    at_unix: i64,
) -> Result<CheckedCertificate> {
    let ders = decode_certificates(cert_content, "cert_content")?;
    let chain = parse_all(&ders)?;
    let trusted = check_parsed_chain(&chain, trusted_root_ca, at_unix)?;
    record(chain, trusted)
}

fn record(chain: Vec<Parsed<'_>>, trusted: bool) -> Result<CheckedCertificate> {
    let chain_len = chain.len();
    let leaf = chain
        .into_iter()
        .next()
        .ok_or(Error::cert(0, "no CERTIFICATE PEM block"))?;
    Ok(CheckedCertificate {
        algorithm_type: leaf.info.algorithm_type,
        leaf: leaf.info,
        chain_len,
        is_has_trusted_root_ca: trusted,
    })
}

/// The whole create/update-certificate check, in API Gateway's order:
/// certificates parse (2106), the key is not encrypted (2105) and parses
/// (2106), the key belongs to the leaf (2101), every certificate is valid
/// at `at_unix` (2102), the chain links leaf → intermediates → trusted root
/// by name and signature (2104).
///
/// # Errors
/// One [`Error`] per failed check; see [`Error::apig_code`].
pub fn check_certificate(
    upload: &CertificateUpload<'_>,
    at_unix: i64,
) -> Result<CheckedCertificate> {
    let ders = decode_certificates(upload.cert_content, "cert_content")?;
    let chain = parse_all(&ders)?;
    let key = key::parse_private_key(upload.private_key)?;
    let leaf = chain
        .first()
        .ok_or(Error::cert(0, "no CERTIFICATE PEM block"))?;
    match &leaf.public_key {
        Some(cert_key) if cert_key.matches(&key.public) => {}
        _ => return Err(Error::KeyMismatch),
    }
    let trusted = check_parsed_chain(&chain, upload.trusted_root_ca, at_unix)?;
    let mut out = record(chain, trusted)?;
    out.algorithm_type = Some(key.algorithm_type());
    Ok(out)
}

/// The keystore CA check: exactly one PEM certificate, with
/// basicConstraints `cA = TRUE`.
///
/// # Errors
/// [`Error::InvalidCertificate`] when it does not parse or there is not
/// exactly one; [`Error::NotCaCertificate`] when it is not a CA.
pub fn check_ca_certificate(pem_text: &str) -> Result<CaCertificate> {
    let ders = decode_certificates(pem_text, "hsm_ca_cert")?;
    if ders.len() != 1 {
        return Err(Error::cert(1, "expected exactly one certificate"));
    }
    let info = parse_certificate_der(ders.first().map_or(&[][..], Vec::as_slice))?;
    if !info.is_ca {
        return Err(Error::NotCaCertificate);
    }
    Ok(CaCertificate { info })
}
