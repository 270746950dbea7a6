//! Wire face of the quotas, the key count and the regions.

use kms_model::{
    ApiError, ListSupportRegionsResponseBody, QuotaResource, Quotas, ShowUserInstancesResponseBody,
    ShowUserQuotasResponseBody,
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
                resources: vec![QuotaResource {
                    kind: "CMK".to_owned(),
                    used: q.cmk.used,
                    quota: q.cmk.quota,
                }],
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

    /// `GET /v2/{project_id}/kms/regions`.
    ///
    /// # Errors
    /// As [`crate::Kms::support_regions`].
    pub fn list_support_regions(
        &self,
        caller: &Caller,
    ) -> Result<ListSupportRegionsResponseBody, ApiError> {
        Ok(ListSupportRegionsResponseBody {
            regions: self.kms.support_regions(caller)?,
        })
    }
}
