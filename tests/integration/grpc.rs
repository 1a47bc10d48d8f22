//! tonic: the `grpc_server` example's service on a loopback port, called with a real tonic
//! client. Rejections must be gRPC statuses carried on HTTP 200 (trailers-only responses).

#[path = "../../examples/grpc/mod.rs"]
mod app;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tollgate::dev::DevIssuer;
use tollgate::{
    rejection::{default_response, RejectionContext},
    AuthError, AuthLayer,
};
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::support::*;

/// A running gRPC server; stopped when dropped.
struct GrpcServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(auth: AuthLayer) -> GrpcServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = app::serve(listener, auth).await;
    });
    GrpcServer { addr, task }
}

async fn client(server: &GrpcServer) -> HealthClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    HealthClient::new(channel)
}

fn request(token: Option<&str>) -> tonic::Request<HealthCheckRequest> {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    if let Some(token) = token {
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ascii"),
        );
    }
    request
}

/// tonic maps a plain HTTP 401/403 to the same codes, so the message is what proves the
/// answer was a real gRPC status from tollgate.
fn assert_status(result: Result<impl std::fmt::Debug, tonic::Status>, code: Code, message: &str) {
    let status = result.expect_err("the call must fail");
    assert_eq!(
        (status.code(), status.message()),
        (code, message),
        "{status:?}"
    );
}

#[tokio::test]
async fn health_check_needs_a_token_and_watch_needs_scope_admin() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = start(AuthLayer::new(provider)).await;
    let mut health = client(&server).await;

    assert_status(
        health.check(request(None)).await,
        Code::Unauthenticated,
        "Authentication is required",
    );

    let user = issuer.token().subject("alice").sign();
    let response = health.check(request(Some(&user))).await.expect("check");
    assert_eq!(response.get_ref().status(), ServingStatus::Serving);
    assert_eq!(
        response
            .metadata()
            .get("x-subject")
            .map(|v| v.to_str().ok()),
        Some(Some("alice")),
        "the handler read the principal from the request's extensions"
    );

    assert_status(
        health.watch(request(Some(&user))).await,
        Code::PermissionDenied,
        "The access token lacks a required scope",
    );

    let admin = issuer.token().subject("root").scope("admin").sign();
    let mut stream = health
        .watch(request(Some(&admin)))
        .await
        .expect("watch")
        .into_inner();
    let first = stream
        .message()
        .await
        .expect("message")
        .expect("a first message");
    assert_eq!(first.status(), ServingStatus::Serving);

    let expired = issuer.token().claim("exp", 1_000_000_000u64).sign();
    assert_status(
        health.check(request(Some(&expired))).await,
        Code::Unauthenticated,
        "The access token has expired",
    );
    assert_status(
        health.check(request(Some("garbage"))).await,
        Code::Unauthenticated,
        "The access token is invalid",
    );
    let other_audience = issuer.token().claim("aud", "elsewhere").sign();
    assert_status(
        health.watch(request(Some(&other_audience))).await,
        Code::Unauthenticated,
        "The access token is invalid",
    );
}

#[tokio::test]
async fn keys_that_cannot_be_loaded_are_unavailable() {
    let issuer = DevIssuer::start().await.expect("issuer");
    issuer.dangerous().serve_jwks_body(500, "down");
    let provider = issuer.provider().build().await.expect("provider");
    let server = start(AuthLayer::new(provider)).await;
    let mut health = client(&server).await;
    assert_status(
        health.check(request(Some(&issuer.token().sign()))).await,
        Code::Unavailable,
        "Authentication is temporarily unavailable",
    );
}

#[tokio::test]
async fn a_custom_responder_keeps_grpc_calls_grpc_shaped() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let auth = AuthLayer::builder(provider)
        .error_responder(problem_details)
        .build()
        .expect("layer");
    let server = start(auth).await;
    let mut health = client(&server).await;

    let status = health.check(request(None)).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.metadata().get("x-error-id").map(|v| v.to_str().ok()),
        Some(Some("auth-401"))
    );
    let status = health
        .watch(request(Some(&issuer.token().sign())))
        .await
        .expect_err("no admin scope");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.metadata().get("x-error-id").map(|v| v.to_str().ok()),
        Some(Some("auth-403"))
    );
}

/// RFC 9457 problem details for HTTP clients, tollgate's gRPC status for gRPC calls; both
/// with an `x-error-id` header. Used for axum, hyper and tonic alike.
pub(crate) fn problem_details(
    error: &AuthError,
    cx: &RejectionContext<'_>,
) -> http::Response<Bytes> {
    let mut response = default_response(error, cx);
    let id = format!("auth-{}", error.status().as_u16());
    response
        .headers_mut()
        .insert("x-error-id", id.parse().expect("ascii"));
    if cx.is_grpc() {
        return response;
    }
    let body = serde_json::json!({
        "type": "about:blank",
        "status": error.status().as_u16(),
        "title": error.kind().description(),
    });
    *response.body_mut() = Bytes::from(body.to_string());
    response.headers_mut().insert(
        "content-type",
        "application/problem+json".parse().expect("ascii"),
    );
    response
}

#[tokio::test]
async fn grpc_content_types_get_trailers_only_responses_on_the_wire() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    for content_type in [
        "application/grpc",
        "application/grpc+proto",
        "application/grpc-web",
    ] {
        let response = crate::support::client()
            .get(format!("{}/me", server.base))
            .header("content-type", content_type)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{content_type}");
        let headers = response.headers().clone();
        let expected = if content_type.contains("web") {
            content_type
        } else {
            "application/grpc"
        };
        assert_eq!(headers["content-type"], expected);
        assert_eq!(headers["grpc-status"], "16");
        assert_eq!(headers["grpc-message"], "Authentication is required");
        assert!(headers.get("www-authenticate").is_none());
        assert!(response.bytes().await.expect("body").is_empty());
    }
    // Anything else keeps the HTTP answer.
    let reply = send(
        crate::support::client()
            .get(format!("{}/me", server.base))
            .header("content-type", "application/json"),
    )
    .await;
    assert_eq!(reply.status, 401);
}
