#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Grants over HTTP, in process, on both backends (memory and SQLite):
//! the five routes at the SDK's paths, a grantee of another domain using
//! the key through its own project's URL for exactly the granted
//! operations, the key absent from the grantee's list-keys, 404 KMS.0207
//! for a non-grantee, revocation refusing the grantee at once, and the
//! published grant codes with their statuses.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The key's owner: user `ownera` of domain A.
const OWNER: (&str, &str) = (
    "owner-token-0123456789abcdef",
    "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0",
);
/// The grantee: user `userb` of domain B.
const GRANTEE: (&str, &str) = (
    "grantee-token-0123456789abcd",
    "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0",
);
/// A user of domain C, named by no grant.
const STRANGER: (&str, &str) = (
    "stranger-token-0123456789abc",
    "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
);

struct Harness {
    _dir: tempfile::TempDir,
    app: Router,
}

/// Three tokens, each its own domain, project and user.
fn harness(in_memory: bool) -> Harness {
    harness_with(in_memory, "")
}

/// [`harness`] with `extra` appended to the configuration.
fn harness_with(in_memory: bool, extra: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::new();
    for ((token, project), (domain, user)) in [OWNER, GRANTEE, STRANGER].into_iter().zip([
        ("doma", "ownera"),
        ("domb", "userb"),
        ("domc", "userc"),
    ]) {
        config.push_str(&format!(
            "[[tokens]]\ntoken = \"{token}\"\ndomain_id = \"{domain}\"\n\
             project_id = \"{project}\"\nuser_id = \"{user}\"\n"
        ));
    }
    config.push_str(extra);
    let app = super::http::prepare_config(dir.path(), &config, in_memory, None)
        .unwrap()
        .app;
    Harness { _dir: dir, app }
}

impl Harness {
    /// `POST /v1.0/{who's project}{route}` as `who`.
    async fn kms(&self, who: (&str, &str), route: &str, body: &Value) -> (StatusCode, Value) {
        let (token, project) = who;
        let req = Request::builder()
            .method("POST")
            .uri(format!("/v1.0/{project}{route}"))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body)
    }

    async fn ok(&self, who: (&str, &str), route: &str, body: &Value) -> Value {
        let (st, v) = self.kms(who, route, body).await;
        assert_eq!(st, StatusCode::OK, "{route}: {v}");
        v
    }

    async fn refused(&self, who: (&str, &str), route: &str, body: &Value) -> (u16, String) {
        let (st, v) = self.kms(who, route, body).await;
        assert!(
            v["error"]["error_msg"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{route}: {v}"
        );
        (
            st.as_u16(),
            v["error"]["error_code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned(),
        )
    }
}

fn not_found() -> (u16, String) {
    (404, "KMS.0207".to_owned())
}

async fn grant_lifecycle(in_memory: bool) {
    let h = harness(in_memory);
    let key = h
        .ok(OWNER, "/kms/create-key", &json!({"key_alias": "shared"}))
        .await["key_info"]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The body Terraform's huaweicloud_kms_grant sends.
    let made = h
        .ok(
            OWNER,
            "/kms/create-grant",
            &json!({
                "key_id": key,
                "grantee_principal": "userb",
                "grantee_principal_type": "user",
                "operations": ["encrypt-data", "decrypt-data", "describe-key"],
                "name": "tf-grant",
                "retiring_principal": "userb",
            }),
        )
        .await;
    let grant_id = made["grant_id"].as_str().unwrap().to_owned();
    assert_eq!(grant_id.len(), 64);
    assert!(grant_id.bytes().all(|b| b.is_ascii_hexdigit()));

    // The grantee, through its own project's URL: the granted operations.
    let described = h
        .ok(GRANTEE, "/kms/describe-key", &json!({"key_id": key}))
        .await;
    assert_eq!(described["key_info"]["key_id"], json!(key));
    let sealed = h
        .ok(
            GRANTEE,
            "/kms/encrypt-data",
            &json!({"key_id": key, "plain_text": "from b"}),
        )
        .await;
    let opened = h
        .ok(
            OWNER,
            "/kms/decrypt-data",
            &json!({"cipher_text": sealed["cipher_text"]}),
        )
        .await;
    assert_eq!(opened["plain_text"], json!("from b"));
    let by_owner = h
        .ok(
            OWNER,
            "/kms/encrypt-data",
            &json!({"key_id": key, "plain_text": "from a"}),
        )
        .await;
    let opened = h
        .ok(
            GRANTEE,
            "/kms/decrypt-data",
            &json!({"cipher_text": by_owner["cipher_text"]}),
        )
        .await;
    assert_eq!(opened["plain_text"], json!("from a"));
    // ... and nothing else: the key does not exist for it.
    for (route, body) in [
        (
            "/kms/create-datakey",
            json!({"key_id": key, "datakey_length": "256"}),
        ),
        ("/kms/disable-key", json!({"key_id": key})),
        ("/kms/list-grants", json!({"key_id": key})),
        (
            "/kms/create-grant",
            json!({"key_id": key, "grantee_principal": "userc", "operations": ["describe-key"]}),
        ),
        (
            "/kms/revoke-grant",
            json!({"key_id": key, "grant_id": grant_id}),
        ),
    ] {
        assert_eq!(
            h.refused(GRANTEE, route, &body).await,
            not_found(),
            "{route}"
        );
    }
    // Never in the grantee's own listing; in the owner's.
    let listed = h.ok(GRANTEE, "/kms/list-keys", &json!({})).await;
    assert_eq!(listed["keys"], json!([]), "{listed}");
    let listed = h.ok(OWNER, "/kms/list-keys", &json!({})).await;
    assert_eq!(listed["keys"], json!([key]), "{listed}");
    // A non-grantee of another domain: 404, for use and for its data.
    assert_eq!(
        h.refused(STRANGER, "/kms/describe-key", &json!({"key_id": key}))
            .await,
        not_found()
    );
    assert_eq!(
        h.refused(
            STRANGER,
            "/kms/decrypt-data",
            &json!({"cipher_text": by_owner["cipher_text"]})
        )
        .await,
        not_found()
    );

    // list-grants: Terraform sends limit as an integer.
    let listed = h
        .ok(
            OWNER,
            "/kms/list-grants",
            &json!({"key_id": key, "limit": 100}),
        )
        .await;
    assert_eq!(listed["total"], json!(1), "{listed}");
    assert_eq!(listed["truncated"], json!("false"));
    assert_eq!(listed["next_marker"], json!(""));
    let g = &listed["grants"][0];
    assert_eq!(g["grant_id"], json!(grant_id));
    assert_eq!(g["key_id"], json!(key));
    assert_eq!(g["grantee_principal"], json!("userb"));
    assert_eq!(g["grantee_principal_type"], json!("user"));
    assert_eq!(g["issuing_principal"], json!("ownera"));
    assert_eq!(g["name"], json!("tf-grant"));
    assert_eq!(g["retiring_principal"], json!("userb"));
    // In the API reference's order, whatever order they were sent in.
    assert_eq!(
        g["operations"],
        json!(["describe-key", "encrypt-data", "decrypt-data"])
    );
    // The grantee, its retiring principal, lists it as retirable (an
    // empty body is accepted); the owner has none to retire.
    let retirable = h
        .ok(GRANTEE, "/kms/list-retirable-grants", &json!({}))
        .await;
    assert_eq!(retirable["total"], json!(1), "{retirable}");
    assert_eq!(retirable["grants"][0]["grant_id"], json!(grant_id));
    let retirable = h.ok(OWNER, "/kms/list-retirable-grants", &json!({})).await;
    assert_eq!(retirable["total"], json!(0), "{retirable}");

    // Revoked by the owner: `{}`, and the grantee is refused at once.
    let revoked = h
        .ok(
            OWNER,
            "/kms/revoke-grant",
            &json!({"key_id": key, "grant_id": grant_id}),
        )
        .await;
    assert_eq!(revoked, json!({}));
    assert_eq!(
        h.refused(GRANTEE, "/kms/describe-key", &json!({"key_id": key}))
            .await,
        not_found()
    );
    assert_eq!(
        h.refused(
            GRANTEE,
            "/kms/encrypt-data",
            &json!({"key_id": key, "plain_text": "x"})
        )
        .await,
        not_found()
    );
    let listed = h
        .ok(OWNER, "/kms/list-grants", &json!({"key_id": key}))
        .await;
    assert_eq!(listed["total"], json!(0), "{listed}");
    // Gone: the id no longer matches the key.
    assert_eq!(
        h.refused(
            OWNER,
            "/kms/revoke-grant",
            &json!({"key_id": key, "grant_id": grant_id})
        )
        .await,
        (400, "KMS.2502".to_owned())
    );

    // Retire, by the grantee.
    let again = h
        .ok(
            OWNER,
            "/kms/create-grant",
            &json!({"key_id": key, "grantee_principal": "userb", "operations": ["describe-key"]}),
        )
        .await["grant_id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.ok(GRANTEE, "/kms/describe-key", &json!({"key_id": key}))
        .await;
    let retired = h
        .ok(
            GRANTEE,
            "/kms/retire-grant",
            &json!({"key_id": key, "grant_id": again}),
        )
        .await;
    assert_eq!(retired, json!({}));
    assert_eq!(
        h.refused(GRANTEE, "/kms/describe-key", &json!({"key_id": key}))
            .await,
        not_found()
    );
}

#[tokio::test]
async fn a_grant_lets_another_domain_use_the_key_until_revoked_on_sqlite() {
    grant_lifecycle(false).await;
}

#[tokio::test]
async fn a_grant_lets_another_domain_use_the_key_until_revoked_in_memory() {
    grant_lifecycle(true).await;
}

#[tokio::test]
async fn grant_requests_are_refused_with_their_published_codes() {
    let h = harness(false);
    let key = h
        .ok(OWNER, "/kms/create-key", &json!({"key_alias": "rules"}))
        .await["key_info"]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let create = |grantee: &str, ops: Value| json!({"key_id": key, "grantee_principal": grantee, "operations": ops});
    let cases: Vec<(&str, Value, (u16, &str))> = vec![
        (
            "/kms/create-grant",
            create("userb", json!(["create-grant"])),
            (400, "KMS.2401"),
        ),
        (
            "/kms/create-grant",
            create("user-b!", json!(["encrypt-data"])),
            (400, "KMS.2402"),
        ),
        (
            "/kms/create-grant",
            create("userb", json!(["sign"])),
            (400, "KMS.0308"),
        ),
        (
            "/kms/create-grant",
            json!({"key_id": "00000000-0000-4000-8000-000000000000",
                   "grantee_principal": "userb", "operations": ["describe-key"]}),
            (404, "KMS.0207"),
        ),
        (
            "/kms/revoke-grant",
            json!({"key_id": key, "grant_id": "abc"}),
            (400, "KMS.2501"),
        ),
        (
            "/kms/revoke-grant",
            json!({"key_id": key, "grant_id": "ab".repeat(32)}),
            (400, "KMS.2502"),
        ),
        (
            "/kms/retire-grant",
            json!({"key_id": key, "grant_id": "zz".repeat(32)}),
            (400, "KMS.2501"),
        ),
        (
            "/kms/list-grants",
            json!({"key_id": key, "limit": "0"}),
            (400, "KMS.1601"),
        ),
        (
            "/kms/list-grants",
            json!({"key_id": key, "marker": "-1"}),
            (400, "KMS.1602"),
        ),
    ];
    for (route, body, (status, code)) in cases {
        assert_eq!(
            h.refused(OWNER, route, &body).await,
            (status, code.to_owned()),
            "{route} {body}"
        );
    }
    // Not JSON, or a required field missing: the body is refused, not
    // half-read.
    let (st, v) = h
        .kms(OWNER, "/kms/create-grant", &json!({"key_id": key}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    // Paging: 3 grants, pages of 2.
    for n in 0..3 {
        h.ok(
            OWNER,
            "/kms/create-grant",
            &json!({"key_id": key, "grantee_principal": "userb",
                    "operations": ["describe-key"], "name": format!("g{n}")}),
        )
        .await;
    }
    let first = h
        .ok(
            OWNER,
            "/kms/list-grants",
            &json!({"key_id": key, "limit": "2"}),
        )
        .await;
    assert_eq!(
        (
            &first["total"],
            &first["truncated"],
            first["grants"].as_array().unwrap().len()
        ),
        (&json!(3), &json!("true"), 2),
        "{first}"
    );
    let rest = h
        .ok(
            OWNER,
            "/kms/list-grants",
            &json!({"key_id": key, "limit": "2", "marker": first["next_marker"]}),
        )
        .await;
    assert_eq!(
        (
            &rest["total"],
            &rest["truncated"],
            rest["grants"].as_array().unwrap().len()
        ),
        (&json!(3), &json!("false"), 1),
        "{rest}"
    );
    assert_eq!(rest["grants"][0]["name"], json!("g2"));
}

#[tokio::test]
async fn the_per_key_grant_limit_comes_from_the_configuration() {
    let h = harness_with(false, "[limits]\ngrants_per_key = 2\n");
    let key = h
        .ok(OWNER, "/kms/create-key", &json!({"key_alias": "limited"}))
        .await["key_info"]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"key_id": key, "grantee_principal": "userb", "operations": ["describe-key"]});
    for _ in 0..2 {
        h.ok(OWNER, "/kms/create-grant", &body).await;
    }
    assert_eq!(
        h.refused(OWNER, "/kms/create-grant", &body).await,
        (400, "KMS.2404".to_owned())
    );
    // Revoking one frees its place.
    let listed = h
        .ok(OWNER, "/kms/list-grants", &json!({"key_id": key}))
        .await;
    let first = listed["grants"][0]["grant_id"].clone();
    h.ok(
        OWNER,
        "/kms/revoke-grant",
        &json!({"key_id": key, "grant_id": first}),
    )
    .await;
    h.ok(OWNER, "/kms/create-grant", &body).await;
}
