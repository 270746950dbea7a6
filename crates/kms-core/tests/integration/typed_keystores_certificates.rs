#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The typed operations of the keystore, PIN and certificate families:
//! validated requests in, ports records out; the wire layer refuses (and
//! audits) what does not validate, as the service always did.

use std::sync::Arc;

use cert_parse::KeyFamily;
use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, CertificateFilter, ClusterInfo, KeystoreState, Timestamp};
use kms_core::{CertificateQuery, CoreConfig, Kms, NewPin, parse_rfc3339};
use kms_model::{
    CertificateForm, CertificateRequest, CertificateScope, CreateKeyStoreRequestBody,
    CreateKeystoreRequest, CreatePinRequest, CreatePinRequestBody, KeystoreId, KeystoreType,
    PageQuery,
};
use rcgen::{CertificateParams, KeyPair};

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn kms() -> (Kms, Arc<ManualClock>, Arc<VecAudit>) {
    let clock = Arc::new(ManualClock::new(Timestamp(NOW)));
    let audit = Arc::new(VecAudit::default());
    let clusters = vec![ClusterInfo {
        cluster_id: "cdms-a".into(),
        domain_id: "dom-a".into(),
        cluster_type: KeystoreType::Cdms,
        ca_fingerprint: None,
    }];
    let ports = memory::ports(
        &[9u8; 32],
        [5u8; 32],
        clock.clone(),
        clusters,
        audit.clone(),
    )
    .unwrap();
    (Kms::new(ports, CoreConfig::default()), clock, audit)
}

fn a() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn form(name: &str, dns: &str) -> CertificateForm {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![dns.to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2031, 1, 1);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, dns);
    let cert = params.self_signed(&key).unwrap();
    CertificateForm {
        name: name.into(),
        cert_content: cert.pem(),
        private_key: key.serialize_pem().into(),
        r#type: Some("instance".into()),
        instance_id: Some("gw-1".into()),
        ..CertificateForm::default()
    }
}

/// The last audit line: action, error code, resource.
fn last_audit(audit: &VecAudit) -> (&'static str, Option<&'static str>, Option<String>) {
    let e = audit.events().pop().unwrap();
    (e.action, e.error_code, e.resource)
}

#[test]
fn keystore_operations_take_ids_and_return_records() {
    let (kms, _, _) = kms();
    let req = CreateKeystoreRequest::from_body(&CreateKeyStoreRequestBody {
        keystore_alias: "ks_typed".into(),
        keystore_type: Some("CDMS".into()),
        cluster_id: Some("cdms-a".into()),
        ..CreateKeyStoreRequestBody::default()
    })
    .unwrap();
    let made = kms.create_keystore(&a(), &req).unwrap();
    assert_eq!(made.alias, "ks_typed");
    assert_eq!(made.keystore_type, KeystoreType::Cdms);
    assert_eq!(made.cluster_id.as_deref(), Some("cdms-a"));
    assert_eq!(made.state, KeystoreState::Enabled);
    assert_eq!(made.create_time, Timestamp(NOW));

    let id = KeystoreId::parse_field("keystore_id", &made.keystore_id).unwrap();
    assert_eq!(kms.show_keystore(&a(), &id).unwrap(), made);
    let off = kms.disable_keystore(&a(), &id).unwrap();
    assert_eq!(off.state, KeystoreState::Disabled);
    assert_eq!(kms.show_keystore(&a(), &id).unwrap(), off);
    let page = kms
        .list_keystores(&a(), PageQuery::keystores(None, None).unwrap())
        .unwrap();
    assert_eq!((page.total, page.keystores), (1, vec![off]));
    assert_eq!(
        kms.enable_keystore(&a(), &id).unwrap().state,
        KeystoreState::Enabled
    );
    kms.delete_keystore(&a(), &id).unwrap();
    assert_eq!(
        kms.show_keystore(&a(), &id).unwrap_err().code().as_str(),
        "KMS.6007"
    );
}

#[test]
fn a_new_pin_never_shows_in_debug() {
    let (kms, _, _) = kms();
    let req = CreatePinRequest::from_body(&CreatePinRequestBody {
        pin_type: Some("PlainText".into()),
        keystore_id: None,
    })
    .unwrap();
    let pin = kms.create_pin(&a(), &req).unwrap();
    let hex = match &pin {
        NewPin::Plain(p) => p.to_hex(),
        other => panic!("a PlainText PIN came back as {other:?}"),
    };
    let shown = format!("{pin:?}");
    assert!(!hex.is_empty());
    assert!(!shown.contains(hex.as_str()) && !shown.contains(&hex.to_lowercase()));
    assert_eq!(shown, "NewPin::Plain(redacted)");
}

#[test]
fn certificate_operations_return_ports_records() {
    let (kms, clock, _) = kms();
    let req = CertificateRequest::from_body(&form("cert_typed", "typed.example.com")).unwrap();
    let made = kms.create_certificate(&a(), &req).unwrap();
    assert_eq!(made.project_id, "proj-a");
    assert_eq!(
        made.scope,
        CertificateScope::resolve(Some("instance"), Some("gw-1")).unwrap()
    );
    assert_eq!(made.common_name, "typed.example.com");
    assert_eq!(
        made.not_before,
        parse_rfc3339("2024-01-01T00:00:00Z").unwrap()
    );
    assert_eq!(
        made.not_after,
        parse_rfc3339("2031-01-01T00:00:00Z").unwrap()
    );
    assert_eq!(made.algorithm_type, Some(KeyFamily::Ecc));
    assert!(!made.has_trusted_root_ca);
    assert_eq!(
        (made.create_time, made.update_time),
        (Timestamp(NOW), Timestamp(NOW))
    );

    // The wire renders the same record.
    let shown = kms.wire().show_certificate(&a(), &made.id).unwrap();
    assert_eq!(shown.not_after, "2031-01-01T00:00:00Z");
    assert_eq!(shown.create_time, "2026-01-01T00:00:00Z");
    assert_eq!(
        (shown.r#type.as_deref(), shown.instance_id.as_deref()),
        (Some("instance"), Some("gw-1"))
    );
    assert_eq!(shown.algorithm_type.as_deref(), Some("ECC"));
    assert_eq!(kms.show_certificate(&a(), &made.id).unwrap(), made);

    clock.set(Timestamp(NOW + 61_500));
    let req2 = CertificateRequest::from_body(&form("cert_typed2", "two.example.com")).unwrap();
    let upd = kms.update_certificate(&a(), &made.id, &req2).unwrap();
    assert_eq!(
        (upd.id.as_str(), upd.name.as_str()),
        (made.id.as_str(), "cert_typed2")
    );
    // Whole seconds, as stored.
    assert_eq!(
        (upd.create_time, upd.update_time),
        (Timestamp(NOW), Timestamp(NOW + 61_000))
    );
    let filter = CertificateFilter {
        instance_id: Some("gw-1".into()),
        ..CertificateFilter::default()
    };
    let page = kms
        .list_certificates(&a(), &filter, PageQuery::certificates(None, None).unwrap())
        .unwrap();
    assert_eq!((page.total, page.certificates), (1, vec![upd]));
    kms.delete_certificate(&a(), &made.id).unwrap();
    assert_eq!(
        kms.delete_certificate(&a(), &made.id)
            .unwrap_err()
            .code()
            .as_str(),
        "APIG.3025"
    );
}

#[test]
fn refused_requests_are_answered_and_audited_as_before() {
    let (kms, _, audit) = kms();
    let e = kms
        .wire()
        .show_keystore(&a(), "not-a-keystore")
        .unwrap_err();
    assert_eq!(
        last_audit(&audit),
        (
            "show-keystore",
            Some(e.code().as_str()),
            Some("not-a-keystore".to_owned())
        )
    );
    assert_eq!(e.code().as_str(), "KMS.0308");

    let e = kms
        .wire()
        .list_keystores(&a(), Some("x"), None)
        .unwrap_err();
    assert_eq!(
        last_audit(&audit),
        ("list-keystores", Some(e.code().as_str()), None)
    );

    let e = kms
        .wire()
        .create_certificate(&a(), &CertificateForm::default())
        .unwrap_err();
    assert_eq!(e.code().as_str(), "APIG.2012");
    assert_eq!(
        last_audit(&audit),
        ("create-certificate", Some("APIG.2012"), None)
    );

    // An unknown certificate is answered before a form that breaks a rule.
    let e = kms
        .wire()
        .update_certificate(&a(), "c0ffee", &CertificateForm::default())
        .unwrap_err();
    assert_eq!(e.code().as_str(), "APIG.3025");
    assert_eq!(
        last_audit(&audit),
        (
            "update-certificate",
            Some("APIG.3025"),
            Some("c0ffee".to_owned())
        )
    );
    // A known one with a bad form: the form's error.
    let made = kms
        .wire()
        .create_certificate(&a(), &form("cert_known", "known.example.com"))
        .unwrap();
    let e = kms
        .wire()
        .update_certificate(&a(), &made.id, &CertificateForm::default())
        .unwrap_err();
    assert_eq!(e.code().as_str(), "APIG.2012");
    assert_eq!(
        last_audit(&audit),
        (
            "update-certificate",
            Some("APIG.2012"),
            Some(made.id.clone())
        )
    );

    let q = CertificateQuery {
        limit: Some("501".into()),
        ..CertificateQuery::default()
    };
    let e = kms.wire().list_certificates(&a(), &q).unwrap_err();
    assert_eq!(
        last_audit(&audit),
        ("list-certificates", Some(e.code().as_str()), None)
    );
}
