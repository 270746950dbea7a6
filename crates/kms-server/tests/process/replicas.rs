#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Two kms-server replicas (the real binary) on one real PostgreSQL
//! (initdb into a temporary directory, loopback port): an alias race
//! across replicas has one winner in each of 1,000 trials; DEKs made on A
//! decrypt on B; killing a replica mid-burst loses no acknowledged write;
//! a PostgreSQL restart is survived, with clear errors meanwhile; a key
//! disabled or scheduled for deletion on A is refused on B, and a key
//! rotated on A is used at its new version by B, and a grant revoked on A
//! is refused to its grantee (a token of another domain) on B, within the
//! documented bound (1 s, the record cache TTL); an alias moved or deleted
//! on A is seen by B's next request (aliases are not cached); an import
//! token fetched from A imports on B.
//!
//! Without PostgreSQL installed the tests skip loudly, except under
//! `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use kms_store_postgres::testing::{PgCluster, cluster_or_skip};
use serde_json::{Value, json};

use super::common::{self, free_port};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "replica-test-token-0123456789";
/// The root key both replicas share (test value).
const ROOT_KEY: &str = "6b6d732d7265706c6963612d746573742d726f6f742d6b65792d303132333435";
/// The coherence bound the README states: kms-core's record cache TTL.
const BOUND: Duration = Duration::from_millis(1000);

struct Replica {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A replica on `database`, with its own data directory under `dir`.
fn replica(dir: &Path, name: &str, database: &str) -> Replica {
    replica_with(dir, name, database, &[])
}

/// [`replica`] with more command-line arguments.
fn replica_with(dir: &Path, name: &str, database: &str, args: &[&std::ffi::OsStr]) -> Replica {
    replica_top(dir, name, database, "", args)
}

/// [`replica_with`] with `top` (top-level configuration keys) added.
fn replica_top(
    dir: &Path,
    name: &str,
    database: &str,
    top: &str,
    args: &[&std::ffi::OsStr],
) -> Replica {
    replica_full(dir, name, database, top, args, &[])
}

/// [`replica_top`] with environment variables `envs` set.
fn replica_full(
    dir: &Path,
    name: &str,
    database: &str,
    top: &str,
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &Path)],
) -> Replica {
    let port = free_port();
    let home = dir.join(name);
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
{top}
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let log = home.join("stdout.log");
    let child = Command::new(env!("CARGO_BIN_EXE_kms-server"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(home.join("data"))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v.as_os_str())))
        .env("KMS_DATABASE_URL", database)
        .env("KMS_ROOT_KEY", ROOT_KEY)
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(home.join("stderr.log")).unwrap())
        .spawn()
        .unwrap();
    let mut r = Replica { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if request(port, "GET", "/health", None).is_ok() {
            return r;
        }
        if let Some(st) = r.child.try_wait().unwrap() {
            panic!(
                "replica {name} exited with {st}: {}",
                std::fs::read_to_string(home.join("stderr.log")).unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = r.child.kill();
    panic!("replica {name} did not start");
}

/// A PostgreSQL cluster and two replicas A and B on it (or `None`: skip).
fn setup(test: &str) -> Option<(tempfile::TempDir, PgCluster, Replica, Replica)> {
    let cluster = cluster_or_skip(test).unwrap()?;
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url();
    // Started together: the schema is migrated once, under the advisory lock.
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| replica(dir.path(), "a", &url));
        let b = s.spawn(|| replica(dir.path(), "b", &url));
        (a.join().unwrap(), b.join().unwrap())
    });
    Some((dir, cluster, a, b))
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    common::request(port, TOKEN, Duration::from_secs(30), method, path, body)
}

fn kms(port: u16, route: &str, body: &Value) -> (u16, Value) {
    request(port, "POST", &format!("/v1.0/{PROJECT}{route}"), Some(body)).unwrap()
}

fn error_code(v: &Value) -> Option<&str> {
    v["error"]["error_code"].as_str()
}

fn create_key(port: u16, alias: &str) -> String {
    let (st, v) = kms(port, "/kms/create-key", &json!({ "key_alias": alias }));
    assert_eq!(st, 200, "{v}");
    v["key_info"]["key_id"].as_str().unwrap().to_owned()
}

/// What replica A and replica B answered in one race trial.
type TrialResult = [Option<(u16, Value)>; 2];

#[test]
fn alias_race_across_replicas_has_one_winner_in_each_of_1000_trials() {
    let Some((_dir, _pg, a, b)) = setup("alias_race_across_replicas") else {
        return;
    };
    const TRIALS: usize = 1000;
    const PAIRS: usize = 8;
    let results: Arc<Mutex<Vec<TrialResult>>> = Arc::new(Mutex::new(vec![[None, None]; TRIALS]));
    let t = Instant::now();
    thread::scope(|s| {
        for pair in 0..PAIRS {
            let barrier = Arc::new(Barrier::new(2));
            for (side, port) in [(0, a.port), (1, b.port)] {
                let barrier = Arc::clone(&barrier);
                let results = Arc::clone(&results);
                s.spawn(move || {
                    for trial in (pair..TRIALS).step_by(PAIRS) {
                        // Both sides send the same alias at the same moment,
                        // one to each replica.
                        barrier.wait();
                        let out = kms(
                            port,
                            "/kms/create-key",
                            &json!({ "key_alias": format!("race_{trial}") }),
                        );
                        results.lock().unwrap()[trial][side] = Some(out);
                    }
                });
            }
        }
    });
    let elapsed = t.elapsed();
    let results = results.lock().unwrap();
    let mut wins = [0usize; 2];
    for (trial, pair) in results.iter().enumerate() {
        let [Some(ra), Some(rb)] = pair else {
            panic!("trial {trial} incomplete")
        };
        let ok: Vec<usize> = [ra, rb]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.0 == 200)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(ok.len(), 1, "trial {trial}: {ra:?} / {rb:?}");
        wins[ok[0]] += 1;
        let loser = if ok[0] == 0 { rb } else { ra };
        assert_eq!(
            (loser.0, error_code(&loser.1)),
            (400, Some("KMS.1104")),
            "trial {trial}: the loser must see the alias taken: {loser:?}"
        );
    }
    eprintln!(
        "{TRIALS} trials in {elapsed:?}: replica A won {}, replica B won {}",
        wins[0], wins[1]
    );
    // Both replicas won some: the race was real, not one side always first.
    assert!(wins[0] > 0 && wins[1] > 0, "wins {wins:?}");
    // Exactly one key per alias in the shared database, seen from both.
    for port in [a.port, b.port] {
        let (st, v) = kms(port, "/kms/list-keys", &json!({ "limit": "1000" }));
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["total"].as_u64(), Some(TRIALS as u64), "{}", v["total"]);
    }
}

#[test]
fn data_keys_made_on_one_replica_decrypt_on_the_other() {
    let Some((dir, pg, a, b)) = setup("data_keys_across_replicas") else {
        return;
    };
    // A replica given another root key is refused at start (it could
    // unwrap none of the keys).
    let home = dir.path().join("wrong-key");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kms-server"))
        .arg("--data-dir")
        .arg(home.join("data"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", free_port()))
        .env("KMS_DATABASE_URL", pg.url())
        .env("KMS_ROOT_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("root key") && stderr.contains("mismatch"),
        "{stderr}"
    );
    let key = create_key(a.port, "shared_key");
    for (from, to) in [(&a, &b), (&b, &a)] {
        for _ in 0..10 {
            let (st, d) = kms(
                from.port,
                "/kms/create-datakey",
                &json!({ "key_id": key, "datakey_length": "256" }),
            );
            assert_eq!(st, 200, "{d}");
            let (st, p) = kms(
                to.port,
                "/kms/decrypt-datakey",
                &json!({
                    "key_id": key,
                    "cipher_text": d["cipher_text"],
                    "datakey_cipher_length": "32",
                }),
            );
            assert_eq!(st, 200, "{p}");
            assert_eq!(
                p["data_key"].as_str().unwrap().to_uppercase(),
                d["plain_text"].as_str().unwrap().to_uppercase()
            );
        }
    }
}

#[test]
fn killing_a_replica_mid_burst_loses_no_acknowledged_write() {
    let Some((dir, pg, a, b)) = setup("killing_a_replica_mid_burst") else {
        return;
    };
    let acked: Arc<Mutex<Vec<(u16, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (pa, pb) = (a.port, b.port);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let acked = Arc::clone(&acked);
            let stop = Arc::clone(&stop);
            // Writers 0 and 1 write through A (killed), 2 and 3 through B.
            let port = if w < 2 { pa } else { pb };
            thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({ "key_alias": format!("burst_{w}_{i}") });
                    match request(
                        port,
                        "POST",
                        &format!("/v1.0/{PROJECT}/kms/create-key"),
                        Some(&body),
                    ) {
                        Ok((200, v)) => acked
                            .lock()
                            .unwrap()
                            .push((port, v["key_info"]["key_id"].as_str().unwrap().to_owned())),
                        Ok((st, v)) => panic!("unexpected {st} {v}"),
                        // A died mid-request: not acknowledged; stop this writer.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| *p == pa)
        .count()
        < 40
        && Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(5));
    }
    let mut a = a;
    a.child.kill().unwrap(); // SIGKILL, mid-burst
    a.child.wait().unwrap();
    // B keeps serving while A is gone.
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let through_a = acked.iter().filter(|(p, _)| *p == pa).count();
    assert!(through_a >= 40, "burst through A too small: {through_a}");
    for (_, key) in &acked {
        let (st, v) = kms(
            b.port,
            "/kms/create-datakey-without-plaintext",
            &json!({ "key_id": key }),
        );
        assert_eq!(st, 200, "acknowledged key {key} lost: {v}");
    }
    // A replacement for A sees them too. A write committed by A but not
    // acknowledged (killed between commit and response) may exist as well:
    // at most one per writer that was talking to A.
    let a2 = replica(dir.path(), "a2", &pg.url());
    let (st, v) = kms(a2.port, "/kms/list-keys", &json!({ "limit": "1000" }));
    assert_eq!(st, 200, "{v}");
    let total = v["total"].as_u64().unwrap();
    let acked_n = acked.len() as u64;
    assert!(
        (acked_n..=acked_n + 2).contains(&total),
        "{total} keys stored, {acked_n} acknowledged"
    );
    if total > acked_n {
        eprintln!(
            "{} committed but unacknowledged write(s) (A killed mid-request)",
            total - acked_n
        );
    }
}

#[test]
fn postgres_restart_is_survived_with_clear_errors_meanwhile() {
    let Some((_dir, pg, a, b)) = setup("postgres_restart") else {
        return;
    };
    let key = create_key(a.port, "before_restart");
    let (st, d) = kms(
        a.port,
        "/kms/create-datakey",
        &json!({ "key_id": key, "datakey_length": "256" }),
    );
    assert_eq!(st, 200, "{d}");

    pg.stop().unwrap();
    // Writes fail with the catalogue's internal error, promptly (no hang),
    // on both replicas.
    for r in [&a, &b] {
        let t = Instant::now();
        let (st, v) = kms(r.port, "/kms/create-key", &json!({ "key_alias": "during" }));
        assert_eq!((st, error_code(&v)), (500, Some("KMS.0101")), "{v}");
        assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    }
    // The log says what is wrong (and never the database URL's secrets;
    // this URL has none).
    thread::sleep(Duration::from_millis(200));
    let log = std::fs::read_to_string(&a.log).unwrap();
    let line = log
        .lines()
        .rev()
        // create-key reads the project's key count (the quota) before it
        // inserts: either storage call is the one that fails.
        .find(|l| l.contains("postgres: insert key") || l.contains("postgres: list keys"))
        .unwrap_or_else(|| panic!("no postgres error in the log:\n{log}"));
    assert!(line.contains("unavailable"), "{line}");
    eprintln!("log while PostgreSQL is down: {line}");

    pg.resume().unwrap();
    // Service resumes by itself; nothing written before is lost.
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let (st, v) = kms(a.port, "/kms/create-key", &json!({ "key_alias": "after" }));
        if st == 200 {
            break v["key_info"]["key_id"].as_str().unwrap().to_owned();
        }
        assert_eq!((st, error_code(&v)), (500, Some("KMS.0101")), "{v}");
        assert!(Instant::now() < deadline, "no recovery after restart");
        thread::sleep(Duration::from_millis(100));
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, p) = kms(
            b.port,
            "/kms/decrypt-datakey",
            &json!({
                "key_id": key,
                "cipher_text": d["cipher_text"],
                "datakey_cipher_length": "32",
            }),
        );
        if st == 200 {
            assert_eq!(
                p["data_key"].as_str().unwrap().to_uppercase(),
                d["plain_text"].as_str().unwrap().to_uppercase()
            );
            break;
        }
        assert!(Instant::now() < deadline, "B did not recover: {st} {p}");
        thread::sleep(Duration::from_millis(100));
    }
    let (st, v) = kms(
        b.port,
        "/kms/create-datakey-without-plaintext",
        &json!({ "key_id": after }),
    );
    assert_eq!(st, 200, "{v}");
}

/// Polls B with a DEK request from `t0` until it is refused with `code`.
/// Returns when (after `t0`) the last request B still served was sent, and
/// when the first refused one was.
fn poll_b_until_refused(b: u16, key: &str, code: &str, t0: Instant) -> (Duration, Duration) {
    let mut last_served = Duration::ZERO;
    loop {
        let sent = t0.elapsed();
        let (st, v) = kms(
            b,
            "/kms/create-datakey-without-plaintext",
            &json!({ "key_id": key }),
        );
        if st != 200 {
            assert_eq!((st, error_code(&v)), (400, Some(code)), "{v}");
            return (last_served, sent);
        }
        last_served = sent;
        assert!(
            sent < BOUND * 3,
            "still served on B {sent:?} after the change on A"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn key_disabled_deleted_or_rotated_on_a_is_seen_on_b_within_the_bound() {
    let Some((_dir, _pg, a, b)) = setup("coherence_bound") else {
        return;
    };
    for (action, body, code) in [
        ("/kms/disable-key", json!({}), "KMS.0209"),
        (
            "/kms/schedule-key-deletion",
            json!({ "pending_days": "7" }),
            "KMS.0210",
        ),
    ] {
        let key = create_key(a.port, &format!("coherent_{}", &action[5..]));
        // B has the key's record cached (a DEK request just succeeded).
        let (st, v) = kms(
            b.port,
            "/kms/create-datakey-without-plaintext",
            &json!({ "key_id": key }),
        );
        assert_eq!(st, 200, "{v}");
        let mut body = body.clone();
        body["key_id"] = json!(key);
        let (st, v) = kms(a.port, action, &body);
        assert_eq!(st, 200, "{action}: {v}");
        let t0 = Instant::now();
        // A refuses at once (its own write invalidates its cache).
        let (st, v) = kms(
            a.port,
            "/kms/create-datakey-without-plaintext",
            &json!({ "key_id": key }),
        );
        assert_eq!((st, error_code(&v)), (400, Some(code)), "{v}");
        let (served, refused) = poll_b_until_refused(b.port, &key, code, t0);
        eprintln!(
            "{action}: B last served a request sent {served:?} after A acknowledged, \
             refused from one sent {refused:?} after (bound {BOUND:?})"
        );
        // No request sent to B later than the bound after A's
        // acknowledgement was served.
        assert!(
            served < BOUND,
            "{action}: B served the key {served:?} after A's change"
        );
        // And past the bound, every request on B is refused.
        thread::sleep(BOUND.saturating_sub(t0.elapsed()));
        for _ in 0..5 {
            let (st, v) = kms(
                b.port,
                "/kms/create-datakey-without-plaintext",
                &json!({ "key_id": key }),
            );
            assert_eq!((st, error_code(&v)), (400, Some(code)), "{v}");
        }
    }

    // Rotated on A: B wraps new DEKs under the new version within the
    // bound, and DEKs of the old version still decrypt on B.
    let key = create_key(a.port, "coherent_rotation");
    let old = dek_on(b.port, &key);
    assert_eq!(dek_version(&old), 1);
    let (st, v) = kms(a.port, "/kms/rotate-on-demand", &json!({ "key_id": key }));
    assert_eq!(st, 200, "{v}");
    let t0 = Instant::now();
    assert_eq!(
        dek_version(&dek_on(a.port, &key)),
        2,
        "A uses its rotation at once"
    );
    let mut last_old = Duration::ZERO;
    loop {
        let sent = t0.elapsed();
        let version = dek_version(&dek_on(b.port, &key));
        if version == 2 {
            break;
        }
        assert_eq!(version, 1);
        last_old = sent;
        assert!(sent < BOUND * 3, "B still on version 1 {sent:?} after");
        thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "rotate-on-demand: B last used version 1 for a request sent {last_old:?} after A acknowledged"
    );
    assert!(
        last_old < BOUND,
        "B used the old version {last_old:?} after A's rotation"
    );
    let (st, p) = kms(
        b.port,
        "/kms/decrypt-datakey",
        &json!({ "key_id": key, "cipher_text": old["cipher_text"], "datakey_cipher_length": "32" }),
    );
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        p["data_key"].as_str().unwrap().to_uppercase(),
        old["plain_text"].as_str().unwrap().to_uppercase()
    );
}

/// The key id encrypt-data on `port` answers for `key_id` (an alias),
/// or the error code.
fn encrypt_via(port: u16, key_id: &str) -> Result<String, String> {
    let (st, v) = kms(
        port,
        "/kms/encrypt-data",
        &json!({ "key_id": key_id, "plain_text": "via alias" }),
    );
    if st == 200 {
        Ok(v["key_id"].as_str().unwrap().to_owned())
    } else {
        Err(error_code(&v).unwrap_or("<none>").to_owned())
    }
}

#[test]
fn alias_moves_are_seen_across_replicas() {
    let Some((_dir, _pg, a, b)) = setup("alias_moves_across_replicas") else {
        return;
    };
    let key1 = create_key(a.port, "alias_move_1");
    let key2 = create_key(a.port, "alias_move_2");
    let (st, v) = kms(
        a.port,
        "/kms/aliases",
        &json!({ "key_id": key1, "alias": "alias/moving" }),
    );
    assert_eq!(st, 201, "{v}");
    // B resolves the alias created on A, and has key 1's record cached.
    assert_eq!(encrypt_via(b.port, "alias/moving"), Ok(key1.clone()));
    for round in 0..20 {
        let (from, to) = if round % 2 == 0 {
            (&key1, &key2)
        } else {
            (&key2, &key1)
        };
        let (st, v) = kms(
            a.port,
            "/kms/alias/associate",
            &json!({ "alias": "alias/moving", "target_key_id": to }),
        );
        assert_eq!((st, v["key_id"].as_str()), (200, Some(to.as_str())), "{v}");
        // The first request to B after A acknowledged the move uses the
        // new key: aliases are never cached, so the bound is 0.
        assert_eq!(
            encrypt_via(b.port, "alias/moving").as_ref(),
            Ok(to),
            "round {round}: B still used {from} after the move on A"
        );
        let (st, v) = request(
            b.port,
            "GET",
            &format!("/v1.0/{PROJECT}/kms/aliases?key_id={to}"),
            None,
        )
        .unwrap();
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["aliases"][0]["alias"], "alias/moving", "{v}");
    }
    // Deleted on A: B resolves nothing at once.
    let (st, v) = request(
        a.port,
        "DELETE",
        &format!("/v1.0/{PROJECT}/kms/aliases"),
        Some(&json!({ "aliases": ["alias/moving"] })),
    )
    .unwrap();
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        encrypt_via(b.port, "alias/moving"),
        Err("KMS.0207".to_owned())
    );
}

/// A 256-bit DEK made on `port` under `key` (plaintext and ciphertext).
fn dek_on(port: u16, key: &str) -> Value {
    let (st, d) = kms(
        port,
        "/kms/create-datakey",
        &json!({ "key_id": key, "datakey_length": "256" }),
    );
    assert_eq!(st, 200, "{d}");
    d
}

/// The master-key version a DEK ciphertext names (bytes 40..44 of the
/// blob, big-endian; see docs/ciphertext-format.md).
fn dek_version(dek: &Value) -> u32 {
    let hex = dek["cipher_text"].as_str().unwrap();
    u32::from_str_radix(&hex[80..88], 16).unwrap()
}

/// Two replicas, each looking for due rotations every second, and a key
/// whose interval has passed (its start moved back 400 days in the
/// database): it is rotated exactly once, by one of them, and both then
/// make DEKs under version 2.
#[test]
fn an_interval_rotation_happens_once_across_replicas() {
    let Some(cluster) = cluster_or_skip("rotation_once").unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let top = "rotation_check_secs = 1";
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| replica_top(dir.path(), "a", &url, top, &[]));
        let b = s.spawn(|| replica_top(dir.path(), "b", &url, top, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let key = create_key(a.port, "rotates-on-schedule");
    let (st, v) = kms(
        a.port,
        "/kms/enable-key-rotation",
        &json!({ "key_id": key }),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(dek_version(&dek_on(b.port, &key)), 1);
    // The key id is a generated UUID: safe to splice.
    cluster
        .execute(&format!(
            "UPDATE keys SET rotation_start = rotation_start - 400::bigint * 86400000 \
             WHERE key_id = '{key}'"
        ))
        .unwrap();
    let rotations = |port: u16| -> u64 {
        let (st, v) = kms(
            port,
            "/kms/get-key-rotation-status",
            &json!({ "key_id": key }),
        );
        assert_eq!(st, 200, "{v}");
        v["number_of_rotations"].as_u64().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while rotations(b.port) == 0 {
        assert!(Instant::now() < deadline, "no replica rotated the due key");
        thread::sleep(Duration::from_millis(100));
    }
    // Both replicas sweep at least three more times.
    thread::sleep(Duration::from_millis(3500));
    assert_eq!((rotations(a.port), rotations(b.port)), (1, 1));
    assert_eq!(dek_version(&dek_on(a.port, &key)), 2);
    assert_eq!(dek_version(&dek_on(b.port, &key)), 2);
    let logged: usize = [&a, &b]
        .iter()
        .map(|r| {
            std::fs::read_to_string(&r.log)
                .unwrap()
                .matches("key rotated on schedule")
                .count()
        })
        .sum();
    assert_eq!(logged, 1, "one replica rotated it, once");
}

/// A CA's PEM, and a certificate for 127.0.0.1 it signed with its key.
fn postgres_tls_files() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &rcgen::Issuer::from_params(&ca, &ca_key))
        .unwrap();
    (ca_pem, cert.pem(), key.serialize_pem())
}

/// kms-server on a PostgreSQL that accepts TLS connections only: it
/// connects with the CA that signed the server's certificate (as
/// `sslrootcert` in the URL, or `--database-ca` / `KMS_DATABASE_CA`), and
/// refuses to start with another CA or without one.
#[test]
fn a_replica_reaches_postgresql_over_tls_verified_against_its_ca() {
    let Some(cluster) = cluster_or_skip("postgresql_over_tls").unwrap() else {
        return;
    };
    let (ca, cert, key) = postgres_tls_files();
    cluster.enable_tls(&cert, &key, true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("pg-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let other_ca_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, postgres_tls_files().0).unwrap();

    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        cluster.url(),
        ca_file.display()
    );
    let a = replica(dir.path(), "a", &url);
    let key_id = create_key(a.port, "over_tls");
    let (st, d) = kms(
        a.port,
        "/kms/create-datakey",
        &json!({ "key_id": key_id, "datakey_length": "256" }),
    );
    assert_eq!(st, 200, "{d}");

    let start = |name: &str, ca: Option<&Path>| {
        let home = dir.path().join(name);
        let mut c = Command::new(env!("CARGO_BIN_EXE_kms-server"));
        c.arg("--data-dir")
            .arg(home.join("data"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--database")
            .arg(cluster.url())
            .env("KMS_ROOT_KEY", ROOT_KEY)
            .env_remove("KMS_DATABASE_CA");
        if let Some(ca) = ca {
            c.arg("--database-ca").arg(ca);
        }
        c
    };
    // Another CA: the server's certificate is not trusted.
    let out = start("other-ca", Some(&other_ca_file)).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    // No CA: a plain connection, which this server refuses.
    let out = start("no-ca", None).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // The right CA through the flag: the key made through A is there.
    let b = replica_with(
        dir.path(),
        "b",
        &cluster.url(),
        &["--database-ca".as_ref(), ca_file.as_os_str()],
    );
    let (st, v) = kms(b.port, "/kms/describe-key", &json!({ "key_id": key_id }));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["key_info"]["key_alias"], "over_tls");
}

/// PostgreSQL frozen (SIGSTOP: connections open, nothing answers) under a
/// running replica with reads in flight: no async worker is held, so
/// `/health` answers at once, `/ready` reports the database unavailable,
/// every stalled request is answered by its timeout, and all recovers
/// when the database does.
#[test]
fn a_stalled_postgres_holds_no_async_worker() {
    let Some(cluster) = cluster_or_skip("a_stalled_postgres_holds_no_async_worker").unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let r = replica_top(
        dir.path(),
        "a",
        &cluster.url(),
        "request_timeout_ms = 2000",
        &[],
    );
    let key = create_key(r.port, "stall");
    let (st, v) = request(r.port, "GET", "/ready", None).unwrap();
    assert_eq!((st, &v["status"]), (200, &json!("ready")), "{v}");
    cluster.freeze().unwrap();
    let port = r.port;
    // Eight reads that need the database (unknown ids miss every cache):
    // more than the async workers.
    let stalled: Vec<_> = (0..8)
        .map(|i| {
            thread::spawn(move || {
                let t0 = Instant::now();
                let id = format!("00000000-0000-4000-8000-{i:012}");
                let out = kms(port, "/kms/describe-key", &json!({ "key_id": id }));
                (out, t0.elapsed())
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    let (st, v) = request(port, "GET", "/health", None).unwrap();
    assert_eq!(st, 200, "{v}");
    let health = t0.elapsed();
    assert!(health < Duration::from_secs(1), "/health took {health:?}");
    let (st, v) = request(port, "GET", "/ready", None).unwrap();
    assert_eq!((st, &v["status"]), (503, &json!("unavailable")), "{v}");
    for t in stalled {
        let ((st, v), took) = t.join().unwrap();
        assert_eq!((st, error_code(&v)), (504, Some("KMS.6505")), "{v}");
        assert!(took < Duration::from_secs(6), "answered after {took:?}");
    }
    cluster.thaw().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (st, _) = request(port, "GET", "/ready", None).unwrap();
        if st == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready after the database came back"
        );
        thread::sleep(Duration::from_millis(100));
    }
    let (st, v) = kms(port, "/kms/describe-key", &json!({ "key_id": key }));
    assert_eq!(st, 200, "{v}");
}

fn private_file(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// Runs the binary to completion with `args` (a start that must fail).
fn failed_start(
    dir: &Path,
    database: &str,
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &Path)],
) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kms-server"));
    c.arg("--data-dir")
        .arg(dir.join("failing"))
        .args(args)
        .env("KMS_DATABASE_URL", database)
        .env("KMS_ROOT_KEY", ROOT_KEY)
        .env_remove("PGPASSFILE");
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(!out.status.success(), "the start should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (Issue 25, item 9) The PostgreSQL password need not be in the URL, where
/// `ps` shows it: from `--database-password-file` (private), from the
/// configuration's `database_password_file`, or from libpq's password file
/// (`PGPASSFILE`, private). A readable password file stops the start and
/// names the fix, never the password.
#[test]
fn the_database_password_comes_from_a_private_file_or_pgpass() {
    let Some(cluster) = cluster_or_skip("the_database_password_comes_from_a_file").unwrap() else {
        return;
    };
    let password = "s3cret pass:word\\x";
    cluster.set_password(password).unwrap();
    cluster.require_passwords().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let nowhere = dir.path().join("no-pgpass");
    // No password anywhere: refused (once the reload took effect).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let err = failed_start_or_none(dir.path(), &url, &nowhere);
        if let Some(err) = err {
            assert!(err.contains("password"), "{err}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pg_hba.conf reload never took effect"
        );
        thread::sleep(Duration::from_millis(100));
    }
    // --database-password-file, mode 0600 (one trailing line break dropped).
    let file = dir.path().join("db.password");
    private_file(&file, &format!("{password}\n"), 0o600);
    let r = replica_full(
        dir.path(),
        "from-flag",
        &url,
        "",
        &[
            std::ffi::OsStr::new("--database-password-file"),
            file.as_os_str(),
        ],
        &[("PGPASSFILE", &nowhere)],
    );
    let (st, k) = kms(r.port, "/kms/create-key", &json!({"key_alias": "pw-flag"}));
    assert_eq!(st, 200, "{k}");
    drop(r);
    // The same file, readable by the group: refused, naming the fix.
    private_file(&file, &format!("{password}\n"), 0o640);
    let err = failed_start(
        dir.path(),
        &url,
        &[
            std::ffi::OsStr::new("--database-password-file"),
            file.as_os_str(),
        ],
        &[("PGPASSFILE", &nowhere)],
    );
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    // libpq's password file (PGPASSFILE), escapes undone.
    let pgpass = dir.path().join("pgpass");
    let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
    private_file(
        &pgpass,
        &format!(
            "# kms-server\n127.0.0.1:{}:postgres:kms:{escaped}\n",
            cluster.port()
        ),
        0o600,
    );
    let r = replica_full(
        dir.path(),
        "from-pgpass",
        &url,
        "",
        &[],
        &[("PGPASSFILE", &pgpass)],
    );
    let (st, k) = kms(
        r.port,
        "/kms/create-key",
        &json!({"key_alias": "pw-pgpass"}),
    );
    assert_eq!(st, 200, "{k}");
    drop(r);
    private_file(&pgpass, &std::fs::read_to_string(&pgpass).unwrap(), 0o644);
    let err = failed_start(dir.path(), &url, &[], &[("PGPASSFILE", &pgpass)]);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}

/// The error of a start without any password, or `None` if it started
/// (then stopped).
fn failed_start_or_none(dir: &Path, database: &str, nowhere: &Path) -> Option<String> {
    let port = free_port();
    let mut c = Command::new(env!("CARGO_BIN_EXE_kms-server"))
        .arg("--data-dir")
        .arg(dir.join("no-password"))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("KMS_DATABASE_URL", database)
        .env("KMS_ROOT_KEY", ROOT_KEY)
        .env("PGPASSFILE", nowhere)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if c.try_wait().unwrap().is_some() {
            let out = c.wait_with_output().unwrap();
            assert!(!out.status.success());
            return Some(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        if request(port, "GET", "/health", None).is_ok() {
            let _ = c.kill();
            let _ = c.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Key material import across replicas: the import token and its sealed
/// wrapping key live in the shared database, so parameters fetched from A
/// import on B; the imported key serves both; material deleted on B is
/// refused on A once the record cache's bound has passed.
#[test]
fn an_import_token_from_one_replica_imports_on_the_other() {
    use base64ct::Encoding as _;
    use rsa::pkcs8::DecodePublicKey as _;
    let Some((_dir, _pg, a, b)) = setup("import_across_replicas") else {
        return;
    };
    let (st, v) = kms(
        a.port,
        "/kms/create-key",
        &json!({ "key_alias": "imported", "origin": "external" }),
    );
    assert_eq!(st, 200, "{v}");
    let key = v["key_info"]["key_id"].as_str().unwrap().to_owned();
    let (st, p) = kms(
        a.port,
        "/kms/get-parameters-for-import",
        &json!({ "key_id": key, "wrapping_algorithm": "RSAES_OAEP_SHA_256" }),
    );
    assert_eq!(st, 200, "{p}");
    let public = base64ct::Base64::decode_vec(p["public_key"].as_str().unwrap()).unwrap();
    let wrapped = rsa::PublicKey::from_public_key_der(&public)
        .unwrap()
        .oaep_encrypt_with_rng::<sha2::Sha256, _>(
            &mut kms_core::ports::EntropyRng(&kms_core::os::OsEntropy),
            &[0x5c; 32],
        )
        .unwrap();
    let (st, v) = kms(
        b.port,
        "/kms/import-key-material",
        &json!({
            "key_id": key,
            "import_token": p["import_token"],
            "encrypted_key_material": base64ct::Base64::encode_string(&wrapped),
        }),
    );
    assert_eq!(st, 200, "{v}");
    thread::sleep(BOUND);
    let (st, e) = kms(
        a.port,
        "/kms/encrypt-data",
        &json!({ "key_id": key, "plain_text": "across" }),
    );
    assert_eq!(st, 200, "{e}");
    let (st, d) = kms(
        b.port,
        "/kms/decrypt-data",
        &json!({ "cipher_text": e["cipher_text"] }),
    );
    assert_eq!((st, d["plain_text"].as_str()), (200, Some("across")), "{d}");
    let (st, v) = kms(
        b.port,
        "/kms/delete-imported-key-material",
        &json!({ "key_id": key }),
    );
    assert_eq!(st, 200, "{v}");
    thread::sleep(BOUND);
    let (st, e) = kms(
        a.port,
        "/kms/encrypt-data",
        &json!({ "key_id": key, "plain_text": "after" }),
    );
    assert_eq!((st, error_code(&e)), (400, Some("KMS.1301")), "{e}");
}

/// The grantee of [`grant_revoked_on_a_is_refused_on_b_within_the_bound`]:
/// a token of another domain, acting as a user.
const GRANTEE_TOKEN: &str = "replica-grantee-token-0123456789";
const GRANTEE_DOMAIN: &str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";
const GRANTEE_PROJECT: &str = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";
const GRANTEE_USER: &str = "e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2";

/// `POST /v1.0/{the grantee's project}{route}` as the grantee.
fn as_grantee(port: u16, route: &str, body: &Value) -> (u16, Value) {
    common::request(
        port,
        GRANTEE_TOKEN,
        Duration::from_secs(30),
        "POST",
        &format!("/v1.0/{GRANTEE_PROJECT}{route}"),
        Some(body),
    )
    .unwrap()
}

#[test]
fn grant_revoked_on_a_is_refused_on_b_within_the_bound() {
    let Some(cluster) = cluster_or_skip("grant_revocation_bound").unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = cluster.url();
    let top = format!(
        r#"[[tokens]]
token = "{GRANTEE_TOKEN}"
domain_id = "{GRANTEE_DOMAIN}"
project_id = "{GRANTEE_PROJECT}"
user_id = "{GRANTEE_USER}"
"#
    );
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| replica_top(dir.path(), "a", &url, &top, &[]));
        let b = s.spawn(|| replica_top(dir.path(), "b", &url, &top, &[]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let dek = |port: u16, key: &str| {
        as_grantee(
            port,
            "/kms/create-datakey-without-plaintext",
            &json!({ "key_id": key }),
        )
    };
    for round in 0..3 {
        let key = create_key(a.port, &format!("granted_{round}"));
        // Before the grant, B (which then caches the key's grants) refuses
        // the grantee; the grant made on A is seen on B within the bound.
        assert_eq!(dek(b.port, &key).0, 404);
        let (st, v) = kms(
            a.port,
            "/kms/create-grant",
            &json!({
                "key_id": key,
                "grantee_principal": GRANTEE_USER,
                "operations": ["create-datakey-without-plaintext", "describe-key"],
            }),
        );
        assert_eq!(st, 200, "{v}");
        let grant_id = v["grant_id"].as_str().unwrap().to_owned();
        let t0 = Instant::now();
        assert_eq!(dek(a.port, &key).0, 200, "A serves the grantee at once");
        loop {
            let sent = t0.elapsed();
            let (st, v) = dek(b.port, &key);
            if st == 200 {
                break;
            }
            assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
            assert!(sent < BOUND * 3, "B still refuses the grant {sent:?} after");
            thread::sleep(Duration::from_millis(10));
        }
        // Not granted: the key does not exist for the grantee on either.
        for port in [a.port, b.port] {
            let (st, v) = as_grantee(port, "/kms/disable-key", &json!({ "key_id": key }));
            assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
        }

        // Revoked on A: A refuses at once, B within the bound.
        let (st, v) = kms(
            a.port,
            "/kms/revoke-grant",
            &json!({ "key_id": key, "grant_id": grant_id }),
        );
        assert_eq!(st, 200, "{v}");
        let t0 = Instant::now();
        let (st, v) = dek(a.port, &key);
        assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
        let mut last_served = None;
        loop {
            let sent = t0.elapsed();
            let (st, v) = dek(b.port, &key);
            if st != 200 {
                assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
                eprintln!(
                    "revoke-grant (round {round}): B last served the grantee for a request \
                     sent {last_served:?} after A acknowledged, refused from one sent {sent:?} \
                     after (bound {BOUND:?})"
                );
                break;
            }
            last_served = Some(sent);
            assert!(
                sent < BOUND,
                "B served the revoked grant {sent:?} after A's revocation"
            );
            thread::sleep(Duration::from_millis(10));
        }
        // Past the bound, every request on B is refused.
        thread::sleep(BOUND.saturating_sub(t0.elapsed()));
        for _ in 0..5 {
            let (st, v) = dek(b.port, &key);
            assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
            let (st, v) = as_grantee(b.port, "/kms/describe-key", &json!({ "key_id": key }));
            assert_eq!((st, error_code(&v)), (404, Some("KMS.0207")), "{v}");
        }
    }
}
