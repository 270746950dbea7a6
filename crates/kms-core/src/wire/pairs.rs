//! The wire face of create-rsa-datakey-pair and create-ec-datakey-pair:
//! the public key (DER SubjectPublicKeyInfo), the private key (PKCS#8
//! DER) and its data-blob ciphertext, each standard base64.

use base64ct::Encoding as _;
use kms_model::{
    ApiError, CreateDatakeyPairResponseBody, CreateEcDatakeyPairRequest,
    CreateEcDatakeyPairRequestBody, CreateRsaDatakeyPairRequest, CreateRsaDatakeyPairRequestBody,
    Operation,
};

use super::Wire;
use crate::NewDatakeyPair;
use crate::ports::Caller;

/// The SDK's response of either operation.
fn render(pair: NewDatakeyPair) -> CreateDatakeyPairResponseBody {
    CreateDatakeyPairResponseBody {
        key_id: pair.key_id,
        key_spec: pair.spec.as_str().to_owned(),
        public_key: base64ct::Base64::encode_string(&pair.public_key_der),
        private_key_cipher_text: base64ct::Base64::encode_string(&pair.private_key_ciphertext),
        private_key_plain_text: pair
            .private_key_der
            .as_ref()
            .map(|der| base64ct::Base64::encode_string(der).into()),
        wrapped_private_key: None,
        ciphertext_recipient: None,
    }
}

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-rsa-datakey-pair`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0204, KMS.0205, KMS.0206, KMS.0308),
    /// or as [`crate::Kms::create_rsa_datakey_pair`].
    pub fn create_rsa_datakey_pair(
        &self,
        caller: &Caller,
        body: &CreateRsaDatakeyPairRequestBody,
    ) -> Result<CreateDatakeyPairResponseBody, ApiError> {
        let req = self.keyed_request::<CreateRsaDatakeyPairRequest>(
            caller,
            Operation::CreateRsaDatakeyPair,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(render(self.kms.create_rsa_datakey_pair(caller, &req)?))
    }

    /// `POST /v1.0/{project_id}/kms/create-ec-datakey-pair`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0204, KMS.0205, KMS.0206, KMS.0308),
    /// or as [`crate::Kms::create_ec_datakey_pair`].
    pub fn create_ec_datakey_pair(
        &self,
        caller: &Caller,
        body: &CreateEcDatakeyPairRequestBody,
    ) -> Result<CreateDatakeyPairResponseBody, ApiError> {
        let req = self.keyed_request::<CreateEcDatakeyPairRequest>(
            caller,
            Operation::CreateEcDatakeyPair,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(render(self.kms.create_ec_datakey_pair(caller, &req)?))
    }
}
