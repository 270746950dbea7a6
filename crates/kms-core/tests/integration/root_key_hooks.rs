//! The core tells the root-key provider where a dedicated keystore's root
//! key lives: provision before the keystore is stored (a failure stores
//! nothing), attach whenever it reads the record from storage, release
//! after a delete; an unreachable HSM is 502 KMS.6502.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kms_core::memory::{self, ManualClock, VecAudit};
use kms_core::ports::{
    Caller, ClusterInfo, Entropy, KeystoreRecord, PortError, PortErrorKind, RootKeyError,
    RootKeyProvider, Timestamp,
};
use kms_core::{CoreConfig, Kms};
use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinScope, PinVerifier, PrivateKeyScope, WrappedMasterKey,
};
use kms_model::{
    CreateDatakeyRequestBody, CreateKeyRequestBody, CreateKeyStoreRequestBody, ErrorCode,
    KeystoreType, LooseString,
};
use zeroize::Zeroizing;

/// Delegates to the software provider and records the hooks; can play an
/// unreachable HSM.
#[derive(Debug)]
struct Recording {
    inner: Arc<dyn RootKeyProvider>,
    calls: Mutex<Vec<String>>,
    down: AtomicBool,
}

impl Recording {
    fn check(&self) -> Result<(), RootKeyError> {
        if self.down.load(Ordering::SeqCst) {
            Err(RootKeyError::Unavailable(PortError::new(
                PortErrorKind::Unavailable,
                "token not present",
            )))
        } else {
            Ok(())
        }
    }
    fn log(&self, s: String) {
        self.calls.lock().unwrap().push(s);
    }
}

impl RootKeyProvider for Recording {
    fn wrap_master_key(&self, ks: &str, key: &MasterKey) -> Result<WrappedMasterKey, RootKeyError> {
        self.check()?;
        self.inner.wrap_master_key(ks, key)
    }
    fn unwrap_master_key(
        &self,
        ks: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError> {
        self.check()?;
        self.inner.unwrap_master_key(ks, key_id, version, wrapped)
    }
    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError> {
        self.inner.seal_pin(scope, entropy, pin)
    }
    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError> {
        self.inner.verify_sealed_pin(scope, sealed)
    }
    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError> {
        self.inner.seal_private_key(scope, entropy, private_key)
    }
    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.inner.open_private_key(scope, sealed)
    }
    fn pin_verifier(&self, ks: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError> {
        self.inner.pin_verifier(ks, pin)
    }
    fn provision_keystore(&self, k: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.log(format!("provision {}", k.alias));
        self.check()
    }
    fn attach_keystore(&self, k: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.log(format!("attach {}", k.alias));
        Ok(())
    }
    fn release_keystore(&self, k: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.log(format!("release {}", k.alias));
        Ok(())
    }
}

fn setup() -> (Kms, Arc<Recording>, Caller) {
    let domain = "d".repeat(32);
    let cluster = |id: &str| ClusterInfo {
        cluster_id: id.to_owned(),
        domain_id: domain.clone(),
        cluster_type: KeystoreType::Dhsm,
        ca_fingerprint: None,
    };
    let mut ports = memory::ports(
        &[3u8; 32],
        [4u8; 32],
        Arc::new(ManualClock::new(Timestamp(1_700_000_000_000))),
        vec![cluster("c1"), cluster("c2"), cluster("c3")],
        Arc::new(VecAudit::default()),
    )
    .unwrap();
    let rec = Arc::new(Recording {
        inner: Arc::clone(&ports.root_keys),
        calls: Mutex::new(Vec::new()),
        down: AtomicBool::new(false),
    });
    ports.root_keys = rec.clone();
    let config = CoreConfig {
        record_cache_ttl_ms: 0,
        ..CoreConfig::default()
    };
    (
        Kms::new(ports, config),
        rec,
        Caller::new(domain, "p".repeat(32)),
    )
}

fn keystore_body(alias: &str, cluster: &str) -> CreateKeyStoreRequestBody {
    CreateKeyStoreRequestBody {
        keystore_alias: alias.into(),
        hsm_cluster_id: Some(cluster.into()),
        ..Default::default()
    }
}

#[test]
fn the_core_provisions_attaches_and_releases_dedicated_keystores() {
    let (kms, rec, caller) = setup();
    let ks = kms
        .wire()
        .create_keystore(&caller, &keystore_body("ks1", "c1"))
        .unwrap()
        .keystore
        .keystore_id;
    assert_eq!(*rec.calls.lock().unwrap(), ["provision ks1"]);
    let key = kms
        .wire()
        .create_key(
            &caller,
            &CreateKeyRequestBody {
                key_alias: "k".into(),
                keystore_id: Some(LooseString(ks.clone())),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    let body = CreateDatakeyRequestBody {
        key_id: key,
        datakey_length: Some("256".into()),
        ..Default::default()
    };
    kms.wire()
        .create_datakey_without_plaintext(&caller, &body)
        .unwrap();
    assert!(
        rec.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| *c == "attach ks1")
            .count()
            >= 2,
        "{:?}",
        rec.calls.lock().unwrap()
    );

    // An empty keystore is deleted with its root key.
    let empty = kms
        .wire()
        .create_keystore(&caller, &keystore_body("ks2", "c2"))
        .unwrap()
        .keystore
        .keystore_id;
    kms.wire().delete_keystore(&caller, &empty).unwrap();
    assert_eq!(rec.calls.lock().unwrap().last().unwrap(), "release ks2");

    // The HSM is unreachable: create-keystore stores nothing, and
    // create-key in a keystore on it (which always wraps through the
    // provider) answers 502 KMS.6502.
    rec.down.store(true, Ordering::SeqCst);
    let err = kms
        .wire()
        .create_keystore(&caller, &keystore_body("ks3", "c3"))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KmsBadGateway);
    assert_eq!(err.code().status(), 502);
    assert_eq!(
        kms.wire()
            .list_keystores(&caller, None, None)
            .unwrap()
            .total,
        1
    );
    let err = kms
        .wire()
        .create_key(
            &caller,
            &CreateKeyRequestBody {
                key_alias: "k2".into(),
                keystore_id: Some(LooseString(ks)),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::KmsBadGateway);
    // Recovery: the HSM is back.
    rec.down.store(false, Ordering::SeqCst);
    kms.wire()
        .create_keystore(&caller, &keystore_body("ks3", "c3"))
        .unwrap();
}
