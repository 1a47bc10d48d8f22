//! Turning an [`AuthError`] into an HTTP response, or a gRPC-shaped one: the
//! [`ErrorResponder`] extension point, its [`RejectionContext`], and [`default_response`].

use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::error::{fits_quoted_string, AuthError, AuthErrorKind};

/// What a responder knows about the rejected request: the realm to challenge with, whether the
/// request is a gRPC call, and the request's headers (for content negotiation or a request id).
///
/// `Debug` shows the realm and the protocol only, never the headers (they hold the credential).
#[derive(Clone, Copy)]
pub struct RejectionContext<'a> {
    realm: &'a str,
    grpc: bool,
    headers: Option<&'a HeaderMap>,
    resource_metadata: Option<&'a str>,
}

impl<'a> RejectionContext<'a> {
    /// A plain HTTP rejection challenged with `realm`, with no request at hand (e.g. an error
    /// returned from a handler).
    pub fn new(realm: &'a str) -> Self {
        Self {
            realm,
            grpc: false,
            headers: None,
            resource_metadata: None,
        }
    }

    /// The rejection of a request with these headers: a gRPC call when its `content-type`
    /// starts with `application/grpc` (this includes `application/grpc+proto` and
    /// `application/grpc-web`).
    pub fn for_request(realm: &'a str, headers: &'a HeaderMap) -> Self {
        Self {
            realm,
            grpc: is_grpc(headers),
            headers: Some(headers),
            resource_metadata: None,
        }
    }

    /// The same context, with challenges pointing to the RFC 9728 metadata document at `url`
    /// (`resource_metadata="…"`). `url` must fit in a quoted-string; the layer checks this
    /// when it is configured with
    /// [`AuthLayerBuilder::resource_metadata`](crate::auth::AuthLayerBuilder::resource_metadata).
    pub fn with_resource_metadata(mut self, url: &'a str) -> Self {
        self.resource_metadata = Some(url);
        self
    }

    /// The URL of the resource's RFC 9728 metadata document, when the layer names one.
    pub fn resource_metadata(&self) -> Option<&'a str> {
        self.resource_metadata
    }

    /// The `realm` of the `WWW-Authenticate` challenge.
    pub fn realm(&self) -> &'a str {
        self.realm
    }

    /// Whether the request is a gRPC call, which must be answered with a gRPC status rather
    /// than an HTTP error status.
    pub fn is_grpc(&self) -> bool {
        self.grpc
    }

    /// The rejected request's headers, when known.
    pub fn request_headers(&self) -> Option<&'a HeaderMap> {
        self.headers
    }
}

impl fmt::Debug for RejectionContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RejectionContext")
            .field("realm", &self.realm)
            .field("grpc", &self.grpc)
            .field("resource_metadata", &self.resource_metadata)
            .finish_non_exhaustive()
    }
}

pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// Builds the response for a rejected request. Implemented by closures
/// `Fn(&AuthError, &RejectionContext<'_>) -> http::Response<Bytes>`.
///
/// The same responder answers for the [`AuthLayer`](crate::AuthLayer), for every
/// [`GuardLayer`](crate::guard::GuardLayer) behind it and for the
/// [`Authorized`](crate::Authorized) extractor, whatever the framework (axum, tonic, hyper).
///
/// ```
/// use bytes::Bytes;
/// use tollgate::rejection::{default_response, RejectionContext};
/// use tollgate::AuthError;
///
/// // RFC 9457 problem details for HTTP clients, keeping tollgate's status and challenge
/// // headers; gRPC calls keep tollgate's gRPC-shaped answer (a JSON body would break them).
/// let responder = |error: &AuthError, cx: &RejectionContext<'_>| {
///     let mut response = default_response(error, cx);
///     if cx.is_grpc() {
///         return response;
///     }
///     let body = serde_json::json!({
///         "type": "about:blank",
///         "status": error.status().as_u16(),
///         "title": error.kind().description(),
///     });
///     *response.body_mut() = Bytes::from(body.to_string());
///     response.headers_mut().insert(
///         http::header::CONTENT_TYPE,
///         http::HeaderValue::from_static("application/problem+json"),
///     );
///     response
/// };
/// let _layer_builder = |p: tollgate::jwt::JwtProvider| tollgate::AuthLayer::builder(p).error_responder(responder);
/// ```
pub trait ErrorResponder: Send + Sync + 'static {
    /// The response for `error`, for the request described by `context`.
    fn respond(&self, error: &AuthError, context: &RejectionContext<'_>) -> Response<Bytes>;
}

impl<F> ErrorResponder for F
where
    F: Fn(&AuthError, &RejectionContext<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn respond(&self, error: &AuthError, context: &RejectionContext<'_>) -> Response<Bytes> {
        self(error, context)
    }
}

/// tollgate's standard rejection.
///
/// For HTTP: the error's status, the RFC 6750 `WWW-Authenticate` challenge (none for 503 and
/// for a non-scope 403; with `resource_metadata="…"` (RFC 9728 §5.1) when the context names
/// a [metadata document](crate::resource_metadata)), `Retry-After` for 503, `Cache-Control: no-store`, and a short JSON body
/// `{"error": "...", "error_description": "..."}` with no internal detail.
///
/// For gRPC ([`RejectionContext::is_grpc`]): a trailers-only response, HTTP 200 with
/// `content-type: application/grpc` (gRPC-Web: the request's content type), `grpc-status` from [`AuthErrorKind::grpc_code`] and the
/// percent-encoded description in `grpc-message`, and an empty body.
pub fn default_response(error: &AuthError, context: &RejectionContext<'_>) -> Response<Bytes> {
    if context.is_grpc() {
        return grpc_response(
            error.kind().grpc_code(),
            error.kind().description(),
            context.request_headers(),
        );
    }
    let mut response = Response::new(json_body(error.kind()));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(mut challenge) = error.www_authenticate(context.realm()) {
        if let Some(url) = context
            .resource_metadata()
            .filter(|u| fits_quoted_string(u))
        {
            challenge.push_str(", resource_metadata=\"");
            challenge.push_str(url);
            challenge.push('"');
        }
        if let Ok(value) = HeaderValue::try_from(challenge) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
    }
    if let Some(retry) = error.retry_after() {
        headers.insert(RETRY_AFTER, HeaderValue::from(retry.as_secs().max(1)));
    }
    response
}

/// A gRPC trailers-only response: status and message in the headers, no body. Its
/// `content-type` is `application/grpc`, or the request's own for gRPC-Web.
/// The JSON body for `kind`: `{"error": code, "error_description": description}`. Each body is
/// built once and then served as a static byte string, so a flood of rejections costs no JSON
/// serialization.
fn json_body(kind: AuthErrorKind) -> Bytes {
    const KINDS: [AuthErrorKind; 7] = [
        AuthErrorKind::MissingCredential,
        AuthErrorKind::InvalidRequest,
        AuthErrorKind::InvalidToken,
        AuthErrorKind::ExpiredToken,
        AuthErrorKind::InsufficientScope,
        AuthErrorKind::Forbidden,
        AuthErrorKind::Unavailable,
    ];
    fn render(kind: AuthErrorKind) -> String {
        let code = kind.error_code().unwrap_or(match kind {
            AuthErrorKind::Unavailable => "temporarily_unavailable",
            AuthErrorKind::Forbidden => "forbidden",
            _ => "unauthorized",
        });
        serde_json::json!({ "error": code, "error_description": kind.description() }).to_string()
    }
    static BODIES: OnceLock<Vec<(AuthErrorKind, String)>> = OnceLock::new();
    let bodies = BODIES.get_or_init(|| KINDS.iter().map(|&k| (k, render(k))).collect());
    match bodies.iter().find(|(k, _)| *k == kind) {
        Some((_, body)) => Bytes::from_static(body.as_bytes()),
        None => Bytes::from(render(kind)),
    }
}

pub(crate) fn grpc_response(
    code: u8,
    message: &str,
    request_headers: Option<&HeaderMap>,
) -> Response<Bytes> {
    let content_type = request_headers
        .and_then(|h| h.get(CONTENT_TYPE))
        .filter(|v| v.as_bytes().starts_with(b"application/grpc-web"))
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/grpc"));
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    headers.insert("grpc-status", HeaderValue::from(u16::from(code)));
    if let Ok(value) = HeaderValue::from_str(&grpc_percent_encode(message)) {
        headers.insert("grpc-message", value);
    }
    response
}

/// Percent-encodes a `grpc-message` as the gRPC HTTP/2 protocol prescribes: bytes outside
/// printable ASCII, and `%` itself, become `%XX`.
fn grpc_percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Reason;

    #[test]
    fn grpc_messages_are_percent_encoded() {
        assert_eq!(grpc_percent_encode("plain text"), "plain text");
        assert_eq!(grpc_percent_encode("100% ü\n"), "100%25 %C3%BC%0A");
    }

    #[test]
    fn grpc_requests_get_trailers_only_responses() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/grpc+proto"),
        );
        let cx = RejectionContext::for_request("api", &headers);
        assert!(cx.is_grpc());
        for (error, code) in [
            (AuthError::missing(), "16"),
            (AuthError::invalid_token(Reason::Expired), "16"),
            (AuthError::insufficient_scope("admin"), "7"),
            (AuthError::forbidden(), "7"),
            (
                AuthError::unavailable(std::time::Duration::from_secs(3)),
                "14",
            ),
        ] {
            let response = default_response(&error, &cx);
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()["content-type"], "application/grpc");
            assert_eq!(response.headers()["grpc-status"], code, "{error:?}");
            assert_eq!(
                response.headers()["grpc-message"],
                error.kind().description()
            );
            assert!(response.body().is_empty());
        }

        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let cx = RejectionContext::for_request("api", &headers);
        assert!(!cx.is_grpc());
        let response = default_response(&AuthError::forbidden(), &cx);
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
        assert!(format!("{cx:?}").contains("realm"));
    }
}
