//! The ports: everything kms-core needs from the outside world, as small
//! object-safe `Send + Sync + Debug` traits passed in one [`Ports`] bundle.
//!
//! Store traits state their atomicity in their docs and return types: each
//! `insert` is a single conditional write (an SQL adapter implements it with
//! UNIQUE constraints in one transaction), so the core never checks-then-acts.
//!
//! A port reports a failure outside the request as a [`PortError`] (kind,
//! context, source), never as an answer: a poisoned lock or a lost
//! database is not "not found" and not "wrong PIN". The root-key provider's
//! answer-shaped failures are [`RootKeyError::Rejected`] (the material does
//! not unwrap or verify) and [`RootKeyError::Unsupported`] (the keystore
//! cannot do this, e.g. a key pair in an HSM-backed keystore); its other
//! variants are provider failures.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinKeys, PinScope, PinVerifier, PrivateKeyScope, SigningKey,
    SigningKeySpec, WrappedMasterKey,
};
use kms_model::{CertificateRecord, CmkSpec, KeyUsage, KeystoreType};
use zeroize::Zeroizing;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Whole seconds since the epoch (floor).
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// Who is calling: resolved by the host (signature, token) before the core.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// The account (domain).
    pub domain_id: String,
    /// The project the request is for.
    pub project_id: String,
}

impl Caller {
    /// A caller.
    #[must_use]
    pub fn new(domain_id: impl Into<String>, project_id: impl Into<String>) -> Self {
        Self {
            domain_id: domain_id.into(),
            project_id: project_id.into(),
        }
    }
}

/// What kind of failure a port reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PortErrorKind {
    /// The backend could not be reached or did not answer: I/O, a lost
    /// connection, a database busy past its timeout, a device gone.
    Unavailable,
    /// Stored data breaks an invariant: a corrupt row, an unknown state, an
    /// id of the wrong shape.
    Corrupt,
    /// A lock was poisoned by a thread that panicked while holding it. The
    /// data behind it may be half-updated, so the port refuses to guess.
    Poisoned,
    /// The entropy source failed.
    Entropy,
    /// The adapter was set up wrongly (a short root secret, a bad path).
    Config,
    /// Anything else.
    Other,
}

impl PortErrorKind {
    /// A short lower-case name for logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Corrupt => "corrupt data",
            Self::Poisoned => "lock poisoned",
            Self::Entropy => "entropy failure",
            Self::Config => "misconfigured",
            Self::Other => "failure",
        }
    }
}

/// A storage or provider failure the core cannot interpret. It reaches the
/// wire as a bare 500 (KMS.0101 / APIG.9999, nothing from here in the
/// message), and travels to the host as the [`kms_model::ApiError`]'s
/// cause, which the host logs once with the request id. The source error
/// (e.g. the SQLite error) is kept, not flattened into text.
#[derive(Clone)]
pub struct PortError {
    kind: PortErrorKind,
    context: Cow<'static, str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl PortError {
    /// A failure of `kind` while doing `context` (what the port was doing,
    /// e.g. `"insert keystore"`; never a secret).
    #[must_use]
    pub fn new(kind: PortErrorKind, context: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// The same failure, caused by `source`.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// [`PortErrorKind::Unavailable`] caused by `source`.
    #[must_use]
    pub fn unavailable(
        context: impl Into<Cow<'static, str>>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(PortErrorKind::Unavailable, context).with_source(source)
    }

    /// [`PortErrorKind::Corrupt`].
    #[must_use]
    pub fn corrupt(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(PortErrorKind::Corrupt, context)
    }

    /// [`PortErrorKind::Poisoned`].
    #[must_use]
    pub fn poisoned(context: impl Into<Cow<'static, str>>) -> Self {
        Self::new(PortErrorKind::Poisoned, context)
    }

    /// The kind.
    #[must_use]
    pub const fn kind(&self) -> PortErrorKind {
        self.kind
    }

    /// What the port was doing.
    #[must_use]
    pub fn context(&self) -> &str {
        &self.context
    }
}

impl fmt::Debug for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortError")
            .field("kind", &self.kind)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.kind.as_str())
    }
}

impl std::error::Error for PortError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Equal when kind and context are; sources are not compared (they are
/// for logs, and most error types are not `PartialEq`).
impl PartialEq for PortError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.context == other.context
    }
}

impl Eq for PortError {}

impl From<EntropyError> for PortError {
    fn from(e: EntropyError) -> Self {
        Self::new(PortErrorKind::Entropy, "entropy source").with_source(e)
    }
}

/// Result of a port call.
pub type PortResult<T> = Result<T, PortError>;

// ---------------------------------------------------------------- clock, entropy, ids

/// The current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The entropy source could not deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entropy source failure")]
pub struct EntropyError;

/// A cryptographically secure random source. Implementations must be
/// seeded from the operating system (or be a deterministic test double).
pub trait Entropy: Send + Sync + fmt::Debug {
    /// Fills `dst` with random bytes.
    ///
    /// # Errors
    /// The source failed; the operation is aborted.
    fn fill(&self, dst: &mut [u8]) -> Result<(), EntropyError>;
}

/// Adapts the [`Entropy`] port to the `rand_core` traits kms-crypto takes.
pub struct EntropyRng<'a>(pub &'a dyn Entropy);

impl rand_core::TryRng for EntropyRng<'_> {
    type Error = EntropyError;

    fn try_next_u32(&mut self) -> Result<u32, EntropyError> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, EntropyError> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), EntropyError> {
        self.0.fill(dst)
    }
}

impl rand_core::TryCryptoRng for EntropyRng<'_> {}

/// New resource ids (keystores, keys, certificates).
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A fresh id of the form `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`.
    ///
    /// # Errors
    /// The generator failed.
    fn new_id(&self) -> PortResult<String>;
}

// ---------------------------------------------------------------- keystores

/// Whether a keystore (or a key) may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeystoreState {
    /// Usable.
    Enabled,
    /// Keys cannot be used.
    Disabled,
}

impl KeystoreState {
    /// Wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "ENABLED",
            Self::Disabled => "DISABLED",
        }
    }
}

/// A dedicated keystore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystoreRecord {
    /// Id (8-4-4-4-12).
    pub keystore_id: String,
    /// Owner.
    pub domain_id: String,
    /// Alias, unique within the domain.
    pub alias: String,
    /// Kind of cluster.
    pub keystore_type: KeystoreType,
    /// Backing cluster, unique across keystores when present.
    pub cluster_id: Option<String>,
    /// State.
    pub state: KeystoreState,
    /// Creation time.
    pub create_time: Timestamp,
}

/// Why a keystore insert did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertKeystoreError {
    /// `(domain_id, alias)` is taken.
    #[error("alias taken")]
    AliasTaken,
    /// `cluster_id` already backs a keystore.
    #[error("cluster taken")]
    ClusterTaken,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// Outcome of a keystore delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteKeystoreOutcome {
    /// Deleted.
    Deleted,
    /// No such keystore in the domain.
    NotFound,
    /// The keystore still holds keys; nothing changed.
    HasKeys,
}

/// Keystore storage.
pub trait KeystoreStore: Send + Sync + fmt::Debug {
    /// Inserts `record` **only if** its alias is free within its domain
    /// **and** its cluster (when present) backs no keystore, atomically.
    ///
    /// # Errors
    /// Which uniqueness rule failed, or a backend failure.
    fn insert_keystore(&self, record: &KeystoreRecord) -> Result<(), InsertKeystoreError>;

    /// The domain's keystore with this id.
    ///
    /// # Errors
    /// Backend failure.
    fn get_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<Option<KeystoreRecord>>;

    /// A page of the domain's keystores, oldest first, and the total count.
    ///
    /// # Errors
    /// Backend failure.
    fn list_keystores(
        &self,
        domain_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<KeystoreRecord>)>;

    /// Sets the state; `false` when there is no such keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn set_keystore_state(
        &self,
        domain_id: &str,
        keystore_id: &str,
        state: KeystoreState,
    ) -> PortResult<bool>;

    /// Deletes the keystore **only if** no master key lives in it,
    /// atomically with respect to [`MasterKeyStore::insert_key`] (an SQL
    /// adapter uses a foreign key).
    ///
    /// # Errors
    /// Backend failure.
    fn delete_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<DeleteKeystoreOutcome>;

    /// Records `check` as the check value of the root key of the dedicated
    /// keystore `keystore_id` (a value its HSM computes from the key and
    /// that reveals nothing about it) **only if** none is recorded,
    /// atomically; returns the recorded value, so a caller whose `check`
    /// differs learns the key was replaced. Independent of the keystore's
    /// row (a root key is provisioned before its keystore is stored).
    ///
    /// # Errors
    /// Backend failure.
    fn record_root_key_check(
        &self,
        keystore_id: &str,
        check: &[u8; ROOT_KEY_CHECK_LEN],
    ) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]>;

    /// Forgets the recorded check value of `keystore_id`'s root key (the
    /// key was destroyed). Nothing recorded is not an error.
    ///
    /// # Errors
    /// Backend failure.
    fn forget_root_key_check(&self, keystore_id: &str) -> PortResult<()>;
}

/// Length of a dedicated keystore's root-key check value
/// ([`KeystoreStore::record_root_key_check`]).
pub const ROOT_KEY_CHECK_LEN: usize = 32;

// ---------------------------------------------------------------- clusters

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

// ---------------------------------------------------------------- master keys

/// A CMK's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Not usable; can be enabled again.
    Disabled,
    /// Scheduled for deletion.
    PendingDeletion,
    /// Created with `origin` `external` and waiting for its material
    /// (`"5"`): it has no version yet (`current_version` 0) and serves no
    /// cryptographic operation until material is imported.
    PendingImport,
}

impl KeyState {
    /// Huawei's numeric key_state: 2 enabled, 3 disabled, 4 pending
    /// deletion, 5 pending import.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "2",
            Self::Disabled => "3",
            Self::PendingDeletion => "4",
            Self::PendingImport => "5",
        }
    }
}

pub use kms_model::KeyOrigin;

/// A CMK's rotation policy and history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRotation {
    /// Whether rotation is enabled (`key_rotation_enabled`).
    pub enabled: bool,
    /// The rotation interval, in days (30..=365; default 365).
    pub interval_days: u32,
    /// When the key was last rotated.
    pub last_rotation_time: Option<Timestamp>,
    /// How many times the key was rotated.
    pub rotations: u32,
}

impl KeyRotation {
    /// The interval of a key that was never given one, in days.
    pub const DEFAULT_INTERVAL_DAYS: u32 = 365;
}

impl Default for KeyRotation {
    fn default() -> Self {
        Self {
            enabled: false,
            interval_days: Self::DEFAULT_INTERVAL_DAYS,
            last_rotation_time: None,
            rotations: 0,
        }
    }
}

/// A CMK's metadata (no key material).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// Id (8-4-4-4-12).
    pub key_id: String,
    /// Owner domain.
    pub domain_id: String,
    /// Owner project: keys are invisible to other projects.
    pub project_id: String,
    /// Alias, unique within the project.
    pub alias: String,
    /// Description.
    pub description: String,
    /// `"0"` (default keystore) or a dedicated keystore id.
    pub keystore_id: String,
    /// State.
    pub state: KeyState,
    /// The version new DEKs are wrapped under.
    pub current_version: u32,
    /// Creation time.
    pub create_time: Timestamp,
    /// When a pending deletion takes effect.
    pub deletion_time: Option<Timestamp>,
    /// Rotation policy and history.
    pub rotation: KeyRotation,
    /// Key spec: `AES_256`, or a key pair (`RSA_2048`, `EC_P256`, ...).
    pub spec: CmkSpec,
    /// Key usage: `ENCRYPT_DECRYPT` (AES) or `SIGN_VERIFY` (key pairs).
    pub usage: KeyUsage,
    /// Generated here or imported.
    pub origin: KeyOrigin,
}

/// A CMK's first stored material (version 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// None yet: a key created with `origin` `external` waits for its
    /// owner's material (state [`KeyState::PendingImport`], `current_version`
    /// 0). The store writes the key and no version.
    AwaitingImport,
    /// A symmetric key wrapped under its keystore's root key (80 bytes).
    Wrapped(WrappedMasterKey),
    /// A key pair's private key sealed under its keystore's root key (a
    /// kms-crypto blob of algorithm `0x06`, naming the key).
    SealedKeyPair(Ciphertext),
}

impl KeyMaterial {
    /// The bytes a store keeps as version 1; `None` for a key awaiting
    /// import, which has no version.
    #[must_use]
    pub fn stored_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::AwaitingImport => None,
            Self::Wrapped(w) => Some(w.as_bytes()),
            Self::SealedKeyPair(c) => Some(c.as_bytes()),
        }
    }
}

impl From<WrappedMasterKey> for KeyMaterial {
    fn from(w: WrappedMasterKey) -> Self {
        Self::Wrapped(w)
    }
}

/// Why a key insert did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertKeyError {
    /// `(project_id, alias)` is taken.
    #[error("alias taken")]
    AliasTaken,
    /// The dedicated keystore was deleted meanwhile.
    #[error("keystore gone")]
    KeystoreGone,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// Why a key alias update did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateKeyAliasError {
    /// Another key of the project has the alias.
    #[error("alias taken")]
    AliasTaken,
    /// No such key in the project.
    #[error("not found")]
    NotFound,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// Why a key rotation did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RotateKeyError {
    /// No such key in the project.
    #[error("not found")]
    NotFound,
    /// The key's current version is no longer the one the rotation was
    /// made from (another rotation won); nothing changed.
    #[error("version changed")]
    VersionChanged,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// A key's tag: key and value.
pub type KeyTag = (String, String);

/// A page of keys with their tags, and the number matching in all.
pub type TaggedKeys = (u64, Vec<(KeyRecord, Vec<KeyTag>)>);

/// Why a tag write did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagWriteError {
    /// No such key in the project.
    #[error("not found")]
    NotFound,
    /// The key would have more tags than allowed; nothing changed.
    #[error("too many tags")]
    TooMany,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// A tag filter of [`KeyTagStore::list_keys_by_tags`]: the key must carry
/// the tag `key`, with one of `values` (any value when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagFilter {
    /// The tag key.
    pub key: String,
    /// Accepted values (any when empty).
    pub values: Vec<String>,
}

/// Filter and page of [`MasterKeyStore::list_keys`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyListQuery {
    /// Only keys in this state.
    pub state: Option<KeyState>,
    /// Keys pending deletion whose `deletion_time` is at or before this
    /// instant are gone and not listed (nor counted).
    pub live_at: Timestamp,
    /// Only keys of this spec.
    pub spec: Option<CmkSpec>,
    /// Keys to skip.
    pub offset: u64,
    /// Keys to return at most.
    pub limit: u64,
}

/// CMK storage. Holds key material **only wrapped** under a root key.
pub trait MasterKeyStore: Send + Sync + fmt::Debug {
    /// Inserts the key and its first version's material (what
    /// [`MasterKeyStore::get_key_material`] returns for version 1) **only
    /// if** its alias is free within the project and (for a dedicated
    /// keystore) the keystore still exists, atomically.
    ///
    /// # Errors
    /// Which rule failed, or a backend failure.
    fn insert_key(&self, record: &KeyRecord, material: &KeyMaterial) -> Result<(), InsertKeyError>;

    /// The project's key with this id (another project's key is `None`).
    /// Shared (`Arc`) so an in-memory or caching adapter hands it out
    /// without copying: this is on the path of every DEK request.
    ///
    /// # Errors
    /// Backend failure.
    fn get_key(&self, project_id: &str, key_id: &str) -> PortResult<Option<Arc<KeyRecord>>>;

    /// Wrapped material of one version of a key.
    ///
    /// # Errors
    /// Backend failure.
    fn get_key_material(&self, key_id: &str, version: u32) -> PortResult<Option<Vec<u8>>>;

    /// Sets a key's state; `false` when there is no such key in the project.
    ///
    /// # Errors
    /// Backend failure.
    fn set_key_state(
        &self,
        project_id: &str,
        key_id: &str,
        state: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> PortResult<bool>;

    /// Number of keys (any project) in a dedicated keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn count_keys_in_keystore(&self, keystore_id: &str) -> PortResult<u64>;

    /// A page of the project's keys matching `query`, oldest first (by
    /// `create_time`, then `key_id`), and the number matching in all.
    ///
    /// # Errors
    /// Backend failure.
    fn list_keys(
        &self,
        project_id: &str,
        query: &KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)>;

    /// Renames a key **only if** no other key of the project has `alias`,
    /// atomically (an SQL adapter relies on its UNIQUE constraint).
    /// Renaming a key to its own alias succeeds.
    ///
    /// # Errors
    /// Alias taken, no such key in the project, or a backend failure.
    fn update_key_alias(
        &self,
        project_id: &str,
        key_id: &str,
        alias: &str,
    ) -> Result<(), UpdateKeyAliasError>;

    /// Sets a key's description; `false` when there is no such key in the
    /// project.
    ///
    /// # Errors
    /// Backend failure.
    fn update_key_description(
        &self,
        project_id: &str,
        key_id: &str,
        description: &str,
    ) -> PortResult<bool>;

    /// Deletes, with their material and tags, every key (any project)
    /// pending deletion whose deletion time is at or before `at`: keys
    /// already gone for the core, whose alias (and dedicated keystore) they
    /// still hold in storage. Returns how many were deleted.
    ///
    /// # Errors
    /// Backend failure.
    fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64>;

    /// Sets a key's rotation flag (when `enabled` is given) and interval
    /// (when `interval_days` is given), leaving its history alone; `false`
    /// when there is no such key in the project.
    ///
    /// # Errors
    /// Backend failure.
    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
    ) -> PortResult<bool>;

    /// Rotates a key **only if** its current version is still
    /// `material`'s version minus one, atomically: stores `material` as the
    /// new version, makes it current, sets the last rotation time to `at`
    /// and counts the rotation. Every earlier version's material stays.
    ///
    /// # Errors
    /// No such key in the project, the version moved meanwhile (nothing
    /// changed), or a backend failure.
    fn rotate_key(
        &self,
        project_id: &str,
        key_id: &str,
        material: &WrappedMasterKey,
        version: u32,
        at: Timestamp,
    ) -> Result<(), RotateKeyError>;
}

/// Tags of CMKs (at most a few per key, unique tag key per key).
pub trait KeyTagStore: Send + Sync + fmt::Debug {
    /// Applies `upsert` (each tag created, or its value replaced) then
    /// removes the tag keys in `remove`, **only if** the key exists in the
    /// project and ends with at most `max_tags` tags, atomically.
    ///
    /// # Errors
    /// Not found, too many tags (nothing changed), or a backend failure.
    fn update_key_tags(
        &self,
        project_id: &str,
        key_id: &str,
        upsert: &[KeyTag],
        remove: &[String],
        max_tags: usize,
    ) -> Result<(), TagWriteError>;

    /// A key's tags, sorted by tag key; `None` when there is no such key in
    /// the project.
    ///
    /// # Errors
    /// Backend failure.
    fn get_key_tags(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<KeyTag>>>;

    /// Every tag key used on the project's keys (gone keys at `live_at`
    /// excluded, see [`KeyListQuery`]), sorted, each with its distinct
    /// values, sorted.
    ///
    /// # Errors
    /// Backend failure.
    fn list_project_tags(
        &self,
        project_id: &str,
        live_at: Timestamp,
    ) -> PortResult<Vec<(String, Vec<String>)>>;

    /// A page of the project's keys carrying every tag of `tags` (each with
    /// one of its values, any value when none are listed) and, when
    /// `alias_contains` is given, whose alias contains it; oldest first
    /// (create time, then key id), each with its tags sorted by tag key,
    /// and the number matching in all. Keys gone at `query.live_at` (see
    /// [`KeyListQuery`]) are neither listed nor counted; `query.state` is
    /// ignored.
    ///
    /// # Errors
    /// Backend failure.
    fn list_keys_by_tags(
        &self,
        project_id: &str,
        tags: &[TagFilter],
        alias_contains: Option<&str>,
        query: &KeyListQuery,
    ) -> PortResult<TaggedKeys>;
}

// ---------------------------------------------------------------- root keys

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

// ---------------------------------------------------------------- root-key rotation

/// Length of a root-key fingerprint (a keyed hash the host computes; it
/// reveals nothing about the key).
pub const ROOT_FINGERPRINT_LEN: usize = 32;

/// A root-key rotation under way: to which root key, and the generation
/// every row it moved is marked with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootRotationTarget {
    /// Fingerprint of the new root key.
    pub fingerprint: [u8; ROOT_FINGERPRINT_LEN],
    /// The generation the rotation moves rows to (the recorded one plus 1).
    pub generation: u32,
}

/// Which root key a store's rows are under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RootKeyState {
    /// Fingerprint of the root key every row is under; `None` until a host
    /// records one ([`RootRotationStore::record_root_fingerprint`]).
    pub fingerprint: Option<[u8; ROOT_FINGERPRINT_LEN]>,
    /// How many rotations completed (0 for a store never rotated).
    pub generation: u32,
    /// A rotation begun and not finished: rows are under either root key
    /// until it finishes.
    pub rotation: Option<RootRotationTarget>,
}

/// A keystore's PIN keys ([`kms_crypto::PinKeys`]) wrapped under the root
/// key of that keystore: what a rotation carries over, since PINs cannot
/// be re-sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct CarriedPinKeys {
    /// The keystore (`"1"`, `"2"` or a dedicated id).
    pub keystore_id: String,
    /// The wrap ([`RootKeyProvider::wrap_pin_keys`]).
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for CarriedPinKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CarriedPinKeys")
            .field("keystore_id", &self.keystore_id)
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

/// A stored item wrapped or sealed under a root key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RootBoundItem {
    /// A CMK version: a wrapped key, or a key pair's sealed private key.
    KeyMaterial {
        /// The key.
        key_id: String,
        /// The version.
        version: u32,
        /// The key's keystore (whose root key wraps it).
        keystore_id: String,
        /// The key's spec (a key pair's is a signing spec).
        spec: CmkSpec,
    },
    /// A certificate's sealed private key.
    CertificatePrivateKey {
        /// The certificate's project.
        project_id: String,
        /// The certificate.
        certificate_id: String,
    },
}

/// An item and its stored bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootBoundRow {
    /// Which item.
    pub item: RootBoundItem,
    /// Its bytes as stored (wrapped or sealed: never secret in clear).
    pub bytes: Vec<u8>,
}

/// An item re-wrapped under a new root key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrapped {
    /// Which item.
    pub item: RootBoundItem,
    /// The bytes read (the write happens only if they are still stored).
    pub old: Vec<u8>,
    /// The bytes under the new root key.
    pub new: Vec<u8>,
}

/// What a root-key rotation needs from storage: the recorded root key,
/// the rows that depend on it in batches, each batch written in one
/// transaction with a per-row mark of the rotation's generation, so a
/// rotation cut short resumes where it stopped.
pub trait RootRotationStore: Send + Sync + fmt::Debug {
    /// The recorded root key and rotation.
    ///
    /// # Errors
    /// Backend failure.
    fn root_key_state(&self) -> PortResult<RootKeyState>;

    /// Records `fingerprint` as the root key's **only if** none is recorded,
    /// atomically; returns the state after.
    ///
    /// # Errors
    /// Backend failure.
    fn record_root_fingerprint(
        &self,
        fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
    ) -> PortResult<RootKeyState>;

    /// Every dedicated keystore, of every domain.
    ///
    /// # Errors
    /// Backend failure.
    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>>;

    /// The PIN keys an earlier rotation carried over.
    ///
    /// # Errors
    /// Backend failure.
    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>>;

    /// Begins a rotation to `to` **only if** the recorded fingerprint is
    /// `from` and no rotation is under way, atomically with replacing every
    /// carried PIN key by `pin_keys`. `false`: nothing changed.
    ///
    /// # Errors
    /// Backend failure.
    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool>;

    /// Up to `limit` rows not marked as moved to `generation`, in a stable
    /// order.
    ///
    /// # Errors
    /// Backend failure.
    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>>;

    /// Writes a batch in one transaction: each row whose stored bytes are
    /// still `old` gets `new` and the mark of `generation`; others are left
    /// alone. Returns how many rows were written.
    ///
    /// # Errors
    /// Backend failure (nothing written).
    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize>;

    /// Finishes the rotation to `to` **only if** it is the one under way
    /// and no row is left unmoved, atomically: `to` becomes the recorded
    /// root key and generation. `false`: nothing changed.
    ///
    /// # Errors
    /// Backend failure.
    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool>;
}

// ---------------------------------------------------------------- PINs

/// Verifiers of plaintext PINs (never the PINs).
pub trait PinVerifierStore: Send + Sync + fmt::Debug {
    /// Records a verifier for the domain and keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()>;

    /// Whether this verifier was recorded for the domain and keystore.
    ///
    /// # Errors
    /// Backend failure.
    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool>;
}

// ---------------------------------------------------------------- certificates

/// A stored APIG certificate: the record the API returns plus the PEM
/// material it was built from. The private key is never here in clear:
/// only sealed under the root-key provider
/// ([`RootKeyProvider::seal_private_key`]), bound to the project and the
/// certificate id, so a store (its files, its backups) holds no usable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCertificate {
    /// The record (id, name, type, instance_id, project_id, fields, times).
    pub record: CertificateRecord,
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

// ---------------------------------------------------------------- audit

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

// ---------------------------------------------------------------- the bundle

/// Everything a store keeps for the core: keystores, keys (with their
/// tags), certificates and PIN verifiers. Implemented for every type that
/// implements the five store traits; one value then fills every store
/// port of [`Ports`] (`Ports::builder`).
///
/// To bring your own store, implement the five traits and run the
/// conformance suite (`kms-store-conformance`) against it.
pub trait Store:
    KeystoreStore + MasterKeyStore + KeyTagStore + CertificateStore + PinVerifierStore
{
}

impl<T> Store for T where
    T: KeystoreStore + MasterKeyStore + KeyTagStore + CertificateStore + PinVerifierStore
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
}
