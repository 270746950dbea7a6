//! Dedicated keystores: create, list, show, delete, enable, disable.

use crate::error::CoreError;
use kms_model::Operation;
use kms_model::{
    CreateKeyStoreRequestBody, CreateKeyStoreResponseBody, CreateKeystoreRequest, ErrorCode,
    KeystoreDetails, KeystoreInfo, KeystoreRef, KeystoreStateInfo, KeystoreStateResponseBody,
    KeystoreType, ListKeyStoresResponseBody, ShowKeyStoreResponseBody,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::ports::{
    Caller, DeleteKeystoreOutcome, InsertKeystoreError, KeystoreRecord, KeystoreState,
};

fn keystore_details(r: &KeystoreRecord) -> KeystoreDetails {
    let cluster = r.cluster_id.clone().unwrap_or_default();
    KeystoreDetails {
        keystore_id: r.keystore_id.clone(),
        domain_id: r.domain_id.clone(),
        keystore_alias: r.alias.clone(),
        keystore_type: r.keystore_type.as_str().to_owned(),
        hsm_cluster_id: if r.keystore_type == KeystoreType::Dhsm {
            cluster.clone()
        } else {
            String::new()
        },
        cluster_id: cluster,
        create_time: r.create_time.0.to_string(),
    }
}

fn not_found(keystore_id: &str) -> CoreError {
    CoreError::new(ErrorCode::KmsKeystoreNotFound, keystore_id.to_owned())
}

impl Kms {
    /// `POST /v1.0/{project_id}/keystores`.
    ///
    /// # Errors
    /// Validation errors, unknown or foreign cluster (KMS.6002), cluster
    /// type mismatch (KMS.6006), CA certificate invalid (KMS.6005) or not
    /// the cluster's (KMS.6004), alias taken (KMS.6001), cluster already
    /// used (KMS.6003).
    pub fn create_keystore(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Res<CreateKeyStoreResponseBody> {
        self.audited(
            caller,
            Operation::CreateKeystore,
            Resource::Created(|r: &CreateKeyStoreResponseBody| &r.keystore.keystore_id),
            None,
            || self.create_keystore_unaudited(caller, body),
        )
    }

    fn create_keystore_unaudited(
        &self,
        caller: &Caller,
        body: &CreateKeyStoreRequestBody,
    ) -> Res<CreateKeyStoreResponseBody> {
        let req = CreateKeystoreRequest::from_body(body).map_err(|e| e.to_kms())?;
        self.check_keystore_cluster(caller, &req)?;
        let record = KeystoreRecord {
            keystore_id: self.new_id().map_err(kms_internal)?,
            domain_id: caller.domain_id.clone(),
            alias: req.keystore_alias.as_str().to_owned(),
            keystore_type: req.keystore_type,
            cluster_id: req.cluster_id.map(|c| c.as_str().to_owned()),
            state: KeystoreState::Enabled,
            create_time: self.ports.clock.now(),
        };
        self.insert_new_keystore(&record)?;
        Ok(CreateKeyStoreResponseBody {
            keystore: KeystoreInfo {
                keystore_id: record.keystore_id,
                domain_id: record.domain_id,
            },
        })
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

    /// The caller's dedicated keystore with this id, whatever its state.
    pub(super) fn find_keystore(&self, caller: &Caller, keystore_id: &str) -> Res<KeystoreRecord> {
        let id = kms_model::KeystoreId::parse_field("keystore_id", keystore_id)
            .map_err(|e| e.to_kms())?;
        let r = self
            .ports
            .keystores
            .get_keystore(&caller.domain_id, id.as_str())
            .map_err(kms_internal)?
            .ok_or_else(|| not_found(keystore_id))?;
        self.ports
            .root_keys
            .attach_keystore(&r)
            .map_err(root_key_error)?;
        Ok(r)
    }

    /// `GET /v1.0/{project_id}/keystores?limit=&offset=`.
    ///
    /// # Errors
    /// Bad paging parameters (KMS.0308), backend failure.
    pub fn list_keystores(
        &self,
        caller: &Caller,
        offset: Option<&str>,
        limit: Option<&str>,
    ) -> Res<ListKeyStoresResponseBody> {
        self.audited(
            caller,
            Operation::ListKeystores,
            Resource::None,
            None,
            || {
                let kms_model::PageQuery { offset, limit } =
                    kms_model::PageQuery::keystores(offset, limit).map_err(|e| e.to_kms())?;
                let (total, records) = self
                    .ports
                    .keystores
                    .list_keystores(&caller.domain_id, offset, limit)
                    .map_err(kms_internal)?;
                Ok(ListKeyStoresResponseBody {
                    total,
                    keystores: records.iter().map(keystore_details).collect(),
                })
            },
        )
    }

    /// `GET /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn show_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<ShowKeyStoreResponseBody> {
        self.audited(
            caller,
            Operation::ShowKeystore,
            Resource::Named(keystore_id),
            None,
            || {
                let r = self.find_keystore(caller, keystore_id)?;
                Ok(ShowKeyStoreResponseBody {
                    keystore: keystore_details(&r),
                })
            },
        )
    }

    /// `DELETE /v1.0/{project_id}/keystores/{keystore_id}`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007), keystore still has keys (KMS.6009).
    pub fn delete_keystore(&self, caller: &Caller, keystore_id: &str) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteKeystore,
            Resource::Named(keystore_id),
            None,
            || {
                let r = self.find_keystore(caller, keystore_id)?;
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
                    DeleteKeystoreOutcome::NotFound => Err(not_found(keystore_id)),
                    DeleteKeystoreOutcome::HasKeys => {
                        Err(CoreError::bare(ErrorCode::KmsKeystoreHasKeys))
                    }
                }
            },
        )
    }

    fn set_keystore_state(
        &self,
        caller: &Caller,
        keystore_id: &str,
        action: Operation,
        state: KeystoreState,
    ) -> Res<KeystoreStateResponseBody> {
        self.audited(caller, action, Resource::Named(keystore_id), None, || {
            let r = self.find_keystore(caller, keystore_id)?;
            let found =
                self.ports
                    .keystores
                    .set_keystore_state(&caller.domain_id, &r.keystore_id, state);
            self.forget_keystore(&r.keystore_id);
            let found = found.map_err(kms_internal)?;
            if !found {
                return Err(not_found(keystore_id));
            }
            Ok(KeystoreStateResponseBody {
                keystore: KeystoreStateInfo {
                    keystore_id: r.keystore_id,
                    keystore_state: state.as_str().to_owned(),
                },
            })
        })
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/enable`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn enable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<KeystoreStateResponseBody> {
        self.set_keystore_state(
            caller,
            keystore_id,
            Operation::EnableKeystore,
            KeystoreState::Enabled,
        )
    }

    /// `POST /v1.0/{project_id}/keystores/{keystore_id}/disable`.
    ///
    /// # Errors
    /// Unknown keystore (KMS.6007).
    pub fn disable_keystore(
        &self,
        caller: &Caller,
        keystore_id: &str,
    ) -> Res<KeystoreStateResponseBody> {
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
                let r = self.find_keystore(caller, id.as_str())?;
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
