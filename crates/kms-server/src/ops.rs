//! Operator subcommands over the SQLite data directory: `backup`,
//! `restore`, `rotate-root`; and the root-key check every SQLite start
//! makes (the database records its root key's fingerprint, and a rotation
//! under way).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kms_core::ports::{RootKeyProvider, RootRotationStore};
use kms_core::software::{RotatingRootKeys, SoftwareRootKeys};
use kms_core::{RootRotation, RootRotationError, root_key_opens_stored_rows};
use kms_store_sqlite::SqliteStore;

use crate::cli::{Cli, DATABASE_FILE, StartError, postgres_options, root_key_fingerprint};
use crate::root::{ROOT_KEY_ENV, RootSecret};

fn sqlite_only(cli: &Cli, what: &'static str) -> Result<PathBuf, StartError> {
    if cli.database.is_some() {
        return Err(StartError::SqliteOnly {
            what,
            hint: "for PostgreSQL use its own tools (pg_dump / pg_restore)",
        });
    }
    if cli.in_memory {
        return Err(StartError::SqliteOnly {
            what,
            hint: "--in-memory keeps nothing to back up or restore",
        });
    }
    Ok(cli.data_dir.join(DATABASE_FILE))
}

fn store_error(e: kms_store_sqlite::Error) -> StartError {
    StartError::Store(e)
}

/// `kms-server backup --out FILE`.
///
/// # Errors
/// No database, an unwritable destination, SQLite failures.
pub(crate) fn backup(cli: &Cli, out: &Path) -> Result<(), StartError> {
    let db = sqlite_only(cli, "backup")?;
    let info = kms_store_sqlite::backup(&db, out).map_err(store_error)?;
    println!(
        "kms-server: backed up {} to {} (change counter {}, schema {}, {} pages). \
         The backup holds wrapped keys only: keep the root key ({}) apart from it.",
        db.display(),
        out.display(),
        info.change_counter,
        info.schema_version,
        info.pages,
        cli.data_dir.join(crate::root::ROOT_KEY_FILE).display(),
    );
    Ok(())
}

/// `kms-server restore --from FILE [--force]`.
///
/// # Errors
/// A server running on the database, a newer database without `force`, a
/// damaged backup, SQLite failures.
pub(crate) fn restore(cli: &Cli, from: &Path, force: bool) -> Result<(), StartError> {
    let db = sqlite_only(cli, "restore")?;
    let (info, replaced) = kms_store_sqlite::restore(from, &db, force).map_err(store_error)?;
    let what = match replaced {
        kms_store_sqlite::Replaced::Nothing => "a new database".to_owned(),
        kms_store_sqlite::Replaced::Database { change_counter } => {
            format!("the database (change counter {change_counter})")
        }
    };
    println!(
        "kms-server: restored {} (change counter {}) into {what} at {}.",
        from.display(),
        info.change_counter,
        db.display(),
    );
    let key = cli.data_dir.join(crate::root::ROOT_KEY_FILE);
    if std::env::var_os(ROOT_KEY_ENV).is_none() && !key.exists() {
        println!(
            "kms-server: {} is missing: put the root key the backup was made under there (or \
             set {ROOT_KEY_ENV}) before starting the server.",
            key.display()
        );
    }
    Ok(())
}

fn rotation_error(e: RootRotationError) -> StartError {
    StartError::Rotation(e.to_string())
}

fn current_secret(cli: &Cli, db: Option<&Path>) -> Result<RootSecret, StartError> {
    let env_key = std::env::var(ROOT_KEY_ENV).ok();
    let key_file = cli.data_dir.join(crate::root::ROOT_KEY_FILE);
    if env_key.is_none() && !key_file.exists() {
        return Err(match db {
            Some(db) => StartError::RootKey(crate::root::RootSecretError::MissingForExistingData {
                db: db.to_path_buf(),
                key: key_file,
            }),
            None => StartError::SharedRootKeyMissing(key_file),
        });
    }
    Ok(RootSecret::load_or_create(env_key.as_deref(), &cli.data_dir, db)?.0)
}

/// The database a rotation works on: SQLite (refused while a server has it
/// open) or PostgreSQL (nothing can tell whether replicas run: they must
/// be stopped).
fn rotation_store(cli: &Cli) -> Result<(Arc<dyn RootRotationStore>, RootSecret), StartError> {
    if cli.in_memory {
        return Err(StartError::Rotation(
            "--in-memory keeps nothing to rotate".to_owned(),
        ));
    }
    if let Some(url) = &cli.database {
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(StartError::DatabaseUrl);
        }
        let secret = current_secret(cli, None)?;
        // The configuration is not read here: the password comes from
        // --database-password-file, the URL or libpq's password file.
        let options = postgres_options(cli, None)?;
        let store = kms_store_postgres::PostgresStore::connect_with(url, &options)?;
        return Ok((Arc::new(store), secret));
    }
    let db = cli.data_dir.join(DATABASE_FILE);
    if !db.exists() {
        return Err(StartError::Io {
            context: format!("rotate-root: {}", db.display()),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no database here"),
        });
    }
    let secret = current_secret(cli, Some(&db))?;
    kms_store_sqlite::ensure_not_in_use(&db).map_err(store_error)?;
    Ok((Arc::new(SqliteStore::open(&db)?), secret))
}

/// `kms-server rotate-root --new-key FILE`: re-wraps every CMK version,
/// key pair and certificate private key under the new root key, carries
/// the PIN keys over, then records the new root key. Refuses to run while
/// a server has a SQLite database open (PostgreSQL replicas must be
/// stopped by the operator); rerun after a crash, it resumes.
///
/// # Errors
/// A server running on the database, a wrong current or new key, a
/// rotation to another key under way, storage failures.
pub(crate) fn rotate_root(
    cli: &Cli,
    new_key: &Path,
    batch_size: usize,
    pause: Duration,
) -> Result<(), StartError> {
    let new_secret = RootSecret::from_file(new_key)?;
    let (store, old_secret) = rotation_store(cli)?;
    let store = &*store;
    let old_fp = root_key_fingerprint(&old_secret)?;
    let new_fp = root_key_fingerprint(&new_secret)?;
    if old_fp == new_fp {
        return Err(StartError::Rotation(
            "the new root key is the current one".to_owned(),
        ));
    }
    let state = store.root_key_state()?;
    // Keystores with national (SM) roots keep them under the new key.
    let national = national_keystores(cli)?;
    let mut old =
        SoftwareRootKeys::new(old_secret.expose())?.with_national_keystores(national.clone());
    // A database that records no root key yet: the current key must open
    // what it holds before the rotation records it (as a start does).
    if state.fingerprint.is_none()
        && root_key_opens_stored_rows(store, &old).map_err(rotation_error)? == Some(false)
    {
        return Err(StartError::RootKeyNotRecorded);
    }
    // The old provider carries the PIN keys of an earlier rotation only
    // before this one begins (once begun, the store's carried keys are
    // under the new root key, and the old provider needs none).
    if state.rotation.is_none() && state.fingerprint != Some(new_fp) {
        old = old
            .with_carried_pin_keys(&store.carried_pin_keys()?)
            .map_err(|_| StartError::RootKeyNotRecorded)?;
    }
    let new = SoftwareRootKeys::new(new_secret.expose())?.with_national_keystores(national);
    drop((old_secret, new_secret));
    let untouched = hsm_keystores(cli, store)?;
    let entropy = crate::adapters::OsEntropy;
    let report = RootRotation {
        store,
        old: &old,
        new: &new,
        entropy: &entropy,
        old_fingerprint: old_fp,
        new_fingerprint: new_fp,
        untouched_keystores: untouched,
        batch_size,
    }
    .run(|moved| {
        println!("kms-server: rotate-root: {moved} rows moved");
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    })
    .map_err(rotation_error)?;
    if report.already_done {
        println!(
            "kms-server: rotate-root: the database is already under the new root key \
             (generation {})",
            report.generation
        );
    } else {
        println!(
            "kms-server: rotate-root: done{}: {} rows moved in {} batches, PIN keys of {} \
             keystores carried over; root key generation {}.",
            if report.resumed { " (resumed)" } else { "" },
            report.moved,
            report.batches,
            report.pin_keys_carried,
            report.generation,
        );
    }
    println!(
        "kms-server: start the server with the new root key: replace {} by {} (or set \
         {ROOT_KEY_ENV}); the old root key now opens only backups made before the rotation.",
        cli.data_dir.join(crate::root::ROOT_KEY_FILE).display(),
        new_key.display(),
    );
    Ok(())
}

/// The configuration's `national_keystores` (none without a configuration).
fn national_keystores(cli: &Cli) -> Result<Vec<String>, StartError> {
    let (config_path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (cli.data_dir.join(crate::config::CONFIG_FILE), false),
    };
    if !explicit && !config_path.exists() {
        return Ok(Vec::new());
    }
    Ok(crate::config::Config::load(&config_path)?.national_keystore_ids()?)
}

/// Dedicated keystores whose root key is on a PKCS#11 token: a rotation of
/// the software root key leaves them alone.
fn hsm_keystores(cli: &Cli, store: &dyn RootRotationStore) -> Result<HashSet<String>, StartError> {
    let (config_path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (cli.data_dir.join(crate::config::CONFIG_FILE), false),
    };
    if !explicit && !config_path.exists() {
        return Ok(HashSet::new());
    }
    let config = crate::config::Config::load(&config_path)?;
    let base = config_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let clusters: HashSet<String> = config
        .pkcs11_clusters(&base)?
        .into_iter()
        .map(|c| c.cluster_id)
        .collect();
    if clusters.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(store
        .all_keystores()?
        .into_iter()
        .filter(|k| k.cluster_id.as_ref().is_some_and(|c| clusters.contains(c)))
        .map(|k| k.keystore_id)
        .collect())
}

/// The root-key provider of a start on a database (SQLite, PostgreSQL): checks the root key against
/// the one the database records (recording it when none is, after
/// checking it opens what is stored), and, while a rotation is under way,
/// serves with both keys (`previous`: the one the rotation started from).
///
/// # Errors
/// [`StartError::RootKeyNotRecorded`], [`StartError::RotationUnderWay`],
/// storage failures.
pub(crate) fn stored_root_keys(
    store: &dyn RootRotationStore,
    secret: &RootSecret,
    previous: Option<&RootSecret>,
    probe: bool,
    national: &[String],
) -> Result<Arc<dyn RootKeyProvider>, StartError> {
    let fp = root_key_fingerprint(secret)?;
    let software = |s: &RootSecret| {
        SoftwareRootKeys::new(s.expose())
            .map(|p| p.with_national_keystores(national.iter().cloned()))
    };
    let provider = || software(secret);
    let mut state = store.root_key_state()?;
    if state.fingerprint.is_none() {
        if probe {
            let opens = root_key_opens_stored_rows(store, &provider()?).map_err(rotation_error)?;
            if opens == Some(false) {
                return Err(StartError::RootKeyNotRecorded);
            }
        }
        state = store.record_root_fingerprint(&fp)?;
    }
    let carried = store.carried_pin_keys()?;
    match state.rotation {
        None if state.fingerprint == Some(fp) => Ok(Arc::new(
            provider()?
                .with_carried_pin_keys(&carried)
                .map_err(|_| StartError::RootKeyNotRecorded)?,
        )),
        None => Err(StartError::RootKeyNotRecorded),
        Some(target) => {
            let previous = previous.filter(|p| {
                state.fingerprint.is_some() && root_key_fingerprint(p).ok() == state.fingerprint
            });
            let (Some(previous), true) = (previous, target.fingerprint == fp) else {
                return Err(StartError::RotationUnderWay);
            };
            let new = provider()?
                .with_carried_pin_keys(&carried)
                .map_err(|_| StartError::RootKeyNotRecorded)?;
            let old = software(previous)?;
            tracing::warn!(
                "a root-key rotation is under way: serving with both root keys; finish it with \
                 `kms-server rotate-root` (with the server stopped)"
            );
            Ok(Arc::new(RotatingRootKeys::new(
                Arc::new(new),
                Arc::new(old),
            )))
        }
    }
}
