//! Turning an [`AuthError`] into an HTTP response.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response};

use crate::error::{AuthError, AuthErrorKind};

/// Builds the response for a rejected request. Implemented by closures
/// `Fn(&AuthError, &str) -> http::Response<Bytes>` (the `&str` is the realm).
///
/// ```
/// use bytes::Bytes;
/// use tollgate::{default_response, AuthError};
///
/// // RFC 7807 problem details, keeping tollgate's status and challenge headers.
/// let responder = |error: &AuthError, realm: &str| {
///     let mut response = default_response(error, realm);
///     let body = format!(
///         r#"{{"type":"about:blank","status":{},"title":"{}"}}"#,
///         error.status().as_u16(),
///         error.kind().description()
///     );
///     *response.body_mut() = Bytes::from(body);
///     response.headers_mut().insert(
///         http::header::CONTENT_TYPE,
///         http::HeaderValue::from_static("application/problem+json"),
///     );
///     response
/// };
/// let _layer_builder = |p: tollgate::jwt::JwtProvider| tollgate::AuthLayer::builder(p).error_responder(responder);
/// ```
pub trait ErrorResponder: Send + Sync + 'static {
    /// The response for `error`, challenged with `realm`.
    fn respond(&self, error: &AuthError, realm: &str) -> Response<Bytes>;
}

impl<F> ErrorResponder for F
where
    F: Fn(&AuthError, &str) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, error: &AuthError, realm: &str) -> Response<Bytes> {
        self(error, realm)
    }
}

/// tollgate's standard rejection: the error's status, the RFC 6750 `WWW-Authenticate`
/// challenge (or `Retry-After` for 503), `Cache-Control: no-store`, and a short JSON body
/// `{"error": "...", "error_description": "..."}` with no internal detail.
pub fn default_response(error: &AuthError, realm: &str) -> Response<Bytes> {
    let kind = error.kind();
    let code = kind.error_code().unwrap_or(match kind {
        AuthErrorKind::Unavailable => "temporarily_unavailable",
        _ => "unauthorized",
    });
    let body = serde_json::json!({ "error": code, "error_description": kind.description() });
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(challenge) = error.www_authenticate(realm) {
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
    }
    if let Some(retry) = error.retry_after() {
        headers.insert(RETRY_AFTER, HeaderValue::from(retry.as_secs().max(1)));
    }
    response
}
