#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! In-process HTTP tests: every route, every error path, signing vectors.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64ct::Encoding as _;
use kms_core::ports::Caller;
use kms_server::{AccessKey, Authenticator, Cli};
use kms_sign::{AuthError, OwnedRequest, SignedRequest};
use serde_json::{Value, json};
use tower::ServiceExt;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "test-token-0123456789abcdef";
const AK: &str = "TESTAK00000000000000";
const SK: &str = "testsk000000000000000000000000000000000SK";
const CLUSTER: &str = "hsm-cluster-1";
const CLUSTER2: &str = "hsm-cluster-2";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).expect("test data file missing")
}

/// Makes a file holding secrets owner-only, as the server requires.
fn private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Writes a configuration into `dir` and returns the router.
fn app_in(dir: &Path, in_memory: bool, body_limit: usize) -> Router {
    prepare_in(dir, in_memory, body_limit, None).unwrap().app
}

/// Writes a configuration into `dir` and prepares the server, seeded from
/// `seed` if given.
fn prepare_in(
    dir: &Path,
    in_memory: bool,
    body_limit: usize,
    seed: Option<PathBuf>,
) -> Result<kms_server::Prepared, kms_server::StartError> {
    let config = format!(
        r#"
body_limit_bytes = {body_limit}
[[credentials]]
access_key = "{AK}"
secret_key = "{SK}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[clusters]]
id = "{CLUSTER}"
type = "DHSM"
domain_id = "{DOMAIN}"
ca_cert = "{}"
[[clusters]]
id = "{CLUSTER2}"
type = "DHSM"
domain_id = "{DOMAIN}"
"#,
        data("test-hsm-ca.pem").display()
    );
    prepare_config(dir, &config, in_memory, seed)
}

/// Writes `config` (owner-only, as the server demands) into `dir` and
/// prepares a server from it, its data under `dir/data`.
pub(super) fn prepare_config(
    dir: &Path,
    config: &str,
    in_memory: bool,
    seed: Option<PathBuf>,
) -> Result<kms_server::Prepared, kms_server::StartError> {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    private(&path);
    let cli = Cli {
        config: Some(path),
        data_dir: dir.join("data"),
        listen: None,
        in_memory,
        database: None,
        database_ca: None,
        database_password_file: None,
        tls_cert: None,
        tls_key: None,
        previous_root_key: None,
        seed,
        command: None,
    };
    kms_server::prepare(&cli)
}

struct Harness {
    _dir: tempfile::TempDir,
    app: Router,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let app = app_in(dir.path(), false, kms_model::MAX_BODY_BYTES);
    Harness { _dir: dir, app }
}

struct Reply {
    status: StatusCode,
    request_id: Option<String>,
    content_type: Option<String>,
    /// The body as sent.
    raw: Vec<u8>,
    body: Value,
}

impl Harness {
    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned());
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            request_id,
            content_type,
            raw: bytes.to_vec(),
            body,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("X-Auth-Token", TOKEN)
            .header("Content-Type", "application/json");
        if body.is_none() {
            b = b.header("Content-Length", "0");
        }
        let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
        self.send(b.body(body).unwrap()).await
    }

    async fn kms(&self, method: &str, route: &str, body: Option<Value>) -> Reply {
        self.call(method, &format!("/v1.0/{PROJECT}{route}"), body)
            .await
    }

    async fn apig(&self, method: &str, route: &str, body: Option<Value>) -> Reply {
        self.call(method, &format!("/v2/{PROJECT}/apigw{route}"), body)
            .await
    }

    async fn create_key(&self, alias: &str) -> String {
        let r = self
            .kms("POST", "/kms/create-key", Some(json!({"key_alias": alias})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["key_info"]["key_id"].as_str().unwrap().to_owned()
    }
}

fn kms_code(r: &Reply) -> &str {
    r.body["error"]["error_code"].as_str().unwrap_or("<none>")
}

fn apig_code(r: &Reply) -> &str {
    r.body["error_code"].as_str().unwrap_or("<none>")
}

/// A 200 whose SDK model has no field: the JSON body `{}`, never an empty
/// body (Terraform's provider decodes every 200 body as JSON).
fn assert_empty_json_200(r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.raw, b"{}", "{}", String::from_utf8_lossy(&r.raw));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
}

fn assert_kms_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(kms_code(r), code, "{}", r.body);
    assert!(
        r.body["error"]["error_msg"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(r.request_id.is_some());
}

fn assert_apig_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(apig_code(r), code, "{}", r.body);
    assert!(r.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        r.body.get("error").is_none(),
        "APIG errors are flat: {}",
        r.body
    );
}

// ---------------------------------------------------------------- signing vectors

fn vectors() -> (Value, Authenticator) {
    let v: Value = serde_json::from_str(&read("sdk-signing-vectors.json")).unwrap();
    let auth = Authenticator::new(
        vec![AccessKey {
            access_key: v["access_key"].as_str().unwrap().into(),
            secret_key: String::from(v["secret_key"].as_str().unwrap()).into(),
            caller: Caller::new("dom", "0123456789abcdef0123456789abcdef"),
        }],
        vec![],
    );
    (v, auth)
}

fn vector_request(v: &Value) -> OwnedRequest {
    let mut headers: Vec<(String, String)> = v["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, x)| (k.clone(), x.as_str().unwrap().to_owned()))
        .collect();
    headers.push((
        "Authorization".into(),
        v["authorization"].as_str().unwrap().into(),
    ));
    OwnedRequest {
        method: v["method"].as_str().unwrap().into(),
        path: v["path"].as_str().unwrap().into(),
        query: v["query"].as_str().unwrap().into(),
        headers,
        body: v["body"].as_str().unwrap().as_bytes().to_vec(),
    }
}

#[test]
fn every_sdk_signing_vector_verifies_and_any_change_is_rejected() {
    let (all, auth) = vectors();
    let list = all["vectors"].as_array().unwrap();
    assert!(!list.is_empty());
    for v in list {
        let req = vector_request(v);
        let now = kms_sign::parse_sdk_date(req.header("X-Sdk-Date").unwrap()).unwrap();
        assert_eq!(
            auth.authenticate(&req, now).unwrap().project_id,
            "0123456789abcdef0123456789abcdef"
        );
        // Within the window on either side, outside beyond 15 minutes.
        assert!(auth.authenticate(&req, now + 15 * 60).is_ok());
        assert!(auth.authenticate(&req, now - 15 * 60).is_ok());
        assert_eq!(
            auth.authenticate(&req, now + 15 * 60 + 1),
            Err(AuthError::Expired)
        );

        let mut m = vector_request(v);
        m.body.extend_from_slice(b" ");
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::BadSignature));
        let mut m = vector_request(v);
        m.path.push('x');
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::BadSignature));
        let mut m = vector_request(v);
        m.query.push_str("&x=1");
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::BadSignature));
        let mut m = vector_request(v);
        m.method = "PUT".into();
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::BadSignature));
        for h in ["Host", "X-Project-Id", "Content-Type", "User-Agent"] {
            let mut m = vector_request(v);
            m.headers
                .iter_mut()
                .find(|(k, _)| k == h)
                .unwrap()
                .1
                .push('1');
            assert_eq!(
                auth.authenticate(&m, now),
                Err(AuthError::BadSignature),
                "{h}"
            );
            let mut m = vector_request(v);
            m.headers.retain(|(k, _)| k != h);
            assert_eq!(
                auth.authenticate(&m, now),
                Err(AuthError::MissingSignedHeader),
                "{h}"
            );
        }
        let mut m = vector_request(v);
        m.headers.retain(|(k, _)| k != "Authorization");
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::Missing));
        let mut m = vector_request(v);
        let a = &mut m
            .headers
            .iter_mut()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1;
        *a = a.replace("MYTESTAK", "OTHERAK0");
        assert_eq!(
            auth.authenticate(&m, now),
            Err(AuthError::UnknownCredential)
        );
        let mut m = vector_request(v);
        let a = &mut m
            .headers
            .iter_mut()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1;
        let last = a.pop().unwrap();
        a.push(if last == '0' { '1' } else { '0' });
        assert_eq!(auth.authenticate(&m, now), Err(AuthError::BadSignature));
        // Our signer reproduces the SDK's header byte for byte.
        let mine = kms_sign::authorization_header(
            &req,
            all["access_key"].as_str().unwrap(),
            all["secret_key"].as_str().unwrap(),
            &[
                "content-type",
                "host",
                "user-agent",
                "x-project-id",
                "x-sdk-date",
            ],
        )
        .unwrap();
        assert_eq!(mine, v["authorization"].as_str().unwrap());
    }
}

#[test]
fn malformed_authorization_headers_are_rejected() {
    let (all, auth) = vectors();
    let v = &all["vectors"][0];
    let now = kms_sign::parse_sdk_date("20240101T000000Z").unwrap();
    for bad in [
        "",
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SHA1 Access=MYTESTAK0000000000AA, SignedHeaders=host, Signature=00",
        "SDK-HMAC-SHA256 Access=MYTESTAK0000000000AA, SignedHeaders=host",
        "SDK-HMAC-SHA256 Access=MYTESTAK0000000000AA, SignedHeaders=, Signature=0000000000000000000000000000000000000000000000000000000000000000",
        "SDK-HMAC-SHA256 Access=MYTESTAK0000000000AA, SignedHeaders=host, Signature=short",
    ] {
        let mut m = vector_request(v);
        m.headers
            .iter_mut()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1 = bad.into();
        assert_eq!(
            auth.authenticate(&m, now),
            Err(AuthError::Malformed),
            "{bad}"
        );
    }
    let mut m = vector_request(v);
    m.headers
        .iter_mut()
        .find(|(k, _)| k == "X-Sdk-Date")
        .unwrap()
        .1 = "yesterday".into();
    assert!(auth.authenticate(&m, now).is_err());
}

// ---------------------------------------------------------------- auth over HTTP

fn now_unix() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn signed_request(
    method: &str,
    path: &str,
    body: &str,
    date_offset: i64,
    sk: &str,
) -> Request<Body> {
    let date = kms_sign::format_sdk_date(now_unix() + date_offset);
    let req = OwnedRequest {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        headers: vec![
            (
                "Content-Type".into(),
                "application/json;charset=utf-8".into(),
            ),
            ("Host".into(), "127.0.0.1:8080".into()),
            ("X-Project-Id".into(), PROJECT.into()),
            ("X-Sdk-Date".into(), date.clone()),
        ],
        body: body.as_bytes().to_vec(),
    };
    let authz = kms_sign::authorization_header(
        &req,
        AK,
        sk,
        &["content-type", "host", "x-project-id", "x-sdk-date"],
    )
    .unwrap();
    with_authorization(&req, path, authz)
}

/// `req` as an HTTP request to `uri` (path and query) with its headers and
/// body, and `Authorization: authz`.
fn with_authorization(req: &OwnedRequest, uri: &str, authz: String) -> Request<Body> {
    let mut b = Request::builder().method(req.method.as_str()).uri(uri);
    for (k, v) in &req.headers {
        b = b.header(k, v);
    }
    b.header("Authorization", authz)
        .body(Body::from(req.body.clone()))
        .unwrap()
}

#[tokio::test]
async fn signed_requests_are_accepted_and_bad_ones_get_401() {
    let h = harness();
    let path = format!("/v1.0/{PROJECT}/kms/create-key");
    let body = r#"{"key_alias":"signed-key"}"#;
    let r = h.send(signed_request("POST", &path, body, 0, SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_info"]["domain_id"], DOMAIN);
    let r = h
        .send(signed_request("POST", &path, body, -16 * 60, SK))
        .await;
    assert_kms_error(&r, 401, "KMS.6401");
    let r = h
        .send(signed_request("POST", &path, body, 16 * 60, SK))
        .await;
    assert_kms_error(&r, 401, "KMS.6401");
    let r = h
        .send(signed_request("POST", &path, body, 0, "wrong-secret"))
        .await;
    assert_kms_error(&r, 401, "KMS.6401");
    let apig = format!("/v2/{PROJECT}/apigw/certificates");
    let r = h
        .send(signed_request("GET", &apig, "", 0, "wrong-secret"))
        .await;
    assert_apig_error(&r, 401, "APIG.1002");
    let r = h.send(signed_request("GET", &apig, "", 0, SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn missing_or_unknown_credentials_get_401_in_the_service_shape() {
    let h = harness();
    let req = Request::post(format!("/v1.0/{PROJECT}/kms/create-key"))
        .body(Body::from(r#"{"key_alias":"a"}"#))
        .unwrap();
    assert_kms_error(&h.send(req).await, 401, "KMS.6401");
    let req = Request::post(format!("/v1.0/{PROJECT}/kms/create-key"))
        .header("X-Auth-Token", "not-a-configured-token")
        .body(Body::from(r#"{"key_alias":"a"}"#))
        .unwrap();
    assert_kms_error(&h.send(req).await, 401, "KMS.6401");
    let req = Request::get(format!("/v2/{PROJECT}/apigw/certificates"))
        .body(Body::empty())
        .unwrap();
    assert_apig_error(&h.send(req).await, 401, "APIG.1002");
}

#[tokio::test]
async fn another_project_gets_403() {
    let h = harness();
    let other = "ffffffffffffffffffffffffffffffff";
    let r = h
        .call(
            "POST",
            &format!("/v1.0/{other}/kms/create-key"),
            Some(json!({"key_alias":"a"})),
        )
        .await;
    assert_kms_error(&r, 403, "KMS.0321");
    let r = h
        .call("GET", &format!("/v2/{other}/apigw/certificates"), None)
        .await;
    assert_apig_error(&r, 403, "APIG.1005");
}

// ---------------------------------------------------------------- framing

#[tokio::test]
async fn unknown_routes_and_methods() {
    let h = harness();
    assert_kms_error(
        &h.kms("POST", "/kms/no-such-op", Some(json!({}))).await,
        400,
        "KMS.0201",
    );
    assert_kms_error(&h.call("GET", "/nothing/here", None).await, 400, "KMS.0201");
    assert_kms_error(
        &h.kms("GET", "/kms/create-key", None).await,
        405,
        "KMS.0215",
    );
    assert_kms_error(&h.kms("PUT", "/keystores", None).await, 405, "KMS.0215");
    assert_apig_error(
        &h.apig("PATCH", "/certificates", None).await,
        405,
        "APIG.7405",
    );
    assert_apig_error(
        &h.apig("GET", "/no-such-resource", None).await,
        404,
        "APIG.7404",
    );
}

#[tokio::test]
async fn health_needs_no_credentials() {
    let h = harness();
    let r = h
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
    assert!(r.request_id.is_some());
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let h = harness();
    let req = Request::get("/health")
        .header("X-Request-Id", "client-chosen-id-42")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        h.send(req).await.request_id.as_deref(),
        Some("client-chosen-id-42")
    );
    let a = h.kms("GET", "/keystores", None).await.request_id.unwrap();
    let b = h.kms("GET", "/keystores", None).await.request_id.unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
    // The process's prefix, then a counter, in lower-case hex.
    assert!(
        a.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
        "{a}"
    );
    assert_eq!(a[..16], b[..16]);
    let (na, nb) = (
        u64::from_str_radix(&a[16..], 16).unwrap(),
        u64::from_str_radix(&b[16..], 16).unwrap(),
    );
    assert_eq!(nb, na + 1);
    // An unusable client id (spaces, a quote that would swallow the access
    // line's next field, another character outside the safe alphabet, too
    // long) is replaced.
    for bad in [
        "has spaces".to_owned(),
        "\"x project=other".to_owned(),
        "id;drop".to_owned(),
        "a".repeat(129),
    ] {
        let req = Request::get("/health")
            .header("X-Request-Id", bad.as_str())
            .body(Body::empty())
            .unwrap();
        let echoed = h.send(req).await.request_id.unwrap();
        assert_ne!(echoed, bad);
        assert_eq!(echoed.len(), 32, "{echoed}");
    }
    let uuid = "0b6c5e1e-1f0a-4c2e-9a55-3d1c2b4a5e6f";
    let req = Request::get("/health")
        .header("X-Request-Id", uuid)
        .body(Body::empty())
        .unwrap();
    assert_eq!(h.send(req).await.request_id.as_deref(), Some(uuid));
}

#[tokio::test]
async fn oversized_bodies_get_0203() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness {
        app: app_in(dir.path(), true, 1024),
        _dir: dir,
    };
    let big = json!({"key_alias": "a".repeat(4096)});
    assert_kms_error(
        &h.kms("POST", "/kms/create-key", Some(big.clone())).await,
        400,
        "KMS.0203",
    );
    let r = h.apig("POST", "/certificates", Some(big)).await;
    assert_apig_error(&r, 400, "APIG.2000");
    assert!(
        r.body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("1024")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn malformed_bodies() {
    let h = harness();
    let req = Request::post(format!("/v1.0/{PROJECT}/kms/create-key"))
        .header("X-Auth-Token", TOKEN)
        .body(Body::from("{not json"))
        .unwrap();
    assert_kms_error(&h.send(req).await, 400, "KMS.0202");
    let r = h.kms("POST", "/kms/create-key", Some(json!({}))).await;
    assert_kms_error(&r, 400, "KMS.0204");
    assert!(
        r.body["error"]["error_msg"]
            .as_str()
            .unwrap()
            .contains("key_alias")
    );
    let r = h
        .kms("POST", "/kms/create-key", Some(json!({"key_alias": 5.5})))
        .await;
    assert_kms_error(&r, 400, "KMS.1101");
    let r = h
        .apig("POST", "/certificates", Some(json!({"name": "abc_def"})))
        .await;
    assert_apig_error(&r, 400, "APIG.2001");
    // A JSON array would fill the body struct positionally: refused.
    let r = h
        .kms("POST", "/kms/create-key", Some(json!(["positional_alias"])))
        .await;
    assert_kms_error(&r, 400, "KMS.0202");
    let r = h
        .apig("POST", "/certificates", Some(json!(["name_x", "c", "k"])))
        .await;
    assert_apig_error(&r, 400, "APIG.2000");
}

// ---------------------------------------------------------------- KMS routes

#[tokio::test]
async fn keystore_lifecycle() {
    let h = harness();
    let ca = read("test-hsm-ca.pem");
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "ks_one", "hsm_cluster_id": CLUSTER, "hsm_ca_cert": ca, "keystore_type": "DHSM"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ks = r.body["keystore"]["keystore_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(r.body["keystore"]["domain_id"], DOMAIN);
    // Same alias, and the same cluster again.
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "ks_one", "hsm_cluster_id": CLUSTER2})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.6001");
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "ks_two", "hsm_cluster_id": CLUSTER, "keystore_type": "DHSM"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.6003");
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "ks_three", "hsm_cluster_id": "no-such-cluster", "keystore_type": "DHSM"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.6002");

    let r = h.kms("GET", "/keystores?limit=10&offset=0", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["keystores"][0]["keystore_alias"], "ks_one");
    let r = h.kms("GET", "/keystores?limit=abc", None).await;
    assert_kms_error(&r, 400, "KMS.1601");
    let r = h.kms("GET", &format!("/keystores/{ks}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["keystore"]["hsm_cluster_id"], CLUSTER);
    assert_eq!(r.body["keystore"]["keystore_type"], "DHSM");
    let r = h
        .kms(
            "GET",
            "/keystores/00000000-0000-4000-8000-000000000099",
            None,
        )
        .await;
    assert_kms_error(&r, 404, "KMS.6007");

    let r = h
        .kms("POST", &format!("/keystores/{ks}/disable"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["keystore"]["keystore_state"], "DISABLED");
    let r = h
        .kms("POST", &format!("/keystores/{ks}/enable"), None)
        .await;
    assert_eq!(r.body["keystore"]["keystore_state"], "ENABLED");

    // A key in it blocks deletion.
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "in_ks", "keystore_id": ks})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h.kms("DELETE", &format!("/keystores/{ks}"), None).await;
    assert_kms_error(&r, 400, "KMS.6009");

    // An empty keystore deletes.
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "ks_empty", "hsm_cluster_id": CLUSTER2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let empty = r.body["keystore"]["keystore_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h.kms("DELETE", &format!("/keystores/{empty}"), None).await;
    assert_empty_json_200(&r);
    let r = h.kms("DELETE", &format!("/keystores/{empty}"), None).await;
    assert_kms_error(&r, 404, "KMS.6007");
}

#[tokio::test]
async fn pins() {
    let h = harness();
    let r = h
        .kms(
            "POST",
            "/kms/create-pin",
            Some(json!({"pin_type": "CipherText", "keystore_id": "1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body["pin"].as_str().unwrap().is_empty());
    let r = h
        .kms(
            "POST",
            "/kms/create-pin",
            Some(json!({"pin_type": "PlainText", "keystore_id": "2"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms(
            "POST",
            "/kms/create-pin",
            Some(json!({"pin_type": "Other", "keystore_id": "1"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0308");
    assert!(
        r.body["error"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("pin_type")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn keys_and_data_keys() {
    let h = harness();
    let key = h.create_key("dek_key").await;
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "dek_key"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1104");
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "bad alias!"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1101");

    // create-datakey and decrypt it back.
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey",
            Some(json!({"key_id": key, "datakey_length": "512"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let plain = r.body["plain_text"].as_str().unwrap().to_owned();
    let cipher = r.body["cipher_text"].as_str().unwrap().to_owned();
    assert_eq!(plain.len(), 128);
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "64"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["data_key"].as_str().unwrap().to_uppercase(),
        plain.to_uppercase()
    );
    assert_eq!(r.body["datakey_length"], "64");

    // without plaintext, numbers accepted as strings.
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey-without-plaintext",
            Some(json!({"key_id": key, "datakey_length": 256})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.get("plain_text").is_none());
    let wp = r.body["cipher_text"].as_str().unwrap().to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": wp, "datakey_cipher_length": "32"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dek = r.body["data_key"].as_str().unwrap().to_owned();
    let dgst = r.body["datakey_dgst"].as_str().unwrap().to_owned();

    // encrypt-datakey: DEK followed by its SHA-256.
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-datakey",
            Some(json!({"key_id": key, "plain_text": format!("{dek}{dgst}"), "datakey_plain_length": "32"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["datakey_length"], "32");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-datakey",
            Some(json!({"key_id": key, "plain_text": format!("{dek}{}", "00".repeat(32)), "datakey_plain_length": "32"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2103");

    // Error paths.
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey",
            Some(json!({"key_id": "not-an-id"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0205");
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey",
            Some(json!({"key_id": "00000000-0000-4000-8000-000000000099"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey",
            Some(json!({"key_id": key, "datakey_length": "9000"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1901");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": "ABCD", "datakey_cipher_length": "32"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2201");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": wp, "datakey_cipher_length": "16"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2204");

    // Lifecycle: disable blocks use, enable restores, deletion schedules.
    let r = h
        .kms("POST", "/kms/disable-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey-without-plaintext",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0209");
    let r = h
        .kms("POST", "/kms/enable-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms(
            "POST",
            "/kms/schedule-key-deletion",
            Some(json!({"key_id": key, "pending_days": "7"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey-without-plaintext",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0210");
}

// ---------------------------------------------------------------- APIG routes

#[tokio::test]
async fn certificate_lifecycle() {
    let h = harness();
    let form = json!({
        "name": "test_cert",
        "cert_content": read("test-cert.pem"),
        "private_key": read("test-cert-key.pem"),
    });
    let r = h.apig("POST", "/certificates", Some(form.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["common_name"], "test.example.com");
    assert_eq!(r.body["signature_algorithm"], "SHA256-RSA");
    assert_eq!(r.body["project_id"], PROJECT);
    assert!(r.body["not_after"].as_str().unwrap().ends_with('Z'));

    let r = h.apig("POST", "/certificates", Some(form.clone())).await;
    assert_apig_error(&r, 400, "APIG.7001");
    let mut mismatched = form.clone();
    mismatched["name"] = json!("other_cert");
    mismatched["cert_content"] = json!(read("test-hsm-ca.pem"));
    let r = h.apig("POST", "/certificates", Some(mismatched)).await;
    assert_apig_error(&r, 400, "APIG.2101");
    let mut garbage = form.clone();
    garbage["name"] = json!("garbage_cert");
    garbage["cert_content"] = json!("not a pem");
    let r = h.apig("POST", "/certificates", Some(garbage)).await;
    assert_apig_error(&r, 400, "APIG.2106");
    let mut badname = form.clone();
    badname["name"] = json!("1x");
    let r = h.apig("POST", "/certificates", Some(badname)).await;
    assert_apig_error(&r, 400, "APIG.2012");

    let r = h.apig("GET", &format!("/certificates/{id}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "test_cert");
    let r = h
        .apig("GET", "/certificates?limit=10&offset=0&name=test", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["certs"][0]["id"], id.as_str());
    let r = h.apig("GET", "/certificates?name=nomatch", None).await;
    assert_eq!(r.body["total"], 0);

    let mut renamed = form.clone();
    renamed["name"] = json!("renamed_cert");
    let r = h
        .apig("PUT", &format!("/certificates/{id}"), Some(renamed))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "renamed_cert");

    let r = h.apig("DELETE", &format!("/certificates/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);
    let r = h.apig("GET", &format!("/certificates/{id}"), None).await;
    assert_apig_error(&r, 404, "APIG.3025");
    let r = h.apig("DELETE", &format!("/certificates/{id}"), None).await;
    assert_apig_error(&r, 404, "APIG.3025");
    let r = h
        .apig("PUT", &format!("/certificates/{id}"), Some(form))
        .await;
    assert_apig_error(&r, 404, "APIG.3025");
}

// ---------------------------------------------------------------- races, memory mode

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_with_one_alias_give_exactly_one_200() {
    let h = std::sync::Arc::new(harness());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let h = std::sync::Arc::clone(&h);
        tasks.push(tokio::spawn(async move {
            h.kms(
                "POST",
                "/kms/create-key",
                Some(json!({"key_alias": "raced"})),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == StatusCode::OK {
            ok += 1;
        } else {
            assert_kms_error(&r, 400, "KMS.1104");
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn in_memory_mode_serves_the_same_contract() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness {
        app: app_in(dir.path(), true, kms_model::MAX_BODY_BYTES),
        _dir: dir,
    };
    let key = h.create_key("mem").await;
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey-without-plaintext",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!h._dir.path().join("data").join("kms.db").exists());
}

#[tokio::test]
async fn key_management_routes() {
    let h = harness();
    let key = h.create_key("managed").await;
    let other = h.create_key("other").await;

    // describe-key: the SDK's KeyDetails, every value a string.
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let info = &r.body["key_info"];
    assert_eq!(info["key_id"], key.as_str());
    assert_eq!(info["key_alias"], "managed");
    assert_eq!(info["key_state"], "2");
    assert_eq!(info["key_spec"], "AES_256");
    assert_eq!(info["scheduled_deletion_date"], "");
    assert!(
        info["creation_date"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": "x"})))
        .await;
    assert_kms_error(&r, 400, "KMS.0205");
    let r = h.kms("POST", "/kms/describe-key", Some(json!({}))).await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/describe-key",
            Some(json!({"key_id": "00000000-0000-4000-8000-000000000099"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");

    // list-keys: paging by marker.
    let r = h
        .kms("POST", "/kms/list-keys", Some(json!({"limit": "1"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["truncated"], "true");
    assert_eq!(r.body["keys"], json!([key]));
    assert_eq!(r.body["key_details"][0]["key_id"], key.as_str());
    let marker = r.body["next_marker"].as_str().unwrap().to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/list-keys",
            Some(json!({"limit": 1, "marker": marker})),
        )
        .await;
    assert_eq!(r.body["keys"], json!([other]));
    assert_eq!(r.body["truncated"], "false");
    assert_eq!(r.body["next_marker"], "");
    let r = h
        .kms("POST", "/kms/list-keys", Some(json!({"limit": "abc"})))
        .await;
    assert_kms_error(&r, 400, "KMS.1601");
    let r = h
        .kms("POST", "/kms/list-keys", Some(json!({"key_state": "7"})))
        .await;
    assert_kms_error(&r, 400, "KMS.0308");
    let r = h
        .kms("POST", "/kms/list-keys", Some(json!({"sequence": "short"})))
        .await;
    assert_kms_error(&r, 400, "KMS.0206");

    // update-key-alias / update-key-description.
    let r = h
        .kms(
            "POST",
            "/kms/update-key-alias",
            Some(json!({"key_id": key, "key_alias": "renamed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"key_info": {"key_id": key, "key_alias": "renamed"}})
    );
    let r = h
        .kms(
            "POST",
            "/kms/update-key-alias",
            Some(json!({"key_id": key, "key_alias": "other"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1104");
    let r = h
        .kms(
            "POST",
            "/kms/update-key-alias",
            Some(json!({"key_id": key, "key_alias": "no spaces"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1101");
    let r = h
        .kms(
            "POST",
            "/kms/update-key-alias",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/update-key-description",
            Some(json!({"key_id": key, "key_description": "described"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_info"]["key_description"], "described");
    let r = h
        .kms(
            "POST",
            "/kms/update-key-description",
            Some(json!({"key_id": key, "key_description": "d".repeat(256)})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1103");
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.body["key_info"]["key_alias"], "renamed");
    assert_eq!(r.body["key_info"]["key_description"], "described");

    // cancel-key-deletion.
    let r = h
        .kms(
            "POST",
            "/kms/cancel-key-deletion",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.1501");
    let r = h
        .kms(
            "POST",
            "/kms/schedule-key-deletion",
            Some(json!({"key_id": key, "pending_days": "7"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.body["key_info"]["key_state"], "4");
    assert!(
        !r.body["key_info"]["scheduled_deletion_date"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let r = h
        .kms(
            "POST",
            "/kms/update-key-alias",
            Some(json!({"key_id": key, "key_alias": "late"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0210");
    let r = h
        .kms(
            "POST",
            "/kms/cancel-key-deletion",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"key_id": key, "key_state": "3"}));
    let r = h.kms("GET", "/kms/cancel-key-deletion", None).await;
    assert_kms_error(&r, 405, "KMS.0215");
}

#[tokio::test]
async fn encrypt_and_decrypt_data() {
    let h = harness();
    let key = h.create_key("data_key").await;
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({
                "key_id": key,
                "plain_text": "hello data",
                "encryption_algorithm": "SYMMETRIC_DEFAULT",
                "encryption_context": {"app": "vault"}
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_id"], key.as_str());
    let ct = r.body["cipher_text"].as_str().unwrap().to_owned();
    // Only the ciphertext (and the context) is needed to decrypt.
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": ct, "encryption_context": {"app": "vault"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_id"], key.as_str());
    assert_eq!(r.body["plain_text"], "hello data");
    assert_eq!(r.body["plain_text_base64"], "aGVsbG8gZGF0YQ==");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": ct})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2201");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": "@@@@"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2201");
    let r = h.kms("POST", "/kms/decrypt-data", Some(json!({}))).await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "x".repeat(4097)})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2101");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "x", "encryption_context": "text"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0208");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "x", "encryption_algorithm": "RSAES_OAEP_SHA_256"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2105");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"plain_text": "x"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": "00000000-0000-4000-8000-000000000099", "plain_text": "x"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
}

#[tokio::test]
async fn key_rotation_routes() {
    let h = harness();
    let key = h.create_key("rotating").await;
    let before = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "v1 data"})),
        )
        .await
        .body["cipher_text"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/enable-key-rotation",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_empty_json_200(&r);
    let r = h
        .kms(
            "POST",
            "/kms/update-key-rotation-interval",
            Some(json!({"key_id": key, "rotation_interval": 90})),
        )
        .await;
    assert_empty_json_200(&r);
    let r = h
        .kms(
            "POST",
            "/kms/update-key-rotation-interval",
            Some(json!({"key_id": key, "rotation_interval": 7})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.3001");
    let r = h
        .kms(
            "POST",
            "/kms/update-key-rotation-interval",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/rotate-on-demand",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"key_id": key}));
    let r = h
        .kms(
            "POST",
            "/kms/get-key-rotation-status",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_rotation_enabled"], true);
    assert_eq!(r.body["rotation_interval"], 90);
    assert_eq!(r.body["number_of_rotations"], 1);
    assert!(!r.body["last_rotation_time"].as_str().unwrap().is_empty());
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": before})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["plain_text"], "v1 data");
    let r = h
        .kms(
            "POST",
            "/kms/disable-key-rotation",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_empty_json_200(&r);
    let r = h
        .kms(
            "POST",
            "/kms/rotate-on-demand",
            Some(json!({"key_id": "k"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0205");
    let r = h
        .kms(
            "POST",
            "/kms/get-key-rotation-status",
            Some(json!({"key_id": "00000000-0000-4000-8000-000000000099"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
    let r = h
        .kms("POST", "/kms/disable-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .kms(
            "POST",
            "/kms/enable-key-rotation",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0209");
}

#[tokio::test]
async fn tag_routes() {
    let h = harness();
    let key = h.create_key("tagged_app").await;
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": [{"key": "env", "value": "prod"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.kms("GET", &format!("/kms/{key}/tags"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"tags": [{"key": "env", "value": "prod"}], "existTagsNum": 1})
    );
    let r = h
        .kms(
            "POST",
            "/kms/resource_instances/action",
            Some(json!({"action": "filter", "tags": [{"key": "env", "values": ["prod"]}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(r.body["resources"][0]["resource_id"], key.as_str());
    assert_eq!(r.body["resources"][0]["resource_name"], "tagged_app");
    assert_eq!(r.body["resources"][0]["resource_detail"]["key_state"], "2");
    let r = h
        .kms(
            "POST",
            "/kms/resource_instances/action",
            Some(json!({"action": "count"})),
        )
        .await;
    assert_eq!(r.body, json!({"resources": [], "total_count": 1}));
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": [{"key": "bad*key", "value": "v"}]})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0406");
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"tags": []})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/not-a-key/tags/action",
            Some(json!({"action": "create", "tags": [{"key": "a", "value": "b"}]})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0205");
    let r = h
        .kms(
            "GET",
            "/kms/00000000-0000-4000-8000-000000000099/tags",
            None,
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
    let tags: Vec<Value> = (0..11)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": tags[..9]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "delete", "tags": [{"key": "env"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": [{"key": "env", "value": "x"}, {"key": "extra", "value": "y"}]})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0409");
}

#[tokio::test]
async fn gen_random_route() {
    let h = harness();
    let r = h
        .kms(
            "POST",
            "/kms/gen-random",
            Some(json!({"random_data_length": "512"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["random_data"].as_str().unwrap().len(), 128);
    let r = h
        .kms(
            "POST",
            "/kms/gen-random",
            Some(json!({"random_data_length": 64})),
        )
        .await;
    assert_eq!(r.body["random_data"].as_str().unwrap().len(), 16);
    for (bad, code) in [
        (json!("9"), "KMS.1802"),
        (json!("16384"), "KMS.1801"),
        (json!("x"), "KMS.1801"),
    ] {
        let r = h
            .kms(
                "POST",
                "/kms/gen-random",
                Some(json!({"random_data_length": bad})),
            )
            .await;
        assert_kms_error(&r, 400, code);
    }
    let r = h.kms("POST", "/kms/gen-random", Some(json!({}))).await;
    assert_kms_error(&r, 400, "KMS.0204");
}

#[tokio::test]
async fn re_encrypt_route() {
    let h = harness();
    let a = h.create_key("re_src").await;
    let b = h.create_key("re_dst").await;
    let ct = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": a, "plain_text": "payload"})),
        )
        .await
        .body["cipher_text"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/re-encrypt",
            Some(json!({"cipher_text": ct, "destination_key_id": b})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_id"], b.as_str());
    assert_eq!(r.body["source_key_id"], a.as_str());
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": r.body["cipher_text"]})),
        )
        .await;
    assert_eq!(r.body["plain_text"], "payload");
    let r = h
        .kms("POST", "/kms/re-encrypt", Some(json!({"cipher_text": ct})))
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h
        .kms(
            "POST",
            "/kms/re-encrypt",
            Some(json!({"cipher_text": ct, "destination_key_id": "nope"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0205");
    let r = h
        .kms(
            "POST",
            "/kms/re-encrypt",
            Some(json!({"cipher_text": "%%%", "destination_key_id": b})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2201");
}

#[tokio::test]
async fn single_tag_routes() {
    let h = harness();
    let key = h.create_key("single_tag").await;
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags"),
            Some(json!({"tag": {"key": "env", "value": "prod"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags"),
            Some(json!({"tag": {"key": "a b=c", "value": "x"}})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0406");
    let r = h
        .kms("POST", &format!("/kms/{key}/tags"), Some(json!({})))
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
    let r = h.kms("DELETE", &format!("/kms/{key}/tags/env"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.kms("GET", &format!("/kms/{key}/tags"), None).await;
    assert_eq!(r.body["existTagsNum"], 0);
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags"),
            Some(json!({"tag": {"key": "team", "value": "x"}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.kms("GET", "/kms/tags", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"tags": [{"key": "team", "values": ["x"]}]}));
    let r = h
        .kms(
            "DELETE",
            "/kms/00000000-0000-4000-8000-000000000099/tags/env",
            None,
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
}

/// How a test client signs: the SDKs' `Access=` form over the given
/// headers, or the legacy `Credential=` form with a region and service.
#[derive(Clone, Copy)]
enum Signer<'a> {
    Access(&'a [&'a str]),
    Legacy {
        region: &'a str,
        service: &'a str,
        signed: &'a [&'a str],
    },
}

/// A request signed by `signer` now, with the headers a Go client sends
/// (no `Host` header is added to the wire request by the test: the router
/// sees the one given here, as it would from Go's net/http).
fn signed_by(signer: Signer<'_>, method: &str, path_and_query: &str, body: &str) -> Request<Body> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let req = OwnedRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![
            (
                "Content-Type".into(),
                "application/json;charset=UTF-8".into(),
            ),
            ("Host".into(), "127.0.0.1:8080".into()),
            ("User-Agent".into(), "huaweicloud-usdk-go/3.0".into()),
            ("X-Project-Id".into(), PROJECT.into()),
            ("X-Sdk-Date".into(), kms_sign::format_sdk_date(now_unix())),
        ],
        body: body.as_bytes().to_vec(),
    };
    let authz = match signer {
        Signer::Access(signed) => kms_sign::authorization_header(&req, AK, SK, signed),
        Signer::Legacy {
            region,
            service,
            signed,
        } => kms_sign::legacy_authorization_header(&req, AK, SK, region, service, signed),
    }
    .unwrap();
    with_authorization(&req, path_and_query, authz)
}

/// The Go SDK v3 (sops, sigstore) signs `user-agent;x-project-id;x-sdk-date`
/// and a body ending in a newline; Terraform's provider signs
/// `accept;content-type;user-agent;x-sdk-date` (here without `accept`,
/// which the test client does not send); the legacy golangsdk signer (the
/// Vault/OpenBao seal) signs every header it set, with an empty region and
/// service, or a named one. Each creates a key, encrypts and decrypts with
/// only `cipher_text`, and describes the key, over HTTP.
#[tokio::test]
async fn go_sdk_terraform_and_legacy_signers_get_in_without_signing_host() {
    let h = harness();
    let signers = [
        Signer::Access(&["user-agent", "x-project-id", "x-sdk-date"]),
        Signer::Access(&["content-type", "user-agent", "x-sdk-date"]),
        Signer::Legacy {
            region: "",
            service: "",
            signed: &[
                "content-type",
                "host",
                "user-agent",
                "x-project-id",
                "x-sdk-date",
            ],
        },
        Signer::Legacy {
            region: "cn-north-4",
            service: "kms",
            signed: &["content-type", "host", "x-sdk-date"],
        },
    ];
    for (i, signer) in signers.into_iter().enumerate() {
        let kms = |route: &str| format!("/v1.0/{PROJECT}/kms/{route}");
        let body = format!("{{\"key_alias\":\"go-signer-{i}\"}}\n");
        let r = h
            .send(signed_by(signer, "POST", &kms("create-key"), &body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "signer {i}: {}", r.body);
        let key_id = r.body["key_info"]["key_id"].as_str().unwrap().to_owned();
        let body = json!({"key_id": key_id, "plain_text": "hello, go"}).to_string();
        let r = h
            .send(signed_by(signer, "POST", &kms("encrypt-data"), &body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "signer {i}: {}", r.body);
        let cipher = r.body["cipher_text"].as_str().unwrap().to_owned();
        let body = json!({"cipher_text": cipher}).to_string();
        let r = h
            .send(signed_by(signer, "POST", &kms("decrypt-data"), &body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "signer {i}: {}", r.body);
        assert_eq!(r.body["plain_text"], "hello, go");
        let body = json!({"key_id": key_id}).to_string();
        let r = h
            .send(signed_by(signer, "POST", &kms("describe-key"), &body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "signer {i}: {}", r.body);
        assert_eq!(r.body["key_info"]["key_alias"], format!("go-signer-{i}"));
        // A GET with a query string.
        let r = h
            .send(signed_by(
                signer,
                "GET",
                &format!("/v1.0/{PROJECT}/keystores?limit=10&offset=0"),
                "",
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "signer {i}: {}", r.body);
        // Another project in the path: 403, as for every signer.
        let other = "/v1.0/ffffffffffffffffffffffffffffffff/kms/describe-key";
        let r = h.send(signed_by(signer, "POST", other, &body)).await;
        assert_kms_error(&r, 403, "KMS.0321");
        // Without the date signed: 401.
        let unsigned_date = match signer {
            Signer::Access(_) => Signer::Access(&["user-agent", "x-project-id"]),
            Signer::Legacy {
                region, service, ..
            } => Signer::Legacy {
                region,
                service,
                signed: &["content-type", "host"],
            },
        };
        let r = h
            .send(signed_by(
                unsigned_date,
                "POST",
                &kms("describe-key"),
                &body,
            ))
            .await;
        assert_kms_error(&r, 401, "KMS.6401");
    }
}

// ---------------------------------------------------------------- inputs real tools send
//
// docs/errors.md, "Inputs real tools send": each test names the tool whose
// request it replays.

/// A list of ids, sorted (keys made within one millisecond list in id
/// order).
fn sorted_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn cloud_custodian_lists_keys_with_no_body() {
    // c7n_huaweicloud resources/kms.py: `client.list_keys(ListKeysRequest())`,
    // signed by the Python SDK over an empty body.
    let h = harness();
    let a = h.create_key("custodian_a").await;
    let b = h.create_key("custodian_b").await;
    let path = format!("/v1.0/{PROJECT}/kms/list-keys");
    let r = h.send(signed_request("POST", &path, "", 0, SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
    assert_eq!(sorted_ids(&r.body["keys"]), sorted_ids(&json!([a, b])));
    assert_eq!(r.body["next_marker"], "");
    // With a token, with and without a Content-Length.
    let r = h.kms("POST", "/kms/list-keys", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
    let req = Request::post(&path)
        .header("X-Auth-Token", TOKEN)
        .body(Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["total"], 2);
    // Only list-keys: a route with a mandatory field still wants a body.
    let r = h.kms("POST", "/kms/describe-key", None).await;
    assert_kms_error(&r, 400, "KMS.0202");
}

#[tokio::test]
async fn cloud_custodian_sends_sequence_as_uuid4_hex() {
    // resources/kms.py: enable_key / disable_key / enable_key_rotation /
    // disable_key_rotation, each `sequence=uuid.uuid4().hex`.
    let h = harness();
    let key = h.create_key("custodian_seq").await;
    let seq = "c0ffee00c0ffee00c0ffee00c0ffee00";
    for (route, state) in [("/kms/disable-key", "3"), ("/kms/enable-key", "2")] {
        let r = h
            .kms("POST", route, Some(json!({"key_id": key, "sequence": seq})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{route}: {}", r.body);
        assert_eq!(r.body["key_info"]["key_state"], state);
    }
    for route in ["/kms/enable-key-rotation", "/kms/disable-key-rotation"] {
        let r = h
            .kms("POST", route, Some(json!({"key_id": key, "sequence": seq})))
            .await;
        assert_empty_json_200(&r);
    }
    let r = h
        .kms(
            "POST",
            "/kms/describe-key",
            Some(json!({"key_id": key, "sequence": seq})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // 32 characters that are not hex are still KMS.0206.
    let r = h
        .kms(
            "POST",
            "/kms/enable-key",
            Some(json!({"key_id": key, "sequence": "z".repeat(32)})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0206");
}

#[tokio::test]
async fn terraform_kms_keys_data_source_sends_limit_2000() {
    // data_source_huaweicloud_kms_keys.go: `"limit": 2000` (a JSON
    // integer), then it follows `next_marker` until it is empty.
    let h = harness();
    let keys = [
        h.create_key("tf_one").await,
        h.create_key("tf_two").await,
        h.create_key("tf_three").await,
    ];
    let r = h
        .kms(
            "POST",
            "/kms/list-keys",
            Some(json!({"limit": 2000, "key_state": "2"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(sorted_ids(&r.body["keys"]), sorted_ids(&json!(keys)));
    assert_eq!(r.body["truncated"], "false");
    assert_eq!(r.body["next_marker"], "");
    let r = h
        .kms("POST", "/kms/list-keys", Some(json!({"limit": 0})))
        .await;
    assert_kms_error(&r, 400, "KMS.1601");
}

#[tokio::test]
async fn terraform_decodes_every_200_body_as_json() {
    // chnsz/golangsdk provider_client.go decodes a 200 body into the
    // caller's JSONResponse (rotation.Enable/Disable/Update pass one): an
    // empty body is EOF. Every operation whose SDK response model has no
    // field answers `{}`; the documented 204s keep no body (golangsdk does
    // not decode a 204).
    let h = harness();
    let key = h.create_key("tf_rotation").await;
    for (route, body) in [
        ("/kms/enable-key-rotation", json!({"key_id": key})),
        (
            "/kms/update-key-rotation-interval",
            json!({"key_id": key, "rotation_interval": 30}),
        ),
        ("/kms/disable-key-rotation", json!({"key_id": key})),
    ] {
        assert_empty_json_200(&h.kms("POST", route, Some(body)).await);
    }
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(json!({"keystore_alias": "tf_keystore", "hsm_cluster_id": CLUSTER})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ks = r.body["keystore"]["keystore_id"].as_str().unwrap();
    assert_empty_json_200(&h.kms("DELETE", &format!("/keystores/{ks}"), None).await);
    // Errors keep their error body.
    let r = h
        .kms(
            "POST",
            "/kms/enable-key-rotation",
            Some(json!({"key_id": "00000000-0000-4000-8000-000000000099"})),
        )
        .await;
    assert_kms_error(&r, 404, "KMS.0207");
    // 204 stays 204 with no body.
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": [{"key": "env", "value": "tf"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.raw.is_empty());
}

#[tokio::test]
async fn java_encryption_sdk_decrypts_an_aes_128_dek_with_length_32() {
    // huaweicloud-encryption-sdk-java: KmsDataKeyGenerate asks create-datakey
    // for `datakey_length` 128 (AES_128, SM4), KMSKeyring.realDecrypt sends
    // `datakey_cipher_length: "32"`.
    let h = harness();
    let key = h.create_key("java_sdk").await;
    let r = h
        .kms(
            "POST",
            "/kms/create-datakey",
            Some(json!({"key_id": key, "key_spec": "AES_128", "datakey_length": "128"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (plain, ct) = (r.body["plain_text"].clone(), r.body["cipher_text"].clone());
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": ct, "datakey_cipher_length": "32"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data_key"], plain);
    assert_eq!(r.body["datakey_length"], "16");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": ct, "datakey_cipher_length": "8"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2204");
}

#[tokio::test]
async fn golangsdk_sends_encryption_context_as_a_json_string() {
    // huaweicloud/golangsdk openstack/kms/v1/crypto: EncryptDataOpts and
    // DecryptDataOpts carry `EncryptionContext string`. The string and the
    // object bind the same context, either way round.
    let h = harness();
    let key = h.create_key("golangsdk").await;
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "secret", "encryption_context": "{\"app\":\"tf\"}"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ct = r.body["cipher_text"].clone();
    for ctx in [json!({"app": "tf"}), json!("{\"app\": \"tf\"}")] {
        let r = h
            .kms(
                "POST",
                "/kms/decrypt-data",
                Some(json!({"cipher_text": ct, "encryption_context": ctx})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["plain_text"], "secret");
    }
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": ct, "encryption_context": "{\"app\":\"other\"}"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.2201");
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": ct, "encryption_context": "app=tf"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0208");
}

// ---------------------------------------------------------------- IAM (Keystone v3) front

const REGION: &str = "cn-north-4";
const EXTERNAL: &str = "http://kms.test:8080";
const PROJECT2: &str = "22222222222222222222222222222222";
const USER_ID: &str = "u0u0u0u0u0u0u0u0u0u0u0u0u0u0u0u0";
const PASSWORD: &str = "alice's password";

const UNAUTHORIZED: &str = r#"{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}"#;

/// A server with the IAM front: the usual AK/SK and token (project
/// `PROJECT`, named after the region by default), a user `alice` of domain
/// `acme` (= `DOMAIN`) who may scope to `PROJECT` and `PROJECT2`, a user
/// `mallory` of another domain, and `extra` configuration.
fn iam_harness(extra: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let alice = kms_server::hash_password(&kms_server::Password::new(PASSWORD.into())).unwrap();
    let mallory = kms_server::hash_password(&kms_server::Password::new("m".into())).unwrap();
    let config = format!(
        r#"
region_id = "{REGION}"
external_url = "{EXTERNAL}/"
{extra}
[[credentials]]
access_key = "{AK}"
secret_key = "{SK}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[users]]
name = "alice"
id = "{USER_ID}"
domain_id = "{DOMAIN}"
domain_name = "acme"
password_hash = "{alice}"
projects = [{{ id = "{PROJECT}" }}, {{ id = "{PROJECT2}", name = "{REGION}_dev" }}]
[[users]]
name = "mallory"
id = "mallory-id"
domain_id = "other-domain"
domain_name = "evil"
password_hash = "{mallory}"
projects = [{{ id = "mallory-project" }}]
"#
    );
    let app = prepare_config(dir.path(), &config, true, None).unwrap().app;
    Harness { _dir: dir, app }
}

/// A response with its headers and raw body.
struct Exchange {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    raw: String,
    body: Value,
}

impl Exchange {
    fn subject_token(&self) -> Option<&str> {
        self.headers
            .get("x-subject-token")
            .map(|v| v.to_str().unwrap())
    }
}

impl Harness {
    async fn exchange(&self, req: Request<Body>) -> Exchange {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let raw = String::from_utf8(bytes.to_vec()).unwrap();
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&raw).unwrap()
        };
        Exchange {
            status,
            headers,
            raw,
            body,
        }
    }

    /// `POST /v3/auth/tokens` with `body`.
    async fn login(&self, body: Value) -> Exchange {
        self.exchange(
            Request::post("/v3/auth/tokens")
                .header("Content-Type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// A token of alice's scoped to `scope`.
    async fn alice_token(&self, scope: Value) -> String {
        let r = self.login(password_login("alice", PASSWORD, scope)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
        r.subject_token().unwrap().to_owned()
    }

    /// A request to `path` with `X-Auth-Token: token`.
    async fn with_token(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Exchange {
        let b = Request::builder()
            .method(method)
            .uri(path)
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/json");
        let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
        self.exchange(b.body(body).unwrap()).await
    }
}

/// Keystone's password login for `name` in domain `acme`.
fn password_login(name: &str, password: &str, scope: Value) -> Value {
    json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": name, "password": password, "domain": {"name": "acme"}}}},
        "scope": scope}})
}

/// A `GET` of `path?query` signed with AK/SK over host and x-sdk-date,
/// as golangsdk's signer sends it.
fn signed_get(path: &str, query: &str, sk: &str) -> Request<Body> {
    let req = OwnedRequest {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        headers: vec![
            ("Host".into(), "kms.test:8080".into()),
            ("X-Sdk-Date".into(), kms_sign::format_sdk_date(now_unix())),
        ],
        body: Vec::new(),
    };
    let authz = kms_sign::authorization_header(&req, AK, sk, &["host", "x-sdk-date"]).unwrap();
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    with_authorization(&req, &uri, authz)
}

/// Seconds between two Keystone timestamps.
fn seconds_between(from: &Value, to: &Value) -> i64 {
    let unix = |v: &Value| {
        let s = v.as_str().unwrap();
        let d = s.get(..19).unwrap().replace(['-', ':'], "");
        assert!(s.ends_with('Z') && s.len() == 27, "{s}");
        kms_sign::parse_sdk_date(&format!("{d}Z")).unwrap()
    };
    unix(to) - unix(from)
}

#[tokio::test]
async fn iam_version_discovery_needs_no_credentials() {
    let h = iam_harness("");
    // What golangsdk's ChooseVersion reads: GET <base>, 200 or 300,
    // versions.values[].{id, status, links[rel=self].href}.
    let r = h
        .exchange(Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES, "{}", r.raw);
    let v = &r.body["versions"]["values"][0];
    assert_eq!(v["id"], "v3.0");
    assert_eq!(v["status"], "stable");
    assert_eq!(v["links"][0]["rel"], "self");
    assert_eq!(v["links"][0]["href"], format!("{EXTERNAL}/v3/"));
    assert!(r.headers.get("x-request-id").is_some());
    for path in ["/v3", "/v3/"] {
        let r = h
            .exchange(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.raw);
        assert_eq!(r.body["version"]["id"], "v3.0");
        assert_eq!(r.body["version"]["status"], "stable");
        assert_eq!(
            r.body["version"]["links"],
            json!([{"rel": "self", "href": format!("{EXTERNAL}/v3/")}])
        );
    }
    // Another Keystone route: Keystone's 404.
    let r = h
        .exchange(Request::get("/v3/users").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"]["code"], 404);
    assert_eq!(r.body["error"]["title"], "Not Found");
    // The API's own routes are untouched.
    let r = h
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn iam_password_tokens_by_project_name_id_or_domain() {
    let h = iam_harness("");
    // Name + domain name, scoped to a project by name (+ domain).
    let r = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"project": {"name": REGION, "domain": {"name": "acme"}}}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let token = r.subject_token().unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let t = &r.body["token"];
    assert_eq!(t["methods"], json!(["password"]));
    assert_eq!(
        t["project"],
        json!({"domain": {"id": DOMAIN, "name": "acme"}, "id": PROJECT, "name": REGION})
    );
    assert!(t.get("domain").is_none());
    assert_eq!(t["user"]["id"], USER_ID);
    assert_eq!(t["user"]["name"], "alice");
    assert_eq!(t["user"]["domain"], json!({"id": DOMAIN, "name": "acme"}));
    assert_eq!(t["roles"][0]["name"], "te_admin");
    assert_eq!(seconds_between(&t["issued_at"], &t["expires_at"]), 86_400);
    let kms: Vec<&Value> = t["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "kms")
        .collect();
    assert_eq!(kms.len(), 1);
    assert_eq!(
        kms[0]["endpoints"],
        json!([{
            "id": kms[0]["endpoints"][0]["id"],
            "interface": "public",
            "region": REGION,
            "region_id": REGION,
            "url": format!("{EXTERNAL}/v1.0"),
        }])
    );
    // The token is not logged nor echoed in the body.
    assert!(!r.raw.contains(token));

    // User id, scoped to a project by id; no catalog when asked.
    let r = h
        .exchange(
            Request::post("/v3/auth/tokens?nocatalog=true")
                .body(Body::from(
                    json!({"auth": {
                        "identity": {"methods": ["password"],
                            "password": {"user": {"id": USER_ID, "password": PASSWORD}}},
                        "scope": {"project": {"id": PROJECT2}}}})
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.body["token"]["project"]["id"], PROJECT2);
    assert_eq!(r.body["token"]["project"]["name"], format!("{REGION}_dev"));
    assert!(r.body["token"].get("catalog").is_none());

    // Scoped to the domain (Terraform's second client): no project.
    let r = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"domain": {"name": "acme"}}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        r.body["token"]["domain"],
        json!({"id": DOMAIN, "name": "acme"})
    );
    assert!(r.body["token"].get("project").is_none());
}

#[tokio::test]
async fn iam_bad_logins_get_keystones_401_or_400() {
    let h = iam_harness("");
    let project = json!({"project": {"name": REGION}});
    let wrong = h
        .login(password_login("alice", "not it", project.clone()))
        .await;
    let unknown = h
        .login(password_login("nobody", PASSWORD, project.clone()))
        .await;
    // Another domain's user with the right password, named in acme.
    let elsewhere = h.login(password_login("mallory", "m", project)).await;
    // A project alice may not scope to (mallory's), or a domain not hers.
    let foreign = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"project": {"id": "mallory-project"}}),
        ))
        .await;
    let foreign_domain = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"domain": {"id": "other-domain"}}),
        ))
        .await;
    for r in [&wrong, &unknown, &elsewhere, &foreign, &foreign_domain] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
        assert_eq!(r.raw, UNAUTHORIZED);
        assert!(r.subject_token().is_none());
        assert_eq!(
            r.headers.get("www-authenticate").unwrap(),
            &format!("Keystone uri=\"{EXTERNAL}\"")
        );
    }
    // Malformed: 400 in Keystone's shape.
    for body in [
        "{not json".to_owned(),
        json!({"auth": {"identity": {"methods": ["password"]}}}).to_string(),
        json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "alice", "password": PASSWORD, "domain": {"name": "acme"}}}}}})
        .to_string(),
    ] {
        let r = h
            .exchange(
                Request::post("/v3/auth/tokens")
                    .body(Body::from(body.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.raw);
        assert_eq!(r.body["error"]["code"], 400);
        assert_eq!(r.body["error"]["title"], "Bad Request");
    }
    // A token login with a token this front never issued.
    let r = h
        .login(json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": TOKEN}},
            "scope": {"project": {"id": PROJECT}}}}))
        .await;
    assert_eq!(r.raw, UNAUTHORIZED);
}

#[tokio::test]
async fn iam_tokens_work_on_their_project_only() {
    let h = iam_harness("");
    let key = h.create_key("iam-key").await;
    let token = h.alice_token(json!({"project": {"id": PROJECT}})).await;
    let describe = format!("/v1.0/{PROJECT}/kms/describe-key");
    let r = h
        .with_token("POST", &describe, &token, Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["key_info"]["key_id"], key.as_str());
    let r = h
        .with_token(
            "POST",
            &format!("/v1.0/{PROJECT}/kms/encrypt-data"),
            &token,
            Some(json!({"key_id": key, "plain_text": "aGVsbG8="})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    // Another project, even one alice may scope to: 403, as today.
    let r = h
        .with_token(
            "POST",
            &format!("/v1.0/{PROJECT2}/kms/describe-key"),
            &token,
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.raw);
    assert_eq!(r.body["error"]["error_code"], "KMS.0321");
    // A domain-scoped token acts in no project.
    let domain_token = h.alice_token(json!({"domain": {"id": DOMAIN}})).await;
    let r = h
        .with_token(
            "POST",
            &describe,
            &domain_token,
            Some(json!({"key_id": key})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
    assert_eq!(r.body["error"]["error_code"], "KMS.6401");
    // Re-scoped with the token method: the other project, same expiry.
    let first = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"project": {"id": PROJECT}}),
        ))
        .await;
    let r = h
        .login(json!({"auth": {
            "identity": {"methods": ["token"],
                "token": {"id": first.subject_token().unwrap()}},
            "scope": {"project": {"name": format!("{REGION}_dev"),
                "domain": {"id": DOMAIN}}}}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.body["token"]["methods"], json!(["token"]));
    assert_eq!(
        r.body["token"]["expires_at"],
        first.body["token"]["expires_at"]
    );
    let rescoped = r.subject_token().unwrap();
    assert_ne!(rescoped, first.subject_token().unwrap());
    let r = h
        .with_token(
            "POST",
            &format!("/v1.0/{PROJECT2}/kms/create-key"),
            rescoped,
            Some(json!({"key_alias": "dev-key"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
}

#[tokio::test]
async fn iam_tokens_expire() {
    let h = iam_harness("token_lifetime_secs = 1");
    let key = h.create_key("short-lived").await;
    let r = h
        .login(password_login(
            "alice",
            PASSWORD,
            json!({"project": {"id": PROJECT}}),
        ))
        .await;
    assert_eq!(
        seconds_between(
            &r.body["token"]["issued_at"],
            &r.body["token"]["expires_at"]
        ),
        1
    );
    let token = r.subject_token().unwrap().to_owned();
    let describe = format!("/v1.0/{PROJECT}/kms/describe-key");
    let live = h
        .with_token("POST", &describe, &token, Some(json!({"key_id": key})))
        .await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.raw);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = h
        .with_token("POST", &describe, &token, Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
    assert_eq!(r.body["error"]["error_code"], "KMS.6401");
    let r = h.with_token("GET", "/v3/auth/projects", &token, None).await;
    assert_eq!(r.raw, UNAUTHORIZED);
    // Nor can it be re-scoped.
    let r = h
        .login(json!({"auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"id": PROJECT}}}}))
        .await;
    assert_eq!(r.raw, UNAUTHORIZED);
}

#[tokio::test]
async fn iam_listings_with_aksk_or_tokens() {
    let h = iam_harness("");
    // AK/SK: the credential's project, found by its name (the region).
    let r = h
        .exchange(signed_get("/v3/projects", &format!("name={REGION}"), SK))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({
            "projects": [{
                "id": PROJECT, "name": REGION, "domain_id": DOMAIN,
                "parent_id": DOMAIN, "is_domain": false, "enabled": true,
                "description": "",
                "links": {"self": format!("{EXTERNAL}/v3/projects/{PROJECT}")},
            }],
            "links": {"self": format!("{EXTERNAL}/v3/projects"), "previous": null, "next": null},
        })
    );
    let r = h
        .exchange(signed_get(
            "/v3/projects",
            &format!("domain_id={DOMAIN}&name={REGION}"),
            SK,
        ))
        .await;
    assert_eq!(r.body["projects"][0]["id"], PROJECT);
    for query in ["name=nowhere", "domain_id=other-domain"] {
        let r = h.exchange(signed_get("/v3/projects", query, SK)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["projects"], json!([]), "{query}");
    }
    let r = h.exchange(signed_get("/v3/auth/catalog", "", SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let types: Vec<&str> = r.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["identity", "kms", "apig"]);
    assert_eq!(r.body["links"]["next"], Value::Null);
    let r = h.exchange(signed_get("/v3/auth/domains", "", SK)).await;
    assert_eq!(r.body["domains"][0]["id"], DOMAIN);
    assert_eq!(r.body["domains"][0]["name"], "acme");
    assert_eq!(r.body["domains"].as_array().unwrap().len(), 1);
    // A bad signature or no credentials: Keystone's 401.
    for req in [
        signed_get("/v3/projects", "name=cn-north-4", "wrong-secret"),
        signed_get("/v3/auth/catalog", "", "wrong-secret"),
        Request::get("/v3/auth/domains")
            .body(Body::empty())
            .unwrap(),
    ] {
        let r = h.exchange(req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.raw, UNAUTHORIZED);
    }
    // A configured token lists its project; alice's token her projects.
    let r = h.with_token("GET", "/v3/auth/projects", TOKEN, None).await;
    assert_eq!(r.body["projects"].as_array().unwrap().len(), 1);
    let token = h.alice_token(json!({"domain": {"name": "acme"}})).await;
    let r = h.with_token("GET", "/v3/auth/projects", &token, None).await;
    let ids: Vec<&str> = r.body["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [PROJECT, PROJECT2]);
    let r = h
        .with_token(
            "GET",
            &format!("/v3/projects?name={REGION}_dev"),
            &token,
            None,
        )
        .await;
    assert_eq!(r.body["projects"][0]["id"], PROJECT2);
}

#[tokio::test]
async fn iam_token_validation_and_revocation() {
    let h = iam_harness("");
    let subject = h.alice_token(json!({"project": {"id": PROJECT}})).await;
    let check = |method: &str, by: &str, subject: &str| {
        Request::builder()
            .method(method)
            .uri("/v3/auth/tokens")
            .header("X-Auth-Token", by)
            .header("X-Subject-Token", subject)
            .body(Body::empty())
            .unwrap()
    };
    // By itself, or by the domain's configured token.
    for by in [subject.as_str(), TOKEN] {
        let r = h.exchange(check("GET", by, &subject)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        assert_eq!(r.subject_token(), Some(subject.as_str()));
        assert_eq!(r.body["token"]["project"]["id"], PROJECT);
    }
    let r = h.exchange(check("HEAD", TOKEN, &subject)).await;
    assert_eq!(r.status, StatusCode::OK);
    // Another domain's caller does not see it.
    let mallory = h
        .login(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "id": "mallory-id", "password": "m"}}},
            "scope": {"domain": {"name": "evil"}}}}))
        .await;
    let mallory = mallory.subject_token().unwrap();
    let r = h.exchange(check("GET", mallory, &subject)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.exchange(check("DELETE", mallory, &subject)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Revoked: 204, then gone everywhere.
    let r = h.exchange(check("DELETE", TOKEN, &subject)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.raw);
    let r = h.exchange(check("GET", TOKEN, &subject)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .with_token(
            "POST",
            &format!("/v1.0/{PROJECT}/kms/list-keys"),
            &subject,
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// How the 2021 golangsdk under the Vault/OpenBao seal signs: the legacy
/// `Credential=` scheme, region and service empty.
const SEAL: Signer<'static> = Signer::Legacy {
    region: "",
    service: "",
    signed: &["content-type", "host", "x-sdk-date"],
};

/// What the Vault/OpenBao `huaweicloudkms` seal does (go-kms-wrapping over
/// golangsdk), by AK/SK only, signed with the legacy `Credential=` scheme
/// (over TCP: tests/process.rs
/// `the_vault_seal_flow_over_tcp_with_the_legacy_signer`): discover the v3 endpoint, find the project
/// by name, read the KMS endpoint from the catalog, then describe the key,
/// encrypt and decrypt (with the ciphertext alone).
#[tokio::test]
async fn iam_keystone_flow_like_the_vault_seal() {
    let h = iam_harness("");
    let key = h.create_key("vault-seal").await;
    let local = |url: &str| url.strip_prefix(EXTERNAL).unwrap().to_owned();

    // 1. ChooseVersion on a versionless identity endpoint.
    let r = h
        .exchange(Request::get("/").body(Body::empty()).unwrap())
        .await;
    let v3 = r.body["versions"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"].as_str().unwrap().contains("v3") && v["status"] == "stable")
        .unwrap()["links"][0]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(v3.ends_with("/v3/"));
    // 2. getProjectID: GET v3/projects?name=<project>, the first one.
    let r = h
        .exchange(signed_by(
            SEAL,
            "GET",
            &format!("{}projects?name={REGION}", local(&v3)),
            "",
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let project_id = r.body["projects"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(project_id, PROJECT);
    // 3. catalog.List, then V3EndpointURL(type kms, public, region).
    let r = h
        .exchange(signed_by(
            SEAL,
            "GET",
            &format!("{}auth/catalog", local(&v3)),
            "",
        ))
        .await;
    let endpoints: Vec<String> = r.body["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "kms")
        .flat_map(|e| e["endpoints"].as_array().unwrap().iter())
        .filter(|e| e["interface"] == "public" && e["region"] == REGION)
        .map(|e| e["url"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(endpoints.len(), 1, "exactly one, or golangsdk refuses");
    // golangsdk normalises the URL with a trailing `/` and appends
    // `<project_id>/kms/<action>`.
    let kms = format!("{}/{project_id}/kms", local(&endpoints[0]));
    // 4. describe-key, encrypt-data, decrypt-data (cipher_text only).
    let r = h
        .exchange(signed_by(
            SEAL,
            "POST",
            &format!("{kms}/describe-key"),
            &json!({"key_id": key}).to_string(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["key_info"]["key_id"], key.as_str());
    let plain = "c2VhbCB3cmFwcGluZyBrZXk=";
    let r = h
        .exchange(signed_by(
            SEAL,
            "POST",
            &format!("{kms}/encrypt-data"),
            &json!({"key_id": key, "plain_text": plain}).to_string(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["key_id"], key.as_str());
    let ct = r.body["cipher_text"].as_str().unwrap().to_owned();
    let r = h
        .exchange(signed_by(
            SEAL,
            "POST",
            &format!("{kms}/decrypt-data"),
            &json!({"cipher_text": ct}).to_string(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["plain_text"], plain);
}

const SEED_KEYSTORE: &str = "5eed0000-0000-4000-8000-0000000000c5";
const SEED_KEY: &str = "5eed0000-0000-4000-8000-000000000001";
const SEED_CERT: &str = "5eed00000000400080000000000000ce";

/// A seed file in `dir` naming its PEM files relatively, as a CI job
/// would keep them beside it.
fn write_seed_file(dir: &Path, keystore_alias: &str) -> PathBuf {
    std::fs::copy(data("test-hsm-ca.pem"), dir.join("ca.pem")).unwrap();
    std::fs::copy(data("test-cert.pem"), dir.join("cert.pem")).unwrap();
    std::fs::copy(data("test-cert-key.pem"), dir.join("cert-key.pem")).unwrap();
    private(&dir.join("cert-key.pem"));
    let path = dir.join("seed.toml");
    std::fs::write(
        &path,
        format!(
            r#"[[projects]]
project_id = "{PROJECT}"

[[projects.keystores]]
keystore_id = "{SEED_KEYSTORE}"
keystore_alias = "{keystore_alias}"
hsm_cluster_id = "{CLUSTER}"
hsm_ca_cert_file = "ca.pem"

[[projects.keys]]
key_id = "{SEED_KEY}"
key_alias = "in-seeded-store"
keystore_id = "{SEED_KEYSTORE}"
tags = {{ env = "ci" }}

[[projects.certificates]]
id = "{SEED_CERT}"
name = "seeded_cert"
cert_file = "cert.pem"
private_key_file = "cert-key.pem"
"#
        ),
    )
    .unwrap();
    path
}

#[tokio::test]
async fn a_seed_file_creates_keystores_keys_and_certificates_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed_dir = dir.path().join("seed");
    std::fs::create_dir(&seed_dir).unwrap();
    let seed = write_seed_file(&seed_dir, "seeded_store");
    let app = prepare_in(
        dir.path(),
        false,
        kms_model::MAX_BODY_BYTES,
        Some(seed.clone()),
    )
    .unwrap()
    .app;
    let h = Harness {
        _dir: tempfile::tempdir().unwrap(),
        app,
    };
    let r = h
        .kms("GET", &format!("/keystores/{SEED_KEYSTORE}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["keystore"]["keystore_alias"], "seeded_store");
    let r = h
        .kms(
            "POST",
            "/kms/describe-key",
            Some(json!({"key_id": SEED_KEY})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_info"]["keystore_id"], SEED_KEYSTORE);
    let r = h.kms("GET", &format!("/kms/{SEED_KEY}/tags"), None).await;
    assert_eq!(r.body["tags"], json!([{"key": "env", "value": "ci"}]));
    let r = h
        .apig("GET", &format!("/certificates/{SEED_CERT}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "seeded_cert");
    assert_eq!(r.body["common_name"], "test.example.com");
    drop(h);

    // The same file again over the same data: nothing changes.
    prepare_in(
        dir.path(),
        false,
        kms_model::MAX_BODY_BYTES,
        Some(seed.clone()),
    )
    .unwrap();
    // A renamed keystore conflicts, named with its field.
    let renamed = write_seed_file(&seed_dir, "other_store");
    let err = prepare_in(dir.path(), false, kms_model::MAX_BODY_BYTES, Some(renamed))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("projects[0].keystores[0]")
            && err.contains(SEED_KEYSTORE)
            && err.contains("keystore_alias is seeded_store, the entry says other_store"),
        "{err}"
    );
    // A certificate private key others may read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let seed = write_seed_file(&seed_dir, "seeded_store");
        let key = seed_dir.join("cert-key.pem");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = prepare_in(dir.path(), true, kms_model::MAX_BODY_BYTES, Some(seed))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cert-key.pem") && err.contains("chmod 600"),
            "{err}"
        );
    }
}

/// A path parameter is percent-decoded once, by the router: the official
/// SDK's `delete_tag(key="%41")` sends `/tags/%2541` and deletes the tag
/// `%41`, never the tag `A` (it decoded twice before).
#[tokio::test]
async fn path_parameters_are_percent_decoded_once() {
    let h = harness();
    let key = h.create_key("decoded_once").await;
    for tag in ["%41", "A"] {
        let r = h
            .kms(
                "POST",
                &format!("/kms/{key}/tags"),
                Some(json!({"tag": {"key": tag, "value": "v"}})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{tag}: {}", r.body);
    }
    let keys = |r: &Reply| -> Vec<String> {
        let mut k: Vec<String> = r.body["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };
    let r = h
        .kms("DELETE", &format!("/kms/{key}/tags/%2541"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.kms("GET", &format!("/kms/{key}/tags"), None).await;
    assert_eq!(keys(&r), ["A"], "{}", r.body);
    // `%41` in the URL is `A`.
    let r = h.kms("DELETE", &format!("/kms/{key}/tags/%41"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h.kms("GET", &format!("/kms/{key}/tags"), None).await;
    assert!(keys(&r).is_empty(), "{}", r.body);
}

/// A body that never arrives: the connection stays open and silent.
fn stalled_body() -> Body {
    Body::from_stream(futures_util::stream::pending::<
        Result<Vec<u8>, std::io::Error>,
    >())
}

/// A request to describe-key whose body never arrives, with `headers`.
fn stalled(headers: &[(&str, String)]) -> Request<Body> {
    let mut b = Request::post(format!("/v1.0/{PROJECT}/kms/describe-key"))
        .header("Content-Type", "application/json");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        b = b.header("Content-Length", "100");
    }
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(stalled_body()).unwrap()
}

/// Credentials are checked before the body is read wherever the scheme
/// allows: a wrong token, an unknown access key, an expired date or an
/// unsigned date are refused at once, while the body has not come (it
/// never does here).
#[tokio::test]
async fn bad_credentials_are_refused_before_the_body_is_read() {
    let h = harness();
    let date = kms_sign::format_sdk_date(now_unix());
    let old = kms_sign::format_sdk_date(now_unix() - 3600);
    let sig = "0".repeat(64);
    for headers in [
        vec![("X-Auth-Token", format!("{TOKEN}x"))],
        vec![
            ("X-Sdk-Date", date.clone()),
            (
                "Authorization",
                format!(
                    "SDK-HMAC-SHA256 Access=NOSUCHAK, SignedHeaders=x-sdk-date, Signature={sig}"
                ),
            ),
        ],
        vec![
            ("X-Sdk-Date", old),
            (
                "Authorization",
                format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature={sig}"),
            ),
        ],
        vec![
            ("X-Sdk-Date", date.clone()),
            (
                "Authorization",
                format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host, Signature={sig}"),
            ),
        ],
        vec![],
    ] {
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), h.send(stalled(&headers)))
            .await
            .unwrap_or_else(|_| panic!("waited for the body of {headers:?}"));
        assert_kms_error(&r, 401, "KMS.6401");
    }
}

/// Bodies of requests not yet authenticated (a signature is verified over
/// its body) share one budget: while a stalled request under a known
/// access key holds it, another signed request waits (inside its request
/// timeout) instead of the server buffering without bound; once the
/// stalled one goes, it is served. A token's request is authenticated
/// before its body and does not wait for the budget.
#[tokio::test]
async fn unauthenticated_bodies_share_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
body_limit_bytes = 1024
request_timeout_ms = 5000
unauthenticated_body_bytes = 1024
[[credentials]]
access_key = "{AK}"
secret_key = "{SK}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
"#
    );
    let app = prepare_config(dir.path(), &config, true, None).unwrap().app;
    let h = Harness { _dir: dir, app };
    let key = h.create_key("budget").await;
    // A signed request (a known access key, a fresh date) whose 1 KiB body
    // never comes: it holds the whole budget.
    let date = kms_sign::format_sdk_date(now_unix());
    let hold = stalled(&[
        ("X-Sdk-Date", date),
        (
            "Authorization",
            format!(
                "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature={}",
                "0".repeat(64)
            ),
        ),
        ("Content-Length", "1024".into()),
    ]);
    let app = h.app.clone();
    let holder = tokio::spawn(async move { app.oneshot(hold).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let body = json!({"key_id": key}).to_string();
    let signer = Signer::Access(&["content-type", "x-sdk-date"]);
    let describe = || {
        signed_by(
            signer,
            "POST",
            &format!("/v1.0/{PROJECT}/kms/describe-key"),
            &body,
        )
    };
    // While it holds the budget, another signed request waits for it.
    let waited =
        tokio::time::timeout(std::time::Duration::from_millis(500), h.send(describe())).await;
    assert!(waited.is_err(), "served while the budget was held");
    // A token needs no budget.
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The stalled request goes (its client hangs up): the budget is back.
    holder.abort();
    let _ = holder.await;
    let r = tokio::time::timeout(std::time::Duration::from_secs(5), h.send(describe()))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

// ---------------------------------------------------------------- fidelity
//
// Issue 22: the published codes (tests/data/kms-error-codes.tsv of
// kms-model) for the rule violations, state rules and RSA encryption, on
// the wire: status and exact `error_code`. Each one answered KMS.0308, a
// project-defined code, KMS.0210, or succeeded, before.

impl Harness {
    async fn key_with(&self, alias: &str, spec: &str, usage: &str) -> String {
        let r = self
            .kms(
                "POST",
                "/kms/create-key",
                Some(json!({"key_alias": alias, "key_spec": spec, "key_usage": usage})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["key_info"]["key_id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn fidelity_rule_violations_answer_the_published_codes() {
    let h = harness();
    let key = h.create_key("fid-aes").await;
    let ec = h.key_with("fid-ec", "EC_P256", "SIGN_VERIFY").await;
    let rsa_sign = h.key_with("fid-rsa-sign", "RSA_2048", "SIGN_VERIFY").await;
    let digest = base64ct::Base64::encode_string(&[1u8; 31]);
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/kms/schedule-key-deletion".into(),
            json!({"key_id": key, "pending_days": "6"}),
            "KMS.1401",
        ),
        (
            "POST",
            "/kms/schedule-key-deletion".into(),
            json!({"key_id": key, "pending_days": "1097"}),
            "KMS.1401",
        ),
        (
            "POST",
            "/kms/update-key-rotation-interval".into(),
            json!({"key_id": key, "rotation_interval": 366}),
            "KMS.3001",
        ),
        (
            "POST",
            "/kms/gen-random".into(),
            json!({"random_data_length": "12"}),
            "KMS.1802",
        ),
        (
            "POST",
            "/kms/update-key-description".into(),
            json!({"key_id": key, "key_description": "d".repeat(256)}),
            "KMS.1103",
        ),
        (
            "POST",
            "/kms/create-key".into(),
            json!({"key_alias": "fid-long", "key_description": "d".repeat(256)}),
            "KMS.1103",
        ),
        (
            "POST",
            "/kms/list-keys".into(),
            json!({"limit": "-1"}),
            "KMS.1601",
        ),
        (
            "POST",
            "/kms/list-keys".into(),
            json!({"marker": "x"}),
            "KMS.1602",
        ),
        (
            "POST",
            "/kms/resource_instances/action".into(),
            json!({"action": "filter", "offset": "x"}),
            "KMS.0417",
        ),
        (
            "POST",
            "/kms/resource_instances/action".into(),
            json!({"action": "filter", "limit": "1001"}),
            "KMS.1601",
        ),
        (
            "POST",
            "/kms/resource_instances/action".into(),
            json!({"action": "list"}),
            "KMS.0404",
        ),
        (
            "POST",
            format!("/kms/{key}/tags/action"),
            json!({"action": "update", "tags": [{"key": "a", "value": "b"}]}),
            "KMS.0404",
        ),
        (
            "POST",
            format!("/kms/{key}/tags/action"),
            json!({"action": "create", "tags": []}),
            "KMS.0401",
        ),
        (
            "POST",
            format!("/kms/{key}/tags/action"),
            json!({"action": "create", "tags": [{"key": "k".repeat(37), "value": "v"}]}),
            "KMS.0411",
        ),
        (
            "POST",
            format!("/kms/{key}/tags/action"),
            json!({"action": "create", "tags": [{"key": "k", "value": "v".repeat(44)}]}),
            "KMS.0410",
        ),
        (
            "POST",
            format!("/kms/{key}/tags/action"),
            json!({"action": "create", "tags": [{"key": "k", "value": "a=b"}]}),
            "KMS.0405",
        ),
        (
            "POST",
            format!("/kms/{key}/tags"),
            json!({"tag": {"key": "", "value": "x"}}),
            "KMS.0406",
        ),
        (
            "POST",
            "/kms/sign".into(),
            json!({"key_id": ec, "message": digest, "signing_algorithm": "ECDSA_SHA_256"}),
            "KMS.0329",
        ),
        (
            "POST",
            "/kms/sign".into(),
            json!({"key_id": ec, "message": base64ct::Base64::encode_string(&[1u8; 32]),
                   "signing_algorithm": "RSASSA_PSS_SHA_256"}),
            "KMS.0332",
        ),
        (
            "POST",
            "/kms/create-key".into(),
            json!({"key_alias": "fid-x", "key_spec": "AES_256", "key_usage": "SIGN_VERIFY"}),
            "KMS.1115",
        ),
        (
            "POST",
            "/kms/create-key".into(),
            json!({"key_alias": "fid-x", "key_spec": "EC_P384", "key_usage": "ENCRYPT_DECRYPT"}),
            "KMS.1114",
        ),
        (
            "POST",
            "/kms/get-publickey".into(),
            json!({"key_id": key}),
            "KMS.0331",
        ),
        (
            "POST",
            "/kms/sign".into(),
            json!({"key_id": key, "message": base64ct::Base64::encode_string(&[1u8; 32]),
                   "signing_algorithm": "RSASSA_PSS_SHA_256"}),
            "KMS.0331",
        ),
        (
            "POST",
            "/kms/encrypt-data".into(),
            json!({"key_id": rsa_sign, "plain_text": "x"}),
            "KMS.0335",
        ),
        (
            "POST",
            "/kms/create-datakey".into(),
            json!({"key_id": ec}),
            "KMS.0335",
        ),
        (
            "POST",
            "/kms/enable-key-rotation".into(),
            json!({"key_id": rsa_sign}),
            "KMS.0324",
        ),
        (
            "POST",
            "/kms/rotate-on-demand".into(),
            json!({"key_id": ec}),
            "KMS.0325",
        ),
        (
            "POST",
            "/kms/encrypt-data".into(),
            json!({"key_id": key, "plain_text": "x", "encryption_context": 5}),
            "KMS.0208",
        ),
        (
            "POST",
            "/kms/create-key".into(),
            json!({"key_alias": "alias/default"}),
            "KMS.1101",
        ),
        (
            "POST",
            "/kms/update-key-alias".into(),
            json!({"key_id": key, "key_alias": "fid/default"}),
            "KMS.1101",
        ),
    ];
    for (method, route, body, code) in cases {
        let r = h.kms(method, &route, Some(body.clone())).await;
        assert_eq!(
            (r.status.as_u16(), kms_code(&r)),
            (400, code),
            "{route} {body}: {}",
            r.body
        );
    }
    // The DELETE path's tag key: KMS.0406.
    let r = h.kms("DELETE", &format!("/kms/{key}/tags/a*b"), None).await;
    assert_kms_error(&r, 400, "KMS.0406");
}

#[tokio::test]
async fn fidelity_state_rules_answer_the_published_codes() {
    let h = harness();
    let key = h.create_key("fid-state").await;
    let op = json!({ "key_id": key });
    let call = |route: &'static str, body: Value| {
        let h = &h;
        async move { h.kms("POST", route, Some(body)).await }
    };
    // enable-key of an enabled key, disable-key of a disabled one.
    assert_kms_error(&call("/kms/enable-key", op.clone()).await, 400, "KMS.1201");
    let r = call("/kms/disable-key", op.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_kms_error(&call("/kms/disable-key", op.clone()).await, 400, "KMS.1301");
    let r = call("/kms/enable-key", op.clone()).await;
    assert_eq!(r.body["key_info"]["key_state"], "2", "{}", r.body);
    // Rotation: off to start with.
    let interval = json!({"key_id": key, "rotation_interval": 90});
    assert_kms_error(
        &call("/kms/update-key-rotation-interval", interval.clone()).await,
        400,
        "KMS.0313",
    );
    assert_kms_error(
        &call("/kms/disable-key-rotation", op.clone()).await,
        400,
        "KMS.0313",
    );
    assert_empty_json_200(&call("/kms/enable-key-rotation", op.clone()).await);
    assert_kms_error(
        &call("/kms/enable-key-rotation", op.clone()).await,
        400,
        "KMS.2901",
    );
    assert_empty_json_200(&call("/kms/update-key-rotation-interval", interval.clone()).await);
    assert_empty_json_200(&call("/kms/disable-key-rotation", op.clone()).await);
    // Deletion: cancel of a key not pending, schedule twice.
    assert_kms_error(
        &call("/kms/cancel-key-deletion", op.clone()).await,
        400,
        "KMS.1501",
    );
    let sched = json!({"key_id": key, "pending_days": "7"});
    let r = call("/kms/schedule-key-deletion", sched.clone()).await;
    assert_eq!(r.body["key_state"], "4", "{}", r.body);
    assert_kms_error(
        &call("/kms/schedule-key-deletion", sched.clone()).await,
        400,
        "KMS.1402",
    );
    assert_kms_error(&call("/kms/enable-key", op.clone()).await, 400, "KMS.0210");
    // Eleven tags on one key: KMS.0409 (it was the project's KMS.6012).
    let other = h.create_key("fid-tags").await;
    let ten: Vec<Value> = (0..10)
        .map(|i| json!({"key": format!("t{i}"), "value": "v"}))
        .collect();
    let r = h
        .kms(
            "POST",
            &format!("/kms/{other}/tags/action"),
            Some(json!({"action": "create", "tags": ten})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = h
        .kms(
            "POST",
            &format!("/kms/{other}/tags"),
            Some(json!({"tag": {"key": "eleventh", "value": "v"}})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0409");
}

#[tokio::test]
async fn fidelity_rsa_encryption_keys_round_trip_with_oaep_sha256() {
    let h = harness();
    let rsa = h.key_with("fid-rsa", "RSA_3072", "ENCRYPT_DECRYPT").await;
    let aes = h.create_key("fid-rsa-aes").await;
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": rsa, "plain_text": "hello rsa",
                        "encryption_algorithm": "RSAES_OAEP_SHA_256"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_id"], rsa.as_str());
    let ct = r.body["cipher_text"].as_str().unwrap().to_owned();
    assert_eq!(base64ct::Base64::decode_vec(&ct).unwrap().len(), 384);
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"key_id": rsa, "cipher_text": ct,
                        "encryption_algorithm": "RSAES_OAEP_SHA_256"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["plain_text"], "hello rsa");
    assert_eq!(
        r.body["plain_text_base64"],
        base64ct::Base64::encode_string(b"hello rsa")
    );
    assert_eq!(r.body["key_id"], rsa.as_str());
    // The public key is there to encrypt to.
    let r = h
        .kms("POST", "/kms/get-publickey", Some(json!({"key_id": rsa})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["public_key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    for (body, code) in [
        (
            json!({"key_id": rsa, "plain_text": "m".repeat(319),
                   "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
            "KMS.2108",
        ),
        (json!({"key_id": rsa, "plain_text": "x"}), "KMS.2106"),
        (
            json!({"key_id": aes, "plain_text": "x", "encryption_algorithm": "RSAES_OAEP_SHA_256"}),
            "KMS.2105",
        ),
    ] {
        let r = h.kms("POST", "/kms/encrypt-data", Some(body.clone())).await;
        assert_kms_error(&r, 400, code);
    }
    let r = h
        .kms(
            "POST",
            "/kms/decrypt-data",
            Some(json!({"cipher_text": ct, "encryption_algorithm": "RSAES_OAEP_SHA_256"})),
        )
        .await;
    assert_kms_error(&r, 400, "KMS.0204");
}

/// The response models of the official Python SDK (`huaweicloudsdkkms`
/// 3.1.x: each `*Response` class's `openapi_types` under the JSON keys of
/// its `attribute_map`), as JSON types:
/// `"str"`, `"int"`, `"bool"`, `["str"]` a list of strings, an object a
/// nested model, `[{...}]` a list of that model.
fn sdk_models() -> Value {
    let key_details = json!({
        "key_id": "str", "domain_id": "str", "key_alias": "str", "realm": "str",
        "key_spec": "str", "key_usage": "str", "key_description": "str",
        "creation_date": "str", "scheduled_deletion_date": "str", "key_state": "str",
        "default_key_flag": "str", "key_type": "str", "expiration_time": "str",
        "origin": "str", "key_rotation_enabled": "str", "sys_enterprise_project_id": "str",
        "keystore_id": "str"
    });
    let keystore_details = json!({
        "keystore_id": "str", "domain_id": "str", "keystore_alias": "str",
        "keystore_type": "str", "hsm_cluster_id": "str", "cluster_id": "str",
        "create_time": "str"
    });
    let key_status = json!({"key_info": {"key_id": "str", "key_state": "str"}});
    let tag_item = json!({"key": "str", "value": "str"});
    json!({
        "CreateKeyStoreResponse": {"keystore": {"keystore_id": "str", "domain_id": "str"}},
        "ShowKeyStoreResponse": {"keystore": keystore_details},
        "ListKeyStoresResponse": {"total": "int", "keystores": [keystore_details]},
        "EnableKeyStoreResponse": {"keystore": {"keystore_id": "str", "keystore_state": "str"}},
        "CreatePinResponse": {"pin": "str"},
        "CreateKeyResponse": {"key_info": {"key_id": "str", "domain_id": "str", "region_id": "str"}},
        "EnableKeyResponse": key_status,
        "DisableKeyResponse": key_status,
        "DeleteKeyResponse": {"key_id": "str", "key_state": "str"},
        "CancelKeyDeletionResponse": {"key_id": "str", "key_state": "str"},
        "ListKeyDetailResponse": {"key_info": key_details},
        "ListKeysResponse": {
            "keys": ["str"], "key_details": [key_details], "next_marker": "str",
            "truncated": "str", "total": "int"
        },
        "UpdateKeyAliasResponse": {"key_info": {"key_id": "str", "key_alias": "str"}},
        "UpdateKeyDescriptionResponse": {"key_info": {"key_id": "str", "key_description": "str"}},
        "EncryptDataResponse": {"key_id": "str", "cipher_text": "str"},
        "DecryptDataResponse": {"key_id": "str", "plain_text": "str", "plain_text_base64": "str"},
        "ShowKeyRotationStatusResponse": {
            "key_rotation_enabled": "bool", "rotation_interval": "int",
            "last_rotation_time": "str", "number_of_rotations": "int",
            "key_materials": [{
                "material_id": "str", "charge_id": "str", "create_time": "str",
                "expiration_time": "str", "state": "int"
            }]
        },
        "RotateOnDemandResponse": {"key_id": "str"},
        // The SDK reads `exist_tags_num` from the JSON key `existTagsNum`
        // (its `attribute_map`).
        "ShowKmsTagsResponse": {"tags": [tag_item], "existTagsNum": "int"},
        "ListKmsByTagsResponse": {
            "resources": [{
                "resource_id": "str", "resource_detail": key_details,
                "resource_name": "str", "tags": [tag_item]
            }],
            "total_count": "int"
        },
        "ListKmsTagsResponse": {"tags": [{"key": "str", "values": ["str"]}]},
        "CreateRandomResponse": {"random_data": "str"},
        "SignResponse": {"key_id": "str", "signature": "str"},
        "ValidateSignatureResponse": {"key_id": "str", "signature_valid": "str"},
        "ShowPublicKeyResponse": {"key_id": "str", "public_key": "str"},
        "ReEncryptResponse": {
            "key_id": "str", "source_key_id": "str", "source_encryption_algorithm": "str",
            "destination_encryption_algorithm": "str", "cipher_text": "str"
        },
        "CreateDatakeyResponse": {"key_id": "str", "plain_text": "str", "cipher_text": "str"},
        "CreateDatakeyWithoutPlaintextResponse": {"key_id": "str", "cipher_text": "str"},
        "EncryptDatakeyResponse": {"key_id": "str", "cipher_text": "str", "datakey_length": "str"},
        "DecryptDatakeyResponse": {"data_key": "str", "datakey_length": "str", "datakey_dgst": "str"}
    })
}

/// Whether `v` has exactly the model's fields, each of the model's JSON
/// type (lists element by element); the path of the first mismatch.
fn conforms(v: &Value, model: &Value, path: &str) -> Result<(), String> {
    let bad = || Err(format!("{path}: {v} is not {model}"));
    match model {
        Value::String(t) => match (t.as_str(), v) {
            ("str", Value::String(_)) | ("bool", Value::Bool(_)) => Ok(()),
            ("int", Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
            _ => bad(),
        },
        Value::Array(m) => {
            let Value::Array(items) = v else { return bad() };
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| conforms(item, &m[0], &format!("{path}[{i}]")))
        }
        Value::Object(fields) => {
            let Value::Object(got) = v else { return bad() };
            for (k, t) in fields {
                let item = got
                    .get(k)
                    .ok_or_else(|| format!("{path}.{k}: missing from {v}"))?;
                conforms(item, t, &format!("{path}.{k}"))?;
            }
            if let Some(extra) = got.keys().find(|k| !fields.contains_key(*k)) {
                return Err(format!("{path}.{extra}: not in the SDK model"));
            }
            Ok(())
        }
        _ => bad(),
    }
}

#[tokio::test]
async fn every_served_response_has_the_sdk_models_fields_and_types() {
    let h = harness();
    let models = sdk_models();
    let check = |name: &str, r: &Reply| {
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        if let Err(e) = conforms(&r.body, &models[name], name) {
            panic!("{e}");
        }
    };
    let ca = read("test-hsm-ca.pem");
    let r = h
        .kms(
            "POST",
            "/keystores",
            Some(
                json!({"keystore_alias": "ks_models", "hsm_cluster_id": CLUSTER,
                        "hsm_ca_cert": ca, "keystore_type": "DHSM"}),
            ),
        )
        .await;
    check("CreateKeyStoreResponse", &r);
    let ks = r.body["keystore"]["keystore_id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        "ShowKeyStoreResponse",
        &h.kms("GET", &format!("/keystores/{ks}"), None).await,
    );
    check(
        "ListKeyStoresResponse",
        &h.kms("GET", "/keystores", None).await,
    );
    check(
        "EnableKeyStoreResponse",
        &h.kms("POST", &format!("/keystores/{ks}/disable"), None)
            .await,
    );
    check(
        "EnableKeyStoreResponse",
        &h.kms("POST", &format!("/keystores/{ks}/enable"), None)
            .await,
    );
    check(
        "CreatePinResponse",
        &h.kms(
            "POST",
            "/kms/create-pin",
            Some(json!({"pin_type": "CipherText", "keystore_id": "1"})),
        )
        .await,
    );
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "models"})),
        )
        .await;
    check("CreateKeyResponse", &r);
    let key = r.body["key_info"]["key_id"].as_str().unwrap().to_owned();
    let other = h.create_key("models-other").await;
    let op = || Some(json!({ "key_id": key }));
    let post = |route: &'static str, body: Option<Value>| {
        let h = &h;
        async move { h.kms("POST", route, body).await }
    };
    check("DisableKeyResponse", &post("/kms/disable-key", op()).await);
    check("EnableKeyResponse", &post("/kms/enable-key", op()).await);
    check(
        "ListKeyDetailResponse",
        &post("/kms/describe-key", op()).await,
    );
    check(
        "ListKeysResponse",
        &post("/kms/list-keys", Some(json!({"limit": "1"}))).await,
    );
    check(
        "UpdateKeyAliasResponse",
        &post(
            "/kms/update-key-alias",
            Some(json!({"key_id": key, "key_alias": "models-renamed"})),
        )
        .await,
    );
    check(
        "UpdateKeyDescriptionResponse",
        &post(
            "/kms/update-key-description",
            Some(json!({"key_id": key, "key_description": "d"})),
        )
        .await,
    );
    let r = post(
        "/kms/encrypt-data",
        Some(json!({"key_id": key, "plain_text": "models"})),
    )
    .await;
    check("EncryptDataResponse", &r);
    let ct = r.body["cipher_text"].as_str().unwrap().to_owned();
    check(
        "DecryptDataResponse",
        &post("/kms/decrypt-data", Some(json!({ "cipher_text": ct }))).await,
    );
    check(
        "ReEncryptResponse",
        &post(
            "/kms/re-encrypt",
            Some(json!({"cipher_text": ct, "destination_key_id": other})),
        )
        .await,
    );
    assert_empty_json_200(&post("/kms/enable-key-rotation", op()).await);
    check(
        "RotateOnDemandResponse",
        &post("/kms/rotate-on-demand", op()).await,
    );
    check(
        "ShowKeyRotationStatusResponse",
        &post("/kms/get-key-rotation-status", op()).await,
    );
    let r = h
        .kms(
            "POST",
            &format!("/kms/{key}/tags/action"),
            Some(json!({"action": "create", "tags": [{"key": "env", "value": "prod"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    check(
        "ShowKmsTagsResponse",
        &h.kms("GET", &format!("/kms/{key}/tags"), None).await,
    );
    check(
        "ListKmsTagsResponse",
        &h.kms("GET", "/kms/tags", None).await,
    );
    check(
        "ListKmsByTagsResponse",
        &post(
            "/kms/resource_instances/action",
            Some(json!({"action": "filter", "tags": [{"key": "env", "values": ["prod"]}]})),
        )
        .await,
    );
    check(
        "CreateRandomResponse",
        &post("/kms/gen-random", Some(json!({"random_data_length": "64"}))).await,
    );
    let r = post("/kms/create-datakey", Some(json!({ "key_id": key }))).await;
    check("CreateDatakeyResponse", &r);
    let dek = r.body["plain_text"].as_str().unwrap().to_owned();
    // encrypt-datakey takes the DEK followed by its SHA-256, in hex.
    let dek_bytes = base16ct::mixed::decode_vec(&dek).unwrap();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&dek_bytes);
    let dek = format!("{dek}{}", base16ct::upper::encode_string(&digest));
    let r = post(
        "/kms/create-datakey-without-plaintext",
        Some(json!({ "key_id": key })),
    )
    .await;
    check("CreateDatakeyWithoutPlaintextResponse", &r);
    let r = post(
        "/kms/encrypt-datakey",
        Some(json!({"key_id": key, "plain_text": dek, "datakey_plain_length": "32"})),
    )
    .await;
    check("EncryptDatakeyResponse", &r);
    let wrapped = r.body["cipher_text"].as_str().unwrap().to_owned();
    check(
        "DecryptDatakeyResponse",
        &post(
            "/kms/decrypt-datakey",
            Some(json!({"key_id": key, "cipher_text": wrapped, "datakey_cipher_length": "32"})),
        )
        .await,
    );
    let ec = h.key_with("models-ec", "EC_P256", "SIGN_VERIFY").await;
    let msg = base64ct::Base64::encode_string(&[3u8; 32]);
    let r = post(
        "/kms/sign",
        Some(json!({"key_id": ec, "message": msg, "signing_algorithm": "ECDSA_SHA_256"})),
    )
    .await;
    check("SignResponse", &r);
    let sig = r.body["signature"].as_str().unwrap().to_owned();
    check(
        "ValidateSignatureResponse",
        &post(
            "/kms/verify",
            Some(json!({"key_id": ec, "message": msg, "signature": sig,
                        "signing_algorithm": "ECDSA_SHA_256"})),
        )
        .await,
    );
    check(
        "ShowPublicKeyResponse",
        &post("/kms/get-publickey", Some(json!({ "key_id": ec }))).await,
    );
    check(
        "DeleteKeyResponse",
        &post(
            "/kms/schedule-key-deletion",
            Some(json!({"key_id": key, "pending_days": "7"})),
        )
        .await,
    );
    check(
        "CancelKeyDeletionResponse",
        &post("/kms/cancel-key-deletion", op()).await,
    );
}

#[test]
fn the_model_check_catches_a_missing_field_a_wrong_type_and_an_extra_field() {
    let model = json!({"a": "str", "n": "int", "l": [{"b": "bool"}]});
    assert!(conforms(&json!({"a": "x", "n": 1, "l": [{"b": true}]}), &model, "m").is_ok());
    assert!(conforms(&json!({"a": "x", "l": []}), &model, "m").is_err());
    assert!(conforms(&json!({"a": "x", "n": "1", "l": []}), &model, "m").is_err());
    assert!(conforms(&json!({"a": "x", "n": 1, "l": [{"b": "t"}]}), &model, "m").is_err());
    assert!(conforms(&json!({"a": "x", "n": 1, "l": [], "z": 0}), &model, "m").is_err());
}

// ---------------------------------------------------------------- MACs, ECDH, version documents (issue 24)

#[tokio::test]
async fn version_documents_outside_the_project_prefix() {
    let h = harness();
    // Signed like every SDK call, outside any project.
    let r = h.send(signed_request("GET", "/", "", 0, SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["versions"][0]["id"], "v1.0");
    assert_eq!(r.body["versions"][0]["status"], "CURRENT");
    assert_eq!(r.body["versions"][0]["links"][0]["href"], "/v1.0/");
    assert_eq!(r.body["versions"][0]["links"][0]["rel"], "self");
    assert_eq!(r.body["versions"][0]["min_version"], "");
    let r = h
        .send(signed_request("GET", "/", "", 0, "wrong-secret"))
        .await;
    assert_kms_error(&r, 401, "KMS.6401");
    // This harness runs the IAM (Keystone) front: an unsigned GET / is
    // Keystone's version discovery, unchanged.
    let r = h.call("GET", "/", None).await;
    assert_eq!(r.status, StatusCode::MULTIPLE_CHOICES, "{}", r.body);
    assert_eq!(r.body["versions"]["values"][0]["id"], "v3.0");
    let r = h.call("GET", "/v1.0", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"]["id"], "v1.0");
    assert_eq!(r.body["version"]["updated"], "2016-10-29T02:00:00Z");
    let r = h.send(signed_request("GET", "/v1.0", "", 0, SK)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Without credentials: 401 in the KMS shape.
    let anonymous = h
        .send(Request::get("/v1.0").body(Body::empty()).unwrap())
        .await;
    assert_kms_error(&anonymous, 401, "KMS.6401");
    // A segment that names no version is an unknown route, before any
    // authentication, exactly as before the route existed; so is any other
    // method on the version documents.
    let unknown = h
        .send(Request::get("/v9").body(Body::empty()).unwrap())
        .await;
    assert_kms_error(&unknown, 400, "KMS.0201");
    assert_kms_error(&h.call("GET", "/nothing", None).await, 400, "KMS.0201");
    assert_kms_error(
        &h.call("POST", "/v1.0", Some(json!({}))).await,
        400,
        "KMS.0201",
    );
    assert_kms_error(&h.call("DELETE", "/", None).await, 400, "KMS.0201");
    // The fixed routes beside it still answer.
    let health = h
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn mac_keys_and_key_agreement_over_http() {
    let h = harness();
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "mac", "key_spec": "HMAC_512"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mac_key = r.body["key_info"]["key_id"].as_str().unwrap().to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/generate-mac",
            Some(
                json!({"key_id": mac_key, "mac_algorithm": "HMAC_SHA_512", "message": "aGVsbG8="}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mac = r.body["mac"].as_str().unwrap().to_owned();
    assert_eq!(mac.len(), 128);
    assert!(
        mac.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let verify = |mac: String, message: &'static str| json!({"key_id": mac_key, "mac_algorithm": "HMAC_SHA_512", "message": message, "mac": mac});
    let r = h
        .kms(
            "POST",
            "/kms/verify-mac",
            Some(verify(mac.clone(), "aGVsbG8=")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["mac_valid"], json!(true), "a JSON boolean");
    let r = h
        .kms(
            "POST",
            "/kms/verify-mac",
            Some(verify(mac.clone(), "aGVsbG9v")),
        )
        .await;
    assert_eq!(r.body["mac_valid"], json!(false));
    // A body rule broken: mac not hex (KMS.0308); a mandatory field
    // missing (KMS.0204).
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/verify-mac",
            Some(verify("zz".into(), "aGVsbG8=")),
        )
        .await,
        400,
        "KMS.0308",
    );
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/generate-mac",
            Some(json!({"key_id": mac_key})),
        )
        .await,
        400,
        "KMS.0204",
    );
    // An HMAC key does not encrypt: KMS.0341.
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": mac_key, "plain_text": "abc"})),
        )
        .await,
        400,
        "KMS.0341",
    );
    // derive-shared-secret with a KEY_AGREEMENT EC key; a malformed peer key
    // is KMS.0308.
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(
                json!({"key_alias": "agree", "key_spec": "EC_P256", "key_usage": "KEY_AGREEMENT"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let agree = r.body["key_info"]["key_id"].as_str().unwrap().to_owned();
    let r = h
        .kms("POST", "/kms/get-publickey", Some(json!({"key_id": agree})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Its own public key as the peer's: a valid point on the curve.
    let pem = r.body["public_key"].as_str().unwrap();
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let r = h
        .kms(
            "POST",
            "/kms/derive-shared-secret",
            Some(json!({"key_id": agree, "key_agreement_algorithm": "ECDH", "public_key": der})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_agreement_algorithm"], "ECDH");
    assert_eq!(
        r.body["shared_secret"].as_str().unwrap().len(),
        44,
        "32 bytes, base64"
    );
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/derive-shared-secret",
            Some(json!({"key_id": agree, "key_agreement_algorithm": "ECDH", "public_key": "MAMCAQE="})),
        )
        .await,
        400,
        "KMS.0308",
    );
}

/// The alias API over HTTP at the SDK's routes: create (201), list with
/// `key_id`/`limit`/`marker` in the object the provider reads, associate,
/// delete (200 `{}`), an alias as `key_id` of encrypt-data, the codes.
#[tokio::test]
async fn aliases_over_http() {
    let h = harness();
    let key1 = h.create_key("alias-http-1").await;
    let key2 = h.create_key("alias-http-2").await;
    for n in ["alias/web", "alias/api", "alias/db"] {
        let r = h
            .kms(
                "POST",
                "/kms/aliases",
                Some(json!({"key_id": key1, "alias": n})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["alias"], n);
        assert_eq!(r.body["key_id"], key1);
        assert!(
            r.body["alias_urn"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":alias:{n}")),
            "{}",
            r.body
        );
    }
    let dup = h
        .kms(
            "POST",
            "/kms/aliases",
            Some(json!({"key_id": key2, "alias": "alias/web"})),
        )
        .await;
    assert_kms_error(&dup, 400, "KMS.1104");
    let bad = h
        .kms(
            "POST",
            "/kms/aliases",
            Some(json!({"key_id": key2, "alias": "web"})),
        )
        .await;
    assert_kms_error(&bad, 400, "KMS.0308");
    // Paging: limit 2 from the start, then from the marker.
    let p1 = h
        .kms("GET", &format!("/kms/aliases?key_id={key1}&limit=2"), None)
        .await;
    assert_eq!(p1.status, StatusCode::OK, "{}", p1.body);
    let names = |r: &Reply| -> Vec<String> {
        r.body["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["alias"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&p1), ["alias/api", "alias/db"]);
    assert_eq!(p1.body["page_info"]["next_marker"], "alias/db");
    assert_eq!(p1.body["page_info"]["current_count"], 2);
    let p2 = h
        .kms(
            "GET",
            &format!("/kms/aliases?key_id={key1}&limit=2&marker=alias%2Fdb"),
            None,
        )
        .await;
    assert_eq!(names(&p2), ["alias/web"]);
    assert_eq!(p2.body["page_info"]["next_marker"], "");
    assert_kms_error(
        &h.kms("GET", "/kms/aliases?limit=0", None).await,
        400,
        "KMS.1601",
    );
    // The alias as key_id.
    let enc = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": "alias/web", "plain_text": "hi"})),
        )
        .await;
    assert_eq!(enc.status, StatusCode::OK, "{}", enc.body);
    assert_eq!(enc.body["key_id"], key1);
    // Moved to key 2.
    let moved = h
        .kms(
            "POST",
            "/kms/alias/associate",
            Some(json!({"alias": "alias/web", "target_key_id": key2})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["key_id"], key2);
    let enc = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": "alias/web", "plain_text": "hi"})),
        )
        .await;
    assert_eq!(enc.body["key_id"], key2, "{}", enc.body);
    // Deleted (a body on DELETE, as the SDK and Terraform send it).
    let del = h
        .kms(
            "DELETE",
            "/kms/aliases",
            Some(json!({"key_id": key1, "aliases": ["alias/api", "alias/db"]})),
        )
        .await;
    assert_empty_json_200(&del);
    let all = h.kms("GET", "/kms/aliases", None).await;
    assert_eq!(names(&all), ["alias/web"]);
    let gone = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": "alias/api", "plain_text": "hi"})),
        )
        .await;
    assert_kms_error(&gone, 404, "KMS.0207");
}

/// create-rsa-datakey-pair and create-ec-datakey-pair over HTTP (SQLite
/// backend): the SDK's fields, `with_plain_text` as a boolean or its
/// string, the private key opened by decrypt-data with the same AAD and
/// matching the public key, the body rules.
#[tokio::test]
async fn datakey_pairs() {
    use kms_crypto::{SigningKey, SigningKeySpec};
    // The SDK's `CreateRsaDatakeyPairResponse` / `CreateEcDatakeyPairResponse`
    // (the same attributes); the server sends a subset (none of the
    // wrapped forms no request field asks for; no plaintext when refused).
    const MODEL: [&str; 7] = [
        "key_id",
        "key_spec",
        "public_key",
        "private_key_cipher_text",
        "private_key_plain_text",
        "wrapped_private_key",
        "ciphertext_recipient",
    ];
    let h = harness();
    let aes = h.create_key("pairs-aes").await;
    for (route, spec, with, want_plain) in [
        (
            "/kms/create-ec-datakey-pair",
            "ECC_NIST_P256",
            json!(true),
            true,
        ),
        (
            "/kms/create-ec-datakey-pair",
            "ECC_NIST_P256",
            json!("false"),
            false,
        ),
        (
            "/kms/create-rsa-datakey-pair",
            "RSA_2048",
            json!(false),
            false,
        ),
        (
            "/kms/create-rsa-datakey-pair",
            "RSA_2048",
            json!("true"),
            true,
        ),
    ] {
        let r = h
            .kms(
                "POST",
                route,
                Some(
                    json!({"key_id": aes, "key_spec": spec, "with_plain_text": with,
                            "additional_authenticated_data": "bound",
                            "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let fields = r.body.as_object().unwrap();
        for (k, v) in fields {
            assert!(MODEL.contains(&k.as_str()), "{k} is not in the SDK model");
            assert!(v.is_string(), "{k}: {v}");
        }
        assert_eq!(r.body["key_id"], aes.as_str());
        assert_eq!(r.body["key_spec"], spec);
        assert_eq!(fields.contains_key("private_key_plain_text"), want_plain);
        let public = base64ct::Base64::decode_vec(r.body["public_key"].as_str().unwrap()).unwrap();
        let ct = r.body["private_key_cipher_text"].as_str().unwrap();
        // decrypt-data without the AAD refuses; with it, opens the PKCS#8 DER.
        let d = h
            .kms(
                "POST",
                "/kms/decrypt-data",
                Some(json!({"cipher_text": ct})),
            )
            .await;
        assert_kms_error(&d, 400, "KMS.2201");
        let d = h
            .kms(
                "POST",
                "/kms/decrypt-data",
                Some(json!({"cipher_text": ct, "additional_authenticated_data": "bound"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let b64 = d.body["plain_text_base64"].as_str().unwrap();
        if want_plain {
            assert_eq!(r.body["private_key_plain_text"].as_str().unwrap(), b64);
        }
        let der = base64ct::Base64::decode_vec(b64).unwrap();
        let cmk_spec = if spec == "RSA_2048" {
            SigningKeySpec::Rsa2048
        } else {
            SigningKeySpec::EcP256
        };
        let key = SigningKey::from_pkcs8_der(cmk_spec, &der).unwrap();
        assert_eq!(key.public_key().to_der().unwrap(), public, "{spec}");
    }
    let ec_key = {
        let r = h
            .kms(
                "POST",
                "/kms/create-key",
                Some(json!({"key_alias": "pairs-ec", "key_spec": "EC_P256"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["key_info"]["key_id"].as_str().unwrap().to_owned()
    };
    for (route, body, status, code) in [
        (
            "/kms/create-ec-datakey-pair",
            json!({"key_id": aes}),
            400,
            "KMS.0204",
        ),
        (
            "/kms/create-ec-datakey-pair",
            json!({"key_id": aes, "key_spec": "RSA_2048"}),
            400,
            "KMS.0308",
        ),
        (
            "/kms/create-rsa-datakey-pair",
            json!({"key_id": aes, "key_spec": "RSA_1024"}),
            400,
            "KMS.0308",
        ),
        (
            "/kms/create-rsa-datakey-pair",
            json!({"key_id": aes, "key_spec": "RSA_2048", "with_plain_text": "no"}),
            400,
            "KMS.0308",
        ),
        (
            "/kms/create-rsa-datakey-pair",
            json!({"key_id": "bad", "key_spec": "RSA_2048"}),
            400,
            "KMS.0205",
        ),
        (
            "/kms/create-ec-datakey-pair",
            json!({"key_id": "00000000-0000-4000-8000-000000000000", "key_spec": "SM2"}),
            404,
            "KMS.0207",
        ),
        (
            "/kms/create-ec-datakey-pair",
            json!({"key_id": ec_key, "key_spec": "SM2"}),
            400,
            "KMS.0325",
        ),
    ] {
        let r = h.kms("POST", route, Some(body.clone())).await;
        assert_kms_error(&r, status, code);
    }
}

// ---------------------------------------------------------------- quotas, instances, regions (issue 24)

#[tokio::test]
async fn quotas_instances_and_regions_over_http() {
    let h = harness();
    let r = h.kms("GET", "/kms/user-quotas", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"quotas": {"resources": [
            {"type": "CMK", "used": 0, "quota": 10000},
            {"type": "grant_per_CMK", "used": 0, "quota": 100}
        ]}})
    );
    h.create_key("q1").await;
    h.create_key("q2").await;
    let r = h.kms("GET", "/kms/user-quotas", None).await;
    assert_eq!(r.body["quotas"]["resources"][0]["used"], 2, "{}", r.body);
    let r = h.kms("GET", "/kms/user-instances", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"instance_num": 2}));
    // list-support-regions sits under /v2/{project_id}/kms.
    let r = h
        .call("GET", &format!("/v2/{PROJECT}/kms/regions"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"regions": ["local-1"]}));
    // Anything else under /v2/{project_id}/kms answers in the KMS shape
    // (not APIG's, whose routes are /v2/{project_id}/apigw).
    assert_kms_error(
        &h.call("GET", &format!("/v2/{PROJECT}/kms/nothing"), None)
            .await,
        400,
        "KMS.0201",
    );
    assert_kms_error(
        &h.call(
            "POST",
            &format!("/v2/{PROJECT}/kms/regions"),
            Some(json!({})),
        )
        .await,
        405,
        "KMS.0215",
    );
    assert_kms_error(
        &h.kms("POST", "/kms/user-quotas", Some(json!({}))).await,
        405,
        "KMS.0215",
    );
    // Another project's path is refused as everywhere.
    let r = h
        .call(
            "GET",
            "/v2/99999999999999999999999999999999/kms/regions",
            None,
        )
        .await;
    assert_kms_error(&r, 403, "KMS.0321");
}

/// Key material import over HTTP (issue 24 item 3): the SDK's response
/// shape of get-parameters-for-import (`expiration_time` a JSON integer,
/// base64 token and public key), import-key-material with golangsdk's
/// string `expiration_time` answering `{}`, describe-key's
/// `expiration_time` in milliseconds, delete-imported-key-material, and
/// the body rules.
#[tokio::test]
async fn key_material_import_over_http() {
    use rsa::pkcs8::DecodePublicKey as _;
    let h = harness();
    let r = h
        .kms(
            "POST",
            "/kms/create-key",
            Some(json!({"key_alias": "byok", "origin": "external"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = r.body["key_info"]["key_id"].as_str().unwrap().to_owned();
    let r = h
        .kms(
            "POST",
            "/kms/get-parameters-for-import",
            Some(json!({"key_id": key, "wrapping_algorithm": "RSAES_OAEP_SHA_256"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["key_id"], json!(key));
    assert!(r.body["expiration_time"].is_i64(), "{}", r.body);
    let expires = r.body["expiration_time"].as_i64().unwrap();
    assert!((expires - now_unix() - 86_400).abs() < 300, "{expires}");
    let token = r.body["import_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 200);
    let public = base64ct::Base64::decode_vec(r.body["public_key"].as_str().unwrap()).unwrap();
    let pk = rsa::PublicKey::from_public_key_der(&public).unwrap();
    let wrapped = pk
        .oaep_encrypt_with_rng::<sha2::Sha256, _>(
            &mut kms_core::ports::EntropyRng(&kms_core::os::OsEntropy),
            &[0x11; 32],
        )
        .unwrap();
    let wrapped = base64ct::Base64::encode_string(&wrapped);
    // Body rules: the token missing (KMS.0204), an unknown wrapping
    // algorithm (KMS.0308), expiration_time not a number (KMS.0308).
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/import-key-material",
            Some(json!({"key_id": key, "encrypted_key_material": wrapped})),
        )
        .await,
        400,
        "KMS.0204",
    );
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/get-parameters-for-import",
            Some(json!({"key_id": key, "wrapping_algorithm": "RSAES_PKCS1_V1_5"})),
        )
        .await,
        400,
        "KMS.0308",
    );
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/import-key-material",
            Some(json!({"key_id": key, "import_token": token,
                        "encrypted_key_material": wrapped, "expiration_time": "soon"})),
        )
        .await,
        400,
        "KMS.0308",
    );
    let expiry = now_unix() + 86_400 * 30;
    let r = h
        .kms(
            "POST",
            "/kms/import-key-material",
            Some(json!({"key_id": key, "import_token": token,
                        "encrypted_key_material": wrapped,
                        "expiration_time": expiry.to_string()})),
        )
        .await;
    assert_empty_json_200(&r);
    let d = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(d.body["key_info"]["key_state"], json!("2"), "{}", d.body);
    assert_eq!(
        d.body["key_info"]["expiration_time"],
        json!(format!("{expiry}000"))
    );
    let r = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "byok"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = h
        .kms(
            "POST",
            "/kms/delete-imported-key-material",
            Some(json!({"key_id": key})),
        )
        .await;
    assert_empty_json_200(&r);
    assert_kms_error(
        &h.kms(
            "POST",
            "/kms/delete-imported-key-material",
            Some(json!({"key_id": key})),
        )
        .await,
        400,
        "KMS.2701",
    );
    let d = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(d.body["key_info"]["key_state"], json!("5"));
    assert_eq!(d.body["key_info"]["expiration_time"], json!(""));
}

// ---------------------------------------------------------------- multi-region keys (issue 24)

const SOUTH_TOKEN: &str = "south-token-0123456789abcdef";
const SOUTH_PROJECT: &str = "55555555555555555555555555555555";

/// A server with two regions: the home one (`local-1`, `PROJECT`) and
/// `cn-south-1` (`SOUTH_PROJECT`, the same domain, reached with
/// `SOUTH_TOKEN`).
fn two_region_harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[tokens]]
token = "{SOUTH_TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{SOUTH_PROJECT}"
[[regions]]
id = "cn-south-1"
projects = ["{SOUTH_PROJECT}"]
"#
    );
    let app = prepare_config(dir.path(), &config, true, None).unwrap().app;
    Harness { _dir: dir, app }
}

async fn south(h: &Harness, method: &str, route: &str, body: Option<Value>) -> Reply {
    let mut b = Request::builder()
        .method(method)
        .uri(format!("/v1.0/{SOUTH_PROJECT}{route}"))
        .header("X-Auth-Token", SOUTH_TOKEN)
        .header("Content-Type", "application/json");
    if body.is_none() {
        b = b.header("Content-Length", "0");
    }
    let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
    h.send(b.body(body).unwrap()).await
}

#[tokio::test]
async fn multi_region_keys_over_http() {
    let h = two_region_harness();
    let r = h
        .call("GET", &format!("/v2/{PROJECT}/kms/regions"), None)
        .await;
    assert_eq!(r.body, json!({"regions": ["local-1", "cn-south-1"]}));
    // Terraform's data source pages by 50 until a page is empty.
    for (offset, want) in [(0, json!(["local-1", "cn-south-1"])), (2, json!([]))] {
        let r = h
            .call(
                "GET",
                &format!("/v2/{PROJECT}/kms/regions?limit=50&offset={offset}"),
                None,
            )
            .await;
        assert_eq!(r.body["regions"], want, "{}", r.body);
    }
    let key = h.create_key("mrk").await;
    let ct = h
        .kms(
            "POST",
            "/kms/encrypt-data",
            Some(json!({"key_id": key, "plain_text": "over there"})),
        )
        .await
        .body["cipher_text"]
        .as_str()
        .unwrap()
        .to_owned();
    // Terraform's body (no key_id; the path names the key).
    let r = h
        .call(
            "POST",
            &format!("/v2/{PROJECT}/kms/keys/{key}/replicate"),
            Some(json!({
                "replica_region": "cn-south-1",
                "key_alias": "mrk-south",
                "replica_project_id": SOUTH_PROJECT,
                "tags": [{"key": "env", "value": "dr"}]
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["domain_id"], DOMAIN);
    assert_eq!(r.body["region"], "cn-south-1");
    let replica = r.body["key_id"].as_str().unwrap().to_owned();
    assert_ne!(replica, key);
    // The replica, in its own project, opens the primary's ciphertext.
    let r = south(
        &h,
        "POST",
        "/kms/decrypt-data",
        Some(json!({"cipher_text": ct})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["plain_text"], "over there");
    assert_eq!(r.body["key_id"], replica);
    let r = south(
        &h,
        "POST",
        "/kms/describe-key",
        Some(json!({"key_id": replica})),
    )
    .await;
    assert_eq!(r.body["key_info"]["multi_region_key_type"], "REPLICA");
    assert_eq!(r.body["key_info"]["realm"], "cn-south-1");
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": key})))
        .await;
    assert_eq!(r.body["key_info"]["multi_region_key_type"], "PRIMARY");
    // A key in no group reports no type.
    let plain = h.create_key("plain").await;
    let r = h
        .kms("POST", "/kms/describe-key", Some(json!({"key_id": plain})))
        .await;
    assert!(r.body["key_info"].get("multi_region_key_type").is_none());
    // update-primary-region: PUT, Terraform's body.
    let r = h
        .call(
            "PUT",
            &format!("/v2/{PROJECT}/kms/keys/{key}/update-primary-region"),
            Some(json!({"primary_region": "cn-south-1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"key_id": key, "primary_region": "cn-south-1"})
    );
    // Errors in the KMS shape: a bad path key id, a body key id that is
    // not the path's, an unknown region, the wrong method.
    assert_kms_error(
        &h.call(
            "POST",
            &format!("/v2/{PROJECT}/kms/keys/nope/replicate"),
            Some(json!({"replica_region": "cn-south-1", "key_alias": "x", "replica_project_id": SOUTH_PROJECT})),
        )
        .await,
        400,
        "KMS.0205",
    );
    assert_kms_error(
        &h.call(
            "PUT",
            &format!("/v2/{PROJECT}/kms/keys/{plain}/update-primary-region"),
            Some(json!({"key_id": key, "primary_region": "cn-south-1"})),
        )
        .await,
        400,
        "KMS.0205",
    );
    assert_kms_error(
        &h.call(
            "POST",
            &format!("/v2/{PROJECT}/kms/keys/{plain}/replicate"),
            Some(json!({"replica_region": "eu-west-0", "key_alias": "x", "replica_project_id": SOUTH_PROJECT})),
        )
        .await,
        400,
        "KMS.0308",
    );
    assert_kms_error(
        &h.call(
            "GET",
            &format!("/v2/{PROJECT}/kms/keys/{plain}/replicate"),
            None,
        )
        .await,
        405,
        "KMS.0215",
    );
}
