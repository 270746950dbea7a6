//! HTTPS on the listener: rustls on the aws-lc-rs provider, TLS 1.2 and
//! 1.3 only, HTTP/2 and HTTP/1.1 offered by ALPN. The certificate chain
//! and key are PEM files, read again on SIGHUP: a reload that fails keeps
//! the certificate being served and says why in the log.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;

/// The certificate chain and key files the listener serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key of the leaf (PKCS#8, PKCS#1 or SEC1); refused
    /// unless only its owner may read it.
    pub key: PathBuf,
}

impl Config {
    /// The TLS files, relative to `base` (the configuration file's
    /// directory); `None` without TLS.
    ///
    /// # Errors
    /// Only one of `tls_cert` and `tls_key`.
    pub fn tls_files(&self, base: &Path) -> Result<Option<TlsFiles>, ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsFiles {
                cert: base.join(cert),
                key: base.join(key),
            })),
            _ => Err(ConfigError::Invalid(
                "tls_cert and tls_key go together: give both or neither".into(),
            )),
        }
    }
}

/// Why the certificate or its key could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file is unreadable, not PEM, holds nothing usable, or (the key)
    /// others may read it.
    #[error("TLS: {path}: {message}")]
    File {
        /// Which file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// rustls refused the pair (e.g. the key does not match the
    /// certificate).
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

fn file_error(path: &Path, message: impl fmt::Display) -> TlsError {
    TlsError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The rustls configuration for `files`: TLS 1.3 and 1.2, ALPN `h2` then
/// `http/1.1`, no client certificates.
///
/// # Errors
/// See [`TlsError`].
pub(crate) fn server_config(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_error(&files.cert, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(&files.cert, e))?;
    if certs.is_empty() {
        return Err(file_error(&files.cert, "no PEM certificate in it"));
    }
    // The key is a secret: refused, as the configuration is, when group
    // or others may read it.
    let pem = crate::config::read_secret_file(&files.key).map_err(|e| match e {
        crate::config::ConfigError::Insecure(insecure) => file_error(
            &files.key,
            format_args!(
                "a private key, but its mode is {:04o}: group and others must have no access \
                 (chmod 600 {})",
                insecure.mode,
                insecure.path.display()
            ),
        ),
        crate::config::ConfigError::Io { source, .. } => file_error(&files.key, source),
        other => file_error(&files.key, other),
    })?;
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| file_error(&files.key, format!("no usable PEM private key: {e}")))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The configuration new connections are served with, replaced by
/// [`ReloadableTls::reload`]. Connections keep the configuration they
/// were accepted with.
pub(crate) struct ReloadableTls {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
    metrics: Arc<Metrics>,
}

impl fmt::Debug for ReloadableTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReloadableTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ReloadableTls {
    /// Serves `config`, loaded from `files` ([`server_config`]), until a
    /// reload.
    pub(crate) fn new(files: TlsFiles, config: ServerConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            files,
            current: RwLock::new(Arc::new(config)),
            metrics,
        }
    }

    /// The configuration to accept a connection with.
    pub(crate) fn current(&self) -> Arc<ServerConfig> {
        // Only a whole `Arc` is ever stored: a poisoned lock holds a good one.
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reads the files again; on success, new connections get the new
    /// certificate. On failure nothing changes.
    ///
    /// # Errors
    /// See [`TlsError`].
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let loaded = server_config(&self.files);
        self.metrics.record_tls_reload(loaded.is_ok());
        let config = Arc::new(loaded?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        Ok(())
    }

    /// Counts a failed handshake.
    pub(crate) fn handshake_failed(&self) {
        self.metrics.record_tls_handshake_failure();
    }
}

/// Reloads `tls` on every SIGHUP, for as long as the runtime runs.
///
/// # Errors
/// The signal handler cannot be installed.
pub(crate) fn reload_on_sighup(tls: Arc<ReloadableTls>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match tls.reload() {
                    Ok(()) => tracing::info!(
                        target: "kms_server::tls",
                        cert = %tls.files.cert.display(),
                        "SIGHUP: TLS certificate and key reloaded",
                    ),
                    Err(e) => tracing::error!(
                        target: "kms_server::tls",
                        error = %e,
                        "SIGHUP: TLS reload failed; still serving the previous certificate",
                    ),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = tls;
    Ok(())
}
