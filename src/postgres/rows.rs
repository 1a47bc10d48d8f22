//! Reading tollgate's rows: the columns a key is selected with, turning a row into a
//! [`StoredKey`], and sorting the client's errors into "unavailable" and "failed".

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

use crate::api_key::{KeyId, StoreError, StoredKey};

/// The columns [`stored_key`] reads, in order.
pub(crate) const KEY_COLUMNS: &str =
    "id, digest, owner, scopes, metadata::text, created_at, expires_at, revoked_at";

/// A row selected with [`KEY_COLUMNS`] as a key; a malformed row is `Failed`.
pub(crate) fn stored_key(row: &Row) -> Result<Arc<StoredKey>, StoreError> {
    let bad = |what: &str| StoreError::Failed(format!("malformed API key row: {what}"));
    let id: String = row.try_get(0).map_err(|_| bad("id"))?;
    let id = KeyId::parse(&id).map_err(|_| bad("id"))?;
    let digest: Vec<u8> = row.try_get(1).map_err(|_| bad("digest"))?;
    let digest: [u8; 32] = digest.try_into().map_err(|_| bad("digest"))?;
    let owner: String = row.try_get(2).map_err(|_| bad("owner"))?;
    let scopes: Vec<String> = row.try_get(3).map_err(|_| bad("scopes"))?;
    let metadata: String = row.try_get(4).map_err(|_| bad("metadata"))?;
    let metadata: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&metadata).map_err(|_| bad("metadata"))?;
    let mut key = StoredKey::new(id, digest, owner)
        .map_err(|_| bad("owner"))?
        .scopes(scopes);
    for (name, value) in metadata {
        let value = match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        key = key.metadata(name, value);
    }
    let time = |i: usize, what: &str| -> Result<Option<SystemTime>, StoreError> {
        row.try_get(i).map_err(|_| bad(what))
    };
    if let Some(at) = time(5, "created_at")? {
        key = key.created_at(at);
    }
    if let Some(at) = time(6, "expires_at")? {
        key = key.expires_at(at);
    }
    if let Some(at) = time(7, "revoked_at")? {
        key = key.revoked_at(at);
    }
    Ok(Arc::new(key))
}

/// A query's error as the key store reports it: the server unreachable, overloaded, timing out
/// or missing tollgate's tables is `Unavailable` (503, retry); anything else is `Failed`.
pub(crate) fn store_error(error: &tokio_postgres::Error) -> StoreError {
    let unavailable = match error.code() {
        None => true,
        Some(code) => {
            code == &SqlState::UNDEFINED_TABLE
                || code == &SqlState::QUERY_CANCELED
                || code == &SqlState::ADMIN_SHUTDOWN
                || code == &SqlState::CRASH_SHUTDOWN
                || code == &SqlState::CANNOT_CONNECT_NOW
                || code == &SqlState::TOO_MANY_CONNECTIONS
                || code.code().starts_with("08")
                || code.code().starts_with("53")
        }
    };
    let message = if error.code() == Some(&SqlState::UNDEFINED_TABLE) {
        "tollgate's tables are missing: run the migration (`PostgresAdmin::migrate`)".to_owned()
    } else {
        format!("PostgreSQL: {error}")
    };
    if unavailable {
        StoreError::Unavailable(message)
    } else {
        StoreError::Failed(message)
    }
}
