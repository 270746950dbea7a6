//! Data: encrypt-data and decrypt-data (up to 4096 bytes under a CMK, the
//! ciphertext a base64 kms-crypto data blob that names its key and key
//! version, so decrypt-data needs nothing but `cipher_text`).

use crate::error::CoreError;
use kms_crypto::{BlobKind, Ciphertext, DataContext};
use kms_model::{
    Aad, CmkSpec, DecryptDataRequest, EncryptDataRequest, EncryptionAlgorithm, EncryptionContext,
    ErrorCode, KeyId, Operation, ReEncryptRequest,
};
use zeroize::Zeroizing;

use super::{Kms, Res, Resource, kms_internal, sequence_text};
use crate::ports::{Caller, EntropyRng, KeyRecord};

/// The `encryption_algorithm` must be the key's: `SYMMETRIC_DEFAULT` for
/// a symmetric key (else KMS.2105), `RSAES_OAEP_SHA_256` for an RSA key
/// (else KMS.2106), `SM2_ENCRYPT` for an SM2 key (else KMS.0325, an
/// operation the asymmetric key does not support).
fn require_fit(key: &KeyRecord, alg: EncryptionAlgorithm) -> Res<()> {
    let (fits, code) = match key.spec {
        CmkSpec::Aes256 | CmkSpec::Sm4 => (
            alg == EncryptionAlgorithm::SymmetricDefault,
            ErrorCode::KmsSymmetricAlgorithmMismatch,
        ),
        CmkSpec::Rsa2048 | CmkSpec::Rsa3072 | CmkSpec::Rsa4096 => (
            alg == EncryptionAlgorithm::RsaesOaepSha256,
            ErrorCode::KmsRsaAlgorithmMismatch,
        ),
        _ => (
            alg == EncryptionAlgorithm::Sm2Encrypt,
            ErrorCode::KmsAsymmetricUnsupported,
        ),
    };
    if fits {
        Ok(())
    } else {
        Err(CoreError::new(
            code,
            format!(
                "encryption_algorithm {} does not fit a {} key",
                alg.as_str(),
                key.spec.as_str()
            ),
        ))
    }
}

/// The context a data blob is bound to: the key's project (the caller's
/// own, or for a grantee the key owner's), the request's AAD and canonical
/// encryption context. The one place they are put together, for
/// encryption and decryption alike.
fn data_context<'a>(
    key: &'a KeyRecord,
    aad: Option<&Aad>,
    ctx: &EncryptionContext,
) -> Result<DataContext<'a>, kms_crypto::Error> {
    data_context_in(&key.project_id, aad, ctx)
}

/// [`data_context`] bound to another project: a ciphertext another member
/// of a multi-region group sealed is bound to that member's project.
fn data_context_in<'a>(
    project_id: &'a str,
    aad: Option<&Aad>,
    ctx: &EncryptionContext,
) -> Result<DataContext<'a>, kms_crypto::Error> {
    DataContext::new(
        project_id,
        aad.map_or(&[][..], Aad::as_bytes),
        &ctx.canonical(),
    )
}

/// Data encrypted by [`Kms::encrypt_data`] or [`Kms::re_encrypt`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedData {
    /// The key it is encrypted under.
    pub key_id: String,
    /// The ciphertext: a kms-crypto data blob under a symmetric key, the
    /// RSAES-OAEP or SM2 (C1C3C2 DER) ciphertext under a key pair.
    pub ciphertext: Vec<u8>,
}

/// Data opened by [`Kms::decrypt_data`].
#[derive(Debug)]
#[non_exhaustive]
pub struct OpenedData {
    /// The key that opened it.
    pub key_id: String,
    /// The plaintext (zeroized on drop).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// A ciphertext moved by [`Kms::re_encrypt`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReEncrypted {
    /// The key that opened the source ciphertext.
    pub source_key_id: String,
    /// The ciphertext under the destination key's current version.
    pub sealed: SealedData,
}

impl Kms {
    /// encrypt-data: encrypts the data under the key's current version
    /// (`SYMMETRIC_DEFAULT`), or to the key pair's public key
    /// (`SM2_ENCRYPT`, `RSAES_OAEP_SHA_256`).
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key, disabled keystore; a
    /// `SIGN_VERIFY` key (KMS.0335); an algorithm that does not fit the key
    /// (KMS.2105, KMS.2106, KMS.0325); RSA plaintext over
    /// `k - 2*hLen - 2` bytes (KMS.2108).
    pub fn encrypt_data(&self, caller: &Caller, req: &EncryptDataRequest) -> Res<SealedData> {
        self.audited(
            caller,
            Operation::EncryptData,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.usable_key(caller, &req.key_id, None, Operation::EncryptData)?;
                require_fit(&key, req.encryption_algorithm)?;
                if req.encryption_algorithm.is_asymmetric() {
                    let pair = self.key_pair(&key)?;
                    let public = &pair.public;
                    let mut rng = EntropyRng(&*self.ports.entropy);
                    let ciphertext = match req.encryption_algorithm {
                        EncryptionAlgorithm::RsaesOaepSha256 => public
                            .encrypt_rsa_oaep_sha256(&mut rng, &req.plain_text)
                            .map_err(|e| match e {
                                kms_crypto::Error::RsaPlaintextTooLong { .. } => {
                                    CoreError::new(ErrorCode::KmsRsaPlainTextTooLong, e.to_string())
                                }
                                e => kms_internal(e),
                            })?,
                        _ => public
                            .encrypt_sm2(&mut rng, &req.plain_text)
                            .map_err(kms_internal)?,
                    };
                    return Ok(SealedData {
                        key_id: key.key_id.clone(),
                        ciphertext,
                    });
                }
                self.seal_data(
                    caller,
                    Operation::EncryptData,
                    &req.key_id,
                    &req.plain_text,
                    req.additional_authenticated_data.as_ref(),
                    &req.encryption_context,
                )
            },
        )
    }

    /// decrypt-data: the key and key version come from the blob, so old
    /// ciphertexts keep decrypting after a rotation; `key_id`, when given,
    /// must be the blob's.
    ///
    /// # Errors
    /// A blob that is malformed, not a data blob, of another key or
    /// version, or that does not open in this context, an SM2 or
    /// RSAES-OAEP ciphertext that does not decrypt (KMS.2201, opaque);
    /// unknown, disabled or pending-deletion key; an algorithm that does
    /// not fit the key (KMS.2105, KMS.2106, KMS.0325).
    pub fn decrypt_data(&self, caller: &Caller, req: &DecryptDataRequest) -> Res<OpenedData> {
        // The resource is the key the request names, if any; the blob's
        // key is only known once decoded.
        self.audited(
            caller,
            Operation::DecryptData,
            req.key_id
                .as_ref()
                .map_or(Resource::None, |k| Resource::Named(k.as_str())),
            sequence_text(req.sequence.as_ref()),
            || {
                if let (true, Some(id)) = (
                    req.encryption_algorithm.is_asymmetric(),
                    req.key_id.as_ref(),
                ) {
                    // A public-key ciphertext names no key: the request
                    // does (the model requires key_id with SM2_ENCRYPT
                    // and RSAES_OAEP_SHA_256).
                    let key = self.usable_key(caller, id, None, Operation::DecryptData)?;
                    require_fit(&key, req.encryption_algorithm)?;
                    let pair = self.key_pair(&key)?;
                    let plaintext = match req.encryption_algorithm {
                        EncryptionAlgorithm::RsaesOaepSha256 => {
                            pair.private.decrypt_rsa_oaep_sha256(
                                &mut EntropyRng(&*self.ports.entropy),
                                &req.cipher_text,
                            )
                        }
                        _ => pair.private.decrypt_sm2(&req.cipher_text),
                    }
                    .map_err(|_| CoreError::bare(ErrorCode::KmsInvalidCipherText))?;
                    return Ok(OpenedData {
                        key_id: key.key_id.clone(),
                        plaintext,
                    });
                }
                if let Some(id) = req.key_id.as_ref() {
                    // A named key must take SYMMETRIC_DEFAULT (an RSA or
                    // SM2 key: KMS.2106, KMS.0325).
                    let key = self.usable_key(caller, id, None, Operation::DecryptData)?;
                    require_fit(&key, req.encryption_algorithm)?;
                }
                self.open_data(
                    caller,
                    Operation::DecryptData,
                    &req.cipher_text,
                    req.key_id.as_ref(),
                    req.additional_authenticated_data.as_ref(),
                    &req.encryption_context,
                )
            },
        )
    }
}

impl Kms {
    /// Encrypts under the key's current version (a data blob; also the
    /// private key of a data key pair).
    pub(super) fn seal_data(
        &self,
        caller: &Caller,
        op: Operation,
        key_id: &KeyId,
        plain: &[u8],
        aad: Option<&Aad>,
        ctx: &EncryptionContext,
    ) -> Res<SealedData> {
        let key = self.usable_key(caller, key_id, None, op)?;
        let mk = self.master_key(&key, key.current_version)?;
        let ctx = data_context(&key, aad, ctx).map_err(kms_internal)?;
        let ct = mk
            .encrypt_data(&mut EntropyRng(&*self.ports.entropy), plain, &ctx)
            .map_err(kms_internal)?;
        Ok(SealedData {
            key_id: key.key_id.clone(),
            ciphertext: ct.into_bytes(),
        })
    }

    /// Opens a data blob with the key and version it names (`expected`,
    /// when given, must be that key).
    fn open_data(
        &self,
        caller: &Caller,
        op: Operation,
        raw: &[u8],
        expected: Option<&KeyId>,
        aad: Option<&Aad>,
        ctx: &EncryptionContext,
    ) -> Res<OpenedData> {
        let invalid = || CoreError::bare(ErrorCode::KmsInvalidCipherText);
        let blob = Ciphertext::from_bytes(raw).map_err(|_| invalid())?;
        let header = blob.header();
        if header.kind() != BlobKind::Data {
            return Err(invalid());
        }
        let key_id = header
            .key_id()
            .and_then(|id| KeyId::parse(id).ok())
            .ok_or_else(invalid)?;
        // The blob's key, or (a blob another member of a multi-region
        // group sealed) the caller's member of that group.
        let (key, peer) = match self.usable_key(caller, &key_id, None, op) {
            Ok(key) => (key, None),
            Err(e) if e.code() == ErrorCode::KmsKeyNotFound => {
                let Some((mine, theirs)) = self.group_peer(caller, key_id.as_str())? else {
                    return Err(e);
                };
                (self.usable_key(caller, &mine, None, op)?, Some(theirs))
            }
            Err(e) => return Err(e),
        };
        if expected.is_some_and(|k| *k != key_id && k.as_str() != key.key_id) {
            return Err(invalid());
        }
        let version = header.key_version();
        if version == 0 || version > key.current_version {
            return Err(invalid());
        }
        let plaintext = match &peer {
            None => {
                let ctx = data_context(&key, aad, ctx).map_err(|_| invalid())?;
                self.master_key(&key, version)?
                    .decrypt_data(blob.as_bytes(), &ctx)
            }
            Some(theirs) => {
                let ctx = data_context_in(&theirs.project_id, aad, ctx).map_err(|_| invalid())?;
                self.peer_master_key(&key, &theirs.key_id, version)?
                    .decrypt_data(blob.as_bytes(), &ctx)
            }
        }
        .map_err(|_| invalid())?;
        Ok(OpenedData {
            key_id: key.key_id.clone(),
            plaintext,
        })
    }

    /// re-encrypt: opens a data ciphertext (its key and version from the
    /// blob, as decrypt-data) and encrypts the plaintext under the
    /// destination key's current version; the plaintext never leaves the
    /// service. Re-encrypting under the same key moves a ciphertext to the
    /// key's newest version.
    ///
    /// # Errors
    /// As [`Kms::decrypt_data`] for the source, as [`Kms::encrypt_data`]
    /// for the destination.
    pub fn re_encrypt(&self, caller: &Caller, req: &ReEncryptRequest) -> Res<ReEncrypted> {
        self.audited(
            caller,
            Operation::ReEncrypt,
            Resource::Named(req.destination_key_id.as_str()),
            None,
            || {
                let none = EncryptionContext::default();
                let source = self.open_data(
                    caller,
                    Operation::ReEncrypt,
                    &req.cipher_text,
                    req.source_key_id.as_ref(),
                    req.source_additional_authenticated_data.as_ref(),
                    &none,
                )?;
                let sealed = self.seal_data(
                    caller,
                    Operation::ReEncrypt,
                    &req.destination_key_id,
                    &source.plaintext,
                    req.destination_additional_authenticated_data.as_ref(),
                    &none,
                )?;
                Ok(ReEncrypted {
                    source_key_id: source.key_id,
                    sealed,
                })
            },
        )
    }
}
