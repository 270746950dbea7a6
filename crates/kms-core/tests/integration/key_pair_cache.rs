//! Opened key pairs are cached: a warm sign, verify, get-publickey or SM2
//! decrypt reads nothing from storage and opens nothing through the
//! root-key provider; every state change forgets the pair, and an open that
//! raced with a state change does not cache what it opened.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use base64ct::{Base64, Encoding};
use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{Caller, ClusterInfo, PortResult, Timestamp};
use kms_core::testkit::{Hooked, HookedRoots, Phase};
use kms_core::{CoreConfig, KeyPairOp, KeyPairWork, Kms};
use kms_model::{
    CreateKeyRequestBody, CreateKeyStoreRequestBody, ErrorCode, KeystoreType, LooseString,
    OperateKeyRequestBody, ScheduleKeyDeletionRequestBody, SignRequestBody, VerifyRequestBody,
};

/// A key store that counts record and material reads, and can hold the
/// next material read (after it has read) until told to go on.
#[derive(Debug)]
struct Counting {
    record_reads: AtomicUsize,
    material_reads: AtomicUsize,
    armed: AtomicBool,
    read_done: Mutex<Option<mpsc::Sender<()>>>,
    go: Mutex<Option<mpsc::Receiver<()>>>,
}

/// The software provider, counting key-pair opens (the sealing layer).
impl Counting {
    /// The hook of the key store: counts record and material reads, and
    /// once armed holds the next material read after it has read.
    fn hook(&self, method: &str, phase: Phase) -> PortResult<()> {
        match (method, phase) {
            ("get_key", Phase::Before) => {
                self.record_reads.fetch_add(1, Ordering::SeqCst);
            }
            ("get_key_material", Phase::Before) => {
                self.material_reads.fetch_add(1, Ordering::SeqCst);
            }
            ("get_key_material", Phase::After) if self.armed.swap(false, Ordering::SeqCst) => {
                if let Some(tx) = self.read_done.lock().unwrap().take() {
                    tx.send(()).unwrap();
                }
                if let Some(rx) = self.go.lock().unwrap().take() {
                    rx.recv().unwrap();
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[derive(Debug)]
struct CountingRoot {
    opens: AtomicUsize,
}

struct Fixture {
    kms: Arc<Kms>,
    store: Arc<Counting>,
    root: Arc<CountingRoot>,
}

impl Fixture {
    fn new() -> Self {
        let domain = "d".repeat(32);
        let mut ports = memory::ports(
            &[3u8; 32],
            [4u8; 32],
            Arc::new(ManualClock::new(Timestamp(1_700_000_000_000))),
            vec![ClusterInfo {
                cluster_id: "c1".to_owned(),
                domain_id: domain,
                cluster_type: KeystoreType::Dhsm,
                ca_fingerprint: None,
            }],
            Arc::new(VecAudit::default()),
        )
        .unwrap();
        let store = Arc::new(Counting {
            record_reads: AtomicUsize::new(0),
            material_reads: AtomicUsize::new(0),
            armed: AtomicBool::new(false),
            read_done: Mutex::new(None),
            go: Mutex::new(None),
        });
        let root = Arc::new(CountingRoot {
            opens: AtomicUsize::new(0),
        });
        let counter = Arc::clone(&root);
        let hook = Arc::clone(&store);
        ports.keys = Arc::new(Hooked::new(Arc::clone(&ports.keys), move |m, phase| {
            hook.hook(m, phase)
        }));
        ports.root_keys = Arc::new(HookedRoots::new(
            Arc::clone(&ports.root_keys),
            move |method, phase| {
                if method == "open_key_pair" && phase == Phase::Before {
                    counter.opens.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            },
        ));
        Self {
            kms: Arc::new(Kms::new(ports, CoreConfig::default())),
            store,
            root,
        }
    }

    fn create(&self, alias: &str, spec: &str, keystore: Option<&str>) -> String {
        self.kms
            .wire()
            .create_key(
                &caller(),
                &CreateKeyRequestBody {
                    key_alias: alias.into(),
                    key_spec: Some(spec.into()),
                    key_usage: Some(
                        if spec == "SM2" && alias.starts_with("enc") {
                            "ENCRYPT_DECRYPT"
                        } else {
                            "SIGN_VERIFY"
                        }
                        .into(),
                    ),
                    keystore_id: keystore.map(|k| LooseString(k.to_owned())),
                    ..Default::default()
                },
            )
            .unwrap()
            .key_info
            .key_id
    }

    /// (record reads, material reads, opens) so far.
    fn reads(&self) -> (usize, usize, usize) {
        (
            self.store.record_reads.load(Ordering::SeqCst),
            self.store.material_reads.load(Ordering::SeqCst),
            self.root.opens.load(Ordering::SeqCst),
        )
    }
}

fn caller() -> Caller {
    Caller::new("d".repeat(32), "proj")
}

fn op(key: &str) -> OperateKeyRequestBody {
    OperateKeyRequestBody {
        key_id: key.into(),
        sequence: None,
    }
}

fn sign(kms: &Kms, key: &str) -> Result<String, ErrorCode> {
    kms.wire()
        .sign(
            &caller(),
            &SignRequestBody {
                key_id: key.into(),
                message: Base64::encode_string(b"message"),
                signing_algorithm: "ECDSA_SHA_256".into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .map(|r| r.signature)
        .map_err(|e| e.code())
}

fn verify(kms: &Kms, key: &str, sig: &str) -> Result<String, ErrorCode> {
    kms.wire()
        .validate_signature(
            &caller(),
            &VerifyRequestBody {
                key_id: key.into(),
                message: Base64::encode_string(b"message"),
                signature: sig.into(),
                signing_algorithm: "ECDSA_SHA_256".into(),
                message_type: Some("RAW".into()),
                sequence: None,
            },
        )
        .map(|r| r.signature_valid)
        .map_err(|e| e.code())
}

fn public_key(kms: &Kms, key: &str) -> String {
    kms.wire()
        .get_public_key(&caller(), &op(key))
        .unwrap()
        .public_key
}

#[test]
fn warm_sign_verify_and_get_publickey_read_nothing_and_open_nothing() {
    let f = Fixture::new();
    let key = f.create("ec", "EC_P256", None);
    let sig = sign(&f.kms, &key).unwrap();
    let pem = public_key(&f.kms, &key);
    let before = f.reads();
    for _ in 0..50 {
        let s = sign(&f.kms, &key).unwrap();
        assert_eq!(verify(&f.kms, &key, &s).unwrap(), "true");
        assert_eq!(verify(&f.kms, &key, &sig).unwrap(), "true");
        assert_eq!(public_key(&f.kms, &key), pem);
    }
    assert_eq!(f.reads(), before, "(record reads, material reads, opens)");
    let stats = f.kms.cache_stats().key_pairs;
    assert!(stats.hits >= 200, "{stats:?}");
}

#[test]
fn warm_sm2_decrypt_reads_nothing_and_opens_nothing() {
    use kms_model::{DecryptDataRequestBody, EncryptDataRequestBody};
    let f = Fixture::new();
    let key = f.create("enc", "SM2", None);
    let encrypt = || {
        f.kms
            .wire()
            .encrypt_data(
                &caller(),
                &EncryptDataRequestBody {
                    key_id: key.clone(),
                    plain_text: "secret".into(),
                    encryption_algorithm: Some("SM2_ENCRYPT".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .cipher_text
    };
    let decrypt = |ct: String| {
        f.kms
            .wire()
            .decrypt_data(
                &caller(),
                &DecryptDataRequestBody {
                    key_id: Some(key.clone()),
                    cipher_text: ct,
                    encryption_algorithm: Some("SM2_ENCRYPT".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .plain_text
    };
    assert_eq!(decrypt(encrypt()), "secret".into());
    let before = f.reads();
    for _ in 0..10 {
        assert_eq!(decrypt(encrypt()), "secret".into());
    }
    assert_eq!(f.reads(), before, "(record reads, material reads, opens)");
}

/// Each state change forgets the opened pair: the next use after the key
/// is usable again reads and opens its material once more.
#[test]
fn every_key_state_change_forgets_the_pair() {
    let f = Fixture::new();
    let key = f.create("ec", "EC_P256", None);
    sign(&f.kms, &key).unwrap();
    let material_and_opens = || {
        let (_, m, o) = f.reads();
        (m, o)
    };
    let mut last = material_and_opens();
    let mut expect_reopened = |what: &str| {
        sign(&f.kms, &key).unwrap();
        let now = material_and_opens();
        assert_eq!(now, (last.0 + 1, last.1 + 1), "after {what}");
        // And then warm again.
        sign(&f.kms, &key).unwrap();
        assert_eq!(material_and_opens(), now, "warm after {what}");
        last = now;
    };

    f.kms.wire().disable_key(&caller(), &op(&key)).unwrap();
    assert_eq!(sign(&f.kms, &key), Err(ErrorCode::KmsKeyDisabled));
    f.kms.wire().enable_key(&caller(), &op(&key)).unwrap();
    expect_reopened("disable, enable");

    f.kms
        .wire()
        .schedule_key_deletion(
            &caller(),
            &ScheduleKeyDeletionRequestBody {
                key_id: key.clone(),
                pending_days: "7".into(),
                sequence: None,
            },
        )
        .unwrap();
    assert_eq!(sign(&f.kms, &key), Err(ErrorCode::KmsKeyPendingDeletion));
    f.kms
        .wire()
        .cancel_key_deletion(&caller(), &op(&key))
        .unwrap();
    f.kms.wire().enable_key(&caller(), &op(&key)).unwrap();
    expect_reopened("schedule deletion, cancel, enable");

    // Enabling an enabled key is refused (KMS.1201, the published state
    // rule) and changes nothing: the key still signs.
    let e = f.kms.wire().enable_key(&caller(), &op(&key)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KmsKeyNotDisabled, "{e}");
    assert!(sign(&f.kms, &key).is_ok());
}

/// A keystore's state change forgets every cached pair (the cache does not
/// know which keys live in it).
#[test]
fn a_keystore_state_change_forgets_the_pairs() {
    let f = Fixture::new();
    let ks = f
        .kms
        .wire()
        .create_keystore(
            &caller(),
            &CreateKeyStoreRequestBody {
                keystore_alias: "ks".into(),
                hsm_cluster_id: Some("c1".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .keystore
        .keystore_id;
    let inside = f.create("in", "EC_P256", Some(&ks));
    let outside = f.create("out", "EC_P256", None);
    sign(&f.kms, &inside).unwrap();
    sign(&f.kms, &outside).unwrap();
    let (_, _, opens) = f.reads();
    f.kms.wire().disable_keystore(&caller(), &ks).unwrap();
    assert_eq!(sign(&f.kms, &inside), Err(ErrorCode::KmsKeystoreDisabled));
    sign(&f.kms, &outside).unwrap();
    f.kms.wire().enable_keystore(&caller(), &ks).unwrap();
    sign(&f.kms, &inside).unwrap();
    let (_, _, now) = f.reads();
    // Each key opened once more after the keystore changed state (the one
    // outside after the disable; the one inside after the enable).
    assert_eq!(now, opens + 2);
}

/// An open that read the material before a state change does not cache
/// its result (the epoch guard): a sign stalls after reading the sealed
/// pair, the key's alias is changed meanwhile (an invalidation that leaves
/// the key usable), and the next sign opens afresh. Without the guard the
/// stalled sign would cache its pair after the invalidation and the next
/// sign would find it.
#[test]
fn an_open_that_raced_with_a_state_change_does_not_cache_the_pair() {
    use kms_model::UpdateKeyAliasRequestBody;
    let f = Fixture::new();
    let key = f.create("ec", "EC_P256", None);
    let (done_tx, done_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    *f.store.read_done.lock().unwrap() = Some(done_tx);
    *f.store.go.lock().unwrap() = Some(go_rx);
    f.store.armed.store(true, Ordering::SeqCst);
    let (k, id) = (Arc::clone(&f.kms), key.clone());
    let racer = std::thread::spawn(move || sign(&k, &id));
    done_rx.recv().unwrap();
    f.kms
        .wire()
        .update_key_alias(
            &caller(),
            &UpdateKeyAliasRequestBody {
                key_id: key.clone(),
                key_alias: "renamed".into(),
                sequence: None,
            },
        )
        .unwrap();
    go_tx.send(()).unwrap();
    racer.join().unwrap().unwrap();
    let (_, _, opens) = f.reads();
    assert_eq!(opens, 1);
    sign(&f.kms, &key).unwrap();
    assert_eq!(f.reads().2, 2, "the raced open was not cached");
    sign(&f.kms, &key).unwrap();
    assert_eq!(f.reads().2, 2, "the fresh open was");
}

/// A disable racing with an open is seen by every request that starts
/// after it returned, whatever the open caches.
#[test]
fn an_open_that_raced_with_a_disable_does_not_outlive_it() {
    let f = Fixture::new();
    let key = f.create("ec", "EC_P256", None);
    let (done_tx, done_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    *f.store.read_done.lock().unwrap() = Some(done_tx);
    *f.store.go.lock().unwrap() = Some(go_rx);
    f.store.armed.store(true, Ordering::SeqCst);
    let (k, id) = (Arc::clone(&f.kms), key.clone());
    let racer = std::thread::spawn(move || sign(&k, &id));
    done_rx.recv().unwrap();
    f.kms.wire().disable_key(&caller(), &op(&key)).unwrap();
    go_tx.send(()).unwrap();
    // Authorised before the disable: it may sign.
    assert!(racer.join().unwrap().is_ok());
    for _ in 0..5 {
        assert_eq!(sign(&f.kms, &key), Err(ErrorCode::KmsKeyDisabled));
        assert_eq!(
            f.kms
                .wire()
                .get_public_key(&caller(), &op(&key))
                .map_err(|e| e.code())
                .err(),
            Some(ErrorCode::KmsKeyDisabled)
        );
    }
}

/// A host asks, without I/O, whether a key-pair request is short enough
/// for an async worker: only when the key's record and opened pair are
/// cached (for the caller's project) and the operation is get-publickey,
/// an ECDSA P-256 sign or verification, or an RSA verification. Asking
/// reads nothing and moves no cache counter.
#[test]
fn key_pair_work_is_light_only_for_warm_short_operations() {
    use KeyPairOp::{GetPublicKey, Sign, Verify};
    use KeyPairWork::{Heavy, Light};
    let f = Fixture::new();
    let ec = f.create("ec", "EC_P256", None);
    let rsa = f.create("rsa", "RSA_2048", None);
    let p384 = f.create("p384", "EC_P384", None);
    let work = |key: &str, op| f.kms.key_pair_work(&caller(), key, op);
    for key in [&ec, &rsa, &p384] {
        for op in [Sign, Verify, GetPublicKey] {
            assert_eq!(work(key, op), Heavy, "cold {key} {op:?}");
        }
    }
    for key in [&ec, &rsa, &p384] {
        public_key(&f.kms, key);
    }
    let (reads, stats) = (f.reads(), f.kms.cache_stats());
    for (key, op, want) in [
        (&ec, Sign, Light),
        (&ec, Verify, Light),
        (&ec, GetPublicKey, Light),
        (&rsa, Sign, Heavy),
        (&rsa, Verify, Light),
        (&rsa, GetPublicKey, Light),
        (&p384, Sign, Heavy),
        (&p384, Verify, Heavy),
        (&p384, GetPublicKey, Light),
    ] {
        assert_eq!(work(key, op), want, "warm {key} {op:?}");
    }
    assert_eq!(
        f.kms
            .key_pair_work(&Caller::new("d".repeat(32), "other"), &ec, Sign),
        Heavy,
        "another project's key"
    );
    assert_eq!(work("not-a-key-id", GetPublicKey), Heavy);
    assert_eq!(f.reads(), reads);
    assert_eq!(f.kms.cache_stats(), stats);
    // A state change empties what made it light.
    f.kms.wire().disable_key(&caller(), &op(&ec)).unwrap();
    assert_eq!(work(&ec, Sign), Heavy);
}
