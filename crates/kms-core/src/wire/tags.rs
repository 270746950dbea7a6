//! The wire face of the tags operations.

use crate::ports::Caller;
use kms_model::{
    ApiError, BatchCreateKmsTagsRequestBody, CreateKmsTagRequestBody, ListKmsByTagsRequestBody,
    ListKmsByTagsResponseBody, ListKmsTagsResponseBody, ShowKmsTagsResponseBody,
};

use super::Wire;

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/{key_id}/tags/action`: `create` adds the
    ///
    /// # Errors
    /// As [`crate::Kms::batch_kms_tags`], rendered for the wire.
    pub fn batch_kms_tags(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &BatchCreateKmsTagsRequestBody,
    ) -> Result<(), ApiError> {
        self.kms
            .batch_kms_tags(caller, key_id, body)
            .map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/{key_id}/tags`: one tag (replacing the
    ///
    /// # Errors
    /// As [`crate::Kms::create_kms_tag`], rendered for the wire.
    pub fn create_kms_tag(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &CreateKmsTagRequestBody,
    ) -> Result<(), ApiError> {
        self.kms
            .create_kms_tag(caller, key_id, body)
            .map_err(ApiError::from)
    }

    /// `DELETE /v1.0/{project_id}/kms/{key_id}/tags/{key}`: removes one tag
    ///
    /// # Errors
    /// As [`crate::Kms::delete_kms_tag`], rendered for the wire.
    pub fn delete_kms_tag(
        &self,
        caller: &Caller,
        key_id: &str,
        tag_key: &str,
    ) -> Result<(), ApiError> {
        self.kms
            .delete_kms_tag(caller, key_id, tag_key)
            .map_err(ApiError::from)
    }

    /// `GET /v1.0/{project_id}/kms/{key_id}/tags`.
    ///
    /// # Errors
    /// As [`crate::Kms::show_kms_tags`], rendered for the wire.
    pub fn show_kms_tags(
        &self,
        caller: &Caller,
        key_id: &str,
    ) -> Result<ShowKmsTagsResponseBody, ApiError> {
        self.kms
            .show_kms_tags(caller, key_id)
            .map_err(ApiError::from)
    }

    /// `GET /v1.0/{project_id}/kms/tags`: every tag key used on the
    ///
    /// # Errors
    /// As [`crate::Kms::list_kms_tags`], rendered for the wire.
    pub fn list_kms_tags(&self, caller: &Caller) -> Result<ListKmsTagsResponseBody, ApiError> {
        self.kms.list_kms_tags(caller).map_err(ApiError::from)
    }

    /// `POST /v1.0/{project_id}/kms/resource_instances/action`: the
    ///
    /// # Errors
    /// As [`crate::Kms::list_kms_by_tags`], rendered for the wire.
    pub fn list_kms_by_tags(
        &self,
        caller: &Caller,
        body: &ListKmsByTagsRequestBody,
    ) -> Result<ListKmsByTagsResponseBody, ApiError> {
        self.kms
            .list_kms_by_tags(caller, body)
            .map_err(ApiError::from)
    }
}
