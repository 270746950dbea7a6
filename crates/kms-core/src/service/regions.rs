//! Multi-region keys: replicate-key, update-primary-region, and the one
//! place a ciphertext made by another member of a key's group is opened.
//!
//! A group is keys of one account in different regions (each region's
//! projects named in [`CoreConfig::regions`](crate::CoreConfig)) holding
//! the same symmetric material, each version wrapped for the member's own
//! key id: a member opens what any other member sealed, by re-deriving the
//! other member's master key (same secret, that member's key id and
//! version) and binding the ciphertext to that member's project. Groups
//! do not rotate (their members' versions would drift apart): rotation
//! is refused for a member, and a key with rotation on is not replicated.

use kms_crypto::MasterKey;
use kms_model::{
    CmkSpec, ErrorCode, KeyId, KeyUsage, Operation, ReplicateKeyRequest, UpdatePrimaryRegionRequest,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::error::CoreError;
use crate::ports::{
    Caller, GroupMember, InsertReplicaError, KeyOrigin, KeyRecord, KeyRotation, KeyState, KeyTag,
    TagWriteError,
};

/// A region this deployment serves and the projects in it (each of one
/// account): where replica keys may be created, and the region keys of
/// those projects are in. A project named in no region is in
/// [`CoreConfig::region_id`](crate::CoreConfig).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegionConfig {
    /// The region id (`cn-north-4`).
    pub region_id: String,
    /// Its projects.
    pub projects: Vec<ProjectRef>,
}

/// A project and its account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectRef {
    /// The project id.
    pub project_id: String,
    /// The account (domain) it belongs to.
    pub domain_id: String,
}

/// A replica made by [`Kms::replicate_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replica {
    /// The replica's key id.
    pub key_id: String,
    /// Its account.
    pub domain_id: String,
    /// Its region.
    pub region_id: String,
}

fn refused(why: impl Into<String>) -> CoreError {
    CoreError::new(ErrorCode::KmsInvalidParameter, why)
}

impl Kms {
    /// The region a project's keys are in.
    pub(crate) fn region_of(&self, project_id: &str) -> &str {
        self.config
            .regions
            .iter()
            .find(|r| r.projects.iter().any(|p| p.project_id == project_id))
            .map_or(self.config.region_id.as_str(), |r| r.region_id.as_str())
    }

    /// Every region served: [`CoreConfig::region_id`](crate::CoreConfig)
    /// first, then the configured ones, each once.
    pub(crate) fn regions_served(&self) -> Vec<String> {
        let mut out = vec![self.config.region_id.clone()];
        for r in &self.config.regions {
            if !out.contains(&r.region_id) {
                out.push(r.region_id.clone());
            }
        }
        out
    }

    /// The multi-region group of a key (empty: in none).
    pub(super) fn key_group(&self, key_id: &str) -> Res<Vec<GroupMember>> {
        self.ports.keys.key_group(key_id).map_err(kms_internal)
    }

    /// A key's place in its multi-region group, for describe-key:
    /// `Some(true)` its primary, `Some(false)` a replica, `None` in no
    /// group.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn group_role(&self, key_id: &str) -> Res<Option<bool>> {
        Ok(self
            .key_group(key_id)?
            .iter()
            .find(|m| m.key_id == key_id)
            .map(|m| m.primary))
    }

    /// A member of a key's multi-region group, if it is in one: refused
    /// rotation (on demand, on schedule, or turned on), which would let
    /// the members' versions drift apart.
    pub(super) fn refuse_group_rotation(&self, key: &KeyRecord) -> Res<()> {
        if self.key_group(&key.key_id)?.is_empty() {
            Ok(())
        } else {
            Err(refused(format!(
                "key {} is a multi-region key: multi-region keys do not rotate",
                key.key_id
            )))
        }
    }

    /// For a ciphertext naming `blob_key_id`, a key of another project:
    /// the caller's own member of that key's multi-region group, and that
    /// key's membership (its project binds the ciphertext). `None` when
    /// the key is in no group or the group has no member in the caller's
    /// project.
    pub(super) fn group_peer(
        &self,
        caller: &Caller,
        blob_key_id: &str,
    ) -> Res<Option<(KeyId, GroupMember)>> {
        let group = self.key_group(blob_key_id)?;
        let Some(theirs) = group.iter().find(|m| m.key_id == blob_key_id) else {
            return Ok(None);
        };
        let Some(mine) = group
            .iter()
            .find(|m| m.project_id == caller.project_id && m.key_id != blob_key_id)
        else {
            return Ok(None);
        };
        let mine = KeyId::parse(&mine.key_id).map_err(kms_internal)?;
        Ok(Some((mine, theirs.clone())))
    }

    /// `peer`'s master key of `version`, re-derived from `key`'s (the same
    /// secret, in one group): it opens what `peer` sealed.
    pub(super) fn peer_master_key(
        &self,
        key: &KeyRecord,
        peer_key_id: &str,
        version: u32,
    ) -> Res<MasterKey> {
        let mk = self.master_key(key, version)?;
        mk.relabelled(peer_key_id, version).map_err(kms_internal)
    }

    /// replicate-key: a new key in `replica_project_id` (a project of the
    /// caller's account in `replica_region`) holding the key's material,
    /// every version, wrapped for the new key id; both keys then form (or
    /// the new one joins) the key's multi-region group, the key its
    /// primary. The replica is enabled, its rotation off, its alias,
    /// description and tags the request's.
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key; a key that is not an
    /// `AES_256` or `SM4` `ENCRYPT_DECRYPT` key of the default keystore
    /// generated here, has rotation on, or is a replica; a region not
    /// served, the key's own, or one the group has a member in; a project
    /// not of the caller's account in that region (KMS.0308); the replica
    /// project at its key quota (KMS.1105); the alias taken there
    /// (KMS.1104); root-key or store failures.
    pub fn replicate_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        req: &ReplicateKeyRequest,
    ) -> Res<Replica> {
        self.audited(
            caller,
            Operation::ReplicateKey,
            Resource::Named(key_id.as_str()),
            None,
            || self.replicate_unaudited(caller, key_id, req),
        )
    }

    fn replicate_unaudited(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        req: &ReplicateKeyRequest,
    ) -> Res<Replica> {
        let key = self.usable_key(caller, key_id, None, Operation::ReplicateKey)?;
        if !matches!(key.spec, CmkSpec::Aes256 | CmkSpec::Sm4)
            || key.usage != KeyUsage::EncryptDecrypt
        {
            return Err(refused(format!(
                "key {} is a {} key: only AES_256 and SM4 keys are replicated",
                key.key_id,
                key.spec.as_str()
            )));
        }
        if key.keystore_id != "0" || key.origin != KeyOrigin::Kms {
            return Err(refused(format!(
                "key {}: only keys of the default keystore generated by the service are replicated",
                key.key_id
            )));
        }
        if key.rotation.enabled {
            return Err(refused(format!(
                "key {} has rotation on: multi-region keys do not rotate (disable it first)",
                key.key_id
            )));
        }
        let group = self.key_group(&key.key_id)?;
        let source = match group.iter().find(|m| m.key_id == key.key_id) {
            Some(m) if !m.primary => {
                return Err(refused(format!(
                    "key {} is a replica: replicate its group's primary",
                    key.key_id
                )));
            }
            Some(m) => m.clone(),
            None => GroupMember {
                key_id: key.key_id.clone(),
                project_id: key.project_id.clone(),
                domain_id: key.domain_id.clone(),
                region_id: self.region_of(&key.project_id).to_owned(),
                group_id: key.key_id.clone(),
                primary: true,
            },
        };
        let region = self
            .config
            .regions
            .iter()
            .find(|r| r.region_id == req.replica_region)
            .ok_or_else(|| {
                refused(format!(
                    "region {} is not served (list-support-regions)",
                    req.replica_region
                ))
            })?;
        let region_taken = || {
            refused(format!(
                "key {} has a member in region {} already",
                key.key_id, region.region_id
            ))
        };
        if region.region_id == source.region_id
            || group.iter().any(|m| m.region_id == region.region_id)
        {
            return Err(region_taken());
        }
        if !region
            .projects
            .iter()
            .any(|p| p.project_id == req.replica_project_id && p.domain_id == caller.domain_id)
        {
            return Err(refused(format!(
                "project {} is not a project of this account in region {}",
                req.replica_project_id, region.region_id
            )));
        }
        let owner = Caller::new(caller.domain_id.as_str(), req.replica_project_id.as_str());
        self.check_key_quota(&owner)?;
        let replica_id = self.new_id().map_err(kms_internal)?;
        let mut versions = Vec::with_capacity(key.current_version as usize);
        for v in 1..=key.current_version {
            let mk = self.master_key(&key, v)?;
            let copy = mk.relabelled(&replica_id, v).map_err(kms_internal)?;
            versions.push(
                self.ports
                    .root_keys
                    .wrap_master_key("0", &copy)
                    .map_err(root_key_error)?,
            );
        }
        let record = KeyRecord {
            key_id: replica_id.clone(),
            domain_id: caller.domain_id.clone(),
            project_id: req.replica_project_id.clone(),
            alias: req.key_alias.as_str().to_owned(),
            description: req.key_description.clone(),
            keystore_id: "0".to_owned(),
            state: KeyState::Enabled,
            current_version: key.current_version,
            create_time: self.ports.clock.now(),
            deletion_time: None,
            rotation: KeyRotation::default(),
            spec: key.spec,
            usage: key.usage,
            origin: KeyOrigin::Kms,
            material_expiry: None,
        };
        let replica = GroupMember {
            key_id: replica_id.clone(),
            project_id: req.replica_project_id.clone(),
            domain_id: caller.domain_id.clone(),
            region_id: region.region_id.clone(),
            group_id: source.group_id.clone(),
            primary: false,
        };
        match self
            .ports
            .keys
            .insert_replica(&source, &record, &versions, &replica)
        {
            Ok(()) => {}
            Err(InsertReplicaError::AliasTaken) => {
                return Err(CoreError::new(
                    ErrorCode::KmsDuplicateKeyAlias,
                    req.key_alias.as_str().to_owned(),
                ));
            }
            Err(InsertReplicaError::RegionTaken) => return Err(region_taken()),
            Err(InsertReplicaError::SourceGone) => {
                return Err(CoreError::new(
                    ErrorCode::KmsKeyNotFound,
                    key.key_id.clone(),
                ));
            }
            Err(e) => return Err(kms_internal(e)),
        }
        if !req.tags.is_empty() {
            let tags: Vec<KeyTag> = req
                .tags
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                .collect();
            match self.ports.key_tags.update_key_tags(
                &req.replica_project_id,
                &replica_id,
                &tags,
                &[],
                kms_model::MAX_TAGS_PER_KEY,
            ) {
                Ok(()) => {}
                Err(TagWriteError::TooMany) => {
                    return Err(CoreError::new(ErrorCode::KmsTooManyTags, replica_id));
                }
                Err(e) => return Err(kms_internal(e)),
            }
        }
        Ok(Replica {
            key_id: replica_id,
            domain_id: caller.domain_id.clone(),
            region_id: region.region_id.clone(),
        })
    }

    /// update-primary-region: makes the member of the key's group in
    /// `primary_region` the group's primary (the key, the primary until
    /// now, becomes a replica). Returns the new primary region.
    ///
    /// # Errors
    /// Unknown or pending-deletion key; a key in no group, not the
    /// group's primary, or a region the group has no member in (KMS.0308).
    pub fn update_primary_region(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        req: &UpdatePrimaryRegionRequest,
    ) -> Res<String> {
        self.audited(
            caller,
            Operation::UpdatePrimaryRegion,
            Resource::Named(key_id.as_str()),
            None,
            || {
                let key = self.find_key(caller, key_id, Operation::UpdatePrimaryRegion)?;
                if key.state == KeyState::PendingDeletion {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyPendingDeletion,
                        key.key_id.clone(),
                    ));
                }
                let group = self.key_group(&key.key_id)?;
                let Some(me) = group.iter().find(|m| m.key_id == key.key_id) else {
                    return Err(refused(format!(
                        "key {} is not a multi-region key",
                        key.key_id
                    )));
                };
                if !me.primary {
                    return Err(refused(format!(
                        "key {} is a replica: update the primary region through the primary",
                        key.key_id
                    )));
                }
                if me.region_id == req.primary_region {
                    return Ok(me.region_id.clone());
                }
                let Some(next) = group.iter().find(|m| m.region_id == req.primary_region) else {
                    return Err(refused(format!(
                        "key {} has no member in region {}",
                        key.key_id, req.primary_region
                    )));
                };
                if !self
                    .ports
                    .keys
                    .set_group_primary(&next.key_id)
                    .map_err(kms_internal)?
                {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotFound,
                        key.key_id.clone(),
                    ));
                }
                Ok(next.region_id.clone())
            },
        )
    }
}
