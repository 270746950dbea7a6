//! `kms-floor-primitive ADDR`: the floor of kms-server's `sign` and
//! `verify`: the same JSON bodies parsed, the primitive itself (kms-crypto's,
//! the one kms-server runs) with a key pair made at start (RSA_2048 for
//! `RSASSA_PSS_SHA_256`, EC_P256 for `ECDSA_SHA_256`; the `key_id` is
//! echoed), inline on the async workers, and nothing else: no
//! authentication, no storage, no key cache, no hand-off, no logs. What an
//! ideal server could do with this HTTP front and this primitive
//! (bench/sign.sh runs it next to kms-server). A binary of its own so that
//! `kms-floor`, the DEK path's floor, stays a single stateless route.
#![forbid(unsafe_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64ct::{Base64, Encoding as _};
use kms_crypto::{Message, PublicKey, SigningAlgorithm, SigningKey, SigningKeySpec};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn json(reply: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        reply,
    )
        .into_response()
}

/// The floor's two key pairs.
struct Keys {
    rsa: (SigningKey, PublicKey),
    ec: (SigningKey, PublicKey),
}

impl Keys {
    fn generate() -> Result<Self, kms_crypto::Error> {
        let pair = |spec| {
            let k = SigningKey::generate(spec, &mut getrandom::SysRng)?;
            let p = k.public_key();
            Ok::<_, kms_crypto::Error>((k, p))
        };
        Ok(Self {
            rsa: pair(SigningKeySpec::Rsa2048)?,
            ec: pair(SigningKeySpec::EcP256)?,
        })
    }

    /// The pair for `alg`'s name, with the algorithm.
    fn of(&self, alg: &str) -> Option<(SigningAlgorithm, &(SigningKey, PublicKey))> {
        match alg {
            "RSASSA_PSS_SHA_256" => Some((SigningAlgorithm::from_name(alg)?, &self.rsa)),
            "ECDSA_SHA_256" => Some((SigningAlgorithm::from_name(alg)?, &self.ec)),
            _ => None,
        }
    }
}

async fn sign(State(keys): State<Arc<Keys>>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<kms_model::SignRequestBody>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (Some((alg, (key, _))), Ok(message)) = (
        keys.of(&req.signing_algorithm),
        Base64::decode_vec(&req.message),
    ) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match key.sign(alg, Message::Digest(&message), &mut getrandom::SysRng) {
        Ok(sig) => json(format!(
            r#"{{"key_id":"{}","signature":"{}"}}"#,
            req.key_id,
            Base64::encode_string(&sig)
        )),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

async fn verify(State(keys): State<Arc<Keys>>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<kms_model::VerifyRequestBody>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (Some((alg, (_, public))), Ok(message), Ok(signature)) = (
        keys.of(&req.signing_algorithm),
        Base64::decode_vec(&req.message),
        Base64::decode_vec(&req.signature),
    ) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match public.verify(alg, Message::Digest(&message), &signature) {
        Ok(valid) => json(format!(
            r#"{{"key_id":"{}","signature_valid":"{valid}"}}"#,
            req.key_id
        )),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let keys = match Keys::generate() {
        Ok(k) => Arc::new(k),
        Err(e) => {
            eprintln!("kms-floor-primitive: cannot make the key pairs: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let app = Router::new()
        .route("/v1.0/{project_id}/kms/sign", post(sign))
        .route("/v1.0/{project_id}/kms/verify", post(verify))
        .with_state(keys);
    kms_floor::serve("kms-floor-primitive", "127.0.0.1:8091", app).await
}
