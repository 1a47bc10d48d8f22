//! JWKS key sets: how tollgate loads an issuer's keys, keeps them fresh and survives its
//! outages.
//!
//! Each provider loads its own key set, unless it is built with another provider's
//! ([`JwtProviderBuilder::jwks`](crate::jwt::JwtProviderBuilder::jwks)): sharing is always
//! explicit, and the [`Jwks`] value says which providers it covers. A key set holds:
//!
//! - **The keys**, parsed once into ready aws-lc-rs verifiers and indexed by `kid`, behind an
//!   `ArcSwap`: a request reads them with an atomic load; no lock, no `.await`, no allocation.
//! - **One refresh task**, owned by the key set: it ends when the last provider (or [`Jwks`]
//!   value) using it is dropped, or on [`Jwks::shutdown`]. It refreshes when the response's
//!   `Cache-Control: max-age` (less `Age`) or `Expires` says the set goes stale, clamped to the
//!   refresh window (default 5 min to 24 h; a response without either header is assumed to
//!   live for the window's minimum), at a random 80–90 % of that lifetime (ahead of expiry,
//!   and not in step with other servers). Fetches are conditional (`If-None-Match` with the
//!   `ETag`, `If-Modified-Since` with `Last-Modified`); a 304 keeps the set and renews it.
//! - **Backoff**: after a failed fetch the next attempt comes after 2 s, then 4 s, 8 s, … up
//!   to 5 min (each with jitter: a random half to whole of the step).
//! - **Unknown `kid`**: one fetch, shared by all concurrent requests (single flight). Two
//!   bounds protect the issuer from floods of made-up kids without locking out a key it has
//!   just published: at most one such fetch per interval (default 3 s; sooner, an unknown
//!   `kid` is answered 401 at once), and a `kid` that a fetch started after it was first seen
//!   did not list is answered 401 without fetching for a cooldown (default 30 s). So a new key
//!   is accepted at most one interval after the issuer publishes it, whatever fetch came just
//!   before; distinct made-up kids cost one fetch per interval, a repeated one a fetch per
//!   cooldown. A request waits for the fetch at most 2 s (default), then gets 401; the fetch
//!   goes on in the background.
//! - **Withdrawal**: a well-formed JWKS document from a 2xx answer is authoritative. A key it no
//!   longer lists stops verifying at once, tokens in the verified-token cache included; if it
//!   lists no usable key at all (`{"keys":[]}`, or only keys tollgate skips), requests get 503
//!   with `Retry-After` until the issuer publishes one, fetched again on the failure backoff.
//! - **A seed**: a JWKS supplied at build time
//!   ([`jwks_seed`](crate::jwt::JwtProviderBuilder::jwks_seed), e.g. shipped with a Lambda
//!   function) is the starting key set, as fresh as a fetch made at `build()`, so the first
//!   request after a cold start never waits for the network; the refresh task fetches the live
//!   set at once, in the background.
//! - **Outages**: a failed fetch, non-2xx status, timeout, malformed JSON or oversized body
//!   (default cap 1 MiB) leaves the last good keys in place, for up to the maximum staleness
//!   (default 24 h) since they were last fetched or confirmed. Past it, or when no set was
//!   ever loaded, requests get 503 with `Retry-After`, the time to the next attempt (1 s to
//!   5 min; never 401: the client is not at fault).
//! - **Health**: [`Jwks::status`] reports the key count, last success and its age, last
//!   error, consecutive failures and the next refresh, for readiness probes.
//!
//! Every fetch, failure, cooldown hit and key-set change emits a `tracing` event on the target
//! `tollgate::jwks` (a changed set at `info` with the added and removed kids, failures at
//! `warn`, the rest at `debug`). Tokens
//! never appear in these events.
//!
//! Parsing is tolerant and per key: keys tollgate cannot use are skipped with a `debug` event,
//! and never take the set down. Skipped: `use` other than `sig`, `key_ops` without `verify`,
//! `oct` (symmetric) keys, RSA under 2048 bits, curves other than P-256/P-384/Ed25519, unknown
//! `kty`s (post-quantum `AKP`, …), small-order Ed25519 points, an `alg` tollgate does not verify
//! with (`RSA-OAEP`, …) or that does not fit the key type, and malformed entries. Of two keys
//! with the same `kid` and key type, the first wins; the same `kid` on keys of different types
//! (an RSA and an EC key) is allowed, and the token's `alg` picks one.
//!
//! One key, one algorithm (RFC 8725 §3.1): a key that names an `alg` verifies only that one; an
//! RSA key without `alg` verifies RS256 only, unless the provider's list was set explicitly
//! with [`algorithms`](crate::jwt::JwtProviderBuilder::algorithms), when it verifies any RSA
//! algorithm on that list.

mod cache;
mod keys;
mod schedule;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub(crate) use cache::{CacheSettings, JwksCache};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use keys::JwksDocument;
pub(crate) use keys::{KeySet, Lookup, UnpinnedRsa};
pub(crate) use schedule::Schedule;

pub(crate) const TARGET: &str = "tollgate::jwks";

/// A provider's key set, from [`JwtProvider::jwks`](crate::jwt::JwtProvider::jwks): health for
/// readiness probes, a manual refresh, shutdown, and sharing the keys with another provider of
/// the same issuer ([`JwtProviderBuilder::jwks`](crate::jwt::JwtProviderBuilder::jwks)). Cheap to
/// clone; every clone is the same key set.
///
/// ```no_run
/// # async fn f(provider: tollgate::jwt::JwtProvider) {
/// let jwks = provider.jwks();
/// let status = jwks.status();
/// if !status.usable {
///     eprintln!("not ready: {:?}", status.last_error);
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Jwks {
    cache: Arc<JwksCache>,
}

impl Jwks {
    pub(crate) fn new(cache: Arc<JwksCache>) -> Self {
        Self { cache }
    }

    pub(crate) fn into_cache(self) -> Arc<JwksCache> {
        self.cache
    }

    /// The JWKS URL.
    pub fn url(&self) -> &str {
        self.cache.url()
    }

    /// A snapshot of the key set's health.
    pub fn status(&self) -> JwksStatus {
        self.cache.status()
    }

    /// Whether requests can be verified now: keys are loaded and not older than the maximum
    /// staleness.
    pub fn is_ready(&self) -> bool {
        self.status().usable
    }

    /// Fetches the JWKS now (or waits for the fetch in flight), whatever the schedule and the
    /// unknown-`kid` bounds say. The outcome shows in [`status`](Self::status).
    pub async fn refresh(&self) {
        self.cache.refresh_now().await;
    }

    /// Stops the background refresh and all further fetches of this key set, for the provider
    /// that loaded it and every provider built with it through
    /// [`JwtProviderBuilder::jwks`](crate::jwt::JwtProviderBuilder::jwks) (and for no other).
    /// Cached keys keep verifying until they exceed the maximum staleness.
    pub fn shutdown(&self) {
        self.cache.shutdown();
    }

    /// Whether the background refresh task is running.
    pub fn is_refreshing(&self) -> bool {
        self.cache.refreshing()
    }
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cache, f)
    }
}

/// The health of a key set; see [`Jwks::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwksStatus {
    /// The JWKS URL.
    pub url: String,
    /// How many usable keys are loaded (stale or not).
    pub key_count: usize,
    /// Whether requests can be verified: keys are loaded and within the maximum staleness.
    pub usable: bool,
    /// When a fetch last delivered or confirmed (304) the keys.
    pub last_success: Option<SystemTime>,
    /// Time since `last_success`.
    pub age: Option<Duration>,
    /// When the last fetch started.
    pub last_attempt: Option<SystemTime>,
    /// Why the last failed fetch failed (kept after later successes; see `last_error_at`).
    pub last_error: Option<String>,
    /// When the last failed fetch failed.
    pub last_error_at: Option<SystemTime>,
    /// Failed fetches since the last success.
    pub consecutive_failures: u32,
    /// Fetches made so far.
    pub fetches: u64,
    /// When the background refresh next fetches; `None` after shutdown.
    pub next_refresh_in: Option<Duration>,
}
