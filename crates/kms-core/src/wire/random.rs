//! The wire face of gen-random: upper-case hex.

use kms_model::{
    ApiError, CreateRandomResponseBody, GenRandomRequest, GenRandomRequestBody, Operation,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/gen-random`.
    ///
    /// # Errors
    /// Bad `random_data_length` (KMS.0308), bad `sequence` (KMS.0206), or
    /// as [`crate::Kms::gen_random`].
    pub fn gen_random(
        &self,
        caller: &Caller,
        body: &GenRandomRequestBody,
    ) -> Result<CreateRandomResponseBody, ApiError> {
        let req = self.request::<GenRandomRequest>(
            caller,
            Operation::GenRandom,
            None,
            body.sequence.as_deref(),
            body,
        )?;
        let random = self.kms.gen_random(caller, &req)?;
        Ok(CreateRandomResponseBody {
            random_data: base16ct::upper::encode_string(&random),
        })
    }
}
