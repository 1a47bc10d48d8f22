//! The verified-token cache is exactly as strict as verifying again: each property below is
//! checked on a token that is already cached.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::json;
use tollgate::clock::ManualClock;
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::error::AuthErrorKind;
use tollgate::jwt::JwtProvider;

use crate::support::*;

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_cached_token_is_rechecked_for_expiry() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let clock = ManualClock::new();
    let provider = issuer
        .provider()
        .clock(clock.clone())
        .leeway(Duration::from_secs(30))
        .build()
        .await
        .expect("provider");
    let token = issuer.token().expires_in(10 * MINUTE).sign();
    for _ in 0..3 {
        assert!(
            provider.verify(&token).await.is_ok(),
            "verified, then served from the cache"
        );
    }
    clock.advance(10 * MINUTE + Duration::from_secs(29));
    assert!(
        provider.verify(&token).await.is_ok(),
        "still inside the leeway"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        provider.verify(&token).await.err().map(|e| e.kind()),
        Some(AuthErrorKind::ExpiredToken)
    );
}

#[tokio::test]
async fn only_the_exact_token_hits() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let token = issuer.token().subject("alice").sign();
    assert!(provider.verify(&token).await.is_ok());

    // Same signature (so the same hashed tail), another payload: must fail verification.
    let mut parts = token.split('.');
    let (header, _, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let mut claims = issuer.token().claims().clone();
    claims.insert("sub".into(), json!("mallory"));
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let forged = format!("{header}.{payload}.{signature}");
    assert_eq!(
        provider.verify(&forged).await.err().map(|e| e.kind()),
        Some(AuthErrorKind::InvalidToken)
    );
    // A prefix or extension of the cached token is not the token either.
    for variant in [
        format!("{token}A"),
        format!("x{token}"),
        token[..token.len() - 1].to_owned(),
    ] {
        assert!(provider.verify(&variant).await.is_err(), "{variant}");
    }
    let principal = provider
        .verify(&token)
        .await
        .expect("the real one still hits");
    assert_eq!(principal.subject(), Some("alice"));
}

#[tokio::test]
async fn a_withdrawn_or_replaced_key_takes_its_cached_tokens_with_it() {
    let issuer = DevIssuer::start().await.expect("issuer");
    // Another issuer whose key has the same kid (`dev-rsa`) but other key bytes.
    let impostor = DevIssuer::start().await.expect("impostor");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let clock = ManualClock::new();
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .clock(clock.clone())
        .build()
        .await
        .expect("provider");
    let token = issuer.token().expires_in(24 * 60 * MINUTE).sign();
    assert!(provider.verify(&token).await.is_ok());
    assert!(provider.verify(&token).await.is_ok());

    // The issuer replaces the key under the same kid.
    jwks.set(200, jwks_of(&impostor, &["dev-rsa"]));
    clock.advance(10 * MINUTE);
    eventually("the scheduled refresh", || jwks.hits() >= 2).await;
    eventually("the new key set", || {
        provider
            .jwks()
            .status()
            .last_success
            .is_some_and(|t| t >= clock_now(&clock) - MINUTE)
    })
    .await;
    assert_eq!(
        provider.verify(&token).await.err().map(|e| e.kind()),
        Some(AuthErrorKind::InvalidToken),
        "same kid, other key bytes: the cached token is not accepted"
    );

    // Withdrawn altogether.
    let other = issuer.token().expires_in(24 * 60 * MINUTE).sign();
    jwks.set(200, jwks_of(&issuer, &["dev-rsa"]));
    provider.jwks().refresh().await;
    assert!(provider.verify(&other).await.is_ok());
    assert!(provider.verify(&other).await.is_ok());
    issuer.rotate("next", DevKeyType::Ed25519).expect("rotate");
    jwks.set(200, jwks_of(&issuer, &["next"]));
    provider.jwks().refresh().await;
    assert!(
        provider.verify(&other).await.is_err(),
        "withdrawn key: cached token refused"
    );
}

fn clock_now(clock: &ManualClock) -> std::time::SystemTime {
    use tollgate::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn cached_tokens_obey_the_staleness_limit() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let clock = ManualClock::new();
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .clock(clock.clone())
        .refresh_interval(60 * MINUTE)
        .max_staleness(120 * MINUTE)
        .build()
        .await
        .expect("provider");
    let token = issuer.token().expires_in(24 * 60 * MINUTE).sign();
    assert!(provider.verify(&token).await.is_ok());
    jwks.set(500, "down".into());
    clock.advance(121 * MINUTE);
    assert_eq!(
        provider.verify(&token).await.err().map(|e| e.kind()),
        Some(AuthErrorKind::Unavailable),
        "keys too stale to trust: the cache does not bypass that"
    );
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer
        .provider()
        .token_cache(0)
        .build()
        .await
        .expect("provider");
    let token = issuer.token().sign();
    for _ in 0..3 {
        assert!(provider.verify(&token).await.is_ok());
    }
    assert!(provider.verify("garbage").await.is_err());
}

#[tokio::test]
async fn each_provider_has_its_own_cache_even_on_a_shared_key_set() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let ours = issuer.provider().build().await.expect("provider");
    let theirs = JwtProvider::builder(issuer.issuer())
        .audience("another-api")
        .jwks(ours.jwks())
        .build()
        .await
        .expect("provider");
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        1,
        "one key set, shared by both"
    );

    let token = issuer.token().sign();
    for _ in 0..2 {
        assert!(ours.verify(&token).await.is_ok(), "verified, then cached");
    }
    assert_eq!(
        theirs.verify(&token).await.err().map(|e| e.reason()),
        Some(tollgate::error::Reason::WrongAudience),
        "another provider's cached token is not this provider's"
    );

    // The same for what a key may verify: the key is published without `alg`, so PS256
    // needs an explicit algorithm list, which only `lenient` has.
    let lenient = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks(ours.jwks())
        .algorithms([
            tollgate::jwt::Algorithm::RS256,
            tollgate::jwt::Algorithm::PS256,
        ])
        .build()
        .await
        .expect("provider");
    let ps256 = issuer
        .token()
        .algorithm(tollgate::jwt::Algorithm::PS256)
        .sign();
    for _ in 0..2 {
        assert!(
            lenient.verify(&ps256).await.is_ok(),
            "verified, then cached"
        );
    }
    assert_eq!(
        ours.verify(&ps256).await.err().map(|e| e.reason()),
        Some(tollgate::error::Reason::NoMatchingKey)
    );
}
