//! What the floor binaries share: serving a router the way every one of
//! them does (`axum::serve`, nothing around it).
#![forbid(unsafe_code)]

use std::process::ExitCode;

/// Serves `app` on the address of the first argument (`default_addr`
/// without one) until it fails; `name` prefixes the errors.
pub async fn serve(name: &str, default_addr: &str, app: axum::Router) -> ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| default_addr.to_owned());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
