//! Embeds the KMS core in a program, over a durable SQLite file: one
//! store value for every store port, the software root-key provider, an
//! audit sink of the program's own, and the OS clock and random source
//! that `Ports::builder` takes by default (kms-core feature `os`).
//!
//! ```text
//! cargo run -p kms-store-sqlite --example embed_sqlite [DB_PATH]
//! ```
//!
//! Without `DB_PATH` the database lives in a temporary directory. The
//! root secret here is drawn fresh for the demonstration; a real program
//! keeps its own (a file, a secret manager, an HSM provider): without it
//! nothing stored can be opened again.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use kms_core::ports::{AuditEvent, AuditSink, Caller, Ports};
use kms_core::software::SoftwareRootKeys;
use kms_core::{CoreConfig, Kms};
use kms_model::{CreateDatakeyRequestBody, CreateKeyRequestBody, DecryptDatakeyRequestBody};
use kms_store_sqlite::SqliteStore;
use zeroize::Zeroizing;

/// The program's audit sink: one line per operation on stderr.
#[derive(Debug)]
struct StderrAudit;

impl AuditSink for StderrAudit {
    fn record(&self, e: &AuditEvent<'_>) {
        eprintln!(
            "audit: {} {} {} {}",
            e.action,
            e.project_id,
            e.resource.unwrap_or("-"),
            e.error_code.unwrap_or("ok")
        );
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let tmp = tempfile::tempdir()?;
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| tmp.path().join("kms.db"), PathBuf::from);

    let mut root_secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut root_secret[..])?;

    // Bring your own store: anything implementing the store traits (here
    // SQLite) fills every store port at once.
    let ports = Ports::builder(
        Arc::new(SqliteStore::open(&path)?),
        Arc::new(SoftwareRootKeys::new(&root_secret[..])?),
        Arc::new(StderrAudit),
    )
    .build()?;
    let kms = Kms::new(ports, CoreConfig::default());
    let caller = Caller::new("domain-1", "project-1");

    let key = kms.wire().create_key(
        &caller,
        &CreateKeyRequestBody {
            key_alias: "embedded".into(),
            ..Default::default()
        },
    )?;
    let key_id = key.key_info.key_id;
    let dek = kms.wire().create_datakey_without_plaintext(
        &caller,
        &CreateDatakeyRequestBody {
            key_id: key_id.clone(),
            datakey_length: Some("256".into()),
            ..Default::default()
        },
    )?;
    let back = kms.wire().decrypt_datakey(
        &caller,
        &DecryptDatakeyRequestBody {
            key_id,
            cipher_text: dek.cipher_text.clone(),
            datakey_cipher_length: "32".into(),
            ..Default::default()
        },
    )?;
    println!("database: {}", path.display());
    println!("wrapped DEK: {} hex digits", dek.cipher_text.len());
    println!("opened again: {} bytes", back.datakey_length);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed_sqlite: {e}");
            ExitCode::FAILURE
        }
    }
}
