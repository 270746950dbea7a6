//! The keystore store.

#[allow(clippy::wildcard_imports)]
use super::*;

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
