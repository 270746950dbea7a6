//! Wire face of the quotas, the key count and the regions.

use kms_model::{
    ApiError, ListSupportRegionsResponseBody, Operation, PageQuery, QuotaResource, Quotas,
    ShowUserInstancesResponseBody, ShowUserQuotasResponseBody,
};

use super::Wire;
use crate::ports::Caller;

impl Wire<'_> {
    /// `GET /v1.0/{project_id}/kms/user-quotas`.
    ///
    /// # Errors
    /// As [`crate::Kms::user_quotas`].
    pub fn show_user_quotas(
        &self,
        caller: &Caller,
    ) -> Result<ShowUserQuotasResponseBody, ApiError> {
        let q = self.kms.user_quotas(caller)?;
        Ok(ShowUserQuotasResponseBody {
            quotas: Quotas {
                resources: vec![
                    QuotaResource {
                        kind: "CMK".to_owned(),
                        used: q.cmk.used,
                        quota: q.cmk.quota,
                    },
                    QuotaResource {
                        kind: "grant_per_CMK".to_owned(),
                        used: q.grant_per_cmk.used,
                        quota: q.grant_per_cmk.quota,
                    },
                ],
            },
        })
    }

    /// `GET /v1.0/{project_id}/kms/user-instances`.
    ///
    /// # Errors
    /// As [`crate::Kms::user_instances`].
    pub fn show_user_instances(
        &self,
        caller: &Caller,
    ) -> Result<ShowUserInstancesResponseBody, ApiError> {
        Ok(ShowUserInstancesResponseBody {
            instance_num: self.kms.user_instances(caller)?,
        })
    }

    /// `GET /v2/{project_id}/kms/regions` (`?offset=&limit=`, as
    /// Terraform's data source pages it).
    ///
    /// # Errors
    /// `offset` (KMS.1603) or `limit` (KMS.1601) not digits or out of
    /// range, or as [`crate::Kms::support_regions`].
    pub fn list_support_regions(
        &self,
        caller: &Caller,
        offset: Option<&str>,
        limit: Option<&str>,
    ) -> Result<ListSupportRegionsResponseBody, ApiError> {
        let page = self.admit(
            caller,
            Operation::ListSupportRegions,
            None,
            None,
            PageQuery::regions(offset, limit).map_err(|e| e.to_kms()),
        )?;
        let regions = self.kms.support_regions(caller)?;
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Ok(ListSupportRegionsResponseBody {
            regions: regions.into_iter().skip(skip).take(take).collect(),
        })
    }
}
