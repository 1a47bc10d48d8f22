//! The issuer's HTTP surface against tollgate's own verifier: the password and
//! client-credentials grants, refresh rotation and reuse detection, revocation, the sign-in
//! backoff, the admin user API behind the layer, and OAuth error answers; on a real SQLite file.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::{json, Value};
use tollgate::clock::ManualClock;
use tollgate::issuer::{Backoff, Clients, Issuer, IssuerStore, SealingKey, SqliteStore};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal};

use crate::support::*;

const AUDIENCE: &str = "roll-your-own-api";
const MACHINE_SECRET: &str = "machine-secret-machine-secret-machine-secret";

struct Fixture {
    base: String,
    issuer: Issuer,
    provider: JwtProvider,
    clock: ManualClock,
    _dir: TempDir,
    _server: tokio::task::JoinHandle<()>,
}

/// A temporary folder, deleted on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tollgate-issuer-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start(name: &str) -> Fixture {
    let dir = TempDir::new(name);
    let store: Arc<dyn IssuerStore> =
        Arc::new(SqliteStore::open(dir.0.join("issuer.db")).expect("sqlite"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let clock = ManualClock::new();
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let issuer = Issuer::builder(&base, AUDIENCE)
        .clients(
            Clients::new()
                .public("cli")
                .expect("cli")
                .confidential("reports", MACHINE_SECRET, ["reports:read"])
                .expect("reports"),
        )
        .backoff(Backoff::default())
        .clock(clock.clone())
        .build(store, sealing)
        .await
        .expect("issuer");
    // The verifier: tollgate's ordinary provider, reading the issuer's JWKS over HTTP, on the
    // same clock.
    let provider = JwtProvider::builder(&base)
        .audience(AUDIENCE)
        .jwks_url(format!("{base}/.well-known/jwks.json"))
        .require_at_jwt()
        .lazy_keys()
        .clock(clock.clone())
        .build()
        .await
        .expect("provider");
    let auth = AuthLayer::new(provider.clone());
    let app = Router::new()
        .route(
            "/me",
            axum::routing::get(|p: Principal| async move { axum::Json(p) }),
        )
        .route_layer(auth.clone())
        .merge(tollgate::issuer::admin_router(issuer.clone(), auth))
        .merge(tollgate::issuer::router(issuer.clone()));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let fixture = Fixture {
        base,
        issuer,
        provider,
        clock,
        _dir: dir,
        _server: server,
    };
    fixture
        .issuer
        .bootstrap_admin("admin", Some("admin-password-1"))
        .await
        .expect("admin");
    fixture
}

impl Fixture {
    async fn token(&self, form: &[(&str, &str)]) -> Reply {
        send(
            client()
                .post(format!("{}/oauth/token", self.base))
                .form(form),
        )
        .await
    }

    async fn sign_in(&self, username: &str, password: &str) -> Reply {
        self.token(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("username", username),
            ("password", password),
        ])
        .await
    }

    async fn access(&self, username: &str, password: &str) -> String {
        let reply = self.sign_in(username, password).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = client()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }
}

#[tokio::test]
async fn a_user_signs_in_and_the_verifier_trusts_the_token() {
    let f = start("signin").await;
    let admin = f.access("admin", "admin-password-1").await;
    let created = f
        .admin(
            reqwest::Method::POST,
            "/admin/users",
            &admin,
            Some(json!({"username": "alice", "password": "correct horse battery", "scopes": ["read", "write"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let alice_id = created.json()["id"].as_str().expect("id").to_owned();
    assert!(created.json().get("password_hash").is_none());

    let raw = client()
        .post(format!("{}/oauth/token", f.base))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(
        raw.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let reply = f.sign_in("alice", "correct horse battery").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "read write");
    assert!(body["refresh_token"]
        .as_str()
        .expect("refresh")
        .starts_with("tgr_"));
    let token = body["access_token"].as_str().expect("access");
    let principal = f
        .provider
        .verify(token)
        .await
        .expect("the verifier accepts it");
    assert_eq!(principal.subject(), Some(alice_id.as_str()));
    assert!(principal.has_scope("read") && principal.has_scope("write"));
    assert_eq!(principal.claim("client_id"), Some(&json!("cli")));
    assert!(principal.claim("jti").and_then(Value::as_str).is_some());
    assert_eq!(principal.issuer(), Some(f.base.as_str()));

    // A narrower scope on request; a scope the user lacks is invalid_scope.
    let narrow = f
        .token(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("scope", "read"),
        ])
        .await;
    assert_eq!(narrow.json()["scope"], "read");
    let wider = f
        .token(&[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("scope", "admin"),
        ])
        .await;
    assert_eq!(
        (wider.status, wider.json()["error"].clone()),
        (400, json!("invalid_scope"))
    );

    // `/me` through the ordinary layer.
    let me = send(client().get(format!("{}/me", f.base)).bearer_auth(token)).await;
    assert_eq!(me.status, 200, "{}", me.body);

    // The token expires with the clock; the verifier then refuses it.
    f.clock.advance(Duration::from_secs(601 + 60));
    assert!(f.provider.verify(token).await.is_err());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_look_alike_and_guessing_is_slowed() {
    let f = start("backoff").await;
    let wrong = f.sign_in("admin", "not-the-password").await;
    let unknown = f.sign_in("nobody", "not-the-password").await;
    assert_eq!((wrong.status, unknown.status), (400, 400));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert!(!wrong.body.contains("admin"), "{}", wrong.body);

    // Five more failures (six in all; five are free), then the username must wait, even with
    // the right password, which is not even checked.
    for _ in 0..5 {
        assert_eq!(f.sign_in("admin", "guess").await.status, 400);
    }
    let locked = f.sign_in("admin", "admin-password-1").await;
    assert_eq!(locked.status, 400, "{}", locked.body);
    assert!(locked.retry_after.is_some(), "{locked:?}");
    // An unknown username is counted the same way, so the backoff reveals nothing.
    for _ in 0..5 {
        f.sign_in("nobody", "guess").await;
    }
    assert!(f.sign_in("nobody", "guess").await.retry_after.is_some());

    // After the wait, the right password works and clears the count.
    f.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(f.sign_in("admin", "admin-password-1").await.status, 200);
    assert_eq!(f.sign_in("admin", "wrong").await.retry_after, None);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family() {
    let f = start("refresh").await;
    let first = f.sign_in("admin", "admin-password-1").await.json();
    let r1 = first["refresh_token"].as_str().expect("r1").to_owned();
    let refresh = |token: String| {
        let f = &f;
        async move {
            f.token(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cli"),
                ("refresh_token", &token),
            ])
            .await
        }
    };
    let second = refresh(r1.clone()).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let r2 = second.json()["refresh_token"]
        .as_str()
        .expect("r2")
        .to_owned();
    assert_ne!(r1, r2);
    assert!(f
        .provider
        .verify(second.json()["access_token"].as_str().expect("access"))
        .await
        .is_ok());

    // r1 again: reuse. Refused, and r2 (same family) dies with it.
    let reused = refresh(r1).await;
    assert_eq!(
        (reused.status, reused.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    let after = refresh(r2).await;
    assert_eq!(after.status, 400, "{}", after.body);

    // Revocation (RFC 7009): 200, and the token no longer refreshes.
    let r3 = f.sign_in("admin", "admin-password-1").await.json()["refresh_token"]
        .as_str()
        .expect("r3")
        .to_owned();
    let revoked = send(
        client()
            .post(format!("{}/oauth/revoke", f.base))
            .form(&[("token", r3.as_str()), ("client_id", "cli")]),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(refresh(r3).await.status, 400);
    // An unknown token is revoked "successfully" too (nothing to learn from the answer).
    let unknown = send(
        client()
            .post(format!("{}/oauth/revoke", f.base))
            .form(&[("token", "tgr_unknown"), ("client_id", "cli")]),
    )
    .await;
    assert_eq!(unknown.status, 200);
}

#[tokio::test]
async fn machines_use_client_credentials_and_errors_follow_rfc_6749() {
    let f = start("machines").await;
    let reply = send(
        client()
            .post(format!("{}/oauth/token", f.base))
            .basic_auth("reports", Some(MACHINE_SECRET))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert!(body.get("refresh_token").is_none());
    let principal = f
        .provider
        .verify(body["access_token"].as_str().expect("access"))
        .await
        .expect("verifies");
    assert_eq!(principal.subject(), Some("reports"));
    assert!(principal.has_scope("reports:read"));

    let wrong = send(
        client()
            .post(format!("{}/oauth/token", f.base))
            .basic_auth("reports", Some("wrong"))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.json()["error"].clone()),
        (401, json!("invalid_client"))
    );
    assert!(wrong.www_authenticate.is_some());
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form<'_>, u16, &str); 5] = [
        (
            &[
                ("grant_type", "password"),
                ("client_id", "cli"),
                ("client_id", "cli"),
            ],
            400,
            "invalid_request",
        ),
        (
            &[("grant_type", "authorization_code"), ("client_id", "cli")],
            400,
            "unsupported_grant_type",
        ),
        (
            &[("grant_type", "client_credentials"), ("client_id", "cli")],
            400,
            "unauthorized_client",
        ),
        (
            &[("grant_type", "password"), ("client_id", "cli")],
            400,
            "invalid_request",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", "other"),
                ("username", "a"),
                ("password", "b"),
            ],
            401,
            "invalid_client",
        ),
    ];
    // Over-long credentials are refused before any hashing or store write.
    let long_name = "u".repeat(129);
    let long_password = "p".repeat(1025);
    for (username, password) in [(long_name.as_str(), "x"), ("admin", long_password.as_str())] {
        let reply = f.sign_in(username, password).await;
        assert_eq!(
            (reply.status, reply.json()["error"].clone()),
            (400, json!("invalid_request"))
        );
    }
    // Not a form at all: still an RFC 6749 answer, not the framework's.
    let json_body = send(
        client()
            .post(format!("{}/oauth/token", f.base))
            .json(&json!({"grant_type": "password"})),
    )
    .await;
    assert_eq!(
        (json_body.status, json_body.json()["error"].clone()),
        (400, json!("invalid_request")),
        "{}",
        json_body.body
    );
    for (form, status, error) in cases {
        let reply = f.token(form).await;
        assert_eq!(
            (reply.status, reply.json()["error"].clone()),
            (status, json!(error)),
            "{form:?}"
        );
    }
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_scope_and_manages_users() {
    let f = start("admin").await;
    let admin = f.access("admin", "admin-password-1").await;
    let none = send(client().get(format!("{}/admin/users", f.base))).await;
    assert_eq!(none.status, 401);
    let create = |body: Value| f.admin(reqwest::Method::POST, "/admin/users", &admin, Some(body));
    let bob =
        create(json!({"username": "bob", "password": "bobs password", "scopes": ["read"]})).await;
    assert_eq!(bob.status, 201, "{}", bob.body);
    let bob_id = bob.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        create(json!({"username": "bob", "password": "another one"}))
            .await
            .status,
        409
    );
    assert_eq!(
        create(json!({"username": "carol", "password": "short"}))
            .await
            .status,
        400
    );
    assert_eq!(
        create(json!({"username": "carol", "password": "long enough", "extra": 1}))
            .await
            .status,
        422
    );

    let bob_token = f.access("bob", "bobs password").await;
    let forbidden = f
        .admin(reqwest::Method::GET, "/admin/users", &bob_token, None)
        .await;
    assert_eq!(forbidden.status, 403);

    let list = f
        .admin(reqwest::Method::GET, "/admin/users", &admin, None)
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json().as_array().map(Vec::len), Some(2));
    assert!(!list.body.contains("argon2"), "{}", list.body);

    // Disabling bob: no sign-in, and his refresh token stops working.
    let refresh = f.sign_in("bob", "bobs password").await.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let path = format!("/admin/users/{bob_id}");
    let patched = f
        .admin(
            reqwest::Method::PATCH,
            &path,
            &admin,
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(
        (patched.status, patched.json()["disabled"].clone()),
        (200, json!(true))
    );
    assert_eq!(f.sign_in("bob", "bobs password").await.status, 400);
    let refreshed = f
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", "cli"),
            ("refresh_token", &refresh),
        ])
        .await;
    assert_eq!(refreshed.status, 400);

    assert_eq!(
        f.admin(reqwest::Method::DELETE, &path, &admin, None)
            .await
            .status,
        204
    );
    assert_eq!(
        f.admin(reqwest::Method::GET, &path, &admin, None)
            .await
            .status,
        404
    );
    assert_eq!(
        f.admin(reqwest::Method::DELETE, &path, &admin, None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_starting_on_an_empty_store_create_one_administrator() {
    let store: Arc<dyn IssuerStore> = Arc::new(tollgate::issuer::MemoryIssuerStore::new());
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let build = || {
        Issuer::builder("http://127.0.0.1:1", AUDIENCE).build(Arc::clone(&store), sealing.clone())
    };
    let (a, b) = (build().await.expect("a"), build().await.expect("b"));
    let (first, second) = tokio::join!(
        a.bootstrap_admin("admin", Some("admin-password-1")),
        b.bootstrap_admin("admin", Some("admin-password-1"))
    );
    let created = [first.expect("a"), second.expect("b")];
    assert_eq!(
        created.iter().filter(|c| c.is_some()).count(),
        1,
        "{created:?}"
    );
    assert_eq!(a.users().await.expect("users").len(), 1);
}

#[tokio::test]
async fn impossible_lifetimes_fail_at_build() {
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    for (access, refresh) in [
        (Duration::ZERO, Duration::from_secs(60)),
        (Duration::from_secs(60), Duration::MAX),
        (Duration::MAX, Duration::from_secs(60)),
    ] {
        let built = Issuer::builder("http://127.0.0.1:1", AUDIENCE)
            .access_token_lifetime(access)
            .refresh_token_lifetime(refresh)
            .build(
                Arc::new(tollgate::issuer::MemoryIssuerStore::new()),
                sealing.clone(),
            )
            .await;
        assert!(built.is_err(), "{access:?} {refresh:?}");
    }
    let http = Issuer::builder("http://auth.example.com", AUDIENCE)
        .build(
            Arc::new(tollgate::issuer::MemoryIssuerStore::new()),
            sealing,
        )
        .await;
    assert!(http.unwrap_err().to_string().contains("https"));
}
