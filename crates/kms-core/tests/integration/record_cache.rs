//! The DEK path reads key and keystore records from a cache; a state change
//! through the core is seen by every request that starts after it returns,
//! even when a lookup raced with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use kms_core::memory;
use kms_core::ports::{Caller, PortResult, Ports};
use kms_core::testkit::{Hooked, Phase};
use kms_core::{CoreConfig, Kms};
use kms_model::{CreateDatakeyRequestBody, CreateKeyRequestBody, ErrorCode, OperateKeyRequestBody};

/// A key store that counts reads and can hold the first read after it has
/// read the record, until told to go on.
#[derive(Debug)]
struct Gate {
    reads: AtomicUsize,
    armed: AtomicBool,
    read_done: Mutex<Option<mpsc::Sender<()>>>,
    go: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Gate {
    /// The hook of the key store: counts record reads and, once armed,
    /// holds the next one after it has read (the stale answer in hand).
    fn hook(&self, method: &str, phase: Phase) -> PortResult<()> {
        if method != "get_key" {
            return Ok(());
        }
        match phase {
            Phase::Before => {
                self.reads.fetch_add(1, Ordering::SeqCst);
            }
            Phase::After => {
                if self.armed.swap(false, Ordering::SeqCst) {
                    if let Some(tx) = self.read_done.lock().unwrap().take() {
                        tx.send(()).unwrap();
                    }
                    if let Some(rx) = self.go.lock().unwrap().take() {
                        rx.recv().unwrap();
                    }
                }
            }
        }
        Ok(())
    }
}

fn setup() -> (Arc<Kms>, Arc<Gate>, String) {
    let mut ports: Ports = memory::test_ports([3u8; 32]).unwrap();
    let gate = Arc::new(Gate {
        reads: AtomicUsize::new(0),
        armed: AtomicBool::new(false),
        read_done: Mutex::new(None),
        go: Mutex::new(None),
    });
    let hook = Arc::clone(&gate);
    ports.keys = Arc::new(Hooked::new(Arc::clone(&ports.keys), move |m, phase| {
        hook.hook(m, phase)
    }));
    let kms = Arc::new(Kms::new(ports, CoreConfig::default()));
    let key_id = kms
        .wire()
        .create_key(
            &caller(),
            &CreateKeyRequestBody {
                key_alias: "k".into(),
                ..Default::default()
            },
        )
        .unwrap()
        .key_info
        .key_id;
    (kms, gate, key_id)
}

fn caller() -> Caller {
    Caller::new("dom", "proj")
}

fn dek(kms: &Kms, key_id: &str) -> Result<(), ErrorCode> {
    kms.wire()
        .create_datakey_without_plaintext(
            &caller(),
            &CreateDatakeyRequestBody {
                key_id: key_id.to_owned(),
                ..Default::default()
            },
        )
        .map(drop)
        .map_err(|e| e.code())
}

fn switch(kms: &Kms, key_id: &str, enable: bool) {
    let body = OperateKeyRequestBody {
        key_id: key_id.to_owned(),
        sequence: None,
    };
    if enable {
        kms.wire().enable_key(&caller(), &body).unwrap();
    } else {
        kms.wire().disable_key(&caller(), &body).unwrap();
    }
}

#[test]
fn warm_dek_requests_do_not_read_the_store() {
    let (kms, gate, key_id) = setup();
    dek(&kms, &key_id).unwrap();
    let before = gate.reads.load(Ordering::SeqCst);
    for _ in 0..100 {
        dek(&kms, &key_id).unwrap();
    }
    assert_eq!(gate.reads.load(Ordering::SeqCst), before);
}

/// Tenancy before cache: another project asking for a cached key id pays
/// the same storage read as for an id nobody uses, and gets the same
/// answer (no timing oracle on which ids are in use).
#[test]
fn another_projects_lookup_of_a_cached_key_costs_what_a_miss_costs() {
    let (kms, gate, key_id) = setup();
    dek(&kms, &key_id).unwrap();
    let other = Caller::new("dom2", "proj2");
    let describe = |id: &str| {
        kms.wire()
            .describe_key(
                &other,
                &OperateKeyRequestBody {
                    key_id: id.to_owned(),
                    sequence: None,
                },
            )
            .map(drop)
            .map_err(|e| e.code())
    };
    let reads = || gate.reads.load(Ordering::SeqCst);
    let before = reads();
    assert_eq!(describe(&key_id), Err(ErrorCode::KmsKeyNotFound));
    let cached = reads() - before;
    let before = reads();
    assert_eq!(
        describe("00000000-0000-4000-8000-000000000001"),
        Err(ErrorCode::KmsKeyNotFound)
    );
    let unknown = reads() - before;
    assert_eq!(cached, unknown);
    assert_eq!(cached, 1);
    // The owner's warm lookups still read nothing.
    let before = reads();
    dek(&kms, &key_id).unwrap();
    assert_eq!(reads(), before);
}

#[test]
fn a_lookup_that_raced_with_a_disable_does_not_cache_the_old_state() {
    let (kms, gate, key_id) = setup();
    let (done_tx, done_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    *gate.read_done.lock().unwrap() = Some(done_tx);
    *gate.go.lock().unwrap() = Some(go_rx);
    gate.armed.store(true, Ordering::SeqCst);
    // A DEK request reads the key (enabled) and stalls before caching it.
    let k = Arc::clone(&kms);
    let id = key_id.clone();
    let racer = std::thread::spawn(move || dek(&k, &id));
    done_rx.recv().unwrap();
    // Meanwhile the key is disabled.
    switch(&kms, &key_id, false);
    go_tx.send(()).unwrap();
    // The stalled request read before the disable: it may succeed.
    assert_eq!(racer.join().unwrap(), Ok(()));
    // Every request from now on sees the disable.
    for _ in 0..10 {
        assert_eq!(dek(&kms, &key_id), Err(ErrorCode::KmsKeyDisabled));
    }
}

#[test]
fn state_changes_are_seen_at_once_under_concurrent_dek_requests() {
    let (kms, _gate, key_id) = setup();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (k, id, stop) = (Arc::clone(&kms), key_id.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let r = dek(&k, &id);
                    assert!(
                        matches!(r, Ok(()) | Err(ErrorCode::KmsKeyDisabled)),
                        "{r:?}"
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    for round in 0..200 {
        let enable = round % 2 == 1;
        switch(&kms, &key_id, enable);
        let seen = dek(&kms, &key_id);
        if enable {
            assert_eq!(seen, Ok(()), "round {round}");
        } else {
            assert_eq!(seen, Err(ErrorCode::KmsKeyDisabled), "round {round}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(total > 0);
}
