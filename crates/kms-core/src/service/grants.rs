//! Grants: create-grant, list-grants, list-retirable-grants, revoke-grant,
//! retire-grant, and the one rule that lets a grantee use another
//! project's key ([`Kms::granted_key`]).
//!
//! Who may do what (docs/grants.md):
//! - the key's project creates, lists and revokes its grants;
//! - a grantee (the user a `user` grant names, or any caller of the
//!   account a `domain` grant names) performs exactly the granted
//!   operations on the key, addressing it by `key_id` under its own
//!   project; with `create-grant` granted it grants a subset of its own
//!   operations to others;
//! - the grantee or the retiring principal retires the grant;
//! - anyone else: the key does not exist (KMS.0207).

use std::sync::Arc;

use kms_model::{
    CreateGrantRequest, ErrorCode, GrantOperation, KeyId, ListGrantsRequest,
    ListRetirableGrantsRequest, Operation, RevokeGrantRequest,
};

use super::{Kms, Res, Resource, kms_internal, sequence_text};
use crate::error::CoreError;
use crate::ports::{Caller, GrantRecord, InsertGrantError, KeyRecord};

/// A page of [`Kms::list_grants`] or [`Kms::list_retirable_grants`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GrantPage {
    /// The page's grants, oldest first.
    pub grants: Vec<GrantRecord>,
    /// The offset of the next page (`marker`), `None` on the last page.
    pub next_marker: Option<u64>,
    /// How many grants there are in all.
    pub total: u64,
}

impl GrantPage {
    fn new(offset: u64, (total, grants): (u64, Vec<GrantRecord>)) -> Self {
        let end = offset.saturating_add(grants.len() as u64);
        Self {
            grants,
            next_marker: (end < total).then_some(end),
            total,
        }
    }

    /// Whether another page follows.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

fn not_found(key_id: &str) -> CoreError {
    CoreError::new(ErrorCode::KmsKeyNotFound, key_id.to_owned())
}

fn mismatch(grant_id: &str) -> CoreError {
    CoreError::new(ErrorCode::KmsGrantKeyMismatch, grant_id.to_owned())
}

impl Kms {
    /// The grants of key `key_id`: from the grant cache (the record
    /// cache's TTL, so a grant revoked through another replica stops
    /// admitting within that bound), else from storage (then cached).
    fn key_grants(&self, key_id: &str, now: i64) -> Res<Arc<Vec<GrantRecord>>> {
        if let Some(g) = self.key_grants.get(key_id, now) {
            return Ok(g);
        }
        let epoch = self.key_grants.epoch();
        let grants = Arc::new(
            self.ports
                .grants
                .grants_of_key(key_id)
                .map_err(kms_internal)?,
        );
        self.key_grants
            .insert(key_id, Arc::clone(&grants), epoch, now);
        Ok(grants)
    }

    /// Forgets what the caches hold of a key's grants; call after every
    /// store write that changed them.
    fn forget_grants(&self, key_id: &str) {
        self.key_grants.invalidate(key_id);
    }

    /// Another project's key that a grant lets `caller` use for `op`:
    /// `None` when `op` is not grantable, or no grant of the key names
    /// the caller for it. Called by [`Kms::find_key`] once the caller's
    /// own project has no such key.
    pub(super) fn granted_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        op: Operation,
        now: i64,
    ) -> Res<Option<Arc<KeyRecord>>> {
        let Some(granted) = GrantOperation::of(op) else {
            return Ok(None);
        };
        let grants = self.key_grants(key_id.as_str(), now)?;
        let Some(grant) = grants
            .iter()
            .find(|g| g.project_id != caller.project_id && g.admits(caller, granted))
        else {
            return Ok(None);
        };
        self.key_of_project(&grant.project_id, key_id.as_str(), now)
    }

    /// create-grant: the key's project (or a grantee holding
    /// `create-grant`, for operations its own grants hold) grants
    /// `operations` on the key to a user or an account.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), a key pending deletion (KMS.0210), a
    /// grantee asking for operations it does not hold (KMS.2403), the
    /// key's grant limit
    /// ([`CoreConfig::max_grants_per_key`](crate::CoreConfig), KMS.2404).
    pub fn create_grant(&self, caller: &Caller, req: &CreateGrantRequest) -> Res<GrantRecord> {
        self.audited(
            caller,
            Operation::CreateGrant,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.find_key(caller, &req.key_id, Operation::CreateGrant)?;
                if key.state == crate::ports::KeyState::PendingDeletion {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyPendingDeletion,
                        key.key_id.clone(),
                    ));
                }
                if key.project_id != caller.project_id {
                    // A grantee re-granting: only what its own grants
                    // (read fresh) let it do.
                    let own = self
                        .ports
                        .grants
                        .grants_of_key(&key.key_id)
                        .map_err(kms_internal)?;
                    let held = |op: &GrantOperation| {
                        own.iter()
                            .any(|g| g.project_id == key.project_id && g.admits(caller, *op))
                    };
                    if let Some(op) = req.operations.iter().find(|op| !held(op)) {
                        return Err(CoreError::new(
                            ErrorCode::KmsGrantCreateFailed,
                            format!("the caller's grants do not hold {}", op.as_str()),
                        ));
                    }
                }
                let mut raw = [0u8; 32];
                self.ports.entropy.fill(&mut raw).map_err(kms_internal)?;
                let grant = GrantRecord {
                    grant_id: base16ct::lower::encode_string(&raw),
                    key_id: key.key_id.clone(),
                    domain_id: key.domain_id.clone(),
                    project_id: key.project_id.clone(),
                    grantee_principal: req.grantee_principal.as_str().to_owned(),
                    grantee_type: req.grantee_type,
                    operations: req.operations.clone(),
                    issuing_principal: caller.principal().to_owned(),
                    retiring_principal: req
                        .retiring_principal
                        .as_ref()
                        .map(|p| p.as_str().to_owned()),
                    name: req.name.clone(),
                    creation_date: self.ports.clock.now(),
                };
                let written = self
                    .ports
                    .grants
                    .insert_grant(&grant, self.config.max_grants_per_key);
                self.forget_grants(&key.key_id);
                match written {
                    Ok(()) => Ok(grant),
                    Err(InsertGrantError::KeyNotFound) => Err(not_found(&key.key_id)),
                    Err(InsertGrantError::TooMany) => Err(CoreError::new(
                        ErrorCode::KmsTooManyKeyGrants,
                        format!(
                            "a key carries at most {} grants",
                            self.config.max_grants_per_key
                        ),
                    )),
                    Err(InsertGrantError::Backend(e)) => Err(kms_internal(e)),
                }
            },
        )
    }

    /// list-grants: a page of the key's grants, oldest first (the key's
    /// project only).
    ///
    /// # Errors
    /// Unknown key (KMS.0207).
    pub fn list_grants(&self, caller: &Caller, req: &ListGrantsRequest) -> Res<GrantPage> {
        self.audited(
            caller,
            Operation::ListGrants,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.find_key(caller, &req.key_id, Operation::ListGrants)?;
                let found = self
                    .ports
                    .grants
                    .list_grants(&key.project_id, &key.key_id, req.marker, req.limit)
                    .map_err(kms_internal)?;
                Ok(GrantPage::new(req.marker, found))
            },
        )
    }

    /// list-retirable-grants: a page of the grants naming the caller's
    /// user as their retiring principal, whatever their key's project
    /// (none for a caller with no user).
    ///
    /// # Errors
    /// Storage failures only.
    pub fn list_retirable_grants(
        &self,
        caller: &Caller,
        req: &ListRetirableGrantsRequest,
    ) -> Res<GrantPage> {
        self.audited(
            caller,
            Operation::ListRetirableGrants,
            Resource::None,
            sequence_text(req.sequence.as_ref()),
            || {
                let Some(user) = caller.user_id.as_deref() else {
                    return Ok(GrantPage::new(req.marker, (0, Vec::new())));
                };
                let found = self
                    .ports
                    .grants
                    .list_retirable_grants(user, req.marker, req.limit)
                    .map_err(kms_internal)?;
                Ok(GrantPage::new(req.marker, found))
            },
        )
    }

    /// revoke-grant: the key's project deletes one of its grants; it stops
    /// admitting at once on this instance, within the record cache's TTL
    /// on others sharing the store.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), a grant that is not the key's (KMS.2502).
    pub fn revoke_grant(&self, caller: &Caller, req: &RevokeGrantRequest) -> Res<()> {
        self.audited(
            caller,
            Operation::RevokeGrant,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.find_key(caller, &req.key_id, Operation::RevokeGrant)?;
                let deleted = self
                    .ports
                    .grants
                    .delete_grant(&key.key_id, req.grant_id.as_str());
                self.forget_grants(&key.key_id);
                if deleted.map_err(kms_internal)? {
                    Ok(())
                } else {
                    Err(mismatch(req.grant_id.as_str()))
                }
            },
        )
    }

    /// retire-grant: the grantee or the retiring principal gives the grant
    /// up (the key's project revokes instead).
    ///
    /// # Errors
    /// A grant the caller may not retire, or that is not the key's:
    /// KMS.0207 (the key does not exist for the caller); for the key's own
    /// project, KMS.2502.
    pub fn retire_grant(&self, caller: &Caller, req: &RevokeGrantRequest) -> Res<()> {
        self.audited(
            caller,
            Operation::RetireGrant,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let grants = self
                    .ports
                    .grants
                    .grants_of_key(req.key_id.as_str())
                    .map_err(kms_internal)?;
                let grant = grants.iter().find(|g| g.grant_id == req.grant_id.as_str());
                match grant {
                    Some(g) if g.retirable_by(caller) => {}
                    _ => {
                        let now = self.ports.clock.now().0;
                        let own = self
                            .key_of_project(&caller.project_id, req.key_id.as_str(), now)?
                            .is_some();
                        return Err(if own {
                            mismatch(req.grant_id.as_str())
                        } else {
                            not_found(req.key_id.as_str())
                        });
                    }
                }
                let deleted = self
                    .ports
                    .grants
                    .delete_grant(req.key_id.as_str(), req.grant_id.as_str());
                self.forget_grants(req.key_id.as_str());
                if deleted.map_err(kms_internal)? {
                    Ok(())
                } else {
                    Err(not_found(req.key_id.as_str()))
                }
            },
        )
    }
}
