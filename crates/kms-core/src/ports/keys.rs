//! The CMK store (wrapped material only) and the key tag store.

#[allow(clippy::wildcard_imports)]
use super::*;

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
    /// The instant the running interval counts from: when rotation was
    /// last enabled or the key last rotated, whichever is later (`None`
    /// for a key whose rotation was never enabled, or was enabled before
    /// this was recorded: then the last rotation, else the creation,
    /// counts). An automatic rotation is due `interval_days` after it.
    pub interval_start: Option<Timestamp>,
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
            interval_start: None,
        }
    }
}

/// A key whose automatic rotation is due
/// ([`MasterKeyStore::keys_due_for_rotation`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueRotation {
    /// The key's project.
    pub project_id: String,
    /// The key.
    pub key_id: String,
    /// Its current version when found due: the rotation is made from it
    /// (and does not happen if another made one meanwhile).
    pub current_version: u32,
}

/// One day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

impl KeyRecord {
    /// When the key's next automatic rotation is due: `None` unless
    /// rotation is enabled on an enabled key generated here. Counts from
    /// [`KeyRotation::interval_start`], else the last rotation, else the
    /// creation.
    #[must_use]
    pub fn rotation_due_at(&self) -> Option<Timestamp> {
        if !self.rotation.enabled
            || self.state != KeyState::Enabled
            || self.origin != KeyOrigin::Kms
            || self.spec.is_asymmetric()
        {
            return None;
        }
        let start = self
            .rotation
            .interval_start
            .or(self.rotation.last_rotation_time)
            .unwrap_or(self.create_time);
        Some(Timestamp(start.0.saturating_add(
            i64::from(self.rotation.interval_days).saturating_mul(DAY_MS),
        )))
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
    /// When imported material expires (`expiration_time` of
    /// import-key-material): from then on the key reads as pending import
    /// and its material is removed. `None`: never, or no imported material.
    pub material_expiry: Option<Timestamp>,
}

impl KeyRecord {
    /// Whether the key's imported material has expired at `now`: the
    /// key is then pending import, whatever its stored state says (the
    /// core removes the material when it notices).
    #[must_use]
    pub fn material_expired(&self, now: Timestamp) -> bool {
        matches!(self.state, KeyState::Enabled | KeyState::Disabled)
            && self.material_expiry.is_some_and(|t| t <= now)
    }
}

/// The stored half of an import token (get-parameters-for-import): the
/// wrapping key pair, sealed, and a digest of the token's secret part.
/// The client holds the token; the store holds nothing that rebuilds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportTokenRecord {
    /// The token's id (8-4-4-4-12), carried in the token.
    pub token_id: String,
    /// The key's project.
    pub project_id: String,
    /// The key the token imports into.
    pub key_id: String,
    /// SHA-256 of the token's secret part (compared in constant time).
    pub secret_digest: Vec<u8>,
    /// `RSAES_OAEP_SHA_256` or `SM2_ENCRYPT`.
    pub wrapping_algorithm: String,
    /// The wrapping private key sealed under the default keystore's root
    /// key, naming the token id (blob `0x06`).
    pub sealed_private_key: Vec<u8>,
    /// When the token expires.
    pub expires: Timestamp,
}

/// Why an import of key material did not happen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportMaterialError {
    /// No such key in the project.
    #[error("not found")]
    NotFound,
    /// The key is no longer pending import (another import won, or its
    /// state changed); nothing changed.
    #[error("not pending import")]
    NotPendingImport,
    /// The key had material before, and this is other material; nothing
    /// changed.
    #[error("other material")]
    MaterialDiffers,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
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

    /// Sets a key's rotation flag (when `enabled` is given), interval
    /// (when `interval_days` is given) and the instant the running
    /// interval counts from (when `interval_start` is given: the core
    /// gives it when it turns rotation on), leaving its history alone;
    /// `false` when there is no such key in the project.
    ///
    /// # Errors
    /// Backend failure.
    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
        interval_start: Option<Timestamp>,
    ) -> PortResult<bool>;

    /// Rotates a key **only if** its current version is still
    /// `material`'s version minus one, atomically: stores `material` as the
    /// new version, makes it current, sets the last rotation time and the
    /// running interval's start to `at` and counts the rotation. Every
    /// earlier version's material stays.
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

    /// Keys of any project whose automatic rotation is due at `at`
    /// ([`KeyRecord::rotation_due_at`] at or before `at`): rotation
    /// enabled, state enabled, generated here, symmetric. The longest
    /// overdue first (then by key id), at most `limit`.
    ///
    /// # Errors
    /// Backend failure.
    fn keys_due_for_rotation(&self, at: Timestamp, limit: u64) -> PortResult<Vec<DueRotation>>;

    /// Stores an import token (its id is fresh).
    ///
    /// # Errors
    /// Backend failure.
    fn insert_import_token(&self, token: &ImportTokenRecord) -> PortResult<()>;

    /// The import token with this id, expired or not.
    ///
    /// # Errors
    /// Backend failure.
    fn get_import_token(&self, token_id: &str) -> PortResult<Option<ImportTokenRecord>>;

    /// Deletes every import token that expired at or before `at`; returns
    /// how many.
    ///
    /// # Errors
    /// Backend failure.
    fn purge_import_tokens(&self, at: Timestamp) -> PortResult<u64>;

    /// The fingerprint of the material last imported into the key (kept
    /// when the material is deleted or expires, for the re-import rule);
    /// `None` when none was ever imported or there is no such key in the
    /// project.
    ///
    /// # Errors
    /// Backend failure.
    fn import_fingerprint(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<u8>>>;

    /// Imports material into a key **only if** the key is pending import
    /// and its recorded fingerprint is none or `fingerprint`, atomically:
    /// stores `material` as version 1 (replacing any), makes it current,
    /// sets the state enabled, the material's expiry and the fingerprint.
    ///
    /// # Errors
    /// No such key in the project, not pending import, other material
    /// than before (nothing changed), or a backend failure.
    fn import_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        material: &KeyMaterial,
        fingerprint: &[u8],
        expiry: Option<Timestamp>,
    ) -> Result<(), ImportMaterialError>;

    /// Removes a key's imported material **only if** the key is enabled or
    /// disabled (and, when `expired_at` is given, its material expired at
    /// or before it), atomically: every version's material is deleted, the
    /// current version becomes 0, the state pending import, the expiry
    /// none; the fingerprint stays. `false` when nothing matched.
    ///
    /// # Errors
    /// Backend failure.
    fn delete_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        expired_at: Option<Timestamp>,
    ) -> PortResult<bool>;
    /// The multi-region group `key_id` belongs to: every member, itself
    /// included, in no particular order; empty when it is in none.
    ///
    /// # Errors
    /// Backend failure.
    fn key_group(&self, key_id: &str) -> PortResult<Vec<GroupMember>>;

    /// Inserts `record` (a replica of `source`, with `versions[i]` as its
    /// version `i + 1`, each wrapped for the replica) and makes both
    /// members of one group, atomically: `source` joins as the group's
    /// primary (its group's id its key id) if it was in none; `replica`
    /// joins `source`'s group as a replica. Refused when the replica's
    /// alias is taken in its project, the group has a member in the
    /// replica's region already, or the source key is gone.
    ///
    /// # Errors
    /// Which rule failed, or a backend failure.
    fn insert_replica(
        &self,
        source: &GroupMember,
        record: &KeyRecord,
        versions: &[WrappedMasterKey],
        replica: &GroupMember,
    ) -> Result<(), InsertReplicaError>;

    /// Makes `key_id` its group's primary and every other member a
    /// replica, atomically; `false` when it is in no group.
    ///
    /// # Errors
    /// Backend failure.
    fn set_group_primary(&self, key_id: &str) -> PortResult<bool>;
}

/// A key's membership of a multi-region group: keys of one account in
/// different regions holding the same material (each wrapped for itself),
/// so that each opens the others' ciphertexts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    /// The member key.
    pub key_id: String,
    /// Its project.
    pub project_id: String,
    /// Its account.
    pub domain_id: String,
    /// Its region.
    pub region_id: String,
    /// The group: its first primary's key id.
    pub group_id: String,
    /// The group's primary (exactly one member is).
    pub primary: bool,
}

/// Why a replica was not inserted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertReplicaError {
    /// The replica's alias is taken in its project.
    #[error("alias taken")]
    AliasTaken,
    /// The group has a member in the replica's region.
    #[error("region taken")]
    RegionTaken,
    /// The source key was deleted meanwhile.
    #[error("source gone")]
    SourceGone,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
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
