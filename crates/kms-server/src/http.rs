//! The HTTP front: routes, authentication and tenancy, request ids, body
//! limit, timeout, one log line per request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName};
use axum::http::{HeaderValue, Method, StatusCode, Uri, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kms_core::ports::{Caller, CertificateFilter};
use kms_core::{CertificateQuery, KeyPairOp, KeyPairWork, Kms};
use kms_model::{ApiError, ErrorCode, Operation, Rule, Service, ValidationError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::{Layer, Service as TowerService};

use crate::auth::{Authenticator, Precheck};
use crate::iam::Iam;
use crate::metrics::Metrics;
use kms_sign::{AuthError, SignedRequest};

/// The body of a handler's request, or the handler answers the error.
macro_rules! body_or_reject {
    ($ctx:expr, $ty:ty) => {
        match $ctx.decode::<$ty>() {
            Ok(b) => b,
            Err(e) => return error_response(&e),
        }
    };
    // An operation whose body may be absent: no body is `{}`.
    ($ctx:expr, $ty:ty, optional) => {
        match $ctx.decode_optional::<$ty>() {
            Ok(b) => b,
            Err(e) => return error_response(&e),
        }
    };
}

mod apig;
mod keystone;
mod kms;

/// The request id header.
pub(crate) const REQUEST_ID: &str = "x-request-id";

// Header names as values: a lookup by `&str` parses and lower-cases the
// name on every call.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(REQUEST_ID);
const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");
const X_SDK_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-sdk-content-sha256");

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    kms: Arc<Kms>,
    auth: Arc<Authenticator>,
    body_limit: usize,
    timeout: Duration,
    id_prefix: u64,
    id_counter: AtomicU64,
    /// Bounds the writes and certificate checks running on the blocking
    /// pool at once. A request waits for a permit inside its timeout, so a
    /// flood of expensive requests queues and times out instead of piling
    /// up CPU work that outlives every deadline.
    blocking: Arc<tokio::sync::Semaphore>,
    /// Of those slots, how many one project may hold at once, so that one
    /// tenant's flood of expensive requests leaves slots to the others.
    per_project_blocking: usize,
    /// Each project's share of the blocking slots (projects are the
    /// configured ones: callers are authenticated before they get here).
    project_blocking: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Semaphore>>>,
    /// Whether storage and root-key calls may run on the async workers
    /// (local storage without HSM clusters).
    inline_storage: bool,
    /// Bounds the reads sent off the async workers when they may not run
    /// there: a stalled database holds at most this many blocking threads.
    off_worker_reads: Arc<tokio::sync::Semaphore>,
    /// Per-project request rate limit (none: unlimited).
    rate: Option<Arc<RateLimiter>>,
    /// Bytes of bodies buffered for requests not yet authenticated (a
    /// signature is verified over its body), shared by all of them: a
    /// flood of stalled requests under a known access key cannot make the
    /// server buffer more than this. Permits are bytes.
    unauthenticated: Arc<tokio::sync::Semaphore>,
    /// The budget's size in bytes.
    unauthenticated_bytes: usize,
    /// The Keystone (IAM) front, when configured: its routes are served
    /// beside the API's.
    iam: Option<Arc<Iam>>,
    /// What `GET /metrics` reports.
    metrics: Arc<Metrics>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("body_limit", &self.inner.body_limit)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a service and credentials.
    #[must_use]
    pub fn new(kms: Arc<Kms>, auth: Authenticator, body_limit: usize, timeout: Duration) -> Self {
        let mut seed = [0u8; 8];
        // Request ids need uniqueness, not secrecy: a failed OS source only
        // makes the prefix less random.
        let _ = getrandom::fill(&mut seed);
        Self {
            inner: Arc::new(StateInner {
                kms,
                auth: Arc::new(auth),
                body_limit,
                timeout,
                id_prefix: u64::from_le_bytes(seed),
                id_counter: AtomicU64::new(0),
                blocking: Arc::new(tokio::sync::Semaphore::new(default_blocking_limit())),
                per_project_blocking: per_project_share(default_blocking_limit()),
                project_blocking: std::sync::Mutex::default(),
                inline_storage: true,
                off_worker_reads: Arc::new(tokio::sync::Semaphore::new(OFF_WORKER_READS)),
                rate: None,
                unauthenticated: Arc::new(tokio::sync::Semaphore::new(unauthenticated_default(
                    body_limit,
                ))),
                unauthenticated_bytes: unauthenticated_default(body_limit),
                iam: None,
                metrics: Arc::new(Metrics::default()),
            }),
        }
    }

    /// The same state with at most `limit` (at least 1) blocking operations
    /// at once (default: four per core), half of them (at least one) for
    /// one project.
    #[must_use]
    pub fn with_blocking_limit(self, limit: usize) -> Self {
        self.edited(|s| {
            s.blocking = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
            s.per_project_blocking = per_project_share(limit);
        })
    }

    /// The same state answering a project's requests beyond
    /// `per_second` a second (after a burst of `burst`) with 429
    /// `APIGW.0308`, as API Gateway throttles.
    #[must_use]
    pub fn with_project_rate_limit(self, per_second: u32, burst: u32) -> Self {
        self.edited(|s| s.rate = Some(Arc::new(RateLimiter::new(per_second, burst))))
    }

    /// The same state running every storage and root-key call off the
    /// async workers (for PostgreSQL and HSM clusters, whose calls can
    /// stall on the network or the device).
    #[must_use]
    pub fn with_storage_off_workers(self) -> Self {
        self.edited(|s| s.inline_storage = false)
    }

    /// Runs the read `f` on the blocking pool, within the bound on reads
    /// sent there (waited for inside the request timeout).
    pub(crate) async fn off_workers<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, BlockingFailed> {
        let permit = Arc::clone(&self.inner.off_worker_reads)
            .acquire_owned()
            .await?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await?)
    }

    /// The service the handlers call.
    pub(crate) fn kms(&self) -> &Arc<Kms> {
        &self.inner.kms
    }

    /// The same state letting one project hold at most `limit` (at least
    /// 1) of the blocking slots at once.
    #[must_use]
    pub fn with_per_project_blocking_limit(self, limit: usize) -> Self {
        self.edited(|s| s.per_project_blocking = limit.max(1))
    }

    /// The same state buffering at most `bytes` (at least one body limit)
    /// of bodies for requests not yet authenticated at once (default:
    /// `UNAUTHENTICATED_BODY_BYTES`, or one body limit if larger).
    #[must_use]
    pub fn with_unauthenticated_body_budget(self, bytes: usize) -> Self {
        let bytes = bytes
            .max(self.inner.body_limit)
            .min(tokio::sync::Semaphore::MAX_PERMITS);
        self.edited(|s| {
            s.unauthenticated = Arc::new(tokio::sync::Semaphore::new(bytes));
            s.unauthenticated_bytes = bytes;
        })
    }

    /// The part of the budget for unauthenticated bodies that `body` may
    /// take, held until the permit drops: its length as HTTP declares it
    /// (none for a request without a body), else the body limit; at most
    /// the whole budget.
    pub(crate) fn unauthenticated_budget(
        &self,
        body: &Body,
    ) -> impl Future<Output = Result<tokio::sync::OwnedSemaphorePermit, tokio::sync::AcquireError>>
    + Send
    + 'static {
        let cap = self.inner.unauthenticated_bytes;
        let n = axum::body::HttpBody::size_hint(body)
            .upper()
            .and_then(|b| usize::try_from(b).ok())
            .unwrap_or(self.inner.body_limit)
            .min(self.inner.body_limit)
            .min(cap);
        let budget = Arc::clone(&self.inner.unauthenticated);
        async move {
            budget
                .acquire_many_owned(u32::try_from(n).unwrap_or(u32::MAX))
                .await
        }
    }

    /// The same state serving the Keystone (IAM) front `iam` too.
    #[must_use]
    pub fn with_iam(self, iam: Iam) -> Self {
        self.edited(|s| s.iam = Some(Arc::new(iam)))
    }

    /// The same state counting into `metrics` (and serving them on `GET
    /// /metrics`).
    #[must_use]
    pub(crate) fn with_metrics(self, metrics: Arc<Metrics>) -> Self {
        self.edited(|s| s.metrics = metrics)
    }

    /// A copy of the state (the request counter carried on) with `edit`
    /// applied.
    fn edited(&self, edit: impl FnOnce(&mut StateInner)) -> Self {
        let old = &self.inner;
        let mut inner = StateInner {
            kms: Arc::clone(&old.kms),
            auth: Arc::clone(&old.auth),
            body_limit: old.body_limit,
            timeout: old.timeout,
            id_prefix: old.id_prefix,
            id_counter: AtomicU64::new(old.id_counter.load(Ordering::Relaxed)),
            blocking: Arc::clone(&old.blocking),
            per_project_blocking: old.per_project_blocking,
            project_blocking: std::sync::Mutex::default(),
            inline_storage: old.inline_storage,
            off_worker_reads: Arc::clone(&old.off_worker_reads),
            rate: old.rate.clone(),
            unauthenticated: Arc::clone(&old.unauthenticated),
            unauthenticated_bytes: old.unauthenticated_bytes,
            iam: old.iam.clone(),
            metrics: Arc::clone(&old.metrics),
        };
        edit(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn iam(&self) -> Option<&Arc<Iam>> {
        self.inner.iam.as_ref()
    }

    pub(crate) fn authenticator(&self) -> &Authenticator {
        &self.inner.auth
    }

    pub(crate) fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Runs `f` on the blocking pool once one of its bounded slots is free.
    /// Waiting counts against the request timeout; the slot is then held
    /// as long as the work, even past a timed-out response.
    pub(crate) async fn run_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, BlockingFailed> {
        self.run_blocking_for(None, None, f).await
    }

    /// [`AppState::run_blocking`] for a request of `project` (which then
    /// also waits for one of its project's share of the slots), whose
    /// `slot` records that its work started: a request whose work has not
    /// started by its deadline is answered 504 and its work never runs;
    /// once started, it is answered with the work's outcome, however long
    /// that takes. So a 504 always means nothing was done.
    pub(crate) async fn run_blocking_for<R: Send + 'static>(
        &self,
        project: Option<&str>,
        slot: Option<&RequestSlot>,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, BlockingFailed> {
        let asked = Instant::now();
        let mut queued = false;
        let share = match project {
            Some(p) => {
                let share = self.project_share(p);
                Some(match Arc::clone(&share).try_acquire_owned() {
                    Ok(permit) => permit,
                    Err(_) => {
                        queued = true;
                        share.acquire_owned().await?
                    }
                })
            }
            None => None,
        };
        let slots = &self.inner.blocking;
        let permit = match Arc::clone(slots).try_acquire_owned() {
            Ok(p) => p,
            // Every slot taken (or the pool closed: acquiring says so).
            Err(_) => {
                queued = true;
                Arc::clone(slots).acquire_owned().await?
            }
        };
        let metrics = Arc::clone(&self.inner.metrics);
        let slot = slot.cloned();
        tokio::task::spawn_blocking(move || {
            let _permits = (permit, share);
            if slot.as_ref().is_some_and(|s| !s.start_work()) {
                // Its request was answered 504 while this waited for a
                // blocking thread.
                return Err(BlockingFailed::Abandoned);
            }
            metrics.record_blocking(queued, asked.elapsed());
            Ok(f())
        })
        .await?
    }

    /// `project`'s share of the blocking slots.
    fn project_share(&self, project: &str) -> Arc<tokio::sync::Semaphore> {
        let mut shares = self
            .inner
            .project_blocking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = shares.get(project) {
            return Arc::clone(s);
        }
        let s = Arc::new(tokio::sync::Semaphore::new(self.inner.per_project_blocking));
        shares.insert(project.to_owned(), Arc::clone(&s));
        s
    }

    /// 32 lower-case hex digits: the process's random prefix, then a
    /// counter.
    fn next_request_id(&self) -> HeaderValue {
        let n = self.inner.id_counter.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 32];
        let digits = b"0123456789abcdef";
        for (i, d) in id.iter_mut().enumerate() {
            let word = if i < 16 { self.inner.id_prefix } else { n };
            let shift = 60 - 4 * (i % 16);
            *d = digits[usize::try_from((word >> shift) & 0xf).unwrap_or(0)];
        }
        HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("-"))
    }
}

/// Why work sent to the blocking pool did not complete.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BlockingFailed {
    /// The pool's semaphore was closed.
    #[error(transparent)]
    Closed(#[from] tokio::sync::AcquireError),
    /// The task panicked or was cancelled.
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    /// The request timed out before the work started: it was not done.
    #[error("the request timed out before its work started")]
    Abandoned,
}

/// Token buckets, one per project: `burst` requests at once, refilled at
/// `per_second`.
struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: std::sync::Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: std::sync::Mutex::default(),
        }
    }

    /// Takes one request from `project`'s bucket; `false` when empty.
    fn allow(&self, project: &str) -> bool {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = match buckets.get_mut(project) {
            Some(b) => b,
            None => buckets.entry(project.to_owned()).or_insert(Bucket {
                tokens: self.burst,
                at: now,
            }),
        };
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Reads in flight on the blocking pool at once when storage may not be
/// called from the async workers.
const OFF_WORKER_READS: usize = 64;

/// One project's share of `limit` blocking slots: half, at least one.
fn per_project_share(limit: usize) -> usize {
    (limit / 2).max(1)
}

/// Bytes of bodies buffered at once for requests not yet authenticated,
/// by default (64 bodies of the default limit).
pub(crate) const UNAUTHENTICATED_BODY_BYTES: usize = 16 << 20;

fn unauthenticated_default(body_limit: usize) -> usize {
    UNAUTHENTICATED_BODY_BYTES
        .max(body_limit)
        .min(tokio::sync::Semaphore::MAX_PERMITS)
        .min(u32::MAX as usize)
}

/// Four per core, so that one project's share (half) is twice the cores:
/// with a share of one per core, every hand-off between two private-key
/// operations (the slot released, the next request woken, its work handed
/// to a blocking thread) left a core idle, 20 % of the time for RSA-2048
/// signing on two cores (docs/benchmarks-server.md).
fn default_blocking_limit() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 4)
}

/// The router with every route of the contract and all middleware. The
/// routes are the registry's ([`Operation::ALL`]): each served operation
/// at its method and path.
pub fn router(state: AppState) -> Router {
    let iam = match state.iam() {
        Some(_) => keystone::routes(),
        None => Router::new(),
    };
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(iam);
    for &op in Operation::ALL {
        if let (Some((_, path)), Some(handler)) = (op.route(), api_handler(op)) {
            router = router.route(&path, handler);
        }
    }
    router
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(FrameLayer {
            state: state.clone(),
        })
        .with_state(state)
}

/// The handler of an operation, at the registry's method; `None` for an
/// operation only a host calls.
fn api_handler(op: Operation) -> Option<axum::routing::MethodRouter<AppState>> {
    use self::apig::*;
    use self::kms::*;
    use axum::routing::{MethodFilter, on};
    let (method, _) = op.route()?;
    let f = match method {
        kms_model::Method::Get => MethodFilter::GET,
        kms_model::Method::Post => MethodFilter::POST,
        kms_model::Method::Put => MethodFilter::PUT,
        kms_model::Method::Delete => MethodFilter::DELETE,
    };
    Some(match op {
        Operation::CreateKeystore => on(f, create_keystore),
        Operation::ListKeystores => on(f, list_keystores),
        Operation::ShowKeystore => on(f, show_keystore),
        Operation::DeleteKeystore => on(f, delete_keystore),
        Operation::EnableKeystore => on(f, enable_keystore),
        Operation::DisableKeystore => on(f, disable_keystore),
        Operation::CreatePin => on(f, create_pin),
        Operation::CreateKey => on(f, create_key),
        Operation::EnableKey => on(f, enable_key),
        Operation::DisableKey => on(f, disable_key),
        Operation::ScheduleKeyDeletion => on(f, schedule_key_deletion),
        Operation::CancelKeyDeletion => on(f, cancel_key_deletion),
        Operation::DescribeKey => on(f, describe_key),
        Operation::ListKeys => on(f, list_keys),
        Operation::UpdateKeyAlias => on(f, update_key_alias),
        Operation::UpdateKeyDescription => on(f, update_key_description),
        Operation::EncryptData => on(f, encrypt_data),
        Operation::DecryptData => on(f, decrypt_data),
        Operation::ReEncrypt => on(f, re_encrypt),
        Operation::EnableKeyRotation => on(f, enable_key_rotation),
        Operation::DisableKeyRotation => on(f, disable_key_rotation),
        Operation::GetKeyRotationStatus => on(f, get_key_rotation_status),
        Operation::UpdateKeyRotationInterval => on(f, update_key_rotation_interval),
        Operation::RotateOnDemand => on(f, rotate_on_demand),
        Operation::BatchKmsTags => on(f, batch_kms_tags),
        Operation::ShowKmsTags => on(f, show_kms_tags),
        Operation::CreateKmsTag => on(f, create_kms_tag),
        Operation::DeleteKmsTag => on(f, delete_kms_tag),
        Operation::ListKmsByTags => on(f, list_kms_by_tags),
        Operation::ListKmsTags => on(f, list_kms_tags),
        Operation::GenRandom => on(f, gen_random),
        Operation::Sign => on(f, sign),
        Operation::ValidateSignature => on(f, validate_signature),
        Operation::GetPublicKey => on(f, get_public_key),
        Operation::CreateDatakey => on(f, create_datakey),
        Operation::CreateDatakeyWithoutPlaintext => on(f, create_datakey_without_plaintext),
        Operation::EncryptDatakey => on(f, encrypt_datakey),
        Operation::DecryptDatakey => on(f, decrypt_datakey),
        Operation::CreateCertificate => on(f, create_certificate),
        Operation::ListCertificates => on(f, list_certificates),
        Operation::ShowCertificate => on(f, show_certificate),
        Operation::UpdateCertificate => on(f, update_certificate),
        Operation::DeleteCertificate => on(f, delete_certificate),
        Operation::CreateGrant => on(f, create_grant),
        Operation::ListGrants => on(f, list_grants),
        Operation::ListRetirableGrants => on(f, list_retirable_grants),
        Operation::RevokeGrant => on(f, revoke_grant),
        Operation::RetireGrant => on(f, retire_grant),
        Operation::ShowUserQuotas => on(f, show_user_quotas),
        Operation::ShowUserInstances => on(f, show_user_instances),
        Operation::ListSupportRegions => on(f, list_support_regions),
        Operation::ReplicateKey => on(f, replicate_key),
        Operation::UpdatePrimaryRegion => on(f, update_primary_region),
        Operation::GenerateMac => on(f, generate_mac),
        Operation::VerifyMac => on(f, verify_mac),
        Operation::DeriveSharedSecret => on(f, derive_shared_secret),
        // The version documents sit outside the project prefix; any other
        // method there answers as an unknown route did before they were
        // served (400 KMS.0201), not 405.
        Operation::ShowVersions => on(f, show_versions).fallback(unknown_route),
        Operation::ShowVersion => on(f, show_version).fallback(unknown_route),
        Operation::CreateAlias => on(f, create_alias),
        Operation::ListAliases => on(f, list_aliases),
        Operation::DeleteAlias => on(f, delete_alias),
        Operation::AssociateAlias => on(f, associate_alias),
        Operation::CreateRsaDatakeyPair => on(f, create_rsa_datakey_pair),
        Operation::CreateEcDatakeyPair => on(f, create_ec_datakey_pair),
        Operation::CreateParametersForImport => on(f, get_parameters_for_import),
        Operation::ImportKeyMaterial => on(f, import_key_material),
        Operation::DeleteImportedKeyMaterial => on(f, delete_imported_key_material),
        // Host-only (certificate private-key export), or an operation this
        // build does not serve: no route; a test lists every routed
        // operation of the registry as served.
        _ => return None,
    })
}

// ---------------------------------------------------------------- middleware

// A hand-written tower service rather than `middleware::from_fn`, which
// clones and boxes the inner service and boxes its future on every
// request; and no layer after routing (`route_layer` adds another boxed
// service and future per request): the matched route comes back through
// a slot the frame puts in the request.

/// What a request leaves for its frame (the access line and the timeout):
/// [`Frame`] puts an empty slot in the request; [`record_route`] (the
/// `Ctx` extractor of every API route, and `health`) fills in the route,
/// and the blocking pool marks when the request's work starts.
#[derive(Clone, Default)]
pub(crate) struct RequestSlot(Arc<SlotInner>);

#[derive(Default)]
struct SlotInner {
    route: std::sync::OnceLock<MatchedPath>,
    /// [`WORK_WAITING`], [`WORK_STARTED`] or [`WORK_ABANDONED`].
    work: AtomicU8,
}

const WORK_WAITING: u8 = 0;
const WORK_STARTED: u8 = 1;
const WORK_ABANDONED: u8 = 2;

impl RequestSlot {
    fn route(&self) -> Option<&MatchedPath> {
        self.0.route.get()
    }

    /// Marks the request's work started, unless the request was already
    /// answered 504 (then `false`: the work must not run).
    fn start_work(&self) -> bool {
        match self.0.work.compare_exchange(
            WORK_WAITING,
            WORK_STARTED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            Err(now) => now == WORK_STARTED,
        }
    }

    /// At the deadline: `true` (answer 504) unless the work has started,
    /// which then may no longer start.
    fn abandon(&self) -> bool {
        match self.0.work.compare_exchange(
            WORK_WAITING,
            WORK_ABANDONED,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            Err(now) => now == WORK_ABANDONED,
        }
    }
}

/// Fills the request's [`RequestSlot`] with the route the router matched.
pub(crate) fn record_route(extensions: &axum::http::Extensions) {
    if let (Some(slot), Some(path)) = (
        extensions.get::<RequestSlot>(),
        extensions.get::<MatchedPath>(),
    ) {
        // Set once per request; a second set would only repeat it.
        let _ = slot.0.route.set(path.clone());
    }
}

/// The error code of an error answer, for the access line and the metrics.
#[derive(Clone, Copy)]
struct ErrorCodeName(ErrorCode);

/// What caused an error behind the API (storage, root keys), logged once
/// by [`Frame`] with the request id; never on the wire.
#[derive(Clone)]
struct ErrorCause(Arc<dyn std::error::Error + Send + Sync + 'static>);

/// An error and its sources, `a: b: c`.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

/// A client's `X-Request-Id` is echoed and logged only if it is 1..=128
/// characters of `A-Za-z0-9` and `-_.:/+=` (UUIDs, hex, base64 ids): a
/// quote, a space or a control character could otherwise split or forge
/// the access line's fields. Anything else is replaced by a generated id.
fn valid_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.:/+=".contains(c))
}

/// Outer layer: request id, timeout, one access line.
#[derive(Clone)]
struct FrameLayer {
    state: AppState,
}

impl<S> Layer<S> for FrameLayer {
    type Service = Frame<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Frame {
            inner,
            state: self.state.clone(),
        }
    }
}

#[derive(Clone)]
struct Frame<S> {
    inner: S,
    state: AppState,
}

/// What the access line and the metrics need once the response is there.
struct Pending {
    metrics: Arc<Metrics>,
    start: Instant,
    slot: RequestSlot,
    request_id: HeaderValue,
    method: Method,
    uri: Uri,
}

impl<S> TowerService<Request> for Frame<S>
where
    S: TowerService<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrameFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let slot = RequestSlot::default();
        req.extensions_mut().insert(slot.clone());
        let request_id = match req.headers().get(&REQUEST_ID_HEADER) {
            Some(v) if valid_request_id(v) => v.clone(),
            // Only the response carries a generated id: nothing behind the
            // frame reads it from the request.
            _ => self.state.next_request_id(),
        };
        let pending = Pending {
            metrics: Arc::clone(&self.state.inner.metrics),
            start,
            slot,
            request_id,
            method: req.method().clone(),
            uri: req.uri().clone(),
        };
        FrameFuture {
            inner: self.inner.call(req),
            deadline: tokio::time::sleep(self.state.inner.timeout),
            overtime: false,
            pending: Some(pending),
        }
    }
}

pin_project_lite::pin_project! {
    struct FrameFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        deadline: tokio::time::Sleep,
        // Past the deadline with work started: waiting for its outcome.
        overtime: bool,
        pending: Option<Pending>,
    }
}

impl<F> Future for FrameFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let done = match this.inner.as_mut().poll(cx) {
            Poll::Ready(r) => Ok(r),
            Poll::Pending if *this.overtime => return Poll::Pending,
            Poll::Pending => {
                ready!(this.deadline.poll(cx));
                let abandoned = this.pending.as_ref().is_none_or(|p| p.slot.abandon());
                if !abandoned {
                    // The work started in time: its outcome is the answer.
                    *this.overtime = true;
                    return Poll::Pending;
                }
                Err(())
            }
        };
        let Some(p) = this.pending.take() else {
            // Polled again after completion: answer without a second line.
            return Poll::Ready(Ok(error_response(&ApiError::bare(ErrorCode::KmsInternal))));
        };
        let path = p.uri.path();
        let mut resp = match done {
            Ok(Ok(r)) => r,
            Ok(Err(never)) => match never {},
            Err(()) => error_response(&ApiError::bare(match Service::of_path(path) {
                Service::Kms => ErrorCode::KmsRequestTimeout,
                Service::Apig => ErrorCode::ApigRequestTimeout,
            })),
        };
        // Validated (incoming) or generated: printable ASCII either way.
        let request_id = p.request_id.to_str().unwrap_or("-");
        let route = p.slot.route().map_or("-", MatchedPath::as_str);
        let error_code = resp.extensions().get::<ErrorCodeName>().map(|c| c.0);
        let code = error_code.map_or("", ErrorCode::as_str);
        let elapsed = p.start.elapsed();
        p.metrics.record_request(
            &p.method,
            p.slot.route().map(MatchedPath::as_str),
            resp.status().as_u16(),
            error_code,
            elapsed,
        );
        let project = path_project(path).unwrap_or("");
        if let Some(ErrorCause(cause)) = resp.extensions().get::<ErrorCause>() {
            let cause: &(dyn std::error::Error + 'static) = &**cause;
            tracing::error!(
                target: "kms_server::backend",
                request_id = %request_id,
                route,
                error_code = code,
                cause = %Chain(cause),
                "request failed behind the API",
            );
        }
        tracing::info!(
            target: "kms_server::access",
            method = %p.method,
            route,
            status = resp.status().as_u16(),
            error_code = code,
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            request_id = %request_id,
            project,
        );
        resp.headers_mut().insert(REQUEST_ID_HEADER, p.request_id);
        Poll::Ready(Ok(resp))
    }
}

// ---------------------------------------------------------------- errors

fn path_project(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/v1.0/")
        .or_else(|| path.strip_prefix("/v2/"))?;
    Some(rest.split_once('/').map_or(rest, |(project, _)| project))
}

fn internal_code(s: Service) -> ErrorCode {
    match s {
        Service::Kms => ErrorCode::KmsInternal,
        Service::Apig => ErrorCode::ApigSystemError,
    }
}

fn validation(s: Service, e: &ValidationError) -> ApiError {
    match s {
        Service::Kms => e.to_kms(),
        Service::Apig => e.to_apig(),
    }
}

/// The wire form of an error: its status and its body in the service's
/// shape, with the code remembered for the access log.
fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        e.to_json(),
    )
        .into_response();
    resp.extensions_mut().insert(ErrorCodeName(e.code()));
    if let Some(cause) = e.shared_cause() {
        resp.extensions_mut().insert(ErrorCause(cause));
    }
    resp
}

pub(crate) async fn unknown_route(uri: axum::http::Uri) -> Response {
    error_response(&ApiError::bare(match Service::of_path(uri.path()) {
        Service::Kms => ErrorCode::KmsInvalidUrl,
        Service::Apig => ErrorCode::ApigApiNotFound,
    }))
}

async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    error_response(&ApiError::bare(match Service::of_path(uri.path()) {
        Service::Kms => ErrorCode::KmsMethodNotAllowed,
        Service::Apig => ErrorCode::ApigMethodNotAllowed,
    }))
}

/// `GET /metrics`: the Prometheus text format; with a `metrics_token`
/// configured, only for `Authorization: Bearer <token>`.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    record_route(req.extensions());
    let metrics = &state.inner.metrics;
    if !metrics.authorized(req.headers()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            )],
            "unauthorized\n",
        )
            .into_response();
    }
    let _one_at_a_time = metrics.scrape_slot().await;
    let (metrics, kms) = (Arc::clone(metrics), Arc::clone(&state.inner.kms));
    // Counting keys reads storage: off the workers, outside the bounded
    // pool of the API's operations (whose waits it would skew).
    match tokio::task::spawn_blocking(move || metrics.render(&kms)).await {
        Ok(Ok(text)) => (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(target: "kms_server::metrics", error = %e, "encoding /metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(e) => {
            tracing::error!(target: "kms_server::metrics", error = %e, "encoding /metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /ready`: readiness. One storage read (off the async workers,
/// within 2 s, or half the request timeout if that is shorter): 200 `{"status":"ready"}`, or 503
/// `{"status":"unavailable"}` while storage does not answer (`/health`
/// is liveness and touches nothing).
async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    record_route(req.extensions());
    let kms = Arc::clone(state.kms());
    let probe = state.off_workers(move || {
        kms.ports()
            .keys
            .get_key("readiness-probe", "00000000-0000-0000-0000-000000000000")
            .map(|_| ())
    });
    // Within half the request timeout when that is shorter, so the
    // readiness answer (503) always comes before the request's own 504.
    let wait = READY_TIMEOUT.min(state.inner.timeout / 2);
    let ok = matches!(tokio::time::timeout(wait, probe).await, Ok(Ok(Ok(()))));
    let (status, body) = if ok {
        (StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"unavailable"}"#,
        )
    };
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// How long `/ready` waits for storage at most.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

async fn health(req: Request) -> Response {
    record_route(req.extensions());
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        r#"{"status":"ok"}"#,
    )
        .into_response()
}

// ---------------------------------------------------------------- the authenticated request

/// A received request as the verifier reads it.
pub(crate) struct View<'a> {
    pub(crate) parts: &'a Parts,
    pub(crate) body: &'a [u8],
}

impl SignedRequest for View<'_> {
    fn method(&self) -> &str {
        self.parts.method.as_str()
    }
    fn path(&self) -> &str {
        self.parts.uri.path()
    }
    fn query(&self) -> &str {
        self.parts.uri.query().unwrap_or("")
    }
    fn header(&self, name: &str) -> Option<&str> {
        let h = &self.parts.headers;
        // The names the verifier asks for on every request, looked up
        // without parsing them again.
        match name {
            "x-auth-token" => h.get(&X_AUTH_TOKEN),
            "authorization" => h.get(AUTHORIZATION),
            "x-sdk-date" => h.get(&X_SDK_DATE),
            "x-sdk-content-sha256" => h.get(&X_SDK_CONTENT_SHA256),
            "host" => h.get(HOST),
            "content-type" => h.get(CONTENT_TYPE),
            _ => h.get(name),
        }
        .and_then(|v| v.to_str().ok())
    }
    fn body(&self) -> &[u8] {
        self.body
    }
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// An authenticated request whose path project is the caller's: the
/// caller, the body, the path parameters after the project, the query.
struct Ctx {
    state: AppState,
    /// The frame's slot for this request (absent only when the router runs
    /// without the frame).
    slot: Option<RequestSlot>,
    caller: Arc<Caller>,
    service: Service,
    body: Bytes,
    params: Vec<String>,
    query: String,
}

struct Rejection(Response);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequest<AppState> for Ctx {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        record_route(&parts.extensions);
        let service = Service::of_path(parts.uri.path());
        let reject = |e: ApiError| Rejection(error_response(&e));
        let too_long = || {
            validation(
                service,
                &ValidationError::new(
                    "body",
                    Rule::BodyTooLarge {
                        max: state.inner.body_limit,
                    },
                ),
            )
        };
        let raw = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(p) => p,
            Err(_) => return Err(reject(ApiError::bare(ErrorCode::KmsInvalidUrl))),
        };
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if declared > u64::try_from(state.inner.body_limit).unwrap_or(u64::MAX) {
            return Err(reject(too_long()));
        }
        let unauthenticated = |e: AuthError| {
            tracing::debug!(target: "kms_server::auth", reason = %e, "authentication failed");
            let code = match service {
                Service::Kms => ErrorCode::KmsUnauthenticated,
                Service::Apig => ErrorCode::ApigIncorrectToken,
            };
            reject(ApiError::bare(code))
        };
        // Authenticate before the body is read wherever the scheme allows:
        // a token entirely, a signature as far as its headers go.
        let head = View {
            parts: &parts,
            body: &[],
        };
        let (body, caller) = match state
            .inner
            .auth
            .precheck(&head, now_unix)
            .map_err(unauthenticated)?
        {
            Precheck::Caller(caller) => {
                let body = axum::body::to_bytes(body, state.inner.body_limit)
                    .await
                    .map_err(|_| reject(too_long()))?;
                (body, caller)
            }
            Precheck::Signature(pending) => {
                // The body decides: it is buffered within the budget all
                // unauthenticated bodies share, waited for inside the
                // request timeout.
                let _budget = state
                    .unauthenticated_budget(&body)
                    .await
                    .map_err(|e| reject(ApiError::bare(internal_code(service)).with_cause(e)))?;
                let body = axum::body::to_bytes(body, state.inner.body_limit)
                    .await
                    .map_err(|_| reject(too_long()))?;
                let view = View {
                    parts: &parts,
                    body: &body,
                };
                let caller = state
                    .inner
                    .auth
                    .finish_signature(&pending, &view)
                    .map_err(unauthenticated)?;
                (body, caller)
            }
        };
        // The first path parameter is the project, on every route under a
        // project prefix (the version documents, `GET /` and
        // `GET /{version_id}`, have none: the caller's credential names
        // the project). The router has already percent-decoded every
        // parameter (once: a tag key `%41` arrives as `%2541` and is
        // `%41`, never `A`).
        let under_project = parts
            .extensions
            .get::<MatchedPath>()
            .is_none_or(|p| p.as_str().contains("{project_id}"));
        let mut values = raw.iter().map(|(_, v)| v);
        let project = if under_project {
            values.next()
        } else {
            Some(caller.project_id.as_str())
        };
        let Some(project) = project else {
            return Err(reject(ApiError::bare(ErrorCode::KmsInvalidUrl)));
        };
        if project != caller.project_id {
            let code = match service {
                Service::Kms => ErrorCode::KmsForbidden,
                Service::Apig => ErrorCode::ApigNoPermission,
            };
            return Err(reject(ApiError::bare(code)));
        }
        if let Some(rate) = &state.inner.rate {
            if !rate.allow(&caller.project_id) {
                return Err(reject(ApiError::bare(ErrorCode::GatewayThrottled)));
            }
        }
        let params = values.map(str::to_owned).collect();
        Ok(Self {
            state: state.clone(),
            slot: parts.extensions.get::<RequestSlot>().cloned(),
            caller,
            service,
            body,
            params,
            query: parts.uri.query().unwrap_or("").to_owned(),
        })
    }
}

/// The first value of `name` in a raw query string, percent-decoded (`+`
/// as a space; lossily: the store's rules reject what is not UTF-8).
pub(crate) fn query_value(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (kms_sign::percent_decode(k, true) == name.as_bytes())
                .then(|| String::from_utf8_lossy(&kms_sign::percent_decode(v, true)).into_owned())
        })
        .next()
}

impl Ctx {
    fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        kms_model::decode_body(&self.body).map_err(|e| validation(self.service, &e))
    }

    /// As [`Ctx::decode`], an empty body being `{}`
    /// ([`kms_model::decode_optional_body`]).
    fn decode_optional<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        kms_model::decode_optional_body(&self.body).map_err(|e| validation(self.service, &e))
    }

    fn param(&self, i: usize) -> String {
        self.params.get(i).cloned().unwrap_or_default()
    }

    fn query_param(&self, name: &str) -> Option<String> {
        query_value(&self.query, name)
    }

    /// Runs `f` on the blocking pool (operations that write and so fsync).
    async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let kms = Arc::clone(&self.state.inner.kms);
        let caller = Arc::clone(&self.caller);
        let project = Some(self.caller.project_id.as_str());
        self.state
            .run_blocking_for(project, self.slot.as_ref(), move || f(&kms, &caller))
            .await
            .unwrap_or_else(|e| Err(ApiError::bare(internal_code(self.service)).with_cause(e)))
    }

    /// Whether a key-pair operation on `key_id` is short and needs no
    /// storage read ([`Kms::key_pair_work`]): then it runs inline on this
    /// worker (a warm ECDSA P-256 sign, a verification, get-publickey),
    /// else on the blocking pool (RSA private-key operations, P-384, SM2,
    /// and anything that reads storage or opens a key first).
    fn light(&self, key_id: &str, op: KeyPairOp) -> bool {
        self.state.inner.kms.key_pair_work(&self.caller, key_id, op) == KeyPairWork::Light
    }

    /// A handler's answer: `f` (fast, read-mostly operations), its result
    /// as JSON. Run inline on this worker when storage answers from local
    /// files (SQLite, memory); with storage or root keys behind a network
    /// or a device (PostgreSQL, an HSM), on the blocking pool, so that a
    /// stalled database holds a blocking thread, not an async worker, and
    /// the request timeout still fires.
    async fn json_now<R: Serialize + Send + 'static>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError> + Send + 'static,
    ) -> Response {
        if self.state.inner.inline_storage {
            return json(self.service, f(&self.state.inner.kms, &self.caller));
        }
        let kms = Arc::clone(&self.state.inner.kms);
        let caller = Arc::clone(&self.caller);
        let r = self
            .state
            .off_workers(move || f(&kms, &caller))
            .await
            .unwrap_or_else(|e| Err(ApiError::bare(internal_code(self.service)).with_cause(e)));
        json(self.service, r)
    }

    /// [`Ctx::json_now`] for a body of string fields ([`StringFields`]).
    async fn json_fields_now<R: StringFields + Send + 'static>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError> + Send + 'static,
    ) -> Response {
        if self.state.inner.inline_storage {
            return json_fields(self.service, f(&self.state.inner.kms, &self.caller));
        }
        let kms = Arc::clone(&self.state.inner.kms);
        let caller = Arc::clone(&self.caller);
        let r = self
            .state
            .off_workers(move || f(&kms, &caller))
            .await
            .unwrap_or_else(|e| Err(ApiError::bare(internal_code(self.service)).with_cause(e)));
        json_fields(self.service, r)
    }

    /// A handler's answer: `f` run inline on this worker whatever the
    /// storage, for work the caches answer without storage or an HSM
    /// ([`Ctx::light`]), its result as JSON.
    fn json_inline<R: Serialize>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError>,
    ) -> Response {
        json(self.service, f(&self.state.inner.kms, &self.caller))
    }

    /// [`Ctx::json_inline`] for a body of string fields.
    fn json_fields_inline<R: StringFields>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError>,
    ) -> Response {
        json_fields(self.service, f(&self.state.inner.kms, &self.caller))
    }

    /// A handler's answer: `f` run on the blocking pool
    /// ([`Ctx::blocking`]), its result as JSON.
    async fn json_blocking<R: Serialize + Send + 'static>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError> + Send + 'static,
    ) -> Response {
        json(self.service, self.blocking(f).await)
    }

    /// [`Ctx::json_blocking`] answering 201 Created on success, for an
    /// operation the API reference documents 201 (create-alias).
    async fn json_created_blocking<R: Serialize + Send + 'static>(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<R, ApiError> + Send + 'static,
    ) -> Response {
        let mut resp = self.json_blocking(f).await;
        if resp.status() == StatusCode::OK {
            *resp.status_mut() = StatusCode::CREATED;
        }
        resp
    }

    /// A handler's answer: `f` run on the blocking pool, 204 with no body
    /// when it succeeds. Only for operations documented 204: an operation
    /// that answers 200 answers a JSON body, `{}` when its SDK model has no
    /// field ([`Ctx::empty_json_blocking`]), since Terraform's provider
    /// decodes every 200 body as JSON.
    async fn no_content_blocking(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<(), ApiError> + Send + 'static,
    ) -> Response {
        no_content(self.blocking(f).await)
    }

    /// A handler's answer: `f` run on the blocking pool, 200 with the JSON
    /// body `{}` ([`kms_model::EmptyResponseBody`]) when it succeeds.
    async fn empty_json_blocking(
        &self,
        f: impl FnOnce(&Kms, &Caller) -> Result<(), ApiError> + Send + 'static,
    ) -> Response {
        self.json_blocking(move |k, c| f(k, c).map(|()| kms_model::EmptyResponseBody {}))
            .await
    }
}

fn json<R: Serialize>(service: Service, r: Result<R, ApiError>) -> Response {
    match r.and_then(|v| {
        // Sized for the common answers (a 256-bit DEK's is 420 bytes) so
        // the buffer is not regrown while serialising.
        let mut body = Vec::with_capacity(512);
        serde_json::to_writer(&mut body, &v)
            .map(|()| body)
            .map_err(|e| ApiError::bare(internal_code(service)).with_cause(e))
    }) {
        Ok(body) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            Body::from(body),
        )
            .into_response(),
        Err(e) => error_response(&e),
    }
}

/// A response body made of string fields only, written without serde:
/// serde_json escapes a string byte by byte, which was the largest single
/// cost of answering a DEK request (a ciphertext is 300-odd hex digits).
/// [`write_json_string`] copies a string with nothing to escape whole and
/// hands any other to serde_json, so the bytes are serde_json's (a test
/// compares them for every type).
trait StringFields {
    /// The fields, in declaration order (serde's), as `(name, value)`.
    fn fields(&self) -> Vec<(&'static str, &str)>;
}

/// A string field of a response body, plain or secret (a DEK, exposed
/// here because writing it on the wire is the point).
trait WireStr {
    fn wire_str(&self) -> &str;
}

impl WireStr for String {
    fn wire_str(&self) -> &str {
        self
    }
}

impl WireStr for kms_model::Secret<String> {
    fn wire_str(&self) -> &str {
        self.expose()
    }
}

macro_rules! string_fields {
    ($($ty:ty { $($field:ident),+ })+) => {$(
        impl StringFields for $ty {
            fn fields(&self) -> Vec<(&'static str, &str)> {
                vec![$((stringify!($field), WireStr::wire_str(&self.$field))),+]
            }
        }
    )+};
}

string_fields! {
    kms_model::CreateDatakeyResponseBody { key_id, plain_text, cipher_text }
    kms_model::CreateDatakeyWithoutPlaintextResponseBody { key_id, cipher_text }
    kms_model::EncryptDatakeyResponseBody { key_id, cipher_text, datakey_length }
    kms_model::DecryptDatakeyResponseBody { data_key, datakey_length, datakey_dgst }
    kms_model::SignResponseBody { key_id, signature }
    kms_model::ValidateSignatureResponseBody { key_id, signature_valid }
}

/// `s` as a JSON string, as serde_json writes it: serde_json escapes
/// control characters, `"` and backslash only, so a string without them is
/// copied as is.
fn write_json_string(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    // A fold, not `all`: without the early exit the loop is vectorised.
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, s)
    }
}

/// The JSON object of `v`'s fields.
fn string_fields_json(v: &impl StringFields) -> serde_json::Result<Vec<u8>> {
    let mut body = Vec::with_capacity(512);
    body.push(b'{');
    for (i, (name, value)) in v.fields().into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write_json_string(&mut body, name)?;
        body.push(b':');
        write_json_string(&mut body, value)?;
    }
    body.push(b'}');
    Ok(body)
}

/// [`json`] for a [`StringFields`] body.
fn json_fields<R: StringFields>(service: Service, r: Result<R, ApiError>) -> Response {
    match r.and_then(|v| {
        string_fields_json(&v).map_err(|e| ApiError::bare(internal_code(service)).with_cause(e))
    }) {
        Ok(body) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            Body::from(body),
        )
            .into_response(),
        Err(e) => error_response(&e),
    }
}

fn no_content(r: Result<(), ApiError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every operation of the registry that has a route is served; only the
    /// host-only ones have no handler.
    #[test]
    fn every_routed_operation_of_the_registry_is_served() {
        let unserved: Vec<&str> = Operation::ALL
            .iter()
            .filter(|op| op.route().is_some() && api_handler(**op).is_none())
            .map(|op| op.name())
            .collect();
        assert!(unserved.is_empty(), "routed but not served: {unserved:?}");
        assert!(api_handler(Operation::ExportCertificatePrivateKey).is_none());
    }

    fn same_as_serde_json<T: StringFields + Serialize>(v: &T) {
        assert_eq!(
            String::from_utf8(string_fields_json(v).unwrap()).unwrap(),
            serde_json::to_string(v).unwrap()
        );
    }

    /// Every string-fields body is written byte for byte as serde_json
    /// writes it: plain strings, each character serde_json escapes, and
    /// characters it passes through (DEL, non-ASCII). A field added to one
    /// of these types and not to its `string_fields!` line fails here.
    #[test]
    fn string_fields_bodies_are_serde_jsons_bytes() {
        let samples = [
            "",
            "0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6",
            "00A1B2C3D4E5F6",
            "quo\"te",
            "back\\slash",
            "ctl\u{1}\n\t\u{1f}",
            "del\u{7f}",
            "ünïcödé ✓ 𝄞",
            "</script>",
        ];
        let s = |x: &str| x.to_owned();
        for a in samples {
            for b in samples {
                same_as_serde_json(&kms_model::CreateDatakeyResponseBody {
                    key_id: s(a),
                    plain_text: s(b).into(),
                    cipher_text: s(a),
                });
                same_as_serde_json(&kms_model::CreateDatakeyWithoutPlaintextResponseBody {
                    key_id: s(a),
                    cipher_text: s(b),
                });
                same_as_serde_json(&kms_model::EncryptDatakeyResponseBody {
                    key_id: s(b),
                    cipher_text: s(a),
                    datakey_length: s(b),
                });
                same_as_serde_json(&kms_model::DecryptDatakeyResponseBody {
                    data_key: s(a).into(),
                    datakey_length: s(b),
                    datakey_dgst: s(a),
                });
                same_as_serde_json(&kms_model::SignResponseBody {
                    key_id: s(a),
                    signature: s(b),
                });
                same_as_serde_json(&kms_model::ValidateSignatureResponseBody {
                    key_id: s(b),
                    signature_valid: s(a),
                });
            }
        }
    }
}
