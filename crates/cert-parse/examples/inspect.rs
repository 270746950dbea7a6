//! What API Gateway will say about your certificate files.
//!
//! ```text
//! cargo run -p cert-parse --example inspect -- CERT.pem [KEY.pem] [--root ROOT.pem] [--at RFC3339]
//! ```
//!
//! Prints the certificate record fields as JSON (API Gateway's names), or
//! the APIG error code and message and exits 1. Argument errors print the
//! usage and exit 2. Without `--at`, the current time is used.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use cert_parse::{CertificateUpload, CheckedCertificate, check_certificate, check_chain};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const USAGE: &str = "usage: inspect CERT.pem [KEY.pem] [--root ROOT.pem] [--at RFC3339]";

struct Args {
    cert: String,
    key: Option<String>,
    root: Option<String>,
    at: i64,
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let (mut root, mut at) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => root = Some(args.next().ok_or("--root needs a file")?),
            "--at" => {
                let text = args.next().ok_or("--at needs an RFC 3339 time")?;
                let t = OffsetDateTime::parse(&text, &Rfc3339)
                    .map_err(|e| format!("--at {text}: {e}"))?;
                at = Some(t.unix_timestamp());
            }
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let cert = positional.next().ok_or("missing CERT.pem")?;
    let key = positional.next();
    if positional.next().is_some() {
        return Err("too many arguments".to_owned());
    }
    Ok(Args {
        cert: read(&cert)?,
        key: key.as_deref().map(read).transpose()?,
        root: root.as_deref().map(read).transpose()?,
        at: at.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp()),
    })
}

fn to_json(r: &CheckedCertificate) -> serde_json::Value {
    let leaf = &r.leaf;
    json!({
        "common_name": leaf.common_name,
        "san": leaf.san,
        "not_before": leaf.not_before,
        "not_after": leaf.not_after,
        "serial_number": leaf.serial_number,
        "version": leaf.version,
        "signature_algorithm": leaf.signature_algorithm,
        "algorithm_type": r.algorithm_type.map(|a| a.as_str()),
        "organization": leaf.organization,
        "organizational_unit": leaf.organizational_unit,
        "locality": leaf.locality,
        "state": leaf.state,
        "country": leaf.country,
        "issuer": leaf.issuer,
        "is_has_trusted_root_ca": r.is_has_trusted_root_ca,
        "sha256_fingerprint": leaf.sha256_fingerprint_hex(),
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("inspect: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match &args.key {
        Some(key) => check_certificate(
            &CertificateUpload {
                cert_content: &args.cert,
                private_key: key,
                trusted_root_ca: args.root.as_deref(),
            },
            args.at,
        ),
        None => check_chain(&args.cert, args.root.as_deref(), args.at),
    };
    match result {
        Ok(record) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&to_json(&record)).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let body = json!({ "error_code": e.apig_code(), "error_msg": e.apig_message(), "detail": e.to_string() });
            println!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
            ExitCode::from(1)
        }
    }
}
