//! Key rotation: policy, interval, status, rotate-on-demand.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
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

// ---------------------------------------------------------------- validated requests
/// A validated update-key-rotation-interval request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateKeyRotationIntervalRequest {
    /// The CMK.
    pub key_id: KeyId,
    /// Days, 30..=365.
    pub rotation_interval: u32,
    /// Request serial number.
    pub sequence: Option<Sequence>,
}

impl UpdateKeyRotationIntervalRequest {
    /// Smallest interval, in days.
    pub const MIN_DAYS: u32 = 30;
    /// Largest interval, in days.
    pub const MAX_DAYS: u32 = 365;

    /// `rotation_interval` 30..=365 (KMS.0308).
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &UpdateKeyRotationIntervalRequestBody) -> Result<Self> {
        let key_id = KeyId::parse(&b.key_id)?;
        let days = decimal(
            "rotation_interval",
            b.rotation_interval.as_str(),
            u64::from(Self::MIN_DAYS),
            u64::from(Self::MAX_DAYS),
        )?;
        Ok(Self {
            key_id,
            rotation_interval: u32::try_from(days).unwrap_or(Self::MAX_DAYS),
            sequence: opt_sequence(&b.sequence)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`UpdateKeyRotationIntervalRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}

/// A validated rotate-on-demand request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotateOnDemandRequest {
    /// The CMK.
    pub key_id: KeyId,
}

impl RotateOnDemandRequest {
    /// `key_id` must be a key id.
    ///
    /// # Errors
    /// KMS.0205.
    pub fn from_body(b: &RotateOnDemandRequestBody) -> Result<Self> {
        Ok(Self {
            key_id: KeyId::parse(&b.key_id)?,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`RotateOnDemandRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
