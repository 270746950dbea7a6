//! Listing CMKs: list-keys (paging, state and spec filters).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

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
        "HMAC_256", "HMAC_384", "HMAC_512", "HMAC_SM3",
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
                        "one of AES_256, SM4, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, SM2, HMAC_256, HMAC_384, HMAC_512, HMAC_SM3, ALL",
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
