//! The PKCS#11 provider (SoftHSM2): create-datakey-without-plaintext
//! through kms-core on a key of an HSM keystore against a software key (the
//! master-key cache makes the steady state the same), the cold CMK unwrap
//! through the token against the software unwrap, and the session pool
//! under 1 and 2 threads.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once per process and this workspace
//! forbids the `unsafe` of setting it in-process, so without it the bench
//! sets up a throw-away token directory and runs itself again with it.
//! Without SoftHSM2 it says so and does nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use kms_core::memory::{self, ManualClock};
use kms_core::ports::{Caller, ClusterInfo, RootKeyProvider, Timestamp};
use kms_core::software::{NullAudit, SoftwareRootKeys};
use kms_core::{CoreConfig, Kms};
use kms_crypto::MasterKey;
use kms_hsm_pkcs11::softhsm::{self, SoftHsm, USER_PIN};
use kms_hsm_pkcs11::{HsmPin, HsmRootKeys, Pkcs11ClusterConfig};
use kms_model::{
    CreateDatakeyRequestBody, CreateKeyRequestBody, CreateKeyStoreRequestBody, KeystoreType,
};

const LABEL: &str = "kms-bench";
const CLUSTER: &str = "hsm-bench";
const DOMAIN: &str = "domain-1";

fn provider(sessions: usize) -> Arc<HsmRootKeys> {
    let mut c = Pkcs11ClusterConfig::new(
        CLUSTER,
        softhsm::module().unwrap(),
        LABEL,
        HsmPin::new(USER_PIN),
    );
    c.max_sessions = sessions;
    let fallback = Arc::new(SoftwareRootKeys::new(&[7u8; 32]).unwrap());
    Arc::new(HsmRootKeys::new(fallback, vec![c]).unwrap())
}

/// A core over memory stores whose root keys are `hsm`, with one key in
/// the default keystore and one in a keystore on the token.
fn core(hsm: Arc<HsmRootKeys>) -> (Kms, Caller, String, String, String) {
    let mut ports = memory::ports(
        &[7u8; 32],
        [1u8; 32],
        Arc::new(ManualClock::new(Timestamp(1_700_000_000_000))),
        vec![ClusterInfo {
            cluster_id: CLUSTER.to_owned(),
            domain_id: DOMAIN.to_owned(),
            cluster_type: KeystoreType::Dhsm,
            ca_fingerprint: None,
        }],
        Arc::new(NullAudit),
    )
    .unwrap();
    ports.root_keys = hsm;
    let kms = Kms::new(ports, CoreConfig::default());
    let caller = Caller::new(DOMAIN, "project-1");
    let ks = kms
        .wire()
        .create_keystore(
            &caller,
            &CreateKeyStoreRequestBody {
                keystore_alias: "bench_ks".into(),
                hsm_cluster_id: Some(CLUSTER.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .keystore
        .keystore_id;
    let key = |alias: &str, keystore: Option<String>| {
        kms.wire()
            .create_key(
                &caller,
                &CreateKeyRequestBody {
                    key_alias: alias.into(),
                    keystore_id: keystore.map(kms_model::LooseString),
                    ..Default::default()
                },
            )
            .unwrap()
            .key_info
            .key_id
    };
    let soft = key("soft", None);
    let hard = key("hard", Some(ks.clone()));
    (kms, caller, ks, soft, hard)
}

fn benches(c: &mut Criterion) {
    let hsm = provider(2);
    let (kms, caller, ks, soft, hard) = core(Arc::clone(&hsm));

    let mut g = c.benchmark_group("hsm_create_datakey_without_plaintext_256");
    for (name, key) in [("software_key", &soft), ("hsm_key_cached", &hard)] {
        let body = CreateDatakeyRequestBody {
            key_id: key.clone(),
            datakey_length: Some("256".into()),
            ..Default::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                kms.wire()
                    .create_datakey_without_plaintext(&caller, black_box(&body))
                    .unwrap()
            })
        });
    }
    g.finish();

    // The cold path: one CMK unwrap through the provider, no cache.
    let key_id = "7f3a2b1c-aaaa-4bbb-8ccc-dddddddddddd";
    let mk = MasterKey::from_bytes(key_id, 1, &[9u8; 32]).unwrap();
    let wrapped = hsm.wrap_master_key(&ks, &mk).unwrap();
    let sw = SoftwareRootKeys::new(&[7u8; 32]).unwrap();
    let sw_wrapped = sw.wrap_master_key("0", &mk).unwrap();
    let mut g = c.benchmark_group("hsm_cold_unwrap");
    g.bench_function("software_root_key", |b| {
        b.iter(|| {
            sw.unwrap_master_key("0", key_id, 1, black_box(sw_wrapped.as_bytes()))
                .unwrap()
        })
    });
    g.bench_function("softhsm_token", |b| {
        b.iter(|| {
            hsm.unwrap_master_key(&ks, key_id, 1, black_box(wrapped.as_bytes()))
                .unwrap()
        })
    });
    g.finish();

    // The pool: N threads share the iterations; time per unwrap.
    let mut g = c.benchmark_group("hsm_session_pool_unwrap");
    for (name, threads, sessions) in [
        ("1_thread_2_sessions", 1usize, 2usize),
        ("2_threads_2_sessions", 2, 2),
        ("2_threads_1_session", 2, 1),
    ] {
        let p = if sessions == 2 {
            Arc::clone(&hsm)
        } else {
            let p = provider(1);
            let (_k, _c, ks1, _s, _h) = core(Arc::clone(&p));
            let w = p.wrap_master_key(&ks1, &mk).unwrap();
            g.bench_function(name, |b| {
                b.iter_custom(|iters| run_threads(&p, &ks1, key_id, &w, threads, iters))
            });
            continue;
        };
        let w = wrapped.clone();
        let ks = ks.clone();
        g.bench_function(name, |b| {
            b.iter_custom(|iters| run_threads(&p, &ks, key_id, &w, threads, iters))
        });
    }
    g.finish();
}

fn run_threads(
    p: &Arc<HsmRootKeys>,
    ks: &str,
    key_id: &str,
    w: &kms_crypto::WrappedMasterKey,
    threads: usize,
    iters: u64,
) -> Duration {
    let per = iters.div_ceil(threads as u64);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per {
                    p.unwrap_master_key(ks, key_id, 1, w.as_bytes()).unwrap();
                }
            });
        }
    });
    start.elapsed()
}

fn main() {
    if std::env::var_os("SOFTHSM2_CONF").is_none() {
        let Some(hsm) = SoftHsm::setup().unwrap() else {
            return;
        };
        hsm.init_token(LABEL).unwrap();
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(std::env::args_os().skip(1))
            .env("SOFTHSM2_CONF", hsm.conf())
            .status()
            .unwrap();
        std::process::exit(status.code().unwrap_or(1));
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
