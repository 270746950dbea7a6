//! The wire face of the random operations.

use crate::ports::Caller;
use kms_model::{ApiError, CreateRandomResponseBody, GenRandomRequestBody};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/gen-random`: `random_data_length` bits
    ///
    /// # Errors
    /// As [`crate::Kms::gen_random`], rendered for the wire.
    pub fn gen_random(
        &self,
        caller: &Caller,
        body: &GenRandomRequestBody,
    ) -> Result<CreateRandomResponseBody, ApiError> {
        self.kms.gen_random(caller, body).map_err(ApiError::from)
    }
}
