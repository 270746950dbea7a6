//! gen-random: random bytes from the entropy port.

use kms_model::{GenRandomRequest, Operation};
use zeroize::Zeroizing;

use super::{Kms, Res, Resource, kms_internal, sequence_text};
use crate::ports::{Caller, PortError};

impl Kms {
    /// gen-random: `random_data_length` bits (8..=8192, a multiple of 8;
    /// the validated request holds the byte count) from the entropy port.
    ///
    /// # Errors
    /// An entropy failure (KMS.0101).
    pub fn gen_random(&self, caller: &Caller, req: &GenRandomRequest) -> Res<Zeroizing<Vec<u8>>> {
        self.audited(
            caller,
            Operation::GenRandom,
            Resource::None,
            sequence_text(req.sequence.as_ref()),
            || {
                let mut buf = Zeroizing::new(vec![0u8; req.bytes]);
                self.ports
                    .entropy
                    .fill(&mut buf)
                    .map_err(|e| kms_internal(PortError::from(e)))?;
                Ok(buf)
            },
        )
    }
}
