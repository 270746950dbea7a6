//! The clock, entropy and id ports.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The entropy source could not deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entropy source failure")]
pub struct EntropyError;

/// A cryptographically secure random source. Implementations must be
/// seeded from the operating system (or be a deterministic test double).
pub trait Entropy: Send + Sync + fmt::Debug {
    /// Fills `dst` with random bytes.
    ///
    /// # Errors
    /// The source failed; the operation is aborted.
    fn fill(&self, dst: &mut [u8]) -> Result<(), EntropyError>;
}

/// Adapts the [`Entropy`] port to the `rand_core` traits kms-crypto takes.
pub struct EntropyRng<'a>(pub &'a dyn Entropy);

impl rand_core::TryRng for EntropyRng<'_> {
    type Error = EntropyError;

    fn try_next_u32(&mut self) -> Result<u32, EntropyError> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, EntropyError> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), EntropyError> {
        self.0.fill(dst)
    }
}

impl rand_core::TryCryptoRng for EntropyRng<'_> {}

/// New resource ids (keystores, keys, certificates).
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A fresh id of the form `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`.
    ///
    /// # Errors
    /// The generator failed.
    fn new_id(&self) -> PortResult<String>;
}
