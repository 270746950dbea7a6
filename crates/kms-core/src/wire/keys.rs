//! The wire face of the keys operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, CancelKeyDeletionResponseBody, CreateKeyRequestBody, CreateKeyResponseBody,
    KeyStateResponseBody, ListKeyDetailResponseBody, ListKeysRequestBody, ListKeysResponseBody,
    OperateKeyRequestBody, ScheduleKeyDeletionRequestBody, ScheduleKeyDeletionResponseBody,
    UpdateKeyAliasRequestBody, UpdateKeyAliasResponseBody, UpdateKeyDescriptionRequestBody,
    UpdateKeyDescriptionResponseBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-key`: an AES-256 CMK, its
    ///
    /// # Errors
    /// As [`crate::Kms::create_key`], rendered for the wire.
    pub fn create_key(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Result<CreateKeyResponseBody, ApiError> {
        self.kms.create_key(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/enable-key`: a disabled key becomes
    ///
    /// # Errors
    /// As [`crate::Kms::enable_key`], rendered for the wire.
    pub fn enable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<KeyStateResponseBody, ApiError> {
        self.kms.enable_key(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key`: an enabled key becomes
    ///
    /// # Errors
    /// As [`crate::Kms::disable_key`], rendered for the wire.
    pub fn disable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<KeyStateResponseBody, ApiError> {
        self.kms.disable_key(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`: `pending_days`
    ///
    /// # Errors
    /// As [`crate::Kms::schedule_key_deletion`], rendered for the wire.
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        body: &ScheduleKeyDeletionRequestBody,
    ) -> Result<ScheduleKeyDeletionResponseBody, ApiError> {
        self.kms
            .schedule_key_deletion(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/describe-key`: the key in any state
    ///
    /// # Errors
    /// As [`crate::Kms::describe_key`], rendered for the wire.
    pub fn describe_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ListKeyDetailResponseBody, ApiError> {
        self.kms.describe_key(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/list-keys`: the project's keys, oldest
    ///
    /// # Errors
    /// As [`crate::Kms::list_keys`], rendered for the wire.
    pub fn list_keys(
        &self,
        caller: &Caller,
        body: &ListKeysRequestBody,
    ) -> Result<ListKeysResponseBody, ApiError> {
        self.kms.list_keys(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-alias`.
    ///
    /// # Errors
    /// As [`crate::Kms::update_key_alias`], rendered for the wire.
    pub fn update_key_alias(
        &self,
        caller: &Caller,
        body: &UpdateKeyAliasRequestBody,
    ) -> Result<UpdateKeyAliasResponseBody, ApiError> {
        self.kms
            .update_key_alias(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-description`.
    ///
    /// # Errors
    /// As [`crate::Kms::update_key_description`], rendered for the wire.
    pub fn update_key_description(
        &self,
        caller: &Caller,
        body: &UpdateKeyDescriptionRequestBody,
    ) -> Result<UpdateKeyDescriptionResponseBody, ApiError> {
        self.kms
            .update_key_description(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/cancel-key-deletion`: a key pending
    ///
    /// # Errors
    /// As [`crate::Kms::cancel_key_deletion`], rendered for the wire.
    pub fn cancel_key_deletion(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<CancelKeyDeletionResponseBody, ApiError> {
        self.kms
            .cancel_key_deletion(caller, body)
            .map_err(ApiError::from)
    }
}
