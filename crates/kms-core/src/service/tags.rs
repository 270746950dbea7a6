//! Tags of CMKs: batch and single create/delete, show, the project's tags, and list keys by tags.

use crate::error::CoreError;
use kms_model::Operation;
use kms_model::{
    ActionResources, BatchCreateKmsTagsRequestBody, BatchKmsTagsRequest, CreateKmsTagRequest,
    CreateKmsTagRequestBody, ErrorCode, KeyId, ListKmsByTagsRequest, ListKmsByTagsRequestBody,
    ListKmsByTagsResponseBody, ListKmsTagsResponseBody, MAX_TAGS_PER_KEY, ShowKmsTagsResponseBody,
    Tag, TagAction, TagItem, TagKey, TagListAction, ValidationError,
};

use super::{Kms, Res, Resource, kms_internal};
use crate::ports::{Caller, KeyListQuery, KeyState, KeyTag, TagFilter, TagWriteError};

/// A list-kms-by-tags validation error: `offset` is the tag API's own
/// KMS.0417; every other field as any KMS body.
fn tag_list_error(e: &ValidationError) -> CoreError {
    if e.field == "offset" {
        CoreError::new(ErrorCode::KmsInvalidTagOffset, e.to_string())
    } else {
        e.to_kms().into()
    }
}

fn items(tags: Vec<KeyTag>) -> Vec<TagItem> {
    tags.into_iter()
        .map(|(key, value)| TagItem { key, value })
        .collect()
}

impl Kms {
    /// `POST /v1.0/{project_id}/kms/{key_id}/tags/action`: `create` adds the
    /// tags (replacing the value of a tag key already there), `delete`
    /// removes the tag keys; a key carries at most 10 tags.
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205); bad `action` (KMS.0404), empty tag
    /// list (KMS.0401), more than 10 tags in the request (KMS.0407), a
    /// tag key twice (KMS.0412), bad tag key (KMS.0406, length KMS.0411)
    /// or value (KMS.0405, length KMS.0410); unknown key, key pending
    /// deletion (KMS.0210), more than 10 tags on the key (KMS.0409).
    pub fn batch_kms_tags(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &BatchCreateKmsTagsRequestBody,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::BatchKmsTags,
            Resource::Named(key_id),
            body.sequence.as_deref(),
            || {
                let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
                let req = BatchKmsTagsRequest::from_body(body).map_err(|e| e.to_kms())?;
                let (upsert, remove): (Vec<KeyTag>, Vec<String>) = match req.action {
                    TagAction::Create => (
                        req.tags
                            .iter()
                            .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
                            .collect(),
                        Vec::new(),
                    ),
                    TagAction::Delete => (
                        Vec::new(),
                        req.tags
                            .iter()
                            .map(|(k, _)| k.as_str().to_owned())
                            .collect(),
                    ),
                };
                self.write_tags(caller, &id, &upsert, &remove)
            },
        )
    }

    /// The tag write every route shares: the key exists and is not pending
    /// deletion, then one atomic store write with the 10-tag limit.
    fn write_tags(
        &self,
        caller: &Caller,
        id: &KeyId,
        upsert: &[KeyTag],
        remove: &[String],
    ) -> Res<()> {
        let key = self.find_key(caller, id)?;
        if key.state == KeyState::PendingDeletion {
            return Err(CoreError::new(
                ErrorCode::KmsKeyPendingDeletion,
                key.key_id.clone(),
            ));
        }
        match self.ports.key_tags.update_key_tags(
            &caller.project_id,
            &key.key_id,
            upsert,
            remove,
            MAX_TAGS_PER_KEY,
        ) {
            Ok(()) => Ok(()),
            Err(TagWriteError::NotFound) => Err(CoreError::new(
                ErrorCode::KmsKeyNotFound,
                key.key_id.clone(),
            )),
            Err(TagWriteError::TooMany) => Err(CoreError::new(
                ErrorCode::KmsTooManyTags,
                key.key_id.clone(),
            )),
            Err(e) => Err(kms_internal(e)),
        }
    }

    /// `POST /v1.0/{project_id}/kms/{key_id}/tags`: one tag (replacing the
    /// value of its tag key if present).
    ///
    /// # Errors
    /// As [`Kms::batch_kms_tags`].
    pub fn create_kms_tag(
        &self,
        caller: &Caller,
        key_id: &str,
        body: &CreateKmsTagRequestBody,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::CreateKmsTag,
            Resource::Named(key_id),
            body.sequence.as_deref(),
            || {
                let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
                let req = CreateKmsTagRequest::from_body(body).map_err(|e| e.to_kms())?;
                let tag = (req.key.as_str().to_owned(), req.value.as_str().to_owned());
                self.write_tags(caller, &id, &[tag], &[])
            },
        )
    }

    /// `DELETE /v1.0/{project_id}/kms/{key_id}/tags/{key}`: removes one tag
    /// key (absent: nothing to do).
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205) or tag key (KMS.0406, KMS.0411), unknown key,
    /// key pending deletion (KMS.0210).
    pub fn delete_kms_tag(&self, caller: &Caller, key_id: &str, tag_key: &str) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteKmsTag,
            Resource::Named(key_id),
            None,
            || {
                let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
                let tag = TagKey::parse(tag_key).map_err(|e| e.to_kms())?;
                self.write_tags(caller, &id, &[], &[tag.as_str().to_owned()])
            },
        )
    }

    /// `GET /v1.0/{project_id}/kms/{key_id}/tags`.
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205), unknown key.
    pub fn show_kms_tags(&self, caller: &Caller, key_id: &str) -> Res<ShowKmsTagsResponseBody> {
        self.audited(
            caller,
            Operation::ShowKmsTags,
            Resource::Named(key_id),
            None,
            || {
                let id = KeyId::parse(key_id).map_err(|e| e.to_kms())?;
                let key = self.find_key(caller, &id)?;
                let tags = self
                    .ports
                    .key_tags
                    .get_key_tags(&caller.project_id, &key.key_id)
                    .map_err(kms_internal)?
                    .ok_or_else(|| CoreError::new(ErrorCode::KmsKeyNotFound, key.key_id.clone()))?;
                Ok(ShowKmsTagsResponseBody {
                    exist_tags_num: tags.len() as u64,
                    tags: items(tags),
                })
            },
        )
    }

    /// `GET /v1.0/{project_id}/kms/tags`: every tag key used on the
    /// project's keys, with its values.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn list_kms_tags(&self, caller: &Caller) -> Res<ListKmsTagsResponseBody> {
        self.audited(caller, Operation::ListKmsTags, Resource::None, None, || {
            let tags = self
                .ports
                .key_tags
                .list_project_tags(&caller.project_id, self.ports.clock.now())
                .map_err(kms_internal)?;
            Ok(ListKmsTagsResponseBody {
                tags: tags
                    .into_iter()
                    .map(|(key, values)| Tag { key, values })
                    .collect(),
            })
        })
    }

    /// `POST /v1.0/{project_id}/kms/resource_instances/action`: the
    /// project's keys carrying every given tag (one of its values, any
    /// value when none), optionally whose alias contains `resource_name`,
    /// oldest first; `count` returns the total only.
    ///
    /// # Errors
    /// Bad body: `action` (KMS.0404), `limit` (KMS.1601), `offset`
    /// (KMS.0417), tags (KMS.0406, KMS.0411, KMS.0405, KMS.0410, KMS.0407,
    /// KMS.0412, KMS.0413), `matches` (KMS.0403, KMS.0402, KMS.0415),
    /// `sequence` (KMS.0206).
    pub fn list_kms_by_tags(
        &self,
        caller: &Caller,
        body: &ListKmsByTagsRequestBody,
    ) -> Res<ListKmsByTagsResponseBody> {
        self.audited(
            caller,
            Operation::ListKmsByTags,
            Resource::None,
            body.sequence.as_deref(),
            || {
                let req = ListKmsByTagsRequest::from_body(body).map_err(|e| tag_list_error(&e))?;
                let filters: Vec<TagFilter> = req
                    .tags
                    .iter()
                    .map(|(k, vs)| TagFilter {
                        key: k.as_str().to_owned(),
                        values: vs.iter().map(|v| v.as_str().to_owned()).collect(),
                    })
                    .collect();
                let (limit, offset) = match req.action {
                    TagListAction::Filter => (req.limit, req.offset),
                    TagListAction::Count => (0, 0),
                };
                let (total, page) = self
                    .ports
                    .key_tags
                    .list_keys_by_tags(
                        &caller.project_id,
                        &filters,
                        req.resource_name.as_deref(),
                        &KeyListQuery {
                            state: None,
                            spec: None,
                            live_at: self.ports.clock.now(),
                            offset,
                            limit,
                        },
                    )
                    .map_err(kms_internal)?;
                Ok(ListKmsByTagsResponseBody {
                    resources: page
                        .into_iter()
                        .map(|(k, tags)| ActionResources {
                            resource_id: k.key_id.clone(),
                            resource_detail: self.key_details(&k),
                            resource_name: k.alias.clone(),
                            tags: items(tags),
                        })
                        .collect(),
                    total_count: total,
                })
            },
        )
    }
}
