//! Authentication: SDK-HMAC-SHA256 request signatures and `X-Auth-Token`
//! tokens, both resolved against the server's configured credentials.
//!
//! Two signature schemes share the algorithm name and are told apart by
//! the `Authorization` header's first field:
//! - `Access=<AK>`: what the official SDKs v3 send (Python, Go, Node,
//!   Java) and Terraform's provider; the HMAC is keyed with the SK itself.
//! - `Credential=<AK>/<yyyymmdd>/<region>/<service>/sdk_request`: the
//!   legacy scheme of golangsdk's `signer_helper.go` (the Vault/OpenBao
//!   `huaweicloudkms` seal) and huaweicloud-sdk-python 1.x: SigV4-style,
//!   the HMAC key derived from `"SDK"+SK` over the credential scope, which
//!   the string to sign repeats.
//!
//! Both need `x-sdk-date` signed and neither needs `host` (the Go SDK and
//! Terraform never sign it; `docs/threat-model.md` says what that means).
//! Both bind the body the same way and end in the same constant-time
//! compare.
//!
//! The verifier takes "now" as a parameter so that signed vectors with a
//! fixed `X-Sdk-Date` can be checked.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit};
use kms_core::ports::Caller;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

#[allow(clippy::wildcard_imports, unused_imports)]
use kms_sign::*;
use kms_sign::{AuthError, SignedRequest};

use crate::config::{Config, ConfigError};
use crate::iam::IssuedTokens;

/// How far `X-Sdk-Date` may be from the server's clock, in seconds.
pub(crate) const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;

/// What [`Authenticator::precheck`] decides before a body is read.
#[derive(Debug)]
pub enum Precheck<'r, 'a> {
    /// A token: the caller is known.
    Caller(Arc<Caller>),
    /// A signature whose header-level checks passed: its body is to be
    /// read (within the server's budget for unauthenticated bodies), then
    /// the signature verified by [`Authenticator::finish_signature`].
    Signature(PendingSignature<'r, 'a>),
}

/// A signature whose header-level checks passed, with what they read (the
/// parsed `Authorization`, the key, the date, each signed header's value),
/// so that verifying it once the body is in reads no header twice. Not an
/// authentication.
pub struct PendingSignature<'r, 'a> {
    parsed: ParsedAuthorization<'r>,
    key: &'a KeyEntry,
    date: &'r str,
    values: Vec<&'r str>,
}

impl fmt::Debug for PendingSignature<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSignature")
            .field("access_key", &self.parsed.access)
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// An AK/SK pair and the tenant it acts for. Not `Clone`: the secret key
/// exists once, zeroized on drop.
#[derive(PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id (public).
    pub access_key: String,
    /// The secret key (HMAC key: its UTF-8 bytes).
    pub secret_key: Zeroizing<String>,
    /// Who the key acts as.
    pub caller: Caller,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("caller", &self.caller)
            .finish()
    }
}

/// A static token and the tenant it acts for. Not `Clone`, zeroized on drop.
#[derive(PartialEq, Eq)]
pub struct Token {
    /// The token (secret).
    pub token: Zeroizing<String>,
    /// Who the token acts as.
    pub caller: Caller,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token", &"<redacted>")
            .field("caller", &self.caller)
            .finish()
    }
}

/// The configured credentials. Not `Clone`: share it behind an `Arc`.
#[derive(Default)]
pub struct Authenticator {
    keys: Vec<KeyEntry>,
    tokens: Vec<TokenEntry>,
    /// Tokens the IAM front issued (`POST /v3/auth/tokens`), consulted
    /// after the configured ones by [`Self::authenticate_caller`].
    issued: Option<Arc<IssuedTokens>>,
}

/// An access key as the verifier keeps it: the HMAC keyed once with the
/// secret key (its inner and outer padded states), cloned per request, so
/// a signature does not hash the key's two padding blocks again. The keyed
/// state stands for the secret key and is wiped on drop, as is each
/// per-request clone (checked at build time below); the secret key's text
/// is not kept.
struct KeyEntry {
    access_key: String,
    mac: Hmac<Sha256>,
    /// The HMAC keyed with `"SDK"+SK`, the root of the legacy scheme's
    /// derived keys.
    legacy_mac: Hmac<Sha256>,
    /// Shared, so a request takes the caller by a reference count instead
    /// of copying its strings.
    caller: Arc<Caller>,
}

// The keyed HMAC stands in for the secret key. `Hmac` does not declare
// `ZeroizeOnDrop` itself, but all it holds does: its inner and outer
// SHA-256 states and its block buffer (`sha2`'s and `hmac`'s `zeroize`
// features). The build fails if either stops wiping itself on drop.
const _: () = {
    use hmac::digest::zeroize::ZeroizeOnDrop;
    const fn zeroized_on_drop<T: ZeroizeOnDrop + ?Sized>() {}
    zeroized_on_drop::<<Sha256 as hmac::EagerHash>::Core>();
    zeroized_on_drop::<hmac::digest::block_api::Buffer<hmac::block_api::HmacCore<Sha256>>>();
};

struct TokenEntry {
    token: Zeroizing<String>,
    caller: Arc<Caller>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field(
                "access_keys",
                &self
                    .keys
                    .iter()
                    .map(|k| (&k.access_key, &*k.caller))
                    .collect::<Vec<_>>(),
            )
            .field(
                "tokens",
                &self
                    .tokens
                    .iter()
                    .map(|t| ("<redacted>", &*t.caller))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Authenticator {
    /// An authenticator over these credentials.
    #[must_use]
    pub fn new(keys: Vec<AccessKey>, tokens: Vec<Token>) -> Self {
        Self {
            // HMAC takes a key of any length (a long one is hashed first);
            // a key it refused would fail closed, as an unknown access key.
            keys: keys
                .into_iter()
                .filter_map(|k| {
                    let mut legacy_key = Zeroizing::new(Vec::with_capacity(3 + k.secret_key.len()));
                    legacy_key.extend_from_slice(b"SDK");
                    legacy_key.extend_from_slice(k.secret_key.as_bytes());
                    Some(KeyEntry {
                        mac: keyed_mac(&k.secret_key).ok()?,
                        legacy_mac: <Hmac<Sha256> as KeyInit>::new_from_slice(&legacy_key).ok()?,
                        access_key: k.access_key,
                        caller: Arc::new(k.caller),
                    })
                })
                .collect(),
            tokens: tokens
                .into_iter()
                .map(|t| TokenEntry {
                    token: t.token,
                    caller: Arc::new(t.caller),
                })
                .collect(),
            issued: None,
        }
    }

    /// The same credentials, and also the project-scoped tokens `issued`
    /// holds while they live (see [`Self::authenticate_caller`]).
    #[must_use]
    pub fn with_issued_tokens(mut self, issued: Arc<IssuedTokens>) -> Self {
        self.issued = Some(issued);
        self
    }

    /// [`Self::authenticate_with_clock`], then, for an `X-Auth-Token` that
    /// is not a configured one, the tokens issued by the IAM front. The
    /// caller is owned: an issued token can expire or be evicted while the
    /// request runs.
    ///
    /// # Errors
    /// Why the request is not authenticated.
    pub fn authenticate_caller(
        &self,
        req: &impl SignedRequest,
        now_unix: impl FnOnce() -> i64,
    ) -> Result<Arc<Caller>, AuthError> {
        match self.authenticate_with_clock(req, now_unix) {
            Ok(caller) => Ok(Arc::clone(caller)),
            Err(AuthError::UnknownCredential) => req
                .header("x-auth-token")
                .and_then(|t| self.issued.as_ref()?.caller(t))
                .ok_or(AuthError::UnknownCredential),
            Err(e) => Err(e),
        }
    }

    /// Authenticates a request at time `now_unix` (seconds): `X-Auth-Token`
    /// if present, else the SDK-HMAC-SHA256 `Authorization` header.
    ///
    /// # Errors
    /// Why the request is not authenticated.
    pub fn authenticate(
        &self,
        req: &impl SignedRequest,
        now_unix: i64,
    ) -> Result<&Arc<Caller>, AuthError> {
        self.authenticate_with_clock(req, || now_unix)
    }

    /// [`Self::authenticate`], reading the clock only when a signature's
    /// date has to be checked (a token needs no clock).
    ///
    /// # Errors
    /// Why the request is not authenticated.
    pub fn authenticate_with_clock(
        &self,
        req: &impl SignedRequest,
        now_unix: impl FnOnce() -> i64,
    ) -> Result<&Arc<Caller>, AuthError> {
        if let Some(token) = req.header("x-auth-token") {
            return self.token(token);
        }
        match req.header("authorization") {
            Some(auth) => self.verify_signature(req, auth, now_unix),
            None => Err(AuthError::Missing),
        }
    }

    fn token(&self, presented: &str) -> Result<&Arc<Caller>, AuthError> {
        // Compare against every token so timing does not reveal which
        // prefix matched or how many tokens exist before the match.
        let mut found = None;
        for t in &self.tokens {
            if bool::from(t.token.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(&t.caller);
            }
        }
        found.ok_or(AuthError::UnknownCredential)
    }

    /// The checks a signature's headers allow before its body is read: a
    /// well-formed `Authorization`, a configured access key, `X-Sdk-Date`
    /// within the window (and a legacy scope of its day), every signed
    /// header present (its value kept for the canonical request).
    fn signature_head<'r>(
        &self,
        req: &'r impl SignedRequest,
        authorization: &'r str,
        now_unix: impl FnOnce() -> i64,
    ) -> Result<PendingSignature<'r, '_>, AuthError> {
        let parsed = parse_authorization(authorization)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.access_key == parsed.access)
            .ok_or(AuthError::UnknownCredential)?;
        let date = req.header("x-sdk-date").ok_or(AuthError::BadDate)?;
        let signed_at = parse_sdk_date(date).ok_or(AuthError::BadDate)?;
        if (now_unix() - signed_at).abs() > MAX_CLOCK_SKEW_SECS {
            return Err(AuthError::Expired);
        }
        // The scope's day is the signature's day (SigV4's rule): a key
        // derived for one day signs nothing dated another.
        if let Scheme::Credential(scope) = &parsed.scheme
            && date.get(..8) != Some(scope.date)
        {
            return Err(AuthError::BadCredentialScope);
        }
        let values = signed_header_values(req, &parsed.signed_headers)?;
        Ok(PendingSignature {
            parsed,
            key,
            date,
            values,
        })
    }

    /// What can be decided before the body is read: a token's caller (it
    /// needs no body), or that a signature's headers pass
    /// [`Self::authenticate_caller`]'s checks that do not involve the
    /// body (the body's hash is signed, so the signature itself waits for
    /// it: [`Self::finish_signature`]). A refusal here is final;
    /// `Precheck::Signature` is not an authentication.
    ///
    /// # Errors
    /// Why the request is not authenticated.
    pub fn precheck<'r>(
        &self,
        req: &'r impl SignedRequest,
        now_unix: impl FnOnce() -> i64,
    ) -> Result<Precheck<'r, '_>, AuthError> {
        if req.header("x-auth-token").is_some() {
            return self
                .authenticate_caller(req, now_unix)
                .map(Precheck::Caller);
        }
        let authorization = req.header("authorization").ok_or(AuthError::Missing)?;
        self.signature_head(req, authorization, now_unix)
            .map(Precheck::Signature)
    }

    /// Verifies a signature [`Self::precheck`] let through against the
    /// whole request, `req` (the same request, its body read): the method,
    /// path, query and body are read from `req`, the signed headers'
    /// values are the ones the precheck read.
    ///
    /// # Errors
    /// A claimed payload hash that is not the body's, a signature that
    /// does not match.
    pub fn finish_signature(
        &self,
        pending: &PendingSignature<'_, '_>,
        req: &impl SignedRequest,
    ) -> Result<Arc<Caller>, AuthError> {
        Self::verify(pending, req).map(Arc::clone)
    }

    fn verify<'a>(
        pending: &PendingSignature<'_, 'a>,
        req: &impl SignedRequest,
    ) -> Result<&'a Arc<Caller>, AuthError> {
        let PendingSignature {
            parsed,
            key,
            date,
            values,
        } = pending;
        let expected = match &parsed.scheme {
            Scheme::Access => {
                signature_tag_of(req, &parsed.signed_headers, values, date, key.mac.clone())?
            }
            Scheme::Credential(scope) => legacy_signature_tag_of(
                req,
                &parsed.signed_headers,
                values,
                date,
                scope,
                key.legacy_mac.clone(),
            )?,
        };
        // Hex of either case, decoded in constant time; `parse_authorization`
        // checked it is 64 characters.
        let mut presented = [0u8; 32];
        let decoded = base16ct::mixed::decode(parsed.signature, &mut presented)
            .map_err(|_| AuthError::BadSignature)?;
        if bool::from(expected.as_slice().ct_eq(decoded)) {
            Ok(&key.caller)
        } else {
            Err(AuthError::BadSignature)
        }
    }

    fn verify_signature<'r>(
        &self,
        req: &'r impl SignedRequest,
        authorization: &'r str,
        now_unix: impl FnOnce() -> i64,
    ) -> Result<&Arc<Caller>, AuthError> {
        let pending = self.signature_head(req, authorization, now_unix)?;
        Self::verify(&pending, req)
    }
}

/// `caller` acting as `user_id` when the configuration names one.
///
/// # Errors
/// A `user_id` no grant could name (not `^[a-zA-Z0-9]{1,64}$`).
fn with_user(caller: Caller, user_id: Option<&String>) -> Result<Caller, ConfigError> {
    match user_id {
        Some(u) => {
            kms_model::Principal::parse("user_id", u)
                .map_err(|e| ConfigError::Invalid(format!("{e} (user_id {u:?})")))?;
            Ok(caller.with_user(u))
        }
        None => Ok(caller),
    }
}

impl Config {
    /// The credentials as an [`Authenticator`].
    ///
    /// # Errors
    /// An empty or duplicate access key or token.
    pub fn authenticator(&self) -> Result<Authenticator, ConfigError> {
        let mut keys: Vec<AccessKey> = Vec::new();
        for c in &self.credentials {
            if c.access_key.is_empty() || c.secret_key.is_empty() {
                return Err(ConfigError::Invalid(
                    "empty access_key or secret_key".into(),
                ));
            }
            if keys.iter().any(|k| k.access_key == c.access_key) {
                return Err(ConfigError::Invalid(format!(
                    "access key {} configured twice",
                    c.access_key
                )));
            }
            keys.push(AccessKey {
                access_key: c.access_key.clone(),
                secret_key: zeroize::Zeroizing::new(c.secret_key.clone()),
                caller: with_user(Caller::new(&c.domain_id, &c.project_id), c.user_id.as_ref())?,
            });
        }
        let mut tokens: Vec<Token> = Vec::new();
        for t in &self.tokens {
            if t.token.len() < 16 {
                return Err(ConfigError::Invalid(
                    "tokens must be at least 16 characters".into(),
                ));
            }
            if tokens.iter().any(|x| *x.token == t.token) {
                return Err(ConfigError::Invalid("a token is configured twice".into()));
            }
            tokens.push(Token {
                token: zeroize::Zeroizing::new(t.token.clone()),
                caller: with_user(Caller::new(&t.domain_id, &t.project_id), t.user_id.as_ref())?,
            });
        }
        Ok(Authenticator::new(keys, tokens))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use hmac::Mac;
    use sha2::Digest;

    #[test]
    fn streamed_signature_matches_the_assembled_canonical_request() {
        let body = br#"{"key_id":"k"}"#;
        let req = signed(body, ALL, &[]);
        let names: Vec<String> = ALL.iter().map(|h| (*h).to_owned()).collect();
        let date = req.header("x-sdk-date").unwrap();
        let canonical = canonical_request(&req, &names).unwrap();
        let string_to_sign = format!(
            "{ALGORITHM}\n{date}\n{}",
            hex_lower(&Sha256::digest(canonical.as_bytes()))
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"SK").unwrap();
        mac.update(string_to_sign.as_bytes());
        assert_eq!(
            signature(&req, &names, date, "SK").unwrap(),
            hex_lower(&mac.finalize().into_bytes())
        );
    }

    type Req = OwnedRequest;

    /// A POST to decrypt-datakey with these headers and body.
    fn request(headers: Vec<(&str, String)>, body: &[u8]) -> Req {
        OwnedRequest {
            method: "POST".into(),
            path: "/v1.0/p/kms/decrypt-datakey".into(),
            query: String::new(),
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            body: body.to_vec(),
        }
    }

    const NOW: i64 = 1_704_067_200;

    fn auth() -> Authenticator {
        auth_with("SK", &[])
    }

    /// Access key `AK` with secret key `sk`, and `tokens`, all acting for
    /// `Caller::new("d", "p")`.
    fn auth_with(sk: &str, tokens: &[&str]) -> Authenticator {
        Authenticator::new(
            vec![AccessKey {
                access_key: "AK".into(),
                secret_key: Zeroizing::new(sk.into()),
                caller: Caller::new("d", "p"),
            }],
            tokens
                .iter()
                .map(|t| Token {
                    token: Zeroizing::new((*t).into()),
                    caller: Caller::new("d", "p"),
                })
                .collect(),
        )
    }

    /// A request signed over `signed`, with `extra` headers sent (and, when
    /// named in `signed`, signed) too.
    fn signed(body: &[u8], signed: &[&str], extra: &[(&'static str, &str)]) -> Req {
        signed_by("SK", body, signed, extra)
    }

    /// [`signed`] under secret key `sk`.
    fn signed_by(sk: &str, body: &[u8], signed: &[&str], extra: &[(&'static str, &str)]) -> Req {
        let mut req = request(
            vec![
                ("host", "127.0.0.1:8080".into()),
                ("x-sdk-date", format_sdk_date(NOW)),
                ("content-type", "application/json".into()),
            ],
            body,
        );
        for (k, v) in extra {
            req.headers.push(((*k).to_owned(), (*v).to_owned()));
        }
        let a = authorization_header(&req, "AK", sk, signed).unwrap();
        req.headers.push(("authorization".into(), a));
        req
    }

    const ALL: &[&str] = &["content-type", "host", "x-sdk-date"];

    #[test]
    fn a_signed_body_cannot_be_swapped_with_a_claimed_hash() {
        let original = br#"{"key_id":"a","cipher_text":"00"}"#;
        let claimed = hex_lower(&Sha256::digest(original));
        let req = signed(
            original,
            &["content-type", "host", "x-sdk-content-sha256", "x-sdk-date"],
            &[("x-sdk-content-sha256", &claimed)],
        );
        assert_eq!(
            auth().authenticate(&req, NOW).map(|c| &c.project_id),
            Ok(&"p".to_owned())
        );
        // The replay: same headers (the claimed hash included), other body.
        let replay = Req {
            body: br#"{"key_id":"b","cipher_text":"11"}"#.to_vec(),
            ..req
        };
        assert_eq!(
            auth().authenticate(&replay, NOW),
            Err(AuthError::PayloadHashMismatch)
        );
        // An upper-case claim that names the body is what the signer hashed.
        let upper = claimed.to_ascii_uppercase();
        let req = signed(original, ALL, &[("x-sdk-content-sha256", &upper)]);
        assert!(auth().authenticate(&req, NOW).is_ok());
    }

    /// The server's two steps: the headers checked before the body is read
    /// (`precheck`, over the request with no body yet), the signature once
    /// it is (`finish_signature`), agree with `authenticate` in one step,
    /// for both schemes, and the body still decides.
    #[test]
    fn precheck_then_finish_is_authenticate() {
        let body = br#"{"key_id":"a","cipher_text":"00"}"#;
        let mut legacy = request(
            vec![
                ("x-sdk-date", format_sdk_date(NOW)),
                ("content-type", "application/json".into()),
            ],
            body,
        );
        let a = legacy_authorization_header(
            &legacy,
            "AK",
            "SK",
            "r",
            "kms",
            &["content-type", "x-sdk-date"],
        )
        .unwrap();
        legacy.headers.push(("authorization".into(), a));
        for req in [signed(body, ALL, &[]), legacy] {
            let auth = auth();
            let head = Req {
                body: Vec::new(),
                ..req.clone()
            };
            let Ok(Precheck::Signature(pending)) = auth.precheck(&head, || NOW) else {
                panic!("the headers pass");
            };
            let caller = auth.finish_signature(&pending, &req).unwrap();
            assert_eq!(&caller, auth.authenticate(&req, NOW).unwrap());
            let other = Req {
                body: br#"{"key_id":"b","cipher_text":"11"}"#.to_vec(),
                ..req.clone()
            };
            assert_eq!(
                auth.finish_signature(&pending, &other),
                Err(AuthError::BadSignature)
            );
            assert_eq!(auth.authenticate(&other, NOW), Err(AuthError::BadSignature));
        }
        // Refusals the headers decide come before the body.
        let mut missing = signed(body, ALL, &[]);
        missing.headers.retain(|(k, _)| k != "host");
        assert!(matches!(
            auth().precheck(&missing, || NOW),
            Err(AuthError::MissingSignedHeader)
        ));
        assert!(matches!(
            auth().precheck(&signed(body, ALL, &[]), || NOW + 3600),
            Err(AuthError::Expired)
        ));
    }

    /// Signs `req` the way a client that trusts its own payload claim
    /// would: the literal `payload` in place of the body's hash.
    fn sign_with_payload_literal(req: &mut Req, payload: &str) {
        let names = ["content-type", "host", "x-sdk-content-sha256", "x-sdk-date"];
        let mut c = format!("POST\n{}\n\n", canonical_uri(req.path()));
        for n in names {
            c.push_str(&format!("{n}:{}\n", req.header(n).unwrap()));
        }
        c.push_str(&format!("\n{}\n{payload}", names.join(";")));
        let sts = format!(
            "{ALGORITHM}\n{}\n{}",
            format_sdk_date(NOW),
            hex_lower(&Sha256::digest(c.as_bytes()))
        );
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"SK").unwrap();
        mac.update(sts.as_bytes());
        let sig = hex_lower(&mac.finalize().into_bytes());
        req.headers.push((
            "authorization".into(),
            format!(
                "{ALGORITHM} Access=AK, SignedHeaders={}, Signature={sig}",
                names.join(";")
            ),
        ));
    }

    #[test]
    fn unsigned_payload_is_refused() {
        for body in [&b"{}"[..], b""] {
            let mut req = request(
                vec![
                    ("host", "127.0.0.1:8080".into()),
                    ("x-sdk-date", format_sdk_date(NOW)),
                    ("content-type", "application/json".into()),
                    ("x-sdk-content-sha256", "UNSIGNED-PAYLOAD".into()),
                ],
                body,
            );
            sign_with_payload_literal(&mut req, "UNSIGNED-PAYLOAD");
            assert_eq!(
                auth().authenticate(&req, NOW),
                Err(AuthError::PayloadHashMismatch)
            );
        }
        // The same construction over the real hash is accepted, so the
        // refusal above is about the claim, not the test's signer.
        let mut req = request(
            vec![
                ("host", "127.0.0.1:8080".into()),
                ("x-sdk-date", format_sdk_date(NOW)),
                ("content-type", "application/json".into()),
                ("x-sdk-content-sha256", EMPTY_SHA256.into()),
            ],
            b"",
        );
        sign_with_payload_literal(&mut req, EMPTY_SHA256);
        assert!(auth().authenticate(&req, NOW).is_ok());
    }

    #[test]
    fn the_date_must_be_signed_and_host_need_not_be() {
        assert!(auth().authenticate(&signed(b"{}", ALL, &[]), NOW).is_ok());
        // The Go SDK v3 and Terraform's provider never sign host; the real
        // gateway accepts them.
        assert!(
            auth()
                .authenticate(&signed(b"{}", &["content-type", "x-sdk-date"], &[]), NOW)
                .is_ok()
        );
        for signed_set in [&["content-type", "host"][..], &["content-type"][..]] {
            let req = signed(b"{}", signed_set, &[]);
            assert_eq!(
                auth().authenticate(&req, NOW),
                Err(AuthError::RequiredHeaderNotSigned),
                "{signed_set:?}"
            );
        }
        // Case and order of SignedHeaders do not matter.
        let mut req = signed(b"{}", ALL, &[]);
        let a = req.headers.pop().unwrap().1;
        let a = a.replace(
            "content-type;host;x-sdk-date",
            "X-Sdk-Date;Host;Content-Type",
        );
        req.headers.push(("authorization".into(), a));
        assert!(auth().authenticate(&req, NOW).is_ok());
    }

    /// What the Go SDK v3 (`core/auth/signer`, as sops and sigstore use
    /// it) sends: only its own header map signed, `Content-Type` with a
    /// charset and unsigned, a body ending in the JSON encoder's newline.
    #[test]
    fn go_sdk_v3_signature_without_host_is_accepted() {
        let body = b"{\"key_id\":\"k\",\"datakey_length\":\"256\"}\n";
        let mut req = request(
            vec![
                ("host", "127.0.0.1:8080".into()),
                ("user-agent", "huaweicloud-usdk-go/3.0".into()),
                ("x-project-id", "p".into()),
                ("x-sdk-date", format_sdk_date(NOW)),
                ("content-type", "application/json;charset=UTF-8".into()),
            ],
            body,
        );
        let a = authorization_header(
            &req,
            "AK",
            "SK",
            &["user-agent", "x-project-id", "x-sdk-date"],
        )
        .unwrap();
        assert!(
            a.contains("SignedHeaders=user-agent;x-project-id;x-sdk-date,"),
            "{a}"
        );
        req.headers.push(("authorization".into(), a));
        assert!(auth().authenticate(&req, NOW).is_ok());
        // The body is still bound: one byte more is refused.
        let mut tampered = req.clone();
        tampered.body.push(b' ');
        assert_eq!(
            auth().authenticate(&tampered, NOW),
            Err(AuthError::BadSignature)
        );
        // And so is the project header it signed.
        let mut other = req;
        other.headers[2].1 = "q".into();
        assert_eq!(
            auth().authenticate(&other, NOW),
            Err(AuthError::BadSignature)
        );
    }

    /// Terraform's provider (chnsz/golangsdk, `Access=` form) signs
    /// `accept;content-type;user-agent;x-sdk-date`.
    #[test]
    fn terraform_provider_signature_without_host_is_accepted() {
        let req = signed(
            b"{}",
            &["accept", "content-type", "user-agent", "x-sdk-date"],
            &[
                ("accept", "application/json"),
                ("user-agent", "terraform-provider-huaweicloud"),
            ],
        );
        assert!(auth().authenticate(&req, NOW).is_ok());
    }

    /// The legacy scheme computed by assembling its strings, as
    /// golangsdk's `signer_helper.go` does, independently of the streamed
    /// verifier: derived key, scope line, canonical request.
    #[allow(clippy::too_many_arguments)]
    fn legacy_reference(
        method: &str,
        canonical_uri: &str,
        canonical_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        date: &str,
        region: &str,
        service: &str,
        sk: &str,
    ) -> String {
        let hmac = |key: &[u8], data: &str| -> Vec<u8> {
            let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        };
        let mut canonical = format!("{method}\n{canonical_uri}\n{canonical_query}\n");
        for (k, v) in headers {
            canonical.push_str(&format!("{k}:{v}\n"));
        }
        let names: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        canonical.push_str(&format!(
            "\n{}\n{}",
            names.join(";"),
            hex_lower(&Sha256::digest(body))
        ));
        let day = &date[..8];
        let scope = format!("{day}/{region}/{service}/sdk_request");
        let sts = format!(
            "SDK-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex_lower(&Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(format!("SDK{sk}").as_bytes(), day);
        let k = hmac(&k, region);
        let k = hmac(&k, service);
        let k = hmac(&k, "sdk_request");
        hex_lower(&hmac(&k, &sts))
    }

    #[test]
    fn legacy_signature_matches_the_assembled_reference() {
        let date = format_sdk_date(NOW);
        let body = br#"{"key_id":"k","cipher_text":"00"}"#;
        for (region, service) in [("", ""), ("cn-north-4", "kms")] {
            let mut req = request(
                vec![
                    ("host", "127.0.0.1:8080".into()),
                    ("x-sdk-date", date.clone()),
                    ("content-type", "application/json".into()),
                    ("user-agent", "golangsdk  \t 2021".into()),
                ],
                body,
            );
            req.query = "Name=a+b&limit=10&name=x&limit=20".into();
            let a = legacy_authorization_header(
                &req,
                "AK",
                "SK",
                region,
                service,
                &["content-type", "host", "user-agent", "x-sdk-date"],
            )
            .unwrap();
            let reference = legacy_reference(
                "POST",
                "/v1.0/p/kms/decrypt-datakey/",
                // First value per name, names sorted without regard to case.
                "limit=10&Name=a%20b&name=x",
                &[
                    ("content-type", "application/json"),
                    ("host", "127.0.0.1:8080"),
                    ("user-agent", "golangsdk 2021"),
                    ("x-sdk-date", &date),
                ],
                body,
                &date,
                region,
                service,
                "SK",
            );
            assert_eq!(
                a,
                format!(
                    "SDK-HMAC-SHA256 Credential=AK/{}/{region}/{service}/sdk_request, \
                     SignedHeaders=content-type;host;user-agent;x-sdk-date, Signature={reference}",
                    &date[..8]
                )
            );
            req.headers.push(("authorization".into(), a));
            assert_eq!(
                **auth().authenticate(&req, NOW).unwrap(),
                Caller::new("d", "p"),
                "{region}/{service}"
            );
        }
    }

    /// A legacy-signed request, region and service empty as the 2021
    /// golangsdk signs.
    fn legacy_signed(body: &[u8], signed: &[&str], date: &str) -> Req {
        let mut req = request(
            vec![
                ("host", "127.0.0.1:8080".into()),
                ("x-sdk-date", date.into()),
                ("content-type", "application/json".into()),
            ],
            body,
        );
        let a = legacy_authorization_header(&req, "AK", "SK", "", "", signed).unwrap();
        req.headers.push(("authorization".into(), a));
        req
    }

    #[test]
    fn legacy_signatures_are_held_to_the_same_rules() {
        let date = format_sdk_date(NOW);
        let good = legacy_signed(b"{}", ALL, &date);
        assert!(auth().authenticate(&good, NOW).is_ok());
        // The body is bound, a claimed hash included.
        let mut swapped = good.clone();
        swapped.body = b"{\"a\":1}".to_vec();
        assert_eq!(
            auth().authenticate(&swapped, NOW),
            Err(AuthError::BadSignature)
        );
        let mut claimed = swapped.clone();
        claimed
            .headers
            .push(("x-sdk-content-sha256".into(), "UNSIGNED-PAYLOAD".into()));
        assert_eq!(
            auth().authenticate(&claimed, NOW),
            Err(AuthError::PayloadHashMismatch)
        );
        // The same 15-minute window.
        assert_eq!(
            auth().authenticate(&good, NOW + MAX_CLOCK_SKEW_SECS + 1),
            Err(AuthError::Expired)
        );
        // The date must be signed.
        let unsigned_date = legacy_signed(b"{}", &["content-type", "host"], &date);
        assert_eq!(
            auth().authenticate(&unsigned_date, NOW),
            Err(AuthError::RequiredHeaderNotSigned)
        );
        // Another secret key's signature.
        let a = auth_with("SK2", &[]);
        assert_eq!(a.authenticate(&good, NOW), Err(AuthError::BadSignature));
        // A scope of another day than X-Sdk-Date.
        let mut other_day = good.clone();
        let h = other_day.headers.pop().unwrap().1;
        other_day.headers.push((
            "authorization".into(),
            h.replace(&format!("/{}/", &date[..8]), "/20231231/"),
        ));
        assert_eq!(
            auth().authenticate(&other_day, NOW),
            Err(AuthError::BadCredentialScope)
        );
        // A scope signed for one region is not valid for another.
        let mut other_region = good;
        let h = other_region.headers.pop().unwrap().1;
        other_region
            .headers
            .push(("authorization".into(), h.replace("///", "/cn-north-4//")));
        assert_eq!(
            auth().authenticate(&other_region, NOW),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn malformed_credential_scopes_are_refused() {
        let sig = "0".repeat(64);
        for credential in [
            "AK",
            "AK/20240101",
            "AK/20240101///",
            "AK/20240101///sdk_requests",
            "AK/2024010a///sdk_request",
            "AK/2024010///sdk_request",
            "AK/20240101////sdk_request",
        ] {
            let h = format!(
                "{ALGORITHM} Credential={credential}, SignedHeaders=x-sdk-date, Signature={sig}"
            );
            let req = request(
                vec![("x-sdk-date", format_sdk_date(NOW)), ("authorization", h)],
                b"",
            );
            assert_eq!(
                auth().authenticate(&req, NOW),
                Err(AuthError::BadCredentialScope),
                "{credential}"
            );
        }
        // Both forms at once, or neither: malformed.
        for h in [
            format!(
                "{ALGORITHM} Access=AK, Credential=AK/20240101///sdk_request, SignedHeaders=x-sdk-date, Signature={sig}"
            ),
            format!("{ALGORITHM} SignedHeaders=x-sdk-date, Signature={sig}"),
        ] {
            let req = request(
                vec![("x-sdk-date", format_sdk_date(NOW)), ("authorization", h)],
                b"",
            );
            assert_eq!(auth().authenticate(&req, NOW), Err(AuthError::Malformed));
        }
    }

    proptest::proptest! {
        /// Any header values and body: an answer, never a panic, and never
        /// a success without the secret.
        #[test]
        fn arbitrary_requests_never_panic_nor_pass(
            authorization in proptest::option::of(".{0,200}"),
            date in proptest::option::of("[0-9TZ]{0,20}"),
            claimed in proptest::option::of(".{0,80}"),
            signed in "[a-z;-]{0,60}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let mut headers = vec![("host", "h".to_owned())];
            if let Some(d) = date {
                headers.push(("x-sdk-date", d));
            }
            if let Some(c) = claimed {
                headers.push(("x-sdk-content-sha256", c));
            }
            let forged = format!(
                "{ALGORITHM} Access=AK, SignedHeaders={signed}, Signature={}",
                "0".repeat(64)
            );
            let forged_legacy = format!(
                "{ALGORITHM} Credential=AK/20240101///sdk_request, SignedHeaders={signed}, Signature={}",
                "0".repeat(64)
            );
            for a in [authorization, Some(forged), Some(forged_legacy)].into_iter().flatten() {
                let mut h = headers.clone();
                h.push(("authorization", a));
                let req = request(h, &body);
                proptest::prop_assert!(auth().authenticate(&req, NOW).is_err());
            }
        }
    }

    #[test]
    fn the_clock_is_read_for_signatures_only() {
        let a = auth_with("SK", &["T0K3N"]);
        let reads = std::cell::Cell::new(0);
        let clock = || {
            reads.set(reads.get() + 1);
            NOW
        };
        let with_token = request(vec![("x-auth-token", "T0K3N".into())], b"{}");
        assert!(a.authenticate_with_clock(&with_token, clock).is_ok());
        assert_eq!(reads.get(), 0);
        assert!(
            a.authenticate_with_clock(&signed(b"{}", ALL, &[]), clock)
                .is_ok()
        );
        assert_eq!(reads.get(), 1);
    }

    #[test]
    fn keyed_once_verifies_secret_keys_of_every_length() {
        // HMAC pads a key up to 64 bytes and hashes a longer one first:
        // the HMAC the authenticator keys once must agree with one keyed
        // per signature on both sides of that boundary, and refuse the
        // signature of any other key.
        for len in [1, 32, 63, 64, 65, 200] {
            let sk = "k".repeat(len);
            let a = auth_with(&sk, &[]);
            let other = signed_by(&format!("{sk}x"), b"{}", ALL, &[]);
            assert_eq!(
                a.authenticate(&other, NOW).unwrap_err(),
                AuthError::BadSignature,
                "{len}"
            );
            let good = signed_by(&sk, b"{}", ALL, &[]);
            assert_eq!(
                **a.authenticate(&good, NOW).unwrap(),
                Caller::new("d", "p"),
                "{len}"
            );
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let k = AccessKey {
            access_key: "AK".into(),
            secret_key: Zeroizing::new("very-secret".into()),
            caller: Caller::new("d", "p"),
        };
        let t = Token {
            token: Zeroizing::new("tok-secret".into()),
            caller: Caller::new("d", "p"),
        };
        let dbg = format!("{k:?} {t:?}");
        assert!(
            !dbg.contains("very-secret") && !dbg.contains("tok-secret"),
            "{dbg}"
        );
        assert!(dbg.contains("<redacted>"));
        // The authenticator names its access keys and callers, never a
        // secret nor the keyed MAC state.
        let dbg = format!("{:?}", Authenticator::new(vec![k], vec![t]));
        assert!(
            !dbg.contains("very-secret") && !dbg.contains("tok-secret") && !dbg.contains("Hmac"),
            "{dbg}"
        );
        assert!(
            dbg.contains("\"AK\"") && dbg.contains("<redacted>"),
            "{dbg}"
        );
    }

    #[test]
    fn the_api_accepts_live_project_tokens_after_the_configured_ones() {
        use crate::iam::test_support::{config, iam, session};
        use crate::iam::{IssuedTokens, now_ms};
        let iam = iam(&config());
        let issued = Arc::new(IssuedTokens::default());
        let auth = Authenticator::new(
            vec![],
            vec![Token {
                token: Zeroizing::new("configured-token-0123".into()),
                caller: Caller::new("d1", "p1"),
            }],
        )
        .with_issued_tokens(Arc::clone(&issued));
        let with = |headers: &[(&str, &str)]| OwnedRequest {
            method: "POST".into(),
            path: "/v1.0/p2/kms/list-keys".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..OwnedRequest::default()
        };
        let project = issued
            .issue(session(&iam, Some("p2"), now_ms(), u64::MAX))
            .unwrap();
        let expired = issued
            .issue(session(&iam, Some("p2"), 0, now_ms() - 1))
            .unwrap();
        let domain = issued
            .issue(session(&iam, None, now_ms(), u64::MAX))
            .unwrap();
        let caller = |t: &str| auth.authenticate_caller(&with(&[("X-Auth-Token", t)]), || 0);
        assert_eq!(
            *caller(&project).unwrap(),
            Caller::new("d1", "p2").with_user("u1")
        );
        assert_eq!(
            *caller("configured-token-0123").unwrap(),
            Caller::new("d1", "p1")
        );
        for refused in [expired.as_str(), domain.as_str(), "not-a-token"] {
            assert_eq!(caller(refused), Err(AuthError::UnknownCredential));
        }
        // Nothing else changes: no credentials, a malformed signature.
        assert_eq!(
            auth.authenticate_caller(&with(&[]), || 0),
            Err(AuthError::Missing)
        );
        assert_eq!(
            auth.authenticate_caller(&with(&[("Authorization", "Basic x")]), || 0),
            Err(AuthError::Malformed)
        );
        // Without the store, an issued token is unknown.
        let plain = Authenticator::new(vec![], vec![]);
        assert_eq!(
            plain.authenticate_caller(&with(&[("X-Auth-Token", &project)]), || 0),
            Err(AuthError::UnknownCredential)
        );
    }

    #[test]
    fn config_credentials_and_tokens_act_as_their_user_id() {
        let text = |user: &str| {
            format!(
                "[[credentials]]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n\
                 domain_id = \"d\"\nproject_id = \"p\"\nuser_id = \"{user}\"\n\
                 [[tokens]]\ntoken = \"token-0123456789abcdef\"\ndomain_id = \"d\"\n\
                 project_id = \"p\"\nuser_id = \"{user}\"\n"
            )
        };
        let path = std::path::Path::new("kms-server.toml");
        let auth = Config::from_toml(&text("u1"), path)
            .unwrap()
            .authenticator()
            .unwrap();
        let token = OwnedRequest {
            method: "POST".into(),
            path: "/v1.0/p/kms/list-keys".into(),
            headers: vec![("X-Auth-Token".into(), "token-0123456789abcdef".into())],
            ..OwnedRequest::default()
        };
        assert_eq!(
            *auth.authenticate_caller(&token, || 0).unwrap(),
            Caller::new("d", "p").with_user("u1")
        );
        // A user id no grant could name is refused at start.
        for bad in ["", "u-1", &"u".repeat(65)] {
            let err = Config::from_toml(&text(bad), path)
                .unwrap()
                .authenticator()
                .err()
                .unwrap();
            assert!(
                matches!(&err, ConfigError::Invalid(m) if m.contains("user_id")),
                "{err:?}"
            );
        }
    }
}
