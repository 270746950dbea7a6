//! Random numbers (gen-random).

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
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

// ---------------------------------------------------------------- validated requests
/// A validated gen-random request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenRandomRequest {
    /// How many random bytes (1..=1024).
    pub bytes: usize,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl GenRandomRequest {
    /// `random_data_length`: bits, 8..=8192, a multiple of 8 (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &GenRandomRequestBody) -> Result<Self> {
        const F: &str = "random_data_length";
        let bits = decimal(F, b.random_data_length.as_str(), 8, 8192)?;
        if bits % 8 != 0 {
            return Err(ValidationError::new(F, Rule::NotMultipleOf(8)));
        }
        Ok(Self {
            bytes: usize::try_from(bits / 8).unwrap_or(1),
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`GenRandomRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
