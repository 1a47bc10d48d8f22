//! The token issuer's signing keys (`tollgate::issuer`) against tollgate's own verifier: every
//! algorithm, a rotation walked through on a manual clock with the JWKS served over HTTP,
//! racing syncs, sealing at rest, and what the token vectors say the verifier refuses.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::{routing::get, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use tollgate::clock::{Clock, ManualClock};
use tollgate::error::Reason;
use tollgate::issuer::{
    Failures, IssuerStore, KeyRing, Keys, MemoryIssuerStore, RefreshRecord, RefreshUse,
    RotationPolicy, SealingKey, SigningAlgorithm, StoreResult, StoredSigningKey, User,
    JWKS_MAX_AGE,
};
use tollgate::jwt::JwtProvider;
use tollgate::provider::BoxFuture;

use crate::support::{serve, JwksServer, Server};

const ISSUER: &str = "https://auth.tollgate.test";
const AUDIENCE: &str = "api";
const MINUTE: Duration = Duration::from_secs(60);

const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::Es256,
    SigningAlgorithm::Rs256,
    SigningAlgorithm::EdDsa,
];

/// Rotate every 2 h, publish 15 min ahead, tokens live 10 min.
fn short_policy() -> RotationPolicy {
    RotationPolicy::new()
        .rotate_every(120 * MINUTE)
        .publish_ahead(15 * MINUTE)
        .max_token_lifetime(10 * MINUTE)
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn claims(now: SystemTime, lifetime: Duration, subject: &str) -> Map<String, Value> {
    let claims = json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": unix(now),
        "exp": unix(now + lifetime),
        "scope": "read",
    });
    claims.as_object().cloned().expect("an object")
}

fn header(token: &str) -> Map<String, Value> {
    let segment = token.split('.').next().expect("a header");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url");
    serde_json::from_slice(&bytes).expect("a JSON object")
}

fn kid(token: &str) -> String {
    header(token)["kid"].as_str().expect("a kid").to_owned()
}

fn kids(jwks: &Value) -> BTreeSet<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

async fn provider_for(jwks_url: &str, clock: Option<ManualClock>) -> JwtProvider {
    let builder = JwtProvider::builder(ISSUER)
        .audience(AUDIENCE)
        .jwks_url(jwks_url)
        .require_at_jwt();
    let builder = match clock {
        Some(clock) => builder.clock(clock),
        None => builder,
    };
    builder.build().await.expect("provider")
}

#[tokio::test]
async fn every_algorithm_signs_what_the_provider_verifies() {
    for algorithm in ALGORITHMS {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().expect("sealing key");
        let policy = RotationPolicy::new().algorithm(algorithm);
        let now = SystemTime::now();
        let ring = KeyRing::sync(&store, &sealing, &policy, now)
            .await
            .expect("sync");
        assert_eq!(ring.algorithms(), [algorithm]);
        let jwks = JwksServer::start(200, ring.jwks(now).to_string()).await;
        let provider = provider_for(&jwks.url, None).await;

        let token = ring
            .sign(now, "at+jwt", &claims(now, 10 * MINUTE, "alice"))
            .expect("sign");
        let principal = provider.verify(&token).await.expect("verified");
        assert_eq!(principal.subject(), Some("alice"), "{algorithm:?}");

        // What the provider checks, the issuer's tokens are checked against.
        let not_at_jwt = ring
            .sign(now, "JWT", &claims(now, 10 * MINUTE, "alice"))
            .expect("sign");
        assert!(provider.verify(&not_at_jwt).await.is_err(), "typ");
        let mut other_audience = claims(now, 10 * MINUTE, "alice");
        other_audience.insert("aud".into(), "another-api".into());
        let token = ring.sign(now, "at+jwt", &other_audience).expect("sign");
        assert!(provider.verify(&token).await.is_err(), "aud");
        let mut other_issuer = claims(now, 10 * MINUTE, "alice");
        other_issuer.insert("iss".into(), "https://elsewhere.test".into());
        let token = ring.sign(now, "at+jwt", &other_issuer).expect("sign");
        assert!(provider.verify(&token).await.is_err(), "iss");
        let past = now - 30 * MINUTE;
        let expired = KeyRing::sync(&store, &sealing, &policy, past)
            .await
            .expect("sync")
            .sign(past, "at+jwt", &claims(past, 10 * MINUTE, "alice"));
        // The ring of `past` has no key yet at `past` (the key was created at `now`).
        assert!(expired.is_err());
    }
}

/// The JWKS endpoint an issuer would serve: the ring's JWKS at the clock's time, cacheable for
/// `JWKS_MAX_AGE`.
async fn serve_jwks(keys: Keys, clock: ManualClock) -> Server {
    let max_age = format!("public, max-age={}", JWKS_MAX_AGE.as_secs());
    let app = Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            let (keys, clock, max_age) = (keys.clone(), clock.clone(), max_age.clone());
            async move {
                (
                    [("cache-control", max_age)],
                    keys.ring().jwks(clock.now()).to_string(),
                )
            }
        }),
    );
    serve(app).await
}

async fn fetch_jwks(server: &Server) -> Value {
    reqwest::get(format!("{}/.well-known/jwks.json", server.base))
        .await
        .expect("GET jwks")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_rotation_walked_through_never_fails_a_verification() {
    let clock = ManualClock::new();
    let start = clock.now();
    let store = Arc::new(MemoryIssuerStore::new());
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let policy = short_policy();
    let publish_ahead = 15 * MINUTE;
    let lifetime = 10 * MINUTE;
    let keys = Keys::start(
        store.clone(),
        sealing,
        policy,
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )
    .await
    .expect("keys");
    let first_ring = keys.ring();
    let server = serve_jwks(keys.clone(), clock.clone()).await;
    let jwks_url = format!("{}/.well-known/jwks.json", server.base);
    let provider = provider_for(&jwks_url, Some(clock.clone())).await;

    let step = 5 * MINUTE;
    let mut first_published: HashMap<String, SystemTime> = HashMap::new();
    let mut first_signed: HashMap<String, SystemTime> = HashMap::new();
    // The latest `exp` of each key's tokens.
    let mut last_exp: HashMap<String, SystemTime> = HashMap::new();
    let mut previous: Option<String> = None;
    let mut verified = 0;
    // Five hours: the first key, the rotation at 2 h, the one at 4 h.
    for i in 0..=60 {
        if i > 0 {
            clock.advance(step);
            keys.sync_now().await.expect("sync");
        }
        let now = clock.now();
        let published = kids(&fetch_jwks(&server).await);
        for kid in &published {
            first_published.entry(kid.clone()).or_insert(now);
        }
        // A key whose tokens may still be presented is still published.
        for (kid, exp) in &last_exp {
            if now < *exp + MINUTE {
                assert!(
                    published.contains(kid),
                    "{kid} left the JWKS before its last token expired (step {i})"
                );
            }
        }

        let token = keys
            .ring()
            .sign(now, "at+jwt", &claims(now, lifetime, &format!("step-{i}")))
            .expect("a key signs at every moment");
        let signer = kid(&token);
        assert!(
            published.contains(&signer),
            "step {i}: signed by an unpublished key"
        );
        first_signed.entry(signer.clone()).or_insert(now);
        last_exp.insert(signer.clone(), now + lifetime);

        let principal = provider
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("step {i}: a fresh token failed: {e:?}"));
        assert_eq!(principal.subject(), Some(format!("step-{i}").as_str()));
        verified += 1;
        if let Some(earlier) = previous.replace(token) {
            provider
                .verify(&earlier)
                .await
                .unwrap_or_else(|e| panic!("step {i}: the previous step's token failed: {e:?}"));
            verified += 1;
        }
    }
    assert_eq!(verified, 121);

    let mut signers: Vec<(SystemTime, String)> = first_signed
        .iter()
        .map(|(kid, at)| (*at, kid.clone()))
        .collect();
    signers.sort();
    assert_eq!(signers.len(), 3, "two rotations: {signers:?}");
    for (signed, kid) in signers.iter().skip(1) {
        let published = first_published[kid];
        assert!(
            *signed >= published + publish_ahead,
            "{kid} signed {:?} after it was published",
            signed.duration_since(published)
        );
    }

    // The first key has left the JWKS, the store and the ring; its tokens are refused even by
    // a verifier whose clock says they have not expired.
    let first_kid = &signers[0].1;
    let now = clock.now();
    assert_eq!(
        kids(&fetch_jwks(&server).await),
        BTreeSet::from([signers[2].1.clone()]),
        "both retired keys have left the JWKS"
    );
    assert!(!keys.ring().kids().contains(first_kid));
    assert!(store
        .signing_keys()
        .await
        .expect("keys")
        .iter()
        .all(|k| &k.kid != first_kid));
    let back_then = ManualClock::new();
    let earlier_provider = provider_for(&jwks_url, Some(back_then.clone())).await;
    let old = first_ring
        .sign(start, "at+jwt", &claims(start, lifetime, "old"))
        .expect("sign");
    assert_eq!(kid(&old), *first_kid);
    let refused = earlier_provider.verify(&old).await.expect_err("refused");
    assert_eq!(refused.reason(), Reason::UnknownKey);
    let current = keys
        .ring()
        .sign(now, "at+jwt", &claims(now, lifetime, "current"))
        .expect("sign");
    earlier_provider.verify(&current).await.expect("verified");
}

/// A store whose first two reads of the signing keys wait for each other before returning, so
/// two syncs both read before either writes.
struct Racing {
    inner: MemoryIssuerStore,
    reads: AtomicUsize,
    barrier: tokio::sync::Barrier,
}

impl IssuerStore for Racing {
    fn create_user(&self, user: &User) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.create_user(user)
    }
    fn user_by_name(&self, username: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        self.inner.user_by_name(username)
    }
    fn user(&self, id: &str) -> BoxFuture<'_, StoreResult<Option<User>>> {
        self.inner.user(id)
    }
    fn update_user(&self, user: &User) -> BoxFuture<'_, StoreResult<bool>> {
        self.inner.update_user(user)
    }
    fn delete_user(&self, id: &str) -> BoxFuture<'_, StoreResult<bool>> {
        self.inner.delete_user(id)
    }
    fn list_users(&self) -> BoxFuture<'_, StoreResult<Vec<User>>> {
        self.inner.list_users()
    }
    fn count_users(&self) -> BoxFuture<'_, StoreResult<u64>> {
        self.inner.count_users()
    }
    fn signing_keys(&self) -> BoxFuture<'_, StoreResult<Vec<StoredSigningKey>>> {
        Box::pin(async move {
            let keys = self.inner.signing_keys().await;
            if self.reads.fetch_add(1, Ordering::SeqCst) < 2 {
                self.barrier.wait().await;
            }
            keys
        })
    }
    fn insert_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<bool>> {
        self.inner.insert_signing_key(key)
    }
    fn update_signing_key(&self, key: &StoredSigningKey) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.update_signing_key(key)
    }
    fn delete_signing_key(&self, kid: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.delete_signing_key(kid)
    }
    fn insert_refresh(&self, record: &RefreshRecord) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.insert_refresh(record)
    }
    fn use_refresh(
        &self,
        token_hash: &[u8; 32],
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<RefreshUse>> {
        self.inner.use_refresh(token_hash, now)
    }
    fn revoke_family(&self, family: &str) -> BoxFuture<'_, StoreResult<bool>> {
        self.inner.revoke_family(family)
    }
    fn refresh_family(&self, token_hash: &[u8; 32]) -> BoxFuture<'_, StoreResult<Option<String>>> {
        self.inner.refresh_family(token_hash)
    }
    fn revoke_user_refresh(&self, user_id: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.revoke_user_refresh(user_id)
    }
    fn record_failure(
        &self,
        username: &str,
        now: SystemTime,
    ) -> BoxFuture<'_, StoreResult<Failures>> {
        self.inner.record_failure(username, now)
    }
    fn failures(&self, username: &str) -> BoxFuture<'_, StoreResult<Failures>> {
        self.inner.failures(username)
    }
    fn clear_failures(&self, username: &str) -> BoxFuture<'_, StoreResult<()>> {
        self.inner.clear_failures(username)
    }
}

#[tokio::test]
async fn two_racing_syncs_create_one_next_key() {
    let inner = MemoryIssuerStore::new();
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let policy = short_policy();
    let start = SystemTime::now();
    KeyRing::sync(&inner, &sealing, &policy, start)
        .await
        .expect("first key");
    let store = Racing {
        inner: inner.clone(),
        reads: AtomicUsize::new(0),
        barrier: tokio::sync::Barrier::new(2),
    };
    // Both find the next key due and plan the same one.
    let due = start + 110 * MINUTE;
    let (a, b) = tokio::join!(
        KeyRing::sync(&store, &sealing, &policy, due),
        KeyRing::sync(&store, &sealing, &policy, due),
    );
    let (a, b) = (a.expect("sync a"), b.expect("sync b"));
    assert_eq!(
        store.reads.load(Ordering::SeqCst),
        4,
        "both re-read the store"
    );
    assert_eq!(a.kids(), b.kids());
    assert_eq!(a.kids().len(), 2);
    assert_eq!(
        inner.signing_keys().await.expect("keys").len(),
        2,
        "one next key, not two"
    );
    // Both rings hold the winner's key: what one signs the other's JWKS verifies.
    assert_eq!(a.jwks(due), b.jwks(due));
}

#[tokio::test]
async fn private_keys_are_stored_sealed_under_the_operators_key() {
    let store = MemoryIssuerStore::new();
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let now = SystemTime::now();
    let ring = KeyRing::sync(&store, &sealing, &RotationPolicy::new(), now)
        .await
        .expect("sync");
    let stored = store.signing_keys().await.expect("keys");
    assert_eq!(stored.len(), 1);
    let key = &stored[0];
    // An ES256 PKCS#8 document starts with this DER prefix; the sealed bytes are random-looking.
    let pkcs8_prefix = [0x30u8, 0x81];
    assert!(!key.sealed_private_key.starts_with(&pkcs8_prefix));
    assert!(key.public_jwk.get("d").is_none());
    assert!(!format!("{key:?}").contains("sealed"), "{key:?}");

    let (other, _) = SealingKey::generate().expect("sealing key");
    let error = KeyRing::sync(&store, &other, &RotationPolicy::new(), now)
        .await
        .expect_err("another key does not open it");
    assert!(
        matches!(error, tollgate::issuer::IssuerError::Unseal(_)),
        "{error:?}"
    );
    assert_eq!(
        ring.kids(),
        KeyRing::sync(&store, &sealing, &RotationPolicy::new(), now)
            .await
            .expect("the right key does")
            .kids()
    );
}

/// The token vectors (`tests/vectors`) list what the verifier refuses: `none` and HMAC, a
/// missing or ambiguous `kid`, `crit`, embedded or remote keys (`jwk`, `jku`, `x5u`, `x5c`),
/// DER-encoded ECDSA signatures, a missing `exp`. The issuer never produces any of them.
#[tokio::test]
async fn the_issuer_never_signs_what_the_vectors_make_the_verifier_refuse() {
    for algorithm in ALGORITHMS {
        let store = MemoryIssuerStore::new();
        let (sealing, _) = SealingKey::generate().expect("sealing key");
        let policy = RotationPolicy::new().algorithm(algorithm);
        let now = SystemTime::now();
        let ring = KeyRing::sync(&store, &sealing, &policy, now)
            .await
            .expect("sync");
        let jwks = ring.jwks(now);
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["use"], "sig");
        assert_eq!(
            jwk["alg"],
            algorithm.as_str(),
            "every key pinned to its algorithm"
        );
        assert_ne!(jwk["kty"], "oct");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(jwk.get(private).is_none(), "{private} published");
        }

        let token = ring
            .sign(now, "at+jwt", &claims(now, MINUTE, "u"))
            .expect("sign");
        let header = header(&token);
        let names: BTreeSet<&str> = header.keys().map(String::as_str).collect();
        assert_eq!(names, BTreeSet::from(["alg", "kid", "typ"]));
        assert_eq!(header["alg"], algorithm.as_str());
        assert!(tollgate::jwt::Algorithm::ASYMMETRIC
            .iter()
            .any(|a| a.as_str() == algorithm.as_str()));
        assert_eq!(header["kid"], jwk["kid"]);
        let signature = URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().expect("signature"))
            .expect("base64url");
        let expected = match algorithm {
            SigningAlgorithm::Es256 => 64, // r || s, never DER
            SigningAlgorithm::Rs256 => 256,
            _ => 64,
        };
        assert_eq!(signature.len(), expected, "{algorithm:?}");

        let mut no_exp = claims(now, MINUTE, "u");
        no_exp.remove("exp");
        assert!(
            ring.sign(now, "at+jwt", &no_exp).is_err(),
            "exp is required"
        );
    }
}
