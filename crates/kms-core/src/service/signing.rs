//! Key pairs: sign, verify (validate-signature) and get-publickey.

use crate::error::CoreError;
use std::fmt;
use std::sync::Arc;

use kms_crypto::{Message, PublicKey, SigningAlgorithm as Alg, SigningKey};
use kms_model::{
    ErrorCode, KeyUsage, MessageType, OperateKeyRequest, Operation, SignRequest, SigningAlgorithm,
    ValidateSignatureRequest,
};

use super::keys::signing_spec;
use super::{Kms, Res, Resource, kms_internal, root_key_error, sequence_text};
use crate::ports::{Caller, EntropyRng, KeyRecord};

/// The kms-crypto algorithm of a wire algorithm.
fn crypto_alg(a: SigningAlgorithm) -> Alg {
    use kms_crypto::HashAlg::{Sha256, Sha384, Sha512};
    match a {
        SigningAlgorithm::RsaPssSha256 => Alg::RsaPss(Sha256),
        SigningAlgorithm::RsaPssSha384 => Alg::RsaPss(Sha384),
        SigningAlgorithm::RsaPssSha512 => Alg::RsaPss(Sha512),
        SigningAlgorithm::RsaPkcs1Sha256 => Alg::RsaPkcs1v15(Sha256),
        SigningAlgorithm::RsaPkcs1Sha384 => Alg::RsaPkcs1v15(Sha384),
        SigningAlgorithm::RsaPkcs1Sha512 => Alg::RsaPkcs1v15(Sha512),
        SigningAlgorithm::EcdsaSha256 => Alg::Ecdsa(Sha256),
        SigningAlgorithm::EcdsaSha384 => Alg::Ecdsa(Sha384),
        SigningAlgorithm::EcdsaSha512 => Alg::Ecdsa(Sha512),
        SigningAlgorithm::Sm2DsaSm3 => Alg::Sm2Dsa,
    }
}

fn message(t: MessageType, m: &[u8]) -> Message<'_> {
    match t {
        MessageType::Digest => Message::Digest(m),
        MessageType::Raw => Message::Raw(m),
    }
}

/// A caller mistake kms-crypto reports (the request model checks the same
/// rules first, so these are the algorithm-to-spec pairing, KMS.0332, and
/// a digest of the wrong length, KMS.0329).
fn sign_error(key: &KeyRecord, alg: SigningAlgorithm, e: kms_crypto::Error) -> CoreError {
    match e {
        kms_crypto::Error::AlgorithmMismatch => CoreError::new(
            ErrorCode::KmsSigningAlgorithmUnsupported,
            format!(
                "signing_algorithm {} does not fit a {} key",
                alg.as_str(),
                key.spec.as_str()
            ),
        ),
        kms_crypto::Error::InvalidDigestLength { .. } => {
            CoreError::new(ErrorCode::KmsDigestLengthMismatch, format!("message: {e}"))
        }
        kms_crypto::Error::InvalidMessageLength { .. } => {
            CoreError::new(ErrorCode::KmsInvalidParameter, format!("message: {e}"))
        }
        e => kms_internal(e),
    }
}

/// A key pair opened from its sealed material, as the key-pair cache keeps
/// it: the private key (zeroized when the last holder drops it), its
/// public half and that half's PEM, each computed once.
pub(crate) struct OpenedKeyPair {
    pub(super) private: SigningKey,
    pub(super) public: PublicKey,
    pub(super) pem: String,
}

impl fmt::Debug for OpenedKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedKeyPair")
            .field("private", &self.private)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A key-pair operation, for [`Kms::key_pair_work`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPairOp {
    /// `sign`.
    Sign,
    /// `verify` (validate-signature).
    Verify,
    /// `get-publickey`.
    GetPublicKey,
}

/// What answering a key-pair request would cost, as far as the caches
/// tell without reading storage ([`Kms::key_pair_work`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPairWork {
    /// The key's record and opened pair are cached, and the operation is
    /// short (tens of microseconds): get-publickey, an ECDSA P-256 sign,
    /// an RSA or ECDSA P-256 verification. Fit for an async worker.
    Light,
    /// Anything else: a storage read or an open ahead, or a long
    /// operation (an RSA private-key operation, P-384, SM2). For the
    /// blocking pool.
    Heavy,
}

impl Kms {
    /// Whether a sign / verify / get-publickey of `key_id` by `caller`
    /// would be [`KeyPairWork::Light`], from the caches alone: no storage
    /// read, no cache counter moved, nothing decided (the operation
    /// itself checks everything again, and if a state change emptied a
    /// cache in between it reads storage as usual). Another project's key
    /// id, or one not cached, is heavy.
    #[must_use]
    pub fn key_pair_work(&self, caller: &Caller, key_id: &str, op: KeyPairOp) -> KeyPairWork {
        use kms_crypto::SigningKeySpec as Spec;
        let now = self.ports.clock.now().0;
        let Some(record) = self.key_records.peek(key_id, now) else {
            return KeyPairWork::Heavy;
        };
        if record.project_id != caller.project_id {
            return KeyPairWork::Heavy;
        }
        let Some(pair) = self.key_pairs.peek(key_id) else {
            return KeyPairWork::Heavy;
        };
        let light = matches!(
            (op, pair.private.spec()),
            (KeyPairOp::GetPublicKey, _)
                | (KeyPairOp::Sign | KeyPairOp::Verify, Spec::EcP256)
                | (
                    KeyPairOp::Verify,
                    Spec::Rsa2048 | Spec::Rsa3072 | Spec::Rsa4096
                )
        );
        if light {
            KeyPairWork::Light
        } else {
            KeyPairWork::Heavy
        }
    }

    /// The opened key pair of an asymmetric CMK: from the key-pair cache,
    /// else read from storage and opened through the root-key provider
    /// (then cached unless a state change raced with the read).
    pub(super) fn key_pair(&self, key: &KeyRecord) -> Res<Arc<OpenedKeyPair>> {
        // An HMAC key has none: KMS.0341; a symmetric key: KMS.0331.
        if key.spec.is_hmac() {
            return Err(CoreError::new(
                ErrorCode::KmsHmacUnsupported,
                format!("key {} is an HMAC key, not a key pair", key.key_id),
            ));
        }
        let spec = signing_spec(key.spec).ok_or_else(|| {
            CoreError::new(
                ErrorCode::KmsSymmetricUnsupported,
                format!("key {} is a symmetric key, not a key pair", key.key_id),
            )
        })?;
        if let Some(pair) = self.key_pairs.get(&key.key_id)
            && pair.private.spec() == spec
        {
            return Ok(pair);
        }
        let epoch = self.key_pairs.epoch();
        let sealed = self
            .ports
            .keys
            .get_key_material(&key.key_id, 1)
            .map_err(kms_internal)?
            .ok_or_else(|| CoreError::new(ErrorCode::KmsInternal, "key pair material missing"))?;
        let private = self
            .ports
            .root_keys
            .open_key_pair(&key.keystore_id, &key.key_id, spec, &sealed)
            .map_err(root_key_error)?;
        let public = private.public_key();
        let pem = public.to_pem().map_err(kms_internal)?;
        let pair = Arc::new(OpenedKeyPair {
            private,
            public,
            pem,
        });
        self.key_pairs.insert(&key.key_id, Arc::clone(&pair), epoch);
        Ok(pair)
    }

    /// sign: signs a digest or a message with an enabled key pair
    /// (`SIGN_VERIFY`); the signature's bytes (DER for ECDSA and SM2).
    ///
    /// # Errors
    /// Unknown (KMS.0207), disabled (KMS.0209) or pending-deletion
    /// (KMS.0210) key; a symmetric key (KMS.0331), an `ENCRYPT_DECRYPT` key
    /// pair (KMS.0334), an algorithm that does not fit the key (KMS.0332),
    /// a digest of the wrong length (KMS.0329).
    pub fn sign(&self, caller: &Caller, req: &SignRequest) -> Res<Vec<u8>> {
        self.audited(
            caller,
            Operation::Sign,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.usable_key_for(
                    caller,
                    &req.key_id,
                    None,
                    KeyUsage::SignVerify,
                    Operation::Sign,
                )?;
                let pair = self.key_pair(&key)?;
                pair.private
                    .sign(
                        crypto_alg(req.signing_algorithm),
                        message(req.message_type, &req.message),
                        &mut EntropyRng(&*self.ports.entropy),
                    )
                    .map_err(|e| sign_error(&key, req.signing_algorithm, e))
            },
        )
    }

    /// verify (the SDK's `validate_signature`): whether the signature
    /// verifies.
    ///
    /// # Errors
    /// As [`Kms::sign`]. A signature that does not verify is not an error.
    pub fn validate_signature(&self, caller: &Caller, req: &ValidateSignatureRequest) -> Res<bool> {
        self.audited(
            caller,
            Operation::ValidateSignature,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.usable_key_for(
                    caller,
                    &req.key_id,
                    None,
                    KeyUsage::SignVerify,
                    Operation::ValidateSignature,
                )?;
                let pair = self.key_pair(&key)?;
                pair.public
                    .verify(
                        crypto_alg(req.signing_algorithm),
                        message(req.message_type, &req.message),
                        &req.signature,
                    )
                    .map_err(|e| sign_error(&key, req.signing_algorithm, e))
            },
        )
    }

    /// get-publickey: the public key of an enabled key pair of either
    /// usage, PEM SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// Unknown, disabled or pending-deletion key; a symmetric key
    /// (KMS.0331).
    pub fn get_public_key(&self, caller: &Caller, req: &OperateKeyRequest) -> Res<String> {
        self.audited(
            caller,
            Operation::GetPublicKey,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                // A key pair of either usage (an SM2 ENCRYPT_DECRYPT key's
                // public key is what callers encrypt to).
                let op = Operation::GetPublicKey;
                let usage = self.find_key(caller, &req.key_id, op)?.usage;
                let key = self.usable_key_for(caller, &req.key_id, None, usage, op)?;
                Ok(self.key_pair(&key)?.pem.clone())
            },
        )
    }
}
