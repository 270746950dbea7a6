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
    Caller, InsertKeyError, KeyMaterial, KeyRecord, KeyState, MasterKeyStore, PortError,
    PortResult, Timestamp,
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
    fn insert_key(&self, _: &KeyRecord, _: &KeyMaterial) -> Result<(), InsertKeyError> {
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
    fn list_keys(
        &self,
        _: &str,
        _: &kms_core::ports::KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)> {
        Ok((0, Vec::new()))
    }
    fn update_key_alias(
        &self,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<(), kms_core::ports::UpdateKeyAliasError> {
        Err(kms_core::ports::UpdateKeyAliasError::NotFound)
    }
    fn update_key_description(&self, _: &str, _: &str, _: &str) -> PortResult<bool> {
        Ok(false)
    }
    fn purge_deleted_keys(&self, _: Timestamp) -> PortResult<u64> {
        Ok(0)
    }
    fn set_key_rotation(
        &self,
        _: &str,
        _: &str,
        _: Option<bool>,
        _: Option<u32>,
    ) -> PortResult<bool> {
        Ok(false)
    }
    fn rotate_key(
        &self,
        _: &str,
        _: &str,
        _: &WrappedMasterKey,
        _: u32,
        _: Timestamp,
    ) -> Result<(), kms_core::ports::RotateKeyError> {
        Err(kms_core::ports::RotateKeyError::NotFound)
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

/// A certificate store on a disk that takes 1.5 s per write.
#[derive(Debug)]
struct SlowCertificates(Arc<dyn kms_core::ports::CertificateStore>);

impl kms_core::ports::CertificateStore for SlowCertificates {
    fn insert_certificate(
        &self,
        cert: &kms_core::ports::StoredCertificate,
    ) -> Result<(), kms_core::ports::CertificateWriteError> {
        std::thread::sleep(Duration::from_millis(1500));
        self.0.insert_certificate(cert)
    }
    fn get_certificate(
        &self,
        project_id: &str,
        id: &str,
    ) -> PortResult<Option<kms_core::ports::StoredCertificate>> {
        self.0.get_certificate(project_id, id)
    }
    fn list_certificates(
        &self,
        project_id: &str,
        filter: &kms_core::ports::CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<kms_core::ports::StoredCertificate>)> {
        self.0.list_certificates(project_id, filter, offset, limit)
    }
    fn update_certificate(
        &self,
        cert: &kms_core::ports::StoredCertificate,
    ) -> Result<(), kms_core::ports::CertificateWriteError> {
        self.0.update_certificate(cert)
    }
    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool> {
        self.0.delete_certificate(project_id, id)
    }
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

#[tokio::test]
async fn blocking_work_is_bounded_and_waits_for_it_count_against_the_timeout() {
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
    ports.certificates = Arc::new(SlowCertificates(Arc::clone(&ports.certificates)));
    let auth = Authenticator::new(
        vec![],
        vec![Token {
            token: String::from(TOKEN).into(),
            caller: Caller::new("dom", PROJECT),
        }],
    );
    let app = router(
        AppState::new(
            Arc::new(Kms::new(ports, CoreConfig::default())),
            auth,
            kms_model::MAX_BODY_BYTES,
            Duration::from_millis(300),
        )
        .with_blocking_limit(1),
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["a.example.com".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2031, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let form = serde_json::json!({
        "name": "cert_one",
        "cert_content": cert.pem(),
        "private_key": key.serialize_pem(),
    })
    .to_string();

    // The slow write outlives its request: the caller gets the timeout.
    let r = app
        .clone()
        .oneshot(json_request(
            format!("/v2/{PROJECT}/apigw/certificates"),
            form,
        ))
        .await
        .unwrap();
    assert_eq!(code_of(r).await, (504, "APIG.7504".to_owned()));
    // Its work still holds the only permit: a cheap write queues behind it
    // and times out too, instead of adding CPU work past every deadline.
    let create_key = || {
        json_request(
            format!("/v1.0/{PROJECT}/kms/create-key"),
            r#"{"key_alias":"k1"}"#.to_owned(),
        )
    };
    let r = app.clone().oneshot(create_key()).await.unwrap();
    assert_eq!(code_of(r).await, (504, "KMS.6505".to_owned()));
    // Once the slow write is done, the permit is back.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let r = app.clone().oneshot(create_key()).await.unwrap();
    assert_eq!(code_of(r).await.0, 200);
}
