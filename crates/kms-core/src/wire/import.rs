//! The wire face of key material import: the import token and the public
//! key as standard base64, the token's expiry in seconds.

use base64ct::Encoding as _;
use kms_model::{
    ApiError, CreateParametersForImportResponseBody, GetParametersForImportRequest,
    GetParametersForImportRequestBody, ImportKeyMaterialRequest, ImportKeyMaterialRequestBody,
    OperateKeyRequest, OperateKeyRequestBody, Operation,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/get-parameters-for-import`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, KMS.0204, KMS.0308), or as
    /// [`crate::Kms::get_parameters_for_import`].
    pub fn get_parameters_for_import(
        &self,
        caller: &Caller,
        body: &GetParametersForImportRequestBody,
    ) -> Result<CreateParametersForImportResponseBody, ApiError> {
        let req = self.request::<GetParametersForImportRequest>(
            caller,
            Operation::CreateParametersForImport,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let p = self.kms.get_parameters_for_import(caller, &req)?;
        Ok(CreateParametersForImportResponseBody {
            key_id: p.key_id.clone(),
            import_token: base64ct::Base64::encode_string(&p.import_token),
            expiration_time: p.expires.unix_seconds(),
            public_key: base64ct::Base64::encode_string(&p.public_key_der),
        })
    }

    /// `POST /v1.0/{project_id}/kms/import-key-material` (empty response).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, KMS.0204, KMS.0308), or as
    /// [`crate::Kms::import_key_material`].
    pub fn import_key_material(
        &self,
        caller: &Caller,
        body: &ImportKeyMaterialRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<ImportKeyMaterialRequest>(
            caller,
            Operation::ImportKeyMaterial,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        self.kms.import_key_material(caller, &req)?;
        Ok(())
    }

    /// `POST /v1.0/{project_id}/kms/delete-imported-key-material` (empty
    /// response).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::delete_imported_key_material`].
    pub fn delete_imported_key_material(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::DeleteImportedKeyMaterial,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        self.kms.delete_imported_key_material(caller, &req)?;
        Ok(())
    }
}
