//! Time, injectable: the [`Clock`] a provider reads for token expiry, key-set staleness,
//! refresh schedules and cooldowns.
//!
//! Production code uses [`SystemClock`] (the default). Tests use [`ManualClock`], which stands
//! still until advanced, so an hour of refresh schedule or a day of staleness is tested in
//! microseconds, without sleeping and without pausing Tokio's clock (which would also fire the
//! HTTP client's timeouts while a real server is answering).
//!
//! ```
//! # async fn f() -> Result<(), tollgate::ConfigError> {
//! use std::time::Duration;
//! use tollgate::clock::ManualClock;
//! use tollgate::jwt::JwtProvider;
//!
//! let clock = ManualClock::new();
//! let provider = JwtProvider::builder("https://issuer.example.com/")
//!     .audience("my-api")
//!     .clock(clock.clone())
//!     .build()
//!     .await?;
//! clock.advance(Duration::from_secs(6 * 60)); // the background refresh runs now
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;

/// A source of wall-clock time and of sleeps measured in that time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// A future that completes once `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// The system's clock, with Tokio's timer for sleeping.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to, for tests. Clones share the same time.
///
/// It starts at the current system time, so tokens minted by real issuers during the test are
/// current. Sleeps complete when [`advance`](Self::advance) moves the time past their end.
#[derive(Clone, Default)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Default)]
struct ManualState {
    offset: Duration,
    start: Option<SystemTime>,
    sleepers: Vec<(SystemTime, oneshot::Sender<()>)>,
}

impl ManualState {
    fn now(&mut self) -> SystemTime {
        let start = *self.start.get_or_insert_with(SystemTime::now);
        start + self.offset
    }
}

impl ManualClock {
    /// A clock standing at the current system time.
    pub fn new() -> Self {
        let clock = Self::default();
        clock.lock().now();
        clock
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the time forward by `by`, waking every sleep that has ended.
    ///
    /// # Panics
    /// If the time would pass the latest one a `SystemTime` can hold (hundreds of billions of
    /// years away): a test asking for that has a bug, and saying so beats wrapping around.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        let start = *state.start.get_or_insert_with(SystemTime::now);
        let offset = state
            .offset
            .checked_add(by)
            .filter(|offset| start.checked_add(*offset).is_some());
        let Some(offset) = offset else {
            drop(state);
            panic!("ManualClock::advance({by:?}) passes the latest time a SystemTime can hold");
        };
        state.offset = offset;
        let now = state.now();
        let (due, waiting) = std::mem::take(&mut state.sleepers)
            .into_iter()
            .partition(|(end, _)| *end <= now);
        state.sleepers = waiting;
        drop(state);
        for (_, wake) in due {
            let _ = wake.send(());
        }
    }

    /// How many sleeps are waiting for the clock to move (those whose future was dropped
    /// included, until the next `advance`).
    pub fn sleepers(&self) -> usize {
        self.lock().sleepers.len()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut state = self.lock();
        f.debug_struct("ManualClock")
            .field("now", &state.now())
            .field("sleepers", &state.sleepers.len())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.lock().now()
    }

    /// A sleep whose end a `SystemTime` cannot represent never ends: no advance reaches it.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let mut state = self.lock();
        let Some(end) = state.now().checked_add(duration) else {
            return Box::pin(std::future::pending());
        };
        let (wake, woken) = oneshot::channel();
        if duration.is_zero() {
            let _ = wake.send(());
        } else {
            state.sleepers.push((end, wake));
        }
        Box::pin(async move {
            let _ = woken.await;
        })
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Seconds since the Unix epoch on the system clock (0 if it is before the epoch), for the
/// development issuer's `iat` and `exp`.
#[cfg(feature = "dev-issuer")]
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_sleeps_end_only_when_advanced_past_them() {
        let clock = ManualClock::new();
        let start = clock.now();
        let short = tokio::spawn(clock.sleep(Duration::from_secs(10)));
        let long = tokio::spawn(clock.sleep(Duration::from_secs(60)));
        tokio::task::yield_now().await;
        assert_eq!(clock.sleepers(), 2);
        clock.advance(Duration::from_secs(9));
        assert!(!short.is_finished());
        clock.advance(Duration::from_secs(1));
        short.await.unwrap();
        assert!(!long.is_finished());
        assert_eq!(clock.sleepers(), 1);
        clock.advance(Duration::from_secs(50));
        long.await.unwrap();
        assert_eq!(
            clock.now().duration_since(start).unwrap(),
            Duration::from_secs(60)
        );
        clock.sleep(Duration::ZERO).await;
    }

    #[tokio::test]
    async fn a_sleep_past_the_end_of_time_never_ends_and_never_panics() {
        let clock = ManualClock::new();
        let forever = tokio::spawn(clock.sleep(Duration::MAX));
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(1000 * 365 * 24 * 3600));
        tokio::task::yield_now().await;
        assert!(!forever.is_finished());
        forever.abort();
    }

    #[test]
    fn advancing_past_the_end_of_time_says_so_and_keeps_the_clock() {
        let clock = ManualClock::new();
        let before = clock.now();
        let advanced = std::panic::catch_unwind(|| clock.advance(Duration::MAX));
        let message = advanced
            .err()
            .and_then(|e| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(message.contains("passes the latest time"), "{message:?}");
        assert_eq!(
            clock.now(),
            before,
            "the clock did not move, and is not poisoned"
        );
    }
}
