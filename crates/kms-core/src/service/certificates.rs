//! APIG SSL certificates: create, show, list, update, delete. The private
//! key is stored only sealed under the root key (kms-crypto algorithm
//! `0x04`), bound to the project and the certificate id.

use crate::error::CoreError;
use kms_crypto::{Ciphertext, PrivateKeyScope};
use kms_model::{ApiError, CertificateRequest, ErrorCode, Operation, PageQuery};
use zeroize::Zeroizing;

use super::{Kms, Res, Resource, apig_internal};
use crate::ports::{
    ApigCertificate, Caller, CertificateFilter, CertificateWriteError, StoredCertificate, Timestamp,
};
use crate::time::parse_rfc3339;

/// A page of [`Kms::list_certificates`]: the caller's certificates that
/// match the filter, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificatePage {
    /// How many certificates match in all.
    pub total: u64,
    /// This page.
    pub certificates: Vec<ApigCertificate>,
}

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

/// A validity bound as cert-parse reads it (RFC 3339, whole seconds, `Z`)
/// as a time stamp that renders back to the same text.
fn validity_time(text: &str) -> Res<Timestamp> {
    parse_rfc3339(text).ok_or_else(|| {
        CoreError::new(
            ErrorCode::ApigSystemError,
            format!("certificate time {text:?} is not RFC 3339 UTC"),
        )
    })
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
    /// The certificate `req` describes, checked by cert-parse (at the
    /// clock's time) and with its private key sealed, as certificate `id`
    /// of the caller's project; `create_time` is kept by an update.
    pub(super) fn checked_certificate(
        &self,
        caller: &Caller,
        req: &CertificateRequest,
        id: String,
        create_time: Option<Timestamp>,
    ) -> Res<StoredCertificate> {
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
        // Whole seconds, as APIG reports and the stores keep them: the
        // record returned is the record read back.
        let now_s = Timestamp(now.unix_seconds().saturating_mul(1000));
        let record = ApigCertificate {
            id,
            name: req.name.as_str().to_owned(),
            project_id: caller.project_id.clone(),
            scope: req.scope.clone(),
            common_name: leaf.common_name,
            san: leaf.san,
            version: leaf.version,
            organization: leaf.organization,
            organizational_unit: leaf.organizational_unit,
            locality: leaf.locality,
            state: leaf.state,
            country: leaf.country,
            not_before: validity_time(&leaf.not_before)?,
            not_after: validity_time(&leaf.not_after)?,
            serial_number: leaf.serial_number,
            issuer: leaf.issuer,
            signature_algorithm: leaf.signature_algorithm.to_owned(),
            create_time: create_time.unwrap_or(now_s),
            update_time: now_s,
            has_trusted_root_ca: checked.is_has_trusted_root_ca,
            algorithm_type: checked.algorithm_type,
        };
        Ok(StoredCertificate {
            record,
            cert_pem: req.cert_content.as_str().to_owned(),
            sealed_private_key,
            trusted_root_ca: req.trusted_root_ca.as_ref().map(|p| p.as_str().to_owned()),
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

    /// create-certificate: checks the certificate, its chain and its
    /// private key with cert-parse (Go's rules), seals the key, and stores
    /// it under a fresh id.
    ///
    /// # Errors
    /// Certificate checks (APIG.2101-2106), a declared `algorithm_type`
    /// that is not the key's (APIG.2012), name taken in the project and
    /// scope (APIG.7001).
    pub fn create_certificate(
        &self,
        caller: &Caller,
        req: &CertificateRequest,
    ) -> Res<ApigCertificate> {
        self.audited(
            caller,
            Operation::CreateCertificate,
            Resource::Created(|r: &ApigCertificate| &r.id),
            None,
            || {
                let id = self.certificate_id()?;
                let cert = self.checked_certificate(caller, req, id, None)?;
                match self.ports.certificates.insert_certificate(&cert) {
                    Ok(()) => Ok(cert.record),
                    Err(CertificateWriteError::NameTaken) => Err(CoreError::new(
                        ErrorCode::ApigCertificateNameTaken,
                        req.name.as_str().to_owned(),
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

    /// What update-certificate answers for a form that broke a rule
    /// (`invalid`): an unknown certificate is reported first, as the
    /// service looks the certificate up before it reads the form.
    pub(crate) fn refused_certificate_update(
        &self,
        caller: &Caller,
        id: &str,
        invalid: ApiError,
    ) -> ApiError {
        match self.find_certificate(caller, id) {
            Ok(_) => invalid,
            Err(e) => e.into(),
        }
    }

    /// show-certificate: one of the caller's certificates.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025).
    pub fn show_certificate(&self, caller: &Caller, id: &str) -> Res<ApigCertificate> {
        self.audited(
            caller,
            Operation::ShowCertificate,
            Resource::Named(id),
            None,
            || self.find_certificate(caller, id).map(|c| c.record),
        )
    }

    /// list-certificates: a page of the caller's certificates matching
    /// `filter`.
    ///
    /// # Errors
    /// Backend failure (APIG.9999).
    pub fn list_certificates(
        &self,
        caller: &Caller,
        filter: &CertificateFilter,
        page: PageQuery,
    ) -> Res<CertificatePage> {
        self.audited(
            caller,
            Operation::ListCertificates,
            Resource::None,
            None,
            || {
                let (total, certs) = self
                    .ports
                    .certificates
                    .list_certificates(&caller.project_id, filter, page.offset, page.limit)
                    .map_err(apig_internal)?;
                Ok(CertificatePage {
                    total,
                    certificates: certs.into_iter().map(|c| c.record).collect(),
                })
            },
        )
    }

    /// update-certificate: replaces a certificate's name, scope and
    /// material, checked as create checks them; its id and creation time
    /// stay.
    ///
    /// # Errors
    /// Unknown certificate (APIG.3025), as create otherwise.
    pub fn update_certificate(
        &self,
        caller: &Caller,
        id: &str,
        req: &CertificateRequest,
    ) -> Res<ApigCertificate> {
        self.audited(
            caller,
            Operation::UpdateCertificate,
            Resource::Named(id),
            None,
            || {
                let old = self.find_certificate(caller, id)?;
                let cert = self.checked_certificate(
                    caller,
                    req,
                    old.record.id,
                    Some(old.record.create_time),
                )?;
                match self.ports.certificates.update_certificate(&cert) {
                    Ok(()) => Ok(cert.record),
                    Err(CertificateWriteError::NameTaken) => Err(CoreError::new(
                        ErrorCode::ApigCertificateNameTaken,
                        req.name.as_str().to_owned(),
                    )),
                    Err(CertificateWriteError::NotFound) => Err(not_found(id)),
                    Err(e) => Err(apig_internal(e)),
                }
            },
        )
    }

    /// delete-certificate: deletes one of the caller's certificates.
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
