//! What the operation families share: the loose string of numeric body
//! fields, body decoding with the API's error codes, the size bounds and
//! the small field helpers.

#![allow(clippy::wildcard_imports, unused_imports)]

pub(crate) use std::fmt;

pub(crate) use serde::de::DeserializeOwned;
pub(crate) use serde::{Deserialize, Deserializer, Serialize};
pub(crate) use zeroize::Zeroizing;

pub(crate) use crate::domain::*;
pub(crate) use crate::error::{ApiError, ErrorCode, Result, Rule, ValidationError};
pub(crate) use crate::secret::Secret;

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
pub(crate) type JsonObject = serde_json::Map<String, serde_json::Value>;

/// `encryption_context`: a JSON object, or a JSON string holding one (the
/// old golangsdk's `EncryptionContext string`, which Terraform's
/// `huaweicloud_kms_data_key` data source passes through as written). The
/// string is parsed once: `"{\"a\":\"1\"}"` is the object `{"a":"1"}` and
/// binds the same bytes. An empty string is no context, like `null` and
/// `{}`; any other string, and any other JSON type, is a wrong type
/// (KMS.0308).
pub(crate) fn object_or_json_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<JsonObject>, D::Error> {
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

/// Largest request body accepted, in bytes (KMS.0203 / APIG.2000 above it).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Largest `cipher_text` accepted, in bytes once decoded.
pub const MAX_CIPHERTEXT_BYTES: usize = 4096;
/// Largest PIN accepted, in bytes once decoded.
pub const MAX_PIN_BYTES: usize = 1024;
/// SHA-256 digest length appended to a DEK in `encrypt-datakey`.
pub const DEK_DIGEST_BYTES: usize = 32;

/// Decodes a JSON body into a wire type, naming the field on type errors.
///
/// # Errors
/// Body too large, not JSON, not an object, a missing mandatory field, or a
/// known field of the wrong type.
pub fn decode_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ValidationError::new(
            "body",
            Rule::BodyTooLarge {
                max: MAX_BODY_BYTES,
            },
        ));
    }
    // serde's derived structs also accept a JSON array as a positional
    // struct; the contract's bodies are objects, so anything else is refused
    // before serde sees it.
    match bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        Some(b'{') => {}
        Some(_) => {
            return Err(ValidationError::new(
                "body",
                Rule::InvalidJson("the body must be a JSON object".to_owned()),
            ));
        }
        None => {
            return Err(ValidationError::new(
                "body",
                Rule::InvalidJson("the body is empty".to_owned()),
            ));
        }
    }
    // Fast path: a body that decodes needs no error path. Only a failure is
    // decoded again, through serde_path_to_error, to name the field.
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if inner.is_data() {
            if let Some(field) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                ValidationError {
                    field: field.to_owned().into(),
                    rule: Rule::Missing,
                }
            } else if path == "." {
                ValidationError::new("body", Rule::InvalidJson(msg))
            } else {
                ValidationError {
                    field: path.into(),
                    rule: Rule::WrongType(strip_position(&msg)),
                }
            }
        } else {
            ValidationError::new("body", Rule::InvalidJson(msg))
        }
    })?;
    de.end()
        .map_err(|e| ValidationError::new("body", Rule::InvalidJson(e.to_string())))?;
    Ok(value)
}

/// Decodes the body of an operation whose every field is optional
/// (list-keys): an empty or all-whitespace body is the empty object `{}`;
/// anything else is decoded as [`decode_body`] decodes it. Cloud
/// Custodian's Huawei provider POSTs list-keys with no body at all (its
/// `ListKeysRequest()` has no `body`, and the Python SDK then sends none).
///
/// # Errors
/// As [`decode_body`] for a body that is not empty.
pub fn decode_optional_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() <= MAX_BODY_BYTES
        && bytes
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return decode_body(b"{}");
    }
    decode_body(bytes)
}

pub(crate) fn strip_position(msg: &str) -> String {
    msg.split(" at line ").next().unwrap_or(msg).to_owned()
}

pub(crate) fn opt_str(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

pub(crate) fn opt_loose(v: &Option<LooseString>) -> Option<&str> {
    v.as_ref().map(LooseString::as_str)
}

pub(crate) fn opt_sequence(v: &Option<String>) -> Result<Option<Sequence>> {
    v.as_deref().map(Sequence::parse).transpose()
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

    /// The paging of `GET /v2/{project_id}/kms/regions` (default: every
    /// region, up to 1000; Terraform pages by 50 until a page is empty).
    ///
    /// # Errors
    /// `offset` or `limit` not digits or out of range.
    pub fn regions(offset: Option<&str>, limit: Option<&str>) -> Result<Self> {
        Self::parse(offset, limit, 1000, 1000)
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
