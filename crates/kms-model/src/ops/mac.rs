//! MAC keys (generate-mac, verify-mac), key agreement
//! (derive-shared-secret) and the API version documents (show-versions,
//! show-version).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/generate-mac` (the SDK's
/// `GenerateMacRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateMacRequestBody {
    /// The HMAC key.
    pub key_id: String,
    /// `HMAC_SHA_256`, `HMAC_SHA_384`, `HMAC_SHA_512` or `HMAC_SM3`.
    pub mac_algorithm: String,
    /// The message, 1..=4096 bytes, standard base64.
    pub message: String,
}

/// Response of generate-mac (the SDK's `GenerateMacResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateMacResponseBody {
    /// The HMAC key.
    pub key_id: String,
    /// The algorithm.
    pub mac_algorithm: String,
    /// The MAC, lower-case hex (as the API reference's example shows it).
    pub mac: String,
}

/// Body of `POST /v1.0/{project_id}/kms/verify-mac` (the SDK's
/// `VerifyMacRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyMacRequestBody {
    /// The HMAC key.
    pub key_id: String,
    /// `HMAC_SHA_256`, `HMAC_SHA_384`, `HMAC_SHA_512` or `HMAC_SM3`.
    pub mac_algorithm: String,
    /// The message, 1..=4096 bytes, standard base64.
    pub message: String,
    /// The MAC to check, hex (either case).
    pub mac: String,
}

/// Response of verify-mac (the SDK's `VerifyMacResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyMacResponseBody {
    /// The HMAC key.
    pub key_id: String,
    /// The algorithm.
    pub mac_algorithm: String,
    /// Whether the MAC verifies (a JSON boolean, as the SDK's model types
    /// it).
    pub mac_valid: bool,
}

/// The confidential-computing recipient of derive-shared-secret (the SDK's
/// `Recipient`). Not served: refused when present.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The enclave's attestation document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_document: Option<String>,
    /// `RSAES_OAEP_SHA_256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_encryption_algorithm: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/derive-shared-secret` (the SDK's
/// `DeriveSharedSecretRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeriveSharedSecretRequestBody {
    /// The `KEY_AGREEMENT` key pair.
    pub key_id: String,
    /// `ECDH`.
    pub key_agreement_algorithm: String,
    /// The peer's public key: DER SubjectPublicKeyInfo, standard base64.
    pub public_key: String,
    /// Confidential-computing recipient (not served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
}

/// Response of derive-shared-secret (the SDK's
/// `DeriveSharedSecretResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeriveSharedSecretResponseBody {
    /// The key pair.
    pub key_id: String,
    /// `ECDH`.
    pub key_agreement_algorithm: String,
    /// The raw shared secret (the agreed point's x coordinate), standard
    /// base64.
    pub shared_secret: String,
}

/// A link of a version document (the SDK's `ApiLink`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiLink {
    /// The version's URL.
    pub href: String,
    /// `self`.
    pub rel: String,
}

/// One API version (the SDK's `ApiVersionDetail`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiVersionDetail {
    /// `v1.0`.
    pub id: String,
    /// The version's links.
    pub links: Vec<ApiLink>,
    /// The largest micro-version; empty (none are served).
    pub version: String,
    /// `CURRENT`.
    pub status: String,
    /// When the version was released, UTC (`2014-06-28T12:20:21Z` form).
    pub updated: String,
    /// The smallest micro-version; empty.
    pub min_version: String,
}

/// Response of `GET /` (the SDK's `ShowVersionsResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowVersionsResponseBody {
    /// Every version served.
    pub versions: Vec<ApiVersionDetail>,
}

/// Response of `GET /{version_id}` (the SDK's `ShowVersionResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowVersionResponseBody {
    /// The version.
    pub version: ApiVersionDetail,
}

// ---------------------------------------------------------------- validated requests
/// The largest `message` of generate-mac / verify-mac, in bytes once
/// decoded.
pub const MAX_MAC_MESSAGE_BYTES: usize = 4096;

/// The largest `mac` of verify-mac, in bytes once decoded (HMAC-SHA-512).
pub const MAX_MAC_BYTES: usize = 64;

/// The largest `public_key` of derive-shared-secret, in bytes once decoded
/// (a P-384 SubjectPublicKeyInfo is 120 bytes).
pub const MAX_AGREEMENT_PUBLIC_KEY_BYTES: usize = 1024;

fn mac_fields(key_id: &str, mac_algorithm: &str) -> Result<(KeyId, MacAlgorithm)> {
    let key_id = KeyId::parse(key_id)?;
    if mac_algorithm.is_empty() {
        return Err(ValidationError::missing("mac_algorithm"));
    }
    Ok((key_id, MacAlgorithm::parse(mac_algorithm)?))
}

/// A validated generate-mac request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenerateMacRequest {
    /// The HMAC key.
    pub key_id: KeyId,
    /// The algorithm.
    pub mac_algorithm: MacAlgorithm,
    /// The message (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub message: Vec<u8>,
}

impl GenerateMacRequest {
    /// `key_id` a key id (KMS.0205); `mac_algorithm` one of the four
    /// documented; `message` standard base64 of 1..=4096 bytes (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &GenerateMacRequestBody) -> Result<Self> {
        let (key_id, mac_algorithm) = mac_fields(&b.key_id, &b.mac_algorithm)?;
        Ok(Self {
            key_id,
            mac_algorithm,
            message: base64_field("message", &b.message, MAX_MAC_MESSAGE_BYTES)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`GenerateMacRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated verify-mac request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyMacRequest {
    /// The HMAC key.
    pub key_id: KeyId,
    /// The algorithm.
    pub mac_algorithm: MacAlgorithm,
    /// The message (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub message: Vec<u8>,
    /// The MAC to check (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub mac: Vec<u8>,
}

impl VerifyMacRequest {
    /// As [`GenerateMacRequest::from_body`], and `mac` hex (either case) of
    /// 1..=64 bytes (KMS.0308). A MAC of another length than the
    /// algorithm's is well formed; it does not verify.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &VerifyMacRequestBody) -> Result<Self> {
        let (key_id, mac_algorithm) = mac_fields(&b.key_id, &b.mac_algorithm)?;
        let message = base64_field("message", &b.message, MAX_MAC_MESSAGE_BYTES)?;
        if b.mac.is_empty() {
            return Err(ValidationError::missing("mac"));
        }
        if b.mac.len() % 2 != 0 {
            return Err(ValidationError::new("mac", Rule::NotHex));
        }
        let mac = decode_hex("mac", &b.mac, MAX_MAC_BYTES)?.to_vec();
        Ok(Self {
            key_id,
            mac_algorithm,
            message,
            mac,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`VerifyMacRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated derive-shared-secret request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeriveSharedSecretRequest {
    /// The `KEY_AGREEMENT` key pair.
    pub key_id: KeyId,
    /// `ECDH`.
    pub key_agreement_algorithm: KeyAgreementAlgorithm,
    /// The peer's public key, DER SubjectPublicKeyInfo (decoded; shown as
    /// base64). Its curve is checked against the key's when it is used.
    #[serde(serialize_with = "ser_base64")]
    pub public_key: Vec<u8>,
}

impl DeriveSharedSecretRequest {
    /// `key_id` a key id (KMS.0205); `key_agreement_algorithm` `ECDH`;
    /// `public_key` standard base64 of 1..=1024 bytes; `recipient` absent
    /// (confidential-computing recipients are not served, KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &DeriveSharedSecretRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        if b.key_agreement_algorithm.is_empty() {
            return Err(ValidationError::missing("key_agreement_algorithm"));
        }
        let key_agreement_algorithm = KeyAgreementAlgorithm::parse(&b.key_agreement_algorithm)?;
        let public_key = base64_field("public_key", &b.public_key, MAX_AGREEMENT_PUBLIC_KEY_BYTES)?;
        if b.recipient.is_some() {
            return Err(ValidationError::new(
                "recipient",
                Rule::Unsupported("no confidential-computing recipient is served"),
            ));
        }
        Ok(Self {
            key_id,
            key_agreement_algorithm,
            public_key,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`DeriveSharedSecretRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
