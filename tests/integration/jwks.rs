//! Key loading, rotation, unknown-kid floods and issuer outages, against real HTTP servers.

use std::time::Duration;

use serde_json::json;
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, ConfigError};

use crate::support::*;

#[tokio::test]
async fn an_unknown_kid_flood_costs_one_fetch_then_fails_fast() {
    let issuer = DevIssuer::start().await.expect("issuer");
    // Time stands still, so a slow machine cannot stretch the floods past the unknown-kid
    // interval and earn a second fetch.
    let provider = issuer
        .provider()
        .clock(tollgate::clock::ManualClock::new())
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        1,
        "build() loads the keys once"
    );

    let good = issuer.token().sign();
    let forged: Vec<String> = (0..64)
        .map(|i| {
            issuer
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": format!("made-up-{i}")}),
                    &serde_json::Value::Object(issuer.token().claims().clone()),
                )
                .expect("sign")
        })
        .collect();
    let replies = flood(&server, &forged).await;
    assert!(replies.iter().all(|r| r.status == 401), "{replies:?}");
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        2,
        "64 concurrent unknown kids cause exactly one fetch"
    );

    let replies = flood(&server, &forged).await;
    assert!(replies.iter().all(|r| r.status == 401));
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        2,
        "kids the fetch did not list fail fast without fetching"
    );
    assert_eq!(
        get_me(&server, &good).await.status,
        200,
        "known keys keep working"
    );
}

/// Sends every token at once, each on its own task.
async fn flood(server: &Server, tokens: &[String]) -> Vec<Reply> {
    let handles: Vec<_> = tokens
        .iter()
        .map(|token| {
            let request = client()
                .get(format!("{}/me", server.base))
                .bearer_auth(token);
            tokio::spawn(send(request))
        })
        .collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("join"));
    }
    out
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_first_use() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    let old = issuer.token().sign();

    issuer.rotate("rotated", DevKeyType::P256).expect("rotate");
    let new = issuer.token().sign();
    assert!(
        new.len() < old.len(),
        "the new token is signed by the new P-256 key"
    );
    let reply = get_me(&server, &new).await;
    assert_eq!(
        reply.status, 200,
        "unknown kid triggers a fetch that finds the new key: {reply:?}"
    );
    assert_eq!(
        get_me(&server, &old).await.status,
        200,
        "the old key is still published"
    );
    assert_eq!(issuer.dangerous().jwks_fetches(), 2);
}

#[tokio::test]
async fn requests_arriving_during_a_fetch_wait_for_it() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;

    issuer
        .rotate("rotated", DevKeyType::Ed25519)
        .expect("rotate");
    issuer
        .dangerous()
        .set_jwks_delay(Duration::from_millis(300));
    let tokens: Vec<String> = (0..16)
        .map(|i| issuer.token().subject(&format!("u{i}")).sign())
        .collect();
    let replies = flood(&server, &tokens).await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "every request with the new kid shares the one fetch: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        2,
        "one fetch at build, one for all 16 requests"
    );
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_after_the_periodic_refresh() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer
        .provider()
        .refresh_interval(Duration::from_millis(100))
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    let old = issuer.token().sign();
    assert_eq!(get_me(&server, &old).await.status, 200);

    issuer.rotate("next", DevKeyType::Rsa2048).expect("rotate");
    issuer.dangerous().unpublish("dev-rsa");
    let fetched = issuer.dangerous().jwks_fetches();
    eventually("a periodic refresh", || {
        issuer.dangerous().jwks_fetches() > fetched + 1
    })
    .await;
    let reply = get_me(&server, &old).await;
    assert_eq!(
        reply.status, 401,
        "a key the issuer withdrew is no longer trusted: {reply:?}"
    );
    assert_eq!(get_me(&server, &issuer.token().sign()).await.status, 200);
}

#[tokio::test]
async fn an_unreachable_issuer_gives_503_then_recovers() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(503, "down".into()).await;
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .unknown_kid_interval(Duration::from_millis(1500))
        .build()
        .await
        .expect("build succeeds while the issuer is down");
    assert_eq!(provider.key_count(), 0);
    let server = serve(app(AuthLayer::new(provider))).await;
    let token = issuer.token().sign();

    let reply = get_me(&server, &token).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.www_authenticate.is_none());
    assert!(reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| s >= 1));
    assert_eq!(reply.json()["error"], "temporarily_unavailable");
    let hits = jwks.hits();
    assert_eq!(get_me(&server, &token).await.status, 503);
    assert_eq!(
        jwks.hits(),
        hits,
        "inside the interval no new fetch is made"
    );

    // Bad input still gets 401, not 503: nothing about it needs keys.
    assert_eq!(get_me(&server, "garbage").await.status, 401);

    jwks.set(200, jwks_of(&issuer, &["dev-rsa"]));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let reply = get_me(&server, &token).await;
    assert_eq!(
        reply.status, 200,
        "after the interval the next request loads the keys: {reply:?}"
    );
}

#[tokio::test]
async fn an_oversized_jwks_is_refused() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let mut keys = vec![issuer.public_jwk("dev-rsa").expect("jwk")];
    keys.extend(
        (0..3000)
            .map(|i| json!({"kty": "RSA", "kid": format!("filler-{i}"), "n": "AQAB", "e": "AQAB"})),
    );
    let big = json!({ "keys": keys }).to_string();
    assert!(big.len() > 64 * 1024);
    let jwks = JwksServer::start(200, big).await;
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .max_response_bytes(64 * 1024)
        .build()
        .await
        .expect("provider");
    assert_eq!(
        provider.key_count(),
        0,
        "the oversized document was not loaded"
    );
}

#[tokio::test]
async fn a_jwks_with_unusable_entries_loads_the_usable_ones() {
    let issuer = DevIssuer::builder()
        .key("ed", DevKeyType::Ed25519)
        .start()
        .await
        .expect("issuer");
    let doc = json!({"keys": [
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "oaep", "alg": "RSA-OAEP-256", "n": "AQAB", "e": "AQAB"},
        {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-65", "pub": "AAAA"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "EC", "kid": "bad", "crv": "P-256", "x": 12},
        "junk",
        issuer.public_jwk("ed").expect("jwk"),
    ]});
    let jwks = JwksServer::start(200, doc.to_string()).await;
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .build()
        .await
        .expect("provider");
    assert_eq!(provider.key_count(), 1);
    assert!(provider.verify(&issuer.token().sign()).await.is_ok());
}

#[tokio::test]
async fn discovery_finds_the_jwks_and_checks_the_issuer() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    assert_eq!(provider.jwks_url(), issuer.jwks_url());
    assert_eq!(issuer.dangerous().discovery_fetches(), 1);

    // The discovery document must name exactly the configured issuer.
    let err = JwtProvider::builder(format!("{}/", issuer.issuer()))
        .audience("a")
        .build()
        .await
        .expect_err("issuer mismatch");
    assert!(matches!(err, ConfigError::Discovery { .. }));
    assert!(err.to_string().contains("must match exactly"), "{err}");

    // Nothing at the discovery URL: a clear build error naming the URL.
    let jwks = JwksServer::start(404, String::new()).await;
    let base = jwks.url.trim_end_matches("/jwks").to_owned();
    let err = JwtProvider::builder(&base)
        .audience("a")
        .build()
        .await
        .expect_err("no discovery");
    let msg = err.to_string();
    assert!(
        msg.contains("/.well-known/openid-configuration") && msg.contains("HTTP status 404"),
        "{msg}"
    );
}

#[tokio::test]
async fn require_keys_at_build_takes_any_timeout() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer
        .provider()
        .require_keys_at_build(Duration::MAX)
        .build()
        .await
        .expect("a timeout past the end of time waits, it does not panic");
    assert_eq!(provider.key_count(), 1);
    let provider = issuer
        .provider()
        .clock(tollgate::clock::ManualClock::new())
        .require_keys_at_build(Duration::MAX)
        .build()
        .await
        .expect("the same on a manual clock");
    assert_eq!(provider.key_count(), 1);
}

#[tokio::test]
async fn a_redirect_to_plain_http_off_loopback_is_refused_and_says_so() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let build = |url: &str| {
        JwtProvider::builder(issuer.issuer())
            .audience(issuer.audience())
            .jwks_url(url)
            .http_timeout(Duration::from_secs(1))
            .build()
    };

    // Loopback to loopback over http is development, and followed.
    let hop = JwksServer::start(302, String::new()).await;
    hop.set_headers(&[("location", &issuer.jwks_url())]);
    let provider = build(&hop.url).await.expect("provider");
    assert_eq!(provider.key_count(), 1);

    // Loopback to another host over http: the keys would cross a network without TLS.
    let downgrade = JwksServer::start(302, String::new()).await;
    downgrade.set_headers(&[("location", "http://192.0.2.1/jwks")]);
    let provider = build(&downgrade.url).await.expect("provider");
    assert_eq!(provider.key_count(), 0);
    let error = provider.jwks().status().last_error.unwrap_or_default();
    assert!(error.contains("plain http"), "{error}");
}
