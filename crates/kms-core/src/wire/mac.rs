//! The wire face of generate-mac, verify-mac, derive-shared-secret and
//! the version documents: base64 messages and secrets, hex MACs.

use base64ct::Encoding as _;
use kms_model::{
    ApiError, ApiLink, ApiVersionDetail, DeriveSharedSecretRequest, DeriveSharedSecretRequestBody,
    DeriveSharedSecretResponseBody, GenerateMacRequest, GenerateMacRequestBody,
    GenerateMacResponseBody, Operation, ShowVersionResponseBody, ShowVersionsResponseBody,
    VerifyMacRequest, VerifyMacRequestBody, VerifyMacResponseBody,
};

use super::Wire;
use crate::ports::Caller;
use crate::service::ApiVersion;

/// A version document; `base` is the service's URL as the client reached
/// it (`http://host:port`, no trailing `/`), empty when unknown (the link
/// is then relative).
fn version_detail(v: &ApiVersion, base: &str) -> ApiVersionDetail {
    ApiVersionDetail {
        id: v.id.to_owned(),
        links: vec![ApiLink {
            href: format!("{base}/{}/", v.id),
            rel: "self".to_owned(),
        }],
        version: String::new(),
        status: v.status.to_owned(),
        updated: v.updated.to_owned(),
        min_version: String::new(),
    }
}

impl Wire<'_> {
    /// `POST /v1.0/{project_id}/kms/generate-mac`: `mac` lower-case hex.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::generate_mac`].
    pub fn generate_mac(
        &self,
        caller: &Caller,
        body: &GenerateMacRequestBody,
    ) -> Result<GenerateMacResponseBody, ApiError> {
        let req = self.keyed_request::<GenerateMacRequest>(
            caller,
            Operation::GenerateMac,
            Some(&body.key_id),
            None,
            body,
        )?;
        let mac = self.kms.generate_mac(caller, &req)?;
        Ok(GenerateMacResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            mac_algorithm: req.mac_algorithm.as_str().to_owned(),
            mac: base16ct::lower::encode_string(&mac),
        })
    }

    /// `POST /v1.0/{project_id}/kms/verify-mac`: `mac_valid` a JSON
    /// boolean.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::verify_mac`].
    pub fn verify_mac(
        &self,
        caller: &Caller,
        body: &VerifyMacRequestBody,
    ) -> Result<VerifyMacResponseBody, ApiError> {
        let req = self.keyed_request::<VerifyMacRequest>(
            caller,
            Operation::VerifyMac,
            Some(&body.key_id),
            None,
            body,
        )?;
        let mac_valid = self.kms.verify_mac(caller, &req)?;
        Ok(VerifyMacResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            mac_algorithm: req.mac_algorithm.as_str().to_owned(),
            mac_valid,
        })
    }

    /// `POST /v1.0/{project_id}/kms/derive-shared-secret`:
    /// `shared_secret` standard base64.
    ///
    /// # Errors
    /// A body that breaks a rule, or as [`crate::Kms::derive_shared_secret`].
    pub fn derive_shared_secret(
        &self,
        caller: &Caller,
        body: &DeriveSharedSecretRequestBody,
    ) -> Result<DeriveSharedSecretResponseBody, ApiError> {
        let req = self.keyed_request::<DeriveSharedSecretRequest>(
            caller,
            Operation::DeriveSharedSecret,
            Some(&body.key_id),
            None,
            body,
        )?;
        let secret = self.kms.derive_shared_secret(caller, &req)?;
        Ok(DeriveSharedSecretResponseBody {
            key_id: req.key_id.as_str().to_owned(),
            key_agreement_algorithm: req.key_agreement_algorithm.as_str().to_owned(),
            shared_secret: base64ct::Base64::encode_string(&secret),
        })
    }

    /// `GET /`: the version documents. `base` as for the links of
    /// [`Wire::show_version`].
    ///
    /// # Errors
    /// None in practice.
    pub fn show_versions(
        &self,
        caller: &Caller,
        base: &str,
    ) -> Result<ShowVersionsResponseBody, ApiError> {
        let versions = self.kms.show_versions(caller)?;
        Ok(ShowVersionsResponseBody {
            versions: versions.iter().map(|v| version_detail(v, base)).collect(),
        })
    }

    /// `GET /{version_id}`: one version document; its link is
    /// `{base}/{version_id}/` (`base` the service's URL as the client
    /// reached it, empty for a relative link).
    ///
    /// # Errors
    /// An unknown version (KMS.0201).
    pub fn show_version(
        &self,
        caller: &Caller,
        base: &str,
        version_id: &str,
    ) -> Result<ShowVersionResponseBody, ApiError> {
        let v = self.kms.show_version(caller, version_id)?;
        Ok(ShowVersionResponseBody {
            version: version_detail(&v, base),
        })
    }
}
