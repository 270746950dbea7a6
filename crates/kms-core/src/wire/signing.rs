//! The wire face of sign, verify and get-publickey: base64 messages and
//! signatures, `"true"`/`"false"`, PEM.

use base64ct::Encoding as _;
use kms_model::{
    ApiError, OperateKeyRequest, OperateKeyRequestBody, Operation, ShowPublicKeyResponseBody,
    SignRequest, SignRequestBody, SignResponseBody, ValidateSignatureRequest,
    ValidateSignatureResponseBody, VerifyRequestBody,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/sign`.
    ///
    /// # Errors
    /// A body that breaks a rule (a digest of the wrong length: KMS.0329),
    /// or as [`crate::Kms::sign`].
    pub fn sign(
        &self,
        caller: &Caller,
        body: &SignRequestBody,
    ) -> Result<SignResponseBody, ApiError> {
        let req = self.keyed_request::<SignRequest>(
            caller,
            Operation::Sign,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let signature = self.kms.sign(caller, &req)?;
        Ok(SignResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            signature: base64ct::Base64::encode_string(&signature),
        })
    }

    /// `POST /v1.0/{project_id}/kms/verify` (the SDK's
    /// `validate_signature`): `signature_valid` `"true"` or `"false"`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::validate_signature`].
    pub fn validate_signature(
        &self,
        caller: &Caller,
        body: &VerifyRequestBody,
    ) -> Result<ValidateSignatureResponseBody, ApiError> {
        let req = self.keyed_request::<ValidateSignatureRequest>(
            caller,
            Operation::ValidateSignature,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let valid = self.kms.validate_signature(caller, &req)?;
        Ok(ValidateSignatureResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            signature_valid: valid.to_string(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/get-publickey`.
    ///
    /// # Errors
    /// Bad `key_id`, or as [`crate::Kms::get_public_key`].
    pub fn get_public_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ShowPublicKeyResponseBody, ApiError> {
        let req = self.keyed_request::<OperateKeyRequest>(
            caller,
            Operation::GetPublicKey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let public_key = self.kms.get_public_key(caller, &req)?;
        Ok(ShowPublicKeyResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            public_key,
        })
    }
}
