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
    /// Longest a client may take to send a request's head over HTTP/1.1.
    /// hyper counts it from the end of the previous answer on a kept-alive
    /// connection, so it also closes a connection idle that long.
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
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(policy.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
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
            Arc::clone(&builder),
            policy.handshake_timeout,
            stop_rx.clone(),
        ));
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    stop_tx.closed().await;
}

/// One connection: the TLS handshake if any, then hyper until the client
/// closes or shutdown drains it.
async fn connection(
    stream: TcpStream,
    app: Router,
    tls: Option<Arc<ReloadableTls>>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    handshake_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let Some(tls) = tls else {
        return http(stream, app, &builder, stop).await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
    let handshake = tokio::time::timeout(handshake_timeout, acceptor.accept(stream));
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
    http(stream, app, &builder, stop).await;
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
