//! Startup: flags, configuration (generated on first start), root key,
//! storage, listener, graceful shutdown.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kms_core::{CoreConfig, Kms};
use kms_store_postgres::PostgresStore;
use kms_store_sqlite::SqliteStore;

use crate::adapters::{self, Storage};
use crate::cli::{
    Cli, Command, DATABASE_FILE, StartError, is_postgres_url, postgres_options,
    root_key_fingerprint,
};
use crate::config::{CONFIG_FILE, Config};
use crate::http::{AppState, router};
use crate::iam::{Iam, IssuedTokens};
use crate::metrics::{Metrics, MetricsSettings};
use crate::root::{ROOT_KEY_ENV, RootSecret, RootSource};
use crate::tls::{ReloadableTls, TlsFiles};

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
    pub development_password: Option<crate::config::Password>,
    /// The certificate the listener serves, when it speaks TLS.
    tls: Option<Arc<ReloadableTls>>,
    /// Timeouts, the connection cap and the shutdown deadline.
    connections: crate::serve::ConnectionPolicy,
    /// The core and how often to look for keys due for automatic rotation
    /// (`None`: never, `rotation_check_secs = 0`).
    rotation: Option<(Arc<Kms>, Duration)>,
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
    let core_regions = config.core_regions()?;
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
            max_grants_per_key: config.limits.grants_per_key.unwrap_or(d.max_grants_per_key),
            regions: core_regions,
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
    let rotation = match config
        .rotation_check_secs
        .unwrap_or(DEFAULT_ROTATION_CHECK_SECS)
    {
        0 => None,
        secs => Some((Arc::clone(&kms), Duration::from_secs(secs))),
    };
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
        rotation,
    })
}

/// How often the server looks for keys due for automatic rotation, by
/// default: the shortest interval is 30 days, so an hour late is nothing.
const DEFAULT_ROTATION_CHECK_SECS: u64 = 3600;

/// Keys rotated per sweep at most; the rest wait for the next one (a sweep
/// that rotated this many looks again at once).
const ROTATION_BATCH: u64 = 500;

/// Rotates the keys whose interval has passed, now and every `every`:
/// [`Kms::rotate_due`] on the blocking pool (it reads and writes storage).
/// On several replicas each sweeps; a key is rotated once.
async fn sweep_rotations(kms: Arc<Kms>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let k = Arc::clone(&kms);
            match tokio::task::spawn_blocking(move || k.rotate_due(ROTATION_BATCH)).await {
                Ok(Ok(sweep)) => {
                    for (key_id, version) in &sweep.rotated {
                        tracing::info!(%key_id, version, "key rotated on schedule");
                    }
                    for (key_id, error) in &sweep.failed {
                        tracing::warn!(%key_id, code = error.code().as_str(), %error, "scheduled key rotation failed; retried at the next check");
                    }
                    if (sweep.rotated.len() as u64) < ROTATION_BATCH {
                        break;
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "looking for keys due for rotation failed; retried at the next check");
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "the rotation sweep stopped");
                    break;
                }
            }
        }
    }
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
pub(crate) fn print_first_start(
    config: &Config,
    path: &Path,
    addr: SocketAddr,
    password: Option<&crate::config::Password>,
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
pub(crate) async fn shutdown_signal() {
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
            let password = crate::config::Password::read_from(std::io::stdin().lock())
                .map_err(io("reading the password from stdin"))?;
            println!("{}", crate::config::hash_password(&password)?);
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
    if let Some((kms, every)) = prepared.rotation.clone() {
        tokio::spawn(sweep_rotations(kms, every));
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
