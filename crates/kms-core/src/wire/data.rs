//! The wire face of the data operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, DecryptDataRequestBody, DecryptDataResponseBody, EncryptDataRequestBody,
    EncryptDataResponseBody, ReEncryptRequestBody, ReEncryptResponseBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/encrypt-data`: encrypts the data under
    ///
    /// # Errors
    /// As [`crate::Kms::encrypt_data`], rendered for the wire.
    pub fn encrypt_data(
        &self,
        caller: &Caller,
        body: &EncryptDataRequestBody,
    ) -> Result<EncryptDataResponseBody, ApiError> {
        self.kms.encrypt_data(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-data`: the key and key version
    ///
    /// # Errors
    /// As [`crate::Kms::decrypt_data`], rendered for the wire.
    pub fn decrypt_data(
        &self,
        caller: &Caller,
        body: &DecryptDataRequestBody,
    ) -> Result<DecryptDataResponseBody, ApiError> {
        self.kms.decrypt_data(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/re-encrypt`: opens a data ciphertext
    ///
    /// # Errors
    /// As [`crate::Kms::re_encrypt`], rendered for the wire.
    pub fn re_encrypt(
        &self,
        caller: &Caller,
        body: &ReEncryptRequestBody,
    ) -> Result<ReEncryptResponseBody, ApiError> {
        self.kms.re_encrypt(caller, body).map_err(ApiError::from)
    }
}
