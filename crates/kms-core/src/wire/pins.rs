//! The wire face of the pins operations.

use crate::ports::Caller;
use kms_model::{ApiError, CreatePinRequestBody, CreatePinResponseBody};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-pin`.
    ///
    /// # Errors
    /// As [`crate::Kms::create_pin`], rendered for the wire.
    pub fn create_pin(
        &self,
        caller: &Caller,
        body: &CreatePinRequestBody,
    ) -> Result<CreatePinResponseBody, ApiError> {
        self.kms.create_pin(caller, body).map_err(ApiError::from)
    }
}
