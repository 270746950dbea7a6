//! The alias API's store: aliases of CMKs, unique per project, each naming
//! one key of its project.

#[allow(clippy::wildcard_imports)]
use super::*;

/// An alias as stored (the alias API's, not a key's `key_alias`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRecord {
    /// Owner domain (the key's).
    pub domain_id: String,
    /// The project the alias and its key belong to.
    pub project_id: String,
    /// The alias, `alias/...` (unique in the project).
    pub alias: String,
    /// The key it names (a key of the same project).
    pub key_id: String,
    /// Creation time.
    pub create_time: Timestamp,
    /// Last association time (the creation time until the alias moves).
    pub update_time: Timestamp,
}

/// Why an alias write did not happen (nothing changed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AliasWriteError {
    /// No such key in the project.
    #[error("key not found")]
    KeyNotFound,
    /// No such alias in the project (or, for a delete naming a key, not
    /// one of that key's).
    #[error("alias not found")]
    AliasNotFound,
    /// The alias already exists in the project.
    #[error("alias taken")]
    AliasTaken,
    /// The key would carry more aliases than allowed.
    #[error("too many aliases")]
    TooMany,
    /// Storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// Aliases of CMKs. Every write is one atomic conditional write: a
/// concurrent writer sees it whole or not at all.
pub trait KeyAliasStore: Send + Sync + fmt::Debug {
    /// Inserts `record` **only if** its key exists in its project, the
    /// alias is free in the project, and the key carries fewer than
    /// `max_per_key` aliases.
    ///
    /// # Errors
    /// Key not found, alias taken, too many aliases, or a backend failure.
    fn insert_alias(&self, record: &AliasRecord, max_per_key: usize)
    -> Result<(), AliasWriteError>;

    /// Moves an existing alias of the project to `target_key_id` (a key of
    /// the same project), setting its update time to `at`, **only if**
    /// the target then carries at most `max_per_key` aliases; returns the
    /// record as moved. Moving an alias to the key it already names
    /// changes only its update time.
    ///
    /// # Errors
    /// Alias not found, key not found, too many aliases, or a backend
    /// failure.
    fn associate_alias(
        &self,
        project_id: &str,
        alias: &str,
        target_key_id: &str,
        max_per_key: usize,
        at: Timestamp,
    ) -> Result<AliasRecord, AliasWriteError>;

    /// Deletes every alias of `aliases` from the project, **only if** each
    /// exists there (and, when `key_id` is given, names that key): all or
    /// none.
    ///
    /// # Errors
    /// Alias not found (nothing deleted), or a backend failure.
    fn delete_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        aliases: &[String],
    ) -> Result<(), AliasWriteError>;

    /// The alias of the project, whatever the state of its key.
    ///
    /// # Errors
    /// Backend failure.
    fn get_alias(&self, project_id: &str, alias: &str) -> PortResult<Option<AliasRecord>>;

    /// At most `limit` aliases of the project (only `key_id`'s when
    /// given), by alias (byte order), each after `after` when given.
    /// Aliases of keys gone at `live_at` (pending deletion, deletion time
    /// passed, see [`KeyListQuery`]) are not listed.
    ///
    /// # Errors
    /// Backend failure.
    fn list_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
        live_at: Timestamp,
    ) -> PortResult<Vec<AliasRecord>>;
}
