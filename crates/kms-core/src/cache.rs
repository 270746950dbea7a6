//! Unwrapped master keys kept in memory, so the DEK path does not unwrap
//! (AES-KWP under the root key) on every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kms_crypto::MasterKey;

/// Unwrapped CMK versions by key id. Entries are `Arc<MasterKey>`: the key
/// material is zeroized when the last user drops it. Bounded: when full it
/// is emptied (every entry is recomputable from storage), which keeps the
/// worst case simple and the lookup allocation-free.
///
/// The cache holds only material: whether a key may be used (its state,
/// its keystore's state) is decided from storage on every request, so
/// evicting or not evicting never changes an authorisation.
#[derive(Debug)]
pub(crate) struct MasterKeyCache {
    versions: RwLock<HashMap<String, Vec<Arc<MasterKey>>>>,
    max_keys: usize,
}

impl MasterKeyCache {
    /// A cache holding at most `max_keys` key ids.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            versions: RwLock::new(HashMap::new()),
            max_keys,
        }
    }

    /// The cached version, if any. A poisoned lock is a miss: the caller
    /// falls back to storage, which is always correct.
    pub(crate) fn get(&self, key_id: &str, version: u32) -> Option<Arc<MasterKey>> {
        let map = self.versions.read().ok()?;
        map.get(key_id)?
            .iter()
            .find(|k| k.version() == version)
            .map(Arc::clone)
    }

    /// Caches `key` (replacing the same version) and returns it shared.
    pub(crate) fn insert(&self, key: MasterKey) -> Arc<MasterKey> {
        let key = Arc::new(key);
        let mut map = match self.versions.write() {
            Ok(m) => m,
            Err(poisoned) => {
                // A writer panicked: start from empty rather than trust a
                // half-updated map.
                let mut m = poisoned.into_inner();
                m.clear();
                self.versions.clear_poison();
                m
            }
        };
        if map.len() >= self.max_keys && !map.contains_key(key.key_id()) {
            map.clear();
        }
        let versions = map.entry(key.key_id().to_owned()).or_default();
        versions.retain(|k| k.version() != key.version());
        versions.push(Arc::clone(&key));
        key
    }

    /// Number of cached key ids.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.versions.read().map_or(0, |m| m.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u32) -> String {
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    fn key(n: u32, version: u32) -> MasterKey {
        MasterKey::from_bytes(&id(n), version, &[n as u8; 32]).unwrap()
    }

    #[test]
    fn versions_are_kept_apart_and_replaced() {
        let c = MasterKeyCache::new(8);
        c.insert(key(1, 1));
        c.insert(key(1, 2));
        assert_eq!(c.get(&id(1), 1).unwrap().version(), 1);
        assert_eq!(c.get(&id(1), 2).unwrap().version(), 2);
        assert!(c.get(&id(1), 3).is_none());
        assert!(c.get(&id(2), 1).is_none());
        c.insert(key(1, 2));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn bounded_by_key_ids() {
        let c = MasterKeyCache::new(3);
        for n in 0..3 {
            c.insert(key(n, 1));
        }
        assert_eq!(c.len(), 3);
        // Another version of a cached key does not evict.
        c.insert(key(0, 2));
        assert_eq!(c.len(), 3);
        c.insert(key(9, 1));
        assert_eq!(c.len(), 1);
        assert!(c.get(&id(9), 1).is_some());
        assert!(c.get(&id(0), 1).is_none());
    }

    #[test]
    fn a_poisoned_lock_is_a_miss_then_recovers() {
        let c = Arc::new(MasterKeyCache::new(8));
        c.insert(key(1, 1));
        let c2 = Arc::clone(&c);
        let _ = std::thread::spawn(move || {
            let _guard = c2.versions.write().unwrap();
            panic!("poison the cache lock");
        })
        .join();
        assert!(c.get(&id(1), 1).is_none());
        c.insert(key(2, 1));
        assert!(c.get(&id(2), 1).is_some());
        assert_eq!(c.len(), 1);
    }
}
