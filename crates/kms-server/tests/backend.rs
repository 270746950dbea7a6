#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! A failure behind the API (here: the key store losing its disk) is a
//! bare 500 on the wire and one error line in the log that carries the
//! request id and the whole cause chain.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::Request;
use kms_core::ports::{
    Caller, InsertKeyError, KeyRecord, KeyState, MasterKeyStore, PortError, PortResult, Timestamp,
};
use kms_core::{CoreConfig, Kms};
use kms_crypto::WrappedMasterKey;
use kms_server::{AppState, Authenticator, Token, router};
use tower::ServiceExt;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-token-0123456789abcdef";

/// A key store whose reads fail as a lost disk would.
#[derive(Debug)]
struct LostDisk;

impl MasterKeyStore for LostDisk {
    fn insert_key(&self, _: &KeyRecord, _: &WrappedMasterKey) -> Result<(), InsertKeyError> {
        Ok(())
    }
    fn get_key(&self, _: &str, _: &str) -> PortResult<Option<Arc<KeyRecord>>> {
        Err(PortError::unavailable(
            "get key",
            std::io::Error::other("disk I/O error at /secret/path/kms.db"),
        ))
    }
    fn get_key_material(&self, _: &str, _: u32) -> PortResult<Option<Vec<u8>>> {
        Ok(None)
    }
    fn set_key_state(
        &self,
        _: &str,
        _: &str,
        _: KeyState,
        _: Option<Timestamp>,
    ) -> PortResult<bool> {
        Ok(false)
    }
    fn count_keys_in_keystore(&self, _: &str) -> PortResult<u64> {
        Ok(0)
    }
}

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
    ports.keys = Arc::new(LostDisk);
    let auth = Authenticator::new(
        vec![],
        vec![Token {
            token: TOKEN.into(),
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
