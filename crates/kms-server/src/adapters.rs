//! The host's side of kms-core's ports: the real clock, OS-seeded entropy,
//! the audit log, and assembling the port bundle for SQLite or memory.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kms_core::memory::MemoryStore;
use kms_core::ports::{
    AuditEvent, AuditSink, Clock, ClusterInfo, Entropy, EntropyError, PortError, Ports, Timestamp,
};
use kms_core::software::{RandomIds, SoftwareRootKeys, StaticClusters};
use kms_store_sqlite::SqliteStore;

use crate::root::RootSecret;

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }
}

/// Writes audit events to the `kms_audit` tracing target (level INFO). The
/// event type holds no secret by construction.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingAudit;

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

/// The operating system's CSPRNG (`getrandom`), called for every draw: no
/// lock shared by the workers (a ChaCha20 behind one mutex was a global
/// lock on the DEK path) and nothing to reseed after a fork. A 76-byte draw
/// (salt, nonce, 256-bit DEK) costs well under a microsecond.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, dst: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(dst).map_err(|_| EntropyError)
    }
}

fn os_entropy() -> Result<Arc<dyn Entropy>, PortError> {
    // Fail at start, not on the first request, if the source is unusable.
    let mut probe = [0u8; 16];
    OsEntropy.fill(&mut probe).map_err(PortError::from)?;
    Ok(Arc::new(OsEntropy))
}

/// Where keys, keystores, PIN verifiers and certificates live.
#[derive(Clone, Debug)]
pub enum Storage {
    /// Durable SQLite.
    Sqlite(SqliteStore),
    /// Process memory (`--in-memory`).
    Memory,
}

/// Assembles the ports: the given storage, the software root-key provider
/// over `secret`, the OS CSPRNG, random ids, the system clock,
/// the configured clusters and the tracing audit sink.
///
/// # Errors
/// The OS random source failed.
pub fn ports(
    storage: Storage,
    secret: &RootSecret,
    clusters: Vec<ClusterInfo>,
) -> Result<Ports, PortError> {
    let entropy = os_entropy()?;
    let root_keys = Arc::new(SoftwareRootKeys::new(secret.expose())?);
    let (keystores, keys, certificates, pins): (Arc<_>, Arc<_>, Arc<_>, Arc<_>) = match storage {
        Storage::Sqlite(s) => {
            let s = Arc::new(s);
            (
                s.clone() as Arc<dyn kms_core::ports::KeystoreStore>,
                s.clone() as Arc<dyn kms_core::ports::MasterKeyStore>,
                s.clone() as Arc<dyn kms_core::ports::CertificateStore>,
                s as Arc<dyn kms_core::ports::PinVerifierStore>,
            )
        }
        Storage::Memory => {
            let s = Arc::new(MemoryStore::new());
            (
                s.clone() as Arc<dyn kms_core::ports::KeystoreStore>,
                s.clone() as Arc<dyn kms_core::ports::MasterKeyStore>,
                s.clone() as Arc<dyn kms_core::ports::CertificateStore>,
                s as Arc<dyn kms_core::ports::PinVerifierStore>,
            )
        }
    };
    Ok(Ports {
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds(Arc::clone(&entropy))),
        entropy,
        keystores,
        keys,
        clusters: Arc::new(StaticClusters(clusters)),
        root_keys,
        certificates,
        pins,
        audit: Arc::new(TracingAudit),
    })
}
