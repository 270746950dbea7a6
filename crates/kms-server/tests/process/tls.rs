#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! HTTPS against the real binary: TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2 by
//! ALPN on the one listener, the certificate reloaded on SIGHUP (a bad
//! file keeps the previous one), and keys refused at start.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::common::free_port;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "tls-test-token-0123456789";

/// A CA that signs server certificates for `localhost` and 127.0.0.1.
struct Ca {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Self { params, key, pem }
    }

    /// A server certificate (PEM, its DER) and its key (PEM).
    fn server(&self, name: &str) -> (String, Vec<u8>, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params
            .signed_by(&key, &rcgen::Issuer::from_params(&self.params, &self.key))
            .unwrap();
        (cert.pem(), cert.der().to_vec(), key.serialize_pem())
    }
}

/// Writes `text` to `path` through a rename (as a certificate manager
/// does), with `mode`.
fn write_file(path: &Path, text: &str, mode: u32) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    std::fs::rename(&tmp, path).unwrap();
}

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration file (`extra`: top-level keys) and the command that serves
/// it, logging at info to `dir/server.log`.
fn command(dir: &Path, port: u16, extra: &str) -> Command {
    let config = dir.join("config.toml");
    write_file(
        &config,
        &format!(
            r#"listen = "127.0.0.1:{port}"
{extra}
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
"#
        ),
        0o600,
    );
    let mut c = Command::new(env!("CARGO_BIN_EXE_kms-server"));
    c.arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("KMS_ROOT_KEY")
        .env_remove("RUST_LOG")
        .env_remove("KMS_TLS_CERT")
        .env_remove("KMS_TLS_KEY")
        .stdout(std::fs::File::create(dir.join("server.log")).unwrap())
        .stderr(Stdio::piped());
    c
}

/// A client trusting `ca_pem` only, offering `alpn`, speaking `versions`.
fn client(
    ca_pem: &str,
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// What one HTTPS/1.1 exchange showed.
#[derive(Debug)]
struct Exchange {
    alpn: Option<Vec<u8>>,
    version: Option<rustls::ProtocolVersion>,
    /// The key exchange group.
    group: Option<rustls::NamedGroup>,
    /// The leaf certificate served (DER).
    leaf: Vec<u8>,
    /// Status line, headers and body.
    response: String,
}

/// `GET path` over HTTPS/1.1 with `Connection: close`, to `localhost`.
fn https_get(port: u16, config: &Arc<ClientConfig>, path: &str) -> std::io::Result<Exchange> {
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let conn = ClientConnection::new(
        Arc::clone(config),
        ServerName::try_from("localhost").unwrap(),
    )
    .map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nX-Auth-Token: {TOKEN}\r\nConnection: close\r\n\r\n"
    )?;
    tls.flush()?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // A peer that closes without close_notify, after its answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e),
    }
    let leaf = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    Ok(Exchange {
        alpn: tls.conn.alpn_protocol().map(<[u8]>::to_vec),
        version: tls.conn.protocol_version(),
        group: tls.conn.negotiated_key_exchange_group().map(|g| g.name()),
        leaf,
        response: String::from_utf8_lossy(&out).into_owned(),
    })
}

/// `GET /health` over HTTP/2 (ALPN `h2`): status and HTTP version.
fn h2_health(port: u16, config: &Arc<ClientConfig>) -> (u16, axum::http::Version) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await
        .unwrap();
        tokio::spawn(conn);
        let req = axum::http::Request::get(format!("https://localhost:{port}/health"))
            .body(String::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        (resp.status().as_u16(), resp.version())
    })
}

/// Waits until `f` holds, for up to 20 s.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn signal(server: &Server, sig: &str) {
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success()
    );
}

fn tls_files(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("cert.pem"), dir.join("key.pem"))
}

#[test]
fn https_by_alpn_on_one_listener_and_the_certificate_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("kms test CA");
    let (cert_a, der_a, key_a) = ca.server("kms server A");
    let (cert_path, key_path) = tls_files(dir.path());
    write_file(&cert_path, &cert_a, 0o644);
    write_file(&key_path, &key_a, 0o600);
    let port = free_port();
    // The files given as flags (the configuration file may name them too).
    let child = command(dir.path(), port, "")
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .spawn()
        .unwrap();
    let server = Server { child };
    let h1 = client(&ca.pem, &[b"http/1.1"], rustls::DEFAULT_VERSIONS);
    wait_until("the server", || https_get(port, &h1, "/health").is_ok());

    // HTTP/1.1 over TLS 1.3 by default, the certificate A.
    let x = https_get(port, &h1, "/health").unwrap();
    assert!(x.response.starts_with("HTTP/1.1 200"), "{x:?}");
    assert_eq!(x.alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(x.version, Some(rustls::ProtocolVersion::TLSv1_3));
    // The hybrid post-quantum group, preferred by both sides.
    assert_eq!(x.group, Some(rustls::NamedGroup::X25519MLKEM768));
    assert_eq!(x.leaf, der_a);
    // A TLS 1.2 client is served too, and an authenticated API call works.
    let tls12 = client(&ca.pem, &[], &[&rustls::version::TLS12]);
    let x = https_get(
        port,
        &tls12,
        &format!("/v1.0/{PROJECT}/keystores?limit=10&offset=0"),
    )
    .unwrap();
    assert!(x.response.starts_with("HTTP/1.1 200"), "{x:?}");
    assert!(x.response.contains("\"total\":0"), "{x:?}");
    assert_eq!(x.version, Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(x.alpn, None);
    // HTTP/2 when the client offers h2 (first choice).
    let h2 = client(&ca.pem, &[b"h2", b"http/1.1"], rustls::DEFAULT_VERSIONS);
    assert_eq!(h2_health(port, &h2), (200, axum::http::Version::HTTP_2));
    // A client that does not trust the CA is refused; so is plain HTTP on
    // the TLS listener (no answer in clear).
    let stranger = client(&Ca::new("another CA").pem, &[], rustls::DEFAULT_VERSIONS);
    let err = https_get(port, &stranger, "/health").unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"));

    // SIGHUP after the files are replaced: new connections get B.
    let (cert_b, der_b, key_b) = ca.server("kms server B");
    write_file(&key_path, &key_b, 0o600);
    write_file(&cert_path, &cert_b, 0o644);
    signal(&server, "-HUP");
    wait_until("certificate B", || {
        https_get(port, &h1, "/health").is_ok_and(|x| x.leaf == der_b)
    });
    // A broken certificate file: the reload fails, B is still served.
    write_file(&cert_path, "not a certificate\n", 0o644);
    signal(&server, "-HUP");
    let reloads = |result: &str| {
        let x = https_get(port, &h1, "/metrics").unwrap();
        let series = format!("kms_tls_reloads_total{{result=\"{result}\"}} ");
        x.response
            .lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .map(str::to_owned)
    };
    wait_until("the failed reload", || {
        reloads("failed").as_deref() == Some("1")
    });
    assert_eq!(reloads("ok").as_deref(), Some("1"));
    let x = https_get(port, &h1, "/health").unwrap();
    assert!(x.response.starts_with("HTTP/1.1 200"), "{x:?}");
    assert_eq!(x.leaf, der_b);
    // Graceful stop over TLS as in clear.
    let mut server = server;
    signal(&server, "-TERM");
    wait_until("a graceful stop", || {
        server
            .child
            .try_wait()
            .unwrap()
            .is_some_and(|st| st.success())
    });
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("TLS certificate and key reloaded"), "{log}");
    assert!(log.contains("TLS reload failed"), "{log}");
    assert!(log.contains("tls=true"), "{log}");
}

#[test]
fn an_unusable_key_or_certificate_is_refused_at_start() {
    let ca = Ca::new("kms test CA");
    let (cert, _, key) = ca.server("kms server");
    let (_, _, other_key) = ca.server("another server");
    let start = |cert_text: &str, key_text: &str, key_mode: u32| {
        let dir = tempfile::tempdir().unwrap();
        let (cert_path, key_path) = tls_files(dir.path());
        write_file(&cert_path, cert_text, 0o644);
        write_file(&key_path, key_text, key_mode);
        // The files named by the configuration, relative to it.
        let out = command(
            dir.path(),
            free_port(),
            "tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"",
        )
        .output()
        .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = start(&cert, &key, 0o644);
    assert!(
        err.contains("key.pem") && err.contains("chmod 600"),
        "{err}"
    );
    let err = start(&cert, &other_key, 0o600);
    assert!(err.contains("TLS"), "{err}");
    let err = start("no certificate\n", &key, 0o600);
    assert!(err.contains("cert.pem"), "{err}");
    let err = start(&cert, "no key\n", 0o600);
    assert!(err.contains("key.pem"), "{err}");
}
