//! Validated requests: a wire body after every rule has been applied.
//!
//! Each has `from_body` (from the serde type) and `from_json` (from the raw
//! bytes, with the body size cap and field-naming JSON errors). Secrets
//! (DEK plaintext, PINs, private keys) are held zeroized and never appear
//! in `Debug` or in the normalised JSON.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::domain::{
    Aad, CertificateName, CertificateScope, ClusterId, DatakeyLength, KeyAlias, KeyId,
    KeystoreAlias, KeystoreRef, KeystoreType, PemText, PinType, Sequence, decode_hex,
};
use crate::domain::{CmkSpec, KeyOrigin, KeyUsage, MessageType, SigningAlgorithm};
use crate::error::{ErrorCode, Result, Rule, ValidationError};
use crate::wire::{
    BatchCreateKmsTagsRequestBody, CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody,
    CreateKeyStoreRequestBody, CreateKmsTagRequestBody, CreatePinRequestBody,
    DecryptDataRequestBody, DecryptDatakeyRequestBody, EncryptDataRequestBody,
    EncryptDatakeyRequestBody, GenRandomRequestBody, ListKeysRequestBody, ListKmsByTagsRequestBody,
    LooseString, OperateKeyRequestBody, ReEncryptRequestBody, RotateOnDemandRequestBody,
    UpdateKeyAliasRequestBody, UpdateKeyDescriptionRequestBody,
    UpdateKeyRotationIntervalRequestBody,
};
use crate::wire::{ScheduleKeyDeletionRequestBody, SignRequestBody, VerifyRequestBody};

/// Largest request body accepted, in bytes (KMS.0203 / APIG.2000 above it).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Largest `cipher_text` accepted, in bytes once decoded.
pub const MAX_CIPHERTEXT_BYTES: usize = 4096;
/// Largest PIN accepted, in bytes once decoded.
pub const MAX_PIN_BYTES: usize = 1024;
/// SHA-256 digest length appended to a DEK in `encrypt-datakey`.
pub const DEK_DIGEST_BYTES: usize = 32;

/// Decodes a JSON body into a wire type, naming the field on type errors.
///
/// # Errors
/// Body too large, not JSON, not an object, a missing mandatory field, or a
/// known field of the wrong type.
pub fn decode_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ValidationError::new(
            "body",
            Rule::BodyTooLarge {
                max: MAX_BODY_BYTES,
            },
        ));
    }
    // serde's derived structs also accept a JSON array as a positional
    // struct; the contract's bodies are objects, so anything else is refused
    // before serde sees it.
    match bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{') => {}
        Some(_) => {
            return Err(ValidationError::new(
                "body",
                Rule::InvalidJson("the body must be a JSON object".to_owned()),
            ));
        }
        None => {
            return Err(ValidationError::new(
                "body",
                Rule::InvalidJson("the body is empty".to_owned()),
            ));
        }
    }
    // Fast path: a body that decodes needs no error path. Only a failure is
    // decoded again, through serde_path_to_error, to name the field.
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if inner.is_data() {
            if let Some(field) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                ValidationError {
                    field: field.to_owned().into(),
                    rule: Rule::Missing,
                }
            } else if path == "." {
                ValidationError::new("body", Rule::InvalidJson(msg))
            } else {
                ValidationError {
                    field: path.into(),
                    rule: Rule::WrongType(strip_position(&msg)),
                }
            }
        } else {
            ValidationError::new("body", Rule::InvalidJson(msg))
        }
    })?;
    de.end()
        .map_err(|e| ValidationError::new("body", Rule::InvalidJson(e.to_string())))?;
    Ok(value)
}

/// Decodes the body of an operation whose every field is optional
/// (list-keys): an empty or all-whitespace body is the empty object `{}`;
/// anything else is decoded as [`decode_body`] decodes it. Cloud
/// Custodian's Huawei provider POSTs list-keys with no body at all (its
/// `ListKeysRequest()` has no `body`, and the Python SDK then sends none).
///
/// # Errors
/// As [`decode_body`] for a body that is not empty.
pub fn decode_optional_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() <= MAX_BODY_BYTES
        && bytes
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return decode_body(b"{}");
    }
    decode_body(bytes)
}

fn strip_position(msg: &str) -> String {
    msg.split(" at line ").next().unwrap_or(msg).to_owned()
}

fn opt_str(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

fn opt_loose(v: &Option<LooseString>) -> Option<&str> {
    v.as_ref().map(LooseString::as_str)
}

fn opt_sequence(v: &Option<String>) -> Result<Option<Sequence>> {
    v.as_deref().map(Sequence::parse).transpose()
}

// ---------------------------------------------------------------- keystores

/// A validated create-keystore request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateKeystoreRequest {
    /// Alias.
    pub keystore_alias: KeystoreAlias,
    /// Type; absent on the wire means Dedicated HSM (the 2023 edition).
    pub keystore_type: KeystoreType,
    /// The cluster (from `cluster_id` or `hsm_cluster_id`, which must agree).
    pub cluster_id: Option<ClusterId>,
    /// The cluster's CA certificate, PEM.
    #[serde(serialize_with = "ser_pem_len")]
    pub hsm_ca_cert: Option<PemText>,
}

#[allow(clippy::ref_option)] // serde's serialize_with hands us `&Option<T>`
fn ser_pem_len<S: serde::Serializer>(
    v: &Option<PemText>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(p) => s.serialize_str(&format!("<PEM, {} bytes>", p.len())),
        None => s.serialize_none(),
    }
}

impl CreateKeystoreRequest {
    /// Applies the rules of both editions:
    /// - `keystore_type` absent means DHSM (the 2023 edition's only kind);
    /// - DHSM needs a cluster, from `hsm_cluster_id` or `cluster_id`, and the
    ///   two must agree when both are given; `hsm_ca_cert` is optional as in
    ///   the 2025 edition, and validated when given;
    /// - CDMS needs `cluster_id` and takes no `hsm_*` field;
    /// - DEFAULT takes no `hsm_*` field and an optional `cluster_id`.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateKeyStoreRequestBody) -> Result<Self> {
        let keystore_alias = KeystoreAlias::parse(&b.keystore_alias)?;
        let keystore_type = opt_loose(&b.keystore_type)
            .map(KeystoreType::parse)
            .transpose()?
            .unwrap_or(KeystoreType::Dhsm);
        let hsm_cluster = b
            .hsm_cluster_id
            .as_deref()
            .map(|s| ClusterId::parse_field("hsm_cluster_id", s))
            .transpose()?;
        let cluster = b
            .cluster_id
            .as_deref()
            .map(|s| ClusterId::parse_field("cluster_id", s))
            .transpose()?;
        let hsm_ca_cert = b
            .hsm_ca_cert
            .as_deref()
            .map(|s| PemText::parse_field("hsm_ca_cert", s))
            .transpose()?;
        let cluster_id = match keystore_type {
            KeystoreType::Dhsm => match (hsm_cluster, cluster) {
                (Some(h), Some(c)) if h != c => {
                    return Err(ValidationError::new(
                        "cluster_id",
                        Rule::Inconsistent("hsm_cluster_id and cluster_id differ"),
                    ));
                }
                (Some(h), _) => Some(h),
                (None, Some(c)) => Some(c),
                (None, None) => return Err(ValidationError::missing("hsm_cluster_id")),
            },
            KeystoreType::Cdms | KeystoreType::Default => {
                if hsm_cluster.is_some() {
                    return Err(ValidationError::new(
                        "hsm_cluster_id",
                        Rule::Inconsistent("only a Dedicated HSM keystore has an HSM cluster"),
                    ));
                }
                if hsm_ca_cert.is_some() {
                    return Err(ValidationError::new(
                        "hsm_ca_cert",
                        Rule::Inconsistent(
                            "only a Dedicated HSM keystore has an HSM CA certificate",
                        ),
                    ));
                }
                if keystore_type == KeystoreType::Cdms && cluster.is_none() {
                    return Err(ValidationError::missing("cluster_id"));
                }
                cluster
            }
        };
        Ok(Self {
            keystore_alias,
            keystore_type,
            cluster_id,
            hsm_ca_cert,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateKeystoreRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- PINs

/// A validated create-PIN request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreatePinRequest {
    /// How to return the PIN.
    pub pin_type: PinType,
    /// The keystore that seals it; mandatory for `CipherText`.
    pub keystore: Option<KeystoreRef>,
}

impl CreatePinRequest {
    /// `pin_type` defaults to `CipherText`, which requires `keystore_id`.
    ///
    /// # Errors
    /// Bad `pin_type` or `keystore_id`, or no `keystore_id` for a ciphertext PIN.
    pub fn from_body(b: &CreatePinRequestBody) -> Result<Self> {
        let pin_type = opt_str(&b.pin_type)
            .map(PinType::parse)
            .transpose()?
            .unwrap_or_default();
        let keystore = opt_loose(&b.keystore_id)
            .map(KeystoreRef::parse)
            .transpose()?;
        if pin_type == PinType::CipherText && keystore.is_none() {
            return Err(ValidationError::missing("keystore_id"));
        }
        Ok(Self { pin_type, keystore })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreatePinRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A PIN presented with a DEK request. The value is secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedPin {
    /// The decoded PIN bytes (plain) or sealed blob bytes (ciphertext).
    pub bytes: Zeroizing<Vec<u8>>,
    /// How it is presented.
    pub pin_type: PinType,
}

impl fmt::Debug for PresentedPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PresentedPin({:?}, <redacted>)", self.pin_type)
    }
}

impl Serialize for PresentedPin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PresentedPin", 2)?;
        st.serialize_field("pin", "<redacted>")?;
        st.serialize_field("pin_type", &self.pin_type)?;
        st.end()
    }
}

fn presented_pin(pin: &Option<String>, pin_type: &Option<String>) -> Result<Option<PresentedPin>> {
    let pin_type = opt_str(pin_type)
        .map(PinType::parse)
        .transpose()?
        .unwrap_or_default();
    pin.as_deref()
        .map(|p| decode_hex("pin", p, MAX_PIN_BYTES).map(|bytes| PresentedPin { bytes, pin_type }))
        .transpose()
}

// ---------------------------------------------------------------- CMKs

/// A validated create-key request: AES-256 symmetric CMKs, and RSA / EC
/// key pairs that sign and verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateKeyRequest {
    /// Alias.
    pub key_alias: KeyAlias,
    /// Key spec (default `AES_256`).
    pub key_spec: CmkSpec,
    /// Key usage (default `ENCRYPT_DECRYPT` for AES, `SIGN_VERIFY` for key
    /// pairs).
    pub key_usage: KeyUsage,
    /// Free-text description.
    pub key_description: String,
    /// Request serial number.
    pub sequence: Option<Sequence>,
    /// Where the key lives.
    pub keystore: KeystoreRef,
    /// `kms` (material generated here) or `external` (the key waits, in
    /// state `5`, for its owner's material).
    pub origin: KeyOrigin,
}

impl CreateKeyRequest {
    /// Only what this implementation can honour is accepted: `key_spec`
    /// `AES_256` or `SM4` with `key_usage` `ENCRYPT_DECRYPT` (else
    /// KMS.1115); `EC_P256`, `EC_P384` with `SIGN_VERIFY` (else KMS.1114);
    /// `RSA_2048`, `RSA_3072`, `RSA_4096` and `SM2` with either (default
    /// `SIGN_VERIFY`); `origin` `kms` (default) or `external` (else
    /// KMS.0308), `external` only in the default keystore (else KMS.0339).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateKeyRequestBody) -> Result<Self> {
        let key_alias = KeyAlias::parse(&b.key_alias)?;
        let key_spec = opt_str(&b.key_spec)
            .map(CmkSpec::parse)
            .transpose()?
            .unwrap_or(CmkSpec::Aes256);
        let default_usage = if key_spec.is_asymmetric() {
            KeyUsage::SignVerify
        } else {
            KeyUsage::EncryptDecrypt
        };
        let key_usage = opt_str(&b.key_usage)
            .map(KeyUsage::parse)
            .transpose()?
            .unwrap_or(default_usage);
        match (key_spec, key_usage) {
            (CmkSpec::Aes256 | CmkSpec::Sm4, KeyUsage::SignVerify) => {
                return Err(ValidationError::new(
                    "key_usage",
                    Rule::Specific {
                        code: ErrorCode::KmsSymmetricCannotSign,
                        why: "an AES_256 or SM4 key encrypts and decrypts (ENCRYPT_DECRYPT)",
                    },
                ));
            }
            (CmkSpec::EcP256 | CmkSpec::EcP384, KeyUsage::EncryptDecrypt) => {
                return Err(ValidationError::new(
                    "key_usage",
                    Rule::Specific {
                        code: ErrorCode::KmsEcCannotEncrypt,
                        why: "an EC key signs and verifies (SIGN_VERIFY)",
                    },
                ));
            }
            // Symmetric keys encrypt; RSA and SM2 key pairs sign (RSASSA,
            // SM2DSA) or encrypt (RSAES-OAEP, SM2_ENCRYPT); EC keys sign.
            _ => {}
        }
        let origin = opt_str(&b.origin)
            .map(|o| {
                KeyOrigin::parse(o)
                    .map_err(|_| ValidationError::new("origin", Rule::NotOneOf("kms, external")))
            })
            .transpose()?
            .unwrap_or(KeyOrigin::Kms);
        let key_description = key_description(b.key_description.as_deref().unwrap_or(""))?;
        let keystore = opt_loose(&b.keystore_id)
            .map(KeystoreRef::parse)
            .transpose()?
            .unwrap_or(KeystoreRef::Default);
        if matches!(
            keystore,
            KeystoreRef::SharedManagement | KeystoreRef::SharedData
        ) {
            // The shared keystores "1" and "2" hold PINs, not keys: the
            // published "not support keystore".
            return Err(ValidationError::new(
                "keystore_id",
                Rule::Specific {
                    code: ErrorCode::KmsKeystoreNotSupported,
                    why: "keys live in the default keystore \"0\" or a dedicated one",
                },
            ));
        }
        if origin == KeyOrigin::External && keystore != KeystoreRef::Default {
            return Err(ValidationError::new(
                "origin",
                Rule::Specific {
                    code: ErrorCode::KmsKeystoreNoImport,
                    why: "a dedicated keystore generates its keys' material",
                },
            ));
        }
        Ok(Self {
            key_alias,
            key_spec,
            key_usage,
            key_description,
            sequence: opt_sequence(&b.sequence)?,
            keystore,
            origin,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateKeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- DEKs

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

fn ser_secret_len<S: serde::Serializer>(
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
            &b.plain_text,
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

fn ser_hex_upper<S: serde::Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
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
            cipher_text: decode_hex("cipher_text", &b.cipher_text, MAX_CIPHERTEXT_BYTES)?.to_vec(),
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

// ---------------------------------------------------------------- APIG

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

fn ser_pem<S: serde::Serializer>(v: &PemText, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("<PEM, {} bytes>", v.len()))
}

fn ser_redacted_pem<S: serde::Serializer>(
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
            private_key: PemText::parse_field("private_key", &b.private_key)?,
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

// ---------------------------------------------------------------- CMK management

/// Largest `key_description`, in characters.
pub const MAX_KEY_DESCRIPTION_CHARS: usize = 255;
/// Largest list-keys page: a larger `limit` is served as this many keys.
pub const MAX_LIST_KEYS_LIMIT: u64 = 1000;

fn key_description(s: &str) -> Result<String> {
    if s.chars().count() > MAX_KEY_DESCRIPTION_CHARS {
        return Err(ValidationError::new(
            "key_description",
            Rule::TooLong {
                max: MAX_KEY_DESCRIPTION_CHARS,
            },
        ));
    }
    Ok(s.to_owned())
}

/// A validated body naming one key (`OperateKeyRequestBody`): describe-key,
/// enable-key, disable-key, cancel-key-deletion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperateKeyRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl OperateKeyRequest {
    /// `key_id` must be a key id, `sequence` 36 bytes.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &OperateKeyRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`OperateKeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// Validated `POST /v1.0/{project_id}/kms/schedule-key-deletion` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleKeyDeletionRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Days until the deletion takes effect: 7..=1096.
    pub pending_days: u64,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ScheduleKeyDeletionRequest {
    /// `key_id` a key id, `pending_days` decimal 7..=1096 (KMS.1401),
    /// `sequence` as everywhere.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ScheduleKeyDeletionRequestBody) -> Result<Self> {
        Ok(Self {
            pending_days: page_param("pending_days", Some(b.pending_days.as_str()), 7, 7, 1096)?,
            key_id: KeyId::parse(&b.key_id)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ScheduleKeyDeletionRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A page of a GET list (`?offset=&limit=`): list-keystores (limit
/// 1..=1000, default 10) and list-certificates (limit 1..=500, default
/// 20); offset 0..=2^32-1, default 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PageQuery {
    /// Items to skip.
    pub offset: u64,
    /// Items to return at most.
    pub limit: u64,
}

impl PageQuery {
    /// The paging of `GET /v1.0/{project_id}/keystores`.
    ///
    /// # Errors
    /// `offset` or `limit` not digits or out of range.
    pub fn keystores(offset: Option<&str>, limit: Option<&str>) -> Result<Self> {
        Self::parse(offset, limit, 10, 1000)
    }

    /// The paging of `GET /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// `offset` or `limit` not digits or out of range.
    pub fn certificates(offset: Option<&str>, limit: Option<&str>) -> Result<Self> {
        Self::parse(offset, limit, 20, 500)
    }

    fn parse(offset: Option<&str>, limit: Option<&str>, default: u64, max: u64) -> Result<Self> {
        Ok(Self {
            offset: page_param("offset", offset, 0, 0, u64::from(u32::MAX))?,
            limit: page_param("limit", limit, default, 1, max)?,
        })
    }
}

/// A paging or day-count parameter given as text: digits only (at most
/// 10), within `min..=max`; `None` is `default`.
///
/// # Errors
/// Not digits, or out of range, naming `field`.
pub fn page_param(
    field: &'static str,
    v: Option<&str>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64> {
    let Some(s) = v else { return Ok(default) };
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Rule::NotDigits));
    }
    let n: u64 = s
        .parse()
        .map_err(|_| ValidationError::new(field, Rule::NotDigits))?;
    if !(min..=max).contains(&n) {
        return Err(ValidationError::new(field, Rule::OutOfRange { min, max }));
    }
    Ok(n)
}

/// The `key_spec` filter of list-keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum KeySpecFilter {
    /// Only keys of this spec (the default is `AES_256`).
    Only(&'static str),
    /// `ALL`: every spec.
    All,
}

impl KeySpecFilter {
    /// The specs the SDK documents.
    pub const SPECS: &'static [&'static str] = &[
        "AES_256", "SM4", "RSA_2048", "RSA_3072", "RSA_4096", "EC_P256", "EC_P384", "SM2",
    ];

    /// Parses a documented spec or `ALL`.
    ///
    /// # Errors
    /// Anything else (`key_spec`, KMS.0308).
    pub fn parse(s: &str) -> Result<Self> {
        if s == "ALL" {
            return Ok(Self::All);
        }
        Self::SPECS
            .iter()
            .find(|&&spec| spec == s)
            .map(|&spec| Self::Only(spec))
            .ok_or_else(|| {
                ValidationError::new(
                    "key_spec",
                    Rule::Unsupported(
                        "one of AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, SM2, ALL",
                    ),
                )
            })
    }

    /// Whether a key of `spec` passes the filter.
    #[must_use]
    pub fn matches(self, spec: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(s) => s == spec,
        }
    }
}

/// Parses a decimal number within `min..=max`, reported as `field`.
fn decimal(field: &'static str, s: &str, min: u64, max: u64) -> Result<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, Rule::NotDigits));
    }
    let n: u64 = s
        .parse()
        .map_err(|_| ValidationError::new(field, Rule::NotDigits))?;
    if !(min..=max).contains(&n) {
        return Err(ValidationError::new(field, Rule::OutOfRange { min, max }));
    }
    Ok(n)
}

/// The `limit` of list-keys: a positive decimal (a JSON integer arrives
/// as its text through [`LooseString`]). The API reference bounds it only
/// by "the maximum number of keys", and Terraform's `huaweicloud_kms_keys`
/// data source sends `"limit": 2000`, so a limit above
/// [`MAX_LIST_KEYS_LIMIT`] is served as that: the page is at most 1000
/// keys, and `truncated` / `next_marker` lead to the rest.
fn list_keys_limit(s: &str) -> Result<u64> {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return Err(ValidationError::new("limit", Rule::NotDigits));
    }
    let n = b.iter().fold(0u64, |acc, &c| {
        acc.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    });
    if n == 0 {
        return Err(ValidationError::new(
            "limit",
            Rule::NotOneOf("the positive integers (above 1000, a page of 1000)"),
        ));
    }
    Ok(n.min(MAX_LIST_KEYS_LIMIT))
}

/// A validated list-keys request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListKeysRequest {
    /// Page size, 1..=1000 (default 1000; a larger `limit` is 1000).
    pub limit: u64,
    /// Offset of the page (default 0): a previous `next_marker`.
    pub marker: u64,
    /// Only keys in this Huawei state (`1`..=`5`).
    pub key_state: Option<u8>,
    /// Only keys of this spec.
    pub key_spec: KeySpecFilter,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ListKeysRequest {
    /// `limit` a positive decimal (above 1000 served as 1000), `marker` a
    /// decimal offset, `key_state` `1`..=`5`, `key_spec` one of
    /// [`KeySpecFilter::SPECS`] or `ALL` (default `AES_256`).
    ///
    /// # Errors
    /// The first rule broken (KMS.0308, KMS.0206 for `sequence`).
    pub fn from_body(b: &ListKeysRequestBody) -> Result<Self> {
        let limit = opt_loose(&b.limit)
            .map(list_keys_limit)
            .transpose()?
            .unwrap_or(MAX_LIST_KEYS_LIMIT);
        let marker = opt_loose(&b.marker)
            .filter(|s| !s.is_empty())
            .map(|s| decimal("marker", s, 0, u64::from(u32::MAX)))
            .transpose()?
            .unwrap_or(0);
        let key_state = opt_loose(&b.key_state)
            .map(|s| decimal("key_state", s, 1, 5))
            .transpose()?
            .map(|n| u8::try_from(n).unwrap_or(0));
        let key_spec = opt_str(&b.key_spec)
            .map(KeySpecFilter::parse)
            .transpose()?
            .unwrap_or(KeySpecFilter::Only("AES_256"));
        Ok(Self {
            limit,
            marker,
            key_state,
            key_spec,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body; an empty body is `{}`
    /// ([`decode_optional_body`]).
    ///
    /// # Errors
    /// As [`decode_optional_body`] and [`ListKeysRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_optional_body(bytes)?)
    }
}

/// A validated update-key-alias request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateKeyAliasRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The new alias.
    pub key_alias: KeyAlias,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl UpdateKeyAliasRequest {
    /// `key_alias` follows the create-key rule (KMS.1101).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &UpdateKeyAliasRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            key_alias: KeyAlias::parse(&b.key_alias)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`UpdateKeyAliasRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated update-key-description request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateKeyDescriptionRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The new description (0..=255 characters).
    pub key_description: String,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl UpdateKeyDescriptionRequest {
    /// `key_description` at most 255 characters (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &UpdateKeyDescriptionRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            key_description: key_description(&b.key_description)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`UpdateKeyDescriptionRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- data

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

fn encryption_algorithm(v: &Option<String>) -> Result<EncryptionAlgorithm> {
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
fn nothing_to_bind(
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

fn encryption_context(
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
        let n = b.plain_text.len();
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
            plain_text: Zeroizing::new(b.plain_text.as_bytes().to_vec()),
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

/// Decodes a data blob's base64 `cipher_text` (at most 5648 characters).
fn data_cipher_text(s: &str) -> Result<Vec<u8>> {
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

// ---------------------------------------------------------------- rotation

/// A validated update-key-rotation-interval request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateKeyRotationIntervalRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Days, 30..=365.
    pub rotation_interval: u32,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl UpdateKeyRotationIntervalRequest {
    /// Smallest interval, in days.
    pub const MIN_DAYS: u32 = 30;
    /// Largest interval, in days.
    pub const MAX_DAYS: u32 = 365;

    /// `rotation_interval` 30..=365 (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &UpdateKeyRotationIntervalRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let days = decimal(
            "rotation_interval",
            b.rotation_interval.as_str(),
            u64::from(Self::MIN_DAYS),
            u64::from(Self::MAX_DAYS),
        )?;
        Ok(Self {
            key_id,
            rotation_interval: u32::try_from(days).unwrap_or(Self::MAX_DAYS),
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`UpdateKeyRotationIntervalRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated rotate-on-demand request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotateOnDemandRequest {
    /// The CMK.
    pub key_id: KeyId,
}

impl RotateOnDemandRequest {
    /// `key_id` must be a key id.
    ///
    /// # Errors
    /// KMS.0205.
    pub fn from_body(b: &RotateOnDemandRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`RotateOnDemandRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- tags

/// Most tags a key carries.
pub const MAX_TAGS_PER_KEY: usize = 10;

fn check_tag_text(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
    let n = s.chars().count();
    if n < min {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    if n > max {
        return Err(ValidationError::new(field, Rule::TooLong { max }));
    }
    if let Some(at) = s
        .bytes()
        .position(|b| b < 0x20 || matches!(b, b'*' | b'<' | b'>' | b'\\' | b'='))
    {
        return Err(ValidationError::new(
            field,
            Rule::InvalidCharacter {
                at,
                pattern: "no control characters, '*', '<', '>', '\\', '='",
            },
        ));
    }
    Ok(())
}

/// A tag key: 1..=36 characters, no control character, `*<>\=`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TagKey(String);

impl TagKey {
    /// Validates a tag key (field `key`: KMS.0406, over 36 characters
    /// KMS.0411).
    ///
    /// # Errors
    /// Empty, over 36 characters, or a forbidden character.
    pub fn parse(s: &str) -> Result<Self> {
        check_tag_text("key", s, 1, 36)?;
        Ok(Self(s.to_owned()))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tag value: 0..=43 characters, no control character, `*<>\=`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TagValue(String);

impl TagValue {
    /// Validates a tag value (field `value`: KMS.0405, over 43 characters
    /// KMS.0410).
    ///
    /// # Errors
    /// Over 43 characters, or a forbidden character.
    pub fn parse(s: &str) -> Result<Self> {
        check_tag_text("value", s, 0, 43)?;
        Ok(Self(s.to_owned()))
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `action` of the tags/action route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TagAction {
    /// `create`: add the tags (a tag key already present gets the new value).
    #[serde(rename = "create")]
    Create,
    /// `delete`: remove the tag keys (absent ones are ignored).
    #[serde(rename = "delete")]
    Delete,
}

/// A validated batch create/delete of a key's tags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchKmsTagsRequest {
    /// Create or delete.
    pub action: TagAction,
    /// The tags (1..=10, tag keys unique).
    pub tags: Vec<(TagKey, TagValue)>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl BatchKmsTagsRequest {
    /// `action` `create|delete`; 1..=10 tags with distinct valid keys and
    /// valid values (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &BatchCreateKmsTagsRequestBody) -> Result<Self> {
        let action = match b.action.as_str() {
            "create" => TagAction::Create,
            "delete" => TagAction::Delete,
            _ => {
                return Err(ValidationError::new(
                    "action",
                    Rule::NotOneOf("create, delete"),
                ));
            }
        };
        if b.tags.is_empty() {
            return Err(ValidationError::new("tags", Rule::Empty));
        }
        if b.tags.len() > MAX_TAGS_PER_KEY {
            return Err(ValidationError::new(
                "tags",
                Rule::OutOfRange {
                    min: 1,
                    max: MAX_TAGS_PER_KEY as u64,
                },
            ));
        }
        let mut tags: Vec<(TagKey, TagValue)> = Vec::with_capacity(b.tags.len());
        for t in &b.tags {
            let key = TagKey::parse(&t.key)?;
            if tags.iter().any(|(k, _)| *k == key) {
                return Err(ValidationError::new(
                    "tags",
                    Rule::Inconsistent("a tag key appears twice"),
                ));
            }
            tags.push((key, TagValue::parse(&t.value)?));
        }
        Ok(Self {
            action,
            tags,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`BatchKmsTagsRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated create-kms-tag request (one tag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateKmsTagRequest {
    /// The tag key.
    pub key: TagKey,
    /// The tag value.
    pub value: TagValue,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl CreateKmsTagRequest {
    /// The tag as [`TagKey`] / [`TagValue`] (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateKmsTagRequestBody) -> Result<Self> {
        Ok(Self {
            key: TagKey::parse(&b.tag.key)?,
            value: TagValue::parse(&b.tag.value)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateKmsTagRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// `action` of list-kms-by-tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TagListAction {
    /// `filter`: a page of keys and the total.
    #[serde(rename = "filter")]
    Filter,
    /// `count`: the total only.
    #[serde(rename = "count")]
    Count,
}

/// A validated list-kms-by-tags request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListKmsByTagsRequest {
    /// Filter or count.
    pub action: TagListAction,
    /// Page size, 1..=1000 (default 10).
    pub limit: u64,
    /// Page start (default 0).
    pub offset: u64,
    /// Tags every key must carry (each with one of the values; any value
    /// when none), at most 10, tag keys distinct.
    pub tags: Vec<(TagKey, Vec<TagValue>)>,
    /// The alias must contain this (`matches` with key `resource_name`).
    pub resource_name: Option<String>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ListKmsByTagsRequest {
    /// `action` `filter|count`, `limit` 1..=1000, `offset` a decimal, tags
    /// as [`TagKey`] / [`TagValue`], `matches` only `resource_name` with a
    /// 1..=255-character value (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ListKmsByTagsRequestBody) -> Result<Self> {
        let action = match b.action.as_str() {
            "filter" => TagListAction::Filter,
            "count" => TagListAction::Count,
            _ => {
                return Err(ValidationError::new(
                    "action",
                    Rule::NotOneOf("filter, count"),
                ));
            }
        };
        let limit = opt_loose(&b.limit)
            .map(|s| decimal("limit", s, 1, MAX_LIST_KEYS_LIMIT))
            .transpose()?
            .unwrap_or(10);
        let offset = opt_loose(&b.offset)
            .map(|s| decimal("offset", s, 0, u64::from(u32::MAX)))
            .transpose()?
            .unwrap_or(0);
        let given = b.tags.as_deref().unwrap_or_default();
        if given.len() > MAX_TAGS_PER_KEY {
            return Err(ValidationError::new(
                "tags",
                Rule::OutOfRange {
                    min: 0,
                    max: MAX_TAGS_PER_KEY as u64,
                },
            ));
        }
        let mut tags: Vec<(TagKey, Vec<TagValue>)> = Vec::with_capacity(given.len());
        for t in given {
            let key = TagKey::parse(&t.key)?;
            if tags.iter().any(|(k, _)| *k == key) {
                return Err(ValidationError::new(
                    "tags",
                    Rule::Inconsistent("a tag key appears twice"),
                ));
            }
            if t.values.len() > MAX_TAGS_PER_KEY {
                return Err(ValidationError::new(
                    "values",
                    Rule::OutOfRange {
                        min: 0,
                        max: MAX_TAGS_PER_KEY as u64,
                    },
                ));
            }
            let values = t
                .values
                .iter()
                .map(|v| TagValue::parse(v))
                .collect::<Result<Vec<_>>>()?;
            tags.push((key, values));
        }
        let mut resource_name = None;
        for m in b.matches.as_deref().unwrap_or_default() {
            if m.key != "resource_name" {
                return Err(ValidationError::new(
                    "matches",
                    Rule::NotOneOf("resource_name"),
                ));
            }
            let n = m.value.chars().count();
            if n == 0 {
                return Err(ValidationError::new("matches", Rule::Empty));
            }
            if n > 255 {
                return Err(ValidationError::new("matches", Rule::TooLong { max: 255 }));
            }
            resource_name = Some(m.value.clone());
        }
        Ok(Self {
            action,
            limit,
            offset,
            tags,
            resource_name,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ListKmsByTagsRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- random

/// A validated gen-random request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenRandomRequest {
    /// How many random bytes (1..=1024).
    pub bytes: usize,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl GenRandomRequest {
    /// `random_data_length`: bits, 8..=8192, a multiple of 8 (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &GenRandomRequestBody) -> Result<Self> {
        const F: &str = "random_data_length";
        let bits = decimal(F, b.random_data_length.as_str(), 8, 8192)?;
        if bits % 8 != 0 {
            return Err(ValidationError::new(F, Rule::NotMultipleOf(8)));
        }
        Ok(Self {
            bytes: usize::try_from(bits / 8).unwrap_or(1),
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`GenRandomRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

// ---------------------------------------------------------------- sign / verify

/// The largest `message` of sign / verify, in bytes once decoded.
pub const MAX_SIGN_MESSAGE_BYTES: usize = 4096;

/// The largest `signature` of verify, in bytes once decoded (an RSA-4096
/// signature is 512 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 512;

fn ser_base64<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    use base64ct::Encoding as _;
    s.serialize_str(&base64ct::Base64::encode_string(bytes))
}

/// Decodes a standard padded base64 field of 1..=`max` bytes.
fn base64_field(field: &'static str, s: &str, max: usize) -> Result<Vec<u8>> {
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
fn sign_message(
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
fn signed_fields(
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
