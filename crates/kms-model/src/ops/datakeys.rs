//! Data encryption keys: create (with or without plaintext), encrypt, decrypt.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of both create-datakey routes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateDatakeyRequestBody {
    /// The CMK.
    pub key_id: String,
    /// `AES_256 | AES_128`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// Bits, as a string; wins over `key_spec`; default 256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datakey_length: Option<LooseString>,
    /// At most 128 bytes, bound to the ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// A PIN (plain hex or sealed blob hex).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "Secret::serialize_exposed_opt"
    )]
    pub pin: Option<Secret<String>>,
    /// `PlainText | CipherText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
}

/// Response of create-datakey. Holds the plaintext DEK: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateDatakeyResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The DEK, hex.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub plain_text: Secret<String>,
    /// The wrapped DEK, hex.
    pub cipher_text: String,
}

/// Response of create-datakey-without-plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateDatakeyWithoutPlaintextResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The wrapped DEK, hex.
    pub cipher_text: String,
}

/// Body of `POST /v1.0/{project_id}/kms/encrypt-datakey`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptDatakeyRequestBody {
    /// The CMK.
    pub key_id: String,
    /// Hex of the DEK followed by its SHA-256.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub plain_text: Secret<String>,
    /// DEK length in bytes, as a string.
    pub datakey_plain_length: LooseString,
    /// At most 128 bytes, bound to the ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// A PIN.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "Secret::serialize_exposed_opt"
    )]
    pub pin: Option<Secret<String>>,
    /// `PlainText | CipherText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
}

/// Response of encrypt-datakey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptDatakeyResponseBody {
    /// The CMK.
    pub key_id: String,
    /// The wrapped DEK, hex.
    pub cipher_text: String,
    /// DEK length in bytes, as a string.
    pub datakey_length: String,
}

/// Body of `POST /v1.0/{project_id}/kms/decrypt-datakey`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptDatakeyRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The wrapped DEK, hex.
    pub cipher_text: String,
    /// The plaintext DEK's length in bytes, as a string.
    pub datakey_cipher_length: LooseString,
    /// The AAD given at wrap time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_authenticated_data: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of decrypt-datakey. Holds the plaintext DEK: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptDatakeyResponseBody {
    /// The DEK, hex.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub data_key: Secret<String>,
    /// DEK length in bytes, as a string.
    pub datakey_length: String,
    /// SHA-256 of the DEK, hex.
    pub datakey_dgst: String,
}

// ---------------------------------------------------------------- validated requests
/// A validated create-datakey / create-datakey-without-plaintext request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateDatakeyRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Resolved DEK length.
    pub datakey_length: DatakeyLength,
    /// Bound context.
    pub additional_authenticated_data: Option<Aad>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
    /// A PIN, if presented.
    pub pin: Option<PresentedPin>,
}

impl CreateDatakeyRequest {
    /// Applies [`DatakeyLength::resolve`] and the field rules.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateDatakeyRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            datakey_length: DatakeyLength::resolve(
                opt_loose(&b.datakey_length),
                opt_str(&b.key_spec),
            )?,
            additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.additional_authenticated_data,
            ))?,
            sequence: opt_sequence(&b.sequence)?,
            pin: presented_pin(&b.pin, &b.pin_type)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateDatakeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated encrypt-datakey request. Holds the DEK: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct EncryptDatakeyRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// DEK followed by its SHA-256 (not yet checked: kms-crypto does).
    #[serde(serialize_with = "ser_secret_len")]
    pub plain_text: Zeroizing<Vec<u8>>,
    /// The DEK length.
    pub datakey_length: DatakeyLength,
    /// Bound context.
    pub additional_authenticated_data: Option<Aad>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
    /// A PIN, if presented.
    pub pin: Option<PresentedPin>,
}

pub(crate) fn ser_secret_len<S: serde::Serializer>(
    v: &Zeroizing<Vec<u8>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("<redacted, {} bytes>", v.len()))
}

impl fmt::Debug for EncryptDatakeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptDatakeyRequest")
            .field("key_id", &self.key_id)
            .field("plain_text", &"<redacted>")
            .field("datakey_length", &self.datakey_length)
            .field(
                "additional_authenticated_data",
                &self.additional_authenticated_data,
            )
            .field("sequence", &self.sequence)
            .field("pin", &self.pin)
            .finish()
    }
}

impl EncryptDatakeyRequest {
    /// `plain_text` must be hex of exactly `datakey_plain_length + 32` bytes.
    ///
    /// # Errors
    /// The first rule broken; a length mismatch is `plain_text`
    /// [`Rule::ExactLength`] (KMS.2104).
    pub fn from_body(b: &EncryptDatakeyRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let datakey_length = DatakeyLength::parse_bytes_field(
            "datakey_plain_length",
            b.datakey_plain_length.as_str(),
        )?;
        let expected = datakey_length.bytes() + DEK_DIGEST_BYTES;
        let plain_text = decode_hex(
            "plain_text",
            b.plain_text.expose(),
            DatakeyLength::MAX_BITS as usize / 8 + DEK_DIGEST_BYTES,
        )?;
        if plain_text.len() != expected {
            return Err(ValidationError::new(
                "plain_text",
                Rule::ExactLength { expected },
            ));
        }
        Ok(Self {
            key_id,
            plain_text,
            datakey_length,
            additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.additional_authenticated_data,
            ))?,
            sequence: opt_sequence(&b.sequence)?,
            pin: presented_pin(&b.pin, &b.pin_type)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`EncryptDatakeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated decrypt-datakey request.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct DecryptDatakeyRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The wrapped DEK.
    #[serde(serialize_with = "ser_hex_upper")]
    pub cipher_text: Vec<u8>,
    /// `datakey_cipher_length`: the largest DEK, in bytes, the caller
    /// accepts. The DEK's own length is the one the ciphertext carries
    /// (authenticated with it); a DEK longer than this is KMS.2204, a
    /// shorter one is answered. Huawei's Java encryption SDK sends `"32"`
    /// for its 16-byte AES_128 and SM4 DEKs too, and the API reference once
    /// gave `"64"` as the value to send.
    pub max_datakey_length: DatakeyLength,
    /// Bound context.
    pub additional_authenticated_data: Option<Aad>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

pub(crate) fn ser_hex_upper<S: serde::Serializer>(
    v: &[u8],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&base16ct::upper::encode_string(v))
}

impl fmt::Debug for DecryptDatakeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptDatakeyRequest")
            .field("key_id", &self.key_id)
            .field(
                "cipher_text",
                &format_args!("{} bytes", self.cipher_text.len()),
            )
            .field("max_datakey_length", &self.max_datakey_length)
            .field(
                "additional_authenticated_data",
                &self.additional_authenticated_data,
            )
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl DecryptDatakeyRequest {
    /// `cipher_text` must be hex; `datakey_cipher_length` a byte count
    /// (1..=1024), the largest DEK accepted.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &DecryptDatakeyRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            cipher_text: decode_public_hex("cipher_text", &b.cipher_text, MAX_CIPHERTEXT_BYTES)?,
            max_datakey_length: DatakeyLength::parse_bytes_field(
                "datakey_cipher_length",
                b.datakey_cipher_length.as_str(),
            )?,
            additional_authenticated_data: Aad::parse_optional(opt_str(
                &b.additional_authenticated_data,
            ))?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`DecryptDatakeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
