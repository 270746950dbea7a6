//! APIG SSL certificates: create, show, list, update, delete. The private
//! key is stored only sealed under the root key (kms-crypto algorithm
//! `0x04`), bound to the project and the certificate id.

use crate::error::CoreError;
use kms_crypto::{Ciphertext, PrivateKeyScope};
use kms_model::Operation;
use kms_model::{
    CertificateBase, CertificateForm, CertificateRecord, CertificateRequest, ErrorCode,
    ListCertificatesV2ResponseBody,
};
use zeroize::Zeroizing;

use super::{CertificateQuery, Kms, Res, Resource, apig_internal};
use crate::ports::{Caller, CertificateWriteError, StoredCertificate};
use crate::time::rfc3339;

fn cert_error(e: &cert_parse::Error) -> CoreError {
    use cert_parse::ApigErrorKind as K;
    let code = match e.kind() {
        K::KeyMismatch => ErrorCode::ApigCertKeyMismatch,
        K::Expired => ErrorCode::ApigCertExpired,
        K::ChainMismatch => ErrorCode::ApigCertChainMismatch,
        K::EncryptedKey => ErrorCode::ApigEncryptedKey,
        // InvalidCertOrKey, and any kind a later cert-parse adds.
        _ => ErrorCode::ApigInvalidCertOrKey,
    };
    CoreError::new(code, e.to_string())
}

/// Whether the form's declared `algorithm_type` is the key's. cert-parse
/// also knows Ed25519, which the form cannot declare.
fn declared_matches(declared: kms_model::AlgorithmType, actual: cert_parse::KeyFamily) -> bool {
    use cert_parse::KeyFamily as A;
    use kms_model::AlgorithmType as D;
    matches!(
        (declared, actual),
        (D::Rsa, A::Rsa) | (D::Ecc, A::Ecc) | (D::Sm2, A::Sm2)
    )
}

fn certificate_base(r: &CertificateRecord) -> CertificateBase {
    CertificateBase {
        id: r.id.clone(),
        name: r.name.clone(),
        r#type: r.r#type.clone().unwrap_or_default(),
        instance_id: r.instance_id.clone().unwrap_or_default(),
        project_id: r.project_id.clone().unwrap_or_default(),
        common_name: r.common_name.clone(),
        san: r.san.clone(),
        not_after: r.not_after.clone(),
        signature_algorithm: r.signature_algorithm.clone(),
        create_time: r.create_time.clone(),
        update_time: r.update_time.clone(),
        is_has_trusted_root_ca: r.is_has_trusted_root_ca.unwrap_or(false),
        algorithm_type: r.algorithm_type.clone().unwrap_or_default(),
    }
}

fn not_found(id: &str) -> CoreError {
    CoreError::new(ErrorCode::ApigCertificateNotFound, format!("id:{id}"))
}

pub(super) fn private_key_scope<'a>(
    project_id: &'a str,
    certificate_id: &'a str,
) -> Res<PrivateKeyScope<'a>> {
    PrivateKeyScope::new(project_id, certificate_id).map_err(apig_internal)
}

impl Kms {
    pub(super) fn checked_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
        id: String,
        create_time: Option<String>,
    ) -> Res<StoredCertificate> {
        let req = CertificateRequest::from_body(form).map_err(|e| e.to_apig())?;
        let now = self.ports.clock.now();
        let upload = cert_parse::CertificateUpload {
            cert_content: req.cert_content.as_str(),
            private_key: req.private_key.as_str(),
            trusted_root_ca: req.trusted_root_ca.as_ref().map(kms_model::PemText::as_str),
        };
        let checked = cert_parse::check_certificate(&upload, now.unix_seconds())
            .map_err(|e| cert_error(&e))?;
        if let (Some(declared), Some(actual)) = (req.algorithm_type, checked.algorithm_type) {
            if !declared_matches(declared, actual) {
                return Err(CoreError::new(
                    ErrorCode::ApigInvalidParameterValue,
                    format!(
                        "parameterName:algorithm_type. The value does not match the certificate's key ({})",
                        actual.as_str()
                    ),
                ));
            }
        }
        let sealed_private_key = self.seal_certificate_private_key(
            &caller.project_id,
            &id,
            req.private_key.as_str().as_bytes(),
        )?;
        let leaf = checked.leaf;
        let now_text = rfc3339(now);
        let record = CertificateRecord {
            id,
            name: req.name.as_str().to_owned(),
            r#type: Some(req.scope.type_str().to_owned()),
            instance_id: Some(req.scope.instance_id_str().to_owned()),
            project_id: Some(caller.project_id.clone()),
            common_name: leaf.common_name,
            san: leaf.san,
            version: leaf.version,
            organization: leaf.organization,
            organizational_unit: leaf.organizational_unit,
            locality: leaf.locality,
            state: leaf.state,
            country: leaf.country,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            serial_number: leaf.serial_number,
            issuer: leaf.issuer,
            signature_algorithm: leaf.signature_algorithm.to_owned(),
            create_time: create_time.unwrap_or_else(|| now_text.clone()),
            update_time: now_text,
            is_has_trusted_root_ca: Some(checked.is_has_trusted_root_ca),
            algorithm_type: checked.algorithm_type.map(|a| a.as_str().to_owned()),
        };
        Ok(StoredCertificate {
            record,
            cert_pem: req.cert_content.as_str().to_owned(),
            sealed_private_key,
            trusted_root_ca: req.trusted_root_ca.map(|p| p.as_str().to_owned()),
        })
    }

    /// Seals a certificate's private key (PEM text) the way the core
    /// stores it: under the root-key provider, bound to the project and
    /// the certificate id. Hosts use it to migrate keys stored in clear by
    /// earlier versions.
    ///
    /// # Errors
    /// APIG.9999 with the provider's failure as cause.
    pub fn seal_certificate_private_key(
        &self,
        project_id: &str,
        certificate_id: &str,
        private_key_pem: &[u8],
    ) -> Res<Ciphertext> {
        self.ports
            .root_keys
            .seal_private_key(
                &private_key_scope(project_id, certificate_id)?,
                &*self.ports.entropy,
                private_key_pem,
            )
            .map_err(apig_internal)
    }

    /// The private key (PEM text) of one of the caller's certificates, for
    /// a host that deploys the certificate (e.g. a gateway terminating
    /// TLS). Not served over the API.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025); a stored key that does not open
    /// (APIG.9999, with the cause).
    pub fn certificate_private_key(&self, caller: &Caller, id: &str) -> Res<Zeroizing<Vec<u8>>> {
        self.audited(
            caller,
            Operation::ExportCertificatePrivateKey,
            Resource::Named(id),
            None,
            || {
                let cert = self.find_certificate(caller, id)?;
                self.ports
                    .root_keys
                    .open_private_key(
                        &private_key_scope(&caller.project_id, &cert.record.id)?,
                        cert.sealed_private_key.as_bytes(),
                    )
                    .map_err(apig_internal)
            },
        )
    }

    fn certificate_id(&self) -> Res<String> {
        // APIG ids are 32 lower-case hex-like characters.
        Ok(self.new_id().map_err(apig_internal)?.replace('-', ""))
    }

    /// `POST /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// Validation errors, certificate checks (APIG.2101-2106), name taken
    /// (APIG.7001).
    pub fn create_certificate(
        &self,
        caller: &Caller,
        form: &CertificateForm,
    ) -> Res<CertificateRecord> {
        self.audited(
            caller,
            Operation::CreateCertificate,
            Resource::Created(|r: &CertificateRecord| &r.id),
            None,
            || {
                let id = self.certificate_id()?;
                let cert = self.checked_certificate(caller, form, id, None)?;
                match self.ports.certificates.insert_certificate(&cert) {
                    Ok(()) => Ok(cert.record),
                    Err(CertificateWriteError::NameTaken) => Err(CoreError::new(
                        ErrorCode::ApigCertificateNameTaken,
                        form.name.clone(),
                    )),
                    Err(e) => Err(apig_internal(e)),
                }
            },
        )
    }

    pub(super) fn find_certificate(&self, caller: &Caller, id: &str) -> Res<StoredCertificate> {
        self.ports
            .certificates
            .get_certificate(&caller.project_id, id)
            .map_err(apig_internal)?
            .ok_or_else(|| not_found(id))
    }

    /// `GET /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025).
    pub fn show_certificate(&self, caller: &Caller, id: &str) -> Res<CertificateRecord> {
        self.audited(
            caller,
            Operation::ShowCertificate,
            Resource::Named(id),
            None,
            || self.find_certificate(caller, id).map(|c| c.record),
        )
    }

    /// `GET /v2/{project_id}/apigw/certificates`.
    ///
    /// # Errors
    /// Bad paging parameters (APIG.2012).
    pub fn list_certificates(
        &self,
        caller: &Caller,
        query: &CertificateQuery,
    ) -> Res<ListCertificatesV2ResponseBody> {
        self.audited(
            caller,
            Operation::ListCertificates,
            Resource::None,
            None,
            || {
                let kms_model::PageQuery { offset, limit } = kms_model::PageQuery::certificates(
                    query.offset.as_deref(),
                    query.limit.as_deref(),
                )
                .map_err(|e| e.to_apig())?;
                let (total, certs) = self
                    .ports
                    .certificates
                    .list_certificates(&caller.project_id, &query.filter, offset, limit)
                    .map_err(apig_internal)?;
                Ok(ListCertificatesV2ResponseBody {
                    size: certs.len() as u64,
                    total,
                    certs: certs.iter().map(|c| certificate_base(&c.record)).collect(),
                })
            },
        )
    }

    /// `PUT /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025), as create otherwise.
    pub fn update_certificate(
        &self,
        caller: &Caller,
        id: &str,
        form: &CertificateForm,
    ) -> Res<CertificateRecord> {
        self.audited(
            caller,
            Operation::UpdateCertificate,
            Resource::Named(id),
            None,
            || {
                let old = self.find_certificate(caller, id)?;
                let cert = self.checked_certificate(
                    caller,
                    form,
                    old.record.id.clone(),
                    Some(old.record.create_time),
                )?;
                match self.ports.certificates.update_certificate(&cert) {
                    Ok(()) => Ok(cert.record),
                    Err(CertificateWriteError::NameTaken) => Err(CoreError::new(
                        ErrorCode::ApigCertificateNameTaken,
                        form.name.clone(),
                    )),
                    Err(CertificateWriteError::NotFound) => Err(not_found(id)),
                    Err(e) => Err(apig_internal(e)),
                }
            },
        )
    }

    /// `DELETE /v2/{project_id}/apigw/certificates/{certificate_id}`.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025).
    pub fn delete_certificate(&self, caller: &Caller, id: &str) -> Res<()> {
        self.audited(
            caller,
            Operation::DeleteCertificate,
            Resource::Named(id),
            None,
            || {
                if self
                    .ports
                    .certificates
                    .delete_certificate(&caller.project_id, id)
                    .map_err(apig_internal)?
                {
                    Ok(())
                } else {
                    Err(not_found(id))
                }
            },
        )
    }
}
