//! Multi-region keys: replicate-key and update-primary-region
//! (`/v2/{project_id}/kms/keys/{key_id}/...`).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

/// The alphabet of a region id (`cn-north-4`, `ap-southeast-1`,
/// `local-1`).
pub const REGION_ID_PATTERN: &str = "^[a-z0-9-]{1,64}$";

/// The alphabet of a project id as kms-rs accepts it in a body (Huawei's
/// are 32 hex digits; a self-hosted deployment names its own).
pub const PROJECT_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v2/{project_id}/kms/keys/{key_id}/replicate` (the SDK's
/// `ReplicateKeyRequestBody`; Terraform's `huaweicloud_kms_key_replicate`
/// sends the same fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicateKeyRequestBody {
    /// The key to replicate; the path's `key_id` names it too and wins
    /// (a different value here: KMS.0205).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The region the replica lives in.
    pub replica_region: String,
    /// The replica's alias (`key_alias`, unique in its project).
    pub key_alias: String,
    /// The replica's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_description: Option<String>,
    /// Enterprise project: accepted, `"0"` or absent only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    /// The project the replica lives in (of the caller's account, in
    /// `replica_region`).
    pub replica_project_id: String,
    /// Tags of the replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagItem>>,
}

/// Response of replicate-key (the SDK's `ReplicateKeyResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicateKeyResponseBody {
    /// The replica's key id.
    pub key_id: String,
    /// The account.
    pub domain_id: String,
    /// The replica's region.
    pub region: String,
}

/// Body of `PUT /v2/{project_id}/kms/keys/{key_id}/update-primary-region`
/// (the SDK's `UpdatePrimaryRegionRequestBody`; Terraform sends only
/// `primary_region`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePrimaryRegionRequestBody {
    /// The key; the path's `key_id` names it too and wins (a different
    /// value here: KMS.0205).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The region whose member of the key's group becomes the primary.
    pub primary_region: String,
}

/// Response of update-primary-region (the SDK's
/// `UpdatePrimaryRegionResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePrimaryRegionResponseBody {
    /// The key named in the request.
    pub key_id: String,
    /// The group's primary region now.
    pub primary_region: String,
}

// ---------------------------------------------------------------- validated
fn checked_id(
    field: &'static str,
    s: &str,
    pattern: &'static str,
    ok: fn(u8) -> bool,
) -> Result<String> {
    if s.is_empty() {
        return Err(ValidationError::new(field, Rule::Empty));
    }
    if s.len() > 64 {
        return Err(ValidationError::new(field, Rule::TooLong { max: 64 }));
    }
    if let Some(at) = s.bytes().position(|b| !ok(b)) {
        return Err(ValidationError::new(
            field,
            Rule::InvalidCharacter { at, pattern },
        ));
    }
    Ok(s.to_owned())
}

/// A region id ([`REGION_ID_PATTERN`], KMS.0308).
///
/// # Errors
/// Empty, too long or outside the alphabet.
pub fn region_id(field: &'static str, s: &str) -> Result<String> {
    checked_id(field, s, REGION_ID_PATTERN, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
    })
}

fn project_id(field: &'static str, s: &str) -> Result<String> {
    checked_id(field, s, PROJECT_ID_PATTERN, |b| {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
    })
}

/// The body's `key_id`, when given (and not empty), must be the path's
/// (KMS.0205, a bad key id): replicate-key and update-primary-region name their key in
/// the path.
///
/// # Errors
/// A different key id in the body.
pub fn same_key(path: &KeyId, body: Option<&str>) -> Result<()> {
    match body {
        Some(b) if !b.is_empty() && b != path.as_str() => Err(ValidationError::new(
            "key_id",
            Rule::Inconsistent("the body's key_id is not the path's"),
        )),
        _ => Ok(()),
    }
}

/// A validated replicate-key request (the key comes from the path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicateKeyRequest {
    /// The replica's region.
    pub replica_region: String,
    /// The replica's project.
    pub replica_project_id: String,
    /// The replica's alias.
    pub key_alias: KeyAlias,
    /// The replica's description.
    pub key_description: String,
    /// The replica's tags.
    pub tags: Vec<(TagKey, TagValue)>,
}

impl ReplicateKeyRequest {
    /// `replica_region` a region id, `replica_project_id` a project id
    /// (KMS.0308), `key_alias` as create-key's, `key_description` at most
    /// 255 characters, `enterprise_project_id` absent or `"0"`, `tags`
    /// at most 10 valid tags with distinct keys (KMS.0308). The body's
    /// `key_id` is checked against the path's by [`same_key`].
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ReplicateKeyRequestBody) -> Result<Self> {
        let replica_region = region_id("replica_region", &b.replica_region)?;
        let replica_project_id = project_id("replica_project_id", &b.replica_project_id)?;
        let key_alias = KeyAlias::parse(&b.key_alias)?;
        let key_description = crate::ops::key_management::key_description(
            b.key_description.as_deref().unwrap_or(""),
        )?;
        if let Some(ep) = opt_str(&b.enterprise_project_id) {
            if ep != "0" {
                return Err(ValidationError::new(
                    "enterprise_project_id",
                    Rule::Unsupported("enterprise projects: only \"0\""),
                ));
            }
        }
        let items = b.tags.as_deref().unwrap_or_default();
        if items.len() > MAX_TAGS_PER_REPLICA {
            return Err(ValidationError::new(
                "tags",
                Rule::TooLong {
                    max: MAX_TAGS_PER_REPLICA,
                },
            ));
        }
        let mut tags: Vec<(TagKey, TagValue)> = Vec::with_capacity(items.len());
        for t in items {
            let key = TagKey::parse(&t.key)?;
            if tags.iter().any(|(k, _)| *k == key) {
                return Err(ValidationError::new(
                    "tags",
                    Rule::Inconsistent("a tag key given twice"),
                ));
            }
            tags.push((key, TagValue::parse(&t.value)?));
        }
        Ok(Self {
            replica_region,
            replica_project_id,
            key_alias,
            key_description,
            tags,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ReplicateKeyRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// Tags a replica may be created with (a key's tag limit).
pub const MAX_TAGS_PER_REPLICA: usize = 10;

/// A validated update-primary-region request (the key comes from the
/// path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdatePrimaryRegionRequest {
    /// The region whose member becomes the primary.
    pub primary_region: String,
}

impl UpdatePrimaryRegionRequest {
    /// `primary_region` a region id (KMS.0308). The body's `key_id` is
    /// checked against the path's by [`same_key`].
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &UpdatePrimaryRegionRequestBody) -> Result<Self> {
        Ok(Self {
            primary_region: region_id("primary_region", &b.primary_region)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`UpdatePrimaryRegionRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
