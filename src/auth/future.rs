//! The response future of an [`AuthService`](super::AuthService): authenticating (when the
//! provider must wait, say for a JWKS fetch), then calling the inner service or answering the
//! rejection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::config::Shared;
use super::AuthBody;
use crate::error::AuthError;
use crate::middleware::{polled_after_completion, Respond};
use crate::principal::Principal;
use crate::provider::BoxFuture;

/// A request waiting for its credential to be authenticated, with the ready inner service.
pub(super) struct Pending<S, ReqBody> {
    pub(super) parts: http::request::Parts,
    pub(super) body: ReqBody,
    pub(super) inner: S,
    pub(super) shared: Arc<Shared>,
}

pin_project! {
    /// The response future of [`AuthService`](super::AuthService).
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
        Responding { #[pin] respond: Respond<S::Future> },
    }
}

impl<S: Service<Request<ReqBody>>, ReqBody> ResponseFuture<S, ReqBody> {
    pub(super) fn calling(future: S::Future) -> Self {
        Self::responding(Respond::calling(future))
    }

    pub(super) fn rejected(response: Response<Bytes>) -> Self {
        Self::responding(Respond::rejected(response))
    }

    pub(super) fn authenticating(
        authenticate: BoxFuture<'static, Result<Principal, AuthError>>,
        pending: Pending<S, ReqBody>,
    ) -> Self {
        Self {
            state: State::Authenticating {
                authenticate,
                pending: Some(pending),
            },
        }
    }

    fn responding(respond: Respond<S::Future>) -> Self {
        Self {
            state: State::Responding { respond },
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
                    let respond = match pending.take() {
                        None => Respond::rejected(polled_after_completion()),
                        Some(Pending {
                            mut parts,
                            body,
                            mut inner,
                            shared,
                        }) => match result.and_then(|p| shared.admit(&mut parts.extensions, p)) {
                            Ok(()) => {
                                Respond::calling(inner.call(Request::from_parts(parts, body)))
                            }
                            Err(error) => Respond::rejected(shared.reject(&error, &parts.headers)),
                        },
                    };
                    state.set(State::Responding { respond });
                }
                StateProj::Responding { respond } => return respond.poll(cx),
            }
        }
    }
}
