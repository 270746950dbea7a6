//! CMK rotation: the policy (enable, disable, interval), its status, and
//! rotation on demand. A rotation adds a master-key version and makes it
//! current; every earlier version stays stored, so DEK and data
//! ciphertexts made before keep decrypting (they name their version).

use crate::error::CoreError;
use kms_crypto::MasterKey;
use kms_model::Operation;
use kms_model::{
    CmkSpec, ErrorCode, KeyId, OperateKeyRequest, OperateKeyRequestBody, RotateOnDemandRequest,
    RotateOnDemandRequestBody, RotateOnDemandResponseBody, ShowKeyRotationStatusResponseBody,
    UpdateKeyRotationIntervalRequest, UpdateKeyRotationIntervalRequestBody,
};

use super::{Kms, Res, Resource, kms_internal, root_key_error};
use crate::ports::{Caller, EntropyRng, KeyOrigin, KeyState, RotateKeyError};

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
        body: &OperateKeyRequestBody,
        enabled: bool,
    ) -> Res<()> {
        self.audited(
            caller,
            action,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = OperateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
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

    /// `POST /v1.0/{project_id}/kms/enable-key-rotation` (empty response).
    ///
    /// # Errors
    /// Bad `key_id`, unknown, disabled or pending-deletion key, a key pair
    /// (KMS.0324, KMS.0325), rotation already enabled (KMS.2901).
    pub fn enable_key_rotation(&self, caller: &Caller, body: &OperateKeyRequestBody) -> Res<()> {
        self.set_rotation(caller, Operation::EnableKeyRotation, body, true)
    }

    /// `POST /v1.0/{project_id}/kms/disable-key-rotation` (empty response).
    ///
    /// # Errors
    /// As [`Kms::enable_key_rotation`]; rotation already disabled
    /// (KMS.0313) instead of KMS.2901.
    pub fn disable_key_rotation(&self, caller: &Caller, body: &OperateKeyRequestBody) -> Res<()> {
        self.set_rotation(caller, Operation::DisableKeyRotation, body, false)
    }

    /// `POST /v1.0/{project_id}/kms/update-key-rotation-interval` (empty
    /// response): 30..=365 days.
    ///
    /// # Errors
    /// Bad `key_id` (KMS.0205) or `rotation_interval` (KMS.3001), unknown,
    /// disabled or pending-deletion key, a key pair (KMS.0324, KMS.0325),
    /// rotation not enabled (KMS.0313: the interval is the enabled
    /// rotation's).
    pub fn update_key_rotation_interval(
        &self,
        caller: &Caller,
        body: &UpdateKeyRotationIntervalRequestBody,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::UpdateKeyRotationInterval,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req =
                    UpdateKeyRotationIntervalRequest::from_body(body).map_err(|e| e.to_kms())?;
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

    /// `POST /v1.0/{project_id}/kms/get-key-rotation-status`.
    ///
    /// # Errors
    /// Bad `key_id`, unknown key.
    pub fn get_key_rotation_status(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Res<ShowKeyRotationStatusResponseBody> {
        self.audited(
            caller,
            Operation::GetKeyRotationStatus,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = OperateKeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.find_key(caller, &req.key_id)?;
                let r = key.rotation;
                Ok(ShowKeyRotationStatusResponseBody {
                    key_rotation_enabled: r.enabled,
                    rotation_interval: r.interval_days,
                    last_rotation_time: r
                        .last_rotation_time
                        .map(|t| t.0.to_string())
                        .unwrap_or_default(),
                    number_of_rotations: r.rotations,
                    // No key material is ever imported here.
                    key_materials: Vec::new(),
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/rotate-on-demand`: a new master-key
    /// version, generated here, wrapped under the keystore's root key and
    /// made current; new DEKs and data use it, old ciphertexts keep their
    /// version.
    ///
    /// # Errors
    /// Bad `key_id`, unknown, disabled or pending-deletion key, a key
    /// with imported material (KMS.0312), a key at its version quota
    /// ([`CoreConfig::max_versions_per_key`](crate::CoreConfig), KMS.0308),
    /// a disabled keystore. Two rotations racing from the same version make one new
    /// version: the loser's material is dropped and it answers as the
    /// winner does (the key was rotated).
    pub fn rotate_on_demand(
        &self,
        caller: &Caller,
        body: &RotateOnDemandRequestBody,
    ) -> Res<RotateOnDemandResponseBody> {
        self.audited(
            caller,
            Operation::RotateOnDemand,
            Resource::Named(&body.key_id),
            None,
            || {
                let req = RotateOnDemandRequest::from_body(body).map_err(|e| e.to_kms())?;
                let spec = self.find_key(caller, &req.key_id)?.spec;
                if spec.is_asymmetric() {
                    return Err(not_rotatable(req.key_id.as_str(), spec));
                }
                let key = self.usable_key(caller, &req.key_id, None)?;
                if key.origin == KeyOrigin::External {
                    return Err(external_not_rotatable(&key.key_id));
                }
                let suite = super::keys::cmk_suite(&key)?;
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
                Ok(RotateOnDemandResponseBody {
                    key_id: key.key_id.clone(),
                })
            },
        )
    }
}
