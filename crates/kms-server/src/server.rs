//! Startup: flags, configuration (generated on first start), root key,
//! storage, listener, graceful shutdown.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use kms_core::{CoreConfig, Kms};
use kms_store_postgres::{PostgresStore, PostgresStoreOptions};
use kms_store_sqlite::SqliteStore;

use crate::adapters::{self, Storage};
use crate::config::{CONFIG_FILE, Config};
use crate::http::{AppState, router};
use crate::iam::{Iam, IssuedTokens};
use crate::metrics::{Metrics, MetricsSettings};
use crate::root::{ROOT_KEY_ENV, RootSecret, RootSource};
use crate::tls::{ReloadableTls, TlsFiles};

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "kms.db";

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
    #[arg(long, env = crate::ops::PREVIOUS_ROOT_KEY_ENV)]
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
fn is_postgres_url(url: &str) -> bool {
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

/// A configured server, not yet listening.
#[derive(Debug)]
pub struct Prepared {
    /// The configuration in effect (after flags).
    pub config: Config,
    /// The router.
    pub app: axum::Router,
    /// Whether the configuration was generated now.
    pub generated_config: Option<PathBuf>,
    /// The generated development user's password, to show once.
    pub development_password: Option<crate::iam::Password>,
    /// The certificate the listener serves, when it speaks TLS.
    tls: Option<Arc<ReloadableTls>>,
    /// Timeouts, the connection cap and the shutdown deadline.
    connections: crate::serve::ConnectionPolicy,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> StartError {
    let context = context.into();
    move |source| StartError::Io { context, source }
}

fn create_data_dir(dir: &Path) -> Result<(), StartError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(io(format!("creating {}", dir.display())))
}

/// File name of the development HSM cluster's CA certificate.
pub(crate) const DEV_CA_FILE: &str = "hsm-ca.pem";
/// Id of the development HSM cluster.
pub(crate) const DEV_CLUSTER_ID: &str = "hsm_cluster_id";

/// A development Dedicated HSM cluster, `hsm_cluster_id` as in the API's
/// own example, with a freshly generated CA certificate written beside the
/// configuration (its private key is discarded: nothing signs with it).
fn dev_cluster(
    config_path: &Path,
    domain_id: String,
) -> Result<crate::config::ClusterConfig, StartError> {
    let dir = config_path.parent().unwrap_or_else(|| Path::new("."));
    let ca_path = dir.join(DEV_CA_FILE);
    let pem = (|| {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kms-server development HSM CA");
        Ok::<_, rcgen::Error>(params.self_signed(&key)?.pem())
    })()
    .map_err(|e| StartError::Io {
        context: "generating the development HSM CA".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    fs::write(&ca_path, pem).map_err(io(format!("writing {}", ca_path.display())))?;
    Ok(crate::config::ClusterConfig {
        id: DEV_CLUSTER_ID.to_owned(),
        cluster_type: "DHSM".to_owned(),
        domain_id,
        ca_cert: Some(PathBuf::from(DEV_CA_FILE)),
    })
}

/// Reads flags and files and builds the router.
///
/// # Errors
/// Any configuration, root-key or database problem.
pub fn prepare(cli: &Cli) -> Result<Prepared, StartError> {
    create_data_dir(&cli.data_dir)?;
    let (config_path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (cli.data_dir.join(CONFIG_FILE), false),
    };
    let mut generated_config = None;
    let mut development_password = None;
    if !explicit && !config_path.exists() {
        let mut dev = Config::development()?;
        if let Some(domain_id) = dev.tokens.first().map(|t| t.domain_id.clone()) {
            dev.clusters.push(dev_cluster(&config_path, domain_id)?);
        }
        let password = dev.add_development_user()?;
        dev.write_new_development(&config_path, Some(&password))?;
        development_password = Some(password);
        generated_config = Some(config_path.clone());
    }
    let mut config = Config::load(&config_path)?;
    if let Some(l) = &cli.listen {
        config.listen.clone_from(l);
    }
    config.listen_addr()?;
    let base = config_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    // TLS: the flags' files (relative to the working directory), else the
    // configuration's (relative to its file). The configuration in effect
    // names the files used, so that what derives from it (the IAM front's
    // default https:// URL) sees TLS.
    let tls_files = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => config.tls_files(&base)?,
    };
    if let Some(f) = &tls_files {
        config.tls_cert = Some(f.cert.clone());
        config.tls_key = Some(f.key.clone());
    }
    // Loaded now, so that bad files stop the start before anything else.
    let tls_config = tls_files
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()?;
    let metrics_token = config.metrics_token()?;
    let connections = config.connections.policy()?;
    config.limits.check()?;
    let clusters = config.cluster_infos(&base)?;
    let hsm_clusters = config.pkcs11_clusters(&base)?;
    let national = config.national_keystore_ids()?;
    // The seed file is read (and refused if malformed) before storage is
    // touched, and applied once the core is up.
    let seed = match (&cli.seed, &config.seed) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(s)) => Some(base.join(&s.path)),
        (None, None) => None,
    }
    .map(|path| crate::seed::SeedFile::load(&path).map(|seed| (path, seed)))
    .transpose()?;
    // Tokens issued by the IAM front: the API accepts the project-scoped
    // ones as it accepts configured tokens.
    let issued = Arc::new(IssuedTokens::default());
    let auth = config
        .authenticator()?
        .with_issued_tokens(Arc::clone(&issued));
    let iam = Iam::from_config(&config, issued)?;
    if config.credentials.is_empty() && config.tokens.is_empty() && config.users.is_empty() {
        tracing::warn!("no credentials configured: every request will get 401");
    }

    let env_key = std::env::var(ROOT_KEY_ENV).ok();
    let (storage, secret, source) = if cli.in_memory {
        let (secret, source) = match env_key.as_deref() {
            Some(v) => (RootSecret::from_hex(v, ROOT_KEY_ENV)?, RootSource::Env),
            None => (RootSecret::generate()?, RootSource::Ephemeral),
        };
        (Storage::Memory, secret, source)
    } else if let Some(url) = &cli.database {
        if !is_postgres_url(url) {
            return Err(StartError::DatabaseUrl);
        }
        let key_file = cli.data_dir.join(crate::root::ROOT_KEY_FILE);
        if env_key.is_none() && !key_file.exists() {
            return Err(StartError::SharedRootKeyMissing(key_file));
        }
        let (secret, source) = RootSecret::load_or_create(env_key.as_deref(), &cli.data_dir, None)?;
        let options = postgres_options(cli, config.database_password(&base)?)?;
        let store = PostgresStore::connect_with(url, &options)?;
        // Under way, a root-key rotation is checked with both keys below.
        if kms_core::ports::RootRotationStore::root_key_state(&store)?
            .rotation
            .is_none()
            && !store.check_root_key_fingerprint(&root_key_fingerprint(&secret)?)?
        {
            return Err(StartError::RootKeyMismatch);
        }
        (Storage::Postgres(store), secret, source)
    } else {
        let db = cli.data_dir.join(DATABASE_FILE);
        let (secret, source) =
            RootSecret::load_or_create(env_key.as_deref(), &cli.data_dir, Some(&db))?;
        (Storage::Sqlite(SqliteStore::open(&db)?), secret, source)
    };
    let previous = cli
        .previous_root_key
        .as_deref()
        .map(RootSecret::from_file)
        .transpose()?;
    let probe = hsm_clusters.is_empty();
    if !national.is_empty() {
        tracing::info!(keystores = ?national, "national (SM) software roots");
    }
    let root_keys: Arc<dyn kms_core::ports::RootKeyProvider> = match &storage {
        Storage::Sqlite(s) => {
            crate::ops::stored_root_keys(s, &secret, previous.as_ref(), probe, &national)?
        }
        Storage::Postgres(s) => {
            crate::ops::stored_root_keys(s, &secret, previous.as_ref(), probe, &national)?
        }
        Storage::Memory => Arc::new(
            kms_core::software::SoftwareRootKeys::new(secret.expose())?
                .with_national_keystores(national.iter().cloned()),
        ),
    };
    drop(previous);
    let legacy_store = match &storage {
        Storage::Sqlite(s) => Some(s.clone()),
        Storage::Postgres(_) | Storage::Memory => None,
    };
    match &source {
        RootSource::Env => tracing::info!("root key from {ROOT_KEY_ENV}"),
        RootSource::File(p) => tracing::info!(path = %p.display(), "root key loaded"),
        RootSource::Generated(p) => tracing::warn!(
            path = %p.display(),
            "root key generated: back this file up; losing it loses every key"
        ),
        RootSource::Ephemeral => tracing::info!("in-memory mode: ephemeral root key"),
    }
    match &storage {
        Storage::Sqlite(s) => tracing::info!(db = %s.path().display(), "SQLite storage"),
        Storage::Postgres(s) => tracing::info!(db = s.target(), "PostgreSQL storage"),
        Storage::Memory => tracing::warn!("in-memory storage: nothing survives a restart"),
    }
    let database: Option<crate::metrics::DatabaseFailures> = match &storage {
        Storage::Sqlite(_) => Some(("sqlite", kms_store_sqlite::failure_count)),
        Storage::Postgres(_) => Some(("postgres", kms_store_postgres::failure_count)),
        Storage::Memory => None,
    };
    let metrics = Arc::new(Metrics::new(MetricsSettings {
        token: metrics_token,
        projects: config.project_ids(),
        database,
        hsm: !hsm_clusters.is_empty(),
        tls: tls_files.is_some(),
    }));
    let tls = tls_files
        .zip(tls_config)
        .map(|(files, config)| Arc::new(ReloadableTls::new(files, config, Arc::clone(&metrics))));
    // Calls that can stall on a network or a device stay off the async
    // workers, so the request timeout and /health keep working.
    let off_workers = matches!(storage, Storage::Postgres(_)) || !hsm_clusters.is_empty();
    let ports = adapters::with_hsm_clusters(
        adapters::ports_with(storage, root_keys, clusters)?,
        hsm_clusters,
    )?;
    drop(secret);
    let kms = Arc::new(Kms::new(ports, {
        let d = CoreConfig::default();
        CoreConfig {
            region_id: config.region_id.clone(),
            max_keys_per_project: config
                .limits
                .keys_per_project
                .unwrap_or(d.max_keys_per_project),
            max_versions_per_key: config
                .limits
                .versions_per_key
                .unwrap_or(d.max_versions_per_key),
            ..d
        }
    }));
    if let Some(store) = legacy_store {
        // Schema-1 databases stored certificate private keys in clear.
        let sealed = store.seal_legacy_private_keys(|project, id, pem| {
            kms.seal_certificate_private_key(project, id, pem)
                .map(|sealed| sealed.into_bytes())
        })?;
        if sealed > 0 {
            tracing::warn!(
                count = sealed,
                "sealed certificate private keys that an earlier version stored in clear"
            );
        }
    }
    if let Some((path, seed)) = &seed {
        seed.apply(&kms, &config, path)?;
    }
    let state = AppState::new(
        kms,
        auth,
        config.body_limit_bytes,
        Duration::from_millis(config.request_timeout_ms),
    )
    .with_iam(iam)
    .with_metrics(metrics);
    let state = match config.unauthenticated_body_bytes {
        Some(bytes) => state.with_unauthenticated_body_budget(bytes),
        None => state,
    };
    let state = if off_workers {
        state.with_storage_off_workers()
    } else {
        state
    };
    let limits = &config.limits;
    let state = match limits.blocking_slots {
        Some(n) => state.with_blocking_limit(n),
        None => state,
    };
    let state = match limits.blocking_slots_per_project {
        Some(n) => state.with_per_project_blocking_limit(n),
        None => state,
    };
    let state = match limits.requests_per_second_per_project {
        Some(rate) => {
            state.with_project_rate_limit(rate, limits.request_burst_per_project.unwrap_or(rate))
        }
        None => state,
    };
    Ok(Prepared {
        app: router(state),
        config,
        generated_config,
        development_password,
        tls,
        connections,
    })
}

/// `text` quoted for a POSIX shell (single quotes).
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Prints, once, how to call a freshly generated development setup (and
/// log in as its development user, when there is one). The credentials
/// are not printed (stdout is often a log that others read): the text
/// says where in the configuration file (mode 0600) they are, and its
/// commands read them from there.
pub fn print_first_start(
    config: &Config,
    path: &Path,
    addr: SocketAddr,
    password: Option<&crate::iam::Password>,
) {
    let (Some(token), Some(_)) = (config.tokens.first(), config.credentials.first()) else {
        return;
    };
    let p = &token.project_id;
    let scheme = if config.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{addr}");
    let ca = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(DEV_CA_FILE)
        .display()
        .to_string();
    let file = path.display().to_string();
    let q = sh_quote(&file);
    let py_path = format!("{file:?}");
    println!(
        "\nkms-server: first start. A development configuration was written to {file}\n\
(mode 0600: only its owner can read it). It holds this setup's credentials, which are\n\
not printed here: the token is `token` under [[tokens]], the AK/SK `access_key` and\n\
`secret_key` under [[credentials]]{dev}. This message is printed only once.\n\n\
  project_id: {p}\n\n\
Create a key and a data key with curl (the first line reads the token from the file):\n\n\
  TOKEN=$(sed -n 's/^token = \"\\(.*\\)\"$/\\1/p' {q} | head -n 1)\n\n\
  curl -s -X POST {url}/v1.0/{p}/kms/create-key \\\n    -H \"X-Auth-Token: $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{{\"key_alias\":\"demo-key\"}}'\n\n\
  curl -s -X POST {url}/v1.0/{p}/kms/create-datakey-without-plaintext \\\n    -H \"X-Auth-Token: $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{{\"key_id\":\"<key_id from above>\",\"datakey_length\":\"256\"}}'\n\n\
Create a dedicated keystore on the development HSM cluster (its CA certificate is {ca}):\n\n\
  curl -s -X POST {url}/v1.0/{p}/keystores \\\n    -H \"X-Auth-Token: $TOKEN\" -H 'Content-Type: application/json' \\\n    -d \"{{\\\"keystore_alias\\\":\\\"keystore_alia1\\\",\\\"hsm_cluster_id\\\":\\\"{DEV_CLUSTER_ID}\\\",\\\"hsm_ca_cert\\\":\\\"$(awk '{{printf \"%s\\\\n\", $0}}' {ca})\\\"}}\"\n\n\
Or with the official Python SDK (pip install huaweicloudsdkkms; Python 3.11+ for tomllib):\n\n\
  import tomllib\n\
  from huaweicloudsdkcore.auth.credentials import BasicCredentials\n\
  from huaweicloudsdkkms.v2 import KmsClient, CreateKeyRequest, CreateKeyRequestBody\n\
  cred = tomllib.load(open({py_path}, \"rb\"))[\"credentials\"][0]\n\
  client = (KmsClient.new_builder()\n\
            .with_credentials(BasicCredentials(cred[\"access_key\"], cred[\"secret_key\"], \"{p}\"))\n\
            .with_endpoints([\"{url}\"]).build())\n\
  print(client.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias=\"sdk-key\"))))\n",
        dev = if password.is_some() {
            ", the development user's password on its `# kms-dev password:` line"
        } else {
            ""
        },
    );
    if password.is_some() {
        let user = crate::config::DEV_USER;
        let region = &config.region_id;
        let prefix = crate::config::DEV_PASSWORD_LINE;
        println!(
            "\nOr log in to the IAM (Keystone v3) front, as Terraform's huaweicloud provider or \
an OpenStack client does (auth_url {url}/v3, user {user}, domain {user}, project {region}; \
the password is on the `{prefix}` line of the configuration file):\n\n\
  PASSWORD=$(sed -n 's/^{prefix}//p' {q})\n\n\
  curl -si -X POST {url}/v3/auth/tokens -H 'Content-Type: application/json' \\\n    \
-d \"{{\\\"auth\\\":{{\\\"identity\\\":{{\\\"methods\\\":[\\\"password\\\"],\\\"password\\\":{{\\\"user\\\":{{\\\"name\\\":\\\"{user}\\\",\
\\\"password\\\":\\\"$PASSWORD\\\",\\\"domain\\\":{{\\\"name\\\":\\\"{user}\\\"}}}}}}}},\\\"scope\\\":{{\\\"project\\\":{{\\\"name\\\":\\\"{region}\\\"}}}}}}}}\"\n\n\
The token is the X-Subject-Token response header; use it as X-Auth-Token under /v1.0/{p}/.\n",
        );
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// Binds, prints the first-start help if the configuration was just
/// generated, and serves until SIGINT/SIGTERM.
///
/// # Errors
/// Cannot bind or the server fails.
pub async fn run(cli: Cli) -> Result<(), StartError> {
    match &cli.command {
        Some(Command::HashPassword) => {
            let password = crate::iam::Password::read_from(std::io::stdin().lock())
                .map_err(io("reading the password from stdin"))?;
            println!("{}", crate::iam::hash_password(&password)?);
            return Ok(());
        }
        Some(Command::Backup { out }) => return crate::ops::backup(&cli, out),
        Some(Command::Restore { from, force }) => return crate::ops::restore(&cli, from, *force),
        Some(Command::RotateRoot {
            new_key,
            batch_size,
            pause_ms,
        }) => {
            return crate::ops::rotate_root(
                &cli,
                new_key,
                *batch_size,
                Duration::from_millis(*pause_ms),
            );
        }
        None => {}
    }
    let prepared = prepare(&cli)?;
    let listener = tokio::net::TcpListener::bind(&prepared.config.listen)
        .await
        .map_err(io(format!("binding {}", prepared.config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(io("reading the bound address"))?;
    if let Some(path) = &prepared.generated_config {
        print_first_start(
            &prepared.config,
            path,
            addr,
            prepared.development_password.as_ref(),
        );
    }
    if let Some(tls) = &prepared.tls {
        crate::tls::reload_on_sighup(Arc::clone(tls))
            .map_err(io("installing the SIGHUP handler"))?;
    }
    let policy = &prepared.connections;
    tracing::info!(
        %addr,
        tls = prepared.tls.is_some(),
        max_connections = policy.max_connections,
        header_read_timeout_ms = u64::try_from(policy.header_read_timeout.as_millis()).unwrap_or(u64::MAX),
        idle_timeout_ms = u64::try_from(policy.idle_timeout.as_millis()).unwrap_or(u64::MAX),
        shutdown_grace_ms = u64::try_from(policy.shutdown_grace.as_millis()).unwrap_or(u64::MAX),
        "listening"
    );
    crate::serve::serve(
        listener,
        prepared.app,
        prepared.tls,
        policy,
        shutdown_signal(),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
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
