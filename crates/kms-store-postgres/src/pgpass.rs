//! libpq's password file, which tokio-postgres does not read: `PGPASSFILE`,
//! else `~/.pgpass`, lines `hostname:port:database:username:password`
//! where a field that is exactly `*` matches anything and `\` escapes `:`
//! and `\`; the first matching line wins; lines starting with `#` are
//! comments. As libpq, the file is refused unless group and others have
//! no access to it (libpq ignores it with a warning; here the start fails
//! and says why, rather than connecting without the password).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::Error;

/// Where the password file is: `PGPASSFILE`, else `$HOME/.pgpass`.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".pgpass"))
}

/// The remainder of `line` after its first field when that field matches
/// `value` (`None` when it does not): libpq's `pwdfMatchesString`.
fn field_matches<'a>(line: &'a [u8], value: &[u8]) -> Option<&'a [u8]> {
    if let [b'*', b':', rest @ ..] = line {
        return Some(rest);
    }
    let mut i = 0;
    let mut v = 0;
    while i < line.len() {
        let mut escaped = false;
        if line[i] == b'\\' {
            i += 1;
            escaped = true;
            if i == line.len() {
                return None;
            }
        }
        if line[i] == b':' && !escaped && v == value.len() {
            return Some(&line[i + 1..]);
        }
        if v == value.len() || line[i] != value[v] {
            return None;
        }
        i += 1;
        v += 1;
    }
    None
}

/// The password of the first line of `text` that matches the connection
/// (`host`, `port`, `database`, `user`), de-escaped, up to its first
/// unescaped `:`. Total: any text gives a password or `None`.
#[must_use]
pub fn lookup(
    text: &str,
    host: &str,
    port: &str,
    database: &str,
    user: &str,
) -> Option<Zeroizing<String>> {
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let Some(rest) = field_matches(line, host.as_bytes())
            .and_then(|r| field_matches(r, port.as_bytes()))
            .and_then(|r| field_matches(r, database.as_bytes()))
            .and_then(|r| field_matches(r, user.as_bytes()))
        else {
            continue;
        };
        let mut password = Zeroizing::new(Vec::with_capacity(rest.len()));
        let mut i = 0;
        while i < rest.len() && rest[i] != b':' {
            if rest[i] == b'\\' && i + 1 < rest.len() {
                i += 1;
            }
            password.push(rest[i]);
            i += 1;
        }
        // Only ASCII backslashes were dropped from UTF-8 text: still UTF-8.
        return std::str::from_utf8(&password)
            .ok()
            .map(|p| Zeroizing::new(p.to_owned()));
    }
    None
}

/// The password for the connection from the password file at `path`, if
/// the file exists and has a matching line.
///
/// # Errors
/// The file exists but cannot be read, is not UTF-8, or group or others
/// have any access to it.
pub(crate) fn lookup_in_file(
    path: &Path,
    host: &str,
    port: &str,
    database: &str,
    user: &str,
) -> Result<Option<Zeroizing<String>>, Error> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Config(format!(
                "password file {}: {e}",
                path.display()
            )));
        }
    };
    let meta = f
        .metadata()
        .map_err(|e| Error::Config(format!("password file {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(Error::Config(format!(
            "password file {} is not a plain file",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(Error::Config(format!(
                "password file {} has mode {mode:04o}: group and others must have no access \
                 (chmod 600 {})",
                path.display(),
                path.display()
            )));
        }
    }
    let mut text = Zeroizing::new(String::new());
    f.read_to_string(&mut text)
        .map_err(|e| Error::Config(format!("password file {}: {e}", path.display())))?;
    Ok(lookup(&text, host, port, database, user))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn pw(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
        lookup(text, host, port, db, user).map(|p| p.to_string())
    }

    #[test]
    fn first_matching_line_wins_with_wildcards() {
        let text = "# comment\n\
                    db.example:5432:kms:kms:first\n\
                    *:5432:kms:kms:second\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            pw(text, "db.example", "5432", "kms", "kms").as_deref(),
            Some("first")
        );
        assert_eq!(
            pw(text, "other", "5432", "kms", "kms").as_deref(),
            Some("second")
        );
        assert_eq!(
            pw(text, "other", "5433", "kms", "kms").as_deref(),
            Some("fallback")
        );
        assert_eq!(
            pw("db:5432:kms:kms:x\n", "db", "5432", "kms", "other"),
            None
        );
        // A partial match is no match.
        assert_eq!(pw("db:5432:kms:kms:x\n", "d", "5432", "kms", "kms"), None);
        assert_eq!(pw("db:5432:kms:kms:x\n", "dbx", "5432", "kms", "kms"), None);
        // `*` is a wildcard only as the whole field.
        assert_eq!(pw("d*:5432:kms:kms:x\n", "db", "5432", "kms", "kms"), None);
        assert_eq!(
            pw("d*:5432:kms:kms:x\n", "d*", "5432", "kms", "kms").as_deref(),
            Some("x")
        );
    }

    #[test]
    fn escapes_and_line_ends() {
        // `\:` and `\\` in fields and in the password; CRLF; the password
        // ends at its first unescaped colon.
        let text = "h\\:1:5432:d\\\\b:u:p\\:a\\\\ss:ignored\r\n";
        assert_eq!(
            pw(text, "h:1", "5432", "d\\b", "u").as_deref(),
            Some("p:a\\ss")
        );
        // An escaped `*` is a literal star.
        assert_eq!(
            pw("\\*:5432:d:u:x\n", "*", "5432", "d", "u").as_deref(),
            Some("x")
        );
        assert_eq!(pw("\\*:5432:d:u:x\n", "h", "5432", "d", "u"), None);
        // Too few fields, an empty password, a trailing backslash.
        assert_eq!(pw("h:5432:d\n", "h", "5432", "d", "u"), None);
        assert_eq!(
            pw("h:5432:d:u:\n", "h", "5432", "d", "u").as_deref(),
            Some("")
        );
        assert_eq!(
            pw("h:5432:d:u:ab\\", "h", "5432", "d", "u").as_deref(),
            Some("ab\\")
        );
        assert_eq!(pw("h:5432:d:u\\", "h", "5432", "d", "u"), None);
        assert_eq!(pw("", "h", "5432", "d", "u"), None);
    }

    #[test]
    fn a_readable_file_is_refused_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        assert!(
            lookup_in_file(&path, "h", "5432", "d", "u")
                .unwrap()
                .is_none()
        );
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = lookup_in_file(&path, "h", "5432", "d", "u").unwrap_err();
            assert!(e.to_string().contains("mode 0644"), "{e}");
            assert!(!e.to_string().contains("secret"), "{e}");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(
            lookup_in_file(&path, "h", "5432", "d", "u")
                .unwrap()
                .unwrap()
                .as_str(),
            "secret"
        );
    }
}
