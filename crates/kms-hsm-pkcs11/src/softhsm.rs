//! Throw-away SoftHSM2 tokens for tests (feature `test-support`).
//!
//! [`SoftHsm::setup`] writes a SoftHSM2 configuration whose token
//! directory is a fresh temporary directory and initialises tokens with
//! `softhsm2-util`. SoftHSM reads `SOFTHSM2_CONF` once per process, at
//! `C_Initialize`, and this workspace forbids the `unsafe` that setting an
//! environment variable in-process takes, so [`in_child`] runs a test's
//! body in a child process of the test binary with the variable set.
//! When the module is not installed it returns `Ok(None)` after a loud
//! message, unless `CI=true`, where that is an error: CI installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian and Ubuntu install the SoftHSM2 module.
pub const MODULE_CANDIDATES: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// The user PIN of the tokens [`SoftHsm::init_token`] creates.
pub const USER_PIN: &str = "1234";
/// Their security officer PIN.
pub const SO_PIN: &str = "5678";

/// The installed SoftHSM2 module, if any (`SOFTHSM2_MODULE` overrides).
#[must_use]
pub fn module() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOFTHSM2_MODULE") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    MODULE_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A SoftHSM2 configuration over a temporary token directory.
#[derive(Debug)]
pub struct SoftHsm {
    dir: tempfile::TempDir,
    module: PathBuf,
    conf: PathBuf,
}

impl SoftHsm {
    /// Sets SoftHSM2 up in a new temporary directory and points this
    /// process's `SOFTHSM2_CONF` at it.
    ///
    /// # Errors
    /// SoftHSM2 is missing and `CI=true`, or the directory cannot be written.
    pub fn setup() -> Result<Option<Self>, String> {
        let Some(module) = module() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                return Err("SoftHSM2 is not installed (CI=true requires it: \
                     apt-get install softhsm2 opensc)"
                    .to_owned());
            }
            eprintln!(
                "\n!!!!!!!! SKIPPED: SoftHSM2 is not installed (apt-get install softhsm2 opensc); \
                 the PKCS#11 tests did not run !!!!!!!!\n"
            );
            return Ok(None);
        };
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).map_err(|e| e.to_string())?;
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        Ok(Some(Self { dir, module, conf }))
    }

    /// The module path.
    #[must_use]
    pub fn module(&self) -> &Path {
        &self.module
    }

    /// The configuration file (the value for `SOFTHSM2_CONF`).
    #[must_use]
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// The token directory.
    #[must_use]
    pub fn token_dir(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    /// The temporary directory everything lives in.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Initialises a token labelled `label` (user PIN [`USER_PIN`]) with
    /// `softhsm2-util`.
    ///
    /// # Errors
    /// `softhsm2-util` is missing or fails.
    pub fn init_token(&self, label: &str) -> Result<(), String> {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &self.conf)
            .args(["--init-token", "--free", "--label", label])
            .args(["--pin", USER_PIN, "--so-pin", SO_PIN])
            .output()
            .map_err(|e| format!("softhsm2-util: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "softhsm2-util --init-token failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// Set in the child process [`in_child`] starts: the name of the test it runs.
pub const CHILD_ENV: &str = "KMS_SOFTHSM_CHILD";
/// How long a child may run before it is killed as hung.
pub const CHILD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs the test `name` (a top-level test of the calling test binary) in a
/// child process with `SOFTHSM2_CONF` set to a fresh [`SoftHsm`] holding
/// tokens labelled `labels`. In the child, returns `Ok(true)`: the caller
/// runs the test body. In the parent, returns `Ok(false)` once the child
/// passed (or when SoftHSM2 is missing outside CI, after a loud message).
///
/// # Errors
/// The set-up failed, or the child failed or hung (its output included).
pub fn in_child(name: &str, labels: &[&str]) -> Result<bool, String> {
    if std::env::var(CHILD_ENV).is_ok_and(|v| v == name) {
        return Ok(true);
    }
    let Some(hsm) = SoftHsm::setup()? else {
        return Ok(false);
    };
    for label in labels {
        hsm.init_token(label)?;
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("SOFTHSM2_CONF", hsm.conf())
        .env(CHILD_ENV, name)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning the test child: {e}"))?;
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > CHILD_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("test child {name} hung for {CHILD_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{text}");
    if !out.status.success() {
        return Err(format!("test child {name} failed"));
    }
    if !text.contains("1 passed") {
        return Err(format!("test child {name} did not run the test"));
    }
    Ok(false)
}
