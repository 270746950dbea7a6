//! The root secret: 32 bytes from which every keystore's root key is
//! derived. Generated on first start into `<data_dir>/root.key` (hex, mode
//! 0600) or taken from `KMS_ROOT_KEY` (hex). Never logged.
//!
//! Losing it loses every key: the database holds CMKs only wrapped under
//! keys derived from it.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Environment variable holding the root secret as hex.
pub(crate) const ROOT_KEY_ENV: &str = "KMS_ROOT_KEY";
/// File name of the root secret inside the data directory.
pub(crate) const ROOT_KEY_FILE: &str = "root.key";
/// Length of the root secret.
pub(crate) const ROOT_SECRET_LEN: usize = 32;

/// The root secret. `Debug` shows nothing; zeroized on drop.
pub(crate) struct RootSecret(Zeroizing<[u8; ROOT_SECRET_LEN]>);

impl fmt::Debug for RootSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootSecret(<redacted>)")
    }
}

/// Where the secret came from (for the startup log line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RootSource {
    /// `KMS_ROOT_KEY`.
    Env,
    /// An existing file.
    File(PathBuf),
    /// Generated now into this file.
    Generated(PathBuf),
    /// Random, kept in memory only (`--in-memory` without a file).
    Ephemeral,
}

/// Why the secret could not be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RootSecretError {
    /// Not 64 hex characters.
    #[error("{0}: the root key must be 64 hex characters (32 bytes)")]
    Malformed(String),
    /// File error.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A database exists but its root key does not: refusing to generate a
    /// new one that could not unwrap any stored key.
    #[error(
        "{db} exists but {key} does not: restore the root key (or set KMS_ROOT_KEY); a new one could not decrypt any stored key"
    )]
    MissingForExistingData {
        /// The database.
        db: PathBuf,
        /// The expected key file.
        key: PathBuf,
    },
    /// The OS random source failed.
    #[error("OS random source failed")]
    Entropy,
    /// The root key file is readable or writable by group or others.
    #[error(transparent)]
    Insecure(crate::config::InsecureFile),
}

impl RootSecret {
    /// The secret bytes (for the root-key provider only).
    #[must_use]
    pub(crate) fn expose(&self) -> &[u8; ROOT_SECRET_LEN] {
        &self.0
    }

    /// Parses 64 hex characters (surrounding whitespace ignored).
    ///
    /// # Errors
    /// Anything else.
    pub(crate) fn from_hex(text: &str, origin: &str) -> Result<Self, RootSecretError> {
        let t = text.trim().as_bytes();
        if t.len() != ROOT_SECRET_LEN * 2 {
            return Err(RootSecretError::Malformed(origin.to_owned()));
        }
        let mut out = Zeroizing::new([0u8; ROOT_SECRET_LEN]);
        for (i, pair) in t.chunks_exact(2).enumerate() {
            let hi =
                hex_digit(pair[0]).ok_or_else(|| RootSecretError::Malformed(origin.to_owned()))?;
            let lo =
                hex_digit(pair[1]).ok_or_else(|| RootSecretError::Malformed(origin.to_owned()))?;
            out[i] = hi << 4 | lo;
        }
        Ok(Self(out))
    }

    /// Reads a root key file (64 hex digits; refused if group or others
    /// can read or write it).
    ///
    /// # Errors
    /// Unreadable, insecure or malformed file.
    pub(crate) fn from_file(path: &Path) -> Result<Self, RootSecretError> {
        match crate::config::read_secret_file(path) {
            Ok(text) => Self::from_hex(&text, &path.display().to_string()),
            Err(crate::config::ConfigError::Insecure(e)) => Err(RootSecretError::Insecure(e)),
            Err(crate::config::ConfigError::Io { source, .. }) => Err(RootSecretError::Io {
                path: path.to_path_buf(),
                source,
            }),
            Err(e) => Err(RootSecretError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }

    /// A fresh secret from the OS.
    ///
    /// # Errors
    /// The OS random source failed.
    pub(crate) fn generate() -> Result<Self, RootSecretError> {
        let mut out = Zeroizing::new([0u8; ROOT_SECRET_LEN]);
        getrandom::fill(&mut out[..]).map_err(|_| RootSecretError::Entropy)?;
        Ok(Self(out))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = Zeroizing::new(String::with_capacity(ROOT_SECRET_LEN * 2 + 1));
        for b in self.0.iter() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        s
    }

    /// Loads the secret: `env_value` (the value of `KMS_ROOT_KEY`) if
    /// given, else `<data_dir>/root.key`, else generates that file (mode
    /// 0600) — unless `db` already exists, which means the key was lost.
    ///
    /// # Errors
    /// Malformed value, unreadable file, or a database without its key.
    pub(crate) fn load_or_create(
        env_value: Option<&str>,
        data_dir: &Path,
        db: Option<&Path>,
    ) -> Result<(Self, RootSource), RootSecretError> {
        if let Some(v) = env_value {
            return Ok((Self::from_hex(v, ROOT_KEY_ENV)?, RootSource::Env));
        }
        let path = data_dir.join(ROOT_KEY_FILE);
        match crate::config::read_secret_file(&path) {
            Ok(text) => {
                let secret = Self::from_hex(&text, &path.display().to_string())?;
                Ok((secret, RootSource::File(path)))
            }
            Err(crate::config::ConfigError::Insecure(e)) => Err(RootSecretError::Insecure(e)),
            Err(crate::config::ConfigError::Io { source: e, .. })
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                if let Some(db) = db.filter(|d| d.exists()) {
                    return Err(RootSecretError::MissingForExistingData {
                        db: db.to_path_buf(),
                        key: path,
                    });
                }
                let secret = Self::generate()?;
                let io = |source| RootSecretError::Io {
                    path: path.clone(),
                    source,
                };
                let mut f = crate::config::create_private(&path).map_err(io)?;
                let mut text = secret.to_hex();
                text.push('\n');
                f.write_all(text.as_bytes()).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok((secret, RootSource::Generated(path)))
            }
            Err(crate::config::ConfigError::Io { source, .. }) => {
                Err(RootSecretError::Io { path, source })
            }
            Err(e) => Err(RootSecretError::Io {
                path,
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::fs;

    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_root_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = RootSecret::load_or_create(None, dir.path(), None).unwrap();
        let path = dir.path().join(ROOT_KEY_FILE);
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = RootSecret::load_or_create(None, dir.path(), None).unwrap_err();
            assert!(
                matches!(err, RootSecretError::Insecure(_)),
                "{mode:o}: {err}"
            );
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        for mode in [0o600, 0o400] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let (b, _) = RootSecret::load_or_create(None, dir.path(), None).unwrap();
            assert_eq!(a.expose(), b.expose());
        }
    }

    #[test]
    fn generated_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let (a, src) = RootSecret::load_or_create(None, dir.path(), None).unwrap();
        assert!(matches!(src, RootSource::Generated(_)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(ROOT_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (b, src) = RootSecret::load_or_create(None, dir.path(), None).unwrap();
        assert!(matches!(src, RootSource::File(_)));
        assert_eq!(a.expose(), b.expose());
        assert_eq!(format!("{a:?}"), "RootSecret(<redacted>)");
    }

    #[test]
    fn env_wins_and_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "00".repeat(31) + "ff";
        let (s, src) = RootSecret::load_or_create(Some(&hex), dir.path(), None).unwrap();
        assert_eq!(src, RootSource::Env);
        assert_eq!(s.expose()[31], 0xff);
        assert!(RootSecret::load_or_create(Some("abc"), dir.path(), None).is_err());
        assert!(!dir.path().join(ROOT_KEY_FILE).exists());
    }

    #[test]
    fn refuses_to_generate_over_existing_data() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kms.db");
        fs::write(&db, b"x").unwrap();
        let err = RootSecret::load_or_create(None, dir.path(), Some(&db)).unwrap_err();
        assert!(matches!(
            err,
            RootSecretError::MissingForExistingData { .. }
        ));
    }
}
