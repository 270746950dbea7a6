//! Test support (feature `test-support`): store and root-key decorators
//! driven by one closure, so a test injects a fault, counts calls or holds a call without
//! writing a delegating wrapper of every port method.

use std::fmt;
use std::sync::Arc;

use kms_crypto::{
    Ciphertext, MasterKey, Pin, PinKeys, PinScope, PinVerifier, PrivateKeyScope, SigningKey,
    SigningKeySpec, WrappedMasterKey,
};
use zeroize::Zeroizing;

use crate::ports::{AliasRecord, AliasWriteError, GroupMember, InsertReplicaError, KeyAliasStore};
use crate::ports::{
    CertificateFilter, CertificateStore, CertificateWriteError, DeleteKeystoreOutcome, DueRotation,
    Entropy, InsertKeyError, InsertKeystoreError, KeyListQuery, KeyMaterial, KeyRecord, KeyState,
    KeyTag, KeyTagStore, KeystoreRecord, KeystoreState, KeystoreStore, MasterKeyStore,
    PinVerifierStore, PortError, PortResult, RootKeyError, RootKeyProvider, RotateKeyError,
    StoredCertificate, TagFilter, TagWriteError, TaggedKeys, Timestamp, UpdateKeyAliasError,
};
use crate::ports::{ImportMaterialError, ImportTokenRecord};

/// When a [`Hooked`] store calls its hook: before the inner call, and after
/// it with the inner call done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the inner store is called: an `Err` is answered instead and
    /// the inner store is not called (a failure before the write).
    Before,
    /// After the inner store answered: an `Err` replaces its answer (the
    /// write happened but its reply was lost). Blocking here holds the
    /// caller with the inner answer already read.
    After,
}

type Hook = dyn Fn(&'static str, Phase) -> PortResult<()> + Send + Sync;

/// A store whose every port method first and last calls `hook(method,
/// phase)` (the method's name as in the port trait, e.g. `"get_key"`),
/// then delegates to the inner store. Implements each store trait the
/// inner type implements.
pub struct Hooked<S: ?Sized> {
    inner: Arc<S>,
    hook: Arc<Hook>,
}

impl<S: ?Sized> Hooked<S> {
    /// `inner` behind `hook`.
    pub fn new(
        inner: Arc<S>,
        hook: impl Fn(&'static str, Phase) -> PortResult<()> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            hook: Arc::new(hook),
        }
    }

    fn call<T, E: From<PortError>>(
        &self,
        method: &'static str,
        f: impl FnOnce(&S) -> Result<T, E>,
    ) -> Result<T, E> {
        (self.hook)(method, Phase::Before)?;
        let answer = f(&self.inner);
        (self.hook)(method, Phase::After)?;
        answer
    }
}

impl<S: ?Sized> fmt::Debug for Hooked<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hooked(..)")
    }
}

impl<S: KeystoreStore + ?Sized> KeystoreStore for Hooked<S> {
    fn insert_keystore(&self, record: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
        self.call("insert_keystore", |s| s.insert_keystore(record))
    }
    fn get_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<Option<KeystoreRecord>> {
        self.call("get_keystore", |s| s.get_keystore(domain_id, keystore_id))
    }
    fn list_keystores(
        &self,
        domain_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<KeystoreRecord>)> {
        self.call("list_keystores", |s| {
            s.list_keystores(domain_id, offset, limit)
        })
    }
    fn set_keystore_state(
        &self,
        domain_id: &str,
        keystore_id: &str,
        state: KeystoreState,
    ) -> PortResult<bool> {
        self.call("set_keystore_state", |s| {
            s.set_keystore_state(domain_id, keystore_id, state)
        })
    }
    fn delete_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<DeleteKeystoreOutcome> {
        self.call("delete_keystore", |s| {
            s.delete_keystore(domain_id, keystore_id)
        })
    }
    fn record_root_key_check(
        &self,
        keystore_id: &str,
        check: &[u8; crate::ports::ROOT_KEY_CHECK_LEN],
    ) -> PortResult<[u8; crate::ports::ROOT_KEY_CHECK_LEN]> {
        self.call("record_root_key_check", |s| {
            s.record_root_key_check(keystore_id, check)
        })
    }
    fn forget_root_key_check(&self, keystore_id: &str) -> PortResult<()> {
        self.call("forget_root_key_check", |s| {
            s.forget_root_key_check(keystore_id)
        })
    }
}

impl<S: MasterKeyStore + ?Sized> MasterKeyStore for Hooked<S> {
    fn insert_key(&self, record: &KeyRecord, material: &KeyMaterial) -> Result<(), InsertKeyError> {
        self.call("insert_key", |s| s.insert_key(record, material))
    }
    fn get_key(&self, project_id: &str, key_id: &str) -> PortResult<Option<Arc<KeyRecord>>> {
        self.call("get_key", |s| s.get_key(project_id, key_id))
    }
    fn get_key_material(&self, key_id: &str, version: u32) -> PortResult<Option<Vec<u8>>> {
        self.call("get_key_material", |s| s.get_key_material(key_id, version))
    }
    fn set_key_state(
        &self,
        project_id: &str,
        key_id: &str,
        state: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> PortResult<bool> {
        self.call("set_key_state", |s| {
            s.set_key_state(project_id, key_id, state, deletion_time)
        })
    }
    fn count_keys_in_keystore(&self, keystore_id: &str) -> PortResult<u64> {
        self.call("count_keys_in_keystore", |s| {
            s.count_keys_in_keystore(keystore_id)
        })
    }
    fn list_keys(
        &self,
        project_id: &str,
        query: &KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)> {
        self.call("list_keys", |s| s.list_keys(project_id, query))
    }
    fn update_key_alias(
        &self,
        project_id: &str,
        key_id: &str,
        alias: &str,
    ) -> Result<(), UpdateKeyAliasError> {
        self.call("update_key_alias", |s| {
            s.update_key_alias(project_id, key_id, alias)
        })
    }
    fn update_key_description(
        &self,
        project_id: &str,
        key_id: &str,
        description: &str,
    ) -> PortResult<bool> {
        self.call("update_key_description", |s| {
            s.update_key_description(project_id, key_id, description)
        })
    }
    fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64> {
        self.call("purge_deleted_keys", |s| s.purge_deleted_keys(at))
    }
    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
        interval_start: Option<Timestamp>,
    ) -> PortResult<bool> {
        self.call("set_key_rotation", |s| {
            s.set_key_rotation(project_id, key_id, enabled, interval_days, interval_start)
        })
    }
    fn rotate_key(
        &self,
        project_id: &str,
        key_id: &str,
        material: &WrappedMasterKey,
        version: u32,
        at: Timestamp,
    ) -> Result<(), RotateKeyError> {
        self.call("rotate_key", |s| {
            s.rotate_key(project_id, key_id, material, version, at)
        })
    }
    fn keys_due_for_rotation(&self, at: Timestamp, limit: u64) -> PortResult<Vec<DueRotation>> {
        self.call("keys_due_for_rotation", |s| {
            s.keys_due_for_rotation(at, limit)
        })
    }
    fn insert_import_token(&self, token: &ImportTokenRecord) -> PortResult<()> {
        self.call("insert_import_token", |s| s.insert_import_token(token))
    }
    fn get_import_token(&self, token_id: &str) -> PortResult<Option<ImportTokenRecord>> {
        self.call("get_import_token", |s| s.get_import_token(token_id))
    }
    fn purge_import_tokens(&self, at: Timestamp) -> PortResult<u64> {
        self.call("purge_import_tokens", |s| s.purge_import_tokens(at))
    }
    fn import_fingerprint(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<u8>>> {
        self.call("import_fingerprint", |s| {
            s.import_fingerprint(project_id, key_id)
        })
    }
    fn import_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        material: &KeyMaterial,
        fingerprint: &[u8],
        expiry: Option<Timestamp>,
    ) -> Result<(), ImportMaterialError> {
        self.call("import_key_material", |s| {
            s.import_key_material(project_id, key_id, material, fingerprint, expiry)
        })
    }
    fn delete_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        expired_at: Option<Timestamp>,
    ) -> PortResult<bool> {
        self.call("delete_key_material", |s| {
            s.delete_key_material(project_id, key_id, expired_at)
        })
    }

    fn key_group(&self, key_id: &str) -> PortResult<Vec<GroupMember>> {
        self.call("key_group", |s| s.key_group(key_id))
    }

    fn insert_replica(
        &self,
        source: &GroupMember,
        record: &KeyRecord,
        versions: &[WrappedMasterKey],
        replica: &GroupMember,
    ) -> Result<(), InsertReplicaError> {
        self.call("insert_replica", |s| {
            s.insert_replica(source, record, versions, replica)
        })
    }

    fn set_group_primary(&self, key_id: &str) -> PortResult<bool> {
        self.call("set_group_primary", |s| s.set_group_primary(key_id))
    }
}

impl<S: KeyTagStore + ?Sized> KeyTagStore for Hooked<S> {
    fn update_key_tags(
        &self,
        project_id: &str,
        key_id: &str,
        upsert: &[KeyTag],
        remove: &[String],
        max_tags: usize,
    ) -> Result<(), TagWriteError> {
        self.call("update_key_tags", |s| {
            s.update_key_tags(project_id, key_id, upsert, remove, max_tags)
        })
    }
    fn get_key_tags(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<KeyTag>>> {
        self.call("get_key_tags", |s| s.get_key_tags(project_id, key_id))
    }
    fn list_project_tags(
        &self,
        project_id: &str,
        live_at: Timestamp,
    ) -> PortResult<Vec<(String, Vec<String>)>> {
        self.call("list_project_tags", |s| {
            s.list_project_tags(project_id, live_at)
        })
    }
    fn list_keys_by_tags(
        &self,
        project_id: &str,
        tags: &[TagFilter],
        alias_contains: Option<&str>,
        query: &KeyListQuery,
    ) -> PortResult<TaggedKeys> {
        self.call("list_keys_by_tags", |s| {
            s.list_keys_by_tags(project_id, tags, alias_contains, query)
        })
    }
}

impl<S: KeyAliasStore + ?Sized> KeyAliasStore for Hooked<S> {
    fn insert_alias(
        &self,
        record: &AliasRecord,
        max_per_key: usize,
    ) -> Result<(), AliasWriteError> {
        self.call("insert_alias", |s| s.insert_alias(record, max_per_key))
    }
    fn associate_alias(
        &self,
        project_id: &str,
        alias: &str,
        target_key_id: &str,
        max_per_key: usize,
        at: Timestamp,
    ) -> Result<AliasRecord, AliasWriteError> {
        self.call("associate_alias", |s| {
            s.associate_alias(project_id, alias, target_key_id, max_per_key, at)
        })
    }
    fn delete_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        aliases: &[String],
    ) -> Result<(), AliasWriteError> {
        self.call("delete_aliases", |s| {
            s.delete_aliases(project_id, key_id, aliases)
        })
    }
    fn get_alias(&self, project_id: &str, alias: &str) -> PortResult<Option<AliasRecord>> {
        self.call("get_alias", |s| s.get_alias(project_id, alias))
    }
    fn list_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
        live_at: Timestamp,
    ) -> PortResult<Vec<AliasRecord>> {
        self.call("list_aliases", |s| {
            s.list_aliases(project_id, key_id, after, limit, live_at)
        })
    }
}

impl<S: CertificateStore + ?Sized> CertificateStore for Hooked<S> {
    fn insert_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        self.call("insert_certificate", |s| s.insert_certificate(cert))
    }
    fn get_certificate(&self, project_id: &str, id: &str) -> PortResult<Option<StoredCertificate>> {
        self.call("get_certificate", |s| s.get_certificate(project_id, id))
    }
    fn list_certificates(
        &self,
        project_id: &str,
        filter: &CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<StoredCertificate>)> {
        self.call("list_certificates", |s| {
            s.list_certificates(project_id, filter, offset, limit)
        })
    }
    fn update_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        self.call("update_certificate", |s| s.update_certificate(cert))
    }
    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool> {
        self.call("delete_certificate", |s| {
            s.delete_certificate(project_id, id)
        })
    }
}

impl<S: crate::ports::KeyGrantStore + ?Sized> crate::ports::KeyGrantStore for Hooked<S> {
    fn insert_grant(
        &self,
        grant: &crate::ports::GrantRecord,
        max_per_key: u64,
    ) -> Result<(), crate::ports::InsertGrantError> {
        self.call("insert_grant", |s| s.insert_grant(grant, max_per_key))
    }
    fn grants_of_key(&self, key_id: &str) -> PortResult<Vec<crate::ports::GrantRecord>> {
        self.call("grants_of_key", |s| s.grants_of_key(key_id))
    }
    fn list_grants(
        &self,
        project_id: &str,
        key_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<crate::ports::GrantRecord>)> {
        self.call("list_grants", |s| {
            s.list_grants(project_id, key_id, offset, limit)
        })
    }
    fn list_retirable_grants(
        &self,
        principal: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<crate::ports::GrantRecord>)> {
        self.call("list_retirable_grants", |s| {
            s.list_retirable_grants(principal, offset, limit)
        })
    }
    fn delete_grant(&self, key_id: &str, grant_id: &str) -> PortResult<bool> {
        self.call("delete_grant", |s| s.delete_grant(key_id, grant_id))
    }

    fn most_grants_on_a_key(&self, project_id: &str) -> PortResult<u64> {
        self.call("most_grants_on_a_key", |s| {
            s.most_grants_on_a_key(project_id)
        })
    }
}

impl<S: PinVerifierStore + ?Sized> PinVerifierStore for Hooked<S> {
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()> {
        self.call("insert_pin_verifier", |s| {
            s.insert_pin_verifier(domain_id, keystore_id, verifier)
        })
    }
    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool> {
        self.call("has_pin_verifier", |s| {
            s.has_pin_verifier(domain_id, keystore_id, verifier)
        })
    }
}

type RootHook = dyn Fn(&'static str, Phase) -> Result<(), RootKeyError> + Send + Sync;

/// [`Hooked`] for the root-key provider: every method first and last calls
/// `hook(method, phase)` (an `Err` is any [`RootKeyError`], e.g. an
/// unreachable HSM), then delegates to the inner provider.
pub struct HookedRoots<R: ?Sized> {
    inner: Arc<R>,
    hook: Arc<RootHook>,
}

impl<R: ?Sized> HookedRoots<R> {
    /// `inner` behind `hook`.
    pub fn new(
        inner: Arc<R>,
        hook: impl Fn(&'static str, Phase) -> Result<(), RootKeyError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            hook: Arc::new(hook),
        }
    }

    fn call<T>(
        &self,
        method: &'static str,
        f: impl FnOnce(&R) -> Result<T, RootKeyError>,
    ) -> Result<T, RootKeyError> {
        (self.hook)(method, Phase::Before)?;
        let answer = f(&self.inner);
        (self.hook)(method, Phase::After)?;
        answer
    }
}

impl<R: ?Sized> fmt::Debug for HookedRoots<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HookedRoots(..)")
    }
}

impl<R: RootKeyProvider + ?Sized> RootKeyProvider for HookedRoots<R> {
    fn wrap_master_key(
        &self,
        keystore_id: &str,
        key: &MasterKey,
    ) -> Result<WrappedMasterKey, RootKeyError> {
        self.call("wrap_master_key", |r| r.wrap_master_key(keystore_id, key))
    }
    fn unwrap_master_key(
        &self,
        keystore_id: &str,
        key_id: &str,
        version: u32,
        wrapped: &[u8],
    ) -> Result<MasterKey, RootKeyError> {
        self.call("unwrap_master_key", |r| {
            r.unwrap_master_key(keystore_id, key_id, version, wrapped)
        })
    }
    fn seal_pin(
        &self,
        scope: &PinScope<'_>,
        entropy: &dyn Entropy,
        pin: &Pin,
    ) -> Result<Ciphertext, RootKeyError> {
        self.call("seal_pin", |r| r.seal_pin(scope, entropy, pin))
    }
    fn verify_sealed_pin(&self, scope: &PinScope<'_>, sealed: &[u8]) -> Result<(), RootKeyError> {
        self.call("verify_sealed_pin", |r| r.verify_sealed_pin(scope, sealed))
    }
    fn seal_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        entropy: &dyn Entropy,
        private_key: &[u8],
    ) -> Result<Ciphertext, RootKeyError> {
        self.call("seal_private_key", |r| {
            r.seal_private_key(scope, entropy, private_key)
        })
    }
    fn open_private_key(
        &self,
        scope: &PrivateKeyScope<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        self.call("open_private_key", |r| r.open_private_key(scope, sealed))
    }
    fn seal_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        entropy: &dyn Entropy,
        key: &SigningKey,
    ) -> Result<Ciphertext, RootKeyError> {
        self.call("seal_key_pair", |r| {
            r.seal_key_pair(keystore_id, key_id, entropy, key)
        })
    }
    fn open_key_pair(
        &self,
        keystore_id: &str,
        key_id: &str,
        spec: SigningKeySpec,
        sealed: &[u8],
    ) -> Result<SigningKey, RootKeyError> {
        self.call("open_key_pair", |r| {
            r.open_key_pair(keystore_id, key_id, spec, sealed)
        })
    }
    fn pin_verifier(&self, keystore_id: &str, pin: &Pin) -> Result<PinVerifier, RootKeyError> {
        self.call("pin_verifier", |r| r.pin_verifier(keystore_id, pin))
    }
    fn pin_keys(&self, keystore_id: &str) -> Result<PinKeys, RootKeyError> {
        self.call("pin_keys", |r| r.pin_keys(keystore_id))
    }
    fn wrap_pin_keys(&self, keystore_id: &str, keys: &PinKeys) -> Result<Vec<u8>, RootKeyError> {
        self.call("wrap_pin_keys", |r| r.wrap_pin_keys(keystore_id, keys))
    }
    fn provision_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.call("provision_keystore", |r| r.provision_keystore(keystore))
    }
    fn attach_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.call("attach_keystore", |r| r.attach_keystore(keystore))
    }
    fn release_keystore(&self, keystore: &KeystoreRecord) -> Result<(), RootKeyError> {
        self.call("release_keystore", |r| r.release_keystore(keystore))
    }
}
