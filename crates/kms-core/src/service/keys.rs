//! CMKs: create, the lookups every key operation shares, and the state
//! changes (enable, disable, schedule deletion).

use std::sync::Arc;

use kms_crypto::MasterKey;
use kms_model::{
    ApiError, CreateKeyRequest, CreateKeyRequestBody, CreateKeyResponseBody, ErrorCode, KeyId,
    KeyInfo, KeyStateInfo, KeyStateResponseBody, KeystoreRef, OperateKeyRequestBody, PresentedPin,
    ScheduleKeyDeletionRequestBody, ScheduleKeyDeletionResponseBody,
};

use super::{Kms, Res, Resource, kms_internal, page_param, root_key_error};
use crate::ports::{
    Caller, EntropyRng, InsertKeyError, KeyRecord, KeyState, KeystoreRecord, KeystoreState,
    Timestamp,
};

impl Kms {
    /// `POST /v1.0/{project_id}/kms/create-key`: an AES-256 CMK, its
    /// material generated here and stored only wrapped under the keystore's
    /// root key.
    ///
    /// # Errors
    /// Validation errors, unknown or disabled keystore, alias taken (KMS.1104).
    pub fn create_key(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Res<CreateKeyResponseBody> {
        self.audited(
            caller,
            "create-key",
            Resource::Created(|r: &CreateKeyResponseBody| &r.key_info.key_id),
            body.sequence.as_deref(),
            || self.create_key_unaudited(caller, body),
        )
    }

    fn create_key_unaudited(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Res<CreateKeyResponseBody> {
        let req = CreateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
        let keystore_id = self.usable_keystore(caller, &req.keystore)?;
        let key_id = self.new_id().map_err(kms_internal)?;
        let key = MasterKey::generate(&mut EntropyRng(&*self.ports.entropy), &key_id, 1)
            .map_err(kms_internal)?;
        let wrapped = self
            .ports
            .root_keys
            .wrap_master_key(&keystore_id, &key)
            .map_err(root_key_error)?;
        let record = KeyRecord {
            key_id: key_id.clone(),
            domain_id: caller.domain_id.clone(),
            project_id: caller.project_id.clone(),
            alias: req.key_alias.as_str().to_owned(),
            description: req.key_description,
            keystore_id,
            state: KeyState::Enabled,
            current_version: 1,
            create_time: self.ports.clock.now(),
            deletion_time: None,
        };
        match self.ports.keys.insert_key(&record, &wrapped) {
            Ok(()) => {}
            Err(InsertKeyError::AliasTaken) => {
                return Err(ApiError::new(ErrorCode::KmsDuplicateKeyAlias, record.alias));
            }
            Err(InsertKeyError::KeystoreGone) => {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreNotFound,
                    record.keystore_id,
                ));
            }
            Err(e) => return Err(kms_internal(e)),
        }
        self.master_keys.insert(key);
        Ok(CreateKeyResponseBody {
            key_info: KeyInfo {
                key_id,
                domain_id: caller.domain_id.clone(),
                region_id: self.config.region_id.clone(),
            },
        })
    }

    /// The key record of the caller's project, whatever its state: from
    /// the record cache, else from storage (then cached).
    fn find_key(&self, caller: &Caller, key_id: &KeyId) -> Res<Arc<KeyRecord>> {
        let not_found = || ApiError::new(ErrorCode::KmsKeyNotFound, key_id.as_str().to_owned());
        let now = self.ports.clock.now().0;
        if let Some(k) = self.key_records.get(key_id.as_str(), now) {
            // Key ids are unique across projects: another project's key
            // is one this caller cannot see.
            return if k.project_id == caller.project_id {
                Ok(k)
            } else {
                Err(not_found())
            };
        }
        let epoch = self.key_records.epoch();
        let key = self
            .ports
            .keys
            .get_key(&caller.project_id, key_id.as_str())
            .map_err(kms_internal)?
            .ok_or_else(not_found)?;
        self.key_records
            .insert(key_id.as_str(), Arc::clone(&key), epoch, now);
        Ok(key)
    }

    /// The dedicated keystore a key lives in, from the record cache or
    /// storage.
    fn key_keystore(&self, key: &KeyRecord) -> Res<Arc<KeystoreRecord>> {
        let not_found = || ApiError::new(ErrorCode::KmsKeystoreNotFound, key.keystore_id.clone());
        let now = self.ports.clock.now().0;
        if let Some(ks) = self.keystore_records.get(&key.keystore_id, now) {
            return if ks.domain_id == key.domain_id {
                Ok(ks)
            } else {
                Err(not_found())
            };
        }
        let epoch = self.keystore_records.epoch();
        let ks = Arc::new(
            self.ports
                .keystores
                .get_keystore(&key.domain_id, &key.keystore_id)
                .map_err(kms_internal)?
                .ok_or_else(not_found)?,
        );
        self.ports
            .root_keys
            .attach_keystore(&ks)
            .map_err(root_key_error)?;
        self.keystore_records
            .insert(&key.keystore_id, Arc::clone(&ks), epoch, now);
        Ok(ks)
    }

    /// A key usable for cryptography: exists in the project, enabled, its
    /// keystore enabled, the PIN (if presented) verified.
    pub(super) fn usable_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        pin: Option<&PresentedPin>,
    ) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id)?;
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(ApiError::new(ErrorCode::KmsKeyDisabled, key.key_id.clone()));
            }
            KeyState::PendingDeletion => {
                return Err(ApiError::new(
                    ErrorCode::KmsKeyPendingDeletion,
                    key.key_id.clone(),
                ));
            }
        }
        if KeystoreRef::is_dedicated_id(&key.keystore_id) {
            let ks = self.key_keystore(&key)?;
            if ks.state != KeystoreState::Enabled {
                return Err(ApiError::new(
                    ErrorCode::KmsKeystoreDisabled,
                    ks.keystore_id.clone(),
                ));
            }
        }
        if let Some(pin) = pin {
            self.check_pin(caller, &key, pin)?;
        }
        Ok(key)
    }

    /// The unwrapped material of a key version: from the cache, else from
    /// storage through the root-key provider (and then cached).
    pub(super) fn master_key(&self, key: &KeyRecord, version: u32) -> Res<Arc<MasterKey>> {
        if let Some(k) = self.master_keys.get(&key.key_id, version) {
            return Ok(k);
        }
        let wrapped = self
            .ports
            .keys
            .get_key_material(&key.key_id, version)
            .map_err(kms_internal)?
            .ok_or_else(|| ApiError::new(ErrorCode::KmsInvalidCipherText, "unknown key version"))?;
        let mk = self
            .ports
            .root_keys
            .unwrap_master_key(&key.keystore_id, &key.key_id, version, &wrapped)
            .map_err(root_key_error)?;
        Ok(self.master_keys.insert(mk))
    }

    fn set_key_state(
        &self,
        caller: &Caller,
        key_id: &str,
        action: &'static str,
        sequence: Option<&str>,
        to: KeyState,
        days: Option<u64>,
    ) -> Res<KeyRecord> {
        self.audited(caller, action, Resource::Named(key_id), sequence, || {
            let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
            sequence
                .map(kms_model::Sequence::parse)
                .transpose()
                .map_err(|e| e.to_kms())?;
            let key = self.find_key(caller, &id)?;
            if key.state == KeyState::PendingDeletion {
                // Nothing leaves pending deletion but cancel-key-deletion.
                return Err(ApiError::new(
                    ErrorCode::KmsKeyPendingDeletion,
                    key.key_id.clone(),
                ));
            }
            let deletion = days.map(|d| {
                let ms = i64::try_from(d).unwrap_or(0).saturating_mul(86_400_000);
                Timestamp(self.ports.clock.now().0.saturating_add(ms))
            });
            let written =
                self.ports
                    .keys
                    .set_key_state(&caller.project_id, &key.key_id, to, deletion);
            // After the write, whatever its outcome: no request that starts
            // once this returns sees the old state.
            self.key_records.invalidate(&key.key_id);
            if !written.map_err(kms_internal)? {
                return Err(ApiError::new(ErrorCode::KmsKeyNotFound, key.key_id.clone()));
            }
            Ok(KeyRecord {
                state: to,
                deletion_time: deletion,
                ..(*key).clone()
            })
        })
    }

    fn switch_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
        action: &'static str,
        to: KeyState,
    ) -> Res<KeyStateResponseBody> {
        let k = self.set_key_state(
            caller,
            &body.key_id,
            action,
            body.sequence.as_deref(),
            to,
            None,
        )?;
        Ok(KeyStateResponseBody {
            key_info: KeyStateInfo {
                key_id: k.key_id,
                key_state: k.state.as_str().to_owned(),
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/enable-key`.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210).
    pub fn enable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, "enable-key", KeyState::Enabled)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key`.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210).
    pub fn disable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, "disable-key", KeyState::Disabled)
    }

    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`: `pending_days`
    /// 7..=1096.
    ///
    /// # Errors
    /// Bad `pending_days` (KMS.0308), unknown key, already pending.
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        body: &ScheduleKeyDeletionRequestBody,
    ) -> Res<ScheduleKeyDeletionResponseBody> {
        let days = page_param("pending_days", Some(body.pending_days.as_str()), 7, 7, 1096)
            .map_err(|e| e.to_kms())?;
        let k = self.set_key_state(
            caller,
            &body.key_id,
            "schedule-key-deletion",
            body.sequence.as_deref(),
            KeyState::PendingDeletion,
            Some(days),
        )?;
        Ok(ScheduleKeyDeletionResponseBody {
            key_id: k.key_id,
            key_state: k.state.as_str().to_owned(),
        })
    }
}
