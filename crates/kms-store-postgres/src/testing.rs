//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary
//! directory, `pg_ctl start` on a free loopback port with trust
//! authentication, stopped (immediately) and removed on drop.
//!
//! The binaries are found on `PATH`, else in the newest
//! `/usr/lib/postgresql/*/bin` (Debian's layout), or in `$KMS_PG_BIN`.
//! `initdb` refuses to run as root: as root, the cluster runs as the
//! `postgres` user (else `nobody`) through `runuser`, and its directory is
//! handed to that user.

use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The PostgreSQL server binaries' directory, if any is installed.
#[must_use]
pub fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KMS_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").is_file().then_some(dir);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// A running (or stopped) throwaway cluster. Connect with [`PgCluster::url`].
#[derive(Debug)]
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// `Some(user)` when running as root: the cluster runs as `user`.
    run_as: Option<String>,
}

/// The superuser `initdb` creates (trust authentication, no password).
pub const USER: &str = "kms";

fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // /proc/self belongs to the process's effective user.
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// `(uid, gid)` of `user` from /etc/passwd.
fn ids_of(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        (f.next()? == user).then_some(())?;
        let _ = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn check(what: &str, out: &Output) -> io::Result<()> {
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

impl PgCluster {
    /// Creates and starts a cluster with the binaries of `bin`
    /// ([`find_bin_dir`]).
    ///
    /// # Errors
    /// A binary fails (its output is in the error), or no port is free.
    pub fn start(bin: &Path) -> io::Result<Self> {
        let root = is_root();
        let mut builder = tempfile::Builder::new();
        builder.prefix("kms-pg-");
        // As root, the server's user must reach the directory: /tmp is
        // world-traversable, a root-only $TMPDIR may not be.
        let dir = if root {
            builder.tempdir_in("/tmp")?
        } else {
            builder.tempdir()?
        };
        let run_as = if root {
            let user = ["postgres", "nobody"]
                .into_iter()
                .find(|u| ids_of(u).is_some())
                .ok_or_else(|| io::Error::other("running as root and no postgres/nobody user"))?;
            #[cfg(unix)]
            {
                let (uid, gid) = ids_of(user).unwrap_or((65534, 65534));
                std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
            }
            Some(user.to_owned())
        } else {
            None
        };
        let cluster = Self {
            dir,
            bin: bin.to_path_buf(),
            port: free_port()?,
            run_as,
        };
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"])
            .arg("--no-instructions")
            .output()?;
        check("initdb", &out)?;
        cluster.resume()?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The server log (for diagnostics).
    #[must_use]
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    /// The loopback port it listens on.
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://kms@127.0.0.1:<port>/postgres`.
    #[must_use]
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The URL of another database of the cluster.
    #[must_use]
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server (fast shutdown: sessions are terminated, committed
    /// data is kept).
    ///
    /// # Errors
    /// `pg_ctl stop` failed.
    pub fn stop(&self) -> io::Result<()> {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output()?;
        check("pg_ctl stop", &out)
    }

    /// Turns TLS on with this certificate chain and key (PEM), then
    /// restarts the server. With `require`, connections without TLS are
    /// refused (`pg_hba.conf` then has only `hostssl` lines), so a
    /// connection that succeeds is encrypted.
    ///
    /// # Errors
    /// A file cannot be written or the server does not restart.
    pub fn enable_tls(&self, cert_pem: &str, key_pem: &str, require: bool) -> io::Result<()> {
        use std::io::Write;
        self.stop()?;
        let data = self.data();
        // The server checks that only its user can read its key.
        let key = data.join("server.key");
        let _ = std::fs::remove_file(&key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(&key)?.write_all(key_pem.as_bytes())?;
        let cert = data.join("server.crt");
        std::fs::write(&cert, cert_pem)?;
        #[cfg(unix)]
        if let Some((uid, gid)) = self.run_as.as_deref().and_then(ids_of) {
            std::os::unix::fs::chown(&key, Some(uid), Some(gid))?;
            std::os::unix::fs::chown(&cert, Some(uid), Some(gid))?;
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?
            .write_all(
                b"\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
            )?;
        if require {
            // Rewritten in place: the file keeps its owner.
            std::fs::write(
                data.join("pg_hba.conf"),
                "hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
            )?;
        }
        self.resume()
    }

    /// Sets the password of the superuser [`USER`] (while logins are still
    /// trusted). A password holding `'` is refused.
    ///
    /// # Errors
    /// The statement failed, or the password holds a quote.
    pub fn set_password(&self, password: &str) -> io::Result<()> {
        if password.contains('\'') {
            return Err(io::Error::other("test passwords may not hold a quote"));
        }
        self.execute(&format!("ALTER ROLE {USER} PASSWORD '{password}'"))
    }

    /// Runs `sql` (one or more statements) on the default database as the
    /// superuser, as a test that reaches past the store does.
    ///
    /// # Errors
    /// The connection or a statement failed.
    pub fn execute(&self, sql: &str) -> io::Result<()> {
        let url = self.url();
        let sql = sql.to_owned();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .map_err(io::Error::other)?;
            tokio::spawn(conn);
            client.batch_execute(&sql).await.map_err(io::Error::other)
        })
    }

    /// From now on TCP logins need the user's password (scram-sha-256):
    /// rewrites `pg_hba.conf` and reloads (the reload takes effect shortly
    /// after this returns). Set a password first (`ALTER ROLE`).
    ///
    /// # Errors
    /// The file cannot be written or `pg_ctl reload` failed.
    pub fn require_passwords(&self) -> io::Result<()> {
        let data = self.data();
        // Rewritten in place: the file keeps its owner.
        std::fs::write(
            data.join("pg_hba.conf"),
            "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n",
        )?;
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(data)
            .arg("reload")
            .output()?;
        check("pg_ctl reload", &out)
    }

    /// Freezes the running server (SIGSTOP to the postmaster and every
    /// backend): connections stay open and nothing answers, as a database
    /// stalled on its disk or the network. [`PgCluster::thaw`] resumes it.
    ///
    /// # Errors
    /// The postmaster's pid cannot be read, or `kill`/`pkill` fail.
    pub fn freeze(&self) -> io::Result<()> {
        self.signal_all("-STOP")
    }

    /// Resumes a [`PgCluster::freeze`]d server.
    ///
    /// # Errors
    /// As [`PgCluster::freeze`].
    pub fn thaw(&self) -> io::Result<()> {
        self.signal_all("-CONT")
    }

    fn signal_all(&self, signal: &str) -> io::Result<()> {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid"))?;
        let pid = pid_file
            .lines()
            .next()
            .map(str::trim)
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| io::Error::other("no pid in postmaster.pid"))?;
        // Children first, so that no backend answers while the postmaster
        // is already stopped. pkill exits 1 when there is no child.
        let out = Command::new("pkill").args([signal, "-P", pid]).output()?;
        if !matches!(out.status.code(), Some(0 | 1)) {
            check("pkill", &out)?;
        }
        check("kill", &Command::new("kill").args([signal, pid]).output()?)
    }

    /// Starts the (stopped) server again on the same port.
    ///
    /// # Errors
    /// `pg_ctl start` failed.
    pub fn resume(&self) -> io::Result<()> {
        // Only TCP on loopback: no Unix socket (its directory would need
        // to be writable by the server's user).
        let opts = format!(
            "-p {} -h 127.0.0.1 -k '' -c max_connections=400 -c fsync=off",
            self.port
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log_path())
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()?;
        check("pg_ctl start", &out)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A started cluster for the test `test`, or `Ok(None)` (after saying so on
/// stderr) when PostgreSQL is not installed. Under `CI=true` a missing
/// PostgreSQL is an error instead: CI installs it, so a skip there would
/// hide a broken setup.
///
/// # Errors
/// PostgreSQL is missing under `CI=true`, or the cluster does not start.
pub fn cluster_or_skip(test: &str) -> io::Result<Option<PgCluster>> {
    match find_bin_dir() {
        Some(bin) => PgCluster::start(&bin).map(Some),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => Err(io::Error::other(format!(
            "{test}: PostgreSQL binaries (initdb, pg_ctl) not found and CI=true: install postgresql"
        ))),
        None => {
            eprintln!(
                "SKIPPED {test}: PostgreSQL binaries (initdb, pg_ctl) not found on PATH, in \
                 /usr/lib/postgresql/*/bin or $KMS_PG_BIN; install postgresql to run it"
            );
            Ok(None)
        }
    }
}
