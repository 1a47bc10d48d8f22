//! Where a request's credential is read from, and the [`Credential`] that was read.
//!
//! By default only `Authorization: Bearer <token>` is read (RFC 6750 §2.1): the scheme is
//! matched case-insensitively, exactly one `Authorization` header is allowed, and a token over
//! the size limit (8 KiB by default) is rejected before any decoding. A custom header, a cookie,
//! or (explicitly, since URLs end up in logs) a query parameter can be configured instead or in
//! addition; a request that presents a token in more than one place is rejected, as RFC 6750 §2
//! requires. A token read from a cookie is refused on cross-site unsafe requests (cross-site
//! request forgery; see [`CredentialSource::Cookie`]).
//!
//! API keys have their own sources, [`CredentialSource::ApiKeyHeader`] (e.g. `x-api-key`) and
//! [`CredentialSource::AuthorizationApiKey`] (`Authorization: ApiKey <key>`); what they read is a
//! credential of [kind](Credential::kind) [`CredentialKind::ApiKey`], so a provider (or
//! [`Providers`](crate::Providers)) can tell it from a bearer token. The same rules apply: one
//! credential per request, the size limit, and the `b64token` character set.
//!
//! An AWS Application Load Balancer's signed user claims have their own source too,
//! [`CredentialSource::AlbOidcData`] (the `x-amzn-oidc-data` header), read as a
//! [`CredentialKind::AlbOidcData`] credential for the [`alb`](crate::alb) provider. Its
//! segments are *padded* base64url, so `=` may end each segment, not only the whole value.

use std::fmt;

use http::header::{AUTHORIZATION, COOKIE, ORIGIN};
use http::request::Parts;
use http::{HeaderName, Method};

use crate::error::{AuthError, Reason};

/// The default limit on a token's length, in bytes.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// One place a token may be read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// `Authorization: Bearer <token>` (the default).
    AuthorizationBearer,
    /// A custom header whose whole value is the token, e.g. `x-access-token`.
    Header(HeaderName),
    /// A cookie with this name whose value is the token.
    ///
    /// A browser attaches cookies to any request to your site, including a form another site
    /// posts (cross-site request forgery). So for unsafe methods (anything but `GET`, `HEAD`
    /// and `OPTIONS`) a token read from a cookie is refused unless the request shows it is
    /// same-origin: `Sec-Fetch-Site: same-origin` (or `none`, a navigation the user started),
    /// or an `Origin` header equal to one configured with
    /// [`AuthLayerBuilder::trusted_origins`](crate::auth::AuthLayerBuilder::trusted_origins).
    /// `Sec-Fetch-Site: same-site` is not enough (a sibling subdomain is another origin), and a
    /// request with neither header is refused (every current browser sends `Origin` on a
    /// cross-origin POST; a client that cannot should send `Authorization` instead). The refusal
    /// is 401 `invalid_request` ([`Reason::CrossSiteCookie`]): the token may be fine, but the
    /// way it arrived is not accepted for this request, so `invalid_token` would wrongly tell
    /// the client to drop it, and 403 would speak of an identity that was never established.
    /// [`dangerous_allow_cross_site_cookies`](crate::auth::AuthLayerBuilder::dangerous_allow_cross_site_cookies)
    /// turns the check off.
    Cookie(String),
    /// A query-string parameter. RFC 6750 §2.3 discourages it: URLs are logged by proxies and
    /// servers, and so would the token be. Only read when configured.
    Query(String),
    /// A header whose whole value is an API key, e.g. `x-api-key`. Reads a
    /// [`CredentialKind::ApiKey`] credential.
    ApiKeyHeader(HeaderName),
    /// `Authorization: ApiKey <key>` (scheme matched case-insensitively). Reads a
    /// [`CredentialKind::ApiKey`] credential.
    AuthorizationApiKey,
    /// The `x-amzn-oidc-data` header an AWS Application Load Balancer adds after authenticating
    /// a user: an ES256 JWT the load balancer signed, verified by [`alb::Alb`](crate::alb::Alb).
    /// Reads a [`CredentialKind::AlbOidcData`] credential. The unsigned `x-amzn-oidc-accesstoken`
    /// and `x-amzn-oidc-identity` headers are never read.
    AlbOidcData,
}

impl CredentialSource {
    fn describe(&self) -> &'static str {
        match self {
            Self::AuthorizationBearer => "authorization",
            Self::Header(_) => "header",
            Self::Cookie(_) => "cookie",
            Self::Query(_) => "query",
            Self::ApiKeyHeader(_) => "api-key-header",
            Self::AuthorizationApiKey => "authorization-api-key",
            Self::AlbOidcData => "alb-oidc-data",
        }
    }

    fn kind(&self) -> CredentialKind {
        match self {
            Self::ApiKeyHeader(_) | Self::AuthorizationApiKey => CredentialKind::ApiKey,
            Self::AlbOidcData => CredentialKind::AlbOidcData,
            _ => CredentialKind::Bearer,
        }
    }
}

/// What a credential is, decided by where it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A bearer token (usually a JWT).
    Bearer,
    /// An API key.
    ApiKey,
    /// The user claims an AWS Application Load Balancer signed (`x-amzn-oidc-data`).
    AlbOidcData,
}

/// A credential read from a request. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    token: Box<str>,
    source: &'static str,
    kind: CredentialKind,
}

impl Credential {
    /// A bearer token credential (for tests and custom extraction).
    pub fn bearer(token: impl Into<Box<str>>) -> Self {
        Self {
            token: token.into(),
            source: "code",
            kind: CredentialKind::Bearer,
        }
    }

    /// An API key credential (for tests and custom extraction).
    pub fn api_key(key: impl Into<Box<str>>) -> Self {
        Self {
            token: key.into(),
            source: "code",
            kind: CredentialKind::ApiKey,
        }
    }

    /// An ALB user-claims credential, as read from `x-amzn-oidc-data` (for tests and custom
    /// extraction).
    pub fn alb_oidc_data(token: impl Into<Box<str>>) -> Self {
        Self {
            token: token.into(),
            source: "code",
            kind: CredentialKind::AlbOidcData,
        }
    }

    /// The token itself. Handle with care: never log it.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Where the credential came from: `authorization`, `header`, `cookie`, `query`,
    /// `api-key-header`, `authorization-api-key`, `alb-oidc-data` or `code`.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether it is a bearer token, an API key or ALB user claims.
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The token, if the credential is of the `kind` a provider takes; otherwise the refusal
    /// every provider gives a credential it does not take (401, `UnsupportedCredential`).
    pub(crate) fn token_of(&self, kind: CredentialKind) -> Result<&str, AuthError> {
        if self.kind == kind {
            Ok(&self.token)
        } else {
            Err(AuthError::invalid_token(Reason::UnsupportedCredential))
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("source", &self.source)
            .field("kind", &self.kind)
            .field(
                "token",
                &format_args!("<redacted {} bytes>", self.token.len()),
            )
            .finish()
    }
}

/// Reads the credential from a request, following the configured sources and size limit.
#[derive(Debug, Clone)]
pub(crate) struct Extractor {
    pub(crate) sources: Vec<CredentialSource>,
    pub(crate) max_len: usize,
}

impl Default for Extractor {
    fn default() -> Self {
        Self {
            sources: vec![CredentialSource::AuthorizationBearer],
            max_len: DEFAULT_MAX_TOKEN_BYTES,
        }
    }
}

impl Extractor {
    /// `Ok(None)` when no configured source holds a credential.
    pub(crate) fn extract(&self, parts: &Parts) -> Result<Option<Credential>, AuthError> {
        let mut found: Option<Credential> = None;
        for source in &self.sources {
            let token = match source {
                CredentialSource::AuthorizationBearer => bearer_from_authorization(parts)?,
                CredentialSource::Header(name) => single_header(parts, name)?,
                CredentialSource::Cookie(name) => cookie(parts, name)?.map(str::as_bytes),
                CredentialSource::Query(name) => query(parts, name)?.map(str::as_bytes),
                CredentialSource::ApiKeyHeader(name) => single_header(parts, name)?,
                CredentialSource::AuthorizationApiKey => {
                    scheme_from_authorization(parts, "apikey")?
                }
                CredentialSource::AlbOidcData => single_header(parts, &ALB_OIDC_DATA)?,
            };
            let Some(token) = token else { continue };
            if found.is_some() {
                return Err(AuthError::invalid_request(Reason::DuplicateCredential));
            }
            // The size first, then the characters: nothing longer than the limit is scanned.
            if token.len() > self.max_len {
                return Err(AuthError::invalid_request(Reason::TooLarge));
            }
            // A b64token is ASCII, so it is valid UTF-8 too.
            let characters_ok = match source {
                CredentialSource::AlbOidcData => is_padded_jws(token),
                _ => is_b64token(token),
            };
            let token = match std::str::from_utf8(token) {
                Ok(token) if characters_ok => token,
                _ => return Err(AuthError::invalid_request(Reason::MalformedCredential)),
            };
            found = Some(Credential {
                token: token.into(),
                source: source.describe(),
                kind: source.kind(),
            });
        }
        Ok(found)
    }
}

/// Which unsafe requests may carry a cookie credential: the cross-site request forgery defence
/// described at [`CredentialSource::Cookie`].
#[derive(Debug, Clone, Default)]
pub(crate) struct CookieOrigins {
    /// Trusted origins, ASCII-serialized as browsers send them (`https://app.example.com`).
    pub(crate) trusted: Vec<String>,
    /// Set by `dangerous_allow_cross_site_cookies()`.
    pub(crate) allow_cross_site: bool,
}

impl CookieOrigins {
    /// Refuses `credential` if it was read from a cookie, on an unsafe method, by a request that
    /// does not show it is same-origin.
    pub(crate) fn check(&self, parts: &Parts, credential: &Credential) -> Result<(), AuthError> {
        if self.allow_cross_site
            || credential.source != "cookie"
            || matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            return Ok(());
        }
        let fetch_site = parts.headers.get("sec-fetch-site").map(|v| v.as_bytes());
        if matches!(fetch_site, Some(b"same-origin" | b"none")) {
            return Ok(());
        }
        let mut origins = parts.headers.get_all(ORIGIN).iter();
        if let (Some(origin), None) = (origins.next(), origins.next()) {
            if self
                .trusted
                .iter()
                .any(|t| t.as_bytes() == origin.as_bytes())
            {
                return Ok(());
            }
        }
        Err(AuthError::invalid_request(Reason::CrossSiteCookie))
    }
}

/// The header an AWS Application Load Balancer puts its signed user claims in.
const ALB_OIDC_DATA: HeaderName = HeaderName::from_static("x-amzn-oidc-data");

/// The characters of a compact JWS whose segments are padded base64url, as the ALB writes
/// them: `=` may end each segment. The provider checks the exact shape.
fn is_padded_jws(token: &[u8]) -> bool {
    !token.is_empty()
        && token
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &[u8]) -> bool {
    /// 1 for each byte that is not a b64token character (RFC 6750 §2.1), `=` padding aside.
    #[allow(clippy::indexing_slicing)] // evaluated at compile time, with `b < 256`
    const NOT_B64TOKEN: [u8; 256] = {
        let mut table = [1; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/') {
                table[b] = 0;
            }
            b += 1;
        }
        table
    };
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = token.get(..token.len() - padding).unwrap_or_default();
    // OR-ing the table entries, with no early exit, lets the loop run without a branch per byte:
    // this runs over every token of every request.
    !body.is_empty()
        && body.iter().fold(0u8, |bad, &b| {
            bad | NOT_B64TOKEN.get(usize::from(b)).copied().unwrap_or(1)
        }) == 0
}

fn bearer_from_authorization(parts: &Parts) -> Result<Option<&[u8]>, AuthError> {
    scheme_from_authorization(parts, "bearer")
}

/// The credential after `scheme_wanted` in the single `Authorization` header, as bytes: the
/// caller checks the size before the characters, so an oversized header is never scanned.
fn scheme_from_authorization<'a>(
    parts: &'a Parts,
    scheme_wanted: &str,
) -> Result<Option<&'a [u8]>, AuthError> {
    let Some(value) = single_header(parts, &AUTHORIZATION)? else {
        return Ok(None);
    };
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(space) => value.split_at(space),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(scheme_wanted.as_bytes()) {
        // Another scheme (Basic, ApiKey…) is not this source's credential: the request carries
        // none here, unless the header is not even readable text.
        if !value
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(AuthError::invalid_request(Reason::MalformedCredential));
        }
        return Ok(None);
    }
    let start = rest.iter().take_while(|&&b| b == b' ').count();
    let token = rest.get(start..).unwrap_or_default();
    if token.is_empty() {
        return Err(AuthError::invalid_request(Reason::MalformedCredential));
    }
    Ok(Some(token))
}

/// The one value of header `name` with surrounding whitespace trimmed, as bytes (its
/// characters are checked by the caller); two values are an ambiguous credential.
fn single_header<'a>(parts: &'a Parts, name: &HeaderName) -> Result<Option<&'a [u8]>, AuthError> {
    let mut values = parts.headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::invalid_request(Reason::DuplicateCredential));
    }
    Ok(Some(value.as_bytes().trim_ascii()))
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a str>, AuthError> {
    let mut found = None;
    for header in parts.headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if key != name {
                continue;
            }
            if found.is_some() {
                return Err(AuthError::invalid_request(Reason::DuplicateCredential));
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            found = Some(value);
        }
    }
    Ok(found)
}

fn query<'a>(parts: &'a Parts, name: &str) -> Result<Option<&'a str>, AuthError> {
    let Some(query) = parts.uri.query() else {
        return Ok(None);
    };
    let mut found = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != name {
            continue;
        }
        if found.is_some() {
            return Err(AuthError::invalid_request(Reason::DuplicateCredential));
        }
        // JWTs are base64url and need no percent-encoding; an encoded value is refused by the
        // b64token check rather than decoded.
        found = Some(value);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AuthErrorKind;

    fn parts(builder: http::request::Builder) -> Parts {
        builder
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn extract(ex: &Extractor, b: http::request::Builder) -> Result<Option<String>, AuthError> {
        ex.extract(&parts(b))
            .map(|c| c.map(|c| c.token().to_owned()))
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let ex = Extractor::default();
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let b =
                http::Request::get("/").header("authorization", format!("{scheme} abc.def.ghi"));
            assert_eq!(
                extract(&ex, b).ok().flatten().as_deref(),
                Some("abc.def.ghi")
            );
        }
    }

    #[test]
    fn other_schemes_and_absence_are_no_credential() {
        let ex = Extractor::default();
        assert_eq!(extract(&ex, http::Request::get("/")), Ok(None));
        let b = http::Request::get("/").header("authorization", "Basic dXNlcjpwYXNz");
        assert_eq!(extract(&ex, b), Ok(None));
    }

    #[test]
    fn malformed_duplicate_and_oversized_are_invalid_requests() {
        let ex = Extractor {
            max_len: 16,
            ..Extractor::default()
        };
        let cases = [
            http::Request::get("/").header("authorization", "Bearer"),
            http::Request::get("/").header("authorization", "Bearer   "),
            http::Request::get("/").header("authorization", "Bearer a b"),
            http::Request::get("/").header("authorization", "Bearer a\"b"),
            http::Request::get("/").header("authorization", "Bearer =abc"),
            http::Request::get("/").header("authorization", "Bearer aaaaaaaaaaaaaaaaa"),
            http::Request::get("/")
                .header("authorization", "Bearer a")
                .header("authorization", "Bearer b"),
        ];
        for b in cases {
            let err = extract(&ex, b).err().map(|e| e.kind());
            assert_eq!(err, Some(AuthErrorKind::InvalidRequest));
        }
    }

    #[test]
    fn cookie_header_and_query_sources() {
        let ex = Extractor {
            sources: vec![
                CredentialSource::Cookie("session".into()),
                CredentialSource::Header(HeaderName::from_static("x-token")),
                CredentialSource::Query("access_token".into()),
            ],
            ..Extractor::default()
        };
        let b = http::Request::get("/").header("cookie", "a=1; session=tok.en.x; b=2");
        assert_eq!(extract(&ex, b), Ok(Some("tok.en.x".into())));
        let b = http::Request::get("/").header("x-token", "t.o.k");
        assert_eq!(extract(&ex, b), Ok(Some("t.o.k".into())));
        let b = http::Request::get("/p?x=1&access_token=q.u.e");
        assert_eq!(extract(&ex, b), Ok(Some("q.u.e".into())));
        // Two places at once is refused (RFC 6750 §2).
        let b = http::Request::get("/p?access_token=a").header("x-token", "b");
        assert_eq!(
            extract(&ex, b).err().map(|e| e.reason()),
            Some(Reason::DuplicateCredential)
        );
        // The default extractor never reads the query string.
        let b = http::Request::get("/p?access_token=q.u.e");
        assert_eq!(extract(&Extractor::default(), b), Ok(None));
    }

    #[test]
    fn api_key_sources_read_api_key_credentials() {
        let ex = Extractor {
            sources: vec![
                CredentialSource::AuthorizationBearer,
                CredentialSource::ApiKeyHeader(HeaderName::from_static("x-api-key")),
                CredentialSource::AuthorizationApiKey,
            ],
            ..Extractor::default()
        };
        let kind = |b: http::request::Builder| {
            ex.extract(&parts(b))
                .map(|c| c.map(|c| (c.token().to_owned(), c.kind())))
        };
        let b = http::Request::get("/").header("x-api-key", "tgk_abc");
        assert_eq!(
            kind(b),
            Ok(Some(("tgk_abc".into(), CredentialKind::ApiKey)))
        );
        for scheme in ["ApiKey", "apikey", "APIKEY"] {
            let b = http::Request::get("/").header("authorization", format!("{scheme} tgk_abc"));
            assert_eq!(
                kind(b),
                Ok(Some(("tgk_abc".into(), CredentialKind::ApiKey)))
            );
        }
        let b = http::Request::get("/").header("authorization", "Bearer a.b.c");
        assert_eq!(kind(b), Ok(Some(("a.b.c".into(), CredentialKind::Bearer))));
        // A key and a token at once is two credentials.
        let b = http::Request::get("/")
            .header("authorization", "Bearer a.b.c")
            .header("x-api-key", "tgk_abc");
        assert_eq!(
            kind(b).err().map(|e| e.reason()),
            Some(Reason::DuplicateCredential)
        );
        let b = http::Request::get("/").header("authorization", "ApiKey");
        assert_eq!(
            kind(b).err().map(|e| e.reason()),
            Some(Reason::MalformedCredential)
        );
        // The default extractor reads neither API-key source.
        let b = http::Request::get("/").header("x-api-key", "tgk_abc");
        assert_eq!(extract(&Extractor::default(), b), Ok(None));
        let b = http::Request::get("/").header("authorization", "ApiKey tgk_abc");
        assert_eq!(extract(&Extractor::default(), b), Ok(None));
    }

    #[test]
    fn the_alb_header_reads_padded_segments_as_alb_credentials() {
        let ex = Extractor {
            sources: vec![
                CredentialSource::AuthorizationBearer,
                CredentialSource::AlbOidcData,
            ],
            ..Extractor::default()
        };
        let read = |b: http::request::Builder| {
            ex.extract(&parts(b))
                .map(|c| c.map(|c| (c.token().to_owned(), c.kind(), c.source())))
        };
        let b = http::Request::get("/").header("x-amzn-oidc-data", "ab==.cd=.ef==");
        assert_eq!(
            read(b),
            Ok(Some((
                "ab==.cd=.ef==".into(),
                CredentialKind::AlbOidcData,
                "alb-oidc-data"
            )))
        );
        for bad in ["a+b.c.d", "a/b.c.d", "a b.c", "a%2e.b.c"] {
            let b = http::Request::get("/").header("x-amzn-oidc-data", bad);
            assert_eq!(
                read(b).err().map(|e| e.reason()),
                Some(Reason::MalformedCredential),
                "{bad}"
            );
        }
        // The unsigned ALB headers are never credentials.
        let b = http::Request::get("/")
            .header("x-amzn-oidc-accesstoken", "a.b.c")
            .header("x-amzn-oidc-identity", "alice");
        assert_eq!(read(b), Ok(None));
        // Padding inside a bearer token is still refused.
        let b = http::Request::get("/").header("authorization", "Bearer ab==.cd");
        assert_eq!(
            read(b).err().map(|e| e.reason()),
            Some(Reason::MalformedCredential)
        );
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = Credential::bearer("secret.token.value");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("redacted 18 bytes"));
    }
}
