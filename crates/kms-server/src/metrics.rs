//! `GET /metrics`: the server's counters in the Prometheus text format
//! (version 0.0.4), encoded by `prometheus-client`.
//!
//! The request path only adds to plain atomics: no lock, no allocation
//! (but the first request of an operation, which makes its row). Each
//! operation (method and route template) has a row in a fixed-size
//! open-addressing table, found by hashing the template; a row holds a
//! counter per status and a latency histogram. At scrape time the rows
//! are read and encoded through a `prometheus-client` collector, with what
//! is computed then: the core's cache counts, the adapters' failure
//! counts, and keys by state per configured project.
//!
//! Cardinality is bounded by construction: operations are route
//! templates (`/v1.0/{project_id}/kms/create-key`, never a key id),
//! statuses and error codes come from fixed lists, and projects are the
//! configured ones.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use kms_core::Kms;
use kms_core::ports::{KeyListQuery, KeyState};
use kms_model::ErrorCode;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

/// The `Content-Type` of a scrape's answer.
pub(crate) const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency buckets, microseconds: 100 µs to 10 s (the
/// default request timeout).
const LATENCY_BOUNDS_US: [u64; 16] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// Methods with a row of their own; any other is counted as `OTHER`.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "OTHER"];

/// Rows of the operation table (routes: about 60 today). Past it, new
/// operations share the `OVERFLOW` row.
const TABLE_SLOTS: usize = 256;

/// The operation label of requests no route matched.
const UNMATCHED: &str = "unmatched";

/// The operation label of the row operations share once the table is full.
const OVERFLOW: &str = "other";

/// A database's name (the `database` label) and how to read its failure
/// count.
pub(crate) type DatabaseFailures = (&'static str, fn() -> u64);

/// What `/metrics` needs from the configuration.
#[derive(Clone, Default)]
pub(crate) struct MetricsSettings {
    /// A bearer token `/metrics` requires (`metrics_token`); `None`: open.
    pub(crate) token: Option<zeroize::Zeroizing<String>>,
    /// The projects whose keys are counted by state (the configured ones).
    pub(crate) projects: Vec<String>,
    /// The database whose failures are reported, and how to read them.
    pub(crate) database: Option<DatabaseFailures>,
    /// Whether HSM (PKCS#11) clusters are configured: their failures are
    /// reported then.
    pub(crate) hsm: bool,
    /// Whether the listener speaks TLS: handshake failures and reloads are
    /// reported then.
    pub(crate) tls: bool,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("projects", &self.projects.len())
            .field("database", &self.database.map(|(name, _)| name))
            .field("hsm", &self.hsm)
            .field("tls", &self.tls)
            .finish()
    }
}

/// A histogram over [`LATENCY_BOUNDS_US`]: a counter per bucket (not
/// cumulative; the last is `+Inf`) and the sum, in microseconds.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BOUNDS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let i = LATENCY_BOUNDS_US.partition_point(|b| *b < us);
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// (sum in seconds, count, per-bucket counts with their bounds).
    #[allow(clippy::cast_precision_loss)] // counts and microsecond sums far below 2^52
    fn read(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let mut count = 0u64;
        let buckets = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let n = b.load(Ordering::Relaxed);
                count = count.saturating_add(n);
                let bound = LATENCY_BOUNDS_US
                    .get(i)
                    .map_or(f64::INFINITY, |us| *us as f64 / 1e6);
                (bound, n)
            })
            .collect();
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        (sum, count, buckets)
    }
}

/// One method of one route: answers by status, latency.
struct MethodRow {
    /// Indexed like [`Statuses::codes`], then one for any other status.
    statuses: Box<[AtomicU64]>,
    latency: Histogram,
}

/// One route template and its methods.
struct Row {
    route: Box<str>,
    methods: [MethodRow; METHODS.len()],
}

impl Row {
    fn new(route: &str, statuses: usize) -> Self {
        Self {
            route: route.into(),
            methods: std::array::from_fn(|_| MethodRow {
                statuses: (0..=statuses).map(|_| AtomicU64::new(0)).collect(),
                latency: Histogram::default(),
            }),
        }
    }
}

/// The statuses counted each on their own (every error code's, and the
/// successes'), sorted; any other is counted as `other`.
struct Statuses {
    codes: Vec<u16>,
    labels: Vec<String>,
}

impl Statuses {
    fn new() -> Self {
        let mut codes: Vec<u16> = [200, 201, 204, 300]
            .into_iter()
            .chain(ErrorCode::ALL.iter().map(|c| c.status()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let labels = codes
            .iter()
            .map(u16::to_string)
            .chain(std::iter::once("other".to_owned()))
            .collect();
        Self { codes, labels }
    }

    fn slot(&self, status: u16) -> usize {
        self.codes
            .binary_search(&status)
            .unwrap_or(self.codes.len())
    }
}

/// Every counter of the server.
pub(crate) struct Metrics {
    settings: MetricsSettings,
    statuses: Statuses,
    rows: Box<[OnceLock<Row>]>,
    overflow: Row,
    unmatched: Row,
    /// Indexed like [`ErrorCode::ALL`].
    errors: Box<[AtomicU64]>,
    blocking_waits: AtomicU64,
    blocking_wait: Histogram,
    tls_handshake_failures: AtomicU64,
    tls_reloads: AtomicU64,
    tls_reload_failures: AtomicU64,
    /// One scrape at a time (a scrape reads storage).
    scrape: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(MetricsSettings::default())
    }
}

/// FNV-1a: a few nanoseconds for a route template, and no key to seed
/// (the templates are the server's own, not a client's).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::DELETE => 3,
        _ => 4,
    }
}

impl Metrics {
    /// Empty counters; what is read at scrape time comes from `settings`.
    pub(crate) fn new(settings: MetricsSettings) -> Self {
        let statuses = Statuses::new();
        let n = statuses.codes.len();
        Self {
            settings,
            rows: (0..TABLE_SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: Row::new(OVERFLOW, n),
            unmatched: Row::new(UNMATCHED, n),
            statuses,
            errors: ErrorCode::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            blocking_waits: AtomicU64::new(0),
            blocking_wait: Histogram::default(),
            tls_handshake_failures: AtomicU64::new(0),
            tls_reloads: AtomicU64::new(0),
            tls_reload_failures: AtomicU64::new(0),
            scrape: tokio::sync::Mutex::new(()),
        }
    }

    /// The row of `route`, made on its first request.
    fn row(&self, route: &str) -> &Row {
        let mask = TABLE_SLOTS - 1;
        let start = usize::try_from(fnv1a(route)).unwrap_or(0) & mask;
        for probe in 0..TABLE_SLOTS {
            let Some(slot) = self.rows.get((start + probe) & mask) else {
                break;
            };
            let row = slot.get_or_init(|| Row::new(route, self.statuses.codes.len()));
            if *row.route == *route {
                return row;
            }
        }
        &self.overflow
    }

    /// Counts one answered request: `route` is the matched template (none:
    /// no route matched), `code` the error code of an error answer.
    pub(crate) fn record_request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: u16,
        code: Option<ErrorCode>,
        elapsed: Duration,
    ) {
        let row = route.map_or(&self.unmatched, |r| self.row(r));
        if let Some(m) = row.methods.get(method_index(method)) {
            if let Some(c) = m.statuses.get(self.statuses.slot(status)) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            m.latency.observe(elapsed);
        }
        if let Some(code) = code {
            if let Some(c) = ErrorCode::ALL
                .iter()
                .position(|c| *c == code)
                .and_then(|i| self.errors.get(i))
            {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts one operation sent to the blocking pool: whether it had to
    /// wait for a slot, and how long it waited until it ran.
    pub(crate) fn record_blocking(&self, queued: bool, waited: Duration) {
        if queued {
            self.blocking_waits.fetch_add(1, Ordering::Relaxed);
        }
        self.blocking_wait.observe(waited);
    }

    /// Counts a TLS handshake that failed or timed out.
    pub(crate) fn record_tls_handshake_failure(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a certificate reload (SIGHUP).
    pub(crate) fn record_tls_reload(&self, ok: bool) {
        let c = if ok {
            &self.tls_reloads
        } else {
            &self.tls_reload_failures
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether `headers` may scrape: always without a `metrics_token`,
    /// else with `Authorization: Bearer <token>` (compared in constant
    /// time).
    pub(crate) fn authorized(&self, headers: &HeaderMap) -> bool {
        use subtle::ConstantTimeEq;
        let Some(token) = &self.settings.token else {
            return true;
        };
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .is_some_and(|given| bool::from(given.ct_eq(token.as_bytes())))
    }

    /// Waits for the scrape slot (one scrape at a time).
    pub(crate) async fn scrape_slot(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.scrape.lock().await
    }

    /// The text of a scrape. Reads storage (keys by state): call it on the
    /// blocking pool.
    ///
    /// # Errors
    /// Encoding failed (a `fmt::Write` into a `String` does not).
    pub(crate) fn render(self: &Arc<Self>, kms: &Kms) -> Result<String, fmt::Error> {
        let snapshot = Snapshot {
            metrics: Arc::clone(self),
            cache: kms.cache_stats(),
            keys: self.key_counts(kms),
            hsm: self
                .settings
                .hsm
                .then(kms_hsm_pkcs11::failure_counts)
                .map(|f| [f.unavailable, f.timeouts, f.bad_responses]),
        };
        let mut registry = Registry::default();
        registry.register_collector(Box::new(snapshot));
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?;
        Ok(out)
    }

    /// Live keys by project and state (a key past its deletion time is
    /// gone); a project whose count fails is left out, and logged.
    fn key_counts(&self, kms: &Kms) -> Vec<(String, &'static str, u64)> {
        let now = kms.ports().clock.now();
        let mut projects: Vec<&String> = self.settings.projects.iter().collect();
        projects.sort_unstable();
        projects.dedup();
        let mut out = Vec::with_capacity(projects.len() * 4);
        for project in projects {
            for (state, name) in [
                (KeyState::Enabled, "enabled"),
                (KeyState::Disabled, "disabled"),
                (KeyState::PendingDeletion, "pending_deletion"),
                (KeyState::PendingImport, "pending_import"),
            ] {
                let query = KeyListQuery {
                    state: Some(state),
                    live_at: now,
                    spec: None,
                    offset: 0,
                    limit: 1,
                };
                match kms.ports().keys.list_keys(project, &query) {
                    Ok((total, _)) => out.push((project.clone(), name, total)),
                    Err(e) => {
                        tracing::warn!(
                            target: "kms_server::metrics",
                            project = %project,
                            error = %e,
                            "counting keys for /metrics failed",
                        );
                        break;
                    }
                }
            }
        }
        out
    }
}

/// The label set of a metric without labels.
const NO_LABELS: [(&str, &str); 0] = [];

/// What one scrape encodes.
struct Snapshot {
    metrics: Arc<Metrics>,
    cache: kms_core::CacheStats,
    keys: Vec<(String, &'static str, u64)>,
    hsm: Option<[u64; 3]>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

fn counter<L: prometheus_client::encoding::EncodeLabelSet>(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (L, u64)>,
) -> fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, v) in values {
        ConstCounter::new(v).encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Snapshot {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> fmt::Result {
        let m = &*self.metrics;
        let rows = || {
            m.rows
                .iter()
                .filter_map(OnceLock::get)
                .chain([&m.unmatched, &m.overflow])
        };
        let per_method = || {
            rows().flat_map(|r| {
                METHODS
                    .iter()
                    .zip(&r.methods)
                    .map(move |(method, row)| (*method, &*r.route, row))
            })
        };

        counter(
            &mut enc,
            "kms_http_requests",
            "Requests answered, by method, operation (the route template) and status.",
            per_method().flat_map(|(method, route, row)| {
                m.statuses
                    .labels
                    .iter()
                    .zip(row.statuses.iter())
                    .map(|(status, c)| (status, c.load(Ordering::Relaxed)))
                    .filter(|(_, n)| *n > 0)
                    .map(move |(status, n)| {
                        (
                            [
                                ("method", method),
                                ("operation", route),
                                ("status", status.as_str()),
                            ],
                            n,
                        )
                    })
            }),
        )?;

        {
            let mut h = enc.encode_descriptor(
                "kms_http_request_duration_seconds",
                "Time from a request's arrival to its answer, by method and operation.",
                None,
                MetricType::Histogram,
            )?;
            for (method, route, row) in per_method() {
                let (sum, count, buckets) = row.latency.read();
                if count > 0 {
                    let labels = [("method", method), ("operation", route)];
                    h.encode_family(&labels)?
                        .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
                }
            }
        }

        counter(
            &mut enc,
            "kms_http_errors",
            "Error answers, by error code (KMS.xxxx, APIG.xxxx).",
            ErrorCode::ALL
                .iter()
                .zip(m.errors.iter())
                .map(|(code, c)| (code.as_str(), c.load(Ordering::Relaxed)))
                .filter(|(_, n)| *n > 0)
                .map(|(code, n)| ([("code", code)], n)),
        )?;

        let caches = [
            ("master_key", self.cache.master_keys),
            ("key_record", self.cache.key_records),
            ("keystore_record", self.cache.keystore_records),
            ("key_pair", self.cache.key_pairs),
            ("key_grants", self.cache.key_grants),
        ];
        counter(
            &mut enc,
            "kms_cache_hits",
            "Lookups answered from an in-memory cache of the DEK path, by cache.",
            caches.map(|(name, c)| ([("cache", name)], c.hits)),
        )?;
        counter(
            &mut enc,
            "kms_cache_misses",
            "Lookups that went to storage (absent, expired or caching off), by cache.",
            caches.map(|(name, c)| ([("cache", name)], c.misses)),
        )?;

        counter(
            &mut enc,
            "kms_blocking_waits",
            "Operations for the blocking pool (writes, signatures) that found every slot \
             taken and waited for one.",
            [(NO_LABELS, m.blocking_waits.load(Ordering::Relaxed))],
        )?;
        {
            let (sum, count, buckets) = m.blocking_wait.read();
            let mut h = enc.encode_descriptor(
                "kms_blocking_wait_seconds",
                "Time an operation for the blocking pool waited for a slot and a thread \
                 before it ran.",
                None,
                MetricType::Histogram,
            )?;
            h.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }

        if let Some([unavailable, timeout, bad]) = self.hsm {
            counter(
                &mut enc,
                "kms_hsm_failures",
                "Failures of the PKCS#11 HSM clusters, by kind: unavailable (module, \
                 token, login, session), timeout (no session free in time), bad_response.",
                [
                    ([("kind", "unavailable")], unavailable),
                    ([("kind", "timeout")], timeout),
                    ([("kind", "bad_response")], bad),
                ],
            )?;
        }
        if let Some((database, read)) = m.settings.database {
            counter(
                &mut enc,
                "kms_database_failures",
                "Database calls that failed (I/O, lost or refused connections, timeouts, \
                 server errors), by database.",
                [([("database", database)], read())],
            )?;
        }

        {
            let mut g = enc.encode_descriptor(
                "kms_keys",
                "Keys (CMKs) by project and state, counted at scrape time over the \
                 configured projects.",
                None,
                MetricType::Gauge,
            )?;
            for (project, state, n) in &self.keys {
                let labels = [("project", project.as_str()), ("state", *state)];
                ConstGauge::new(i64::try_from(*n).unwrap_or(i64::MAX))
                    .encode(g.encode_family(&labels)?)?;
            }
        }

        if m.settings.tls {
            counter(
                &mut enc,
                "kms_tls_handshake_failures",
                "TLS handshakes that failed or timed out.",
                [(NO_LABELS, m.tls_handshake_failures.load(Ordering::Relaxed))],
            )?;
            counter(
                &mut enc,
                "kms_tls_reloads",
                "Certificate reloads on SIGHUP, by result (a failed one keeps the previous \
                 certificate).",
                [
                    ([("result", "ok")], m.tls_reloads.load(Ordering::Relaxed)),
                    (
                        [("result", "failed")],
                        m.tls_reload_failures.load(Ordering::Relaxed),
                    ),
                ],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rows_are_per_route_and_method_and_statuses_are_bounded() {
        let m = Metrics::default();
        let route = "/v1.0/{project_id}/kms/create-key";
        m.record_request(
            &Method::POST,
            Some(route),
            200,
            None,
            Duration::from_micros(90),
        );
        m.record_request(
            &Method::POST,
            Some(route),
            200,
            None,
            Duration::from_millis(3),
        );
        m.record_request(
            &Method::POST,
            Some(route),
            400,
            Some(ErrorCode::KmsInvalidUrl),
            Duration::from_millis(3),
        );
        m.record_request(&Method::GET, None, 599, None, Duration::from_secs(11));
        let row = m.row(route);
        let post = &row.methods[1];
        assert_eq!(
            post.statuses[m.statuses.slot(200)].load(Ordering::Relaxed),
            2
        );
        assert_eq!(
            post.statuses[m.statuses.slot(400)].load(Ordering::Relaxed),
            1
        );
        let (sum, count, buckets) = post.latency.read();
        assert_eq!(count, 3);
        assert!((sum - 0.00609).abs() < 1e-9, "{sum}");
        assert_eq!(buckets[0], (0.0001, 1));
        assert_eq!(buckets[5], (0.005, 2));
        // A status outside the list is `other`; a latency past the last
        // bound is in +Inf.
        let get = &m.unmatched.methods[0];
        assert_eq!(m.statuses.slot(599), m.statuses.codes.len());
        assert_eq!(
            get.statuses[m.statuses.codes.len()].load(Ordering::Relaxed),
            1
        );
        assert_eq!(
            get.latency.read().2.last().copied(),
            Some((f64::INFINITY, 1))
        );
        let i = ErrorCode::ALL
            .iter()
            .position(|c| *c == ErrorCode::KmsInvalidUrl)
            .unwrap();
        assert_eq!(m.errors[i].load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_full_table_shares_one_row() {
        let m = Metrics::default();
        for i in 0..TABLE_SLOTS + 10 {
            m.record_request(
                &Method::GET,
                Some(&format!("/r{i}")),
                200,
                None,
                Duration::ZERO,
            );
        }
        assert_eq!(
            m.rows.iter().filter(|r| r.get().is_some()).count(),
            TABLE_SLOTS
        );
        assert_eq!(
            m.overflow.methods[0].statuses[m.statuses.slot(200)].load(Ordering::Relaxed),
            10
        );
        // Every route is still found in its row.
        assert_eq!(&*m.row("/r3").route, "/r3");
    }

    #[test]
    fn the_token_is_a_bearer_token() {
        let open = Metrics::default();
        assert!(open.authorized(&HeaderMap::new()));
        let m = Metrics::new(MetricsSettings {
            token: Some(zeroize::Zeroizing::new(
                "scrape-token-0123456789".to_owned(),
            )),
            ..MetricsSettings::default()
        });
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::header::AUTHORIZATION,
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
            h
        };
        assert!(!m.authorized(&HeaderMap::new()));
        assert!(!m.authorized(&with("Bearer scrape-token-012345678")));
        assert!(!m.authorized(&with("scrape-token-0123456789")));
        assert!(m.authorized(&with("Bearer scrape-token-0123456789")));
        assert!(!format!("{m:?}").contains("scrape-token"));
    }
}
