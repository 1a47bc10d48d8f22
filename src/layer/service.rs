//! [`AuthService`] and its [`ResponseFuture`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::body::AuthBody;
use super::{AuthLayer, Shared};
use crate::error::AuthError;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// The service produced by [`AuthLayer`](super::AuthLayer).
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("provider", &self.shared.provider.name())
            .finish_non_exhaustive()
    }
}

impl<S> AuthService<S> {
    /// Wraps `inner` with the default configuration (see [`AuthLayer::new`]).
    pub fn new(inner: S, provider: impl Provider) -> Self {
        tower_layer::Layer::layer(&AuthLayer::new(provider), inner)
    }

    /// The layer with the default configuration, as [`AuthLayer::new`].
    pub fn layer(provider: impl Provider) -> AuthLayer {
        AuthLayer::new(provider)
    }

    pub(crate) fn from_shared(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes `self`, returning the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        let (mut parts, body) = request.into_parts();
        let credential = match shared.read_credential(&parts) {
            Ok(Some(credential)) => credential,
            Ok(None) if shared.optional => {
                shared.admit_anonymous(&mut parts.extensions);
                return ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)));
            }
            Ok(None) => {
                return ResponseFuture::rejected(
                    shared.reject(&AuthError::missing(), &parts.headers),
                )
            }
            Err(error) => return ResponseFuture::rejected(shared.reject(&error, &parts.headers)),
        };

        // Fast path: keys cached, nothing to wait for.
        if let Some(result) = shared.provider.try_authenticate(&credential) {
            return match result.and_then(|p| shared.admit(&mut parts.extensions, p)) {
                Ok(()) => {
                    ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)))
                }
                Err(error) => ResponseFuture::rejected(shared.reject(&error, &parts.headers)),
            };
        }

        // Slow path (e.g. an unknown key id triggers a JWKS fetch). The ready inner service goes
        // into the future and a fresh clone stays behind for the next `poll_ready`.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        let provider = shared.clone();
        let authenticate: BoxFuture<'static, Result<Principal, AuthError>> =
            Box::pin(async move { provider.provider.authenticate(credential).await });
        ResponseFuture {
            state: State::Authenticating {
                authenticate,
                pending: Some(Pending {
                    parts,
                    body,
                    inner,
                    shared,
                }),
            },
        }
    }
}

struct Pending<S, ReqBody> {
    parts: http::request::Parts,
    body: ReqBody,
    inner: S,
    shared: Arc<Shared>,
}

pin_project! {
    /// The response future of [`AuthService`].
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Authenticating {
            authenticate: BoxFuture<'static, Result<Principal, AuthError>>,
            pending: Option<Pending<S, ReqBody>>,
        },
        Calling { #[pin] future: S::Future },
        Rejected { response: Option<Response<Bytes>> },
    }
}

impl<S: Service<Request<ReqBody>>, ReqBody> ResponseFuture<S, ReqBody> {
    fn calling(future: S::Future) -> Self {
        Self {
            state: State::Calling { future },
        }
    }

    fn rejected(response: Response<Bytes>) -> Self {
        Self {
            state: State::Rejected {
                response: Some(response),
            },
        }
    }
}

impl<S, ReqBody> std::fmt::Debug for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Result<Response<AuthBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Authenticating {
                    authenticate,
                    pending,
                } => {
                    let result = ready!(authenticate.as_mut().poll(cx));
                    let Some(Pending {
                        mut parts,
                        body,
                        mut inner,
                        shared,
                    }) = pending.take()
                    else {
                        return Poll::Ready(Ok(polled_after_completion()));
                    };
                    let next = match result.and_then(|p| shared.admit(&mut parts.extensions, p)) {
                        Ok(()) => State::Calling {
                            future: inner.call(Request::from_parts(parts, body)),
                        },
                        Err(error) => State::Rejected {
                            response: Some(shared.reject(&error, &parts.headers)),
                        },
                    };
                    state.set(next);
                }
                StateProj::Calling { future } => {
                    return future
                        .poll(cx)
                        .map_ok(|response| response.map(AuthBody::inner));
                }
                StateProj::Rejected { response } => {
                    let response = response
                        .take()
                        .unwrap_or_else(|| Response::new(Bytes::new()));
                    return Poll::Ready(Ok(response.map(AuthBody::rejection)));
                }
            }
        }
    }
}

/// Only reachable if a caller polls a completed future, which the `Future` contract forbids.
fn polled_after_completion<B>() -> Response<AuthBody<B>> {
    let mut response = Response::new(AuthBody::rejection(Bytes::new()));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response
}
