//! Targets over kms-server's request authentication (the `Authorization`
//! (SDK-HMAC-SHA256) and `X-Sdk-Date` parsers, path and query
//! canonicalisation, the token comparison) and its seed-file parser.

use kms_core::ports::Caller;
use kms_server::{AccessKey, Authenticator, SeedFile, Token};
use kms_sign::OwnedRequest;
use zeroize::Zeroizing;

/// This module's targets.
pub const TARGETS: &[(&str, crate::FuzzFn)] = &[
    ("server_auth_request", server_auth_request),
    ("server_seed_file", server_seed_file),
    ("server_pgpass", server_pgpass),
];

const AK: &str = "FUZZAK00000000000000";
const SK: &str = "fuzz-secret-key-0000000000000000000000";
const TOKEN: &str = "fuzz-token-0123456789abcdef";
/// 2026-12-02T00:00:00Z.
const NOW: i64 = 1_796_169_600;

fn authenticator() -> Authenticator {
    Authenticator::new(
        vec![AccessKey {
            access_key: AK.into(),
            secret_key: Zeroizing::new(SK.into()),
            caller: Caller::new("d", "p"),
        }],
        vec![Token {
            token: Zeroizing::new(TOKEN.into()),
            caller: Caller::new("d", "p"),
        }],
    )
}

/// Fields separated by NUL: method, path, query, `Authorization`,
/// `X-Sdk-Date`, `X-Sdk-Content-Sha256`, `X-Auth-Token`, then the body.
/// An arbitrary request never panics and never authenticates (the fuzzer
/// cannot compute the HMAC; a token passes only if it is the configured
/// one); the same method, path, query and body signed with the real key by
/// `authorization_header` and by `legacy_authorization_header` always
/// authenticate (each scheme's canonicalisation agrees with itself on any
/// input).
pub fn server_auth_request(data: &[u8]) {
    let mut parts = data.splitn(8, |b| *b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (method, path, query) = (text(), text(), text());
    let (authorization, date, claimed, token) = (text(), text(), text(), text());
    let body = parts.next().unwrap_or_default().to_vec();
    let auth = authenticator();

    let mut headers = vec![("host".to_owned(), "kms.example".to_owned())];
    for (name, value) in [
        ("authorization", &authorization),
        ("x-sdk-date", &date),
        ("x-sdk-content-sha256", &claimed),
        ("x-auth-token", &token),
    ] {
        if !value.is_empty() {
            headers.push((name.to_owned(), value.clone()));
        }
    }
    let arbitrary = OwnedRequest {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        headers,
        body: body.clone(),
    };
    let verdict = auth.authenticate(&arbitrary, NOW);
    if token.is_empty() {
        assert!(verdict.is_err(), "an unsigned request authenticated");
    } else {
        assert_eq!(verdict.is_ok(), token == TOKEN, "token verdict");
    }

    let mut signed = OwnedRequest {
        method,
        path,
        query,
        headers: vec![
            ("host".to_owned(), "kms.example".to_owned()),
            ("x-sdk-date".to_owned(), kms_sign::format_sdk_date(NOW)),
        ],
        body,
    };
    let unsigned = signed.clone();
    if let Ok(header) = kms_sign::authorization_header(&signed, AK, SK, &["host", "x-sdk-date"]) {
        signed.headers.push(("authorization".to_owned(), header));
        assert!(
            auth.authenticate(&signed, NOW).is_ok(),
            "a correctly signed request was refused"
        );
    }
    let mut legacy = unsigned;
    if let Ok(header) =
        kms_sign::legacy_authorization_header(&legacy, AK, SK, "", "", &["host", "x-sdk-date"])
    {
        legacy.headers.push(("authorization".to_owned(), header));
        assert!(
            auth.authenticate(&legacy, NOW).is_ok(),
            "a correctly signed legacy request was refused"
        );
    }
}

/// The quoted values given to `key_material` in `text` that are long
/// enough to recognise (16 hex digits or more) and appear nowhere else in
/// it (text elsewhere, an unknown field's name say, may be quoted).
fn material_values(text: &str) -> Vec<&str> {
    text.match_indices("key_material")
        .filter_map(|(at, _)| {
            let rest = &text[at..];
            let open = rest.find('"')?;
            let value = &rest[open + 1..];
            let close = value.find('"')?;
            Some(&value[..close])
        })
        .filter(|v| v.len() >= 16 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .filter(|v| text.matches(v).count() == 1)
        .collect()
}

/// A seed file (`--seed`, TOML): any bytes give a parsed file or an
/// error, never a panic; the error names the file and never repeats key
/// material, and neither does a parsed file's `Debug`.
pub fn server_seed_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new("fuzz-seed.toml");
    let shown = match SeedFile::from_toml(&text, path) {
        Ok(file) => {
            let _ = file.entries();
            let _ = file.holds_key_material();
            format!("{file:?}")
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("seed file fuzz-seed.toml"), "{msg}");
            msg
        }
    };
    for value in material_values(&text) {
        assert!(!shown.contains(value), "key material shown: {shown}");
    }
}

/// A libpq password file (`PGPASSFILE`, `~/.pgpass`): the input's first
/// line names the connection (`host:port:database:user`), the rest is the
/// file. Any bytes give a password or none, never a panic; a password is
/// never longer than the file; a leading `*:*:*:*:` line always wins.
pub fn server_pgpass(data: &[u8]) {
    use kms_store_postgres::pgpass::lookup;
    let text = String::from_utf8_lossy(data);
    let (head, file) = text.split_once('\n').unwrap_or(("", &text));
    let mut fields = head.splitn(4, ':');
    let mut next = || fields.next().unwrap_or("");
    let (host, port, database, user) = (next(), next(), next(), next());
    if let Some(password) = lookup(file, host, port, database, user) {
        assert!(
            password.len() <= file.len(),
            "a password longer than the file"
        );
    }
    let first = format!("*:*:*:*:first\n{file}");
    assert_eq!(
        lookup(&first, host, port, database, user)
            .as_deref()
            .map(String::as_str),
        Some("first")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correct_token_passes_and_a_near_miss_does_not() {
        // Exercised through the target's own assertions.
        server_auth_request(
            b"POST\0/v1.0/p/kms/create-key\0\0\0\0\0fuzz-token-0123456789abcdef\0{}",
        );
        server_auth_request(
            b"POST\0/v1.0/p/kms/create-key\0\0\0\0\0fuzz-token-0123456789abcdeF\0{}",
        );
        server_auth_request(b"GET\0/a%2Fb/\xff\0x=1&y=%zz\0SDK-HMAC-SHA256 Access=FUZZAK00000000000000, SignedHeaders=host;x-sdk-date, Signature=00\x0020261202T000000Z\0\0\0body");
        server_auth_request(b"GET\0/a%2Fb/\xff\0X=1&x=2&x=%zz\0SDK-HMAC-SHA256 Credential=FUZZAK00000000000000/20261202///sdk_request, SignedHeaders=host;x-sdk-date, Signature=00\x0020261202T000000Z\0\0\0body");
    }

    #[test]
    fn seed_files_good_and_bad_never_show_their_material() {
        let material = "00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0";
        assert_eq!(
            material_values(&format!("key_material = \"{material}\"")),
            [material]
        );
        for text in [
            format!(
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_material = \"{material}\"\n"
            ),
            format!(
                "[[projects]]\nproject_id = \"p\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_material = \"{material}\"\nnope = 1\n"
            ),
            format!(
                "[[projects]]\nproject_id = \"\"\n[[projects.keys]]\nkey_id = \"x\"\nkey_alias = \"k\"\nkey_material = \"{material}0\"\n"
            ),
            "\u{0}\u{ff}[[".to_owned(),
        ] {
            server_seed_file(text.as_bytes());
        }
    }
}
