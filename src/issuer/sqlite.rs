//! [`SqliteStore`]: the issuer's store in one SQLite file, the embedded default.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension as _, Row, TransactionBehavior};

use super::records::{
    Failures, RefreshRecord, RefreshUse, SigningAlgorithm, StoredSigningKey, User,
};
use super::store::{IssuerStore, StoreResult};
use super::IssuerError;
use crate::provider::BoxFuture;

/// The schema, idempotent. Times are Unix milliseconds, scopes and JWKs JSON text, digests
/// BLOBs. A revoked family is a row of `revoked_families`, so a successor inserted after the
/// revocation is revoked too.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid                TEXT PRIMARY KEY,
    algorithm          TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    public_jwk         TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    signs_from         INTEGER NOT NULL,
    signs_until        INTEGER,
    published_until    INTEGER
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
    family     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id);
CREATE TABLE IF NOT EXISTS revoked_families (
    family     TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_families_user ON revoked_families (user_id);
CREATE TABLE IF NOT EXISTS failures (
    username TEXT PRIMARY KEY,
    count    INTEGER NOT NULL,
    last     INTEGER NOT NULL
);
";

const USER_COLUMNS: &str = "id, username, password_hash, scopes, disabled, created_at, updated_at";
const KEY_COLUMNS: &str = "kid, algorithm, sealed_private_key, public_jwk, created_at, \
                           signs_from, signs_until, published_until";

/// The issuer's store in a SQLite file: users, signing keys, refresh tokens and failed
/// sign-ins.
///
/// The file is opened in WAL mode with foreign keys on and a 5 s busy timeout, so several
/// processes may share it; every [`IssuerStore`] call is one transaction (the writing ones
/// `BEGIN IMMEDIATE`), run on tokio's blocking pool. Times are kept to the millisecond.
/// Clones share one connection.
///
/// ```no_run
/// use tollgate::issuer::SqliteStore;
///
/// let store = SqliteStore::open("/var/lib/myapp/issuer.sqlite3")?;
/// # Ok::<(), tollgate::issuer::IssuerError>(())
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path` and creates the tables it lacks.
    ///
    /// # Errors
    ///
    /// [`IssuerError::Invalid`] when the folder that should hold the file does not exist (it
    /// is not created: a typo in the path should not go unnoticed); [`IssuerError::Store`]
    /// when SQLite cannot open the file or create the tables.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, IssuerError> {
        let path = path.as_ref();
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() && !parent.is_dir() {
                return Err(IssuerError::Invalid(format!(
                    "the folder {} for the issuer's SQLite database does not exist",
                    parent.display()
                )));
            }
        }
        let connection = Connection::open(path).map_err(|e| {
            IssuerError::Store(format!(
                "cannot open the SQLite database {}: {e}",
                path.display()
            ))
        })?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(store_error)?;
        Self::prepare(connection, Some(path.to_path_buf()))
    }

    /// A private database in memory, gone when the store is dropped: for tests.
    ///
    /// # Errors
    ///
    /// [`IssuerError::Store`] when SQLite fails.
    pub fn open_in_memory() -> Result<Self, IssuerError> {
        let connection = Connection::open_in_memory().map_err(store_error)?;
        Self::prepare(connection, None)
    }

    fn prepare(mut connection: Connection, path: Option<PathBuf>) -> Result<Self, IssuerError> {
        connection
            .busy_timeout(Duration::from_secs(5))
            .map_err(store_error)?;
        connection
            .pragma_update(None, "foreign_keys", true)
            .map_err(store_error)?;
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(store_error)?;
        tx.execute_batch(SCHEMA).map_err(store_error)?;
        tx.commit().map_err(store_error)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    /// Runs `work` in one transaction on the blocking pool. `write` begins it `IMMEDIATE`,
    /// taking the write lock first, so a read-then-write never fails halfway on a busy file.
    fn run<T, F>(&self, write: bool, work: F) -> BoxFuture<'_, StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                // A panic inside a transaction rolled it back (the transaction's drop): the
                // connection is still sound.
                let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
                let behavior = if write {
                    TransactionBehavior::Immediate
                } else {
                    TransactionBehavior::Deferred
                };
                let tx = connection
                    .transaction_with_behavior(behavior)
                    .map_err(store_error)?;
                let value = work(&tx)?;
                tx.commit().map_err(store_error)?;
                Ok(value)
            })
            .await
            .map_err(|e| IssuerError::Store(format!("the SQLite task failed: {e}")))?
        })
    }
}

impl IssuerStore for SqliteStore {
    fn create_user(&self, user: &User) -> BoxFuture<'_, StoreResult<()>> {
        let user = user.clone();
        self.run(true, move |tx| {
            tx.execute(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    user.id,
                    user.username,
                    user.password_hash,
                    to_json(&user.scopes)?,
                    user.disabled,
                    millis(user.created_at)?,
                    millis(user.updated_at)?,
                ],
            )
            .map_err(|e| conflict_or(e, &user))?;
            Ok(())
        })
    }

    fn user_by_name(&self, username: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        let username = username.to_owned();
        self.run(false, move |tx| {
            tx.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
                [username],
                user_row,
            )
            .optional()
            .map_err(store_error)?
            .transpose()
        })
    }

    fn user(&self, id: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        let id = id.to_owned();
        self.run(false, move |tx| {
            tx.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id],
                user_row,
            )
            .optional()
            .map_err(store_error)?
            .transpose()
        })
    }

    fn update_user(&self, user: &User) -> BoxFuture<'_, StoreResult<bool>> {
        let user = user.clone();
        self.run(true, move |tx| {
            let changed = tx
                .execute(
                    "UPDATE users SET username = ?2, password_hash = ?3, scopes = ?4, \
                     disabled = ?5, created_at = ?6, updated_at = ?7 WHERE id = ?1",
                    params![
                        user.id,
                        user.username,
                        user.password_hash,
                        to_json(&user.scopes)?,
                        user.disabled,
                        millis(user.created_at)?,
                        millis(user.updated_at)?,
                    ],
                )
                .map_err(|e| conflict_or(e, &user))?;
            Ok(changed == 1)
        })
    }

    fn delete_user(&self, id: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let id = id.to_owned();
        // The user's refresh tokens and revoked families go with them (ON DELETE CASCADE).
        self.run(true, move |tx| {
            let deleted = tx
                .execute("DELETE FROM users WHERE id = ?1", [id])
                .map_err(store_error)?;
            Ok(deleted == 1)
        })
    }

    fn list_users(&self) -> BoxFuture<'_, StoreResult<Vec<User>>> {
        self.run(false, move |tx| {
            let mut statement = tx
                .prepare(&format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY username"
                ))
                .map_err(store_error)?;
            let rows = statement.query_map([], user_row).map_err(store_error)?;
            rows.map(|row| row.map_err(store_error)?).collect()
        })
    }

    fn count_users(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.run(false, move |tx| {
            let count: i64 = tx
                .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
                .map_err(store_error)?;
            u64::try_from(count).map_err(|_| malformed("the user count"))
        })
    }

    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        self.run(false, move |tx| {
            let mut statement = tx
                .prepare(&format!(
                    "SELECT {KEY_COLUMNS} FROM signing_keys ORDER BY created_at, kid"
                ))
                .map_err(store_error)?;
            let rows = statement.query_map([], key_row).map_err(store_error)?;
            rows.map(|row| row.map_err(store_error)?).collect()
        })
    }

    fn insert_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<bool>> {
        let key = key.clone();
        self.run(true, move |tx| {
            let inserted = tx
                .execute(
                    &format!(
                        "INSERT INTO signing_keys ({KEY_COLUMNS}) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (kid) DO NOTHING"
                    ),
                    params![
                        key.kid,
                        key.algorithm.as_str(),
                        key.sealed_private_key,
                        key.public_jwk.to_string(),
                        millis(key.created_at)?,
                        millis(key.signs_from)?,
                        key.signs_until.map(millis).transpose()?,
                        key.published_until.map(millis).transpose()?,
                    ],
                )
                .map_err(store_error)?;
            Ok(inserted == 1)
        })
    }

    fn update_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        let key = key.clone();
        self.run(true, move |tx| {
            tx.execute(
                "UPDATE signing_keys SET signs_until = ?2, published_until = ?3 WHERE kid = ?1",
                params![
                    key.kid,
                    key.signs_until.map(millis).transpose()?,
                    key.published_until.map(millis).transpose()?,
                ],
            )
            .map_err(store_error)?;
            Ok(())
        })
    }

    fn delete_signing_key(&self, kid: &str) -> BoxFuture<'_, StoreResult<()>> {
        let kid = kid.to_owned();
        self.run(true, move |tx| {
            tx.execute("DELETE FROM signing_keys WHERE kid = ?1", [kid])
                .map_err(store_error)?;
            Ok(())
        })
    }

    fn insert_refresh(&self, record: &RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        let record = record.clone();
        self.run(true, move |tx| {
            tx.execute(
                "INSERT INTO refresh_tokens (token_hash, family, user_id, client_id, scopes, \
                 issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    record.token_hash.as_slice(),
                    record.family,
                    record.user_id,
                    record.client_id,
                    to_json(&record.scopes)?,
                    millis(record.issued_at)?,
                    millis(record.expires_at)?,
                ],
            )
            .map_err(|e| match constraint(&e) {
                Some(Constraint::ForeignKey) => {
                    IssuerError::Invalid(format!("no user {:?}", record.user_id))
                }
                Some(Constraint::Unique) => IssuerError::Conflict("the refresh token".into()),
                None => store_error(e),
            })?;
            Ok(())
        })
    }

    fn use_refresh(
        &self,
        token_hash: &[u8; 32],
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<RefreshUse>> {
        let token_hash = *token_hash;
        self.run(true, move |tx| {
            let now = millis(now)?;
            let found = tx
                .query_row(
                    "SELECT t.token_hash, t.family, t.user_id, t.client_id, t.scopes, \
                     t.issued_at, t.expires_at, t.used_at IS NOT NULL, \
                     EXISTS (SELECT 1 FROM revoked_families r WHERE r.family = t.family) \
                     FROM refresh_tokens t WHERE t.token_hash = ?1",
                    [token_hash.as_slice()],
                    |row| {
                        Ok((
                            refresh_row(row),
                            row.get::<_, bool>(7)?,
                            row.get::<_, bool>(8)?,
                            row.get::<_, i64>(6)?,
                        ))
                    },
                )
                .optional()
                .map_err(store_error)?;
            let Some((record, used, revoked, expires_at)) = found else {
                return Ok(RefreshUse::Unknown);
            };
            let record = record?;
            if used || revoked {
                revoke(tx, &record.family, &record.user_id, now)?;
                return Ok(RefreshUse::Reused(record));
            }
            if expires_at <= now {
                return Ok(RefreshUse::Unknown);
            }
            tx.execute(
                "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![token_hash.as_slice(), now],
            )
            .map_err(store_error)?;
            Ok(RefreshUse::Fresh(record))
        })
    }

    fn revoke_family(&self, family: &str) -> BoxFuture<'_, StoreResult<bool>> {
        let family = family.to_owned();
        self.run(true, move |tx| {
            let user: Option<String> = tx
                .query_row(
                    "SELECT user_id FROM refresh_tokens WHERE family = ?1 LIMIT 1",
                    [&family],
                    |row| row.get(0),
                )
                .optional()
                .map_err(store_error)?;
            let Some(user) = user else {
                return Ok(false);
            };
            revoke(tx, &family, &user, millis(SystemTime::now())?)?;
            Ok(true)
        })
    }

    fn refresh_family(&self, token_hash: &[u8; 32]) -> BoxFuture<'_, StoreResult<Option<String>>> {
        let token_hash = *token_hash;
        self.run(false, move |tx| {
            tx.query_row(
                "SELECT family FROM refresh_tokens WHERE token_hash = ?1",
                [token_hash.as_slice()],
                |row| row.get(0),
            )
            .optional()
            .map_err(store_error)
        })
    }

    fn revoke_user_refresh(&self, user_id: &str) -> BoxFuture<'_, StoreResult<()>> {
        let user_id = user_id.to_owned();
        self.run(true, move |tx| {
            tx.execute(
                "INSERT INTO revoked_families (family, user_id, revoked_at) \
                 SELECT DISTINCT family, user_id, ?2 FROM refresh_tokens WHERE user_id = ?1 \
                 ON CONFLICT (family) DO NOTHING",
                params![user_id, millis(SystemTime::now())?],
            )
            .map_err(store_error)?;
            Ok(())
        })
    }

    fn record_failure(
        &self,
        username: &str,
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<Failures>> {
        let username = username.to_owned();
        self.run(true, move |tx| {
            let (count, last) = tx
                .query_row(
                    "INSERT INTO failures (username, count, last) VALUES (?1, 1, ?2) \
                     ON CONFLICT (username) DO UPDATE \
                     SET count = min(count + 1, 4294967295), last = excluded.last \
                     RETURNING count, last",
                    params![username, millis(now)?],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
                )
                .map_err(store_error)?;
            failures(count, last)
        })
    }

    fn failures(&self, username: &str) -> BoxFuture<'_, StoreResult<Failures>> {
        let username = username.to_owned();
        self.run(false, move |tx| {
            let found = tx
                .query_row(
                    "SELECT count, last FROM failures WHERE username = ?1",
                    [username],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
                )
                .optional()
                .map_err(store_error)?;
            match found {
                Some((count, last)) => failures(count, last),
                None => Ok(Failures::default()),
            }
        })
    }

    fn clear_failures(&self, username: &str) -> BoxFuture<'_, StoreResult<()>> {
        let username = username.to_owned();
        self.run(true, move |tx| {
            tx.execute("DELETE FROM failures WHERE username = ?1", [username])
                .map_err(store_error)?;
            Ok(())
        })
    }
}

/// Marks `family` revoked (idempotent).
fn revoke(tx: &rusqlite::Transaction<'_>, family: &str, user: &str, now: i64) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO revoked_families (family, user_id, revoked_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (family) DO NOTHING",
        params![family, user, now],
    )
    .map_err(store_error)?;
    Ok(())
}

fn user_row(row: &Row<'_>) -> rusqlite::Result<StoreResult<User>> {
    let scopes: String = row.get(3)?;
    let created_at: i64 = row.get(5)?;
    let updated_at: i64 = row.get(6)?;
    let id: String = row.get(0)?;
    let username: String = row.get(1)?;
    let password_hash: String = row.get(2)?;
    let disabled: bool = row.get(4)?;
    Ok((|| {
        let mut user = User::new(
            id,
            username,
            password_hash,
            from_json(&scopes)?,
            time(created_at)?,
        );
        user.disabled = disabled;
        user.updated_at = time(updated_at)?;
        Ok(user)
    })())
}

fn key_row(row: &Row<'_>) -> rusqlite::Result<StoreResult<StoredSigningKey>> {
    let kid: String = row.get(0)?;
    let algorithm: String = row.get(1)?;
    let sealed: Vec<u8> = row.get(2)?;
    let jwk: String = row.get(3)?;
    let created_at: i64 = row.get(4)?;
    let signs_from: i64 = row.get(5)?;
    let signs_until: Option<i64> = row.get(6)?;
    let published_until: Option<i64> = row.get(7)?;
    Ok((|| {
        let algorithm = SigningAlgorithm::from_name(&algorithm)
            .ok_or_else(|| malformed("a signing key's algorithm"))?;
        let jwk = serde_json::from_str(&jwk).map_err(|_| malformed("a signing key's JWK"))?;
        let mut key = StoredSigningKey::new(
            kid,
            algorithm,
            sealed,
            jwk,
            time(created_at)?,
            time(signs_from)?,
        );
        key.signs_until = signs_until.map(time).transpose()?;
        key.published_until = published_until.map(time).transpose()?;
        Ok(key)
    })())
}

/// Columns 0 to 6 of `refresh_tokens`, in table order.
fn refresh_row(row: &Row<'_>) -> StoreResult<RefreshRecord> {
    let hash: Vec<u8> = row.get(0).map_err(store_error)?;
    let token_hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| malformed("a refresh token's hash"))?;
    let scopes: String = row.get(4).map_err(store_error)?;
    Ok(RefreshRecord::new(
        token_hash,
        row.get::<_, String>(1).map_err(store_error)?,
        row.get::<_, String>(2).map_err(store_error)?,
        row.get::<_, String>(3).map_err(store_error)?,
        from_json(&scopes)?,
        time(row.get(5).map_err(store_error)?)?,
        time(row.get(6).map_err(store_error)?)?,
    ))
}

fn failures(count: i64, last: i64) -> StoreResult<Failures> {
    Ok(Failures {
        count: u32::try_from(count).map_err(|_| malformed("a failure count"))?,
        last: Some(time(last)?),
    })
}

/// `at` as Unix milliseconds.
fn millis(at: SystemTime) -> StoreResult<i64> {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or_else(|| IssuerError::Invalid("a time before 1970 or too far ahead".into()))
}

/// Unix milliseconds as a time.
fn time(millis: i64) -> StoreResult<SystemTime> {
    u64::try_from(millis)
        .ok()
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .ok_or_else(|| malformed("a time"))
}

fn to_json(scopes: &[String]) -> StoreResult<String> {
    serde_json::to_string(scopes).map_err(|e| IssuerError::Invalid(format!("scopes: {e}")))
}

fn from_json(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|_| malformed("scopes"))
}

fn malformed(what: &str) -> IssuerError {
    IssuerError::Store(format!("malformed row in the SQLite database: {what}"))
}

fn store_error(error: rusqlite::Error) -> IssuerError {
    IssuerError::Store(format!("SQLite: {error}"))
}

enum Constraint {
    Unique,
    ForeignKey,
}

/// Which constraint `error` broke, if it is a constraint violation.
fn constraint(error: &rusqlite::Error) -> Option<Constraint> {
    let rusqlite::Error::SqliteFailure(failure, _) = error else {
        return None;
    };
    if failure.code != ErrorCode::ConstraintViolation {
        return None;
    }
    match failure.extended_code {
        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
            Some(Constraint::Unique)
        }
        rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(Constraint::ForeignKey),
        _ => None,
    }
}

/// A user write's error: a taken username (or id) is a conflict.
fn conflict_or(error: rusqlite::Error, user: &User) -> IssuerError {
    match constraint(&error) {
        Some(Constraint::Unique) => {
            let message = error.to_string();
            if message.contains("users.id") {
                IssuerError::Conflict(format!("the user id {:?}", user.id))
            } else {
                IssuerError::Conflict(format!("the username {:?}", user.username))
            }
        }
        _ => store_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join("tollgate-no-such-folder-for-sqlite");
        let error = SqliteStore::open(dir.join("issuer.sqlite3")).unwrap_err();
        assert!(matches!(error, IssuerError::Invalid(_)), "{error}");
        assert!(error
            .to_string()
            .contains("tollgate-no-such-folder-for-sqlite"));
        assert!(!dir.exists());
    }

    #[test]
    fn times_are_kept_to_the_millisecond() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(time(millis(at).unwrap()).unwrap(), at);
        assert!(millis(UNIX_EPOCH - Duration::from_secs(1)).is_err());
        assert!(time(-1).is_err());
    }

    #[tokio::test]
    async fn the_schema_can_be_created_twice() {
        let dir = std::env::temp_dir().join(format!("tollgate-sqlite-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("twice.sqlite3");
        let _ = std::fs::remove_file(&path);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.count_users().await.unwrap(), 0);
        drop(store);
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.count_users().await.unwrap(), 0);
        let mode: String = again
            .connection
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
