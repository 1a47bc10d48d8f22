//! [`MemoryIssuerStore`]: an [`IssuerStore`] in memory, for tests and single-process demos.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::future::ready;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use super::records::{Failures, RefreshRecord, RefreshUse, StoredSigningKey, User};
use super::store::{IssuerStore, StoreResult};
use super::IssuerError;
use crate::provider::BoxFuture;

/// An [`IssuerStore`] in memory: every method is atomic under one lock, with the semantics the
/// trait documents. Clones share the same data; it is lost when the last clone is dropped, so
/// use it for tests and single-process demos only.
#[derive(Clone, Default)]
pub struct MemoryIssuerStore {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// By id.
    users: HashMap<String, User>,
    signing_keys: Vec<StoredSigningKey>,
    refresh: HashMap<[u8; 32], Refresh>,
    revoked_families: HashSet<String>,
    failures: HashMap<String, Failures>,
}

struct Refresh {
    record: RefreshRecord,
    used: bool,
}

impl MemoryIssuerStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` under the lock as one atomic step.
    fn with<T: Send + 'static>(&self, f: impl FnOnce(&mut State) -> T) -> BoxFuture<'_, T> {
        let result = f(&mut self.lock());
        Box::pin(ready(result))
    }
}

impl State {
    fn username_taken(&self, username: &str, except_id: &str) -> bool {
        self.users
            .values()
            .any(|user| user.username == username && user.id != except_id)
    }

    fn family_exists(&self, family: &str) -> bool {
        self.refresh.values().any(|r| r.record.family == family)
    }
}

impl IssuerStore for MemoryIssuerStore {
    fn create_user(&self, user: &User) -> BoxFuture<'_, StoreResult<()>> {
        let user = user.clone();
        self.with(move |state| {
            if state.username_taken(&user.username, "") {
                return Err(IssuerError::Conflict("the username".into()));
            }
            if state.users.contains_key(&user.id) {
                return Err(IssuerError::Conflict("the user id".into()));
            }
            state.users.insert(user.id.clone(), user);
            Ok(())
        })
    }

    fn user_by_name(&self, username: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        self.with(|state| {
            Ok(state
                .users
                .values()
                .find(|user| user.username == username)
                .cloned())
        })
    }

    fn user(&self, id: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        self.with(|state| Ok(state.users.get(id).cloned()))
    }

    fn update_user(&self, user: &User) -> BoxFuture<'_, StoreResult<bool>> {
        let user = user.clone();
        self.with(move |state| {
            if !state.users.contains_key(&user.id) {
                return Ok(false);
            }
            if state.username_taken(&user.username, &user.id) {
                return Err(IssuerError::Conflict("the username".into()));
            }
            state.users.insert(user.id.clone(), user);
            Ok(true)
        })
    }

    fn delete_user(&self, id: &str) -> BoxFuture<'_, StoreResult<bool>> {
        self.with(|state| {
            if state.users.remove(id).is_none() {
                return Ok(false);
            }
            state.refresh.retain(|_, r| r.record.user_id != id);
            Ok(true)
        })
    }

    fn list_users(&self) -> BoxFuture<'_, StoreResult<Vec<User>>> {
        self.with(|state| {
            let by_name: BTreeMap<&str, &User> = state
                .users
                .values()
                .map(|user| (user.username.as_str(), user))
                .collect();
            Ok(by_name.into_values().cloned().collect())
        })
    }

    fn count_users(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.with(|state| Ok(u64::try_from(state.users.len()).unwrap_or(u64::MAX)))
    }

    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        self.with(|state| {
            let mut keys = state.signing_keys.clone();
            keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
            Ok(keys)
        })
    }

    fn insert_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<bool>> {
        let key = key.clone();
        self.with(move |state| {
            if state.signing_keys.iter().any(|k| k.kid == key.kid) {
                return Ok(false);
            }
            state.signing_keys.push(key);
            Ok(true)
        })
    }

    fn update_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        let (kid, signs_until, published_until) =
            (key.kid.clone(), key.signs_until, key.published_until);
        self.with(move |state| {
            for stored in state.signing_keys.iter_mut().filter(|k| k.kid == kid) {
                stored.signs_until = signs_until;
                stored.published_until = published_until;
            }
            Ok(())
        })
    }

    fn delete_signing_key(&self, kid: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|state| {
            state.signing_keys.retain(|k| k.kid != kid);
            Ok(())
        })
    }

    fn insert_refresh(&self, record: &RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        let record = record.clone();
        self.with(move |state| {
            if state.refresh.contains_key(&record.token_hash) {
                return Err(IssuerError::Conflict("the refresh token".into()));
            }
            let refresh = Refresh {
                record: record.clone(),
                used: false,
            };
            state.refresh.insert(record.token_hash, refresh);
            Ok(())
        })
    }

    fn use_refresh(
        &self,
        token_hash: &[u8; 32],
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<RefreshUse>> {
        self.with(|state| {
            let Some(refresh) = state.refresh.get_mut(token_hash) else {
                return Ok(RefreshUse::Unknown);
            };
            let record = refresh.record.clone();
            if refresh.used || state.revoked_families.contains(&record.family) {
                state.revoked_families.insert(record.family.clone());
                return Ok(RefreshUse::Reused(record));
            }
            if now >= record.expires_at {
                return Ok(RefreshUse::Unknown);
            }
            refresh.used = true;
            Ok(RefreshUse::Fresh(record))
        })
    }

    fn revoke_family(&self, family: &str) -> BoxFuture<'_, StoreResult<bool>> {
        self.with(|state| {
            if !state.family_exists(family) {
                return Ok(false);
            }
            state.revoked_families.insert(family.to_owned());
            Ok(true)
        })
    }

    fn refresh_family(&self, token_hash: &[u8; 32]) -> BoxFuture<'_, StoreResult<Option<String>>> {
        self.with(|state| {
            Ok(state
                .refresh
                .get(token_hash)
                .map(|r| r.record.family.clone()))
        })
    }

    fn revoke_user_refresh(&self, user_id: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|state| {
            let families: Vec<String> = state
                .refresh
                .values()
                .filter(|r| r.record.user_id == user_id)
                .map(|r| r.record.family.clone())
                .collect();
            state.revoked_families.extend(families);
            Ok(())
        })
    }

    fn record_failure(
        &self,
        username: &str,
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<Failures>> {
        self.with(|state| {
            let failures = state.failures.entry(username.to_owned()).or_default();
            failures.count = failures.count.saturating_add(1);
            failures.last = Some(now);
            Ok(*failures)
        })
    }

    fn failures(&self, username: &str) -> BoxFuture<'_, StoreResult<Failures>> {
        self.with(|state| Ok(state.failures.get(username).copied().unwrap_or_default()))
    }

    fn clear_failures(&self, username: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.with(|state| {
            state.failures.remove(username);
            Ok(())
        })
    }
}

impl fmt::Debug for MemoryIssuerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryIssuerStore")
            .field("users", &state.users.len())
            .field("signing_keys", &state.signing_keys)
            .field("refresh_tokens", &state.refresh.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn user(id: &str, name: &str) -> User {
        User::new(
            id,
            name,
            "$argon2id$…",
            vec!["read".into()],
            SystemTime::now(),
        )
    }

    fn refresh(hash: u8, family: &str, user_id: &str, expires_at: SystemTime) -> RefreshRecord {
        RefreshRecord {
            token_hash: [hash; 32],
            family: family.into(),
            user_id: user_id.into(),
            client_id: "cli".into(),
            scopes: vec!["read".into()],
            issued_at: SystemTime::now(),
            expires_at,
        }
    }

    #[tokio::test]
    async fn users_are_unique_by_name_and_listed_by_name() {
        let store = MemoryIssuerStore::new();
        store.create_user(&user("2", "zoe")).await.unwrap();
        store.create_user(&user("1", "adam")).await.unwrap();
        assert!(matches!(
            store.create_user(&user("3", "zoe")).await,
            Err(IssuerError::Conflict(_))
        ));
        assert_eq!(store.count_users().await.unwrap(), 2);
        let names: Vec<String> = store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["adam", "zoe"]);
        assert_eq!(store.user_by_name("adam").await.unwrap().unwrap().id, "1");

        let mut renamed = user("1", "zoe");
        assert!(matches!(
            store.update_user(&renamed).await,
            Err(IssuerError::Conflict(_))
        ));
        renamed.username = "abel".into();
        assert!(store.update_user(&renamed).await.unwrap());
        assert!(!store.update_user(&user("9", "nobody")).await.unwrap());
        assert_eq!(store.user("1").await.unwrap().unwrap().username, "abel");

        let later = SystemTime::now() + Duration::from_secs(60);
        store
            .insert_refresh(&refresh(1, "f", "1", later))
            .await
            .unwrap();
        assert!(store.delete_user("1").await.unwrap());
        assert!(!store.delete_user("1").await.unwrap());
        assert_eq!(
            store
                .use_refresh(&[1; 32], SystemTime::now())
                .await
                .unwrap(),
            RefreshUse::Unknown
        );
    }

    #[tokio::test]
    async fn a_reused_refresh_token_revokes_its_whole_family() {
        let store = MemoryIssuerStore::new();
        let now = SystemTime::now();
        let later = now + Duration::from_secs(60);
        store
            .insert_refresh(&refresh(1, "f", "u", later))
            .await
            .unwrap();
        store
            .insert_refresh(&refresh(2, "f", "u", later))
            .await
            .unwrap();
        store
            .insert_refresh(&refresh(3, "g", "u", now))
            .await
            .unwrap();
        assert!(matches!(
            store.use_refresh(&[1; 32], now).await.unwrap(),
            RefreshUse::Fresh(_)
        ));
        assert!(matches!(
            store.use_refresh(&[1; 32], now).await.unwrap(),
            RefreshUse::Reused(_)
        ));
        // Its successor, unused, is refused too: the family is revoked.
        assert!(matches!(
            store.use_refresh(&[2; 32], now).await.unwrap(),
            RefreshUse::Reused(_)
        ));
        // Expired and unused: unknown.
        assert_eq!(
            store.use_refresh(&[3; 32], now).await.unwrap(),
            RefreshUse::Unknown
        );
        assert_eq!(
            store.refresh_family(&[3; 32]).await.unwrap().as_deref(),
            Some("g")
        );
        assert!(store.revoke_family("g").await.unwrap());
        assert!(!store.revoke_family("nope").await.unwrap());
        assert!(matches!(
            store.insert_refresh(&refresh(1, "h", "u", later)).await,
            Err(IssuerError::Conflict(_))
        ));

        store
            .insert_refresh(&refresh(4, "k", "v", later))
            .await
            .unwrap();
        store.revoke_user_refresh("v").await.unwrap();
        assert!(matches!(
            store.use_refresh(&[4; 32], now).await.unwrap(),
            RefreshUse::Reused(_)
        ));
    }

    #[tokio::test]
    async fn failures_count_until_cleared() {
        let store = MemoryIssuerStore::new();
        let now = SystemTime::now();
        assert_eq!(store.failures("x").await.unwrap(), Failures::default());
        store.record_failure("x", now).await.unwrap();
        let failures = store.record_failure("x", now).await.unwrap();
        assert_eq!((failures.count, failures.last), (2, Some(now)));
        assert_eq!(store.failures("x").await.unwrap().count, 2);
        store.clear_failures("x").await.unwrap();
        assert_eq!(store.failures("x").await.unwrap().count, 0);
    }
}
