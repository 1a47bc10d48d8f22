//! [`GuardLayer`], its [`GuardService`] and [`ResponseFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Extensions, HeaderMap, Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::Guard;
use crate::auth::Anonymous;
use crate::error::AuthError;
use crate::middleware::{inner_service_accessors, AuthBody, Respond};
use crate::principal::Principal;
use crate::rejection::{respond_to, MissingLayer, Refusal};

const TARGET: &str = "tollgate::guard";

/// Checks a [`Guard`] against the [`Principal`] an [`AuthLayer`](crate::AuthLayer) in front
/// stored; see the [module docs](crate::guard) for the responses. Cheap to clone.
#[must_use]
pub struct GuardLayer<G> {
    guard: Arc<G>,
}

impl<G: Guard> GuardLayer<G> {
    /// A layer checking `guard`.
    pub fn new(guard: G) -> Self {
        Self {
            guard: Arc::new(guard),
        }
    }
}

impl<G> Clone for GuardLayer<G> {
    fn clone(&self) -> Self {
        Self {
            guard: self.guard.clone(),
        }
    }
}

impl<G> fmt::Debug for GuardLayer<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardLayer")
            .field("guard", &std::any::type_name::<G>())
            .finish()
    }
}

impl<S, G> tower_layer::Layer<S> for GuardLayer<G> {
    type Service = GuardService<S, G>;

    fn layer(&self, inner: S) -> GuardService<S, G> {
        GuardService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service produced by [`GuardLayer`].
pub struct GuardService<S, G> {
    inner: S,
    guard: Arc<G>,
}

impl<S, G: Guard> GuardService<S, G> {
    /// Wraps `inner`, checking `guard` before each call.
    pub fn new(inner: S, guard: G) -> Self {
        Self {
            inner,
            guard: Arc::new(guard),
        }
    }

    /// The layer, as [`GuardLayer::new`].
    pub fn layer(guard: G) -> GuardLayer<G> {
        GuardLayer::new(guard)
    }
}

impl<S, G> GuardService<S, G> {
    inner_service_accessors!();
}

impl<S: Clone, G> Clone for GuardService<S, G> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            guard: self.guard.clone(),
        }
    }
}

impl<S, G> fmt::Debug for GuardService<S, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardService")
            .field("guard", &std::any::type_name::<G>())
            .finish_non_exhaustive()
    }
}

impl<S, G, ReqBody, ResBody> Service<Request<ReqBody>> for GuardService<S, G>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    G: Guard,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match authorize(&*self.guard, request.extensions(), request.headers()) {
            Ok(_) => ResponseFuture::calling(self.inner.call(request)),
            Err(refusal) => ResponseFuture::rejected(refusal.response),
        }
    }
}

/// The guard's verdict on a request: its principal, or why not.
pub(crate) fn authorize<'a, G: Guard + ?Sized>(
    guard: &G,
    extensions: &'a Extensions,
    headers: &HeaderMap,
) -> Result<&'a Principal, Box<Refusal>> {
    let error = match extensions.get::<Principal>() {
        Some(principal) => match guard.check(principal) {
            Ok(()) => return Ok(principal),
            Err(denied) => AuthError::from(denied),
        },
        None if extensions.get::<Anonymous>().is_some() => AuthError::missing(),
        None => {
            return Err(Box::new(Refusal {
                error: None,
                response: MissingLayer::Guard.respond(headers),
            }));
        }
    };
    tracing::debug!(
        target: TARGET,
        kind = ?error.kind(),
        reason = ?error.reason(),
        guard = std::any::type_name::<G>(),
        "request denied"
    );
    crate::metrics::guard_denied(extensions.get::<Principal>(), &error);
    let response = respond_to(extensions, headers, &error);
    Err(Box::new(Refusal {
        error: Some(error),
        response,
    }))
}

pin_project! {
    /// The response future of [`GuardService`].
    pub struct ResponseFuture<F> {
        #[pin]
        respond: Respond<F>,
    }
}

impl<F> ResponseFuture<F> {
    fn calling(future: F) -> Self {
        Self {
            respond: Respond::calling(future),
        }
    }

    fn rejected(response: Response<Bytes>) -> Self {
        Self {
            respond: Respond::rejected(response),
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<AuthBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().respond.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use http::header::CONTENT_TYPE;
    use http::HeaderValue;
    use http::StatusCode;

    use super::*;
    use crate::guard::scope;

    fn verdict(extensions: &Extensions, headers: &HeaderMap) -> (StatusCode, HeaderMap) {
        match authorize(&scope("admin"), extensions, headers) {
            Ok(_) => (StatusCode::OK, HeaderMap::new()),
            Err(refusal) => (
                refusal.response.status(),
                refusal.response.headers().clone(),
            ),
        }
    }

    #[test]
    fn every_case_without_a_usable_principal_is_answered_not_allowed() {
        let http = HeaderMap::new();
        let mut grpc = HeaderMap::new();
        grpc.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));

        let mut admitted = Extensions::new();
        admitted.insert(
            Principal::builder("test")
                .scopes(vec!["admin".into()])
                .build(),
        );
        assert_eq!(verdict(&admitted, &http).0, StatusCode::OK);

        let mut lacking = Extensions::new();
        lacking.insert(Principal::builder("test").build());
        let (status, headers) = verdict(&lacking, &http);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(headers["www-authenticate"]
            .to_str()
            .is_ok_and(|v| v.contains("insufficient_scope") && v.ends_with("scope=\"admin\"")));
        let (status, headers) = verdict(&lacking, &grpc);
        assert_eq!(
            (status, headers["grpc-status"].to_str().ok()),
            (StatusCode::OK, Some("7"))
        );

        let mut anonymous = Extensions::new();
        anonymous.insert(Anonymous);
        assert_eq!(verdict(&anonymous, &http).0, StatusCode::UNAUTHORIZED);
        let (status, headers) = verdict(&anonymous, &grpc);
        assert_eq!(
            (status, headers["grpc-status"].to_str().ok()),
            (StatusCode::OK, Some("16"))
        );

        let nothing = Extensions::new();
        assert_eq!(
            verdict(&nothing, &http).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let (status, headers) = verdict(&nothing, &grpc);
        assert_eq!(
            (status, headers["grpc-status"].to_str().ok()),
            (StatusCode::OK, Some("13"))
        );
        assert!(headers["grpc-message"]
            .to_str()
            .is_ok_and(|m| m.contains("Perhaps you forgot to add tollgate::AuthLayer")));
    }
}
