//! A plain hyper 1.x server behind tollgate, no framework: `GET /me` answers with the
//! principal, `GET /admin` also needs scope `admin`. Shared by the `hyper_server` example and
//! its integration test.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::{service_fn, ServiceBuilder, ServiceExt};

use tollgate::guard::{scope, GuardLayer};
use tollgate::{AuthLayer, Principal};

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Accepts HTTP/1.1 connections on `listener` until the task is dropped.
pub(crate) async fn serve(listener: TcpListener, auth: AuthLayer) -> std::io::Result<()> {
    // /admin is its own small service with a guard in front of the handler.
    let admin = ServiceBuilder::new()
        .layer(GuardLayer::new(scope("admin")))
        .service_fn(admin);
    let routes = service_fn(move |request: Request<Incoming>| {
        let admin = admin.clone();
        async move {
            let response = match (request.method(), request.uri().path()) {
                (&Method::GET, "/admin") => {
                    admin.oneshot(request).await?.map(BodyExt::boxed_unsync)
                }
                (&Method::GET, "/me") => me(request),
                _ => text(StatusCode::NOT_FOUND, "not found"),
            };
            Ok::<_, Infallible>(response)
        }
    });
    // Without a router, the AuthLayer guards every path: an unknown path without a token is 401.
    let service = ServiceBuilder::new().layer(auth).service(routes);

    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The principal is in the request's extensions, put there by the AuthLayer.
fn me(request: Request<Incoming>) -> Response<Body> {
    match request.extensions().get::<Principal>() {
        Some(principal) => json(serde_json::to_string(principal).unwrap_or_default()),
        None => text(StatusCode::INTERNAL_SERVER_ERROR, "no principal"),
    }
}

async fn admin(request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let subject = request
        .extensions()
        .get::<Principal>()
        .and_then(|p| p.subject().map(str::to_owned));
    let body = serde_json::json!({ "message": "welcome, admin", "subject": subject });
    Ok(json(body.to_string()))
}

fn json(body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed_unsync());
    *response.status_mut() = status;
    response
}
