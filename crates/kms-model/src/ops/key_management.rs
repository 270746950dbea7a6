//! CMK management: describe, list, alias, description, enable, disable, deletion.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
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
    /// describe-key of a multi-region key: `PRIMARY` or `REPLICA` (absent
    /// for any other key, and in listings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_region_key_type: Option<String>,
}

/// Response of `POST /v1.0/{project_id}/kms/describe-key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeyDetailResponseBody {
    /// The key.
    pub key_info: KeyDetails,
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

// ---------------------------------------------------------------- validated requests
/// Largest `key_description`, in characters.
pub const MAX_KEY_DESCRIPTION_CHARS: usize = 255;
/// Largest list-keys page: a larger `limit` is served as this many keys.
pub const MAX_LIST_KEYS_LIMIT: u64 = 1000;

pub(crate) fn key_description(s: &str) -> Result<String> {
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
    /// Days until the deletion takes effect.
    pub pending_days: PendingDays,
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
            pending_days: PendingDays::parse(b.pending_days.as_str())?,
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
