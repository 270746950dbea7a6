//! Prints the headers of one SDK-HMAC-SHA256 signed request, for replaying
//! it under load (`bench/ratio.sh`): `X-Sdk-Date` and `Authorization`,
//! signed over `content-type;host;x-sdk-date` as the SDK does, valid for
//! the server's 15-minute window.
//!
//! `cargo run -p kms-server --example presign -- METHOD PATH HOST BODY AK SK`
#![allow(clippy::print_stdout)]

use std::time::{SystemTime, UNIX_EPOCH};

struct Req {
    method: String,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl kms_server::SignedRequest for Req {
    fn method(&self) -> &str {
        &self.method
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn query(&self) -> &str {
        ""
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

fn main() -> std::process::ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let [method, path, host, body, ak, sk] = a.as_slice() else {
        eprintln!("usage: presign METHOD PATH HOST BODY AK SK");
        return std::process::ExitCode::FAILURE;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let date = kms_server::format_sdk_date(now);
    let req = Req {
        method: method.clone(),
        path: path.clone(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("host", host.clone()),
            ("x-sdk-date", date.clone()),
        ],
        body: body.as_bytes().to_vec(),
    };
    match kms_server::authorization_header(&req, ak, sk, &["content-type", "host", "x-sdk-date"]) {
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
