//! Validates one JSON request body for a named operation.
//!
//! ```text
//! cargo run -p kms-model --example validate -- <operation> [file]
//! ```
//!
//! Reads the body from `file`, or from stdin when no file (or `-`) is given.
//! Prints the normalised request as JSON and exits 0, or prints the wire
//! error (status line, then the KMS or APIG body) and exits 1. Usage errors
//! exit 2.

use std::io::Read;
use std::process::ExitCode;

use kms_model::Operation;

fn usage() -> ExitCode {
    let names: Vec<&str> = Operation::ALL
        .iter()
        .filter(|op| op.has_body())
        .map(|op| op.name())
        .collect();
    eprintln!(
        "usage: validate <operation> [file|-]\noperations: {}",
        names.join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(op_name), rest) = (args.first(), args.get(1..).unwrap_or_default()) else {
        return usage();
    };
    let Some(op) = Operation::ALL
        .iter()
        .copied()
        .find(|op| op.name() == op_name && op.has_body())
    else {
        eprintln!("unknown operation {op_name:?}");
        return usage();
    };
    if rest.len() > 1 {
        return usage();
    }
    let mut body = Vec::new();
    let read = match rest.first().map(String::as_str) {
        None | Some("-") => std::io::stdin().read_to_end(&mut body).map(|_| ()),
        Some(path) => std::fs::read(path).map(|b| body = b),
    };
    if let Err(e) = read {
        eprintln!("cannot read the request body: {e}");
        return ExitCode::from(2);
    }
    match op.validate_json(&body) {
        Ok(normalised) => {
            match serde_json::to_string_pretty(&normalised) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprintln!("cannot print the result: {e}");
                    return ExitCode::from(2);
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("HTTP {}", err.status());
            println!("{}", err.to_json());
            ExitCode::from(1)
        }
    }
}
