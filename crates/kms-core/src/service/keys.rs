//! CMKs: create, the lookups every key operation shares, and the state
//! changes (enable, disable, schedule deletion).

use crate::error::CoreError;
use std::sync::Arc;

use kms_crypto::{CipherSuite, MasterKey, SigningKey, SigningKeySpec};
use kms_model::Operation;
use kms_model::{
    CancelKeyDeletionResponseBody, CmkSpec, CreateKeyRequest, CreateKeyRequestBody,
    CreateKeyResponseBody, ErrorCode, KeyAliasInfo, KeyDescriptionInfo, KeyDetails, KeyId, KeyInfo,
    KeySpecFilter, KeyStateInfo, KeyStateResponseBody, KeyUsage, KeystoreRef,
    ListKeyDetailResponseBody, ListKeysRequest, ListKeysRequestBody, ListKeysResponseBody,
    OperateKeyRequest, OperateKeyRequestBody, PresentedPin, ScheduleKeyDeletionRequestBody,
    ScheduleKeyDeletionResponseBody, UpdateKeyAliasRequest, UpdateKeyAliasRequestBody,
    UpdateKeyAliasResponseBody, UpdateKeyDescriptionRequest, UpdateKeyDescriptionRequestBody,
    UpdateKeyDescriptionResponseBody,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::ports::{
    Caller, EntropyRng, InsertKeyError, KeyListQuery, KeyMaterial, KeyOrigin, KeyRecord,
    KeyRotation, KeyState, KeystoreRecord, KeystoreState, Timestamp, UpdateKeyAliasError,
};

/// The kms-crypto spec of a key pair; `None` for a symmetric key.
pub(super) fn signing_spec(spec: CmkSpec) -> Option<SigningKeySpec> {
    match spec {
        CmkSpec::Aes256 | CmkSpec::Sm4 => None,
        CmkSpec::Sm2 => Some(SigningKeySpec::Sm2),
        CmkSpec::Rsa2048 => Some(SigningKeySpec::Rsa2048),
        CmkSpec::Rsa3072 => Some(SigningKeySpec::Rsa3072),
        CmkSpec::Rsa4096 => Some(SigningKeySpec::Rsa4096),
        CmkSpec::EcP256 => Some(SigningKeySpec::EcP256),
        CmkSpec::EcP384 => Some(SigningKeySpec::EcP384),
    }
}

/// The cipher suite of a symmetric CMK's blobs: AES-256-GCM for AES_256,
/// SM4-GCM (HKDF-SM3) for SM4; a key pair has none (KMS.0325: an
/// asymmetric key does not do symmetric operations).
pub(super) fn cmk_suite(key: &KeyRecord) -> Res<CipherSuite> {
    match key.spec {
        CmkSpec::Aes256 => Ok(CipherSuite::Aes256Gcm),
        CmkSpec::Sm4 => Ok(CipherSuite::Sm4Gcm),
        spec => Err(CoreError::new(
            ErrorCode::KmsAsymmetricUnsupported,
            format!(
                "key {} is a {} key pair, not a symmetric key",
                key.key_id,
                spec.as_str()
            ),
        )),
    }
}

/// A key pending deletion whose deletion time has come: gone.
pub(super) fn is_gone(k: &KeyRecord, now: Timestamp) -> bool {
    k.state == KeyState::PendingDeletion && k.deletion_time.is_some_and(|t| t <= now)
}

impl Kms {
    /// `POST /v1.0/{project_id}/kms/create-key`: an AES-256 CMK, its
    /// material generated here and stored only wrapped under the keystore's
    /// root key.
    ///
    /// # Errors
    /// Validation errors, unknown or disabled keystore, the project at its
    /// key quota (KMS.1105), alias taken (KMS.1104).
    pub fn create_key(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Res<CreateKeyResponseBody> {
        self.audited(
            caller,
            Operation::CreateKey,
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
        self.check_key_quota(caller)?;
        let key_id = self.new_id().map_err(kms_internal)?;
        // An external key has no material until its owner imports it: no
        // version, state "5".
        let (material, master, state, current_version) = match req.origin {
            KeyOrigin::Kms => {
                let (material, master) =
                    self.new_key_material(&keystore_id, &key_id, req.key_spec, None)?;
                (material, master, KeyState::Enabled, 1)
            }
            KeyOrigin::External => (
                KeyMaterial::AwaitingImport,
                None,
                KeyState::PendingImport,
                0,
            ),
        };
        let record = KeyRecord {
            key_id: key_id.clone(),
            domain_id: caller.domain_id.clone(),
            project_id: caller.project_id.clone(),
            alias: req.key_alias.as_str().to_owned(),
            description: req.key_description,
            keystore_id,
            state,
            current_version,
            create_time: self.ports.clock.now(),
            deletion_time: None,
            rotation: KeyRotation::default(),
            spec: req.key_spec,
            usage: req.key_usage,
            origin: req.origin,
        };
        self.insert_new_key(&record, &material, master)?;
        Ok(CreateKeyResponseBody {
            key_info: KeyInfo {
                key_id,
                domain_id: caller.domain_id.clone(),
                region_id: self.config.region_id.clone(),
            },
        })
    }

    /// Version 1 of a new key's material, stored form first: a symmetric
    /// key is `given` (imported material) or generated here, and wrapped
    /// under the keystore's root key; a key pair is generated and sealed.
    /// A symmetric key is also returned unwrapped, for the cache.
    pub(super) fn new_key_material(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: CmkSpec,
        given: Option<MasterKey>,
    ) -> Res<(KeyMaterial, Option<MasterKey>)> {
        // A symmetric key is kept (and cached) as its unwrapped material; a
        // key pair only sealed, opened per use.
        match signing_spec(spec) {
            None => {
                // AES_256 or SM4: the material is 32 bytes either way; the
                // spec picks the blobs' suite.
                let suite = if spec == CmkSpec::Sm4 {
                    CipherSuite::Sm4Gcm
                } else {
                    CipherSuite::Aes256Gcm
                };
                let key = match given {
                    Some(key) => key.into_suite(suite).map_err(kms_internal)?,
                    None => MasterKey::generate_with_suite(
                        suite,
                        &mut EntropyRng(&*self.ports.entropy),
                        key_id,
                        1,
                    )
                    .map_err(kms_internal)?,
                };
                let wrapped = self
                    .ports
                    .root_keys
                    .wrap_master_key(keystore_id, &key)
                    .map_err(root_key_error)?;
                Ok((KeyMaterial::Wrapped(wrapped), Some(key)))
            }
            Some(spec) => {
                let pair = SigningKey::generate(spec, &mut EntropyRng(&*self.ports.entropy))
                    .map_err(kms_internal)?;
                let sealed = self
                    .ports
                    .root_keys
                    .seal_key_pair(keystore_id, key_id, &*self.ports.entropy, &pair)
                    .map_err(root_key_error)?;
                Ok((KeyMaterial::SealedKeyPair(sealed), None))
            }
        }
    }

    /// Stores a new key (purging gone keys once if its alias is taken) and
    /// caches its unwrapped material.
    pub(super) fn insert_new_key(
        &self,
        record: &KeyRecord,
        material: &KeyMaterial,
        master: Option<MasterKey>,
    ) -> Res<()> {
        let mut inserted = self.ports.keys.insert_key(record, material);
        if inserted == Err(InsertKeyError::AliasTaken) && self.purge_gone_keys()? {
            // The alias may have been held by a key already gone.
            inserted = self.ports.keys.insert_key(record, material);
        }
        self.forget_key(&record.key_id);
        match inserted {
            Ok(()) => {}
            Err(InsertKeyError::AliasTaken) => {
                return Err(CoreError::new(
                    ErrorCode::KmsDuplicateKeyAlias,
                    record.alias.clone(),
                ));
            }
            Err(InsertKeyError::KeystoreGone) => {
                return Err(CoreError::new(
                    ErrorCode::KmsKeystoreNotFound,
                    record.keystore_id.clone(),
                ));
            }
            Err(e) => return Err(kms_internal(e)),
        }
        if let Some(key) = master {
            self.master_keys.insert(key);
        }
        Ok(())
    }

    /// When a deletion scheduled now for `days` days takes effect.
    pub(super) fn deletion_time(&self, days: kms_model::PendingDays) -> Timestamp {
        let ms = i64::try_from(days.days())
            .unwrap_or(0)
            .saturating_mul(86_400_000);
        Timestamp(self.ports.clock.now().0.saturating_add(ms))
    }

    /// The key record of the caller's project, whatever its state, unless
    /// it is gone: a key pending deletion whose deletion time has come (by
    /// the clock port) does not exist any more (KMS.0207).
    pub(super) fn find_key(&self, caller: &Caller, key_id: &KeyId) -> Res<Arc<KeyRecord>> {
        let now = self.ports.clock.now();
        let key = self.lookup_key(caller, key_id, now.0)?;
        if is_gone(&key, now) {
            return Err(CoreError::new(
                ErrorCode::KmsKeyNotFound,
                key_id.as_str().to_owned(),
            ));
        }
        Ok(key)
    }

    /// The key record of the caller's project, whatever its state: from
    /// the record cache, else from storage (then cached).
    fn lookup_key(&self, caller: &Caller, key_id: &KeyId, now: i64) -> Res<Arc<KeyRecord>> {
        let not_found = || CoreError::new(ErrorCode::KmsKeyNotFound, key_id.as_str().to_owned());
        if let Some(k) = self.key_records.get(key_id.as_str(), now)
            && k.project_id == caller.project_id
        {
            return Ok(k);
        }
        // A miss, or another project's key (key ids are unique across
        // projects: one this caller cannot see). The latter pays the same
        // storage read as an unknown id, which finds nothing in the
        // caller's project: a cached hit must not answer another tenant
        // faster than a miss (a timing oracle on which ids are in use).
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
        let not_found = || CoreError::new(ErrorCode::KmsKeystoreNotFound, key.keystore_id.clone());
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

    /// A symmetric key usable for encryption: see
    /// [`Kms::usable_key_for`].
    pub(super) fn usable_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        pin: Option<&PresentedPin>,
    ) -> Res<Arc<KeyRecord>> {
        self.usable_key_for(caller, key_id, pin, KeyUsage::EncryptDecrypt)
    }

    /// A key usable for cryptography: exists in the project, has `usage`
    /// (else: an encryption operation with a `SIGN_VERIFY` key KMS.0335; a
    /// signing one with a symmetric key KMS.0331, with an `ENCRYPT_DECRYPT`
    /// key pair KMS.0334), enabled, its keystore enabled, the PIN (if
    /// presented) verified.
    pub(super) fn usable_key_for(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        pin: Option<&PresentedPin>,
        usage: KeyUsage,
    ) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id)?;
        if key.usage != usage {
            let code = match usage {
                KeyUsage::EncryptDecrypt => ErrorCode::KmsKeyIsForSigning,
                _ if !key.spec.is_asymmetric() => ErrorCode::KmsSymmetricUnsupported,
                _ => ErrorCode::KmsKeyIsForEncryption,
            };
            return Err(CoreError::new(
                code,
                format!(
                    "key {} is a {} key for {}, not {}",
                    key.key_id,
                    key.spec.as_str(),
                    key.usage.as_str(),
                    usage.as_str()
                ),
            ));
        }
        match key.state {
            KeyState::Enabled => {}
            KeyState::Disabled => {
                return Err(CoreError::new(
                    ErrorCode::KmsKeyDisabled,
                    key.key_id.clone(),
                ));
            }
            KeyState::PendingDeletion => {
                return Err(CoreError::new(
                    ErrorCode::KmsKeyPendingDeletion,
                    key.key_id.clone(),
                ));
            }
            // No material yet: nothing to encrypt, sign or wrap with.
            KeyState::PendingImport => {
                return Err(CoreError::new(
                    ErrorCode::KmsKeyNotEnabled,
                    key.key_id.clone(),
                ));
            }
        }
        if KeystoreRef::is_dedicated_id(&key.keystore_id) {
            let ks = self.key_keystore(&key)?;
            if ks.state != KeystoreState::Enabled {
                return Err(CoreError::new(
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
        let suite = cmk_suite(key)?;
        if let Some(k) = self.master_keys.get(&key.key_id, version) {
            if k.suite() == suite {
                return Ok(k);
            }
        }
        let wrapped = self
            .ports
            .keys
            .get_key_material(&key.key_id, version)
            .map_err(kms_internal)?
            .ok_or_else(|| {
                CoreError::new(ErrorCode::KmsInvalidCipherText, "unknown key version")
            })?;
        let mk = self
            .ports
            .root_keys
            .unwrap_master_key(&key.keystore_id, &key.key_id, version, &wrapped)
            .map_err(root_key_error)?
            .into_suite(suite)
            .map_err(kms_internal)?;
        Ok(self.master_keys.insert(mk))
    }

    /// Moves a key to `to`. Nothing leaves pending deletion here (only
    /// cancel-key-deletion does): KMS.0210, or KMS.1402 when scheduling
    /// deletion again. Enabling takes a disabled key (an enabled one:
    /// KMS.1201), disabling an enabled one (a disabled one: KMS.1301), as
    /// the API reference states ("only a disabled key can be enabled",
    /// "only an enabled key can be disabled").
    fn set_key_state(
        &self,
        caller: &Caller,
        key_id: &str,
        action: Operation,
        sequence: Option<&str>,
        to: KeyState,
        days: Res<Option<kms_model::PendingDays>>,
    ) -> Res<KeyRecord> {
        self.audited(caller, action, Resource::Named(key_id), sequence, || {
            // A body rule broken (`pending_days`) is audited like any other.
            let days = days?;
            let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
            sequence
                .map(kms_model::Sequence::parse)
                .transpose()
                .map_err(|e| e.to_kms())?;
            let key = self.find_key(caller, &id)?;
            let refused = match (key.state, to) {
                (KeyState::PendingDeletion, KeyState::PendingDeletion) => {
                    Some(ErrorCode::KmsKeyAlreadyPendingDeletion)
                }
                // Nothing leaves pending deletion but cancel-key-deletion.
                (KeyState::PendingDeletion, _) => Some(ErrorCode::KmsKeyPendingDeletion),
                (KeyState::Enabled | KeyState::PendingImport, KeyState::Enabled) => {
                    Some(ErrorCode::KmsKeyNotDisabled)
                }
                (KeyState::Disabled | KeyState::PendingImport, KeyState::Disabled) => {
                    Some(ErrorCode::KmsKeyNotEnabled)
                }
                _ => None,
            };
            if let Some(code) = refused {
                return Err(CoreError::new(code, key.key_id.clone()));
            }
            let deletion = days.map(|d| self.deletion_time(d));
            let written =
                self.ports
                    .keys
                    .set_key_state(&caller.project_id, &key.key_id, to, deletion);
            // After the write, whatever its outcome: no request that starts
            // once this returns sees the old state.
            self.forget_key(&key.key_id);
            if !written.map_err(kms_internal)? {
                return Err(CoreError::new(
                    ErrorCode::KmsKeyNotFound,
                    key.key_id.clone(),
                ));
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
        action: Operation,
        to: KeyState,
    ) -> Res<KeyStateResponseBody> {
        let k = self.set_key_state(
            caller,
            &body.key_id,
            action,
            body.sequence.as_deref(),
            to,
            Ok(None),
        )?;
        Ok(KeyStateResponseBody {
            key_info: KeyStateInfo {
                key_id: k.key_id,
                key_state: k.state.as_str().to_owned(),
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/enable-key`: a disabled key becomes
    /// enabled.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), key
    /// already enabled (KMS.1201).
    pub fn enable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, Operation::EnableKey, KeyState::Enabled)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key`: an enabled key becomes
    /// disabled.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), key
    /// already disabled (KMS.1301).
    pub fn disable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<KeyStateResponseBody> {
        self.switch_key(caller, body, Operation::DisableKey, KeyState::Disabled)
    }

    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`: `pending_days`
    /// 7..=1096.
    ///
    /// # Errors
    /// Bad `pending_days` (KMS.1401), unknown key, already pending
    /// (KMS.1402).
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        body: &ScheduleKeyDeletionRequestBody,
    ) -> Res<ScheduleKeyDeletionResponseBody> {
        let days = kms_model::ScheduleKeyDeletionRequest::from_body(body)
            .map(|r| Some(r.pending_days))
            .map_err(|e| e.to_kms().into());
        let k = self.set_key_state(
            caller,
            &body.key_id,
            Operation::ScheduleKeyDeletion,
            body.sequence.as_deref(),
            KeyState::PendingDeletion,
            days,
        )?;
        Ok(ScheduleKeyDeletionResponseBody {
            key_id: k.key_id,
            key_state: k.state.as_str().to_owned(),
        })
    }
}

impl Kms {
    /// Deletes from storage the keys whose deletion time has come (they are
    /// already gone for every operation) so their aliases and keystores
    /// are free; `true` when any was deleted. Called lazily, when a write
    /// meets a conflict such a key may cause.
    pub(super) fn purge_gone_keys(&self) -> Res<bool> {
        let n = self
            .ports
            .keys
            .purge_deleted_keys(self.ports.clock.now())
            .map_err(kms_internal)?;
        if n > 0 {
            // Their key pairs were forgotten when their deletion was
            // scheduled; forget any cached since, whichever they are.
            self.key_pairs.clear();
        }
        Ok(n > 0)
    }

    /// KMS.1105 when the project holds its quota of keys already. Checked
    /// before the insert: creates racing at the limit may overshoot it by
    /// the number in flight.
    fn check_key_quota(&self, caller: &Caller) -> Res<()> {
        let (held, _) = self
            .ports
            .keys
            .list_keys(
                &caller.project_id,
                &KeyListQuery {
                    state: None,
                    live_at: self.ports.clock.now(),
                    spec: None,
                    offset: 0,
                    limit: 0,
                },
            )
            .map_err(kms_internal)?;
        if held >= self.config.max_keys_per_project {
            return Err(CoreError::new(
                ErrorCode::KmsTooManyKeys,
                format!(
                    "the project holds {held} keys; the quota is {}",
                    self.config.max_keys_per_project
                ),
            ));
        }
        Ok(())
    }

    /// A key as describe-key and list-keys report it.
    pub(crate) fn key_details(&self, k: &KeyRecord) -> KeyDetails {
        KeyDetails {
            key_id: k.key_id.clone(),
            domain_id: k.domain_id.clone(),
            key_alias: k.alias.clone(),
            realm: self.config.region_id.clone(),
            key_spec: k.spec.as_str().to_owned(),
            key_usage: k.usage.as_str().to_owned(),
            key_description: k.description.clone(),
            creation_date: k.create_time.0.to_string(),
            scheduled_deletion_date: k.deletion_time.map(|t| t.0.to_string()).unwrap_or_default(),
            key_state: k.state.as_str().to_owned(),
            default_key_flag: "0".to_owned(),
            key_type: "1".to_owned(),
            expiration_time: String::new(),
            origin: k.origin.as_str().to_owned(),
            key_rotation_enabled: k.rotation.enabled.to_string(),
            sys_enterprise_project_id: "0".to_owned(),
            keystore_id: k.keystore_id.clone(),
        }
    }

    /// `POST /v1.0/{project_id}/kms/describe-key`: the key in any state
    /// (until its deletion time has come).
    ///
    /// # Errors
    /// Bad `key_id` (KMS.0205), unknown key (KMS.0207).
    pub fn describe_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<ListKeyDetailResponseBody> {
        self.audited(
            caller,
            Operation::DescribeKey,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = OperateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.find_key(caller, &req.key_id)?;
                Ok(ListKeyDetailResponseBody {
                    key_info: self.key_details(&key),
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/list-keys`: the project's keys, oldest
    /// first, `marker` being the offset of the page. Keys whose deletion
    /// time has come are not listed.
    ///
    /// # Errors
    /// Bad `limit` (KMS.1601), `marker` (KMS.1602), `key_state` or
    /// `key_spec` (KMS.0308).
    pub fn list_keys(
        &self,
        caller: &Caller,
        body: &ListKeysRequestBody,
    ) -> Res<ListKeysResponseBody> {
        self.audited(
            caller,
            Operation::ListKeys,
            Resource::None,
            body.sequence.as_deref(),
            || {
                let req = ListKeysRequest::from_body(body).map_err(|e| e.to_kms())?;
                let state = match req.key_state {
                    Some(2) => Some(Some(KeyState::Enabled)),
                    Some(3) => Some(Some(KeyState::Disabled)),
                    Some(4) => Some(Some(KeyState::PendingDeletion)),
                    Some(5) => Some(Some(KeyState::PendingImport)),
                    // "1" (to be activated): no key of this service is
                    // ever in it.
                    Some(_) => None,
                    None => Some(None),
                };
                // `ALL`: any spec; a documented spec this service never
                // creates (SM4, SM2): no key.
                let spec = match req.key_spec {
                    KeySpecFilter::All => Some(None),
                    KeySpecFilter::Only(name) => CmkSpec::parse(name).ok().map(Some),
                };
                let (total, page) = match (state, spec) {
                    (Some(state), Some(spec)) => self
                        .ports
                        .keys
                        .list_keys(
                            &caller.project_id,
                            &KeyListQuery {
                                state,
                                spec,
                                live_at: self.ports.clock.now(),
                                offset: req.marker,
                                limit: req.limit,
                            },
                        )
                        .map_err(kms_internal)?,
                    _ => (0, Vec::new()),
                };
                let end = req.marker.saturating_add(page.len() as u64);
                let truncated = end < total;
                Ok(ListKeysResponseBody {
                    keys: page.iter().map(|k| k.key_id.clone()).collect(),
                    key_details: page.iter().map(|k| self.key_details(k)).collect(),
                    next_marker: if truncated {
                        end.to_string()
                    } else {
                        String::new()
                    },
                    truncated: truncated.to_string(),
                    total,
                })
            },
        )
    }

    /// A key that may be renamed or re-described: exists, not pending
    /// deletion.
    fn editable_key(&self, caller: &Caller, key_id: &KeyId) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id)?;
        if key.state == KeyState::PendingDeletion {
            return Err(CoreError::new(
                ErrorCode::KmsKeyPendingDeletion,
                key.key_id.clone(),
            ));
        }
        Ok(key)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-alias`.
    ///
    /// # Errors
    /// Bad `key_id` or `key_alias` (KMS.0205, KMS.1101), unknown key,
    /// key pending deletion (KMS.0210), alias taken (KMS.1104).
    pub fn update_key_alias(
        &self,
        caller: &Caller,
        body: &UpdateKeyAliasRequestBody,
    ) -> Res<UpdateKeyAliasResponseBody> {
        self.audited(
            caller,
            Operation::UpdateKeyAlias,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = UpdateKeyAliasRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.editable_key(caller, &req.key_id)?;
                let rename = || {
                    self.ports.keys.update_key_alias(
                        &caller.project_id,
                        &key.key_id,
                        req.key_alias.as_str(),
                    )
                };
                let mut written = rename();
                if written == Err(UpdateKeyAliasError::AliasTaken) && self.purge_gone_keys()? {
                    written = rename();
                }
                self.forget_key(&key.key_id);
                match written {
                    Ok(()) => {}
                    Err(UpdateKeyAliasError::AliasTaken) => {
                        return Err(CoreError::new(
                            ErrorCode::KmsDuplicateKeyAlias,
                            req.key_alias.as_str().to_owned(),
                        ));
                    }
                    Err(UpdateKeyAliasError::NotFound) => {
                        return Err(CoreError::new(
                            ErrorCode::KmsKeyNotFound,
                            key.key_id.clone(),
                        ));
                    }
                    Err(e) => return Err(kms_internal(e)),
                }
                Ok(UpdateKeyAliasResponseBody {
                    key_info: KeyAliasInfo {
                        key_id: key.key_id.clone(),
                        key_alias: req.key_alias.as_str().to_owned(),
                    },
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/update-key-description`.
    ///
    /// # Errors
    /// Bad `key_id` (KMS.0205), description over 255 characters (KMS.1103),
    /// unknown key, key pending deletion (KMS.0210).
    pub fn update_key_description(
        &self,
        caller: &Caller,
        body: &UpdateKeyDescriptionRequestBody,
    ) -> Res<UpdateKeyDescriptionResponseBody> {
        self.audited(
            caller,
            Operation::UpdateKeyDescription,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = UpdateKeyDescriptionRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.editable_key(caller, &req.key_id)?;
                let written = self.ports.keys.update_key_description(
                    &caller.project_id,
                    &key.key_id,
                    &req.key_description,
                );
                self.forget_key(&key.key_id);
                if !written.map_err(kms_internal)? {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotFound,
                        key.key_id.clone(),
                    ));
                }
                Ok(UpdateKeyDescriptionResponseBody {
                    key_info: KeyDescriptionInfo {
                        key_id: key.key_id.clone(),
                        key_description: req.key_description,
                    },
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/cancel-key-deletion`: a key pending
    /// deletion (whose deletion time has not come) becomes disabled (`3`).
    ///
    /// # Errors
    /// Bad `key_id` (KMS.0205), unknown or already deleted key (KMS.0207),
    /// key not pending deletion (KMS.1501).
    pub fn cancel_key_deletion(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<CancelKeyDeletionResponseBody> {
        self.audited(
            caller,
            Operation::CancelKeyDeletion,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = OperateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.find_key(caller, &req.key_id)?;
                if key.state != KeyState::PendingDeletion {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotPendingDeletion,
                        key.key_id.clone(),
                    ));
                }
                // A key that never received material goes back to waiting
                // for it; any other key comes back disabled.
                let to = if key.current_version == 0 {
                    KeyState::PendingImport
                } else {
                    KeyState::Disabled
                };
                let written =
                    self.ports
                        .keys
                        .set_key_state(&caller.project_id, &key.key_id, to, None);
                self.forget_key(&key.key_id);
                if !written.map_err(kms_internal)? {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotFound,
                        key.key_id.clone(),
                    ));
                }
                Ok(CancelKeyDeletionResponseBody {
                    key_id: key.key_id.clone(),
                    key_state: to.as_str().to_owned(),
                })
            },
        )
    }
}
