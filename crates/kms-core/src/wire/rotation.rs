//! The wire face of the rotation operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, OperateKeyRequestBody, RotateOnDemandRequestBody, RotateOnDemandResponseBody,
    ShowKeyRotationStatusResponseBody, UpdateKeyRotationIntervalRequestBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/enable-key-rotation` (empty response).
    ///
    /// # Errors
    /// As [`crate::Kms::enable_key_rotation`], rendered for the wire.
    pub fn enable_key_rotation(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<(), ApiError> {
        self.kms
            .enable_key_rotation(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key-rotation` (empty response).
    ///
    /// # Errors
    /// As [`crate::Kms::disable_key_rotation`], rendered for the wire.
    pub fn disable_key_rotation(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<(), ApiError> {
        self.kms
            .disable_key_rotation(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-rotation-interval` (empty
    ///
    /// # Errors
    /// As [`crate::Kms::update_key_rotation_interval`], rendered for the wire.
    pub fn update_key_rotation_interval(
        &self,
        caller: &Caller,
        body: &UpdateKeyRotationIntervalRequestBody,
    ) -> Result<(), ApiError> {
        self.kms
            .update_key_rotation_interval(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/get-key-rotation-status`.
    ///
    /// # Errors
    /// As [`crate::Kms::get_key_rotation_status`], rendered for the wire.
    pub fn get_key_rotation_status(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ShowKeyRotationStatusResponseBody, ApiError> {
        self.kms
            .get_key_rotation_status(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/rotate-on-demand`: a new master-key
    ///
    /// # Errors
    /// As [`crate::Kms::rotate_on_demand`], rendered for the wire.
    pub fn rotate_on_demand(
        &self,
        caller: &Caller,
        body: &RotateOnDemandRequestBody,
    ) -> Result<RotateOnDemandResponseBody, ApiError> {
        self.kms
            .rotate_on_demand(caller, body)
            .map_err(ApiError::from)
    }
}
