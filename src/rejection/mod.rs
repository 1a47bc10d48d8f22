//! How a refused request is answered, whoever refused it: the [`AuthLayer`](crate::AuthLayer),
//! a [`GuardLayer`](crate::GuardLayer) behind it, or an axum extractor.
//!
//! By default ([`default_response`]): 401 with an RFC 6750 `WWW-Authenticate` challenge, 403
//! with `error="insufficient_scope"` when a scope guard denies (both with
//! `resource_metadata="…"` when the layer names an RFC 9728
//! [metadata document](crate::resource_metadata)), 503 with `Retry-After` when the
//! issuer's keys cannot be loaded, each with a short JSON body; gRPC calls get the same outcomes
//! as gRPC statuses. An [`ErrorResponder`], set with
//! [`AuthLayerBuilder::error_responder`](crate::auth::AuthLayerBuilder::error_responder),
//! replaces these responses for the layer, its guards and the extractors alike. With the
//! `axum` feature, extractors reject with [`AuthRejection`]. A guard or extractor behind no
//! `AuthLayer` is a wiring mistake, answered 500 and logged at error level on the target
//! `tollgate::rejection`.

#[cfg(feature = "axum")]
mod extractor;
mod missing_layer;
mod refusal;
mod rejecter;
mod response;

#[cfg(feature = "axum")]
pub use extractor::AuthRejection;
pub(crate) use missing_layer::MissingLayer;
pub(crate) use refusal::Refusal;
pub(crate) use rejecter::{respond_to, LayerResponse, Rejecter};
pub use response::{default_response, ErrorResponder, RejectionContext};

/// The tracing target of rejections that are not the client's fault.
const TARGET: &str = "tollgate::rejection";

/// The realm used when none is configured.
pub const DEFAULT_REALM: &str = "api";
