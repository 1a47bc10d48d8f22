//! How stale a replica's caches may be: the last time the replica knew they matched the
//! database, and the rule that turns a cache too old into "unavailable" rather than an answer.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared by the request path (reads) and the sync task (writes); lock-free.
pub(crate) struct Freshness {
    base: Instant,
    max_staleness_ms: u64,
    /// When the caches were last known to match the database: the end of a resync, then every
    /// tick while the listener stays connected (a change would have arrived as a notification).
    confirmed_ms: AtomicU64,
    /// Whether `confirmed_ms` means anything yet (a first resync has completed).
    confirmed_once: AtomicBool,
}

impl Freshness {
    pub(crate) fn new(max_staleness: Duration) -> Self {
        Self {
            base: Instant::now(),
            max_staleness_ms: millis(max_staleness),
            confirmed_ms: AtomicU64::new(0),
            confirmed_once: AtomicBool::new(false),
        }
    }

    /// Milliseconds since this replica started (monotonic).
    pub(crate) fn now_ms(&self) -> u64 {
        millis(self.base.elapsed())
    }

    /// The caches matched the database at `at_ms`.
    pub(crate) fn confirm(&self, at_ms: u64) {
        self.confirmed_ms.fetch_max(at_ms, Ordering::AcqRel);
        self.confirmed_once.store(true, Ordering::Release);
    }

    /// Whether the replica has ever been in sync (the revocation list is empty, not unknown).
    pub(crate) fn ever_confirmed(&self) -> bool {
        self.confirmed_once.load(Ordering::Acquire)
    }

    /// How old the last confirmation is at `now_ms`; `None` before the first.
    pub(crate) fn age_ms(&self, now_ms: u64) -> Option<u64> {
        self.ever_confirmed()
            .then(|| now_ms.saturating_sub(self.confirmed_ms.load(Ordering::Acquire)))
    }

    /// Whether something read from the database at `read_ms` may still be trusted at `now_ms`:
    /// the later of that read and the last confirmation is at most the maximum staleness old.
    pub(crate) fn usable(&self, read_ms: u64, now_ms: u64) -> bool {
        let confirmed = if self.ever_confirmed() {
            self.confirmed_ms.load(Ordering::Acquire)
        } else {
            0
        };
        now_ms.saturating_sub(read_ms.max(confirmed)) <= self.max_staleness_ms
    }

    /// Whether state loaded only by resyncs (the revocation list) may be trusted now.
    pub(crate) fn synced_within_bound(&self, now_ms: u64) -> bool {
        self.age_ms(now_ms)
            .is_some_and(|age| age <= self.max_staleness_ms)
    }
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stay_usable_for_the_bound_after_the_later_of_read_and_confirmation() {
        let f = Freshness::new(Duration::from_secs(30));
        assert!(!f.synced_within_bound(0), "never synced is not in sync");
        assert!(f.usable(1_000, 31_000));
        assert!(!f.usable(1_000, 31_001));
        f.confirm(20_000);
        assert!(f.usable(1_000, 50_000));
        assert!(!f.usable(1_000, 50_001));
        assert!(f.synced_within_bound(50_000));
        assert!(!f.synced_within_bound(50_001));
        f.confirm(10_000); // an older confirmation never moves it back
        assert_eq!(f.age_ms(25_000), Some(5_000));
    }
}
