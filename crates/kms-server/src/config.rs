//! Configuration: a TOML file, overridden by command-line flags.

use std::fmt;
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use argon2::{Argon2, PasswordHasher};
use kms_core::ports::ClusterInfo;
use kms_model::KeystoreType;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A password, zeroized on drop; `Debug` never shows it.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    #[must_use]
    pub fn new(password: String) -> Self {
        Self(Zeroizing::new(password))
    }

    /// The password's text.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a password from `input`: everything up to the end, less one
    /// trailing line break (`\n` or `\r\n`).
    ///
    /// # Errors
    /// Unreadable or not UTF-8, or empty.
    pub fn read_from(mut input: impl std::io::Read) -> std::io::Result<Self> {
        let mut text = Zeroizing::new(String::new());
        input.read_to_string(&mut text)?;
        let len = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .map_or(text.len(), str::len);
        text.truncate(len);
        if text.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "empty password",
            ));
        }
        Ok(Self(text))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Hashes `password` for a `[[users]]` entry: Argon2id (v19, the argon2
/// crate's default costs: 19 MiB, 2 passes, 1 lane) under a random salt,
/// as a PHC string.
///
/// # Errors
/// The OS random source or the hash failed.
pub fn hash_password(password: &Password) -> Result<String, ConfigError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| ConfigError::Invalid(format!("OS random source failed: {e}")))?;
    Argon2::default()
        .hash_password_with_salt(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ConfigError::Invalid(format!("cannot hash the password: {e}")))
}

/// Default listen address.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Name of the configuration file inside the data directory.
pub(crate) const CONFIG_FILE: &str = "kms-server.toml";

/// A configuration problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown fields.
    #[error("{path}: {message}")]
    Parse {
        /// Which file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value is invalid.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The file holds secrets but others may read or write it.
    #[error(transparent)]
    Insecure(#[from] InsecureFile),
}

/// A file holding secrets (the configuration's SK and tokens, the root
/// key) that group or others may read or write. Refused, as OpenSSH refuses
/// such a private key: the fix is `chmod 600 <file>`.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path} holds secrets but its mode is {mode:04o}: group and others must have no access (chmod 600 {path})"
)]
pub struct InsecureFile {
    /// Which file.
    pub path: PathBuf,
    /// Its permission bits.
    pub mode: u32,
}

/// Reads a file that holds secrets, refusing it (on Unix) when group or
/// others have any permission on it. The check is on the opened file, so
/// it is the file that was read.
///
/// # Errors
/// The file cannot be read, is not UTF-8, or is [`InsecureFile`].
pub(crate) fn read_secret_file(path: &Path) -> Result<zeroize::Zeroizing<String>, ConfigError> {
    let (text, mode) = read_private_text(path)?;
    refuse_insecure(path, mode)?;
    Ok(text)
}

/// Reads a text file that may hold secrets (zeroized on drop), with the
/// permission bits of the opened file (`None` where there are none), for
/// a caller that decides from its content whether they matter.
///
/// # Errors
/// The file cannot be read or is not UTF-8.
pub(crate) fn read_private_text(
    path: &Path,
) -> Result<(zeroize::Zeroizing<String>, Option<u32>), ConfigError> {
    use std::io::Read;
    let io = |source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs::File::open(path).map_err(io)?;
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        Some(f.metadata().map_err(io)?.permissions().mode() & 0o7777)
    };
    #[cfg(not(unix))]
    let mode = None;
    let mut text = zeroize::Zeroizing::new(String::new());
    f.read_to_string(&mut text).map_err(io)?;
    Ok((text, mode))
}

/// A PostgreSQL password file: its text, less one trailing line break.
///
/// # Errors
/// The file cannot be read, is [`InsecureFile`], or holds no password.
pub(crate) fn read_database_password(
    path: &Path,
) -> Result<kms_store_postgres::Password, ConfigError> {
    let text = read_secret_file(path)?;
    let line = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
    if line.is_empty() {
        return Err(ConfigError::Invalid(format!(
            "{}: the database password file is empty",
            path.display()
        )));
    }
    Ok(kms_store_postgres::Password::new(line))
}

/// [`InsecureFile`] when `mode` gives group or others any permission.
///
/// # Errors
/// As said.
pub(crate) fn refuse_insecure(path: &Path, mode: Option<u32>) -> Result<(), InsecureFile> {
    match mode {
        Some(mode) if mode & 0o077 != 0 => Err(InsecureFile {
            path: path.to_path_buf(),
            mode,
        }),
        _ => Ok(()),
    }
}

/// A secret string of the configuration, kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps `text`.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One AK/SK pair.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Access key id.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
    /// Account (domain) the key acts for.
    pub domain_id: String,
    /// Project the key acts for.
    pub project_id: String,
    /// The user the key acts as (optional): what a grant of type `user`
    /// and a grant's `retiring_principal` name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The project's name as the IAM front reports it (`GET
    /// /v3/projects?name=`); default: a name given to the same project
    /// elsewhere in this file, else `region_id` (a region's own project is
    /// named after the region, and clients look it up by that name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The account's name as the IAM front reports it; default: a name
    /// given to the same domain elsewhere in this file, else its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
}

impl fmt::Debug for CredentialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialConfig")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("domain_id", &self.domain_id)
            .field("project_id", &self.project_id)
            .field("user_id", &self.user_id)
            .field("project_name", &self.project_name)
            .field("domain_name", &self.domain_name)
            .finish()
    }
}

/// One static `X-Auth-Token`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The token.
    pub token: String,
    /// Account (domain) the token acts for.
    pub domain_id: String,
    /// Project the token acts for.
    pub project_id: String,
    /// The user the token acts as (optional), as for
    /// [`CredentialConfig::user_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The project's name as the IAM front reports it (as for
    /// [`CredentialConfig::project_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// The account's name as the IAM front reports it (as for
    /// [`CredentialConfig::domain_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field("token", &"<redacted>")
            .field("domain_id", &self.domain_id)
            .field("project_id", &self.project_id)
            .field("user_id", &self.user_id)
            .field("project_name", &self.project_name)
            .field("domain_name", &self.domain_name)
            .finish()
    }
}

/// A user of the IAM front: logs in with a password (`POST
/// /v3/auth/tokens`) for a token scoped to one of its projects or to its
/// account. The password is stored only as an Argon2id hash
/// (`kms-server hash-password` makes one).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// User name (unique within its domain).
    pub name: String,
    /// User id (unique).
    pub id: String,
    /// Account (domain) id.
    pub domain_id: String,
    /// Account (domain) name.
    pub domain_name: String,
    /// The password's Argon2 hash, a PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
    /// The projects the user may scope a token to (in its domain).
    #[serde(default)]
    pub projects: Vec<UserProjectConfig>,
}

impl fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("id", &self.id)
            .field("domain_id", &self.domain_id)
            .field("domain_name", &self.domain_name)
            .field("password_hash", &"<redacted>")
            .field("projects", &self.projects)
            .finish()
    }
}

/// A project a [`UserConfig`] may scope to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserProjectConfig {
    /// Project id (what KMS paths carry: `/v1.0/{project_id}/...`).
    pub id: String,
    /// Project name; default as for [`CredentialConfig::project_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An HSM (or CDMS) cluster a tenant may build a dedicated keystore on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Cluster id (what `hsm_cluster_id` / `cluster_id` name).
    pub id: String,
    /// `DHSM` (or `1`) / `CDMS` (or `2`).
    #[serde(rename = "type", default = "default_cluster_type")]
    pub cluster_type: String,
    /// Owning domain.
    pub domain_id: String,
    /// PEM file of the cluster's CA certificate (relative paths are
    /// relative to the configuration file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

fn default_cluster_type() -> String {
    "DHSM".to_owned()
}

/// The PKCS#11 token behind a configured `DHSM` cluster: dedicated
/// keystores created on that cluster keep their root keys on the token.
/// The PIN comes from an environment variable or a file (mode 0600), never
/// from this file, and is never logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HsmClusterConfig {
    /// Id of the `[[clusters]]` entry (type `DHSM`) this token backs.
    pub id: String,
    /// Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// Label of the token.
    pub token_label: String,
    /// Environment variable holding the user PIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_env: Option<String>,
    /// File holding the user PIN (relative to the configuration file;
    /// refused unless only its owner can read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_file: Option<PathBuf>,
    /// Logged-in sessions kept open (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<usize>,
}

impl HsmClusterConfig {
    /// The cluster as the PKCS#11 provider takes it, its PIN read from
    /// `pin_env` or `pin_file` (relative to `base`).
    ///
    /// # Errors
    /// Not exactly one of `pin_env` and `pin_file`, the variable unset,
    /// the file unreadable or readable by others, an empty PIN.
    pub fn resolve(&self, base: &Path) -> Result<kms_hsm_pkcs11::Pkcs11ClusterConfig, ConfigError> {
        let invalid = |m: &str| ConfigError::Invalid(format!("hsm_clusters {}: {m}", self.id));
        let pin = match (&self.pin_env, &self.pin_file) {
            (Some(var), None) => {
                let v = zeroize::Zeroizing::new(
                    std::env::var(var)
                        .map_err(|_| invalid(&format!("the PIN variable {var} is not set")))?,
                );
                kms_hsm_pkcs11::HsmPin::new(&v)
            }
            (None, Some(file)) => kms_hsm_pkcs11::HsmPin::new(&read_secret_file(&base.join(file))?),
            _ => return Err(invalid("give exactly one of pin_env and pin_file")),
        };
        if self.token_label.is_empty() {
            return Err(invalid("empty token_label"));
        }
        let mut c = kms_hsm_pkcs11::Pkcs11ClusterConfig::new(
            &self.id,
            base.join(&self.module),
            &self.token_label,
            pin,
        );
        if let Some(n) = self.sessions {
            if n == 0 {
                return Err(invalid("sessions must be at least 1"));
            }
            c.max_sessions = n;
        }
        Ok(c)
    }
}

/// `[seed]`: a seed file applied at every start (`--seed` overrides it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedConfig {
    /// The seed file (relative paths are relative to the configuration
    /// file).
    pub path: PathBuf,
}

/// `[connections]`: how the listener treats connections. Every field is
/// optional; each field says its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionsConfig {
    /// Longest a client may take to send a request head (HTTP/1.1), the
    /// first byte of a connection in clear, or the next request on a
    /// kept-alive HTTP/1.1 connection, milliseconds (default 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_ms: Option<u64>,
    /// Longest any connection (HTTP/1.1 or HTTP/2) stays open with no
    /// request in flight, milliseconds (default 60000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// Longest a TLS handshake may take, milliseconds (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_handshake_timeout_ms: Option<u64>,
    /// Connections open at once; a connection over it is closed as soon as
    /// accepted, with a warning in the log (default: three quarters of the
    /// process's open-file limit, at most 65536; 1024 where it cannot be
    /// read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// After SIGTERM/SIGINT, how long requests in flight may take before
    /// the connections still open are cut, milliseconds (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_ms: Option<u64>,
}

/// Three quarters of the soft open-file limit (the rest for the database,
/// logs, the HSM module and the listener), at least 16 and at most 65536;
/// 1024 where the limit cannot be read (`/proc/self/limits`, Linux).
pub(crate) fn default_max_connections() -> usize {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| open_files_soft_limit(&text))
        .map_or(1024, |soft| (soft / 4 * 3).clamp(16, 65_536))
}

/// The soft limit of the "Max open files" line of `/proc/self/limits`.
fn open_files_soft_limit(limits: &str) -> Option<usize> {
    let rest = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// `[limits]`: how much of the server one project may take.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Operations on the blocking pool at once (writes, key generation,
    /// private-key operations), over all projects (default: twice the
    /// cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking_slots: Option<usize>,
    /// Of those, how many one project may hold (default: half, at least 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking_slots_per_project: Option<usize>,
    /// Requests a second one project may make; beyond it (after the
    /// burst), 429 `APIGW.0308` as API Gateway throttles (default: no
    /// limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_second_per_project: Option<u32>,
    /// Requests a project may make at once before the rate applies
    /// (default: one second's worth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_burst_per_project: Option<u32>,
    /// Keys one project may hold, pending deletion included; create-key
    /// beyond it answers KMS.1105 (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_per_project: Option<u64>,
    /// Versions one key may reach by rotation (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions_per_key: Option<u32>,
    /// Grants one key may carry; create-grant beyond it answers KMS.2404
    /// (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants_per_key: Option<u64>,
}

impl LimitsConfig {
    /// Checks the values.
    ///
    /// # Errors
    /// A zero where at least 1 is needed.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("blocking_slots", self.blocking_slots.map(|v| v as u64)),
            (
                "blocking_slots_per_project",
                self.blocking_slots_per_project.map(|v| v as u64),
            ),
            (
                "requests_per_second_per_project",
                self.requests_per_second_per_project.map(u64::from),
            ),
            (
                "request_burst_per_project",
                self.request_burst_per_project.map(u64::from),
            ),
            ("keys_per_project", self.keys_per_project),
            ("versions_per_key", self.versions_per_key.map(u64::from)),
            ("grants_per_key", self.grants_per_key),
        ] {
            if v == Some(0) {
                return Err(ConfigError::Invalid(format!(
                    "limits.{name} must be at least 1"
                )));
            }
        }
        Ok(())
    }
}

/// The whole configuration file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listen address.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Reported as `region_id`.
    #[serde(default = "default_region")]
    pub region_id: String,
    /// Largest accepted request body, bytes.
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: usize,
    /// Per-request timeout, milliseconds.
    #[serde(default = "default_timeout")]
    pub request_timeout_ms: u64,
    /// Bytes of request bodies buffered at once, over all connections, for
    /// requests not yet authenticated (signed requests, whose signature
    /// covers the body; default 16 MiB, at least `body_limit_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthenticated_body_bytes: Option<usize>,
    /// AK/SK pairs.
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
    /// Static tokens.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// HSM clusters.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
    /// PKCS#11 tokens behind some of the `DHSM` clusters (none: every root
    /// key is a software key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hsm_clusters: Vec<HsmClusterConfig>,
    /// The base URL clients reach this server at, as the IAM front's
    /// catalog and version links give it (default `http://<listen>`; set
    /// it when listening on `0.0.0.0` or behind a proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// Lifetime of the tokens the IAM front issues, seconds (default
    /// 86400, as Huawei IAM's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,
    /// Users of the IAM front (password login).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserConfig>,
    /// PEM certificate chain (leaf first) the listener serves: with
    /// `tls_key`, it speaks HTTPS only (TLS 1.2 and 1.3; HTTP/2 or
    /// HTTP/1.1 by ALPN). Relative to the configuration file; both files
    /// are read again on SIGHUP. `--tls-cert` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`'s leaf (PKCS#8, PKCS#1 or SEC1),
    /// refused unless only its owner may read it (mode 0600 or 0400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// A token (at least 16 characters) `GET /metrics` requires, as
    /// `Authorization: Bearer <token>`. Unset: `/metrics` answers whoever
    /// reaches the listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<SecretText>,
    /// A file holding the PostgreSQL password, for `--database` URLs
    /// without one (so it is in neither the URL nor the process list),
    /// relative to the configuration file; refused unless only its owner
    /// may read it (mode 0600 or 0400). `--database-password-file`
    /// overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_password_file: Option<PathBuf>,
    /// Keystores whose software root key is national (SM): KWP over SM4
    /// for their CMKs, SM4-suite PIN and key-pair blobs, HMAC-SM3 PIN
    /// verifiers (`docs/ciphertext-format.md`, "An all-SM keystore"). Set
    /// before a keystore holds keys: its existing keys do not unwrap
    /// under the other root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub national_keystores: Vec<String>,
    /// The seed file applied at start (keys, keystores, certificates with
    /// fixed ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedConfig>,
    /// Timeouts, the connection cap and the shutdown deadline.
    #[serde(default, skip_serializing_if = "is_default")]
    pub connections: ConnectionsConfig,
    /// What one project may take of the server.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: LimitsConfig,
    /// How often, in seconds, the server looks for keys whose automatic
    /// rotation is due and rotates them (default 3600; 0: never, for a
    /// replica that leaves it to the others or a host that drives
    /// `Kms::rotate_due` itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_check_secs: Option<u64>,
    /// Regions this server serves besides `region_id` (or `region_id`
    /// itself, to name its projects), each with the projects in it: where
    /// replicate-key may put a replica, what list-support-regions answers,
    /// and the region keys of those projects report. Each project must be
    /// given to some credential, token or user, whose domain it is of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionEntry>,
}

/// One `[[regions]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionEntry {
    /// Region id (`cn-south-1`).
    pub id: String,
    /// Its projects.
    #[serde(default)]
    pub projects: Vec<String>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn default_listen() -> String {
    DEFAULT_LISTEN.to_owned()
}
fn default_region() -> String {
    kms_core::CoreConfig::default().region_id
}
fn default_body_limit() -> usize {
    kms_model::MAX_BODY_BYTES
}
fn default_timeout() -> u64 {
    10_000
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            region_id: default_region(),
            body_limit_bytes: default_body_limit(),
            request_timeout_ms: default_timeout(),
            unauthenticated_body_bytes: None,
            credentials: Vec::new(),
            tokens: Vec::new(),
            clusters: Vec::new(),
            hsm_clusters: Vec::new(),
            external_url: None,
            token_lifetime_secs: None,
            users: Vec::new(),
            tls_cert: None,
            tls_key: None,
            metrics_token: None,
            database_password_file: None,
            national_keystores: Vec::new(),
            seed: None,
            connections: ConnectionsConfig::default(),
            limits: LimitsConfig::default(),
            rotation_check_secs: None,
            regions: Vec::new(),
        }
    }
}

impl Config {
    /// Parses TOML text.
    ///
    /// # Errors
    /// Not TOML, unknown fields, wrong types.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Reads a configuration file.
    ///
    /// # Errors
    /// Unreadable or invalid file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_secret_file(path)?;
        Self::from_toml(&text, path)
    }

    /// The PostgreSQL password of `database_password_file` (relative to
    /// `base`), if set.
    ///
    /// # Errors
    /// As [`read_database_password`].
    pub(crate) fn database_password(
        &self,
        base: &Path,
    ) -> Result<Option<kms_store_postgres::Password>, ConfigError> {
        self.database_password_file
            .as_ref()
            .map(|f| read_database_password(&base.join(f)))
            .transpose()
    }

    /// The `/metrics` bearer token, checked.
    ///
    /// # Errors
    /// A token shorter than 16 characters.
    pub(crate) fn metrics_token(&self) -> Result<Option<zeroize::Zeroizing<String>>, ConfigError> {
        match &self.metrics_token {
            None => Ok(None),
            Some(t) if t.expose().len() < 16 => Err(ConfigError::Invalid(
                "metrics_token must be at least 16 characters".into(),
            )),
            Some(t) => Ok(Some(zeroize::Zeroizing::new(t.expose().to_owned()))),
        }
    }

    /// Every project a configured credential, token or user acts for,
    /// sorted, once each.
    pub(crate) fn project_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .credentials
            .iter()
            .map(|c| c.project_id.clone())
            .chain(self.tokens.iter().map(|t| t.project_id.clone()))
            .chain(
                self.users
                    .iter()
                    .flat_map(|u| u.projects.iter().map(|p| p.id.clone())),
            )
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The `[[regions]]` as kms-core sees them: each project with the
    /// domain a credential, token or user gives it.
    ///
    /// # Errors
    /// A bad region id, a region or project given twice, a project no
    /// credential, token or user names.
    pub fn core_regions(&self) -> Result<Vec<kms_core::RegionConfig>, ConfigError> {
        let mut out: Vec<kms_core::RegionConfig> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.regions {
            kms_model::region_id("regions.id", &r.id)
                .map_err(|e| ConfigError::Invalid(format!("regions {:?}: {e}", r.id)))?;
            if out.iter().any(|o| o.region_id == r.id) {
                return Err(ConfigError::Invalid(format!(
                    "regions {}: configured twice",
                    r.id
                )));
            }
            let mut projects = Vec::new();
            for p in &r.projects {
                if seen.contains(&p.as_str()) {
                    return Err(ConfigError::Invalid(format!(
                        "regions {}: project {p} is in more than one region",
                        r.id
                    )));
                }
                seen.push(p);
                let domain = self
                    .credentials
                    .iter()
                    .find(|c| c.project_id == *p)
                    .map(|c| c.domain_id.clone())
                    .or_else(|| {
                        self.tokens
                            .iter()
                            .find(|t| t.project_id == *p)
                            .map(|t| t.domain_id.clone())
                    })
                    .or_else(|| {
                        self.users
                            .iter()
                            .find(|u| u.projects.iter().any(|up| up.id == *p))
                            .map(|u| u.domain_id.clone())
                    })
                    .ok_or_else(|| {
                        ConfigError::Invalid(format!(
                            "regions {}: project {p} is given to no credential, token or user",
                            r.id
                        ))
                    })?;
                projects.push(kms_core::ProjectRef {
                    project_id: p.clone(),
                    domain_id: domain,
                });
            }
            out.push(kms_core::RegionConfig {
                region_id: r.id.clone(),
                projects,
            });
        }
        Ok(out)
    }

    /// The listen address, parsed.
    ///
    /// # Errors
    /// Not `ip:port`.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("listen {:?}: {e}", self.listen)))
    }

    /// The clusters as kms-core sees them; CA files are read relative to
    /// `base` (the configuration file's directory).
    ///
    /// # Errors
    /// Unknown type, unreadable or invalid CA certificate.
    pub fn cluster_infos(&self, base: &Path) -> Result<Vec<ClusterInfo>, ConfigError> {
        self.clusters
            .iter()
            .map(|c| {
                let cluster_type = KeystoreType::parse(&c.cluster_type)
                    .ok()
                    .filter(|t| *t != KeystoreType::Default)
                    .ok_or_else(|| {
                        ConfigError::Invalid(format!("cluster {}: type must be DHSM or CDMS", c.id))
                    })?;
                let ca_fingerprint = match &c.ca_cert {
                    None => None,
                    Some(p) => {
                        let path = base.join(p);
                        let pem = fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                            path: path.clone(),
                            source,
                        })?;
                        let ca = cert_parse::check_ca_certificate(&pem).map_err(|e| {
                            ConfigError::Invalid(format!("{}: {e}", path.display()))
                        })?;
                        Some(ca.sha256_fingerprint())
                    }
                };
                Ok(ClusterInfo {
                    cluster_id: c.id.clone(),
                    domain_id: c.domain_id.clone(),
                    cluster_type,
                    ca_fingerprint,
                })
            })
            .collect()
    }

    /// The keystores with national (SM) software roots, each a valid
    /// keystore id (`"0"`, `"1"`, `"2"` or a dedicated keystore's id).
    ///
    /// # Errors
    /// An id that is not a keystore id.
    pub fn national_keystore_ids(&self) -> Result<Vec<String>, ConfigError> {
        self.national_keystores
            .iter()
            .map(|id| {
                kms_model::KeystoreRef::parse(id)
                    .map(|_| id.clone())
                    .map_err(|e| ConfigError::Invalid(format!("national_keystores {id:?}: {e}")))
            })
            .collect()
    }

    /// The PKCS#11 tokens, PINs read; each must back a configured `DHSM`
    /// cluster, once.
    ///
    /// # Errors
    /// An unknown or non-DHSM cluster, a cluster backed twice, a PIN problem.
    pub fn pkcs11_clusters(
        &self,
        base: &Path,
    ) -> Result<Vec<kms_hsm_pkcs11::Pkcs11ClusterConfig>, ConfigError> {
        let mut out: Vec<kms_hsm_pkcs11::Pkcs11ClusterConfig> = Vec::new();
        for h in &self.hsm_clusters {
            let dhsm = self.clusters.iter().any(|c| {
                c.id == h.id
                    && matches!(KeystoreType::parse(&c.cluster_type), Ok(KeystoreType::Dhsm))
            });
            if !dhsm {
                return Err(ConfigError::Invalid(format!(
                    "hsm_clusters {}: no [[clusters]] entry of type DHSM with this id",
                    h.id
                )));
            }
            if out.iter().any(|c| c.cluster_id == h.id) {
                return Err(ConfigError::Invalid(format!(
                    "hsm_clusters {}: configured twice",
                    h.id
                )));
            }
            out.push(h.resolve(base)?);
        }
        Ok(out)
    }

    /// A ready-to-use development configuration: one project, one AK/SK
    /// pair and one token, all random.
    ///
    /// # Errors
    /// The OS random source failed.
    pub fn development() -> Result<Self, ConfigError> {
        let domain_id = random_text(32, HEX)?;
        let project_id = random_text(32, HEX)?;
        Ok(Self {
            credentials: vec![CredentialConfig {
                access_key: random_text(20, UPPER_ALNUM)?,
                secret_key: random_text(40, ALNUM)?,
                domain_id: domain_id.clone(),
                project_id: project_id.clone(),
                user_id: None,
                project_name: None,
                domain_name: None,
            }],
            tokens: vec![TokenConfig {
                token: random_text(48, ALNUM)?,
                domain_id,
                project_id,
                user_id: None,
                project_name: None,
                domain_name: None,
            }],
            ..Self::default()
        })
    }

    /// Adds a development IAM user, `kms-dev` of domain `kms-dev` (the
    /// first AK/SK's domain), who may scope to that AK/SK's project, with a
    /// random password: returned, to be shown once (only its hash is kept).
    ///
    /// # Errors
    /// No AK/SK to take the domain from, or the OS random source failed.
    pub fn add_development_user(&mut self) -> Result<Password, ConfigError> {
        let Some(c) = self.credentials.first() else {
            return Err(ConfigError::Invalid(
                "a development user needs an AK/SK's domain".into(),
            ));
        };
        let password = Password::new(random_text(24, ALNUM)?);
        self.users.push(UserConfig {
            name: DEV_USER.to_owned(),
            id: random_text(32, HEX)?,
            domain_id: c.domain_id.clone(),
            domain_name: DEV_USER.to_owned(),
            password_hash: hash_password(&password)?,
            projects: vec![UserProjectConfig {
                id: c.project_id.clone(),
                name: None,
            }],
        });
        Ok(password)
    }

    /// Writes the configuration to `path` with mode 0600 (it holds secrets),
    /// failing if the file exists.
    ///
    /// # Errors
    /// The file exists or cannot be written.
    pub fn write_new(&self, path: &Path) -> Result<(), ConfigError> {
        self.write_new_development(path, None)
    }

    /// [`Self::write_new`], with the development user's password on a
    /// comment line (`# kms-dev password: ` and the password) of the file,
    /// the only place it is written (its hash is what the server uses).
    ///
    /// # Errors
    /// The file exists or cannot be written.
    pub fn write_new_development(
        &self,
        path: &Path,
        password: Option<&Password>,
    ) -> Result<(), ConfigError> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| ConfigError::Invalid(format!("cannot serialise config: {e}")))?;
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = create_private(path).map_err(io)?;
        f.write_all(b"# kms-server configuration (generated for development; holds secrets).\n")
            .map_err(io)?;
        if let Some(password) = password {
            let line = zeroize::Zeroizing::new(format!(
                "# The password of the development IAM user {DEV_USER} (only its hash, below, is used):\n\
                 {DEV_PASSWORD_LINE}{}\n",
                password.expose()
            ));
            f.write_all(line.as_bytes()).map_err(io)?;
        }
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)
    }
}

/// Creates a new file readable and writable by the owner only.
///
/// # Errors
/// The file exists or cannot be created.
pub(crate) fn create_private(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Name of the development IAM user, and of its domain.
pub(crate) const DEV_USER: &str = "kms-dev";

/// The start of the comment line of a generated configuration that holds
/// the development user's password.
pub(crate) const DEV_PASSWORD_LINE: &str = "# kms-dev password: ";

const HEX: &[u8] = b"0123456789abcdef";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_text(len: usize, alphabet: &[u8]) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(len);
    // Rejection sampling keeps the distribution uniform.
    let limit = 256 - (256 % alphabet.len());
    while out.len() < len {
        let mut buf = [0u8; 64];
        getrandom::fill(&mut buf)
            .map_err(|e| ConfigError::Invalid(format!("OS random source failed: {e}")))?;
        for b in buf {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % alphabet.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_open_file_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\n\
                    Max processes             95152                95152                processes\n\
                    Max open files            200                  524288               files\n";
        assert_eq!(open_files_soft_limit(text), Some(200));
        assert_eq!(
            open_files_soft_limit("Max open files  unlimited  unlimited files"),
            None
        );
        assert_eq!(open_files_soft_limit(""), None);
    }

    #[test]
    fn the_database_password_file_must_be_private_and_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "pa ss\r\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = read_database_password(&path).unwrap_err();
            assert!(e.to_string().contains("chmod 600"), "{e}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        }
        assert_eq!(read_database_password(&path).unwrap().expose(), "pa ss");
        let c =
            Config::from_toml("database_password_file = \"pw\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(
            c.database_password(dir.path()).unwrap().unwrap().expose(),
            "pa ss"
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(read_database_password(&empty).is_err());
    }

    #[test]
    fn development_config_round_trips_and_redacts() {
        let c = Config::development().unwrap();
        let text = toml::to_string_pretty(&c).unwrap();
        let back = Config::from_toml(&text, Path::new("x")).unwrap();
        assert_eq!(back, c);
        assert_eq!(c.listen, DEFAULT_LISTEN);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(&c.credentials[0].secret_key));
        assert!(!dbg.contains(&c.tokens[0].token));
        c.authenticator().unwrap();
    }

    #[test]
    fn tls_files_go_together_and_the_metrics_token_is_redacted() {
        let base = Path::new("/etc/kms");
        let c = Config::from_toml(
            "tls_cert = \"cert.pem\"\ntls_key = \"/keys/key.pem\"\nmetrics_token = \"scrape-0123456789abcdef\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let files = c.tls_files(base).unwrap().unwrap();
        assert_eq!(files.cert, Path::new("/etc/kms/cert.pem"));
        assert_eq!(files.key, Path::new("/keys/key.pem"));
        assert!(!format!("{c:?}").contains("scrape-0123456789abcdef"));
        assert_eq!(
            c.metrics_token().unwrap().unwrap().as_str(),
            "scrape-0123456789abcdef"
        );
        let only_cert = Config::from_toml("tls_cert = \"c.pem\"\n", Path::new("c.toml")).unwrap();
        assert!(only_cert.tls_files(base).is_err());
        let short = Config::from_toml("metrics_token = \"short\"\n", Path::new("c.toml")).unwrap();
        assert!(short.metrics_token().is_err());
        assert!(Config::default().tls_files(base).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_config_others_can_read_or_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        Config::development().unwrap().write_new(&path).unwrap();
        Config::load(&path).unwrap();
        for mode in [0o644, 0o660, 0o606] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = Config::load(&path).unwrap_err();
            assert!(matches!(err, ConfigError::Insecure(_)), "{mode:o}: {err}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        Config::load(&path).unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = Config::from_toml("lisen = \"x\"", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn national_keystores_are_keystore_ids() {
        let c = Config::from_toml(
            "national_keystores = [\"0\", \"1\", \"0d0466b0-e727-4d9c-b35d-f84bb474a37f\"]",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.national_keystore_ids().unwrap().len(), 3);
        let c = Config::from_toml(
            "national_keystores = [\"not a keystore\"]",
            Path::new("c.toml"),
        )
        .unwrap();
        assert!(c.national_keystore_ids().is_err());
        assert!(
            Config::default()
                .national_keystore_ids()
                .unwrap()
                .is_empty()
        );
    }

    fn hsm_config(extra: &str) -> Config {
        Config::from_toml(
            &format!(
                "[[clusters]]\nid = \"h1\"\ndomain_id = \"d\"\n\
                 [[clusters]]\nid = \"c1\"\ntype = \"CDMS\"\ndomain_id = \"d\"\n{extra}"
            ),
            Path::new("c.toml"),
        )
        .unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn hsm_clusters_read_their_pin_from_a_private_file_and_never_show_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pin = dir.path().join("pin");
        fs::write(&pin, "s3cret-pin\n").unwrap();
        fs::set_permissions(&pin, fs::Permissions::from_mode(0o600)).unwrap();
        let c = hsm_config(
            "[[hsm_clusters]]\nid = \"h1\"\nmodule = \"/m.so\"\ntoken_label = \"t\"\npin_file = \"pin\"\nsessions = 3\n",
        );
        let resolved = c.pkcs11_clusters(dir.path()).unwrap();
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].max_sessions, 3);
        assert_eq!(resolved[0].token_label, "t");
        let dbg = format!("{resolved:?}");
        assert!(!dbg.contains("s3cret"), "{dbg}");
        assert!(dbg.contains("<redacted>"), "{dbg}");
        fs::set_permissions(&pin, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            c.pkcs11_clusters(dir.path()),
            Err(ConfigError::Insecure(_))
        ));
    }

    #[test]
    fn hsm_clusters_must_back_one_dhsm_cluster_with_one_pin_source() {
        let base = Path::new(".");
        for (extra, needle) in [
            (
                "id = \"h1\"\nmodule = \"/m\"\ntoken_label = \"t\"\n",
                "exactly one",
            ),
            (
                "id = \"h1\"\nmodule = \"/m\"\ntoken_label = \"t\"\npin_env = \"A\"\npin_file = \"f\"\n",
                "exactly one",
            ),
            (
                "id = \"nope\"\nmodule = \"/m\"\ntoken_label = \"t\"\npin_env = \"A\"\n",
                "DHSM",
            ),
            (
                "id = \"c1\"\nmodule = \"/m\"\ntoken_label = \"t\"\npin_env = \"A\"\n",
                "DHSM",
            ),
            (
                "id = \"h1\"\nmodule = \"/m\"\ntoken_label = \"t\"\npin_env = \"KMS_TEST_SURELY_UNSET_PIN_VAR\"\n",
                "not set",
            ),
        ] {
            let c = hsm_config(&format!("[[hsm_clusters]]\n{extra}"));
            let err = c.pkcs11_clusters(base).unwrap_err();
            assert!(err.to_string().contains(needle), "{extra}: {err}");
        }
        // No HSM cluster: nothing changes, and the file round-trips without one.
        let c = Config::default();
        assert!(c.pkcs11_clusters(base).unwrap().is_empty());
        assert!(!toml::to_string(&c).unwrap().contains("hsm_clusters"));
    }

    #[test]
    fn short_tokens_and_duplicate_keys_are_rejected() {
        let mut c = Config::development().unwrap();
        c.tokens[0].token = "short".into();
        assert!(c.authenticator().is_err());
        let mut c = Config::development().unwrap();
        let dup = c.credentials[0].clone();
        c.credentials.push(dup);
        assert!(c.authenticator().is_err());
    }

    #[test]
    fn regions_name_known_projects_once() {
        let base = r#"
[[credentials]]
access_key = "ak"
secret_key = "sk"
domain_id = "d1"
project_id = "p1"
[[tokens]]
token = "t"
domain_id = "d2"
project_id = "p2"
"#;
        let parse = |extra: &str| {
            Config::from_toml(&format!("{base}{extra}"), Path::new("c.toml"))
                .unwrap()
                .core_regions()
        };
        let ok = parse(
            r#"
[[regions]]
id = "cn-south-1"
projects = ["p1", "p2"]
"#,
        )
        .unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(
            ok[0]
                .projects
                .iter()
                .map(|p| (p.project_id.as_str(), p.domain_id.as_str()))
                .collect::<Vec<_>>(),
            [("p1", "d1"), ("p2", "d2")]
        );
        for bad in [
            "[[regions]]\nid = \"cn-south-1\"\nprojects = [\"p9\"]\n",
            "[[regions]]\nid = \"Bad Region\"\n",
            "[[regions]]\nid = \"a\"\n[[regions]]\nid = \"a\"\n",
            "[[regions]]\nid = \"a\"\nprojects = [\"p1\"]\n[[regions]]\nid = \"b\"\nprojects = [\"p1\"]\n",
        ] {
            assert!(matches!(parse(bad), Err(ConfigError::Invalid(_))), "{bad}");
        }
    }
}
