//! CMKs: create, the lookups every key operation shares, and the state
//! changes (enable, disable, schedule deletion).

use crate::error::CoreError;
use std::sync::Arc;

use kms_crypto::{CipherSuite, MasterKey, SigningKey, SigningKeySpec};
use kms_model::{
    CmkSpec, CreateKeyRequest, ErrorCode, KeyId, KeySpecFilter, KeyUsage, KeystoreRef,
    ListKeysRequest, OperateKeyRequest, Operation, PendingDays, PresentedPin,
    ScheduleKeyDeletionRequest, UpdateKeyAliasRequest, UpdateKeyDescriptionRequest,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error, sequence_text};
use crate::ports::{
    Caller, EntropyRng, InsertKeyError, KeyListQuery, KeyMaterial, KeyOrigin, KeyRecord,
    KeyRotation, KeyState, KeystoreRecord, KeystoreState, Timestamp, UpdateKeyAliasError,
};

/// A page of [`Kms::list_keys`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyPage {
    /// The page's keys, oldest first.
    pub keys: Vec<KeyRecord>,
    /// The offset of the next page (`marker`), `None` on the last page.
    pub next_marker: Option<u64>,
    /// How many keys match the filters in all.
    pub total: u64,
}

impl KeyPage {
    /// Whether another page follows.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

/// The state a list-keys `key_state` code asks for: Huawei's `2` enabled,
/// `3` disabled, `4` pending deletion, `5` pending import; `None` for
/// `1` ("to be activated", a state no key of this service is ever in) and
/// any other number.
pub(crate) fn key_state_of_code(code: u8) -> Option<KeyState> {
    match code {
        2 => Some(KeyState::Enabled),
        3 => Some(KeyState::Disabled),
        4 => Some(KeyState::PendingDeletion),
        5 => Some(KeyState::PendingImport),
        _ => None,
    }
}

/// The kms-crypto spec of a key pair; `None` for a symmetric key.
pub(super) fn signing_spec(spec: CmkSpec) -> Option<SigningKeySpec> {
    match spec {
        CmkSpec::Aes256
        | CmkSpec::Sm4
        | CmkSpec::Hmac256
        | CmkSpec::Hmac384
        | CmkSpec::Hmac512
        | CmkSpec::HmacSm3 => None,
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
        // An HMAC key makes MACs only (KMS.0341).
        spec if spec.is_hmac() => Err(CoreError::new(
            ErrorCode::KmsHmacUnsupported,
            format!(
                "key {} is a {} key: it generates and verifies MACs",
                key.key_id,
                spec.as_str()
            ),
        )),
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

/// The suite a symmetric or HMAC key's versions are kept and cached
/// with: SM4-GCM for SM4, AES-256-GCM for AES_256 and the HMAC keys (whose
/// 32 bytes of material are the HMAC key itself; the suite only picks the
/// per-purpose keys an HMAC key never uses). `None` for a key pair.
pub(super) fn storage_suite(spec: CmkSpec) -> Option<CipherSuite> {
    match spec {
        CmkSpec::Sm4 => Some(CipherSuite::Sm4Gcm),
        spec if signing_spec(spec).is_none() => Some(CipherSuite::Aes256Gcm),
        _ => None,
    }
}

/// A key pending deletion whose deletion time has come: gone.
pub(super) fn is_gone(k: &KeyRecord, now: Timestamp) -> bool {
    k.state == KeyState::PendingDeletion && k.deletion_time.is_some_and(|t| t <= now)
}

impl Kms {
    /// create-key: a CMK, its material generated here (a symmetric key
    /// stored only wrapped under its keystore's root key, a key pair only
    /// sealed), or, with `origin` `external`, a key waiting for its
    /// owner's material (state pending import, no version). Returns the
    /// stored record.
    ///
    /// # Errors
    /// Unknown or disabled keystore (KMS.6007, KMS.6008), the project at
    /// its key quota (KMS.1105), alias taken (KMS.1104), root-key
    /// failures.
    pub fn create_key(&self, caller: &Caller, req: &CreateKeyRequest) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::CreateKey,
            Resource::Created(|r: &KeyRecord| &r.key_id),
            sequence_text(req.sequence.as_ref()),
            || self.create_key_unaudited(caller, req),
        )
    }

    fn create_key_unaudited(&self, caller: &Caller, req: &CreateKeyRequest) -> Res<KeyRecord> {
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
            key_id,
            domain_id: caller.domain_id.clone(),
            project_id: caller.project_id.clone(),
            alias: req.key_alias.as_str().to_owned(),
            description: req.key_description.clone(),
            keystore_id,
            state,
            current_version,
            create_time: self.ports.clock.now(),
            deletion_time: None,
            rotation: KeyRotation::default(),
            spec: req.key_spec,
            usage: req.key_usage,
            origin: req.origin,
            material_expiry: None,
        };
        self.insert_new_key(&record, &material, master)?;
        Ok(record)
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
                let suite = storage_suite(spec).unwrap_or(CipherSuite::Aes256Gcm);
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

    /// The key record `caller` may use for `op`, whatever its state,
    /// unless it is gone: a key pending deletion whose deletion time has
    /// come (by the clock port) does not exist any more (KMS.0207). A key
    /// whose imported material expired reads as pending import. The key
    /// of the caller's project, else a key of another project whose grant
    /// names the caller for `op` ([`Kms::granted_key`]): the one place
    /// where access to a key is decided.
    pub(super) fn find_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        op: Operation,
    ) -> Res<Arc<KeyRecord>> {
        let now = self.ports.clock.now();
        let key = self.lookup_key(caller, key_id, op, now.0)?;
        if is_gone(&key, now) {
            return Err(CoreError::new(
                ErrorCode::KmsKeyNotFound,
                key_id.as_str().to_owned(),
            ));
        }
        // Imported material whose expiry has come (by the clock port): the
        // key reads as pending import, and the material is removed now.
        if key.material_expired(now) {
            return Ok(Arc::new(self.expire_material(&key, now)?));
        }
        Ok(key)
    }

    /// The key record of the caller's project, whatever its state: from
    /// the record cache, else from storage (then cached); else a key
    /// granted to the caller for `op`.
    fn lookup_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        op: Operation,
        now: i64,
    ) -> Res<Arc<KeyRecord>> {
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
        let Some(key) = self
            .ports
            .keys
            .get_key(&caller.project_id, key_id.as_str())
            .map_err(kms_internal)?
        else {
            return self
                .granted_key(caller, key_id, op, now)?
                .ok_or_else(not_found);
        };
        self.key_records
            .insert(key_id.as_str(), Arc::clone(&key), epoch, now);
        Ok(key)
    }

    /// The record of key `key_id` of `project_id` (a grant's key): from
    /// the record cache, else from storage (then cached).
    pub(super) fn key_of_project(
        &self,
        project_id: &str,
        key_id: &str,
        now: i64,
    ) -> Res<Option<Arc<KeyRecord>>> {
        if let Some(k) = self.key_records.get(key_id, now)
            && k.project_id == project_id
        {
            return Ok(Some(k));
        }
        let epoch = self.key_records.epoch();
        let key = self
            .ports
            .keys
            .get_key(project_id, key_id)
            .map_err(kms_internal)?;
        if let Some(k) = &key {
            self.key_records.insert(key_id, Arc::clone(k), epoch, now);
        }
        Ok(key)
    }

    /// The dedicated keystore a key lives in, from the record cache or
    /// storage.
    pub(super) fn key_keystore(&self, key: &KeyRecord) -> Res<Arc<KeystoreRecord>> {
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
        op: Operation,
    ) -> Res<Arc<KeyRecord>> {
        self.usable_key_for(caller, key_id, pin, KeyUsage::EncryptDecrypt, op)
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
        op: Operation,
    ) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id, op)?;
        if key.usage != usage {
            let code = match (usage, key.usage) {
                // An HMAC key does nothing but MACs.
                _ if key.spec.is_hmac() => ErrorCode::KmsHmacUnsupported,
                (KeyUsage::EncryptDecrypt, _) => ErrorCode::KmsKeyIsForSigning,
                _ if !key.spec.is_asymmetric() => ErrorCode::KmsSymmetricUnsupported,
                // A MAC asked of a key pair.
                (KeyUsage::GenerateVerifyMac, _) => ErrorCode::KmsAsymmetricUnsupported,
                (_, KeyUsage::EncryptDecrypt) => ErrorCode::KmsKeyIsForEncryption,
                (_, KeyUsage::SignVerify) => ErrorCode::KmsKeyIsForSigning,
                _ => ErrorCode::KmsAsymmetricUnsupported,
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
        let suite = match storage_suite(key.spec) {
            Some(suite) => suite,
            // A key pair: KMS.0325.
            None => cmk_suite(key)?,
        };
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

    /// Moves a key to `to` (with the deletion time `days` from now when
    /// scheduling deletion) and returns its record as written. Nothing
    /// leaves pending deletion here (only cancel-key-deletion does):
    /// KMS.0210, or KMS.1402 when scheduling deletion again. Enabling
    /// takes a disabled key (an enabled one: KMS.1201), disabling an
    /// enabled one (a disabled one: KMS.1301), as the API reference states
    /// ("only a disabled key can be enabled", "only an enabled key can be
    /// disabled").
    fn set_key_state(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        action: Operation,
        sequence: Option<&str>,
        to: KeyState,
        days: Option<PendingDays>,
    ) -> Res<KeyRecord> {
        self.audited(
            caller,
            action,
            Resource::Named(key_id.as_str()),
            sequence,
            || {
                let key = self.find_key(caller, key_id, action)?;
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
                self.write_key_state(caller, &key, to, deletion)
            },
        )
    }

    /// enable-key: a disabled key becomes enabled. Returns the key's
    /// record as written.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), key not
    /// disabled (KMS.1201: enabled, or waiting for imported material).
    pub fn enable_key(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<KeyRecord> {
        self.set_key_state(
            caller,
            &req.key_id,
            Operation::EnableKey,
            sequence_text(req.sequence.as_ref()),
            KeyState::Enabled,
            None,
        )
    }

    /// disable-key: an enabled key becomes disabled. Returns the key's
    /// record as written.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), key not
    /// enabled (KMS.1301: disabled, or waiting for imported material).
    pub fn disable_key(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<KeyRecord> {
        self.set_key_state(
            caller,
            &req.key_id,
            Operation::DisableKey,
            sequence_text(req.sequence.as_ref()),
            KeyState::Disabled,
            None,
        )
    }

    /// schedule-key-deletion: the key becomes pending deletion, gone for
    /// every operation once `pending_days` (7..=1096, by the clock port)
    /// have passed unless the deletion is cancelled. Returns the key's
    /// record as written (its `deletion_time` set).
    ///
    /// # Errors
    /// Unknown key (KMS.0207), already pending deletion (KMS.1402).
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        req: &ScheduleKeyDeletionRequest,
    ) -> Res<KeyRecord> {
        self.set_key_state(
            caller,
            &req.key_id,
            Operation::ScheduleKeyDeletion,
            sequence_text(req.sequence.as_ref()),
            KeyState::PendingDeletion,
            Some(req.pending_days),
        )
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
    pub(super) fn check_key_quota(&self, caller: &Caller) -> Res<()> {
        let held = self.keys_held(&caller.project_id)?;
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

    /// The keys a project holds (pending deletion included, gone ones
    /// not): what the key quota counts.
    pub(super) fn keys_held(&self, project_id: &str) -> Res<u64> {
        let (held, _) = self
            .ports
            .keys
            .list_keys(
                project_id,
                &KeyListQuery {
                    state: None,
                    live_at: self.ports.clock.now(),
                    spec: None,
                    offset: 0,
                    limit: 0,
                },
            )
            .map_err(kms_internal)?;
        Ok(held)
    }

    /// describe-key: the key's record, in any state (until its deletion
    /// time has come).
    ///
    /// # Errors
    /// Unknown key (KMS.0207).
    pub fn describe_key(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::DescribeKey,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || Ok((*self.find_key(caller, &req.key_id, Operation::DescribeKey)?).clone()),
        )
    }

    /// list-keys: a page of the project's keys, oldest first, `marker`
    /// being the offset of the page, filtered by state (`key_state` 2..=5;
    /// `1`, "to be activated", matches no key of this service) and spec
    /// (`ALL`, or one spec). Keys whose deletion time has come are not
    /// listed.
    ///
    /// # Errors
    /// Storage failures only (KMS.0101): every rule of the request is its
    /// validated type's.
    pub fn list_keys(&self, caller: &Caller, req: &ListKeysRequest) -> Res<KeyPage> {
        self.audited(
            caller,
            Operation::ListKeys,
            Resource::None,
            sequence_text(req.sequence.as_ref()),
            || {
                let state = match req.key_state {
                    Some(code) => key_state_of_code(code).map(Some),
                    None => Some(None),
                };
                // `ALL`: any spec; a documented spec this service never
                // creates: no key.
                let spec = match req.key_spec {
                    KeySpecFilter::All => Some(None),
                    KeySpecFilter::Only(name) => CmkSpec::parse(name).ok().map(Some),
                };
                let (total, keys) = match (state, spec) {
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
                let end = req.marker.saturating_add(keys.len() as u64);
                // Keys whose imported material expired read as pending
                // import (their material is removed when one is used).
                let now = self.ports.clock.now();
                let keys = keys
                    .into_iter()
                    .map(|k| {
                        if k.material_expired(now) {
                            super::import::expired_view(&k)
                        } else {
                            k
                        }
                    })
                    .collect();
                Ok(KeyPage {
                    keys,
                    next_marker: (end < total).then_some(end),
                    total,
                })
            },
        )
    }

    /// A key that may be renamed or re-described: exists, not pending
    /// deletion.
    fn editable_key(&self, caller: &Caller, key_id: &KeyId, op: Operation) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id, op)?;
        if key.state == KeyState::PendingDeletion {
            return Err(CoreError::new(
                ErrorCode::KmsKeyPendingDeletion,
                key.key_id.clone(),
            ));
        }
        Ok(key)
    }

    /// update-key-alias: the key's new alias. Returns the key's record as
    /// written.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210), alias
    /// taken (KMS.1104).
    pub fn update_key_alias(&self, caller: &Caller, req: &UpdateKeyAliasRequest) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::UpdateKeyAlias,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.editable_key(caller, &req.key_id, Operation::UpdateKeyAlias)?;
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
                Ok(KeyRecord {
                    alias: req.key_alias.as_str().to_owned(),
                    ..(*key).clone()
                })
            },
        )
    }

    /// update-key-description: the key's new description (at most 255
    /// characters, checked by the request's type). Returns the key's
    /// record as written.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), key pending deletion (KMS.0210).
    pub fn update_key_description(
        &self,
        caller: &Caller,
        req: &UpdateKeyDescriptionRequest,
    ) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::UpdateKeyDescription,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key =
                    self.editable_key(caller, &req.key_id, Operation::UpdateKeyDescription)?;
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
                Ok(KeyRecord {
                    description: req.key_description.clone(),
                    ..(*key).clone()
                })
            },
        )
    }

    /// cancel-key-deletion: a key pending deletion (whose deletion time
    /// has not come) becomes disabled, or pending import again when it
    /// never received material. Returns the key's record as written (no
    /// deletion time).
    ///
    /// # Errors
    /// Unknown or already deleted key (KMS.0207), key not pending deletion
    /// (KMS.1501).
    pub fn cancel_key_deletion(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::CancelKeyDeletion,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.find_key(caller, &req.key_id, Operation::CancelKeyDeletion)?;
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
                self.write_key_state(caller, &key, to, None)
            },
        )
    }

    /// Writes `key`'s new state and deletion time, forgets what the caches
    /// hold of it, and returns the record as written (KMS.0207 when the
    /// key is gone meanwhile).
    fn write_key_state(
        &self,
        caller: &Caller,
        key: &KeyRecord,
        to: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> Res<KeyRecord> {
        let written =
            self.ports
                .keys
                .set_key_state(&caller.project_id, &key.key_id, to, deletion_time);
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
            deletion_time,
            ..key.clone()
        })
    }
}
