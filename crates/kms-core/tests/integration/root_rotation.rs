//! Root-key rotation through the core: every key, key pair, PIN and
//! certificate private key made under the old root key works under the
//! new one after a rotation that was cut short and resumed; the old root
//! key opens nothing any more; while the rotation is under way a service
//! over both keys serves every key.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64ct::{Base64, Encoding};
use kms_core::memory::{ManualClock, MemoryStore, VecAudit};
use kms_core::ports::{
    Caller, CarriedPinKeys, ClusterInfo, KeystoreRecord, PortError, PortErrorKind, PortResult,
    Ports, ROOT_FINGERPRINT_LEN, Rewrapped, RootBoundRow, RootKeyProvider, RootKeyState,
    RootRotationStore, RootRotationTarget, Timestamp,
};
use kms_core::software::{
    ChaChaEntropy, RandomIds, RotatingRootKeys, SoftwareRootKeys, StaticClusters,
};
use kms_core::{CoreConfig, Kms, RootRotation, RootRotationError};
use kms_model::{
    CertificateForm, CreateDatakeyRequestBody, CreateKeyRequestBody, CreateKeyStoreRequestBody,
    CreatePinRequestBody, DecryptDatakeyRequestBody, KeystoreType, SignRequestBody,
    VerifyRequestBody,
};

const OLD: [u8; 32] = [0x11; 32];
const NEW: [u8; 32] = [0x22; 32];
const FP_OLD: [u8; ROOT_FINGERPRINT_LEN] = [1; ROOT_FINGERPRINT_LEN];
const FP_NEW: [u8; ROOT_FINGERPRINT_LEN] = [2; ROOT_FINGERPRINT_LEN];

fn caller() -> Caller {
    Caller::new("dom-a", "proj-a")
}

fn kms(store: &Arc<MemoryStore>, root_keys: Arc<dyn RootKeyProvider>) -> Kms {
    let entropy = Arc::new(ChaChaEntropy::from_seed([5u8; 32]));
    let ports = Ports::builder(store.clone(), root_keys, Arc::new(VecAudit::default()))
        .clock(Arc::new(ManualClock::new(Timestamp(1_767_225_600_000))))
        .ids(Arc::new(RandomIds(entropy.clone())))
        .entropy(entropy)
        .clusters(Arc::new(StaticClusters(vec![ClusterInfo {
            cluster_id: "cdms-a".into(),
            domain_id: "dom-a".into(),
            cluster_type: KeystoreType::Cdms,
            ca_fingerprint: None,
        }])))
        .build()
        .unwrap();
    Kms::new(
        ports,
        CoreConfig {
            record_cache_ttl_ms: 0,
            ..CoreConfig::default()
        },
    )
}

/// The provider over `secret` with the PIN keys the store carries (under
/// the recorded root key, or under the new one while a rotation is under
/// way: the old root key then gets none, and serves no PIN).
fn provider(secret: &[u8], store: &MemoryStore) -> Arc<dyn RootKeyProvider> {
    Arc::new(
        SoftwareRootKeys::new(secret)
            .unwrap()
            .with_carried_pin_keys(&store.carried_pin_keys().unwrap())
            .unwrap(),
    )
}

/// Fails every batch write after the first `ok` ones: a crash mid-rotation.
#[derive(Debug)]
struct CrashAfter {
    inner: Arc<MemoryStore>,
    ok: AtomicUsize,
}

impl RootRotationStore for CrashAfter {
    fn root_key_state(&self) -> PortResult<RootKeyState> {
        self.inner.root_key_state()
    }
    fn record_root_fingerprint(&self, f: &[u8; ROOT_FINGERPRINT_LEN]) -> PortResult<RootKeyState> {
        self.inner.record_root_fingerprint(f)
    }
    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>> {
        self.inner.all_keystores()
    }
    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>> {
        self.inner.carried_pin_keys()
    }
    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool> {
        self.inner.begin_root_rotation(from, to, pin_keys)
    }
    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>> {
        self.inner.unmoved_root_bound(generation, limit)
    }
    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize> {
        if self
            .ok
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return Err(PortError::new(PortErrorKind::Unavailable, "crash"));
        }
        self.inner.store_rewrapped(generation, rows)
    }
    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool> {
        self.inner.finish_root_rotation(to)
    }
}

struct Made {
    deks: Vec<(String, String, String)>,
    signer: String,
    signature: String,
    pins: Vec<(String, &'static str, String)>,
    cert_id: String,
    cert_key: String,
}

fn create_key(k: &Kms, alias: &str, spec: Option<&str>, keystore: Option<&str>) -> String {
    k.wire()
        .create_key(
            &caller(),
            &CreateKeyRequestBody {
                key_alias: alias.into(),
                key_spec: spec.map(str::to_owned),
                keystore_id: keystore.map(Into::into),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id
}

fn sign_body(key: &str) -> SignRequestBody {
    SignRequestBody {
        key_id: key.into(),
        message: Base64::encode_string(b"rotate me"),
        signing_algorithm: "ECDSA_SHA_256".into(),
        message_type: Some("RAW".into()),
        sequence: None,
    }
}

fn make_everything(k: &Kms) -> Made {
    let ks = k
        .wire()
        .create_keystore(
            &caller(),
            &CreateKeyStoreRequestBody {
                keystore_alias: "ks".into(),
                cluster_id: Some("cdms-a".into()),
                keystore_type: Some("CDMS".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .keystore
        .keystore_id;
    let mut deks = Vec::new();
    for (i, keystore) in [None, None, None, Some(ks.as_str())]
        .into_iter()
        .enumerate()
    {
        let key = create_key(k, &format!("aes_{i}"), None, keystore);
        let d = k
            .wire()
            .create_datakey(
                &caller(),
                &CreateDatakeyRequestBody {
                    key_id: key.clone(),
                    datakey_length: Some("256".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        deks.push((key, d.plain_text.expose_owned(), d.cipher_text));
    }
    let signer = create_key(k, "ec", Some("EC_P256"), None);
    let signature = k
        .wire()
        .sign(&caller(), &sign_body(&signer))
        .unwrap()
        .signature;
    let mut pins = Vec::new();
    for ks in ["1", "2", ks.as_str()] {
        for ty in ["CipherText", "PlainText"] {
            let pin = k
                .wire()
                .create_pin(
                    &caller(),
                    &CreatePinRequestBody {
                        pin_type: Some(ty.into()),
                        keystore_id: Some(ks.into()),
                    },
                )
                .unwrap()
                .pin
                .expose_owned();
            pins.push((ks.to_owned(), ty, pin));
        }
    }
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["rot.example.com".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2031, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let cert_key = key.serialize_pem();
    let rec = k
        .wire()
        .create_certificate(
            &caller(),
            &CertificateForm {
                name: "rot_cert".into(),
                cert_content: cert.pem(),
                private_key: cert_key.clone().into(),
                ..Default::default()
            },
        )
        .unwrap();
    Made {
        deks,
        signer,
        signature,
        pins,
        cert_id: rec.id,
        cert_key,
    }
}

/// Every key made under the old root key works through `k`.
fn everything_works(k: &Kms, m: &Made) {
    for (key, plain, ct) in &m.deks {
        let d = k
            .wire()
            .decrypt_datakey(
                &caller(),
                &DecryptDatakeyRequestBody {
                    key_id: key.clone(),
                    cipher_text: ct.clone(),
                    datakey_cipher_length: "32".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(d.data_key.expose(), &plain[..64], "DEK of {key}");
    }
    k.wire().sign(&caller(), &sign_body(&m.signer)).unwrap();
    let v = k
        .wire()
        .validate_signature(
            &caller(),
            &VerifyRequestBody {
                key_id: m.signer.clone(),
                message: Base64::encode_string(b"rotate me"),
                signature: m.signature.clone(),
                signing_algorithm: "ECDSA_SHA_256".into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(v.signature_valid, "true");
    let default_key = &m.deks[0].0;
    let dedicated_key = &m.deks[3].0;
    for (ks, ty, pin) in &m.pins {
        let key = if ks == "1" || ks == "2" {
            default_key
        } else {
            dedicated_key
        };
        k.wire()
            .create_datakey_without_plaintext(
                &caller(),
                &CreateDatakeyRequestBody {
                    key_id: key.clone(),
                    datakey_length: Some("256".into()),
                    pin: Some(pin.clone().into()),
                    pin_type: Some((*ty).into()),
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{ty} PIN of keystore {ks}: {e:?}"));
    }
    let pem = k
        .wire()
        .certificate_private_key(&caller(), &m.cert_id)
        .unwrap();
    assert_eq!(&pem[..], m.cert_key.as_bytes());
}

#[test]
fn a_rotation_cut_short_resumes_and_every_key_works_under_the_new_root_only() {
    let store = Arc::new(MemoryStore::new());
    let old_kms = kms(&store, provider(&OLD, &store));
    let made = make_everything(&old_kms);
    everything_works(&old_kms, &made);
    drop(old_kms);
    store.record_root_fingerprint(&FP_OLD).unwrap();

    let entropy = ChaChaEntropy::from_seed([8u8; 32]);
    let old = provider(&OLD, &store);
    let new = SoftwareRootKeys::new(&NEW).unwrap();
    let crashing = CrashAfter {
        inner: store.clone(),
        ok: AtomicUsize::new(2),
    };
    let mut batches = 0;
    let err = RootRotation {
        store: &crashing,
        old: &*old,
        new: &new,
        entropy: &entropy,
        old_fingerprint: FP_OLD,
        new_fingerprint: FP_NEW,
        untouched_keystores: HashSet::new(),
        batch_size: 2,
    }
    .run(|_| batches += 1)
    .unwrap_err();
    assert!(matches!(err, RootRotationError::Store(_)), "{err}");
    assert_eq!(batches, 2, "two batches were written before the crash");
    let state = store.root_key_state().unwrap();
    assert_eq!(state.fingerprint, Some(FP_OLD));
    assert_eq!(state.rotation.map(|t| t.fingerprint), Some(FP_NEW));

    // Half moved: a service over both root keys serves everything.
    let both = kms(
        &store,
        Arc::new(RotatingRootKeys::new(
            provider(&NEW, &store),
            Arc::new(SoftwareRootKeys::new(&OLD).unwrap()),
        )),
    );
    everything_works(&both, &made);
    drop(both);

    // Another new key cannot take over the rotation under way.
    let other = SoftwareRootKeys::new(&[0x33; 32]).unwrap();
    fn rotation<'a>(
        store: &'a MemoryStore,
        old: &'a dyn RootKeyProvider,
        new: &'a dyn RootKeyProvider,
        entropy: &'a ChaChaEntropy,
        fp: [u8; ROOT_FINGERPRINT_LEN],
    ) -> RootRotation<'a> {
        RootRotation {
            store,
            old,
            new,
            entropy,
            old_fingerprint: FP_OLD,
            new_fingerprint: fp,
            untouched_keystores: HashSet::new(),
            batch_size: 2,
        }
    }
    assert!(matches!(
        rotation(&store, &*old, &other, &entropy, [3; ROOT_FINGERPRINT_LEN]).run(|_| {}),
        Err(RootRotationError::OtherRotationUnderWay)
    ));

    let report = rotation(&store, &*old, &new, &entropy, FP_NEW)
        .run(|_| {})
        .unwrap();
    assert!(report.resumed);
    assert!(report.moved > 0);
    assert_eq!(report.generation, 1);
    let state = store.root_key_state().unwrap();
    assert_eq!(state.fingerprint, Some(FP_NEW));
    assert_eq!(state.rotation, None);
    // Idempotent once done.
    assert!(
        rotation(&store, &*old, &new, &entropy, FP_NEW)
            .run(|_| {})
            .unwrap()
            .already_done
    );

    let new_kms = kms(&store, provider(&NEW, &store));
    everything_works(&new_kms, &made);

    // The old root key opens no stored key any more.
    let stale = kms(&store, Arc::new(SoftwareRootKeys::new(&OLD).unwrap()));
    let (key, _, ct) = &made.deks[0];
    assert!(
        stale
            .wire()
            .decrypt_datakey(
                &caller(),
                &DecryptDatakeyRequestBody {
                    key_id: key.clone(),
                    cipher_text: ct.clone(),
                    datakey_cipher_length: "32".into(),
                    ..Default::default()
                },
            )
            .is_err()
    );

    // A second rotation moves everything again, carrying the carried PIN keys.
    let third: [u8; 32] = [0x44; 32];
    let third_provider = SoftwareRootKeys::new(&third).unwrap();
    let again = RootRotation {
        store: &*store,
        old: &*provider(&NEW, &store),
        new: &third_provider,
        entropy: &entropy,
        old_fingerprint: FP_NEW,
        new_fingerprint: [4; ROOT_FINGERPRINT_LEN],
        untouched_keystores: HashSet::new(),
        batch_size: 100,
    }
    .run(|_| {})
    .unwrap();
    assert_eq!(again.generation, 2);
    everything_works(&kms(&store, provider(&third, &store)), &made);
}

#[test]
fn a_rotation_from_another_root_key_is_refused() {
    let store = Arc::new(MemoryStore::new());
    store.record_root_fingerprint(&FP_OLD).unwrap();
    let entropy = ChaChaEntropy::from_seed([8u8; 32]);
    let old = SoftwareRootKeys::new(&OLD).unwrap();
    let new = SoftwareRootKeys::new(&NEW).unwrap();
    let err = RootRotation {
        store: &*store,
        old: &old,
        new: &new,
        entropy: &entropy,
        old_fingerprint: [9; ROOT_FINGERPRINT_LEN],
        new_fingerprint: FP_NEW,
        untouched_keystores: HashSet::new(),
        batch_size: 10,
    }
    .run(|_| {})
    .unwrap_err();
    assert!(matches!(err, RootRotationError::NotCurrentRoot), "{err}");
}
