//! The axum extractors' rejection (feature `axum`), and [`AuthError`] as an axum response.

use axum_core::response::{IntoResponse, Response};
use http::request::Parts;

use super::missing_layer::MissingLayer;
use super::{default_response, respond_to, Refusal, RejectionContext, DEFAULT_REALM};
use crate::error::AuthError;

/// Why a tollgate extractor could not produce its value, with the response the client gets.
///
/// The response comes from the [`ErrorResponder`](crate::rejection::ErrorResponder) of the
/// [`AuthLayer`](crate::AuthLayer) the request passed, so a custom responder (and gRPC shaping)
/// applies to extractor rejections too.
#[derive(Debug)]
pub struct AuthRejection {
    refusal: Box<Refusal>,
}

impl AuthRejection {
    pub(crate) fn new(parts: &Parts, error: AuthError) -> Self {
        let response = respond_to(&parts.extensions, &parts.headers, &error);
        Self {
            refusal: Box::new(Refusal {
                error: Some(error),
                response,
            }),
        }
    }

    pub(crate) fn missing_layer(parts: &Parts) -> Self {
        Self {
            refusal: Box::new(Refusal {
                error: None,
                response: MissingLayer::Extractor.respond(&parts.headers),
            }),
        }
    }

    pub(crate) fn from_refusal(refusal: Box<Refusal>) -> Self {
        Self { refusal }
    }

    /// Why the request was refused: 401 for an anonymous request (through an
    /// [optional](crate::auth::AuthLayerBuilder::optional) layer) or claims that do not fit the
    /// requested type, 403 for a guard's denial. `None` when no `AuthLayer` ran before the
    /// extractor: a wiring mistake, answered with 500 and logged at error level.
    pub fn error(&self) -> Option<&AuthError> {
        self.refusal.error.as_ref()
    }

    /// The status the client gets.
    pub fn status(&self) -> http::StatusCode {
        self.refusal.response.status()
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        self.refusal.response.map(axum_core::body::Body::from)
    }
}

/// Uses [`DEFAULT_REALM`]; to answer with another realm, build the response with
/// [`default_response`].
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        default_response(&self, &RejectionContext::new(DEFAULT_REALM))
            .map(axum_core::body::Body::from)
    }
}
