//! In-memory adapters: every store port, and the test doubles (a manual
//! clock, sequential ids, an audit sink that keeps events). Thread-safe,
//! no I/O. For tests, examples, and hosts that want no durability
//! (`kms-server --in-memory`). The production adapters that are not stores
//! (software root keys, entropy, random ids) are in [`crate::software`].
//!
//! [`MemoryStore`] implements every store port over one lock, so each
//! conditional write is atomic exactly as the port documents. A poisoned
//! lock (a thread panicked mid-write) is reported as
//! [`PortErrorKind::Poisoned`](crate::ports::PortErrorKind::Poisoned), never
//! read as an answer.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use kms_crypto::{PinVerifier, WrappedMasterKey};

use crate::ports::{AliasRecord, AliasWriteError, GroupMember, InsertReplicaError, KeyAliasStore};
use crate::ports::{
    AuditEvent, AuditRecord, AuditSink, CertificateFilter, CertificateStore, CertificateWriteError,
    Clock, DeleteKeystoreOutcome, DueRotation, IdGenerator, InsertKeyError, InsertKeystoreError,
    KeyListQuery, KeyRecord, KeyState, KeystoreRecord, KeystoreState, KeystoreStore,
    MasterKeyStore, PinVerifierStore, PortError, PortResult, RotateKeyError, StoredCertificate,
    Timestamp, UpdateKeyAliasError,
};
use crate::ports::{
    CarriedPinKeys, ROOT_FINGERPRINT_LEN, ROOT_KEY_CHECK_LEN, Rewrapped, RootBoundItem,
    RootBoundRow, RootKeyState, RootRotationStore, RootRotationTarget,
};
use crate::ports::{GrantRecord, InsertGrantError, KeyGrantStore};
use crate::ports::{ImportMaterialError, ImportTokenRecord};
use crate::ports::{KeyMaterial, KeyTag, KeyTagStore, TagFilter, TagWriteError, TaggedKeys};

fn poisoned<T>(_: T) -> PortError {
    PortError::poisoned("in-memory store")
}

/// An insert reusing an existing id: refused (as a primary key would),
/// never an overwrite. Ids come fresh from the id port, so this is a
/// failure of the caller, not an answer.
fn id_taken(what: &'static str) -> PortError {
    PortError::new(
        crate::ports::PortErrorKind::Other,
        format!("{what} id already exists"),
    )
}

// ---------------------------------------------------------------- stores

#[derive(Default)]
struct State {
    keystores: Vec<KeystoreRecord>,
    keys: HashMap<String, Arc<KeyRecord>>,
    tags: HashMap<String, std::collections::BTreeMap<String, String>>,
    /// Grants, oldest first (creation time, then id).
    grants: Vec<GrantRecord>,
    /// Aliases of the alias API, by project then alias.
    aliases: std::collections::BTreeMap<(String, String), AliasRecord>,
    material: HashMap<(String, u32), Vec<u8>>,
    /// Multi-region group memberships, by member key id.
    groups: HashMap<String, GroupMember>,
    certificates: Vec<StoredCertificate>,
    pin_verifiers: HashSet<(String, String, [u8; 32])>,
    root: RootKeyState,
    carried_pin_keys: Vec<CarriedPinKeys>,
    root_key_checks: HashMap<String, [u8; ROOT_KEY_CHECK_LEN]>,
    /// Root-rotation marks of key material and certificates (absent: 0).
    material_marks: HashMap<(String, u32), u32>,
    certificate_marks: HashMap<String, u32>,
    /// Import tokens, by token id.
    import_tokens: HashMap<String, ImportTokenRecord>,
    /// The fingerprint of each key's last imported material.
    import_fingerprints: HashMap<String, Vec<u8>>,
}

/// Every store port in memory, behind one lock.
#[derive(Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl KeystoreStore for MemoryStore {
    fn insert_keystore(&self, record: &KeystoreRecord) -> Result<(), InsertKeystoreError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.keystores
            .iter()
            .any(|k| k.keystore_id == record.keystore_id)
        {
            return Err(id_taken("keystore").into());
        }
        if s.keystores
            .iter()
            .any(|k| k.domain_id == record.domain_id && k.alias == record.alias)
        {
            return Err(InsertKeystoreError::AliasTaken);
        }
        if record.cluster_id.is_some()
            && s.keystores
                .iter()
                .any(|k| k.cluster_id == record.cluster_id)
        {
            return Err(InsertKeystoreError::ClusterTaken);
        }
        s.keystores.push(record.clone());
        Ok(())
    }

    fn get_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<Option<KeystoreRecord>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.keystores
            .iter()
            .find(|k| k.domain_id == domain_id && k.keystore_id == keystore_id)
            .cloned())
    }

    fn list_keystores(
        &self,
        domain_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<KeystoreRecord>)> {
        let s = self.state.read().map_err(poisoned)?;
        // Oldest first, as the port says (a stable sort: ties keep their
        // insertion order, as SQLite's `create_time, rowid`).
        let mut mine: Vec<&KeystoreRecord> = s
            .keystores
            .iter()
            .filter(|k| k.domain_id == domain_id)
            .collect();
        mine.sort_by_key(|k| k.create_time);
        let page = mine
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|k| (*k).clone())
            .collect();
        Ok((mine.len() as u64, page))
    }

    fn set_keystore_state(
        &self,
        domain_id: &str,
        keystore_id: &str,
        state: KeystoreState,
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        Ok(s.keystores
            .iter_mut()
            .find(|k| k.domain_id == domain_id && k.keystore_id == keystore_id)
            .map(|k| k.state = state)
            .is_some())
    }

    fn delete_keystore(
        &self,
        domain_id: &str,
        keystore_id: &str,
    ) -> PortResult<DeleteKeystoreOutcome> {
        let mut s = self.state.write().map_err(poisoned)?;
        let Some(pos) = s
            .keystores
            .iter()
            .position(|k| k.domain_id == domain_id && k.keystore_id == keystore_id)
        else {
            return Ok(DeleteKeystoreOutcome::NotFound);
        };
        if s.keys.values().any(|k| k.keystore_id == keystore_id) {
            return Ok(DeleteKeystoreOutcome::HasKeys);
        }
        s.keystores.remove(pos);
        Ok(DeleteKeystoreOutcome::Deleted)
    }

    fn record_root_key_check(
        &self,
        keystore_id: &str,
        check: &[u8; ROOT_KEY_CHECK_LEN],
    ) -> PortResult<[u8; ROOT_KEY_CHECK_LEN]> {
        let mut s = self.state.write().map_err(poisoned)?;
        Ok(*s
            .root_key_checks
            .entry(keystore_id.to_owned())
            .or_insert(*check))
    }

    fn forget_root_key_check(&self, keystore_id: &str) -> PortResult<()> {
        self.state
            .write()
            .map_err(poisoned)?
            .root_key_checks
            .remove(keystore_id);
        Ok(())
    }
}

impl MasterKeyStore for MemoryStore {
    fn insert_key(&self, record: &KeyRecord, material: &KeyMaterial) -> Result<(), InsertKeyError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.keys.contains_key(&record.key_id) {
            return Err(id_taken("key").into());
        }
        if s.keys
            .values()
            .any(|k| k.project_id == record.project_id && k.alias == record.alias)
        {
            return Err(InsertKeyError::AliasTaken);
        }
        let dedicated = kms_model::KeystoreRef::is_dedicated_id(&record.keystore_id);
        if dedicated
            && !s
                .keystores
                .iter()
                .any(|k| k.keystore_id == record.keystore_id)
        {
            return Err(InsertKeyError::KeystoreGone);
        }
        if let Some(bytes) = material.stored_bytes() {
            s.material.insert(
                (record.key_id.clone(), record.current_version),
                bytes.to_vec(),
            );
        }
        s.keys
            .insert(record.key_id.clone(), Arc::new(record.clone()));
        Ok(())
    }

    fn get_key(&self, project_id: &str, key_id: &str) -> PortResult<Option<Arc<KeyRecord>>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.keys
            .get(key_id)
            .filter(|k| k.project_id == project_id)
            .cloned())
    }

    fn get_key_material(&self, key_id: &str, version: u32) -> PortResult<Option<Vec<u8>>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.material.get(&(key_id.to_owned(), version)).cloned())
    }

    fn set_key_state(
        &self,
        project_id: &str,
        key_id: &str,
        state: KeyState,
        deletion_time: Option<Timestamp>,
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        Ok(s.keys
            .get_mut(key_id)
            .filter(|k| k.project_id == project_id)
            .map(|k| {
                let k = Arc::make_mut(k);
                k.state = state;
                k.deletion_time = deletion_time;
            })
            .is_some())
    }

    fn count_keys_in_keystore(&self, keystore_id: &str) -> PortResult<u64> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.keys
            .values()
            .filter(|k| k.keystore_id == keystore_id)
            .count() as u64)
    }

    fn list_keys(
        &self,
        project_id: &str,
        query: &KeyListQuery,
    ) -> PortResult<(u64, Vec<KeyRecord>)> {
        let s = self.state.read().map_err(poisoned)?;
        let mut mine: Vec<&Arc<KeyRecord>> = s
            .keys
            .values()
            .filter(|k| k.project_id == project_id)
            .filter(|k| query.state.is_none_or(|st| k.state == st))
            .filter(|k| query.spec.is_none_or(|sp| k.spec == sp))
            .filter(|k| !is_gone(k, query.live_at))
            .collect();
        mine.sort_by(|a, b| (a.create_time, &a.key_id).cmp(&(b.create_time, &b.key_id)));
        let page = mine
            .iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .map(|k| (***k).clone())
            .collect();
        Ok((mine.len() as u64, page))
    }

    fn update_key_alias(
        &self,
        project_id: &str,
        key_id: &str,
        alias: &str,
    ) -> Result<(), UpdateKeyAliasError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.keys
            .get(key_id)
            .is_none_or(|k| k.project_id != project_id)
        {
            return Err(UpdateKeyAliasError::NotFound);
        }
        if s.keys
            .values()
            .any(|k| k.project_id == project_id && k.alias == alias && k.key_id != key_id)
        {
            return Err(UpdateKeyAliasError::AliasTaken);
        }
        if let Some(k) = s.keys.get_mut(key_id) {
            Arc::make_mut(k).alias = alias.to_owned();
        }
        Ok(())
    }

    fn update_key_description(
        &self,
        project_id: &str,
        key_id: &str,
        description: &str,
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        Ok(s.keys
            .get_mut(key_id)
            .filter(|k| k.project_id == project_id)
            .map(|k| Arc::make_mut(k).description = description.to_owned())
            .is_some())
    }

    fn purge_deleted_keys(&self, at: Timestamp) -> PortResult<u64> {
        let mut s = self.state.write().map_err(poisoned)?;
        let gone: Vec<String> = s
            .keys
            .values()
            .filter(|k| is_gone(k, at))
            .map(|k| k.key_id.clone())
            .collect();
        for id in &gone {
            s.keys.remove(id);
            s.tags.remove(id);
        }
        s.grants.retain(|g| !gone.contains(&g.key_id));
        s.aliases.retain(|_, a| !gone.contains(&a.key_id));
        s.groups.retain(|id, _| !gone.contains(id));
        s.material.retain(|(id, _), _| !gone.contains(id));
        s.import_fingerprints.retain(|id, _| !gone.contains(id));
        s.import_tokens.retain(|_, t| !gone.contains(&t.key_id));
        Ok(gone.len() as u64)
    }

    fn set_key_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
        interval_start: Option<Timestamp>,
    ) -> PortResult<bool> {
        self.set_rotation(project_id, key_id, enabled, interval_days, interval_start)
    }

    fn rotate_key(
        &self,
        project_id: &str,
        key_id: &str,
        material: &WrappedMasterKey,
        version: u32,
        at: Timestamp,
    ) -> Result<(), RotateKeyError> {
        self.rotate(project_id, key_id, material, version, at)
    }

    fn keys_due_for_rotation(&self, at: Timestamp, limit: u64) -> PortResult<Vec<DueRotation>> {
        let s = self.state.read().map_err(poisoned)?;
        let mut due: Vec<(Timestamp, &KeyRecord)> = s
            .keys
            .values()
            .filter_map(|k| {
                k.rotation_due_at()
                    .filter(|t| *t <= at)
                    .map(|t| (t, k.as_ref()))
            })
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key_id.cmp(&b.1.key_id)));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, k)| DueRotation {
                project_id: k.project_id.clone(),
                key_id: k.key_id.clone(),
                current_version: k.current_version,
            })
            .collect())
    }

    fn insert_import_token(&self, token: &ImportTokenRecord) -> PortResult<()> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.import_tokens.contains_key(&token.token_id) {
            return Err(id_taken("import token"));
        }
        s.import_tokens
            .insert(token.token_id.clone(), token.clone());
        Ok(())
    }

    fn get_import_token(&self, token_id: &str) -> PortResult<Option<ImportTokenRecord>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.import_tokens.get(token_id).cloned())
    }

    fn purge_import_tokens(&self, at: Timestamp) -> PortResult<u64> {
        let mut s = self.state.write().map_err(poisoned)?;
        let before = s.import_tokens.len();
        s.import_tokens.retain(|_, t| t.expires > at);
        Ok(u64::try_from(before - s.import_tokens.len()).unwrap_or(u64::MAX))
    }

    fn import_fingerprint(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<u8>>> {
        let s = self.state.read().map_err(poisoned)?;
        let mine = s
            .keys
            .get(key_id)
            .is_some_and(|k| k.project_id == project_id);
        Ok(s.import_fingerprints.get(key_id).filter(|_| mine).cloned())
    }

    fn import_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        material: &KeyMaterial,
        fingerprint: &[u8],
        expiry: Option<Timestamp>,
    ) -> Result<(), ImportMaterialError> {
        let mut s = self.state.write().map_err(poisoned)?;
        let State {
            keys,
            material: stored,
            import_fingerprints,
            ..
        } = &mut *s;
        let Some(k) = keys.get_mut(key_id).filter(|k| k.project_id == project_id) else {
            return Err(ImportMaterialError::NotFound);
        };
        if k.state != KeyState::PendingImport {
            return Err(ImportMaterialError::NotPendingImport);
        }
        if import_fingerprints
            .get(key_id)
            .is_some_and(|f| f.as_slice() != fingerprint)
        {
            return Err(ImportMaterialError::MaterialDiffers);
        }
        let Some(bytes) = material.stored_bytes() else {
            return Err(PortError::corrupt("no material to import").into());
        };
        let k = Arc::make_mut(k);
        k.state = KeyState::Enabled;
        k.current_version = 1;
        k.material_expiry = expiry;
        stored.retain(|(id, _), _| id != key_id);
        stored.insert((key_id.to_owned(), 1), bytes.to_vec());
        import_fingerprints.insert(key_id.to_owned(), fingerprint.to_vec());
        Ok(())
    }

    fn delete_key_material(
        &self,
        project_id: &str,
        key_id: &str,
        expired_at: Option<Timestamp>,
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        let State {
            keys,
            material: stored,
            ..
        } = &mut *s;
        let Some(k) = keys.get_mut(key_id).filter(|k| {
            k.project_id == project_id
                && matches!(k.state, KeyState::Enabled | KeyState::Disabled)
                && expired_at.is_none_or(|at| k.material_expiry.is_some_and(|t| t <= at))
        }) else {
            return Ok(false);
        };
        let k = Arc::make_mut(k);
        k.state = KeyState::PendingImport;
        k.current_version = 0;
        k.material_expiry = None;
        stored.retain(|(id, _), _| id != key_id);
        Ok(true)
    }

    fn key_group(&self, key_id: &str) -> PortResult<Vec<GroupMember>> {
        let s = self.state.read().map_err(poisoned)?;
        let Some(group) = s.groups.get(key_id).map(|m| m.group_id.clone()) else {
            return Ok(Vec::new());
        };
        Ok(s.groups
            .values()
            .filter(|m| m.group_id == group)
            .cloned()
            .collect())
    }

    fn insert_replica(
        &self,
        source: &GroupMember,
        record: &KeyRecord,
        versions: &[WrappedMasterKey],
        replica: &GroupMember,
    ) -> Result<(), InsertReplicaError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if !s.keys.contains_key(&source.key_id) {
            return Err(InsertReplicaError::SourceGone);
        }
        if s.keys.contains_key(&record.key_id) {
            return Err(id_taken("key").into());
        }
        if s.keys
            .values()
            .any(|k| k.project_id == record.project_id && k.alias == record.alias)
        {
            return Err(InsertReplicaError::AliasTaken);
        }
        let source_member = s
            .groups
            .get(&source.key_id)
            .cloned()
            .unwrap_or_else(|| source.clone());
        let group = source_member.group_id.clone();
        if s.groups
            .values()
            .any(|m| m.group_id == group && m.region_id == replica.region_id)
            || source_member.region_id == replica.region_id
        {
            return Err(InsertReplicaError::RegionTaken);
        }
        for (i, w) in versions.iter().enumerate() {
            let v = u32::try_from(i + 1).map_err(|_| id_taken("version"))?;
            s.material
                .insert((record.key_id.clone(), v), w.as_bytes().to_vec());
        }
        s.keys
            .insert(record.key_id.clone(), Arc::new(record.clone()));
        s.groups
            .entry(source.key_id.clone())
            .or_insert(source_member);
        s.groups.insert(
            replica.key_id.clone(),
            GroupMember {
                group_id: group,
                primary: false,
                ..replica.clone()
            },
        );
        Ok(())
    }

    fn set_group_primary(&self, key_id: &str) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        let Some(group) = s.groups.get(key_id).map(|m| m.group_id.clone()) else {
            return Ok(false);
        };
        for m in s.groups.values_mut().filter(|m| m.group_id == group) {
            m.primary = m.key_id == key_id;
        }
        Ok(true)
    }
}

impl MemoryStore {
    fn set_rotation(
        &self,
        project_id: &str,
        key_id: &str,
        enabled: Option<bool>,
        interval_days: Option<u32>,
        interval_start: Option<Timestamp>,
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        Ok(s.keys
            .get_mut(key_id)
            .filter(|k| k.project_id == project_id)
            .map(|k| {
                let r = &mut Arc::make_mut(k).rotation;
                if let Some(e) = enabled {
                    r.enabled = e;
                }
                if let Some(d) = interval_days {
                    r.interval_days = d;
                }
                if interval_start.is_some() {
                    r.interval_start = interval_start;
                }
            })
            .is_some())
    }

    fn rotate(
        &self,
        project_id: &str,
        key_id: &str,
        material: &WrappedMasterKey,
        version: u32,
        at: Timestamp,
    ) -> Result<(), RotateKeyError> {
        let mut s = self.state.write().map_err(poisoned)?;
        let Some(k) = s
            .keys
            .get_mut(key_id)
            .filter(|k| k.project_id == project_id)
        else {
            return Err(RotateKeyError::NotFound);
        };
        if version == 0 || k.current_version != version - 1 {
            return Err(RotateKeyError::VersionChanged);
        }
        let k = Arc::make_mut(k);
        k.current_version = version;
        k.rotation.last_rotation_time = Some(at);
        k.rotation.interval_start = Some(at);
        k.rotation.rotations = k.rotation.rotations.saturating_add(1);
        s.material
            .insert((key_id.to_owned(), version), material.as_bytes().to_vec());
        Ok(())
    }
}

impl KeyTagStore for MemoryStore {
    fn update_key_tags(
        &self,
        project_id: &str,
        key_id: &str,
        upsert: &[KeyTag],
        remove: &[String],
        max_tags: usize,
    ) -> Result<(), TagWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.keys
            .get(key_id)
            .is_none_or(|k| k.project_id != project_id)
        {
            return Err(TagWriteError::NotFound);
        }
        let mut tags = s.tags.get(key_id).cloned().unwrap_or_default();
        for (k, v) in upsert {
            tags.insert(k.clone(), v.clone());
        }
        for k in remove {
            tags.remove(k);
        }
        if tags.len() > max_tags {
            return Err(TagWriteError::TooMany);
        }
        s.tags.insert(key_id.to_owned(), tags);
        Ok(())
    }

    fn get_key_tags(&self, project_id: &str, key_id: &str) -> PortResult<Option<Vec<KeyTag>>> {
        let s = self.state.read().map_err(poisoned)?;
        if s.keys
            .get(key_id)
            .is_none_or(|k| k.project_id != project_id)
        {
            return Ok(None);
        }
        Ok(Some(tags_of(&s, key_id)))
    }

    fn list_project_tags(
        &self,
        project_id: &str,
        live_at: Timestamp,
    ) -> PortResult<Vec<(String, Vec<String>)>> {
        let s = self.state.read().map_err(poisoned)?;
        let mut all: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            std::collections::BTreeMap::new();
        for k in s
            .keys
            .values()
            .filter(|k| k.project_id == project_id && !is_gone(k, live_at))
        {
            for (tk, tv) in s.tags.get(&k.key_id).into_iter().flatten() {
                all.entry(tk.clone()).or_default().insert(tv.clone());
            }
        }
        Ok(all
            .into_iter()
            .map(|(k, vs)| (k, vs.into_iter().collect()))
            .collect())
    }

    fn list_keys_by_tags(
        &self,
        project_id: &str,
        tags: &[TagFilter],
        alias_contains: Option<&str>,
        query: &KeyListQuery,
    ) -> PortResult<TaggedKeys> {
        let s = self.state.read().map_err(poisoned)?;
        let empty = std::collections::BTreeMap::new();
        let mut mine: Vec<&Arc<KeyRecord>> = s
            .keys
            .values()
            .filter(|k| k.project_id == project_id && !is_gone(k, query.live_at))
            .filter(|k| alias_contains.is_none_or(|a| k.alias.contains(a)))
            .filter(|k| {
                let have = s.tags.get(&k.key_id).unwrap_or(&empty);
                tags.iter().all(|f| {
                    have.get(&f.key)
                        .is_some_and(|v| f.values.is_empty() || f.values.contains(v))
                })
            })
            .collect();
        mine.sort_by(|a, b| (a.create_time, &a.key_id).cmp(&(b.create_time, &b.key_id)));
        let page = mine
            .iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .map(|k| ((***k).clone(), tags_of(&s, &k.key_id)))
            .collect();
        Ok((mine.len() as u64, page))
    }
}

impl KeyAliasStore for MemoryStore {
    fn insert_alias(
        &self,
        record: &AliasRecord,
        max_per_key: usize,
    ) -> Result<(), AliasWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if !key_in_project(&s, &record.project_id, &record.key_id) {
            return Err(AliasWriteError::KeyNotFound);
        }
        let id = (record.project_id.clone(), record.alias.clone());
        if s.aliases.contains_key(&id) {
            return Err(AliasWriteError::AliasTaken);
        }
        if aliases_of(&s, &record.key_id) >= max_per_key {
            return Err(AliasWriteError::TooMany);
        }
        s.aliases.insert(id, record.clone());
        Ok(())
    }

    fn associate_alias(
        &self,
        project_id: &str,
        alias: &str,
        target_key_id: &str,
        max_per_key: usize,
        at: Timestamp,
    ) -> Result<AliasRecord, AliasWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        let id = (project_id.to_owned(), alias.to_owned());
        let Some(current) = s.aliases.get(&id).map(|a| a.key_id.clone()) else {
            return Err(AliasWriteError::AliasNotFound);
        };
        if !key_in_project(&s, project_id, target_key_id) {
            return Err(AliasWriteError::KeyNotFound);
        }
        if current != target_key_id && aliases_of(&s, target_key_id) >= max_per_key {
            return Err(AliasWriteError::TooMany);
        }
        let a = s
            .aliases
            .get_mut(&id)
            .ok_or(AliasWriteError::AliasNotFound)?;
        target_key_id.clone_into(&mut a.key_id);
        a.update_time = at;
        Ok(a.clone())
    }

    fn delete_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        aliases: &[String],
    ) -> Result<(), AliasWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        let ids: Vec<(String, String)> = aliases
            .iter()
            .map(|a| (project_id.to_owned(), a.clone()))
            .collect();
        let all_there = ids.iter().all(|id| {
            s.aliases
                .get(id)
                .is_some_and(|a| key_id.is_none_or(|k| a.key_id == k))
        });
        if !all_there {
            return Err(AliasWriteError::AliasNotFound);
        }
        for id in &ids {
            s.aliases.remove(id);
        }
        Ok(())
    }

    fn get_alias(&self, project_id: &str, alias: &str) -> PortResult<Option<AliasRecord>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.aliases
            .get(&(project_id.to_owned(), alias.to_owned()))
            .cloned())
    }

    fn list_aliases(
        &self,
        project_id: &str,
        key_id: Option<&str>,
        after: Option<&str>,
        limit: u64,
        live_at: Timestamp,
    ) -> PortResult<Vec<AliasRecord>> {
        let s = self.state.read().map_err(poisoned)?;
        let start = (project_id.to_owned(), after.unwrap_or_default().to_owned());
        Ok(s.aliases
            .range(start..)
            .take_while(|((p, _), _)| p == project_id)
            .map(|(_, a)| a)
            .filter(|a| after.is_none_or(|m| a.alias.as_str() > m))
            .filter(|a| key_id.is_none_or(|k| a.key_id == k))
            .filter(|a| s.keys.get(&a.key_id).is_some_and(|k| !is_gone(k, live_at)))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }
}

fn key_in_project(s: &State, project_id: &str, key_id: &str) -> bool {
    s.keys
        .get(key_id)
        .is_some_and(|k| k.project_id == project_id)
}

fn aliases_of(s: &State, key_id: &str) -> usize {
    s.aliases.values().filter(|a| a.key_id == key_id).count()
}

fn tags_of(s: &State, key_id: &str) -> Vec<KeyTag> {
    s.tags
        .get(key_id)
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// A key pending deletion whose deletion time has come.
fn is_gone(k: &KeyRecord, at: Timestamp) -> bool {
    k.state == KeyState::PendingDeletion && k.deletion_time.is_some_and(|t| t <= at)
}

fn same_scope(a: &StoredCertificate, b: &StoredCertificate) -> bool {
    a.record.project_id == b.record.project_id
        && a.record.scope == b.record.scope
        && a.record.name == b.record.name
}

fn matches(c: &StoredCertificate, f: &CertificateFilter) -> bool {
    let r = &c.record;
    f.name.as_ref().is_none_or(|n| r.name.contains(n.as_str()))
        && f.common_name
            .as_ref()
            .is_none_or(|n| r.common_name.contains(n.as_str()))
        && f.signature_algorithm
            .as_ref()
            .is_none_or(|v| &r.signature_algorithm == v)
        && f.r#type.as_ref().is_none_or(|v| r.scope.type_str() == v)
        && f.instance_id
            .as_ref()
            .is_none_or(|v| r.scope.instance_id_str() == v)
        && f.algorithm_type
            .as_ref()
            .is_none_or(|v| r.algorithm_type.map(|a| a.as_str()) == Some(v.as_str()))
}

impl CertificateStore for MemoryStore {
    fn insert_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.certificates.iter().any(|c| c.record.id == cert.record.id) {
            return Err(id_taken("certificate").into());
        }
        if s.certificates.iter().any(|c| same_scope(c, cert)) {
            return Err(CertificateWriteError::NameTaken);
        }
        s.certificates.push(cert.clone());
        Ok(())
    }

    fn get_certificate(&self, project_id: &str, id: &str) -> PortResult<Option<StoredCertificate>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.certificates
            .iter()
            .find(|c| c.record.id == id && c.record.project_id == project_id)
            .cloned())
    }

    fn list_certificates(
        &self,
        project_id: &str,
        filter: &CertificateFilter,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<StoredCertificate>)> {
        let s = self.state.read().map_err(poisoned)?;
        let hits: Vec<&StoredCertificate> = s
            .certificates
            .iter()
            .filter(|c| c.record.project_id == project_id && matches(c, filter))
            .collect();
        let page = hits
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|c| (*c).clone())
            .collect();
        Ok((hits.len() as u64, page))
    }

    fn update_certificate(&self, cert: &StoredCertificate) -> Result<(), CertificateWriteError> {
        let mut s = self.state.write().map_err(poisoned)?;
        // A missing certificate is not found, whatever its new name.
        if !s
            .certificates
            .iter()
            .any(|c| c.record.id == cert.record.id && c.record.project_id == cert.record.project_id)
        {
            return Err(CertificateWriteError::NotFound);
        }
        if s.certificates
            .iter()
            .any(|c| c.record.id != cert.record.id && same_scope(c, cert))
        {
            return Err(CertificateWriteError::NameTaken);
        }
        let slot = s
            .certificates
            .iter_mut()
            .find(|c| {
                c.record.id == cert.record.id && c.record.project_id == cert.record.project_id
            })
            .ok_or(CertificateWriteError::NotFound)?;
        *slot = cert.clone();
        Ok(())
    }

    fn delete_certificate(&self, project_id: &str, id: &str) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        let before = s.certificates.len();
        s.certificates
            .retain(|c| !(c.record.id == id && c.record.project_id == project_id));
        Ok(s.certificates.len() != before)
    }
}

/// A page of `items`: their number and the `limit` from `offset`.
fn grant_page(items: Vec<&GrantRecord>, offset: u64, limit: u64) -> (u64, Vec<GrantRecord>) {
    let total = items.len() as u64;
    let page = items
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    (total, page)
}

impl KeyGrantStore for MemoryStore {
    fn insert_grant(&self, grant: &GrantRecord, max_per_key: u64) -> Result<(), InsertGrantError> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.keys
            .get(&grant.key_id)
            .is_none_or(|k| k.project_id != grant.project_id)
        {
            return Err(InsertGrantError::KeyNotFound);
        }
        if s.grants.iter().any(|g| g.grant_id == grant.grant_id) {
            return Err(id_taken("grant").into());
        }
        let n = s.grants.iter().filter(|g| g.key_id == grant.key_id).count() as u64;
        if n >= max_per_key {
            return Err(InsertGrantError::TooMany);
        }
        // Kept oldest first (creation time, then id), as the SQL stores
        // order them.
        let at = s.grants.partition_point(|g| {
            (g.creation_date, &g.grant_id) < (grant.creation_date, &grant.grant_id)
        });
        s.grants.insert(at, grant.clone());
        Ok(())
    }

    fn grants_of_key(&self, key_id: &str) -> PortResult<Vec<GrantRecord>> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.grants
            .iter()
            .filter(|g| g.key_id == key_id)
            .cloned()
            .collect())
    }

    fn list_grants(
        &self,
        project_id: &str,
        key_id: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<GrantRecord>)> {
        let s = self.state.read().map_err(poisoned)?;
        let items = s
            .grants
            .iter()
            .filter(|g| g.key_id == key_id && g.project_id == project_id)
            .collect();
        Ok(grant_page(items, offset, limit))
    }

    fn list_retirable_grants(
        &self,
        principal: &str,
        offset: u64,
        limit: u64,
    ) -> PortResult<(u64, Vec<GrantRecord>)> {
        let s = self.state.read().map_err(poisoned)?;
        let items = s
            .grants
            .iter()
            .filter(|g| g.retiring_principal.as_deref() == Some(principal))
            .collect();
        Ok(grant_page(items, offset, limit))
    }

    fn delete_grant(&self, key_id: &str, grant_id: &str) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        let before = s.grants.len();
        s.grants
            .retain(|g| !(g.key_id == key_id && g.grant_id == grant_id));
        Ok(s.grants.len() != before)
    }

    fn most_grants_on_a_key(&self, project_id: &str) -> PortResult<u64> {
        let s = self.state.read().map_err(poisoned)?;
        let mut per_key: HashMap<&str, u64> = HashMap::new();
        for g in s.grants.iter().filter(|g| g.project_id == project_id) {
            *per_key.entry(g.key_id.as_str()).or_default() += 1;
        }
        Ok(per_key.values().copied().max().unwrap_or(0))
    }
}

impl PinVerifierStore for MemoryStore {
    fn insert_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<()> {
        let mut s = self.state.write().map_err(poisoned)?;
        s.pin_verifiers.insert((
            domain_id.to_owned(),
            keystore_id.to_owned(),
            *verifier.as_bytes(),
        ));
        Ok(())
    }

    fn has_pin_verifier(
        &self,
        domain_id: &str,
        keystore_id: &str,
        verifier: &PinVerifier,
    ) -> PortResult<bool> {
        let s = self.state.read().map_err(poisoned)?;
        Ok(s.pin_verifiers.contains(&(
            domain_id.to_owned(),
            keystore_id.to_owned(),
            *verifier.as_bytes(),
        )))
    }
}

impl State {
    fn unmoved(&self, generation: u32) -> Vec<RootBoundRow> {
        let mut material: Vec<_> = self
            .material
            .iter()
            .filter(|(k, _)| self.material_marks.get(*k).copied().unwrap_or(0) != generation)
            .filter_map(|((key_id, version), bytes)| {
                let key = self.keys.get(key_id)?;
                Some(RootBoundRow {
                    item: RootBoundItem::KeyMaterial {
                        key_id: key_id.clone(),
                        version: *version,
                        keystore_id: key.keystore_id.clone(),
                        spec: key.spec,
                    },
                    bytes: bytes.clone(),
                })
            })
            .collect();
        material.sort_by(|a, b| format!("{:?}", a.item).cmp(&format!("{:?}", b.item)));
        let mut certs: Vec<_> = self
            .certificates
            .iter()
            .filter(|c| {
                self.certificate_marks
                    .get(&c.record.id)
                    .copied()
                    .unwrap_or(0)
                    != generation
            })
            .map(|c| RootBoundRow {
                item: RootBoundItem::CertificatePrivateKey {
                    project_id: c.record.project_id.clone(),
                    certificate_id: c.record.id.clone(),
                },
                bytes: c.sealed_private_key.as_bytes().to_vec(),
            })
            .collect();
        certs.sort_by(|a, b| format!("{:?}", a.item).cmp(&format!("{:?}", b.item)));
        material.extend(certs);
        material
    }
}

impl RootRotationStore for MemoryStore {
    fn root_key_state(&self) -> PortResult<RootKeyState> {
        Ok(self.state.read().map_err(poisoned)?.root)
    }

    fn record_root_fingerprint(
        &self,
        fingerprint: &[u8; ROOT_FINGERPRINT_LEN],
    ) -> PortResult<RootKeyState> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.root.fingerprint.is_none() {
            s.root.fingerprint = Some(*fingerprint);
        }
        Ok(s.root)
    }

    fn all_keystores(&self) -> PortResult<Vec<KeystoreRecord>> {
        Ok(self.state.read().map_err(poisoned)?.keystores.clone())
    }

    fn carried_pin_keys(&self) -> PortResult<Vec<CarriedPinKeys>> {
        Ok(self
            .state
            .read()
            .map_err(poisoned)?
            .carried_pin_keys
            .clone())
    }

    fn begin_root_rotation(
        &self,
        from: &[u8; ROOT_FINGERPRINT_LEN],
        to: &RootRotationTarget,
        pin_keys: &[CarriedPinKeys],
    ) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.root.rotation.is_some() || s.root.fingerprint != Some(*from) {
            return Ok(false);
        }
        s.root.rotation = Some(*to);
        s.carried_pin_keys = pin_keys.to_vec();
        Ok(true)
    }

    fn unmoved_root_bound(&self, generation: u32, limit: usize) -> PortResult<Vec<RootBoundRow>> {
        let s = self.state.read().map_err(poisoned)?;
        let mut rows = s.unmoved(generation);
        rows.truncate(limit);
        Ok(rows)
    }

    fn store_rewrapped(&self, generation: u32, rows: &[Rewrapped]) -> PortResult<usize> {
        // Parsed before anything is written: a batch is all or nothing.
        for r in rows {
            if let RootBoundItem::CertificatePrivateKey { .. } = r.item {
                kms_crypto::Ciphertext::from_bytes(&r.new).map_err(|e| {
                    PortError::corrupt("re-sealed certificate private key").with_source(e)
                })?;
            }
        }
        let mut s = self.state.write().map_err(poisoned)?;
        let mut written = 0;
        for r in rows {
            match &r.item {
                RootBoundItem::KeyMaterial {
                    key_id, version, ..
                } => {
                    let k = (key_id.clone(), *version);
                    if s.material.get(&k) == Some(&r.old) {
                        s.material.insert(k.clone(), r.new.clone());
                        s.material_marks.insert(k, generation);
                        written += 1;
                    }
                }
                RootBoundItem::CertificatePrivateKey { certificate_id, .. } => {
                    let sealed = kms_crypto::Ciphertext::from_bytes(&r.new).map_err(|e| {
                        PortError::corrupt("re-sealed certificate private key").with_source(e)
                    })?;
                    let Some(c) = s.certificates.iter_mut().find(|c| {
                        &c.record.id == certificate_id && c.sealed_private_key.as_bytes() == r.old
                    }) else {
                        continue;
                    };
                    c.sealed_private_key = sealed;
                    s.certificate_marks
                        .insert(certificate_id.clone(), generation);
                    written += 1;
                }
            }
        }
        Ok(written)
    }

    fn finish_root_rotation(&self, to: &RootRotationTarget) -> PortResult<bool> {
        let mut s = self.state.write().map_err(poisoned)?;
        if s.root.rotation != Some(*to) || !s.unmoved(to.generation).is_empty() {
            return Ok(false);
        }
        s.root = RootKeyState {
            fingerprint: Some(to.fingerprint),
            generation: to.generation,
            rotation: None,
        };
        Ok(true)
    }
}

/// Sequential ids `00000000-0000-4000-8000-000000000001`, ... for tests.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> PortResult<String> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(format!("00000000-0000-4000-8000-{n:012x}"))
    }
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at `t`.
    #[must_use]
    pub fn new(t: Timestamp) -> Self {
        Self(AtomicI64::new(t.0))
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::Relaxed))
    }
}

/// Keeps every audit event in memory.
#[derive(Debug, Default)]
pub struct VecAudit(Mutex<Vec<AuditRecord>>);

impl VecAudit {
    /// The events so far.
    #[must_use]
    pub fn events(&self) -> Vec<AuditRecord> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl AuditSink for VecAudit {
    fn record(&self, event: &AuditEvent<'_>) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.into());
        }
    }
}

/// [`ports`] as most tests start from them (feature `test-support`): a fixed 32-byte root secret,
/// ChaCha20 entropy from `seed`, a [`ManualClock`] at
/// 2026-01-01T00:00:00Z, no HSM clusters and a [`VecAudit`].
///
/// # Errors
/// None in practice (the root secret is 32 bytes); [`ports`]'s otherwise.
#[cfg(feature = "test-support")]
pub fn test_ports(seed: [u8; 32]) -> Result<crate::ports::Ports, PortError> {
    ports(
        &[9u8; 32],
        seed,
        Arc::new(ManualClock::new(Timestamp(1_767_225_600_000))),
        vec![],
        Arc::new(VecAudit::default()),
    )
}

/// A full in-memory bundle for tests (feature `test-support`): one
/// [`MemoryStore`] for every store port, a software root-key provider over
/// `root_secret`, deterministic ChaCha20 entropy from `seed`, random ids,
/// and the given clock, clusters and audit sink.
///
/// # Errors
/// `root_secret` shorter than 32 bytes.
#[cfg(feature = "test-support")]
pub fn ports(
    root_secret: &[u8],
    seed: [u8; 32],
    clock: Arc<dyn Clock>,
    clusters: Vec<crate::ports::ClusterInfo>,
    audit: Arc<dyn AuditSink>,
) -> Result<crate::ports::Ports, PortError> {
    use crate::ports::{Entropy, PortErrorKind, Ports};
    use crate::software::{ChaChaEntropy, SoftwareRootKeys, StaticClusters};
    let entropy: Arc<dyn Entropy> = Arc::new(ChaChaEntropy::from_seed(seed));
    Ports::builder(
        Arc::new(MemoryStore::new()),
        Arc::new(SoftwareRootKeys::new(root_secret)?),
        audit,
    )
    .clock(clock)
    .entropy(entropy)
    .clusters(Arc::new(StaticClusters(clusters)))
    .build()
    .map_err(|e| PortError::new(PortErrorKind::Entropy, e.to_string()))
}
