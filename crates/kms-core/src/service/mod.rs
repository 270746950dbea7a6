//! The operations: every route of the contract, as a method of [`Kms`],
//! one file per resource family (keystores, PINs, keys, DEKs,
//! certificates).
//!
//! Each method takes the caller (resolved by the host) and the wire body,
//! validates it with kms-model, applies the business rules through the
//! ports, and returns the wire response or the wire error. No I/O happens
//! here; every effect goes through a port. Failures behind the API travel
//! as the [`ApiError`]'s cause, for the host to log; they never reach the
//! wire.

use kms_crypto::DekContext;
pub use root_rotation::{
    RootRotation, RootRotationError, RootRotationReport, root_key_opens_stored_rows,
};

use kms_model::{Aad, ErrorCode, KeyId, Operation};

use crate::error::CoreError;

use crate::cache::{KeyPairCache, MasterKeyCache, RecordCache};

use crate::ports::{
    AuditEvent, Caller, CertificateFilter, GrantRecord, KeyRecord, KeystoreRecord, PortError,
    Ports, RootKeyError,
};
pub use seed::{
    ImportedKeyMaterial, SeedCertificate, SeedError, SeedKey, SeedKeyState, SeedKeystore,
    SeedOutcome,
};

mod aliases;
pub use aliases::AliasPage;
mod certificates;
pub use certificates::CertificatePage;
mod data;
pub use data::{OpenedData, ReEncrypted, SealedData};
mod datakeys;
pub use datakeys::{NewDatakey, OpenedDatakey};
mod grants;
pub use grants::GrantPage;
mod import;
pub use import::{IMPORT_TOKEN_VALIDITY_MS, IMPORTED_KEY_LEN, ImportParameters};
mod keys;
pub use keys::KeyPage;
#[cfg(test)]
pub(crate) use keys::key_state_of_code;
mod keystores;
pub use keystores::KeystorePage;
mod pairs;
pub use pairs::NewDatakeyPair;
mod pins;
pub use pins::NewPin;
mod quotas;
pub use quotas::{Quota, UserQuotas};
mod random;
mod root_rotation;
mod rotation;
pub use rotation::RotationSweep;
mod seed;
mod signing;
pub use signing::{KeyPairOp, KeyPairWork};
mod mac;
mod regions;
mod tags;
pub use mac::{API_VERSIONS, ApiVersion};
pub use regions::{ProjectRef, RegionConfig, Replica};

/// Settings of the core that are not ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreConfig {
    /// Reported as `region_id` by create-key.
    pub region_id: String,
    /// How long key and keystore records read on the DEK path are reused
    /// without reading storage, in milliseconds (0: read every time). This
    /// process's own state changes are seen at once whatever the value;
    /// changes written by another process sharing the store are seen
    /// within this bound. Default 1000.
    pub record_cache_ttl_ms: i64,
    /// Keys one project may hold (pending deletion included); create-key
    /// beyond it answers KMS.1105. Default 10000.
    pub max_keys_per_project: u64,
    /// Versions one key may reach; rotate-on-demand beyond it answers
    /// KMS.0308. Default 1000.
    pub max_versions_per_key: u32,
    /// Grants one key may carry; create-grant beyond it answers KMS.2404.
    /// Default 100.
    pub max_grants_per_key: u64,
    /// Regions served besides (or including, to name its projects)
    /// `region_id`, with their projects: where replica keys go
    /// (replicate-key), and the region of those projects' keys. Default
    /// none: one region.
    pub regions: Vec<RegionConfig>,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            region_id: "local-1".to_owned(),
            record_cache_ttl_ms: 1000,
            max_keys_per_project: 10_000,
            max_versions_per_key: 1000,
            max_grants_per_key: 100,
            regions: Vec::new(),
        }
    }
}

/// Query of list certificates, as the query string gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateQuery {
    /// Page start (default 0).
    pub offset: Option<String>,
    /// Page size (default 20, 1..=500).
    pub limit: Option<String>,
    /// Filters.
    pub filter: CertificateFilter,
}

const MAX_CACHED_MASTER_KEYS: usize = 65_536;
const MAX_CACHED_RECORDS: usize = 65_536;
/// An opened RSA-4096 key pair takes a few KiB: at most tens of MiB.
const MAX_CACHED_KEY_PAIRS: usize = 8_192;

type Res<T> = Result<T, CoreError>;

/// The service: every operation of the contract over the [`Ports`].
#[derive(Debug)]
pub struct Kms {
    ports: Ports,
    config: CoreConfig,
    master_keys: MasterKeyCache,
    key_records: RecordCache<KeyRecord>,
    keystore_records: RecordCache<KeystoreRecord>,
    key_pairs: KeyPairCache<signing::OpenedKeyPair>,
    /// The grants of keys, by key id (the same TTL as key records).
    key_grants: RecordCache<Vec<GrantRecord>>,
}

/// The text of a validated request's serial number, for its audit line.
fn sequence_text(s: Option<&kms_model::Sequence>) -> Option<&str> {
    s.map(kms_model::Sequence::as_str)
}

/// KMS.0101 caused by `e` (kept for the host's log, not put on the wire).
fn kms_internal(e: impl std::error::Error + Send + Sync + 'static) -> CoreError {
    CoreError::bare(ErrorCode::KmsInternal).with_cause(e)
}

/// APIG.9999 caused by `e`.
fn apig_internal(e: impl std::error::Error + Send + Sync + 'static) -> CoreError {
    CoreError::bare(ErrorCode::ApigSystemError).with_cause(e)
}

/// The wire error of a root-key failure: 502 KMS.6502 when the HSM is
/// unreachable or answers nonsense, 504 KMS.6504 when it times out, else a
/// bare 500; the failure travels as the cause.
fn root_key_error(e: RootKeyError) -> CoreError {
    let code = match e {
        RootKeyError::BadGateway | RootKeyError::Unavailable(_) => ErrorCode::KmsBadGateway,
        RootKeyError::Timeout => ErrorCode::KmsGatewayTimeout,
        RootKeyError::Unsupported(why) => {
            return CoreError::new(ErrorCode::KmsKeystoreNotSupported, why);
        }
        _ => ErrorCode::KmsInternal,
    };
    CoreError::bare(code).with_cause(e)
}

/// The DEK context of a request: the key's project (the caller's own, or
/// for a grantee the key owner's, so that owner and grantees open each
/// other's DEKs) and the request's additional authenticated data (none:
/// empty). The one place the two are put together, for wrap and unwrap
/// alike.
fn dek_context<'a>(
    key: &'a KeyRecord,
    aad: Option<&'a Aad>,
) -> Result<DekContext<'a>, kms_crypto::Error> {
    dek_context_in(&key.project_id, aad)
}

/// [`dek_context`] bound to another project: a DEK another member of a
/// multi-region group wrapped is bound to that member's project.
fn dek_context_in<'a>(
    project_id: &'a str,
    aad: Option<&'a Aad>,
) -> Result<DekContext<'a>, kms_crypto::Error> {
    DekContext::new(project_id, aad.map_or(&[][..], Aad::as_bytes))
}

/// What an audited operation acted on.
enum Resource<'a, T> {
    /// Nothing named (create-pin).
    None,
    /// The resource the request names.
    Named(&'a str),
    /// The resource the operation created, read from its result.
    Created(fn(&T) -> &str),
}

impl Kms {
    /// A service over `ports`.
    #[must_use]
    pub fn new(ports: Ports, config: CoreConfig) -> Self {
        let ttl = config.record_cache_ttl_ms;
        Self {
            ports,
            config,
            master_keys: MasterKeyCache::new(MAX_CACHED_MASTER_KEYS),
            key_records: RecordCache::new(ttl, MAX_CACHED_RECORDS),
            keystore_records: RecordCache::new(ttl, MAX_CACHED_RECORDS),
            key_pairs: KeyPairCache::new(MAX_CACHED_KEY_PAIRS),
            key_grants: RecordCache::new(ttl, MAX_CACHED_RECORDS),
        }
    }

    /// The ports (for hosts that need e.g. the clock).
    #[must_use]
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// Hits and misses of the caches on the DEK path since the service was
    /// made (for a host's metrics).
    #[must_use]
    pub fn cache_stats(&self) -> crate::CacheStats {
        crate::CacheStats {
            master_keys: self.master_keys.count(),
            key_records: self.key_records.count(),
            keystore_records: self.keystore_records.count(),
            key_pairs: self.key_pairs.count(),
            key_grants: self.key_grants.count(),
        }
    }

    /// Forgets what the caches hold of a key (its record, its opened key
    /// pair); call after every store write that changed it.
    fn forget_key(&self, key_id: &str) {
        self.key_records.invalidate(key_id);
        self.key_pairs.invalidate(key_id);
    }

    /// Forgets a keystore's cached record, and every opened key pair
    /// (whichever lived in it); call after every store write that changed
    /// it.
    fn forget_keystore(&self, keystore_id: &str) {
        self.keystore_records.invalidate(keystore_id);
        self.key_pairs.clear();
    }

    /// Runs `op` and records one audit event for it, success or failure.
    fn audited<T>(
        &self,
        caller: &Caller,
        action: Operation,
        resource: Resource<'_, T>,
        sequence: Option<&str>,
        op: impl FnOnce() -> Res<T>,
    ) -> Res<T> {
        let result = op();
        let resource = match resource {
            Resource::None => None,
            Resource::Named(r) => Some(r),
            Resource::Created(id_of) => result.as_ref().ok().map(id_of),
        };
        let code = result.as_ref().err().map(CoreError::code);
        self.record_audit(caller, action, resource, sequence, code);
        result
    }

    /// Records the audit event of one operation: `code` is the failure's,
    /// `None` a success. The wire layer calls it for a request refused
    /// before it reached the typed operation (a body that broke a rule),
    /// so that no request goes unaudited.
    pub(crate) fn record_audit(
        &self,
        caller: &Caller,
        action: Operation,
        resource: Option<&str>,
        sequence: Option<&str>,
        code: Option<ErrorCode>,
    ) {
        self.ports.audit.record(&AuditEvent {
            time: self.ports.clock.now(),
            domain_id: &caller.domain_id,
            project_id: &caller.project_id,
            action: action.name(),
            resource,
            sequence,
            error_code: code.map(ErrorCode::as_str),
        });
    }

    /// A fresh id from the id port, checked to have the key-id shape.
    fn new_id(&self) -> Result<String, PortError> {
        let id = self.ports.ids.new_id()?;
        KeyId::from_generated(id.clone()).map_err(|e| {
            PortError::corrupt("id generator produced an id of the wrong shape").with_source(e)
        })?;
        Ok(id)
    }
}
