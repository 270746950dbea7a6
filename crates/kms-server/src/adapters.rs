//! The host's side of kms-core's ports: the real clock, OS-seeded entropy,
//! the audit log, and assembling the port bundle for SQLite, PostgreSQL or
//! memory.

use std::sync::Arc;

use kms_core::memory::MemoryStore;
use kms_core::ports::{AuditEvent, AuditSink, ClusterInfo, PortError, Ports};
use kms_core::software::StaticClusters;
use kms_store_postgres::PostgresStore;
use kms_store_sqlite::SqliteStore;

pub(crate) use kms_core::os::OsEntropy;

/// Writes audit events to the `kms_audit` tracing target (level INFO). The
/// event type holds no secret by construction.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TracingAudit;

impl AuditSink for TracingAudit {
    fn record(&self, e: &AuditEvent<'_>) {
        tracing::info!(
            target: "kms_audit",
            action = e.action,
            domain = e.domain_id,
            project = e.project_id,
            resource = e.resource.unwrap_or(""),
            sequence = e.sequence.unwrap_or(""),
            error_code = e.error_code.unwrap_or(""),
            time_ms = e.time.0,
        );
    }
}

/// Where keys, keystores, PIN verifiers and certificates live.
#[derive(Clone, Debug)]
pub(crate) enum Storage {
    /// Durable SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL (`--database postgres://...`), shared by replicas.
    Postgres(PostgresStore),
    /// Process memory (`--in-memory`).
    Memory,
}

/// Assembles the ports: the given storage, `root_keys` (the software one,
/// with the PIN keys a root-key rotation carried, or both root keys while
/// a rotation is under way), the OS CSPRNG, random ids, the system clock,
/// the configured clusters and the tracing audit sink.
///
/// # Errors
/// The OS random source failed.
pub(crate) fn ports_with(
    storage: Storage,
    root_keys: Arc<dyn kms_core::ports::RootKeyProvider>,
    clusters: Vec<ClusterInfo>,
) -> Result<Ports, PortError> {
    let builder = match storage {
        Storage::Sqlite(s) => Ports::builder(Arc::new(s), root_keys, Arc::new(TracingAudit)),
        Storage::Postgres(s) => Ports::builder(Arc::new(s), root_keys, Arc::new(TracingAudit)),
        Storage::Memory => Ports::builder(
            Arc::new(MemoryStore::new()),
            root_keys,
            Arc::new(TracingAudit),
        ),
    };
    // The system clock and OS-seeded entropy (probed here, so an unusable
    // source fails the start, not the first request).
    builder
        .clusters(Arc::new(StaticClusters(clusters)))
        .build()
        .map_err(|e| PortError::new(kms_core::ports::PortErrorKind::Entropy, e.to_string()))
}

/// Puts the PKCS#11 tokens of `hsm` in front of the ports' root-key
/// provider: dedicated keystores on those clusters get their root keys on
/// the tokens (checked against the check value the keystore store records
/// at their first use), every other keystore stays with the provider
/// already there.
/// Each token is probed once (a warning, not a failure, when it cannot be
/// reached: the provider connects again on first use). No token: the ports
/// are returned unchanged.
///
/// # Errors
/// Two tokens for one cluster.
pub(crate) fn with_hsm_clusters(
    mut ports: Ports,
    hsm: Vec<kms_hsm_pkcs11::Pkcs11ClusterConfig>,
) -> Result<Ports, PortError> {
    if hsm.is_empty() {
        return Ok(ports);
    }
    // Each keystore's token keys are checked against the check value
    // recorded in the store at their first use: a key replaced under the
    // same label is refused instead of wrapping new keys under it.
    let provider = kms_hsm_pkcs11::HsmRootKeys::new(Arc::clone(&ports.root_keys), hsm)?
        .with_key_checks(Arc::clone(&ports.keystores));
    for id in provider.cluster_ids() {
        let Some(token) = provider.token(id) else {
            continue;
        };
        let c = token.config();
        match token.check() {
            Ok(()) => tracing::info!(
                cluster = id,
                module = %c.module.display(),
                token = %c.token_label,
                "HSM cluster on PKCS#11 token"
            ),
            Err(e) => tracing::warn!(
                cluster = id,
                module = %c.module.display(),
                token = %c.token_label,
                error = %e,
                "HSM cluster unreachable now; its keystores answer KMS.6502 until it is"
            ),
        }
    }
    ports.root_keys = Arc::new(provider);
    Ok(ports)
}
