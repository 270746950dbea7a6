//! The wire face of the grant operations: grants as the SDK's `Grants`,
//! pages with `next_marker`, `truncated` `"true"`/`"false"` and `total`.

use kms_model::{
    ApiError, CreateGrantRequest, CreateGrantRequestBody, CreateGrantResponseBody,
    EmptyResponseBody, GrantDetails, ListGrantsRequest, ListGrantsRequestBody,
    ListGrantsResponseBody, ListRetirableGrantsRequest, ListRetirableGrantsRequestBody, Operation,
    RevokeGrantRequest, RevokeGrantRequestBody,
};

use super::Wire;
use crate::GrantPage;
use crate::ports::{Caller, GrantRecord};

/// A grant as the SDK's `Grants` (creation time in milliseconds as text;
/// no retiring principal: empty).
fn details(g: &GrantRecord) -> GrantDetails {
    GrantDetails {
        key_id: g.key_id.clone(),
        grant_id: g.grant_id.clone(),
        grantee_principal: g.grantee_principal.clone(),
        grantee_principal_type: g.grantee_type.as_str().to_owned(),
        operations: g.operations.iter().map(|o| o.as_str().to_owned()).collect(),
        issuing_principal: g.issuing_principal.clone(),
        creation_date: g.creation_date.0.to_string(),
        name: g.name.clone(),
        retiring_principal: g.retiring_principal.clone().unwrap_or_default(),
    }
}

fn page(p: &GrantPage) -> ListGrantsResponseBody {
    ListGrantsResponseBody {
        grants: p.grants.iter().map(details).collect(),
        next_marker: p.next_marker.map(|m| m.to_string()).unwrap_or_default(),
        truncated: p.truncated().to_string(),
        total: p.total,
    }
}

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/create-grant`: the new grant's id.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.2401, KMS.2402, ...), or as
    /// [`crate::Kms::create_grant`].
    pub fn create_grant(
        &self,
        caller: &Caller,
        body: &CreateGrantRequestBody,
    ) -> Result<CreateGrantResponseBody, ApiError> {
        let req = self.request::<CreateGrantRequest>(
            caller,
            Operation::CreateGrant,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        let grant = self.kms.create_grant(caller, &req)?;
        Ok(CreateGrantResponseBody {
            grant_id: grant.grant_id,
        })
    }

    /// `POST /v1.0/{project_id}/kms/list-grants`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::list_grants`].
    pub fn list_grants(
        &self,
        caller: &Caller,
        body: &ListGrantsRequestBody,
    ) -> Result<ListGrantsResponseBody, ApiError> {
        let req = self.request::<ListGrantsRequest>(
            caller,
            Operation::ListGrants,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        Ok(page(&self.kms.list_grants(caller, &req)?))
    }

    /// `POST /v1.0/{project_id}/kms/list-retirable-grants`.
    ///
    /// # Errors
    /// A body that breaks a rule, or as
    /// [`crate::Kms::list_retirable_grants`].
    pub fn list_retirable_grants(
        &self,
        caller: &Caller,
        body: &ListRetirableGrantsRequestBody,
    ) -> Result<ListGrantsResponseBody, ApiError> {
        let req = self.request::<ListRetirableGrantsRequest>(
            caller,
            Operation::ListRetirableGrants,
            None,
            body.sequence.as_deref(),
            body,
        )?;
        Ok(page(&self.kms.list_retirable_grants(caller, &req)?))
    }

    /// `POST /v1.0/{project_id}/kms/revoke-grant`: `{}`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.2501), or as
    /// [`crate::Kms::revoke_grant`].
    pub fn revoke_grant(
        &self,
        caller: &Caller,
        body: &RevokeGrantRequestBody,
    ) -> Result<EmptyResponseBody, ApiError> {
        let req = self.request::<RevokeGrantRequest>(
            caller,
            Operation::RevokeGrant,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        self.kms.revoke_grant(caller, &req)?;
        Ok(EmptyResponseBody {})
    }

    /// `POST /v1.0/{project_id}/kms/retire-grant`: `{}`.
    ///
    /// # Errors
    /// A body that breaks a rule (KMS.2501), or as
    /// [`crate::Kms::retire_grant`].
    pub fn retire_grant(
        &self,
        caller: &Caller,
        body: &RevokeGrantRequestBody,
    ) -> Result<EmptyResponseBody, ApiError> {
        let req = self.request::<RevokeGrantRequest>(
            caller,
            Operation::RetireGrant,
            Some(&body.key_id),
            body.sequence.as_deref(),
            body,
        )?;
        self.kms.retire_grant(caller, &req)?;
        Ok(EmptyResponseBody {})
    }
}
