//! The wire face of the DEK operations: hex in, hex out.

use kms_model::{
    ApiError, CreateDatakeyRequest, CreateDatakeyRequestBody, CreateDatakeyResponseBody,
    CreateDatakeyWithoutPlaintextResponseBody, DecryptDatakeyRequest, DecryptDatakeyRequestBody,
    DecryptDatakeyResponseBody, EncryptDatakeyRequest, EncryptDatakeyRequestBody,
    EncryptDatakeyResponseBody, Operation,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-datakey-without-plaintext`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as
    /// [`crate::Kms::create_datakey_without_plaintext`].
    pub fn create_datakey_without_plaintext(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Result<CreateDatakeyWithoutPlaintextResponseBody, ApiError> {
        let req = self.keyed_request::<CreateDatakeyRequest>(
            caller,
            Operation::CreateDatakeyWithoutPlaintext,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let ct = self.kms.create_datakey_without_plaintext(caller, &req)?;
        Ok(CreateDatakeyWithoutPlaintextResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            cipher_text: ct.to_hex(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey`: the DEK in hex and
    /// wrapped.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::create_datakey`].
    pub fn create_datakey(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Result<CreateDatakeyResponseBody, ApiError> {
        let req = self.keyed_request::<CreateDatakeyRequest>(
            caller,
            Operation::CreateDatakey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let dek = self.kms.create_datakey(caller, &req)?;
        Ok(CreateDatakeyResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            plain_text: dek.plaintext.to_hex().as_str().to_owned().into(),
            cipher_text: dek.ciphertext.to_hex(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/encrypt-datakey`: `plain_text` is the
    /// DEK and its digest in hex.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::encrypt_datakey`].
    pub fn encrypt_datakey(
        &self,
        caller: &Caller,
        body: &EncryptDatakeyRequestBody,
    ) -> Result<EncryptDatakeyResponseBody, ApiError> {
        let req = self.keyed_request::<EncryptDatakeyRequest>(
            caller,
            Operation::EncryptDatakey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let ct = self.kms.encrypt_datakey(caller, &req)?;
        Ok(EncryptDatakeyResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            cipher_text: ct.to_hex(),
            datakey_length: req.datakey_length.bytes().to_string(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-datakey`: the DEK in hex, its
    /// length in bytes and its digest (upper-case hex).
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::decrypt_datakey`].
    pub fn decrypt_datakey(
        &self,
        caller: &Caller,
        body: &DecryptDatakeyRequestBody,
    ) -> Result<DecryptDatakeyResponseBody, ApiError> {
        let req = self.keyed_request::<DecryptDatakeyRequest>(
            caller,
            Operation::DecryptDatakey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let dek = self.kms.decrypt_datakey(caller, &req)?;
        Ok(DecryptDatakeyResponseBody {
            data_key: dek.plaintext.to_hex().as_str().to_owned().into(),
            datakey_length: dek.plaintext.length().bytes().to_string(),
            datakey_dgst: base16ct::upper::encode_string(&dek.plaintext.digest_for(dek.suite)),
        })
    }
}
