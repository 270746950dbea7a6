//! Sign, verify and public keys of asymmetric CMKs.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/sign`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRequestBody {
    /// The asymmetric CMK.
    pub key_id: String,
    /// The digest or message to sign, standard base64.
    pub message: String,
    /// `RSASSA_PSS_SHA_256`, `ECDSA_SHA_256`, ...
    pub signing_algorithm: String,
    /// `DIGEST` (default) or `RAW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The signature, standard base64.
    pub signature: String,
}

/// Body of `POST /v1.0/{project_id}/kms/verify` (the SDK's
/// `validate_signature`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequestBody {
    /// The asymmetric CMK.
    pub key_id: String,
    /// The digest or message that was signed, standard base64.
    pub message: String,
    /// The signature to check, standard base64.
    pub signature: String,
    /// `RSASSA_PSS_SHA_256`, `ECDSA_SHA_256`, ...
    pub signing_algorithm: String,
    /// `DIGEST` (default) or `RAW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of verify (the SDK's `ValidateSignatureResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateSignatureResponseBody {
    /// The CMK.
    pub key_id: String,
    /// `"true"` or `"false"`.
    pub signature_valid: String,
}

/// Response of get-publickey (the SDK's `ShowPublicKeyResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowPublicKeyResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The public key, PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    pub public_key: String,
}

// ---------------------------------------------------------------- validated requests
/// The largest `message` of sign / verify, in bytes once decoded.
pub const MAX_SIGN_MESSAGE_BYTES: usize = 4096;

/// The largest `signature` of verify, in bytes once decoded (an RSA-4096
/// signature is 512 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 512;

pub(crate) fn ser_base64<S: serde::Serializer>(
    bytes: &[u8],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use base64ct::Encoding as _;
    s.serialize_str(&base64ct::Base64::encode_string(bytes))
}

/// Decodes a standard padded base64 field of 1..=`max` bytes.
pub(crate) fn base64_field(field: &'static str, s: &str, max: usize) -> Result<Vec<u8>> {
    use base64ct::Encoding as _;
    if s.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    // 4 characters per 3 bytes, padded.
    let max_chars = max.div_ceil(3) * 4;
    if s.len() > max_chars {
        return Err(ValidationError::new(
            field,
            Rule::TooLong { max: max_chars },
        ));
    }
    let bytes = base64ct::Base64::decode_vec(s).map_err(|_| {
        ValidationError::new(
            field,
            Rule::InvalidCharacter {
                at: 0,
                pattern: "standard base64 with padding",
            },
        )
    })?;
    if bytes.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    if bytes.len() > max {
        return Err(ValidationError::new(
            field,
            Rule::OutOfRange {
                min: 1,
                max: max as u64,
            },
        ));
    }
    Ok(bytes)
}

/// The message of sign / verify: 1..=4096 bytes, and a digest exactly as
/// long as the algorithm's hash.
pub(crate) fn sign_message(
    message: &str,
    alg: SigningAlgorithm,
    message_type: MessageType,
) -> Result<Vec<u8>> {
    let bytes = base64_field("message", message, MAX_SIGN_MESSAGE_BYTES)?;
    if message_type == MessageType::Digest && bytes.len() != alg.digest_len() {
        return Err(ValidationError::new(
            "message",
            Rule::ExactLength {
                expected: alg.digest_len(),
            },
        ));
    }
    Ok(bytes)
}

/// The fields sign and verify share, in the order they are checked:
/// `key_id`, `signing_algorithm`, `message_type`, then `message`.
pub(crate) fn signed_fields(
    key_id: &str,
    signing_algorithm: &str,
    message_type: &Option<String>,
    message: &str,
) -> Result<(KeyId, SigningAlgorithm, MessageType, Vec<u8>)> {
    let key_id = KeyId::parse(key_id)?;
    if signing_algorithm.is_empty() {
        return Err(ValidationError::missing("signing_algorithm"));
    }
    let alg = SigningAlgorithm::parse(signing_algorithm)?;
    let message_type = opt_str(message_type)
        .map(MessageType::parse)
        .transpose()?
        .unwrap_or_default();
    let message = sign_message(message, alg, message_type)?;
    Ok((key_id, alg, message_type, message))
}

/// A validated sign request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignRequest {
    /// The asymmetric CMK.
    pub key_id: KeyId,
    /// The digest or message (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub message: Vec<u8>,
    /// The algorithm.
    pub signing_algorithm: SigningAlgorithm,
    /// Digest or raw message.
    pub message_type: MessageType,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl SignRequest {
    /// `key_id` a key id (KMS.0205); `signing_algorithm` one of the served
    /// algorithms; `message_type` `DIGEST` (default) or `RAW`; `message`
    /// standard base64 of 1..=4096 bytes, exactly the hash's length for a
    /// digest (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &SignRequestBody) -> Result<Self> {
        let (key_id, signing_algorithm, message_type, message) =
            signed_fields(&b.key_id, &b.signing_algorithm, &b.message_type, &b.message)?;
        Ok(Self {
            key_id,
            message,
            signing_algorithm,
            message_type,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`SignRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated verify (validate-signature) request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValidateSignatureRequest {
    /// The asymmetric CMK.
    pub key_id: KeyId,
    /// The digest or message (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub message: Vec<u8>,
    /// The signature (decoded; shown as base64).
    #[serde(serialize_with = "ser_base64")]
    pub signature: Vec<u8>,
    /// The algorithm.
    pub signing_algorithm: SigningAlgorithm,
    /// Digest or raw message.
    pub message_type: MessageType,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ValidateSignatureRequest {
    /// As [`SignRequest::from_body`], and `signature` standard base64 of
    /// 1..=512 bytes.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &VerifyRequestBody) -> Result<Self> {
        let (key_id, signing_algorithm, message_type, message) =
            signed_fields(&b.key_id, &b.signing_algorithm, &b.message_type, &b.message)?;
        Ok(Self {
            key_id,
            message,
            signature: base64_field("signature", &b.signature, MAX_SIGNATURE_BYTES)?,
            signing_algorithm,
            message_type,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ValidateSignatureRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
