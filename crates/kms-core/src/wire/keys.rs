//! The wire face of the key operations: a [`KeyRecord`] rendered as the
//! SDK's `KeyInfo`, `KeyDetails` and state answers (every field text,
//! states as Huawei's codes `"2"`..`"5"`, times in milliseconds since the
//! epoch as decimal text).

use kms_model::{
    ApiError, CancelKeyDeletionResponseBody, CreateKeyRequest, CreateKeyRequestBody,
    CreateKeyResponseBody, KeyAliasInfo, KeyDescriptionInfo, KeyDetails, KeyInfo, KeyStateInfo,
    KeyStateResponseBody, ListKeyDetailResponseBody, ListKeysRequest, ListKeysRequestBody,
    ListKeysResponseBody, OperateKeyRequest, OperateKeyRequestBody, Operation,
    ScheduleKeyDeletionRequest, ScheduleKeyDeletionRequestBody, ScheduleKeyDeletionResponseBody,
    UpdateKeyAliasRequest, UpdateKeyAliasRequestBody, UpdateKeyAliasResponseBody,
    UpdateKeyDescriptionRequest, UpdateKeyDescriptionRequestBody, UpdateKeyDescriptionResponseBody,
};

use super::Wire;
use crate::Kms;
use crate::ports::{Caller, KeyRecord, KeyState, Timestamp};

/// Huawei's `key_state` code of a state: `2` enabled, `3` disabled, `4`
/// pending deletion, `5` pending import (`1`, "to be activated", is never
/// answered).
pub(crate) fn key_state_code(state: KeyState) -> &'static str {
    match state {
        KeyState::Enabled => "2",
        KeyState::Disabled => "3",
        KeyState::PendingDeletion => "4",
        KeyState::PendingImport => "5",
    }
}

/// A time as the key API answers it: milliseconds since the epoch, in
/// decimal.
pub(crate) fn millis_text(t: Timestamp) -> String {
    t.0.to_string()
}

impl Kms {
    /// A key as describe-key, list-keys and list-kms-by-tags report it
    /// (the SDK's `KeyDetails`), in this service's region.
    pub(crate) fn key_details(&self, k: &KeyRecord) -> KeyDetails {
        KeyDetails {
            key_id: k.key_id.clone(),
            domain_id: k.domain_id.clone(),
            key_alias: k.alias.clone(),
            realm: self.region_of(&k.project_id).to_owned(),
            key_spec: k.spec.as_str().to_owned(),
            key_usage: k.usage.as_str().to_owned(),
            key_description: k.description.clone(),
            creation_date: millis_text(k.create_time),
            scheduled_deletion_date: k.deletion_time.map(millis_text).unwrap_or_default(),
            key_state: key_state_code(k.state).to_owned(),
            default_key_flag: "0".to_owned(),
            key_type: "1".to_owned(),
            expiration_time: k.material_expiry.map(millis_text).unwrap_or_default(),
            origin: k.origin.as_str().to_owned(),
            key_rotation_enabled: k.rotation.enabled.to_string(),
            sys_enterprise_project_id: "0".to_owned(),
            keystore_id: k.keystore_id.clone(),
            multi_region_key_type: None,
        }
    }
}

/// The `key_info` of enable-key and disable-key.
fn key_state_response(k: &KeyRecord) -> KeyStateResponseBody {
    KeyStateResponseBody {
        key_info: KeyStateInfo {
            key_id: k.key_id.clone(),
            key_state: key_state_code(k.state).to_owned(),
        },
    }
}

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-key`: the new key's id, its
    /// domain and this service's region.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::create_key`].
    pub fn create_key(
        &self,
        caller: &Caller,
        body: &CreateKeyRequestBody,
    ) -> Result<CreateKeyResponseBody, ApiError> {
        let req = self.request::<CreateKeyRequest>(
            caller,
            Operation::CreateKey,
            None,
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.create_key(caller, &req)?;
        Ok(CreateKeyResponseBody {
            key_info: KeyInfo {
                key_id: key.key_id,
                domain_id: key.domain_id,
                region_id: self.kms.region_of(&caller.project_id).to_owned(),
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/enable-key`: the key and its new state
    /// (`"2"`).
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::enable_key`].
    pub fn enable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<KeyStateResponseBody, ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::EnableKey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(key_state_response(&self.kms.enable_key(caller, &req)?))
    }

    /// `POST /v1.0/{project_id}/kms/disable-key`: the key and its new
    /// state (`"3"`).
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::disable_key`].
    pub fn disable_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<KeyStateResponseBody, ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::DisableKey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(key_state_response(&self.kms.disable_key(caller, &req)?))
    }

    /// `POST /v1.0/{project_id}/kms/schedule-key-deletion`: `pending_days`
    /// decimal text 7..=1096 (KMS.1401 otherwise); the key and its new
    /// state (`"4"`).
    ///
    /// # Errors
    /// A body that breaks a rule, or as
    /// [`crate::Kms::schedule_key_deletion`].
    pub fn schedule_key_deletion(
        &self,
        caller: &Caller,
        body: &ScheduleKeyDeletionRequestBody,
    ) -> Result<ScheduleKeyDeletionResponseBody, ApiError> {
        let req = self.request::<ScheduleKeyDeletionRequest>(
            caller,
            Operation::ScheduleKeyDeletion,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.schedule_key_deletion(caller, &req)?;
        Ok(ScheduleKeyDeletionResponseBody {
            key_state: key_state_code(key.state).to_owned(),
            key_id: key.key_id,
        })
    }

    /// `POST /v1.0/{project_id}/kms/describe-key`: the key's
    /// [`KeyDetails`].
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205 for `key_id`), or as
    /// [`crate::Kms::describe_key`].
    pub fn describe_key(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<ListKeyDetailResponseBody, ApiError> {
        let req = self.keyed_request::<OperateKeyRequest>(
            caller,
            Operation::DescribeKey,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.describe_key(caller, &req)?;
        let mut key_info = self.kms.key_details(&key);
        key_info.multi_region_key_type = self
            .kms
            .group_role(&key.key_id)?
            .map(|primary| if primary { "PRIMARY" } else { "REPLICA" }.to_owned());
        Ok(ListKeyDetailResponseBody { key_info })
    }

    /// `POST /v1.0/{project_id}/kms/list-keys`: the page's ids and
    /// [`KeyDetails`], `next_marker` (empty on the last page), `truncated`
    /// as `"true"`/`"false"` and the total.
    ///
    /// # Errors
    /// A body that breaks a rule (`limit`, `marker`, `key_state`,
    /// `key_spec`: KMS.0308), or as [`crate::Kms::list_keys`].
    pub fn list_keys(
        &self,
        caller: &Caller,
        body: &ListKeysRequestBody,
    ) -> Result<ListKeysResponseBody, ApiError> {
        let req = self.request::<ListKeysRequest>(
            caller,
            Operation::ListKeys,
            None,
            body.sequence.as_deref(),
            body,
        )?;
        let page = self.kms.list_keys(caller, &req)?;
        Ok(ListKeysResponseBody {
            keys: page.keys.iter().map(|k| k.key_id.clone()).collect(),
            key_details: page.keys.iter().map(|k| self.kms.key_details(k)).collect(),
            next_marker: page.next_marker.map(|m| m.to_string()).unwrap_or_default(),
            truncated: page.truncated().to_string(),
            total: page.total,
        })
    }

    /// `POST /v1.0/{project_id}/kms/update-key-alias`: the key and its new
    /// alias.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, KMS.1101), or as
    /// [`crate::Kms::update_key_alias`].
    pub fn update_key_alias(
        &self,
        caller: &Caller,
        body: &UpdateKeyAliasRequestBody,
    ) -> Result<UpdateKeyAliasResponseBody, ApiError> {
        let req = self.request::<UpdateKeyAliasRequest>(
            caller,
            Operation::UpdateKeyAlias,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.update_key_alias(caller, &req)?;
        Ok(UpdateKeyAliasResponseBody {
            key_info: KeyAliasInfo {
                key_id: key.key_id,
                key_alias: key.alias,
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/update-key-description`: the key and
    /// its new description.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205, a description over 255
    /// characters), or as [`crate::Kms::update_key_description`].
    pub fn update_key_description(
        &self,
        caller: &Caller,
        body: &UpdateKeyDescriptionRequestBody,
    ) -> Result<UpdateKeyDescriptionResponseBody, ApiError> {
        let req = self.request::<UpdateKeyDescriptionRequest>(
            caller,
            Operation::UpdateKeyDescription,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.update_key_description(caller, &req)?;
        Ok(UpdateKeyDescriptionResponseBody {
            key_info: KeyDescriptionInfo {
                key_id: key.key_id,
                key_description: key.description,
            },
        })
    }

    /// `POST /v1.0/{project_id}/kms/cancel-key-deletion`: the key and its
    /// new state (`"3"`, or `"5"` for a key that never received
    /// material).
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.0205), or as
    /// [`crate::Kms::cancel_key_deletion`].
    pub fn cancel_key_deletion(
        &self,
        caller: &Caller,
        body: &OperateKeyRequestBody,
    ) -> Result<CancelKeyDeletionResponseBody, ApiError> {
        let req = self.request::<OperateKeyRequest>(
            caller,
            Operation::CancelKeyDeletion,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let key = self.kms.cancel_key_deletion(caller, &req)?;
        Ok(CancelKeyDeletionResponseBody {
            key_state: key_state_code(key.state).to_owned(),
            key_id: key.key_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use kms_model::{ListKeysRequest, ListKeysRequestBody, LooseString};

    use super::key_state_code;
    use crate::ports::KeyState;
    use crate::service::key_state_of_code;

    /// The code a key's state is answered with is the code list-keys
    /// filters that state by, and list-keys accepts every code it answers.
    #[test]
    fn answered_state_codes_are_the_list_keys_filter_codes() {
        let states = [
            KeyState::Enabled,
            KeyState::Disabled,
            KeyState::PendingDeletion,
            KeyState::PendingImport,
        ];
        for state in states {
            let code = key_state_code(state);
            let body = ListKeysRequestBody {
                key_state: Some(LooseString(code.to_owned())),
                ..Default::default()
            };
            let req = ListKeysRequest::from_body(&body).expect("an answered code is valid");
            let asked = req.key_state.expect("the filter is kept");
            assert_eq!(key_state_of_code(asked), Some(state), "code {code}");
        }
        // "1" (to be activated) is a valid filter that no key is in.
        assert_eq!(key_state_of_code(1), None);
    }
}
