//! Entropy: every random byte comes from the caller's CSPRNG.

use rand_core::TryCryptoRng;

use crate::error::{Error, Result};

/// Fills `dst` from the caller's CSPRNG in one call.
#[inline]
pub(crate) fn fill<R: TryCryptoRng + ?Sized>(rng: &mut R, dst: &mut [u8]) -> Result<()> {
    rng.try_fill_bytes(dst).map_err(|_| Error::Entropy)
}
