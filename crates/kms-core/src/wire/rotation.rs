//! The wire face of the rotation operations: the policy changes answer an
//! empty body, the status its fields (the last rotation's time in
//! milliseconds as text, empty when never rotated).

use kms_model::{
    ApiError, OperateKeyRequest, OperateKeyRequestBody, Operation, RotateOnDemandRequest,
    RotateOnDemandRequestBody, RotateOnDemandResponseBody, ShowKeyRotationStatusResponseBody,
    UpdateKeyRotationIntervalRequest, UpdateKeyRotationIntervalRequestBody,
};

use super::Wire;
use super::keys::millis_text;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/enable-key-rotation` (empty response).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::enable_key_rotation`].
    pub fn enable_key_rotation(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::EnableKeyRotation,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(self.kms.enable_key_rotation(caller, &req)?)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key-rotation` (empty response).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::disable_key_rotation`].
    pub fn disable_key_rotation(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::DisableKeyRotation,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(self.kms.disable_key_rotation(caller, &req)?)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-rotation-interval` (empty
    /// response): `rotation_interval` 30..=365 days, a JSON integer or its
    /// text.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, `rotation_interval`), or as
    /// [`crate::Kms::update_key_rotation_interval`].
    pub fn update_key_rotation_interval(
        &self,
        caller: &Caller,
        body: &UpdateKeyRotationIntervalRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<UpdateKeyRotationIntervalRequest>(
            caller,
            Operation::UpdateKeyRotationInterval,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(self.kms.update_key_rotation_interval(caller, &req)?)
    }

    /// `POST /v1.0/{project_id}/kms/get-key-rotation-status`: whether
    /// rotation is enabled, the interval, the last rotation's time
    /// (milliseconds as text, empty: never) and the number of rotations;
    /// `key_materials` is always empty (no material is imported here).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::get_key_rotation_status`].
    pub fn get_key_rotation_status(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ShowKeyRotationStatusResponseBody, ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::GetKeyRotationStatus,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let r = self.kms.get_key_rotation_status(caller, &req)?;
        Ok(ShowKeyRotationStatusResponseBody {
            key_rotation_enabled: r.enabled,
            rotation_interval: r.interval_days,
            last_rotation_time: r.last_rotation_time.map(millis_text).unwrap_or_default(),
            number_of_rotations: r.rotations,
            key_materials: Vec::new(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/rotate-on-demand`: the key's id (the
    /// body has no `sequence`).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::rotate_on_demand`].
    pub fn rotate_on_demand(
        &self,
        caller: &Caller,
        body: &RotateOnDemandRequestBody,
    ) -> Result<RotateOnDemandResponseBody, ApiError> {
        let req = self.request::<RotateOnDemandRequest>(
            caller,
            Operation::RotateOnDemand,
            Some(&body.key_id),
            None,
            body,
        )?;
        self.kms.rotate_on_demand(caller, &req)?;
        Ok(RotateOnDemandResponseBody {
            key_id: req.key_id.as_str().to_owned(),
        })
    }
}
