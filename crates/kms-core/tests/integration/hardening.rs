//! Failures behind the API keep their cause and their meaning, and secrets
//! at rest stay sealed: a backend or provider failure is a 500 with a
//! typed cause for the host (never a wrong-PIN answer, never text on the
//! wire); a certificate's private key reaches the store only sealed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{
    Caller, CertificateStore, PortError, PortErrorKind, PortResult, Ports, RootKeyError,
    RootKeyProvider, Timestamp,
};
use kms_core::testkit::{Hooked, HookedRoots, Phase};
use kms_core::{CoreConfig, Kms};
use kms_crypto::PrivateKeyScope;
use kms_model::{
    CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody, CreatePinRequestBody,
    ErrorCode,
};

/// The switch of the root-key provider's failure: while `broken`, PIN
/// checks fail as a poisoned provider's would (the provider is the real one
/// behind a `HookedRoots`).
#[derive(Debug, Default)]
struct FlakyRoots {
    broken: AtomicBool,
}

impl FlakyRoots {
    fn check(&self, method: &str, phase: Phase) -> Result<(), RootKeyError> {
        let pin_check = matches!(method, "verify_sealed_pin" | "pin_verifier");
        if pin_check && phase == Phase::Before && self.broken.load(Ordering::SeqCst) {
            Err(RootKeyError::Backend(PortError::poisoned("root key cache")))
        } else {
            Ok(())
        }
    }
}

/// Delegates to the real key store, or fails as a lost database would.
/// The switch of the key store's failure: the store itself is the memory
/// store behind a `Hooked` decorator whose hook reads `broken`.
#[derive(Debug, Default)]
struct FlakyKeys {
    broken: AtomicBool,
}

impl FlakyKeys {
    /// The hook: `get_key` fails while `broken`.
    fn check(&self, method: &str, phase: Phase) -> PortResult<()> {
        if method == "get_key" && phase == Phase::Before && self.broken.load(Ordering::SeqCst) {
            Err(PortError::unavailable(
                "get key",
                std::io::Error::other("disk I/O error at /var/lib/kms/kms.db"),
            ))
        } else {
            Ok(())
        }
    }
}

struct Fixture {
    kms: Kms,
    roots: Arc<FlakyRoots>,
    /// The root-key provider the core uses (behind the `roots` switch).
    provider: Arc<dyn RootKeyProvider>,
    keys: Arc<FlakyKeys>,
    certificates: Arc<dyn CertificateStore>,
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(Timestamp(1_767_225_600_000)));
    let mut ports: Ports = memory::ports(
        &[9u8; 32],
        [3u8; 32],
        clock,
        vec![],
        Arc::new(VecAudit::default()),
    )
    .unwrap();
    let roots = Arc::new(FlakyRoots::default());
    let root_switch = Arc::clone(&roots);
    let keys = Arc::new(FlakyKeys::default());
    let switch = Arc::clone(&keys);
    ports.root_keys = Arc::new(HookedRoots::new(
        Arc::clone(&ports.root_keys),
        move |m, phase| root_switch.check(m, phase),
    ));
    ports.keys = Arc::new(Hooked::new(Arc::clone(&ports.keys), move |m, phase| {
        switch.check(m, phase)
    }));
    let certificates = Arc::clone(&ports.certificates);
    let provider = Arc::clone(&ports.root_keys);
    Fixture {
        kms: Kms::new(ports, CoreConfig::default()),
        roots,
        provider,
        keys,
        certificates,
    }
}

fn caller() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn new_key(f: &Fixture) -> String {
    f.kms
        .wire()
        .create_key(
            &caller(),
            &CreateKeyRequestBody {
                key_alias: "k1".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

#[test]
fn a_provider_failure_while_checking_a_pin_is_a_500_not_a_wrong_pin() {
    let f = fixture();
    let key_id = new_key(&f);
    for pin_type in ["CipherText", "PlainText"] {
        let pin = f
            .kms
            .wire()
            .create_pin(
                &caller(),
                &CreatePinRequestBody {
                    pin_type: Some(pin_type.into()),
                    keystore_id: Some("1".into()),
                },
            )
            .unwrap()
            .pin;
        let body = CreateDatakeyRequestBody {
            key_id: key_id.clone(),
            pin: Some(pin),
            pin_type: Some(pin_type.into()),
            ..Default::default()
        };
        f.kms
            .wire()
            .create_datakey_without_plaintext(&caller(), &body)
            .unwrap();
        f.roots.broken.store(true, Ordering::SeqCst);
        let e = f
            .kms
            .wire()
            .create_datakey_without_plaintext(&caller(), &body)
            .unwrap_err();
        f.roots.broken.store(false, Ordering::SeqCst);
        assert_eq!(
            (e.status(), e.code()),
            (500, ErrorCode::KmsInternal),
            "{pin_type}"
        );
        let cause = e.cause().expect("the provider's failure is the cause");
        assert!(cause.to_string().contains("poisoned"), "{cause}");
        assert!(!e.error_msg().contains("poison"), "{}", e.error_msg());
    }
}

#[test]
fn a_storage_failure_keeps_its_source_for_the_host_and_off_the_wire() {
    let f = fixture();
    let key_id = new_key(&f);
    f.keys.broken.store(true, Ordering::SeqCst);
    let e = f
        .kms
        .wire()
        .create_datakey_without_plaintext(
            &caller(),
            &CreateDatakeyRequestBody {
                key_id,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (500, ErrorCode::KmsInternal));
    // The chain: ApiError -> PortError (kind, context) -> the I/O error.
    let port = e
        .cause()
        .and_then(|c| c.downcast_ref::<PortError>())
        .expect("a PortError cause");
    assert_eq!(port.kind(), PortErrorKind::Unavailable);
    assert_eq!(port.context(), "get key");
    let source = std::error::Error::source(port).expect("the I/O error");
    assert!(source.to_string().contains("disk I/O error"));
    let wire = e.to_json();
    assert!(
        !wire.contains("disk") && !wire.contains("/var/lib"),
        "{wire}"
    );
    assert_eq!(e.error_msg(), ErrorCode::KmsInternal.message());
}

#[test]
fn certificate_private_keys_are_stored_sealed_and_bound_to_the_certificate() {
    let f = fixture();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["a.example.com".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2031, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let key_pem = key.serialize_pem();
    let rec = f
        .kms
        .wire()
        .create_certificate(
            &caller(),
            &CertificateForm {
                name: "cert_one".into(),
                cert_content: cert.pem(),
                private_key: key_pem.clone().into(),
                ..Default::default()
            },
        )
        .unwrap();
    let stored = f
        .certificates
        .get_certificate("proj-a", &rec.id)
        .unwrap()
        .unwrap();
    let blob = stored.sealed_private_key.as_bytes();
    assert_eq!(
        stored.sealed_private_key.header().kind(),
        kms_crypto::BlobKind::PrivateKey
    );
    // Not the PEM, not any line of its base64 body.
    for line in key_pem.lines().filter(|l| l.len() > 16) {
        assert!(
            !blob.windows(16).any(|w| w == &line.as_bytes()[..16]),
            "{line}"
        );
    }
    assert!(!format!("{stored:?}").contains("PRIVATE KEY"));
    let opened = f
        .kms
        .wire()
        .certificate_private_key(&caller(), &rec.id)
        .unwrap();
    assert_eq!(&opened[..], key_pem.as_bytes());
    // Another project does not see it; a blob moved onto another
    // certificate id does not open.
    let other = Caller::new("dom-a", "proj-b");
    assert_eq!(
        f.kms
            .wire()
            .certificate_private_key(&other, &rec.id)
            .unwrap_err()
            .code(),
        ErrorCode::ApigCertificateNotFound
    );
    let scope = PrivateKeyScope::new("proj-a", "another-certificate").unwrap();
    let roots: &dyn RootKeyProvider = &*f.provider;
    assert_eq!(
        roots.open_private_key(&scope, blob).unwrap_err(),
        RootKeyError::Rejected
    );
}

/// Quotas: a project's keys (KMS.1105 beyond it, other projects
/// unaffected) and a key's versions (rotate-on-demand beyond it refused,
/// the key still usable).
#[test]
fn keys_per_project_and_versions_per_key_are_bounded() {
    let kms = Kms::new(
        memory::test_ports([7u8; 32]).unwrap(),
        CoreConfig {
            max_keys_per_project: 3,
            max_versions_per_key: 3,
            ..CoreConfig::default()
        },
    );
    let create = |caller: &Caller, alias: &str| {
        kms.wire().create_key(
            caller,
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                ..Default::default()
            },
        )
    };
    let a = caller();
    let ids: Vec<String> = (0..3)
        .map(|i| create(&a, &format!("q{i}")).unwrap().key_info.key_id)
        .collect();
    let e = create(&a, "q3").unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsTooManyKeys, "{e}");
    assert_eq!((e.code().as_str(), e.code().status()), ("KMS.1105", 400));
    // Another project has its own quota.
    let b = Caller::new("dom-b", "proj-b");
    create(&b, "q0").unwrap();

    let rotate = || {
        kms.wire().rotate_on_demand(
            &a,
            &kms_model::RotateOnDemandRequestBody {
                key_id: ids[0].clone(),
            },
        )
    };
    rotate().unwrap();
    rotate().unwrap();
    let e = rotate().unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsInvalidParameter, "{e}");
    assert!(e.to_string().contains("quota is 3"), "{e}");
    // Still usable at its last version.
    kms.wire()
        .create_datakey(
            &a,
            &CreateDatakeyRequestBody {
                key_id: ids[0].clone(),
                ..Default::default()
            },
        )
        .unwrap();
}
