//! Re-encrypt: a data or DEK ciphertext opened under one CMK and sealed
//! under another.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

/// Body of `POST /v1.0/{project_id}/kms/re-encrypt`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReEncryptRequestBody {
    /// The CMK of `cipher_text`; optional, and when given it must be the
    /// blob's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_key_id: Option<String>,
    /// The AAD `cipher_text` was made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_additional_authenticated_data: Option<String>,
    /// `SYMMETRIC_DEFAULT` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_encryption_algorithm: Option<String>,
    /// The CMK to encrypt under.
    pub destination_key_id: String,
    /// The AAD to bind the new ciphertext to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_additional_authenticated_data: Option<String>,
    /// `SYMMETRIC_DEFAULT` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_encryption_algorithm: Option<String>,
    /// For a DEK ciphertext (not supported: data ciphertexts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datakey_cipher_length: Option<LooseString>,
    /// A data ciphertext (encrypt-data's `cipher_text`, base64).
    pub cipher_text: String,
}

/// Response of re-encrypt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReEncryptResponseBody {
    /// The CMK of the new ciphertext.
    pub key_id: String,
    /// The CMK of the old ciphertext.
    pub source_key_id: String,
    /// `SYMMETRIC_DEFAULT`.
    pub source_encryption_algorithm: String,
    /// `SYMMETRIC_DEFAULT`.
    pub destination_encryption_algorithm: String,
    /// The new data ciphertext, base64.
    pub cipher_text: String,
}

/// A validated re-encrypt request (data ciphertexts).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ReEncryptRequest {
    /// The data blob to re-encrypt.
    #[serde(serialize_with = "ser_hex_upper")]
    pub cipher_text: Vec<u8>,
    /// Its CMK, when the caller names it.
    pub source_key_id: Option<KeyId>,
    /// Its AAD.
    pub source_additional_authenticated_data: Option<Aad>,
    /// The CMK to encrypt under.
    pub destination_key_id: KeyId,
    /// The AAD of the new blob.
    pub destination_additional_authenticated_data: Option<Aad>,
}

impl fmt::Debug for ReEncryptRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReEncryptRequest")
            .field(
                "cipher_text",
                &format_args!("{} bytes", self.cipher_text.len()),
            )
            .field("source_key_id", &self.source_key_id)
            .field(
                "source_additional_authenticated_data",
                &self.source_additional_authenticated_data,
            )
            .field("destination_key_id", &self.destination_key_id)
            .field(
                "destination_additional_authenticated_data",
                &self.destination_additional_authenticated_data,
            )
            .finish()
    }
}

impl ReEncryptRequest {
    /// `cipher_text` as decrypt-data's (KMS.2201), key ids (KMS.0205), AADs
    /// at most 128 bytes, algorithms `SYMMETRIC_DEFAULT`; a
    /// `datakey_cipher_length` (DEK ciphertexts) is not supported (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ReEncryptRequestBody) -> Result<Self> {
        if b.datakey_cipher_length.is_some() {
            return Err(ValidationError::new(
                "datakey_cipher_length",
                Rule::Unsupported("re-encrypt takes data ciphertexts (encrypt-data's) only"),
            ));
        }
        let cipher_text = data_cipher_text(&b.cipher_text)?;
        let source_key_id = opt_str(&b.source_key_id)
            .map(|s| {
                KeyId::parse(s).map_err(|e| ValidationError {
                    field: "source_key_id".into(),
                    ..e
                })
            })
            .transpose()?;
        let destination_key_id =
            KeyId::parse(&b.destination_key_id).map_err(|e| ValidationError {
                field: "destination_key_id".into(),
                ..e
            })?;
        for (field, v) in [
            (
                "source_encryption_algorithm",
                &b.source_encryption_algorithm,
            ),
            (
                "destination_encryption_algorithm",
                &b.destination_encryption_algorithm,
            ),
        ] {
            if encryption_algorithm(v)? != EncryptionAlgorithm::SymmetricDefault {
                return Err(ValidationError::new(
                    field,
                    Rule::Unsupported("re-encrypt moves symmetric (SYMMETRIC_DEFAULT) ciphertexts"),
                ));
            }
        }
        Ok(Self {
            cipher_text,
            source_key_id,
            source_additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.source_additional_authenticated_data,
            ))?,
            destination_key_id,
            destination_additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.destination_additional_authenticated_data,
            ))?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ReEncryptRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
