//! Signing keys that rotate: the [`KeyRing`] of one moment and [`Keys`], which keeps a ring
//! current, as the [`RotationPolicy`] says.
//!
//! A key's life: it is created and published in the JWKS at least `publish_ahead` (≥
//! [`JWKS_MAX_AGE`](super::JWKS_MAX_AGE)) before it starts signing, so every verifier has
//! fetched it before its first token; it signs for `rotate_every`; then it stays published for
//! the longest token lifetime plus 60 s of verifier leeway, so its last token expires before
//! it leaves the JWKS; then it is deleted. Every schedule is written to the store, so
//! processes sharing a store agree, and each follows the others by re-reading it at least once
//! a minute.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use serde_json::{Map, Value};

use super::policy::RESYNC_INTERVAL;
use super::seal::SealingKey;
use super::signing::SigningKey;
use super::{IssuerError, IssuerStore, RotationPolicy, SigningAlgorithm, StoredSigningKey};
use crate::clock::Clock;

/// One key of a ring: unsealed, with its schedule.
struct RingKey {
    key: Arc<SigningKey>,
    /// The sealed bytes it was opened from, to reuse the unsealed key while they are unchanged.
    sealed: Vec<u8>,
    created_at: SystemTime,
    signs_from: SystemTime,
    signs_until: Option<SystemTime>,
    published_until: Option<SystemTime>,
}

impl RingKey {
    fn published_at(&self, now: SystemTime) -> bool {
        self.created_at <= now && self.published_until.is_none_or(|until| now < until)
    }

    fn signs_at(&self, now: SystemTime) -> bool {
        self.published_at(now)
            && self.signs_from <= now
            && self.signs_until.is_none_or(|until| now < until)
    }
}

struct RingInner {
    /// By `signs_from`, oldest first.
    keys: Vec<RingKey>,
    policy: RotationPolicy,
}

/// The keys at one moment, unsealed. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<RingInner>,
}

impl KeyRing {
    /// Loads the store's keys, applies what the policy calls for at `now` (the first key; the
    /// next key, published `publish_ahead` before it signs; the old key's schedule; deletion of
    /// keys past `published_until`), writing through the store, then unseals the keys.
    ///
    /// Several processes may call it at once: a new key's `kid` is derived from its algorithm
    /// and `signs_from` (e.g. `es256-1790000000`), so a second insert of the same `kid` returns
    /// `false`, and the loser re-reads the store and uses the winner's key.
    ///
    /// # Errors
    /// [`IssuerError::Invalid`] for an invalid policy; the store's errors;
    /// [`IssuerError::Unseal`] when a key does not open with `sealing`;
    /// [`IssuerError::Crypto`] when key generation fails.
    pub async fn sync(
        store: &dyn IssuerStore,
        sealing: &SealingKey,
        policy: &RotationPolicy,
        now: SystemTime,
    ) -> Result<KeyRing, IssuerError> {
        Self::sync_from(store, sealing, policy, now, None).await
    }

    /// [`sync`](Self::sync), reusing the unsealed keys of `previous` whose record is unchanged.
    async fn sync_from(
        store: &dyn IssuerStore,
        sealing: &SealingKey,
        policy: &RotationPolicy,
        now: SystemTime,
        previous: Option<&KeyRing>,
    ) -> Result<KeyRing, IssuerError> {
        policy.validate()?;
        // Each pass either finds nothing to create or adds one key (ours or a rival's); more
        // passes than this mean the store keeps changing under us.
        for _ in 0..4 {
            let keys = tidy(store, policy, now).await?;
            let Some(signs_from) = next_key_time(&keys, policy, now) else {
                return Self::unseal(keys, sealing, policy, previous);
            };
            let created_at = now.min(signs_from);
            let key = SigningKey::generate(policy.algorithm, sealing, created_at, signs_from)?;
            // Inserted or not (another process planned the same key first), the next pass
            // reads the store again and schedules the previous key.
            store.insert_signing_key(&key).await?;
        }
        Err(IssuerError::Store(
            "the signing keys kept changing while they were being rotated".into(),
        ))
    }

    fn unseal(
        keys: Vec<StoredSigningKey>,
        sealing: &SealingKey,
        policy: &RotationPolicy,
        previous: Option<&KeyRing>,
    ) -> Result<KeyRing, IssuerError> {
        let reusable = |stored: &StoredSigningKey| {
            previous?
                .inner
                .keys
                .iter()
                .find(|old| old.key.kid() == stored.kid && old.sealed == stored.sealed_private_key)
                .map(|old| Arc::clone(&old.key))
        };
        let keys = keys
            .into_iter()
            .map(|stored| {
                let key = match reusable(&stored) {
                    Some(key) => key,
                    None => Arc::new(SigningKey::unseal(&stored, sealing)?),
                };
                Ok(RingKey {
                    key,
                    sealed: stored.sealed_private_key,
                    created_at: stored.created_at,
                    signs_from: stored.signs_from,
                    signs_until: stored.signs_until,
                    published_until: stored.published_until,
                })
            })
            .collect::<Result<Vec<_>, IssuerError>>()?;
        Ok(KeyRing {
            inner: Arc::new(RingInner {
                keys,
                policy: policy.clone(),
            }),
        })
    }

    /// `{"keys": [...]}`: the public JWK of every key published at `now` (created at or before
    /// `now`, and not past its `published_until`).
    pub fn jwks(&self, now: SystemTime) -> Value {
        let keys: Vec<Value> = self
            .inner
            .keys
            .iter()
            .filter(|key| key.published_at(now))
            .map(|key| key.key.jwk().clone())
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs `claims` as a compact JWS with the key that signs at `now`, under the header
    /// `{"alg", "kid", "typ": typ}`.
    ///
    /// # Errors
    /// [`IssuerError::Invalid`] when `claims` has no numeric `exp`, or one further than the
    /// policy's `max_token_lifetime` from `now` (the token would outlive its key's
    /// publication); [`IssuerError::Crypto`] when no key signs at `now` or signing fails.
    pub fn sign(
        &self,
        now: SystemTime,
        typ: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, IssuerError> {
        let exp = claims
            .get("exp")
            .and_then(Value::as_f64)
            .ok_or_else(|| IssuerError::Invalid("the claims need a numeric `exp`".into()))?;
        let latest = later(now, self.inner.policy.max_token_lifetime)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if exp > latest {
            return Err(IssuerError::Invalid(format!(
                "`exp` is more than the rotation policy's max_token_lifetime ({:?}) away",
                self.inner.policy.max_token_lifetime
            )));
        }
        let key = self
            .inner
            .keys
            .iter()
            .filter(|key| key.signs_at(now))
            .max_by_key(|key| key.signs_from)
            .ok_or_else(|| IssuerError::Crypto("no signing key is valid now".into()))?;
        key.key.sign(typ, claims)
    }

    /// The earliest moment after `now` at which [`sync`](Self::sync) has something to do: a
    /// key starts or stops signing, leaves the JWKS, or the next key is due (`now` itself when
    /// it is already due). `None` for an empty ring.
    pub fn next_change(&self, now: SystemTime) -> Option<SystemTime> {
        let newest = self.inner.keys.last()?;
        let due = self
            .inner
            .policy
            .next_due(newest.signs_from)
            .map(|due| due.max(now));
        self.inner
            .keys
            .iter()
            .flat_map(|key| {
                [
                    Some(key.created_at),
                    Some(key.signs_from),
                    key.signs_until,
                    key.published_until,
                ]
            })
            .flatten()
            .filter(|&at| at > now)
            .chain(due)
            .min()
    }

    /// The algorithms of the ring's keys, each once, oldest key's first.
    pub fn algorithms(&self) -> Vec<SigningAlgorithm> {
        let mut algorithms = Vec::new();
        for key in &self.inner.keys {
            if !algorithms.contains(&key.key.algorithm()) {
                algorithms.push(key.key.algorithm());
            }
        }
        algorithms
    }

    /// The `kid`s of the ring's keys, oldest first.
    pub fn kids(&self) -> Vec<String> {
        self.inner
            .keys
            .iter()
            .map(|key| key.key.kid().to_owned())
            .collect()
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Schedule<'a>(&'a RingKey);
        impl fmt::Debug for Schedule<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct("Key")
                    .field("kid", &self.0.key.kid())
                    .field("algorithm", &self.0.key.algorithm())
                    .field("created_at", &self.0.created_at)
                    .field("signs_from", &self.0.signs_from)
                    .field("signs_until", &self.0.signs_until)
                    .field("published_until", &self.0.published_until)
                    .finish()
            }
        }
        f.debug_list()
            .entries(self.inner.keys.iter().map(Schedule))
            .finish()
    }
}

/// Reads the store's keys, deletes those no longer published, and writes each remaining key's
/// schedule as the next key implies it (repairing what a process that stopped half-way left).
/// Returns the keys by `signs_from`, oldest first.
async fn tidy(
    store: &dyn IssuerStore,
    policy: &RotationPolicy,
    now: SystemTime,
) -> Result<Vec<StoredSigningKey>, IssuerError> {
    let mut keys = store.signing_keys().await?;
    keys.sort_by(|a, b| (a.signs_from, &a.kid).cmp(&(b.signs_from, &b.kid)));
    let mut kept = Vec::with_capacity(keys.len());
    for key in keys {
        if key.published_until.is_some_and(|until| until <= now) {
            store.delete_signing_key(&key.kid).await?;
        } else {
            kept.push(key);
        }
    }
    let next_starts: Vec<Option<SystemTime>> = kept
        .iter()
        .skip(1)
        .map(|key| Some(key.signs_from))
        .chain([None])
        .collect();
    for (key, next_start) in kept.iter_mut().zip(next_starts) {
        let published_until = next_start.map(|until| later(until, policy.retention()));
        if key.signs_until != next_start || key.published_until != published_until {
            key.signs_until = next_start;
            key.published_until = published_until;
            store.update_signing_key(key).await?;
        }
    }
    Ok(kept)
}

/// When the key to create now starts signing, if one is due: the first key at once (from the
/// start of the current minute, so processes starting together plan the same `kid`); the next
/// one `rotate_every` after the newest started, or `publish_ahead` from now if that is later.
fn next_key_time(
    keys: &[StoredSigningKey],
    policy: &RotationPolicy,
    now: SystemTime,
) -> Option<SystemTime> {
    let Some(newest) = keys.last() else {
        let minute = unix_seconds(now) / 60 * 60;
        return Some(SystemTime::UNIX_EPOCH + Duration::from_secs(minute));
    };
    if policy
        .next_due(newest.signs_from)
        .is_none_or(|due| now < due)
    {
        return None;
    }
    let at = later(newest.signs_from, policy.rotate_every).max(later(now, policy.publish_ahead));
    Some(whole_second_at_or_after(at))
}

/// `time + by`, or `time` itself past the end of representable time (a schedule read from
/// the store may be absurd; it must not panic).
fn later(time: SystemTime, by: Duration) -> SystemTime {
    time.checked_add(by).unwrap_or(time)
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn whole_second_at_or_after(time: SystemTime) -> SystemTime {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since.as_secs() + u64::from(since.subsec_nanos() > 0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// Keeps a [`KeyRing`] current: [`start`](Self::start) syncs once, then a background task
/// re-syncs when the ring's [`next_change`](KeyRing::next_change) comes, and at least every
/// minute to follow what other processes sharing the store did. [`ring`](Self::ring) is
/// lock-free. The task stops when the last clone is dropped.
#[derive(Clone)]
pub struct Keys {
    inner: Arc<KeysInner>,
}

struct KeysInner {
    store: Arc<dyn IssuerStore>,
    sealing: SealingKey,
    policy: RotationPolicy,
    clock: Arc<dyn Clock>,
    ring: ArcSwap<KeyRing>,
    /// One sync at a time in this process.
    syncing: tokio::sync::Mutex<()>,
    task: std::sync::OnceLock<tokio::task::AbortHandle>,
}

impl Drop for KeysInner {
    fn drop(&mut self) {
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

impl KeysInner {
    async fn sync(&self) -> Result<(), IssuerError> {
        let _one_at_a_time = self.syncing.lock().await;
        let previous = self.ring.load_full();
        let ring = KeyRing::sync_from(
            self.store.as_ref(),
            &self.sealing,
            &self.policy,
            self.clock.now(),
            Some(&previous),
        )
        .await?;
        self.ring.store(Arc::new(ring));
        Ok(())
    }
}

impl Keys {
    /// Syncs the keys once (creating the first key of an empty store) and starts the
    /// background task that keeps them current. Must run inside a Tokio runtime.
    ///
    /// # Errors
    /// What [`KeyRing::sync`] fails with.
    pub async fn start(
        store: Arc<dyn IssuerStore>,
        sealing: SealingKey,
        policy: RotationPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, IssuerError> {
        let ring = KeyRing::sync(store.as_ref(), &sealing, &policy, clock.now()).await?;
        let inner = Arc::new(KeysInner {
            store,
            sealing,
            policy,
            clock,
            ring: ArcSwap::from_pointee(ring),
            syncing: tokio::sync::Mutex::new(()),
            task: std::sync::OnceLock::new(),
        });
        let task = tokio::spawn(keep_current(Arc::downgrade(&inner)));
        let _ = inner.task.set(task.abort_handle());
        Ok(Self { inner })
    }

    /// The current key ring.
    pub fn ring(&self) -> KeyRing {
        KeyRing::clone(&self.inner.ring.load())
    }

    /// Syncs now, whatever the schedule: for tests, and after the clock jumped.
    ///
    /// # Errors
    /// What [`KeyRing::sync`] fails with; the current ring is kept.
    pub async fn sync_now(&self) -> Result<(), IssuerError> {
        self.inner.sync().await
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("ring", &self.ring())
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

/// The background task: sleeps until the next change (at most a minute), syncs, repeats.
async fn keep_current(keys: Weak<KeysInner>) {
    let mut failed = false;
    loop {
        let sleep = {
            let Some(keys) = keys.upgrade() else { return };
            let now = keys.clock.now();
            let until_change = keys
                .ring
                .load()
                .next_change(now)
                .and_then(|at| at.duration_since(now).ok())
                .unwrap_or(RESYNC_INTERVAL);
            // After a failure, wait the full interval rather than retry a due change at once.
            let wait = if failed {
                RESYNC_INTERVAL
            } else {
                until_change.clamp(Duration::from_secs(1), RESYNC_INTERVAL)
            };
            keys.clock.sleep(wait)
        };
        sleep.await;
        let Some(keys) = keys.upgrade() else { return };
        failed = match keys.sync().await {
            Ok(()) => false,
            Err(error) => {
                tracing::warn!(target: "tollgate::issuer", %error, "the signing keys could not be synced; the current ones stay in use");
                true
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::signing::kid_for;
    use crate::issuer::MemoryIssuerStore;

    const MINUTE: Duration = Duration::from_secs(60);

    fn policy() -> RotationPolicy {
        RotationPolicy::new()
            .rotate_every(120 * MINUTE)
            .publish_ahead(15 * MINUTE)
            .max_token_lifetime(10 * MINUTE)
    }

    fn claims(now: SystemTime, lifetime: Duration) -> Map<String, Value> {
        let exp = unix_seconds(now + lifetime);
        serde_json::json!({"sub": "u", "exp": exp})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn kid_of(token: &str) -> String {
        let header = token.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header)
                .unwrap(),
        )
        .unwrap();
        header["kid"].as_str().unwrap().to_owned()
    }

    fn published(ring: &KeyRing, now: SystemTime) -> Vec<String> {
        ring.jwks(now)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KeyRing>();
        assert_send_sync::<Keys>();
        assert_send_sync::<RotationPolicy>();
        assert_send_sync::<SealingKey>();
        assert_send_sync::<MemoryIssuerStore>();
        assert_send_sync::<Arc<dyn IssuerStore>>();
    }

    #[tokio::test]
    async fn keys_are_published_ahead_sign_in_turn_and_leave_after_their_last_token() {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().unwrap();
        let policy = policy();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let sync = |now| KeyRing::sync(&store, &sealing, &policy, now);

        let ring = sync(start).await.unwrap();
        let first = ring.kids();
        assert_eq!(first, ["es256-1800000000"]);
        assert_eq!(published(&ring, start), first);
        assert_eq!(
            kid_of(
                &ring
                    .sign(start, "at+jwt", &claims(start, 10 * MINUTE))
                    .unwrap()
            ),
            first[0]
        );
        // The next key is due `publish_ahead` plus a minute before the first one's term ends.
        assert_eq!(ring.next_change(start), Some(start + 104 * MINUTE));
        assert_eq!(sync(start + 103 * MINUTE).await.unwrap().kids(), first);

        let due = start + 104 * MINUTE;
        let ring = sync(due).await.unwrap();
        assert_eq!(ring.kids(), ["es256-1800000000", "es256-1800007200"]);
        assert_eq!(published(&ring, due), ring.kids());
        let switch = start + 120 * MINUTE;
        let before = switch - Duration::from_secs(1);
        assert_eq!(
            kid_of(
                &ring
                    .sign(before, "at+jwt", &claims(before, MINUTE))
                    .unwrap()
            ),
            "es256-1800000000"
        );
        // No sync needed for the switch: the ring already holds the next key.
        assert_eq!(
            kid_of(
                &ring
                    .sign(switch, "at+jwt", &claims(switch, MINUTE))
                    .unwrap()
            ),
            "es256-1800007200"
        );
        assert_eq!(ring.next_change(due), Some(switch));

        // The old key stays published until its last token (exp ≤ switch + 10 min) plus leeway.
        let gone = switch + 11 * MINUTE;
        let ring = sync(gone - Duration::from_secs(1)).await.unwrap();
        assert_eq!(published(&ring, gone - Duration::from_secs(1)).len(), 2);
        assert_eq!(ring.next_change(gone - Duration::from_secs(1)), Some(gone));
        let ring = sync(gone).await.unwrap();
        assert_eq!(ring.kids(), ["es256-1800007200"]);
        assert_eq!(store.signing_keys().await.unwrap().len(), 1, "deleted");
    }

    #[tokio::test]
    async fn a_late_sync_still_publishes_the_next_key_ahead() {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().unwrap();
        let policy = policy();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        KeyRing::sync(&store, &sealing, &policy, start)
            .await
            .unwrap();
        // Down for five hours: the first key keeps signing until the next one was published
        // for `publish_ahead`.
        let late = start + 300 * MINUTE;
        let ring = KeyRing::sync(&store, &sealing, &policy, late)
            .await
            .unwrap();
        let next = late + 15 * MINUTE;
        assert_eq!(ring.kids()[1], kid_for(SigningAlgorithm::Es256, next));
        assert_eq!(
            kid_of(
                &ring
                    .sign(next - MINUTE, "JWT", &claims(late, MINUTE))
                    .unwrap()
            ),
            ring.kids()[0]
        );
        assert_eq!(
            kid_of(&ring.sign(next, "JWT", &claims(next, MINUTE)).unwrap()),
            ring.kids()[1]
        );
    }

    #[tokio::test]
    async fn sign_refuses_tokens_that_would_outlive_their_key() {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().unwrap();
        let now = SystemTime::now();
        let ring = KeyRing::sync(&store, &sealing, &policy(), now)
            .await
            .unwrap();
        for claims in [
            claims(now, 11 * MINUTE),
            serde_json::json!({"sub": "u"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            serde_json::json!({"exp": "soon"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        ] {
            assert!(matches!(
                ring.sign(now, "JWT", &claims),
                Err(IssuerError::Invalid(_))
            ));
        }
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(matches!(
            ring.sign(long_ago, "JWT", &claims(long_ago, MINUTE)),
            Err(IssuerError::Crypto(_))
        ));
    }

    #[tokio::test]
    async fn debug_shows_the_schedule_and_no_key_material() {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().unwrap();
        let ring = KeyRing::sync(&store, &sealing, &policy(), SystemTime::now())
            .await
            .unwrap();
        let debug = format!("{ring:?}");
        assert!(
            debug.contains("kid") && debug.contains("signs_from"),
            "{debug}"
        );
        let key = &store.signing_keys().await.unwrap()[0];
        let x = key.public_jwk["x"].as_str().unwrap();
        assert!(!debug.contains(x), "{debug}");
    }
}
