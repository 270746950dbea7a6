#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! What the conformance suite does not cover: calls from inside a tokio
//! runtime, PostgreSQL going away and coming back, concurrent migration,
//! a schema from a newer build, and the data surviving a reconnect.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kms_core::ports::{KeystoreStore, MasterKeyStore, PortErrorKind};
use kms_store_conformance::{PROJECT, id, key, keystore, wrapped};
use kms_store_postgres::testing::{PgCluster, cluster_or_skip};
use kms_store_postgres::{Error, PostgresStore, PostgresStoreOptions, SCHEMA_VERSION};

fn options(schema: &str) -> PostgresStoreOptions {
    PostgresStoreOptions {
        pool_size: 4,
        io_threads: 1,
        operation_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        schema: Some(schema.to_owned()),
        ca_file: None,
        password: None,
        passfile: None,
    }
}

fn store(cluster: &PgCluster, schema: &str) -> PostgresStore {
    PostgresStore::connect_with(&cluster.url(), &options(schema)).unwrap()
}

/// Port calls from a tokio worker (inline in an async task, as kms-server
/// does on the DEK path), from `spawn_blocking`, and dropping the last
/// handle inside the runtime: none may panic, all must answer.
#[test]
fn works_from_inside_a_tokio_runtime() {
    let Some(cluster) = cluster_or_skip("works_from_inside_a_tokio_runtime").unwrap() else {
        return;
    };
    let s = store(&cluster, "in_runtime");
    let k = key(1, PROJECT, "alias-1", "0");
    s.insert_key(&k, &wrapped(&k.key_id, 1, 7).into()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let found = rt.block_on(async {
        let inline = {
            let s = s.clone();
            tokio::spawn(async move { s.get_key(PROJECT, &id(1)).unwrap() })
        };
        let blocking = {
            let s = s.clone();
            tokio::task::spawn_blocking(move || s.get_key_material(&id(1), 1).unwrap())
        };
        // The store's last handle dropped inside the runtime.
        let dropped = {
            let url = cluster.url();
            tokio::spawn(async move {
                let other = PostgresStore::connect_with(&url, &options("in_runtime")).unwrap();
                let n = other.count_keys_in_keystore("0").unwrap();
                drop(other);
                n
            })
        };
        (
            inline.await.unwrap(),
            blocking.await.unwrap(),
            dropped.await.unwrap(),
        )
    });
    assert_eq!(found.0.as_deref(), Some(&k));
    assert_eq!(found.1, Some(wrapped(&k.key_id, 1, 7).as_bytes().to_vec()));
    assert_eq!(found.2, 1);
    drop(rt);
}

/// PostgreSQL stopped: calls fail as Unavailable with a message saying so,
/// promptly; PostgreSQL back: the same store answers again with the data.
#[test]
fn survives_a_postgres_restart() {
    let Some(cluster) = cluster_or_skip("survives_a_postgres_restart").unwrap() else {
        return;
    };
    let s = store(&cluster, "restart");
    s.insert_keystore(&keystore(1, "domain", "ks", None))
        .unwrap();
    cluster.stop().unwrap();
    let t = Instant::now();
    let e = s.get_keystore("domain", &id(1)).unwrap_err();
    assert_eq!(e.kind(), PortErrorKind::Unavailable, "{e:?}");
    let text = format!("{e} {:?}", std::error::Error::source(&e));
    assert!(text.contains("postgres"), "{text}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // A write fails the same way, nothing half-done.
    let e = s
        .insert_keystore(&keystore(2, "domain", "ks2", None))
        .unwrap_err();
    assert!(format!("{e:?}").contains("Unavailable"), "{e:?}");
    cluster.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let back = loop {
        match s.get_keystore("domain", &id(1)) {
            Ok(v) => break v,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(e.kind(), PortErrorKind::Unavailable, "{e:?}");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("not back after restart: {e:?}"),
        }
    };
    assert_eq!(back.unwrap().alias, "ks");
    assert_eq!(s.list_keystores("domain", 0, 10).unwrap().0, 1);
}

/// Eight replicas opening an empty schema at once: all succeed, the schema
/// is migrated once, and each sees the others' writes.
#[test]
fn concurrent_migration_is_serialised() {
    let Some(cluster) = cluster_or_skip("concurrent_migration_is_serialised").unwrap() else {
        return;
    };
    let url = Arc::new(cluster.url());
    let stores: Vec<PostgresStore> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                PostgresStore::connect_with(&url, &options("migrate_race")).unwrap()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for s in &stores {
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    }
    stores[0]
        .insert_keystore(&keystore(1, "domain", "ks", None))
        .unwrap();
    assert!(stores[7].get_keystore("domain", &id(1)).unwrap().is_some());
}

/// Runs `sql` on the cluster with `search_path` set to `schema` (psql may
/// not be installed).
fn execute_in(cluster: &PgCluster, schema: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut cfg: tokio_postgres::Config = cluster.url().parse().unwrap();
        cfg.options(format!("-c search_path={schema}"));
        let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(sql).await.unwrap();
    });
}

/// A schema-1 database (before key pairs) is migrated on open: its keys
/// read as AES_256 ENCRYPT_DECRYPT, its material unchanged.
#[test]
fn schema_1_database_is_migrated_and_its_keys_kept() {
    let Some(cluster) = cluster_or_skip("schema_1_database_is_migrated").unwrap() else {
        return;
    };
    let s = store(&cluster, "from_v1");
    let k = key(1, PROJECT, "old", "0");
    s.insert_key(&k, &wrapped(&k.key_id, 1, 3).into()).unwrap();
    drop(s);
    // Back to schema 1 as an earlier build left it.
    execute_in(
        &cluster,
        "from_v1",
        "ALTER TABLE keys DROP COLUMN key_spec, DROP COLUMN key_usage, DROP COLUMN origin,
             DROP COLUMN rotation_start, DROP COLUMN material_expiry,
             DROP COLUMN import_fingerprint;
         DROP TABLE import_tokens;
         DROP TABLE key_groups;
         DROP TABLE key_aliases;
         DROP TABLE root_key_fingerprint;
         ALTER TABLE key_material DROP COLUMN root_gen;
         ALTER TABLE certificates DROP COLUMN root_gen;
         DROP TABLE carried_pin_keys;
         DROP TABLE root_key_checks;
         DROP TABLE key_grants;
         ALTER TABLE keys DROP CONSTRAINT keys_state_check;
         ALTER TABLE keys ADD CONSTRAINT keys_state_check CHECK (state IN ('2', '3', '4'));
         UPDATE kms_schema_version SET version = 1;",
    );
    let s = store(&cluster, "from_v1");
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let got = s.get_key(PROJECT, &id(1)).unwrap().unwrap();
    assert_eq!(*got, k);
    assert_eq!(got.spec.as_str(), "AES_256");
    assert_eq!(got.usage.as_str(), "ENCRYPT_DECRYPT");
    assert_eq!(
        s.get_key_material(&id(1), 1).unwrap(),
        Some(wrapped(&k.key_id, 1, 3).as_bytes().to_vec())
    );
    // Schema 7: a key awaiting import (state '5') can be stored.
    let waiting = kms_core::ports::KeyRecord {
        state: kms_core::ports::KeyState::PendingImport,
        current_version: 0,
        origin: kms_core::ports::KeyOrigin::External,
        ..key(2, PROJECT, "byok", "0")
    };
    s.insert_key(&waiting, &kms_core::ports::KeyMaterial::AwaitingImport)
        .unwrap();
    assert_eq!(
        s.get_key(PROJECT, &id(2)).unwrap().as_deref(),
        Some(&waiting)
    );
}

/// A database written by a newer build is refused, not downgraded.
#[test]
fn newer_schema_is_refused() {
    let Some(cluster) = cluster_or_skip("newer_schema_is_refused").unwrap() else {
        return;
    };
    let s = store(&cluster, "too_new");
    let k = key(1, PROJECT, "a", "0");
    s.insert_key(&k, &wrapped(&k.key_id, 1, 1).into()).unwrap();
    // Bump the version behind the store's back.
    execute_in(
        &cluster,
        "too_new",
        "UPDATE kms_schema_version SET version = version + 1",
    );
    match PostgresStore::connect_with(&cluster.url(), &options("too_new")) {
        Err(Error::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

/// A bad URL or schema name is a configuration error that does not echo
/// the URL (it may hold a password).
#[test]
fn bad_configuration_is_refused_without_echoing_the_url() {
    let e = PostgresStore::connect("postgres://u:s3cret@127.0.0.1:notaport/db").unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(!e.to_string().contains("s3cret"), "{e}");
    let e = PostgresStore::connect_with(
        "postgres://u@127.0.0.1/db",
        &PostgresStoreOptions {
            schema: Some("Robert'); DROP".to_owned()),
            ..PostgresStoreOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
}

/// Nothing listens: connecting fails within the connect timeout, as an
/// error, not a hang.
#[test]
fn unreachable_database_fails_promptly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Instant::now();
    let e = PostgresStore::connect_with(
        &format!("postgres://kms@127.0.0.1:{port}/postgres"),
        &options("x"),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Pool(_)), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

/// The first fingerprint recorded wins; the same one matches again,
/// another one does not.
#[test]
fn root_key_fingerprint_is_recorded_once() {
    let Some(cluster) = cluster_or_skip("root_key_fingerprint_is_recorded_once").unwrap() else {
        return;
    };
    let s = store(&cluster, "fingerprint");
    assert!(s.check_root_key_fingerprint(&[1; 32]).unwrap());
    assert!(s.check_root_key_fingerprint(&[1; 32]).unwrap());
    let other = store(&cluster, "fingerprint");
    assert!(!other.check_root_key_fingerprint(&[2; 32]).unwrap());
    assert!(other.check_root_key_fingerprint(&[1; 32]).unwrap());
}

fn private_file(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
}

/// The password need not be in the URL (where `ps` would show it): it
/// comes from the options (a file the host read, or the environment) or
/// from a libpq password file, which must be private; a URL with a
/// password as well as one given apart is refused.
#[test]
fn the_password_comes_from_the_options_or_a_private_pgpass_file() {
    let Some(cluster) = cluster_or_skip("the_password_comes_from_the_options").unwrap() else {
        return;
    };
    let password = "pw:with\\odd chars";
    execute_in(
        &cluster,
        "public",
        &format!("ALTER ROLE kms PASSWORD '{password}'"),
    );
    cluster.require_passwords().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-such-pgpass");
    let opts = |password: Option<&str>, passfile: &std::path::Path| PostgresStoreOptions {
        password: password.map(kms_store_postgres::Password::new),
        passfile: Some(passfile.to_path_buf()),
        ..options("pw")
    };
    // Without a password: refused, once the reload took effect.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match PostgresStore::connect_with(&cluster.url(), &opts(None, &nowhere)) {
            Err(e) => {
                eprintln!("no password: {e}");
                break;
            }
            Ok(_) => assert!(
                std::time::Instant::now() < deadline,
                "pg_hba.conf reload never took effect"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Given apart from the URL.
    let s = PostgresStore::connect_with(&cluster.url(), &opts(Some(password), &nowhere)).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    // In the URL and apart: refused without connecting.
    let with_pw = format!(
        "postgres://kms:secret-in-url@127.0.0.1:{}/postgres",
        cluster.port()
    );
    let e = PostgresStore::connect_with(&with_pw, &opts(Some(password), &nowhere))
        .err()
        .unwrap();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(!e.to_string().contains("secret-in-url"), "{e}");
    // From a libpq password file: the first matching line, escapes undone.
    let pgpass = dir.path().join("pgpass");
    let escaped = password.replace('\\', "\\\\").replace(':', "\\:");
    private_file(
        &pgpass,
        &format!(
            "# kms\nother-host:*:*:*:wrong\n127.0.0.1:{}:postgres:kms:{escaped}\n*:*:*:*:wrong\n",
            cluster.port()
        ),
        0o600,
    );
    let s = PostgresStore::connect_with(&cluster.url(), &opts(None, &pgpass)).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    // A password file others may read is refused, naming the file and the
    // fix, never the password.
    #[cfg(unix)]
    {
        private_file(&pgpass, &std::fs::read_to_string(&pgpass).unwrap(), 0o640);
        let e = PostgresStore::connect_with(&cluster.url(), &opts(None, &pgpass))
            .err()
            .unwrap();
        let text = e.to_string();
        assert!(text.contains("chmod 600"), "{text}");
        assert!(!text.contains("odd chars"), "{text}");
    }
}
