//! [`PostgresKeys`]: the [`KeyStore`] a replica gives [`ApiKeys`](crate::api_key::ApiKeys):
//! cached answers without waiting, one indexed read by id otherwise, within a deadline.

use std::fmt;
use std::sync::Arc;

use tokio_postgres::types::Type;

use super::freshness::millis;
use super::rows::{store_error, stored_key, KEY_COLUMNS};
use super::store::{Shared, Task};
use crate::api_key::{KeyId, KeyStore, StoreError, StoredKey};
use crate::provider::BoxFuture;

type Answer = Result<Option<Arc<StoredKey>>, StoreError>;

/// API keys in PostgreSQL, behind this replica's cache; made by
/// [`PostgresStore::keys`](super::PostgresStore::keys). Cheap to clone.
#[derive(Clone)]
pub struct PostgresKeys {
    pub(crate) shared: Arc<Shared>,
    pub(crate) _task: Arc<Task>,
}

impl fmt::Debug for PostgresKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresKeys")
            .field("cached", &self.shared.keys.len())
            .finish_non_exhaustive()
    }
}

impl PostgresKeys {
    /// The cached answer when it is fresh (younger than its TTL) and still trusted (the
    /// replica was in sync within the maximum staleness).
    fn cached(&self, id: &KeyId, now_ms: u64) -> Option<Answer> {
        let s = &self.shared;
        s.keys.with(id, |entry| {
            let ttl = if entry.key.is_some() {
                s.limits.key_ttl
            } else {
                s.limits.miss_ttl
            };
            let fresh = now_ms.saturating_sub(entry.read_ms) < millis(ttl);
            (fresh && s.freshness.usable(entry.read_ms, now_ms)).then(|| Ok(entry.key.clone()))
        })?
    }

    /// A cached answer still within the maximum staleness, however old: served when the
    /// database cannot be asked.
    fn fallback(&self, id: &KeyId, now_ms: u64) -> Option<Option<Arc<StoredKey>>> {
        let s = &self.shared;
        s.keys
            .with(id, |entry| {
                s.freshness
                    .usable(entry.read_ms, now_ms)
                    .then(|| entry.key.clone())
            })
            .flatten()
    }

    async fn lookup(&self, id: KeyId) -> Answer {
        let s = &self.shared;
        let seen = s.keys.invalidation_count(&id);
        let read = tokio::time::timeout(s.limits.lookup_deadline, self.read(&id)).await;
        let now_ms = s.freshness.now_ms();
        let error = match read {
            Ok(Ok(found)) => {
                s.keys.insert(&id, found.clone(), now_ms, seen);
                return Ok(found);
            }
            Ok(Err(StoreError::Failed(e))) => return Err(StoreError::Failed(e)),
            Ok(Err(e)) => e,
            Err(_) => {
                // The connection may be dead without knowing it; the next lookup reconnects.
                s.connection.reset();
                StoreError::Unavailable(format!(
                    "no answer from PostgreSQL within {:?}",
                    s.limits.lookup_deadline
                ))
            }
        };
        match self.fallback(&id, now_ms) {
            Some(stale) => Ok(stale),
            None => Err(error),
        }
    }

    /// One indexed read by primary key.
    async fn read(&self, id: &KeyId) -> Answer {
        let s = &self.shared;
        let _permit = s
            .lookups
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is shutting down".into()))?;
        let client = s
            .connection
            .client()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let query = format!("SELECT {KEY_COLUMNS} FROM tollgate_api_keys WHERE id = $1");
        let rows = client
            .query_typed(&query, &[(&id.as_str(), Type::TEXT)])
            .await
            .map_err(|e| store_error(&e))?;
        rows.first().map(stored_key).transpose()
    }
}

impl KeyStore for PostgresKeys {
    fn get(&self, id: &KeyId) -> BoxFuture<'_, Answer> {
        let id = id.clone();
        Box::pin(async move {
            if let Some(answer) = self.cached(&id, self.shared.freshness.now_ms()) {
                return answer;
            }
            self.lookup(id).await
        })
    }

    fn try_get(&self, id: &KeyId) -> Option<Answer> {
        self.cached(id, self.shared.freshness.now_ms())
    }

    fn record_use(&self, id: &KeyId, now: u64) {
        self.shared.keys.note_use(id, now);
    }
}
