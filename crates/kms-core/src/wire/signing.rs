//! The wire face of the signing operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, OperateKeyRequestBody, ShowPublicKeyResponseBody, SignRequestBody, SignResponseBody,
    ValidateSignatureResponseBody, VerifyRequestBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/sign`: signs a digest or a message
    ///
    /// # Errors
    /// As [`crate::Kms::sign`], rendered for the wire.
    pub fn sign(
        &self,
        caller: &Caller,
        body: &SignRequestBody,
    ) -> Result<SignResponseBody, ApiError> {
        self.kms.sign(caller, body).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/verify` (the SDK's
    ///
    /// # Errors
    /// As [`crate::Kms::validate_signature`], rendered for the wire.
    pub fn validate_signature(
        &self,
        caller: &Caller,
        body: &VerifyRequestBody,
    ) -> Result<ValidateSignatureResponseBody, ApiError> {
        self.kms
            .validate_signature(caller, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/get-publickey`: the public key of an
    ///
    /// # Errors
    /// As [`crate::Kms::get_public_key`], rendered for the wire.
    pub fn get_public_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ShowPublicKeyResponseBody, ApiError> {
        self.kms
            .get_public_key(caller, body)
            .map_err(ApiError::from)
    }
}
