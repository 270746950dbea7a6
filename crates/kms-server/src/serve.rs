//! The accept loop, for plain HTTP and TLS alike: one task per connection,
//! served by hyper's automatic builder (HTTP/1.1, or HTTP/2 by ALPN over
//! TLS and by prior knowledge in clear), until a graceful shutdown.
//!
//! `axum::serve` has no TLS and no hook into hyper's builder; this loop
//! does what it does (the same builder, the same accept-error handling)
//! and adds the TLS handshake and hyper's timer. Per-connection policy
//! lives in [`ConnectionPolicy`]: an idle keep-alive timeout or a cap on
//! connections belongs there (the cap as a semaphore permit taken before
//! `accept` and moved into the connection's task).

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::tls::ReloadableTls;

/// How connections are served.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionPolicy {
    /// Longest a client may take to send a request's head over HTTP/1.1,
    /// and the first byte of a connection in clear. hyper counts it from
    /// the end of the previous answer on a kept-alive connection, so it
    /// also closes a connection idle that long.
    pub(crate) header_read_timeout: Duration,
    /// Longest a TLS handshake may take.
    pub(crate) handshake_timeout: Duration,
}

impl Default for ConnectionPolicy {
    fn default() -> Self {
        Self {
            // hyper's own default once it has a timer.
            header_read_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown`
/// resolves, then stops accepting, lets every connection finish its
/// requests in flight (idle ones close at once) and returns when the last
/// one has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<ReloadableTls>>,
    policy: &ConnectionPolicy,
    shutdown: impl Future<Output = ()>,
) {
    let builders = Arc::new(Builders::new(policy));
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
        tokio::spawn(connection(
            stream,
            app.clone(),
            tls.clone(),
            Arc::clone(&builders),
            stop_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    stop_tx.closed().await;
}

/// hyper's builders, configured once: HTTP/1.1 or HTTP/2 by the first
/// bytes (in clear), and one protocol each (over TLS, as ALPN chose).
struct Builders {
    auto: auto::Builder<TokioExecutor>,
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
    header_read_timeout: Duration,
    handshake_timeout: Duration,
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
        }
    }
}

/// One connection: the TLS handshake if any, then hyper until the client
/// closes or shutdown drains it.
async fn connection(
    stream: TcpStream,
    app: Router,
    tls: Option<Arc<ReloadableTls>>,
    builders: Arc<Builders>,
    mut stop: watch::Receiver<bool>,
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
        return http(stream, app, &builders.auto, stop).await;
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
    http(stream, app, builder, stop).await;
}

/// Serves HTTP on `io` until it closes; on shutdown, finishes the requests
/// in flight and closes.
async fn http<I>(
    io: I,
    app: Router,
    builder: &auto::Builder<TokioExecutor>,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut conn = pin!(builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(app)));
    let done = tokio::select! {
        done = conn.as_mut() => done,
        () = stopping(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let policy = ConnectionPolicy {
            header_read_timeout: SHORT,
            handshake_timeout: SHORT,
        };
        let served = tokio::spawn(async move {
            serve(listener, app, tls, &policy, async {
                let _ = rx.await;
            })
            .await;
        });
        (addr, tx, served)
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
