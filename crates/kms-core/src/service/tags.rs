//! Tags of CMKs: batch and single create/delete, show, the project's tags, and list keys by tags.

use crate::error::CoreError;
use kms_model::{
    BatchKmsTagsRequest, CreateKmsTagRequest, ErrorCode, KeyId, ListKmsByTagsRequest,
    MAX_TAGS_PER_KEY, Operation, TagAction, TagKey, TagListAction,
};

use super::{Kms, Res, Resource, kms_internal, sequence_text};
use crate::ports::{Caller, KeyListQuery, KeyState, KeyTag, TagFilter, TagWriteError, TaggedKeys};

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
        id: &KeyId,
        req: &BatchKmsTagsRequest,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::BatchKmsTags,
            Resource::Named(id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
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
                self.write_tags(caller, Operation::BatchKmsTags, id, &upsert, &remove)
            },
        )
    }

    /// The tag write every route shares: the key exists and is not pending
    /// deletion, then one atomic store write with the 10-tag limit.
    fn write_tags(
        &self,
        caller: &Caller,
        op: Operation,
        id: &KeyId,
        upsert: &[KeyTag],
        remove: &[String],
    ) -> Res<()> {
        let key = self.find_key(caller, id, op)?;
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
        id: &KeyId,
        req: &CreateKmsTagRequest,
    ) -> Res<()> {
        self.audited(
            caller,
            Operation::CreateKmsTag,
            Resource::Named(id.as_str()),
            sequence_text(req.sequence.as_ref()),
            || {
                let tag = (req.key.as_str().to_owned(), req.value.as_str().to_owned());
                self.write_tags(caller, Operation::CreateKmsTag, id, &[tag], &[])
            },
        )
    }

    /// `DELETE /v1.0/{project_id}/kms/{key_id}/tags/{key}`: removes one tag
    /// key (absent: nothing to do).
    ///
    /// # Errors
    /// Bad path `key_id` (KMS.0205) or tag key (KMS.0406, KMS.0411), unknown key,
    /// key pending deletion (KMS.0210).
    pub fn delete_kms_tag(&self, caller: &Caller, id: &KeyId, tag: &TagKey) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteKmsTag,
            Resource::Named(id.as_str()),
            None,
            || {
                self.write_tags(
                    caller,
                    Operation::DeleteKmsTag,
                    id,
                    &[],
                    &[tag.as_str().to_owned()],
                )
            },
        )
    }

    /// show-kms-tags: the key's tags (key, value).
    ///
    /// # Errors
    /// Unknown key.
    pub fn show_kms_tags(&self, caller: &Caller, id: &KeyId) -> Res<Vec<KeyTag>> {
        self.audited(
            caller,
            Operation::ShowKmsTags,
            Resource::Named(id.as_str()),
            None,
            || {
                let key = self.find_key(caller, id, Operation::ShowKmsTags)?;
                self.ports
                    .key_tags
                    .get_key_tags(&caller.project_id, &key.key_id)
                    .map_err(kms_internal)?
                    .ok_or_else(|| CoreError::new(ErrorCode::KmsKeyNotFound, key.key_id.clone()))
            },
        )
    }

    /// list-kms-tags: every tag key used on the project's live keys, with
    /// its values.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn list_kms_tags(&self, caller: &Caller) -> Res<Vec<(String, Vec<String>)>> {
        self.audited(caller, Operation::ListKmsTags, Resource::None, None, || {
            self.ports
                .key_tags
                .list_project_tags(&caller.project_id, self.ports.clock.now())
                .map_err(kms_internal)
        })
    }

    /// list-kms-by-tags: the project's keys carrying every given tag (one
    /// of its values, any value when none), optionally whose alias
    /// contains `resource_name`, oldest first; for `count`, the total only
    /// (an empty page). The number matching in all, and the page.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn list_kms_by_tags(&self, caller: &Caller, req: &ListKmsByTagsRequest) -> Res<TaggedKeys> {
        self.audited(
            caller,
            Operation::ListKmsByTags,
            Resource::None,
            sequence_text(req.sequence.as_ref()),
            || {
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
                self.ports
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
                    .map_err(kms_internal)
            },
        )
    }
}
