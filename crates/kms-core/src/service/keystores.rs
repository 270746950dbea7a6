//! Dedicated keystores: create, list, show, delete, enable, disable.

use crate::error::CoreError;
use kms_model::{CreateKeystoreRequest, ErrorCode, KeystoreId, KeystoreRef, Operation, PageQuery};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::ports::{
    Caller, DeleteKeystoreOutcome, InsertKeystoreError, KeystoreRecord, KeystoreState,
};

/// A page of [`Kms::list_keystores`]: the caller's dedicated keystores,
/// oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeystorePage {
    /// How many keystores the caller has in all.
    pub total: u64,
    /// This page.
    pub keystores: Vec<KeystoreRecord>,
}

fn not_found(keystore_id: &str) -> CoreError {
    CoreError::new(ErrorCode::KmsKeystoreNotFound, keystore_id.to_owned())
}

impl Kms {
    /// create-keystore: a dedicated keystore on the caller's cluster, with
    /// its root key provisioned (an HSM token key for a PKCS#11 cluster),
    /// enabled.
    ///
    /// # Errors
    /// Unknown or foreign cluster (KMS.6002), cluster type mismatch
    /// (KMS.6006), CA certificate invalid (KMS.6005) or not the cluster's
    /// (KMS.6004), alias taken (KMS.6001), cluster already used (KMS.6003),
    /// root-key provider failures.
    pub fn create_keystore(
        &self,
        caller: &Caller,
        req: &CreateKeystoreRequest,
    ) -> Res<KeystoreRecord> {
        self.audited(
            caller,
            Operation::CreateKeystore,
            Resource::Created(|r: &KeystoreRecord| &r.keystore_id),
            None,
            || {
                self.check_keystore_cluster(caller, req)?;
                let record = KeystoreRecord {
                    keystore_id: self.new_id().map_err(kms_internal)?,
                    domain_id: caller.domain_id.clone(),
                    alias: req.keystore_alias.as_str().to_owned(),
                    keystore_type: req.keystore_type,
                    cluster_id: req.cluster_id.as_ref().map(|c| c.as_str().to_owned()),
                    state: KeystoreState::Enabled,
                    create_time: self.ports.clock.now(),
                };
                self.insert_new_keystore(&record)?;
                Ok(record)
            },
        )
    }

    /// The cluster a new keystore names is the caller's, of the keystore's
    /// type, and (when given) `hsm_ca_cert` is its CA certificate.
    pub(super) fn check_keystore_cluster(
        &self,
        caller: &Caller,
        req: &CreateKeystoreRequest,
    ) -> Res<()> {
        let Some(cluster_id) = &req.cluster_id else {
            return Ok(());
        };
        let cluster = self
            .ports
            .clusters
            .get_cluster(cluster_id.as_str())
            .map_err(kms_internal)?
            .filter(|c| c.domain_id == caller.domain_id)
            .ok_or_else(|| {
                CoreError::new(
                    ErrorCode::KmsClusterNotFound,
                    format!("cluster {cluster_id}"),
                )
            })?;
        if cluster.cluster_type != req.keystore_type {
            return Err(CoreError::new(
                ErrorCode::KmsKeystoreTypeMismatch,
                format!(
                    "cluster {cluster_id} is {}, keystore_type is {}",
                    cluster.cluster_type.as_str(),
                    req.keystore_type.as_str()
                ),
            ));
        }
        if let Some(pem) = &req.hsm_ca_cert {
            let ca = cert_parse::check_ca_certificate(pem.as_str())
                .map_err(|e| CoreError::new(ErrorCode::KmsInvalidCaCert, e.to_string()))?;
            let matches = cluster.ca_fingerprint.is_some_and(|fp| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    &fp[..],
                    &ca.sha256_fingerprint()[..],
                ))
            });
            if !matches {
                return Err(CoreError::bare(ErrorCode::KmsCaCertMismatch));
            }
        }
        Ok(())
    }

    /// Provisions a new keystore's root key, then stores the keystore
    /// (releasing the root key if it cannot be stored).
    pub(super) fn insert_new_keystore(&self, record: &KeystoreRecord) -> Res<()> {
        // The root key first (an HSM token key for a PKCS#11 cluster): a
        // stored keystore always has one.
        self.ports
            .root_keys
            .provision_keystore(record)
            .map_err(root_key_error)?;
        let inserted = self.ports.keystores.insert_keystore(record);
        if inserted.is_err() {
            // Nothing refers to the new root key: best effort, a leftover
            // wraps nothing.
            let _ = self.ports.root_keys.release_keystore(record);
        }
        self.forget_keystore(&record.keystore_id);
        match inserted {
            Ok(()) => Ok(()),
            Err(InsertKeystoreError::AliasTaken) => Err(CoreError::new(
                ErrorCode::KmsKeystoreAliasTaken,
                record.alias.clone(),
            )),
            Err(InsertKeystoreError::ClusterTaken) => Err(CoreError::new(
                ErrorCode::KmsClusterHasKeystore,
                format!(
                    "cluster {}",
                    record.cluster_id.as_deref().unwrap_or_default()
                ),
            )),
            Err(e) => Err(kms_internal(e)),
        }
    }

    /// The caller's dedicated keystore with this id, whatever its state,
    /// its root key attached.
    pub(super) fn find_dedicated_keystore(
        &self,
        caller: &Caller,
        id: &KeystoreId,
    ) -> Res<KeystoreRecord> {
        let r = self
            .ports
            .keystores
            .get_keystore(&caller.domain_id, id.as_str())
            .map_err(kms_internal)?
            .ok_or_else(|| not_found(id.as_str()))?;
        self.ports
            .root_keys
            .attach_keystore(&r)
            .map_err(root_key_error)?;
        Ok(r)
    }

    /// list-keystores: a page of the caller's dedicated keystores.
    ///
    /// # Errors
    /// Backend failure.
    pub fn list_keystores(&self, caller: &Caller, page: PageQuery) -> Res<KeystorePage> {
        self.audited(
            caller,
            Operation::ListKeystores,
            Resource::None,
            None,
            || {
                let (total, keystores) = self
                    .ports
                    .keystores
                    .list_keystores(&caller.domain_id, page.offset, page.limit)
                    .map_err(kms_internal)?;
                Ok(KeystorePage { total, keystores })
            },
        )
    }

    /// show-keystore: one of the caller's dedicated keystores.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007), root-key provider failures.
    pub fn show_keystore(&self, caller: &Caller, keystore_id: &KeystoreId) -> Res<KeystoreRecord> {
        self.audited(
            caller,
            Operation::ShowKeystore,
            Resource::Named(keystore_id.as_str()),
            None,
            || self.find_dedicated_keystore(caller, keystore_id),
        )
    }

    /// delete-keystore: deletes a keystore that holds no key (keys gone
    /// past their deletion time are purged first), and releases its root
    /// key.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007), keystore still has keys (KMS.6009).
    pub fn delete_keystore(&self, caller: &Caller, keystore_id: &KeystoreId) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteKeystore,
            Resource::Named(keystore_id.as_str()),
            None,
            || {
                let r = self.find_dedicated_keystore(caller, keystore_id)?;
                let delete = || {
                    self.ports
                        .keystores
                        .delete_keystore(&caller.domain_id, &r.keystore_id)
                };
                let mut outcome = delete();
                if outcome == Ok(DeleteKeystoreOutcome::HasKeys) && self.purge_gone_keys()? {
                    // The keys left may all be gone already.
                    outcome = delete();
                }
                self.forget_keystore(&r.keystore_id);
                match outcome.map_err(kms_internal)? {
                    // Its root key goes with it (it wrapped no key: a
                    // keystore with keys is not deleted).
                    DeleteKeystoreOutcome::Deleted => self
                        .ports
                        .root_keys
                        .release_keystore(&r)
                        .map_err(root_key_error),
                    DeleteKeystoreOutcome::NotFound => Err(not_found(keystore_id.as_str())),
                    DeleteKeystoreOutcome::HasKeys => {
                        Err(CoreError::bare(ErrorCode::KmsKeystoreHasKeys))
                    }
                }
            },
        )
    }

    /// Sets a keystore's state; the record as it is now.
    fn set_keystore_state(
        &self,
        caller: &Caller,
        keystore_id: &KeystoreId,
        action: Operation,
        state: KeystoreState,
    ) -> Res<KeystoreRecord> {
        self.audited(
            caller,
            action,
            Resource::Named(keystore_id.as_str()),
            None,
            || {
                let mut r = self.find_dedicated_keystore(caller, keystore_id)?;
                let found = self.ports.keystores.set_keystore_state(
                    &caller.domain_id,
                    &r.keystore_id,
                    state,
                );
                self.forget_keystore(&r.keystore_id);
                let found = found.map_err(kms_internal)?;
                if !found {
                    return Err(not_found(keystore_id.as_str()));
                }
                r.state = state;
                Ok(r)
            },
        )
    }

    /// enable-keystore: its keys may be used again.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn enable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &KeystoreId,
    ) -> Res<KeystoreRecord> {
        self.set_keystore_state(
            caller,
            keystore_id,
            Operation::EnableKeystore,
            KeystoreState::Enabled,
        )
    }

    /// disable-keystore: its keys refuse every cryptographic operation
    /// (KMS.6008) until it is enabled.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn disable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &KeystoreId,
    ) -> Res<KeystoreRecord> {
        self.set_keystore_state(
            caller,
            keystore_id,
            Operation::DisableKeystore,
            KeystoreState::Disabled,
        )
    }

    /// The stored id of a keystore the caller may use now: the default or
    /// a shared one, or an enabled dedicated keystore of the caller's.
    pub(super) fn usable_keystore(&self, caller: &Caller, keystore: &KeystoreRef) -> Res<String> {
        match keystore {
            KeystoreRef::Dedicated(id) => {
                let r = self.find_dedicated_keystore(caller, id)?;
                if r.state != KeystoreState::Enabled {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeystoreDisabled,
                        r.keystore_id,
                    ));
                }
                Ok(r.keystore_id)
            }
            builtin => Ok(builtin.as_str().to_owned()),
        }
    }
}
