//! Prints the error catalogue as the Markdown table of `docs/errors.md`.
//!
//! ```text
//! cargo run -p kms-model --example error_catalogue
//! ```

use kms_model::ErrorCode;

fn main() {
    println!("| code | HTTP status | error_msg (stable part) | published |");
    println!("|---|---|---|---|");
    for code in ErrorCode::ALL {
        println!(
            "| {} | {} | {} | {} |",
            code.as_str(),
            code.status(),
            code.message(),
            if code.is_published() {
                "yes"
            } else {
                "project-defined"
            }
        );
    }
}
