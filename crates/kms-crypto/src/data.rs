//! Data encryption under a master key (encrypt-data / decrypt-data): the
//! v1 blob with algorithm id `0x05`, bound to the project and to a digest
//! of the request's context.

use rand_core::TryCryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::{
    Ciphertext, EncodedContext, MAX_DATA_BYTES, NONCE_LEN, SALT_LEN, is_context_id,
};
use crate::keys::MasterKey;
use crate::rng;

/// Length of the context digest.
const BINDING_LEN: usize = 32;

/// The caller context a data ciphertext is bound to: the project id and a
/// SHA-256 digest of the request's `additional_authenticated_data` and
/// canonical `encryption_context` (see `docs/ciphertext-format.md`):
///
/// `binding = SHA-256(u32 len(aad) || aad || u32 len(ctx) || ctx)` when
/// either is non-empty, else empty; lengths big-endian.
#[derive(Clone, PartialEq, Eq)]
pub struct DataContext<'a> {
    project_id: &'a str,
    binding: Option<[u8; BINDING_LEN]>,
}

impl core::fmt::Debug for DataContext<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DataContext")
            .field("project_id", &self.project_id)
            .field("bound", &self.binding.is_some())
            .finish()
    }
}

impl<'a> DataContext<'a> {
    /// Checks the project id and digests the context.
    ///
    /// # Errors
    /// [`Error::InvalidProjectId`] unless the project id is 1..=128 printable
    /// ASCII bytes; [`Error::AadTooLong`] if a part is over 4 GiB.
    pub fn new(project_id: &'a str, aad: &[u8], encryption_context: &[u8]) -> Result<Self> {
        let p = project_id.as_bytes();
        if !is_context_id(p) {
            return Err(Error::InvalidProjectId);
        }
        let binding = if aad.is_empty() && encryption_context.is_empty() {
            None
        } else {
            let mut h = Sha256::new();
            for part in [aad, encryption_context] {
                let len =
                    u32::try_from(part.len()).map_err(|_| Error::AadTooLong { len: part.len() })?;
                h.update(len.to_be_bytes());
                h.update(part);
            }
            Some(h.finalize().into())
        };
        Ok(Self {
            project_id,
            binding,
        })
    }

    fn encode(&self) -> Result<EncodedContext<'_>> {
        EncodedContext::new(
            self.project_id.as_bytes(),
            self.binding.as_ref().map_or(&[][..], |b| &b[..]),
        )
    }
}

impl MasterKey {
    /// encrypt-data: encrypts 1..=4096 bytes under this master key version.
    ///
    /// # Errors
    /// [`Error::InvalidDataLength`] outside 1..=4096 bytes;
    /// [`Error::Entropy`] if the generator fails.
    pub fn encrypt_data<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        plaintext: &[u8],
        ctx: &DataContext<'_>,
    ) -> Result<Ciphertext> {
        if plaintext.is_empty() || plaintext.len() > MAX_DATA_BYTES {
            return Err(Error::InvalidDataLength {
                len: plaintext.len(),
            });
        }
        let ctx = ctx.encode()?;
        self.data_seal.seal(plaintext.len(), &ctx, |area| {
            let (salt_nonce, pt) = area.split_at_mut(SALT_LEN + NONCE_LEN);
            rng::fill(rng, salt_nonce)?;
            pt.copy_from_slice(plaintext);
            Ok(())
        })
    }

    /// decrypt-data: opens a data blob made under this master key version
    /// and the same context.
    ///
    /// # Errors
    /// [`Error::Rejected`] for every failure, as [`MasterKey::unwrap_dek`].
    pub fn decrypt_data(&self, blob: &[u8], ctx: &DataContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
        let ctx = ctx.encode().map_err(|_| Error::Rejected)?;
        self.data_seal.open(blob, &ctx)
    }
}
