#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The real binary over TCP: persistence across restart, SIGKILL during a
//! write burst, races on one alias, graceful shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::common::{self, Server, free_port};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "process-test-token-0123456789";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn start(dir: &Path) -> Server {
    start_logging(dir, None)
}

/// The server; with `log`, at the default level (info) into that file.
fn start_logging(dir: &Path, log: Option<std::fs::File>) -> Server {
    start_with(dir, log, "")
}

/// [`start_logging`] with `extra` appended to the configuration.
fn start_with(dir: &Path, log: Option<std::fs::File>, extra: &str) -> Server {
    start_args(dir, log, extra, &[])
}

/// Writes the test configuration (listening on `port`) into `dir`.
fn write_config(dir: &Path, port: u16, extra: &str) -> PathBuf {
    write_config_top(dir, port, "", extra)
}

/// [`write_config`], with `top` (top-level keys) before the first table.
fn write_config_top(dir: &Path, port: u16, top: &str, extra: &str) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
{top}
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[clusters]]
id = "cluster-a"
type = "DHSM"
domain_id = "{DOMAIN}"
{extra}
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        // The server refuses a configuration others can read (it holds secrets).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    config
}

/// The binary with the test configuration of `dir` and `args`.
fn server_command(dir: &Path, port: u16, extra: &str, args: &[&str]) -> Command {
    let config = write_config(dir, port, extra);
    command_with(dir, &config, args)
}

/// The binary with the configuration file `config`, the data directory in
/// `dir`, and `args`.
fn command_with(dir: &Path, config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kms-server"));
    command
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env_remove("KMS_ROOT_KEY")
        .env_remove("KMS_SEED");
    command
}

/// [`start_with`] with extra command-line `args`.
fn start_args(dir: &Path, log: Option<std::fs::File>, extra: &str, args: &[&str]) -> Server {
    // A port found free may be taken by another test's server before this
    // one binds it: then this one exits, and it is started again on
    // another port.
    for _ in 0..5 {
        let port = free_port();
        let mut command = server_command(dir, port, extra, args);
        command.stderr(Stdio::null());
        match &log {
            Some(file) => command
                .env_remove("RUST_LOG")
                .stdout(file.try_clone().unwrap()),
            None => command.env("RUST_LOG", "warn").stdout(Stdio::null()),
        };
        let server = Server {
            child: command.spawn().unwrap(),
            port,
        };
        if let Some(server) = try_started(server) {
            return server;
        }
    }
    panic!("server did not start on any of 5 ports");
}

/// `server` once it answers `GET /health` on its port.
fn started(server: Server) -> Server {
    try_started(server).expect("server exited before it answered (port taken?)")
}

/// `server` once it answers `GET /health` and holds the listening socket
/// of its port itself (not another test's server that took the port
/// first); `None` if it exited.
fn try_started(mut server: Server) -> Option<Server> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if server.child.try_wait().unwrap().is_some() {
            return None;
        }
        if request(server.port, "GET", "/health", None).is_ok()
            && listens_on(server.child.id(), server.port)
        {
            return Some(server);
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}

/// Whether process `pid` holds the socket listening on `port` (Linux:
/// the listener's inode in /proc/net/tcp among the process's descriptors;
/// elsewhere assumed).
fn listens_on(pid: u32, port: u16) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true;
    };
    let hex_port = format!(":{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 9 && f[1].ends_with(&hex_port) && f[3] == "0A")
                .then(|| format!("socket:[{}]", f[9]))
        })
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(Result::ok).any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
    })
}

/// Runs the server with `extra` configuration and `args`, expecting it
/// to refuse to start: its stderr.
fn start_refused(dir: &Path, extra: &str, args: &[&str]) -> String {
    let out = server_command(dir, free_port(), extra, args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the server started");
    String::from_utf8(out.stderr).unwrap()
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    common::request(port, TOKEN, Duration::from_secs(10), method, path, body)
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

fn terminate(mut server: Server) {
    let pid = server.child.id().to_string();
    // Graceful stop: SIGTERM to our own child, by pid.
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            assert!(st.success(), "graceful shutdown exit status {st}");
            break;
        }
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn everything_survives_a_restart_and_old_ciphertexts_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let p = server.port;
    let (st, ks) = kms(
        p,
        "/keystores",
        json!({"keystore_alias": "persist_ks", "hsm_cluster_id": "cluster-a"}),
    );
    assert_eq!(st, 200, "{ks}");
    let ks_id = ks["keystore"]["keystore_id"].as_str().unwrap().to_owned();
    let mut keys = Vec::new();
    for (alias, keystore) in [("k_default", "0"), ("k_dedicated", ks_id.as_str())] {
        let (st, k) = kms(
            p,
            "/kms/create-key",
            json!({"key_alias": alias, "keystore_id": keystore}),
        );
        assert_eq!(st, 200, "{k}");
        keys.push(k["key_info"]["key_id"].as_str().unwrap().to_owned());
    }
    let mut deks = Vec::new();
    for key in &keys {
        let (st, d) = kms(
            p,
            "/kms/create-datakey",
            json!({"key_id": key, "datakey_length": "256"}),
        );
        assert_eq!(st, 200, "{d}");
        deks.push((
            key.clone(),
            d["plain_text"].as_str().unwrap().to_owned(),
            d["cipher_text"].as_str().unwrap().to_owned(),
        ));
    }
    let cert = json!({
        "name": "persist_cert",
        "cert_content": std::fs::read_to_string(data("test-cert.pem")).unwrap(),
        "private_key": std::fs::read_to_string(data("test-cert-key.pem")).unwrap(),
    });
    let (st, c) = request(
        p,
        "POST",
        &format!("/v2/{PROJECT}/apigw/certificates"),
        Some(&cert),
    )
    .unwrap();
    assert_eq!(st, 200, "{c}");
    let cert_id = c["id"].as_str().unwrap().to_owned();
    terminate(server);

    // The root key file exists and is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/root.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let server = start(dir.path());
    let p = server.port;
    let (st, ks2) = request(
        p,
        "GET",
        &format!("/v1.0/{PROJECT}/keystores/{ks_id}"),
        None,
    )
    .unwrap();
    assert_eq!(st, 200, "{ks2}");
    assert_eq!(ks2["keystore"]["keystore_alias"], "persist_ks");
    for (key, plain, cipher) in &deks {
        let (st, d) = kms(
            p,
            "/kms/decrypt-datakey",
            json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"}),
        );
        assert_eq!(st, 200, "{d}");
        assert_eq!(
            d["data_key"].as_str().unwrap().to_uppercase(),
            plain.to_uppercase()
        );
    }
    let (st, dup) = kms(p, "/kms/create-key", json!({"key_alias": "k_default"}));
    assert_eq!(
        (st, dup["error"]["error_code"].as_str()),
        (400, Some("KMS.1104"))
    );
    let (st, c2) = request(
        p,
        "GET",
        &format!("/v2/{PROJECT}/apigw/certificates/{cert_id}"),
        None,
    )
    .unwrap();
    assert_eq!(st, 200, "{c2}");
    assert_eq!(c2["name"], "persist_cert");
    terminate(server);
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let port = server.port;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let acked = Arc::clone(&acked);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({"key_alias": format!("burst_{w}_{i}")});
                    match request(
                        port,
                        "POST",
                        &format!("/v1.0/{PROJECT}/kms/create-key"),
                        Some(&body),
                    ) {
                        Ok((200, v)) => acked
                            .lock()
                            .unwrap()
                            .push(v["key_info"]["key_id"].as_str().unwrap().to_owned()),
                        Ok((st, v)) => panic!("unexpected {st} {v}"),
                        Err(_) => break, // the server died mid-request: not acknowledged
                    }
                }
            })
        })
        .collect();
    // Let the burst run, then SIGKILL mid-flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 40 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    drop(server);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40, "burst too small: {}", acked.len());

    let server = start(dir.path());
    for key in &acked {
        let (st, v) = kms(
            server.port,
            "/kms/create-datakey-without-plaintext",
            json!({"key_id": key}),
        );
        assert_eq!(st, 200, "acknowledged key {key} lost after SIGKILL: {v}");
    }
    terminate(server);
}

#[test]
fn concurrent_creates_over_tcp_give_exactly_one_200() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let port = server.port;
    for (route, body) in [
        ("/kms/create-key", json!({"key_alias": "tcp_race"})),
        (
            "/keystores",
            json!({"keystore_alias": "tcp_race_ks", "hsm_cluster_id": "cluster-a"}),
        ),
    ] {
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let b = Arc::clone(&barrier);
                let body = body.clone();
                thread::spawn(move || {
                    b.wait();
                    kms(port, route, body)
                })
            })
            .collect();
        let results: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ok = results.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(ok, 1, "{route}: {results:?}");
        assert!(
            results.iter().all(|(s, _)| *s == 200 || *s == 400),
            "{results:?}"
        );
    }
    terminate(server);
}

/// The `[connections]` policy on the real binary: over the cap a new
/// connection is closed at once (and the log says so) while the server
/// stays usable once a slot frees; SIGTERM with a half-sent request head
/// open ends by the shutdown deadline, not the header-read timeout.
#[test]
fn the_connection_cap_and_the_shutdown_deadline_hold_on_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let server = start_with(
        dir.path(),
        Some(std::fs::File::create(&log_path).unwrap()),
        "[connections]\nmax_connections = 8\nheader_read_timeout_ms = 60000\nshutdown_grace_ms = 1000\n",
    );
    let p = server.port;
    // Eight clients that say nothing hold every slot.
    let mut silent: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(("127.0.0.1", p)).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(200));
    // The ninth is closed at once: not left hanging in the backlog.
    let mut ninth = TcpStream::connect(("127.0.0.1", p)).unwrap();
    ninth
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let t0 = Instant::now();
    let mut buf = [0u8; 16];
    let read = ninth.read(&mut buf);
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(request(p, "GET", "/health", None).is_err(), "no slot left");
    // Four leave: the server answers again.
    silent.truncate(4);
    let t0 = Instant::now();
    while request(p, "GET", "/health", None).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(5), "slots never freed");
        thread::sleep(Duration::from_millis(20));
    }
    // A half-sent request head: SIGTERM still ends within the deadline
    // (1 s), long before the 60 s header-read timeout.
    let mut slow = TcpStream::connect(("127.0.0.1", p)).unwrap();
    slow.write_all(b"POST /v1.0/x/kms/create-key HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    terminate(server);
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(8), "{took:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("connection cap reached"), "{log}");
    assert!(log.contains("max_connections=8"), "{log}");
    assert!(log.contains("shutdown deadline passed"), "{log}");
    drop((silent, slow));
}

/// The report's scenario: under a 200-descriptor limit, 250 silent
/// sockets. The default cap (three quarters of the limit: 150) closes the
/// connections over it at once, so descriptors never run out: a new client
/// is refused at once rather than left hanging, and served again as soon
/// as the silent ones leave.
#[cfg(target_os = "linux")]
#[test]
fn the_default_cap_follows_the_descriptor_limit_so_accept_never_runs_dry() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("SKIP: prlimit (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port, "");
    let log_path = dir.path().join("server.log");
    let child = Command::new("prlimit")
        .arg("--nofile=200:200")
        .arg(env!("CARGO_BIN_EXE_kms-server"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("KMS_ROOT_KEY")
        .env_remove("KMS_SEED")
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(&log_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = started(Server { child, port });
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("max_connections=150"), "{log}");
    let silent: Vec<TcpStream> = (0..250)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(300));
    let mut probe = TcpStream::connect(("127.0.0.1", port)).unwrap();
    probe
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let t0 = Instant::now();
    let read = probe.read(&mut [0u8; 16]);
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    drop(silent);
    let t0 = Instant::now();
    while request(port, "GET", "/health", None).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(5), "not served again");
        thread::sleep(Duration::from_millis(20));
    }
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains("accept failed"), "descriptors ran out: {log}");
    terminate(server);
}

/// Resident memory of a process, bytes (Linux).
#[cfg(target_os = "linux")]
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

/// 800 connections that announce a 256 KiB body, send 192 KiB of it and
/// stall, with no valid credential (half a bad token, half a well-formed
/// signature under a known access key, which must wait for its body): the
/// server's memory stays within the shared budget, not 800 bodies (before
/// credentials were checked ahead of the body, 800 such connections took
/// it from 25 to 454 MiB), and it keeps answering.
#[cfg(target_os = "linux")]
#[test]
fn stalled_unauthenticated_bodies_do_not_grow_the_server() {
    const AK: &str = "STALLEDBODYTESTAK000";
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(
        dir.path(),
        None,
        &format!(
            "[[credentials]]\naccess_key = \"{AK}\"\nsecret_key = \"stalled-body-test-secret-key-0123456789\"\n\
             domain_id = \"{DOMAIN}\"\nproject_id = \"{PROJECT}\"\n\
             [connections]\nmax_connections = 4000\n"
        ),
    );
    let p = server.port;
    for _ in 0..20 {
        request(p, "GET", "/health", None).unwrap();
    }
    let before = rss_bytes(server.child.id());
    let chunk = vec![b'{'; 192 * 1024];
    let path = format!("/v1.0/{PROJECT}/kms/create-datakey");
    let stalled: Vec<TcpStream> = (0..800)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", p)).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            let auth = if i % 2 == 0 {
                format!("X-Auth-Token: {TOKEN}-not-this-one\r\n")
            } else {
                let date = kms_sign::format_sdk_date(
                    i64::try_from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs(),
                    )
                    .unwrap(),
                );
                format!(
                    "X-Sdk-Date: {date}\r\nAuthorization: SDK-HMAC-SHA256 Access={AK}, \
                     SignedHeaders=content-type;x-sdk-date, Signature={}\r\n",
                    "0".repeat(64)
                )
            };
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                 {auth}Content-Length: 262144\r\n\r\n"
            );
            // The server may answer (401) and stop reading: a write that
            // cannot finish is left as it is.
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&chunk);
            s
        })
        .collect();
    thread::sleep(Duration::from_secs(2));
    let during = rss_bytes(server.child.id());
    let grew = during.saturating_sub(before);
    assert!(
        grew < 96 * 1024 * 1024,
        "800 stalled bodies grew the server by {} MiB ({} -> {} MiB)",
        grew >> 20,
        before >> 20,
        during >> 20
    );
    // Still answering while they stall, and after they go.
    request(p, "GET", "/health", None).unwrap();
    drop(stalled);
    let (st, v) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "after-the-stall"}),
    );
    assert_eq!(st, 200, "{v}");
    eprintln!(
        "RSS before {} MiB, with 800 stalled bodies {} MiB",
        before >> 20,
        during >> 20
    );
}

#[test]
fn every_access_and_audit_line_is_written_by_a_graceful_stop() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let server = start_logging(dir.path(), Some(std::fs::File::create(&log_path).unwrap()));
    let p = server.port;
    let (st, k) = kms(p, "/kms/create-key", json!({"key_alias": "logged"}));
    assert_eq!(st, 200, "{k}");
    let key = k["key_info"]["key_id"].as_str().unwrap().to_owned();
    // 4 threads x 100 requests, one in five refused (a bad length).
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let key = key.clone();
            thread::spawn(move || {
                let mut ok = 0;
                for i in 0..100 {
                    let len = if (t + i) % 5 == 0 { "7" } else { "256" };
                    let (st, _) = kms(
                        p,
                        "/kms/create-datakey-without-plaintext",
                        json!({"key_id": key, "datakey_length": len}),
                    );
                    assert!(st == 200 || st == 400, "{st}");
                    ok += usize::from(st == 200);
                }
                ok
            })
        })
        .collect();
    let ok: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(ok, 320);
    // The matched route is logged for a request refused before the
    // handler (another tenant's project) and for health; an unknown route
    // has none.
    let other = "/v1.0/ffffffffffffffffffffffffffffffff/kms/create-datakey-without-plaintext";
    let (st, _) = request(p, "POST", other, Some(&json!({"key_id": key}))).unwrap();
    assert_eq!(st, 403);
    assert_eq!(request(p, "GET", "/health", None).unwrap().0, 200);
    let unknown = format!("/v1.0/{PROJECT}/kms/no-such-operation");
    // KMS answers an unknown URL with 400 KMS.0101 (invalid URL).
    let (st, body) = request(p, "POST", &unknown, Some(&json!({}))).unwrap();
    assert_eq!(st, 400, "{body}");
    // Stopped right after the last answer: the lines still buffered in the
    // workers' buffers must be written on the way out.
    terminate(server);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let route = "route=\"/v1.0/{project_id}/kms/create-datakey-without-plaintext\"";
    let access: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" INFO kms_server::access: ") && l.contains(route))
        .collect();
    assert_eq!(access.len(), 401, "{log}");
    assert_eq!(
        access.iter().filter(|l| l.contains("status=200")).count(),
        320
    );
    assert_eq!(
        access
            .iter()
            .filter(|l| l.contains("status=403")
                && l.contains("project=\"ffffffffffffffffffffffffffffffff\""))
            .count(),
        1,
        "{log}"
    );
    let line_with = |needle: &str| {
        log.lines()
            .any(|l| l.contains(" INFO kms_server::access: ") && l.contains(needle))
    };
    assert!(line_with("route=\"/health\" status=200"), "{log}");
    assert!(line_with("route=\"-\" status=400"), "{log}");
    assert_eq!(
        access
            .iter()
            .filter(|l| l.contains("status=400") && l.contains("error_code=\"KMS.1901\""))
            .count(),
        80,
        "{log}"
    );
    let audit = log
        .lines()
        .filter(|l| {
            l.contains(" INFO kms_audit: ")
                && l.contains("action=\"create-datakey-without-plaintext\"")
                && l.contains("error_code=\"\"")
        })
        .count();
    assert_eq!(audit, 320);
    // Every line whole: a timestamp, a level, a target.
    for line in log.lines() {
        let mut parts = line.splitn(3, ' ');
        let ts = parts.next().unwrap();
        assert!(ts.len() == 27 && ts.ends_with('Z'), "{line:?}");
        let rest = parts.collect::<Vec<_>>().join(" ");
        assert!(
            ["INFO", "WARN", "ERROR", "DEBUG", "TRACE"]
                .iter()
                .any(|l| rest.trim_start().starts_with(l)),
            "{line:?}"
        );
    }
}

/// One raw HTTP/1.1 exchange (`Connection: close`): status line and
/// headers, and body.
fn raw_exchange(port: u16, request: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn hash_password_makes_a_user_who_logs_in_until_a_restart() {
    let hash = |stdin: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kms-server"))
            .arg("hash-password")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = hash(b"s3cret pw\n");
    assert!(out.status.success(), "{out:?}");
    let phc = String::from_utf8(out.stdout).unwrap().trim_end().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(!phc.contains("s3cret"));
    let empty = hash(b"");
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty password"));

    let dir = tempfile::tempdir().unwrap();
    let user = format!(
        r#"[[users]]
name = "ops"
id = "ops-id"
domain_id = "{DOMAIN}"
domain_name = "acme"
password_hash = "{phc}"
projects = [{{ id = "{PROJECT}", name = "local-1" }}]"#
    );
    let login = |port: u16, password: &str| {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "ops", "password": password, "domain": {"name": "acme"}}}},
            "scope": {"project": {"name": "local-1"}}}})
        .to_string();
        raw_exchange(
            port,
            &format!(
                "POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let with_token = |port: u16, token: &str| {
        let body = r#"{"limit":"10"}"#;
        raw_exchange(
            port,
            &format!(
                "POST /v1.0/{PROJECT}/kms/list-keys HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .0
    };
    let server = start_with(dir.path(), None, &user);
    let (head, body) = login(server.port, "wrong");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(body.contains("requires authentication"), "{body}");
    let (head, _) = login(server.port, "s3cret pw");
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    let token = head
        .lines()
        .find_map(|l| l.strip_prefix("x-subject-token: "))
        .unwrap()
        .to_owned();
    assert!(with_token(server.port, &token).starts_with("HTTP/1.1 200"));
    // Issued tokens live in memory only: a restart forgets them.
    terminate(server);
    let server = start_with(dir.path(), None, &user);
    assert!(with_token(server.port, &token).starts_with("HTTP/1.1 401"));
    let (head, _) = login(server.port, "s3cret pw");
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
}

/// One request over TCP signed with the legacy `Credential=` scheme as
/// the 2021 golangsdk (the Vault/OpenBao `huaweicloudkms` seal) signs it:
/// region and service empty, every header it sets signed (Host with the
/// port, Content-Type, X-Sdk-Date), no `Connection` header signed.
fn legacy_exchange(
    port: u16,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
) -> (String, Value) {
    const AK: &str = "PROCESSAK00000000000";
    const SK: &str = "processsk0000000000000000000000000000000SK";
    let host = format!("127.0.0.1:{port}");
    let date = kms_sign::format_sdk_date(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap(),
    );
    let req = kms_sign::OwnedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Host".into(), host.clone()),
            ("X-Sdk-Date".into(), date.clone()),
        ],
        body: body.as_bytes().to_vec(),
    };
    let authorization = kms_sign::legacy_authorization_header(
        &req,
        AK,
        SK,
        "",
        "",
        &["content-type", "host", "x-sdk-date"],
    )
    .unwrap();
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let (head, payload) = raw_exchange(
        port,
        &format!(
            "{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nX-Sdk-Date: {date}\r\nAuthorization: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let value = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&payload).unwrap_or(Value::String(payload))
    };
    (head, value)
}

/// The Vault/OpenBao seal's whole flow against the real binary over TCP,
/// signed with the legacy `Credential=` scheme only: discover the identity
/// version, find the project by name, read the KMS endpoint from the
/// catalog, then describe-key, encrypt-data and decrypt-data with only
/// `cipher_text`. The same flow in-process: tests/http.rs
/// `iam_keystone_flow_like_the_vault_seal`.
#[test]
fn the_vault_seal_flow_over_tcp_with_the_legacy_signer() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = format!(
        r#"[[credentials]]
access_key = "PROCESSAK00000000000"
secret_key = "processsk0000000000000000000000000000000SK"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}""#
    );
    let server = start_with(dir.path(), None, &credentials);
    let port = server.port;
    // The key the seal is configured with.
    let (status, created) = kms(port, "/kms/create-key", json!({"key_alias": "vault-seal"}));
    assert_eq!(status, 200, "{created}");
    let key = created["key_info"]["key_id"].as_str().unwrap().to_owned();

    // 1. Version discovery on the versionless identity endpoint.
    let (head, versions) = raw_exchange(
        port,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("HTTP/1.1 300"), "{head}");
    let versions: Value = serde_json::from_str(&versions).unwrap();
    let v3 = versions["versions"]["values"][0]["links"][0]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let v3_path = format!("/{}", v3.splitn(4, '/').nth(3).unwrap());
    assert_eq!(v3_path, "/v3/");
    // 2. The project by name (the region's name, as the seal asks; the
    // default region is `local-1`).
    let (head, projects) = legacy_exchange(
        port,
        "GET",
        &format!("{v3_path}projects"),
        "name=local-1",
        "",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head} {projects}");
    let project = projects["projects"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(project, PROJECT);
    // 3. The catalog: the one public kms endpoint of the region.
    let (head, catalog) = legacy_exchange(port, "GET", &format!("{v3_path}auth/catalog"), "", "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head} {catalog}");
    let urls: Vec<&str> = catalog["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "kms")
        .flat_map(|e| e["endpoints"].as_array().unwrap())
        .filter(|e| e["interface"] == "public" && e["region"] == "local-1")
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 1, "{catalog}");
    let base = urls[0].trim_end_matches('/');
    assert!(
        base.starts_with(&format!("http://127.0.0.1:{port}")),
        "{base}"
    );
    let kms_path = format!(
        "/{}/{project}/kms",
        base.splitn(4, '/').nth(3).unwrap_or_default()
    );
    // 4. describe-key, encrypt-data, decrypt-data with the ciphertext alone.
    let call = |action: &str, body: Value| {
        let (head, v) = legacy_exchange(
            port,
            "POST",
            &format!("{kms_path}/{action}"),
            "",
            &body.to_string(),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{action}: {head} {v}");
        v
    };
    let described = call("describe-key", json!({"key_id": key}));
    assert_eq!(described["key_info"]["key_alias"], "vault-seal");
    let plain = "c2VhbCB3cmFwcGluZyBrZXk=";
    let sealed = call("encrypt-data", json!({"key_id": key, "plain_text": plain}));
    let opened = call(
        "decrypt-data",
        json!({"cipher_text": sealed["cipher_text"]}),
    );
    assert_eq!(opened["plain_text"], plain);
    // A signature under another secret key is refused over the wire too.
    let (head, _) = raw_exchange(
        port,
        &format!(
            "GET /v3/auth/catalog HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Sdk-Date: {}\r\nAuthorization: SDK-HMAC-SHA256 Credential=PROCESSAK00000000000/20240101///sdk_request, SignedHeaders=host;x-sdk-date, Signature={}\r\nConnection: close\r\n\r\n",
            kms_sign::format_sdk_date(0),
            "0".repeat(64)
        ),
    );
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    terminate(server);
}

/// The value of the sample `name{labels}` in a Prometheus text scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

/// `GET /metrics` against the real binary: exact counts of requests by
/// operation and status, errors by code, latency histograms, cache
/// lookups, blocking-pool operations and keys by state, behind the
/// configured bearer token.
#[test]
fn metrics_count_requests_errors_caches_and_keys_by_state() {
    const SCRAPE_TOKEN: &str = "scrape-token-0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config_top(
        dir.path(),
        port,
        &format!("metrics_token = \"{SCRAPE_TOKEN}\""),
        "",
    );
    let mut command = command_with(dir.path(), &config, &[]);
    command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = started(Server {
        child: command.spawn().unwrap(),
        port,
    });
    let p = server.port;
    let mut keys = Vec::new();
    for alias in ["m_enabled", "m_disabled", "m_deleted"] {
        let (st, k) = kms(p, "/kms/create-key", json!({"key_alias": alias}));
        assert_eq!(st, 200, "{k}");
        keys.push(k["key_info"]["key_id"].as_str().unwrap().to_owned());
    }
    let (st, v) = kms(p, "/kms/disable-key", json!({"key_id": keys[1]}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = kms(
        p,
        "/kms/schedule-key-deletion",
        json!({"key_id": keys[2], "pending_days": "7"}),
    );
    assert_eq!(st, 200, "{v}");
    for _ in 0..3 {
        let (st, v) = kms(
            p,
            "/kms/create-datakey-without-plaintext",
            json!({"key_id": keys[0], "datakey_length": "256"}),
        );
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = kms(
        p,
        "/kms/create-datakey-without-plaintext",
        json!({"key_id": keys[0], "datakey_length": "7"}),
    );
    assert_eq!(st, 400, "{v}");
    let bad_length = v["error"]["error_code"].as_str().unwrap().to_owned();
    let (st, v) = kms(p, "/kms/no-such-operation", json!({}));
    assert_eq!(st, 400, "{v}");
    let bad_url = v["error"]["error_code"].as_str().unwrap().to_owned();

    let scrape = |authorization: &str| {
        raw_exchange(
            p,
            &format!(
                "GET /metrics HTTP/1.1\r\nHost: x\r\n{authorization}Connection: close\r\n\r\n"
            ),
        )
    };
    let (head, _) = scrape("");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let (head, _) = scrape("Authorization: Bearer not-the-scrape-token-000000\r\n");
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let (head, text) = scrape(&format!("Authorization: Bearer {SCRAPE_TOKEN}\r\n"));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let at = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series}\n{text}"));
    let requests = |op: &str, method: &str, status: u16| {
        at(&format!(
            "kms_http_requests_total{{method=\"{method}\",operation=\"{op}\",status=\"{status}\"}}"
        ))
    };
    let dek = "/v1.0/{project_id}/kms/create-datakey-without-plaintext";
    assert_eq!(
        requests("/v1.0/{project_id}/kms/create-key", "POST", 200),
        3.0
    );
    assert_eq!(
        requests("/v1.0/{project_id}/kms/disable-key", "POST", 200),
        1.0
    );
    assert_eq!(requests(dek, "POST", 200), 3.0);
    assert_eq!(requests(dek, "POST", 400), 1.0);
    assert_eq!(requests("unmatched", "POST", 400), 1.0);
    assert_eq!(requests("/health", "GET", 200), 1.0, "the start-up probe");
    // The scrapes refused above; this one is counted once answered.
    assert_eq!(requests("/metrics", "GET", 401), 2.0);
    assert_eq!(
        sample(
            &text,
            "kms_http_requests_total{method=\"GET\",operation=\"/metrics\",status=\"200\"}"
        ),
        None
    );
    assert_eq!(
        at(&format!("kms_http_errors_total{{code=\"{bad_length}\"}}")),
        1.0
    );
    assert_eq!(
        at(&format!("kms_http_errors_total{{code=\"{bad_url}\"}}")),
        1.0
    );
    let dek_latency = format!("{{method=\"POST\",operation=\"{dek}\"}}");
    assert_eq!(
        at(&format!(
            "kms_http_request_duration_seconds_count{dek_latency}"
        )),
        4.0
    );
    assert_eq!(
        at(&format!(
            "kms_http_request_duration_seconds_bucket{{method=\"POST\",operation=\"{dek}\",le=\"+Inf\"}}"
        )),
        4.0
    );
    assert!(
        at(&format!(
            "kms_http_request_duration_seconds_sum{dek_latency}"
        )) > 0.0
    );
    // Each DEK unwraps no key: create-key cached the material. Key
    // records are looked up by disable, schedule and each DEK; whether a
    // lookup hits depends on the record cache's 1 s lifetime.
    assert_eq!(at("kms_cache_hits_total{cache=\"master_key\"}"), 3.0);
    assert_eq!(at("kms_cache_misses_total{cache=\"master_key\"}"), 0.0);
    let records = at("kms_cache_hits_total{cache=\"key_record\"}")
        + at("kms_cache_misses_total{cache=\"key_record\"}");
    assert_eq!(records, 5.0);
    assert!(at("kms_cache_misses_total{cache=\"key_record\"}") >= 3.0);
    assert_eq!(at("kms_cache_misses_total{cache=\"keystore_record\"}"), 0.0);
    // Writes ran on the blocking pool: 3 creates, disable, schedule.
    assert_eq!(at("kms_blocking_wait_seconds_count"), 5.0);
    assert_eq!(at("kms_blocking_waits_total"), 0.0);
    assert_eq!(at("kms_database_failures_total{database=\"sqlite\"}"), 0.0);
    for (state, n) in [
        ("enabled", 1.0),
        ("disabled", 1.0),
        ("pending_deletion", 1.0),
        ("pending_import", 0.0),
    ] {
        assert_eq!(
            at(&format!(
                "kms_keys{{project=\"{PROJECT}\",state=\"{state}\"}}"
            )),
            n,
            "{state}"
        );
    }
    // Bounded labels: no key id appears anywhere.
    for key in &keys {
        assert!(!text.contains(key.as_str()), "{key}");
    }
    // No HSM cluster and no TLS here: no such series.
    assert!(!text.contains("kms_hsm_failures"));
    assert!(!text.contains("kms_tls_"));
    let (_, text) = scrape(&format!("Authorization: Bearer {SCRAPE_TOKEN}\r\n"));
    assert_eq!(
        sample(
            &text,
            "kms_http_requests_total{method=\"GET\",operation=\"/metrics\",status=\"200\"}"
        ),
        Some(1.0)
    );
    terminate(server);
}

const SEED_KEY: &str = "5eed0000-0000-4000-8000-000000000001";
const SEED_KEY_2: &str = "5eed0000-0000-4000-8000-000000000002";
const SEED_MATERIAL: &str = "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A seed file with one key of known material (alias `alias`) and one
/// disabled rotating key, written into `dir` with `mode`.
fn write_seed(dir: &Path, name: &str, alias: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"[[projects]]
project_id = "{PROJECT}"

[[projects.keys]]
key_id = "{SEED_KEY}"
key_alias = "{alias}"
key_description = "seeded for CI"
key_material = "{SEED_MATERIAL}"
tags = {{ env = "ci" }}

[[projects.keys]]
key_id = "{SEED_KEY_2}"
key_alias = "ci-rotating"
key_state = "disabled"
key_rotation_enabled = true
rotation_interval = 90
"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

fn describe(p: u16, key_id: &str) -> Value {
    let (st, d) = kms(p, "/kms/describe-key", json!({"key_id": key_id}));
    assert_eq!(st, 200, "{d}");
    d["key_info"].clone()
}

fn decrypt_dek(p: u16, cipher_text: &str) -> String {
    let (st, d) = kms(
        p,
        "/kms/decrypt-datakey",
        json!({"key_id": SEED_KEY, "cipher_text": cipher_text, "datakey_cipher_length": "32",
               "additional_authenticated_data": "ci"}),
    );
    assert_eq!(st, 200, "{d}");
    d["data_key"].as_str().unwrap().to_owned()
}

fn decrypt_data(p: u16, cipher_text: &str) -> String {
    let (st, d) = kms(p, "/kms/decrypt-data", json!({"cipher_text": cipher_text}));
    assert_eq!(st, 200, "{d}");
    d["plain_text"].as_str().unwrap().to_owned()
}

#[test]
fn seeded_keys_have_fixed_ids_survive_restarts_and_a_conflict_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write_seed(dir.path(), "seed.toml", "ci-key", 0o600);
    let seed_arg = seed.to_str().unwrap();
    let server = start_args(dir.path(), None, "", &["--seed", seed_arg]);
    let p = server.port;
    let first = describe(p, SEED_KEY);
    assert_eq!(first["key_alias"], "ci-key");
    assert_eq!(first["key_description"], "seeded for CI");
    assert_eq!(first["key_state"], "2");
    // Given material: origin external, as an imported key; it does not
    // rotate (the service's KMS.0312).
    assert_eq!(first["origin"], "external");
    let (st, e) = kms(p, "/kms/enable-key-rotation", json!({"key_id": SEED_KEY}));
    assert_eq!(
        (st, e["error"]["error_code"].as_str()),
        (400, Some("KMS.0312")),
        "{e}"
    );
    let second = describe(p, SEED_KEY_2);
    assert_eq!(second["key_state"], "3");
    assert_eq!(second["key_rotation_enabled"], "true");
    assert_eq!(second["origin"], "kms");
    let path = format!("/v1.0/{PROJECT}/kms/{SEED_KEY}/tags");
    let (st, tags) = request(p, "GET", &path, None).unwrap();
    assert_eq!(st, 200, "{tags}");
    assert_eq!(tags["tags"], json!([{"key": "env", "value": "ci"}]));
    let (st, enc) = kms(
        p,
        "/kms/encrypt-data",
        json!({"key_id": SEED_KEY, "plain_text": "hello seeded world"}),
    );
    assert_eq!(st, 200, "{enc}");
    let data_ct = enc["cipher_text"].as_str().unwrap().to_owned();
    assert_eq!(decrypt_data(p, &data_ct), "hello seeded world");
    let (st, dek) = kms(
        p,
        "/kms/create-datakey",
        json!({"key_id": SEED_KEY, "datakey_length": "256", "additional_authenticated_data": "ci"}),
    );
    assert_eq!(st, 200, "{dek}");
    let dek_ct = dek["cipher_text"].as_str().unwrap().to_owned();
    let dek_plain = decrypt_dek(p, &dek_ct);
    // The ciphertext is what kms-crypto computes from the known material
    // alone: an application's fixture can be checked without the server.
    let mk = kms_crypto::MasterKey::from_bytes(
        SEED_KEY,
        1,
        &kms_model::decode_hex("m", SEED_MATERIAL, 32).unwrap(),
    )
    .unwrap();
    let blob = kms_crypto::Ciphertext::from_hex(&dek_ct).unwrap();
    let ctx = kms_crypto::DekContext::new(PROJECT, b"ci").unwrap();
    let opened = mk.unwrap_dek(blob.as_bytes(), &ctx).unwrap();
    assert!(opened.to_hex().eq_ignore_ascii_case(&dek_plain));
    terminate(server);

    // A restart with the same file changes nothing, and says so in the audit.
    let log_path = dir.path().join("restart.log");
    let log = Some(std::fs::File::create(&log_path).unwrap());
    let server = start_args(dir.path(), log, "", &["--seed", seed_arg]);
    assert_eq!(describe(server.port, SEED_KEY), first);
    assert_eq!(describe(server.port, SEED_KEY_2), second);
    assert_eq!(decrypt_dek(server.port, &dek_ct), dek_plain);
    assert_eq!(decrypt_data(server.port, &data_ct), "hello seeded world");
    terminate(server);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let unchanged = log
        .lines()
        .filter(|l| l.contains(" INFO kms_audit: ") && l.contains("action=\"seed-key-unchanged\""))
        .count();
    assert_eq!(unchanged, 2, "{log}");
    assert!(log.contains("created=0 unchanged=2"), "{log}");
    assert!(!log.to_lowercase().contains("00112233445566"), "{log}");

    // A fresh server (new data directory, new root key) seeded from the
    // same file opens what the first one made.
    let fresh = tempfile::tempdir().unwrap();
    let server = start_args(fresh.path(), None, "", &["--seed", seed_arg]);
    assert_eq!(decrypt_dek(server.port, &dek_ct), dek_plain);
    assert_eq!(decrypt_data(server.port, &data_ct), "hello seeded world");
    terminate(server);

    // A file that conflicts with what exists (here named by `[seed]` in
    // the configuration) stops the start, naming the entry and the field.
    write_seed(dir.path(), "conflict.toml", "renamed", 0o600);
    let err = start_refused(dir.path(), "[seed]\npath = \"conflict.toml\"", &[]);
    for needle in [
        "conflict.toml",
        "projects[0].keys[0]",
        SEED_KEY,
        "key_alias is ci-key, the entry says renamed",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(!err.to_lowercase().contains("00112233445566"), "{err}");
    // An entry the API would refuse: the API's code. (`--seed` is relative
    // to the working directory, `[seed] path` to the configuration.)
    let invalid = write_seed(dir.path(), "invalid.toml", "bad alias!", 0o600);
    let err = start_refused(dir.path(), "", &["--seed", invalid.to_str().unwrap()]);
    assert!(
        err.contains("KMS.1101") && err.contains("key_alias"),
        "{err}"
    );
    // Key material in a file others may read: refused.
    #[cfg(unix)]
    {
        let open = write_seed(dir.path(), "open.toml", "ci-key", 0o644);
        let err = start_refused(dir.path(), "", &["--seed", open.to_str().unwrap()]);
        assert!(err.contains("chmod 600"), "{err}");
    }
    // None of the refused starts changed the key.
    let server = start(dir.path());
    assert_eq!(describe(server.port, SEED_KEY), first);
    terminate(server);
}

/// The value of `key = "..."` on the first such line of a TOML text.
fn toml_value(text: &str, key: &str) -> String {
    let prefix = format!("{key} = \"");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix)?.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        .to_owned()
}

/// Runs `line` (an assignment printed by the server) in `sh`, then prints
/// the variable `var`.
fn shell_value(line: &str, var: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{line}\nprintf %s \"${var}\""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{line}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// (Issue 25, item 9) The first start writes the credentials only to the
/// 0600 configuration file: stdout (often a log) names the file and the
/// fields, and its commands read them from there; they do work.
#[test]
fn the_first_start_banner_points_to_the_file_without_printing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let data = dir.path().join("data");
    let stdout = dir.path().join("stdout.log");
    let server = started(Server {
        child: Command::new(env!("CARGO_BIN_EXE_kms-server"))
            .arg("--data-dir")
            .arg(&data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env_remove("KMS_ROOT_KEY")
            .env_remove("KMS_SEED")
            .env_remove("KMS_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        port,
    });
    let config_path = data.join("kms-server.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let token = toml_value(&config, "token");
    let access_key = toml_value(&config, "access_key");
    let secret_key = toml_value(&config, "secret_key");
    let password = config
        .lines()
        .find_map(|l| l.strip_prefix("# kms-dev password: "))
        .expect("the development password in the configuration file")
        .to_owned();
    let banner = std::fs::read_to_string(&stdout).unwrap();
    assert!(banner.contains("first start"), "{banner}");
    assert!(
        banner.contains(&config_path.display().to_string()),
        "{banner}"
    );
    for (what, secret) in [
        ("token", &token),
        ("access key", &access_key),
        ("secret key", &secret_key),
        ("password", &password),
    ] {
        assert!(!banner.contains(secret.as_str()), "the {what} is on stdout");
    }
    // The banner's commands read them from the file.
    let token_line = banner
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("TOKEN=$("))
        .expect("a TOKEN=$(...) line");
    assert_eq!(shell_value(token_line, "TOKEN"), token);
    let password_line = banner
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("PASSWORD=$("))
        .expect("a PASSWORD=$(...) line");
    assert_eq!(shell_value(password_line, "PASSWORD"), password);
    // And the token is the one the server accepts.
    let project = toml_value(&config, "project_id");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = r#"{"key_alias":"banner-key"}"#;
    write!(
        s,
        "POST /v1.0/{project}/kms/create-key HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(server);
}

/// Where key-pair operations run, by the blocking pool's count
/// (`kms_blocking_wait_seconds_count`, one per operation sent there): a
/// warm ECDSA P-256 sign or verify and a warm RSA verification run on the
/// async worker; every RSA sign goes to the blocking pool, as does the
/// first use of a key (it reads and opens the sealed pair). The key-record
/// cache lives 1 s, so a warm request that finds its record expired goes
/// to the pool too: the warm loops allow one such request per started
/// second.
#[test]
fn warm_ecdsa_and_verifications_run_inline_and_rsa_signs_on_the_blocking_pool() {
    const SCRAPE_TOKEN: &str = "scrape-token-0123456789abcdef";
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config_top(
        dir.path(),
        port,
        &format!("metrics_token = \"{SCRAPE_TOKEN}\""),
        "",
    );
    let mut command = command_with(dir.path(), &config, &[]);
    command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = started(Server {
        child: command.spawn().unwrap(),
        port,
    });
    let p = server.port;
    let blocking = || {
        let (head, text) = raw_exchange(
            p,
            &format!(
                "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SCRAPE_TOKEN}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        sample(&text, "kms_blocking_wait_seconds_count").unwrap_or(0.0)
    };
    let create = |alias: &str, spec: &str| {
        let (st, k) = kms(
            p,
            "/kms/create-key",
            json!({"key_alias": alias, "key_spec": spec, "key_usage": "SIGN_VERIFY"}),
        );
        assert_eq!(st, 200, "{k}");
        k["key_info"]["key_id"].as_str().unwrap().to_owned()
    };
    let ec = create("inline_ec", "EC_P256");
    let rsa = create("inline_rsa", "RSA_2048");
    let digest = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes
    let sign = |key: &str, alg: &str| {
        let (st, v) = kms(
            p,
            "/kms/sign",
            json!({"key_id": key, "message": digest, "message_type": "DIGEST", "signing_algorithm": alg}),
        );
        assert_eq!(st, 200, "{v}");
        v["signature"].as_str().unwrap().to_owned()
    };
    let verify = |key: &str, alg: &str, sig: &str| {
        let (st, v) = kms(
            p,
            "/kms/verify",
            json!({"key_id": key, "message": digest, "message_type": "DIGEST", "signing_algorithm": alg, "signature": sig}),
        );
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["signature_valid"], "true", "{v}");
    };
    // First uses: each key's pair is read and opened on the pool.
    let ec_sig = sign(&ec, "ECDSA_SHA_256");
    let rsa_sig = sign(&rsa, "RSASSA_PSS_SHA_256");

    // Warm ECDSA P-256 signs and verifications, warm RSA verifications.
    let n = 20;
    let before = blocking();
    let started = std::time::Instant::now();
    for _ in 0..n {
        sign(&ec, "ECDSA_SHA_256");
        verify(&ec, "ECDSA_SHA_256", &ec_sig);
        verify(&rsa, "RSASSA_PSS_SHA_256", &rsa_sig);
    }
    let expiries = (started.elapsed().as_secs_f64().ceil() + 1.0) * 2.0;
    let sent = blocking() - before;
    assert!(
        sent <= expiries && sent < f64::from(3 * n),
        "{sent} of {} warm requests went to the blocking pool",
        3 * n
    );

    // Every RSA sign goes to the pool, warm or not.
    let before = blocking();
    for _ in 0..5 {
        sign(&rsa, "RSASSA_PSS_SHA_256");
    }
    assert_eq!(blocking() - before, 5.0);
    terminate(server);
}
