//! v2 API keys through the layer, with a store that counts its lookups: found by id, refused
//! without any lookup when malformed, revoked, expired, a store that is down, and legacy keys
//! beside them.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;
use tollgate::api_key::{
    ApiKey, ApiKeys, GeneratedKey, KeyId, KeyStore, MemoryStore, StoreError, StoredKey,
};
use tollgate::provider::BoxFuture;
use tollgate::AuthLayer;

use crate::support::*;

/// A store in front of a [`MemoryStore`] that counts lookups, answers only asynchronously (as a
/// database would), and can be switched to "unavailable".
#[derive(Clone)]
struct CountingStore {
    inner: Arc<MemoryStore>,
    lookups: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

impl KeyStore for CountingStore {
    fn get(&self, id: &KeyId) -> BoxFuture<'_, Result<Option<Arc<StoredKey>>, StoreError>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let id = id.clone();
        Box::pin(async move {
            tokio::task::yield_now().await;
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("connection refused".into()));
            }
            self.inner.get(&id).await
        })
    }
}

struct Fixture {
    good: GeneratedKey,
    revoked: GeneratedKey,
    expired: GeneratedKey,
    store: CountingStore,
    server: Server,
}

impl Fixture {
    async fn start() -> Self {
        let generate = || ApiKeys::generate().expect("generate");
        let (good, revoked, expired) = (generate(), generate(), generate());
        let hour = Duration::from_secs(3600);
        let now = SystemTime::now();
        let memory = MemoryStore::new([
            good.stored_key("ci-deploy")
                .expect("owner")
                .scopes(["deploy"])
                .metadata("team", "platform"),
            revoked
                .stored_key("ci-deploy")
                .expect("owner")
                .revoked_at(now - hour),
            expired
                .stored_key("reporting")
                .expect("owner")
                .expires_at(now - hour),
        ])
        .expect("store");
        let store = CountingStore {
            inner: Arc::new(memory),
            lookups: Arc::default(),
            down: Arc::default(),
        };
        let keys = ApiKeys::builder()
            .store(store.clone())
            .key(ApiKey::from_secret("legacy-cron", "tgk_legacyLegacyLegacy").expect("id"))
            .build()
            .expect("build");
        let server = serve(app(AuthLayer::new(keys))).await;
        Self {
            good,
            revoked,
            expired,
            store,
            server,
        }
    }

    fn lookups(&self) -> usize {
        self.store.lookups.load(Ordering::SeqCst)
    }

    async fn me(&self, key: &str) -> Reply {
        send(
            client()
                .get(format!("{}/me", self.server.base))
                .header("x-api-key", key),
        )
        .await
    }
}

#[tokio::test]
async fn v2_keys_are_found_by_id_in_the_store() {
    let f = Fixture::start().await;
    let ok = f.me(f.good.secret()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let p = ok.json();
    assert_eq!(p["subject"], "ci-deploy");
    assert_eq!(p["scopes"], json!(["deploy"]));
    assert_eq!(p["claims"]["key_id"], f.good.key_id().as_str());
    assert_eq!(p["claims"]["metadata"], json!({"team": "platform"}));
    assert!(!ok.body.contains(f.good.secret()) && !ok.body.contains(&f.good.hash()[7..]));
    let scheme = send(
        client()
            .get(format!("{}/me", f.server.base))
            .header("authorization", format!("ApiKey {}", f.good.secret())),
    )
    .await;
    assert_eq!(scheme.status, 200, "{}", scheme.body);
    assert_eq!(f.lookups(), 2, "one lookup per request");
}

#[tokio::test]
async fn malformed_keys_are_refused_without_a_store_lookup() {
    let f = Fixture::start().await;
    let key = f.good.secret();
    let last = key.chars().last().expect("non-empty");
    let tampered_checksum = format!(
        "{}{}",
        &key[..key.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    let tampered_secret = format!("{}X{}", &key[..30], &key[31..]);
    let tampered_secret = if tampered_secret == key {
        format!("{}Y{}", &key[..30], &key[31..])
    } else {
        tampered_secret
    };
    for bad in [
        tampered_checksum,
        tampered_secret,
        format!("{key}0"),
        key[..key.len() - 1].to_owned(),
        "tgk2_short".to_owned(),
    ] {
        let reply = f.me(&bad).await;
        assert_eq!(reply.status, 401, "{bad}: {}", reply.body);
        assert!(reply
            .www_authenticate
            .is_some_and(|c| c.contains("invalid_token")));
    }
    assert_eq!(f.lookups(), 0, "no store call for a malformed key");
}

#[tokio::test]
async fn revoked_expired_and_unknown_keys_are_refused() {
    let f = Fixture::start().await;
    for (key, what) in [
        (f.revoked.secret(), "revoked"),
        (f.expired.secret(), "expired"),
    ] {
        let reply = f.me(key).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    }
    let unknown = ApiKeys::generate().expect("generate");
    assert_eq!(f.me(unknown.secret()).await.status, 401);
    assert_eq!(f.lookups(), 3, "well-formed keys are looked up");
}

#[tokio::test]
async fn an_unavailable_store_is_a_503_not_a_401() {
    let f = Fixture::start().await;
    f.store.down.store(true, Ordering::SeqCst);
    let reply = f.me(f.good.secret()).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.retry_after.is_some());
    assert_eq!(reply.www_authenticate, None);
    // Legacy keys do not need the store.
    assert_eq!(f.me("tgk_legacyLegacyLegacy").await.status, 200);
    f.store.down.store(false, Ordering::SeqCst);
    assert_eq!(f.me(f.good.secret()).await.status, 200);
}

#[tokio::test]
async fn legacy_keys_keep_working_beside_v2_keys() {
    let f = Fixture::start().await;
    let reply = f.me("tgk_legacyLegacyLegacy").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["subject"], "legacy-cron");
    assert_eq!(f.me("tgk_legacyLegacyLegacX").await.status, 401);
    assert_eq!(f.lookups(), 0, "legacy keys never reach the store");
}

/// Key files mix both kinds of line; v2 keys go to the built-in store.
#[tokio::test]
async fn key_files_hold_v2_and_legacy_lines() {
    let v2 = ApiKeys::generate().expect("generate");
    let file = format!(
        "# v2, then legacy\n{} expires=2999-01-01\nold sha256:{}\n",
        v2.file_line("ci-deploy", &["deploy", "read"]),
        "0".repeat(64)
    );
    assert!(file.contains(&format!("key_id={}", v2.key_id())));
    let keys = ApiKeys::builder()
        .keys_from_str(&file)
        .build()
        .expect("build");
    let server = serve(app(AuthLayer::new(keys))).await;
    let reply = send(
        client()
            .get(format!("{}/me", server.base))
            .header("x-api-key", v2.secret()),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["scopes"], json!(["deploy", "read"]));
}
