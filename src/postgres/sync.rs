//! The replica's background task: applies notifications, resyncs after every (re)connect,
//! confirms freshness while the listener stays connected, and writes keys' last use in batches.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_postgres::types::Type;
use tokio_postgres::Client;

use super::rows::{store_error, stored_key, KEY_COLUMNS};
use super::store::Shared;
use super::{Invalidation, InvalidationListener};
use crate::api_key::{KeyId, StoreError};
use crate::revocation::RevocationSet;

const TICK: Duration = Duration::from_millis(250);
/// Ids asked per query when a resync reads the cached keys again.
const RESYNC_CHUNK: usize = 1_000;

pub(crate) async fn run(shared: Arc<Shared>, mut listener: InvalidationListener) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut flush = tokio::time::interval(shared.limits.usage_flush_every);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    flush.reset();
    let mut purge = tokio::time::interval(Duration::from_secs(60));
    // Whether the caches are known to match the database (a resync completed since the last
    // (re)connect, and no notification since failed to apply).
    let mut in_sync = false;
    loop {
        tokio::select! {
            event = listener.recv() => match event {
                None => return,
                Some(Invalidation::Resync) => in_sync = false,
                Some(Invalidation::Notify(payload)) => {
                    if apply(&shared, &payload).await.is_err() {
                        in_sync = false;
                    }
                }
            },
            _ = tick.tick() => {}
            _ = flush.tick() => write_uses(&shared).await,
            _ = purge.tick() => {
                shared
                    .revoked
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .purge_expired(unix_now());
            }
        }
        let connected = listener.health().connected_since.is_some();
        if !connected {
            in_sync = false;
            continue;
        }
        if !in_sync {
            let started = shared.freshness.now_ms();
            match resync(&shared).await {
                Ok(()) => {
                    in_sync = true;
                    shared.freshness.confirm(started);
                    tracing::debug!(target: "tollgate::postgres", "caches resynced");
                }
                Err(error) => {
                    tracing::warn!(target: "tollgate::postgres", %error, "resync failed; retrying");
                }
            }
        } else {
            shared.freshness.confirm(shared.freshness.now_ms());
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn client(shared: &Shared) -> Result<Arc<Client>, StoreError> {
    shared
        .connection
        .client()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Runs `work` within the statement timeout; a timeout drops the connection.
async fn bounded<T>(
    shared: &Shared,
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let limit = shared
        .connection
        .settings()
        .statement_timeout_value()
        .saturating_mul(2);
    if let Ok(result) = tokio::time::timeout(limit, work).await {
        result
    } else {
        shared.connection.reset();
        Err(StoreError::Unavailable(
            "PostgreSQL did not answer in time".into(),
        ))
    }
}

/// Applies one notification: `key:<id>` forgets a cached key; `jti:<jti>` and `sub:<subject>`
/// read that revocation again. Unknown payloads are ignored.
async fn apply(shared: &Shared, payload: &str) -> Result<(), StoreError> {
    let Some((kind, value)) = payload.split_once(':') else {
        return Ok(());
    };
    match kind {
        "key" => {
            if let Ok(id) = KeyId::parse(value) {
                shared.keys.invalidate(&id);
            }
            Ok(())
        }
        "jti" => bounded(shared, reload_token(shared, value)).await,
        "sub" => bounded(shared, reload_subject(shared, value)).await,
        _ => Ok(()),
    }
}

async fn reload_token(shared: &Shared, jti: &str) -> Result<(), StoreError> {
    let client = client(shared).await?;
    let rows = client
        .query_typed(
            "SELECT expires_at FROM tollgate_revoked_tokens WHERE jti = $1 AND expires_at > now()",
            &[(&jti, Type::TEXT)],
        )
        .await
        .map_err(|e| store_error(&e))?;
    let mut set = shared
        .revoked
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    match rows.first() {
        Some(row) => {
            let expires: SystemTime = row.try_get(0).map_err(|e| failed(&e))?;
            set.revoke_token(jti, expires);
        }
        None => set.forget_token(jti),
    }
    Ok(())
}

async fn reload_subject(shared: &Shared, subject: &str) -> Result<(), StoreError> {
    let client = client(shared).await?;
    let rows = client
        .query_typed(
            "SELECT before, expires_at FROM tollgate_revoked_subjects \
             WHERE subject = $1 AND expires_at > now()",
            &[(&subject, Type::TEXT)],
        )
        .await
        .map_err(|e| store_error(&e))?;
    let mut set = shared
        .revoked
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    // Forget first: an update may have moved `before` earlier, which `revoke_subject` alone
    // would not do (it keeps the later one).
    set.forget_subject(subject);
    if let Some(row) = rows.first() {
        let before: SystemTime = row.try_get(0).map_err(|e| failed(&e))?;
        let expires: SystemTime = row.try_get(1).map_err(|e| failed(&e))?;
        set.revoke_subject(subject, before, expires);
    }
    Ok(())
}

fn failed(e: &tokio_postgres::Error) -> StoreError {
    StoreError::Failed(format!("malformed revocation row: {e}"))
}

/// Reloads everything: the whole revocation list, and every key this replica has cached.
async fn resync(shared: &Shared) -> Result<(), StoreError> {
    bounded(shared, async {
        let client = client(shared).await?;
        let mut set = RevocationSet::new();
        let tokens = client
            .query(
                "SELECT jti, expires_at FROM tollgate_revoked_tokens WHERE expires_at > now()",
                &[],
            )
            .await
            .map_err(|e| store_error(&e))?;
        for row in &tokens {
            let jti: String = row.try_get(0).map_err(|e| failed(&e))?;
            let expires: SystemTime = row.try_get(1).map_err(|e| failed(&e))?;
            set.revoke_token(jti, expires);
        }
        let subjects = client
            .query(
                "SELECT subject, before, expires_at FROM tollgate_revoked_subjects \
                 WHERE expires_at > now()",
                &[],
            )
            .await
            .map_err(|e| store_error(&e))?;
        for row in &subjects {
            let subject: String = row.try_get(0).map_err(|e| failed(&e))?;
            let before: SystemTime = row.try_get(1).map_err(|e| failed(&e))?;
            let expires: SystemTime = row.try_get(2).map_err(|e| failed(&e))?;
            set.revoke_subject(subject, before, expires);
        }

        let asked = shared.keys.found_ids();
        let mut fresh = HashMap::with_capacity(asked.len());
        for chunk in asked.chunks(RESYNC_CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(KeyId::as_str).collect();
            let query = format!("SELECT {KEY_COLUMNS} FROM tollgate_api_keys WHERE id = ANY($1)");
            let rows = client
                .query_typed(&query, &[(&ids, Type::TEXT_ARRAY)])
                .await
                .map_err(|e| store_error(&e))?;
            for row in &rows {
                let key = stored_key(row)?;
                fresh.insert(key.id().clone(), key);
            }
        }
        *shared
            .revoked
            .write()
            .unwrap_or_else(PoisonError::into_inner) = set;
        shared
            .keys
            .replace(&asked, fresh, shared.freshness.now_ms());
        Ok(())
    })
    .await
}

/// Writes the keys' last use, one statement for all; on failure they are kept for next time.
async fn write_uses(shared: &Shared) {
    let uses = shared.keys.unwritten_uses();
    if uses.is_empty() {
        return;
    }
    let mut latest: HashMap<&KeyId, u64> = HashMap::with_capacity(uses.len());
    for (id, at) in &uses {
        let slot = latest.entry(id).or_default();
        *slot = (*slot).max(*at);
    }
    let ids: Vec<&str> = latest.keys().map(|id| id.as_str()).collect();
    #[allow(clippy::cast_precision_loss)] // Unix seconds fit a double exactly
    let times: Vec<f64> = latest.values().map(|&at| at as f64).collect();
    let result = bounded(shared, async {
        let client = client(shared).await?;
        client
            .query_typed(
                "UPDATE tollgate_api_keys AS k SET last_used_at = to_timestamp(u.at) \
                 FROM unnest($1::text[], $2::float8[]) AS u(id, at) \
                 WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < to_timestamp(u.at))",
                &[(&ids, Type::TEXT_ARRAY), (&times, Type::FLOAT8_ARRAY)],
            )
            .await
            .map_err(|e| store_error(&e))
    })
    .await;
    match result {
        Ok(_) => shared.keys.mark_written(&uses),
        Err(error) => {
            tracing::warn!(target: "tollgate::postgres", %error, "writing keys' last use failed; will retry");
            shared.keys.restore_uses(uses);
        }
    }
}
