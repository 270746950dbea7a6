//! CMK rotation: the policy (enable, disable, interval), its status, and
//! rotation on demand. A rotation adds a master-key version and makes it
//! current; every earlier version stays stored, so DEK and data
//! ciphertexts made before keep decrypting (they name their version).

use crate::error::CoreError;
use kms_crypto::MasterKey;
use kms_model::{
    CmkSpec, ErrorCode, KeyId, OperateKeyRequest, Operation, RotateOnDemandRequest,
    UpdateKeyRotationIntervalRequest,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error, sequence_text};
use crate::ports::{
    Caller, DueRotation, EntropyRng, KeyOrigin, KeyRecord, KeyRotation, KeyState, KeystoreState,
    RotateKeyError, Timestamp,
};
use kms_model::KeystoreRef;

/// A key pair does not rotate: KMS.0324 for an RSA key, KMS.0325 (an
/// operation the asymmetric key does not support) for EC and SM2 keys.
pub(super) fn not_rotatable(key_id: &str, spec: CmkSpec) -> CoreError {
    let code = match spec {
        CmkSpec::Rsa2048 | CmkSpec::Rsa3072 | CmkSpec::Rsa4096 => ErrorCode::KmsRsaNotRotatable,
        _ => ErrorCode::KmsAsymmetricUnsupported,
    };
    CoreError::new(
        code,
        format!(
            "key {key_id} is a {} key pair: only symmetric keys rotate",
            spec.as_str()
        ),
    )
}

/// KMS.0312: a key with imported material does not rotate.
pub(super) fn external_not_rotatable(key_id: &str) -> CoreError {
    CoreError::new(
        ErrorCode::KmsExternalKeyNotRotatable,
        format!("key {key_id} has imported material (origin external)"),
    )
}

impl Kms {
    /// A key whose rotation may be changed: exists, symmetric (a key pair
    /// does not rotate: KMS.0324, KMS.0325), generated here (imported
    /// material does not rotate: KMS.0312), enabled (KMS.0209 disabled,
    /// KMS.0210 pending deletion).
    fn rotatable_key(
        &self,
        caller: &Caller,
        key_id: &KeyId,
        op: Operation,
    ) -> Res<std::sync::Arc<crate::ports::KeyRecord>> {
        let key = self.find_key(caller, key_id, op)?;
        if key.spec.is_asymmetric() {
            return Err(not_rotatable(&key.key_id, key.spec));
        }
        if key.origin == KeyOrigin::External {
            return Err(external_not_rotatable(&key.key_id));
        }
        match key.state {
            KeyState::Enabled => Ok(key),
            KeyState::Disabled => Err(CoreError::new(
                ErrorCode::KmsKeyDisabled,
                key.key_id.clone(),
            )),
            KeyState::PendingDeletion => Err(CoreError::new(
                ErrorCode::KmsKeyPendingDeletion,
                key.key_id.clone(),
            )),
            // Only an external key waits for import, and that is refused
            // above; kept for the day a KMS key can be in this state.
            KeyState::PendingImport => Err(CoreError::new(
                ErrorCode::KmsKeyNotEnabled,
                key.key_id.clone(),
            )),
        }
    }

    fn set_rotation(
        &self,
        caller: &Caller,
        action: Operation,
        req: &OperateKeyRequest,
        enabled: bool,
    ) -> Res<()> {
        self.audited(
            caller,
            action,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.rotatable_key(caller, &req.key_id, action)?;
                // Enabling takes rotation that is off (KMS.2901 "not
                // disabled"), disabling rotation that is on (KMS.0313 "not
                // enabled").
                if key.rotation.enabled == enabled {
                    let code = if enabled {
                        ErrorCode::KmsRotationNotDisabled
                    } else {
                        ErrorCode::KmsRotationNotEnabled
                    };
                    return Err(CoreError::new(code, key.key_id.clone()));
                }
                if enabled {
                    self.refuse_group_rotation(&key)?;
                }
                // Turning rotation on starts the interval now.
                let written = self.ports.keys.set_key_rotation(
                    &caller.project_id,
                    &key.key_id,
                    Some(enabled),
                    None,
                    enabled.then(|| self.ports.clock.now()),
                );
                self.forget_key(&key.key_id);
                if !written.map_err(kms_internal)? {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotFound,
                        key.key_id.clone(),
                    ));
                }
                Ok(())
            },
        )
    }

    /// enable-key-rotation: the key rotates every interval from now on.
    ///
    /// # Errors
    /// Unknown (KMS.0207), disabled (KMS.0209) or pending-deletion
    /// (KMS.0210) key, a key pair (KMS.0324, KMS.0325), imported material
    /// (KMS.0312), rotation already enabled (KMS.2901).
    pub fn enable_key_rotation(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<()> {
        self.set_rotation(caller, Operation::EnableKeyRotation, req, true)
    }

    /// disable-key-rotation: the key no longer rotates by itself.
    ///
    /// # Errors
    /// As [`Kms::enable_key_rotation`]; rotation already disabled
    /// (KMS.0313) instead of KMS.2901.
    pub fn disable_key_rotation(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<()> {
        self.set_rotation(caller, Operation::DisableKeyRotation, req, false)
    }

    /// update-key-rotation-interval: the enabled rotation's interval,
    /// 30..=365 days (checked by the request's type).
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key, a key pair (KMS.0324,
    /// KMS.0325), imported material (KMS.0312), rotation not enabled
    /// (KMS.0313: the interval is the enabled rotation's).
    pub fn update_key_rotation_interval(
        &self,
        caller: &Caller,
        req: &UpdateKeyRotationIntervalRequest,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::UpdateKeyRotationInterval,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key =
                    self.rotatable_key(caller, &req.key_id, Operation::UpdateKeyRotationInterval)?;
                if !key.rotation.enabled {
                    return Err(CoreError::new(
                        ErrorCode::KmsRotationNotEnabled,
                        key.key_id.clone(),
                    ));
                }
                let written = self.ports.keys.set_key_rotation(
                    &caller.project_id,
                    &key.key_id,
                    None,
                    Some(req.rotation_interval),
                    None,
                );
                self.forget_key(&key.key_id);
                if !written.map_err(kms_internal)? {
                    return Err(CoreError::new(
                        ErrorCode::KmsKeyNotFound,
                        key.key_id.clone(),
                    ));
                }
                Ok(())
            },
        )
    }

    /// get-key-rotation-status: the key's rotation policy and history
    /// (whether it is enabled, the interval in days, the last rotation's
    /// time, how many rotations), for a key in any state.
    ///
    /// # Errors
    /// Unknown key (KMS.0207).
    pub fn get_key_rotation_status(
        &self,
        caller: &Caller,
        req: &OperateKeyRequest,
    ) -> Res<KeyRotation> {
        self.audited(
            caller,
            Operation::GetKeyRotationStatus,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                Ok(self
                    .find_key(caller, &req.key_id, Operation::GetKeyRotationStatus)?
                    .rotation)
            },
        )
    }

    /// rotate-on-demand: a new master-key version, generated here, wrapped
    /// under the keystore's root key and made current; new DEKs and data
    /// use it, old ciphertexts keep their version. Returns the new
    /// version's number. Two rotations racing from the same version make
    /// one new version: the loser's material is dropped and it answers as
    /// the winner does (the key was rotated, to the same version number).
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key, a key pair (KMS.0324,
    /// KMS.0325), a key with imported material (KMS.0312), a key at its
    /// version quota
    /// ([`CoreConfig::max_versions_per_key`](crate::CoreConfig), KMS.0308),
    /// a disabled keystore, root-key failures.
    pub fn rotate_on_demand(&self, caller: &Caller, req: &RotateOnDemandRequest) -> Res<u32> {
        self.audited(
            caller,
            Operation::RotateOnDemand,
            Resource::Named(req.key_id.as_str()),
            None,
            || {
                let found = self.find_key(caller, &req.key_id, Operation::RotateOnDemand)?;
                if found.spec.is_asymmetric() {
                    return Err(not_rotatable(req.key_id.as_str(), found.spec));
                }
                // A symmetric key of its own usage: ENCRYPT_DECRYPT, or
                // GENERATE_VERIFY_MAC for an HMAC key.
                let key = self.usable_key_for(
                    caller,
                    &req.key_id,
                    None,
                    found.usage,
                    Operation::RotateOnDemand,
                )?;
                if key.origin == KeyOrigin::External {
                    return Err(external_not_rotatable(&key.key_id));
                }
                self.refuse_group_rotation(&key)?;
                let version = self.next_version(&key)?;
                // A lost race answers as the winner does.
                self.add_version(&key, version)?;
                Ok(version)
            },
        )
    }

    /// The version a rotation of `key` makes.
    ///
    /// # Errors
    /// The key is at its version quota.
    fn next_version(&self, key: &KeyRecord) -> Res<u32> {
        if key.current_version >= self.config.max_versions_per_key {
            return Err(CoreError::new(
                ErrorCode::KmsInvalidParameter,
                format!(
                    "key {} has {} versions: the quota is {}",
                    key.key_id, key.current_version, self.config.max_versions_per_key
                ),
            ));
        }
        key.current_version
            .checked_add(1)
            .ok_or_else(|| CoreError::new(ErrorCode::KmsInvalidParameter, "no key version left"))
    }

    /// Makes `version` the key's current version with fresh material, if
    /// its current version is still `version - 1`: `true` when this call
    /// made it, `false` when another rotation got there first (its material
    /// is the version's; this call's is dropped).
    ///
    /// # Errors
    /// The key is gone, its suite or keystore refuses, root-key or store
    /// failures.
    fn add_version(&self, key: &KeyRecord, version: u32) -> Res<bool> {
        // AES_256, SM4 and the HMAC keys rotate alike.
        let suite =
            super::keys::storage_suite(key.spec).map_or_else(|| super::keys::cmk_suite(key), Ok)?;
        let mk = MasterKey::generate_with_suite(
            suite,
            &mut EntropyRng(&*self.ports.entropy),
            &key.key_id,
            version,
        )
        .map_err(kms_internal)?;
        let wrapped = self
            .ports
            .root_keys
            .wrap_master_key(&key.keystore_id, &mk)
            .map_err(root_key_error)?;
        let written = self.ports.keys.rotate_key(
            &key.project_id,
            &key.key_id,
            &wrapped,
            version,
            self.ports.clock.now(),
        );
        self.forget_key(&key.key_id);
        match written {
            Ok(()) => {
                self.master_keys.insert(mk);
                Ok(true)
            }
            Err(RotateKeyError::VersionChanged) => Ok(false),
            Err(RotateKeyError::NotFound) => Err(CoreError::new(
                ErrorCode::KmsKeyNotFound,
                key.key_id.clone(),
            )),
            Err(e) => Err(kms_internal(e)),
        }
    }

    /// Automatic rotation: rotates every key whose rotation is enabled and
    /// whose interval has passed by the clock port's now (at most `limit`
    /// keys, the longest overdue first), each from the version it was found
    /// due at. The host drives it (kms-server runs it periodically on a
    /// background task; an embedder calls it when it likes). Safe to run on
    /// several replicas at once: a key is rotated once, by whichever
    /// replica's conditional write lands first; the others skip it.
    ///
    /// Each rotation (and each failed one) writes one audit line,
    /// `rotate-on-schedule`, as the key's owner; a key another replica
    /// rotated first writes none.
    ///
    /// # Errors
    /// Only a failure to list the due keys; a key that fails to rotate is
    /// reported in [`RotationSweep::failed`] and the sweep goes on.
    pub fn rotate_due(&self, limit: u64) -> Res<RotationSweep> {
        let now = self.ports.clock.now();
        let due = self
            .ports
            .keys
            .keys_due_for_rotation(now, limit)
            .map_err(kms_internal)?;
        let mut sweep = RotationSweep::default();
        for d in due {
            match self.rotate_one_due(&d, now) {
                Ok(Some((domain_id, version))) => {
                    let caller = Caller::new(domain_id, d.project_id.clone());
                    self.record_audit(
                        &caller,
                        Operation::RotateOnSchedule,
                        Some(&d.key_id),
                        None,
                        None,
                    );
                    sweep.rotated.push((d.key_id, version));
                }
                Ok(None) => sweep.skipped += 1,
                Err((domain_id, e)) => {
                    let caller = Caller::new(domain_id, d.project_id.clone());
                    self.record_audit(
                        &caller,
                        Operation::RotateOnSchedule,
                        Some(&d.key_id),
                        None,
                        Some(e.code()),
                    );
                    sweep.failed.push((d.key_id, e));
                }
            }
        }
        Ok(sweep)
    }

    /// One due key: `Some((domain, version))` rotated, `None` no longer
    /// due (rotated by another replica, or changed since it was listed).
    fn rotate_one_due(
        &self,
        due: &DueRotation,
        now: Timestamp,
    ) -> Result<Option<(String, u32)>, (String, CoreError)> {
        // Read from the store, not the record cache: a replica that
        // rotated the key a moment ago must be seen.
        let key = match self.ports.keys.get_key(&due.project_id, &due.key_id) {
            Ok(Some(k)) => k,
            Ok(None) => return Ok(None),
            Err(e) => return Err((String::new(), kms_internal(e))),
        };
        let domain = key.domain_id.clone();
        if key.current_version != due.current_version
            || key.rotation_due_at().is_none_or(|t| t > now)
        {
            return Ok(None);
        }
        let fail = |e: CoreError| (domain.clone(), e);
        self.refuse_group_rotation(&key).map_err(fail)?;
        if KeystoreRef::is_dedicated_id(&key.keystore_id) {
            let ks = self.key_keystore(&key).map_err(fail)?;
            if ks.state != KeystoreState::Enabled {
                return Err(fail(CoreError::new(
                    ErrorCode::KmsKeystoreDisabled,
                    ks.keystore_id.clone(),
                )));
            }
        }
        let version = self.next_version(&key).map_err(fail)?;
        match self.add_version(&key, version) {
            Ok(true) => Ok(Some((domain, version))),
            Ok(false) => Ok(None),
            Err(e) => Err(fail(e)),
        }
    }
}

/// What one [`Kms::rotate_due`] sweep did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RotationSweep {
    /// The keys rotated, each with its new version.
    pub rotated: Vec<(String, u32)>,
    /// Keys found due that another rotation (another replica, or an
    /// on-demand rotation) changed first: not rotated again.
    pub skipped: usize,
    /// Keys that could not be rotated (a disabled keystore, the version
    /// quota, a root-key failure), each with why; tried again next sweep.
    pub failed: Vec<(String, CoreError)>,
}
