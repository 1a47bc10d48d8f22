//! The answer to a wiring mistake: a guard or an extractor that needs the [`Principal`] an
//! [`AuthLayer`](crate::AuthLayer) stores, on a request that passed no such layer. Like axum's
//! missing-extension rejection, it is a 500 saying what to add (gRPC: `INTERNAL`), logged at
//! error level, never a 401: the client is not at fault, and the route must not pass as
//! anonymous.
//!
//! [`Principal`]: crate::Principal

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::response::{grpc_response, is_grpc};
use super::TARGET;

/// What stood where the `AuthLayer` was missing.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MissingLayer {
    /// A [`GuardLayer`](crate::GuardLayer).
    Guard,
    /// An axum extractor in a handler.
    #[cfg(feature = "axum")]
    Extractor,
}

impl MissingLayer {
    fn message(self) -> &'static str {
        match self {
            Self::Guard => "Missing request extension: tollgate::Principal. Perhaps you forgot to add tollgate::AuthLayer in front of the GuardLayer?",
            #[cfg(feature = "axum")]
            Self::Extractor => "Missing request extension: tollgate::Principal. Perhaps you forgot to add tollgate::AuthLayer in front of this route?",
        }
    }

    /// Logs the mistake and returns the response for a request with these headers.
    pub(crate) fn respond(self, headers: &HeaderMap) -> Response<Bytes> {
        let message = self.message();
        tracing::error!(target: TARGET, "{message}");
        if is_grpc(headers) {
            return grpc_response(13, message, Some(headers));
        }
        let mut response = Response::new(Bytes::from_static(message.as_bytes()));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}
