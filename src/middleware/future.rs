//! [`Respond`]: the future of a request that either reached the inner service or was refused,
//! shared by the auth and guard services' response futures.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use super::AuthBody;

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
