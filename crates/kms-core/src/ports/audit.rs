//! The audit sink.

#[allow(clippy::wildcard_imports)]
use super::*;

/// One audited action, borrowed from the request (a sink that keeps it
/// copies what it needs, see [`AuditRecord`]). Never holds a secret: no key,
/// PIN, DEK or private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditEvent<'a> {
    /// When.
    pub time: Timestamp,
    /// Who: the domain.
    pub domain_id: &'a str,
    /// Who: the project.
    pub project_id: &'a str,
    /// What, e.g. `create-datakey-without-plaintext`.
    pub action: &'static str,
    /// Which resource (key id, keystore id, certificate id), if any.
    pub resource: Option<&'a str>,
    /// The request's `sequence`, when given.
    pub sequence: Option<&'a str>,
    /// `None` on success, else the wire error code (for a seed entry that
    /// conflicts with what exists, `conflict`).
    pub error_code: Option<&'static str>,
}

/// An owned copy of an [`AuditEvent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// When.
    pub time: Timestamp,
    /// Who: the domain.
    pub domain_id: String,
    /// Who: the project.
    pub project_id: String,
    /// What.
    pub action: &'static str,
    /// Which resource, if any.
    pub resource: Option<String>,
    /// The request's `sequence`, when given.
    pub sequence: Option<String>,
    /// `None` on success, else the wire error code.
    pub error_code: Option<&'static str>,
}

impl From<&AuditEvent<'_>> for AuditRecord {
    fn from(e: &AuditEvent<'_>) -> Self {
        Self {
            time: e.time,
            domain_id: e.domain_id.to_owned(),
            project_id: e.project_id.to_owned(),
            action: e.action,
            resource: e.resource.map(str::to_owned),
            sequence: e.sequence.map(str::to_owned),
            error_code: e.error_code,
        }
    }
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + fmt::Debug {
    /// Records an event. Must not fail the operation: a sink that cannot
    /// write is expected to report that through its own channel.
    fn record(&self, event: &AuditEvent<'_>);
}
