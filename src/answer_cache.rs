//! Answers per credential digest, for providers that ask a remote verifier (AWS STS, a token
//! introspection endpoint): settled answers until they may no longer be trusted, and the call
//! in flight that concurrent first uses of a credential share. Bounded; expired answers are
//! dropped first when it is full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::OnceCell;

/// SHA-256 of the credential: the credential itself is never kept.
pub(crate) type Key = [u8; 32];

/// The key of `credential`.
pub(crate) fn key_of(credential: &str) -> Key {
    crate::sha256::sha256(credential)
}

pub(crate) struct AnswerCache<T> {
    inner: Mutex<Slots<T>>,
}

struct Slots<T> {
    slots: HashMap<Key, Slot<T>>,
    capacity: usize,
}

enum Slot<T> {
    /// Kept while `now < until` (seconds since the Unix epoch).
    Settled {
        answer: T,
        until: u64,
    },
    InFlight(Flight<T>),
}

/// A call for one credential, shared by everyone who asked while it was in flight: its answer,
/// and until when that answer may be kept (`None`: never).
pub(crate) struct Flight<T>(Arc<OnceCell<(T, Option<u64>)>>);

impl<T> Clone for Flight<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Clone> Flight<T> {
    /// The flight's answer: `call`'s, unless another user of the flight ran it first.
    pub(crate) async fn answer<F>(&self, call: F) -> (T, Option<u64>)
    where
        F: std::future::Future<Output = (T, Option<u64>)>,
    {
        self.0.get_or_init(|| call).await.clone()
    }
}

impl<T: Clone> AnswerCache<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Slots {
                slots: HashMap::new(),
                capacity: capacity.max(1),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many credentials have an answer, settled or in flight.
    pub(crate) fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// The settled answer for `key`, if still valid at `now`.
    pub(crate) fn get(&self, key: &Key, now: u64) -> Option<T> {
        match self.lock().slots.get(key) {
            Some(Slot::Settled { answer, until }) if now < *until => Some(answer.clone()),
            _ => None,
        }
    }

    /// The call in flight for `key`, joined or started; `None` when the cache is full of calls
    /// in flight (the call then goes alone, uncached).
    pub(crate) fn join(&self, key: Key, now: u64) -> Option<Flight<T>> {
        let mut cache = self.lock();
        if let Some(Slot::InFlight(flight)) = cache.slots.get(&key) {
            return Some(flight.clone());
        }
        if cache.slots.len() >= cache.capacity {
            cache
                .slots
                .retain(|_, slot| !matches!(slot, Slot::Settled { until, .. } if *until <= now));
        }
        while cache.slots.len() >= cache.capacity {
            let victim = cache
                .slots
                .iter()
                .find_map(|(k, slot)| matches!(slot, Slot::Settled { .. }).then_some(*k))?;
            cache.slots.remove(&victim);
        }
        let flight = Flight(Arc::new(OnceCell::new()));
        cache.slots.insert(key, Slot::InFlight(flight.clone()));
        Some(flight)
    }

    /// Ends `flight`: keeps `answer` until `until`, or forgets it (`None`: not to be kept).
    /// Only the flight that is still current for `key` settles it.
    pub(crate) fn settle(&self, key: Key, flight: &Flight<T>, answer: &T, until: Option<u64>) {
        let mut cache = self.lock();
        let current = matches!(cache.slots.get(&key), Some(Slot::InFlight(f)) if Arc::ptr_eq(&f.0, &flight.0));
        if !current {
            return;
        }
        match until {
            Some(until) => {
                let answer = answer.clone();
                cache.slots.insert(key, Slot::Settled { answer, until });
            }
            None => {
                cache.slots.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Cache = AnswerCache<&'static str>;

    fn refused() -> &'static str {
        "refused"
    }

    #[test]
    fn settled_answers_last_until_their_time_and_flights_are_shared() {
        let cache = Cache::new(2);
        let first = cache.join([1; 32], 100).expect("flight");
        let second = cache.join([1; 32], 100).expect("joined");
        assert!(Arc::ptr_eq(&first.0, &second.0), "one call per credential");
        assert!(cache.get(&[1; 32], 100).is_none(), "in flight, not settled");
        cache.settle([1; 32], &first, &refused(), Some(110));
        assert!(cache.get(&[1; 32], 109).is_some());
        assert!(cache.get(&[1; 32], 110).is_none(), "gone at `until`");

        let unkept = cache.join([2; 32], 100).expect("flight");
        cache.settle([2; 32], &unkept, &refused(), None);
        assert!(cache.get(&[2; 32], 100).is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_drops_expired_answers_first_then_any_settled_one() {
        let cache = Cache::new(2);
        for (key, until) in [([1; 32], 50), ([2; 32], 500)] {
            let flight = cache.join(key, 10).expect("flight");
            cache.settle(key, &flight, &refused(), Some(until));
        }
        let third = cache.join([3; 32], 100).expect("room made");
        assert!(cache.get(&[1; 32], 100).is_none(), "the expired one went");
        assert!(cache.get(&[2; 32], 100).is_some());
        cache.settle([3; 32], &third, &refused(), Some(500));
        assert!(cache.join([4; 32], 100).is_some(), "a live one gives way");
        assert!(cache.join([5; 32], 100).is_some(), "and the other");
        assert_eq!(cache.len(), 2);
        // Two calls in flight fill it: a sixth token goes alone.
        assert!(cache.join([6; 32], 100).is_none());
    }
}
