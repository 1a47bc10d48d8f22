//! The gRPC health service (`grpc.health.v1.Health`, from `tonic-health`) behind tollgate:
//! `Check` needs any valid token, `Watch` additionally needs scope `admin`. Shared by the
//! `grpc_server` example and its integration test.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::Either;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService, WatchStream};
use tower::layer::layer_fn;
use tower::Service;

use tollgate::guard::{scope, GuardLayer};
use tollgate::{auth::AuthBody, AuthLayer, Guard, Principal};

/// The one method that needs more than a valid token.
pub(crate) const WATCH: &str = "/grpc.health.v1.Health/Watch";

/// Serves the health service on `listener` until the task is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    auth: AuthLayer,
) -> Result<(), tonic::transport::Error> {
    let health = HealthService::from_health_reporter(HealthReporter::new());
    Server::builder()
        // The first layer is the outermost: every call is authenticated first. A rejected call
        // gets a gRPC status (16 UNAUTHENTICATED, 7 PERMISSION_DENIED) on HTTP 200.
        .layer(auth)
        // Guards see the principal, not the path; the router decides where they apply.
        .layer(layer_fn(|routes| GuardPath {
            path: WATCH,
            guard: GuardLayer::new(scope("admin")),
            inner: routes,
        }))
        .add_service(HealthServer::new(WhoIsAsking(health)))
        .serve_with_incoming(TcpIncoming::from(listener))
        .await
}

/// Applies `guard` to calls of one gRPC method (`path`); other calls pass straight through.
#[derive(Clone)]
struct GuardPath<S, G> {
    path: &'static str,
    guard: GuardLayer<G>,
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, G, ReqBody, ResBody> Service<http::Request<ReqBody>> for GuardPath<S, G>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    G: Guard,
{
    type Response = http::Response<Either<AuthBody<ResBody>, ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        if request.uri().path() == self.path {
            // The guard wraps the (ready) inner service for this one call.
            let future = tower::Layer::layer(&self.guard, &mut self.inner).call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}

/// The standard health service, answering with the caller's subject in the `x-subject`
/// response metadata: handlers read the principal from the request's extensions.
struct WhoIsAsking(HealthService);

fn subject<T>(request: &Request<T>) -> Result<String, Status> {
    let principal = request
        .extensions()
        .get::<Principal>()
        // Unreachable behind the AuthLayer; a handler should still not assume it.
        .ok_or_else(|| Status::unauthenticated("no principal"))?;
    Ok(principal.subject().unwrap_or("-").to_owned())
}

fn with_subject<T>(mut response: Response<T>, subject: &str) -> Response<T> {
    if let Ok(value) = subject.parse() {
        response.metadata_mut().insert("x-subject", value);
    }
    response
}

#[tonic::async_trait]
impl Health for WhoIsAsking {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let subject = subject(&request)?;
        tracing::info!(subject, "health check");
        Ok(with_subject(self.0.check(request).await?, &subject))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let subject = subject(&request)?;
        tracing::info!(subject, "health watch");
        Ok(with_subject(self.0.watch(request).await?, &subject))
    }
}
