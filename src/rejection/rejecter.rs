//! How guards and extractors behind an [`AuthLayer`](crate::AuthLayer) answer exactly as the
//! layer would: the layer stores its [`Rejecter`] in each request it admits (only when its
//! realm or responder differs from the defaults, or it names a resource metadata document),
//! and [`respond_to`] uses it.

use std::sync::Arc;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Response};

use super::{default_response, RejectionContext, DEFAULT_REALM};
use crate::error::AuthError;

/// The answer of the layer a request passed, with its realm and responder.
pub(crate) trait LayerResponse: Send + Sync + 'static {
    /// The layer's response to `error` for a request with these headers.
    fn respond(&self, error: &AuthError, headers: &HeaderMap) -> Response<Bytes>;
}

/// The [`LayerResponse`] of the layer a request passed, in the request's extensions.
#[derive(Clone)]
pub(crate) struct Rejecter(pub(crate) Arc<dyn LayerResponse>);

/// The response to `error` for a request: by the responder of the [`AuthLayer`](crate::AuthLayer)
/// it passed, or (for a principal stored by something else, or a layer with the default realm
/// and responder) by [`default_response`] with [`DEFAULT_REALM`].
pub(crate) fn respond_to(
    extensions: &Extensions,
    headers: &HeaderMap,
    error: &AuthError,
) -> Response<Bytes> {
    match extensions.get::<Rejecter>() {
        Some(Rejecter(layer)) => layer.respond(error, headers),
        None => default_response(
            error,
            &RejectionContext::for_request(DEFAULT_REALM, headers),
        ),
    }
}
