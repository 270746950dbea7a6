//! Huawei Cloud's request signatures, SDK-HMAC-SHA256: the canonical
//! request, the two signing schemes and the `Authorization` header, for the
//! server that verifies them and for clients, tools and tests that make
//! them. Pure: no I/O, no clock (the date is a parameter).
//!
//! Two schemes share the algorithm name and are told apart by the
//! `Authorization` header's first field:
//! - `Access=<AK>`: what the official SDKs v3 send (Python, Go, Node,
//!   Java) and Terraform's provider; the HMAC is keyed with the SK itself.
//! - `Credential=<AK>/<yyyymmdd>/<region>/<service>/sdk_request`: the
//!   legacy scheme of golangsdk's `signer_helper.go` (the Vault/OpenBao
//!   `huaweicloudkms` seal) and huaweicloud-sdk-python 1.x: SigV4-style,
//!   the HMAC key derived from `"SDK"+SK` over the credential scope.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::borrow::Cow;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The signing algorithm name, the prefix of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// SHA-256 of the empty string, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Why a request was not authenticated. The wire answer is the same for
/// every variant (401); the variant is for logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither `Authorization` nor `X-Auth-Token`.
    #[error("no credentials")]
    Missing,
    /// `Authorization` is not a well-formed SDK-HMAC-SHA256 header.
    #[error("malformed Authorization header")]
    Malformed,
    /// The access key or token is not configured.
    #[error("unknown access key or token")]
    UnknownCredential,
    /// `X-Sdk-Date` missing or malformed.
    #[error("missing or malformed X-Sdk-Date")]
    BadDate,
    /// `X-Sdk-Date` more than 15 minutes from now.
    #[error("X-Sdk-Date outside the 15-minute window")]
    Expired,
    /// A header named in SignedHeaders is absent.
    #[error("a signed header is missing")]
    MissingSignedHeader,
    /// The signature does not match.
    #[error("signature mismatch")]
    BadSignature,
    /// `SignedHeaders` leaves out `x-sdk-date`, which every official signer
    /// signs: without it a signature could be replayed with another date.
    #[error("SignedHeaders must include x-sdk-date")]
    RequiredHeaderNotSigned,
    /// `X-Sdk-Content-Sha256` is not the SHA-256 of the body received
    /// (`UNSIGNED-PAYLOAD` included): the body must always be signed.
    #[error("X-Sdk-Content-Sha256 does not match the body")]
    PayloadHashMismatch,
    /// A legacy `Credential=` scope that is malformed or whose date is not
    /// the date of `X-Sdk-Date`.
    #[error("credential scope malformed or not of X-Sdk-Date's day")]
    BadCredentialScope,
}

/// Headers every signature must cover. Not `host`: the Go SDK v3 and
/// Terraform's provider never sign it, and the real gateway accepts them.
pub const REQUIRED_SIGNED_HEADERS: [&str; 1] = ["x-sdk-date"];

/// The last field of a legacy credential scope.
pub const LEGACY_SCOPE_TERMINATOR: &str = "sdk_request";

/// The request as the verifier needs it. Header lookup is
/// case-insensitive and returns the first value.
pub trait SignedRequest {
    /// `GET`, `POST`, ...
    fn method(&self) -> &str;
    /// The raw path, as sent (still percent-encoded).
    fn path(&self) -> &str;
    /// The raw query string without `?` (empty when none).
    fn query(&self) -> &str;
    /// A header's value.
    fn header(&self, name: &str) -> Option<&str>;
    /// The exact body bytes.
    fn body(&self) -> &[u8];
}

/// A request held in owned parts, for clients and tools that sign or
/// verify requests outside an HTTP stack (the `presign` example, tests).
/// Header names match case-insensitively; the first of a name wins.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OwnedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The raw path.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl SignedRequest for OwnedRequest {
    fn method(&self) -> &str {
        &self.method
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn query(&self) -> &str {
        &self.query
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
}

/// An HMAC-SHA256 keyed with a secret key as the SDKs key it.
///
/// # Errors
/// Never in practice (HMAC takes keys of any length).
pub fn keyed_mac(secret_key: &str) -> Result<Hmac<Sha256>, AuthError> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret_key.as_bytes())
        .map_err(|_| AuthError::Malformed)
}

/// An `Authorization` header, parsed (nothing verified yet).
pub struct ParsedAuthorization<'a> {
    /// The access key.
    pub access: &'a str,
    /// Which scheme, with the legacy scheme's credential scope.
    pub scheme: Scheme<'a>,
    /// `SignedHeaders`, lower-cased.
    pub signed_headers: Vec<Cow<'a, str>>,
    /// `Signature`, hex.
    pub signature: &'a str,
}

/// Which of the two SDK-HMAC-SHA256 schemes a header uses.
pub enum Scheme<'a> {
    /// `Access=<AK>`: the HMAC keyed with the SK.
    Access,
    /// `Credential=<AK>/<scope>`: the legacy derived-key scheme.
    Credential(CredentialScope<'a>),
}

/// The legacy scheme's credential scope,
/// `<yyyymmdd>/<region>/<service>/sdk_request` (region and service may be
/// empty: the 2021 golangsdk leaves both empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    /// The signing day, `yyyymmdd`.
    pub date: &'a str,
    /// The region the key was derived for (may be empty).
    pub region: &'a str,
    /// The service the key was derived for (may be empty).
    pub service: &'a str,
}

/// Splits `<AK>/<yyyymmdd>/<region>/<service>/sdk_request`.
fn parse_credential(v: &str) -> Result<(&str, CredentialScope<'_>), AuthError> {
    let mut it = v.split('/');
    let (Some(access), Some(date), Some(region), Some(service), Some(end), None) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return Err(AuthError::BadCredentialScope);
    };
    if end != LEGACY_SCOPE_TERMINATOR
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AuthError::BadCredentialScope);
    }
    Ok((
        access,
        CredentialScope {
            date,
            region,
            service,
        },
    ))
}

/// Parses an `Authorization` header of either scheme.
///
/// # Errors
/// Not `SDK-HMAC-SHA256`, a field missing, repeated or malformed, a bad
/// credential scope.
pub fn parse_authorization(v: &str) -> Result<ParsedAuthorization<'_>, AuthError> {
    let rest = v
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(AuthError::Malformed)?;
    let (mut access, mut credential, mut signed, mut sig) = (None, None, None, None);
    for part in rest.split(',') {
        let part = part.trim_ascii();
        if let Some(x) = part.strip_prefix("Access=") {
            access = Some(x);
        } else if let Some(x) = part.strip_prefix("Credential=") {
            credential = Some(x);
        } else if let Some(x) = part.strip_prefix("SignedHeaders=") {
            signed = Some(x);
        } else if let Some(x) = part.strip_prefix("Signature=") {
            sig = Some(x);
        }
    }
    let (access, scheme) = match (access, credential) {
        (Some(a), None) => (a, Scheme::Access),
        (None, Some(c)) => {
            let (a, scope) = parse_credential(c)?;
            (a, Scheme::Credential(scope))
        }
        // Neither, or both (which one would be meant is not ours to guess).
        _ => return Err(AuthError::Malformed),
    };
    let (Some(signed), Some(signature)) = (signed, sig) else {
        return Err(AuthError::Malformed);
    };
    if access.is_empty() || signed.is_empty() || signature.len() != 64 {
        return Err(AuthError::Malformed);
    }
    let mut signed_headers: Vec<Cow<'_, str>> = signed
        .split(';')
        .map(|h| {
            let h = h.trim_ascii();
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(h.to_ascii_lowercase())
            } else {
                Cow::Borrowed(h)
            }
        })
        .collect();
    if signed_headers.iter().any(|h| h.is_empty()) {
        return Err(AuthError::Malformed);
    }
    signed_headers.sort();
    signed_headers.dedup();
    if !REQUIRED_SIGNED_HEADERS
        .iter()
        .all(|r| signed_headers.iter().any(|h| h == r))
    {
        return Err(AuthError::RequiredHeaderNotSigned);
    }
    Ok(ParsedAuthorization {
        access,
        scheme,
        signed_headers,
        signature,
    })
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
#[must_use]
pub fn parse_sdk_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`.
#[must_use]
pub fn format_sdk_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Lower-case hex (constant time: it also encodes the expected signature).
pub fn hex_lower(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

fn from_hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s` (invalid escapes are kept literally). `plus` turns
/// `+` into a space, as query strings do.
#[must_use]
pub fn percent_decode(s: &str, plus: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (from_hex_digit(b[i + 1]), from_hex_digit(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Percent-encodes everything but `A-Za-z0-9-_.~`, upper-case hex.
fn encode_unreserved(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in bytes {
        if unreserved(c) {
            out.push(char::from(c));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0x0f)]));
        }
    }
}

/// Whether `b` is kept as it is by [`encode_unreserved`].
const fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Writes the canonical URI of `path`: each segment percent-decoded and
/// re-encoded, with a trailing `/`.
fn write_canonical_uri(path: &str, out: &mut impl Sink) {
    let b = path.as_bytes();
    if b.iter().all(|&c| unreserved(c) || c == b'/') {
        // Decoding and re-encoding leave such a path as it is (every API
        // path the SDK sends): no copy.
        out.put(path);
        if b.last() != Some(&b'/') {
            out.put("/");
        }
        return;
    }
    let mut s = String::with_capacity(path.len() + 1);
    let mut first = true;
    for seg in path.split('/') {
        if !first {
            s.push('/');
        }
        first = false;
        encode_unreserved(&percent_decode(seg, false), &mut s);
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    out.put(&s);
}

/// Writes the legacy scheme's canonical URI (golangsdk `signer_helper.go`):
/// the whole path percent-decoded, a leading and a trailing `/` added, then
/// encoded keeping `/` and `A-Za-z0-9-_.~`. It differs from
/// [`write_canonical_uri`] only for an encoded `/` inside a segment.
fn write_legacy_canonical_uri(path: &str, out: &mut impl Sink) {
    let decoded = percent_decode(path, false);
    let mut s = String::with_capacity(decoded.len() + 2);
    if decoded.first() != Some(&b'/') {
        s.push('/');
    }
    for chunk in decoded.split(|&b| b == b'/').enumerate() {
        if chunk.0 > 0 {
            s.push('/');
        }
        encode_unreserved(chunk.1, &mut s);
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    out.put(&s);
}

/// The legacy scheme's canonical query (golangsdk `encodeQueryString`): the
/// first value of each distinct (decoded) name, names encoded then sorted
/// without regard to case, `name=value` joined by `&`.
fn legacy_canonical_query(query: &str) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for p in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let k = percent_decode(k, true);
        if !pairs.iter().any(|(seen, _)| *seen == k) {
            pairs.push((k, percent_decode(v, true)));
        }
    }
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::new(), String::new());
            encode_unreserved(k, &mut ek);
            encode_unreserved(v, &mut ev);
            (ek, ev)
        })
        .collect();
    encoded.sort_by_cached_key(|(k, _)| k.to_ascii_lowercase());
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Writes a header value as the legacy signer does: runs of white space
/// collapsed to one space (the value arrives trimmed: HTTP strips the
/// white space around a field value).
fn write_collapsed(value: &str, out: &mut impl Sink) {
    let value = value.trim_ascii();
    if !value.bytes().any(|b| b.is_ascii_whitespace() && b != b' ') && !value.contains("  ") {
        out.put(value);
        return;
    }
    let mut s = String::with_capacity(value.len());
    let mut in_space = false;
    for c in value.chars() {
        // Go's RE2 `\s`: tab, newline, form feed, carriage return, space.
        if matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r') {
            if !in_space {
                s.push(' ');
            }
            in_space = true;
        } else {
            s.push(c);
            in_space = false;
        }
    }
    out.put(&s);
}

/// The canonicalisation rules of a scheme.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Canon {
    /// The SDKs v3 (`Access=`).
    Sdk,
    /// golangsdk's `signer_helper.go` (`Credential=`).
    Legacy,
}

fn canonical_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_unreserved(k, &mut out);
        out.push('=');
        encode_unreserved(v, &mut out);
    }
    out
}

/// Where a canonical request is written: a `String` (tools, tests) or,
/// when verifying, straight into its SHA-256 ([`BufferedSha256`]) without
/// being assembled.
trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// SHA-256 fed through a stack buffer: the canonical request is written in
/// some thirty short pieces, hashed in a few long updates (a short update
/// costs about what a long one does).
struct BufferedSha256 {
    hash: Sha256,
    buf: [u8; 512],
    len: usize,
}

impl BufferedSha256 {
    fn new() -> Self {
        Self {
            hash: Sha256::new(),
            buf: [0; 512],
            len: 0,
        }
    }

    fn finalize(mut self) -> [u8; 32] {
        self.hash.update(&self.buf[..self.len]);
        self.hash.finalize().into()
    }
}

impl Sink for BufferedSha256 {
    fn put(&mut self, s: &str) {
        let b = s.as_bytes();
        if b.len() > self.buf.len() - self.len {
            self.hash.update(&self.buf[..self.len]);
            self.len = 0;
            if b.len() > self.buf.len() {
                self.hash.update(b);
                return;
            }
        }
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }
}

/// Each name of `signed_headers` with its value in `req`, looked up once:
/// what the canonical request covers, for a verifier that checks the
/// headers before the body arrives and signs over them after.
///
/// # Errors
/// [`AuthError::MissingSignedHeader`] when a signed header is absent.
pub fn signed_header_values<'r, H: AsRef<str>>(
    req: &'r impl SignedRequest,
    signed_headers: &[H],
) -> Result<Vec<&'r str>, AuthError> {
    signed_headers
        .iter()
        .map(|name| {
            req.header(name.as_ref())
                .ok_or(AuthError::MissingSignedHeader)
        })
        .collect()
}

/// Writes the canonical request of SDK-HMAC-SHA256 (see `contract.md`)
/// under `canon`'s rules for the URI, the query and header values;
/// `values[i]` is the value of `signed_headers[i]`.
fn write_canonical_request<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    values: &[&str],
    canon: Canon,
    out: &mut impl Sink,
) -> Result<(), AuthError> {
    if values.len() != signed_headers.len() {
        return Err(AuthError::MissingSignedHeader);
    }
    out.put(req.method());
    out.put("\n");
    match canon {
        Canon::Sdk => write_canonical_uri(req.path(), out),
        Canon::Legacy => write_legacy_canonical_uri(req.path(), out),
    }
    out.put("\n");
    let query = req.query();
    if !query.is_empty() {
        out.put(&match canon {
            Canon::Sdk => canonical_query(query),
            Canon::Legacy => legacy_canonical_query(query),
        });
    }
    out.put("\n");
    for (name, value) in signed_headers.iter().zip(values) {
        out.put(name.as_ref());
        out.put(":");
        match canon {
            Canon::Sdk => out.put(value.trim()),
            Canon::Legacy => write_collapsed(value, out),
        }
        out.put("\n");
    }
    out.put("\n");
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.put(";");
        }
        out.put(name.as_ref());
    }
    out.put("\n");
    let mut hex = [0u8; 64];
    out.put(payload_hash(req, &mut hex)?);
    Ok(())
}

/// The canonical request of SDK-HMAC-SHA256 (see `contract.md`).
///
/// # Errors
/// [`AuthError::MissingSignedHeader`] when a signed header is absent.
pub fn canonical_request<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
) -> Result<String, AuthError> {
    let values = signed_header_values(req, signed_headers)?;
    let mut c = String::with_capacity(512);
    write_canonical_request(req, signed_headers, &values, Canon::Sdk, &mut c)?;
    Ok(c)
}

/// The payload hash that is signed: always the SHA-256 of the body
/// received. The SDK may send it as `X-Sdk-Content-Sha256`; the header is
/// then checked against the body, never trusted in its place, so a signed
/// request cannot be replayed with another body (`UNSIGNED-PAYLOAD` is
/// refused for the same reason). `buf` holds the hex when it is computed.
///
/// # Errors
/// [`AuthError::PayloadHashMismatch`] when the header is present and is not
/// the body's hash.
pub fn payload_hash<'r>(
    req: &'r impl SignedRequest,
    buf: &'r mut [u8; 64],
) -> Result<&'r str, AuthError> {
    let actual: &str = if req.body().is_empty() {
        EMPTY_SHA256
    } else {
        base16ct::lower::encode_str(&Sha256::digest(req.body()), buf)
            .map_err(|_| AuthError::Malformed)?
    };
    match req.header("x-sdk-content-sha256") {
        // The signer hashed the header's literal text; it names this body.
        Some(claimed) if claimed.trim().eq_ignore_ascii_case(actual) => Ok(claimed),
        Some(_) => Err(AuthError::PayloadHashMismatch),
        None => Ok(actual),
    }
}

/// The HMAC-SHA256 tag of `req` under `mac` (keyed with the secret key):
/// the canonical request is hashed as it is written, the string to sign is
/// fed to the MAC in pieces.
///
/// # Errors
/// A signed header missing, a claimed payload hash that is not the body's.
pub fn signature_tag<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    sdk_date: &str,
    mac: Hmac<Sha256>,
) -> Result<[u8; 32], AuthError> {
    let values = signed_header_values(req, signed_headers)?;
    signature_tag_of(req, signed_headers, &values, sdk_date, mac)
}

/// [`signature_tag`] over header values already looked up
/// ([`signed_header_values`]): `values[i]` is `signed_headers[i]`'s.
///
/// # Errors
/// `values` not one per signed header, a claimed payload hash that is not
/// the body's.
pub fn signature_tag_of<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    values: &[&str],
    sdk_date: &str,
    mut mac: Hmac<Sha256>,
) -> Result<[u8; 32], AuthError> {
    let mut hash = BufferedSha256::new();
    write_canonical_request(req, signed_headers, values, Canon::Sdk, &mut hash)?;
    let mut hex = [0u8; 64];
    let canonical_hex = base16ct::lower::encode_str(&hash.finalize(), &mut hex)
        .map_err(|_| AuthError::Malformed)?;
    for piece in [ALGORITHM, "\n", sdk_date, "\n", canonical_hex] {
        mac.update(piece.as_bytes());
    }
    Ok(mac.finalize().into_bytes().into())
}

/// One step of the legacy key derivation: HMAC-SHA256 of `data` under
/// `mac`'s key, kept in a buffer wiped on drop.
fn derive_step(mac: Hmac<Sha256>, data: &str) -> Zeroizing<[u8; 32]> {
    let mut mac = mac;
    mac.update(data.as_bytes());
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// The HMAC keyed with a derived key (32 bytes: HMAC takes any length).
fn mac_over(key: &[u8; 32]) -> Result<Hmac<Sha256>, AuthError> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| AuthError::Malformed)
}

/// The legacy scheme's tag of `req`: the signing key derived from
/// `sdk_mac` (keyed with `"SDK"+SK`) over the scope's date, region,
/// service and `sdk_request`; the string to sign is `SDK-HMAC-SHA256`, the
/// date-time, the scope and the hex SHA-256 of the canonical request, one
/// a line.
///
/// # Errors
/// A signed header missing, a claimed payload hash that is not the body's.
pub fn legacy_signature_tag<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    sdk_date: &str,
    scope: &CredentialScope<'_>,
    sdk_mac: Hmac<Sha256>,
) -> Result<[u8; 32], AuthError> {
    let values = signed_header_values(req, signed_headers)?;
    legacy_signature_tag_of(req, signed_headers, &values, sdk_date, scope, sdk_mac)
}

/// [`legacy_signature_tag`] over header values already looked up
/// ([`signed_header_values`]): `values[i]` is `signed_headers[i]`'s.
///
/// # Errors
/// `values` not one per signed header, a claimed payload hash that is not
/// the body's.
pub fn legacy_signature_tag_of<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    values: &[&str],
    sdk_date: &str,
    scope: &CredentialScope<'_>,
    sdk_mac: Hmac<Sha256>,
) -> Result<[u8; 32], AuthError> {
    let k_date = derive_step(sdk_mac, scope.date);
    let k_region = derive_step(mac_over(&k_date)?, scope.region);
    let k_service = derive_step(mac_over(&k_region)?, scope.service);
    let k_signing = derive_step(mac_over(&k_service)?, LEGACY_SCOPE_TERMINATOR);
    let mut hash = BufferedSha256::new();
    write_canonical_request(req, signed_headers, values, Canon::Legacy, &mut hash)?;
    let mut hex = [0u8; 64];
    let canonical_hex = base16ct::lower::encode_str(&hash.finalize(), &mut hex)
        .map_err(|_| AuthError::Malformed)?;
    let mut mac = mac_over(&k_signing)?;
    for piece in [
        ALGORITHM,
        "\n",
        sdk_date,
        "\n",
        scope.date,
        "/",
        scope.region,
        "/",
        scope.service,
        "/",
        LEGACY_SCOPE_TERMINATOR,
        "\n",
        canonical_hex,
    ] {
        mac.update(piece.as_bytes());
    }
    Ok(mac.finalize().into_bytes().into())
}

/// The lower-case hex signature of `req` under `secret_key`.
///
/// # Errors
/// [`AuthError::MissingSignedHeader`] when a signed header is absent.
pub fn signature<H: AsRef<str>>(
    req: &impl SignedRequest,
    signed_headers: &[H],
    sdk_date: &str,
    secret_key: &str,
) -> Result<String, AuthError> {
    Ok(hex_lower(&signature_tag(
        req,
        signed_headers,
        sdk_date,
        keyed_mac(secret_key)?,
    )?))
}

/// Header names as a signer lists them: lower case, sorted, once each.
fn sorted_names(signed_headers: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Builds the `Authorization` header value for `req` (test clients and
/// tools), signing `signed_headers` (lower case).
///
/// # Errors
/// A signed header is missing or `X-Sdk-Date` is absent.
pub fn authorization_header(
    req: &impl SignedRequest,
    access_key: &str,
    secret_key: &str,
    signed_headers: &[&str],
) -> Result<String, AuthError> {
    let names = sorted_names(signed_headers);
    let date = req.header("x-sdk-date").ok_or(AuthError::BadDate)?;
    let sig = signature(req, &names, date, secret_key)?;
    Ok(format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={sig}",
        names.join(";")
    ))
}

/// Builds a legacy `Credential=` `Authorization` header value for `req`
/// (test clients and tools), as golangsdk's `signer_helper.go` signs:
/// the key derived for `X-Sdk-Date`'s day, `region` and `service` (both
/// empty for the 2021 golangsdk), signing `signed_headers` (lower case).
///
/// # Errors
/// A signed header is missing, `X-Sdk-Date` is absent or malformed, or the
/// region or service holds a `/`.
pub fn legacy_authorization_header(
    req: &impl SignedRequest,
    access_key: &str,
    secret_key: &str,
    region: &str,
    service: &str,
    signed_headers: &[&str],
) -> Result<String, AuthError> {
    let names = sorted_names(signed_headers);
    let date = req.header("x-sdk-date").ok_or(AuthError::BadDate)?;
    parse_sdk_date(date).ok_or(AuthError::BadDate)?;
    let day = date.get(..8).ok_or(AuthError::BadDate)?;
    if region.contains('/') || service.contains('/') {
        return Err(AuthError::BadCredentialScope);
    }
    let scope = CredentialScope {
        date: day,
        region,
        service,
    };
    let mut key = Zeroizing::new(Vec::with_capacity(3 + secret_key.len()));
    key.extend_from_slice(b"SDK");
    key.extend_from_slice(secret_key.as_bytes());
    let sdk_mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(&key).map_err(|_| AuthError::Malformed)?;
    let tag = legacy_signature_tag(req, &names, date, &scope, sdk_mac)?;
    Ok(format!(
        "{ALGORITHM} Credential={access_key}/{day}/{region}/{service}/{LEGACY_SCOPE_TERMINATOR}, SignedHeaders={}, Signature={}",
        names.join(";"),
        hex_lower(&tag)
    ))
}

/// The canonical URI of a path as the SDK signers make it: each segment
/// percent-decoded and re-encoded (unreserved characters kept), with a
/// trailing `/`.
#[must_use]
pub fn canonical_uri(path: &str) -> String {
    let mut s = String::new();
    write_canonical_uri(path, &mut s);
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_sdk_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_sdk_date("20240101T000000Z"), Some(1_704_067_200));
        assert_eq!(format_sdk_date(1_704_067_200), "20240101T000000Z");
        assert_eq!(format_sdk_date(951_825_599), "20000229T115959Z");
        assert_eq!(parse_sdk_date("20000229T115959Z"), Some(951_825_599));
        for bad in [
            "",
            "20240101T000000",
            "2024010 T000000Z",
            "20241301T000000Z",
            "2024010aT000000Z",
        ] {
            assert_eq!(parse_sdk_date(bad), None, "{bad}");
        }
    }

    /// The decode-and-re-encode definition, segment by segment, without
    /// the fast path for paths that need no encoding.
    fn canonical_uri_by_definition(path: &str) -> String {
        let mut s = String::new();
        for (i, seg) in path.split('/').enumerate() {
            if i > 0 {
                s.push('/');
            }
            encode_unreserved(&percent_decode(seg, false), &mut s);
        }
        if !s.ends_with('/') {
            s.push('/');
        }
        s
    }

    proptest::proptest! {
        #[test]
        fn canonical_uri_fast_path_matches_the_definition(
            path in "(/|[a-zA-Z0-9._~-]|%[0-9a-fA-F]{0,2}|[ :+@]){0,40}"
        ) {
            proptest::prop_assert_eq!(canonical_uri(&path), canonical_uri_by_definition(&path));
        }
    }

    #[test]
    fn uri_and_query_canonicalisation() {
        assert_eq!(
            canonical_uri("/v1.0/p/kms/create-pin"),
            "/v1.0/p/kms/create-pin/"
        );
        assert_eq!(canonical_uri("/a%20b/c:d/"), "/a%20b/c%3Ad/");
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("offset=0&limit=10"), "limit=10&offset=0");
        assert_eq!(canonical_query("name=a+b&x=%2f"), "name=a%20b&x=%2F");
        assert_eq!(percent_decode("%", false), b"%");
        assert_eq!(percent_decode("%4", false), b"%4");
        assert_eq!(percent_decode("%41", false), b"A");
    }

    #[test]
    fn legacy_canonical_uri_decodes_the_whole_path() {
        let uri = |p: &str| {
            let mut s = String::new();
            write_legacy_canonical_uri(p, &mut s);
            s
        };
        assert_eq!(uri("/v1.0/p/kms/describe-key"), "/v1.0/p/kms/describe-key/");
        assert_eq!(uri("/a%2Fb/c:d"), "/a/b/c%3Ad/");
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(legacy_canonical_query("b=2&A=1&a=3"), "A=1&a=3&b=2");
    }

    /// The buffered hash is SHA-256 of the concatenation, whatever the
    /// pieces' sizes: empty, short, filling the buffer exactly, longer
    /// than it, crossing it.
    #[test]
    fn buffered_hash_is_the_hash_of_the_pieces() {
        let text: String = (0..3000u32)
            .map(|i| char::from(b'a' + u8::try_from(i % 26).unwrap_or(0)))
            .collect();
        let cuts: [&[usize]; 5] = [
            &[0, 1, 511, 0, 1, 700, 3],
            &[512, 512, 1, 511],
            &[513, 2000],
            &[30; 90],
            &[3000],
        ];
        for sizes in cuts {
            let (mut buffered, mut whole, mut at) = (BufferedSha256::new(), Sha256::new(), 0);
            for &n in sizes {
                let end = (at + n).min(text.len());
                buffered.put(&text[at..end]);
                whole.update(&text.as_bytes()[at..end]);
                at = end;
            }
            assert_eq!(buffered.finalize(), <[u8; 32]>::from(whole.finalize()));
        }
    }
}
