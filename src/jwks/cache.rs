//! The key set of one JWKS URL, behind [`Jwks`](super::Jwks): lock-free reads, one owned
//! refresh task, single-flight fetches, bounds on fetches for unknown `kid`s, backoff and
//! bounded staleness.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use arc_swap::{ArcSwap, Guard};
use tokio::sync::watch;

use super::keys::{JwksDocument, KeySet};
use super::schedule::{freshness, Schedule};
use super::TARGET;
use crate::clock::{unix_millis, Clock};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::metrics::{self, JwksFetch, RefetchRefused};

/// Settings of a [`JwksCache`] (the fetcher carries the HTTP ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheSettings {
    pub(crate) schedule: Schedule,
    /// Least time between two fetches caused by unknown `kid`s, whatever the kids.
    pub(crate) unknown_kid_interval: Duration,
    /// How long a `kid` that a fetch did not list is refused without another fetch.
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) unknown_kid_wait: Duration,
    pub(crate) max_staleness: Duration,
}

/// The keys of one JWKS URL.
pub(crate) struct JwksCache {
    url: String,
    fetcher: Fetcher,
    settings: CacheSettings,
    clock: Arc<dyn Clock>,
    keys: ArcSwap<KeySet>,
    /// Unix ms of the last fetch that delivered or confirmed (304) the keys; 0: never.
    fresh_at_ms: AtomicU64,
    /// Unix ms when the refresh task next fetches.
    next_attempt_ms: AtomicU64,
    /// Unix ms of the last fetch started for an unknown `kid`; 0: none yet.
    last_on_demand_ms: AtomicU64,
    /// Unix ms at which the last completed fetch started.
    completed_fetch_started_ms: AtomicU64,
    /// `last_on_demand_ms` as the last completed fetch found it when it ended: while the two
    /// differ, a fetch claimed for an unknown `kid` has not completed yet.
    completed_claim_ms: AtomicU64,
    /// `kid`s that a fetch started after they were asked for did not list, with the Unix ms
    /// until which they are refused without fetching. Only the unknown-`kid` path touches it.
    absent_kids: Mutex<HashMap<Box<str>, u64>>,
    /// Set while a fetch runs: every other caller waits for that one.
    fetching: AtomicBool,
    /// Bumped after each fetch, waking the callers that waited for it.
    fetched: watch::Sender<u64>,
    /// Bookkeeping for fetches and health; never touched on the request path.
    state: Mutex<FetchState>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
    stopped: AtomicBool,
}

#[derive(Default)]
struct FetchState {
    validators: Validators,
    last_attempt: Option<SystemTime>,
    last_success: Option<SystemTime>,
    last_error: Option<(SystemTime, String)>,
    failures: u32,
    fetches: u64,
    /// When the keys of the last successful fetch were due to be refreshed: past it, a failed
    /// fetch leaves a stale set in service.
    refresh_due: Option<SystemTime>,
}

impl fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.url)
            .field("keys", &self.keys.load().len())
            .finish_non_exhaustive()
    }
}

/// At most this many absent `kid`s are remembered; beyond, misses are bounded by the interval.
const MAX_ABSENT_KIDS: usize = 4096;

impl JwksCache {
    /// The key set of `url`, with its refresh task, which fetches at once in the background.
    /// With a `seed` (a JWKS supplied at build time), the seed's keys verify from the start, as
    /// fresh as keys fetched now, until that fetch (or a later one) replaces them.
    pub(crate) fn new(
        url: String,
        fetcher: Fetcher,
        settings: CacheSettings,
        clock: Arc<dyn Clock>,
        seed: Option<KeySet>,
    ) -> Arc<Self> {
        let seeded_at = match seed {
            Some(_) => unix_millis(clock.now()).max(1),
            None => 0,
        };
        let cache = Arc::new(Self {
            url,
            fetcher,
            settings,
            clock,
            keys: ArcSwap::from_pointee(seed.unwrap_or_default()),
            fresh_at_ms: AtomicU64::new(seeded_at),
            next_attempt_ms: AtomicU64::new(0),
            last_on_demand_ms: AtomicU64::new(0),
            completed_fetch_started_ms: AtomicU64::new(0),
            completed_claim_ms: AtomicU64::new(0),
            absent_kids: Mutex::default(),
            fetching: AtomicBool::new(false),
            fetched: watch::Sender::new(0),
            state: Mutex::default(),
            task: Mutex::new(None),
            stopped: AtomicBool::new(false),
        });
        let task = tokio::spawn(refresh_loop(Arc::downgrade(&cache))).abort_handle();
        *lock(&cache.task) = Some(task);
        cache
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn clock_arc(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Makes sure keys are loaded: one fetch (or the one in flight), then retries with backoff
    /// until `timeout` has passed on the cache's clock. Whether usable keys are loaded.
    pub(crate) async fn wait_for_keys(self: &Arc<Self>, timeout: Duration) -> bool {
        let now = || self.clock.now();
        if self.usable_keys(unix_millis(now())).is_some() {
            return true;
        }
        let deadline = now() + timeout;
        self.fetch_shared(true).await;
        let mut attempts = 0;
        while self.usable_keys(unix_millis(now())).is_none() {
            let remaining = deadline.duration_since(now()).unwrap_or_default();
            if remaining.is_zero() || self.stopped.load(Ordering::Acquire) {
                return false;
            }
            attempts += 1;
            let pause = self
                .settings
                .schedule
                .after_failure(attempts)
                .min(remaining);
            self.clock.sleep(pause).await;
            self.fetch_shared(true).await;
        }
        true
    }

    /// The current keys, if any are loaded and not older than the maximum staleness: an atomic
    /// load and two atomic reads, no lock, no allocation.
    pub(crate) fn usable_keys(&self, now_ms: u64) -> Option<Guard<Arc<KeySet>>> {
        let fresh_at = self.fresh_at_ms.load(Ordering::Acquire);
        if fresh_at == 0 || now_ms.saturating_sub(fresh_at) > millis(self.settings.max_staleness) {
            return None;
        }
        let keys = self.keys.load();
        (!keys.is_empty()).then_some(keys)
    }

    /// How many keys are loaded, stale or not.
    pub(crate) fn key_count(&self) -> usize {
        self.keys.load().len()
    }

    /// Runs one fetch, or waits for the one in flight: concurrent callers share a single
    /// request. The fetch runs on its own task, so a caller that gives up (or is cancelled)
    /// does not abort it. With `start: false`, only waits for a fetch already in flight.
    async fn fetch_shared(self: &Arc<Self>, start: bool) {
        let mut done = self.fetched.subscribe();
        if !self.fetching.load(Ordering::Acquire) {
            if start {
                if !self.fetching.swap(true, Ordering::AcqRel) {
                    let cache = Arc::clone(self);
                    tokio::spawn(async move {
                        let started = unix_millis(cache.clock.now()).max(1);
                        cache.fetch().await;
                        // Every claim made so far is answered by this fetch: claimants that
                        // joined it check the keys it delivered.
                        let claim = cache.last_on_demand_ms.load(Ordering::Acquire);
                        cache
                            .completed_fetch_started_ms
                            .store(started, Ordering::Release);
                        cache.completed_claim_ms.fetch_max(claim, Ordering::AcqRel);
                        cache.fetching.store(false, Ordering::Release);
                        cache.fetched.send_modify(|n| *n += 1);
                    });
                }
            } else if !self.claimed_fetch_pending() {
                return;
            }
        }
        let _ = done.changed().await;
    }

    /// Fetches the JWKS (conditionally, when validators are known) and records the outcome.
    ///
    /// A well-formed JWKS document from a 2xx answer is authoritative: it replaces the keys
    /// even when it holds no usable key, because that is how an issuer withdraws a compromised
    /// key; requests then get 503 until a set with a usable key arrives. A transport error, a
    /// non-2xx status, malformed JSON or an oversized body is an outage: the keys stay.
    async fn fetch(&self) {
        let (validators, count) = {
            let mut state = lock(&self.state);
            state.fetches += 1;
            state.last_attempt = Some(self.clock.now());
            (state.validators.clone(), state.fetches)
        };
        tracing::debug!(target: TARGET, url = %self.url, fetch = count, "fetching JWKS");
        let outcome = match self.fetcher.get_conditional(&self.url, &validators).await {
            Ok(Fetched::NotModified { headers }) => {
                tracing::debug!(target: TARGET, url = %self.url, "JWKS not modified (304)");
                Ok((headers, None))
            }
            Ok(Fetched::Modified {
                body,
                validators,
                headers,
            }) => match serde_json::from_slice::<JwksDocument>(&body) {
                Err(e) => Err(format!("invalid JWKS JSON: {e}")),
                Ok(doc) => Ok((headers, Some((KeySet::parse(doc), validators)))),
            },
            Err(e) => Err(e.to_string()),
        };
        let now = self.clock.now();
        let mut state = lock(&self.state);
        match outcome {
            Ok((headers, new)) => {
                let fetched = if new.is_some() {
                    JwksFetch::Success
                } else {
                    JwksFetch::NotModified
                };
                metrics::jwks_fetch(&self.url, fetched);
                metrics::jwks_stale(&self.url, false);
                if let Some((set, validators)) = new {
                    self.install(set);
                    state.validators = validators;
                }
                self.fresh_at_ms
                    .store(unix_millis(now).max(1), Ordering::Release);
                state.last_success = Some(now);
                if self.keys.load().is_empty() {
                    // The issuer says it has no key we may use: nothing verifies, and the set
                    // is fetched again on the failure backoff rather than its Cache-Control.
                    state.failures = state.failures.saturating_add(1);
                    let delay = self.settings.schedule.after_failure(state.failures);
                    self.schedule(now, delay);
                    let error = "the JWKS lists no usable key; requests get 503 until it does";
                    tracing::warn!(
                        target: TARGET,
                        url = %self.url,
                        consecutive_failures = state.failures,
                        retry_in = ?delay,
                        "{error}"
                    );
                    state.last_error = Some((now, error.to_owned()));
                } else {
                    let lifetime = freshness(&headers, now);
                    let delay = self.settings.schedule.after_success(lifetime);
                    state.failures = 0;
                    state.refresh_due = Some(now + delay);
                    self.schedule(now, delay);
                    tracing::debug!(target: TARGET, url = %self.url, next_refresh_in = ?delay, "JWKS refreshed");
                }
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let delay = self.settings.schedule.after_failure(state.failures);
                self.schedule(now, delay);
                let stale = self.usable_keys(unix_millis(now)).is_none();
                metrics::jwks_fetch(&self.url, JwksFetch::Failure);
                metrics::jwks_stale(
                    &self.url,
                    !stale && state.refresh_due.is_some_and(|due| now >= due),
                );
                tracing::warn!(
                    target: TARGET,
                    url = %self.url,
                    error = %error,
                    consecutive_failures = state.failures,
                    retry_in = ?delay,
                    serving = if stale { "nothing (requests get 503)" } else { "the last good keys" },
                    "JWKS fetch failed"
                );
                state.last_error = Some((now, error));
            }
        }
    }

    fn install(&self, set: KeySet) {
        let old = self.keys.load();
        let added: Vec<&str> = set
            .kids()
            .filter(|k| !old.kids().any(|o| o == *k))
            .collect();
        let removed: Vec<&str> = old
            .kids()
            .filter(|k| !set.kids().any(|n| n == *k))
            .collect();
        if added.is_empty() && removed.is_empty() && old.len() == set.len() {
            tracing::debug!(target: TARGET, url = %self.url, keys = set.len(), "JWKS unchanged");
        } else {
            tracing::info!(
                target: TARGET,
                url = %self.url,
                keys = set.len(),
                added = ?added,
                removed = ?removed,
                "JWKS key set changed"
            );
        }
        drop(old);
        self.keys.store(Arc::new(set));
    }

    fn schedule(&self, now: SystemTime, delay: Duration) {
        let at = unix_millis(now).saturating_add(millis(delay).max(1));
        self.next_attempt_ms.store(at, Ordering::Release);
    }

    /// Called when a token names a `kid` the set lacks (`kid`), or no usable keys are loaded
    /// (`None`). Two bounds keep the issuer safe from floods of made-up kids without locking
    /// out a key the issuer has just published:
    ///
    /// - a `kid` that a fetch started after it was asked for did not list is refused at once,
    ///   without fetching, for the unknown-`kid` cooldown: one made-up kid repeated costs one
    ///   fetch per cooldown;
    /// - any other miss fetches, unless a fetch for a miss started less than the unknown-`kid`
    ///   interval ago: then it joins the fetch in flight, if any, or returns at once. So
    ///   distinct made-up kids cost at most one fetch per interval, and a `kid` first seen
    ///   right after a fetch waits at most one interval.
    ///
    /// Never waits longer than the configured bound; the caller then looks at the keys again.
    pub(crate) async fn refresh_on_miss(self: &Arc<Self>, kid: Option<&str>) {
        if self.stopped.load(Ordering::Acquire) {
            return;
        }
        let now = unix_millis(self.clock.now()).max(1);
        if let Some(kid) = kid {
            if self.known_absent(kid, now) {
                metrics::jwks_refetch_refused(&self.url, RefetchRefused::KidCooldown);
                tracing::debug!(target: TARGET, url = %self.url, kid, "a kid the last fetch did not list; not fetching");
                return;
            }
        }
        let last = self.last_on_demand_ms.load(Ordering::Acquire);
        let too_soon =
            last != 0 && now < last.saturating_add(millis(self.settings.unknown_kid_interval));
        let start = !too_soon
            && self
                .last_on_demand_ms
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
        if start {
            tracing::debug!(target: TARGET, url = %self.url, "fetching JWKS for an unknown key");
        } else if !self.fetching.load(Ordering::Acquire) && !self.claimed_fetch_pending() {
            tracing::debug!(target: TARGET, url = %self.url, "unknown key within the interval since the last fetch for one; not fetching");
            metrics::jwks_refetch_refused(&self.url, RefetchRefused::Interval);
            return;
        }
        let wait = self.settings.unknown_kid_wait;
        tokio::select! {
            () = self.fetch_shared(start) => {
                if start {
                    // A claimant that joined a fetch already running (say, the scheduled
                    // refresh) is answered by it, though that fetch found an older claim.
                    self.completed_claim_ms.fetch_max(now, Ordering::AcqRel);
                }
                if let Some(kid) = kid {
                    self.note_if_absent(kid, now);
                }
            }
            () = self.clock.sleep(wait) => {
                tracing::debug!(target: TARGET, url = %self.url, ?wait, "gave up waiting for the JWKS fetch; it goes on in the background");
            }
        }
    }

    /// Whether a request has claimed an unknown-`kid` fetch that has not completed: between the
    /// claim and the fetch's start another request sees the interval taken and no fetch running,
    /// and must wait for that fetch rather than give up (a valid token signed with a key just
    /// published would otherwise be refused).
    fn claimed_fetch_pending(&self) -> bool {
        self.last_on_demand_ms.load(Ordering::Acquire)
            != self.completed_claim_ms.load(Ordering::Acquire)
    }

    /// Whether `kid` is remembered as absent at `now_ms` (expired entries are dropped).
    fn known_absent(&self, kid: &str, now_ms: u64) -> bool {
        let mut absent = lock(&self.absent_kids);
        match absent.get(kid) {
            Some(&until) if now_ms < until => true,
            Some(_) => {
                absent.remove(kid);
                false
            }
            None => false,
        }
    }

    /// After a fetch: remembers `kid`, asked for at `asked_ms`, as absent if the last completed
    /// fetch started no earlier and the set still lacks it. A fetch that began before the
    /// request may predate the key's publication, so it proves nothing.
    fn note_if_absent(&self, kid: &str, asked_ms: u64) {
        if self.completed_fetch_started_ms.load(Ordering::Acquire) < asked_ms
            || self.keys.load().contains_kid(kid)
        {
            return;
        }
        let now = unix_millis(self.clock.now());
        let until = now.saturating_add(millis(self.settings.unknown_kid_cooldown));
        let mut absent = lock(&self.absent_kids);
        if absent.len() >= MAX_ABSENT_KIDS {
            absent.retain(|_, &mut until| now < until);
        }
        // Full of live entries: the interval alone bounds the fetches.
        if absent.len() < MAX_ABSENT_KIDS {
            absent.insert(kid.into(), until);
        }
    }

    /// Fetches now, sharing a fetch in flight, whatever the schedule and cooldown say.
    pub(crate) async fn refresh_now(self: &Arc<Self>) {
        self.fetch_shared(true).await;
    }

    /// How long a client should wait before retrying while no usable keys are loaded: until the
    /// next fetch attempt, between 1 s and 5 min.
    pub(crate) fn retry_after(&self) -> Duration {
        let now = unix_millis(self.clock.now());
        let interval_end = self
            .last_on_demand_ms
            .load(Ordering::Acquire)
            .saturating_add(millis(self.settings.unknown_kid_interval));
        let next = self
            .next_attempt_ms
            .load(Ordering::Acquire)
            .min(interval_end);
        Duration::from_millis(next.saturating_sub(now))
            .clamp(Duration::from_secs(1), Duration::from_secs(300))
    }

    /// Stops the refresh task and any further fetches; the keys stay until they are too stale.
    pub(crate) fn shutdown(&self) {
        self.stopped.store(true, Ordering::Release);
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
        tracing::debug!(target: TARGET, url = %self.url, "JWKS refresh stopped");
    }

    /// Whether the refresh task is still running.
    pub(crate) fn refreshing(&self) -> bool {
        lock(&self.task).as_ref().is_some_and(|t| !t.is_finished())
    }

    pub(crate) fn status(&self) -> super::JwksStatus {
        let now = self.clock.now();
        let state = lock(&self.state);
        let next = self.next_attempt_ms.load(Ordering::Acquire);
        super::JwksStatus {
            url: self.url.clone(),
            key_count: self.key_count(),
            usable: self.usable_keys(unix_millis(now)).is_some(),
            last_success: state.last_success,
            age: state
                .last_success
                .map(|at| now.duration_since(at).unwrap_or_default()),
            last_attempt: state.last_attempt,
            last_error: state.last_error.as_ref().map(|(_, e)| e.clone()),
            last_error_at: state.last_error.as_ref().map(|(at, _)| *at),
            consecutive_failures: state.failures,
            fetches: state.fetches,
            next_refresh_in: (!self.stopped.load(Ordering::Acquire))
                .then(|| Duration::from_millis(next.saturating_sub(unix_millis(now)))),
        }
    }
}

impl Drop for JwksCache {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

/// The owned refresh task: sleeps until the next attempt is due, fetches, repeats. It holds the
/// cache only weakly while sleeping, so it ends when the last provider is dropped.
async fn refresh_loop(cache: Weak<JwksCache>) {
    loop {
        let (sleep, due) = {
            let Some(cache) = cache.upgrade() else { return };
            let now = unix_millis(cache.clock.now());
            let due = cache.next_attempt_ms.load(Ordering::Acquire);
            (
                cache
                    .clock
                    .sleep(Duration::from_millis(due.saturating_sub(now))),
                due,
            )
        };
        sleep.await;
        let Some(cache) = cache.upgrade() else { return };
        // An on-demand fetch may have moved the schedule while this task slept.
        if cache.next_attempt_ms.load(Ordering::Acquire) <= due {
            cache.fetch_shared(true).await;
            if cache.next_attempt_ms.load(Ordering::Acquire) <= due {
                // The fetch task never ran to completion (its runtime is shutting down).
                return;
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(all(test, feature = "dev-issuer"))]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::dev::DevIssuer;

    fn cache_for(url: String) -> Arc<JwksCache> {
        cache_with_clock(url, Arc::new(SystemClock))
    }

    fn cache_with_clock(url: String, clock: Arc<dyn Clock>) -> Arc<JwksCache> {
        let minute = Duration::from_secs(60);
        let settings = CacheSettings {
            schedule: Schedule {
                min: 5 * minute,
                max: 60 * minute,
                backoff_initial: Duration::from_secs(2),
                backoff_max: 5 * minute,
            },
            unknown_kid_interval: Duration::from_secs(3),
            unknown_kid_cooldown: Duration::from_secs(30),
            unknown_kid_wait: Duration::from_secs(2),
            max_staleness: 24 * 60 * minute,
        };
        let fetcher = Fetcher::new(Duration::from_secs(5), 1 << 20, false).unwrap();
        JwksCache::new(url, fetcher, settings, clock, None)
    }

    /// `tollgate_jwks_stale` is 1 only while a set past its scheduled refresh is served because
    /// refreshing failed: not after a failure before the refresh was due, and no longer once a
    /// fetch succeeds.
    #[cfg(feature = "metrics")]
    #[tokio::test(flavor = "current_thread")]
    async fn the_stale_gauge_follows_failed_refreshes_past_their_due_time() {
        use metrics_util::debugging::{DebugValue, DebuggingRecorder};

        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        // Current-thread runtime: the fetch tasks run on this thread, under this recorder.
        let _recorder = ::metrics::set_default_local_recorder(&recorder);
        let stale = || {
            snapshotter
                .snapshot()
                .into_vec()
                .into_iter()
                .find(|(key, _, _, _)| key.key().name() == "tollgate_jwks_stale")
                .and_then(|(_, _, _, value)| match value {
                    DebugValue::Gauge(v) => Some(v.into_inner()),
                    _ => None,
                })
        };
        let issuer = DevIssuer::start().await.unwrap();
        let clock = Arc::new(crate::clock::ManualClock::new());
        let cache = cache_with_clock(issuer.jwks_url(), clock.clone());
        cache.fetch_shared(true).await;
        assert_eq!(stale(), Some(0.0));

        issuer.dangerous().serve_jwks_body(500, "down");
        cache.fetch_shared(true).await;
        assert_eq!(stale(), Some(0.0), "failed, but the refresh is not due yet");

        // Past the refresh (at most 90 % of the assumed 5 min), within the maximum staleness.
        clock.advance(Duration::from_secs(10 * 60));
        cache.fetch_shared(true).await;
        assert_eq!(stale(), Some(1.0));
        assert!(cache.usable_keys(unix_millis(clock.now())).is_some());

        issuer.dangerous().serve_real_jwks();
        cache.fetch_shared(true).await;
        assert_eq!(stale(), Some(0.0));
    }

    /// A request that finds the unknown-`kid` interval just claimed by another request, whose
    /// fetch has not started yet, waits for that fetch instead of giving up: otherwise, on a
    /// busy multi-threaded server, a token signed with a key the issuer has just published was
    /// refused while the fetch that would have found the key was about to start.
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_between_a_claim_and_its_fetch_waits_for_that_fetch() {
        let issuer = DevIssuer::start().await.unwrap();
        let cache = cache_for(issuer.jwks_url());
        // The other request's claim: the interval is taken, no fetch runs yet.
        let now = unix_millis(SystemClock.now());
        cache.last_on_demand_ms.store(now, Ordering::Release);
        assert!(!cache.fetching.load(Ordering::Acquire));

        let waiting = tokio::spawn({
            let cache = Arc::clone(&cache);
            async move { cache.refresh_on_miss(Some("dev-rsa")).await }
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            !waiting.is_finished(),
            "gave up before the claimed fetch ran"
        );

        // The claimant's fetch runs; the waiting request returns with the key loaded.
        cache.fetch_shared(true).await;
        waiting.await.unwrap();
        assert!(cache.keys.load().contains_kid("dev-rsa"));
        assert!(!cache.claimed_fetch_pending());
    }
}
