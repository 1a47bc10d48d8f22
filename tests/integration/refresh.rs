//! A key set over time: Cache-Control schedules, conditional GETs, backoff,
//! staleness, start-up modes, sharing and shutdown. Time moves on a `ManualClock`, so hours
//! pass in microseconds while the JWKS is still served over real HTTP.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;
use tollgate::clock::ManualClock;
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::jwt::{JwtProvider, JwtProviderBuilder};
use tollgate::{AuthLayer, ConfigError};
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::support::*;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

fn provider_for(issuer: &DevIssuer, jwks: &JwksServer) -> JwtProviderBuilder {
    JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
}

/// The usual cast: a development issuer, a JWKS server publishing its `dev-rsa` key, and a
/// clock that moves only when told to.
async fn cast() -> (DevIssuer, JwksServer, ManualClock) {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    (issuer, jwks, ManualClock::new())
}

/// A provider for `issuer` reading `jwks` on `clock`.
fn managed(issuer: &DevIssuer, jwks: &JwksServer, clock: &ManualClock) -> JwtProviderBuilder {
    provider_for(issuer, jwks).clock(clock.clone())
}

/// Waits (bounded, in real time) until the server has seen `n` requests in all.
async fn hits_reach(jwks: &JwksServer, n: usize) {
    eventually(&format!("{n} JWKS requests"), || jwks.hits() >= n).await;
    // Let the fetch that made the request finish installing its outcome.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn cache_control_schedules_refreshes_and_304_keeps_the_set() {
    let issuer = DevIssuer::builder()
        .key("one", DevKeyType::P256)
        .start()
        .await
        .expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["one"])).await;
    jwks.set_headers(&[("cache-control", "public, max-age=3600")]);
    jwks.set_etag(Some("\"v1\""));
    let clock = ManualClock::new();
    let provider = managed(&issuer, &jwks, &clock)
        .build()
        .await
        .expect("provider");
    let status = provider.jwks().status();
    assert_eq!((jwks.hits(), status.key_count, status.usable), (1, 1, true));
    let next = status.next_refresh_in.expect("scheduled");
    assert!(
        next >= 48 * MINUTE && next <= 54 * MINUTE,
        "max-age=3600 is refreshed at 80–90 % of the hour, not at the 5 min default: {next:?}"
    );

    clock.advance(47 * MINUTE);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(jwks.hits(), 1, "not before the refresh is due");

    clock.advance(8 * MINUTE);
    hits_reach(&jwks, 2).await;
    assert_eq!(
        (jwks.conditional_hits(), jwks.not_modified()),
        (1, 1),
        "the refresh sent If-None-Match and got 304"
    );
    let status = provider.jwks().status();
    assert_eq!((status.key_count, status.consecutive_failures), (1, 0));
    assert_eq!(status.age, Some(Duration::ZERO), "a 304 renews the set");
    // Tokens live longer than the hours this test moves the clock through.
    let token = issuer.token().expires_in(24 * HOUR).sign();
    assert!(provider.verify(&token).await.is_ok());

    // The issuer rotates: a new body and ETag, picked up by the next scheduled refresh.
    issuer.rotate("two", DevKeyType::Ed25519).expect("rotate");
    jwks.set(200, jwks_of(&issuer, &["two"]));
    jwks.set_etag(Some("\"v2\""));
    jwks.set_headers(&[("cache-control", "max-age=60")]);
    clock.advance(55 * MINUTE);
    hits_reach(&jwks, 3).await;
    assert_eq!(jwks.not_modified(), 1, "a changed ETag gets the new body");
    let rotated = issuer.token().expires_in(24 * HOUR).sign();
    assert!(
        provider.verify(&rotated).await.is_ok(),
        "the rotated key arrived through the interval"
    );
    assert_eq!(
        provider.verify(&token).await.err().map(|e| e.kind()),
        Some(tollgate::error::AuthErrorKind::InvalidToken),
        "the withdrawn key no longer verifies"
    );
    let next = provider.jwks().status().next_refresh_in.expect("scheduled");
    assert!(
        next >= 4 * MINUTE && next <= 270 * Duration::from_secs(1),
        "max-age=60 is clamped up to the 5 min minimum, refreshed at 80–90 % of it: {next:?}"
    );
}

#[tokio::test]
async fn an_outage_serves_cached_keys_until_max_staleness_then_503_then_recovers() {
    let (issuer, jwks, clock) = cast().await;
    let provider = managed(&issuer, &jwks, &clock)
        .refresh_interval(HOUR)
        .max_staleness(6 * HOUR)
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider.clone()))).await;
    let token = issuer.token().expires_in(48 * HOUR).sign();
    assert_eq!(get_me(&server, &token).await.status, 200);

    // The issuer goes down in every way a network allows, one after the other.
    let failures = [
        (500, "oops".to_owned()),
        (404, String::new()),
        (200, "not json".to_owned()),
        (200, r#"{"keys": "nope"}"#.to_owned()),
        (
            200,
            format!(r#"{{"keys": [], "pad": "{}"}}"#, "x".repeat(2 << 20)),
        ),
    ];
    let mut expected_hits = 1;
    for (status, body) in failures {
        jwks.set(status, body);
        clock.advance(HOUR);
        expected_hits += 1;
        hits_reach(&jwks, expected_hits).await;
        let reply = get_me(&server, &token).await;
        assert_eq!(
            reply.status, 200,
            "cached keys still serve after a {status} refresh: {reply:?}"
        );
        let health = provider.jwks().status();
        assert!(health.usable && health.last_error.is_some(), "{health:?}");
    }
    let health = provider.jwks().status();
    assert_eq!(health.consecutive_failures, 5);
    assert!(
        health
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("larger than")),
        "the oversized body was refused: {health:?}"
    );

    // Past the maximum staleness (6 h since the last good fetch; 5 h have passed) the client is
    // not at fault: 503, never 401.
    jwks.set(503, "down".into());
    clock.advance(2 * HOUR);
    hits_reach(&jwks, expected_hits + 1).await;
    let reply = get_me(&server, &token).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.www_authenticate.is_none());
    let retry = reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| (1..=300).contains(&s)), "{reply:?}");
    assert!(!provider.jwks().is_ready(), "readiness probes see it");

    // The issuer comes back: the next backoff attempt (at most 5 min away) restores service.
    jwks.set(200, jwks_of(&issuer, &["dev-rsa"]));
    let hits = jwks.hits();
    clock.advance(5 * MINUTE);
    hits_reach(&jwks, hits + 1).await;
    assert_eq!(get_me(&server, &token).await.status, 200);
    let health = provider.jwks().status();
    assert!(
        health.usable && health.consecutive_failures == 0,
        "{health:?}"
    );
}

#[tokio::test]
async fn failed_refreshes_back_off_exponentially() {
    let (issuer, jwks, clock) = cast().await;
    let provider = managed(&issuer, &jwks, &clock)
        .refresh_interval(10 * MINUTE)
        .build()
        .await
        .expect("provider");
    jwks.set(500, "down".into());
    clock.advance(10 * MINUTE);
    hits_reach(&jwks, 2).await;
    // After n failures the next attempt is due within [2^(n-1), 2^n) s × … capped at 5 min.
    for (failures, step) in [(1u32, 2u64), (2, 4), (3, 8), (4, 16), (5, 32)] {
        let status = provider.jwks().status();
        assert_eq!(status.consecutive_failures, failures);
        let next = status.next_refresh_in.expect("scheduled");
        let step = Duration::from_secs(step);
        assert!(
            next >= step / 2 && next <= step,
            "after {failures}: {next:?}"
        );
        clock.advance(step);
        hits_reach(&jwks, 2 + failures as usize).await;
    }
    assert!(provider.jwks().status().next_refresh_in <= Some(64 * Duration::from_secs(1)));
}

/// A tower service with the layer in front of a handler that answers 200.
fn guarded(
    provider: JwtProvider,
) -> impl Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<impl Send + 'static>,
    Error = Infallible,
    Future: Send,
> + Clone
       + Send
       + 'static {
    ServiceBuilder::new()
        .layer(AuthLayer::new(provider))
        .service(tower::service_fn(
            |_req: http::Request<Full<Bytes>>| async {
                Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(b"ok"))))
            },
        ))
}

/// Tokens signed by `issuer`'s key but naming `count` made-up kids, `tag` keeping sets apart.
fn forged(issuer: &DevIssuer, tag: &str, count: usize) -> Vec<String> {
    let claims = serde_json::Value::Object(issuer.token().claims().clone());
    (0..count)
        .map(|i| {
            issuer
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": format!("{tag}-{i:x}")}),
                    &claims,
                )
                .expect("sign")
        })
        .collect()
}

/// Sends every token at once, each on its own task: the statuses.
async fn flood<S, B>(service: &S, tokens: &[String]) -> Vec<u16>
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: Send + 'static,
{
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let request = http::Request::get("/")
                .header("authorization", format!("Bearer {token}"))
                .body(Full::new(Bytes::new()))
                .expect("request");
            tokio::spawn(service.clone().oneshot(request))
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        let response = task.await.expect("join").expect("infallible");
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn made_up_kids_cost_at_most_one_fetch_per_interval_and_a_repeated_kid_one_per_cooldown() {
    let (issuer, jwks, clock) = cast().await;
    let provider = managed(&issuer, &jwks, &clock)
        .build()
        .await
        .expect("provider");
    let service = guarded(provider);
    let second = Duration::from_secs(1);

    // 200 distinct made-up kids at once.
    let burst = forged(&issuer, "burst", 200);
    let statuses = flood(&service, &burst).await;
    assert!(
        statuses.iter().all(|&s| s == 401),
        "unknown kids are 401, never 5xx"
    );
    assert_eq!(
        jwks.hits(),
        2,
        "200 unknown kids: one fetch at build, one for the flood"
    );

    // The same kids again, past the 3 s interval but inside their 30 s cooldown: no fetch.
    clock.advance(29 * second);
    assert!(flood(&service, &burst).await.iter().all(|&s| s == 401));
    assert_eq!(
        jwks.hits(),
        2,
        "kids a fetch did not list are refused without fetching"
    );
    // Past the cooldown they may ask once more, all of them together.
    clock.advance(2 * second);
    assert!(flood(&service, &burst).await.iter().all(|&s| s == 401));
    assert_eq!(jwks.hits(), 3, "after the cooldown: exactly one more fetch");

    // A sustained flood of new kids, 50 every second for 30 s: at most one fetch per 3 s.
    let before = jwks.hits();
    for round in 0..30 {
        clock.advance(second);
        let tokens = forged(&issuer, &format!("sustained{round}"), 50);
        assert!(flood(&service, &tokens).await.iter().all(|&s| s == 401));
    }
    let fetches = jwks.hits() - before;
    assert!(
        (5..=10).contains(&fetches),
        "30 s of new kids cost {fetches} fetches; the 3 s interval allows at most 10"
    );

    let good = [issuer.token().sign()];
    assert_eq!(
        flood(&service, &good).await,
        [200],
        "known keys are unaffected by the flood"
    );
}

/// The lock-out that a rotation right after an unrelated fetch used to cause (30 s): a newly
/// published `kid` is accepted once the 3 s interval since that fetch has passed, well within
/// the 5 s target. A kid remembered as absent holds back only itself, never another new key.
#[tokio::test]
async fn a_key_published_just_after_a_fetch_is_accepted_within_the_interval() {
    let (issuer, jwks, clock) = cast().await;
    let provider = managed(&issuer, &jwks, &clock)
        .build()
        .await
        .expect("provider");
    let service = guarded(provider.clone());
    let step = Duration::from_millis(500);

    // An unknown kid makes a fetch; the issuer has not published its next key yet.
    assert_eq!(flood(&service, &forged(&issuer, "stray", 1)).await, [401]);
    assert_eq!(jwks.hits(), 2);

    // Right after, the issuer publishes a new key and signs with it.
    issuer.rotate("next", DevKeyType::Rsa2048).expect("rotate");
    jwks.set(200, jwks_of(&issuer, &["next", "dev-rsa"]));
    let token = [issuer.token().sign()];
    let mut waited = Duration::ZERO;
    loop {
        let status = flood(&service, &token).await;
        if status == [200] {
            break;
        }
        assert_eq!(status, [401], "refused meanwhile, never 5xx");
        assert!(
            waited < Duration::from_secs(5),
            "still refused after {waited:?}"
        );
        clock.advance(step);
        waited += step;
    }
    assert!(
        waited <= Duration::from_secs(3),
        "the new key was refused for {waited:?}"
    );
    assert_eq!(
        jwks.hits(),
        3,
        "one fetch for the new kid, as soon as the interval allowed"
    );

    // A token of the new key's kid seen before the key is published (the issuer signed before
    // publishing): the fetch made for it records the kid as absent, and it stays refused for
    // the cooldown, but only for that kid.
    issuer.rotate("early", DevKeyType::Rsa2048).expect("rotate");
    let early = [issuer.token().sign()];
    clock.advance(Duration::from_secs(3));
    assert_eq!(flood(&service, &early).await, [401]);
    assert_eq!(jwks.hits(), 4);
    jwks.set(200, jwks_of(&issuer, &["early", "next", "dev-rsa"]));
    clock.advance(Duration::from_secs(3));
    assert_eq!(flood(&service, &early).await, [401], "remembered as absent");
    assert_eq!(jwks.hits(), 4);
    issuer.rotate("later", DevKeyType::Rsa2048).expect("rotate");
    jwks.set(
        200,
        jwks_of(&issuer, &["later", "early", "next", "dev-rsa"]),
    );
    assert_eq!(
        flood(&service, &[issuer.token().sign()]).await,
        [200],
        "another new kid fetches at once, and brings the early one with it"
    );
    assert_eq!(flood(&service, &early).await, [200]);
}

#[tokio::test]
async fn a_well_formed_jwks_without_a_usable_key_withdraws_the_keys_at_once() {
    let unusable = [
        r#"{"keys": []}"#.to_owned(),
        r#"{"keys": [{"kty": "oct", "kid": "dev-rsa", "k": "c2VjcmV0"}]}"#.to_owned(),
        r#"{"keys": [{"kty": "EC", "kid": "dev-rsa", "crv": "P-521", "x": "AA", "y": "AA"}]}"#
            .to_owned(),
        r#"{"keys": [{"kty": "RSA", "kid": "dev-rsa", "n": "AQAB", "e": "AQAB"}]}"#.to_owned(),
        r#"{"keys": [{"kty": "AKP", "kid": "dev-rsa", "alg": "ML-DSA-44", "pub": "AAAA"}]}"#
            .to_owned(),
    ];
    for body in unusable {
        let (issuer, jwks, clock) = cast().await;
        let provider = managed(&issuer, &jwks, &clock)
            .refresh_interval(HOUR)
            .build()
            .await
            .expect("provider");
        let server = serve(app(AuthLayer::new(provider.clone()))).await;
        let token = issuer.token().expires_in(48 * HOUR).sign();
        // Twice: the second answer comes from the verified-token cache.
        assert_eq!(get_me(&server, &token).await.status, 200);
        assert_eq!(get_me(&server, &token).await.status, 200);

        jwks.set(200, body.clone());
        clock.advance(HOUR);
        hits_reach(&jwks, 2).await;
        let reply = get_me(&server, &token).await;
        assert_eq!(reply.status, 503, "{body}: {reply:?}");
        let retry = reply
            .retry_after
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok());
        assert!(retry.is_some_and(|s| (1..=300).contains(&s)), "{reply:?}");
        let health = provider.jwks().status();
        assert!(
            !health.usable && health.key_count == 0 && health.last_error.is_some(),
            "{health:?}"
        );

        // The issuer publishes a usable key again: the next attempt restores service.
        jwks.set(200, jwks_of(&issuer, &["dev-rsa"]));
        clock.advance(5 * MINUTE);
        hits_reach(&jwks, 3).await;
        assert_eq!(get_me(&server, &token).await.status, 200, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_under_concurrent_load_rejects_no_valid_request() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    let c = client();
    let me = format!("{}/me", server.base);

    let mut tasks = Vec::new();
    for round in 0..40 {
        if round == 20 {
            // Mid-load the issuer publishes a new key and signs with it from now on.
            issuer
                .dangerous()
                .set_jwks_delay(Duration::from_millis(200));
            issuer.rotate("next", DevKeyType::Rsa2048).expect("rotate");
        }
        for i in 0..10 {
            let token = issuer.token().subject(&format!("u{round}-{i}")).sign();
            let request = c.get(&me).bearer_auth(token);
            tasks.push(tokio::spawn(send(request)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut rejected = Vec::new();
    for task in tasks {
        let reply = task.await.expect("join");
        if reply.status != 200 {
            rejected.push(reply);
        }
    }
    assert!(
        rejected.is_empty(),
        "valid requests rejected during the rotation: {rejected:?}"
    );
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        2,
        "one fetch at build, one for the new kid"
    );
}

#[tokio::test]
async fn a_request_waits_for_its_fetch_only_up_to_the_bound() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let provider = provider_for(&issuer, &jwks)
        .http_timeout(Duration::from_secs(60))
        .unknown_kid_wait(Duration::from_millis(300))
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider.clone()))).await;

    issuer.rotate("new", DevKeyType::P256).expect("rotate");
    jwks.set(200, jwks_of(&issuer, &["dev-rsa", "new"]));
    jwks.set_delay(Duration::from_secs(3));
    let token = issuer.token().sign();
    let reply = get_me(&server, &token).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some(INVALID_TOKEN)),
        "the request gave up on the 3 s fetch after 300 ms"
    );
    // The fetch was not abandoned with the request: it completes in the background.
    eventually("the slow fetch to land", || provider.key_count() == 2).await;
    assert_eq!(get_me(&server, &token).await.status, 200);
    assert_eq!(jwks.hits(), 2);
}

#[tokio::test]
async fn a_hanging_issuer_is_a_timeout_not_a_stuck_refresher() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    jwks.set_delay(Duration::from_secs(30));
    let provider = provider_for(&issuer, &jwks)
        .http_timeout(Duration::from_millis(200))
        .build()
        .await
        .expect("built although the issuer hangs");
    let status = provider.jwks().status();
    assert_eq!(status.key_count, 0);
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("timed out")),
        "{status:?}"
    );
    let reply = provider.verify(&issuer.token().sign()).await;
    assert_eq!(
        reply.err().map(|e| e.kind()),
        Some(tollgate::error::AuthErrorKind::Unavailable)
    );
}

#[tokio::test]
async fn build_can_require_keys_or_start_lazily() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(500, "down".into()).await;
    let err = provider_for(&issuer, &jwks)
        .retry_backoff(Duration::from_millis(50), Duration::from_millis(100))
        .require_keys_at_build(Duration::from_millis(400))
        .build()
        .await
        .expect_err("no keys within the timeout");
    assert!(matches!(err, ConfigError::Jwks { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&jwks.url) && message.contains("HTTP status 500"),
        "{message}"
    );
    assert!(
        jwks.hits() >= 3,
        "it retried with backoff: {} fetches",
        jwks.hits()
    );

    jwks.set(200, jwks_of(&issuer, &["dev-rsa"]));
    let provider = provider_for(&issuer, &jwks)
        .require_keys_at_build(Duration::from_secs(5))
        .build()
        .await
        .expect("keys load");
    assert_eq!(provider.key_count(), 1);

    // Lazy: build() returns before the (slow) first fetch; a request arriving meanwhile waits
    // for it.
    let other = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    other.set_delay(Duration::from_millis(500));
    let lazy = provider_for(&issuer, &other)
        .lazy_keys()
        .build()
        .await
        .expect("lazy");
    assert_eq!(lazy.key_count(), 0, "build() did not wait");
    assert!(lazy.verify(&issuer.token().sign()).await.is_ok());
    assert_eq!(other.hits(), 1);
}

#[tokio::test]
async fn providers_share_a_key_set_only_when_told_to() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let access = provider_for(&issuer, &jwks).build().await.expect("access");
    let separate = provider_for(&issuer, &jwks)
        .build()
        .await
        .expect("separate");
    assert_eq!(jwks.hits(), 2, "the same URL alone shares nothing");

    let id_tokens = provider_for(&issuer, &jwks)
        .name("id")
        .audience("another-client")
        .jwks(access.jwks())
        .build()
        .await
        .expect("id");
    assert_eq!(jwks.hits(), 2, "the shared key set was already loaded");
    let (a, b) = (access.jwks().status(), id_tokens.jwks().status());
    assert_eq!((a.fetches, a.last_success), (b.fetches, b.last_success));
    assert!(id_tokens.verify(&issuer.token().sign()).await.is_ok());

    // Shutdown covers exactly the providers built on the set.
    access.jwks().shutdown();
    assert!(!id_tokens.jwks().is_refreshing());
    assert!(separate.jwks().is_refreshing());

    // A key-loading setting on a sharing builder would be silently ignored: refused instead.
    let err = provider_for(&issuer, &jwks)
        .unknown_kid_cooldown(Duration::from_secs(5))
        .jwks(separate.jwks())
        .build()
        .await
        .expect_err("conflicting setting");
    assert!(err.to_string().contains("`unknown_kid_cooldown`"), "{err}");
    let err = provider_for(&issuer, &jwks)
        .jwks_url("http://127.0.0.1:1/elsewhere")
        .jwks(separate.jwks())
        .build()
        .await
        .expect_err("another URL");
    assert!(
        err.to_string().contains("differs from the shared key set"),
        "{err}"
    );
}

#[tokio::test]
async fn the_refresh_task_stops_when_the_last_provider_is_dropped() {
    let (issuer, jwks, clock) = cast().await;
    let runtime = tokio::runtime::Handle::current().metrics();
    let tasks_before = runtime.num_alive_tasks();
    let provider = managed(&issuer, &jwks, &clock)
        .build()
        .await
        .expect("provider");
    let layer = AuthLayer::new(provider.clone());
    assert!(
        runtime.num_alive_tasks() > tasks_before,
        "a refresh task runs"
    );
    clock.advance(10 * MINUTE);
    hits_reach(&jwks, 2).await;

    drop(provider);
    clock.advance(10 * MINUTE);
    hits_reach(&jwks, 3).await;
    assert_eq!(
        jwks.hits(),
        3,
        "the layer still holds the provider: refreshes go on"
    );

    drop(layer);
    // The refresh task ends, and so do the HTTP client's pooled connections (on both sides).
    eventually("every task the provider started to end", || {
        runtime.num_alive_tasks() == tasks_before
    })
    .await;
    clock.advance(HOUR);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(jwks.hits(), 3, "no fetch after the last provider is gone");
}

#[tokio::test]
async fn shutdown_stops_refreshing_but_keeps_serving_cached_keys() {
    let (issuer, jwks, clock) = cast().await;
    let provider = managed(&issuer, &jwks, &clock)
        .build()
        .await
        .expect("provider");
    let handle = provider.jwks();
    assert!(handle.is_refreshing());
    handle.shutdown();
    assert!(!handle.is_refreshing());
    assert_eq!(handle.status().next_refresh_in, None);
    clock.advance(HOUR);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(jwks.hits(), 1);
    assert!(provider.verify(&issuer.token().sign()).await.is_ok());
    let unknown = issuer
        .dangerous()
        .sign_raw(
            &json!({"alg": "RS256", "kid": "unknown"}),
            &serde_json::Value::Object(issuer.token().claims().clone()),
        )
        .expect("sign");
    assert!(provider.verify(&unknown).await.is_err());
    assert_eq!(jwks.hits(), 1, "no on-demand fetch after shutdown either");
}

#[tokio::test]
async fn expiry_is_checked_on_the_injected_clock() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let clock = ManualClock::new();
    let provider = issuer
        .provider()
        .clock(clock.clone())
        .leeway(Duration::ZERO)
        .build()
        .await
        .expect("provider");
    let token = issuer.token().expires_in(10 * MINUTE).sign();
    assert!(provider.verify(&token).await.is_ok());
    clock.advance(11 * MINUTE);
    let err = provider
        .verify(&token)
        .await
        .expect_err("expired on the manual clock");
    assert_eq!(err.kind(), tollgate::error::AuthErrorKind::ExpiredToken);
}
