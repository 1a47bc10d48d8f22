//! The sign-in backoff: after a few failed passwords for a username, each further attempt must
//! wait, twice as long each time, up to a cap.

use std::time::{Duration, SystemTime};

use super::Failures;

/// How long a username must wait between failed sign-ins.
///
/// Defaults: 5 failures are free, then the wait doubles from 1 s up to 15 min. Failures are
/// counted per username, whether or not a user has it, so the backoff does not tell which
/// usernames exist; a successful sign-in clears the count.
///
/// **The trade-off.** Anyone who knows a username can keep it waiting, up to 15 min at a time,
/// by failing on purpose: an availability cost that a per-username limit cannot avoid (the
/// user's next successful sign-in, once the wait is over, clears the count). In exchange, the
/// doubling caps guessing at about a hundred attempts per username per day with the defaults
/// (5 free, 10 waits from 1 s to 512 s, then one attempt every 15 min), whatever the
/// attacker's number of addresses. Rate limits by client address belong in front of the
/// issuer, as the complement.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use tollgate::issuer::Backoff;
///
/// # async fn sign_in(store: &dyn tollgate::issuer::IssuerStore, username: &str)
/// # -> Result<(), tollgate::issuer::IssuerError> {
/// let backoff = Backoff::default().free_failures(3).max_wait(Duration::from_secs(300));
/// let failures = store.failures(username).await?;
/// if let Some(wait) = backoff.wait(failures, SystemTime::now()) {
///     // Refuse without checking the password; tell the client to retry after `wait`.
///     return Ok(());
/// }
/// // Check the password: on failure `store.record_failure(username, now)`, on success
/// // `store.clear_failures(username)`.
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    free_failures: u32,
    first_wait: Duration,
    max_wait: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl Backoff {
    /// The default backoff (5 free failures, then 1 s doubling up to 15 min).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many consecutive failures cost nothing (default 5).
    #[must_use]
    pub fn free_failures(mut self, count: u32) -> Self {
        self.free_failures = count;
        self
    }

    /// The wait after the first failure beyond the free ones (default 1 s).
    #[must_use]
    pub fn first_wait(mut self, wait: Duration) -> Self {
        self.first_wait = wait;
        self
    }

    /// The longest wait (default 15 min).
    #[must_use]
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// How long the username with these `failures` must still wait at `now` before its next
    /// attempt is even checked; `None` when it may try now.
    ///
    /// A clock that went back is no reason to wait longer than the full wait.
    pub fn wait(&self, failures: Failures, now: SystemTime) -> Option<Duration> {
        let last = failures.last?;
        let beyond = failures
            .count
            .checked_sub(self.free_failures)?
            .checked_sub(1)?;
        let full = 2u32
            .checked_pow(beyond)
            .and_then(|factor| self.first_wait.checked_mul(factor))
            .map_or(self.max_wait, |wait| wait.min(self.max_wait));
        let elapsed = now.duration_since(last).unwrap_or(Duration::ZERO);
        Some(full.checked_sub(elapsed)?).filter(|left| !left.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(count: u32, last: SystemTime) -> Failures {
        Failures {
            count,
            last: Some(last),
        }
    }

    const T0: SystemTime = SystemTime::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        T0 + Duration::from_secs(secs)
    }

    #[test]
    fn the_free_failures_cost_nothing() {
        let b = Backoff::default();
        assert_eq!(b.wait(Failures::default(), T0), None);
        for count in 0..=5 {
            assert_eq!(b.wait(failures(count, at(100)), at(100)), None, "{count}");
        }
    }

    #[test]
    fn the_wait_doubles_from_one_second() {
        let b = Backoff::default();
        let s = Duration::from_secs;
        assert_eq!(b.wait(failures(6, at(100)), at(100)), Some(s(1)));
        assert_eq!(b.wait(failures(7, at(100)), at(100)), Some(s(2)));
        assert_eq!(b.wait(failures(8, at(100)), at(100)), Some(s(4)));
        assert_eq!(b.wait(failures(15, at(100)), at(100)), Some(s(512)));
    }

    #[test]
    fn the_wait_stops_at_fifteen_minutes() {
        let b = Backoff::default();
        let cap = Some(Duration::from_secs(900));
        assert_eq!(b.wait(failures(16, at(100)), at(100)), cap);
        assert_eq!(b.wait(failures(40, at(100)), at(100)), cap);
        assert_eq!(b.wait(failures(u32::MAX, at(100)), at(100)), cap);
    }

    #[test]
    fn the_wait_counts_from_the_last_failure() {
        let b = Backoff::default();
        let f = failures(8, at(100)); // 4 s
        assert_eq!(b.wait(f, at(101)), Some(Duration::from_secs(3)));
        assert_eq!(
            b.wait(f, at(104) - Duration::from_millis(1)),
            Some(Duration::from_millis(1))
        );
        assert_eq!(b.wait(f, at(104)), None);
        assert_eq!(b.wait(f, at(10_000)), None);
    }

    #[test]
    fn a_clock_that_went_back_waits_at_most_the_full_wait() {
        let b = Backoff::default();
        assert_eq!(
            b.wait(failures(8, at(100)), at(50)),
            Some(Duration::from_secs(4))
        );
    }

    #[test]
    fn no_last_failure_means_no_wait() {
        let f = Failures {
            count: 100,
            last: None,
        };
        assert_eq!(Backoff::default().wait(f, T0), None);
    }

    #[test]
    fn the_builder_changes_every_bound() {
        let b = Backoff::new()
            .free_failures(0)
            .first_wait(Duration::from_millis(100))
            .max_wait(Duration::from_millis(250));
        assert_eq!(
            b.wait(failures(1, T0), T0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            b.wait(failures(2, T0), T0),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            b.wait(failures(3, T0), T0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(b.wait(failures(0, T0), T0), None);
    }
}
