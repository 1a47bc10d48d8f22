//! Guards through a real axum server: `GuardLayer` with `route_layer`, the `Authorized<G>`
//! extractor, anonymous requests, a missing `AuthLayer`, and the layer's responder reused.

use std::sync::{Arc, Mutex};

use axum::{routing::get, Json, Router};
use bytes::Bytes;
use serde_json::json;
use tollgate::dev::DevIssuer;
use tollgate::guard::{
    any_of, claim_contains, claim_equals, group, not, role, scope, scopes, Denied, Guard,
    GuardLayer,
};
use tollgate::{
    rejection::{default_response, RejectionContext},
    AuthError, AuthLayer, Authorized, Principal,
};
use tower::ServiceExt;

use crate::support::*;

const ADMIN_SCOPE: &str = "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"The access token lacks a required scope\", scope=\"admin write\"";

/// `/admin` needs scopes `admin` and `write`, `/ops` group `ops` or role `operator`, `/eu` a
/// `region` claim of `eu` and `amr` containing `mfa` and no `suspended` group, `/me` nothing.
fn guarded_app(auth: AuthLayer) -> Router {
    let admin = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(scopes(["admin", "write"])));
    let ops = Router::new()
        .route("/ops", get(|| async { "ops" }))
        .route_layer(GuardLayer::new(any_of((group("ops"), role("operator")))));
    let eu = Router::new()
        .route("/eu", get(|| async { "eu" }))
        .route_layer(GuardLayer::new(tollgate::guard::all_of((
            claim_equals("region", "eu"),
            claim_contains("amr", "mfa"),
            not(group("suspended")),
        ))));
    Router::new()
        .merge(admin)
        .merge(ops)
        .merge(eu)
        .route("/me", get(|p: Principal| async move { Json(p) }))
        .route_layer(auth)
        .route("/open", get(|| async { "open" }))
}

async fn issuer_and_auth() -> (DevIssuer, AuthLayer) {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer
        .provider()
        .group_claims(["cognito:groups"])
        .role_claims(["roles"])
        .build()
        .await
        .expect("provider");
    (issuer, AuthLayer::new(provider))
}

async fn get_with(server: &Server, path: &str, token: Option<&str>) -> Reply {
    let request = client().get(format!("{}{path}", server.base));
    send(match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    })
    .await
}

#[tokio::test]
async fn scope_guards_answer_403_insufficient_scope_naming_the_required_scopes() {
    let (issuer, auth) = issuer_and_auth().await;
    let server = serve(guarded_app(auth)).await;

    let both = issuer.token().scope("admin").scope("write").sign();
    let reply = get_with(&server, "/admin", Some(&both)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "admin"));

    let only_admin = issuer.token().scope("admin").sign();
    let reply = get_with(&server, "/admin", Some(&only_admin)).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.www_authenticate.as_deref(), Some(ADMIN_SCOPE));
    assert_eq!(reply.json()["error"], "insufficient_scope");

    // Authentication still comes first: a bad token is 401, not 403.
    let reply = get_with(&server, "/admin", Some("not.a.token")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    let reply = get_with(&server, "/admin", None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
}

#[tokio::test]
async fn other_guards_answer_a_plain_403_without_a_challenge() {
    let (issuer, auth) = issuer_and_auth().await;
    let server = serve(guarded_app(auth)).await;

    let cases = [
        (
            "group from the provider's claim",
            issuer
                .token()
                .claim("cognito:groups", json!(["ops"]))
                .sign(),
            "/ops",
            200,
        ),
        (
            "role",
            issuer.token().claim("roles", json!(["operator"])).sign(),
            "/ops",
            200,
        ),
        (
            "neither",
            issuer.token().claim("groups", json!(["ops"])).sign(),
            "/ops",
            403,
        ),
        (
            "claims fit",
            issuer
                .token()
                .claim("region", "eu")
                .claim("amr", json!(["pwd", "mfa"]))
                .sign(),
            "/eu",
            200,
        ),
        (
            "wrong region",
            issuer
                .token()
                .claim("region", "us")
                .claim("amr", json!(["mfa"]))
                .sign(),
            "/eu",
            403,
        ),
        (
            "no mfa",
            issuer
                .token()
                .claim("region", "eu")
                .claim("amr", json!(["pwd"]))
                .sign(),
            "/eu",
            403,
        ),
        (
            "suspended",
            issuer
                .token()
                .claim("region", "eu")
                .claim("amr", json!(["mfa"]))
                .claim("cognito:groups", json!(["suspended"]))
                .sign(),
            "/eu",
            403,
        ),
    ];
    for (name, token, path, status) in cases {
        let reply = get_with(&server, path, Some(&token)).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.body);
        if status == 403 {
            assert_eq!(reply.www_authenticate, None, "{name}");
            assert_eq!(reply.json()["error"], "forbidden", "{name}");
        }
    }
}

#[tokio::test]
async fn unknown_paths_stay_404_with_guards_on_route_layer() {
    let (issuer, auth) = issuer_and_auth().await;
    let server = serve(guarded_app(auth)).await;
    let user = issuer.token().sign();
    for token in [None, Some(user.as_str()), Some("garbage")] {
        let reply = get_with(&server, "/admin/nowhere", token).await;
        assert_eq!(reply.status, 404, "{token:?}");
    }
    assert_eq!(get_with(&server, "/open", None).await.status, 200);
}

#[tokio::test]
async fn an_anonymous_request_through_an_optional_layer_gets_401_at_the_guard() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let auth = AuthLayer::builder(provider)
        .optional()
        .build()
        .expect("layer");
    let app = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(scope("admin")))
        .route(
            "/maybe",
            get(|p: Option<Principal>| async move { format!("{}", p.is_some()) }),
        )
        .route_layer(auth);
    let server = serve(app).await;

    let reply = get_with(&server, "/admin", None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
    assert_eq!(get_with(&server, "/maybe", None).await.body, "false");
    let admin = issuer.token().scope("admin").sign();
    assert_eq!(get_with(&server, "/admin", Some(&admin)).await.status, 200);
    assert_eq!(
        get_with(&server, "/admin", Some(&issuer.token().sign()))
            .await
            .status,
        403
    );
}

/// Collects what a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_guard_without_an_auth_layer_is_a_loud_500_never_an_allow() {
    let server = serve(
        Router::new()
            .route("/admin", get(|| async { "reached the handler" }))
            .route_layer(GuardLayer::new(|_: &Principal| true)),
    )
    .await;
    let reply = get_with(&server, "/admin", Some("anything")).await;
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .body
            .contains("Perhaps you forgot to add tollgate::AuthLayer in front of the GuardLayer"),
        "{}",
        reply.body
    );

    // The same mistake is logged at error level, on the guard's target.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let service = tower::service_fn(|_: http::Request<String>| async {
        Ok::<_, std::convert::Infallible>(http::Response::new(String::from("reached")))
    });
    let guarded = tollgate::guard::GuardService::new(service, scope("admin"));
    let response = guarded
        .oneshot(http::Request::new(String::new()))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 500);
    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(
        log.contains("ERROR") && log.contains("tollgate::rejection") && log.contains("AuthLayer"),
        "{log}"
    );
}

#[tokio::test]
async fn guards_answer_with_the_auth_layers_realm_and_responder() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let auth = AuthLayer::builder(provider)
        .realm("orders")
        .error_responder(|error: &AuthError, cx: &RejectionContext<'_>| {
            let mut response = default_response(error, cx);
            response
                .headers_mut()
                .insert("x-realm", cx.realm().parse().expect("value"));
            *response.body_mut() = Bytes::from(format!("custom {}", error.status().as_u16()));
            response
        })
        .build()
        .expect("layer");
    let app = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(scope("admin")))
        .route_layer(auth);
    let server = serve(app).await;
    let response = client()
        .get(format!("{}/admin", server.base))
        .bearer_auth(issuer.token().sign())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["x-realm"], "orders");
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .starts_with("Bearer realm=\"orders\", error=\"insufficient_scope\""));
    assert_eq!(response.text().await.expect("body"), "custom 403");
}

/// A named rule for the extractor: scope `admin`, or group `operators`.
#[derive(Default)]
struct Admin;

impl Guard for Admin {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        any_of((scope("admin"), group("operators"))).check(principal)
    }
}

#[tokio::test]
async fn the_authorized_extractor_checks_a_guard_in_the_handler() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let handler = |admin: Authorized<Admin>| async move {
        format!("hello {}", admin.subject().unwrap_or("?"))
    };
    let guarded = Router::new().route("/purge", get(handler)).route_layer(
        AuthLayer::builder(provider)
            .optional()
            .build()
            .expect("layer"),
    );
    let server = serve(guarded).await;

    let admin = issuer.token().subject("root").scope("admin").sign();
    let reply = get_with(&server, "/purge", Some(&admin)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello root"));
    let operator = issuer
        .token()
        .subject("op")
        .claim("groups", json!(["operators"]))
        .sign();
    assert_eq!(
        get_with(&server, "/purge", Some(&operator)).await.status,
        200
    );

    // Neither alternative held, and one of them is not a scope: a plain 403.
    let reply = get_with(&server, "/purge", Some(&issuer.token().sign())).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.www_authenticate, None);
    let reply = get_with(&server, "/purge", None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));

    // Behind no AuthLayer: 500, not a pass.
    let bare = serve(Router::new().route("/purge", get(handler))).await;
    let reply = get_with(&bare, "/purge", Some(&admin)).await;
    assert_eq!(reply.status, 500);
    assert!(reply
        .body
        .contains("Perhaps you forgot to add tollgate::AuthLayer"));
}
