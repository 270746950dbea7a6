//! Grants: create-grant, list-grants, list-retirable-grants, revoke-grant
//! and retire-grant (the SDK's `CreateGrantRequestBody`,
//! `ListGrantsRequestBody`, `ListRetirableGrantsRequestBody` and
//! `RevokeGrantRequestBody`, which revoke-grant and retire-grant share).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/kms/create-grant`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGrantRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The user (or, with `grantee_principal_type` `domain`, the account)
    /// the grant is for: `^[a-zA-Z0-9]{1,64}$`.
    pub grantee_principal: String,
    /// The operations granted (see [`GrantOperation`]).
    pub operations: Vec<String>,
    /// `^[a-zA-Z0-9:/_-]{1,255}$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user who may retire the grant: `^[a-zA-Z0-9]{1,64}$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    /// `user` (default) or `domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee_principal_type: Option<String>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/list-grants`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGrantsRequestBody {
    /// The CMK.
    pub key_id: String,
    /// Page size, as a string (Terraform sends the integer `100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LooseString>,
    /// Where the page starts: a previous response's `next_marker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<LooseString>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/list-retirable-grants`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRetirableGrantsRequestBody {
    /// Page size, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LooseString>,
    /// Where the page starts: a previous response's `next_marker`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<LooseString>,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Body of `POST /v1.0/{project_id}/kms/revoke-grant` and
/// `/kms/retire-grant`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeGrantRequestBody {
    /// The CMK.
    pub key_id: String,
    /// The grant: 64 hexadecimal digits.
    pub grant_id: String,
    /// 36-byte request serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

/// Response of create-grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGrantResponseBody {
    /// The new grant's id (64 lower-case hexadecimal digits).
    pub grant_id: String,
}

/// A grant as list-grants and list-retirable-grants report it (the SDK's
/// `Grants`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantDetails {
    /// The CMK.
    pub key_id: String,
    /// The grant.
    pub grant_id: String,
    /// The grantee (a user id, or an account id).
    pub grantee_principal: String,
    /// `user` or `domain`.
    pub grantee_principal_type: String,
    /// The operations granted.
    pub operations: Vec<String>,
    /// Who created the grant (its user id, else its account id).
    pub issuing_principal: String,
    /// Creation time, milliseconds since the epoch as text.
    pub creation_date: String,
    /// The grant's name (empty when none was given).
    pub name: String,
    /// The user who may retire the grant (empty when none was named).
    pub retiring_principal: String,
}

/// Response of list-grants and list-retirable-grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGrantsResponseBody {
    /// The grants of this page.
    pub grants: Vec<GrantDetails>,
    /// The `marker` of the next page (empty on the last page).
    pub next_marker: String,
    /// `"true"` when another page follows, else `"false"`.
    pub truncated: String,
    /// Number of grants in all.
    pub total: u64,
}

// ---------------------------------------------------------------- domain
/// An operation a grant may allow: the values the API reference lists
/// for `operations`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum GrantOperation {
    /// `create-datakey`.
    CreateDatakey,
    /// `create-datakey-without-plaintext`.
    CreateDatakeyWithoutPlaintext,
    /// `encrypt-datakey`.
    EncryptDatakey,
    /// `decrypt-datakey`.
    DecryptDatakey,
    /// `describe-key`.
    DescribeKey,
    /// `create-grant`: the grantee may grant (a subset of) its own
    /// operations on the key to another principal.
    CreateGrant,
    /// `retire-grant` (accepted and recorded; a grantee may retire its own
    /// grant whatever its operations).
    RetireGrant,
    /// `encrypt-data`.
    EncryptData,
    /// `decrypt-data`.
    DecryptData,
}

impl GrantOperation {
    /// Every grantable operation, in the API reference's order.
    pub const ALL: &'static [Self] = &[
        Self::CreateDatakey,
        Self::CreateDatakeyWithoutPlaintext,
        Self::EncryptDatakey,
        Self::DecryptDatakey,
        Self::DescribeKey,
        Self::CreateGrant,
        Self::RetireGrant,
        Self::EncryptData,
        Self::DecryptData,
    ];

    /// The wire name (the registry operation's name, `encrypt-data`, ...:
    /// `GrantOperation::operation`, in `operation.rs`, maps each to its
    /// registry entry and a test there checks the names agree).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateDatakey => "create-datakey",
            Self::CreateDatakeyWithoutPlaintext => "create-datakey-without-plaintext",
            Self::EncryptDatakey => "encrypt-datakey",
            Self::DecryptDatakey => "decrypt-datakey",
            Self::DescribeKey => "describe-key",
            Self::CreateGrant => "create-grant",
            Self::RetireGrant => "retire-grant",
            Self::EncryptData => "encrypt-data",
            Self::DecryptData => "decrypt-data",
        }
    }

    /// Parses a wire name.
    ///
    /// # Errors
    /// Not one of the listed names (`operations`, KMS.0308).
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| {
                ValidationError::new(
                    "operations",
                    Rule::NotOneOf(
                        "create-datakey, create-datakey-without-plaintext, encrypt-datakey, \
                         decrypt-datakey, describe-key, create-grant, retire-grant, \
                         encrypt-data, decrypt-data",
                    ),
                )
            })
    }
}

/// Whom a grant names: a user (default) or a whole account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum GranteeType {
    /// `user`: `grantee_principal` is a user id.
    User,
    /// `domain`: `grantee_principal` is an account (domain) id.
    Domain,
}

impl GranteeType {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Domain => "domain",
        }
    }

    /// Parses `user` or `domain`.
    ///
    /// # Errors
    /// Anything else (`grantee_principal_type`, KMS.0308).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "user" => Ok(Self::User),
            "domain" => Ok(Self::Domain),
            _ => Err(ValidationError::new(
                "grantee_principal_type",
                Rule::NotOneOf("user, domain"),
            )),
        }
    }
}

/// The pattern of a principal (a user or account id).
pub const PRINCIPAL_PATTERN: &str = "^[a-zA-Z0-9]{1,64}$";
/// The pattern of a grant name.
pub const GRANT_NAME_PATTERN: &str = "^[a-zA-Z0-9:/_-]{1,255}$";
/// Largest page of list-grants and list-retirable-grants; a larger
/// `limit` is served as this.
pub const MAX_LIST_GRANTS_LIMIT: u64 = 100;

/// A user or account id as a grant names it: `^[a-zA-Z0-9]{1,64}$`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Principal(String);

impl Principal {
    /// Validates a principal, reported as `field` (KMS.2402 on the wire).
    ///
    /// # Errors
    /// Empty, longer than 64, or a character outside `[a-zA-Z0-9]`.
    pub fn parse(field: &'static str, s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(ValidationError::new(field, Rule::Empty));
        }
        if s.len() > 64 {
            return Err(ValidationError::new(field, Rule::TooLong { max: 64 }));
        }
        if let Some(at) = s.bytes().position(|b| !b.is_ascii_alphanumeric()) {
            return Err(ValidationError::new(
                field,
                Rule::InvalidCharacter {
                    at,
                    pattern: PRINCIPAL_PATTERN,
                },
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A grant id: 64 hexadecimal digits, kept in lower case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct GrantId(String);

impl GrantId {
    /// Validates `grant_id` (`^[A-Fa-f0-9]{64}$`, KMS.2501), folding it
    /// to lower case.
    ///
    /// # Errors
    /// Not 64 bytes, or a non-hex digit.
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() != 64 {
            return Err(ValidationError::new(
                "grant_id",
                Rule::ExactLength { expected: 64 },
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValidationError::new("grant_id", Rule::NotHex));
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    /// The id, lower case.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page of grants: `limit` a positive decimal (above
/// [`MAX_LIST_GRANTS_LIMIT`] served as that; default that), `marker` a
/// decimal offset (empty: 0).
fn grant_page(limit: &Option<LooseString>, marker: &Option<LooseString>) -> Result<(u64, u64)> {
    let limit = match opt_loose(limit) {
        None => MAX_LIST_GRANTS_LIMIT,
        Some(s) => {
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
                    Rule::NotOneOf("the positive integers (above 100, a page of 100)"),
                ));
            }
            n.min(MAX_LIST_GRANTS_LIMIT)
        }
    };
    let marker = opt_loose(marker)
        .filter(|s| !s.is_empty())
        .map(|s| decimal("marker", s, 0, u64::from(u32::MAX)))
        .transpose()?
        .unwrap_or(0);
    Ok((limit, marker))
}

// ---------------------------------------------------------------- validated requests
/// A validated create-grant request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateGrantRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The grantee.
    pub grantee_principal: Principal,
    /// Whom `grantee_principal` names.
    pub grantee_type: GranteeType,
    /// The operations granted: at least one besides `create-grant`, each
    /// once, in the API reference's order.
    pub operations: Vec<GrantOperation>,
    /// The name (empty when none was given).
    pub name: String,
    /// Who may retire the grant besides its grantee.
    pub retiring_principal: Option<Principal>,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl CreateGrantRequest {
    /// `key_id` a key id (KMS.0205); `grantee_principal` and
    /// `retiring_principal` `^[a-zA-Z0-9]{1,64}$` (KMS.2402);
    /// `operations` a non-empty list of [`GrantOperation`] names (else
    /// KMS.0308) holding one besides `create-grant` (else KMS.2401),
    /// repeats folded; `name` `^[a-zA-Z0-9:/_-]{1,255}$` (KMS.0308; absent
    /// or empty: no name); `grantee_principal_type` `user` (default) or
    /// `domain` (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateGrantRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let grantee_principal = Principal::parse("grantee_principal", &b.grantee_principal)?;
        if b.operations.is_empty() {
            return Err(ValidationError::new("operations", Rule::Empty));
        }
        let mut operations = b
            .operations
            .iter()
            .map(|s| GrantOperation::parse(s))
            .collect::<Result<Vec<_>>>()?;
        operations.sort_unstable();
        operations.dedup();
        if operations == [GrantOperation::CreateGrant] {
            return Err(ValidationError::new(
                "operations",
                Rule::Specific {
                    code: ErrorCode::KmsGrantOnlyCreateGrant,
                    why: "a grant needs an operation in addition to create-grant",
                },
            ));
        }
        let name = match opt_str(&b.name).filter(|s| !s.is_empty()) {
            None => String::new(),
            Some(s) => {
                if s.len() > 255 {
                    return Err(ValidationError::new("name", Rule::TooLong { max: 255 }));
                }
                if let Some(at) = s
                    .bytes()
                    .position(|c| !(c.is_ascii_alphanumeric() || b":/_-".contains(&c)))
                {
                    return Err(ValidationError::new(
                        "name",
                        Rule::InvalidCharacter {
                            at,
                            pattern: GRANT_NAME_PATTERN,
                        },
                    ));
                }
                s.to_owned()
            }
        };
        let retiring_principal = opt_str(&b.retiring_principal)
            .filter(|s| !s.is_empty())
            .map(|s| Principal::parse("retiring_principal", s))
            .transpose()?;
        let grantee_type = opt_str(&b.grantee_principal_type)
            .filter(|s| !s.is_empty())
            .map(GranteeType::parse)
            .transpose()?
            .unwrap_or(GranteeType::User);
        Ok(Self {
            key_id,
            grantee_principal,
            grantee_type,
            operations,
            name,
            retiring_principal,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateGrantRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated list-grants request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListGrantsRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Page size, 1..=100.
    pub limit: u64,
    /// Offset of the page.
    pub marker: u64,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ListGrantsRequest {
    /// `key_id` a key id; `limit` a positive decimal (default and most
    /// 100, KMS.1601); `marker` a decimal offset (KMS.1602).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ListGrantsRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let (limit, marker) = grant_page(&b.limit, &b.marker)?;
        Ok(Self {
            key_id,
            limit,
            marker,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`ListGrantsRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated list-retirable-grants request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListRetirableGrantsRequest {
    /// Page size, 1..=100.
    pub limit: u64,
    /// Offset of the page.
    pub marker: u64,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl ListRetirableGrantsRequest {
    /// As [`ListGrantsRequest`] without a key.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &ListRetirableGrantsRequestBody) -> Result<Self> {
        let (limit, marker) = grant_page(&b.limit, &b.marker)?;
        Ok(Self {
            limit,
            marker,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body; an empty body is `{}`.
    ///
    /// # Errors
    /// As [`decode_optional_body`] and
    /// [`ListRetirableGrantsRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_optional_body(bytes)?)
    }
}

/// A validated revoke-grant or retire-grant request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevokeGrantRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// The grant.
    pub grant_id: GrantId,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl RevokeGrantRequest {
    /// `key_id` a key id (KMS.0205); `grant_id` 64 hexadecimal digits
    /// (KMS.2501).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &RevokeGrantRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
            grant_id: GrantId::parse(&b.grant_id)?,
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`RevokeGrantRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const KEY: &str = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

    fn create(ops: &[&str]) -> CreateGrantRequestBody {
        CreateGrantRequestBody {
            key_id: KEY.into(),
            grantee_principal: "0d0466b00d0466b00d0466b00d0466b0".into(),
            operations: ops.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_grant_operation_parses_from_its_name() {
        for &g in GrantOperation::ALL {
            assert_eq!(GrantOperation::parse(g.as_str()).unwrap(), g);
        }
    }

    #[test]
    fn operations_are_folded_and_create_grant_alone_is_kms_2401() {
        let r = CreateGrantRequest::from_body(&create(&[
            "encrypt-data",
            "describe-key",
            "encrypt-data",
        ]))
        .unwrap();
        assert_eq!(
            r.operations,
            [GrantOperation::DescribeKey, GrantOperation::EncryptData]
        );
        assert_eq!(r.grantee_type, GranteeType::User);
        assert_eq!(r.name, "");
        let e =
            CreateGrantRequest::from_body(&create(&["create-grant", "create-grant"])).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.2401");
        let e = CreateGrantRequest::from_body(&create(&[])).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.0308");
        let e = CreateGrantRequest::from_body(&create(&["sign"])).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.0308");
    }

    #[test]
    fn principals_names_and_types_are_checked_with_their_codes() {
        let mut b = create(&["encrypt-data"]);
        b.grantee_principal = "user-1".into();
        let e = CreateGrantRequest::from_body(&b).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.2402");
        let mut b = create(&["encrypt-data"]);
        b.retiring_principal = Some("x".repeat(65));
        let e = CreateGrantRequest::from_body(&b).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.2402");
        let mut b = create(&["encrypt-data"]);
        b.name = Some("a b".into());
        let e = CreateGrantRequest::from_body(&b).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.0308");
        let mut b = create(&["encrypt-data"]);
        b.grantee_principal_type = Some("group".into());
        let e = CreateGrantRequest::from_body(&b).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.0308");
        let mut b = create(&["encrypt-data"]);
        b.name = Some("tf/grant:1_a-b".into());
        b.grantee_principal_type = Some("domain".into());
        let r = CreateGrantRequest::from_body(&b).unwrap();
        assert_eq!(
            (r.name.as_str(), r.grantee_type),
            ("tf/grant:1_a-b", GranteeType::Domain)
        );
    }

    #[test]
    fn grant_ids_are_64_hex_digits_folded_to_lower_case() {
        let id = "7C9A3286AF4FCCA5F0A385AD13E1D21A50E27B6DBCAB50F37F30F93B8939827D";
        let r = RevokeGrantRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","grant_id":"{id}"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(r.grant_id.as_str(), id.to_ascii_lowercase());
        for bad in [&id[1..], "g".repeat(64).as_str()] {
            let e = RevokeGrantRequest::from_json(
                format!(r#"{{"key_id":"{KEY}","grant_id":"{bad}"}}"#).as_bytes(),
            )
            .unwrap_err();
            assert_eq!(e.to_kms().code().as_str(), "KMS.2501");
        }
    }

    #[test]
    fn paging_accepts_integers_and_caps_the_limit() {
        let r = ListGrantsRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","limit":100,"marker":"3"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!((r.limit, r.marker), (100, 3));
        let r = ListGrantsRequest::from_json(
            format!(r#"{{"key_id":"{KEY}","limit":"5000"}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!((r.limit, r.marker), (MAX_LIST_GRANTS_LIMIT, 0));
        let e =
            ListGrantsRequest::from_json(format!(r#"{{"key_id":"{KEY}","limit":"0"}}"#).as_bytes())
                .unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.1601");
        let e = ListRetirableGrantsRequest::from_json(br#"{"marker":"-1"}"#).unwrap_err();
        assert_eq!(e.to_kms().code().as_str(), "KMS.1602");
        let r = ListRetirableGrantsRequest::from_json(b"").unwrap();
        assert_eq!((r.limit, r.marker), (MAX_LIST_GRANTS_LIMIT, 0));
    }
}
