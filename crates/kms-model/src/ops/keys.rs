//! CMKs: create-key.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/create-key`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyRequestBody {
    /// Mandatory alias.
    pub key_alias: String,
    /// Default `AES_256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// Default `ENCRYPT_DECRYPT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    /// Free text, at most 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_description: Option<String>,
    /// `kms` (default) or `external`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Enterprise project (accepted, recorded nowhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// Keystore, default `"0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_id: Option<LooseString>,
}

/// `key_info` of the create-key response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The new key's id.
    pub key_id: String,
    /// Owner domain.
    pub domain_id: String,
    /// Region.
    pub region_id: String,
}

/// Response of create key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyResponseBody {
    /// The key.
    pub key_info: KeyInfo,
}

// ---------------------------------------------------------------- validated requests
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
    /// `SIGN_VERIFY`); `EC_P256`, `EC_P384` also with `KEY_AGREEMENT`
    /// (any other spec: KMS.0308); `HMAC_256`, `HMAC_384`, `HMAC_512`,
    /// `HMAC_SM3` only with `GENERATE_VERIFY_MAC`, their default (else
    /// KMS.0341), a usage no other spec takes (KMS.0308); `origin` `kms` (default) or `external` (else
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
        let default_usage = if key_spec.is_hmac() {
            KeyUsage::GenerateVerifyMac
        } else if key_spec.is_asymmetric() {
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
            (spec, usage) if spec.is_hmac() && usage != KeyUsage::GenerateVerifyMac => {
                return Err(ValidationError::new(
                    "key_usage",
                    Rule::Specific {
                        code: ErrorCode::KmsHmacUnsupported,
                        why: "an HMAC key generates and verifies MACs (GENERATE_VERIFY_MAC)",
                    },
                ));
            }
            (_, KeyUsage::GenerateVerifyMac) if !key_spec.is_hmac() => {
                return Err(ValidationError::new(
                    "key_usage",
                    Rule::Specific {
                        code: ErrorCode::KmsInvalidParameter,
                        why: "GENERATE_VERIFY_MAC is the usage of HMAC_256/384/512/SM3 keys",
                    },
                ));
            }
            (CmkSpec::EcP256 | CmkSpec::EcP384, KeyUsage::KeyAgreement) => {}
            (_, KeyUsage::KeyAgreement) => {
                return Err(ValidationError::new(
                    "key_usage",
                    Rule::Specific {
                        code: ErrorCode::KmsInvalidParameter,
                        why: "KEY_AGREEMENT is served for EC_P256 and EC_P384 key pairs",
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
