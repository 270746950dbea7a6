//! The bundle of every port, and the one-value store trait.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Everything a store keeps for the core: keystores, keys (with their
/// tags, aliases and grants), certificates and PIN verifiers. Implemented for
/// every type that implements the seven store traits; one value then fills every store
/// port of [`Ports`] (`Ports::builder`).
///
/// To bring your own store, implement the seven traits and run the
/// conformance suite (`kms-store-conformance`) against it.
pub trait Store:
    KeystoreStore
    + MasterKeyStore
    + KeyTagStore
    + CertificateStore
    + PinVerifierStore
    + KeyAliasStore
    + KeyGrantStore
{
}

impl<T> Store for T where
    T: KeystoreStore
        + MasterKeyStore
        + KeyTagStore
        + CertificateStore
        + PinVerifierStore
        + KeyAliasStore
        + KeyGrantStore
{
}

/// Every port the core uses, passed explicitly. Build it with
/// [`Ports::builder`]; new ports may be added, so it cannot be written as
/// a literal outside this crate, but each field can be replaced.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Ports {
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub entropy: Arc<dyn Entropy>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
    /// Keystores.
    pub keystores: Arc<dyn KeystoreStore>,
    /// CMKs (wrapped).
    pub keys: Arc<dyn MasterKeyStore>,
    /// Tags of CMKs.
    pub key_tags: Arc<dyn KeyTagStore>,
    /// HSM / CDMS clusters.
    pub clusters: Arc<dyn ClusterDirectory>,
    /// Root keys.
    pub root_keys: Arc<dyn RootKeyProvider>,
    /// Certificates.
    pub certificates: Arc<dyn CertificateStore>,
    /// PIN verifiers.
    pub pins: Arc<dyn PinVerifierStore>,
    /// Audit.
    pub audit: Arc<dyn AuditSink>,
    /// Aliases of CMKs (the alias API).
    pub key_aliases: Arc<dyn KeyAliasStore>,
    /// Grants of CMKs.
    pub grants: Arc<dyn KeyGrantStore>,
}
