//! The wire face of the APIG certificate operations: certificate forms
//! and query strings in, APIG's certificate records out (times as RFC
//! 3339, the scope as `type` and `instance_id`), failures in APIG's error
//! shape (`to_apig`).

use kms_model::{
    ApiError, CertificateBase, CertificateForm, CertificateRecord, CertificateRequest,
    ListCertificatesV2ResponseBody, Operation, PageQuery,
};
use zeroize::Zeroizing;

use super::Wire;
use crate::CertificateQuery;
use crate::ports::{ApigCertificate, Caller};
use crate::time::rfc3339;

/// A certificate as create, show and update report it.
fn certificate_record(r: &ApigCertificate) -> CertificateRecord {
    CertificateRecord {
        id: r.id.clone(),
        name: r.name.clone(),
        r#type: Some(r.scope.type_str().to_owned()),
        instance_id: Some(r.scope.instance_id_str().to_owned()),
        project_id: Some(r.project_id.clone()),
        common_name: r.common_name.clone(),
        san: r.san.clone(),
        version: r.version,
        organization: r.organization.clone(),
        organizational_unit: r.organizational_unit.clone(),
        locality: r.locality.clone(),
        state: r.state.clone(),
        country: r.country.clone(),
        not_before: rfc3339(r.not_before),
        not_after: rfc3339(r.not_after),
        serial_number: r.serial_number.clone(),
        issuer: r.issuer.clone(),
        signature_algorithm: r.signature_algorithm.clone(),
        create_time: rfc3339(r.create_time),
        update_time: rfc3339(r.update_time),
        is_has_trusted_root_ca: Some(r.has_trusted_root_ca),
        algorithm_type: r.algorithm_type.map(|a| a.as_str().to_owned()),
    }
}

/// A certificate as list reports it.
fn certificate_base(r: &ApigCertificate) -> CertificateBase {
    CertificateBase {
        id: r.id.clone(),
        name: r.name.clone(),
        r#type: r.scope.type_str().to_owned(),
        instance_id: r.scope.instance_id_str().to_owned(),
        project_id: r.project_id.clone(),
        common_name: r.common_name.clone(),
        san: r.san.clone(),
        not_after: rfc3339(r.not_after),
        signature_algorithm: r.signature_algorithm.clone(),
        create_time: rfc3339(r.create_time),
        update_time: rfc3339(r.update_time),
        is_has_trusted_root_ca: r.has_trusted_root_ca,
        algorithm_type: r
            .algorithm_type
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
    }
}

impl Wire<'_> {
    /// The private key (PEM text) of one of the caller's certificates, for
    /// a host that deploys the certificate (e.g. a gateway terminating
    /// TLS). Not served over the API.
    ///
    /// # Errors
    /// As [`crate::Kms::certificate_private_key`].
    pub fn certificate_private_key(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<Zeroizing<Vec<u8>>, ApiError> {
        Ok(self.kms.certificate_private_key(caller, id)?)
    }

    /// `POST /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// A form that breaks a rule (APIG.2012), or as
    /// [`crate::Kms::create_certificate`].
    pub fn create_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
    ) -> Result<CertificateRecord, ApiError> {
        let req = self.admit(
            caller,
            Operation::CreateCertificate,
            None,
            None,
            CertificateRequest::from_body(form).map_err(|e| e.to_apig()),
        )?;
        let r = self.kms.create_certificate(caller, &req)?;
        Ok(certificate_record(&r))
    }

    /// `GET /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::show_certificate`].
    pub fn show_certificate(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<CertificateRecord, ApiError> {
        let r = self.kms.show_certificate(caller, id)?;
        Ok(certificate_record(&r))
    }

    /// `GET /v2/{project_id}/apigw/certificates?offset=&limit=&name=...`.
    ///
    /// # Errors
    /// Bad paging parameters (APIG.2012), or as
    /// [`crate::Kms::list_certificates`].
    pub fn list_certificates(
        &self,
        caller: &Caller,
        query: &CertificateQuery,
    ) -> Result<ListCertificatesV2ResponseBody, ApiError> {
        let page = self.admit(
            caller,
            Operation::ListCertificates,
            None,
            None,
            PageQuery::certificates(query.offset.as_deref(), query.limit.as_deref())
                .map_err(|e| e.to_apig()),
        )?;
        let page = self.kms.list_certificates(caller, &query.filter, page)?;
        Ok(ListCertificatesV2ResponseBody {
            size: page.certificates.len() as u64,
            total: page.total,
            certs: page.certificates.iter().map(certificate_base).collect(),
        })
    }

    /// `PUT /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// An unknown certificate (APIG.3025) before a form that breaks a rule
    /// (APIG.2012), or as [`crate::Kms::update_certificate`].
    pub fn update_certificate(
        &self,
        caller: &Caller,
        id: &str,
        form: &CertificateForm,
    ) -> Result<CertificateRecord, ApiError> {
        let req = self.admit(
            caller,
            Operation::UpdateCertificate,
            Some(id),
            None,
            CertificateRequest::from_body(form)
                .map_err(|e| self.kms.refused_certificate_update(caller, id, e.to_apig())),
        )?;
        let r = self.kms.update_certificate(caller, id, &req)?;
        Ok(certificate_record(&r))
    }

    /// `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// As [`crate::Kms::delete_certificate`].
    pub fn delete_certificate(&self, caller: &Caller, id: &str) -> Result<(), ApiError> {
        Ok(self.kms.delete_certificate(caller, id)?)
    }
}
