//! The account's quotas and key count (show-user-quotas,
//! show-user-instances) and the regions served (list-support-regions).

use serde::{Deserialize, Serialize};

/// Response of `GET /v1.0/{project_id}/kms/user-quotas` (the SDK's
/// `ShowUserQuotasResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowUserQuotasResponseBody {
    /// The quotas.
    pub quotas: Quotas,
}

/// The SDK's `Quotas`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    /// One entry per quota type.
    pub resources: Vec<QuotaResource>,
}

/// The SDK's `Resources`: one quota.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaResource {
    /// `CMK` (keys of the project) or `grant_per_CMK` (grants of one key).
    #[serde(rename = "type")]
    pub kind: String,
    /// How many are used.
    pub used: u64,
    /// How many are allowed.
    pub quota: u64,
}

/// Response of `GET /v1.0/{project_id}/kms/user-instances` (the SDK's
/// `ShowUserInstancesResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowUserInstancesResponseBody {
    /// The project's CMKs that are not a service's default key (every key
    /// here: kms-rs creates no default keys).
    pub instance_num: u64,
}

/// Response of `GET /v2/{project_id}/kms/regions` (the SDK's
/// `ListSupportRegionsResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSupportRegionsResponseBody {
    /// The regions.
    pub regions: Vec<String>,
}
