//! The PKCS#11 provider against SoftHSM2. Each test runs its body in a
//! child process with its own token directory (see `softhsm::in_child`);
//! without SoftHSM2 the tests skip loudly, except under `CI=true`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_core::ports::{KeystoreRecord, KeystoreState, RootKeyError, RootKeyProvider, Timestamp};
use kms_core::software::{ChaChaEntropy, SoftwareRootKeys};
use kms_crypto::{MasterKey, Pin, PinScope};
use kms_hsm_pkcs11::softhsm::{self, SO_PIN, USER_PIN};
use kms_hsm_pkcs11::{HsmPin, HsmRootKeys, Pkcs11ClusterConfig};
use kms_model::KeystoreType;

const KS: &str = "0b0e7a5c-1111-4222-8333-444455556666";
const KS2: &str = "0b0e7a5c-1111-4222-8333-777788889999";
const KEY_ID: &str = "7f3a2b1c-aaaa-4bbb-8ccc-dddddddddddd";

fn run(name: &str, labels: &[&str]) -> bool {
    softhsm::in_child(name, labels).unwrap()
}

fn cluster(id: &str, label: &str) -> Pkcs11ClusterConfig {
    Pkcs11ClusterConfig::new(id, softhsm::module().unwrap(), label, HsmPin::new(USER_PIN))
}

fn provider(clusters: Vec<Pkcs11ClusterConfig>) -> HsmRootKeys {
    let fallback = Arc::new(SoftwareRootKeys::new(&[7u8; 32]).unwrap());
    HsmRootKeys::new(fallback, clusters).unwrap()
}

fn record(keystore_id: &str, cluster_id: &str) -> KeystoreRecord {
    KeystoreRecord {
        keystore_id: keystore_id.to_owned(),
        domain_id: "d".repeat(32),
        alias: "ks".to_owned(),
        keystore_type: KeystoreType::Dhsm,
        cluster_id: Some(cluster_id.to_owned()),
        state: KeystoreState::Enabled,
        create_time: Timestamp(0),
    }
}

fn master_key(seed: u8) -> MasterKey {
    MasterKey::from_bytes(KEY_ID, 1, &[seed; 32]).unwrap()
}

/// A logged-in session of our own on the token `label` (same module, same
/// process: the module is already initialised by the provider or not).
fn own_session(label: &str) -> Session {
    let ctx = Pkcs11::new(softhsm::module().unwrap()).unwrap();
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = slot_of(&ctx, label).unwrap();
    let s = ctx.open_rw_session(slot).unwrap();
    let _ = s.login(UserType::User, Some(&AuthPin::from(USER_PIN.to_owned())));
    s
}

fn slot_of(ctx: &Pkcs11, label: &str) -> Option<Slot> {
    ctx.get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| ctx.get_token_info(*s).unwrap().label().trim_end() == label)
}

fn objects_of(s: &Session, keystore_id: &str) -> Vec<ObjectHandle> {
    s.find_objects(&[Attribute::Id(keystore_id.as_bytes().to_vec())])
        .unwrap()
}

fn assert_unavailable<T: std::fmt::Debug>(r: Result<T, RootKeyError>, what: &str) {
    match r {
        Err(RootKeyError::Unavailable(e)) => eprintln!("{what}: {e} ({e:?})"),
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

#[test]
fn token_key_is_non_extractable() {
    if !run("token_key_is_non_extractable", &["kms-a"]) {
        return;
    }
    let p = provider(vec![cluster("hsm-a", "kms-a")]);
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    let s = own_session("kms-a");
    let aes = s
        .find_objects(&[
            Attribute::Id(KS.as_bytes().to_vec()),
            Attribute::KeyType(KeyType::AES),
        ])
        .unwrap();
    assert_eq!(aes.len(), 1);
    let all = objects_of(&s, KS);
    assert_eq!(all.len(), 2, "the AES wrap key and the HMAC PIN key");
    for h in all {
        let attrs = s
            .get_attributes(
                h,
                &[
                    AttributeType::Extractable,
                    AttributeType::Sensitive,
                    AttributeType::Token,
                    AttributeType::NeverExtractable,
                    AttributeType::AlwaysSensitive,
                    AttributeType::Label,
                ],
            )
            .unwrap();
        assert!(attrs.contains(&Attribute::Extractable(false)), "{attrs:?}");
        assert!(attrs.contains(&Attribute::Sensitive(true)), "{attrs:?}");
        assert!(attrs.contains(&Attribute::Token(true)), "{attrs:?}");
        assert!(
            attrs.contains(&Attribute::NeverExtractable(true)),
            "{attrs:?}"
        );
        assert!(
            attrs.contains(&Attribute::AlwaysSensitive(true)),
            "{attrs:?}"
        );
        // C_GetAttributeValue(CKA_VALUE) is refused: cryptoki reports the
        // attribute as sensitive and returns no value.
        let info = s.get_attribute_info(h, &[AttributeType::Value]).unwrap();
        assert!(
            matches!(info[..], [cryptoki::object::AttributeInfo::Sensitive]),
            "{info:?}"
        );
        let value = s.get_attributes(h, &[AttributeType::Value]);
        assert!(
            value.is_err()
                || !value
                    .as_ref()
                    .unwrap()
                    .iter()
                    .any(|a| matches!(a, Attribute::Value(_))),
            "CKA_VALUE readable: {value:?}"
        );
    }
    // Wrapping the token key out is refused too.
    let kek = aes[0];
    let err = s.wrap_key(&Mechanism::AesKeyWrapPad, kek, kek);
    assert!(err.is_err(), "{err:?}");
}

#[test]
fn cmks_wrap_with_rfc5649_on_the_token() {
    if !run("cmks_wrap_with_rfc5649_on_the_token", &["kms-a"]) {
        return;
    }
    let p = provider(vec![cluster("hsm-a", "kms-a")]);
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    p.provision_keystore(&record(KS2, "hsm-a")).unwrap();
    let mk = master_key(9);
    let wrapped = p.wrap_master_key(KS, &mk).unwrap();
    let back = p
        .unwrap_master_key(KS, KEY_ID, 1, wrapped.as_bytes())
        .unwrap();
    assert_eq!(
        back.wrap_payload().expose_secret(),
        mk.wrap_payload().expose_secret()
    );
    // Bound to the key id and version, to the keystore's token key, and
    // tamper-evident.
    let other_id = "7f3a2b1c-aaaa-4bbb-8ccc-eeeeeeeeeeee";
    assert_eq!(
        p.unwrap_master_key(KS, other_id, 1, wrapped.as_bytes())
            .unwrap_err(),
        RootKeyError::Rejected
    );
    assert_eq!(
        p.unwrap_master_key(KS, KEY_ID, 2, wrapped.as_bytes())
            .unwrap_err(),
        RootKeyError::Rejected
    );
    assert_eq!(
        p.unwrap_master_key(KS2, KEY_ID, 1, wrapped.as_bytes())
            .unwrap_err(),
        RootKeyError::Rejected
    );
    let mut bad = wrapped.as_bytes().to_vec();
    bad[10] ^= 1;
    assert_eq!(
        p.unwrap_master_key(KS, KEY_ID, 1, &bad).unwrap_err(),
        RootKeyError::Rejected
    );
    assert_eq!(
        p.unwrap_master_key(KS, KEY_ID, 1, &bad[..79]).unwrap_err(),
        RootKeyError::Rejected
    );
    // Not the software root key's wrap.
    let sw = SoftwareRootKeys::new(&[7u8; 32]).unwrap();
    assert_ne!(sw.wrap_master_key(KS, &mk).unwrap(), wrapped);

    // CKM_AES_KEY_WRAP_PAD (0x210A) on SoftHSM is RFC 5649: the same
    // payload under a known (session, test-only) key wraps to what the
    // aes-kw crate's KWP gives.
    use aes_kw::cipher::KeyInit;
    let s = own_session("kms-a");
    let kek_bytes = [0x42u8; 32];
    let kek = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Wrap(true),
            Attribute::Value(kek_bytes.to_vec()),
        ])
        .unwrap();
    let payload = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Token(false),
            Attribute::Extractable(true),
            Attribute::Value(mk.wrap_payload().expose_secret().to_vec()),
        ])
        .unwrap();
    assert_eq!(
        kms_hsm_pkcs11::wrap_mechanism().mechanism_type(),
        cryptoki::mechanism::MechanismType::AES_KEY_WRAP_PAD
    );
    let on_token = s
        .wrap_key(&kms_hsm_pkcs11::wrap_mechanism(), kek, payload)
        .unwrap();
    let mut soft = [0u8; 80];
    aes_kw::KwpAes256::new_from_slice(&kek_bytes)
        .unwrap()
        .wrap_key(mk.wrap_payload().expose_secret(), &mut soft)
        .unwrap();
    assert_eq!(on_token, soft.to_vec());
}

#[test]
fn pins_are_derived_on_the_token() {
    if !run("pins_are_derived_on_the_token", &["kms-a"]) {
        return;
    }
    let p = provider(vec![cluster("hsm-a", "kms-a")]);
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    p.provision_keystore(&record(KS2, "hsm-a")).unwrap();
    let entropy = ChaChaEntropy::from_seed([1; 32]);
    let pin = Pin::from_bytes(&[5u8; 32]).unwrap();
    let domain = "d".repeat(32);
    let scope = PinScope::new(KS, &domain).unwrap();
    let sealed = p.seal_pin(&scope, &entropy, &pin).unwrap();
    p.verify_sealed_pin(&scope, sealed.as_bytes()).unwrap();
    let other = PinScope::new(KS2, &domain).unwrap();
    assert_eq!(
        p.verify_sealed_pin(&other, sealed.as_bytes()).unwrap_err(),
        RootKeyError::Rejected
    );
    let v = p.pin_verifier(KS, &pin).unwrap();
    assert_eq!(v, p.pin_verifier(KS, &pin).unwrap());
    assert_ne!(v, p.pin_verifier(KS2, &pin).unwrap());
    // Not what the software root key (the fallback) would derive.
    let sw = SoftwareRootKeys::new(&[7u8; 32]).unwrap();
    assert_ne!(v, sw.pin_verifier(KS, &pin).unwrap());
    assert!(sw.verify_sealed_pin(&scope, sealed.as_bytes()).is_err());
    // A fresh provider over the same token derives the same PIN root.
    let p2 = provider(vec![cluster("hsm-a", "kms-a")]);
    p2.attach_keystore(&record(KS, "hsm-a")).unwrap();
    assert_eq!(v, p2.pin_verifier(KS, &pin).unwrap());
    p2.verify_sealed_pin(&scope, sealed.as_bytes()).unwrap();
}

#[test]
fn other_keystores_use_the_fallback_and_unattached_ones_are_refused() {
    if !run(
        "other_keystores_use_the_fallback_and_unattached_ones_are_refused",
        &["kms-a"],
    ) {
        return;
    }
    let p = provider(vec![cluster("hsm-a", "kms-a")]);
    let sw = SoftwareRootKeys::new(&[7u8; 32]).unwrap();
    let mk = master_key(3);
    assert_eq!(
        p.wrap_master_key("0", &mk).unwrap(),
        sw.wrap_master_key("0", &mk).unwrap()
    );
    assert!(matches!(
        p.wrap_master_key(KS, &mk),
        Err(RootKeyError::Backend(_))
    ));
    let mut soft = record(KS2, "cdms-cluster");
    soft.keystore_type = KeystoreType::Cdms;
    p.attach_keystore(&soft).unwrap();
    assert_eq!(
        p.wrap_master_key(KS2, &mk).unwrap(),
        sw.wrap_master_key(KS2, &mk).unwrap()
    );
    let s = own_session("kms-a");
    assert!(objects_of(&s, KS2).is_empty());
}

#[test]
fn an_unreachable_token_is_a_typed_error_and_recovers() {
    if !run(
        "an_unreachable_token_is_a_typed_error_and_recovers",
        &["kms-a"],
    ) {
        return;
    }
    let mk = master_key(4);
    let failures_before = kms_hsm_pkcs11::failure_counts();
    // A module that is not there.
    let mut missing = cluster("hsm-x", "kms-a");
    missing.module = "/nonexistent/libpkcs11.so".into();
    let p = provider(vec![missing]);
    let t0 = Instant::now();
    assert_unavailable(p.provision_keystore(&record(KS, "hsm-x")), "missing module");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // A file that is not a PKCS#11 module.
    let mut bogus = cluster("hsm-x", "kms-a");
    bogus.module = "/etc/hostname".into();
    assert_unavailable(
        provider(vec![bogus]).provision_keystore(&record(KS, "hsm-x")),
        "not a module",
    );
    // A wrong PIN.
    let mut wrong = cluster("hsm-a", "kms-a");
    wrong.pin = HsmPin::new("0000");
    let wrong = provider(vec![wrong]);
    assert_unavailable(wrong.provision_keystore(&record(KS, "hsm-a")), "wrong PIN");
    // No second login with a refused PIN for a while (a real HSM would
    // lock the user).
    match wrong.provision_keystore(&record(KS, "hsm-a")) {
        Err(RootKeyError::Unavailable(e)) => {
            assert!(e.context().contains("refused the PIN"), "{e:?}")
        }
        other => panic!("{other:?}"),
    }

    // A token that is not there yet, then appears: the provider recovers
    // on the next call, without a restart.
    let p = provider(vec![cluster("hsm-late", "kms-late")]);
    assert_unavailable(
        p.provision_keystore(&record(KS, "hsm-late")),
        "absent token",
    );
    assert_unavailable(p.token("hsm-late").unwrap().check(), "absent token check");
    {
        let ctx = Pkcs11::new(softhsm::module().unwrap()).unwrap();
        let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
        let free = ctx
            .get_slots_with_token()
            .unwrap()
            .into_iter()
            .find(|s| !ctx.get_token_info(*s).unwrap().token_initialized())
            .unwrap();
        ctx.init_token(free, &AuthPin::from(SO_PIN.to_owned()), "kms-late")
            .unwrap();
        let s = ctx.open_rw_session(free).unwrap();
        s.login(UserType::So, Some(&AuthPin::from(SO_PIN.to_owned())))
            .unwrap();
        s.init_pin(&AuthPin::from(USER_PIN.to_owned())).unwrap();
        s.logout().unwrap();
    }
    p.provision_keystore(&record(KS, "hsm-late")).unwrap();
    let w = p.wrap_master_key(KS, &mk).unwrap();
    p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()).unwrap();

    // Pulling the token out from under a running provider: its files are
    // removed and the slot re-initialised as another token. Every call
    // answers Unavailable (never a panic or a hang).
    let s = own_session("kms-late");
    for h in objects_of(&s, KS) {
        s.destroy_object(h).unwrap();
    }
    drop(s);
    let t0 = Instant::now();
    assert_unavailable(
        p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()),
        "token key gone",
    );
    assert!(t0.elapsed() < Duration::from_secs(5));

    // The token's files are deleted under the running provider.
    p.provision_keystore(&record(KS2, "hsm-late")).unwrap();
    let w2 = p.wrap_master_key(KS2, &mk).unwrap();
    let conf = std::env::var("SOFTHSM2_CONF").unwrap();
    let tokens = std::path::Path::new(&conf).parent().unwrap().join("tokens");
    for entry in std::fs::read_dir(tokens).unwrap() {
        std::fs::remove_dir_all(entry.unwrap().path()).unwrap();
    }
    let t0 = Instant::now();
    assert_unavailable(
        p.unwrap_master_key(KS2, KEY_ID, 1, w2.as_bytes()),
        "token files deleted: unwrap",
    );
    assert_unavailable(p.wrap_master_key(KS2, &mk), "token files deleted: wrap");
    assert_unavailable(
        p.provision_keystore(&record(KS, "hsm-late")),
        "token files deleted: provision",
    );
    assert!(t0.elapsed() < Duration::from_secs(5));
    // Every Unavailable answer above was counted (the host's metrics).
    let failures = kms_hsm_pkcs11::failure_counts();
    assert!(
        failures.unavailable >= failures_before.unavailable + 10,
        "{failures_before:?} -> {failures:?}"
    );
    assert_eq!(failures.timeouts, failures_before.timeouts);
}

#[test]
fn released_keystores_keys_are_unusable() {
    if !run("released_keystores_keys_are_unusable", &["kms-a"]) {
        return;
    }
    let p = provider(vec![cluster("hsm-a", "kms-a")]);
    let rec = record(KS, "hsm-a");
    p.provision_keystore(&rec).unwrap();
    let mk = master_key(6);
    let w = p.wrap_master_key(KS, &mk).unwrap();
    p.release_keystore(&rec).unwrap();
    let s = own_session("kms-a");
    assert!(objects_of(&s, KS).is_empty());
    assert_unavailable(
        p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()),
        "released keystore",
    );
    // Provisioning again creates a new key: the old material stays dead.
    p.provision_keystore(&rec).unwrap();
    assert_eq!(
        p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes())
            .unwrap_err(),
        RootKeyError::Rejected
    );
}

#[test]
fn a_small_session_pool_serves_many_threads() {
    if !run("a_small_session_pool_serves_many_threads", &["kms-a"]) {
        return;
    }
    let mut c = cluster("hsm-a", "kms-a");
    c.max_sessions = 2;
    let p = Arc::new(provider(vec![c]));
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    let mk = master_key(8);
    let w = p.wrap_master_key(KS, &mk).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let p = Arc::clone(&p);
            let w = w.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn the_pin_is_trimmed_and_never_shown() {
    let c = Pkcs11ClusterConfig::new("c", "/m.so", "t", HsmPin::new(" 98765-secret\n"));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("98765"), "{dbg}");
    assert!(dbg.contains("HsmPin(<redacted>)"), "{dbg}");
    let fallback = Arc::new(SoftwareRootKeys::new(&[7u8; 32]).unwrap());
    let dup = HsmRootKeys::new(fallback, vec![c.clone(), c]).unwrap_err();
    assert!(dup.context().contains("twice"), "{dup:?}");
}

/// Moves every entry of the token directory into `to` (or back).
fn move_entries(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::rename(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The token's files go away under a running provider and are put back
/// (a restore, a remount): the keystore answers Unavailable while they are
/// gone and works again once they are back, without a restart. Before the
/// module was re-initialised on a missing key, it answered "token has 0
/// keys for keystore ... (expected 1)" for ever.
#[test]
fn a_token_removed_and_restored_under_a_running_provider_comes_back() {
    if !run(
        "a_token_removed_and_restored_under_a_running_provider_comes_back",
        &["kms-a", "kms-b"],
    ) {
        return;
    }
    // Two clusters on the same module: the other token's sessions survive
    // the re-initialisation the first one's recovery does.
    let p = provider(vec![cluster("hsm-a", "kms-a"), cluster("hsm-b", "kms-b")]);
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    p.provision_keystore(&record(KS2, "hsm-b")).unwrap();
    let mk = master_key(11);
    let w = p.wrap_master_key(KS, &mk).unwrap();
    let w2 = p.wrap_master_key(KS2, &mk).unwrap();
    let pin = Pin::from_bytes(&[5u8; 32]).unwrap();
    let verifier = p.pin_verifier(KS, &pin).unwrap();
    p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()).unwrap();
    let conf = std::env::var("SOFTHSM2_CONF").unwrap();
    let dir = std::path::Path::new(&conf).parent().unwrap();
    let tokens = dir.join("tokens");
    let away = dir.join("away");
    move_entries(&tokens, &away);
    for i in 0..3 {
        assert_unavailable(
            p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()),
            &format!("token files away ({i})"),
        );
    }
    move_entries(&away, &tokens);
    // The module is re-initialised at most once per REINIT_INTERVAL.
    std::thread::sleep(kms_hsm_pkcs11::REINIT_INTERVAL);
    let back = p
        .unwrap_master_key(KS, KEY_ID, 1, w.as_bytes())
        .expect("the first call after the files are back recovers");
    assert_eq!(
        back.wrap_payload().expose_secret(),
        mk.wrap_payload().expose_secret()
    );
    let w3 = p.wrap_master_key(KS, &mk).unwrap();
    p.unwrap_master_key(KS, KEY_ID, 1, w3.as_bytes()).unwrap();
    // The PIN root is derived on the token again, the same.
    let p2 = provider(vec![cluster("hsm-a", "kms-a")]);
    p2.attach_keystore(&record(KS, "hsm-a")).unwrap();
    assert_eq!(p2.pin_verifier(KS, &pin).unwrap(), verifier);
    // The other token works throughout.
    p.unwrap_master_key(KS2, KEY_ID, 1, w2.as_bytes()).unwrap();
}

/// Replaces a keystore's token key of `key_type` by a new key under the
/// same label and id, from a session of our own (what an operator
/// restoring the wrong backup, or anyone with the user PIN, could do).
fn replace_token_key(label: &str, keystore_id: &str, key_type: KeyType) {
    let s = own_session(label);
    let found = s
        .find_objects(&[
            Attribute::Id(keystore_id.as_bytes().to_vec()),
            Attribute::KeyType(key_type),
        ])
        .unwrap();
    assert_eq!(found.len(), 1);
    let attrs = s.get_attributes(found[0], &[AttributeType::Label]).unwrap();
    s.destroy_object(found[0]).unwrap();
    let mut template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(key_type),
        Attribute::ValueLen(32.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Id(keystore_id.as_bytes().to_vec()),
    ];
    template.extend(attrs);
    let mechanism = if key_type == KeyType::AES {
        template.extend([Attribute::Wrap(true), Attribute::Unwrap(true)]);
        Mechanism::AesKeyGen
    } else {
        template.extend([Attribute::Sign(true), Attribute::Verify(true)]);
        Mechanism::GenericSecretKeyGen
    };
    s.generate_key(&mechanism, &template).unwrap();
}

fn assert_replaced<T: std::fmt::Debug>(r: Result<T, RootKeyError>, what: &str) {
    match r {
        Err(RootKeyError::Unavailable(e)) if e.context().contains("check value differs") => {
            eprintln!("{what}: {e}");
        }
        other => panic!("{what}: expected the replaced-key refusal, got {other:?}"),
    }
}

/// (Issue 25, item 3 for HSM keystores) A token key replaced under the
/// same label is refused with a clear error, by the running provider and
/// by a new one over the same store, instead of wrapping new CMKs (or
/// deriving PIN roots) under the wrong key.
#[test]
fn a_replaced_token_key_is_refused() {
    if !run("a_replaced_token_key_is_refused", &["kms-a"]) {
        return;
    }
    let store = Arc::new(kms_core::memory::MemoryStore::new());
    let checked = |clusters| provider(clusters).with_key_checks(store.clone());
    let p = checked(vec![cluster("hsm-a", "kms-a")]);
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    p.provision_keystore(&record(KS2, "hsm-a")).unwrap();
    let mk = master_key(12);
    let w = p.wrap_master_key(KS, &mk).unwrap();
    let pin = Pin::from_bytes(&[5u8; 32]).unwrap();
    p.pin_verifier(KS2, &pin).unwrap();

    // The wrap key of KS is replaced: new CMKs are not wrapped under it,
    // old ones do not unwrap as "rejected" material but as a refused key.
    replace_token_key("kms-a", KS, KeyType::AES);
    assert_replaced(p.wrap_master_key(KS, &mk), "wrap under a replaced key");
    assert_replaced(
        p.unwrap_master_key(KS, KEY_ID, 1, w.as_bytes()),
        "unwrap under a replaced key",
    );
    // The PIN key of KS2 is replaced: a fresh provider (a restart) over
    // the same store refuses to derive the keystore's PIN root from it.
    replace_token_key("kms-a", KS2, KeyType::GENERIC_SECRET);
    let restarted = checked(vec![cluster("hsm-a", "kms-a")]);
    restarted.attach_keystore(&record(KS, "hsm-a")).unwrap();
    restarted.attach_keystore(&record(KS2, "hsm-a")).unwrap();
    assert_replaced(restarted.pin_verifier(KS2, &pin), "PIN root after restart");
    assert_replaced(restarted.wrap_master_key(KS, &mk), "wrap after restart");
    // Still refused on later calls (no handle was cached for it).
    assert_replaced(p.wrap_master_key(KS, &mk), "wrap again");
    // A provider without the record (another store) records on first use
    // and serves: the check is against what was recorded, nothing else.
    let other = provider(vec![cluster("hsm-a", "kms-a")])
        .with_key_checks(Arc::new(kms_core::memory::MemoryStore::new()));
    other.attach_keystore(&record(KS, "hsm-a")).unwrap();
    let w2 = other.wrap_master_key(KS, &mk).unwrap();
    other
        .unwrap_master_key(KS, KEY_ID, 1, w2.as_bytes())
        .unwrap();
    // Releasing the keystore forgets its check value: provisioned again
    // (a new key), it is recorded anew.
    p.release_keystore(&record(KS, "hsm-a")).unwrap();
    p.provision_keystore(&record(KS, "hsm-a")).unwrap();
    let w3 = p.wrap_master_key(KS, &mk).unwrap();
    p.unwrap_master_key(KS, KEY_ID, 1, w3.as_bytes()).unwrap();
}
