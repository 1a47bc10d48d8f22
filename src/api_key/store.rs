//! Where v2 keys live: the [`KeyStore`] trait, its record [`StoredKey`], its error
//! [`StoreError`], and [`MemoryStore`], the in-memory store built from key files and code.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use super::key::{parse_hash, unix_secs};
use super::KeyId;
use crate::error::ConfigError;
use crate::provider::BoxFuture;

/// One v2 key as a store holds it: its public id, the SHA-256 digest of the whole key text,
/// and what it grants. Never the key itself. `Debug` shows neither the key nor its digest.
#[derive(Clone)]
#[must_use]
pub struct StoredKey {
    pub(super) id: KeyId,
    pub(super) digest: [u8; 32],
    pub(super) owner: String,
    pub(super) scopes: Vec<String>,
    pub(super) metadata: BTreeMap<String, String>,
    /// Unix seconds, for this and the two below.
    pub(super) expires_at: Option<u64>,
    pub(super) revoked_at: Option<u64>,
    pub(super) created_at: Option<u64>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("scopes", &self.scopes)
            .field("metadata", &self.metadata)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// Where a [`StoredKey`] stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyState {
    /// The key authenticates. A key with an expiry in the future (a key being rolled, kept
    /// valid for a grace period) is active until then.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked: refused from its revocation time on, whatever its expiry.
    Revoked,
}

fn from_unix(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

impl StoredKey {
    /// A key with its id, the SHA-256 digest of the whole key text, and its owner (the
    /// principal's subject; letters, digits and `.`, `_`, `-`, `:`, like a legacy key's id).
    ///
    /// # Errors
    /// When the owner is malformed.
    pub fn new(id: KeyId, digest: [u8; 32], owner: impl Into<String>) -> Result<Self, ConfigError> {
        let owner = owner.into();
        super::key::check_id(&owner)?;
        Ok(Self {
            id,
            digest,
            owner,
            scopes: Vec::new(),
            metadata: BTreeMap::new(),
            expires_at: None,
            revoked_at: None,
            created_at: None,
        })
    }

    /// Like [`new`](Self::new), with the digest as `sha256:` and 64 hex digits (as
    /// [`GeneratedKey::hash`](super::GeneratedKey::hash) prints it).
    ///
    /// # Errors
    /// When the hash or the owner is malformed.
    pub fn from_hash(id: KeyId, hash: &str, owner: impl Into<String>) -> Result<Self, ConfigError> {
        let digest = parse_hash(hash).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "the hash of API key {id} is not `sha256:` followed by 64 hex digits"
            ))
        })?;
        Self::new(id, digest, owner)
    }

    /// The scopes the key grants.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a metadata entry (copied into the principal's `metadata` claim; keep it small and
    /// free of secrets).
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(name.into(), value.into());
        self
    }

    /// When the key stops working. Rolling a key with overlap: issue the new key, and give
    /// the old one an expiry at the end of the grace period.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(unix_secs(at));
        self
    }

    /// When the key was revoked: refused from then on.
    pub fn revoked_at(mut self, at: SystemTime) -> Self {
        self.revoked_at = Some(unix_secs(at));
        self
    }

    /// When the key was created (informational).
    pub fn created_at(mut self, at: SystemTime) -> Self {
        self.created_at = Some(unix_secs(at));
        self
    }

    /// The key's public id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The key's owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The scopes the key grants.
    pub fn granted_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The key's metadata.
    pub fn metadata_entries(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// When the key expires, if it does.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at.map(from_unix)
    }

    /// When the key was revoked, if it was.
    pub fn revocation(&self) -> Option<SystemTime> {
        self.revoked_at.map(from_unix)
    }

    /// When the key was created, if known.
    pub fn creation(&self) -> Option<SystemTime> {
        self.created_at.map(from_unix)
    }

    /// The SHA-256 digest of the whole key text, for a store to save.
    #[cfg(feature = "postgres")]
    pub(crate) fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The key's state at `now` (Unix seconds). Revocation wins over expiry.
    pub fn state_at(&self, now: u64) -> KeyState {
        if self.revoked_at.is_some_and(|at| now >= at) {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|at| now >= at) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }
}

/// Why a [`KeyStore`] could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store cannot be reached now (network, timeout, pool exhausted): the request is
    /// answered 503 so the client retries, and the key is not judged.
    #[error("the API key store is unavailable: {0}")]
    Unavailable(String),
    /// Any other failure (e.g. a malformed record): the request is refused with 401.
    #[error("the API key store failed: {0}")]
    Failed(String),
}

/// Finds v2 keys by id.
///
/// The trait is object-safe, and its lookup returns a boxed future like
/// [`Provider::authenticate`](crate::Provider::authenticate), so a store may ask a database over
/// the network. A store answers `Ok(None)` for an unknown id; [`ApiKeys`](super::ApiKeys)
/// compares the digest in constant time and checks the state, so a store does neither.
///
/// A store that keeps a local cache in front of a remote one (answers, and misses too, for a
/// few seconds, invalidated when a key changes) implements this same trait, and serves cached
/// answers from [`try_get`](Self::try_get) so they cost no boxed future.
///
/// ```
/// use std::sync::Arc;
/// use tollgate::api_key::{KeyId, KeyStore, StoreError, StoredKey};
/// use tollgate::provider::BoxFuture;
///
/// /// Knows no key: every v2 key is refused.
/// struct Empty;
///
/// impl KeyStore for Empty {
///     fn get(&self, _id: &KeyId) -> BoxFuture<'_, Result<Option<Arc<StoredKey>>, StoreError>> {
///         Box::pin(async { Ok(None) })
///     }
/// }
/// let _boxed: Arc<dyn KeyStore> = Arc::new(Empty);
/// ```
pub trait KeyStore: Send + Sync + 'static {
    /// The key with this id, or `None`.
    fn get(&self, id: &KeyId) -> BoxFuture<'_, Result<Option<Arc<StoredKey>>, StoreError>>;

    /// The answer without waiting, when it is at hand (in memory, or cached); `None` means
    /// "call [`get`](Self::get)". The default always returns `None`. It must agree with `get`.
    fn try_get(&self, id: &KeyId) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        let _ = id;
        None
    }

    /// Called after a key with this id authenticated a request, at `now` (Unix seconds), so a
    /// store can keep a "last used" time. It runs on the request path: it must not wait or do
    /// I/O (note the time in memory and write it later, in batches). The default does nothing.
    fn record_use(&self, id: &KeyId, now: u64) {
        let _ = (id, now);
    }
}

impl<S: KeyStore + ?Sized> KeyStore for Arc<S> {
    fn get(&self, id: &KeyId) -> BoxFuture<'_, Result<Option<Arc<StoredKey>>, StoreError>> {
        (**self).get(id)
    }

    fn try_get(&self, id: &KeyId) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        (**self).try_get(id)
    }

    fn record_use(&self, id: &KeyId, now: u64) {
        (**self).record_use(id, now);
    }
}

/// v2 keys in a `HashMap` by id: one lookup whatever the number of keys. Built once (from key
/// files and code by [`ApiKeysBuilder`](super::ApiKeysBuilder), or directly); answers
/// synchronously.
#[derive(Clone, Default)]
pub struct MemoryStore {
    keys: HashMap<KeyId, Arc<StoredKey>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl MemoryStore {
    /// A store holding `keys`.
    ///
    /// # Errors
    /// When two keys share an id or a digest.
    pub fn new(keys: impl IntoIterator<Item = StoredKey>) -> Result<Self, ConfigError> {
        let keys = keys.into_iter();
        let mut map = HashMap::with_capacity(keys.size_hint().0);
        for key in keys {
            if map.contains_key(&key.id) {
                return Err(ConfigError::Invalid(format!(
                    "API key id {} is used twice; ids must be unique",
                    key.id
                )));
            }
            map.insert(key.id.clone(), Arc::new(key));
        }
        let mut digests = std::collections::HashSet::with_capacity(map.len());
        for key in map.values() {
            if !digests.insert(key.digest) {
                return Err(ConfigError::Invalid(format!(
                    "API key {} has the same hash as another key; give each client its own",
                    key.id
                )));
            }
        }
        Ok(Self { keys: map })
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The ids of the keys, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }
}

impl KeyStore for MemoryStore {
    fn get(&self, id: &KeyId) -> BoxFuture<'_, Result<Option<Arc<StoredKey>>, StoreError>> {
        let found = self.keys.get(id).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn try_get(&self, id: &KeyId) -> Option<Result<Option<Arc<StoredKey>>, StoreError>> {
        Some(Ok(self.keys.get(id).cloned()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn key(id: &str, byte: u8) -> StoredKey {
        StoredKey::new(KeyId::parse(id).unwrap(), [byte; 32], "owner").unwrap()
    }

    #[test]
    fn the_memory_store_finds_keys_by_id() {
        let store =
            MemoryStore::new([key("AAAAAAAAAAAAAAAA", 1), key("BBBBBBBBBBBBBBBB", 2)]).unwrap();
        assert_eq!(store.len(), 2);
        let a = KeyId::parse("AAAAAAAAAAAAAAAA").unwrap();
        let found = store.try_get(&a).unwrap().unwrap().unwrap();
        assert_eq!(found.digest, [1; 32]);
        let c = KeyId::parse("CCCCCCCCCCCCCCCC").unwrap();
        assert!(matches!(store.try_get(&c), Some(Ok(None))));
        assert!(!format!("{found:?} {store:?}").contains("1, 1"));
    }

    #[test]
    fn duplicate_ids_and_digests_are_refused() {
        let err = |keys: Vec<StoredKey>| MemoryStore::new(keys).err().unwrap().to_string();
        assert!(
            err(vec![key("AAAAAAAAAAAAAAAA", 1), key("AAAAAAAAAAAAAAAA", 2)])
                .contains("used twice")
        );
        assert!(
            err(vec![key("AAAAAAAAAAAAAAAA", 1), key("BBBBBBBBBBBBBBBB", 1)]).contains("same hash")
        );
        assert!(StoredKey::new(KeyId::parse("AAAAAAAAAAAAAAAA").unwrap(), [0; 32], "a b").is_err());
        assert!(
            StoredKey::from_hash(KeyId::parse("AAAAAAAAAAAAAAAA").unwrap(), "sha256:00", "a")
                .is_err()
        );
    }

    #[test]
    fn states_follow_revocation_then_expiry() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let rolled = key("AAAAAAAAAAAAAAAA", 1).expires_at(at(100));
        assert_eq!(rolled.state_at(99), KeyState::Active);
        assert_eq!(rolled.state_at(100), KeyState::Expired);
        let revoked = rolled.clone().revoked_at(at(50));
        assert_eq!(revoked.state_at(49), KeyState::Active);
        assert_eq!(revoked.state_at(50), KeyState::Revoked);
        assert_eq!(revoked.state_at(200), KeyState::Revoked);
        assert_eq!(
            key("AAAAAAAAAAAAAAAA", 1).state_at(u64::MAX),
            KeyState::Active
        );
    }
}
