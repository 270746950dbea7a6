//! The root-key provider: the only port that holds root keys.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Why a root-key operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RootKeyError {
    /// Unwrap or verification failed (opaque, as kms-crypto reports it).
    #[error("rejected")]
    Rejected,
    /// The HSM answered with something invalid (502).
    #[error("HSM returned an invalid response")]
    BadGateway,
    /// The HSM did not answer in time (504).
    #[error("HSM timed out")]
    Timeout,
    /// The HSM cannot be reached: its module does not load, its token is
    /// absent, login is refused, a session broke (502). The provider
    /// retries on the next call; the source says which.
    #[error("HSM unavailable: {0}")]
    Unavailable(PortError),
    /// The keystore cannot do this (a key pair in an HSM-backed keystore).
    #[error("not supported by this keystore: {0}")]
    Unsupported(&'static str),
    /// Any other failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// The keystores' root keys: wraps and unwraps CMK material, seals and
/// verifies PINs, seals and opens certificate private keys and key pairs,
/// and carries a keystore's PIN keys over a root-key rotation. Root keys
/// never leave the provider (the software provider in [`crate::software`],
/// or kms-hsm-pkcs11's tokens for dedicated keystores of HSM clusters). Keystore ids are `"0"` (the
/// default keystore), `"1"`, `"2"` (the shared clusters) or a dedicated id.
pub trait RootKeyProvider: Send + Sync + fmt::Debug {
    /// Wraps a CMK under the keystore's root key (AES-256-KWP).
    ///
    /// # Errors
    /// Provider failure.
    fn wrap_master_key(
        &self,
        keystore_id: &str,
        key: &MasterKey,
    ) -> Result<WrappedMasterKey, RootKeyError>;

    /// Unwraps a CMK version.
    ///
    /// # Errors
    /// [`RootKeyError::Rejected`] when the material does not unwrap.
    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError>;

    /// Seals a PIN under the root key of the scope's keystore, bound to the
    /// keystore and the caller's domain.
    ///
    /// # Errors
    /// Provider or entropy failure.
    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError>;

    /// Verifies a sealed PIN (its bytes) against its keystore and domain.
    ///
    /// # Errors
    /// [`RootKeyError::Rejected`] when it does not verify; any other variant
    /// is a provider failure, never a wrong PIN.
    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError>;

    /// Seals a certificate's private key (PEM text) for storage, under the
    /// default keystore's root key, bound to the project and certificate id.
    ///
    /// # Errors
    /// Provider or entropy failure; a key over
    /// [`kms_crypto::MAX_PRIVATE_KEY_BYTES`] is [`RootKeyError::Rejected`].
    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError>;

    /// Opens a sealed private key.
    ///
    /// # Errors
    /// [`RootKeyError::Rejected`] when it does not open in this scope.
    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError>;

    /// Seals a key pair's private key under the keystore's root key, bound
    /// to the key id and spec (blob `0x06`).
    ///
    /// # Errors
    /// [`RootKeyError::Unsupported`] by default: a provider that keeps no
    /// key pairs (an HSM-backed keystore) refuses them.
    fn seal_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        entropy: &dyn Entropy,
        key: &SigningKey,
    ) -> Result<Ciphertext, RootKeyError> {
        let _ = (keystore_id, key_id, entropy, key);
        Err(RootKeyError::Unsupported("key pairs"))
    }

    /// Opens a key pair sealed by [`RootKeyProvider::seal_key_pair`].
    ///
    /// # Errors
    /// [`RootKeyError::Rejected`] when it does not open for this key and
    /// spec; [`RootKeyError::Unsupported`] by default.
    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: SigningKeySpec,
        sealed: &[u8],
    ) -> Result<SigningKey, RootKeyError> {
        let _ = (keystore_id, key_id, spec, sealed);
        Err(RootKeyError::Unsupported("key pairs"))
    }

    /// The keyed verifier of a plaintext PIN (what is stored instead of it).
    ///
    /// # Errors
    /// Provider failure.
    fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError>;

    /// The keys the keystore's PINs (sealed PINs callers hold, stored
    /// verifiers of plaintext PINs) depend on, to carry them over to a new
    /// root key during a root-key rotation ([`RootKeyProvider::wrap_pin_keys`]).
    ///
    /// # Errors
    /// [`RootKeyError::Unsupported`] by default: a provider whose root keys
    /// are not rotated this way (an HSM) refuses.
    fn pin_keys(&self, keystore_id: &str) -> Result<PinKeys, RootKeyError> {
        let _ = keystore_id;
        Err(RootKeyError::Unsupported("root-key rotation"))
    }

    /// Wraps a keystore's PIN keys under this provider's root key of that
    /// keystore, for a [`RootRotationStore`] to keep; the provider built
    /// over the new root key is then given them back (for the software
    /// provider, [`crate::software::SoftwareRootKeys::with_carried_pin_keys`]).
    ///
    /// # Errors
    /// [`RootKeyError::Unsupported`] by default.
    fn wrap_pin_keys(&self, keystore_id: &str, keys: &PinKeys) -> Result<Vec<u8>, RootKeyError> {
        let _ = (keystore_id, keys);
        Err(RootKeyError::Unsupported("root-key rotation"))
    }

    /// A dedicated keystore is being created (not yet stored): create or
    /// bind its root key where its cluster keeps it (an HSM token). The
    /// core stores the keystore only if this succeeds. The default (a
    /// provider that derives root keys) does nothing.
    ///
    /// # Errors
    /// Provider failure (e.g. [`RootKeyError::Unavailable`]).
    fn provision_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        let _ = keystore;
        Ok(())
    }

    /// The core read this dedicated keystore's record and may now use its
    /// root key: tells a provider that routes by cluster where the root key
    /// lives. Called on every read of the record from storage (cheap and
    /// idempotent). The default does nothing.
    ///
    /// # Errors
    /// Provider failure.
    fn attach_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        let _ = keystore;
        Ok(())
    }

    /// The dedicated keystore was deleted (it held no key): destroy its
    /// root key where it is kept. Also called, best effort, when a
    /// provisioned keystore could not be stored. The default does nothing.
    ///
    /// # Errors
    /// Provider failure.
    fn release_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        let _ = keystore;
        Ok(())
    }
}
