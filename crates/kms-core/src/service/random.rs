//! gen-random: random bytes from the entropy port.

use kms_model::Operation;
use kms_model::{CreateRandomResponseBody, GenRandomRequest, GenRandomRequestBody};
use zeroize::Zeroizing;

use super::{Kms, Res, Resource, kms_internal};
use crate::ports::{Caller, PortError};

impl Kms {
    /// `POST /v1.0/{project_id}/kms/gen-random`: `random_data_length` bits
    /// (8..=8192, a multiple of 8) from the entropy port, upper-case hex.
    ///
    /// # Errors
    /// Bad `random_data_length` (KMS.0308), bad `sequence` (KMS.0206), an
    /// entropy failure (KMS.0101).
    pub fn gen_random(
        &self,
        caller: &Caller,
        body: &GenRandomRequestBody,
    ) -> Res<CreateRandomResponseBody> {
        self.audited(
            caller,
            Operation::GenRandom,
            Resource::None,
            body.sequence.as_deref(),
            || {
                let req = GenRandomRequest::from_body(body).map_err(|e| e.to_kms())?;
                let mut buf = Zeroizing::new(vec![0u8; req.bytes]);
                self.ports
                    .entropy
                    .fill(&mut buf)
                    .map_err(|e| kms_internal(PortError::from(e)))?;
                Ok(CreateRandomResponseBody {
                    random_data: base16ct::upper::encode_string(&buf),
                })
            },
        )
    }
}
