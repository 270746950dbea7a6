//! The third-party types the library faces expose: `api-check DOC_DIR`
//! reads rustdoc's JSON for kms-model, kms-crypto, cert-parse and kms-core
//! from `DOC_DIR` and fails on any path into a crate outside the standard
//! library, the workspace and the deliberate list below
//! (docs/architecture.md, "Layers and names"). The JSON comes from stable
//! rustc 1.95 with `RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS='-Z unstable-options
//! --output-format json' cargo doc --no-deps` (`.ci/run` does it).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::api::{by_external, external_types};

/// The faces checked.
const FACES: &[&str] = &["kms_model", "kms_crypto", "cert_parse", "kms_core"];

/// Crates every face may name, with why.
const ALLOWED_CRATES: &[(&str, &str)] = &[
    ("kms_model", "workspace crate"),
    ("kms_crypto", "workspace crate"),
    ("cert_parse", "workspace crate"),
    ("kms_core", "workspace crate"),
    (
        "zeroize",
        "secrets cross the faces in `Zeroizing` buffers (key material, plaintext DEKs, PINs, private keys)",
    ),
    (
        "rand_core",
        "entropy comes in through rand_core's RNG traits (`TryCryptoRng`, `TryRng`): the caller brings the CSPRNG",
    ),
];

/// Third-party items the faces name on purpose (path prefixes), with why.
/// serde's traits resolve to `serde_core`, which `serde` re-exports.
const ALLOWED_PATHS: &[(&str, &str)] = &[
    (
        "serde_core::ser::Serialize",
        "kms-model's wire bodies are serde bodies (derived)",
    ),
    (
        "serde_core::de::Deserialize",
        "kms-model's wire bodies are serde bodies (derived)",
    ),
    (
        "serde_core::de::DeserializeOwned",
        "`decode_body<T: DeserializeOwned>` decodes any wire body",
    ),
    (
        "serde_core::ser::Serializer",
        "`Secret::serialize_exposed` is the `serialize_with` a body names to put a secret on the wire",
    ),
    (
        "serde_json::map::Map",
        "the free-form `encryption_context` object of encrypt-data / decrypt-data bodies, as JSON gives it (`EncryptionContext::parse` validates it)",
    ),
    (
        "serde_json::value::Value",
        "the values of that `encryption_context` object",
    ),
    (
        "subtle::ConstantTimeEq",
        "`MasterKey`'s constant-time equality is subtle's trait, the one RustCrypto's callers use",
    ),
    (
        "subtle::Choice",
        "the result type of `ConstantTimeEq::ct_eq`",
    ),
];

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: api-check DOC_DIR (rustdoc JSON of {FACES:?})");
        return ExitCode::from(2);
    };
    let crates: Vec<&str> = ALLOWED_CRATES.iter().map(|(c, _)| *c).collect();
    let paths: Vec<&str> = ALLOWED_PATHS.iter().map(|(p, _)| *p).collect();
    let mut total = 0;
    for face in FACES {
        let file = dir.join(format!("{face}.json"));
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let krate: rustdoc_types::Crate = match serde_json::from_str(&text) {
            Ok(k) => k,
            Err(e) => {
                eprintln!(
                    "{}: not rustdoc JSON format {} ({e}); rustdoc-types must match the toolchain",
                    file.display(),
                    rustdoc_types::FORMAT_VERSION
                );
                return ExitCode::from(2);
            }
        };
        if krate.format_version != rustdoc_types::FORMAT_VERSION {
            eprintln!(
                "{}: format version {} but rustdoc-types reads {}",
                file.display(),
                krate.format_version,
                rustdoc_types::FORMAT_VERSION
            );
            return ExitCode::from(2);
        }
        let findings = external_types(&krate, &crates, &paths);
        println!(
            "== {face}: {} third-party paths",
            by_external(&findings).len()
        );
        for ((k, external), items) in by_external(&findings) {
            let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
            let more = items.len().saturating_sub(3);
            let more = if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            };
            println!("  {k}: {external}  <- {}{more}", shown.join(", "));
        }
        total += findings.len();
    }
    if total == 0 {
        println!("no third-party type in the faces beyond the deliberate ones:");
        for (what, why) in ALLOWED_CRATES
            .iter()
            .chain(ALLOWED_PATHS)
            .filter(|(_, w)| *w != "workspace crate")
        {
            println!("  {what}: {why}");
        }
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
