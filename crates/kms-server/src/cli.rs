//! The command line: flags, subcommands, startup errors, and what the
//! serving path and the operator subcommands (`ops`) both need from it.

use std::path::PathBuf;

use clap::Parser;
use kms_store_postgres::PostgresStoreOptions;

use crate::root::RootSecret;

/// Environment variable naming the file of the previous root key, while a
/// root-key rotation is under way (same as `--previous-root-key`).
pub(crate) const PREVIOUS_ROOT_KEY_ENV: &str = "KMS_PREVIOUS_ROOT_KEY_FILE";

/// File name of the SQLite database inside the data directory.
pub(crate) const DATABASE_FILE: &str = "kms.db";

/// Command-line flags (each overrides the configuration file).
#[derive(Clone, Debug, Parser)]
#[command(
    name = "kms-server",
    version,
    about = "Local Huawei Cloud KMS and API Gateway certificate service"
)]
pub struct Cli {
    /// Configuration file [default: DATA_DIR/kms-server.toml, generated on first start].
    #[arg(long, env = "KMS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory: database, root key, generated configuration.
    #[arg(long, env = "KMS_DATA_DIR", default_value = "./kms-data")]
    pub data_dir: PathBuf,
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "KMS_LISTEN")]
    pub listen: Option<String>,
    /// Keep everything in memory (nothing survives a restart).
    #[arg(long, conflicts_with = "database")]
    pub in_memory: bool,
    /// Store everything in PostgreSQL (`postgres://user:password@host:port/db`)
    /// instead of DATA_DIR/kms.db, so several replicas can share it. The
    /// replicas must share the root key: KMS_ROOT_KEY or DATA_DIR/root.key
    /// is required (never generated) with this flag.
    ///
    /// Give the password apart from the URL, since every local user can
    /// read a command line (`ps`): set the URL in KMS_DATABASE_URL, or the
    /// password in --database-password-file or libpq's password file.
    #[arg(long, env = "KMS_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// File holding the PostgreSQL password of --database (mode 0600 or
    /// 0400; one trailing line break is dropped) [config:
    /// database_password_file]. Without it, and without a password in the
    /// URL, libpq's password file is read: PGPASSFILE, else ~/.pgpass
    /// (`host:port:database:user:password` lines, mode 0600).
    #[arg(
        long,
        env = "KMS_DATABASE_PASSWORD_FILE",
        requires = "database",
        value_name = "FILE"
    )]
    pub database_password_file: Option<PathBuf>,
    /// PEM file of the CA that signed PostgreSQL's certificate: connect to
    /// --database over TLS and verify the certificate, chain and host name
    /// (sslmode=verify-full). The URL may say the same with
    /// `?sslmode=verify-full&sslrootcert=FILE`.
    #[arg(long, env = "KMS_DATABASE_CA", requires = "database")]
    pub database_ca: Option<PathBuf>,
    /// PEM certificate chain to serve over TLS, with --tls-key: the
    /// listener then speaks HTTPS only. Both files are read again on
    /// SIGHUP [config: tls_cert].
    #[arg(long, env = "KMS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (mode 0600 or 0400) [config: tls_key].
    #[arg(long, env = "KMS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// While a root-key rotation is under way (`rotate-root` cut short):
    /// the file of the root key the rotation started from. The server then
    /// serves with both keys, KMS_ROOT_KEY / DATA_DIR/root.key being the new one.
    #[arg(long, env = PREVIOUS_ROOT_KEY_ENV)]
    pub previous_root_key: Option<PathBuf>,
    /// Seed file (TOML) applied at start: keys, keystores and certificates
    /// with fixed ids, created if absent, checked if present (overrides
    /// `[seed] path` of the configuration).
    #[arg(long, env = "KMS_SEED")]
    pub seed: Option<PathBuf>,
    /// A subcommand instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `kms-server` can do besides serving.
#[derive(Clone, Debug, clap::Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Reads a password on stdin (up to the end; one trailing line break is
    /// dropped) and prints its Argon2id hash for a `[[users]]` entry's
    /// `password_hash`.
    HashPassword,
    /// Copies the SQLite database (DATA_DIR/kms.db) into FILE, consistently,
    /// while the server may be running (SQLite's backup API). The copy holds
    /// keys only wrapped under the root key: back the root key up apart.
    Backup {
        /// The backup file to write (mode 0600; replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Replaces DATA_DIR/kms.db (created if missing) by a backup. The server
    /// must be stopped; a database newer than the backup (a greater change
    /// counter) is replaced only with --force.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace a database newer than the backup.
        #[arg(long)]
        force: bool,
    },
    /// Re-wraps every CMK, key pair and certificate private key under a new
    /// root key (the current one is KMS_ROOT_KEY or DATA_DIR/root.key), in
    /// one transaction per batch, carrying the PIN keys over; then records
    /// the new root key. SQLite, or PostgreSQL with --database. The server
    /// must be stopped (every replica); rerun after a crash, it resumes.
    RotateRoot {
        /// File of the new root key (64 hex digits, mode 0600).
        #[arg(long)]
        new_key: PathBuf,
        /// Rows per transaction.
        #[arg(long, default_value_t = 500)]
        batch_size: usize,
        /// Pause between batches, in milliseconds (spreads the load).
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
}

/// A keyed fingerprint of the root key (HMAC-SHA256 under it of a fixed
/// label), recorded in a shared database so replicas with different root
/// keys are caught at start. Reveals nothing about the key.
pub(crate) fn root_key_fingerprint(secret: &RootSecret) -> Result<[u8; 32], StartError> {
    use hmac::{KeyInit, Mac};
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.expose()).map_err(|e| {
            StartError::Io {
                context: "root key fingerprint".to_owned(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
    mac.update(b"kms-server root key fingerprint v1");
    Ok(mac.finalize().into_bytes().into())
}

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Whether a PostgreSQL URL carries a password (`user:password@` or a
/// `password=` parameter).
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let in_userinfo = authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    in_userinfo
        || url
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("password=")))
}

/// How to open the PostgreSQL database of `cli`: its CA file, and its
/// password from `--database-password-file`, else `config_password` (the
/// configuration's `database_password_file`), else (when the URL has none
/// either) libpq's password file. Warns when the password is on the
/// command line, where `ps` shows it to every local user.
///
/// # Errors
/// A password file that cannot be read, is not private or is empty.
pub(crate) fn postgres_options(
    cli: &Cli,
    config_password: Option<kms_store_postgres::Password>,
) -> Result<PostgresStoreOptions, StartError> {
    if let Some(url) = &cli.database {
        let on_command_line = std::env::args_os()
            .any(|a| a == "--database" || a.to_string_lossy().starts_with("--database="));
        if on_command_line && url_has_password(url) {
            tracing::warn!(
                "the PostgreSQL password is in --database on the command line, where every \
                 local user can read it (ps); set KMS_DATABASE_URL instead, or give the password \
                 in --database-password-file or ~/.pgpass"
            );
        }
    }
    let password = match &cli.database_password_file {
        Some(path) => Some(crate::config::read_database_password(path)?),
        None => config_password,
    };
    Ok(PostgresStoreOptions {
        ca_file: cli.database_ca.clone(),
        password,
        ..PostgresStoreOptions::default()
    })
}

/// A startup failure, reported on stderr with exit status 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Root key.
    #[error(transparent)]
    RootKey(#[from] crate::root::RootSecretError),
    /// Database.
    #[error("database: {0}")]
    Store(#[from] kms_store_sqlite::Error),
    /// PostgreSQL database.
    #[error("database: {0}")]
    Postgres(#[from] kms_store_postgres::Error),
    /// `--database` is not a PostgreSQL URL.
    #[error("--database: expected a postgres:// or postgresql:// URL")]
    DatabaseUrl,
    /// `--database` without a root key shared by the replicas.
    #[error(
        "--database postgres://...: the replicas must share one root key; set KMS_ROOT_KEY \
         (64 hex digits) or put it in {0} (it is never generated in this mode)"
    )]
    SharedRootKeyMissing(PathBuf),
    /// The database was set up by replicas with another root key.
    #[error(
        "--database postgres://...: this root key is not the one the database's other \
         replicas use (fingerprint mismatch); start every replica with the same KMS_ROOT_KEY \
         or root.key"
    )]
    RootKeyMismatch,
    /// The SQLite database records another root key.
    #[error(
        "this root key is not the one the database was written under (fingerprint mismatch, or \
         it does not open the stored keys); after `rotate-root`, start with the new root key"
    )]
    RootKeyNotRecorded,
    /// A root-key rotation was begun and not finished.
    #[error(
        "a root-key rotation is under way: finish it with `kms-server rotate-root --new-key FILE` \
         (server stopped), or serve meanwhile with the new root key as KMS_ROOT_KEY or root.key \
         and the old one as --previous-root-key FILE"
    )]
    RotationUnderWay,
    /// Root-key rotation failed (a rerun resumes it).
    #[error("rotate-root: {0}")]
    Rotation(String),
    /// A SQLite-only subcommand with another storage.
    #[error("{what} works on the SQLite data directory only: {hint}")]
    SqliteOnly {
        /// The subcommand.
        what: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// The seed file.
    #[error(transparent)]
    Seed(#[from] crate::seed::SeedFileError),
    /// Ports.
    #[error(transparent)]
    Backend(#[from] kms_core::ports::PortError),
    /// The TLS certificate or key.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// Files, sockets.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::url_has_password;

    #[test]
    fn a_password_in_the_url_is_recognised() {
        for url in [
            "postgres://kms:secret@db:5432/kms",
            "postgresql://kms:s%40cret@db/kms",
            "postgres://kms:@db/kms",
            "postgres://kms@db/kms?sslmode=require&password=secret",
        ] {
            assert!(url_has_password(url), "{url}");
        }
        for url in [
            "postgres://kms@db:5432/kms",
            "postgres://db/kms",
            "postgres://kms@db/kms?sslmode=verify-full&sslrootcert=/a:b@c",
            "postgres://kms@[::1]:5432/kms",
        ] {
            assert!(!url_has_password(url), "{url}");
        }
    }
}
