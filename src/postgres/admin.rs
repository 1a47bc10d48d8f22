//! [`PostgresAdmin`]: the writes (migration, key lifecycle, JWT revocations) and the listing,
//! each one statement or one transaction; the trigger announces every change to the replicas.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::rows::{stored_key, KEY_COLUMNS};
use super::{schema, PostgresError, PostgresSettings};
use crate::api_key::{ApiKeys, GeneratedKey, KeyId, KeyState, StoreError, StoredKey};

/// Administers tollgate's tables over one connection: used by an admin tool or endpoint, not
/// by the replicas' request path.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tollgate::postgres::{NewKey, PostgresAdmin, PostgresSettings};
///
/// let settings = PostgresSettings::from_url("postgres://admin@127.0.0.1/keys")?;
/// let mut admin = PostgresAdmin::connect(&settings).await?;
/// admin.migrate().await?;
/// let key = admin.create(NewKey::new("ci-deploy").scopes(["deploy"])).await?;
/// println!("id={} key={}", key.key_id(), key.secret()); // the only time the key is shown
/// let rolled = admin.roll(key.key_id(), Duration::from_secs(3600)).await?;
/// admin.revoke(rolled.key_id()).await?;
/// # Ok(()) }
/// ```
pub struct PostgresAdmin {
    client: Client,
    driver: JoinHandle<()>,
}

impl fmt::Debug for PostgresAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresAdmin").finish_non_exhaustive()
    }
}

impl Drop for PostgresAdmin {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Why an administrative operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// No key has this id.
    #[error("no API key has the id {0}")]
    NotFound(String),
    /// The key is revoked or expired, so it cannot be rolled.
    #[error("API key {0} is revoked or expired")]
    NotActive(String),
    /// An argument is invalid (the message says which).
    #[error("{0}")]
    Invalid(String),
    /// The database failed or could not be reached.
    #[error(transparent)]
    Database(#[from] PostgresError),
}

/// A key to create: its owner (the principal's subject), scopes, expiry and metadata.
#[derive(Debug, Clone)]
#[must_use]
pub struct NewKey {
    owner: String,
    scopes: Vec<String>,
    expires_at: Option<SystemTime>,
    metadata: BTreeMap<String, String>,
}

impl NewKey {
    /// A key for `owner` (letters, digits and `.`, `_`, `-`, `:`), with no scope and no expiry.
    pub fn new(owner: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            scopes: Vec::new(),
            expires_at: None,
            metadata: BTreeMap::new(),
        }
    }

    /// The scopes the key grants.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// When the key stops working.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// A metadata entry, copied into the principal's `metadata` claim (no secrets).
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(name.into(), value.into());
        self
    }
}

/// A key as [`PostgresAdmin::list`] shows it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeyRecord {
    /// The key's record (id, owner, scopes, metadata, times; never the key).
    pub key: Arc<StoredKey>,
    /// The last use written by a replica (in batches, so up to a flush interval late).
    pub last_used_at: Option<SystemTime>,
    /// The key that replaced it, when it was rolled.
    pub replaced_by: Option<String>,
}

impl KeyRecord {
    /// The key's state at `now`.
    pub fn state_at(&self, now: SystemTime) -> KeyState {
        let secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.key.state_at(secs)
    }
}

fn db(what: &'static str) -> impl Fn(tokio_postgres::Error) -> AdminError {
    move |e| AdminError::Database(PostgresError::with_source(what, e))
}

fn row_error(e: StoreError) -> AdminError {
    AdminError::Database(PostgresError::with_source("malformed row", e))
}

impl PostgresAdmin {
    /// Connects (within the settings' connect timeout).
    ///
    /// # Errors
    /// When the server cannot be reached or refuses the login.
    pub async fn connect(settings: &PostgresSettings) -> Result<Self, PostgresError> {
        let (client, connection) = settings.connect().await?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { client, driver })
    }

    /// Creates tollgate's tables, indexes and notification triggers, or completes them; safe
    /// to run any number of times, from several processes at once.
    ///
    /// # Errors
    /// When the database fails (e.g. the role may not create tables).
    pub async fn migrate(&mut self) -> Result<(), PostgresError> {
        schema::migrate(&mut self.client).await
    }

    /// Creates a key and returns it: [`GeneratedKey::secret`] is the only copy of the key
    /// (only its digest is stored).
    ///
    /// # Errors
    /// When the owner is malformed or the database fails.
    pub async fn create(&self, key: NewKey) -> Result<GeneratedKey, AdminError> {
        insert(&self.client, &key).await
    }

    /// Every key, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list(&self) -> Result<Vec<KeyRecord>, AdminError> {
        let query = format!(
            "SELECT {KEY_COLUMNS}, last_used_at, replaced_by FROM tollgate_api_keys \
             ORDER BY created_at, id"
        );
        let rows = self
            .client
            .query(&query, &[])
            .await
            .map_err(db("listing the keys failed"))?;
        rows.iter()
            .map(|row| {
                Ok(KeyRecord {
                    key: stored_key(row).map_err(row_error)?,
                    last_used_at: row.try_get(8).map_err(db("malformed last_used_at"))?,
                    replaced_by: row.try_get(9).map_err(db("malformed replaced_by"))?,
                })
            })
            .collect()
    }

    /// Revokes a key now: every replica refuses it once the change reaches it (see the
    /// [module docs](super)). Revoking a revoked key again changes nothing.
    ///
    /// # Errors
    /// [`AdminError::NotFound`] for an unknown id, or when the database fails.
    pub async fn revoke(&self, id: &KeyId) -> Result<(), AdminError> {
        let rows = self
            .client
            .query(
                "UPDATE tollgate_api_keys SET revoked_at = COALESCE(revoked_at, now()) \
                 WHERE id = $1 RETURNING id",
                &[&id.as_str()],
            )
            .await
            .map_err(db("revoking the key failed"))?;
        if rows.is_empty() {
            return Err(AdminError::NotFound(id.to_string()));
        }
        Ok(())
    }

    /// Rolls a key with overlap: creates a new key with the same owner, scopes, metadata and
    /// expiry, and gives the old one an expiry `grace` from now (or keeps its own, if sooner),
    /// in one transaction. Clients move to the new key during the grace period.
    ///
    /// # Errors
    /// [`AdminError::NotFound`], [`AdminError::NotActive`] for a revoked or expired key, or
    /// when the database fails.
    pub async fn roll(&mut self, id: &KeyId, grace: Duration) -> Result<GeneratedKey, AdminError> {
        let tx = self
            .client
            .transaction()
            .await
            .map_err(db("cannot start the roll"))?;
        let row = tx
            .query_opt(
                "SELECT owner, scopes, metadata::text, expires_at, \
                        (revoked_at IS NOT NULL AND revoked_at <= now()) \
                        OR (expires_at IS NOT NULL AND expires_at <= now()) \
                 FROM tollgate_api_keys WHERE id = $1 FOR UPDATE",
                &[&id.as_str()],
            )
            .await
            .map_err(db("reading the key failed"))?
            .ok_or_else(|| AdminError::NotFound(id.to_string()))?;
        let inactive: bool = row.try_get(4).map_err(db("malformed row"))?;
        if inactive {
            return Err(AdminError::NotActive(id.to_string()));
        }
        let metadata: String = row.try_get(2).map_err(db("malformed metadata"))?;
        let metadata: BTreeMap<String, serde_json::Value> = serde_json::from_str(&metadata)
            .map_err(|e| AdminError::Invalid(format!("malformed metadata: {e}")))?;
        let mut new = NewKey::new(row.try_get::<_, String>(0).map_err(db("malformed owner"))?)
            .scopes(
                row.try_get::<_, Vec<String>>(1)
                    .map_err(db("malformed scopes"))?,
            );
        new.expires_at = row.try_get(3).map_err(db("malformed expiry"))?;
        for (name, value) in metadata {
            let value = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            new.metadata.insert(name, value);
        }
        let generated = insert(&tx, &new).await?;
        let grace_secs = grace.as_secs_f64();
        tx.execute(
            "UPDATE tollgate_api_keys SET replaced_by = $2, \
             expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + make_interval(secs => $3)) \
             WHERE id = $1",
            &[&id.as_str(), &generated.key_id().as_str(), &grace_secs],
        )
        .await
        .map_err(db("expiring the old key failed"))?;
        tx.commit().await.map_err(db("the roll failed to commit"))?;
        Ok(generated)
    }

    /// Revokes one JWT by its `jti` until `expires_at`, when every token with that `jti` has
    /// expired (give at least the longest token lifetime). A later expiry wins over an
    /// earlier one.
    ///
    /// # Errors
    /// When the `jti` is empty or over 1024 bytes, or the database fails.
    pub async fn revoke_token(&self, jti: &str, expires_at: SystemTime) -> Result<(), AdminError> {
        check_len("jti", jti)?;
        self.client
            .execute(
                "INSERT INTO tollgate_revoked_tokens (jti, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (jti) DO UPDATE SET \
                 expires_at = GREATEST(tollgate_revoked_tokens.expires_at, EXCLUDED.expires_at)",
                &[&jti, &expires_at],
            )
            .await
            .map_err(db("revoking the token failed"))?;
        self.purge_expired().await?;
        Ok(())
    }

    /// Revokes every JWT of `subject` issued before `before` ("log out everywhere"), until
    /// `expires_at` (when every such token has expired). A later `before` wins.
    ///
    /// # Errors
    /// When the subject is empty or over 1024 bytes, or the database fails.
    pub async fn revoke_subject(
        &self,
        subject: &str,
        before: SystemTime,
        expires_at: SystemTime,
    ) -> Result<(), AdminError> {
        check_len("subject", subject)?;
        self.client
            .execute(
                "INSERT INTO tollgate_revoked_subjects (subject, before, expires_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (subject) DO UPDATE SET \
                 before = GREATEST(tollgate_revoked_subjects.before, EXCLUDED.before), \
                 expires_at = GREATEST(tollgate_revoked_subjects.expires_at, EXCLUDED.expires_at), \
                 revoked_at = now()",
                &[&subject, &before, &expires_at],
            )
            .await
            .map_err(db("revoking the subject failed"))?;
        self.purge_expired().await?;
        Ok(())
    }

    /// Deletes revocations whose tokens have all expired; returns how many.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn purge_expired(&self) -> Result<u64, AdminError> {
        let tokens = self
            .client
            .execute(
                "DELETE FROM tollgate_revoked_tokens WHERE expires_at <= now()",
                &[],
            )
            .await
            .map_err(db("purging revocations failed"))?;
        let subjects = self
            .client
            .execute(
                "DELETE FROM tollgate_revoked_subjects WHERE expires_at <= now()",
                &[],
            )
            .await
            .map_err(db("purging revocations failed"))?;
        Ok(tokens + subjects)
    }
}

/// Inserts a new key for `key`'s owner, scopes, expiry and metadata.
async fn insert(
    client: &impl tokio_postgres::GenericClient,
    key: &NewKey,
) -> Result<GeneratedKey, AdminError> {
    let generated =
        ApiKeys::generate().map_err(|e| AdminError::Invalid(format!("no randomness: {e}")))?;
    let stored = generated
        .stored_key(key.owner.clone())
        .map_err(|e| AdminError::Invalid(e.to_string()))?;
    for scope in &key.scopes {
        if scope.is_empty() || scope.contains(|c: char| c.is_whitespace() || c == ',') {
            return Err(AdminError::Invalid(format!(
                "scope {scope:?} is malformed: no spaces or commas"
            )));
        }
    }
    let metadata =
        serde_json::to_string(&key.metadata).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let digest: &[u8] = stored.digest();
    client
        .execute(
            "INSERT INTO tollgate_api_keys (id, digest, owner, scopes, metadata, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, now())",
            &[
                &generated.key_id().as_str(),
                &digest,
                &key.owner,
                &key.scopes,
                &metadata,
                &key.expires_at,
            ],
        )
        .await
        .map_err(db("creating the key failed"))?;
    Ok(generated)
}

fn check_len(what: &str, value: &str) -> Result<(), AdminError> {
    if value.is_empty() || value.len() > 1024 {
        return Err(AdminError::Invalid(format!(
            "the {what} must be 1 to 1024 bytes"
        )));
    }
    Ok(())
}
