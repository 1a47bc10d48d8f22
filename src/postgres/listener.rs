//! The invalidation listener: a background task holding one `LISTEN` connection, which emits
//! `Resync` after every (re)connect, passes notifications on, and reconnects with backoff.

use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use super::{PostgresError, PostgresSettings};

/// What the consumer of an [`InvalidationListener`] must do.
///
/// Deliberately exhaustive: a consumer must handle every event, so a new kind of event would be
/// a breaking change rather than one a wildcard arm silently ignores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalidation {
    /// Reload the whole state: the listener has just (re)connected, so notifications sent while
    /// it was away are lost, or the consumer fell so far behind that some were dropped.
    Resync,
    /// One notification's payload, in the order the server sent them.
    Notify(String),
}

/// The listener's connection state, for deciding how stale a cache may be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListenerHealth {
    /// Since when the current connection has been listening; `None` while disconnected.
    pub connected_since: Option<SystemTime>,
    /// The last connection error, if any (kept after a successful reconnect).
    pub last_error: Option<String>,
    /// When the last connection error happened.
    pub last_error_at: Option<SystemTime>,
    /// How many times the listener has started listening, the first time included.
    pub connections: u64,
}

/// Keeps one connection with `LISTEN <channel>` open in a background task. The task stops when
/// the listener is dropped.
///
/// # Why a resync on every (re)connect
///
/// PostgreSQL delivers a `NOTIFY` only to sessions listening at the moment it commits, and never
/// replays one: whatever was sent while the listener was disconnected is gone. So the listener
/// first runs `LISTEN`, then emits [`Invalidation::Resync`], and only then passes notifications
/// on. A consumer that reloads its whole state on `Resync` and applies each
/// [`Invalidation::Notify`] after that misses nothing: a change committed after the `LISTEN`
/// arrives as a notification, one committed before it is in the reload. A connection that dies
/// silently is caught by a periodic ping and TCP keepalives; [`ListenerHealth`] says since when
/// the listener has been connected, so a consumer can still bound staleness with a TTL when
/// notifications stop.
///
/// ```no_run
/// # async fn run() -> Result<(), tollgate::postgres::PostgresError> {
/// use tollgate::postgres::{Invalidation, InvalidationListener, PostgresSettings};
///
/// let settings = PostgresSettings::from_url("postgres://tollgate@127.0.0.1/keys")?;
/// let mut listener = InvalidationListener::start(settings, "my_channel")?;
/// while let Some(event) = listener.recv().await {
///     match event {
///         Invalidation::Resync => { /* reload everything */ }
///         Invalidation::Notify(payload) => { /* drop `payload` from the cache */ }
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct InvalidationListener {
    events: mpsc::Receiver<Invalidation>,
    health: Arc<Mutex<ListenerHealth>>,
    task: JoinHandle<()>,
}

/// Events waiting for the consumer; past this many, notifications are dropped and replaced by
/// one `Resync`.
const QUEUE: usize = 1024;
/// How often an idle connection is pinged, so a silently dead one is replaced.
const PING_EVERY: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

impl InvalidationListener {
    /// Starts listening on `channel` in a background task on the current tokio runtime.
    ///
    /// The first event is always [`Invalidation::Resync`], once the first connection listens.
    ///
    /// # Errors
    ///
    /// When `channel` is not a plain identifier (ASCII letters, digits and `_`, not starting
    /// with a digit, at most 63 bytes), which is what keeps it safe to put in a `LISTEN`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn start(settings: PostgresSettings, channel: &str) -> Result<Self, PostgresError> {
        let valid = !channel.is_empty()
            && channel.len() <= 63
            && !channel.starts_with(|c: char| c.is_ascii_digit())
            && channel
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(PostgresError::new(
                "invalid channel name: use ASCII letters, digits and `_`, at most 63 bytes",
            ));
        }
        let (tx, events) = mpsc::channel(QUEUE);
        let health = Arc::new(Mutex::new(ListenerHealth::default()));
        let task = tokio::spawn(run(
            settings,
            format!("LISTEN \"{channel}\""),
            Sender::new(tx),
            Arc::clone(&health),
        ));
        Ok(Self {
            events,
            health,
            task,
        })
    }

    /// The next event; `None` only after [`shutdown`](Self::shutdown).
    pub async fn recv(&mut self) -> Option<Invalidation> {
        self.events.recv().await
    }

    /// The connection state now.
    pub fn health(&self) -> ListenerHealth {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the background task and closes its connection.
    pub fn shutdown(&mut self) {
        self.task.abort();
        self.events.close();
    }
}

impl Drop for InvalidationListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The sending side: when the queue is full, notifications are dropped and the next event that
/// fits is a `Resync`, so a slow consumer reloads instead of silently missing changes.
struct Sender {
    tx: mpsc::Sender<Invalidation>,
    overflowed: bool,
}

impl Sender {
    fn new(tx: mpsc::Sender<Invalidation>) -> Self {
        Self {
            tx,
            overflowed: false,
        }
    }

    /// `false` when the listener is gone.
    fn send(&mut self, event: Invalidation) -> bool {
        if self.overflowed {
            match self.tx.try_send(Invalidation::Resync) {
                Ok(()) => self.overflowed = false,
                Err(mpsc::error::TrySendError::Full(_)) => return true,
                Err(mpsc::error::TrySendError::Closed(_)) => return false,
            }
            if event == Invalidation::Resync {
                return true;
            }
        }
        match self.tx.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflowed = true;
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

async fn run(
    settings: PostgresSettings,
    listen: String,
    mut sender: Sender,
    health: Arc<Mutex<ListenerHealth>>,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match listen_once(&settings, &listen, &mut sender, &health).await {
            Ended::ListenerGone => return,
            Ended::Failed { error, listened } => {
                tracing::warn!(
                    target: "tollgate::postgres",
                    error = %error,
                    "invalidation listener disconnected; reconnecting"
                );
                {
                    let mut h = health.lock().unwrap_or_else(PoisonError::into_inner);
                    h.connected_since = None;
                    h.last_error = Some(error.to_string());
                    h.last_error_at = Some(SystemTime::now());
                }
                if listened {
                    backoff = FIRST_BACKOFF;
                }
                tokio::time::sleep(jittered(backoff)).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

enum Ended {
    ListenerGone,
    Failed {
        error: PostgresError,
        listened: bool,
    },
}

/// One connection's life: connect, `LISTEN`, emit `Resync`, pass notifications on until the
/// connection fails.
async fn listen_once(
    settings: &PostgresSettings,
    listen: &str,
    sender: &mut Sender,
    health: &Mutex<ListenerHealth>,
) -> Ended {
    let failed = |error| Ended::Failed {
        error,
        listened: false,
    };
    let (client, mut connection) = match settings.connect().await {
        Ok(pair) => pair,
        Err(e) => return failed(e),
    };
    // The connection delivers notifications only while polled; a task drives it and forwards
    // them, ending with the connection's error (or `None` when it closed cleanly).
    let (messages_tx, mut messages) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if messages_tx.send(Ok(n.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let _ = messages_tx.send(Err(PostgresError::with_source(
                        "the listening connection failed",
                        e,
                    )));
                    return;
                }
                None => {
                    let _ = messages_tx.send(Err(PostgresError::new(
                        "the listening connection was closed",
                    )));
                    return;
                }
            }
        }
    });
    let _abort_driver = AbortOnDrop(driver);

    let timeout = settings.statement_timeout_value();
    match tokio::time::timeout(timeout, client.batch_execute(listen)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return failed(PostgresError::with_source("LISTEN failed", e)),
        Err(_) => return failed(PostgresError::new("LISTEN timed out")),
    }
    {
        let mut h = health.lock().unwrap_or_else(PoisonError::into_inner);
        h.connected_since = Some(SystemTime::now());
        h.connections += 1;
    }
    if !sender.send(Invalidation::Resync) {
        return Ended::ListenerGone;
    }
    let failed = |error| Ended::Failed {
        error,
        listened: true,
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.reset();
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Some(Ok(payload)) => {
                    if !sender.send(Invalidation::Notify(payload)) {
                        return Ended::ListenerGone;
                    }
                }
                Some(Err(e)) => return failed(e),
                None => return failed(PostgresError::new("the listening connection ended")),
            },
            _ = ping.tick() => {
                match tokio::time::timeout(timeout, client.simple_query("")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return failed(PostgresError::with_source("ping failed", e)),
                    Err(_) => return failed(PostgresError::new("ping timed out")),
                }
            }
        }
    }
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `backoff` plus up to a quarter more, so replicas that lost the same server do not all
/// reconnect at the same instant.
fn jittered(backoff: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    backoff + backoff / 4 * (nanos % 1000) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PostgresSettings {
        PostgresSettings::from_url("postgres://nobody@127.0.0.1:1/none").unwrap()
    }

    #[tokio::test]
    async fn channel_names_are_plain_identifiers() {
        for bad in ["", "1abc", "a-b", "a\"; DROP TABLE x; --", &"x".repeat(64)] {
            assert!(
                InvalidationListener::start(settings(), bad).is_err(),
                "{bad}"
            );
        }
        for good in ["tollgate_keys", "_x", "K9", &"x".repeat(63)] {
            assert!(
                InvalidationListener::start(settings(), good).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn a_full_queue_turns_into_one_resync() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut sender = Sender::new(tx);
        for i in 0..5 {
            assert!(sender.send(Invalidation::Notify(i.to_string())));
        }
        assert_eq!(rx.try_recv(), Ok(Invalidation::Notify("0".into())));
        assert_eq!(rx.try_recv(), Ok(Invalidation::Notify("1".into())));
        assert!(rx.try_recv().is_err());
        assert!(sender.send(Invalidation::Notify("5".into())));
        assert_eq!(rx.try_recv(), Ok(Invalidation::Resync));
        assert_eq!(rx.try_recv(), Ok(Invalidation::Notify("5".into())));
        drop(rx);
        assert!(!sender.send(Invalidation::Resync));
    }

    #[test]
    fn jitter_adds_at_most_a_quarter() {
        let d = jittered(Duration::from_secs(4));
        assert!(
            d >= Duration::from_secs(4) && d <= Duration::from_secs(5),
            "{d:?}"
        );
    }
}
