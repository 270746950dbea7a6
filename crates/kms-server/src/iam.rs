//! A minimal Keystone v3 front, as Huawei Cloud IAM speaks it: just what
//! the clients that talk to IAM before KMS need. kms-core never sees a
//! password: this module turns a password or a token into a [`Caller`]
//! and the rest of the server goes on as for any other credential.
//!
//! # Who reads what
//!
//! Shapes follow what these clients parse (read from their sources):
//!
//! - **golangsdk** (`huaweicloud/golangsdk` 2021, pinned by the Vault/OpenBao
//!   seal, and `chnsz/golangsdk`, Terraform's):
//!   - `openstack.NewClient` strips `v[0-9.]+/?` from the identity endpoint
//!     to find the base; `utils.ChooseVersion` skips discovery when the
//!     endpoint ends in `/v3/` (after adding a `/`), else `GET <base>`
//!     accepting 200 or 300 and reads `versions.values[].{id, status,
//!     links[rel=self].href}`: an id containing `v3`, a status of
//!     `current`/`supported`/`stable`, and the href as the v3 endpoint.
//!   - `tokens.Create`: `POST v3/auth/tokens`, success only on 201 (or 202);
//!     the token is the `X-Subject-Token` header; `token.expires_at`
//!     (RFC 3339), `token.project.{id, domain.id}` and `token.catalog[]`
//!     are read. The body is `auth.identity.methods` `["password"]` with
//!     `password.user.{name + domain.{id|name} | id, password}`, or
//!     `["token"]` with `token.id`; `auth.scope` is `project.id`,
//!     `project.{name, domain.{id|name}}`, `domain.id` or `domain.name`.
//!   - `projects.List` (`GET v3/projects?domain_id=&name=`, linked pages):
//!     `projects[].{id, name}`, the first match wins; `links.next` empty or
//!     null ends the pages. Pages are merged by the one array key that is
//!     not `links`.
//!   - `catalog.List` (`GET v3/auth/catalog`, AK/SK clients):
//!     `catalog[].{type, name, endpoints[].{interface, region, url}}`;
//!     `V3EndpointURL` wants exactly one endpoint of the type with
//!     interface `public` and region = the client's region.
//!   - `domains.List` under `auth/` (`GET v3/auth/domains`): `domains[].{id,
//!     name}`, exactly one expected.
//!   - KMS (`kms/v1/keys`, the seal's `encrypt-data`/`decrypt-data`):
//!     `ServiceURL(ProjectID, "kms", action)` appended to the `kms`
//!     catalog URL, so that URL is `<base>/v1.0` (golangsdk adds the `/`).
//! - **go-kms-wrapping `huaweicloudkms`** (the seal): `AKSKAuthOptions` with
//!   region, project *name*, AK/SK and `identity_endpoint`; authenticates
//!   by AK/SK only: version discovery, `GET v3/projects?name=<project>`,
//!   `GET v3/auth/catalog`, then describe-key, encrypt-data and
//!   decrypt-data (with `cipher_text` only) under
//!   `<kms url>/<project_id>/kms/`.
//! - **Terraform's `huaweicloud` provider** (`huaweicloud/config`): the
//!   project name defaults to the region; AK/SK clients list
//!   `v3/projects?name=<region>` (with `domain_id=` when known) and read
//!   the catalog; password and token logins ask one token scoped to the
//!   project (by name and domain, or id) and one scoped to the domain;
//!   then `GET v3/auth/domains` for the domain id (a failure is only
//!   logged). Service URLs come from its own `endpoints` map, not the
//!   catalog.
//!
//! Errors use Keystone's body, `{"error":{"code":401,"message":"The request
//! you have made requires authentication.","title":"Unauthorized"}}`
//! (Huawei IAM answers the same shape); none of these clients parses it.
//!
//! # Tokens
//!
//! Issued tokens are 32 bytes from the OS random source, hex; only their
//! SHA-256 is kept, beside who they act for and when they expire (default
//! 24 h, as Huawei's; a re-scoped token keeps its source's expiry). At most
//! [`IssuedTokens::DEFAULT_CAPACITY`] live at once: expired ones are
//! dropped first, then the oldest. They live in memory only and do not
//! survive a restart: clients log in again, as after an expiry.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordVerifier};
use axum::http::{HeaderName, HeaderValue};
use kms_core::ports::Caller;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::config::{Config, ConfigError};

/// Lifetime of an issued token when the configuration names none (Huawei
/// IAM's: 24 hours).
pub(crate) const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// Random bytes in an issued token.
const TOKEN_BYTES: usize = 32;

/// The response header that carries an issued token.
pub(crate) const X_SUBJECT_TOKEN: HeaderName = HeaderName::from_static("x-subject-token");
pub(crate) const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

/// The largest Argon2 memory cost accepted in a configured hash, KiB: a
/// verification allocates it, once per blocking slot at most.
const MAX_ARGON2_M_COST_KIB: u32 = 256 * 1024;
/// The largest Argon2 time cost (passes) and parallelism accepted.
const MAX_ARGON2_T_COST: u32 = 16;
const MAX_ARGON2_P_COST: u32 = 16;

// ---------------------------------------------------------------- passwords

/// Checks that `phc` is an Argon2 PHC string with costs this server will
/// pay at each login.
fn check_password_hash(phc: &str) -> Result<(), String> {
    let hash = PasswordHash::new(phc).map_err(|e| format!("not a PHC string ({e})"))?;
    if !hash.algorithm.as_str().starts_with("argon2") {
        return Err(format!("{} is not an Argon2 hash", hash.algorithm));
    }
    let params = argon2::Params::try_from(&hash).map_err(|e| format!("bad parameters ({e})"))?;
    if params.m_cost() > MAX_ARGON2_M_COST_KIB
        || params.t_cost() > MAX_ARGON2_T_COST
        || params.p_cost() > MAX_ARGON2_P_COST
    {
        return Err(format!(
            "costs above m={MAX_ARGON2_M_COST_KIB},t={MAX_ARGON2_T_COST},p={MAX_ARGON2_P_COST}"
        ));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("no salt or no hash".to_owned());
    }
    Ok(())
}

/// Whether `password` matches the PHC string `phc` (slow by design: run it
/// on the blocking pool). The comparison is constant-time.
pub(crate) fn verify_password(phc: &str, password: &[u8]) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password, &h).is_ok())
}

// ---------------------------------------------------------------- directory

/// An account.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Domain {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A project and its account.
#[derive(Debug)]
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain: Arc<Domain>,
}

/// A user who can log in.
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) domain: Arc<Domain>,
    pub(crate) password_hash: String,
    pub(crate) projects: Vec<Arc<Project>>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("domain", &self.domain.id)
            .finish_non_exhaustive()
    }
}

/// Accounts, projects and users, from the configuration.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    domains: Vec<Arc<Domain>>,
    pub(crate) projects: Vec<Arc<Project>>,
    pub(crate) users: Vec<Arc<User>>,
}

/// A project or domain named (by id or by name) in a request.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NameOrId {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

impl Directory {
    /// Builds the directory: every project named anywhere (users, AK/SK,
    /// tokens) with one account and one name, every account with one name.
    fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(m);
        // Names given explicitly, then defaults.
        let mut domain_names: Vec<(&str, Option<&str>)> = Vec::new();
        let mut project_names: Vec<(&str, &str, Option<&str>)> = Vec::new();
        for u in &config.users {
            domain_names.push((&u.domain_id, Some(&u.domain_name)));
            for p in &u.projects {
                project_names.push((&p.id, &u.domain_id, p.name.as_deref()));
            }
        }
        for c in &config.credentials {
            domain_names.push((&c.domain_id, c.domain_name.as_deref()));
            project_names.push((&c.project_id, &c.domain_id, c.project_name.as_deref()));
        }
        for t in &config.tokens {
            domain_names.push((&t.domain_id, t.domain_name.as_deref()));
            project_names.push((&t.project_id, &t.domain_id, t.project_name.as_deref()));
        }

        let mut domains: Vec<Arc<Domain>> = Vec::new();
        for (id, _) in &domain_names {
            if domains.iter().any(|d| d.id == *id) {
                continue;
            }
            let names = domain_names.iter().filter(|(i, _)| i == id);
            let name = agreed_name("domain", id, names.map(|(_, n)| *n))?;
            domains.push(Arc::new(Domain {
                id: (*id).to_owned(),
                name: name.unwrap_or(id).to_owned(),
            }));
        }
        let domain = |id: &str| domains.iter().find(|d| d.id == id).cloned();

        let mut projects: Vec<Arc<Project>> = Vec::new();
        for (id, domain_id, _) in &project_names {
            if projects.iter().any(|p| p.id == *id) {
                continue;
            }
            let entries = || project_names.iter().filter(|(i, _, _)| i == id);
            if let Some((_, d, _)) = entries().find(|(_, d, _)| d != domain_id) {
                return Err(invalid(format!(
                    "project {id} is in both domain {domain_id} and domain {d}"
                )));
            }
            let name = agreed_name("project", id, entries().map(|(_, _, n)| *n))?;
            let Some(domain) = domain(domain_id) else {
                return Err(invalid(format!("project {id}: no domain {domain_id}")));
            };
            projects.push(Arc::new(Project {
                id: (*id).to_owned(),
                name: name.unwrap_or(&config.region_id).to_owned(),
                domain,
            }));
        }
        for (i, p) in projects.iter().enumerate() {
            if projects[..i]
                .iter()
                .any(|q| q.name == p.name && q.domain.id == p.domain.id)
            {
                tracing::warn!(
                    project = %p.id,
                    name = %p.name,
                    "two projects of one domain share a name: a lookup by that name finds the first"
                );
            }
        }

        let mut users: Vec<Arc<User>> = Vec::new();
        for u in &config.users {
            let what = |m: &str| invalid(format!("users {:?}: {m}", u.name));
            if [&u.name, &u.id, &u.domain_id, &u.domain_name]
                .iter()
                .any(|v| v.is_empty())
            {
                return Err(what(
                    "name, id, domain_id and domain_name must not be empty",
                ));
            }
            if users.iter().any(|x| x.id == u.id) {
                return Err(what(&format!("user id {} configured twice", u.id)));
            }
            if users
                .iter()
                .any(|x| x.name == u.name && x.domain.id == u.domain_id)
            {
                return Err(what("configured twice in its domain"));
            }
            check_password_hash(&u.password_hash)
                .map_err(|e| what(&format!("password_hash: {e}")))?;
            let Some(domain) = domain(&u.domain_id) else {
                return Err(what("unknown domain"));
            };
            let mut own: Vec<Arc<Project>> = Vec::new();
            for p in &u.projects {
                let Some(project) = projects.iter().find(|x| x.id == p.id) else {
                    return Err(what(&format!("unknown project {}", p.id)));
                };
                if !own.iter().any(|x| x.id == p.id) {
                    own.push(Arc::clone(project));
                }
            }
            users.push(Arc::new(User {
                id: u.id.clone(),
                name: u.name.clone(),
                domain,
                password_hash: u.password_hash.clone(),
                projects: own,
            }));
        }
        Ok(Self {
            domains,
            projects,
            users,
        })
    }

    pub(crate) fn domain(&self, id: &str) -> Option<&Arc<Domain>> {
        self.domains.iter().find(|d| d.id == id)
    }

    pub(crate) fn project(&self, id: &str) -> Option<&Arc<Project>> {
        self.projects.iter().find(|p| p.id == id)
    }

    /// The user a login names: by id, or by name within a domain named by
    /// id or name.
    pub(crate) fn user(
        &self,
        id: Option<&str>,
        name: Option<&str>,
        domain: &NameOrId,
    ) -> Option<&Arc<User>> {
        match (id, name) {
            (Some(id), _) => self.users.iter().find(|u| u.id == id),
            (None, Some(name)) => self
                .users
                .iter()
                .find(|u| u.name == name && names_domain(domain, &u.domain)),
            (None, None) => None,
        }
    }
}

/// The one name that the `names` given (`None`: none) agree on, for the
/// `what` of this `id`.
fn agreed_name<'a>(
    what: &str,
    id: &str,
    names: impl Iterator<Item = Option<&'a str>>,
) -> Result<Option<&'a str>, ConfigError> {
    let mut agreed: Option<&str> = None;
    for name in names.flatten() {
        match agreed {
            Some(a) if a != name => {
                return Err(ConfigError::Invalid(format!(
                    "{what} {id} is named both {a:?} and {name:?}"
                )));
            }
            _ => agreed = Some(name),
        }
    }
    Ok(agreed)
}

/// Whether `r` (an id or a name) names `d`.
pub(crate) fn names_domain(r: &NameOrId, d: &Domain) -> bool {
    match (&r.id, &r.name) {
        (Some(id), _) => *id == d.id,
        (None, Some(name)) => *name == d.name,
        (None, None) => false,
    }
}

// ---------------------------------------------------------------- issued tokens

/// What an issued token is scoped to.
#[derive(Debug)]
pub(crate) enum Scope {
    /// One project: the token acts as (domain, project) on the API.
    Project(Arc<Project>),
    /// The user's account: IAM calls only.
    Domain,
}

/// How a token was obtained (`token.methods`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Method {
    Password,
    Token,
}

impl Method {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Token => "token",
        }
    }
}

/// What an issued token stands for.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) user: Arc<User>,
    pub(crate) scope: Scope,
    /// Who a project-scoped token acts as on the API.
    pub(crate) caller: Option<Arc<Caller>>,
    pub(crate) method: Method,
    pub(crate) issued_at_ms: u64,
    pub(crate) expires_at_ms: u64,
}

type TokenDigest = [u8; 32];

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Default)]
struct Live {
    by_digest: HashMap<TokenDigest, Arc<Session>>,
    /// Digests in the order they were issued (so, but for re-scoped tokens,
    /// of expiry); revoked ones linger until they reach the front.
    order: VecDeque<TokenDigest>,
}

/// The tokens the IAM front issued and that have not expired: held as the
/// SHA-256 of the token (never the token) with who it acts for. Shared with
/// the [`crate::Authenticator`], which accepts the project-scoped ones on
/// the API. Lost on restart.
pub struct IssuedTokens {
    capacity: usize,
    live: RwLock<Live>,
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("capacity", &self.capacity)
            .field("held", &self.len())
            .finish()
    }
}

impl Default for IssuedTokens {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl IssuedTokens {
    /// How many issued tokens are held at most by default.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store holding at most `capacity` (at least 1) tokens.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            live: RwLock::new(Live::default()),
        }
    }

    /// How many tokens are held (expired ones included until dropped).
    #[must_use]
    pub fn len(&self) -> usize {
        self.live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_digest
            .len()
    }

    /// Whether no token is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Who a live project-scoped `token` acts as on the API, now.
    #[must_use]
    pub fn caller(&self, token: &str) -> Option<Arc<Caller>> {
        self.session(token, now_ms())?.caller.clone()
    }

    /// The live session of `token` at `now_ms`.
    pub(crate) fn session(&self, token: &str, now_ms: u64) -> Option<Arc<Session>> {
        let live = self.live.read().unwrap_or_else(PoisonError::into_inner);
        live.by_digest
            .get(&digest(token))
            .filter(|s| s.expires_at_ms > now_ms)
            .cloned()
    }

    /// Stores `session` under a new random token and returns the token.
    /// Expired tokens at the front are dropped; at capacity, the oldest.
    pub(crate) fn issue(
        &self,
        session: Arc<Session>,
    ) -> Result<Zeroizing<String>, getrandom::Error> {
        let mut raw = Zeroizing::new([0u8; TOKEN_BYTES]);
        getrandom::fill(&mut *raw)?;
        // Infallible (no buffer to be too small): a token is never empty.
        let token = Zeroizing::new(base16ct::lower::encode_string(&*raw));
        let now = session.issued_at_ms;
        let key = digest(&token);
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        let Live { by_digest, order } = &mut *live;
        while let Some(front) = order.front() {
            if by_digest.get(front).is_some_and(|s| s.expires_at_ms > now) {
                break;
            }
            if let Some(d) = order.pop_front() {
                by_digest.remove(&d);
            }
        }
        let mut evicted = 0usize;
        while order.len() >= self.capacity {
            if let Some(d) = order.pop_front() {
                evicted += usize::from(by_digest.remove(&d).is_some());
            }
        }
        if evicted > 0 {
            tracing::warn!(
                target: "kms_server::iam",
                evicted,
                capacity = self.capacity,
                "issued-token store full: the oldest live tokens were dropped"
            );
        }
        by_digest.insert(key, session);
        order.push_back(key);
        Ok(token)
    }

    /// Forgets `token`; whether it was live at `now_ms`.
    pub(crate) fn revoke(&self, token: &str, now_ms: u64) -> bool {
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        live.by_digest
            .remove(&digest(token))
            .is_some_and(|s| s.expires_at_ms > now_ms)
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `2024-01-02T03:04:05.678000Z`: Keystone's and Huawei IAM's timestamps.
pub(crate) fn keystone_time(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            (ms % 1000) * 1000
        ),
        Err(_) => "9999-12-31T23:59:59.000000Z".to_owned(),
    }
}

// ---------------------------------------------------------------- the front

/// The IAM front: directory, catalog, issued tokens.
pub struct Iam {
    pub(crate) directory: Directory,
    pub(crate) issued: Arc<IssuedTokens>,
    /// Without a trailing `/`.
    pub(crate) external_url: String,
    pub(crate) lifetime_ms: u64,
    pub(crate) catalog: Vec<CatalogEntry>,
    pub(crate) role_id: String,
}

impl fmt::Debug for Iam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iam")
            .field("external_url", &self.external_url)
            .field("lifetime_ms", &self.lifetime_ms)
            .field("directory", &self.directory)
            .field("issued", &self.issued)
            .finish_non_exhaustive()
    }
}

impl Iam {
    /// The front for `config`, issuing tokens into `issued` (share it with
    /// the [`crate::Authenticator`] via
    /// [`crate::Authenticator::with_issued_tokens`]).
    ///
    /// # Errors
    /// A user, project or domain configured inconsistently, a password hash
    /// that is not an acceptable Argon2 PHC string, a bad `external_url`
    /// or `token_lifetime_secs`.
    pub fn from_config(config: &Config, issued: Arc<IssuedTokens>) -> Result<Self, ConfigError> {
        let directory = Directory::from_config(config)?;
        let external_url = match &config.external_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if config.tls_cert.is_some() => format!("https://{}", config.listen),
            None => format!("http://{}", config.listen),
        };
        let rest = external_url
            .strip_prefix("http://")
            .or_else(|| external_url.strip_prefix("https://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace))
            || HeaderValue::from_str(&external_url).is_err()
        {
            return Err(ConfigError::Invalid(format!(
                "external_url {external_url:?}: expected http(s)://host[:port][/path]"
            )));
        }
        let lifetime_secs = config
            .token_lifetime_secs
            .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
        if lifetime_secs == 0 {
            return Err(ConfigError::Invalid(
                "token_lifetime_secs must be at least 1".into(),
            ));
        }
        let catalog = catalog(&external_url, &config.region_id);
        Ok(Self {
            directory,
            issued,
            lifetime_ms: lifetime_secs.saturating_mul(1000),
            catalog,
            role_id: derived_id(&["role", "te_admin"]),
            external_url,
        })
    }
}

/// A 32-hex-digit id derived from `parts`: stable across restarts.
fn derived_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"kms-server iam id");
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let mut hex = [0u8; 64];
    base16ct::lower::encode_str(&h.finalize()[..16], &mut hex)
        .unwrap_or_default()
        .to_owned()
}

/// One service of the catalog.
#[derive(Debug, Serialize)]
pub(crate) struct CatalogEntry {
    endpoints: [CatalogEndpoint; 1],
    pub(crate) id: String,
    pub(crate) name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct CatalogEndpoint {
    pub(crate) id: String,
    interface: &'static str,
    region: String,
    region_id: String,
    url: String,
}

/// The catalog: IAM itself (`identity`), KMS (`kms`, its URL up to the
/// version as golangsdk appends `<project_id>/kms/<action>` to it) and API
/// Gateway (`apig`, the bare base URL: its paths start `/v2/<project_id>`),
/// each with one public endpoint in `region`.
pub(crate) fn catalog(external_url: &str, region: &str) -> Vec<CatalogEntry> {
    [
        ("identity", "iam", format!("{external_url}/v3")),
        ("kms", "kms", format!("{external_url}/v1.0")),
        ("apig", "apig", external_url.to_owned()),
    ]
    .into_iter()
    .map(|(kind, name, url)| CatalogEntry {
        endpoints: [CatalogEndpoint {
            id: derived_id(&["endpoint", kind, region, &url]),
            interface: "public",
            region: region.to_owned(),
            region_id: region.to_owned(),
            url,
        }],
        id: derived_id(&["service", kind]),
        name,
        kind,
    })
    .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A directory, a front and sessions for the tests here, in the
    //! Keystone routes and in the authenticator.
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::{CredentialConfig, TokenConfig, UserConfig, UserProjectConfig};

    /// A cheap Argon2id hash of `password` (tests only: tiny costs).
    pub(crate) fn cheap_hash(password: &str) -> String {
        let params = argon2::Params::new(8, 1, 1, None).unwrap();
        use argon2::PasswordHasher;
        Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_with_salt(password.as_bytes(), b"saltsaltsalt")
            .unwrap()
            .to_string()
    }

    pub(crate) fn user(name: &str, id: &str, projects: &[(&str, Option<&str>)]) -> UserConfig {
        UserConfig {
            name: name.into(),
            id: id.into(),
            domain_id: "d1".into(),
            domain_name: "acme".into(),
            password_hash: cheap_hash("pw"),
            projects: projects
                .iter()
                .map(|(id, name)| UserProjectConfig {
                    id: (*id).into(),
                    name: name.map(str::to_owned),
                })
                .collect(),
        }
    }

    pub(crate) fn config() -> Config {
        Config {
            region_id: "cn-north-4".into(),
            credentials: vec![CredentialConfig {
                access_key: "AK".into(),
                secret_key: "SK".into(),
                domain_id: "d1".into(),
                project_id: "p1".into(),
                user_id: None,
                project_name: None,
                domain_name: None,
            }],
            tokens: vec![TokenConfig {
                token: "t".repeat(20),
                domain_id: "d2".into(),
                project_id: "p9".into(),
                user_id: None,
                project_name: Some("other".into()),
                domain_name: None,
            }],
            users: vec![user(
                "alice",
                "u1",
                &[("p1", None), ("p2", Some("cn-north-4_dev"))],
            )],
            ..Config::default()
        }
    }

    pub(crate) fn iam(config: &Config) -> Iam {
        Iam::from_config(config, Arc::new(IssuedTokens::default())).unwrap()
    }

    pub(crate) fn session(
        iam: &Iam,
        project: Option<&str>,
        issued_at_ms: u64,
        expires_at_ms: u64,
    ) -> Arc<Session> {
        let user = Arc::clone(&iam.directory.users[0]);
        let (scope, caller) = match project {
            Some(id) => {
                let p = Arc::clone(iam.directory.project(id).unwrap());
                let caller = Arc::new(Caller::new(&p.domain.id, &p.id).with_user(&user.id));
                (Scope::Project(p), Some(caller))
            }
            None => (Scope::Domain, None),
        };
        Arc::new(Session {
            user,
            scope,
            caller,
            method: Method::Password,
            issued_at_ms,
            expires_at_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::test_support::*;
    use super::*;
    use crate::config::{Password, UserProjectConfig, hash_password};

    #[test]
    fn the_development_user_logs_in_with_the_password_shown_once() {
        let mut c = Config::development().unwrap();
        let password = c.add_development_user().unwrap();
        assert_eq!(password.expose().len(), 24);
        let text = toml::to_string_pretty(&c).unwrap();
        assert!(!text.contains(password.expose()));
        assert!(text.contains("$argon2id$"));
        let back = Config::from_toml(&text, std::path::Path::new("x")).unwrap();
        assert_eq!(back, c);
        let user = &back.users[0];
        assert_eq!(user.domain_id, c.credentials[0].domain_id);
        assert_eq!(user.projects[0].id, c.credentials[0].project_id);
        assert!(!format!("{c:?}").contains("$argon2"));
        Iam::from_config(&back, std::sync::Arc::default()).unwrap();
        assert!(Config::default().add_development_user().is_err());
    }

    #[test]
    fn passwords_are_read_without_one_line_break_and_never_shown() {
        let p = Password::read_from(&b"s3cret pass\r\n"[..]).unwrap();
        assert_eq!(p.expose(), "s3cret pass");
        assert_eq!(
            Password::read_from(&b"two\n\n"[..]).unwrap().expose(),
            "two\n"
        );
        assert!(Password::read_from(&b"\n"[..]).is_err());
        assert!(Password::read_from(&[0xff, 0xfe][..]).is_err());
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn hashes_verify_their_password_only() {
        let h = hash_password(&Password::new("correct horse".into())).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        check_password_hash(&h).unwrap();
        assert!(verify_password(&h, b"correct horse"));
        assert!(!verify_password(&h, b"correct horsf"));
        assert!(!verify_password("garbage", b"correct horse"));
        // A fresh salt every time.
        assert_ne!(
            h,
            hash_password(&Password::new("correct horse".into())).unwrap()
        );
    }

    #[test]
    fn configured_hashes_must_be_argon2_with_bounded_costs() {
        check_password_hash(&cheap_hash("x")).unwrap();
        for bad in [
            "",
            "plain-text-password",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaA",
            // 1 GiB of memory per login.
            "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHRzYWx0$O5/y8Pg6wB2tV4dkPlnVXiL4bvrdInypLq5CL9DHU0o",
            // No hash.
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0",
        ] {
            assert!(check_password_hash(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_directory_names_every_project_once() {
        let iam = iam(&config());
        let d = &iam.directory;
        // Default name: the region; an explicit name wins; another domain's
        // project keeps its own.
        assert_eq!(d.project("p1").unwrap().name, "cn-north-4");
        assert_eq!(d.project("p2").unwrap().name, "cn-north-4_dev");
        assert_eq!(d.project("p9").unwrap().name, "other");
        assert_eq!(d.project("p9").unwrap().domain.id, "d2");
        // Domain names: from the user, else the id.
        assert_eq!(d.domain("d1").unwrap().name, "acme");
        assert_eq!(d.domain("d2").unwrap().name, "d2");
        let alice = d
            .user(
                None,
                Some("alice"),
                &NameOrId {
                    id: None,
                    name: Some("acme".into()),
                },
            )
            .unwrap();
        assert_eq!(alice.projects.len(), 2);
        assert!(
            d.user(
                None,
                Some("alice"),
                &NameOrId {
                    id: Some("d2".into()),
                    name: None,
                }
            )
            .is_none()
        );
        assert!(d.user(Some("u1"), None, &NameOrId::default()).is_some());
        assert!(d.user(None, Some("alice"), &NameOrId::default()).is_none());
        // Debug never shows a hash.
        assert!(!format!("{iam:?}").contains("argon2"));
    }

    #[test]
    fn inconsistent_directories_are_refused() {
        type Breakage = fn(&mut Config);
        let cases: [(&str, Breakage); 7] = [
            ("named both", |c| {
                c.credentials[0].project_name = Some("x".into());
                c.users[0].projects[0].name = Some("y".into());
            }),
            ("in both domain", |c| c.tokens[0].project_id = "p1".into()),
            ("domain d1 is named both", |c| {
                c.credentials[0].domain_name = Some("other".into());
            }),
            // Another domain's project.
            ("in both domain", |c| {
                c.users[0].projects.push(UserProjectConfig {
                    id: "p9".into(),
                    name: None,
                })
            }),
            ("configured twice", |c| {
                let twin = c.users[0].clone();
                c.users.push(twin);
            }),
            ("password_hash", |c| {
                c.users[0].password_hash = "secret".into()
            }),
            ("must not be empty", |c| c.users[0].name.clear()),
        ];
        for (needle, break_it) in cases {
            let mut c = config();
            break_it(&mut c);
            let err = Iam::from_config(&c, Arc::new(IssuedTokens::default())).unwrap_err();
            assert!(err.to_string().contains(needle), "{needle}: {err}");
        }
        for url in ["ftp://x", "http://", "127.0.0.1:8080", "http://a b"] {
            let c = Config {
                external_url: Some(url.into()),
                ..config()
            };
            assert!(
                Iam::from_config(&c, Arc::new(IssuedTokens::default())).is_err(),
                "{url}"
            );
        }
        let c = Config {
            token_lifetime_secs: Some(0),
            ..config()
        };
        assert!(Iam::from_config(&c, Arc::new(IssuedTokens::default())).is_err());
    }

    #[test]
    fn the_catalog_points_at_the_external_url() {
        let c = Config {
            external_url: Some("https://kms.example:9443/".into()),
            ..config()
        };
        let iam = iam(&c);
        let urls: Vec<(&str, &str, &str)> = iam
            .catalog
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.endpoints[0].url.as_str(),
                    e.endpoints[0].region.as_str(),
                )
            })
            .collect();
        assert_eq!(
            urls,
            [
                ("identity", "https://kms.example:9443/v3", "cn-north-4"),
                ("kms", "https://kms.example:9443/v1.0", "cn-north-4"),
                ("apig", "https://kms.example:9443", "cn-north-4"),
            ]
        );
        // Ids are stable across restarts, distinct, 32 hex digits.
        assert_eq!(iam.catalog[1].id, self::iam(&c).catalog[1].id);
        assert_ne!(iam.catalog[0].id, iam.catalog[1].id);
        assert_eq!(iam.catalog[1].id.len(), 32);
        // Default: the listen address.
        assert_eq!(self::iam(&config()).external_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn issued_tokens_live_until_they_expire_and_are_held_hashed() {
        let iam = iam(&config());
        let store = IssuedTokens::new(10);
        let t = store
            .issue(session(&iam, Some("p1"), 1_000, 2_000))
            .unwrap();
        assert_eq!(t.len(), 2 * TOKEN_BYTES);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(store.session(&t, 1_999).is_some());
        assert!(store.session(&t, 2_000).is_none(), "expired at expires_at");
        assert!(store.session(&format!("{}x", &*t), 1_500).is_none());
        // Only the digest is kept.
        let live = store.live.read().unwrap();
        assert!(live.by_digest.contains_key(&digest(&t)));
        drop(live);
        assert!(!format!("{store:?}").contains(&*t));
        // A domain-scoped token is no caller on the API.
        let d = store.issue(session(&iam, None, 1_000, u64::MAX)).unwrap();
        assert!(store.session(&d, 1_500).is_some());
        assert!(store.caller(&d).is_none());
        let live_one = store
            .issue(session(&iam, Some("p2"), 1_000, u64::MAX))
            .unwrap();
        assert_eq!(
            *store.caller(&live_one).unwrap(),
            Caller::new("d1", "p2").with_user("u1")
        );
        // Revoked: gone.
        assert!(store.revoke(&live_one, 1_500));
        assert!(store.caller(&live_one).is_none());
        assert!(!store.revoke(&live_one, 1_500));
    }

    #[test]
    fn the_store_is_bounded_expired_first_then_oldest() {
        let iam = iam(&config());
        let store = IssuedTokens::new(3);
        let old = store.issue(session(&iam, Some("p1"), 0, 100)).unwrap();
        let a = store.issue(session(&iam, Some("p1"), 10, 1_000)).unwrap();
        let b = store.issue(session(&iam, Some("p1"), 20, 1_000)).unwrap();
        assert_eq!(store.len(), 3);
        // `old` has expired by the next issue: dropped, nothing live lost.
        let c = store.issue(session(&iam, Some("p1"), 200, 1_000)).unwrap();
        assert_eq!(store.len(), 3);
        assert!(store.session(&old, 0).is_none());
        for t in [&a, &b, &c] {
            assert!(store.session(t, 300).is_some());
        }
        // Full of live tokens: the oldest goes.
        let d = store.issue(session(&iam, Some("p1"), 300, 1_000)).unwrap();
        assert_eq!(store.len(), 3);
        assert!(store.session(&a, 300).is_none());
        for t in [&b, &c, &d] {
            assert!(store.session(t, 300).is_some());
        }
        // A flood stays within the bound.
        for i in 0..100 {
            store
                .issue(session(&iam, Some("p1"), 400 + i, 10_000))
                .unwrap();
        }
        assert_eq!(store.len(), 3);
        assert!(store.live.read().unwrap().order.len() <= 3);
        assert_eq!(IssuedTokens::new(0).capacity, 1);
    }

    #[test]
    fn timestamps_are_keystones() {
        assert_eq!(keystone_time(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            keystone_time(1_704_067_200_123),
            "2024-01-01T00:00:00.123000Z"
        );
    }
}
