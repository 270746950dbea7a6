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
use crate::ports::{Caller, EntropyRng, KeyOrigin, KeyRotation, KeyState, RotateKeyError};

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
    ) -> Res<std::sync::Arc<crate::ports::KeyRecord>> {
        let key = self.find_key(caller, key_id)?;
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
                let key = self.rotatable_key(caller, &req.key_id)?;
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
                let written = self.ports.keys.set_key_rotation(
                    &caller.project_id,
                    &key.key_id,
                    Some(enabled),
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
                let key = self.rotatable_key(caller, &req.key_id)?;
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
            || Ok(self.find_key(caller, &req.key_id)?.rotation),
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
                let found = self.find_key(caller, &req.key_id)?;
                if found.spec.is_asymmetric() {
                    return Err(not_rotatable(req.key_id.as_str(), found.spec));
                }
                // A symmetric key of its own usage: ENCRYPT_DECRYPT, or
                // GENERATE_VERIFY_MAC for an HMAC key.
                let key = self.usable_key_for(caller, &req.key_id, None, found.usage)?;
                if key.origin == KeyOrigin::External {
                    return Err(external_not_rotatable(&key.key_id));
                }
                // AES_256, SM4 and the HMAC keys rotate alike.
                let suite = super::keys::storage_suite(key.spec)
                    .map_or_else(|| super::keys::cmk_suite(&key), Ok)?;
                if key.current_version >= self.config.max_versions_per_key {
                    return Err(CoreError::new(
                        ErrorCode::KmsInvalidParameter,
                        format!(
                            "key {} has {} versions: the quota is {}",
                            key.key_id, key.current_version, self.config.max_versions_per_key
                        ),
                    ));
                }
                let version = key.current_version.checked_add(1).ok_or_else(|| {
                    CoreError::new(ErrorCode::KmsInvalidParameter, "no key version left")
                })?;
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
                    &caller.project_id,
                    &key.key_id,
                    &wrapped,
                    version,
                    self.ports.clock.now(),
                );
                self.forget_key(&key.key_id);
                match written {
                    Ok(()) => {
                        self.master_keys.insert(mk);
                    }
                    Err(RotateKeyError::VersionChanged) => {}
                    Err(RotateKeyError::NotFound) => {
                        return Err(CoreError::new(
                            ErrorCode::KmsKeyNotFound,
                            key.key_id.clone(),
                        ));
                    }
                    Err(e) => return Err(kms_internal(e)),
                }
                Ok(version)
            },
        )
    }
}
