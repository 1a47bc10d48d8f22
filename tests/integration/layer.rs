//! The layer's modes and extension points, through real servers.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::{routing::get, Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use tollgate::dev::DevIssuer;
use tollgate::{
    credential::CredentialSource,
    rejection::{default_response, RejectionContext},
    Auth, AuthError, AuthLayer, Claims, Principal,
};
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::support::*;

#[derive(Clone, Debug, Deserialize)]
struct TenantClaims {
    sub: String,
    tenant: String,
}

#[tokio::test]
async fn optional_mode_admits_anonymous_requests_but_not_bad_tokens() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .optional()
        .build()
        .expect("layer");
    let app = Router::new()
        .route(
            "/hello",
            get(|p: Option<Principal>| async move {
                match p {
                    Some(p) => format!("hello {}", p.subject().unwrap_or("?")),
                    None => "hello stranger".to_owned(),
                }
            }),
        )
        .route("/strict", get(|p: Principal| async move { Json(p) }))
        .layer(layer);
    let server = serve(app).await;
    let c = client();
    let hello = format!("{}/hello", server.base);

    let reply = send(c.get(&hello)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello stranger"));
    let token = issuer.token().subject("ann").sign();
    let reply = send(c.get(&hello).bearer_auth(&token)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello ann"));
    let reply = send(c.get(&hello).bearer_auth("bad.token.here")).await;
    assert_eq!(
        reply.status, 401,
        "a bad token is rejected even when auth is optional"
    );
    // A handler that needs a principal answers 401 to an anonymous request.
    let reply = send(c.get(format!("{}/strict", server.base))).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
}

#[tokio::test]
async fn typed_claims_reach_the_handler() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .claims::<TenantClaims>()
        .build()
        .expect("layer");
    let app = Router::new()
        .route(
            "/tenant",
            get(|Claims(c): Claims<TenantClaims>| async move { c.tenant }),
        )
        .route(
            "/auth",
            get(|a: Auth<TenantClaims>| async move {
                format!(
                    "{}@{} via {}",
                    a.claims.sub,
                    a.claims.tenant,
                    a.principal.provider()
                )
            }),
        )
        .layer(layer);
    let server = serve(app).await;
    let c = client();

    let token = issuer.token().subject("ann").claim("tenant", "acme").sign();
    let reply = send(c.get(format!("{}/tenant", server.base)).bearer_auth(&token)).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "acme"));
    let reply = send(c.get(format!("{}/auth", server.base)).bearer_auth(&token)).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "ann@acme via jwt")
    );

    // Valid signature, but claims without `tenant`: the layer refuses it as invalid_token.
    let token = issuer.token().subject("ann").sign();
    let reply = send(c.get(format!("{}/tenant", server.base)).bearer_auth(&token)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
}

#[tokio::test]
async fn an_extractor_without_the_layer_is_a_loud_500() {
    let app = Router::new().route("/me", get(|p: Principal| async move { Json(p) }));
    let server = serve(app).await;
    let reply = send(
        client()
            .get(format!("{}/me", server.base))
            .bearer_auth("a.b.c"),
    )
    .await;
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .body
            .contains("Perhaps you forgot to add tollgate::AuthLayer"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_custom_responder_shapes_every_rejection() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .realm("orders")
        .error_responder(|error: &AuthError, cx: &RejectionContext<'_>| {
            let mut response = default_response(error, cx);
            let body = json!({"type": "about:blank", "status": error.status().as_u16(), "title": error.kind().description()});
            *response.body_mut() = Bytes::from(body.to_string());
            response.headers_mut().insert("content-type", "application/problem+json".parse().expect("value"));
            response.headers_mut().insert("x-auth-failure", "1".parse().expect("value"));
            response
        })
        .build()
        .expect("layer");
    let server = serve(app(layer)).await;
    let response = client()
        .get(format!("{}/me", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-auth-failure"], "1");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"orders\""
    );
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn tokens_from_a_cookie_or_a_custom_header() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .sources([
            CredentialSource::Cookie("session".into()),
            CredentialSource::Header(http::HeaderName::from_static("x-access-token")),
        ])
        .build()
        .expect("layer");
    let server = serve(app(layer)).await;
    let token = issuer.token().sign();
    let url = format!("{}/me", server.base);
    let c = client();
    assert_eq!(
        send(
            c.get(&url)
                .header("cookie", format!("theme=dark; session={token}"))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        send(c.get(&url).header("x-access-token", &token))
            .await
            .status,
        200
    );
    // The Authorization header is not a configured source here.
    assert_eq!(send(c.get(&url).bearer_auth(&token)).await.status, 401);
    // Two places at once is refused.
    let reply = send(
        c.get(&url)
            .header("x-access-token", &token)
            .header("cookie", format!("session={token}")),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_REQUEST));
}

#[tokio::test]
async fn query_tokens_only_when_enabled() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .sources([
            CredentialSource::AuthorizationBearer,
            CredentialSource::Query("access_token".into()),
        ])
        .build()
        .expect("layer");
    let server = serve(app(layer)).await;
    let token = issuer.token().sign();
    let reply = send(client().get(format!("{}/me?access_token={token}", server.base))).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn layer_configuration_mistakes_fail_at_build() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let msg = |r: Result<AuthLayer, tollgate::ConfigError>| {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    };
    assert!(
        msg(AuthLayer::builder(provider.clone()).sources([]).build())
            .contains("no credential source")
    );
    assert!(msg(AuthLayer::builder(provider.clone())
        .max_token_bytes(0)
        .build())
    .contains("max_token_bytes"));
    assert!(msg(AuthLayer::builder(provider).realm("a\"b").build()).contains("realm"));
}

/// An inner service that counts `poll_ready` calls and requests.
#[derive(Clone, Default)]
struct Counting {
    ready: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl Service<http::Request<String>> for Counting {
    type Response = http::Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.ready.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let who = request
            .extensions()
            .get::<Principal>()
            .and_then(|p| p.subject().map(str::to_owned));
        std::future::ready(Ok(http::Response::new(who.unwrap_or_default())))
    }
}

#[tokio::test]
async fn works_as_a_plain_tower_layer_without_axum() {
    use http_body::Body as _;
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let inner = Counting::default();
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(provider))
        .service(inner.clone());
    let call = |token: Option<String>| {
        let mut request = http::Request::get("/");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(String::new()).expect("request");
        let service = service.clone();
        async move { service.oneshot(request).await.expect("call") }
    };

    let response = call(Some(issuer.token().subject("zoe").sign())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().size_hint().exact(), Some(3));
    assert_eq!(
        inner.ready.load(Ordering::SeqCst),
        1,
        "poll_ready is delegated"
    );
    assert_eq!(inner.calls.load(Ordering::SeqCst), 1);

    let response = call(None).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        inner.calls.load(Ordering::SeqCst),
        1,
        "a rejected request never reaches the inner service"
    );

    // The slow path (unknown kid → fetch) hands the ready inner service to the future.
    issuer
        .rotate("new", tollgate::dev::DevKeyType::Ed25519)
        .expect("rotate");
    let response = call(Some(issuer.token().subject("eve").sign())).await;
    assert_eq!(response.status(), 200);
    assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn scopes_groups_and_roles_come_from_the_configured_claims() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let token = issuer
        .token()
        .scope("read write")
        .claim("groups", json!(["ignored"]))
        .claim("cognito:groups", json!(["admin", "ops"]))
        .claim("roles", json!(["viewer"]))
        .claim("permissions", json!(["orders:delete"]))
        .sign();

    let default = issuer.provider().build().await.expect("provider");
    let p = default.verify(&token).await.expect("valid");
    assert_eq!(p.scopes(), ["read", "write"]);
    assert_eq!(p.groups(), ["ignored"]);
    assert_eq!(p.roles(), ["viewer"]);

    let mapped = issuer
        .provider()
        .scope_claims(["scope", "permissions"])
        .group_claims(["cognito:groups"])
        .role_claims(Vec::<String>::new())
        .build()
        .await
        .expect("provider");
    let p = mapped.verify(&token).await.expect("valid");
    assert_eq!(p.scopes(), ["read", "write", "orders:delete"]);
    assert!(p.in_group("admin") && p.in_group("ops") && !p.in_group("ignored"));
    assert!(p.roles().is_empty() && !p.has_role("viewer"));
    let json = serde_json::to_value(&p).expect("serialize");
    assert_eq!(json["groups"], json!(["admin", "ops"]));
}
