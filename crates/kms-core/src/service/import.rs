//! Key material import, BYOK: get-parameters-for-import (a fresh wrapping
//! key pair per import token), import-key-material (symmetric material,
//! or a key pair's private key under a temporary key), the material's
//! expiry by the clock port, delete-imported-key-material, and the
//! re-import rule (only the same material goes back into a key).

use std::sync::Arc;

use crate::error::CoreError;
use kms_crypto::{
    IMPORT_TOKEN_SECRET_LEN, ImportToken, MasterKey, SigningKey, SigningKeySpec,
    fingerprints_equal, import_fingerprint, unwrap_private_key,
};
use kms_model::{
    ErrorCode, GetParametersForImportRequest, ImportKeyMaterialRequest, OperateKeyRequest,
    Operation, WrappingAlgorithm,
};
use zeroize::Zeroizing;

use super::keys::signing_spec;
use super::{Kms, Res, Resource, kms_internal, root_key_error, sequence_text};
use crate::ports::{
    Caller, EntropyRng, ImportMaterialError, ImportTokenRecord, KeyMaterial, KeyOrigin, KeyRecord,
    KeyState, RootKeyError, Timestamp,
};

/// How long an import token (and its wrapping key) is valid: 24 hours, as
/// the service documents it.
pub const IMPORT_TOKEN_VALIDITY_MS: i64 = 24 * 3_600_000;

/// The length of imported symmetric material (KMS.2604 otherwise).
pub const IMPORTED_KEY_LEN: usize = 32;

/// What get-parameters-for-import returns.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportParameters {
    /// The key.
    pub key_id: String,
    /// The import token, as the client presents it back (a credential for
    /// 24 hours: `Debug` redacts it).
    pub import_token: Vec<u8>,
    /// When the token expires.
    pub expires: Timestamp,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
}

impl std::fmt::Debug for ImportParameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportParameters")
            .field("key_id", &self.key_id)
            .field("import_token", &"<redacted>")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The spec of a wrapping key pair.
const fn wrapping_spec(a: WrappingAlgorithm) -> SigningKeySpec {
    match a {
        WrappingAlgorithm::RsaesOaepSha256 | WrappingAlgorithm::RsaesOaepSha1 => {
            SigningKeySpec::Rsa2048
        }
        WrappingAlgorithm::Sm2Encrypt => SigningKeySpec::Sm2,
    }
}

fn refused(code: ErrorCode, why: impl Into<String>) -> CoreError {
    CoreError::new(code, why.into())
}

/// KMS.2605: the token does not verify (unknown, forged, another
/// project's, or the material does not decrypt under it). Never says
/// which.
fn token_invalid() -> CoreError {
    refused(
        ErrorCode::KmsImportTokenInvalid,
        "the import token does not verify",
    )
}

impl Kms {
    /// An external key of the caller's project that is not pending
    /// deletion (KMS.0207, KMS.0210; a key generated here: KMS.0308).
    fn external_key(
        &self,
        caller: &Caller,
        key_id: &kms_model::KeyId,
        op: Operation,
    ) -> Res<Arc<KeyRecord>> {
        let key = self.find_key(caller, key_id, op)?;
        if key.origin != KeyOrigin::External {
            return Err(refused(
                ErrorCode::KmsInvalidParameter,
                format!("key {} was not created with origin external", key.key_id),
            ));
        }
        if key.state == KeyState::PendingDeletion {
            return Err(refused(
                ErrorCode::KmsKeyPendingDeletion,
                key.key_id.clone(),
            ));
        }
        Ok(key)
    }

    /// get-parameters-for-import: a fresh wrapping key pair (RSA-2048 for
    /// `RSAES_OAEP_SHA_256` and `RSAES_OAEP_SHA_1`, SM2 for `SM2_ENCRYPT`), its private key
    /// sealed under the default keystore's root key in a stored token
    /// record, valid 24 hours; the client gets the token (id and a
    /// 113-byte random secret) and the public key. Expired tokens are
    /// purged on the way.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), a key generated here (KMS.0308), pending
    /// deletion (KMS.0210), entropy, root-key or storage failures.
    pub fn get_parameters_for_import(
        &self,
        caller: &Caller,
        req: &GetParametersForImportRequest,
    ) -> Res<ImportParameters> {
        self.audited(
            caller,
            Operation::CreateParametersForImport,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key =
                    self.external_key(caller, &req.key_id, Operation::CreateParametersForImport)?;
                let now = self.ports.clock.now();
                self.ports
                    .keys
                    .purge_import_tokens(now)
                    .map_err(kms_internal)?;
                let pair = SigningKey::generate(
                    wrapping_spec(req.wrapping_algorithm),
                    &mut EntropyRng(&*self.ports.entropy),
                )
                .map_err(kms_internal)?;
                let public_key_der = pair.public_key().to_der().map_err(kms_internal)?;
                let token_id = self.new_id().map_err(kms_internal)?;
                let sealed = self
                    .ports
                    .root_keys
                    .seal_key_pair(&key.keystore_id, &token_id, &*self.ports.entropy, &pair)
                    .map_err(root_key_error)?;
                let mut secret = Zeroizing::new([0u8; IMPORT_TOKEN_SECRET_LEN]);
                self.ports
                    .entropy
                    .fill(&mut secret[..])
                    .map_err(kms_internal)?;
                let token = ImportToken::encode(&token_id, &secret[..]).map_err(kms_internal)?;
                let expires = Timestamp(now.0.saturating_add(IMPORT_TOKEN_VALIDITY_MS));
                self.ports
                    .keys
                    .insert_import_token(&ImportTokenRecord {
                        token_id,
                        project_id: caller.project_id.clone(),
                        key_id: key.key_id.clone(),
                        secret_digest: kms_crypto::secret_digest(&secret[..]).to_vec(),
                        wrapping_algorithm: req.wrapping_algorithm.as_str().to_owned(),
                        sealed_private_key: sealed.as_bytes().to_vec(),
                        expires,
                    })
                    .map_err(kms_internal)?;
                Ok(ImportParameters {
                    key_id: key.key_id.clone(),
                    import_token: token,
                    expires,
                    public_key_der,
                })
            },
        )
    }

    /// import-key-material: checks the token (KMS.2605; another key's:
    /// KMS.2603; expired: KMS.2601), the key (external, pending import:
    /// else KMS.0308; pending deletion KMS.0210), the expiry asked
    /// (after now, KMS.2602), opens the material with the token's wrapping
    /// key (KMS.2605 when it does not decrypt), and stores it as version 1
    /// exactly as generated material is stored; the key becomes enabled.
    /// A symmetric key takes 32 bytes (KMS.2604), the same as any it had
    /// before (KMS.2606). A key pair takes `encrypted_key_material` as a
    /// 16- or 32-byte temporary key (KMS.2610) and `encrypted_privatekey`
    /// (KMS.2608 when absent) as its PKCS#8 private key wrapped under it by
    /// AES-KWP (RFC 5649), which must be a key of the key's spec
    /// (KMS.2609). Returns the key's record as written.
    ///
    /// # Errors
    /// As above, or root-key and storage failures.
    pub fn import_key_material(
        &self,
        caller: &Caller,
        req: &ImportKeyMaterialRequest,
    ) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::ImportKeyMaterial,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || self.import_key_material_unaudited(caller, req),
        )
    }

    fn import_key_material_unaudited(
        &self,
        caller: &Caller,
        req: &ImportKeyMaterialRequest,
    ) -> Res<KeyRecord> {
        let now = self.ports.clock.now();
        let token = ImportToken::parse(req.import_token.expose()).map_err(|_| token_invalid())?;
        let record = self
            .ports
            .keys
            .get_import_token(token.id())
            .map_err(kms_internal)?
            .ok_or_else(token_invalid)?;
        // The digest first (constant time), then whose it is: a token of
        // another project does not verify, whatever else it names.
        if !token.matches(&record.secret_digest) || record.project_id != caller.project_id {
            return Err(token_invalid());
        }
        if record.key_id != req.key_id.as_str() {
            return Err(refused(
                ErrorCode::KmsImportTokenKeyMismatch,
                format!("the token was issued for key {}", record.key_id),
            ));
        }
        if record.expires <= now {
            return Err(refused(
                ErrorCode::KmsImportTokenExpired,
                "the import token expired",
            ));
        }
        let key = self.external_key(caller, &req.key_id, Operation::ImportKeyMaterial)?;
        if key.state != KeyState::PendingImport {
            return Err(refused(
                ErrorCode::KmsInvalidParameter,
                format!("key {} is not pending import", key.key_id),
            ));
        }
        let expiry = match req.expiration_time {
            None => None,
            Some(s) => {
                let ms = i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000);
                if ms <= now.0 {
                    return Err(refused(
                        ErrorCode::KmsImportExpirationPast,
                        "expiration_time is not after now",
                    ));
                }
                Some(Timestamp(ms))
            }
        };
        let algorithm =
            WrappingAlgorithm::from_name(&record.wrapping_algorithm).ok_or_else(|| {
                kms_internal(crate::ports::PortError::corrupt(
                    "unknown wrapping algorithm in an import token",
                ))
            })?;
        let wrapping = self
            .ports
            .root_keys
            .open_key_pair(
                &key.keystore_id,
                &record.token_id,
                wrapping_spec(algorithm),
                &record.sealed_private_key,
            )
            .map_err(|e| match e {
                // A sealed key that does not open for this token: the
                // record was tampered with; the token does not verify.
                RootKeyError::Rejected => token_invalid(),
                e => root_key_error(e),
            })?;
        let plain = match algorithm {
            WrappingAlgorithm::RsaesOaepSha256 => wrapping.decrypt_rsa_oaep_sha256(
                &mut EntropyRng(&*self.ports.entropy),
                &req.encrypted_key_material,
            ),
            WrappingAlgorithm::RsaesOaepSha1 => {
                wrapping.decrypt_rsa_oaep_sha1(&req.encrypted_key_material)
            }
            WrappingAlgorithm::Sm2Encrypt => wrapping.decrypt_sm2(&req.encrypted_key_material),
        }
        .map_err(|_| token_invalid())?;
        let (material, master, fingerprint) = match signing_spec(key.spec) {
            None => {
                if req.encrypted_private_key.is_some() {
                    return Err(refused(
                        ErrorCode::KmsInvalidParameter,
                        "encrypted_privatekey is for key pairs",
                    ));
                }
                if plain.len() != IMPORTED_KEY_LEN {
                    return Err(refused(
                        ErrorCode::KmsImportMaterialLength,
                        format!("{} bytes of material, not 32", plain.len()),
                    ));
                }
                let fingerprint = import_fingerprint(&key.key_id, &plain);
                let given = MasterKey::from_bytes(&key.key_id, 1, &plain).map_err(kms_internal)?;
                let (material, master) =
                    self.new_key_material(&key.keystore_id, &key.key_id, key.spec, Some(given))?;
                (material, master, fingerprint)
            }
            Some(spec) => {
                let Some(wrapped) = req.encrypted_private_key.as_deref() else {
                    return Err(refused(
                        ErrorCode::KmsImportPrivateKeyMissing,
                        "encrypted_privatekey is missing",
                    ));
                };
                let der = unwrap_private_key(&plain, wrapped).map_err(|e| match e {
                    kms_crypto::Error::InvalidKeyLength { .. } => refused(
                        ErrorCode::KmsImportTemporaryKeyLength,
                        format!("a temporary key of {} bytes", plain.len()),
                    ),
                    _ => refused(
                        ErrorCode::KmsImportPrivateKeyInvalid,
                        "encrypted_privatekey does not unwrap under the temporary key",
                    ),
                })?;
                let pair = SigningKey::from_pkcs8_der(spec, &der).map_err(|_| {
                    refused(
                        ErrorCode::KmsImportPrivateKeyInvalid,
                        format!("not a PKCS#8 {} private key", spec.name()),
                    )
                })?;
                let fingerprint = import_fingerprint(&key.key_id, &der);
                let sealed = self
                    .ports
                    .root_keys
                    .seal_key_pair(&key.keystore_id, &key.key_id, &*self.ports.entropy, &pair)
                    .map_err(root_key_error)?;
                (KeyMaterial::SealedKeyPair(sealed), None, fingerprint)
            }
        };
        // The re-import rule, read first and compared in constant time;
        // the store's conditional write decides under concurrency.
        if let Some(before) = self
            .ports
            .keys
            .import_fingerprint(&caller.project_id, &key.key_id)
            .map_err(kms_internal)?
            && !fingerprints_equal(&before, &fingerprint)
        {
            return Err(material_differs());
        }
        let written = self.ports.keys.import_key_material(
            &caller.project_id,
            &key.key_id,
            &material,
            &fingerprint,
            expiry,
        );
        self.forget_key(&key.key_id);
        match written {
            Ok(()) => {}
            Err(ImportMaterialError::NotFound) => {
                return Err(refused(ErrorCode::KmsKeyNotFound, key.key_id.clone()));
            }
            Err(ImportMaterialError::NotPendingImport) => {
                return Err(refused(
                    ErrorCode::KmsInvalidParameter,
                    format!("key {} is not pending import", key.key_id),
                ));
            }
            Err(ImportMaterialError::MaterialDiffers) => return Err(material_differs()),
            Err(e) => return Err(kms_internal(e)),
        }
        if let Some(master) = master {
            self.master_keys.insert(master);
        }
        Ok(KeyRecord {
            state: KeyState::Enabled,
            current_version: 1,
            material_expiry: expiry,
            ..(*key).clone()
        })
    }

    /// delete-imported-key-material: the key's material is removed (every
    /// version), the key goes back to pending import; the fingerprint
    /// stays, so only the same material can be imported again. Returns the
    /// key's record as written.
    ///
    /// # Errors
    /// Unknown key (KMS.0207), a key generated here (KMS.0308), a key
    /// pair's imported private key (KMS.2702), a key neither enabled nor
    /// disabled (KMS.2701: pending import or deletion).
    pub fn delete_imported_key_material(
        &self,
        caller: &Caller,
        req: &OperateKeyRequest,
    ) -> Res<KeyRecord> {
        self.audited(
            caller,
            Operation::DeleteImportedKeyMaterial,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key =
                    self.find_key(caller, &req.key_id, Operation::DeleteImportedKeyMaterial)?;
                if key.origin != KeyOrigin::External {
                    return Err(refused(
                        ErrorCode::KmsInvalidParameter,
                        format!("key {} was not created with origin external", key.key_id),
                    ));
                }
                if key.spec.is_asymmetric() {
                    return Err(refused(
                        ErrorCode::KmsImportedPrivateKeyNotDeletable,
                        key.key_id.clone(),
                    ));
                }
                if !matches!(key.state, KeyState::Enabled | KeyState::Disabled) {
                    return Err(refused(
                        ErrorCode::KmsMaterialNotDeletable,
                        key.key_id.clone(),
                    ));
                }
                let deleted =
                    self.ports
                        .keys
                        .delete_key_material(&caller.project_id, &key.key_id, None);
                self.forget_key(&key.key_id);
                if !deleted.map_err(kms_internal)? {
                    return Err(refused(
                        ErrorCode::KmsMaterialNotDeletable,
                        key.key_id.clone(),
                    ));
                }
                Ok(expired_view(&key))
            },
        )
    }

    /// A key whose imported material expired at `now` (see
    /// [`KeyRecord::material_expired`]): its material is removed from
    /// storage (a conditional write: only if it is still the expired
    /// material) and the record as it now reads is returned.
    pub(super) fn expire_material(&self, key: &KeyRecord, now: Timestamp) -> Res<KeyRecord> {
        let removed = self
            .ports
            .keys
            .delete_key_material(&key.project_id, &key.key_id, Some(now));
        self.forget_key(&key.key_id);
        removed.map_err(kms_internal)?;
        Ok(expired_view(key))
    }
}

/// A key as it reads once its imported material is gone: pending import,
/// no version, no expiry.
pub(super) fn expired_view(key: &KeyRecord) -> KeyRecord {
    KeyRecord {
        state: KeyState::PendingImport,
        current_version: 0,
        material_expiry: None,
        ..key.clone()
    }
}

fn material_differs() -> CoreError {
    refused(
        ErrorCode::KmsImportMaterialDiffers,
        "the key had other material before",
    )
}
