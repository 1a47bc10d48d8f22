//! The ALB's public keys, one PEM per `kid` at `{keys_url}/{kid}`: fetched on first use (one
//! fetch per `kid` however many requests wait for it), parsed once, kept (the key of a `kid`
//! never changes), and with a cooldown after a failed fetch so made-up kids cannot make the
//! service hammer the key endpoint.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use aws_lc_rs::signature::{ParsedPublicKey, ECDSA_P256_SHA256_FIXED};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use tokio::sync::watch;

use crate::clock::{unix_millis, Clock};
use crate::error::{AuthError, Reason};
use crate::fetch::{FetchError, Fetcher};

/// The trace target of key fetches.
const TARGET: &str = "tollgate::alb";

/// At most this many keys are kept; beyond, one is dropped (and fetched again if needed).
const MAX_KEYS: usize = 64;
/// At most this many failed kids are remembered; beyond, the global interval still bounds
/// fetches.
const MAX_FAILED: usize = 4096;
/// A PEM public key is a few hundred bytes.
pub(crate) const MAX_PEM_BYTES: usize = 16 * 1024;

/// The DER prefix of a P-256 SubjectPublicKeyInfo (RFC 5480): `SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (0 unused bits) }`, followed by the 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A verifying key, parsed once.
pub(crate) type Key = Arc<ParsedPublicKey>;

/// A fetch in flight: `None` until it answers.
type Pending = watch::Receiver<Option<Result<Key, Failure>>>;

/// Why no key could be had for a `kid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The endpoint answered 404 or 410: no such key. The token is refused (401).
    NotFound,
    /// Anything else (transport error, another status, an unusable body): an outage; 503.
    Unavailable,
}

/// Fetch and cooldown settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySettings {
    /// How long a `kid` the endpoint does not have is refused without fetching again.
    pub(crate) not_found_cooldown: Duration,
    /// After any failed fetch, how long no fetch for another new `kid` starts (and how long a
    /// `kid` whose fetch failed for an outage is refused without fetching again).
    pub(crate) failure_interval: Duration,
}

/// The per-`kid` key cache of one key endpoint.
pub(crate) struct AlbKeys {
    base: String,
    fetcher: Fetcher,
    clock: Arc<dyn Clock>,
    settings: KeySettings,
    /// Read on every request without a lock; replaced (copy on write) when a key is added.
    keys: ArcSwap<HashMap<Box<str>, Key>>,
    /// The fetches in flight, by `kid`: later callers wait for the same answer.
    in_flight: Mutex<HashMap<Box<str>, Pending>>,
    /// Kids whose fetch failed, with the failure and the Unix ms until which it stands.
    failed: Mutex<HashMap<Box<str>, (Failure, u64)>>,
    /// Unix ms of the last failed fetch; 0: none.
    last_failure_ms: AtomicU64,
    /// Fetches started, for `Debug` and traces.
    fetches: AtomicU64,
}

impl fmt::Debug for AlbKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbKeys")
            .field("url", &self.base)
            .field("keys", &self.keys.load().len())
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AlbKeys {
    /// Keys fetched from `base` (no trailing slash) as `{base}/{kid}`.
    pub(crate) fn new(
        base: String,
        fetcher: Fetcher,
        clock: Arc<dyn Clock>,
        settings: KeySettings,
    ) -> Self {
        Self {
            base,
            fetcher,
            clock,
            settings,
            keys: ArcSwap::default(),
            in_flight: Mutex::default(),
            failed: Mutex::default(),
            last_failure_ms: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.base
    }

    pub(crate) fn key_count(&self) -> usize {
        self.keys.load().len()
    }

    /// The key of `kid` if it is cached: one atomic load and a map lookup.
    pub(crate) fn cached(&self, kid: &str) -> Option<Key> {
        self.keys.load().get(kid).cloned()
    }

    /// The key of `kid` (which the caller checked is a safe path segment): cached, or fetched
    /// once for every caller waiting, unless the `kid` or the endpoint is cooling down.
    pub(crate) async fn get(self: &Arc<Self>, kid: &str) -> Result<Key, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut done = {
            let mut in_flight = lock(&self.in_flight);
            // A fetch may have completed since the lock-free look: it adds the key before it
            // leaves `in_flight`.
            if let Some(key) = self.cached(kid) {
                return Ok(key);
            }
            match in_flight.get(kid) {
                Some(receiver) => receiver.clone(),
                None => {
                    self.may_fetch(kid)?;
                    let (sender, receiver) = watch::channel(None);
                    in_flight.insert(kid.into(), receiver.clone());
                    let keys = Arc::clone(self);
                    let kid: Box<str> = kid.into();
                    // Its own task: a caller that gives up does not cancel the fetch others
                    // wait for.
                    tokio::spawn(async move {
                        let outcome = keys.fetch(&kid).await;
                        lock(&keys.in_flight).remove(&kid);
                        sender.send_replace(Some(outcome));
                    });
                    receiver
                }
            }
        };
        let outcome = match done.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.clone(),
            Err(_) => Some(Err(Failure::Unavailable)),
        };
        match outcome {
            Some(Ok(key)) => Ok(key),
            Some(Err(failure)) => Err(self.error(failure, self.settings.failure_interval)),
            None => Err(self.error(Failure::Unavailable, self.settings.failure_interval)),
        }
    }

    /// Whether a fetch for `kid` may start now: not while `kid` cools down after its own failed
    /// fetch, nor within the failure interval after any failed fetch (so a flood of distinct
    /// made-up kids costs one fetch per interval).
    fn may_fetch(&self, kid: &str) -> Result<(), AuthError> {
        let now = unix_millis(self.clock.now());
        if let Some(&(failure, until)) = lock(&self.failed).get(kid) {
            if now < until {
                return Err(self.error(failure, Duration::from_millis(until - now)));
            }
        }
        let last = self.last_failure_ms.load(Ordering::Acquire);
        let interval_end = last.saturating_add(millis(self.settings.failure_interval));
        if last != 0 && now < interval_end {
            tracing::debug!(target: TARGET, kid, "key fetch refused: a fetch failed just now");
            return Err(AuthError::unavailable(retry_after(Duration::from_millis(
                interval_end - now,
            ))));
        }
        Ok(())
    }

    fn error(&self, failure: Failure, wait: Duration) -> AuthError {
        match failure {
            Failure::NotFound => AuthError::invalid_token(Reason::UnknownKey),
            Failure::Unavailable => AuthError::unavailable(retry_after(wait)),
        }
    }

    /// Fetches and parses the key of `kid`, and records the outcome.
    async fn fetch(&self, kid: &str) -> Result<Key, Failure> {
        let url = format!("{}/{kid}", self.base);
        let count = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(target: TARGET, %url, fetch = count, "fetching ALB public key");
        let outcome = match self
            .fetcher
            .get_bytes(&url, "application/x-pem-file, text/plain")
            .await
        {
            Ok(body) => parse_pem(&body).map_err(|why| (Failure::Unavailable, why.to_owned())),
            Err(FetchError::Status(status @ (404 | 410))) => {
                Err((Failure::NotFound, format!("HTTP status {status}")))
            }
            Err(e) => Err((Failure::Unavailable, e.to_string())),
        };
        let now = unix_millis(self.clock.now());
        match outcome {
            Ok(key) => {
                let key = Arc::new(key);
                let mut keys = HashMap::clone(&self.keys.load());
                if keys.len() >= MAX_KEYS {
                    if let Some(evicted) = keys.keys().next().cloned() {
                        keys.remove(&evicted);
                    }
                }
                keys.insert(kid.into(), Arc::clone(&key));
                self.keys.store(Arc::new(keys));
                lock(&self.failed).remove(kid);
                tracing::info!(target: TARGET, %url, "ALB public key loaded");
                Ok(key)
            }
            Err((failure, error)) => {
                let cooldown = match failure {
                    Failure::NotFound => self.settings.not_found_cooldown,
                    Failure::Unavailable => self.settings.failure_interval,
                };
                let mut failed = lock(&self.failed);
                if failed.len() >= MAX_FAILED {
                    failed.retain(|_, (_, until)| *until > now);
                }
                if failed.len() < MAX_FAILED {
                    failed.insert(kid.into(), (failure, now.saturating_add(millis(cooldown))));
                }
                drop(failed);
                self.last_failure_ms.store(now.max(1), Ordering::Release);
                tracing::warn!(target: TARGET, %url, %error, ?failure, "ALB public key fetch failed");
                Err(failure)
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn retry_after(wait: Duration) -> Duration {
    wait.clamp(Duration::from_secs(1), Duration::from_secs(300))
}

/// A P-256 public key from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo): only that curve, only
/// the uncompressed point, nothing after the END line but whitespace.
pub(crate) fn parse_pem(pem: &[u8]) -> Result<ParsedPublicKey, &'static str> {
    let text = std::str::from_utf8(pem).map_err(|_| "the key is not text")?;
    let body = text
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or("the key is not a PEM PUBLIC KEY")?;
    let base64: String = body.split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|_| "the PEM body is not base64")?;
    let point = der
        .strip_prefix(&P256_SPKI_PREFIX[..])
        .filter(|point| point.len() == 65 && point.first() == Some(&0x04))
        .ok_or("the key is not a P-256 public key")?;
    ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        .map_err(|_| "the key is not a point on P-256")
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    use super::*;

    fn pem_of(der: &[u8]) -> String {
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn reads_a_p256_spki_pem_and_verifies_with_it() {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let der = [&P256_SPKI_PREFIX[..], pair.public_key().as_ref()].concat();
        let key = parse_pem(pem_of(&der).as_bytes()).unwrap();
        let sig = pair.sign(&SystemRandom::new(), b"msg").unwrap();
        assert!(key.verify_sig(b"msg", sig.as_ref()).is_ok());
        assert!(key.verify_sig(b"other", sig.as_ref()).is_err());
    }

    #[test]
    fn refuses_anything_else() {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let der = [&P256_SPKI_PREFIX[..], &point].concat();
        let mut off_curve = der.clone();
        if let Some(last) = off_curve.last_mut() {
            *last ^= 1;
        }
        let mut p384_oid = der.clone();
        if let Some(b) = p384_oid.get_mut(22) {
            *b = 0x22;
        }
        let cases = [
            String::new(),
            "not pem".to_owned(),
            pem_of(&point),
            pem_of(&off_curve),
            pem_of(&p384_oid),
            pem_of(&der[..90]),
            pem_of(&[&der[..], &[0][..]].concat()),
            pem_of(&der).replace("PUBLIC KEY", "CERTIFICATE"),
            pem_of(&der).replacen('\n', "\n*", 1),
            format!("{}trailing", pem_of(&der)),
        ];
        for case in cases {
            assert!(parse_pem(case.as_bytes()).is_err(), "{case}");
        }
    }
}
