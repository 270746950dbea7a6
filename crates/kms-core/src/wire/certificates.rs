//! The wire face of the certificates operations.

use crate::CertificateQuery;
use crate::ports::Caller;
use kms_model::{ApiError, CertificateForm, CertificateRecord, ListCertificatesV2ResponseBody};
use zeroize::Zeroizing;

use super::Wire;

impl Wire<'_> {
    /// The private key (PEM text) of one of the caller's certificates, for
    ///
    /// # Errors
    /// As [`crate::Kms::certificate_private_key`], rendered for the wire.
    pub fn certificate_private_key(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Zeroizing<Vec<u8>>, ApiError> {
        self.kms
            .certificate_private_key(caller, id)
            .map_err(ApiError::from)
    }

    /// `POST /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// As [`crate::Kms::create_certificate`], rendered for the wire.
    pub fn create_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
    ) -> Result<CertificateRecord, ApiError> {
        self.kms
            .create_certificate(caller, form)
            .map_err(ApiError::from)
    }

    /// `GET /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::show_certificate`], rendered for the wire.
    pub fn show_certificate(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<CertificateRecord, ApiError> {
        self.kms
            .show_certificate(caller, id)
            .map_err(ApiError::from)
    }

    /// `GET /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// As [`crate::Kms::list_certificates`], rendered for the wire.
    pub fn list_certificates(
        &self,
        caller: &Caller,
        query: &CertificateQuery,
    ) -> Result<ListCertificatesV2ResponseBody, ApiError> {
        self.kms
            .list_certificates(caller, query)
            .map_err(ApiError::from)
    }

    /// `PUT /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::update_certificate`], rendered for the wire.
    pub fn update_certificate(
        &self,
        caller: &Caller,
        id: &str,
        form: &CertificateForm,
    ) -> Result<CertificateRecord, ApiError> {
        self.kms
            .update_certificate(caller, id, form)
            .map_err(ApiError::from)
    }

    /// `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::delete_certificate`], rendered for the wire.
    pub fn delete_certificate(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        self.kms
            .delete_certificate(caller, id)
            .map_err(ApiError::from)
    }
}
