//! API Gateway SSL certificates (the certificate form and records).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of create and update certificate (`CertificateForm`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateForm {
    /// 4-50 characters, starts with a letter.
    pub name: String,
    /// PEM, leaf first, then the chain.
    pub cert_content: String,
    /// PEM private key.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub private_key: Secret<String>,
    /// `global` (default) or `instance`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Required when `type` is `instance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Trusted root CA, PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root_ca: Option<String>,
    /// `RSA | ECC | SM2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_type: Option<String>,
}

impl fmt::Debug for CertificateForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateForm")
            .field("name", &self.name)
            .field(
                "cert_content",
                &format_args!("{} bytes", self.cert_content.len()),
            )
            .field("private_key", &self.private_key)
            .field("type", &self.r#type)
            .field("instance_id", &self.instance_id)
            .field(
                "trusted_root_ca",
                &self.trusted_root_ca.as_ref().map(String::len),
            )
            .field("algorithm_type", &self.algorithm_type)
            .finish()
    }
}

/// A certificate as create, show and update return it
/// (`CreateCertificateV2Response`/`ShowDetailsOfCertificateV2Response`).
/// Fields the seed example leaves out are optional so it round-trips.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `global | instance`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Gateway id, `common` for global certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Owner project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Subject CN.
    pub common_name: String,
    /// DNS names then IP addresses.
    pub san: Vec<String>,
    /// Certificate version, 1..=3.
    pub version: u8,
    /// Subject O.
    pub organization: Vec<String>,
    /// Subject OU.
    pub organizational_unit: Vec<String>,
    /// Subject L.
    pub locality: Vec<String>,
    /// Subject ST.
    pub state: Vec<String>,
    /// Subject C.
    pub country: Vec<String>,
    /// RFC 3339 UTC.
    pub not_before: String,
    /// RFC 3339 UTC.
    pub not_after: String,
    /// Decimal.
    pub serial_number: String,
    /// Issuer O.
    pub issuer: Vec<String>,
    /// Go's name, `0` when unknown.
    pub signature_algorithm: String,
    /// RFC 3339 UTC.
    pub create_time: String,
    /// RFC 3339 UTC.
    pub update_time: String,
    /// Whether a trusted root CA was bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_has_trusted_root_ca: Option<bool>,
    /// `RSA | ECC | SM2 | Ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_type: Option<String>,
}

/// A certificate as list reports it (`CertificateBase`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateBase {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `global | instance`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// Gateway id, `common` for global certificates.
    pub instance_id: String,
    /// Owner project.
    pub project_id: String,
    /// Subject CN.
    pub common_name: String,
    /// DNS names then IP addresses.
    pub san: Vec<String>,
    /// RFC 3339 UTC.
    pub not_after: String,
    /// Go's name.
    pub signature_algorithm: String,
    /// RFC 3339 UTC.
    pub create_time: String,
    /// RFC 3339 UTC.
    pub update_time: String,
    /// Whether a trusted root CA was bound.
    pub is_has_trusted_root_ca: bool,
    /// `RSA | ECC | SM2 | Ed25519`.
    pub algorithm_type: String,
}

/// Response of list certificates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCertificatesV2ResponseBody {
    /// Number of records in this page.
    pub size: u64,
    /// Number of matching records in all.
    pub total: u64,
    /// This page.
    pub certs: Vec<CertificateBase>,
}

// ---------------------------------------------------------------- validated requests
/// `algorithm_type` of a certificate form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AlgorithmType {
    /// RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// ECDSA.
    #[serde(rename = "ECC")]
    Ecc,
    /// SM2.
    #[serde(rename = "SM2")]
    Sm2,
}

impl AlgorithmType {
    /// Parses `RSA | ECC | SM2`.
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "RSA" => Ok(Self::Rsa),
            "ECC" => Ok(Self::Ecc),
            "SM2" => Ok(Self::Sm2),
            _ => Err(ValidationError::new(
                "algorithm_type",
                Rule::NotOneOf("RSA, ECC, SM2"),
            )),
        }
    }
}

/// A validated create/update certificate form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    /// Name.
    pub name: CertificateName,
    /// Scope (`type` and `instance_id`).
    pub scope: CertificateScope,
    /// Leaf then chain, PEM.
    #[serde(serialize_with = "ser_pem")]
    pub cert_content: PemText,
    /// Private key, PEM (secret: never serialised).
    #[serde(serialize_with = "ser_redacted_pem")]
    pub private_key: PemText,
    /// Trusted root CA, PEM.
    #[serde(serialize_with = "ser_pem_len")]
    pub trusted_root_ca: Option<PemText>,
    /// Declared algorithm type.
    pub algorithm_type: Option<AlgorithmType>,
}

pub(crate) fn ser_pem<S: serde::Serializer>(
    v: &PemText,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("<PEM, {} bytes>", v.len()))
}

pub(crate) fn ser_redacted_pem<S: serde::Serializer>(
    v: &PemText,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("<redacted, {} bytes>", v.len()))
}

impl CertificateRequest {
    /// Applies the field rules; certificate content is checked by cert-parse.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CertificateForm) -> Result<Self> {
        Ok(Self {
            name: CertificateName::parse(&b.name)?,
            scope: CertificateScope::resolve(opt_str(&b.r#type), opt_str(&b.instance_id))?,
            cert_content: PemText::parse_field("cert_content", &b.cert_content)?,
            private_key: PemText::parse_field("private_key", b.private_key.expose())?,
            trusted_root_ca: match b.trusted_root_ca.as_deref() {
                None | Some("") => None,
                Some(s) => Some(PemText::parse_field("trusted_root_ca", s)?),
            },
            algorithm_type: opt_str(&b.algorithm_type)
                .map(AlgorithmType::parse)
                .transpose()?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CertificateRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
