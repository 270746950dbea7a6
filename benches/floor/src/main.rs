//! `kms-floor ADDR`: the floor kms-server's speed is measured against. The
//! same route, the same JSON body parsed into the same type, a fixed
//! response of the same size as a 256-bit create-datakey-without-plaintext
//! answer (336 hex characters of `cipher_text`), on the same runtime and
//! HTTP stack, and nothing else: no authentication, no storage, no
//! cryptography, no logs.
#![forbid(unsafe_code)]

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn handler(body: Bytes) -> impl IntoResponse {
    match serde_json::from_slice::<kms_model::CreateDatakeyRequestBody>(&body) {
        Ok(req) => {
            let reply = format!(
                r#"{{"key_id":"{}","cipher_text":"{}"}}"#,
                req.key_id,
                "A".repeat(336)
            );
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                reply,
            )
                .into_response()
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let app = Router::new().route(
        "/v1.0/{project_id}/kms/create-datakey-without-plaintext",
        post(handler),
    );
    kms_floor::serve("kms-floor", "127.0.0.1:8090", app).await
}
