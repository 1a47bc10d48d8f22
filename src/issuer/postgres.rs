//! [`PostgresIssuerStore`]: the issuer's store in PostgreSQL (features `issuer` and
//! `postgres`), for several issuer replicas sharing one database.

use std::fmt;
use std::time::SystemTime;

use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row, Transaction};

use super::records::{
    Failures, RefreshRecord, RefreshUse, SigningAlgorithm, StoredSigningKey, User,
};
use super::store::{IssuerStore, StoreResult};
use super::IssuerError;
use crate::postgres::PostgresSettings;
use crate::provider::BoxFuture;

/// The schema, written to run any number of times, by several replicas at once (an advisory
/// lock serialises them, as in tollgate's other tables). A revoked family is a row of
/// `tollgate_issuer_revoked_families`, so a successor inserted after the revocation is revoked
/// too.
const SCHEMA: &str = r"
SELECT pg_advisory_xact_lock(7451046313652461378);

CREATE TABLE IF NOT EXISTS tollgate_issuer_users (
    id            text PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    scopes        text[] NOT NULL DEFAULT '{}',
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS tollgate_issuer_signing_keys (
    kid                text PRIMARY KEY,
    algorithm          text NOT NULL,
    sealed_private_key bytea NOT NULL,
    public_jwk         jsonb NOT NULL,
    created_at         timestamptz NOT NULL,
    signs_from         timestamptz NOT NULL,
    signs_until        timestamptz,
    published_until    timestamptz
);

CREATE TABLE IF NOT EXISTS tollgate_issuer_refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    family     text NOT NULL,
    user_id    text NOT NULL REFERENCES tollgate_issuer_users (id) ON DELETE CASCADE,
    client_id  text NOT NULL,
    scopes     text[] NOT NULL DEFAULT '{}',
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX IF NOT EXISTS tollgate_issuer_refresh_tokens_family
    ON tollgate_issuer_refresh_tokens (family);
CREATE INDEX IF NOT EXISTS tollgate_issuer_refresh_tokens_user
    ON tollgate_issuer_refresh_tokens (user_id);

CREATE TABLE IF NOT EXISTS tollgate_issuer_revoked_families (
    family     text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES tollgate_issuer_users (id) ON DELETE CASCADE,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tollgate_issuer_revoked_families_user
    ON tollgate_issuer_revoked_families (user_id);

CREATE TABLE IF NOT EXISTS tollgate_issuer_failures (
    username text PRIMARY KEY,
    count    integer NOT NULL,
    last     timestamptz NOT NULL
);
";

const USER_COLUMNS: &str = "id, username, password_hash, scopes, disabled, created_at, updated_at";
const KEY_COLUMNS: &str = "kid, algorithm, sealed_private_key, public_jwk::text, created_at, \
                           signs_from, signs_until, published_until";
const REFRESH_COLUMNS: &str =
    "t.token_hash, t.family, t.user_id, t.client_id, t.scopes, t.issued_at, t.expires_at";

/// The issuer's store in PostgreSQL, in tables prefixed `tollgate_issuer_`.
///
/// [`connect`](Self::connect) creates the tables it lacks. Calls run one at a time on one
/// connection (each is one transaction, and a tokio-postgres transaction holds its
/// connection): the issuer's traffic is sign-ins and refreshes, whose cost is the password
/// hash, not the query. A closed connection is replaced at the next call. Times are kept to
/// the microsecond.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate::issuer::PostgresIssuerStore;
/// use tollgate::postgres::PostgresSettings;
///
/// let settings = PostgresSettings::from_url("postgres://issuer@127.0.0.1/issuer")?;
/// let store = PostgresIssuerStore::connect(&settings).await?;
/// # Ok(()) }
/// ```
pub struct PostgresIssuerStore {
    settings: PostgresSettings,
    slot: Mutex<Slot>,
}

struct Slot {
    client: Client,
    driver: JoinHandle<()>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl fmt::Debug for PostgresIssuerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresIssuerStore")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PostgresIssuerStore {
    /// Connects and creates the issuer's tables it lacks (idempotent; replicas starting
    /// together take turns).
    ///
    /// # Errors
    ///
    /// [`IssuerError::Store`] when PostgreSQL cannot be reached or the migration fails.
    pub async fn connect(settings: &PostgresSettings) -> Result<Self, IssuerError> {
        let mut slot = open(settings).await?;
        let tx = slot.client.transaction().await.map_err(store_error)?;
        tx.batch_execute(SCHEMA).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(Self {
            settings: settings.clone(),
            slot: Mutex::new(slot),
        })
    }

    /// Runs `work` in one transaction, reconnecting first if the connection is closed.
    fn run<'a, T, F>(&'a self, work: F) -> BoxFuture<'a, StoreResult<T>>
    where
        T: Send + 'a,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> BoxFuture<'t, StoreResult<T>> + Send + 'a,
    {
        Box::pin(async move {
            let mut slot = self.slot.lock().await;
            if slot.client.is_closed() {
                *slot = open(&self.settings).await?;
            }
            let tx = slot.client.transaction().await.map_err(store_error)?;
            let value = work(&tx).await?;
            tx.commit().await.map_err(store_error)?;
            Ok(value)
        })
    }
}

async fn open(settings: &PostgresSettings) -> Result<Slot, IssuerError> {
    let (client, connection) = settings
        .connect()
        .await
        .map_err(|e| IssuerError::Store(e.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Slot { client, driver })
}

impl IssuerStore for PostgresIssuerStore {
    fn create_user(&self, user: &User) -> BoxFuture<'_, StoreResult<()>> {
        let user = user.clone();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    &format!(
                        "INSERT INTO tollgate_issuer_users ({USER_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ),
                    &[
                        &user.id,
                        &user.username,
                        &user.password_hash,
                        &user.scopes,
                        &user.disabled,
                        &user.created_at,
                        &user.updated_at,
                    ],
                )
                .await
                .map_err(|e| conflict_or(&e, &user))?;
                Ok(())
            })
        })
    }

    fn user_by_name(&self, username: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        let username = username.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                tx.query_opt(
                    &format!(
                        "SELECT {USER_COLUMNS} FROM tollgate_issuer_users WHERE username = $1"
                    ),
                    &[&username],
                )
                .await
                .map_err(store_error)?
                .map(|row| user_row(&row))
                .transpose()
            })
        })
    }

    fn user(&self, id: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        let id = id.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                tx.query_opt(
                    &format!("SELECT {USER_COLUMNS} FROM tollgate_issuer_users WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(store_error)?
                .map(|row| user_row(&row))
                .transpose()
            })
        })
    }

    fn update_user(&self, user: &User) -> BoxFuture<'_, StoreResult<bool>> {
        let user = user.clone();
        self.run(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        "UPDATE tollgate_issuer_users SET username = $2, password_hash = $3, \
                         scopes = $4, disabled = $5, created_at = $6, updated_at = $7 \
                         WHERE id = $1",
                        &[
                            &user.id,
                            &user.username,
                            &user.password_hash,
                            &user.scopes,
                            &user.disabled,
                            &user.created_at,
                            &user.updated_at,
                        ],
                    )
                    .await
                    .map_err(|e| conflict_or(&e, &user))?;
                Ok(changed == 1)
            })
        })
    }

    fn delete_user(&self, id: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let id = id.to_owned();
        // The user's refresh tokens and revoked families go with them (ON DELETE CASCADE).
        self.run(move |tx| {
            Box::pin(async move {
                let deleted = tx
                    .execute("DELETE FROM tollgate_issuer_users WHERE id = $1", &[&id])
                    .await
                    .map_err(store_error)?;
                Ok(deleted == 1)
            })
        })
    }

    fn list_users(&self) -> BoxFuture<'_, StoreResult<Vec<User>>> {
        self.run(move |tx| {
            Box::pin(async move {
                tx.query(
                    &format!("SELECT {USER_COLUMNS} FROM tollgate_issuer_users ORDER BY username"),
                    &[],
                )
                .await
                .map_err(store_error)?
                .iter()
                .map(user_row)
                .collect()
            })
        })
    }

    fn count_users(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(move |tx| {
            Box::pin(async move {
                let row = tx
                    .query_one("SELECT count(*) FROM tollgate_issuer_users", &[])
                    .await
                    .map_err(store_error)?;
                let count: i64 = row.try_get(0).map_err(|_| malformed("the user count"))?;
                u64::try_from(count).map_err(|_| malformed("the user count"))
            })
        })
    }

    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        self.run(move |tx| {
            Box::pin(async move {
                tx.query(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM tollgate_issuer_signing_keys \
                         ORDER BY created_at, kid"
                    ),
                    &[],
                )
                .await
                .map_err(store_error)?
                .iter()
                .map(key_row)
                .collect()
            })
        })
    }

    fn insert_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<bool>> {
        let key = key.clone();
        self.run(move |tx| {
            Box::pin(async move {
                let inserted = tx
                    .execute(
                        "INSERT INTO tollgate_issuer_signing_keys (kid, algorithm, \
                         sealed_private_key, public_jwk, created_at, signs_from, signs_until, \
                         published_until) VALUES ($1, $2, $3, ($4::text)::jsonb, $5, $6, $7, $8) \
                         ON CONFLICT (kid) DO NOTHING",
                        &[
                            &key.kid,
                            &key.algorithm.as_str(),
                            &key.sealed_private_key,
                            &key.public_jwk.to_string(),
                            &key.created_at,
                            &key.signs_from,
                            &key.signs_until,
                            &key.published_until,
                        ],
                    )
                    .await
                    .map_err(store_error)?;
                Ok(inserted == 1)
            })
        })
    }

    fn update_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        let key = key.clone();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE tollgate_issuer_signing_keys SET signs_until = $2, \
                     published_until = $3 WHERE kid = $1",
                    &[&key.kid, &key.signs_until, &key.published_until],
                )
                .await
                .map_err(store_error)?;
                Ok(())
            })
        })
    }

    fn delete_signing_key(&self, kid: &str) -> BoxFuture<'_, StoreResult<()>> {
        let kid = kid.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM tollgate_issuer_signing_keys WHERE kid = $1",
                    &[&kid],
                )
                .await
                .map_err(store_error)?;
                Ok(())
            })
        })
    }

    fn insert_refresh(&self, record: &RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        let record = record.clone();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO tollgate_issuer_refresh_tokens (token_hash, family, user_id, \
                     client_id, scopes, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &record.token_hash.as_slice(),
                        &record.family,
                        &record.user_id,
                        &record.client_id,
                        &record.scopes,
                        &record.issued_at,
                        &record.expires_at,
                    ],
                )
                .await
                .map_err(|e| match e.code() {
                    Some(code) if code == &SqlState::FOREIGN_KEY_VIOLATION => {
                        IssuerError::Invalid(format!("no user {:?}", record.user_id))
                    }
                    Some(code) if code == &SqlState::UNIQUE_VIOLATION => {
                        IssuerError::Conflict("the refresh token".into())
                    }
                    _ => store_error(e),
                })?;
                Ok(())
            })
        })
    }

    fn use_refresh(
        &self,
        token_hash: &[u8; 32],
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<RefreshUse>> {
        let token_hash = *token_hash;
        self.run(move |tx| {
            Box::pin(async move {
                // FOR UPDATE: a concurrent use of the same token waits here, then sees it used.
                let row = tx
                    .query_opt(
                        &format!(
                            "SELECT {REFRESH_COLUMNS}, t.used_at IS NOT NULL, EXISTS (SELECT 1 \
                             FROM tollgate_issuer_revoked_families r WHERE r.family = t.family) \
                             FROM tollgate_issuer_refresh_tokens t WHERE t.token_hash = $1 \
                             FOR UPDATE OF t"
                        ),
                        &[&token_hash.as_slice()],
                    )
                    .await
                    .map_err(store_error)?;
                let Some(row) = row else {
                    return Ok(RefreshUse::Unknown);
                };
                let record = refresh_row(&row)?;
                let used: bool = row.try_get(7).map_err(|_| malformed("used_at"))?;
                let revoked: bool = row.try_get(8).map_err(|_| malformed("revoked"))?;
                if used || revoked {
                    revoke(tx, &record.family, &record.user_id).await?;
                    return Ok(RefreshUse::Reused(record));
                }
                if record.expires_at <= now {
                    return Ok(RefreshUse::Unknown);
                }
                tx.execute(
                    "UPDATE tollgate_issuer_refresh_tokens SET used_at = $2 \
                     WHERE token_hash = $1",
                    &[&token_hash.as_slice(), &now],
                )
                .await
                .map_err(store_error)?;
                Ok(RefreshUse::Fresh(record))
            })
        })
    }

    fn revoke_family(&self, family: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let family = family.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                let row = tx
                    .query_opt(
                        "SELECT user_id FROM tollgate_issuer_refresh_tokens WHERE family = $1 \
                         LIMIT 1",
                        &[&family],
                    )
                    .await
                    .map_err(store_error)?;
                let Some(row) = row else {
                    return Ok(false);
                };
                let user: String = row.try_get(0).map_err(|_| malformed("user_id"))?;
                revoke(tx, &family, &user).await?;
                Ok(true)
            })
        })
    }

    fn refresh_family(&self, token_hash: &[u8; 32]) -> BoxFuture<'_, StoreResult<Option<String>>> {
        let token_hash = *token_hash;
        self.run(move |tx| {
            Box::pin(async move {
                tx.query_opt(
                    "SELECT family FROM tollgate_issuer_refresh_tokens WHERE token_hash = $1",
                    &[&token_hash.as_slice()],
                )
                .await
                .map_err(store_error)?
                .map(|row| row.try_get(0).map_err(|_| malformed("family")))
                .transpose()
            })
        })
    }

    fn revoke_user_refresh(&self, user_id: &str) -> BoxFuture<'_, StoreResult<()>> {
        let user_id = user_id.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO tollgate_issuer_revoked_families (family, user_id) \
                     SELECT DISTINCT family, user_id FROM tollgate_issuer_refresh_tokens \
                     WHERE user_id = $1 ON CONFLICT (family) DO NOTHING",
                    &[&user_id],
                )
                .await
                .map_err(store_error)?;
                Ok(())
            })
        })
    }

    fn record_failure(
        &self,
        username: &str,
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<Failures>> {
        let username = username.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                let row = tx
                    .query_one(
                        "INSERT INTO tollgate_issuer_failures (username, count, last) \
                         VALUES ($1, 1, $2) ON CONFLICT (username) DO UPDATE \
                         SET count = least(tollgate_issuer_failures.count, 2147483646) + 1, \
                         last = excluded.last RETURNING count, last",
                        &[&username, &now],
                    )
                    .await
                    .map_err(store_error)?;
                failures(&row)
            })
        })
    }

    fn failures(&self, username: &str) -> BoxFuture<'_, StoreResult<Failures>> {
        let username = username.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                match tx
                    .query_opt(
                        "SELECT count, last FROM tollgate_issuer_failures WHERE username = $1",
                        &[&username],
                    )
                    .await
                    .map_err(store_error)?
                {
                    Some(row) => failures(&row),
                    None => Ok(Failures::default()),
                }
            })
        })
    }

    fn clear_failures(&self, username: &str) -> BoxFuture<'_, StoreResult<()>> {
        let username = username.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "DELETE FROM tollgate_issuer_failures WHERE username = $1",
                    &[&username],
                )
                .await
                .map_err(store_error)?;
                Ok(())
            })
        })
    }
}

/// Marks `family` revoked (idempotent).
async fn revoke(tx: &Transaction<'_>, family: &str, user: &str) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO tollgate_issuer_revoked_families (family, user_id) VALUES ($1, $2) \
         ON CONFLICT (family) DO NOTHING",
        &[&family, &user],
    )
    .await
    .map_err(store_error)?;
    Ok(())
}

fn user_row(row: &Row) -> StoreResult<User> {
    let bad = |what: &str| malformed(&format!("a user's {what}"));
    let created_at: SystemTime = row.try_get(5).map_err(|_| bad("created_at"))?;
    let mut user = User::new(
        row.try_get::<_, String>(0).map_err(|_| bad("id"))?,
        row.try_get::<_, String>(1).map_err(|_| bad("username"))?,
        row.try_get::<_, String>(2)
            .map_err(|_| bad("password_hash"))?,
        row.try_get(3).map_err(|_| bad("scopes"))?,
        created_at,
    );
    user.disabled = row.try_get(4).map_err(|_| bad("disabled"))?;
    user.updated_at = row.try_get(6).map_err(|_| bad("updated_at"))?;
    Ok(user)
}

fn key_row(row: &Row) -> StoreResult<StoredSigningKey> {
    let bad = |what: &str| malformed(&format!("a signing key's {what}"));
    let algorithm: String = row.try_get(1).map_err(|_| bad("algorithm"))?;
    let jwk: String = row.try_get(3).map_err(|_| bad("public_jwk"))?;
    let mut key = StoredSigningKey::new(
        row.try_get::<_, String>(0).map_err(|_| bad("kid"))?,
        SigningAlgorithm::from_name(&algorithm).ok_or_else(|| bad("algorithm"))?,
        row.try_get(2).map_err(|_| bad("sealed_private_key"))?,
        serde_json::from_str(&jwk).map_err(|_| bad("public_jwk"))?,
        row.try_get(4).map_err(|_| bad("created_at"))?,
        row.try_get(5).map_err(|_| bad("signs_from"))?,
    );
    key.signs_until = row.try_get(6).map_err(|_| bad("signs_until"))?;
    key.published_until = row.try_get(7).map_err(|_| bad("published_until"))?;
    Ok(key)
}

/// A row selected with [`REFRESH_COLUMNS`] as a record.
fn refresh_row(row: &Row) -> StoreResult<RefreshRecord> {
    let bad = |what: &str| malformed(&format!("a refresh token's {what}"));
    let hash: Vec<u8> = row.try_get(0).map_err(|_| bad("token_hash"))?;
    Ok(RefreshRecord::new(
        hash.try_into().map_err(|_| bad("token_hash"))?,
        row.try_get::<_, String>(1).map_err(|_| bad("family"))?,
        row.try_get::<_, String>(2).map_err(|_| bad("user_id"))?,
        row.try_get::<_, String>(3).map_err(|_| bad("client_id"))?,
        row.try_get(4).map_err(|_| bad("scopes"))?,
        row.try_get(5).map_err(|_| bad("issued_at"))?,
        row.try_get(6).map_err(|_| bad("expires_at"))?,
    ))
}

fn failures(row: &Row) -> StoreResult<Failures> {
    let count: i32 = row.try_get(0).map_err(|_| malformed("a failure count"))?;
    Ok(Failures {
        count: u32::try_from(count).map_err(|_| malformed("a failure count"))?,
        last: Some(row.try_get(1).map_err(|_| malformed("a failure time"))?),
    })
}

fn malformed(what: &str) -> IssuerError {
    IssuerError::Store(format!("malformed row in PostgreSQL: {what}"))
}

fn store_error(error: tokio_postgres::Error) -> IssuerError {
    if error.code() == Some(&SqlState::UNDEFINED_TABLE) {
        return IssuerError::Store(
            "the issuer's tables are missing (PostgresIssuerStore::connect creates them)".into(),
        );
    }
    match error.as_db_error() {
        Some(db) => IssuerError::Store(format!("PostgreSQL: {}", db.message())),
        None => IssuerError::Store(format!("PostgreSQL: {error}")),
    }
}

/// A user write's error: a taken username (or id) is a conflict.
fn conflict_or(error: &tokio_postgres::Error, user: &User) -> IssuerError {
    let Some(db) = error.as_db_error() else {
        return IssuerError::Store(format!("PostgreSQL: {error}"));
    };
    if db.code() != &SqlState::UNIQUE_VIOLATION {
        return IssuerError::Store(format!("PostgreSQL: {}", db.message()));
    }
    if db.constraint() == Some("tollgate_issuer_users_pkey") {
        IssuerError::Conflict(format!("the user id {:?}", user.id))
    } else {
        IssuerError::Conflict(format!("the username {:?}", user.username))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_prefixed_and_created_idempotently() {
        for line in SCHEMA.lines().filter(|l| l.starts_with("CREATE")) {
            assert!(line.contains("IF NOT EXISTS tollgate_issuer_"), "{line}");
        }
        assert!(SCHEMA
            .trim_start()
            .starts_with("SELECT pg_advisory_xact_lock("));
    }
}
