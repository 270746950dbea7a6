//! [`HsmRootKeys`]: the root-key port over PKCS#11 tokens, one per
//! configured HSM cluster, with every other keystore handed to a fallback
//! provider (the software root keys).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use kms_core::ports::{
    Entropy, KeystoreRecord, KeystoreStore, PortError, PortErrorKind, ROOT_KEY_CHECK_LEN,
    RootKeyError, RootKeyProvider,
};
use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinScope, PinVerifier, PrivateKeyScope, RootKey,
    WRAPPED_MASTER_KEY_LEN, WrappedMasterKey,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::token::{
    Lease, OpError, Pkcs11ClusterConfig, Pkcs11Token, Purpose, unavailable_because,
};

/// Label prefix of the token objects this provider creates.
pub const LABEL_PREFIX: &str = "kms-rs/";
/// Input of the HMAC (inside the HSM) that derives a keystore's PIN root.
const PIN_ROOT_INFO: &[u8] = b"kms-rs/v1/hsm/pin-root";
/// Length of generated token keys (AES-256, HMAC-SHA256 key).
const TOKEN_KEY_LEN: u64 = 32;
/// The fixed block the wrap key wraps for its check value (32 bytes: never
/// the length of a wrapped CMK payload).
const CHECK_BLOCK: &[u8; 32] = b"kms-rs/v1/hsm/wrap-key-check-blk";
/// Input of the HMAC (inside the HSM) that is the PIN key's check value.
const PIN_CHECK_INFO: &[u8] = b"kms-rs/v1/hsm/pin-key-check";
/// Domain of the hash that binds both check values to the keystore.
const ROOT_CHECK_DOMAIN: &[u8] = b"kms-rs/v1/hsm/root-key-check";

/// The mechanism the CMKs are wrapped with: `CKM_AES_KEY_WRAP_PAD`
/// (`0x210A`), under which SoftHSM 2.6 implements RFC 5649 (the standard
/// assigns RFC 5649 to `CKM_AES_KEY_WRAP_KWP`, `0x210B`, which SoftHSM 2.6
/// does not know). See `docs/hsm.md`.
#[must_use]
pub fn wrap_mechanism() -> Mechanism<'static> {
    Mechanism::AesKeyWrapPad
}

/// Where a keystore's root key lives.
#[derive(Clone, Debug)]
enum Route {
    /// On this token.
    Token(Arc<Pkcs11Token>),
    /// With the fallback provider.
    Fallback,
}

/// The root-key provider of a host with PKCS#11 clusters: a dedicated
/// keystore on a configured cluster has its root key on that cluster's
/// token (a non-extractable AES-256 key that wraps its CMKs with RFC 5649,
/// and an HMAC key its PIN root is derived with); every other keystore
/// (default, shared, dedicated on another cluster) is served by the
/// fallback. Nothing is touched until first used; a token that goes away
/// is [`RootKeyError::Unavailable`] and is reconnected on a later call.
pub struct HsmRootKeys {
    fallback: Arc<dyn RootKeyProvider>,
    tokens: HashMap<String, Arc<Pkcs11Token>>,
    routes: RwLock<HashMap<String, Route>>,
    pin_roots: RwLock<HashMap<String, Arc<RootKey>>>,
    checks: Option<Arc<dyn KeystoreStore>>,
}

impl fmt::Debug for HsmRootKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsmRootKeys")
            .field("fallback", &self.fallback)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

fn poisoned<T>(_: T) -> RootKeyError {
    RootKeyError::Backend(PortError::poisoned("HSM provider cache"))
}

fn ck<T>(what: &'static str, r: cryptoki::error::Result<T>) -> Result<T, OpError> {
    r.map_err(|e| OpError::Ck(what, e))
}

fn wrap_key_template(keystore_id: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::ValueLen(TOKEN_KEY_LEN.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
        Attribute::Id(keystore_id.as_bytes().to_vec()),
        Attribute::Label(format!("{LABEL_PREFIX}{keystore_id}").into_bytes()),
    ]
}

fn pin_key_template(keystore_id: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::ValueLen(TOKEN_KEY_LEN.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Verify(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Derive(false),
        Attribute::Id(keystore_id.as_bytes().to_vec()),
        Attribute::Label(format!("{LABEL_PREFIX}{keystore_id}/pin").into_bytes()),
    ]
}

fn key_type(purpose: Purpose) -> KeyType {
    match purpose {
        Purpose::Wrap => KeyType::AES,
        Purpose::Pin => KeyType::GENERIC_SECRET,
    }
}

/// The token objects of a keystore's key of `purpose`.
fn find_keys(
    lease: &Lease<'_>,
    keystore_id: &str,
    purpose: Purpose,
) -> Result<Vec<ObjectHandle>, OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    ck(
        "find token key",
        s.find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(key_type(purpose)),
            Attribute::Id(keystore_id.as_bytes().to_vec()),
        ]),
    )
}

/// The single token object of a keystore's key of `purpose`. None is
/// [`OpError::KeyMissing`] (the module's view of the token may be stale),
/// several a conflict.
fn the_key(
    lease: &Lease<'_>,
    keystore_id: &str,
    purpose: Purpose,
) -> Result<ObjectHandle, OpError> {
    let found = find_keys(lease, keystore_id, purpose)?;
    let [h] = found[..] else {
        let e = unavailable_because(format!(
            "token has {} keys for keystore {keystore_id} (expected 1)",
            found.len()
        ));
        // None where one must be: the module's view of the token may be
        // stale (its files went away and came back); several: a conflict
        // no reconnection resolves.
        return Err(if found.is_empty() {
            OpError::KeyMissing(e)
        } else {
            OpError::Root(e)
        });
    };
    Ok(h)
}

/// The check value of a keystore's two token keys, computed by the token:
/// `SHA-256(domain || u16 len || keystore id || KWP(wrap key, fixed block)
/// || HMAC(PIN key, info))`. It reveals nothing about the keys and changes
/// when either key is replaced.
fn check_value(
    lease: &Lease<'_>,
    keystore_id: &str,
    wrap: ObjectHandle,
    pin: ObjectHandle,
) -> Result<[u8; ROOT_KEY_CHECK_LEN], OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let mut template = payload_template();
    template.push(Attribute::Value(CHECK_BLOCK.to_vec()));
    let obj = ck("create check block", s.create_object(&template))?;
    let wrapped = s.wrap_key(&wrap_mechanism(), wrap, obj);
    let _ = s.destroy_object(obj);
    let wrapped = ck("wrap check block", wrapped)?;
    let mac = Zeroizing::new(ck(
        "compute PIN key check",
        s.sign(&Mechanism::Sha256Hmac, pin, PIN_CHECK_INFO),
    )?);
    let len =
        u16::try_from(keystore_id.len()).map_err(|_| OpError::Root(RootKeyError::Rejected))?;
    let mut h = Sha256::new();
    h.update(ROOT_CHECK_DOMAIN);
    h.update(len.to_be_bytes());
    h.update(keystore_id.as_bytes());
    h.update(&wrapped);
    h.update(&*mac);
    Ok(h.finalize().into())
}

/// Compares `check` with the value recorded for the keystore (recording it
/// when none is). A different recorded value: the token key was replaced
/// under the same label, refused rather than used.
fn verify_check(
    checks: Option<&dyn KeystoreStore>,
    keystore_id: &str,
    check: &[u8; ROOT_KEY_CHECK_LEN],
) -> Result<(), OpError> {
    let Some(store) = checks else {
        return Ok(());
    };
    let recorded = store
        .record_root_key_check(keystore_id, check)
        .map_err(|e| OpError::Root(RootKeyError::Backend(e)))?;
    if bool::from(recorded.ct_eq(check)) {
        Ok(())
    } else {
        Err(OpError::Root(crate::token::counted(
            &crate::token::UNAVAILABLE,
            RootKeyError::Unavailable(PortError::new(
                PortErrorKind::Config,
                format!(
                    "the token keys of keystore {keystore_id} ({LABEL_PREFIX}{keystore_id}) are \
                     not the ones recorded at their first use (check value differs): the key \
                     was replaced; refusing to use it (put the original key back)"
                ),
            )),
        )))
    }
}

/// The handle of a keystore's key (cached per connection). Looked up, both
/// keys of the keystore are checked against the recorded check value
/// before either handle is cached.
fn key_handle(
    checks: Option<&dyn KeystoreStore>,
    token: &Pkcs11Token,
    lease: &Lease<'_>,
    keystore_id: &str,
    purpose: Purpose,
) -> Result<ObjectHandle, OpError> {
    let generation = lease.generation();
    if let Some(h) = token.cached_handle(keystore_id, purpose, generation) {
        return Ok(h);
    }
    let wrap = the_key(lease, keystore_id, Purpose::Wrap)?;
    let pin = the_key(lease, keystore_id, Purpose::Pin)?;
    let check = check_value(lease, keystore_id, wrap, pin)?;
    verify_check(checks, keystore_id, &check)?;
    token.cache_handle(keystore_id, Purpose::Wrap, generation, wrap);
    token.cache_handle(keystore_id, Purpose::Pin, generation, pin);
    Ok(match purpose {
        Purpose::Wrap => wrap,
        Purpose::Pin => pin,
    })
}

/// Refuses a bound key that could leave the token.
fn check_bound_key(lease: &Lease<'_>, h: ObjectHandle) -> Result<(), OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let attrs = ck(
        "read token key attributes",
        s.get_attributes(
            h,
            &[
                AttributeType::Extractable,
                AttributeType::Sensitive,
                AttributeType::Token,
            ],
        ),
    )?;
    let safe = attrs.iter().all(|a| match a {
        Attribute::Extractable(x) => !x,
        Attribute::Sensitive(x) | Attribute::Token(x) => *x,
        _ => true,
    }) && attrs.len() == 3;
    if safe {
        Ok(())
    } else {
        Err(OpError::Root(RootKeyError::Backend(PortError::new(
            PortErrorKind::Config,
            "existing token key is extractable, not sensitive or not a token object",
        ))))
    }
}

/// Creates the keystore's key of `purpose`, or binds the one already
/// there. Its handle is cached by the first operation that checked it
/// ([`key_handle`]).
fn provision_key(
    lease: &Lease<'_>,
    keystore_id: &str,
    purpose: Purpose,
) -> Result<ObjectHandle, OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let found = find_keys(lease, keystore_id, purpose)?;
    let h = match found[..] {
        [h] => {
            check_bound_key(lease, h)?;
            h
        }
        [] => match purpose {
            Purpose::Wrap => ck(
                "generate token wrap key",
                s.generate_key(&Mechanism::AesKeyGen, &wrap_key_template(keystore_id)),
            )?,
            Purpose::Pin => ck(
                "generate token PIN key",
                s.generate_key(
                    &Mechanism::GenericSecretKeyGen,
                    &pin_key_template(keystore_id),
                ),
            )?,
        },
        _ => {
            return Err(OpError::Root(unavailable_because(format!(
                "token has {} keys for keystore {keystore_id} (expected 1)",
                found.len()
            ))));
        }
    };
    Ok(h)
}

/// The template of the session object a CMK payload travels in for one
/// wrap or unwrap: a session (not token) generic secret that may be read
/// back, destroyed right after.
fn payload_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::GENERIC_SECRET),
        Attribute::Token(false),
        Attribute::Private(true),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ]
}

fn wrap_on_token(
    checks: Option<&dyn KeystoreStore>,
    token: &Pkcs11Token,
    lease: &Lease<'_>,
    keystore_id: &str,
    key: &MasterKey,
) -> Result<WrappedMasterKey, OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let kek = key_handle(checks, token, lease, keystore_id, Purpose::Wrap)?;
    let payload = key.wrap_payload();
    let mut template = payload_template();
    template.push(Attribute::Value(payload.expose_secret().to_vec()));
    let created = s.create_object(&template);
    for a in &mut template {
        if let Attribute::Value(v) = a {
            v.zeroize();
        }
    }
    let obj = ck("create payload object", created)?;
    let wrapped = s.wrap_key(&wrap_mechanism(), kek, obj);
    let _ = s.destroy_object(obj);
    let wrapped = ck("wrap master key", wrapped)?;
    WrappedMasterKey::from_bytes(&wrapped).map_err(|_| {
        OpError::Root(crate::token::counted(
            &crate::token::BAD_RESPONSES,
            RootKeyError::BadGateway,
        ))
    })
}

fn unwrap_on_token(
    checks: Option<&dyn KeystoreStore>,
    token: &Pkcs11Token,
    lease: &Lease<'_>,
    keystore_id: &str,
    key_id: &str,
    version: u32,
    wrapped: &[u8],
) -> Result<MasterKey, OpError> {
    use cryptoki::error::{Error as CkError, RvError};
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let kek = key_handle(checks, token, lease, keystore_id, Purpose::Wrap)?;
    let obj = match s.unwrap_key(&wrap_mechanism(), kek, wrapped, &payload_template()) {
        Ok(o) => o,
        // The material does not unwrap under this key: tampered, another
        // keystore's, or another token's. SoftHSM 2.6 reports a failed
        // RFC 5649 integrity check as CKR_GENERAL_ERROR (the length was
        // checked above, the key handle is valid), so that is read as a
        // rejection here, not as a broken token.
        Err(CkError::Pkcs11(
            RvError::GeneralError
            | RvError::WrappedKeyInvalid
            | RvError::WrappedKeyLenRange
            | RvError::EncryptedDataInvalid
            | RvError::EncryptedDataLenRange
            | RvError::DataInvalid
            | RvError::DataLenRange,
            _,
        )) => return Err(OpError::Root(RootKeyError::Rejected)),
        Err(e) => return Err(OpError::Ck("unwrap master key", e)),
    };
    let read = s.get_attributes(obj, &[AttributeType::Value]);
    let _ = s.destroy_object(obj);
    let mut attrs = ck("read unwrapped master key", read)?;
    let mut payload = Zeroizing::new(Vec::new());
    for a in &mut attrs {
        if let Attribute::Value(v) = a {
            payload.extend_from_slice(v);
            v.zeroize();
        }
    }
    MasterKey::from_wrap_payload(key_id, version, &payload)
        .map_err(|_| OpError::Root(RootKeyError::Rejected))
}

/// The keystore's PIN root: `HMAC-SHA256(token PIN key, info || u16 len
/// || keystore id)` computed by the token, fed to kms-crypto's root-key
/// derivation so PIN blobs and verifiers keep format v1.
fn pin_root_on_token(
    checks: Option<&dyn KeystoreStore>,
    token: &Pkcs11Token,
    lease: &Lease<'_>,
    keystore_id: &str,
) -> Result<RootKey, OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    let key = key_handle(checks, token, lease, keystore_id, Purpose::Pin)?;
    let len =
        u16::try_from(keystore_id.len()).map_err(|_| OpError::Root(RootKeyError::Rejected))?;
    let mut data = Vec::with_capacity(PIN_ROOT_INFO.len() + 2 + keystore_id.len());
    data.extend_from_slice(PIN_ROOT_INFO);
    data.extend_from_slice(&len.to_be_bytes());
    data.extend_from_slice(keystore_id.as_bytes());
    let secret = Zeroizing::new(ck(
        "derive PIN root",
        s.sign(&Mechanism::Sha256Hmac, key, &data),
    )?);
    RootKey::derive_from_secret(&secret, keystore_id).map_err(|_| {
        OpError::Root(crate::token::counted(
            &crate::token::BAD_RESPONSES,
            RootKeyError::BadGateway,
        ))
    })
}

fn release_on_token(
    token: &Pkcs11Token,
    lease: &Lease<'_>,
    keystore_id: &str,
) -> Result<(), OpError> {
    let s = lease
        .session()
        .ok_or_else(|| unavailable_because("no session"))?;
    token.forget_handles(keystore_id);
    for purpose in [Purpose::Wrap, Purpose::Pin] {
        for h in find_keys(lease, keystore_id, purpose)? {
            ck("destroy token key", s.destroy_object(h))?;
        }
    }
    Ok(())
}

impl HsmRootKeys {
    /// A provider over `clusters` (connected lazily) that hands every other
    /// keystore to `fallback`.
    ///
    /// # Errors
    /// [`PortErrorKind::Config`] when two clusters share an id or a cluster
    /// names an empty token label.
    pub fn new(
        fallback: Arc<dyn RootKeyProvider>,
        clusters: Vec<Pkcs11ClusterConfig>,
    ) -> Result<Self, PortError> {
        let mut tokens = HashMap::new();
        for c in clusters {
            if c.token_label.is_empty() {
                return Err(PortError::new(
                    PortErrorKind::Config,
                    format!("HSM cluster {}: empty token label", c.cluster_id),
                ));
            }
            let id = c.cluster_id.clone();
            if tokens
                .insert(id.clone(), Arc::new(Pkcs11Token::new(c)))
                .is_some()
            {
                return Err(PortError::new(
                    PortErrorKind::Config,
                    format!("HSM cluster {id} configured twice"),
                ));
            }
        }
        Ok(Self {
            fallback,
            tokens,
            routes: RwLock::new(HashMap::new()),
            pin_roots: RwLock::new(HashMap::new()),
            checks: None,
        })
    }

    /// Records each keystore's root-key check value in `store` on first
    /// use and refuses a token key whose check value differs from the
    /// recorded one (a key replaced under the same label): such a keystore
    /// answers [`RootKeyError::Unavailable`] (KMS.6502) until the original
    /// key is back. Without a store nothing is checked.
    #[must_use]
    pub fn with_key_checks(mut self, store: Arc<dyn KeystoreStore>) -> Self {
        self.checks = Some(store);
        self
    }

    fn checks(&self) -> Option<&dyn KeystoreStore> {
        self.checks.as_deref()
    }

    /// The token of a configured cluster.
    #[must_use]
    pub fn token(&self, cluster_id: &str) -> Option<&Pkcs11Token> {
        self.tokens.get(cluster_id).map(|t| &**t)
    }

    /// The configured clusters' ids.
    pub fn cluster_ids(&self) -> impl Iterator<Item = &str> {
        self.tokens.keys().map(String::as_str)
    }

    fn route_of_record(&self, keystore: &KeystoreRecord) -> Route {
        keystore
            .cluster_id
            .as_deref()
            .and_then(|c| self.tokens.get(c))
            .map_or(Route::Fallback, |t| Route::Token(Arc::clone(t)))
    }

    fn remember(&self, keystore: &KeystoreRecord) -> Result<Route, RootKeyError> {
        let route = self.route_of_record(keystore);
        self.routes
            .write()
            .map_err(poisoned)?
            .insert(keystore.keystore_id.clone(), route.clone());
        Ok(route)
    }

    /// Where `keystore_id`'s root key is. A dedicated keystore the core has
    /// not attached is refused rather than guessed (guessing "software"
    /// would wrap an HSM keystore's key in software).
    fn route(&self, keystore_id: &str) -> Result<Route, RootKeyError> {
        if let Some(r) = self.routes.read().map_err(poisoned)?.get(keystore_id) {
            return Ok(r.clone());
        }
        if kms_model::KeystoreRef::is_dedicated_id(keystore_id) {
            return Err(RootKeyError::Backend(PortError::new(
                PortErrorKind::Other,
                "dedicated keystore used before the core attached it",
            )));
        }
        Ok(Route::Fallback)
    }

    fn pin_root(
        &self,
        token: &Pkcs11Token,
        keystore_id: &str,
    ) -> Result<Arc<RootKey>, RootKeyError> {
        if let Some(k) = self.pin_roots.read().map_err(poisoned)?.get(keystore_id) {
            return Ok(Arc::clone(k));
        }
        let k = Arc::new(token.run("derive PIN root", true, |t, l| {
            pin_root_on_token(self.checks(), t, l, keystore_id)
        })?);
        self.pin_roots
            .write()
            .map_err(poisoned)?
            .insert(keystore_id.to_owned(), Arc::clone(&k));
        Ok(k)
    }
}

impl RootKeyProvider for HsmRootKeys {
    fn wrap_master_key(
        &self,
        keystore_id: &str,
        key: &MasterKey,
    ) -> Result<WrappedMasterKey, RootKeyError> {
        match self.route(keystore_id)? {
            Route::Fallback => self.fallback.wrap_master_key(keystore_id, key),
            Route::Token(t) => t.run("wrap master key", true, |t, l| {
                wrap_on_token(self.checks(), t, l, keystore_id, key)
            }),
        }
    }

    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError> {
        match self.route(keystore_id)? {
            Route::Fallback => {
                self.fallback
                    .unwrap_master_key(keystore_id, key_id, version, wrapped)
            }
            Route::Token(t) => {
                if wrapped.len() != WRAPPED_MASTER_KEY_LEN {
                    return Err(RootKeyError::Rejected);
                }
                t.run("unwrap master key", true, |t, l| {
                    unwrap_on_token(self.checks(), t, l, keystore_id, key_id, version, wrapped)
                })
            }
        }
    }

    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError> {
        match self.route(scope.keystore_id())? {
            Route::Fallback => self.fallback.seal_pin(scope, entropy, pin),
            Route::Token(t) => self
                .pin_root(&t, scope.keystore_id())?
                .seal_pin(&mut kms_core::ports::EntropyRng(entropy), scope, pin)
                .map_err(|_| RootKeyError::Rejected),
        }
    }

    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError> {
        match self.route(scope.keystore_id())? {
            Route::Fallback => self.fallback.verify_sealed_pin(scope, sealed),
            Route::Token(t) => self
                .pin_root(&t, scope.keystore_id())?
                .open_pin(scope, sealed)
                .map(drop)
                .map_err(|_| RootKeyError::Rejected),
        }
    }

    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError> {
        // Certificate private keys are sealed under the default keystore.
        self.fallback.seal_private_key(scope, entropy, private_key)
    }

    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.fallback.open_private_key(scope, sealed)
    }

    fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError> {
        match self.route(keystore_id)? {
            Route::Fallback => self.fallback.pin_verifier(keystore_id, pin),
            Route::Token(t) => self
                .pin_root(&t, keystore_id)?
                .pin_verifier(keystore_id, pin)
                .map_err(|_| RootKeyError::Rejected),
        }
    }

    fn seal_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        entropy: &dyn Entropy,
        key: &kms_crypto::SigningKey,
    ) -> Result<Ciphertext, RootKeyError> {
        match self.route(keystore_id)? {
            Route::Fallback => self
                .fallback
                .seal_key_pair(keystore_id, key_id, entropy, key),
            Route::Token(_) => Err(RootKeyError::Unsupported(
                "key pairs are not kept in an HSM-backed keystore",
            )),
        }
    }

    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: kms_crypto::SigningKeySpec,
        sealed: &[u8],
    ) -> Result<kms_crypto::SigningKey, RootKeyError> {
        match self.route(keystore_id)? {
            Route::Fallback => self
                .fallback
                .open_key_pair(keystore_id, key_id, spec, sealed),
            Route::Token(_) => Err(RootKeyError::Unsupported(
                "key pairs are not kept in an HSM-backed keystore",
            )),
        }
    }

    fn provision_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        match self.route_of_record(keystore) {
            Route::Fallback => self.fallback.provision_keystore(keystore)?,
            Route::Token(t) => t.run("provision keystore keys", false, |_, l| {
                let id = &keystore.keystore_id;
                let wrap = provision_key(l, id, Purpose::Wrap)?;
                let pin = provision_key(l, id, Purpose::Pin)?;
                let check = check_value(l, id, wrap, pin)?;
                verify_check(self.checks(), id, &check)
            })?,
        }
        self.remember(keystore).map(drop)
    }

    fn attach_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        if self
            .routes
            .read()
            .map_err(poisoned)?
            .contains_key(&keystore.keystore_id)
        {
            return Ok(());
        }
        if matches!(self.remember(keystore)?, Route::Fallback) {
            self.fallback.attach_keystore(keystore)?;
        }
        Ok(())
    }

    fn release_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        let id = &keystore.keystore_id;
        if let Ok(mut p) = self.pin_roots.write() {
            p.remove(id);
        }
        match self.route_of_record(keystore) {
            Route::Fallback => self.fallback.release_keystore(keystore),
            Route::Token(t) => {
                t.run("destroy keystore keys", true, |t, l| {
                    release_on_token(t, l, id)
                })?;
                // The key is gone: a keystore provisioned again under this
                // id gets a new one, recorded anew.
                match self.checks() {
                    Some(store) => store
                        .forget_root_key_check(id)
                        .map_err(RootKeyError::Backend),
                    None => Ok(()),
                }
            }
        }
    }
}
