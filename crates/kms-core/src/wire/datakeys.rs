//! The wire face of the datakeys operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, CreateDatakeyRequestBody, CreateDatakeyResponseBody,
    CreateDatakeyWithoutPlaintextResponseBody, DecryptDatakeyRequestBody,
    DecryptDatakeyResponseBody, EncryptDatakeyRequestBody, EncryptDatakeyResponseBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-datakey-without-plaintext`: the
    ///
    /// # Errors
    /// As [`crate::Kms::create_datakey_without_plaintext`], rendered for the wire.
    pub fn create_datakey_without_plaintext(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Result<CreateDatakeyWithoutPlaintextResponseBody, ApiError> {
        self.kms
            .create_datakey_without_plaintext(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/create-datakey`: the DEK in hex and
    ///
    /// # Errors
    /// As [`crate::Kms::create_datakey`], rendered for the wire.
    pub fn create_datakey(
        &self,
        caller: &Caller,
        body: &CreateDatakeyRequestBody,
    ) -> Result<CreateDatakeyResponseBody, ApiError> {
        self.kms
            .create_datakey(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/encrypt-datakey`: wraps the caller's DEK
    ///
    /// # Errors
    /// As [`crate::Kms::encrypt_datakey`], rendered for the wire.
    pub fn encrypt_datakey(
        &self,
        caller: &Caller,
        body: &EncryptDatakeyRequestBody,
    ) -> Result<EncryptDatakeyResponseBody, ApiError> {
        self.kms
            .encrypt_datakey(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/decrypt-datakey`: unwraps with the key
    ///
    /// # Errors
    /// As [`crate::Kms::decrypt_datakey`], rendered for the wire.
    pub fn decrypt_datakey(
        &self,
        caller: &Caller,
        body: &DecryptDatakeyRequestBody,
    ) -> Result<DecryptDatakeyResponseBody, ApiError> {
        self.kms
            .decrypt_datakey(caller, body)
            .map_err(ApiError::from)
    }
}
