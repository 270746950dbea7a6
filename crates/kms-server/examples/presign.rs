//! Prints the headers of one SDK-HMAC-SHA256 signed request, for replaying
//! it under load (`bench/ratio.sh`): `X-Sdk-Date` and `Authorization`,
//! signed over `content-type;host;x-sdk-date` as the SDK does, valid for
//! the server's 15-minute window.
//!
//! `cargo run -p kms-server --example presign -- METHOD PATH HOST BODY AK SK`
#![allow(clippy::print_stdout)]

use std::time::{SystemTime, UNIX_EPOCH};

fn main() -> std::process::ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [method, path, host, body, ak, sk] = a.as_slice() else {
        eprintln!("usage: presign METHOD PATH HOST BODY AK SK");
        return std::process::ExitCode::FAILURE;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let date = kms_sign::format_sdk_date(now);
    let req = kms_sign::OwnedRequest {
        method: method.clone(),
        path: path.clone(),
        query: String::new(),
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("host".to_owned(), host.clone()),
            ("x-sdk-date".to_owned(), date.clone()),
        ],
        body: body.as_bytes().to_vec(),
    };
    match kms_sign::authorization_header(&req, ak, sk, &["content-type", "host", "x-sdk-date"]) {
        Ok(auth) => {
            println!("{date}");
            println!("{auth}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("presign: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
