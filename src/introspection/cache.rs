//! Answers per token digest: settled ones until they may no longer be trusted, and the
//! introspection call in flight that concurrent first uses of a token share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::OnceCell;

use crate::error::AuthError;
use crate::principal::Principal;

/// SHA-256 of the token: the token itself is never kept.
pub(super) type Key = [u8; 32];
pub(super) type Outcome = Result<Principal, AuthError>;
/// An outcome and until when it may be kept (seconds since the Unix epoch; `None`: never).
pub(super) type Answer = (Outcome, Option<u64>);

pub(super) struct Cache {
    inner: Mutex<Slots>,
}

struct Slots {
    slots: HashMap<Key, Slot>,
    capacity: usize,
}

enum Slot {
    /// Kept while `now < until` (seconds since the Unix epoch).
    Settled {
        outcome: Outcome,
        until: u64,
    },
    InFlight(Arc<OnceCell<Answer>>),
}

/// A call for one token: its cell, shared by everyone who asked while it was in flight.
pub(super) struct Flight(pub(super) Arc<OnceCell<Answer>>);

impl Cache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Slots {
                slots: HashMap::new(),
                capacity: capacity.max(1),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn len(&self) -> usize {
        self.lock().slots.len()
    }

    /// The settled answer for `key`, if still valid at `now`.
    pub(super) fn get(&self, key: &Key, now: u64) -> Option<Outcome> {
        match self.lock().slots.get(key) {
            Some(Slot::Settled { outcome, until }) if now < *until => Some(outcome.clone()),
            _ => None,
        }
    }

    /// The call in flight for `key`, joined or started; `None` when the cache is full of calls
    /// in flight (the call then goes alone, uncached).
    pub(super) fn join(&self, key: Key, now: u64) -> Option<Flight> {
        let mut cache = self.lock();
        if let Some(Slot::InFlight(cell)) = cache.slots.get(&key) {
            return Some(Flight(cell.clone()));
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
        let cell = Arc::new(OnceCell::new());
        cache.slots.insert(key, Slot::InFlight(cell.clone()));
        Some(Flight(cell))
    }

    /// Ends `flight`: keeps `outcome` until `until`, or forgets it (`None`: not to be kept, or
    /// already past). Only the flight that is still current for `key` settles it.
    pub(super) fn settle(&self, key: Key, flight: &Flight, outcome: &Outcome, until: Option<u64>) {
        let mut cache = self.lock();
        if let Some(Slot::InFlight(current)) = cache.slots.get(&key) {
            if Arc::ptr_eq(current, &flight.0) {
                match until {
                    Some(until) => {
                        cache.slots.insert(
                            key,
                            Slot::Settled {
                                outcome: outcome.clone(),
                                until,
                            },
                        );
                    }
                    None => {
                        cache.slots.remove(&key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;

    fn refused() -> Outcome {
        Err(AuthError::invalid_token(Reason::Inactive))
    }

    #[test]
    fn settled_answers_last_until_their_time_and_flights_are_shared() {
        let cache = Cache::new(2);
        let first = cache.join([1; 32], 100).expect("flight");
        let second = cache.join([1; 32], 100).expect("joined");
        assert!(Arc::ptr_eq(&first.0, &second.0), "one call per token");
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
