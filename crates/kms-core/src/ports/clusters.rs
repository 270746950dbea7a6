//! The HSM / CDMS cluster directory.

#[allow(clippy::wildcard_imports)]
use super::*;

/// An HSM or CDMS cluster the host knows about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Id.
    pub cluster_id: String,
    /// Owning domain.
    pub domain_id: String,
    /// `Dhsm` or `Cdms`.
    pub cluster_type: KeystoreType,
    /// SHA-256 of the cluster's CA certificate (DER), when it has one.
    pub ca_fingerprint: Option<[u8; 32]>,
}

/// Which clusters exist and who owns them.
pub trait ClusterDirectory: Send + Sync + fmt::Debug {
    /// The cluster with this id, whoever owns it.
    ///
    /// # Errors
    /// Backend failure.
    fn get_cluster(&self, cluster_id: &str) -> PortResult<Option<ClusterInfo>>;
}
