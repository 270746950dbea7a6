//! Wire face of the multi-region keys: replicate-key and
//! update-primary-region (`/v2/{project_id}/kms/keys/{key_id}/...`).

use kms_model::{
    ApiError, Operation, ReplicateKeyRequest, ReplicateKeyRequestBody, ReplicateKeyResponseBody,
    UpdatePrimaryRegionRequest, UpdatePrimaryRegionRequestBody, UpdatePrimaryRegionResponseBody,
    same_key,
};

use super::{Wire, path_and_body};
use crate::ports::Caller;

impl Wire<'_> {
    /// `POST /v2/{project_id}/kms/keys/{key_id}/replicate`.
    ///
    /// # Errors
    /// Bad path `key_id` or a body `key_id` that is not the path's
    /// (KMS.0205), any other rule of the body (KMS.0308), or as
    /// [`crate::Kms::replicate_key`].
    pub fn replicate_key(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &ReplicateKeyRequestBody,
    ) -> Result<ReplicateKeyResponseBody, ApiError> {
        let (id, req) = self.admit(
            caller,
            Operation::ReplicateKey,
            Some(key_id),
            None,
            path_and_body(key_id, |id| {
                same_key(id, body.key_id.as_deref())?;
                ReplicateKeyRequest::from_body(body)
            }),
        )?;
        let r = self.kms.replicate_key(caller, &id, &req)?;
        Ok(ReplicateKeyResponseBody {
            key_id: r.key_id,
            domain_id: r.domain_id,
            region: r.region_id,
        })
    }

    /// `PUT /v2/{project_id}/kms/keys/{key_id}/update-primary-region`.
    ///
    /// # Errors
    /// Bad path `key_id` or a body `key_id` that is not the path's
    /// (KMS.0205), a bad `primary_region` (KMS.0308), or as
    /// [`crate::Kms::update_primary_region`].
    pub fn update_primary_region(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &UpdatePrimaryRegionRequestBody,
    ) -> Result<UpdatePrimaryRegionResponseBody, ApiError> {
        let (id, req) = self.admit(
            caller,
            Operation::UpdatePrimaryRegion,
            Some(key_id),
            None,
            path_and_body(key_id, |id| {
                same_key(id, body.key_id.as_deref())?;
                UpdatePrimaryRegionRequest::from_body(body)
            }),
        )?;
        let primary_region = self.kms.update_primary_region(caller, &id, &req)?;
        Ok(UpdatePrimaryRegionResponseBody {
            key_id: id.as_str().to_owned(),
            primary_region,
        })
    }
}
