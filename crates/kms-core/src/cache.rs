//! The core's in-memory caches, all bounded and counted: unwrapped master
//! keys (so the DEK path does not unwrap under the root key on every
//! request), key and keystore records (with a TTL), and opened key pairs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use kms_crypto::MasterKey;

/// The write guard of a cache map. If a writer panicked while holding it,
/// the map is emptied rather than trusted half-updated (every entry can be
/// read again from storage) and the lock is usable again.
fn write_or_reset<K, V>(lock: &RwLock<HashMap<K, V>>) -> RwLockWriteGuard<'_, HashMap<K, V>> {
    lock.write().unwrap_or_else(|poisoned| {
        let mut m = poisoned.into_inner();
        m.clear();
        lock.clear_poison();
        m
    })
}

/// Lookups of one of the core's caches since it was made: how many found
/// their entry and how many went to storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCount {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that went to storage (absent, expired, or caching off).
    pub misses: u64,
}

/// The core's caches' counts ([`crate::Kms::cache_stats`]), for a host's
/// metrics. Plain relaxed atomics: one uncontended add per lookup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Unwrapped CMK versions (the DEK path's unwrap under the root key).
    pub master_keys: CacheCount,
    /// Key records.
    pub key_records: CacheCount,
    /// Dedicated keystore records.
    pub keystore_records: CacheCount,
    /// Opened key pairs (asymmetric CMKs: sign, verify, get-publickey,
    /// SM2 decrypt).
    pub key_pairs: CacheCount,
    /// Keys' grants (looked up when a caller addresses a key its own
    /// project does not hold).
    pub key_grants: CacheCount,
}

/// Hit and miss counters of one cache.
#[derive(Debug, Default)]
struct Counts {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counts {
    /// Counts a lookup's outcome and passes it on.
    fn count<T>(&self, found: Option<T>) -> Option<T> {
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn read(&self) -> CacheCount {
        CacheCount {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

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
    counts: Counts,
}

impl MasterKeyCache {
    /// A cache holding at most `max_keys` key ids.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            versions: RwLock::new(HashMap::new()),
            max_keys,
            counts: Counts::default(),
        }
    }

    /// The cached version, if any. A poisoned lock is a miss: the caller
    /// falls back to storage, which is always correct.
    pub(crate) fn get(&self, key_id: &str, version: u32) -> Option<Arc<MasterKey>> {
        let found = self.versions.read().ok().and_then(|map| {
            map.get(key_id)?
                .iter()
                .find(|k| k.version() == version)
                .map(Arc::clone)
        });
        self.counts.count(found)
    }

    /// Hits and misses so far.
    pub(crate) fn count(&self) -> CacheCount {
        self.counts.read()
    }

    /// Caches `key` (replacing the same version) and returns it shared.
    pub(crate) fn insert(&self, key: MasterKey) -> Arc<MasterKey> {
        let key = Arc::new(key);
        let mut map = write_or_reset(&self.versions);
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

/// Records read on the hot path (key records, dedicated keystores), so a
/// DEK request does not read storage. Correct against this process's own
/// writes at once: every write through the core invalidates its entry
/// *after* the store write, and a lookup that raced with an invalidation
/// does not put its (possibly older) result in the cache (an epoch counter
/// bumped by every invalidation is read before the store read and checked
/// under the write lock before the insert). Writes by another process are
/// seen within `ttl_ms`, after which an entry is read again.
#[derive(Debug)]
pub(crate) struct RecordCache<V> {
    entries: RwLock<HashMap<String, (Arc<V>, i64)>>,
    epoch: std::sync::atomic::AtomicU64,
    ttl_ms: i64,
    max_entries: usize,
    counts: Counts,
}

impl<V> RecordCache<V> {
    /// A cache keeping entries `ttl_ms` (0: no caching), at most `max_entries`.
    pub(crate) fn new(ttl_ms: i64, max_entries: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            epoch: std::sync::atomic::AtomicU64::new(0),
            ttl_ms,
            max_entries,
            counts: Counts::default(),
        }
    }

    /// The entry for `key` if present and younger than the TTL at `now_ms`.
    pub(crate) fn get(&self, key: &str, now_ms: i64) -> Option<Arc<V>> {
        let found = self.entries.read().ok().and_then(|map| {
            let (v, at) = map.get(key)?;
            (now_ms.saturating_sub(*at) < self.ttl_ms && now_ms >= *at).then(|| Arc::clone(v))
        });
        self.counts.count(found)
    }

    /// Hits and misses so far.
    pub(crate) fn count(&self) -> CacheCount {
        self.counts.read()
    }

    /// As [`RecordCache::get`] but not counted (a host's look ahead, not
    /// a lookup of the request itself).
    pub(crate) fn peek(&self, key: &str, now_ms: i64) -> Option<Arc<V>> {
        self.entries.read().ok().and_then(|map| {
            let (v, at) = map.get(key)?;
            (now_ms.saturating_sub(*at) < self.ttl_ms && now_ms >= *at).then(|| Arc::clone(v))
        })
    }

    /// The epoch to pass to [`RecordCache::insert`]: read it before reading
    /// the store.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Caches `v`, read from the store after `seen_epoch` was taken, unless
    /// an invalidation happened since (then the value may be older than it).
    pub(crate) fn insert(&self, key: &str, v: Arc<V>, seen_epoch: u64, now_ms: i64) {
        if self.ttl_ms <= 0 {
            return;
        }
        let Ok(mut map) = self.entries.write() else {
            return;
        };
        if self.epoch.load(std::sync::atomic::Ordering::SeqCst) != seen_epoch {
            return;
        }
        if map.len() >= self.max_entries && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.to_owned(), (v, now_ms));
    }

    /// Forgets `key`; call after the store write that changed it.
    pub(crate) fn invalidate(&self, key: &str) {
        let mut map = write_or_reset(&self.entries);
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        map.remove(key);
    }
}

/// Opened key pairs by key id, so a warm sign, verify, get-publickey or
/// SM2 decrypt neither reads the sealed private key from storage nor opens
/// it (HKDF, AES-GCM, PKCS#8 parsing, RSA precomputation) again. Entries
/// are `Arc`s: the private key is zeroized when the last user drops it.
///
/// A key pair's material never changes (an asymmetric CMK has one
/// version), so entries have no TTL; still, every state change of a key
/// through the core invalidates its entry (after the store write), a
/// keystore state change or a purge of deleted keys empties the cache (a
/// root-key rotation re-seals the rows but changes no key pair), and a
/// lookup that raced with an invalidation does not put its result in the
/// cache (the epoch guard of [`RecordCache`]). Whether a key may be used is
/// decided from its record on every request, never from this cache.
/// Bounded: when full it is emptied.
#[derive(Debug)]
pub(crate) struct KeyPairCache<V> {
    entries: RwLock<HashMap<String, Arc<V>>>,
    epoch: AtomicU64,
    max_entries: usize,
    counts: Counts,
}

impl<V> KeyPairCache<V> {
    /// A cache holding at most `max_entries` key pairs.
    pub(crate) fn new(max_entries: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            max_entries,
            counts: Counts::default(),
        }
    }

    /// The cached key pair, if any. A poisoned lock is a miss.
    pub(crate) fn get(&self, key_id: &str) -> Option<Arc<V>> {
        let found = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(key_id).map(Arc::clone));
        self.counts.count(found)
    }

    /// Hits and misses so far.
    pub(crate) fn count(&self) -> CacheCount {
        self.counts.read()
    }

    /// As [`KeyPairCache::get`] but not counted.
    pub(crate) fn peek(&self, key_id: &str) -> Option<Arc<V>> {
        self.entries
            .read()
            .ok()
            .and_then(|map| map.get(key_id).map(Arc::clone))
    }

    /// The epoch to pass to [`KeyPairCache::insert`]: read it before
    /// reading the store.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Caches `v`, opened from material read after `seen_epoch` was taken,
    /// unless an invalidation happened since.
    pub(crate) fn insert(&self, key_id: &str, v: Arc<V>, seen_epoch: u64) {
        let Ok(mut map) = self.entries.write() else {
            return;
        };
        if self.epoch.load(Ordering::SeqCst) != seen_epoch {
            return;
        }
        if map.len() >= self.max_entries && !map.contains_key(key_id) {
            map.clear();
        }
        map.insert(key_id.to_owned(), v);
    }

    /// Forgets `key_id`; call after the store write that changed it.
    pub(crate) fn invalidate(&self, key_id: &str) {
        let mut map = write_or_reset(&self.entries);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.remove(key_id);
    }

    /// Forgets every entry (a keystore's state or the root key changed).
    pub(crate) fn clear(&self) {
        let mut map = write_or_reset(&self.entries);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    /// Number of cached key pairs.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().map_or(0, |m| m.len())
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
        assert_eq!(c.count(), CacheCount { hits: 2, misses: 2 });
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
    fn records_expire_and_invalidation_wins_over_a_racing_read() {
        let c: RecordCache<u32> = RecordCache::new(1000, 16);
        let e = c.epoch();
        c.insert("k", Arc::new(1), e, 10_000);
        assert_eq!(c.get("k", 10_500).as_deref(), Some(&1));
        assert_eq!(c.get("k", 11_000), None, "expired at the TTL");
        assert_eq!(c.get("k", 9_000), None, "a clock that went back is a miss");
        // A read that started before an invalidation does not insert.
        let before = c.epoch();
        c.invalidate("k");
        c.insert("k", Arc::new(2), before, 10_000);
        assert_eq!(c.get("k", 10_000), None);
        let after = c.epoch();
        c.insert("k", Arc::new(3), after, 10_000);
        assert_eq!(c.get("k", 10_000).as_deref(), Some(&3));
        // TTL 0 caches nothing.
        let off: RecordCache<u32> = RecordCache::new(0, 16);
        off.insert("k", Arc::new(1), off.epoch(), 0);
        assert_eq!(off.get("k", 0), None);
        assert_eq!(c.count(), CacheCount { hits: 2, misses: 3 });
        assert_eq!(off.count(), CacheCount { hits: 0, misses: 1 });
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
    #[test]
    fn key_pairs_are_bounded_invalidated_and_guarded_by_the_epoch() {
        let c: KeyPairCache<u32> = KeyPairCache::new(2);
        let e = c.epoch();
        c.insert("a", Arc::new(1), e);
        c.insert("b", Arc::new(2), e);
        assert_eq!(c.get("a").as_deref(), Some(&1));
        assert_eq!(c.len(), 2);
        // Full: a third key id empties the cache first.
        c.insert("c", Arc::new(3), e);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("a"), None);
        // An open that started before an invalidation does not insert.
        let before = c.epoch();
        c.invalidate("c");
        assert_eq!(c.get("c"), None);
        c.insert("c", Arc::new(4), before);
        assert_eq!(c.get("c"), None);
        // Nor one that started before a clear.
        let before = c.epoch();
        c.insert("d", Arc::new(5), before);
        c.clear();
        assert_eq!(c.len(), 0);
        c.insert("d", Arc::new(6), before);
        assert_eq!(c.get("d"), None);
        let now = c.epoch();
        c.insert("d", Arc::new(7), now);
        assert_eq!(c.get("d").as_deref(), Some(&7));
        assert_eq!(c.count(), CacheCount { hits: 2, misses: 4 });
    }
}
