//! [`IssuerStore`]: where the issuer keeps users, signing keys, refresh tokens and failed
//! sign-ins. SQLite (a file) is the embedded default, PostgreSQL the fleet's.

use std::time::SystemTime;

use super::records::{Failures, RefreshRecord, RefreshUse, StoredSigningKey, User};
use super::IssuerError;
use crate::provider::BoxFuture;

/// The result of a store call.
pub type StoreResult<T> = Result<T, IssuerError>;

/// The issuer's persistence. Every method is one atomic step (one transaction), so several
/// issuer processes may share one store.
pub trait IssuerStore: Send + Sync + 'static {
    /// Adds a user; [`IssuerError::Conflict`] when the username is taken.
    fn create_user(&self, user: &User) -> BoxFuture<'_, StoreResult<()>>;
    /// The user with this username.
    fn user_by_name(&self, username: &str) -> BoxFuture<'_, StoreResult<Option<User>>>;
    /// The user with this id.
    fn user(&self, id: &str) -> BoxFuture<'_, StoreResult<Option<User>>>;
    /// Replaces the user with `user.id`; `false` when there is none. A username taken by
    /// another user is [`IssuerError::Conflict`].
    fn update_user(&self, user: &User) -> BoxFuture<'_, StoreResult<bool>>;
    /// Deletes the user and their refresh tokens; `false` when there is none.
    fn delete_user(&self, id: &str) -> BoxFuture<'_, StoreResult<bool>>;
    /// Every user, by username.
    fn list_users(&self) -> BoxFuture<'_, StoreResult<Vec<User>>>;
    /// How many users there are.
    fn count_users(&self) -> BoxFuture<'_, StoreResult<u64>>;

    /// Every signing key, oldest first.
    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>>;
    /// Adds a key; `false` (and nothing changed) when its `kid` exists: another process
    /// rotated first.
    fn insert_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<bool>>;
    /// Updates a key's schedule (`signs_until`, `published_until`).
    fn update_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<()>>;
    /// Deletes a key no longer published.
    fn delete_signing_key(&self, kid: &str) -> BoxFuture<'_, StoreResult<()>>;

    /// Stores a new refresh token.
    fn insert_refresh(&self, record: &RefreshRecord) -> BoxFuture<'_, StoreResult<()>>;
    /// Presents a refresh token (by its SHA-256) at `now`, atomically: unused, unexpired and
    /// in a live family → marked used, [`RefreshUse::Fresh`]; used before, or its family
    /// revoked → the whole family revoked, [`RefreshUse::Reused`]; else
    /// [`RefreshUse::Unknown`].
    fn use_refresh(
        &self,
        token_hash: &[u8; 32],
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<RefreshUse>>;
    /// Revokes a family (RFC 7009 revocation, or a disabled user's sign-out); `false` when
    /// it does not exist.
    fn revoke_family(&self, family: &str) -> BoxFuture<'_, StoreResult<bool>>;
    /// The family of a refresh token, by its SHA-256 (for revocation).
    fn refresh_family(&self, token_hash: &[u8; 32]) -> BoxFuture<'_, StoreResult<Option<String>>>;
    /// Revokes every refresh token of a user.
    fn revoke_user_refresh(&self, user_id: &str) -> BoxFuture<'_, StoreResult<()>>;

    /// Counts a failed sign-in for `username` (existing or not) at `now`; returns the count.
    fn record_failure(
        &self,
        username: &str,
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<Failures>>;
    /// The failures of `username`.
    fn failures(&self, username: &str) -> BoxFuture<'_, StoreResult<Failures>>;
    /// Forgets the failures of `username` (after a successful sign-in).
    fn clear_failures(&self, username: &str) -> BoxFuture<'_, StoreResult<()>>;
}
