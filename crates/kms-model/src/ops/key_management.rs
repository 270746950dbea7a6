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
pub(crate) fn decimal(field: &'static str, s: &str, min: u64, max: u64) -> Result<u64> {
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
pub(crate) fn list_keys_limit(s: &str) -> Result<u64> {
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
