//! [`Refusal`]: a guard's or extractor's "no", with the response the request gets instead.

use bytes::Bytes;
use http::Response;

use crate::error::AuthError;

/// Why a request may not proceed, and the response it gets instead.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// `None` when no `AuthLayer` ran: a wiring mistake, answered with 500. Read by the axum
    /// extractors' rejection.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) error: Option<AuthError>,
    pub(crate) response: Response<Bytes>,
}
