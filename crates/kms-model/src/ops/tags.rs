//! Tags of CMKs: batch, one tag, listings, resource instances.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
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

// ---------------------------------------------------------------- validated requests
/// Most tags a key carries.
pub const MAX_TAGS_PER_KEY: usize = 10;

pub(crate) fn check_tag_text(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
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
