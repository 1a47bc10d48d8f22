//! [`PostgresStore`]: a replica's view of the keys and revocations in PostgreSQL, with its
//! settings, the state its handles share, and the background task's lifetime.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::connection::SharedConnection;
use super::freshness::Freshness;
use super::key_cache::KeyCache;
use super::keys::PostgresKeys;
use super::revocations::PostgresRevocations;
use super::{InvalidationListener, PostgresSettings, CHANNEL};
use crate::error::ConfigError;
use crate::revocation::RevocationSet;

/// The replica side of tollgate's PostgreSQL store: API keys ([`keys`](Self::keys), a
/// [`KeyStore`](crate::api_key::KeyStore)) and JWT revocations
/// ([`revocations`](Self::revocations), a [`RevocationList`](crate::revocation::RevocationList)),
/// each answered from a local cache that `LISTEN/NOTIFY` keeps current.
///
/// See the [module docs](super) for how the caches are kept fresh and what an outage does.
/// The background task stops when the store and every handle it gave out are dropped.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tollgate::api_key::ApiKeys;
/// use tollgate::postgres::{PostgresSettings, PostgresStore};
///
/// let settings = PostgresSettings::from_url("postgres://tollgate@127.0.0.1/keys")?;
/// let store = PostgresStore::builder(settings)
///     .max_staleness(Duration::from_secs(30))
///     .start()?;
/// let keys = ApiKeys::builder().store(store.keys()).build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    keys: PostgresKeys,
    revocations: PostgresRevocations,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("settings", self.keys.shared.connection.settings())
            .field("cached_keys", &self.keys.shared.keys.len())
            .finish_non_exhaustive()
    }
}

/// Configures a [`PostgresStore`].
#[derive(Debug)]
#[must_use]
pub struct PostgresStoreBuilder {
    settings: PostgresSettings,
    limits: Limits,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_staleness: Duration,
    pub(crate) key_ttl: Duration,
    pub(crate) miss_ttl: Duration,
    pub(crate) lookup_deadline: Duration,
    pub(crate) max_cached_keys: usize,
    pub(crate) usage_flush_every: Duration,
    pub(crate) concurrent_lookups: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_staleness: Duration::from_secs(30),
            key_ttl: Duration::from_secs(60),
            miss_ttl: Duration::from_secs(10),
            lookup_deadline: Duration::from_secs(2),
            max_cached_keys: 100_000,
            usage_flush_every: Duration::from_secs(30),
            concurrent_lookups: 16,
        }
    }
}

/// What the handles share with the background task.
pub(crate) struct Shared {
    pub(crate) connection: SharedConnection,
    pub(crate) freshness: Freshness,
    pub(crate) keys: KeyCache,
    pub(crate) revoked: RwLock<RevocationSet>,
    pub(crate) limits: Limits,
    pub(crate) lookups: Semaphore,
}

/// Aborts the background task when the last handle goes.
pub(crate) struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PostgresStore {
    /// A builder with the defaults: 30 s maximum staleness, keys re-read after 60 s, unknown
    /// ids remembered for 10 s, 2 s per lookup, 100 000 cached keys, uses written every 30 s.
    pub fn builder(settings: PostgresSettings) -> PostgresStoreBuilder {
        PostgresStoreBuilder {
            settings,
            limits: Limits::default(),
        }
    }

    /// The API keys, for [`ApiKeysBuilder::store`](crate::api_key::ApiKeysBuilder::store).
    pub fn keys(&self) -> PostgresKeys {
        self.keys.clone()
    }

    /// The JWT revocations, for
    /// [`CheckRevocation`](crate::revocation::CheckRevocation).
    pub fn revocations(&self) -> PostgresRevocations {
        self.revocations.clone()
    }

    /// How long ago the caches were last known to match the database; `None` until the first
    /// sync (for a health endpoint).
    pub fn staleness(&self) -> Option<Duration> {
        let f = &self.keys.shared.freshness;
        f.age_ms(f.now_ms()).map(Duration::from_millis)
    }
}

impl PostgresStoreBuilder {
    /// How long a replica cut off from PostgreSQL keeps answering from its caches: up to this
    /// long after it was last in sync, cached keys and the revocation list are trusted; after
    /// it, requests that need them get 503 (never "accept"). Also how long a revocation made
    /// during the outage may go unseen by this replica. Default 30 s.
    pub fn max_staleness(mut self, bound: Duration) -> Self {
        self.limits.max_staleness = bound;
        self
    }

    /// How long a cached key is used before it is read again, even while notifications flow
    /// (the backstop if one is ever lost without the connection failing). Default 60 s.
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.limits.key_ttl = ttl;
        self
    }

    /// How long an unknown id is remembered, so a flood of requests with one made-up id asks
    /// the database once. A key created meanwhile is announced, and clears it. Default 10 s.
    pub fn miss_ttl(mut self, ttl: Duration) -> Self {
        self.limits.miss_ttl = ttl;
        self
    }

    /// The most a request waits for a key the cache does not hold (connecting included);
    /// past it, the answer is 503. Default 2 s.
    pub fn lookup_deadline(mut self, deadline: Duration) -> Self {
        self.limits.lookup_deadline = deadline;
        self
    }

    /// The most keys (and misses) cached; misses are evicted first. Default 100 000.
    pub fn max_cached_keys(mut self, max: usize) -> Self {
        self.limits.max_cached_keys = max;
        self
    }

    /// How often the keys' last use is written (one statement for all the keys used since).
    /// Default 30 s.
    pub fn usage_flush_every(mut self, every: Duration) -> Self {
        self.limits.usage_flush_every = every;
        self
    }

    /// Starts the background task (listener, resyncs, usage writes) on the current tokio
    /// runtime. Returns at once: until the first sync, requests that need the store wait for
    /// a lookup (keys) or get 503 (revocations).
    ///
    /// # Errors
    /// When a duration is zero or over a year, or `max_cached_keys` is zero.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(self) -> Result<PostgresStore, ConfigError> {
        let l = self.limits;
        for (name, d) in [
            ("max_staleness", l.max_staleness),
            ("key_ttl", l.key_ttl),
            ("miss_ttl", l.miss_ttl),
            ("lookup_deadline", l.lookup_deadline),
            ("usage_flush_every", l.usage_flush_every),
        ] {
            if d.is_zero() || d > Duration::from_secs(365 * 24 * 3600) {
                return Err(ConfigError::Invalid(format!(
                    "PostgresStore: {name} must be more than zero and at most a year"
                )));
            }
        }
        if l.max_cached_keys == 0 {
            return Err(ConfigError::Invalid(
                "PostgresStore: max_cached_keys must be at least 1".into(),
            ));
        }
        let listener = InvalidationListener::start(self.settings.clone(), CHANNEL)
            .map_err(|e| ConfigError::Invalid(format!("PostgresStore: {e}")))?;
        let shared = Arc::new(Shared {
            connection: SharedConnection::new(self.settings, l.lookup_deadline),
            freshness: Freshness::new(l.max_staleness),
            keys: KeyCache::new(l.max_cached_keys),
            revoked: RwLock::default(),
            limits: l,
            lookups: Semaphore::new(l.concurrent_lookups),
        });
        let task = Arc::new(Task(tokio::spawn(super::sync::run(
            Arc::clone(&shared),
            listener,
        ))));
        Ok(PostgresStore {
            keys: PostgresKeys {
                shared: Arc::clone(&shared),
                _task: Arc::clone(&task),
            },
            revocations: PostgresRevocations {
                shared,
                _task: task,
            },
        })
    }
}
