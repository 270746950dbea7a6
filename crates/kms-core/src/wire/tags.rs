//! The wire face of the tag operations: path ids, tag items, and the
//! resource list of list-kms-by-tags.

use kms_model::{
    ActionResources, ApiError, BatchCreateKmsTagsRequestBody, BatchKmsTagsRequest,
    CreateKmsTagRequest, CreateKmsTagRequestBody, ErrorCode, KeyId, ListKmsByTagsRequest,
    ListKmsByTagsRequestBody, ListKmsByTagsResponseBody, ListKmsTagsResponseBody, Operation,
    ShowKmsTagsResponseBody, Tag, TagItem, TagKey, ValidationError,
};

use super::{Wire, path_and_body};
use crate::ports::{Caller, KeyTag};

/// A list-kms-by-tags validation error: `offset` is the tag API's own
/// KMS.0417; every other field as any KMS body.
fn tag_list_error(e: &ValidationError) -> ApiError {
    if e.field == "offset" {
        ApiError::new(ErrorCode::KmsInvalidTagOffset, e.to_string())
    } else {
        e.to_kms()
    }
}

fn items(tags: Vec<KeyTag>) -> Vec<TagItem> {
    tags.into_iter()
        .map(|(key, value)| TagItem { key, value })
        .collect()
}

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/{key_id}/tags/action`: `create` adds the
    /// tags (replacing the value of a tag key already there), `delete`
    /// removes the tag keys; a key carries at most 10 tags.
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205); bad `action` (KMS.0404), empty tag
    /// list (KMS.0401), more than 10 tags in the request (KMS.0407), a
    /// tag key twice (KMS.0412), bad tag key (KMS.0406, length KMS.0411)
    /// or value (KMS.0405, length KMS.0410); or as
    /// [`crate::Kms::batch_kms_tags`].
    pub fn batch_kms_tags(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &BatchCreateKmsTagsRequestBody,
    ) -> Result<(), ApiError> {
        let (id, req) = self.admit(
            caller,
            Operation::BatchKmsTags,
            Some(key_id),
            body.sequence.as_deref(),
            path_and_body(key_id, |_| BatchKmsTagsRequest::from_body(body)),
        )?;
        Ok(self.kms.batch_kms_tags(caller, &id, &req)?)
    }

    /// `POST /v1.0/{project_id}/kms/{key_id}/tags`: one tag.
    ///
    /// # Errors
    /// As [`Wire::batch_kms_tags`].
    pub fn create_kms_tag(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &CreateKmsTagRequestBody,
    ) -> Result<(), ApiError> {
        let (id, req) = self.admit(
            caller,
            Operation::CreateKmsTag,
            Some(key_id),
            body.sequence.as_deref(),
            path_and_body(key_id, |_| CreateKmsTagRequest::from_body(body)),
        )?;
        Ok(self.kms.create_kms_tag(caller, &id, &req)?)
    }

    /// `DELETE /v1.0/{project_id}/kms/{key_id}/tags/{key}`: removes one tag
    /// key (absent: nothing to do).
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205) or tag key (KMS.0406, KMS.0411), or as
    /// [`crate::Kms::delete_kms_tag`].
    pub fn delete_kms_tag(
        &self,
        caller: &Caller,
        key_id: &str,
        tag_key: &str,
    ) -> Result<(), ApiError> {
        let (id, tag) = self.admit(
            caller,
            Operation::DeleteKmsTag,
            Some(key_id),
            None,
            path_and_body(key_id, |_| TagKey::parse(tag_key)),
        )?;
        Ok(self.kms.delete_kms_tag(caller, &id, &tag)?)
    }

    /// `GET /v1.0/{project_id}/kms/{key_id}/tags`.
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205), or as [`crate::Kms::show_kms_tags`].
    pub fn show_kms_tags(
        &self,
        caller: &Caller,
        key_id: &str,
    ) -> Result<ShowKmsTagsResponseBody, ApiError> {
        let id = self.admit(
            caller,
            Operation::ShowKmsTags,
            Some(key_id),
            None,
            KeyId::parse(key_id).map_err(|e| e.to_kms()),
        )?;
        let tags = self.kms.show_kms_tags(caller, &id)?;
        Ok(ShowKmsTagsResponseBody {
            exist_tags_num: tags.len() as u64,
            tags: items(tags),
        })
    }

    /// `GET /v1.0/{project_id}/kms/tags`.
    ///
    /// # Errors
    /// As [`crate::Kms::list_kms_tags`].
    pub fn list_kms_tags(&self, caller: &Caller) -> Result<ListKmsTagsResponseBody, ApiError> {
        let tags = self.kms.list_kms_tags(caller)?;
        Ok(ListKmsTagsResponseBody {
            tags: tags
                .into_iter()
                .map(|(key, values)| Tag { key, values })
                .collect(),
        })
    }

    /// `POST /v1.0/{project_id}/kms/resource_instances/action`.
    ///
    /// # Errors
    /// Bad body: `action` (KMS.0404), `limit` (KMS.1601), `offset`
    /// (KMS.0417), tags (KMS.0406, KMS.0411, KMS.0405, KMS.0410, KMS.0407,
    /// KMS.0412, KMS.0413), `matches` (KMS.0403, KMS.0402, KMS.0415),
    /// `sequence` (KMS.0206); or as [`crate::Kms::list_kms_by_tags`].
    pub fn list_kms_by_tags(
        &self,
        caller: &Caller,
        body: &ListKmsByTagsRequestBody,
    ) -> Result<ListKmsByTagsResponseBody, ApiError> {
        let req = self.admit(
            caller,
            Operation::ListKmsByTags,
            None,
            body.sequence.as_deref(),
            ListKmsByTagsRequest::from_body(body).map_err(|e| tag_list_error(&e)),
        )?;
        let (total, page) = self.kms.list_kms_by_tags(caller, &req)?;
        Ok(ListKmsByTagsResponseBody {
            resources: page
                .into_iter()
                .map(|(k, tags)| ActionResources {
                    resource_id: k.key_id.clone(),
                    resource_detail: self.kms.key_details(&k),
                    resource_name: k.alias.clone(),
                    tags: items(tags),
                })
                .collect(),
            total_count: total,
        })
    }
}
