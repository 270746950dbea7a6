//! Dedicated keystores: create, list, show, enable, disable, delete.

#[allow(clippy::wildcard_imports, unused_imports)]
use super::*;
#[allow(clippy::wildcard_imports, unused_imports)]
use crate::body::*;

// ---------------------------------------------------------------- wire bodies
/// Body of `POST /v1.0/{project_id}/keystores` (both editions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyStoreRequestBody {
    /// Mandatory alias.
    pub keystore_alias: String,
    /// Dedicated HSM cluster id (2023 edition: mandatory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm_cluster_id: Option<String>,
    /// The cluster's CA certificate, PEM (2023 edition: mandatory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hsm_ca_cert: Option<String>,
    /// Cluster id (2025 edition): the HSM or CDMS cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// `0|1|2` or `DEFAULT|DHSM|CDMS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_type: Option<LooseString>,
}

/// `keystore` of the create-keystore response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreInfo {
    /// The new keystore's id.
    pub keystore_id: String,
    /// The owner's domain id.
    pub domain_id: String,
}

/// Response of create keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyStoreResponseBody {
    /// The keystore.
    pub keystore: KeystoreInfo,
}

/// A keystore as list and show report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreDetails {
    /// Id.
    pub keystore_id: String,
    /// Owner domain.
    pub domain_id: String,
    /// Alias.
    pub keystore_alias: String,
    /// `DEFAULT | DHSM | CDMS`.
    pub keystore_type: String,
    /// The HSM cluster (empty when none).
    pub hsm_cluster_id: String,
    /// The cluster (empty when none).
    pub cluster_id: String,
    /// Creation time, milliseconds since the epoch, as text.
    pub create_time: String,
}

/// Response of list keystores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListKeyStoresResponseBody {
    /// Number of keystores in all (not just this page).
    pub total: u64,
    /// This page.
    pub keystores: Vec<KeystoreDetails>,
}

/// The body of a 200 whose SDK response model has no field: `{}`. Delete
/// keystore, enable-key-rotation, disable-key-rotation and
/// update-key-rotation-interval answer it (the SDK's
/// `DeleteKeyStoreResponse`, `EnableKeyRotationResponse`,
/// `DisableKeyRotationResponse`, `UpdateKeyRotationIntervalResponse`):
/// Terraform's provider decodes every 200 body as JSON, and an empty body
/// fails it with EOF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmptyResponseBody {}

/// Response of show keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowKeyStoreResponseBody {
    /// The keystore.
    pub keystore: KeystoreDetails,
}

/// `keystore` of the enable/disable responses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreStateInfo {
    /// Id.
    pub keystore_id: String,
    /// New state (`ENABLED`/`DISABLED`).
    pub keystore_state: String,
}

/// Response of enable / disable keystore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeystoreStateResponseBody {
    /// The keystore.
    pub keystore: KeystoreStateInfo,
}

// ---------------------------------------------------------------- validated requests
/// A validated create-keystore request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateKeystoreRequest {
    /// Alias.
    pub keystore_alias: KeystoreAlias,
    /// Type; absent on the wire means Dedicated HSM (the 2023 edition).
    pub keystore_type: KeystoreType,
    /// The cluster (from `cluster_id` or `hsm_cluster_id`, which must agree).
    pub cluster_id: Option<ClusterId>,
    /// The cluster's CA certificate, PEM.
    #[serde(serialize_with = "ser_pem_len")]
    pub hsm_ca_cert: Option<PemText>,
}

#[allow(clippy::ref_option)] // serde's serialize_with hands us `&Option<T>`
pub(crate) fn ser_pem_len<S: serde::Serializer>(
    v: &Option<PemText>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(p) => s.serialize_str(&format!("<PEM, {} bytes>", p.len())),
        None => s.serialize_none(),
    }
}

impl CreateKeystoreRequest {
    /// Applies the rules of both editions:
    /// - `keystore_type` absent means DHSM (the 2023 edition's only kind);
    /// - DHSM needs a cluster, from `hsm_cluster_id` or `cluster_id`, and the
    ///   two must agree when both are given; `hsm_ca_cert` is optional as in
    ///   the 2025 edition, and validated when given;
    /// - CDMS needs `cluster_id` and takes no `hsm_*` field;
    /// - DEFAULT takes no `hsm_*` field and an optional `cluster_id`.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn from_body(b: &CreateKeyStoreRequestBody) -> Result<Self> {
        let keystore_alias = KeystoreAlias::parse(&b.keystore_alias)?;
        let keystore_type = opt_loose(&b.keystore_type)
            .map(KeystoreType::parse)
            .transpose()?
            .unwrap_or(KeystoreType::Dhsm);
        let hsm_cluster = b
            .hsm_cluster_id
            .as_deref()
            .map(|s| ClusterId::parse_field("hsm_cluster_id", s))
            .transpose()?;
        let cluster = b
            .cluster_id
            .as_deref()
            .map(|s| ClusterId::parse_field("cluster_id", s))
            .transpose()?;
        let hsm_ca_cert = b
            .hsm_ca_cert
            .as_deref()
            .map(|s| PemText::parse_field("hsm_ca_cert", s))
            .transpose()?;
        let cluster_id = match keystore_type {
            KeystoreType::Dhsm => match (hsm_cluster, cluster) {
                (Some(h), Some(c)) if h != c => {
                    return Err(ValidationError::new(
                        "cluster_id",
                        Rule::Inconsistent("hsm_cluster_id and cluster_id differ"),
                    ));
                }
                (Some(h), _) => Some(h),
                (None, Some(c)) => Some(c),
                (None, None) => return Err(ValidationError::missing("hsm_cluster_id")),
            },
            KeystoreType::Cdms | KeystoreType::Default => {
                if hsm_cluster.is_some() {
                    return Err(ValidationError::new(
                        "hsm_cluster_id",
                        Rule::Inconsistent("only a Dedicated HSM keystore has an HSM cluster"),
                    ));
                }
                if hsm_ca_cert.is_some() {
                    return Err(ValidationError::new(
                        "hsm_ca_cert",
                        Rule::Inconsistent(
                            "only a Dedicated HSM keystore has an HSM CA certificate",
                        ),
                    ));
                }
                if keystore_type == KeystoreType::Cdms && cluster.is_none() {
                    return Err(ValidationError::missing("cluster_id"));
                }
                cluster
            }
        };
        Ok(Self {
            keystore_alias,
            keystore_type,
            cluster_id,
            hsm_ca_cert,
        })
    }

    /// Decodes and validates a JSON body.
    ///
    /// # Errors
    /// As [`decode_body`] and [`CreateKeystoreRequest::from_body`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_body(&decode_body(bytes)?)
    }
}
