//! The routes of the Keystone v3 (Huawei IAM) front: version discovery,
//! password and token logins, projects, domains, catalog. What they serve
//! (the directory, the issued tokens, the catalog) is [`crate::iam`]'s;
//! this module is its HTTP face, beside the API's in [`super`].

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use kms_core::ports::Caller;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{AppState, View, now_unix, query_value, record_route};
use crate::config::Password;
use crate::iam::*;

/// The Keystone routes, served beside the API by [`crate::router`] when the
/// state has an [`Iam`].
pub(crate) fn routes() -> Router<AppState> {
    // `GET /` (Keystone's version list) is routed by the KMS version
    // documents' handler, which shares the path: see `kms::show_versions`.
    Router::new()
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route(
            "/v3/auth/tokens",
            get(validate_token).post(create_token).delete(revoke_token),
        )
        .route("/v3/auth/catalog", get(auth_catalog))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/auth/domains", get(auth_domains))
        .route("/v3/projects", get(list_projects))
        .route("/v3/{*rest}", any(not_found))
}

/// A Keystone error: its status and `{"error":{"code","message","title"}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// 400, with what is wrong.
    BadRequest(&'static str),
    /// 401: bad or missing credentials, a scope the user may not have.
    Unauthorized,
    /// 404.
    NotFound,
    /// 413.
    TooLarge,
    /// 500.
    Internal,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: u16,
    message: &'a str,
    title: &'a str,
}

impl Failure {
    fn response(self, iam: Option<&Iam>) -> Response {
        let (status, message, title) = match self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m, "Bad Request"),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "The request you have made requires authentication.",
                "Unauthorized",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "The resource could not be found.",
                "Not Found",
            ),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request is too large.",
                "Request Entity Too Large",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "An unexpected error prevented the server from fulfilling your request.",
                "Internal Server Error",
            ),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: status.as_u16(),
                message,
                title,
            },
        };
        let mut resp = json_response(status, &body);
        if let (Self::Unauthorized, Some(iam)) = (self, iam)
            && let Ok(v) = HeaderValue::from_str(&format!("Keystone uri=\"{}\"", iam.external_url))
        {
            resp.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        resp
    }
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            Body::from(bytes),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(target: "kms_server::iam", error = %e, "cannot serialise an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The IAM front of the state and the request, split and its body read
/// (at most the configured body limit).
async fn open(state: &AppState, req: Request) -> Result<(Arc<Iam>, Parts, Bytes), Response> {
    record_route(req.extensions());
    let Some(iam) = state.iam().cloned() else {
        return Err(Failure::NotFound.response(None));
    };
    let (parts, body) = req.into_parts();
    // Nothing is authenticated yet (a login's password is in its body):
    // the body is buffered within the budget all unauthenticated bodies
    // share.
    let Ok(_budget) = state.unauthenticated_budget(&body).await else {
        return Err(Failure::Internal.response(Some(&iam)));
    };
    match axum::body::to_bytes(body, state.body_limit()).await {
        Ok(body) => Ok((iam, parts, body)),
        Err(_) => Err(Failure::TooLarge.response(Some(&iam))),
    }
}

/// [`open`], then [`identify`]: the front, the request's parts and who
/// calls, or the answer that refuses the call.
async fn open_as_caller(
    state: &AppState,
    req: Request,
) -> Result<(Arc<Iam>, Parts, Principal), Response> {
    let (iam, parts, body) = open(state, req).await?;
    match identify(state, &iam, &parts, &body) {
        Ok(principal) => Ok((iam, parts, principal)),
        Err(f) => Err(f.response(Some(&iam))),
    }
}

/// Who is calling an IAM route.
enum Principal {
    /// A token this front issued.
    Session(Arc<Session>),
    /// A configured token or an AK/SK signature.
    Credential(Arc<Caller>),
}

impl Principal {
    fn domain<'a>(&'a self, iam: &'a Iam) -> Option<&'a Arc<Domain>> {
        match self {
            Self::Session(s) => Some(&s.user.domain),
            Self::Credential(c) => iam.directory.domain(&c.domain_id),
        }
    }

    /// The projects it may act in.
    fn projects<'a>(&'a self, iam: &'a Iam) -> Vec<&'a Arc<Project>> {
        match self {
            Self::Session(s) => s.user.projects.iter().collect(),
            Self::Credential(c) => iam.directory.project(&c.project_id).into_iter().collect(),
        }
    }
}

/// An issued token in `X-Auth-Token`, else whatever the API accepts
/// (configured tokens, SDK-HMAC-SHA256), with no project in the path to
/// match.
fn identify(state: &AppState, iam: &Iam, parts: &Parts, body: &[u8]) -> Result<Principal, Failure> {
    if let Some(token) = parts
        .headers
        .get(&X_AUTH_TOKEN)
        .and_then(|v| v.to_str().ok())
        && let Some(session) = iam.issued.session(token, now_ms())
    {
        return Ok(Principal::Session(session));
    }
    match state
        .authenticator()
        .authenticate_with_clock(&View { parts, body }, now_unix)
    {
        Ok(caller) => Ok(Principal::Credential(Arc::clone(caller))),
        Err(e) => {
            tracing::debug!(target: "kms_server::auth", reason = %e, "IAM authentication failed");
            Err(Failure::Unauthorized)
        }
    }
}

// ---- version discovery

#[derive(Serialize)]
struct Link<'a> {
    rel: &'static str,
    href: &'a str,
}

#[derive(Serialize)]
struct MediaType {
    base: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct VersionView<'a> {
    id: &'static str,
    status: &'static str,
    updated: &'static str,
    links: [Link<'a>; 1],
    #[serde(rename = "media-types")]
    media_types: [MediaType; 1],
}

fn version_view(href: &str) -> VersionView<'_> {
    VersionView {
        id: "v3.0",
        status: "stable",
        updated: "2016-04-04T00:00:00Z",
        links: [Link { rel: "self", href }],
        media_types: [MediaType {
            base: "application/json",
            kind: "application/vnd.openstack.identity-v3+json",
        }],
    }
}

/// `GET /`: Keystone's version list, 300 Multiple Choices.
pub(super) async fn versions(State(state): State<AppState>, req: Request) -> Response {
    let (iam, _, _) = match open(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    #[derive(Serialize)]
    struct Values<'a> {
        values: [VersionView<'a>; 1],
    }
    #[derive(Serialize)]
    struct Versions<'a> {
        versions: Values<'a>,
    }
    let href = format!("{}/v3/", iam.external_url);
    json_response(
        StatusCode::MULTIPLE_CHOICES,
        &Versions {
            versions: Values {
                values: [version_view(&href)],
            },
        },
    )
}

/// `GET /v3`: this version.
async fn version(State(state): State<AppState>, req: Request) -> Response {
    let (iam, _, _) = match open(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    #[derive(Serialize)]
    struct Version<'a> {
        version: VersionView<'a>,
    }
    let href = format!("{}/v3/", iam.external_url);
    json_response(
        StatusCode::OK,
        &Version {
            version: version_view(&href),
        },
    )
}

async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    record_route(req.extensions());
    Failure::NotFound.response(state.iam().map(AsRef::as_ref))
}

// ---- tokens

#[derive(Deserialize)]
struct AuthRequest {
    auth: AuthBody,
}

#[derive(Deserialize)]
struct AuthBody {
    identity: IdentityBody,
    #[serde(default)]
    scope: Option<ScopeBody>,
}

#[derive(Deserialize)]
struct IdentityBody {
    methods: Vec<String>,
    #[serde(default)]
    password: Option<PasswordBody>,
    #[serde(default)]
    token: Option<TokenBody>,
}

#[derive(Deserialize)]
struct PasswordBody {
    user: UserBody,
}

#[derive(Deserialize)]
struct UserBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<NameOrId>,
    password: String,
}

#[derive(Deserialize)]
struct TokenBody {
    id: String,
}

#[derive(Deserialize)]
struct ScopeBody {
    #[serde(default)]
    project: Option<ProjectScopeBody>,
    #[serde(default)]
    domain: Option<NameOrId>,
}

#[derive(Deserialize)]
struct ProjectScopeBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    domain: Option<NameOrId>,
}

/// A login as the request states it, checked for shape only.
enum Login {
    Password {
        user_id: Option<String>,
        user_name: Option<String>,
        domain: NameOrId,
        password: Password,
    },
    Token(Zeroizing<String>),
}

/// The scope a login asks for, checked for shape only.
enum WantedScope {
    ProjectId(String),
    ProjectName(String, Option<NameOrId>),
    Domain(NameOrId),
}

fn parse_login(body: &[u8]) -> Result<(Login, WantedScope), Failure> {
    let req: AuthRequest = serde_json::from_slice(body)
        .map_err(|_| Failure::BadRequest("The request body is not a valid auth request."))?;
    let AuthBody { identity, scope } = req.auth;
    let mut methods = identity.methods;
    methods.dedup();
    let login = match methods.as_slice() {
        [] => {
            return Err(Failure::BadRequest(
                "Expecting to find methods in identity.",
            ));
        }
        [m] if m == "password" => {
            let user = identity
                .password
                .ok_or(Failure::BadRequest(
                    "Expecting to find password in identity.",
                ))?
                .user;
            let password = Password::new(user.password);
            if user.id.is_none() {
                if user.name.is_none() {
                    return Err(Failure::BadRequest("Expecting to find id or name in user."));
                }
                if user
                    .domain
                    .as_ref()
                    .is_none_or(|d| d.id.is_none() && d.name.is_none())
                {
                    return Err(Failure::BadRequest("Expecting to find domain in user."));
                }
            }
            Login::Password {
                user_id: user.id,
                user_name: user.name,
                domain: user.domain.unwrap_or_default(),
                password,
            }
        }
        [m] if m == "token" => Login::Token(Zeroizing::new(
            identity
                .token
                .ok_or(Failure::BadRequest("Expecting to find token in identity."))?
                .id,
        )),
        // Another method, or several at once (all must succeed in
        // Keystone): not supported here.
        _ => return Err(Failure::Unauthorized),
    };
    let wanted = match scope {
        None => return Err(Failure::BadRequest("Expecting to find scope in auth.")),
        Some(ScopeBody {
            project: Some(_),
            domain: Some(_),
        }) => {
            return Err(Failure::BadRequest(
                "Specify either a domain or a project, not both.",
            ));
        }
        Some(ScopeBody {
            project: Some(p), ..
        }) => match (p.id, p.name) {
            (Some(id), _) => WantedScope::ProjectId(id),
            (None, Some(name)) => WantedScope::ProjectName(name, p.domain),
            (None, None) => {
                return Err(Failure::BadRequest(
                    "Expecting to find id or name in project.",
                ));
            }
        },
        Some(ScopeBody {
            domain: Some(d), ..
        }) if d.id.is_some() || d.name.is_some() => WantedScope::Domain(d),
        Some(_) => {
            return Err(Failure::BadRequest(
                "Expecting to find project or domain in scope.",
            ));
        }
    };
    Ok((login, wanted))
}

/// The scope `user` asked for, if the user may have it.
fn grant(user: &User, wanted: &WantedScope) -> Option<Scope> {
    match wanted {
        WantedScope::ProjectId(id) => user
            .projects
            .iter()
            .find(|p| p.id == *id)
            .map(|p| Scope::Project(Arc::clone(p))),
        WantedScope::ProjectName(name, domain) => user
            .projects
            .iter()
            .find(|p| p.name == *name && domain.as_ref().is_none_or(|d| names_domain(d, &p.domain)))
            .map(|p| Scope::Project(Arc::clone(p))),
        WantedScope::Domain(d) => names_domain(d, &user.domain).then_some(Scope::Domain),
    }
}

#[derive(Serialize)]
struct DomainView<'a> {
    id: &'a str,
    name: &'a str,
}

impl<'a> From<&'a Domain> for DomainView<'a> {
    fn from(d: &'a Domain) -> Self {
        Self {
            id: &d.id,
            name: &d.name,
        }
    }
}

#[derive(Serialize)]
struct TokenUserView<'a> {
    domain: DomainView<'a>,
    id: &'a str,
    name: &'a str,
    password_expires_at: &'static str,
}

#[derive(Serialize)]
struct TokenProjectView<'a> {
    domain: DomainView<'a>,
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct RoleView<'a> {
    id: &'a str,
    name: &'static str,
}

#[derive(Serialize)]
struct TokenView<'a> {
    methods: [&'static str; 1],
    expires_at: String,
    issued_at: String,
    user: TokenUserView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<TokenProjectView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<DomainView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<&'a [CatalogEntry]>,
    roles: [RoleView<'a>; 1],
}

#[derive(Serialize)]
struct TokenAnswer<'a> {
    token: TokenView<'a>,
}

/// `status` with the token in `X-Subject-Token` and its body.
fn token_response(
    iam: &Iam,
    status: StatusCode,
    token: &str,
    session: &Session,
    with_catalog: bool,
) -> Response {
    let user = &session.user;
    let (project, domain) = match &session.scope {
        Scope::Project(p) => (
            Some(TokenProjectView {
                domain: (&*p.domain).into(),
                id: &p.id,
                name: &p.name,
            }),
            None,
        ),
        Scope::Domain => (None, Some((&*user.domain).into())),
    };
    let answer = TokenAnswer {
        token: TokenView {
            methods: [session.method.as_str()],
            expires_at: keystone_time(session.expires_at_ms),
            issued_at: keystone_time(session.issued_at_ms),
            user: TokenUserView {
                domain: (&*user.domain).into(),
                id: &user.id,
                name: &user.name,
                password_expires_at: "",
            },
            project,
            domain,
            catalog: with_catalog.then_some(iam.catalog.as_slice()),
            roles: [RoleView {
                id: &iam.role_id,
                name: "te_admin",
            }],
        },
    };
    let mut resp = json_response(status, &answer);
    match HeaderValue::from_str(token) {
        Ok(v) => {
            resp.headers_mut().insert(X_SUBJECT_TOKEN, v);
            resp
        }
        Err(_) => Failure::Internal.response(Some(iam)),
    }
}

/// `?nocatalog` (any non-empty value) leaves the catalog out, as Huawei IAM.
fn wants_catalog(parts: &Parts) -> bool {
    query_value(parts.uri.query().unwrap_or(""), "nocatalog").is_none_or(|v| v.is_empty())
}

/// `POST /v3/auth/tokens`: a password or a live token for a token scoped to
/// one of the user's projects or to its domain; 201 with the token in
/// `X-Subject-Token`.
async fn create_token(State(state): State<AppState>, req: Request) -> Response {
    let (iam, parts, body) = match open(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let session = match login(&state, &iam, &body).await {
        Ok(s) => Arc::new(s),
        Err(f) => return f.response(Some(&iam)),
    };
    match iam.issued.issue(Arc::clone(&session)) {
        Ok(token) => token_response(
            &iam,
            StatusCode::CREATED,
            &token,
            &session,
            wants_catalog(&parts),
        ),
        Err(e) => {
            tracing::error!(target: "kms_server::iam", error = %e, "cannot draw a token");
            Failure::Internal.response(Some(&iam))
        }
    }
}

/// Checks a login and builds the session it earns (not yet issued).
async fn login(state: &AppState, iam: &Iam, body: &[u8]) -> Result<Session, Failure> {
    let (login, wanted) = parse_login(body)?;
    let now = now_ms();
    let (user, method, expires_at_ms) = match login {
        Login::Password {
            user_id,
            user_name,
            domain,
            password,
        } => {
            let named = iam
                .directory
                .user(user_id.as_deref(), user_name.as_deref(), &domain)
                .cloned();
            // An unknown user costs a verification too: against another
            // user's hash, whose outcome is then ignored.
            let Some(against) = named
                .clone()
                .or_else(|| iam.directory.users.first().cloned())
            else {
                return Err(Failure::Unauthorized);
            };
            let verified = state
                .run_blocking(move || verify_password(&against.password_hash, password.expose().as_bytes()))
                .await
                .map_err(|e| {
                    tracing::error!(target: "kms_server::iam", error = %e, "password check failed to run");
                    Failure::Internal
                })?;
            match (verified, named) {
                (true, Some(user)) => (user, Method::Password, now.saturating_add(iam.lifetime_ms)),
                _ => return Err(Failure::Unauthorized),
            }
        }
        Login::Token(token) => {
            let source = iam
                .issued
                .session(&token, now)
                .ok_or(Failure::Unauthorized)?;
            (
                Arc::clone(&source.user),
                Method::Token,
                source.expires_at_ms,
            )
        }
    };
    let scope = grant(&user, &wanted).ok_or(Failure::Unauthorized)?;
    let caller = match &scope {
        // The user rides along: a grant of type `user` names it.
        Scope::Project(p) => Some(Arc::new(
            Caller::new(&p.domain.id, &p.id).with_user(&user.id),
        )),
        Scope::Domain => None,
    };
    Ok(Session {
        user,
        scope,
        caller,
        method,
        issued_at_ms: now,
        expires_at_ms,
    })
}

/// The live token in `X-Subject-Token`, if the caller's domain owns it.
fn subject(iam: &Iam, principal: &Principal, parts: &Parts) -> Option<(String, Arc<Session>)> {
    let token = parts
        .headers
        .get(&X_SUBJECT_TOKEN)
        .and_then(|v| v.to_str().ok())?;
    let session = iam.issued.session(token, now_ms())?;
    let domain = principal.domain(iam)?;
    (session.user.domain.id == domain.id).then(|| (token.to_owned(), session))
}

/// `GET /v3/auth/tokens` (and `HEAD`): validates `X-Subject-Token` for a
/// caller of the same domain; 200 with the token's body, else 404.
async fn validate_token(State(state): State<AppState>, req: Request) -> Response {
    let (iam, parts, principal) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match subject(&iam, &principal, &parts) {
        Some((token, session)) => token_response(
            &iam,
            StatusCode::OK,
            &token,
            &session,
            wants_catalog(&parts),
        ),
        None => Failure::NotFound.response(Some(&iam)),
    }
}

/// `DELETE /v3/auth/tokens`: revokes `X-Subject-Token` (same rule); 204.
async fn revoke_token(State(state): State<AppState>, req: Request) -> Response {
    let (iam, parts, principal) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match subject(&iam, &principal, &parts) {
        Some((token, _)) if iam.issued.revoke(&token, now_ms()) => {
            StatusCode::NO_CONTENT.into_response()
        }
        _ => Failure::NotFound.response(Some(&iam)),
    }
}

// ---- listings

#[derive(Serialize)]
struct PageLinks<'a> {
    #[serde(rename = "self")]
    this: &'a str,
    previous: Option<&'static str>,
    next: Option<&'static str>,
}

impl<'a> PageLinks<'a> {
    /// The links of a list that is one whole page: itself only.
    fn single_page(this: &'a str) -> Self {
        Self {
            this,
            previous: None,
            next: None,
        }
    }
}

#[derive(Serialize)]
struct SelfLink {
    #[serde(rename = "self")]
    this: String,
}

#[derive(Serialize)]
struct ProjectView<'a> {
    id: &'a str,
    name: &'a str,
    domain_id: &'a str,
    parent_id: &'a str,
    is_domain: bool,
    enabled: bool,
    description: &'static str,
    links: SelfLink,
}

#[derive(Serialize)]
struct Projects<'a> {
    projects: Vec<ProjectView<'a>>,
    links: PageLinks<'a>,
}

fn project_list(iam: &Iam, projects: &[&Arc<Project>], self_href: &str) -> Response {
    let projects = projects
        .iter()
        .map(|p| ProjectView {
            id: &p.id,
            name: &p.name,
            domain_id: &p.domain.id,
            // A region's own project has its account as parent.
            parent_id: &p.domain.id,
            is_domain: false,
            enabled: true,
            description: "",
            links: SelfLink {
                this: format!("{}/v3/projects/{}", iam.external_url, p.id),
            },
        })
        .collect();
    json_response(
        StatusCode::OK,
        &Projects {
            projects,
            links: PageLinks::single_page(self_href),
        },
    )
}

/// `GET /v3/projects`: the caller's projects, filtered by `name`,
/// `domain_id`, `parent_id`, `enabled` (other filters are ignored).
async fn list_projects(State(state): State<AppState>, req: Request) -> Response {
    let (iam, parts, principal) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let query = parts.uri.query().unwrap_or("");
    let name = query_value(query, "name");
    let domain_id = query_value(query, "domain_id");
    let parent_id = query_value(query, "parent_id");
    let enabled = query_value(query, "enabled");
    let projects: Vec<&Arc<Project>> = principal
        .projects(&iam)
        .into_iter()
        .filter(|p| name.as_ref().is_none_or(|n| *n == p.name))
        .filter(|p| domain_id.as_ref().is_none_or(|d| *d == p.domain.id))
        .filter(|p| parent_id.as_ref().is_none_or(|d| *d == p.domain.id))
        .filter(|_| {
            enabled
                .as_deref()
                .is_none_or(|e| !matches!(e.to_ascii_lowercase().as_str(), "false" | "0"))
        })
        .collect();
    let href = format!("{}/v3/projects", iam.external_url);
    project_list(&iam, &projects, &href)
}

/// `GET /v3/auth/projects`: the projects the caller may scope to.
async fn auth_projects(State(state): State<AppState>, req: Request) -> Response {
    let (iam, _, principal) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let href = format!("{}/v3/auth/projects", iam.external_url);
    project_list(&iam, &principal.projects(&iam), &href)
}

/// `GET /v3/auth/domains`: the caller's account.
async fn auth_domains(State(state): State<AppState>, req: Request) -> Response {
    let (iam, _, principal) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    #[derive(Serialize)]
    struct DomainListView<'a> {
        id: &'a str,
        name: &'a str,
        enabled: bool,
        description: &'static str,
        links: SelfLink,
    }
    #[derive(Serialize)]
    struct Domains<'a> {
        domains: Vec<DomainListView<'a>>,
        links: PageLinks<'a>,
    }
    let href = format!("{}/v3/auth/domains", iam.external_url);
    let domains = principal
        .domain(&iam)
        .map(|d| DomainListView {
            id: &d.id,
            name: &d.name,
            enabled: true,
            description: "",
            links: SelfLink {
                this: format!("{}/v3/domains/{}", iam.external_url, d.id),
            },
        })
        .into_iter()
        .collect();
    json_response(
        StatusCode::OK,
        &Domains {
            domains,
            links: PageLinks::single_page(&href),
        },
    )
}

/// `GET /v3/auth/catalog`: the services and their public endpoint.
async fn auth_catalog(State(state): State<AppState>, req: Request) -> Response {
    let (iam, _, _) = match open_as_caller(&state, req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    #[derive(Serialize)]
    struct Catalog<'a> {
        catalog: &'a [CatalogEntry],
        links: PageLinks<'a>,
    }
    let href = format!("{}/v3/auth/catalog", iam.external_url);
    json_response(
        StatusCode::OK,
        &Catalog {
            catalog: &iam.catalog,
            links: PageLinks::single_page(&href),
        },
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::iam::test_support::*;

    fn login(body: serde_json::Value) -> Result<(Login, WantedScope), Failure> {
        parse_login(body.to_string().as_bytes())
    }

    #[test]
    fn logins_are_checked_for_shape_before_any_password() {
        let ok = login(serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "alice", "password": "pw", "domain": {"name": "acme"}}}},
            "scope": {"project": {"name": "cn-north-4"}}}}));
        assert!(matches!(
            ok,
            Ok((Login::Password { .. }, WantedScope::ProjectName(ref n, None))) if n == "cn-north-4"
        ));
        let by_token = login(serde_json::json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": "abc"}},
            "scope": {"domain": {"id": "d1"}}}}));
        assert!(matches!(
            by_token,
            Ok((Login::Token(_), WantedScope::Domain(_)))
        ));
        let bad = |v: serde_json::Value| match login(v) {
            Err(Failure::BadRequest(m)) => m,
            Err(f) => panic!("{f:?}"),
            Ok(_) => panic!("accepted"),
        };
        let pw = serde_json::json!({"methods": ["password"], "password": {"user": {
            "name": "alice", "password": "pw", "domain": {"name": "acme"}}}});
        assert!(bad(serde_json::json!({"auth": {"identity": pw}})).contains("scope"));
        assert!(
            bad(serde_json::json!({"auth": {"identity": pw,
            "scope": {"project": {"id": "p"}, "domain": {"id": "d"}}}}))
            .contains("not both")
        );
        assert!(
            bad(serde_json::json!({"auth": {"identity": pw,
            "scope": {"project": {}}}}))
            .contains("id or name")
        );
        assert!(bad(serde_json::json!({"auth": {"identity": pw, "scope": {}}})).contains("scope"));
        assert!(
            bad(
                serde_json::json!({"auth": {"identity": {"methods": ["password"],
            "password": {"user": {"name": "alice", "password": "pw"}}},
            "scope": {"domain": {"id": "d"}}}})
            )
            .contains("domain")
        );
        assert!(
            bad(
                serde_json::json!({"auth": {"identity": {"methods": ["password"]},
            "scope": {"domain": {"id": "d"}}}})
            )
            .contains("password")
        );
        assert!(
            bad(serde_json::json!({"auth": {"identity": {"methods": []},
            "scope": {"domain": {"id": "d"}}}}))
            .contains("methods")
        );
        assert!(bad(serde_json::json!({"nope": 1})).contains("valid"));
        assert!(matches!(parse_login(b"\xff{"), Err(Failure::BadRequest(_))));
        // Another method, or two: unsupported, 401 as Keystone.
        for methods in [
            serde_json::json!(["totp"]),
            serde_json::json!(["password", "token"]),
        ] {
            assert!(matches!(
                login(serde_json::json!({"auth": {"identity": {"methods": methods,
                    "token": {"id": "x"}}, "scope": {"domain": {"id": "d"}}}})),
                Err(Failure::Unauthorized)
            ));
        }
    }

    #[test]
    fn a_user_gets_only_its_own_scopes() {
        let iam = iam(&config());
        let alice = &iam.directory.users[0];
        let named = |name: &str, domain: Option<NameOrId>| {
            grant(alice, &WantedScope::ProjectName(name.into(), domain))
        };
        assert!(matches!(
            grant(alice, &WantedScope::ProjectId("p2".into())),
            Some(Scope::Project(p)) if p.id == "p2"
        ));
        assert!(matches!(named("cn-north-4", None), Some(Scope::Project(p)) if p.id == "p1"));
        assert!(
            named(
                "cn-north-4",
                Some(NameOrId {
                    id: Some("d1".into()),
                    name: None
                })
            )
            .is_some()
        );
        assert!(
            named(
                "cn-north-4",
                Some(NameOrId {
                    id: None,
                    name: Some("other".into())
                })
            )
            .is_none()
        );
        // Another domain's project, by id or name: refused.
        assert!(grant(alice, &WantedScope::ProjectId("p9".into())).is_none());
        assert!(named("other", None).is_none());
        assert!(matches!(
            grant(
                alice,
                &WantedScope::Domain(NameOrId {
                    id: None,
                    name: Some("acme".into())
                })
            ),
            Some(Scope::Domain)
        ));
        assert!(
            grant(
                alice,
                &WantedScope::Domain(NameOrId {
                    id: Some("d2".into()),
                    name: None
                })
            )
            .is_none()
        );
    }
}
