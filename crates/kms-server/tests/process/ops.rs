#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The operator subcommands against the real binary: `backup` under a
//! write load over TCP and `restore` into a new data directory; `restore`
//! refusing a running server's database and a newer one; `rotate-root`
//! killed with SIGKILL midway, resumed, and every key working under the
//! new root key only.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::{self, Server, free_port};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "ops-test-token-0123456789abcdef";

fn private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Writes `dir/config.toml` (a token, a DHSM cluster) for a server on a
/// fresh port, and returns the port.
fn write_config(dir: &Path) -> u16 {
    let port = free_port();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[clusters]]
id = "cluster-a"
type = "DHSM"
domain_id = "{DOMAIN}"
"#
        ),
    )
    .unwrap();
    private(&config);
    port
}

/// `kms-server --config DIR/config.toml --data-dir DIR/data ARGS...`.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kms-server"));
    c.arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env_remove("KMS_ROOT_KEY")
        .env_remove("KMS_PREVIOUS_ROOT_KEY_FILE")
        .env("RUST_LOG", "warn");
    c
}

/// Runs a subcommand to its end.
fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).stdin(Stdio::null()).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Starts the server on `dir` (config written first) and waits for it.
fn start(dir: &Path, extra: &[&str]) -> Server {
    let port = write_config(dir);
    let child = command(dir, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if request(port, "GET", "/health", None).is_ok() {
            return server;
        }
        if let Some(st) = server.child.try_wait().unwrap() {
            panic!("server exited at start: {st}");
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

/// Starts the server on `dir` expecting it to refuse: its stderr.
fn refused_start(dir: &Path, extra: &[&str]) -> String {
    write_config(dir);
    let out = run(dir, extra);
    assert!(!out.status.success(), "the server started: {}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stop(mut server: Server) {
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    }
}
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    common::request(port, TOKEN, Duration::from_secs(20), method, path, body)
}

fn kms(port: u16, route: &str, body: Value) -> (u16, Value) {
    request(
        port,
        "POST",
        &format!("/v1.0/{PROJECT}{route}"),
        Some(&body),
    )
    .unwrap()
}

fn ok(port: u16, route: &str, body: Value) -> Value {
    let (st, v) = kms(port, route, body.clone());
    assert_eq!(st, 200, "{route} {body}: {v}");
    v
}

fn create_key(port: u16, alias: &str, extra: Value) -> String {
    let mut body = json!({"key_alias": alias});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    ok(port, "/kms/create-key", body)["key_info"]["key_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A DEK made under `key`: (key, plain hex of the DEK, ciphertext).
fn dek(port: u16, key: &str) -> std::io::Result<(u16, Value)> {
    request(
        port,
        "POST",
        &format!("/v1.0/{PROJECT}/kms/create-datakey"),
        Some(&json!({"key_id": key, "datakey_length": "256"})),
    )
}

fn decrypts(port: u16, key: &str, plain: &str, cipher: &str) {
    let v = ok(
        port,
        "/kms/decrypt-datakey",
        json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"}),
    );
    assert_eq!(
        v["data_key"].as_str().unwrap(),
        &plain[..64],
        "DEK of {key}"
    );
}

fn key_file(path: &Path, hex: &str) {
    std::fs::write(path, format!("{hex}\n")).unwrap();
    private(path);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

type Acked = Arc<Mutex<Vec<(String, String, String)>>>;

#[test]
fn a_backup_under_write_load_restores_every_key_acknowledged_before_it() {
    let live = tempfile::tempdir().unwrap();
    let server = start(live.path(), &[]);
    let port = server.port;

    // Writers: each round creates a CMK (a database write) and a DEK under
    // it. A DEK whose response arrived before the backup started is
    // "acknowledged before"; it must decrypt in the restored copy.
    let started = Arc::new(AtomicBool::new(false));
    let stop_writers = Arc::new(AtomicBool::new(false));
    let before: Acked = Arc::default();
    let after: Acked = Arc::default();
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (started, stop_writers) = (started.clone(), stop_writers.clone());
            let (before, after) = (before.clone(), after.clone());
            thread::spawn(move || {
                for i in 0.. {
                    if stop_writers.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = create_key(port, &format!("load_{w}_{i}"), json!({}));
                    let (st, d) = dek(port, &key).unwrap();
                    assert_eq!(st, 200, "{d}");
                    let acked_before = !started.load(Ordering::SeqCst);
                    let entry = (
                        key,
                        d["plain_text"].as_str().unwrap().to_owned(),
                        d["cipher_text"].as_str().unwrap().to_owned(),
                    );
                    if acked_before { &before } else { &after }
                        .lock()
                        .unwrap()
                        .push(entry);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while before.lock().unwrap().len() < 24 {
        assert!(Instant::now() < deadline, "the write load is too slow");
        thread::sleep(Duration::from_millis(20));
    }

    let backup = live.path().join("kms-backup.db");
    started.store(true, Ordering::SeqCst);
    let out = run(live.path(), &["backup", "--out", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let mut server = server;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server died during the backup"
    );
    // The load goes on a little after the backup, then stops.
    let n = after.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while after.lock().unwrap().len() < n + 3 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    stop_writers.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    #[cfg(unix)]
    assert_eq!(mode(&backup), 0o600, "the backup is private");
    let leftovers: Vec<_> = std::fs::read_dir(live.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // While the server runs, restore refuses to touch its database.
    let out = run(
        live.path(),
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in use"), "{}", text(&out));

    // Restore into a new data directory, with the root key put back
    // separately: every DEK acknowledged before the backup decrypts.
    let fresh = tempfile::tempdir().unwrap();
    let out = run(
        fresh.path(),
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("root.key"), "{}", text(&out));
    let key = std::fs::read_to_string(live.path().join("data/root.key")).unwrap();
    key_file(&fresh.path().join("data/root.key"), key.trim());
    let restored = start(fresh.path(), &[]);
    let before = before.lock().unwrap().clone();
    assert!(before.len() >= 24);
    for (key, plain, cipher) in &before {
        decrypts(restored.port, key, plain, cipher);
    }
    stop(restored);

    // The live database went on after the backup: newer, so replaced only
    // with --force.
    stop(server);
    let out = run(
        live.path(),
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("newer than the backup") && text(&out).contains("--force"),
        "{}",
        text(&out)
    );
    let out = run(
        live.path(),
        &["restore", "--from", backup.to_str().unwrap(), "--force"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let server = start(live.path(), &[]);
    let (key, plain, cipher) = &before[0];
    decrypts(server.port, key, plain, cipher);
    stop(server);
}

/// Everything made under the old root key, and how to check it.
struct Made {
    deks: Vec<(String, String, String)>,
    signer: String,
    signature: String,
    default_key: String,
    dedicated_key: String,
    pins: Vec<(String, String)>,
    cert_id: String,
}

fn make_everything(port: u16) -> Made {
    let (st, ks) = kms(
        port,
        "/keystores",
        json!({"keystore_alias": "rot_ks", "hsm_cluster_id": "cluster-a"}),
    );
    assert_eq!(st, 200, "{ks}");
    let ks = ks["keystore"]["keystore_id"].as_str().unwrap().to_owned();
    let mut deks = Vec::new();
    let mut keys = Vec::new();
    for i in 0..8 {
        let extra = if i % 4 == 3 {
            json!({"keystore_id": ks})
        } else {
            json!({})
        };
        keys.push(create_key(port, &format!("rot_{i}"), extra));
    }
    // A key with a second version: DEKs under both.
    let (st, d) = dek(port, &keys[0]).unwrap();
    assert_eq!(st, 200);
    deks.push((
        keys[0].clone(),
        d["plain_text"].as_str().unwrap().to_owned(),
        d["cipher_text"].as_str().unwrap().to_owned(),
    ));
    ok(port, "/kms/rotate-on-demand", json!({"key_id": keys[0]}));
    for key in &keys {
        let (st, d) = dek(port, key).unwrap();
        assert_eq!(st, 200, "{d}");
        deks.push((
            key.clone(),
            d["plain_text"].as_str().unwrap().to_owned(),
            d["cipher_text"].as_str().unwrap().to_owned(),
        ));
    }
    let signer = create_key(
        port,
        "rot_signer",
        json!({"key_spec": "EC_P256", "key_usage": "SIGN_VERIFY"}),
    );
    let signature = ok(
        port,
        "/kms/sign",
        json!({"key_id": signer, "message": "cm90YXRlIG1l", "signing_algorithm": "ECDSA_SHA_256", "message_type": "RAW"}),
    )["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut pins = Vec::new();
    for keystore in ["1", ks.as_str()] {
        for ty in ["CipherText", "PlainText"] {
            let pin = ok(
                port,
                "/kms/create-pin",
                json!({"pin_type": ty, "keystore_id": keystore}),
            )["pin"]
                .as_str()
                .unwrap()
                .to_owned();
            pins.push((ty.to_owned(), pin));
        }
    }
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let (st, cert) = request(
        port,
        "POST",
        &format!("/v2/{PROJECT}/apigw/certificates"),
        Some(&json!({
            "name": "rot_cert",
            "cert_content": std::fs::read_to_string(data.join("test-cert.pem")).unwrap(),
            "private_key": std::fs::read_to_string(data.join("test-cert-key.pem")).unwrap(),
        })),
    )
    .unwrap();
    assert_eq!(st, 200, "{cert}");
    Made {
        deks,
        signer,
        signature,
        default_key: keys[1].clone(),
        dedicated_key: keys[3].clone(),
        pins,
        cert_id: cert["id"].as_str().unwrap().to_owned(),
    }
}

fn everything_works(port: u16, m: &Made) {
    for (key, plain, cipher) in &m.deks {
        decrypts(port, key, plain, cipher);
    }
    let v = ok(
        port,
        "/kms/verify",
        json!({"key_id": m.signer, "message": "cm90YXRlIG1l", "signature": m.signature, "signing_algorithm": "ECDSA_SHA_256", "message_type": "RAW"}),
    );
    assert_eq!(v["signature_valid"], "true", "{v}");
    ok(
        port,
        "/kms/sign",
        json!({"key_id": m.signer, "message": "bW9yZQ==", "signing_algorithm": "ECDSA_SHA_256", "message_type": "RAW"}),
    );
    for (i, (ty, pin)) in m.pins.iter().enumerate() {
        let key = if i < 2 {
            &m.default_key
        } else {
            &m.dedicated_key
        };
        ok(
            port,
            "/kms/create-datakey-without-plaintext",
            json!({"key_id": key, "datakey_length": "256", "pin": pin, "pin_type": ty}),
        );
    }
    let (st, cert) = request(
        port,
        "GET",
        &format!("/v2/{PROJECT}/apigw/certificates/{}", m.cert_id),
        None,
    )
    .unwrap();
    assert_eq!(st, 200, "{cert}");
}

/// The certificate's private key, opened from the database under `secret`.
fn certificate_key_opens(db: &Path, secret: &[u8], cert_id: &str) -> bool {
    use kms_core::ports::RootKeyProvider;
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let sealed: Vec<u8> = conn
        .query_row(
            "SELECT sealed_private_key FROM certificates WHERE id = ?1",
            [cert_id],
            |r| r.get(0),
        )
        .unwrap();
    let roots = kms_core::software::SoftwareRootKeys::new(secret).unwrap();
    let scope = kms_crypto::PrivateKeyScope::new(PROJECT, cert_id).unwrap();
    match roots.open_private_key(&scope, &sealed) {
        Ok(pem) => {
            let want = std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/test-cert-key.pem"),
            )
            .unwrap();
            assert_eq!(&pem[..], &want[..]);
            true
        }
        Err(_) => false,
    }
}

fn hex_of(path: &Path) -> Vec<u8> {
    let t = std::fs::read_to_string(path).unwrap();
    let t = t.trim();
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn rotate_root_killed_midway_resumes_and_every_key_works_under_the_new_root_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(d, &[]);
    let made = make_everything(server.port);
    everything_works(server.port, &made);
    stop(server);

    let root_file = d.join("data/root.key");
    let old_hex = std::fs::read_to_string(&root_file)
        .unwrap()
        .trim()
        .to_owned();
    let old_file = d.join("old.key");
    key_file(&old_file, &old_hex);
    let new_file = d.join("new.key");
    key_file(&new_file, &"5a".repeat(32));
    let db = d.join("data/kms.db");
    assert!(certificate_key_opens(
        &db,
        &hex_of(&old_file),
        &made.cert_id
    ));

    // rotate-root refuses while a server has the database open.
    let server = start(d, &[]);
    let out = run(d, &["rotate-root", "--new-key", new_file.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in use"), "{}", text(&out));
    stop(server);

    // One row per transaction, slowly; SIGKILL after the first batch.
    let mut child = command(
        d,
        &[
            "rotate-root",
            "--new-key",
            new_file.to_str().unwrap(),
            "--batch-size",
            "1",
            "--pause-ms",
            "400",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("rows moved"), "{first}");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    // Half moved: the old key alone is refused, with what to do.
    let err = refused_start(d, &[]);
    assert!(err.contains("rotation is under way"), "{err}");
    // The new key with the old one as previous serves everything.
    key_file(&root_file, &"5a".repeat(32));
    let both = start(d, &["--previous-root-key", old_file.to_str().unwrap()]);
    everything_works(both.port, &made);
    stop(both);
    key_file(&root_file, &old_hex);

    // Run again: it resumes and finishes.
    let out = run(d, &["rotate-root", "--new-key", new_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("done (resumed)"), "{stdout}");
    // And once more: nothing left to do.
    let out = run(d, &["rotate-root", "--new-key", new_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("already under the new root key"),
        "{}",
        text(&out)
    );

    // The old root key is refused now.
    let err = refused_start(d, &[]);
    assert!(err.contains("not the one the database"), "{err}");

    // Under the new root key every key works.
    key_file(&root_file, &"5a".repeat(32));
    let server = start(d, &[]);
    everything_works(server.port, &made);
    stop(server);
    assert!(certificate_key_opens(
        &db,
        &hex_of(&new_file),
        &made.cert_id
    ));
    assert!(!certificate_key_opens(
        &db,
        &hex_of(&old_file),
        &made.cert_id
    ));
}

#[test]
fn rotate_root_on_postgresql_moves_every_key() {
    let Some(cluster) =
        kms_store_postgres::testing::cluster_or_skip("rotate_root_on_postgresql_moves_every_key")
            .unwrap()
    else {
        return;
    };
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("data");
    std::fs::create_dir_all(&data).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let root_file = data.join("root.key");
    key_file(&root_file, &"3c".repeat(32));
    let server = start(d, &["--database", &url]);
    let made = make_everything(server.port);
    stop(server);

    let new_file = d.join("new.key");
    key_file(&new_file, &"7e".repeat(32));
    let args = [
        "--database",
        &url,
        "rotate-root",
        "--new-key",
        new_file.to_str().unwrap(),
        "--batch-size",
        "3",
    ];
    let out = run(d, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("rotate-root: done"),
        "{}",
        text(&out)
    );
    let err = refused_start(d, &["--database", &url]);
    assert!(err.contains("not the one"), "{err}");
    key_file(&root_file, &"7e".repeat(32));
    let server = start(d, &["--database", &url]);
    everything_works(server.port, &made);
    stop(server);
}
