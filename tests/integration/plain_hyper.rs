//! The `hyper_server` example's service on a loopback port: a plain hyper 1.x server with no
//! framework. And one custom responder answering for axum and hyper alike (tonic: `grpc.rs`).

#[path = "../../examples/plain_hyper/mod.rs"]
mod app;

use axum::{routing::get, Router};
use tollgate::dev::DevIssuer;
use tollgate::guard::{scope, GuardLayer};
use tollgate::AuthLayer;

use crate::grpc::problem_details;
use crate::support::*;

/// Serves the example's hyper service; stopped when dropped.
async fn start(auth: AuthLayer) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    Server::spawn(addr, async move {
        let _ = app::serve(listener, auth).await;
    })
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
async fn a_plain_hyper_service_behind_the_layer() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = start(AuthLayer::new(provider)).await;

    let user = issuer.token().subject("alice").sign();
    let reply = get_with(&server, "/me", Some(&user)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["subject"], "alice");

    let reply = get_with(&server, "/me", None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
    let reply = get_with(&server, "/me", Some("garbage")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));

    let reply = get_with(&server, "/admin", Some(&user)).await;
    assert_eq!(reply.status, 403);
    assert!(reply.www_authenticate.as_deref().is_some_and(|v| v
        .contains("error=\"insufficient_scope\"")
        && v.ends_with("scope=\"admin\"")));
    let admin = issuer.token().subject("root").scope("admin").sign();
    let reply = get_with(&server, "/admin", Some(&admin)).await;
    assert_eq!(
        (reply.status, reply.json()["subject"].as_str()),
        (200, Some("root"))
    );

    assert_eq!(
        get_with(&server, "/elsewhere", Some(&user)).await.status,
        404
    );
}

/// The same responder, for the AuthLayer's 401 and a guard's 403, in axum and in hyper.
#[tokio::test]
async fn one_custom_responder_for_axum_and_hyper() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let auth = AuthLayer::builder(provider)
        .error_responder(problem_details)
        .build()
        .expect("layer");
    let axum_app = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(scope("admin")))
        .route_layer(auth.clone());
    let servers = [
        ("axum", serve(axum_app).await),
        ("hyper", start(auth).await),
    ];
    let user = issuer.token().sign();
    for (framework, server) in &servers {
        for (token, status) in [(None, 401), (Some(user.as_str()), 403)] {
            let mut request = client().get(format!("{}/admin", server.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), status, "{framework}");
            let headers = response.headers().clone();
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{framework}"
            );
            assert_eq!(
                headers["x-error-id"],
                format!("auth-{status}").as_str(),
                "{framework}"
            );
            assert!(headers.contains_key("www-authenticate"), "{framework}");
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body["status"], status, "{framework}");
        }
    }
}

/// Extractor rejections (an anonymous request through an optional layer reaching a handler
/// that needs a principal) are built by the layer's responder too.
#[tokio::test]
async fn extractor_rejections_use_the_layers_responder() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let auth = AuthLayer::builder(provider)
        .optional()
        .realm("orders")
        .error_responder(problem_details)
        .build()
        .expect("layer");
    let app = Router::new()
        .route(
            "/me",
            get(|p: tollgate::Principal| async move { format!("{:?}", p.subject()) }),
        )
        .route_layer(auth);
    let server = serve(app).await;
    let response = client()
        .get(format!("{}/me", server.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-error-id"], "auth-401");
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"orders\""
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
