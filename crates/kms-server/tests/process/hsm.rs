#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The real binary with a dedicated keystore on a SoftHSM2 token: the
//! keystore's keys land on the token, DEKs decrypt after a restart, a
//! disabled keystore's keys are unusable, a deleted keystore's token keys
//! are gone, and a missing token or module answers KMS.6502 (no panic, no
//! hang). Skips loudly without SoftHSM2, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use kms_hsm_pkcs11::softhsm::{SoftHsm, USER_PIN};
use serde_json::{Value, json};

use super::common::{self, Server, free_port};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const DOMAIN: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
const TOKEN: &str = "hsm-test-token-0123456789abcdef";
const LABEL: &str = "kms-server-test";

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Starts the server over `dir` with two DHSM clusters on the token
/// (`module` may be made wrong on purpose).
fn start(dir: &Path, hsm: &SoftHsm, module: &Path) -> Server {
    let port = free_port();
    let config = dir.join("config.toml");
    write_private(&dir.join("pin.txt"), &format!("{USER_PIN}\n"));
    write_private(
        &config,
        &format!(
            r#"listen = "127.0.0.1:{port}"
[[tokens]]
token = "{TOKEN}"
domain_id = "{DOMAIN}"
project_id = "{PROJECT}"
[[clusters]]
id = "hsm-1"
type = "DHSM"
domain_id = "{DOMAIN}"
[[clusters]]
id = "hsm-2"
type = "DHSM"
domain_id = "{DOMAIN}"
[[hsm_clusters]]
id = "hsm-1"
module = "{module}"
token_label = "{LABEL}"
pin_file = "pin.txt"
[[hsm_clusters]]
id = "hsm-2"
module = "{module}"
token_label = "{LABEL}"
pin_env = "KMS_TEST_HSM_PIN"
sessions = 2
"#,
            module = module.display()
        ),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_kms-server"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("RUST_LOG", "warn")
        .env("SOFTHSM2_CONF", hsm.conf())
        .env("KMS_TEST_HSM_PIN", USER_PIN)
        .env_remove("KMS_ROOT_KEY")
        // Appended to by every start over `dir`.
        .stdout(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .unwrap(),
        )
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if request(port, "GET", "/health", None).is_ok() {
            return server;
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not start");
}
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    common::request(port, TOKEN, Duration::from_secs(20), method, path, body)
}

fn kms(port: u16, route: &str, body: Value) -> (u16, Value) {
    request(
        port,
        "POST",
        &format!("/v1.0/{PROJECT}{route}"),
        Some(&body),
    )
    .unwrap()
}

fn code(v: &Value) -> Option<&str> {
    v["error"]["error_code"].as_str()
}

fn stop(mut server: Server) {
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    }
}

/// The token's objects as `pkcs11-tool --list-objects --login` shows them
/// (`None` when OpenSC is not installed).
fn list_objects(hsm: &SoftHsm) -> Option<String> {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", hsm.conf())
        .arg("--module")
        .arg(hsm.module())
        .args(["--token-label", LABEL, "--login", "--pin", USER_PIN])
        .arg("--list-objects")
        .output();
    match out {
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pkcs11-tool missing under CI: {e}"
            );
            eprintln!(
                "\n!!!!!!!! pkcs11-tool not installed (apt-get install opensc): token listing not checked !!!!!!!!\n"
            );
            None
        }
    }
}

fn create_keystore(p: u16, alias: &str, cluster: &str) -> String {
    let (st, ks) = kms(
        p,
        "/keystores",
        json!({"keystore_alias": alias, "hsm_cluster_id": cluster}),
    );
    assert_eq!(st, 200, "{ks}");
    ks["keystore"]["keystore_id"].as_str().unwrap().to_owned()
}

#[test]
fn a_dedicated_keystore_lives_on_the_softhsm_token() {
    let Some(hsm) = SoftHsm::setup().unwrap() else {
        return;
    };
    hsm.init_token(LABEL).unwrap();
    let module: PathBuf = hsm.module().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &hsm, &module);
    let p = server.port;

    // (2) The keystore lands on the token: its wrap key and PIN key carry
    // its id.
    let ks = create_keystore(p, "hsm_ks", "hsm-1");
    if let Some(objects) = list_objects(&hsm) {
        assert!(objects.contains(&format!("kms-rs/{ks}")), "{objects}");
        assert!(objects.contains(&format!("kms-rs/{ks}/pin")), "{objects}");
        assert!(objects.contains("Secret Key Object; AES"), "{objects}");
    }
    let (st, k) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "hsm_key", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "{k}");
    let key = k["key_info"]["key_id"].as_str().unwrap().to_owned();
    let (st, d) = kms(
        p,
        "/kms/create-datakey",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!(st, 200, "{d}");
    let plain = d["plain_text"].as_str().unwrap().to_owned();
    let cipher = d["cipher_text"].as_str().unwrap().to_owned();
    let (st, nd) = kms(
        p,
        "/kms/create-datakey-without-plaintext",
        json!({"key_id": key, "datakey_length": "512"}),
    );
    assert_eq!(st, 200, "{nd}");
    // A PIN of the HSM keystore, sealed under a root derived on the token,
    // is accepted with the keystore's key.
    let (st, pin) = kms(
        p,
        "/kms/create-pin",
        json!({"pin_type": "CipherText", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "{pin}");
    let (st, plain_pin) = kms(
        p,
        "/kms/create-pin",
        json!({"pin_type": "PlainText", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "{plain_pin}");
    stop(server);

    // DEKs made before the restart decrypt after it (the CMK unwraps
    // through the token again).
    let server = start(dir.path(), &hsm, &module);
    let p = server.port;
    let (st, back) = kms(
        p,
        "/kms/decrypt-datakey",
        json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"}),
    );
    assert_eq!(st, 200, "{back}");
    assert_eq!(
        back["data_key"].as_str().unwrap().to_uppercase(),
        plain.to_uppercase()
    );

    // (4) Disabled keystore: its keys are unusable; enabled again: usable.
    let (st, v) = kms(p, &format!("/keystores/{ks}/disable"), json!({}));
    assert_eq!(st, 200, "{v}");
    let (st, e) = kms(
        p,
        "/kms/create-datakey-without-plaintext",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!((st, code(&e)), (400, Some("KMS.6008")), "{e}");
    let (st, v) = kms(p, &format!("/keystores/{ks}/enable"), json!({}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = kms(
        p,
        "/kms/create-datakey-without-plaintext",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!(st, 200, "{v}");

    // (4) Deleted keystore (an empty one: a keystore with keys is not
    // deleted): its token keys are destroyed.
    let ks2 = create_keystore(p, "hsm_ks_2", "hsm-2");
    if let Some(objects) = list_objects(&hsm) {
        assert!(objects.contains(&format!("kms-rs/{ks2}")), "{objects}");
    }
    let (st, v) = request(
        p,
        "DELETE",
        &format!("/v1.0/{PROJECT}/keystores/{ks2}"),
        None,
    )
    .unwrap();
    assert!(st == 200 || st == 204, "{st} {v}");
    if let Some(objects) = list_objects(&hsm) {
        assert!(!objects.contains(&format!("kms-rs/{ks2}")), "{objects}");
        assert!(objects.contains(&format!("kms-rs/{ks}")), "{objects}");
    }
    stop(server);

    // (3) The module is missing: the server starts (a warning), the
    // keystore's keys answer KMS.6502, promptly; default keys still work.
    let server = start(dir.path(), &hsm, Path::new("/nonexistent/libsofthsm2.so"));
    let p = server.port;
    let t0 = Instant::now();
    let (st, e) = kms(
        p,
        "/kms/create-datakey-without-plaintext",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    let (st, k0) = kms(p, "/kms/create-key", json!({"key_alias": "soft_key"}));
    assert_eq!(st, 200, "{k0}");
    stop(server);

    // (3) The token is pulled: its files are gone. Same answer.
    for entry in std::fs::read_dir(hsm.token_dir()).unwrap() {
        std::fs::remove_dir_all(entry.unwrap().path()).unwrap();
    }
    let server = start(dir.path(), &hsm, &module);
    let p = server.port;
    let (st, e) = kms(
        p,
        "/kms/decrypt-datakey",
        json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    let (st, e) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "hsm_key_2", "keystore_id": ks}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    stop(server);
}

/// Moves every entry of `from` into `to`.
fn move_entries(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::rename(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// (Issue 25, item 11) The token's files disappear under the running
/// server and are put back: the keystore answers KMS.6502 while they are
/// gone and serves again once they are back, with no restart (before, it
/// answered "token has 0 keys for keystore ... (expected 1)" for ever).
#[test]
fn a_token_removed_and_restored_under_a_running_server_comes_back() {
    let Some(hsm) = SoftHsm::setup().unwrap() else {
        return;
    };
    hsm.init_token(LABEL).unwrap();
    let module: PathBuf = hsm.module().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &hsm, &module);
    let p = server.port;
    let ks = create_keystore(p, "hsm_ks", "hsm-1");
    let (st, k) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "hsm_key", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "{k}");
    let key = k["key_info"]["key_id"].as_str().unwrap().to_owned();
    let (st, d) = kms(
        p,
        "/kms/create-datakey",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!(st, 200, "{d}");
    let plain = d["plain_text"].as_str().unwrap().to_owned();
    let cipher = d["cipher_text"].as_str().unwrap().to_owned();
    let decrypt = json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"});

    let away = dir.path().join("tokens-away");
    move_entries(&hsm.token_dir(), &away);
    // A new key of the keystore is wrapped on the token (a DEK of the key
    // above may come from the server's cache of unwrapped keys).
    for i in 0..3 {
        let (st, e) = kms(
            p,
            "/kms/create-key",
            json!({"key_alias": format!("while_away_{i}"), "keystore_id": ks}),
        );
        assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    }
    move_entries(&away, &hsm.token_dir());
    // The provider re-initialises the module at most once per interval.
    thread::sleep(kms_hsm_pkcs11::REINIT_INTERVAL);
    let (st, k2) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "after_restore", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "the first call after the files are back: {k2}");
    let key2 = k2["key_info"]["key_id"].as_str().unwrap().to_owned();
    let (st, d2) = kms(
        p,
        "/kms/create-datakey",
        json!({"key_id": key2, "datakey_length": "256"}),
    );
    assert_eq!(st, 200, "{d2}");
    let (st, back) = kms(p, "/kms/decrypt-datakey", decrypt);
    assert_eq!(st, 200, "{back}");
    assert_eq!(
        back["data_key"].as_str().unwrap().to_uppercase(),
        plain.to_uppercase()
    );
    stop(server);
}

/// Runs `pkcs11-tool` on the test token with `args` (`None` when OpenSC
/// is not installed).
fn pkcs11_tool(hsm: &SoftHsm, args: &[&str]) -> Option<()> {
    let out = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", hsm.conf())
        .arg("--module")
        .arg(hsm.module())
        .args(["--token-label", LABEL, "--login", "--pin", USER_PIN])
        .args(args)
        .output();
    match out {
        Ok(o) => {
            assert!(
                o.status.success(),
                "pkcs11-tool {args:?}: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            Some(())
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pkcs11-tool missing under CI: {e}"
            );
            eprintln!(
                "\n!!!!!!!! SKIPPED: pkcs11-tool not installed (apt-get install opensc) !!!!!!!!\n"
            );
            None
        }
    }
}

/// (Issue 25, item 3 for HSM keystores) A keystore's token wrap key is
/// replaced under the same label and id (with pkcs11-tool, as restoring
/// the wrong backup would): the running server refuses the keystore's keys
/// with KMS.6502 and logs why, instead of creating keys under the new one;
/// so does a restarted server. Other keys keep working.
#[test]
fn a_token_key_replaced_under_the_same_label_is_refused() {
    let Some(hsm) = SoftHsm::setup().unwrap() else {
        return;
    };
    hsm.init_token(LABEL).unwrap();
    let module: PathBuf = hsm.module().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &hsm, &module);
    let p = server.port;
    let ks = create_keystore(p, "hsm_ks", "hsm-1");
    let (st, k) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "before", "keystore_id": ks}),
    );
    assert_eq!(st, 200, "{k}");
    let key = k["key_info"]["key_id"].as_str().unwrap().to_owned();
    let (st, d) = kms(
        p,
        "/kms/create-datakey",
        json!({"key_id": key, "datakey_length": "256"}),
    );
    assert_eq!(st, 200, "{d}");
    let cipher = d["cipher_text"].as_str().unwrap().to_owned();

    let id_hex: String = ks.bytes().map(|b| format!("{b:02x}")).collect();
    let label = format!("kms-rs/{ks}");
    let replace = [
        &[
            "--delete-object",
            "--type",
            "secrkey",
            "--id",
            &id_hex,
            "--label",
            &label,
        ][..],
        &[
            "--keygen",
            "--key-type",
            "AES:32",
            "--id",
            &id_hex,
            "--label",
            &label,
            "--sensitive",
            "--usage-wrap",
        ][..],
    ];
    for args in replace {
        if pkcs11_tool(&hsm, args).is_none() {
            return;
        }
    }
    let (st, e) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "after", "keystore_id": ks}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    let (st, k0) = kms(p, "/kms/create-key", json!({"key_alias": "soft_key"}));
    assert_eq!(st, 200, "{k0}");
    stop(server);

    let server = start(dir.path(), &hsm, &module);
    let p = server.port;
    let (st, e) = kms(
        p,
        "/kms/decrypt-datakey",
        json!({"key_id": key, "cipher_text": cipher, "datakey_cipher_length": "32"}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    let (st, e) = kms(
        p,
        "/kms/create-key",
        json!({"key_alias": "after_restart", "keystore_id": ks}),
    );
    assert_eq!((st, code(&e)), (502, Some("KMS.6502")), "{e}");
    stop(server);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("check value differs"), "{log}");
}
