//! The alias API: create, list, delete and associate (move) aliases of
//! CMKs, and the one resolution of an alias to the key it names.

use crate::error::CoreError;
use kms_model::{
    AliasName, AssociateAliasRequest, CreateAliasRequest, DeleteAliasRequest, ErrorCode, KeyId,
    ListAliasesRequest, MAX_ALIASES_PER_KEY, Operation,
};

use super::{Kms, Res, Resource, kms_internal};
use crate::ports::{AliasRecord, AliasWriteError, Caller, KeyRecord, KeyState};

/// A page of [`Kms::list_aliases`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AliasPage {
    /// The page, by alias.
    pub aliases: Vec<AliasRecord>,
    /// The `marker` of the next page: the page's last alias when more
    /// follow, else `None`.
    pub next_marker: Option<String>,
}

/// The wire error of a refused alias write.
fn alias_write_error(e: AliasWriteError, key_id: &str, alias: &str) -> CoreError {
    match e {
        AliasWriteError::KeyNotFound => {
            CoreError::new(ErrorCode::KmsKeyNotFound, key_id.to_owned())
        }
        AliasWriteError::AliasNotFound => {
            CoreError::new(ErrorCode::KmsKeyNotFound, format!("no alias {alias}"))
        }
        AliasWriteError::AliasTaken => {
            CoreError::new(ErrorCode::KmsDuplicateKeyAlias, alias.to_owned())
        }
        AliasWriteError::TooMany => CoreError::new(
            ErrorCode::KmsInvalidParameter,
            format!("a key carries at most {MAX_ALIASES_PER_KEY} aliases"),
        ),
        AliasWriteError::Backend(e) => kms_internal(e),
    }
}

/// A key an alias may be given to: not pending deletion (KMS.0210).
fn aliasable(key: &KeyRecord) -> Res<()> {
    if key.state == KeyState::PendingDeletion {
        return Err(CoreError::new(
            ErrorCode::KmsKeyPendingDeletion,
            key.key_id.clone(),
        ));
    }
    Ok(())
}

impl Kms {
    /// `POST /v1.0/{project_id}/kms/aliases`: a new alias for a key of the
    /// caller's project (unique in the project, at most 50 per key).
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), alias
    /// taken in the project (KMS.1104), the key's 50 aliases reached
    /// (KMS.0308).
    pub fn create_alias(&self, caller: &Caller, req: &CreateAliasRequest) -> Res<AliasRecord> {
        self.audited(
            caller,
            Operation::CreateAlias,
            Resource::Named(req.key_id.as_str()),
            None,
            || {
                let key = self.find_key(caller, &req.key_id, Operation::CreateAlias)?;
                aliasable(&key)?;
                let now = self.ports.clock.now();
                let record = AliasRecord {
                    domain_id: key.domain_id.clone(),
                    project_id: caller.project_id.clone(),
                    alias: req.alias.as_str().to_owned(),
                    key_id: key.key_id.clone(),
                    create_time: now,
                    update_time: now,
                };
                self.ports
                    .key_aliases
                    .insert_alias(&record, MAX_ALIASES_PER_KEY)
                    .map_err(|e| alias_write_error(e, &key.key_id, req.alias.as_str()))?;
                Ok(record)
            },
        )
    }

    /// `GET /v1.0/{project_id}/kms/aliases`: a page of the project's
    /// aliases (only one key's when `key_id` is given), by alias, after
    /// `marker`. Aliases of keys gone (pending deletion past their
    /// deletion time) are not listed; an unknown `key_id` lists nothing.
    ///
    /// # Errors
    /// Storage failure.
    pub fn list_aliases(&self, caller: &Caller, req: &ListAliasesRequest) -> Res<AliasPage> {
        self.audited(
            caller,
            Operation::ListAliases,
            req.key_id
                .as_ref()
                .map_or(Resource::None, |k| Resource::Named(k.as_str())),
            None,
            || {
                // One more than the page: whether another page follows.
                let mut aliases = self
                    .ports
                    .key_aliases
                    .list_aliases(
                        &caller.project_id,
                        req.key_id.as_ref().map(KeyId::as_str),
                        req.marker.as_ref().map(AliasName::as_str),
                        req.limit.saturating_add(1),
                        self.ports.clock.now(),
                    )
                    .map_err(kms_internal)?;
                let limit = usize::try_from(req.limit).unwrap_or(usize::MAX);
                let next_marker = if aliases.len() > limit {
                    aliases.truncate(limit);
                    aliases.last().map(|a| a.alias.clone())
                } else {
                    None
                };
                Ok(AliasPage {
                    aliases,
                    next_marker,
                })
            },
        )
    }

    /// `DELETE /v1.0/{project_id}/kms/aliases`: deletes every alias named,
    /// all or none; with `key_id`, each must name that key.
    ///
    /// # Errors
    /// An alias that does not exist in the project, or (with `key_id`)
    /// names another key (KMS.0207, nothing deleted).
    pub fn delete_aliases(&self, caller: &Caller, req: &DeleteAliasRequest) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteAlias,
            req.key_id
                .as_ref()
                .map_or(Resource::None, |k| Resource::Named(k.as_str())),
            None,
            || {
                let names: Vec<String> =
                    req.aliases.iter().map(|a| a.as_str().to_owned()).collect();
                let key_id = req.key_id.as_ref().map(KeyId::as_str);
                self.ports
                    .key_aliases
                    .delete_aliases(&caller.project_id, key_id, &names)
                    .map_err(|e| alias_write_error(e, key_id.unwrap_or_default(), &names.join(",")))
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/alias/associate`: moves an existing
    /// alias of the project to another key of the project.
    ///
    /// # Errors
    /// Unknown alias or target key (KMS.0207), target pending deletion
    /// (KMS.0210), the target's 50 aliases reached (KMS.0308).
    pub fn associate_alias(
        &self,
        caller: &Caller,
        req: &AssociateAliasRequest,
    ) -> Res<AliasRecord> {
        self.audited(
            caller,
            Operation::AssociateAlias,
            Resource::Named(req.target_key_id.as_str()),
            None,
            || {
                let key = self.find_key(caller, &req.target_key_id, Operation::AssociateAlias)?;
                aliasable(&key)?;
                self.ports
                    .key_aliases
                    .associate_alias(
                        &caller.project_id,
                        req.alias.as_str(),
                        &key.key_id,
                        MAX_ALIASES_PER_KEY,
                        self.ports.clock.now(),
                    )
                    .map_err(|e| alias_write_error(e, &key.key_id, req.alias.as_str()))
            },
        )
    }

    /// The key an alias of the caller's project names, read from storage
    /// on every call (an alias moved by another replica is seen at once).
    /// The one place an alias becomes a key id: the wire layer calls it
    /// for every key id given as `alias/...` where an operation accepts
    /// one (`docs/aliases.md`). The key's own rules (exists, enabled, ...)
    /// are then the operation's, as for a key id.
    ///
    /// # Errors
    /// No such alias in the project (KMS.0207), storage failure.
    pub fn resolve_alias(&self, caller: &Caller, alias: &AliasName) -> Res<KeyId> {
        let record = self
            .ports
            .key_aliases
            .get_alias(&caller.project_id, alias.as_str())
            .map_err(kms_internal)?
            .ok_or_else(|| {
                CoreError::new(ErrorCode::KmsKeyNotFound, format!("no alias {alias}"))
            })?;
        KeyId::parse(&record.key_id).map_err(|e| {
            kms_internal(
                crate::ports::PortError::corrupt("stored alias names a malformed key id")
                    .with_source(e),
            )
        })
    }

    /// An alias's resource locator, `kms:{region}:{domain_id}:alias:{alias}`
    /// (the API reference's form).
    #[must_use]
    pub fn alias_urn(&self, a: &AliasRecord) -> String {
        format!(
            "kms:{}:{}:alias:{}",
            self.config.region_id, a.domain_id, a.alias
        )
    }
}
