//! One shared query connection for a replica's lookups, (re)connected on demand: while the
//! server is unreachable, callers fail at once instead of each waiting for its own connect.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::{PostgresError, PostgresSettings};

/// After a failed connect, how long callers are answered "unavailable" without another try.
const RETRY_CONNECT_AFTER: Duration = Duration::from_millis(500);

/// A lazily opened connection. tokio-postgres pipelines concurrent queries on one connection,
/// which is plenty for the cache misses of one replica.
pub(crate) struct SharedConnection {
    settings: PostgresSettings,
    /// The most one connect may take: below the lookup deadline, so a connect that hangs is
    /// recorded as failed (and later callers fail at once) before the caller gives up.
    connect_budget: Duration,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    client: Option<Arc<Client>>,
    driver: Option<JoinHandle<()>>,
    failed_at: Option<Instant>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.take() {
            driver.abort();
        }
    }
}

impl SharedConnection {
    pub(crate) fn new(settings: PostgresSettings, lookup_deadline: Duration) -> Self {
        Self {
            settings,
            connect_budget: lookup_deadline / 4 * 3,
            slot: Mutex::new(Slot::default()),
        }
    }

    pub(crate) fn settings(&self) -> &PostgresSettings {
        &self.settings
    }

    /// The open connection, or a new one. Callers queue behind one connect attempt, which the
    /// settings' connect timeout bounds; after it failed, they are refused for a moment.
    pub(crate) async fn client(&self) -> Result<Arc<Client>, PostgresError> {
        let mut slot = self.slot.lock().await;
        if let Some(client) = &slot.client {
            if !client.is_closed() {
                return Ok(Arc::clone(client));
            }
        }
        if slot
            .failed_at
            .is_some_and(|at| at.elapsed() < RETRY_CONNECT_AFTER)
        {
            return Err(PostgresError::new(
                "PostgreSQL was unreachable a moment ago",
            ));
        }
        if let Some(driver) = slot.driver.take() {
            driver.abort();
        }
        slot.client = None;
        let connected = tokio::time::timeout(self.connect_budget, self.settings.connect())
            .await
            .unwrap_or_else(|_| Err(PostgresError::new("connecting to PostgreSQL timed out")));
        match connected {
            Ok((client, connection)) => {
                let client = Arc::new(client);
                slot.driver = Some(tokio::spawn(async move {
                    let _ = connection.await;
                }));
                slot.client = Some(Arc::clone(&client));
                slot.failed_at = None;
                Ok(client)
            }
            Err(e) => {
                slot.failed_at = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// Drops the connection (after a query timed out on it: it may be dead without knowing).
    /// Never waits: while another caller is connecting, there is nothing to drop.
    pub(crate) fn reset(&self) {
        if let Ok(mut slot) = self.slot.try_lock() {
            slot.client = None;
            if let Some(driver) = slot.driver.take() {
                driver.abort();
            }
        }
    }
}
