//! The grant store: grants of CMKs to other principals.

#[allow(clippy::wildcard_imports)]
use super::*;

use kms_model::{GrantOperation, GranteeType};

/// A grant as the service keeps it: which key (and whose), to whom, for
/// which operations, who made it and who may retire it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    /// 64 lower-case hexadecimal digits.
    pub grant_id: String,
    /// The CMK.
    pub key_id: String,
    /// The key's owner account.
    pub domain_id: String,
    /// The key's project.
    pub project_id: String,
    /// The grantee: a user id, or an account id.
    pub grantee_principal: String,
    /// Whom `grantee_principal` names.
    pub grantee_type: GranteeType,
    /// The operations granted (each once, in [`GrantOperation::ALL`]'s
    /// order).
    pub operations: Vec<GrantOperation>,
    /// Who made the grant (user id, else account id).
    pub issuing_principal: String,
    /// The user who may retire the grant besides its grantee.
    pub retiring_principal: Option<String>,
    /// Name (empty: none).
    pub name: String,
    /// When it was made.
    pub creation_date: Timestamp,
}

impl GrantRecord {
    /// Whether `caller` is this grant's grantee: its user (type `user`)
    /// or its account (type `domain`).
    #[must_use]
    pub fn names_grantee(&self, caller: &Caller) -> bool {
        match self.grantee_type {
            GranteeType::User => caller.user_id.as_deref() == Some(&*self.grantee_principal),
            GranteeType::Domain => caller.domain_id == self.grantee_principal,
        }
    }

    /// Whether the grant lets `caller` perform `op` on its key.
    #[must_use]
    pub fn admits(&self, caller: &Caller, op: GrantOperation) -> bool {
        self.names_grantee(caller) && self.operations.contains(&op)
    }

    /// Whether `caller` may retire the grant: its grantee, or its
    /// retiring principal.
    #[must_use]
    pub fn retirable_by(&self, caller: &Caller) -> bool {
        self.names_grantee(caller)
            || (self.retiring_principal.is_some()
                && caller.user_id.as_deref() == self.retiring_principal.as_deref())
    }
}

/// Why a grant was not inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertGrantError {
    /// The key is not in the project.
    #[error("key not found")]
    KeyNotFound,
    /// The key already has the most grants allowed.
    #[error("too many grants on the key")]
    TooMany,
    /// A storage failure.
    #[error(transparent)]
    Backend(#[from] PortError),
}

/// Grants of keys. Every grant belongs to one key and goes with it when
/// the key is purged. Listings are oldest first: by creation time, then
/// by grant id.
pub trait KeyGrantStore: Send + Sync + fmt::Debug {
    /// Inserts `grant` if its key exists in `grant.project_id` and has
    /// fewer than `max_per_key` grants, in one atomic step (two inserts
    /// racing for the last place: one wins).
    ///
    /// # Errors
    /// [`InsertGrantError::KeyNotFound`], [`InsertGrantError::TooMany`],
    /// or a storage failure.
    fn insert_grant(&self, grant: &GrantRecord, max_per_key: u64) -> Result<(), InsertGrantError>;

    /// Every grant of key `key_id` (whatever its project: key ids are
    /// unique), oldest first.
    ///
    /// # Errors
    /// Storage failures.
    fn grants_of_key(&self, key_id: &str) -> PortResult<Vec<GrantRecord>>;

    /// A page of the grants of key `key_id` of `project_id`, oldest first,
    /// and their number in all.
    ///
    /// # Errors
    /// Storage failures.
    fn list_grants(
        &self,
        project_id: &str,
        key_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<GrantRecord>)>;

    /// A page of the grants whose retiring principal is `principal`, oldest
    /// first, and their number in all.
    ///
    /// # Errors
    /// Storage failures.
    fn list_retirable_grants(
        &self,
        principal: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<GrantRecord>)>;

    /// Deletes grant `grant_id` of key `key_id`; `false` when the key has
    /// no such grant.
    ///
    /// # Errors
    /// Storage failures.
    fn delete_grant(&self, key_id: &str, grant_id: &str) -> PortResult<bool>;

    /// The most grants any one key of `project_id` has (0 when none has
    /// any): show-user-quotas' `grant_per_CMK` use.
    ///
    /// # Errors
    /// Storage failures.
    fn most_grants_on_a_key(&self, project_id: &str) -> PortResult<u64>;
}
