//! Small data: encrypt-data, decrypt-data, re-encrypt.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/encrypt-data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptDataRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The data, 1..=4096 bytes of UTF-8.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub plain_text: Secret<String>,
    /// `SYMMETRIC_DEFAULT` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    /// At most 128 bytes, bound to the ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// A JSON object of string values, bound to the ciphertext (the API
    /// reference's `encryption_context`); a JSON string holding such an
    /// object is accepted too (the old golangsdk sends one).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_json_string"
    )]
    pub encryption_context: Option<serde_json::Map<String, serde_json::Value>>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of encrypt-data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptDataResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The data blob, base64.
    pub cipher_text: String,
}

/// Body of `POST /v1.0/{project_id}/kms/decrypt-data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptDataRequestBody {
    /// The data blob, base64 (it names its key and key version).
    pub cipher_text: String,
    /// `SYMMETRIC_DEFAULT` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    /// The CMK; optional, and when given it must be the blob's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The AAD given at encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// The encryption context given at encryption (an object, or a JSON
    /// string holding one, as for encrypt-data).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_json_string"
    )]
    pub encryption_context: Option<serde_json::Map<String, serde_json::Value>>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of decrypt-data. Holds the plaintext: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptDataResponseBody {
    /// The CMK the blob named.
    pub key_id: String,
    /// The data.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub plain_text: Secret<String>,
    /// The data, base64.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub plain_text_base64: Secret<String>,
}

// ---------------------------------------------------------------- validated requests
/// Largest `plain_text` of encrypt-data, in bytes.
pub const MAX_DATA_PLAIN_TEXT_BYTES: usize = 4096;
/// Largest `cipher_text` of decrypt-data, in base64 characters (the SDK's
/// pattern `^[0-9a-zA-Z+/=]{128,5648}$`).
pub const MAX_DATA_CIPHER_TEXT_CHARS: usize = 5648;
/// Largest canonical `encryption_context`, in bytes.
pub const MAX_ENCRYPTION_CONTEXT_BYTES: usize = 8192;

/// A validated `encryption_context`: a JSON object of string values, held
/// in its canonical form (keys sorted by their UTF-8 bytes, compact JSON,
/// serde_json's escaping). An empty object is the same as none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EncryptionContext(std::collections::BTreeMap<String, String>);

impl EncryptionContext {
    /// Validates an `encryption_context` object.
    ///
    /// # Errors
    /// A value that is not a string, or a canonical form over 8192 bytes
    /// (`encryption_context`, KMS.0308).
    pub fn parse(map: &serde_json::Map<String, serde_json::Value>) -> Result<Self> {
        let mut out = std::collections::BTreeMap::new();
        for (k, v) in map {
            let serde_json::Value::String(v) = v else {
                return Err(ValidationError::new(
                    "encryption_context",
                    Rule::WrongType("every value must be a string".to_owned()),
                ));
            };
            out.insert(k.clone(), v.clone());
        }
        let ctx = Self(out);
        if ctx.canonical().len() > MAX_ENCRYPTION_CONTEXT_BYTES {
            return Err(ValidationError::new(
                "encryption_context",
                Rule::TooLong {
                    max: MAX_ENCRYPTION_CONTEXT_BYTES,
                },
            ));
        }
        Ok(ctx)
    }

    /// The canonical bytes bound to a ciphertext: empty for an empty
    /// context, else the compact JSON object with sorted keys.
    #[must_use]
    pub fn canonical(&self) -> Vec<u8> {
        if self.0.is_empty() {
            return Vec::new();
        }
        // A map of strings always serialises.
        serde_json::to_vec(&self.0).unwrap_or_default()
    }
}

/// An `encryption_algorithm` of encrypt-data / decrypt-data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum EncryptionAlgorithm {
    /// A symmetric CMK's own blob (AES-256-GCM or SM4-GCM), the default.
    #[default]
    #[serde(rename = "SYMMETRIC_DEFAULT")]
    SymmetricDefault,
    /// SM2 public-key encryption (GB/T 32918.4) with an SM2
    /// `ENCRYPT_DECRYPT` key pair.
    #[serde(rename = "SM2_ENCRYPT")]
    Sm2Encrypt,
    /// RSAES-OAEP (RFC 8017) with SHA-256 and MGF1-SHA-256, empty label,
    /// with an RSA `ENCRYPT_DECRYPT` key pair.
    #[serde(rename = "RSAES_OAEP_SHA_256")]
    RsaesOaepSha256,
}

impl EncryptionAlgorithm {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SymmetricDefault => "SYMMETRIC_DEFAULT",
            Self::Sm2Encrypt => "SM2_ENCRYPT",
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        }
    }

    /// Whether the algorithm is a key pair's (its ciphertext names no key,
    /// binds no AAD or context).
    #[must_use]
    pub const fn is_asymmetric(self) -> bool {
        !matches!(self, Self::SymmetricDefault)
    }
}

pub(crate) fn encryption_algorithm(v: &Option<String>) -> Result<EncryptionAlgorithm> {
    match v.as_deref() {
        None | Some("SYMMETRIC_DEFAULT") => Ok(EncryptionAlgorithm::SymmetricDefault),
        Some("SM2_ENCRYPT") => Ok(EncryptionAlgorithm::Sm2Encrypt),
        Some("RSAES_OAEP_SHA_256") => Ok(EncryptionAlgorithm::RsaesOaepSha256),
        Some(_) => Err(ValidationError::new(
            "encryption_algorithm",
            Rule::NotOneOf("SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256, SM2_ENCRYPT"),
        )),
    }
}

/// Public-key encryption (SM2, RSAES-OAEP) binds no context: an AAD
/// (KMS.0308) or a non-empty `encryption_context` (KMS.0208) with
/// `SM2_ENCRYPT` or `RSAES_OAEP_SHA_256` is refused rather than silently
/// left unbound.
pub(crate) fn nothing_to_bind(
    alg: EncryptionAlgorithm,
    aad: Option<&Aad>,
    ctx: &EncryptionContext,
) -> Result<()> {
    if !alg.is_asymmetric() {
        return Ok(());
    }
    if aad.is_some_and(|a| !a.as_bytes().is_empty()) {
        return Err(ValidationError::new(
            "additional_authenticated_data",
            Rule::Inconsistent(
                "public-key encryption (SM2_ENCRYPT, RSAES_OAEP_SHA_256) binds no additional authenticated data",
            ),
        ));
    }
    if !ctx.canonical().is_empty() {
        return Err(ValidationError::new(
            "encryption_context",
            Rule::Inconsistent(
                "public-key encryption (SM2_ENCRYPT, RSAES_OAEP_SHA_256) binds no encryption context",
            ),
        ));
    }
    Ok(())
}

pub(crate) fn encryption_context(
    v: &Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<EncryptionContext> {
    v.as_ref()
        .map(EncryptionContext::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// A validated encrypt-data request. Holds the data: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct EncryptDataRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The data (UTF-8 bytes of `plain_text`).
    #[serde(serialize_with = "ser_secret_len")]
    pub plain_text: Zeroizing<Vec<u8>>,
    /// Bound AAD.
    pub additional_authenticated_data: Option<Aad>,
    /// Bound context.
    pub encryption_context: EncryptionContext,
    /// `SYMMETRIC_DEFAULT` (the default) or `SM2_ENCRYPT`.
    pub encryption_algorithm: EncryptionAlgorithm,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl fmt::Debug for EncryptDataRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptDataRequest")
            .field("key_id", &self.key_id)
            .field("plain_text", &"<redacted>")
            .field(
                "additional_authenticated_data",
                &self.additional_authenticated_data,
            )
            .field("encryption_context", &self.encryption_context)
            .field("encryption_algorithm", &self.encryption_algorithm)
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl EncryptDataRequest {
    /// `plain_text` 1..=4096 bytes (KMS.2101), `encryption_algorithm`
    /// `SYMMETRIC_DEFAULT` or `SM2_ENCRYPT`, AAD at most 128 bytes,
    /// `encryption_context` an object of strings.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &EncryptDataRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let n = b.plain_text.expose().len();
        if n == 0 {
            return Err(ValidationError::new("plain_text", Rule::Empty));
        }
        if n > MAX_DATA_PLAIN_TEXT_BYTES {
            return Err(ValidationError::new(
                "plain_text",
                Rule::TooLong {
                    max: MAX_DATA_PLAIN_TEXT_BYTES,
                },
            ));
        }
        let encryption_algorithm = encryption_algorithm(&b.encryption_algorithm)?;
        let additional_authenticated_data =
            Aad::parse_optional(opt_str(&b.additional_authenticated_data))?;
        let encryption_context = encryption_context(&b.encryption_context)?;
        nothing_to_bind(
            encryption_algorithm,
            additional_authenticated_data.as_ref(),
            &encryption_context,
        )?;
        Ok(Self {
            key_id,
            plain_text: Zeroizing::new(b.plain_text.expose().as_bytes().to_vec()),
            additional_authenticated_data,
            encryption_context,
            encryption_algorithm,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`EncryptDataRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated decrypt-data request.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DecryptDataRequest {
    /// The data blob.
    #[serde(serialize_with = "ser_hex_upper")]
    pub cipher_text: Vec<u8>,
    /// The CMK, when the caller names it.
    pub key_id: Option<KeyId>,
    /// Bound AAD.
    pub additional_authenticated_data: Option<Aad>,
    /// Bound context.
    pub encryption_context: EncryptionContext,
    /// `SYMMETRIC_DEFAULT` (the default) or `SM2_ENCRYPT` (then `key_id`
    /// is required: an SM2 ciphertext does not name its key).
    pub encryption_algorithm: EncryptionAlgorithm,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl fmt::Debug for DecryptDataRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptDataRequest")
            .field(
                "cipher_text",
                &format_args!("{} bytes", self.cipher_text.len()),
            )
            .field("key_id", &self.key_id)
            .field(
                "additional_authenticated_data",
                &self.additional_authenticated_data,
            )
            .field("encryption_context", &self.encryption_context)
            .field("encryption_algorithm", &self.encryption_algorithm)
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl DecryptDataRequest {
    /// `cipher_text` standard padded base64 of at most 5648 characters
    /// (KMS.2201); `key_id` optional.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &DecryptDataRequestBody) -> Result<Self> {
        let cipher_text = data_cipher_text(&b.cipher_text)?;
        let encryption_algorithm = encryption_algorithm(&b.encryption_algorithm)?;
        let key_id = opt_str(&b.key_id).map(KeyId::parse).transpose()?;
        if encryption_algorithm.is_asymmetric() && key_id.is_none() {
            return Err(ValidationError::new("key_id", Rule::Missing));
        }
        let additional_authenticated_data =
            Aad::parse_optional(opt_str(&b.additional_authenticated_data))?;
        let encryption_context = encryption_context(&b.encryption_context)?;
        nothing_to_bind(
            encryption_algorithm,
            additional_authenticated_data.as_ref(),
            &encryption_context,
        )?;
        Ok(Self {
            cipher_text,
            key_id,
            additional_authenticated_data,
            encryption_context,
            encryption_algorithm,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`DecryptDataRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// Decodes a data blob's base64 `cipher_text` (at most 5648 characters).
pub(crate) fn data_cipher_text(s: &str) -> Result<Vec<u8>> {
    use base64ct::Encoding as _;
    if s.is_empty() {
        return Err(ValidationError::new("cipher_text", Rule::Empty));
    }
    if s.len() > MAX_DATA_CIPHER_TEXT_CHARS {
        return Err(ValidationError::new(
            "cipher_text",
            Rule::TooLong {
                max: MAX_DATA_CIPHER_TEXT_CHARS,
            },
        ));
    }
    base64ct::Base64::decode_vec(s).map_err(|_| {
        ValidationError::new(
            "cipher_text",
            Rule::InvalidCharacter {
                at: 0,
                pattern: "standard base64 with padding",
            },
        )
    })
}
