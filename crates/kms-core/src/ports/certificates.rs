//! The certificate store.

#[allow(clippy::wildcard_imports)]
use super::*;

use cert_parse::KeyFamily;
use kms_model::CertificateScope;

/// An APIG SSL certificate as the service keeps and reports it: who owns
/// it, its scope, what was read from its leaf, and when it was made and
/// last replaced. The wire layer renders it as the API's certificate
/// record (times as RFC 3339, the scope as `type` and `instance_id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApigCertificate {
    /// Id: 32 characters of `[0-9a-z]`.
    pub id: String,
    /// Name, unique within the project and scope.
    pub name: String,
    /// Owner project.
    pub project_id: String,
    /// Every gateway of the project, or one.
    pub scope: CertificateScope,
    /// Subject CN (`""` if none).
    pub common_name: String,
    /// SAN DNS names, then IP addresses, in certificate order.
    pub san: Vec<String>,
    /// X.509 version, 1..=3.
    pub version: u8,
    /// Subject O values.
    pub organization: Vec<String>,
    /// Subject OU values.
    pub organizational_unit: Vec<String>,
    /// Subject L values.
    pub locality: Vec<String>,
    /// Subject ST values.
    pub state: Vec<String>,
    /// Subject C values.
    pub country: Vec<String>,
    /// Start of validity (whole seconds).
    pub not_before: Timestamp,
    /// End of validity (whole seconds).
    pub not_after: Timestamp,
    /// Serial number in decimal (`-` when negative).
    pub serial_number: String,
    /// Issuer O values.
    pub issuer: Vec<String>,
    /// Go's name of the signature algorithm, `0` when Go does not know it.
    pub signature_algorithm: String,
    /// The public key's family; `None` for a family APIG does not name.
    pub algorithm_type: Option<KeyFamily>,
    /// Whether a trusted root CA was bound.
    pub has_trusted_root_ca: bool,
    /// First created (whole seconds; kept by updates).
    pub create_time: Timestamp,
    /// Last created or replaced (whole seconds).
    pub update_time: Timestamp,
}

/// A stored APIG certificate: its record plus the PEM material it was
/// built from. The private key is never here in clear:
/// only sealed under the root-key provider
/// ([`RootKeyProvider::seal_private_key`]), bound to the project and the
/// certificate id, so a store (its files, its backups) holds no usable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCertificate {
    /// The record (id, name, project, scope, leaf fields, times).
    pub record: ApigCertificate,
    /// `cert_content` as uploaded.
    pub cert_pem: String,
    /// `private_key`, sealed (a kms-crypto v1 blob, algorithm `0x04`).
    pub sealed_private_key: Ciphertext,
    /// `trusted_root_ca` as uploaded.
    pub trusted_root_ca: Option<String>,
}

/// Filters of list certificates (all optional, exact match; `name` and
/// `common_name` match by substring as the console does).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateFilter {
    /// Substring of the name.
    pub name: Option<String>,
    /// Substring of the common name.
    pub common_name: Option<String>,
    /// Exact signature algorithm.
    pub signature_algorithm: Option<String>,
    /// `global` or `instance`.
    pub r#type: Option<String>,
    /// Exact instance id.
    pub instance_id: Option<String>,
    /// Exact algorithm type.
    pub algorithm_type: Option<String>,
}

/// Outcome of a certificate write that must keep the name unique.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateWriteError {
    /// `(project_id, type, instance_id, name)` is taken.
    #[error("name taken")]
    NameTaken,
    /// No such certificate in the project (update only).
    #[error("not found")]
    NotFound,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// APIG certificate storage.
pub trait CertificateStore: Send + Sync + fmt::Debug {
    /// Inserts **only if** the name is free within the project and scope,
    /// atomically.
    ///
    /// # Errors
    /// [`CertificateWriteError::NameTaken`] or a backend failure.
    fn insert_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError>;

    /// The project's certificate with this id.
    ///
    /// # Errors
    /// Backend failure.
    fn get_certificate(&self, project_id: &str, id: &str) -> PortResult<Option<StoredCertificate>>;

    /// A page of the project's certificates matching `filter`, oldest
    /// first, and the number matching in all.
    ///
    /// # Errors
    /// Backend failure.
    fn list_certificates(
        &self,
        project_id: &str,
        filter: &CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<StoredCertificate>)>;

    /// Replaces the certificate with the same id **only if** it exists in
    /// the project and the (possibly new) name is free, atomically.
    ///
    /// # Errors
    /// Not found, name taken, or a backend failure.
    fn update_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError>;

    /// Deletes; `false` when there is no such certificate in the project.
    ///
    /// # Errors
    /// Backend failure.
    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool>;
}
