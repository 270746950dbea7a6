//! DEKs: create (with and without plaintext), encrypt, decrypt.

use crate::error::CoreError;
use std::sync::Arc;

use kms_crypto::{BlobKind, CipherSuite, Ciphertext, Dek, DekLength, MasterKey};
use kms_model::{
    CreateDatakeyRequest, DatakeyLength, DecryptDatakeyRequest, EncryptDatakeyRequest, ErrorCode,
    Operation,
};

use super::{Kms, Res, Resource, dek_context, dek_context_in, kms_internal, sequence_text};
use crate::ports::{Caller, EntropyRng, KeyRecord};

/// The model's validated `datakey_length` as kms-crypto's DEK length: both
/// are 8..=8192 bits in whole bytes and the model's constructors enforce it,
/// so this never fails (checked for every length in the tests); the two
/// crates meet here, so neither depends on the other.
pub(crate) fn dek_length(l: DatakeyLength) -> kms_crypto::Result<DekLength> {
    const _: () = assert!(DatakeyLength::MIN_BITS == 8 && DatakeyLength::MAX_BITS == 8192);
    DekLength::from_bits(u64::from(l.bits()))
}

/// A DEK made by [`Kms::create_datakey`]: the plaintext and its wrapped
/// form under the key's current version.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewDatakey {
    /// The DEK (zeroized on drop; redacted in `Debug`).
    pub plaintext: Dek,
    /// The DEK wrapped under the CMK (a kms-crypto blob).
    pub ciphertext: Ciphertext,
}

/// A DEK opened by [`Kms::decrypt_datakey`].
#[derive(Debug)]
#[non_exhaustive]
pub struct OpenedDatakey {
    /// The DEK (zeroized on drop; redacted in `Debug`).
    pub plaintext: Dek,
    /// The cipher suite of the CMK that wrapped it: its digest is the
    /// suite's (SHA-256 under an AES key, SM3 under an SM4 key).
    pub suite: CipherSuite,
}

impl Kms {
    /// The master key of the CMK's current version, checked usable (PIN
    /// included), and the DEK length asked for.
    fn dek_master_key(
        &self,
        caller: &Caller,
        req: &CreateDatakeyRequest,
        op: Operation,
    ) -> Res<(Arc<KeyRecord>, Arc<MasterKey>, DekLength)> {
        let key = self.usable_key(caller, &req.key_id, req.pin.as_ref(), op)?;
        let mk = self.master_key(&key, key.current_version)?;
        let len = dek_length(req.datakey_length).map_err(kms_internal)?;
        Ok((key, mk, len))
    }

    /// create-datakey-without-plaintext: a DEK generated and wrapped inside
    /// kms-crypto; only its ciphertext leaves.
    ///
    /// # Errors
    /// Unknown/disabled key or keystore, invalid PIN, root-key failures.
    pub fn create_datakey_without_plaintext(
        &self,
        caller: &Caller,
        req: &CreateDatakeyRequest,
    ) -> Res<Ciphertext> {
        self.audited(
            caller,
            Operation::CreateDatakeyWithoutPlaintext,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let (key, mk, len) =
                    self.dek_master_key(caller, req, Operation::CreateDatakeyWithoutPlaintext)?;
                let ctx = dek_context(&key, req.additional_authenticated_data.as_ref())
                    .map_err(kms_internal)?;
                mk.generate_dek(&mut EntropyRng(&*self.ports.entropy), len, &ctx)
                    .map_err(kms_internal)
            },
        )
    }

    /// create-datakey: a DEK, in clear and wrapped.
    ///
    /// # Errors
    /// As [`Kms::create_datakey_without_plaintext`].
    pub fn create_datakey(&self, caller: &Caller, req: &CreateDatakeyRequest) -> Res<NewDatakey> {
        self.audited(
            caller,
            Operation::CreateDatakey,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let (key, mk, len) = self.dek_master_key(caller, req, Operation::CreateDatakey)?;
                let ctx = dek_context(&key, req.additional_authenticated_data.as_ref())
                    .map_err(kms_internal)?;
                let (plaintext, ciphertext) = mk
                    .generate_dek_with_plaintext(&mut EntropyRng(&*self.ports.entropy), len, &ctx)
                    .map_err(kms_internal)?;
                Ok(NewDatakey {
                    plaintext,
                    ciphertext,
                })
            },
        )
    }

    /// encrypt-datakey: wraps the caller's DEK after checking the digest
    /// that follows it (SHA-256 under an AES key, SM3 under an SM4 key).
    ///
    /// # Errors
    /// Digest mismatch (KMS.2103), key errors.
    pub fn encrypt_datakey(&self, caller: &Caller, req: &EncryptDatakeyRequest) -> Res<Ciphertext> {
        self.audited(
            caller,
            Operation::EncryptDatakey,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let key = self.usable_key(
                    caller,
                    &req.key_id,
                    req.pin.as_ref(),
                    Operation::EncryptDatakey,
                )?;
                // DEK || SHA-256(DEK) under an AES key, DEK || SM3(DEK)
                // under an SM4 key.
                let suite = super::keys::cmk_suite(&key)?;
                let dek = Dek::from_bytes_with_suite_digest(suite, &req.plain_text)
                    .map_err(|_| CoreError::bare(ErrorCode::KmsDekHashMismatch))?;
                let mk = self.master_key(&key, key.current_version)?;
                let ctx = dek_context(&key, req.additional_authenticated_data.as_ref())
                    .map_err(kms_internal)?;
                mk.wrap_dek(&mut EntropyRng(&*self.ports.entropy), &dek, &ctx)
                    .map_err(kms_internal)
            },
        )
    }

    /// decrypt-datakey: unwraps with the key version recorded in the
    /// ciphertext, so rotation keeps old ciphertexts readable.
    ///
    /// # Errors
    /// Key errors, a ciphertext that does not belong to the key or does
    /// not unwrap in this context (KMS.2201, opaque), a DEK longer than
    /// `datakey_cipher_length` (KMS.2204; a shorter one is answered with
    /// its own length).
    pub fn decrypt_datakey(
        &self,
        caller: &Caller,
        req: &DecryptDatakeyRequest,
    ) -> Res<OpenedDatakey> {
        self.audited(
            caller,
            Operation::DecryptDatakey,
            Resource::Named(req.key_id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let invalid = || CoreError::bare(ErrorCode::KmsInvalidCipherText);
                let key = self.usable_key(caller, &req.key_id, None, Operation::DecryptDatakey)?;
                let blob = Ciphertext::from_bytes(&req.cipher_text).map_err(|_| invalid())?;
                let header = blob.header();
                if header.kind() != BlobKind::DataKey {
                    return Err(invalid());
                }
                // The key's own blob, or one another member of its
                // multi-region group sealed (bound to that member's
                // project).
                let peer = match header.key_id() {
                    Some(id) if id == key.key_id => None,
                    Some(id) => Some(
                        self.key_group(&key.key_id)?
                            .into_iter()
                            .find(|m| m.key_id == id)
                            .ok_or_else(invalid)?,
                    ),
                    None => return Err(invalid()),
                };
                // `datakey_cipher_length` bounds the DEK rather than
                // naming its length: the length is the blob's own, bound
                // into its AEAD. Huawei's Java encryption SDK sends "32"
                // for its 16-byte DEKs (docs/errors.md, "Inputs real tools
                // send").
                if header.plaintext_len() > req.max_datakey_length.bytes() {
                    return Err(CoreError::bare(ErrorCode::KmsCipherTextLengthMismatch));
                }
                let version = header.key_version();
                if version == 0 || version > key.current_version {
                    return Err(invalid());
                }
                let aad = req.additional_authenticated_data.as_ref();
                let (plaintext, suite) = match &peer {
                    None => {
                        let mk = self.master_key(&key, version)?;
                        let ctx = dek_context(&key, aad).map_err(|_| invalid())?;
                        (mk.unwrap_dek(blob.as_bytes(), &ctx), mk.suite())
                    }
                    Some(theirs) => {
                        let mk = self.peer_master_key(&key, &theirs.key_id, version)?;
                        let ctx = dek_context_in(&theirs.project_id, aad).map_err(|_| invalid())?;
                        (mk.unwrap_dek(blob.as_bytes(), &ctx), mk.suite())
                    }
                };
                Ok(OpenedDatakey {
                    plaintext: plaintext.map_err(|_| invalid())?,
                    suite,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use kms_crypto::DekLength;
    use kms_model::DatakeyLength;

    use super::dek_length;

    #[test]
    fn every_valid_datakey_length_is_the_same_dek_length() {
        let mut n = 0;
        for bits in 0..=9000u64 {
            match DatakeyLength::from_bits(bits) {
                Ok(l) => {
                    assert_eq!(dek_length(l).unwrap(), DekLength::from_bits(bits).unwrap());
                    assert_eq!(dek_length(l).unwrap().bytes(), l.bytes());
                    n += 1;
                }
                Err(_) => assert!(DekLength::from_bits(bits).is_err(), "{bits}"),
            }
        }
        assert_eq!(n, 1024);
    }
}
