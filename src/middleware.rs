//! What tollgate's two middlewares ([`AuthService`](crate::auth::AuthService) and
//! [`GuardService`](crate::guard::GuardService)) share as tower services: the inner-service
//! accessors, and the future that either runs the inner service or answers a rejection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use crate::auth::AuthBody;

/// `get_ref`, `get_mut` and `into_inner` for a service whose wrapped service is its `inner`
/// field, as tower-http's middlewares have them.
macro_rules! inner_service_accessors {
    () => {
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
    };
}
pub(crate) use inner_service_accessors;

pin_project! {
    /// The inner service's response, or a rejection answered without calling it.
    #[project = RespondProj]
    pub(crate) enum Respond<F> {
        Calling { #[pin] future: F },
        Rejected { response: Option<Response<Bytes>> },
    }
}

impl<F> Respond<F> {
    pub(crate) fn calling(future: F) -> Self {
        Self::Calling { future }
    }

    pub(crate) fn rejected(response: Response<Bytes>) -> Self {
        Self::Rejected {
            response: Some(response),
        }
    }
}

impl<F, B, E> Future for Respond<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<AuthBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RespondProj::Calling { future } => future
                .poll(cx)
                .map_ok(|response| response.map(AuthBody::inner)),
            RespondProj::Rejected { response } => {
                let response = response.take().unwrap_or_else(polled_after_completion);
                Poll::Ready(Ok(response.map(AuthBody::rejection)))
            }
        }
    }
}

/// The answer of a future polled again after it completed, which the `Future` contract forbids:
/// an empty 500, never a panic.
pub(crate) fn polled_after_completion() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
