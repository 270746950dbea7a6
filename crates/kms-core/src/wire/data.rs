//! The wire face of encrypt-data, decrypt-data and re-encrypt: base64
//! ciphertexts, plaintexts as text and base64.

use base64ct::Encoding as _;
use kms_model::{
    ApiError, DecryptDataRequest, DecryptDataRequestBody, DecryptDataResponseBody,
    EncryptDataRequest, EncryptDataRequestBody, EncryptDataResponseBody, Operation,
    ReEncryptRequest, ReEncryptRequestBody, ReEncryptResponseBody,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/encrypt-data`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, KMS.2101, KMS.0208, KMS.0308,
    /// ...), or as [`crate::Kms::encrypt_data`].
    pub fn encrypt_data(
        &self,
        caller: &Caller,
        body: &EncryptDataRequestBody,
    ) -> Result<EncryptDataResponseBody, ApiError> {
        let req = self.keyed_request::<EncryptDataRequest>(
            caller,
            Operation::EncryptData,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let sealed = self.kms.encrypt_data(caller, &req)?;
        Ok(EncryptDataResponseBody {
            key_id: sealed.key_id,
            cipher_text: base64ct::Base64::encode_string(&sealed.ciphertext),
        })
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-data`: the plaintext as text
    /// (lossy UTF-8, as the service answers) and in base64.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::decrypt_data`].
    pub fn decrypt_data(
        &self,
        caller: &Caller,
        body: &DecryptDataRequestBody,
    ) -> Result<DecryptDataResponseBody, ApiError> {
        let req = self.keyed_request::<DecryptDataRequest>(
            caller,
            Operation::DecryptData,
            body.key_id.as_deref(),
            body.sequence.as_deref(),
            body,
        )?;
        let opened = self.kms.decrypt_data(caller, &req)?;
        Ok(DecryptDataResponseBody {
            key_id: opened.key_id,
            plain_text: String::from_utf8_lossy(&opened.plaintext)
                .into_owned()
                .into(),
            plain_text_base64: base64ct::Base64::encode_string(&opened.plaintext).into(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/re-encrypt`.
    ///
    /// # Errors
    /// A body that breaks a rule (`datakey_cipher_length`, for DEK
    /// ciphertexts, is not supported: KMS.0308), or as
    /// [`crate::Kms::re_encrypt`].
    pub fn re_encrypt(
        &self,
        caller: &Caller,
        body: &ReEncryptRequestBody,
    ) -> Result<ReEncryptResponseBody, ApiError> {
        let req = self.keyed_request::<ReEncryptRequest>(
            caller,
            Operation::ReEncrypt,
            Some(&body.destination_key_id),
            None,
            body,
        )?;
        let moved = self.kms.re_encrypt(caller, &req)?;
        Ok(ReEncryptResponseBody {
            key_id: moved.sealed.key_id,
            source_key_id: moved.source_key_id,
            source_encryption_algorithm: "SYMMETRIC_DEFAULT".to_owned(),
            destination_encryption_algorithm: "SYMMETRIC_DEFAULT".to_owned(),
            cipher_text: base64ct::Base64::encode_string(&moved.sealed.ciphertext),
        })
    }
}
