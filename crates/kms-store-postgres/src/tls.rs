//! TLS to PostgreSQL: rustls (ring provider) through tokio-postgres-rustls,
//! the server's certificate checked against a CA file, chain and host name
//! alike (libpq's `sslmode=verify-full`). There is no mode that encrypts
//! without verifying: a CA is required for TLS.
//!
//! tokio-postgres parses neither `sslmode=verify-full` nor `sslrootcert`,
//! so both are taken out of a `postgres://` URL's query here first.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::Error;

/// What a URL's query said about TLS, taken out of it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UrlTls {
    /// `sslmode`, if given.
    pub(crate) mode: Option<String>,
    /// `sslrootcert`, if given (percent-decoded).
    pub(crate) root_cert: Option<PathBuf>,
}

/// `url` without its `sslmode` and `sslrootcert` parameters, and what they
/// said. A URL that is not `postgres://` / `postgresql://` (the key-value
/// form) is returned as it is.
pub(crate) fn split_url(url: &str) -> (String, UrlTls) {
    let mut tls = UrlTls::default();
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return (url.to_owned(), tls);
    };
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => tls.mode = Some(percent_decode(value)),
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(percent_decode(value))),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, tls)
}

/// `%XX` decoded (lossily: a path that is not UTF-8 cannot be given in a URL
/// here anyway).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The TLS connector for `mode` and a CA file (the options' `ca_file`, else
/// the URL's `sslrootcert`), or `None` for a plain connection.
///
/// A CA file means verify-full whatever the mode says (`require`,
/// `verify-ca` and `prefer` are made stricter, never weaker); a mode that
/// asks for TLS without a CA file, and `disable` with one, are errors.
pub(crate) fn connector(
    mode: Option<&str>,
    ca_file: Option<&Path>,
) -> Result<Option<MakeRustlsConnect>, Error> {
    match (mode, ca_file) {
        (None | Some("prefer" | "allow"), None) => Ok(None),
        (Some("disable"), None) => Ok(None),
        (Some("disable"), Some(_)) => Err(Error::Config(
            "sslmode=disable with a CA file: drop one of them".to_owned(),
        )),
        (Some(m @ ("require" | "verify-ca" | "verify-full")), None) => Err(Error::Config(format!(
            "sslmode={m} needs the CA file that signed the server's certificate \
             (sslrootcert=FILE in the URL or PostgresStoreOptions::ca_file; kms-server: \
             --database-ca or KMS_DATABASE_CA): the server's certificate is always verified, \
             chain and host name (verify-full)"
        ))),
        (None | Some("prefer" | "allow" | "require" | "verify-ca" | "verify-full"), Some(ca)) => {
            Ok(Some(MakeRustlsConnect::new(client_config(ca)?)))
        }
        (Some(other), _) => Err(Error::Config(format!(
            "sslmode={other:?}: expected disable, prefer, require, verify-ca or verify-full"
        ))),
    }
}

/// A rustls client trusting only the certificates of `ca_file` (PEM), TLS
/// 1.2 and 1.3, on the ring provider.
fn client_config(ca_file: &Path) -> Result<rustls::ClientConfig, Error> {
    let bad = |why: String| Error::Config(format!("TLS CA file {}: {why}", ca_file.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate in it".to_owned()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let (url, tls) = split_url(
            "postgres://u@h:5432/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20dir%2Fca.pem",
        );
        assert_eq!(url, "postgres://u@h:5432/db?application_name=x");
        assert_eq!(tls.mode.as_deref(), Some("verify-full"));
        assert_eq!(tls.root_cert, Some(PathBuf::from("/etc/ca dir/ca.pem")));
        let (url, tls) = split_url("postgresql://u@h/db?sslmode=disable");
        assert_eq!(url, "postgresql://u@h/db");
        assert_eq!(tls.mode.as_deref(), Some("disable"));
        let (url, tls) = split_url("host=h sslmode=require");
        assert_eq!(url, "host=h sslmode=require");
        assert_eq!(tls, UrlTls::default());
        assert_eq!(split_url("postgres://u@h/db").0, "postgres://u@h/db");
    }

    #[test]
    fn tls_is_verified_or_not_used() {
        assert!(connector(None, None).unwrap().is_none());
        assert!(connector(Some("prefer"), None).unwrap().is_none());
        assert!(connector(Some("disable"), None).unwrap().is_none());
        for mode in ["require", "verify-ca", "verify-full"] {
            let err = connector(Some(mode), None).err().unwrap().to_string();
            assert!(err.contains("CA file"), "{mode}: {err}");
        }
        let ca = Path::new("/nonexistent/ca.pem");
        assert!(connector(Some("disable"), Some(ca)).is_err());
        assert!(connector(Some("sloppy"), None).is_err());
        let err = connector(Some("verify-full"), Some(ca))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = connector(None, Some(&empty)).err().unwrap().to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
