//! The wire face of the alias API: the SDK's `AliasEntity` out, times in
//! ISO 8601 UTC, list-aliases' `{"aliases", "page_info"}`.

use kms_model::{
    AliasEntity, AliasPageInfo, ApiError, AssociateAliasRequest, AssociateAliasRequestBody,
    CreateAliasRequest, CreateAliasRequestBody, DeleteAliasRequest, DeleteAliasRequestBody,
    ListAliasResponseBody, ListAliasesRequest, Operation,
};

use super::Wire;
use crate::ports::{AliasRecord, Caller};
use crate::time::rfc3339;

impl Wire<'_> {
    fn alias_entity(&self, a: &AliasRecord) -> AliasEntity {
        AliasEntity {
            domain_id: a.domain_id.clone(),
            key_id: a.key_id.clone(),
            alias: a.alias.clone(),
            alias_urn: self.kms.alias_urn(a),
            create_time: rfc3339(a.create_time),
            update_time: rfc3339(a.update_time),
        }
    }

    /// `POST /v1.0/{project_id}/kms/aliases`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::create_alias`].
    pub fn create_alias(
        &self,
        caller: &Caller,
        body: &CreateAliasRequestBody,
    ) -> Result<AliasEntity, ApiError> {
        let req = self.request::<CreateAliasRequest>(
            caller,
            Operation::CreateAlias,
            Some(&body.key_id),
            None,
            body,
        )?;
        let record = self.kms.create_alias(caller, &req)?;
        Ok(self.alias_entity(&record))
    }

    /// `GET /v1.0/{project_id}/kms/aliases?key_id=&limit=&marker=`.
    ///
    /// # Errors
    /// A bad `key_id` (KMS.0205), `limit` (KMS.1601) or `marker`
    /// (KMS.1602), or as [`crate::Kms::list_aliases`].
    pub fn list_aliases(
        &self,
        caller: &Caller,
        key_id: Option<&str>,
        limit: Option<&str>,
        marker: Option<&str>,
    ) -> Result<ListAliasResponseBody, ApiError> {
        let parsed = ListAliasesRequest::from_query(key_id, limit, marker).map_err(|e| e.to_kms());
        let req = self.admit(caller, Operation::ListAliases, key_id, None, parsed)?;
        let page = self.kms.list_aliases(caller, &req)?;
        Ok(ListAliasResponseBody {
            page_info: AliasPageInfo {
                next_marker: page.next_marker.unwrap_or_default(),
                current_count: page.aliases.len() as u64,
            },
            aliases: page.aliases.iter().map(|a| self.alias_entity(a)).collect(),
        })
    }

    /// `DELETE /v1.0/{project_id}/kms/aliases`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::delete_aliases`].
    pub fn delete_alias(
        &self,
        caller: &Caller,
        body: &DeleteAliasRequestBody,
    ) -> Result<(), ApiError> {
        let req = self.request::<DeleteAliasRequest>(
            caller,
            Operation::DeleteAlias,
            body.key_id.as_deref(),
            None,
            body,
        )?;
        Ok(self.kms.delete_aliases(caller, &req)?)
    }

    /// `POST /v1.0/{project_id}/kms/alias/associate`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::associate_alias`].
    pub fn associate_alias(
        &self,
        caller: &Caller,
        body: &AssociateAliasRequestBody,
    ) -> Result<AliasEntity, ApiError> {
        let req = self.request::<AssociateAliasRequest>(
            caller,
            Operation::AssociateAlias,
            Some(&body.target_key_id),
            None,
            body,
        )?;
        let record = self.kms.associate_alias(caller, &req)?;
        Ok(self.alias_entity(&record))
    }
}
