//! Opaque tokens checked by token introspection (RFC 7662): against a real authorization
//! server (node oidc-provider, `tests/interop/oidc-introspection.mjs`, skipped like the other
//! interop tests when it is not installed), against a scripted endpoint for the answers a real
//! server does not give, through `Providers`, and the `introspection_server` example as a real
//! binary.

use std::time::Duration;

use tollgate::clock::ManualClock;
use tollgate::error::{AuthErrorKind, Reason};
use tollgate::introspection::{ClientAuthMethod, Introspection};
use tollgate::{AuthError, AuthLayer, Credential, Principal, Provider, Providers};

use crate::examples::{base_url, start};
use crate::interop::OidcServer;
use crate::support::*;

const SCRIPT: &str = "oidc-introspection.mjs";
const API: &str = "https://api.tollgate.test";
const SHORT: &str = "https://short.tollgate.test";
const OTHER: &str = "https://other.tollgate.test";

/// The authorization server, and what the tests ask it.
struct As(OidcServer);

impl As {
    fn start(test: &str) -> Option<Self> {
        OidcServer::available(test).then(|| Self(OidcServer::start_script(SCRIPT)))
    }

    fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// A client-credentials token of `tollgate-app` for `resource` with `scope`.
    async fn token(&self, resource: &str, scope: &str) -> String {
        let reply = send(
            client()
                .post(format!("{}/token", self.issuer()))
                .basic_auth("tollgate-app", Some("app-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("grant_type", "client_credentials"),
                    ("resource", resource),
                    ("scope", scope),
                ])),
        )
        .await;
        assert_eq!(reply.status, 200, "token endpoint: {}", reply.body);
        let token = reply.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        assert!(!token.contains('.'), "an opaque token, not a JWT: {token}");
        token
    }

    async fn revoke(&self, token: &str) {
        let reply = send(
            client()
                .post(format!("{}/token/revocation", self.issuer()))
                .basic_auth("tollgate-app", Some("app-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("token", token)])),
        )
        .await;
        assert_eq!(reply.status, 200, "revocation: {}", reply.body);
    }

    /// How many requests the introspection endpoint has had.
    async fn introspections(&self) -> u64 {
        let reply = send(client().get(format!("{}/__introspections", self.issuer()))).await;
        reply.json()["introspections"]
            .as_u64()
            .expect("introspections")
    }

    /// A provider for the `api` resource, found by discovery, as the resource server
    /// `tollgate-rs`.
    async fn provider(&self, ttl: Duration) -> Introspection {
        self.builder(ttl)
            .build()
            .await
            .expect("introspection provider")
    }

    /// As [`provider`](Self::provider), its cache running on `clock`.
    async fn provider_on(&self, ttl: Duration, clock: &ManualClock) -> Introspection {
        self.builder(ttl)
            .clock(clock.clone())
            .build()
            .await
            .expect("introspection provider")
    }

    fn builder(&self, ttl: Duration) -> tollgate::introspection::IntrospectionBuilder {
        Introspection::builder(self.issuer())
            .client("tollgate-rs", "rs-secret")
            .audience(API)
            .cache_ttl(ttl)
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn failure(outcome: Result<Principal, AuthError>) -> (AuthErrorKind, Reason) {
    let error = outcome.expect_err("refused");
    (error.kind(), error.reason())
}

const UNAVAILABLE: (AuthErrorKind, Reason) =
    (AuthErrorKind::Unavailable, Reason::IntrospectionUnavailable);

#[tokio::test]
async fn introspection_of_real_opaque_tokens_scopes_audience_expiry_and_one_call_per_token() {
    let Some(server) = As::start(
        "introspection_of_real_opaque_tokens_scopes_audience_expiry_and_one_call_per_token",
    ) else {
        return;
    };
    let provider = server.provider(Duration::from_secs(60)).await;
    assert_eq!(
        provider.endpoint(),
        format!("{}/token/introspection", server.issuer()),
        "found by discovery"
    );
    let http = serve(app(AuthLayer::new(provider.clone()))).await;

    let token = server.token(API, "read admin").await;
    let me = get_me(&http, &token).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let principal = me.json();
    assert_eq!(
        principal["subject"], "tollgate-app",
        "client_id stands in for sub"
    );
    assert_eq!(principal["issuer"], server.issuer());
    assert_eq!(principal["provider"], "introspection");
    assert_eq!(principal["scopes"], serde_json::json!(["read", "admin"]));
    assert_eq!(principal["claims"]["client_id"], "tollgate-app");
    assert_eq!(principal["claims"]["aud"], API);
    assert!(principal["expires_at"].is_u64(), "{principal}");
    assert_eq!(server.introspections().await, 1);

    // A repeat is answered from the cache, without a future.
    for _ in 0..3 {
        assert_eq!(get_me(&http, &token).await.status, 200);
    }
    let credential = Credential::bearer(token.as_str());
    assert!(matches!(
        provider.try_authenticate(&credential),
        Some(Ok(_))
    ));
    assert_eq!(server.introspections().await, 1, "one call per token");

    // Issued for another service: active at the issuer, refused here.
    let other = server.token(OTHER, "read").await;
    let refused = get_me(&http, &other).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    assert_eq!(
        failure(provider.verify(&other).await),
        (AuthErrorKind::InvalidToken, Reason::WrongAudience)
    );

    // Unknown to the issuer: inactive, and that answer is kept briefly.
    let before = server.introspections().await;
    for _ in 0..3 {
        assert_eq!(
            failure(provider.verify("not-a-token-the-issuer-knows").await),
            (AuthErrorKind::InvalidToken, Reason::Inactive)
        );
    }
    assert_eq!(
        server.introspections().await,
        before + 1,
        "negative answers are kept"
    );

    // A 2 s token: accepted, then (its cached answer ending at its `exp`) inactive.
    // The provider first (discovery takes a round trip), so the token is checked well inside
    // its 2 s.
    let short_provider = Introspection::builder(server.issuer())
        .client("tollgate-rs", "rs-secret")
        .audience(SHORT)
        .build()
        .await
        .expect("provider");
    let short = server.token(SHORT, "read").await;
    assert!(short_provider.verify(&short).await.is_ok());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        failure(short_provider.verify(&short).await),
        (AuthErrorKind::InvalidToken, Reason::Inactive),
        "expired at the issuer, and not cached past `exp`"
    );

    // client_secret_post works the same.
    let post = Introspection::builder(server.issuer())
        .client("tollgate-rs-post", "rs-secret")
        .client_auth_method(ClientAuthMethod::ClientSecretPost)
        .audience(API)
        .build()
        .await
        .expect("provider");
    let principal = post.verify(&token).await.expect("client_secret_post");
    assert!(principal.has_scope("admin"));
}

#[tokio::test]
async fn introspection_revoked_tokens_work_until_the_revocation_budget_runs_out() {
    let Some(server) =
        As::start("introspection_revoked_tokens_work_until_the_revocation_budget_runs_out")
    else {
        return;
    };
    // The budget runs on a manual clock, so a slow machine cannot spend it before the second
    // look; the token's own `exp` (an hour away) is read on the same clock.
    let clock = ManualClock::new();
    let provider = server.provider_on(Duration::from_secs(1), &clock).await;
    let token = server.token(API, "read").await;
    assert!(provider.verify(&token).await.is_ok());
    server.revoke(&token).await;
    assert!(
        provider.verify(&token).await.is_ok(),
        "within the 1 s budget the cached answer stands"
    );
    assert_eq!(server.introspections().await, 1);
    clock.advance(Duration::from_millis(2500));
    assert_eq!(
        failure(provider.verify(&token).await),
        (AuthErrorKind::InvalidToken, Reason::Inactive)
    );
    assert_eq!(server.introspections().await, 2);
}

#[tokio::test]
async fn introspection_with_wrong_client_credentials_is_503_not_401() {
    let Some(server) = As::start("introspection_with_wrong_client_credentials_is_503_not_401")
    else {
        return;
    };
    let provider = Introspection::builder(server.issuer())
        .client("tollgate-rs", "wrong-secret")
        .audience(API)
        .build()
        .await
        .expect("provider");
    let token = server.token(API, "read").await;
    let http = serve(app(AuthLayer::new(provider.clone()))).await;
    let reply = get_me(&http, &token).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.retry_after.as_deref(), Some("2"));
    assert!(!reply.body.contains("wrong-secret"));
    assert_eq!(failure(provider.verify(&token).await), UNAVAILABLE);
    assert_eq!(server.introspections().await, 2, "a 503 is never cached");
}

#[tokio::test]
async fn introspection_endpoint_down_is_503_and_cached_tokens_last_their_budget() {
    let Some(mut server) =
        As::start("introspection_endpoint_down_is_503_and_cached_tokens_last_their_budget")
    else {
        return;
    };
    // The budget on a manual clock: a slow machine cannot spend it while the server stops.
    let clock = ManualClock::new();
    let provider = server.provider_on(Duration::from_secs(2), &clock).await;
    let (seen, unseen) = (
        server.token(API, "read").await,
        server.token(API, "read").await,
    );
    assert!(provider.verify(&seen).await.is_ok());
    server.0.stop();
    assert!(
        provider.verify(&seen).await.is_ok(),
        "a cached answer works while the endpoint is down"
    );
    assert_eq!(failure(provider.verify(&unseen).await), UNAVAILABLE);
    clock.advance(Duration::from_millis(3500));
    assert_eq!(failure(provider.verify(&seen).await), UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_concurrent_first_uses_of_a_token_share_one_call() {
    let Some(server) = As::start("introspection_concurrent_first_uses_of_a_token_share_one_call")
    else {
        return;
    };
    let provider = server.provider(Duration::from_secs(60)).await;
    let token = server.token(API, "read").await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (provider, token) = (provider.clone(), token.clone());
            tokio::spawn(async move { provider.verify(&token).await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("task"));
    }
    assert_eq!(server.introspections().await, 1);
}

/// A provider whose endpoint is `endpoint`'s scripted answer.
async fn scripted(endpoint: &JwksServer) -> Introspection {
    Introspection::builder("http://127.0.0.1")
        .endpoint(&endpoint.url)
        .client("rs", "secret")
        .audience("api")
        .timeout(Duration::from_millis(500))
        .build()
        .await
        .expect("provider")
}

#[tokio::test]
async fn introspection_answers_that_are_no_answer_are_503_and_never_cached() {
    let active = r#"{"active":true,"aud":"api","sub":"alice"}"#.to_owned();
    let endpoint = JwksServer::start(200, active.clone()).await;
    let provider = scripted(&endpoint).await;
    let cases = [
        (500, active.clone()),
        (502, String::new()),
        (401, r#"{"error":"invalid_client"}"#.into()),
        (403, String::new()),
        (302, String::new()),
        (400, r#"{"error":"invalid_request"}"#.into()),
        (200, "<html>ok</html>".into()),
        (200, r#"{"active":true,"aud":"api","active":false}"#.into()),
        (200, r#"[{"active":true}]"#.into()),
        (
            200,
            format!(
                r#"{{"active":true,"aud":"api","pad":"{}"}}"#,
                "x".repeat(70_000)
            ),
        ),
    ];
    for (n, (status, body)) in cases.into_iter().enumerate() {
        endpoint.set(status, body);
        let token = format!("token-{n}");
        assert_eq!(
            failure(provider.verify(&token).await),
            UNAVAILABLE,
            "{status}"
        );
        assert_eq!(
            provider.try_authenticate(&Credential::bearer(token.as_str())),
            None,
            "not cached"
        );
    }
    endpoint.set(200, active);
    endpoint.set_delay(Duration::from_secs(2));
    assert_eq!(
        failure(provider.verify("slow").await),
        UNAVAILABLE,
        "timeout"
    );
    endpoint.set_delay(Duration::ZERO);
    let principal = provider.verify("fine").await.expect("active");
    assert_eq!(principal.subject(), Some("alice"));
    assert_eq!(
        failure(provider.verify(&"x".repeat(5000)).await),
        (AuthErrorKind::InvalidToken, Reason::TooLarge),
        "refused without a call"
    );
    assert_eq!(
        failure(provider.verify("").await),
        (AuthErrorKind::InvalidToken, Reason::Malformed)
    );
}

#[tokio::test]
async fn introspection_behind_providers_takes_opaque_tokens_only() {
    let endpoint = JwksServer::start(
        200,
        r#"{"active":true,"aud":"api","sub":"opaque-user"}"#.into(),
    )
    .await;
    let introspection = scripted(&endpoint).await;
    let issuer = tollgate::dev::DevIssuer::start().await.expect("issuer");
    let jwt = issuer.provider().build().await.expect("jwt provider");
    let outsider = tollgate::dev::DevIssuer::start().await.expect("issuer");
    let providers = Providers::builder()
        .jwt(jwt)
        .introspection(introspection)
        .build()
        .expect("providers");

    let opaque = providers
        .authenticate(Credential::bearer("2YotnFZFEjr1zCsicMWpAA"))
        .await
        .expect("opaque token introspected");
    assert_eq!(opaque.subject(), Some("opaque-user"));
    assert_eq!(opaque.provider(), "introspection");
    let hits = endpoint.hits();

    let token = issuer.token().sign();
    let verified = providers
        .authenticate(Credential::bearer(token.as_str()))
        .await
        .expect("a JWT goes to its issuer's provider");
    assert_ne!(verified.provider(), "introspection");
    let unknown = outsider.token().sign();
    assert_eq!(
        failure(
            providers
                .authenticate(Credential::bearer(unknown.as_str()))
                .await
        ),
        (AuthErrorKind::InvalidToken, Reason::UnknownIssuer),
        "a JWT of no configured issuer is not introspected"
    );
    assert_eq!(endpoint.hits(), hits, "no introspection for JWTs");
    // An API key sent as a bearer token is never forwarded to the introspection endpoint.
    let key = tollgate::ApiKeys::generate().expect("a key");
    for token in [key.secret(), "tgk_legacy-key-sent-as-bearer"] {
        assert_eq!(
            failure(providers.authenticate(Credential::bearer(token)).await),
            (AuthErrorKind::InvalidToken, Reason::UnsupportedCredential),
        );
    }
    assert_eq!(endpoint.hits(), hits, "no introspection for API keys");

    let two = Providers::builder()
        .introspection(scripted(&endpoint).await)
        .introspection(scripted(&endpoint).await)
        .build()
        .err()
        .map(|e| e.to_string());
    assert!(two.is_some_and(|e| e.contains("more than one introspection provider")));
}

// Multi-threaded: the test thread blocks reading the child's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_server_example_against_oidc_provider() {
    let Some(server) = As::start("introspection_server_example_against_oidc_provider") else {
        return;
    };
    let env = [
        ("TOLLGATE_ISSUER", server.issuer()),
        ("TOLLGATE_CLIENT_ID", "tollgate-rs"),
        ("TOLLGATE_CLIENT_SECRET", "rs-secret"),
        ("TOLLGATE_AUDIENCE", API),
        ("TOLLGATE_INTROSPECTION_TTL", "30"),
        ("METRICS_ADDR", "127.0.0.1:0"),
    ];
    let (_running, lines) = start("introspection_server", &env, |lines| {
        lines
            .iter()
            .any(|l| l.contains("introspection_server listening"))
    });
    let listening: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("introspection_server listening"))
        .cloned()
        .collect();
    assert!(listening[0].contains("/token/introspection"), "{lines:?}");
    let base = base_url(&listening);
    let metrics_url = lines
        .iter()
        .find_map(|l| l.strip_prefix("metrics on "))
        .unwrap_or_else(|| panic!("no metrics line in {lines:?}"))
        .to_owned();
    let (reader, admin) = (
        server.token(API, "read").await,
        server.token(API, "read admin").await,
    );
    let c = client();
    let get = |path: &str, token: &str| c.get(format!("{base}{path}")).bearer_auth(token);
    let me = send(get("/me", &reader)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["claims"]["client_id"], "tollgate-app");
    assert_eq!(send(get("/admin", &reader)).await.status, 403);
    assert_eq!(send(get("/admin", &admin)).await.status, 200);
    assert_eq!(send(get("/me", "nonsense")).await.status, 401);
    assert_eq!(send(c.get(format!("{base}/me"))).await.status, 401);

    // The introspection counters, with the `metrics` feature: `reader` was introspected once
    // (active) and then answered from the cache once; `admin` once; `nonsense` once
    // (inactive). Each request that had to ask is one miss.
    let scrape = send(c.get(&metrics_url)).await;
    assert_eq!(scrape.status, 200);
    if cfg!(feature = "metrics") {
        let line = |name: &str, value: u64| {
            assert!(
                scrape.body.lines().any(|l| l == format!("{name} {value}")),
                "{name} {value} not in:\n{}",
                scrape.body
            );
        };
        line(
            r#"tollgate_introspection_requests_total{provider="introspection",outcome="active"}"#,
            2,
        );
        line(
            r#"tollgate_introspection_requests_total{provider="introspection",outcome="inactive"}"#,
            1,
        );
        line(
            r#"tollgate_introspection_cache_hits_total{provider="introspection"}"#,
            1,
        );
        line(
            r#"tollgate_introspection_cache_misses_total{provider="introspection"}"#,
            3,
        );
        for token in [&reader, &admin] {
            assert!(
                !scrape.body.contains(token.as_str()),
                "a token in the scrape"
            );
        }
    }
}

#[test]
fn introspection_server_example_names_the_bad_variable() {
    let output = std::process::Command::new(crate::examples::example("introspection_server"))
        .env("TOLLGATE_ISSUER", "http://127.0.0.1:9")
        .env("TOLLGATE_CLIENT_ID", "rs")
        .env_remove("TOLLGATE_CLIENT_SECRET")
        .env("ADDR", "127.0.0.1:0")
        .output()
        .expect("run the example (cargo build --example introspection_server)");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TOLLGATE_CLIENT_SECRET"), "{stderr}");
    let output = std::process::Command::new(crate::examples::example("introspection_server"))
        .env("TOLLGATE_ISSUER", "http://127.0.0.1:9")
        .env("TOLLGATE_CLIENT_ID", "rs")
        .env("TOLLGATE_CLIENT_SECRET", "s")
        .env("TOLLGATE_AUDIENCE", "api")
        .env("TOLLGATE_INTROSPECTION_TTL", "soon")
        .env("ADDR", "127.0.0.1:0")
        .output()
        .expect("run the example");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TOLLGATE_INTROSPECTION_TTL"), "{stderr}");
}

#[tokio::test]
async fn introspection_discovery_checks_the_issuer_and_needs_an_endpoint() {
    let server = JwksServer::start(200, String::new()).await;
    let issuer = server.url.trim_end_matches("/jwks").to_owned();
    let build = || {
        Introspection::builder(issuer.as_str())
            .client("rs", "secret")
            .audience("api")
            .build()
    };
    server.set(
        200,
        format!(r#"{{"issuer":"{issuer}","introspection_endpoint":"{issuer}/introspect"}}"#),
    );
    let found = build().await.expect("discovered");
    assert_eq!(found.endpoint(), format!("{issuer}/introspect"));

    let cases = [
        (
            r#"{"issuer":"https://elsewhere.example","introspection_endpoint":"https://elsewhere.example/i"}"#.to_owned(),
            "names issuer",
        ),
        (format!(r#"{{"issuer":"{issuer}"}}"#), "no `introspection_endpoint`"),
        (
            format!(r#"{{"issuer":"{issuer}","introspection_endpoint":"http://idp.example/i"}}"#),
            "loopback addresses only",
        ),
    ];
    for (document, expected) in cases {
        server.set(200, document);
        let error = build().await.err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains(expected)),
            "{expected}: {error:?}"
        );
    }
    server.set(404, String::new());
    let error = build().await.err().map(|e| e.to_string());
    assert!(
        error.is_some_and(|e| e.contains("/.well-known/openid-configuration")),
        "names the document it tried first"
    );
}
