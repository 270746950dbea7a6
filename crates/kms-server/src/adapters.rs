//! The host's side of kms-core's ports: the real clock, OS-seeded entropy,
//! the audit log, and assembling the port bundle for SQLite, PostgreSQL or
//! memory.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use kms_core::memory::MemoryStore;
use kms_core::ports::{
    AuditEvent, AuditSink, Clock, ClusterInfo, Entropy, EntropyError, PortError, Ports, Timestamp,
};
use kms_core::software::{RandomIds, SoftwareRootKeys, StaticClusters};
use kms_store_postgres::PostgresStore;
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

/// A ChaCha20 CSPRNG per thread, each seeded from the operating system
/// (`getrandom`) on first use and reseeded from it after every 1 MiB it
/// hands out: no lock shared by the workers (one ChaCha20 behind a mutex
/// was a global lock on the DEK path) and no system call per draw. The
/// generator state lives in the thread and is dropped with it.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsEntropy;

/// Bytes a thread's generator hands out before it is reseeded.
const RESEED_AFTER: usize = 1 << 20;

struct ThreadRng {
    rng: rand_chacha::ChaCha20Rng,
    served: usize,
}

thread_local! {
    static THREAD_RNG: std::cell::RefCell<Option<ThreadRng>> =
        const { std::cell::RefCell::new(None) };
}

fn os_seeded() -> Result<rand_chacha::ChaCha20Rng, EntropyError> {
    use rand_chacha::rand_core::SeedableRng;
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|_| EntropyError)?;
    Ok(rand_chacha::ChaCha20Rng::from_seed(*seed))
}

impl Entropy for OsEntropy {
    fn fill(&self, dst: &mut [u8]) -> Result<(), EntropyError> {
        use rand_chacha::rand_core::Rng;
        THREAD_RNG.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot
                .as_ref()
                .is_none_or(|t| t.served.saturating_add(dst.len()) > RESEED_AFTER);
            if stale {
                *slot = Some(ThreadRng {
                    rng: os_seeded()?,
                    served: 0,
                });
            }
            let t = slot.as_mut().ok_or(EntropyError)?;
            t.rng.fill_bytes(dst);
            t.served += dst.len();
            Ok(())
        })
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
    /// PostgreSQL (`--database postgres://...`), shared by replicas.
    Postgres(PostgresStore),
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
    ports_with(
        storage,
        Arc::new(SoftwareRootKeys::new(secret.expose())?),
        clusters,
    )
}

/// [`ports`] with a root-key provider built by the caller (the software
/// one with the PIN keys a root-key rotation carried, or both root keys
/// while a rotation is under way).
///
/// # Errors
/// The OS random source failed.
pub fn ports_with(
    storage: Storage,
    root_keys: Arc<dyn kms_core::ports::RootKeyProvider>,
    clusters: Vec<ClusterInfo>,
) -> Result<Ports, PortError> {
    let entropy = os_entropy()?;
    let (keystores, keys, key_tags, certificates, pins): (Arc<_>, Arc<_>, Arc<_>, Arc<_>, Arc<_>) =
        match storage {
            Storage::Sqlite(s) => {
                let s = Arc::new(s);
                (
                    s.clone() as Arc<dyn kms_core::ports::KeystoreStore>,
                    s.clone() as Arc<dyn kms_core::ports::MasterKeyStore>,
                    s.clone() as Arc<dyn kms_core::ports::KeyTagStore>,
                    s.clone() as Arc<dyn kms_core::ports::CertificateStore>,
                    s as Arc<dyn kms_core::ports::PinVerifierStore>,
                )
            }
            Storage::Postgres(s) => {
                let s = Arc::new(s);
                (
                    s.clone() as Arc<dyn kms_core::ports::KeystoreStore>,
                    s.clone() as Arc<dyn kms_core::ports::MasterKeyStore>,
                    s.clone() as Arc<dyn kms_core::ports::KeyTagStore>,
                    s.clone() as Arc<dyn kms_core::ports::CertificateStore>,
                    s as Arc<dyn kms_core::ports::PinVerifierStore>,
                )
            }
            Storage::Memory => {
                let s = Arc::new(MemoryStore::new());
                (
                    s.clone() as Arc<dyn kms_core::ports::KeystoreStore>,
                    s.clone() as Arc<dyn kms_core::ports::MasterKeyStore>,
                    s.clone() as Arc<dyn kms_core::ports::KeyTagStore>,
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
        key_tags,
        clusters: Arc::new(StaticClusters(clusters)),
        root_keys,
        certificates,
        pins,
        audit: Arc::new(TracingAudit),
    })
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
pub fn with_hsm_clusters(
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn thread_entropy_draws_fresh_bytes_and_reseeds() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        OsEntropy.fill(&mut a).unwrap();
        OsEntropy.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
        // Past the reseed threshold the thread's generator is replaced.
        let mut big = vec![0u8; RESEED_AFTER / 2 + 1];
        OsEntropy.fill(&mut big).unwrap();
        OsEntropy.fill(&mut big).unwrap();
        THREAD_RNG.with(|c| assert!(c.borrow().as_ref().unwrap().served <= RESEED_AFTER));
        // Another thread has its own generator: not the same stream.
        let other = std::thread::spawn(|| {
            let mut x = [0u8; 32];
            OsEntropy.fill(&mut x).unwrap();
            x
        })
        .join()
        .unwrap();
        let mut mine = [0u8; 32];
        OsEntropy.fill(&mut mine).unwrap();
        assert_ne!(other, mine);
    }
}
