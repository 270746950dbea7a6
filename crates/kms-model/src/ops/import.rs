//! Key material import, BYOK (get-parameters-for-import,
//! import-key-material; delete-imported-key-material takes the
//! `OperateKeyRequestBody` of the key-management family).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

use super::signing::base64_field;

/// The largest import token accepted, decoded (the SDK's pattern allows
/// 6144 base64 characters).
pub const MAX_IMPORT_TOKEN_BYTES: usize = 4608;

/// The largest wrapped key material accepted, decoded: an RSA-4096
/// ciphertext (512 bytes) with room; the service checks the exact length
/// its wrapping key gives.
pub const MAX_WRAPPED_MATERIAL_BYTES: usize = 1024;

/// The largest `encrypted_privatekey` accepted, decoded (the SDK's pattern
/// allows 6144 base64 characters).
pub const MAX_WRAPPED_PRIVATE_KEY_BYTES: usize = 4608;

/// The latest `expiration_time` accepted, in seconds since the epoch (the
/// last second of 9999, UTC).
pub const MAX_EXPIRATION_SECONDS: u64 = 253_402_300_799;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/get-parameters-for-import` (the
/// SDK's `GetParametersForImportRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetParametersForImportRequestBody {
    /// The key waiting for its material.
    pub key_id: String,
    /// `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1` or `SM2_ENCRYPT`.
    #[serde(default)]
    pub wrapping_algorithm: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of get-parameters-for-import (the SDK's
/// `CreateParametersForImportResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateParametersForImportResponseBody {
    /// The key.
    pub key_id: String,
    /// The import token, standard base64.
    pub import_token: String,
    /// When the token and its wrapping key expire, seconds since the epoch
    /// (a JSON integer, as the SDK's model types it).
    pub expiration_time: i64,
    /// The wrapping public key: DER SubjectPublicKeyInfo, standard base64.
    pub public_key: String,
}

/// Body of `POST /v1.0/{project_id}/kms/import-key-material` (the SDK's
/// `ImportKeyMaterialRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportKeyMaterialRequestBody {
    /// The key waiting for its material.
    pub key_id: String,
    /// The token get-parameters-for-import returned, standard base64.
    pub import_token: String,
    /// The key material encrypted under the token's public key, standard
    /// base64 (for an asymmetric key: the temporary key that encrypts
    /// `encrypted_privatekey`).
    pub encrypted_key_material: String,
    /// An asymmetric key's private key encrypted under the temporary key
    /// (not served: see docs/ciphertext-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_privatekey: Option<String>,
    /// When the material expires, seconds since the epoch (an integer, or
    /// a decimal string as golangsdk sends it); absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<LooseString>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

// ---------------------------------------------------------------- validated requests
/// How the key material travels to the service (`wrapping_algorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WrappingAlgorithm {
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256 under a fresh RSA-2048 key.
    #[serde(rename = "RSAES_OAEP_SHA_256")]
    RsaesOaepSha256,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1 under a fresh RSA-2048 key
    /// (listed by the user guide's import procedure, not by the SDK).
    #[serde(rename = "RSAES_OAEP_SHA_1")]
    RsaesOaepSha1,
    /// SM2 public-key encryption (GB/T 32918.4) under a fresh SM2 key.
    #[serde(rename = "SM2_ENCRYPT")]
    Sm2Encrypt,
}

impl WrappingAlgorithm {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
            Self::RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
            Self::Sm2Encrypt => "SM2_ENCRYPT",
        }
    }

    /// The algorithm of a wire name, if it is one of these.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::RsaesOaepSha256, Self::RsaesOaepSha1, Self::Sm2Encrypt]
            .into_iter()
            .find(|a| a.as_str() == name)
    }
}

/// A validated get-parameters-for-import request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GetParametersForImportRequest {
    /// The key.
    pub key_id: KeyId,
    /// The wrapping algorithm.
    pub wrapping_algorithm: WrappingAlgorithm,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl GetParametersForImportRequest {
    /// `key_id` a key id (KMS.0205); `wrapping_algorithm` present (KMS.0204)
    /// and `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1` or `SM2_ENCRYPT`
    /// (KMS.0308: `RSAES_PKCS1_V1_5` is refused, see
    /// docs/ciphertext-format.md); `sequence` 36 bytes.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &GetParametersForImportRequestBody) -> Result<Self> {
        const F: &str = "wrapping_algorithm";
        let key_id = KeyId::parse(&b.key_id)?;
        if b.wrapping_algorithm.is_empty() {
            return Err(ValidationError::missing(F));
        }
        let wrapping_algorithm =
            WrappingAlgorithm::from_name(&b.wrapping_algorithm).ok_or(ValidationError::new(
                F,
                Rule::NotOneOf("RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, SM2_ENCRYPT"),
            ))?;
        Ok(Self {
            key_id,
            wrapping_algorithm,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`GetParametersForImportRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated import-key-material request: the base64 fields decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportKeyMaterialRequest {
    /// The key.
    pub key_id: KeyId,
    /// The import token (a credential: redacted in `Debug`, never
    /// serialized).
    #[serde(skip)]
    pub import_token: Secret<Vec<u8>>,
    /// The wrapped key material (or temporary key).
    pub encrypted_key_material: Vec<u8>,
    /// An asymmetric key's wrapped private key.
    pub encrypted_private_key: Option<Vec<u8>>,
    /// When the material expires, seconds since the epoch; `None`: never.
    pub expiration_time: Option<u64>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ImportKeyMaterialRequest {
    /// `key_id` a key id (KMS.0205); `import_token` standard base64 of
    /// 1..=4608 bytes, `encrypted_key_material` of 1..=1024 bytes,
    /// `encrypted_privatekey` (when present) of 1..=4608 bytes (KMS.0308);
    /// `expiration_time` (when present) decimal seconds 1..=253402300799
    /// (KMS.0308; an instant not after now is the service's KMS.2602);
    /// `sequence` 36 bytes.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ImportKeyMaterialRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let import_token = base64_field("import_token", &b.import_token, MAX_IMPORT_TOKEN_BYTES)?;
        let encrypted_key_material = base64_field(
            "encrypted_key_material",
            &b.encrypted_key_material,
            MAX_WRAPPED_MATERIAL_BYTES,
        )?;
        let encrypted_private_key = match b.encrypted_privatekey.as_deref() {
            None | Some("") => None,
            Some(s) => Some(base64_field(
                "encrypted_privatekey",
                s,
                MAX_WRAPPED_PRIVATE_KEY_BYTES,
            )?),
        };
        let expiration_time = match opt_loose(&b.expiration_time) {
            None | Some("") => None,
            Some(s) => Some(decimal("expiration_time", s, 1, MAX_EXPIRATION_SECONDS)?),
        };
        Ok(Self {
            key_id,
            import_token: Secret::new(import_token),
            encrypted_key_material,
            encrypted_private_key,
            expiration_time,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ImportKeyMaterialRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

    fn code(e: &ValidationError) -> &'static str {
        e.to_kms().code().as_str()
    }

    #[test]
    fn get_parameters_for_import_rules() {
        let ok = GetParametersForImportRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","wrapping_algorithm":"SM2_ENCRYPT"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(ok.wrapping_algorithm, WrappingAlgorithm::Sm2Encrypt);
        let missing =
            GetParametersForImportRequest::from_json(format!(r#"{{"key_id":"{KEY}"}}"#).as_bytes())
                .unwrap_err();
        assert_eq!(code(&missing), "KMS.0204");
        for alg in [
            "RSAES_OAEP_SHA_384",
            "RSAES_PKCS1_V1_5",
            "rsaes_oaep_sha_256",
        ] {
            let e = GetParametersForImportRequest::from_json(
                format!(r#"{{"key_id":"{KEY}","wrapping_algorithm":"{alg}"}}"#).as_bytes(),
            )
            .unwrap_err();
            assert_eq!(code(&e), "KMS.0308", "{alg}");
        }
        let e = GetParametersForImportRequest::from_json(
            br#"{"key_id":"nope","wrapping_algorithm":"RSAES_OAEP_SHA_256"}"#,
        )
        .unwrap_err();
        assert_eq!(code(&e), "KMS.0205");
    }

    #[test]
    fn import_key_material_rules_and_redaction() {
        let body = |extra: &str| {
            format!(
                r#"{{"key_id":"{KEY}","import_token":"c2VjcmV0LXRva2Vu","encrypted_key_material":"AAEC"{extra}}}"#
            )
        };
        let r = ImportKeyMaterialRequest::from_json(body("").as_bytes()).unwrap();
        assert_eq!(r.expiration_time, None);
        assert_eq!(r.encrypted_key_material, [0, 1, 2]);
        assert!(!format!("{r:?}").contains("secret-token"));
        assert!(!serde_json::to_string(&r).unwrap().contains("c2VjcmV0"));
        // An integer (the SDK) or a decimal string (golangsdk).
        for e in [
            r#","expiration_time":1999999999"#,
            r#","expiration_time":"1999999999""#,
        ] {
            let r = ImportKeyMaterialRequest::from_json(body(e).as_bytes()).unwrap();
            assert_eq!(r.expiration_time, Some(1_999_999_999));
        }
        for e in [
            r#","expiration_time":-1"#,
            r#","expiration_time":"soon""#,
            r#","expiration_time":0"#,
            r#","expiration_time":253402300800"#,
            r#","encrypted_privatekey":"***""#,
        ] {
            let err = ImportKeyMaterialRequest::from_json(body(e).as_bytes()).unwrap_err();
            assert_eq!(code(&err), "KMS.0308", "{e}");
        }
        let r =
            ImportKeyMaterialRequest::from_json(body(r#","encrypted_privatekey":"""#).as_bytes())
                .unwrap();
        assert_eq!(r.encrypted_private_key, None, "empty is absent");
        let err = ImportKeyMaterialRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","encrypted_key_material":"AAEC"}}"#).as_bytes(),
        )
        .unwrap_err();
        assert_eq!(code(&err), "KMS.0204");
    }
}
