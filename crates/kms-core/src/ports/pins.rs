//! The PIN verifier store.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Verifiers of plaintext PINs (never the PINs).
pub trait PinVerifierStore: Send + Sync + fmt::Debug {
    /// Records a verifier for the domain and keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()>;

    /// Whether this verifier was recorded for the domain and keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool>;
}
