//! Request and response bodies exactly as they travel, named after the
//! official SDK's models. Unknown request fields are ignored; every value a
//! KMS request documents as a string also accepts a JSON integer (turned
//! into its decimal text), as the contract asks.

use std::fmt;

use crate::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize};

/// A string field that also accepts a JSON integer (`"512"` or `512`).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LooseString(pub String);

impl LooseString {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LooseString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<&str> for LooseString {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LooseString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LooseString, E> {
                Ok(LooseString(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<LooseString, E> {
                Ok(LooseString(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LooseString, E> {
                Ok(LooseString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object, as `encryption_context` carries it.
type JsonObject = serde_json::Map<String, serde_json::Value>;

/// `encryption_context`: a JSON object, or a JSON string holding one (the
/// old golangsdk's `EncryptionContext string`, which Terraform's
/// `huaweicloud_kms_data_key` data source passes through as written). The
/// string is parsed once: `"{\"a\":\"1\"}"` is the object `{"a":"1"}` and
/// binds the same bytes. An empty string is no context, like `null` and
/// `{}`; any other string, and any other JSON type, is a wrong type
/// (KMS.0308).
fn object_or_json_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonObject>, D::Error> {
    struct V;
    const WANT: &str = "a JSON object, or a string holding a JSON object";
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Option<JsonObject>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(WANT)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            JsonObject::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.is_empty() {
                return Ok(None);
            }
            serde_json::from_str::<JsonObject>(v)
                .map(Some)
                .map_err(|_| E::custom(format_args!("expected {WANT}")))
        }
    }
    d.deserialize_any(V)
}

// ---------------------------------------------------------------- keystores

/// Body of `POST /v1.0/{project_id}/keystores` (both editions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyStoreRequestBody {
    /// Mandatory alias.
    pub keystore_alias: String,
    /// Dedicated HSM cluster id (2023 edition: mandatory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm_cluster_id: Option<String>,
    /// The cluster's CA certificate, PEM (2023 edition: mandatory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm_ca_cert: Option<String>,
    /// Cluster id (2025 edition): the HSM or CDMS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// `0|1|2` or `DEFAULT|DHSM|CDMS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_type: Option<LooseString>,
}

/// `keystore` of the create-keystore response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreInfo {
    /// The new keystore's id.
    pub keystore_id: String,
    /// The owner's domain id.
    pub domain_id: String,
}

/// Response of create keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyStoreResponseBody {
    /// The keystore.
    pub keystore: KeystoreInfo,
}

/// A keystore as list and show report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreDetails {
    /// Id.
    pub keystore_id: String,
    /// Owner domain.
    pub domain_id: String,
    /// Alias.
    pub keystore_alias: String,
    /// `DEFAULT | DHSM | CDMS`.
    pub keystore_type: String,
    /// The HSM cluster (empty when none).
    pub hsm_cluster_id: String,
    /// The cluster (empty when none).
    pub cluster_id: String,
    /// Creation time, milliseconds since the epoch, as text.
    pub create_time: String,
}

/// Response of list keystores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeyStoresResponseBody {
    /// Number of keystores in all (not just this page).
    pub total: u64,
    /// This page.
    pub keystores: Vec<KeystoreDetails>,
}

/// The body of a 200 whose SDK response model has no field: `{}`. Delete
/// keystore, enable-key-rotation, disable-key-rotation and
/// update-key-rotation-interval answer it (the SDK's
/// `DeleteKeyStoreResponse`, `EnableKeyRotationResponse`,
/// `DisableKeyRotationResponse`, `UpdateKeyRotationIntervalResponse`):
/// Terraform's provider decodes every 200 body as JSON, and an empty body
/// fails it with EOF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponseBody {}

/// Response of show keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowKeyStoreResponseBody {
    /// The keystore.
    pub keystore: KeystoreDetails,
}

/// `keystore` of the enable/disable responses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreStateInfo {
    /// Id.
    pub keystore_id: String,
    /// New state (`ENABLED`/`DISABLED`).
    pub keystore_state: String,
}

/// Response of enable / disable keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreStateResponseBody {
    /// The keystore.
    pub keystore: KeystoreStateInfo,
}

// ---------------------------------------------------------------- PINs

/// Body of `POST /v1.0/{project_id}/kms/create-pin`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePinRequestBody {
    /// `PlainText | CipherText`, default `CipherText`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_type: Option<String>,
    /// `"1"`, `"2"` or a dedicated keystore id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_id: Option<LooseString>,
}

/// Response of create PIN. The PIN is secret: `Debug` is redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePinResponseBody {
    /// The PIN, hex (plain) or a sealed blob, hex.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub pin: Secret<String>,
}

// ---------------------------------------------------------------- CMKs

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

// ---------------------------------------------------------------- DEKs

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

// ---------------------------------------------------------------- APIG

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

// ---------------------------------------------------------------- CMK lifecycle

/// Body of `POST /v1.0/{project_id}/kms/enable-key` and `/disable-key`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperateKeyRequestBody {
    /// The CMK.
    pub key_id: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// `key_info` of the enable/disable-key responses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStateInfo {
    /// The CMK.
    pub key_id: String,
    /// `2` enabled, `3` disabled, `4` pending deletion.
    pub key_state: String,
}

/// Response of enable-key / disable-key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStateResponseBody {
    /// The key.
    pub key_info: KeyStateInfo,
}

/// Body of `POST /v1.0/{project_id}/kms/schedule-key-deletion`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleKeyDeletionRequestBody {
    /// The CMK.
    pub key_id: String,
    /// Days until deletion, 7..=1096, as a string.
    pub pending_days: LooseString,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of schedule-key-deletion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleKeyDeletionResponseBody {
    /// The CMK.
    pub key_id: String,
    /// `4`.
    pub key_state: String,
}

/// A CMK as describe-key and list-keys report it (the SDK's `KeyDetails`).
/// Every field is a string, times in milliseconds since the epoch as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetails {
    /// The CMK.
    pub key_id: String,
    /// Owner domain.
    pub domain_id: String,
    /// Alias.
    pub key_alias: String,
    /// Region.
    pub realm: String,
    /// `AES_256`.
    pub key_spec: String,
    /// `ENCRYPT_DECRYPT`.
    pub key_usage: String,
    /// Description.
    pub key_description: String,
    /// Creation time.
    pub creation_date: String,
    /// When a pending deletion takes effect (empty when none).
    pub scheduled_deletion_date: String,
    /// `2` enabled, `3` disabled, `4` pending deletion.
    pub key_state: String,
    /// `1` for a default (service) key, `0` otherwise.
    pub default_key_flag: String,
    /// `1` for a customer key.
    pub key_type: String,
    /// Key material expiry (empty: never).
    pub expiration_time: String,
    /// `kms`.
    pub origin: String,
    /// `true` or `false`.
    pub key_rotation_enabled: String,
    /// Enterprise project, `0`.
    pub sys_enterprise_project_id: String,
    /// `0` (default keystore) or a dedicated keystore id.
    pub keystore_id: String,
}

/// Response of `POST /v1.0/{project_id}/kms/describe-key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeyDetailResponseBody {
    /// The key.
    pub key_info: KeyDetails,
}

/// Body of `POST /v1.0/{project_id}/kms/list-keys`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeysRequestBody {
    /// Page size, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LooseString>,
    /// Where the page starts: a previous response's `next_marker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<LooseString>,
    /// Only keys in this state (`1`..`5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_state: Option<LooseString>,
    /// Only keys of this spec (default `AES_256`; `ALL` for every spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    /// Enterprise project (accepted, not filtered on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of list-keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeysResponseBody {
    /// The ids of this page.
    pub keys: Vec<String>,
    /// The keys of this page.
    pub key_details: Vec<KeyDetails>,
    /// The `marker` of the next page (empty on the last page).
    pub next_marker: String,
    /// `true` when another page follows.
    pub truncated: String,
    /// Number of matching keys in all.
    pub total: u64,
}

/// Body of `POST /v1.0/{project_id}/kms/update-key-alias`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateKeyAliasRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The new alias.
    pub key_alias: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// `key_info` of the update-key-alias response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAliasInfo {
    /// The CMK.
    pub key_id: String,
    /// The new alias.
    pub key_alias: String,
}

/// Response of update-key-alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateKeyAliasResponseBody {
    /// The key.
    pub key_info: KeyAliasInfo,
}

/// Body of `POST /v1.0/{project_id}/kms/update-key-description`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateKeyDescriptionRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The new description, at most 255 characters.
    pub key_description: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// `key_info` of the update-key-description response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDescriptionInfo {
    /// The CMK.
    pub key_id: String,
    /// The new description.
    pub key_description: String,
}

/// Response of update-key-description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateKeyDescriptionResponseBody {
    /// The key.
    pub key_info: KeyDescriptionInfo,
}

/// Response of `POST /v1.0/{project_id}/kms/cancel-key-deletion` (the
/// body is an [`OperateKeyRequestBody`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelKeyDeletionResponseBody {
    /// The CMK.
    pub key_id: String,
    /// `3`: a key whose deletion is cancelled is disabled.
    pub key_state: String,
}

// ---------------------------------------------------------------- data

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

// ---------------------------------------------------------------- rotation

/// Body of `POST /v1.0/{project_id}/kms/update-key-rotation-interval`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateKeyRotationIntervalRequestBody {
    /// The CMK.
    pub key_id: String,
    /// Days, 30..=365 (the SDK sends an integer; text is accepted too).
    pub rotation_interval: LooseString,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/rotate-on-demand`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateOnDemandRequestBody {
    /// The CMK.
    pub key_id: String,
}

/// Response of rotate-on-demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotateOnDemandResponseBody {
    /// The CMK.
    pub key_id: String,
}

/// Response of `POST /v1.0/{project_id}/kms/get-key-rotation-status` (the
/// body is an [`OperateKeyRequestBody`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowKeyRotationStatusResponseBody {
    /// Whether rotation is enabled.
    pub key_rotation_enabled: bool,
    /// Days between rotations.
    pub rotation_interval: u32,
    /// Last rotation, milliseconds since the epoch as text (empty: never).
    pub last_rotation_time: String,
    /// Rotations so far.
    pub number_of_rotations: u32,
    /// The key's imported key materials (the SDK's
    /// `GetkeyRotationStatusResponseBodyKeyMaterials`, since 3.1.1xx):
    /// always empty here, as kms-rs imports no key material; sent so the
    /// field the SDK models is there with its type (a list).
    #[serde(default)]
    pub key_materials: Vec<KeyMaterialStatus>,
}

/// One imported key material of a key, as get-key-rotation-status lists it
/// (the SDK's `GetkeyRotationStatusResponseBodyKeyMaterials`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMaterialStatus {
    /// Material id (a UUID).
    pub material_id: String,
    /// Billing id.
    pub charge_id: String,
    /// Creation time.
    pub create_time: String,
    /// Expiration time.
    pub expiration_time: String,
    /// `0` waiting for rotation, `2` enabled.
    pub state: i64,
}

// ---------------------------------------------------------------- tags

/// A tag: key and value (the SDK's `TagItem`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagItem {
    /// Tag key, 1..=36 characters.
    pub key: String,
    /// Tag value, 0..=43 characters (absent: empty).
    #[serde(default)]
    pub value: String,
}

/// A tag key with values (the SDK's `Tag`), as list-kms-by-tags filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Accepted values (any value when empty).
    #[serde(default)]
    pub values: Vec<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/{key_id}/tags/action`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCreateKmsTagsRequestBody {
    /// The tags to create or delete.
    pub tags: Vec<TagItem>,
    /// `create` or `delete`.
    pub action: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of `GET /v1.0/{project_id}/kms/{key_id}/tags`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowKmsTagsResponseBody {
    /// The key's tags, by tag key.
    pub tags: Vec<TagItem>,
    /// How many (`existTagsNum` on the wire, as the SDK names it).
    #[serde(rename = "existTagsNum")]
    pub exist_tags_num: u64,
}

/// Body of `POST /v1.0/{project_id}/kms/resource_instances/action`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKmsByTagsRequestBody {
    /// Page size, 1..=1000 (default 10; unused by `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LooseString>,
    /// Page start (default 0; unused by `count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<LooseString>,
    /// `filter` or `count`.
    pub action: String,
    /// Tags every key must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// `resource_name` (the key alias) contains `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<TagItem>>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// A key as list-kms-by-tags reports it (the SDK's `ActionResources`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResources {
    /// The key id.
    pub resource_id: String,
    /// The key.
    pub resource_detail: KeyDetails,
    /// The key alias.
    pub resource_name: String,
    /// The key's tags.
    pub tags: Vec<TagItem>,
}

/// Response of list-kms-by-tags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKmsByTagsResponseBody {
    /// This page (empty for `count`).
    pub resources: Vec<ActionResources>,
    /// Number of matching keys in all.
    pub total_count: u64,
}

// ---------------------------------------------------------------- random

/// Body of `POST /v1.0/{project_id}/kms/gen-random`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenRandomRequestBody {
    /// Bits, 8..=8192, a multiple of 8, as a string.
    pub random_data_length: LooseString,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of gen-random (the SDK's `CreateRandomResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRandomResponseBody {
    /// The random bytes, upper-case hex.
    pub random_data: String,
}

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

/// Body of `POST /v1.0/{project_id}/kms/{key_id}/tags` (one tag).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKmsTagRequestBody {
    /// The tag.
    pub tag: TagItem,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of `GET /v1.0/{project_id}/kms/tags`: every tag key used in the
/// project with its values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKmsTagsResponseBody {
    /// The tags.
    pub tags: Vec<Tag>,
}

// ---------------------------------------------------------------- sign / verify

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
