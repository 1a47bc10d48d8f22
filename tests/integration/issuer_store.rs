//! One set of checks for every [`IssuerStore`]: users, signing keys, refresh-token rotation with
//! reuse detection, failed sign-ins, and two concurrent uses of one refresh token. Run against
//! SQLite (a file, reopened to show it persists) and a throwaway PostgreSQL server.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tollgate::issuer::{
    IssuerError, IssuerStore, RefreshRecord, RefreshUse, SigningAlgorithm, SqliteStore,
    StoredSigningKey, User,
};

/// A time every store keeps exactly (whole milliseconds).
fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + secs * 1000 + 7)
}

fn user(id: &str, username: &str) -> User {
    User::new(
        id,
        username,
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
        vec!["read".into(), "write".into()],
        at(0),
    )
}

fn key(kid: &str, created: u64) -> StoredSigningKey {
    StoredSigningKey::new(
        kid,
        SigningAlgorithm::Es256,
        vec![1, 2, 3, kid.len() as u8],
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig"}),
        at(created),
        at(created + 60),
    )
}

fn refresh(tag: u8, family: &str, user_id: &str, expires: u64) -> RefreshRecord {
    RefreshRecord::new(
        [tag; 32],
        family,
        user_id,
        "web",
        vec!["read".into()],
        at(0),
        at(expires),
    )
}

fn is_reused_or_unknown(used: &RefreshUse) -> bool {
    matches!(used, RefreshUse::Reused(_) | RefreshUse::Unknown)
}

/// Every check, on an empty store.
async fn conformance(store: &dyn IssuerStore) {
    users(store).await;
    signing_keys(store).await;
    refresh_tokens(store).await;
    failures(store).await;
}

async fn users(store: &dyn IssuerStore) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let alice = user("u-alice", "alice");
    let bob = user("u-bob", "bob");
    store.create_user(&bob).await.unwrap();
    store.create_user(&alice).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(
        store.user_by_name("alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(store.user("u-bob").await.unwrap(), Some(bob.clone()));
    assert_eq!(store.user_by_name("carol").await.unwrap(), None);
    assert_eq!(store.user("u-alice-2").await.unwrap(), None);
    assert_eq!(
        store.user_by_name("u-alice").await.unwrap(),
        None,
        "names are not ids"
    );

    let taken = store
        .create_user(&user("u-other", "alice"))
        .await
        .unwrap_err();
    assert!(matches!(taken, IssuerError::Conflict(_)), "{taken}");
    assert_eq!(store.count_users().await.unwrap(), 2);

    let mut renamed = alice.clone();
    renamed.username = "alicia".into();
    renamed.scopes = vec!["admin".into()];
    renamed.disabled = true;
    renamed.updated_at = at(10);
    assert!(store.update_user(&renamed).await.unwrap());
    assert_eq!(store.user("u-alice").await.unwrap(), Some(renamed.clone()));
    assert_eq!(store.user_by_name("alice").await.unwrap(), None);
    let mut steal = bob.clone();
    steal.username = "alicia".into();
    let taken = store.update_user(&steal).await.unwrap_err();
    assert!(matches!(taken, IssuerError::Conflict(_)), "{taken}");
    assert_eq!(store.user("u-bob").await.unwrap(), Some(bob.clone()));
    assert!(!store
        .update_user(&user("u-nobody", "nobody"))
        .await
        .unwrap());

    let listed = store.list_users().await.unwrap();
    assert_eq!(listed, vec![renamed.clone(), bob.clone()], "by username");

    assert!(store.delete_user("u-alice").await.unwrap());
    assert!(!store.delete_user("u-alice").await.unwrap());
    assert_eq!(store.list_users().await.unwrap(), vec![bob.clone()]);
    assert!(store.delete_user("u-bob").await.unwrap());
    assert_eq!(store.count_users().await.unwrap(), 0);
    // A deleted username can be taken again.
    store
        .create_user(&user("u-alice-2", "alice"))
        .await
        .unwrap();
    assert!(store.delete_user("u-alice-2").await.unwrap());
}

async fn signing_keys(store: &dyn IssuerStore) {
    assert!(store.signing_keys().await.unwrap().is_empty());
    let newer = key("k2", 100);
    let older = key("k1", 50);
    assert!(store.insert_signing_key(&newer).await.unwrap());
    assert!(store.insert_signing_key(&older).await.unwrap());
    let mut other = key("k2", 200);
    other.sealed_private_key = vec![9; 8];
    assert!(
        !store.insert_signing_key(&other).await.unwrap(),
        "kid taken"
    );
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![older.clone(), newer.clone()],
        "oldest first, and the duplicate changed nothing"
    );

    let mut retired = older.clone();
    retired.signs_until = Some(at(150));
    retired.published_until = Some(at(3750));
    store.update_signing_key(&retired).await.unwrap();
    assert_eq!(
        store.signing_keys().await.unwrap(),
        vec![retired.clone(), newer.clone()]
    );

    store.delete_signing_key("k1").await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![newer]);
    store.delete_signing_key("k2").await.unwrap();
    store.delete_signing_key("k2").await.unwrap();
    assert!(store.signing_keys().await.unwrap().is_empty());
}

async fn refresh_tokens(store: &dyn IssuerStore) {
    store.create_user(&user("u-r", "rita")).await.unwrap();
    store.create_user(&user("u-s", "sam")).await.unwrap();
    let now = at(100);

    // Rotation: first use Fresh, second Reused, and then the family is dead.
    let first = refresh(1, "fam-a", "u-r", 1000);
    store.insert_refresh(&first).await.unwrap();
    assert_eq!(
        store.refresh_family(&[1; 32]).await.unwrap().as_deref(),
        Some("fam-a")
    );
    assert_eq!(
        store.use_refresh(&[1; 32], now).await.unwrap(),
        RefreshUse::Fresh(first.clone())
    );
    let second = refresh(2, "fam-a", "u-r", 1000);
    store.insert_refresh(&second).await.unwrap();
    assert_eq!(
        store.use_refresh(&[1; 32], now).await.unwrap(),
        RefreshUse::Reused(first.clone())
    );
    let after = store.use_refresh(&[2; 32], now).await.unwrap();
    assert!(is_reused_or_unknown(&after), "{after:?}");
    // A successor inserted after the revocation is dead too.
    store
        .insert_refresh(&refresh(3, "fam-a", "u-r", 1000))
        .await
        .unwrap();
    let late = store.use_refresh(&[3; 32], now).await.unwrap();
    assert!(is_reused_or_unknown(&late), "{late:?}");

    // Unknown and expired tokens.
    assert_eq!(
        store.use_refresh(&[99; 32], now).await.unwrap(),
        RefreshUse::Unknown
    );
    assert_eq!(store.refresh_family(&[99; 32]).await.unwrap(), None);
    store
        .insert_refresh(&refresh(4, "fam-b", "u-r", 100))
        .await
        .unwrap();
    assert_eq!(
        store.use_refresh(&[4; 32], now).await.unwrap(),
        RefreshUse::Unknown,
        "expires_at == now is expired"
    );

    // revoke_family.
    store
        .insert_refresh(&refresh(5, "fam-c", "u-r", 1000))
        .await
        .unwrap();
    assert!(store.revoke_family("fam-c").await.unwrap());
    assert!(!store.revoke_family("fam-none").await.unwrap());
    let revoked = store.use_refresh(&[5; 32], now).await.unwrap();
    assert!(is_reused_or_unknown(&revoked), "{revoked:?}");

    // revoke_user_refresh touches only that user.
    store
        .insert_refresh(&refresh(6, "fam-d", "u-r", 1000))
        .await
        .unwrap();
    store
        .insert_refresh(&refresh(7, "fam-e", "u-r", 1000))
        .await
        .unwrap();
    let sams = refresh(8, "fam-f", "u-s", 1000);
    store.insert_refresh(&sams).await.unwrap();
    store.revoke_user_refresh("u-r").await.unwrap();
    for tag in [6, 7] {
        let used = store.use_refresh(&[tag; 32], now).await.unwrap();
        assert!(is_reused_or_unknown(&used), "{tag}: {used:?}");
    }
    assert_eq!(
        store.use_refresh(&[8; 32], now).await.unwrap(),
        RefreshUse::Fresh(sams)
    );

    // Deleting a user deletes their refresh tokens.
    store
        .insert_refresh(&refresh(9, "fam-g", "u-s", 1000))
        .await
        .unwrap();
    assert!(store.delete_user("u-s").await.unwrap());
    assert_eq!(store.refresh_family(&[9; 32]).await.unwrap(), None);
    assert_eq!(
        store.use_refresh(&[9; 32], now).await.unwrap(),
        RefreshUse::Unknown
    );
    assert!(store.delete_user("u-r").await.unwrap());
}

async fn failures(store: &dyn IssuerStore) {
    let none = store.failures("mallory").await.unwrap();
    assert_eq!((none.count, none.last), (0, None));
    for n in 1..=3 {
        let counted = store.record_failure("mallory", at(n)).await.unwrap();
        assert_eq!((counted.count, counted.last), (n as u32, Some(at(n))));
    }
    store.record_failure("no-such-user", at(5)).await.unwrap();
    let seen = store.failures("mallory").await.unwrap();
    assert_eq!((seen.count, seen.last), (3, Some(at(3))));
    assert_eq!(store.failures("no-such-user").await.unwrap().count, 1);
    assert_eq!(
        store.failures("Mallory").await.unwrap().count,
        0,
        "per username"
    );

    store.clear_failures("mallory").await.unwrap();
    assert_eq!(store.failures("mallory").await.unwrap().count, 0);
    assert_eq!(store.failures("no-such-user").await.unwrap().count, 1);
    store.clear_failures("mallory").await.unwrap();
    store.clear_failures("no-such-user").await.unwrap();
}

/// Two uses of one token at once: exactly one is Fresh.
async fn concurrent_use(store: Arc<dyn IssuerStore>) {
    store.create_user(&user("u-c", "cleo")).await.unwrap();
    for round in 0..10u8 {
        let tag = 100 + round;
        store
            .insert_refresh(&refresh(tag, &format!("fam-c{round}"), "u-c", 1000))
            .await
            .unwrap();
        let uses: Vec<_> = (0..2)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.use_refresh(&[tag; 32], at(100)).await })
            })
            .collect();
        let mut fresh = 0;
        for handle in uses {
            match handle.await.unwrap().unwrap() {
                RefreshUse::Fresh(_) => fresh += 1,
                RefreshUse::Reused(_) => {}
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(fresh, 1, "round {round}");
    }
    assert!(store.delete_user("u-c").await.unwrap());
}

fn temp_folder(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tollgate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms_and_persists() {
    let dir = temp_folder("issuer-sqlite");
    let path = dir.join("issuer.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    conformance(&store).await;
    concurrent_use(Arc::new(store.clone())).await;

    store.create_user(&user("u-kept", "kept")).await.unwrap();
    store.insert_signing_key(&key("k-kept", 1)).await.unwrap();
    store
        .insert_refresh(&refresh(42, "fam-kept", "u-kept", 1000))
        .await
        .unwrap();
    store.record_failure("kept", at(1)).await.unwrap();
    drop(store);

    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(
        reopened.user_by_name("kept").await.unwrap(),
        Some(user("u-kept", "kept"))
    );
    assert_eq!(
        reopened.signing_keys().await.unwrap(),
        vec![key("k-kept", 1)]
    );
    assert!(matches!(
        reopened.use_refresh(&[42; 32], at(100)).await.unwrap(),
        RefreshUse::Fresh(_)
    ));
    assert_eq!(reopened.failures("kept").await.unwrap().count, 1);
    drop(reopened);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqlite_in_memory_store_conforms() {
    let store = SqliteStore::open_in_memory().unwrap();
    conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_conforms() {
    let store = tollgate::issuer::MemoryIssuerStore::new();
    conformance(&store).await;
    concurrent_use(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_shared_by_two_handles_on_one_file() {
    let dir = temp_folder("issuer-sqlite-two");
    let path = dir.join("issuer.sqlite3");
    let one = SqliteStore::open(&path).unwrap();
    let two = SqliteStore::open(&path).unwrap();
    one.create_user(&user("u-c", "cleo")).await.unwrap();
    for round in 0..10u8 {
        let tag = 100 + round;
        one.insert_refresh(&refresh(tag, &format!("fam-{round}"), "u-c", 1000))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            one.use_refresh(&[tag; 32], at(100)),
            two.use_refresh(&[tag; 32], at(100))
        );
        let fresh = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|u| matches!(u, RefreshUse::Fresh(_)))
            .count();
        assert_eq!(fresh, 1, "round {round}");
    }
    drop((one, two));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sqlite_store_refuses_a_missing_folder() {
    let dir = temp_folder("issuer-sqlite-missing");
    let error = SqliteStore::open(dir.join("absent").join("issuer.sqlite3")).unwrap_err();
    assert!(matches!(error, IssuerError::Invalid(_)), "{error}");
    assert!(error.to_string().contains("absent"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use crate::postgres_support::Postgres;
    use tollgate::issuer::PostgresIssuerStore;
    use tollgate::postgres::PostgresSettings;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_issuer_store_conforms() {
        if !Postgres::available("postgres_issuer_store_conforms") {
            return;
        }
        let mut pg = Postgres::start_new().await;
        let settings = PostgresSettings::from_url(&pg.url()).unwrap();
        let store = PostgresIssuerStore::connect(&settings).await.unwrap();
        conformance(&store).await;
        concurrent_use(Arc::new(store)).await;

        // Two replicas migrating at once, then racing on one token.
        let (one, two) = tokio::join!(
            PostgresIssuerStore::connect(&settings),
            PostgresIssuerStore::connect(&settings)
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        one.create_user(&user("u-x", "xena")).await.unwrap();
        one.insert_refresh(&refresh(50, "fam-x", "u-x", 1000))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            one.use_refresh(&[50; 32], at(100)),
            two.use_refresh(&[50; 32], at(100))
        );
        let fresh = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|u| matches!(u, RefreshUse::Fresh(_)))
            .count();
        assert_eq!(fresh, 1);

        // A restarted server: the next call reconnects.
        pg.restart().await;
        let first = one.count_users().await;
        let count = match first {
            Ok(count) => count,
            Err(_) => one.count_users().await.unwrap(),
        };
        assert_eq!(count, 1);
    }
}

#[test]
fn the_public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SqliteStore>();
    check::<tollgate::issuer::Passwords>();
    check::<tollgate::issuer::Backoff>();
    #[cfg(feature = "postgres")]
    check::<tollgate::issuer::PostgresIssuerStore>();
}
