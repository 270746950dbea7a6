#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! A failure behind the API (here: the key store losing its disk) is a
//! bare 500 on the wire and one error line in the log that carries the
//! request id and the whole cause chain.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::Request;
use kms_core::ports::{Caller, PortError, Timestamp};
use kms_core::testkit::{Hooked, Phase};
use kms_core::{CoreConfig, Kms};
use kms_server::{AppState, Authenticator, Token, router};
use tower::ServiceExt;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-token-0123456789abcdef";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_backend_failure_is_a_bare_500_and_one_logged_cause_with_the_request_id() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut ports = kms_core::memory::ports(
        &[9u8; 32],
        [3u8; 32],
        Arc::new(kms_core::memory::ManualClock::new(Timestamp(0))),
        vec![],
        Arc::new(kms_core::software::NullAudit),
    )
    .unwrap();
    // A key store whose disk is gone: every record read fails.
    ports.keys = Arc::new(Hooked::new(Arc::clone(&ports.keys), |method, phase| {
        if method == "get_key" && phase == Phase::Before {
            Err(PortError::unavailable(
                "get key",
                std::io::Error::other("disk I/O error at /secret/path/kms.db"),
            ))
        } else {
            Ok(())
        }
    }));
    let auth = Authenticator::new(
        vec![],
        vec![Token {
            token: String::from(TOKEN).into(),
            caller: Caller::new("dom", PROJECT),
        }],
    );
    let app = router(AppState::new(
        Arc::new(Kms::new(ports, CoreConfig::default())),
        auth,
        kms_model::MAX_BODY_BYTES,
        Duration::from_secs(5),
    ));
    let req = Request::builder()
        .method("POST")
        .uri(format!(
            "/v1.0/{PROJECT}/kms/create-datakey-without-plaintext"
        ))
        .header("X-Auth-Token", TOKEN)
        .header("X-Request-Id", "req-backend-1")
        .header("Content-Type", "application/json")
        .body(Body::from(
            r#"{"key_id":"0d0466b0-e727-4d9c-b4dc-2a3fb0a2e1b6"}"#,
        ))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let body = String::from_utf8(
        to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert_eq!(
        body,
        r#"{"error":{"error_code":"KMS.0101","error_msg":"Internal service error"}}"#
    );

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let failures: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("request failed behind the API"))
        .collect();
    assert_eq!(failures.len(), 1, "{text}");
    let line = failures[0];
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("request_id=req-backend-1"), "{line}");
    assert!(
        line.contains("error_code=\"KMS.0101\"") || line.contains("error_code=KMS.0101"),
        "{line}"
    );
    assert!(
        line.contains("get key: unavailable: disk I/O error at /secret/path/kms.db"),
        "{line}"
    );
}

fn json_request(path: String, body: String) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(path)
        .header("X-Auth-Token", TOKEN)
        .header("Content-Type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

async fn code_of(resp: axum::response::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let code = v["error"]["error_code"]
        .as_str()
        .or_else(|| v["error_code"].as_str())
        .unwrap_or("")
        .to_owned();
    (status, code)
}

const PROJECT_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const TOKEN_B: &str = "test-token-b-0123456789abcdef";

/// The API over memory storage whose certificate writes take 1.5 s, with
/// `limit` blocking slots (half of them per project), a 300 ms request
/// timeout, and a token for each of two projects.
fn slow_app(limit: usize) -> (axum::Router, Arc<Kms>) {
    let mut ports = kms_core::memory::ports(
        &[9u8; 32],
        [3u8; 32],
        Arc::new(kms_core::memory::ManualClock::new(Timestamp(
            1_767_225_600_000,
        ))),
        vec![],
        Arc::new(kms_core::software::NullAudit),
    )
    .unwrap();
    // A certificate store on a disk that takes 1.5 s per write.
    ports.certificates = Arc::new(Hooked::new(
        Arc::clone(&ports.certificates),
        |method, phase| {
            if method == "insert_certificate" && phase == Phase::Before {
                std::thread::sleep(Duration::from_millis(1500));
            }
            Ok(())
        },
    ));
    let auth = Authenticator::new(
        vec![],
        vec![
            Token {
                token: String::from(TOKEN).into(),
                caller: Caller::new("dom", PROJECT),
            },
            Token {
                token: String::from(TOKEN_B).into(),
                caller: Caller::new("dom-b", PROJECT_B),
            },
        ],
    );
    let kms = Arc::new(Kms::new(ports, CoreConfig::default()));
    let app = router(
        AppState::new(
            Arc::clone(&kms),
            auth,
            kms_model::MAX_BODY_BYTES,
            Duration::from_millis(300),
        )
        .with_blocking_limit(limit),
    );
    (app, kms)
}

fn certificate_form() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["a.example.com".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2031, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    serde_json::json!({
        "name": "cert_one",
        "cert_content": cert.pem(),
        "private_key": key.serialize_pem(),
    })
    .to_string()
}

fn create_key_as(token: &str, project: &str, alias: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(format!("/v1.0/{project}/kms/create-key"))
        .header("X-Auth-Token", token)
        .header("Content-Type", "application/json")
        .body(Body::from(format!(r#"{{"key_alias":"{alias}"}}"#)))
        .unwrap()
}

fn keys_of(kms: &Kms, domain: &str, project: &str) -> u64 {
    kms.wire()
        .list_keys(
            &Caller::new(domain, project),
            &kms_model::ListKeysRequestBody::default(),
        )
        .unwrap()
        .total
}

/// A request whose blocking work started answers that work's outcome,
/// even past the timeout; one still waiting for a slot at its deadline
/// gets 504 and its work never runs: a 504 never hides a commit.
#[tokio::test]
async fn blocking_work_is_bounded_and_a_504_means_it_never_ran() {
    let (app, kms) = slow_app(1);
    let slow = tokio::spawn(app.clone().oneshot(json_request(
        format!("/v2/{PROJECT}/apigw/certificates"),
        certificate_form(),
    )));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The slow write holds the only slot: a cheap write queues behind it
    // and times out, instead of adding work past its deadline.
    let r = app
        .clone()
        .oneshot(create_key_as(TOKEN, PROJECT, "k1"))
        .await
        .unwrap();
    assert_eq!(code_of(r).await, (504, "KMS.6505".to_owned()));
    // The slow write started in time: its caller gets its outcome (after
    // the 300 ms timeout), not a 504 for work that was done.
    let t0 = std::time::Instant::now();
    let r = slow.await.unwrap().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{:?}", code_of(r).await);
    assert!(t0.elapsed() > Duration::from_millis(900));
    // The write answered 504 was never done, not even later.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(keys_of(&kms, "dom", PROJECT), 0);
    // The slot is back.
    let r = app
        .clone()
        .oneshot(create_key_as(TOKEN, PROJECT, "k1"))
        .await
        .unwrap();
    assert_eq!(code_of(r).await.0, 200);
    assert_eq!(keys_of(&kms, "dom", PROJECT), 1);
}

/// One project's slow writes hold at most its share of the blocking slots
/// (half): another project's writes still run at once.
#[tokio::test]
async fn one_projects_slow_work_leaves_slots_to_the_others() {
    let (app, kms) = slow_app(2);
    let slow = tokio::spawn(app.clone().oneshot(json_request(
        format!("/v2/{PROJECT}/apigw/certificates"),
        certificate_form(),
    )));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Project A's second write waits for A's share (one slot), not for the
    // free global slot, and times out.
    let r = app
        .clone()
        .oneshot(create_key_as(TOKEN, PROJECT, "a1"))
        .await
        .unwrap();
    assert_eq!(code_of(r).await, (504, "KMS.6505".to_owned()));
    // Project B's writes run at once on the other slot.
    for i in 0..3 {
        let r = app
            .clone()
            .oneshot(create_key_as(TOKEN_B, PROJECT_B, &format!("b{i}")))
            .await
            .unwrap();
        assert_eq!(code_of(r).await.0, 200);
    }
    assert_eq!(keys_of(&kms, "dom-b", PROJECT_B), 3);
    let r = slow.await.unwrap().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(keys_of(&kms, "dom", PROJECT), 0);
}

/// Over its rate, a project is answered 429 `APIGW.0308` in API Gateway's
/// flat shape, as the service throttles; another project is not affected,
/// and the bucket refills.
#[tokio::test]
async fn a_project_over_its_rate_is_throttled_as_api_gateway_does() {
    let limited = router_with_rate(5, 3);
    let describe = |token: &str, project: &str| {
        Request::builder()
            .method("GET")
            .uri(format!("/v1.0/{project}/kms/tags"))
            .header("X-Auth-Token", token)
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..3 {
        let r = limited
            .clone()
            .oneshot(describe(TOKEN, PROJECT))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = limited
        .clone()
        .oneshot(describe(TOKEN, PROJECT))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let body = to_bytes(r.into_body(), usize::MAX).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error_code"], "APIGW.0308", "{v}");
    assert!(
        v["error_msg"].as_str().unwrap().contains("throttling"),
        "{v}"
    );
    // Another project has its own bucket.
    let r = limited
        .clone()
        .oneshot(describe(TOKEN_B, PROJECT_B))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // 5 a second: one more after 200 ms (and some).
    tokio::time::sleep(Duration::from_millis(260)).await;
    let r = limited
        .clone()
        .oneshot(describe(TOKEN, PROJECT))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = limited
        .clone()
        .oneshot(describe(TOKEN, PROJECT))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
}

fn router_with_rate(per_second: u32, burst: u32) -> axum::Router {
    let ports = kms_core::memory::test_ports([3u8; 32]).unwrap();
    let auth = Authenticator::new(
        vec![],
        vec![
            Token {
                token: String::from(TOKEN).into(),
                caller: Caller::new("dom", PROJECT),
            },
            Token {
                token: String::from(TOKEN_B).into(),
                caller: Caller::new("dom-b", PROJECT_B),
            },
        ],
    );
    router(
        AppState::new(
            Arc::new(Kms::new(ports, CoreConfig::default())),
            auth,
            kms_model::MAX_BODY_BYTES,
            Duration::from_secs(5),
        )
        .with_project_rate_limit(per_second, burst),
    )
}
