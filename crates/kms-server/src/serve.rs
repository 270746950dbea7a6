//! The accept loop, for plain HTTP and TLS alike: one task per connection,
//! served by hyper's automatic builder (HTTP/1.1, or HTTP/2 by ALPN over
//! TLS and by prior knowledge in clear), until a graceful shutdown.
//!
//! `axum::serve` has no TLS and no hook into hyper's builder; this loop
//! does what it does (the same builder, the same accept-error handling)
//! and adds the TLS handshake, hyper's timer and the [`ConnectionPolicy`]:
//! a header-read timeout, an idle timeout for both protocols, a cap on
//! open connections (over it a new connection is closed at once, with a
//! logged warning, instead of waiting unseen in the kernel's backlog) and
//! a deadline for the graceful shutdown.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::config::{ConfigError, ConnectionsConfig, default_max_connections};
use crate::tls::ReloadableTls;

/// How connections are served (`[connections]` in the configuration).
#[derive(Clone, Debug)]
pub(crate) struct ConnectionPolicy {
    /// Longest a client may take to send a request's head over HTTP/1.1,
    /// and the first byte of a connection in clear. hyper counts it from
    /// the end of the previous answer on a kept-alive connection, so it
    /// also closes an HTTP/1.1 connection idle that long.
    pub(crate) header_read_timeout: Duration,
    /// Longest a connection (HTTP/1.1 or HTTP/2) may stay open with no
    /// request in flight.
    pub(crate) idle_timeout: Duration,
    /// Longest a TLS handshake may take.
    pub(crate) handshake_timeout: Duration,
    /// Connections open at once; one more is closed as soon as accepted.
    pub(crate) max_connections: usize,
    /// After the shutdown signal, how long requests in flight may take to
    /// finish; connections still open then are cut.
    pub(crate) shutdown_grace: Duration,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        Self {
            // hyper's own default once it has a timer.
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ConnectionsConfig {
    /// The policy the listener applies.
    ///
    /// # Errors
    /// A zero timeout or a zero cap.
    pub(crate) fn policy(&self) -> Result<ConnectionPolicy, ConfigError> {
        let d = ConnectionPolicy::default();
        let ms = |name: &str, v: Option<u64>, default: Duration| match v {
            None => Ok(default),
            Some(0) => Err(ConfigError::Invalid(format!(
                "connections.{name} must be at least 1"
            ))),
            Some(ms) => Ok(Duration::from_millis(ms)),
        };
        let max_connections = match self.max_connections {
            Some(0) => {
                return Err(ConfigError::Invalid(
                    "connections.max_connections must be at least 1".into(),
                ));
            }
            Some(n) => n,
            None => default_max_connections(),
        };
        Ok(ConnectionPolicy {
            header_read_timeout: ms(
                "header_read_timeout_ms",
                self.header_read_timeout_ms,
                d.header_read_timeout,
            )?,
            idle_timeout: ms("idle_timeout_ms", self.idle_timeout_ms, d.idle_timeout)?,
            handshake_timeout: ms(
                "tls_handshake_timeout_ms",
                self.tls_handshake_timeout_ms,
                d.handshake_timeout,
            )?,
            max_connections,
            shutdown_grace: ms(
                "shutdown_grace_ms",
                self.shutdown_grace_ms,
                d.shutdown_grace,
            )?,
        })
    }
}

/// The warning for connections refused over the cap, at most once per
/// interval (with how many were refused since the last one).
struct CapWarning {
    refused: AtomicU64,
    last_warned: std::sync::Mutex<Option<Instant>>,
}

impl CapWarning {
    const INTERVAL: Duration = Duration::from_secs(10);

    fn refused(&self, cap: usize) {
        let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let mut last = self
            .last_warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|t| now.duration_since(t) >= Self::INTERVAL) {
            *last = Some(now);
            self.refused.store(0, Ordering::Relaxed);
            tracing::warn!(
                target: "kms_server::serve",
                max_connections = cap,
                refused = n,
                "connection cap reached: new connections are closed until some end"
            );
        }
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown`
/// resolves, then stops accepting, lets every connection finish its
/// requests in flight (idle ones close at once) and returns when the last
/// one has closed, or when `policy.shutdown_grace` has passed (the rest are
/// cut, and said so in the log).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ReloadableTls>>,
    policy: &ConnectionPolicy,
    shutdown: impl Future<Output = ()>,
) {
    let builders = Arc::new(Builders::new(policy));
    let slots = Arc::new(Semaphore::new(policy.max_connections));
    let warning = CapWarning {
        refused: AtomicU64::new(0),
        last_warned: std::sync::Mutex::new(None),
    };
    // `true` once shutting down; every connection holds a receiver, so
    // the sender's `closed()` is "every connection is gone".
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                if !is_connection_error(&e) {
                    // As hyper and axum do: e.g. out of file descriptors;
                    // wait for some to be closed.
                    tracing::error!(target: "kms_server::serve", error = %e, "accept failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                continue;
            }
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            // Over the cap: closed now (the client sees the connection
            // end), not left waiting in the backlog.
            drop(stream);
            warning.refused(policy.max_connections);
            continue;
        };
        tokio::spawn(connection(
            stream,
            app.clone(),
            tls.clone(),
            Arc::clone(&builders),
            stop_rx.clone(),
            slot,
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(policy.shutdown_grace, stop_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            target: "kms_server::serve",
            open = stop_tx.receiver_count(),
            grace_ms = u64::try_from(policy.shutdown_grace.as_millis()).unwrap_or(u64::MAX),
            "shutdown deadline passed: cutting the connections still open"
        );
    }
}

/// hyper's builders, configured once: HTTP/1.1 or HTTP/2 by the first
/// bytes (in clear), and one protocol each (over TLS, as ALPN chose).
struct Builders {
    auto: auto::Builder<TokioExecutor>,
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
    header_read_timeout: Duration,
    handshake_timeout: Duration,
    idle_timeout: Duration,
}

impl Builders {
    fn new(policy: &ConnectionPolicy) -> Self {
        let mut auto = auto::Builder::new(TokioExecutor::new());
        auto.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(policy.header_read_timeout);
        auto.http2().timer(TokioTimer::new());
        Self {
            http1: auto.clone().http1_only(),
            http2: auto.clone().http2_only(),
            auto,
            header_read_timeout: policy.header_read_timeout,
            handshake_timeout: policy.handshake_timeout,
            idle_timeout: policy.idle_timeout,
        }
    }
}

/// One connection: the TLS handshake if any, then hyper until the client
/// closes, it stays idle too long, or shutdown drains it. `_slot` is its
/// place under the connection cap, given back when it ends.
async fn connection(
    stream: TcpStream,
    app: Router,
    tls: Option<Arc<ReloadableTls>>,
    builders: Arc<Builders>,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let Some(tls) = tls else {
        // hyper's automatic builder reads the first bytes to tell HTTP/2
        // from HTTP/1.1 before its header-read timer starts: a client that
        // sends nothing is closed here instead.
        let mut first = [0u8; 1];
        let peeked = tokio::select! {
            peeked = tokio::time::timeout(builders.header_read_timeout, stream.peek(&mut first)) => peeked,
            () = stopping(&mut stop) => return,
        };
        if !matches!(peeked, Ok(Ok(n)) if n > 0) {
            return;
        }
        return http(stream, app, &builders.auto, builders.idle_timeout, stop).await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
    let handshake = tokio::time::timeout(builders.handshake_timeout, acceptor.accept(stream));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tls.handshake_failed();
                tracing::debug!(target: "kms_server::tls", error = %e, "TLS handshake failed");
                return;
            }
            Err(_elapsed) => {
                tls.handshake_failed();
                tracing::debug!(target: "kms_server::tls", "TLS handshake timed out");
                return;
            }
        },
        // Shutting down: a connection without a request yet is dropped.
        () = stopping(&mut stop) => return,
    };
    // The protocol ALPN chose (none: HTTP/1.1), so that hyper's header-read
    // timer runs from the start on an HTTP/1.1 connection.
    let builder = if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
        &builders.http2
    } else {
        &builders.http1
    };
    http(stream, app, builder, builders.idle_timeout, stop).await;
}

/// When a connection last did something, and how many of its requests
/// are in flight.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last request's start or end.
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long the connection has been idle (zero with a request in
    /// flight).
    fn idle_for(&self) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        self.opened
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// One request in flight on a connection: counted from its start until
/// its answer is ready or it is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves HTTP on `io` until it closes or stays `idle_timeout` without a
/// request in flight; on shutdown, finishes the requests in flight and
/// closes.
async fn http<I>(
    io: I,
    app: Router,
    builder: &auto::Builder<TokioExecutor>,
    idle_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity {
        opened: Instant::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let counted = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let in_flight = InFlight::start(&counted);
        let answer = tower::ServiceExt::oneshot(app.clone(), req);
        async move {
            let answer = answer.await;
            drop(in_flight);
            answer
        }
    });
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), service));
    let mut wait = idle_timeout;
    let done = loop {
        tokio::select! {
            done = conn.as_mut() => break done,
            () = stopping(&mut stop) => {
                conn.as_mut().graceful_shutdown();
                break conn.await;
            }
            () = tokio::time::sleep(wait) => {
                let idle = activity.idle_for();
                if idle >= idle_timeout {
                    conn.as_mut().graceful_shutdown();
                    break conn.await;
                }
                // Busy, or idle for less: look again when it would be due.
                wait = idle_timeout - idle;
            }
        }
    };
    if let Err(e) = done {
        tracing::debug!(target: "kms_server::serve", error = %e, "connection ended with an error");
    }
}

/// Resolves once shutting down (or the loop is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Errors of one connection that `accept` reports, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::net::SocketAddr;
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn connections_table_defaults_overrides_and_refusals() {
        let c = crate::config::Config::from_toml("", std::path::Path::new("x")).unwrap();
        let p = c.connections.policy().unwrap();
        let d = ConnectionPolicy::default();
        assert_eq!(p.header_read_timeout, d.header_read_timeout);
        assert_eq!(p.idle_timeout, d.idle_timeout);
        assert_eq!(p.shutdown_grace, d.shutdown_grace);
        assert!((16..=65_536).contains(&p.max_connections));
        let c = crate::config::Config::from_toml(
            "[connections]\nheader_read_timeout_ms = 5000\nidle_timeout_ms = 7000\n\
             tls_handshake_timeout_ms = 3000\nmax_connections = 100\nshutdown_grace_ms = 2000\n",
            std::path::Path::new("x"),
        )
        .unwrap();
        let p = c.connections.policy().unwrap();
        assert_eq!(p.header_read_timeout, Duration::from_secs(5));
        assert_eq!(p.idle_timeout, Duration::from_secs(7));
        assert_eq!(p.handshake_timeout, Duration::from_secs(3));
        assert_eq!(p.max_connections, 100);
        assert_eq!(p.shutdown_grace, Duration::from_secs(2));
        for bad in [
            "max_connections = 0",
            "idle_timeout_ms = 0",
            "shutdown_grace_ms = 0",
        ] {
            let c = crate::config::Config::from_toml(
                &format!("[connections]\n{bad}\n"),
                std::path::Path::new("x"),
            )
            .unwrap();
            let e = c.connections.policy().unwrap_err().to_string();
            assert!(e.contains(bad.split(' ').next().unwrap()), "{e}");
        }
        assert!(
            crate::config::Config::from_toml(
                "[connections]\nidle = 1\n",
                std::path::Path::new("x")
            )
            .is_err()
        );
    }

    const SHORT: Duration = Duration::from_millis(300);

    /// A server of `GET /` on a free port until the sender is dropped or
    /// used.
    async fn server(
        tls: Option<Arc<ReloadableTls>>,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        server_with(
            tls,
            ConnectionPolicy {
                header_read_timeout: SHORT,
                handshake_timeout: SHORT,
                ..ConnectionPolicy::default()
            },
        )
        .await
    }

    async fn server_with(
        tls: Option<Arc<ReloadableTls>>,
        policy: ConnectionPolicy,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            serve(listener, app, tls, &policy, async {
                let _ = rx.await;
            })
            .await;
        });
        (addr, tx, served)
    }

    const LONG: Duration = Duration::from_secs(30);

    /// A request on a new connection in clear, answered with 200.
    async fn answered(addr: SocketAddr) -> bool {
        let Ok(mut c) = TcpStream::connect(addr).await else {
            return false;
        };
        if c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .is_err()
        {
            return false;
        }
        let (_, out) = until_closed(c).await;
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200")
    }

    #[tokio::test]
    async fn over_the_cap_a_connection_is_closed_at_once_and_served_again_when_a_slot_frees() {
        let (addr, stop, served) = server_with(
            None,
            ConnectionPolicy {
                header_read_timeout: LONG,
                max_connections: 2,
                ..ConnectionPolicy::default()
            },
        )
        .await;
        let a = TcpStream::connect(addr).await.unwrap();
        let b = TcpStream::connect(addr).await.unwrap();
        // Both silent clients hold their slots (LONG header-read timeout).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (took, out) = until_closed(TcpStream::connect(addr).await.unwrap()).await;
        assert!(out.is_empty());
        assert!(
            took < LONG / 2,
            "closed by the cap, not a timeout: {took:?}"
        );
        assert!(!answered(addr).await, "no slot: a request is not served");
        // A client leaves: its slot is free once the server sees it go.
        drop(a);
        let t0 = Instant::now();
        while !answered(addr).await {
            assert!(t0.elapsed() < Duration::from_secs(5), "slot never freed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(b);
        stop.send(()).unwrap();
        served.await.unwrap();
    }

    #[tokio::test]
    async fn a_kept_alive_http1_connection_is_closed_after_the_idle_timeout() {
        let (addr, stop, served) = server_with(
            None,
            ConnectionPolicy {
                header_read_timeout: LONG,
                idle_timeout: SHORT,
                ..ConnectionPolicy::default()
            },
        )
        .await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (took, out) = until_closed(c).await;
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(
            took < LONG / 2,
            "the idle timer, not the header timer: {took:?}"
        );
        stop.send(()).unwrap();
        served.await.unwrap();
    }

    #[tokio::test]
    async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
        let (addr, stop, served) = server_with(
            None,
            ConnectionPolicy {
                header_read_timeout: LONG,
                idle_timeout: SHORT,
                ..ConnectionPolicy::default()
            },
        )
        .await;
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut send, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        let driver = tokio::spawn(conn);
        let req = hyper::Request::get(format!("http://{addr}/"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        assert_eq!(res.status(), 200);
        let t0 = Instant::now();
        tokio::time::timeout(Duration::from_secs(10), driver)
            .await
            .expect("the idle HTTP/2 connection stayed open")
            .unwrap()
            .unwrap();
        let took = t0.elapsed();
        assert!(took >= SHORT - Duration::from_millis(100), "{took:?}");
        stop.send(()).unwrap();
        served.await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_ends_by_its_deadline_despite_a_half_sent_request() {
        let (addr, stop, served) = server_with(
            None,
            ConnectionPolicy {
                header_read_timeout: LONG,
                shutdown_grace: SHORT,
                ..ConnectionPolicy::default()
            },
        )
        .await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t0 = Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(LONG / 2, served)
            .await
            .expect("shutdown waited for the header-read timeout")
            .unwrap();
        let took = t0.elapsed();
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        drop(slow);
    }

    /// Reads until the server closes (or resets) the connection; how long
    /// that took and what was read.
    async fn until_closed(mut io: impl tokio::io::AsyncRead + Unpin) -> (Duration, Vec<u8>) {
        let t0 = Instant::now();
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), io.read_to_end(&mut out))
            .await
            .expect("the server kept the connection open");
        (t0.elapsed(), out)
    }

    #[tokio::test]
    async fn silent_and_slow_clients_in_clear_are_closed_after_the_header_read_timeout() {
        let (addr, stop, served) = server(None).await;
        // Not a byte.
        let (took, out) = until_closed(TcpStream::connect(addr).await.unwrap()).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(out.is_empty());
        // Half a request head.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let (took, _) = until_closed(slow).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        // A whole request is answered.
        let mut ok = TcpStream::connect(addr).await.unwrap();
        ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (_, out) = until_closed(ok).await;
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
        stop.send(()).unwrap();
        served.await.unwrap();
    }

    #[tokio::test]
    async fn over_tls_a_silent_client_is_closed_before_and_after_the_handshake() {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &rcgen::Issuer::from_params(&ca, &ca_key))
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
            )
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let files = crate::tls::TlsFiles {
            cert: "unused".into(),
            key: "unused".into(),
        };
        let tls = ReloadableTls::new(files, config, Arc::default());
        let (addr, stop, served) = server(Some(Arc::new(tls))).await;

        // No handshake at all.
        let (took, _) = until_closed(TcpStream::connect(addr).await.unwrap()).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        // A handshake (ALPN http/1.1), then nothing.
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca_cert.der().clone()).unwrap();
        let mut client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let silent = connector.connect(name.clone(), tcp).await.unwrap();
        let (took, out) = until_closed(silent).await;
        assert!(took >= SHORT - Duration::from_millis(50), "{took:?}");
        assert!(out.is_empty());
        // A request over TLS is answered.
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut ok = connector.connect(name, tcp).await.unwrap();
        ok.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (_, out) = until_closed(ok).await;
        assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"));
        stop.send(()).unwrap();
        served.await.unwrap();
    }
}
