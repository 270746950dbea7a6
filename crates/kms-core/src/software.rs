//! Production adapters that are not stores: software root keys, a
//! CSPRNG entropy source, random ids, a static cluster directory and a
//! null audit sink. No I/O: the host seeds the entropy from the operating
//! system and hands over the root secret.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinKeys, PinScope, PinVerifier, PrivateKeyScope, RootKey,
    SigningKey, SigningKeySpec, WrappedMasterKey,
};
use zeroize::Zeroizing;

use crate::ports::{
    AuditEvent, AuditSink, CarriedPinKeys, ClusterDirectory, ClusterInfo, Entropy, EntropyRng,
    IdGenerator, KeystoreRecord, PortError, PortErrorKind, PortResult, RootKeyError,
    RootKeyProvider,
};

// ---------------------------------------------------------------- clusters

/// A fixed list of clusters.
#[derive(Debug, Default, Clone)]
pub struct StaticClusters(pub Vec<ClusterInfo>);

impl ClusterDirectory for StaticClusters {
    fn get_cluster(&self, cluster_id: &str) -> PortResult<Option<ClusterInfo>> {
        Ok(self.0.iter().find(|c| c.cluster_id == cluster_id).cloned())
    }
}

// ---------------------------------------------------------------- root keys

/// The keystore whose root key seals certificate private keys: the default one.
const PRIVATE_KEY_KEYSTORE: &str = kms_model::KeystoreRef::DEFAULT_ID;

/// Software root-key provider: every keystore's root key is derived from
/// one 32-byte secret (HKDF inside kms-crypto), so nothing but that secret
/// needs storing. Losing the secret loses every key.
///
/// A keystore named in [`SoftwareRootKeys::with_national_keystores`] gets
/// a national (SM) root instead (`RootKey::derive_national_from_secret`):
/// KWP over SM4 for its CMKs, SM4-suite PIN and key-pair blobs, HMAC-SM3
/// PIN verifiers. The choice is per keystore and must not change while it
/// holds keys (an AES-wrapped CMK does not unwrap under the SM root).
pub struct SoftwareRootKeys {
    secret: Zeroizing<Vec<u8>>,
    national: std::collections::HashSet<String>,
    cache: RwLock<HashMap<String, Arc<RootKey>>>,
}

impl fmt::Debug for SoftwareRootKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftwareRootKeys(<redacted>)")
    }
}

impl SoftwareRootKeys {
    /// A provider over `secret` (at least 32 bytes).
    ///
    /// # Errors
    /// The secret is shorter than 32 bytes.
    pub fn new(secret: &[u8]) -> Result<Self, PortError> {
        if secret.len() < kms_crypto::KEY_LEN {
            return Err(PortError::new(
                PortErrorKind::Config,
                "root secret must be at least 32 bytes",
            ));
        }
        Ok(Self {
            secret: Zeroizing::new(secret.to_vec()),
            national: std::collections::HashSet::new(),
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The same provider, with national (SM) roots for these keystores.
    #[must_use]
    pub fn with_national_keystores<I, S>(mut self, keystore_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.national
            .extend(keystore_ids.into_iter().map(Into::into));
        // Give the national keystores before any carried PIN keys: a root
        // cached for them earlier would be an AES one.
        if let Ok(cache) = self.cache.get_mut() {
            cache.retain(|id, _| !self.national.contains(id));
        }
        self
    }

    /// Whether a keystore's root is a national (SM) one.
    #[must_use]
    pub fn is_national(&self, keystore_id: &str) -> bool {
        self.national.contains(keystore_id)
    }

    /// This provider with the PIN keys a root-key rotation carried over
    /// (wrapped under this provider's root keys): the keystores they name
    /// keep the PIN keys of the root key they had before. The store's
    /// carried PIN keys are under the recorded root key, or, once a
    /// rotation has begun, under its new root key: give them to that
    /// provider, and none to the old one.
    ///
    /// # Errors
    /// [`RootKeyError::Rejected`] when one does not unwrap (they were
    /// carried to another root key).
    pub fn with_carried_pin_keys(self, carried: &[CarriedPinKeys]) -> Result<Self, RootKeyError> {
        for c in carried {
            let root = self.derive(&c.keystore_id)?;
            let keys = root
                .unwrap_pin_keys(&c.keystore_id, &c.wrapped)
                .map_err(|_| RootKeyError::Rejected)?;
            let root = root
                .with_pin_keys(&keys)
                .map_err(|_| RootKeyError::Rejected)?;
            self.cache
                .write()
                .map_err(|_| RootKeyError::Backend(PortError::poisoned("root key cache")))?
                .insert(c.keystore_id.clone(), Arc::new(root));
        }
        Ok(self)
    }

    fn derive(&self, keystore_id: &str) -> Result<RootKey, RootKeyError> {
        let derived = if self.is_national(keystore_id) {
            RootKey::derive_national_from_secret(&self.secret, keystore_id)
        } else {
            RootKey::derive_from_secret(&self.secret, keystore_id)
        };
        derived.map_err(|e| {
            RootKeyError::Backend(
                PortError::new(PortErrorKind::Other, "derive root key").with_source(e),
            )
        })
    }

    fn root(&self, keystore_id: &str) -> Result<Arc<RootKey>, RootKeyError> {
        // A poisoned cache is a provider failure, never a failed
        // verification (which callers read as a wrong PIN).
        fn poisoned<T>(_: T) -> RootKeyError {
            RootKeyError::Backend(PortError::poisoned("root key cache"))
        }
        if let Some(k) = self.cache.read().map_err(poisoned)?.get(keystore_id) {
            return Ok(Arc::clone(k));
        }
        let key = Arc::new(self.derive(keystore_id)?);
        // Another thread may have put one first: keep that one (a carried
        // one is put at construction, before any lookup).
        Ok(Arc::clone(
            self.cache
                .write()
                .map_err(poisoned)?
                .entry(keystore_id.to_owned())
                .or_insert(key),
        ))
    }
}

impl RootKeyProvider for SoftwareRootKeys {
    fn wrap_master_key(
        &self,
        keystore_id: &str,
        key: &MasterKey,
    ) -> Result<WrappedMasterKey, RootKeyError> {
        self.root(keystore_id)?
            .wrap_master_key(key)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError> {
        self.root(keystore_id)?
            .unwrap_master_key(key_id, version, wrapped)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError> {
        self.root(scope.keystore_id())?
            .seal_pin(&mut EntropyRng(entropy), scope, pin)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError> {
        self.root(scope.keystore_id())?
            .open_pin(scope, sealed)
            .map(drop)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError> {
        self.root(PRIVATE_KEY_KEYSTORE)?
            .seal_private_key(&mut EntropyRng(entropy), scope, private_key)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.root(PRIVATE_KEY_KEYSTORE)?
            .open_private_key(scope, sealed)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn seal_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        entropy: &dyn Entropy,
        key: &SigningKey,
    ) -> Result<Ciphertext, RootKeyError> {
        self.root(keystore_id)?
            .seal_signing_key(&mut EntropyRng(entropy), key_id, key)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: SigningKeySpec,
        sealed: &[u8],
    ) -> Result<SigningKey, RootKeyError> {
        self.root(keystore_id)?
            .open_signing_key(key_id, spec, sealed)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError> {
        self.root(keystore_id)?
            .pin_verifier(keystore_id, pin)
            .map_err(|_| RootKeyError::Rejected)
    }

    fn pin_keys(&self, keystore_id: &str) -> Result<PinKeys, RootKeyError> {
        Ok(self.root(keystore_id)?.pin_keys())
    }

    fn wrap_pin_keys(&self, keystore_id: &str, keys: &PinKeys) -> Result<Vec<u8>, RootKeyError> {
        self.root(keystore_id)?
            .wrap_pin_keys(keystore_id, keys)
            .map_err(|_| RootKeyError::Rejected)
    }
}

/// The root-key provider while a root-key rotation is under way: rows are
/// under either root key, so what is opened is tried under the new one,
/// then the old one; everything sealed or wrapped now is under the new one.
/// PIN operations use the new provider only: a rotation carries the PIN
/// keys over before it moves any row (see [`crate::RootRotation`]), so the
/// new provider, given them
/// ([`SoftwareRootKeys::with_carried_pin_keys`]), verifies every PIN the
/// old one did; the old provider needs none.
#[derive(Debug)]
pub struct RotatingRootKeys {
    new: Arc<dyn RootKeyProvider>,
    old: Arc<dyn RootKeyProvider>,
}

impl RotatingRootKeys {
    /// `new` first, then `old`.
    #[must_use]
    pub fn new(new: Arc<dyn RootKeyProvider>, old: Arc<dyn RootKeyProvider>) -> Self {
        Self { new, old }
    }

    fn either<T>(
        &self,
        f: impl Fn(&dyn RootKeyProvider) -> Result<T, RootKeyError>,
    ) -> Result<T, RootKeyError> {
        match f(&*self.new) {
            Err(RootKeyError::Rejected) => f(&*self.old),
            other => other,
        }
    }
}

impl RootKeyProvider for RotatingRootKeys {
    fn wrap_master_key(
        &self,
        keystore_id: &str,
        key: &MasterKey,
    ) -> Result<WrappedMasterKey, RootKeyError> {
        self.new.wrap_master_key(keystore_id, key)
    }

    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError> {
        self.either(|p| p.unwrap_master_key(keystore_id, key_id, version, wrapped))
    }

    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError> {
        self.new.seal_pin(scope, entropy, pin)
    }

    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError> {
        self.new.verify_sealed_pin(scope, sealed)
    }

    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError> {
        self.new.seal_private_key(scope, entropy, private_key)
    }

    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.either(|p| p.open_private_key(scope, sealed))
    }

    fn seal_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        entropy: &dyn Entropy,
        key: &SigningKey,
    ) -> Result<Ciphertext, RootKeyError> {
        self.new.seal_key_pair(keystore_id, key_id, entropy, key)
    }

    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: SigningKeySpec,
        sealed: &[u8],
    ) -> Result<SigningKey, RootKeyError> {
        self.either(|p| p.open_key_pair(keystore_id, key_id, spec, sealed))
    }

    fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError> {
        self.new.pin_verifier(keystore_id, pin)
    }

    fn pin_keys(&self, keystore_id: &str) -> Result<PinKeys, RootKeyError> {
        self.new.pin_keys(keystore_id)
    }

    fn wrap_pin_keys(&self, keystore_id: &str, keys: &PinKeys) -> Result<Vec<u8>, RootKeyError> {
        self.new.wrap_pin_keys(keystore_id, keys)
    }

    fn provision_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.new.provision_keystore(keystore)
    }

    fn attach_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.new.attach_keystore(keystore)
    }

    fn release_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.new.release_keystore(keystore)
    }
}

// ---------------------------------------------------------------- entropy, ids, audit

/// ChaCha20 CSPRNG behind one lock, from a fixed seed: deterministic
/// tests and benchmarks only (feature `test-support`). Production hosts
/// use `kms_core::os::OsEntropy` (feature `os`) or their own source.
#[cfg(feature = "test-support")]
pub struct ChaChaEntropy(std::sync::Mutex<rand_chacha::ChaCha20Rng>);

#[cfg(feature = "test-support")]
impl fmt::Debug for ChaChaEntropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaChaEntropy(<redacted>)")
    }
}

#[cfg(feature = "test-support")]
impl ChaChaEntropy {
    /// A generator from a 32-byte seed.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        use rand_core::SeedableRng;
        let seed = Zeroizing::new(seed);
        Self(std::sync::Mutex::new(rand_chacha::ChaCha20Rng::from_seed(
            *seed,
        )))
    }
}

#[cfg(feature = "test-support")]
impl Entropy for ChaChaEntropy {
    fn fill(&self, dst: &mut [u8]) -> Result<(), crate::ports::EntropyError> {
        use rand_core::Rng;
        self.0
            .lock()
            .map_err(|_| crate::ports::EntropyError)?
            .fill_bytes(dst);
        Ok(())
    }
}

/// Random 8-4-4-4-12 ids (UUID v4 layout) drawn from an [`Entropy`].
#[derive(Debug)]
pub struct RandomIds(pub Arc<dyn Entropy>);

impl IdGenerator for RandomIds {
    fn new_id(&self) -> PortResult<String> {
        let mut b = [0u8; 16];
        self.0.fill(&mut b).map_err(PortError::from)?;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = base16ct::lower::encode_string(&b);
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        ))
    }
}

/// Drops every audit event (benchmarks).
#[derive(Debug, Default)]
pub struct NullAudit;

impl AuditSink for NullAudit {
    fn record(&self, _event: &AuditEvent<'_>) {}
}
