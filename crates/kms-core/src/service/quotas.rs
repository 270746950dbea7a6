//! The project's quotas and key count, and the regions served.

use kms_model::Operation;

use super::{Kms, Res, Resource};
use crate::ports::Caller;

/// One quota: how much is used of how much is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quota {
    /// Used.
    pub used: u64,
    /// Allowed.
    pub quota: u64,
}

/// The project's quotas (show-user-quotas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserQuotas {
    /// Keys of the project
    /// ([`CoreConfig::max_keys_per_project`](crate::CoreConfig)).
    pub cmk: Quota,
    /// The most grants one key of the project has, against the per-key
    /// limit ([`CoreConfig::max_grants_per_key`](crate::CoreConfig)) that
    /// create-grant enforces (KMS.2404).
    pub grant_per_cmk: Quota,
}

impl Kms {
    /// show-user-quotas: the keys the project holds (pending deletion
    /// included) against its quota, the same count create-key's KMS.1105
    /// checks; and the most grants one of its keys has against the per-key
    /// limit create-grant's KMS.2404 checks.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn user_quotas(&self, caller: &Caller) -> Res<UserQuotas> {
        self.audited(
            caller,
            Operation::ShowUserQuotas,
            Resource::None,
            None,
            || {
                Ok(UserQuotas {
                    cmk: Quota {
                        used: self.keys_held(&caller.project_id)?,
                        quota: self.config.max_keys_per_project,
                    },
                    grant_per_cmk: Quota {
                        used: self
                            .ports
                            .grants
                            .most_grants_on_a_key(&caller.project_id)
                            .map_err(super::kms_internal)?,
                        quota: self.config.max_grants_per_key,
                    },
                })
            },
        )
    }

    /// show-user-instances: the project's keys that are not a cloud
    /// service's default key: every key it holds (kms-rs creates no
    /// default keys), pending deletion included.
    ///
    /// # Errors
    /// A storage failure (KMS.0101).
    pub fn user_instances(&self, caller: &Caller) -> Res<u64> {
        self.audited(
            caller,
            Operation::ShowUserInstances,
            Resource::None,
            None,
            || self.keys_held(&caller.project_id),
        )
    }

    /// list-support-regions: the regions this service serves, its one
    /// configured [`CoreConfig::region_id`](crate::CoreConfig) (a replica
    /// key needs a second region, which one kms-rs process does not serve).
    ///
    /// # Errors
    /// None today; audited like every operation.
    pub fn support_regions(&self, caller: &Caller) -> Res<Vec<String>> {
        self.audited(
            caller,
            Operation::ListSupportRegions,
            Resource::None,
            None,
            || Ok(self.regions_served()),
        )
    }
}
