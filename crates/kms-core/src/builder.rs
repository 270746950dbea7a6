//! Assembling [`Ports`]: [`Ports::builder`] over one store value, with
//! defaults for the ports that have a sensible one.

use std::sync::Arc;

use crate::ports::{
    AuditSink, CertificateStore, Clock, ClusterDirectory, Entropy, EntropyError, IdGenerator,
    KeyAliasStore, KeyGrantStore, KeyTagStore, KeystoreStore, MasterKeyStore, PinVerifierStore,
    Ports, RootKeyProvider, Store,
};
use crate::software::{RandomIds, StaticClusters};

impl Ports {
    /// A builder over one `store` (every store port), the root-key
    /// provider and the audit sink: the three ports with no safe default.
    pub fn builder<S: Store + 'static>(
        store: Arc<S>,
        root_keys: Arc<dyn RootKeyProvider>,
        audit: Arc<dyn AuditSink>,
    ) -> PortsBuilder {
        PortsBuilder::new(store, root_keys, audit)
    }
}

/// Why [`PortsBuilder::build`] failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortsBuildError {
    /// A port with no default was not given: the clock or the entropy
    /// source without the `os` feature.
    #[error("no {0} port given (and the `os` feature, which provides one, is off)")]
    Missing(&'static str),
    /// The operating system's random source failed its first draw.
    #[error("the OS random source failed")]
    Entropy(#[from] EntropyError),
}

/// Assembles [`Ports`]. Defaults: with the `os` feature, the system clock
/// (`kms_core::os::SystemClock`) and per-thread OS-seeded entropy
/// (`kms_core::os::OsEntropy`, probed once at build); ids drawn from the
/// entropy ([`RandomIds`]); no HSM or CDMS cluster
/// ([`StaticClusters`] empty).
///
/// ```
/// # #[cfg(all(feature = "os", feature = "test-support"))] {
/// use std::sync::Arc;
/// use kms_core::memory::{MemoryStore, VecAudit};
/// use kms_core::ports::Ports;
/// use kms_core::software::SoftwareRootKeys;
/// use kms_core::{CoreConfig, Kms};
///
/// let root = SoftwareRootKeys::new(&[7u8; 32]).unwrap();
/// let ports = Ports::builder(
///     Arc::new(MemoryStore::new()),
///     Arc::new(root),
///     Arc::new(VecAudit::default()),
/// )
/// .build()
/// .unwrap();
/// let kms = Kms::new(ports, CoreConfig::default());
/// # let _ = kms; }
/// ```
#[derive(Debug)]
#[must_use]
pub struct PortsBuilder {
    keystores: Arc<dyn KeystoreStore>,
    keys: Arc<dyn MasterKeyStore>,
    key_tags: Arc<dyn KeyTagStore>,
    key_aliases: Arc<dyn KeyAliasStore>,
    certificates: Arc<dyn CertificateStore>,
    pins: Arc<dyn PinVerifierStore>,
    grants: Arc<dyn KeyGrantStore>,
    root_keys: Arc<dyn RootKeyProvider>,
    audit: Arc<dyn AuditSink>,
    clock: Option<Arc<dyn Clock>>,
    entropy: Option<Arc<dyn Entropy>>,
    ids: Option<Arc<dyn IdGenerator>>,
    clusters: Option<Arc<dyn ClusterDirectory>>,
}

impl PortsBuilder {
    /// See [`Ports::builder`].
    pub fn new<S: Store + 'static>(
        store: Arc<S>,
        root_keys: Arc<dyn RootKeyProvider>,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        Self {
            keystores: store.clone(),
            keys: store.clone(),
            key_tags: store.clone(),
            key_aliases: store.clone(),
            certificates: store.clone(),
            grants: store.clone(),
            pins: store,
            root_keys,
            audit,
            clock: None,
            entropy: None,
            ids: None,
            clusters: None,
        }
    }

    /// The clock (default: the system clock, with the `os` feature).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The random source (default: OS-seeded per-thread ChaCha20, with the
    /// `os` feature).
    pub fn entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.entropy = Some(entropy);
        self
    }

    /// The id generator (default: random ids from the entropy).
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = Some(ids);
        self
    }

    /// The HSM / CDMS clusters keystores may name (default: none).
    pub fn clusters(mut self, clusters: Arc<dyn ClusterDirectory>) -> Self {
        self.clusters = Some(clusters);
        self
    }

    /// The ports.
    ///
    /// # Errors
    /// No clock or entropy given without the `os` feature; the OS random
    /// source failed its first draw.
    pub fn build(self) -> Result<Ports, PortsBuildError> {
        let clock = match self.clock {
            Some(c) => c,
            None => default_clock()?,
        };
        let entropy = match self.entropy {
            Some(e) => e,
            None => default_entropy()?,
        };
        let ids = self
            .ids
            .unwrap_or_else(|| Arc::new(RandomIds(Arc::clone(&entropy))));
        let clusters = self
            .clusters
            .unwrap_or_else(|| Arc::new(StaticClusters(Vec::new())));
        Ok(Ports {
            clock,
            entropy,
            ids,
            keystores: self.keystores,
            keys: self.keys,
            key_tags: self.key_tags,
            clusters,
            root_keys: self.root_keys,
            certificates: self.certificates,
            pins: self.pins,
            audit: self.audit,
            grants: self.grants,
            key_aliases: self.key_aliases,
        })
    }
}

#[cfg(feature = "os")]
fn default_clock() -> Result<Arc<dyn Clock>, PortsBuildError> {
    Ok(Arc::new(crate::os::SystemClock))
}

#[cfg(not(feature = "os"))]
fn default_clock() -> Result<Arc<dyn Clock>, PortsBuildError> {
    Err(PortsBuildError::Missing("clock"))
}

#[cfg(feature = "os")]
fn default_entropy() -> Result<Arc<dyn Entropy>, PortsBuildError> {
    Ok(Arc::new(crate::os::OsEntropy.probe()?))
}

#[cfg(not(feature = "os"))]
fn default_entropy() -> Result<Arc<dyn Entropy>, PortsBuildError> {
    Err(PortsBuildError::Missing("entropy"))
}
