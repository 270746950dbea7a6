//! The alias API (distinct from a CMK's `key_alias`): create, list,
//! delete and associate (move) aliases, and the alias form a key-addressed
//! operation accepts in place of a key id.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/aliases` (the SDK's
/// `CreateAliasRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAliasRequestBody {
    /// The CMK the alias names.
    pub key_id: String,
    /// The alias, `alias/...`, unique in the project.
    pub alias: String,
}

/// Body of `DELETE /v1.0/{project_id}/kms/aliases` (the SDK's
/// `DeleteAliasRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteAliasRequestBody {
    /// The aliases to delete.
    pub aliases: Vec<String>,
    /// The CMK they name (when given, each alias must name it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/alias/associate` (the SDK's
/// `AssociateAliasRequestBody`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociateAliasRequestBody {
    /// The alias to move.
    pub alias: String,
    /// The CMK it names from now on.
    pub target_key_id: String,
}

/// An alias as the API reports it (the SDK's `AliasEntity`, and the
/// create-alias and associate-alias responses). Times are ISO 8601 UTC
/// (`2024-04-01T00:00:00Z`), as the API reference's examples show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasEntity {
    /// Owner domain.
    pub domain_id: String,
    /// The CMK the alias names.
    pub key_id: String,
    /// The alias.
    pub alias: String,
    /// `kms:{region}:{domain_id}:alias:{alias}`.
    pub alias_urn: String,
    /// Creation time.
    pub create_time: String,
    /// Last association time (the creation time until the alias moves).
    pub update_time: String,
}

/// `page_info` of list-aliases (the SDK's `PageInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasPageInfo {
    /// The `marker` of the next page; empty on the last page.
    pub next_marker: String,
    /// Aliases on this page.
    pub current_count: u64,
}

/// Response of `GET /v1.0/{project_id}/kms/aliases`: the object the API
/// reference's example shows and Terraform's provider reads
/// (`aliases`, `page_info.next_marker`). The SDK's model declares the body
/// an array of these; its deserialiser reads a lone object as that array's
/// one element, so the Python SDK (and Cloud Custodian's
/// `body[0].aliases`) reads it too (`docs/aliases.md`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListAliasResponseBody {
    /// This page, by alias.
    pub aliases: Vec<AliasEntity>,
    /// Paging.
    pub page_info: AliasPageInfo,
}

// ---------------------------------------------------------------- validated requests
/// What every alias starts with.
pub const ALIAS_PREFIX: &str = "alias/";
/// Longest alias, in bytes (prefix included).
pub const MAX_ALIAS_BYTES: usize = 255;
/// Most aliases one CMK may carry (the user guide's limit).
pub const MAX_ALIASES_PER_KEY: usize = 50;
/// Most aliases one delete-alias request names.
pub const MAX_ALIASES_PER_DELETE: usize = 100;
/// Largest (and default) `limit` of list-aliases.
pub const MAX_LIST_ALIASES_LIMIT: u64 = 100;
/// Pattern of [`AliasName`].
pub const ALIAS_NAME_PATTERN: &str = "^alias/[a-zA-Z0-9:/_-]{1,249}$";

#[inline]
const fn is_alias_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-')
}

/// An alias of the alias API: `alias/` then 1 or more of letters, digits,
/// `:`, `/`, `_`, `-`, at most 255 bytes in all ([`ALIAS_NAME_PATTERN`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AliasName(String);

impl std::fmt::Debug for AliasName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AliasName({:?})", self.0)
    }
}

impl std::fmt::Display for AliasName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AliasName {
    /// Validates an alias, reported as field `field` (KMS.0308).
    ///
    /// # Errors
    /// Empty, without the `alias/` prefix or with nothing after it, over
    /// 255 bytes, or a character outside the pattern.
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(ValidationError::new(field, Rule::Empty));
        }
        if s.len() > MAX_ALIAS_BYTES {
            return Err(ValidationError::new(
                field,
                Rule::TooLong {
                    max: MAX_ALIAS_BYTES,
                },
            ));
        }
        let Some(rest) = s.strip_prefix(ALIAS_PREFIX) else {
            return Err(ValidationError::new(
                field,
                Rule::Inconsistent("an alias starts with alias/"),
            ));
        };
        if rest.is_empty() {
            return Err(ValidationError::new(
                field,
                Rule::Inconsistent("an alias has a name after alias/"),
            ));
        }
        if let Some(at) = rest.bytes().position(|b| !is_alias_name_byte(b)) {
            return Err(ValidationError::new(
                field,
                Rule::InvalidCharacter {
                    at: at + ALIAS_PREFIX.len(),
                    pattern: ALIAS_NAME_PATTERN,
                },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// Validates field `alias`.
    ///
    /// # Errors
    /// As [`AliasName::parse_field`].
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_field("alias", s)
    }

    /// Whether a `key_id` as sent names a key by alias: it starts with
    /// `alias/` (a key id never does). Such a value is resolved by the
    /// core, or refused as an alias ([`AliasName::parse_field`]).
    #[must_use]
    pub fn is_alias_form(s: &str) -> bool {
        s.starts_with(ALIAS_PREFIX)
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated create-alias request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateAliasRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The alias.
    pub alias: AliasName,
}

impl CreateAliasRequest {
    /// `key_id` a key id (KMS.0205), `alias` an [`AliasName`] (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateAliasRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            alias: AliasName::parse(&b.alias)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateAliasRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated delete-alias request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeleteAliasRequest {
    /// The aliases (1..=100, distinct).
    pub aliases: Vec<AliasName>,
    /// The CMK they must name, when given.
    pub key_id: Option<KeyId>,
}

impl DeleteAliasRequest {
    /// 1..=100 distinct [`AliasName`]s (KMS.0308); `key_id`, when given, a
    /// key id (KMS.0205).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &DeleteAliasRequestBody) -> Result<Self> {
        if b.aliases.is_empty() {
            return Err(ValidationError::new("aliases", Rule::Empty));
        }
        if b.aliases.len() > MAX_ALIASES_PER_DELETE {
            return Err(ValidationError::new(
                "aliases",
                Rule::OutOfRange {
                    min: 1,
                    max: MAX_ALIASES_PER_DELETE as u64,
                },
            ));
        }
        let mut aliases: Vec<AliasName> = Vec::with_capacity(b.aliases.len());
        for a in &b.aliases {
            let a = AliasName::parse_field("aliases", a)?;
            if aliases.contains(&a) {
                return Err(ValidationError::new(
                    "aliases",
                    Rule::Inconsistent("an alias appears twice"),
                ));
            }
            aliases.push(a);
        }
        Ok(Self {
            aliases,
            key_id: b.key_id.as_deref().map(KeyId::parse).transpose()?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`DeleteAliasRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated associate-alias request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssociateAliasRequest {
    /// The alias.
    pub alias: AliasName,
    /// The CMK it moves to.
    pub target_key_id: KeyId,
}

impl AssociateAliasRequest {
    /// `alias` an [`AliasName`] (KMS.0308), `target_key_id` a key id
    /// (KMS.0205).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &AssociateAliasRequestBody) -> Result<Self> {
        Ok(Self {
            alias: AliasName::parse(&b.alias)?,
            target_key_id: KeyId::parse(&b.target_key_id)
                .map_err(|e| ValidationError::new("target_key_id", e.rule))?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`AssociateAliasRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated list-aliases query (`?key_id=&limit=&marker=`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListAliasesRequest {
    /// Only the aliases of this CMK.
    pub key_id: Option<KeyId>,
    /// Page size, 1..=100 (default 100).
    pub limit: u64,
    /// The last alias of the previous page: this page starts after it.
    pub marker: Option<AliasName>,
}

impl ListAliasesRequest {
    /// `key_id` a key id (KMS.0205), `limit` digits in 1..=100 (KMS.1601),
    /// `marker` an alias (KMS.1602). An empty value is an absent one (the
    /// SDK sends `marker=` on a first page when given `""`).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_query(
        key_id: Option<&str>,
        limit: Option<&str>,
        marker: Option<&str>,
    ) -> Result<Self> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.filter(|s| !s.is_empty())
        }
        Ok(Self {
            key_id: given(key_id).map(KeyId::parse).transpose()?,
            limit: page_param(
                "limit",
                given(limit),
                MAX_LIST_ALIASES_LIMIT,
                1,
                MAX_LIST_ALIASES_LIMIT,
            )?,
            marker: given(marker)
                .map(|m| AliasName::parse_field("marker", m))
                .transpose()?,
        })
    }
}

// ---------------------------------------------------------------- key_id by alias
/// A body whose key id fields may name a key by one of its aliases
/// (`alias/...`): the wire layer resolves each such value to the key id
/// the alias names, in one place (`Wire::keyed_request` in kms-core),
/// before the body is validated.
pub trait KeyAddressed: Clone {
    /// The values of the body's key id fields that may hold an alias
    /// (`None` for an absent optional one): read on every request, so a
    /// fixed array, not an allocation.
    fn key_id_values(&self) -> [Option<&str>; 2];

    /// The same fields, to write a resolved key id into.
    fn key_id_fields(&mut self) -> Vec<&mut String>;
}

impl KeyAddressed for OperateKeyRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for EncryptDataRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for DecryptDataRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [self.key_id.as_deref(), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        self.key_id.iter_mut().collect()
    }
}

impl KeyAddressed for CreateDatakeyRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for EncryptDatakeyRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for DecryptDatakeyRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for SignRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for VerifyRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [Some(&self.key_id), None]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        vec![&mut self.key_id]
    }
}

impl KeyAddressed for ReEncryptRequestBody {
    fn key_id_values(&self) -> [Option<&str>; 2] {
        [
            Some(&self.destination_key_id),
            self.source_key_id.as_deref(),
        ]
    }
    fn key_id_fields(&mut self) -> Vec<&mut String> {
        let mut v = vec![&mut self.destination_key_id];
        v.extend(self.source_key_id.iter_mut());
        v
    }
}

/// One `key_id` field, always present.
macro_rules! key_addressed_by_key_id {
    ($($body:ty),+ $(,)?) => {$(
        impl KeyAddressed for $body {
            fn key_id_values(&self) -> [Option<&str>; 2] {
                [Some(&self.key_id), None]
            }
            fn key_id_fields(&mut self) -> Vec<&mut String> {
                vec![&mut self.key_id]
            }
        }
    )+};
}

key_addressed_by_key_id!(
    GenerateMacRequestBody,
    VerifyMacRequestBody,
    DeriveSharedSecretRequestBody,
    CreateRsaDatakeyPairRequestBody,
    CreateEcDatakeyPairRequestBody,
);
