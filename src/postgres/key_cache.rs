//! A replica's local cache of API keys read from PostgreSQL: answers (found and missing) by id,
//! in shards behind read-write locks, with each key's last use noted for the batched write.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::api_key::{KeyId, StoredKey};

const SHARDS: usize = 16;

/// One cached answer.
pub(crate) struct Entry {
    /// `None`: the database has no key with this id.
    pub(crate) key: Option<Arc<StoredKey>>,
    /// When it was read (milliseconds on the replica's monotonic clock).
    pub(crate) read_ms: u64,
    /// The last use (Unix seconds) noted on the request path, and the last one written.
    used_at: AtomicU64,
    written_at: AtomicU64,
}

impl Entry {
    fn new(key: Option<Arc<StoredKey>>, read_ms: u64) -> Self {
        Self {
            key,
            read_ms,
            used_at: AtomicU64::new(0),
            written_at: AtomicU64::new(0),
        }
    }

    fn unwritten_use(&self) -> Option<u64> {
        let used = self.used_at.load(Ordering::Relaxed);
        (used > self.written_at.load(Ordering::Relaxed)).then_some(used)
    }
}

struct Shard {
    map: RwLock<HashMap<KeyId, Entry>>,
    /// Bumped by every invalidation of an id in this shard, so a lookup that raced one does
    /// not cache what it read.
    invalidations: AtomicU64,
}

pub(crate) struct KeyCache {
    shards: [Shard; SHARDS],
    per_shard: usize,
    /// Uses of entries dropped before their use was written.
    orphaned_uses: Mutex<Vec<(KeyId, u64)>>,
}

impl KeyCache {
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            shards: std::array::from_fn(|_| Shard {
                map: RwLock::default(),
                invalidations: AtomicU64::new(0),
            }),
            per_shard: max_keys.div_ceil(SHARDS).max(1),
            orphaned_uses: Mutex::default(),
        }
    }

    fn slot(&self, id: &KeyId) -> &Shard {
        // The id is random base62: its last byte spreads ids evenly enough.
        let byte = id.as_str().as_bytes().last().copied().unwrap_or(0);
        #[allow(clippy::indexing_slicing)] // `% SHARDS` is below the array's length
        &self.shards[usize::from(byte) % SHARDS]
    }

    fn shard(&self, id: &KeyId) -> &RwLock<HashMap<KeyId, Entry>> {
        &self.slot(id).map
    }

    /// Reads the entry for `id` under the shard's read lock.
    pub(crate) fn with<T>(&self, id: &KeyId, f: impl FnOnce(&Entry) -> T) -> Option<T> {
        let shard = self
            .shard(id)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get(id).map(f)
    }

    /// The invalidation count of `id`'s shard, to pass back to [`insert`](Self::insert).
    pub(crate) fn invalidation_count(&self, id: &KeyId) -> u64 {
        self.slot(id).invalidations.load(Ordering::Acquire)
    }

    /// Caches an answer read when the invalidation count was `seen`; skipped when an
    /// invalidation happened since (the answer may predate it).
    pub(crate) fn insert(&self, id: &KeyId, key: Option<Arc<StoredKey>>, read_ms: u64, seen: u64) {
        let mut shard = self
            .shard(id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if self.invalidation_count(id) != seen {
            return;
        }
        if shard.len() >= self.per_shard && !shard.contains_key(id) {
            self.evict_one(&mut shard);
        }
        let used = shard.get(id).map(|e| {
            (
                e.used_at.load(Ordering::Relaxed),
                e.written_at.load(Ordering::Relaxed),
            )
        });
        let entry = Entry::new(key, read_ms);
        if let Some((used, written)) = used {
            entry.used_at.store(used, Ordering::Relaxed);
            entry.written_at.store(written, Ordering::Relaxed);
        }
        shard.insert(id.clone(), entry);
    }

    /// Makes room: a cached miss if there is one, else any entry.
    fn evict_one(&self, shard: &mut HashMap<KeyId, Entry>) {
        let victim = shard
            .iter()
            .find(|(_, e)| e.key.is_none())
            .or_else(|| shard.iter().next())
            .map(|(id, _)| id.clone());
        if let Some(id) = victim {
            if let Some(entry) = shard.remove(&id) {
                self.keep_unwritten_use(&id, &entry);
            }
        }
    }

    fn keep_unwritten_use(&self, id: &KeyId, entry: &Entry) {
        if let Some(used) = entry.unwritten_use() {
            self.orphaned_uses
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((id.clone(), used));
        }
    }

    /// Forgets `id` (a notification said it changed).
    pub(crate) fn invalidate(&self, id: &KeyId) {
        let mut shard = self
            .shard(id)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.slot(id).invalidations.fetch_add(1, Ordering::AcqRel);
        if let Some(entry) = shard.remove(id) {
            self.keep_unwritten_use(id, &entry);
        }
    }

    /// The ids of the keys cached as found, for a resync to read again.
    pub(crate) fn found_ids(&self) -> Vec<KeyId> {
        let mut ids = Vec::new();
        for shard in &self.shards {
            let shard = shard.map.read().unwrap_or_else(PoisonError::into_inner);
            ids.extend(
                shard
                    .iter()
                    .filter(|(_, e)| e.key.is_some())
                    .map(|(id, _)| id.clone()),
            );
        }
        ids
    }

    /// After a resync read `fresh` for the ids in `asked`: replaces those entries, drops the ids
    /// no longer in the database, and forgets every cached miss (any may have been created).
    pub(crate) fn replace(
        &self,
        asked: &[KeyId],
        fresh: HashMap<KeyId, Arc<StoredKey>>,
        read_ms: u64,
    ) {
        for shard in &self.shards {
            shard.invalidations.fetch_add(1, Ordering::AcqRel);
        }
        let mut fresh = fresh;
        for shard in &self.shards {
            let mut shard = shard.map.write().unwrap_or_else(PoisonError::into_inner);
            shard.retain(|_, e| e.key.is_some());
        }
        for id in asked {
            let mut shard = self
                .shard(id)
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let old = shard.remove(id);
            match fresh.remove(id) {
                Some(key) => {
                    let entry = Entry::new(Some(key), read_ms);
                    if let Some(old) = old {
                        entry
                            .used_at
                            .store(old.used_at.load(Ordering::Relaxed), Ordering::Relaxed);
                        entry
                            .written_at
                            .store(old.written_at.load(Ordering::Relaxed), Ordering::Relaxed);
                    }
                    shard.insert(id.clone(), entry);
                }
                None => {
                    if let Some(old) = old {
                        self.keep_unwritten_use(id, &old);
                    }
                }
            }
        }
    }

    /// Notes a use of `id` at `now` (Unix seconds): one atomic store under a read lock.
    pub(crate) fn note_use(&self, id: &KeyId, now: u64) {
        self.with(id, |e| e.used_at.fetch_max(now, Ordering::Relaxed));
    }

    /// The uses not yet written: `(id, Unix seconds)`.
    pub(crate) fn unwritten_uses(&self) -> Vec<(KeyId, u64)> {
        let mut uses = std::mem::take(
            &mut *self
                .orphaned_uses
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for shard in &self.shards {
            let shard = shard.map.read().unwrap_or_else(PoisonError::into_inner);
            uses.extend(
                shard
                    .iter()
                    .filter_map(|(id, e)| e.unwritten_use().map(|at| (id.clone(), at))),
            );
        }
        uses
    }

    /// The uses in `written` are in the database now; a failed write puts them back instead.
    pub(crate) fn mark_written(&self, written: &[(KeyId, u64)]) {
        for (id, at) in written {
            self.with(id, |e| e.written_at.fetch_max(*at, Ordering::Relaxed));
        }
    }

    pub(crate) fn restore_uses(&self, uses: Vec<(KeyId, u64)>) {
        self.orphaned_uses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(uses);
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.map.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: usize) -> KeyId {
        KeyId::parse(&format!("{n:0>16}")).unwrap()
    }

    fn key(n: usize) -> Arc<StoredKey> {
        Arc::new(StoredKey::new(id(n), [1; 32], "owner").unwrap())
    }

    #[test]
    fn an_invalidation_during_a_lookup_keeps_its_answer_out_of_the_cache() {
        let cache = KeyCache::new(100);
        let seen = cache.invalidation_count(&id(1));
        cache.invalidate(&id(1));
        cache.insert(&id(1), Some(key(1)), 5, seen);
        assert!(cache.with(&id(1), |_| ()).is_none());
        cache.insert(&id(1), Some(key(1)), 5, cache.invalidation_count(&id(1)));
        assert!(cache.with(&id(1), |e| e.key.is_some()).unwrap());
    }

    #[test]
    fn the_cache_is_bounded_and_evicts_misses_first() {
        let cache = KeyCache::new(16);
        for n in 0..200 {
            cache.insert(&id(n), Some(key(n)), 0, cache.invalidation_count(&id(n)));
        }
        assert!(cache.len() <= 16, "{}", cache.len());
    }

    #[test]
    fn uses_survive_invalidation_until_written() {
        let cache = KeyCache::new(100);
        cache.insert(&id(1), Some(key(1)), 0, 0);
        cache.note_use(&id(1), 1_000);
        cache.note_use(&id(1), 999);
        let uses = cache.unwritten_uses();
        assert_eq!(uses, vec![(id(1), 1_000)]);
        cache.mark_written(&uses);
        assert!(cache.unwritten_uses().is_empty());
        cache.note_use(&id(1), 1_001);
        cache.invalidate(&id(1));
        assert_eq!(cache.unwritten_uses(), vec![(id(1), 1_001)]);
        assert!(cache.unwritten_uses().is_empty());
    }

    #[test]
    fn a_resync_replaces_found_keys_and_forgets_misses() {
        let cache = KeyCache::new(100);
        cache.insert(&id(1), Some(key(1)), 0, 0);
        cache.insert(&id(2), Some(key(2)), 0, 0);
        cache.insert(&id(3), None, 0, 0);
        let asked = cache.found_ids();
        assert_eq!(asked.len(), 2);
        cache.replace(&asked, HashMap::from([(id(1), key(1))]), 9);
        assert_eq!(cache.with(&id(1), |e| e.read_ms), Some(9));
        assert!(cache.with(&id(2), |_| ()).is_none());
        assert!(cache.with(&id(3), |_| ()).is_none());
    }
}
