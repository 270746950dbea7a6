//! DEKs: create (with and without plaintext), encrypt, decrypt.

use crate::error::CoreError;
use kms_crypto::{BlobKind, Ciphertext, Dek, DekLength};
use kms_model::Operation;
use kms_model::{
    CreateDatakeyRequest, CreateDatakeyRequestBody, CreateDatakeyResponseBody,
    CreateDatakeyWithoutPlaintextResponseBody, DatakeyLength, DecryptDatakeyRequest,
    DecryptDatakeyRequestBody, DecryptDatakeyResponseBody, EncryptDatakeyRequest,
    EncryptDatakeyRequestBody, EncryptDatakeyResponseBody, ErrorCode,
};

use super::{Kms, Res, Resource, dek_context, kms_internal};
use crate::ports::{Caller, EntropyRng};

/// The model's validated `datakey_length` as kms-crypto's DEK length: both
/// are 8..=8192 bits in whole bytes and the model's constructors enforce it,
/// so this never fails (checked for every length in the tests); the two
/// crates meet here, so neither depends on the other.
pub(crate) fn dek_length(l: DatakeyLength) -> kms_crypto::Result<DekLength> {
    const _: () = assert!(DatakeyLength::MIN_BITS == 8 && DatakeyLength::MAX_BITS == 8192);
    DekLength::from_bits(u64::from(l.bits()))
}

impl Kms {
    /// A fresh DEK under the key's current version, wrapped; the plaintext
    /// too when asked for.
    fn new_dek(
        &self,
        caller: &Caller,
        req: &CreateDatakeyRequest,
        with_plaintext: bool,
    ) -> Res<(Option<Dek>, Ciphertext)> {
        let key = self.usable_key(caller, &req.key_id, req.pin.as_ref())?;
        let mk = self.master_key(&key, key.current_version)?;
        let ctx = dek_context(caller, req.additional_authenticated_data.as_ref())
            .map_err(kms_internal)?;
        let len = dek_length(req.datakey_length).map_err(kms_internal)?;
        let mut rng = EntropyRng(&*self.ports.entropy);
        if with_plaintext {
            let (dek, ct) = mk
                .generate_dek_with_plaintext(&mut rng, len, &ctx)
                .map_err(kms_internal)?;
            Ok((Some(dek), ct))
        } else {
            let ct = mk.generate_dek(&mut rng, len, &ctx).map_err(kms_internal)?;
            Ok((None, ct))
        }
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey-without-plaintext`: the
    /// DEK is generated and wrapped inside kms-crypto; only its ciphertext
    /// leaves.
    ///
    /// # Errors
    /// Validation errors, unknown/disabled key or keystore, invalid PIN.
    pub fn create_datakey_without_plaintext(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Res<CreateDatakeyWithoutPlaintextResponseBody> {
        self.audited(
            caller,
            Operation::CreateDatakeyWithoutPlaintext,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = CreateDatakeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let (_, ct) = self.new_dek(caller, &req, false)?;
                Ok(CreateDatakeyWithoutPlaintextResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    cipher_text: ct.to_hex(),
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey`: the DEK in hex and
    /// wrapped.
    ///
    /// # Errors
    /// As [`Kms::create_datakey_without_plaintext`].
    pub fn create_datakey(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Res<CreateDatakeyResponseBody> {
        self.audited(
            caller,
            Operation::CreateDatakey,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = CreateDatakeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let (dek, ct) = self.new_dek(caller, &req, true)?;
                let plain = dek
                    .map(|d| d.to_hex().as_str().to_owned())
                    .unwrap_or_default();
                Ok(CreateDatakeyResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    plain_text: plain.into(),
                    cipher_text: ct.to_hex(),
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/encrypt-datakey`: wraps the caller's DEK
    /// after checking the digest that follows it (SHA-256 under an AES
    /// key, SM3 under an SM4 key).
    ///
    /// # Errors
    /// Validation errors, digest mismatch (KMS.2103), key errors.
    pub fn encrypt_datakey(
        &self,
        caller: &Caller,
        body: &EncryptDatakeyRequestBody,
    ) -> Res<EncryptDatakeyResponseBody> {
        self.audited(
            caller,
            Operation::EncryptDatakey,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = EncryptDatakeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let key = self.usable_key(caller, &req.key_id, req.pin.as_ref())?;
                // DEK || SHA-256(DEK) under an AES key, DEK || SM3(DEK)
                // under an SM4 key.
                let suite = super::keys::cmk_suite(&key)?;
                let dek = Dek::from_bytes_with_suite_digest(suite, &req.plain_text)
                    .map_err(|_| CoreError::bare(ErrorCode::KmsDekHashMismatch))?;
                let mk = self.master_key(&key, key.current_version)?;
                let ctx = dek_context(caller, req.additional_authenticated_data.as_ref())
                    .map_err(kms_internal)?;
                let ct = mk
                    .wrap_dek(&mut EntropyRng(&*self.ports.entropy), &dek, &ctx)
                    .map_err(kms_internal)?;
                Ok(EncryptDatakeyResponseBody {
                    key_id: req.key_id.as_str().to_owned(),
                    cipher_text: ct.to_hex(),
                    datakey_length: req.datakey_length.bytes().to_string(),
                })
            },
        )
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-datakey`: unwraps with the key
    /// version recorded in the ciphertext, so rotation keeps old
    /// ciphertexts readable.
    ///
    /// # Errors
    /// Validation errors, key errors, a ciphertext that does not belong to
    /// the key or does not unwrap in this context (KMS.2201, opaque), a DEK
    /// longer than `datakey_cipher_length` (KMS.2204; a shorter one is
    /// answered with its own length).
    pub fn decrypt_datakey(
        &self,
        caller: &Caller,
        body: &DecryptDatakeyRequestBody,
    ) -> Res<DecryptDatakeyResponseBody> {
        self.audited(
            caller,
            Operation::DecryptDatakey,
            Resource::Named(&body.key_id),
            body.sequence.as_deref(),
            || {
                let req = DecryptDatakeyRequest::from_body(body).map_err(|e| e.to_kms())?;
                let invalid = || CoreError::bare(ErrorCode::KmsInvalidCipherText);
                let key = self.usable_key(caller, &req.key_id, None)?;
                let blob = Ciphertext::from_bytes(&req.cipher_text).map_err(|_| invalid())?;
                let header = blob.header();
                if header.kind() != BlobKind::DataKey
                    || header.key_id() != Some(key.key_id.as_str())
                {
                    return Err(invalid());
                }
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
                let mk = self.master_key(&key, version)?;
                let ctx = dek_context(caller, req.additional_authenticated_data.as_ref())
                    .map_err(|_| invalid())?;
                let dek = mk
                    .unwrap_dek(blob.as_bytes(), &ctx)
                    .map_err(|_| invalid())?;
                Ok(DecryptDatakeyResponseBody {
                    data_key: dek.to_hex().as_str().to_owned().into(),
                    datakey_length: dek.length().bytes().to_string(),
                    datakey_dgst: base16ct::upper::encode_string(&dek.digest_for(mk.suite())),
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
