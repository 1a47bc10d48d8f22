//! Bounded HTTP GETs for discovery documents and JWKS, and the HTTP client other providers'
//! calls (STS, ALB keys) go through.

use std::time::Duration;

use crate::error::ConfigError;

/// Default limit on a fetched document's size.
pub(crate) const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// Why a fetch failed; shown in traces and configuration errors, never to clients.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    #[error("invalid JSON: {0}")]
    Json(String),
}

/// The HTTP client and limits shared by discovery and JWKS fetches.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    max_bytes: usize,
}

impl Fetcher {
    /// `allow_http` is the provider's `dangerous_allow_http()`: redirects follow the same rule
    /// as the configured URLs.
    pub(crate) fn new(
        timeout: Duration,
        max_bytes: usize,
        allow_http: bool,
    ) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::custom(
                move |attempt| match redirect_allowed(attempt.previous(), attempt.url(), allow_http)
                {
                    Ok(()) => attempt.follow(),
                    Err(why) => attempt.error(why),
                },
            ))
            .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client, max_bytes })
    }

    /// A fetcher that follows no redirect at all: a 3xx answer is a [`FetchError::Status`].
    /// For key URLs built from a fixed base and a checked path (the ALB's per-`kid` keys),
    /// where nothing legitimate redirects.
    pub(crate) fn without_redirects(
        timeout: Duration,
        max_bytes: usize,
    ) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client, max_bytes })
    }

    /// GETs `url` with `Accept: accept` and returns the body, reading at most `max_bytes`.
    pub(crate) async fn get_bytes(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        let response = self
            .client
            .get(url)
            .header(http::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| FetchError::Transport(without_url(e)))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        self.read_body(response).await
    }

    /// GETs `url` and parses the body as JSON into `T`, reading at most `max_bytes`.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, FetchError> {
        let response = self.send(url, &Validators::default()).await?;
        let body = self.read_body(response).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::Json(e.to_string()))
    }

    /// A conditional GET: sends `If-None-Match` / `If-Modified-Since` from `validators`, and
    /// returns either `NotModified` (304) or the new body with its validators and headers.
    pub(crate) async fn get_conditional(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let response = self.send(url, validators).await?;
        let headers = response.headers().clone();
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { headers });
        }
        let body = self.read_body(response).await?;
        Ok(Fetched::Modified {
            validators: Validators::from_headers(&headers),
            headers,
            body,
        })
    }

    async fn send(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<reqwest::Response, FetchError> {
        let mut request = self
            .client
            .get(url)
            .header(http::header::ACCEPT, "application/json");
        if let Some(etag) = &validators.etag {
            request = request.header(http::header::IF_NONE_MATCH, etag.clone());
        }
        if let Some(date) = &validators.last_modified {
            request = request.header(http::header::IF_MODIFIED_SINCE, date.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::Transport(without_url(e)))?;
        let status = response.status();
        let conditional = validators.etag.is_some() || validators.last_modified.is_some();
        if status.is_success() || (conditional && status == reqwest::StatusCode::NOT_MODIFIED) {
            Ok(response)
        } else {
            Err(FetchError::Status(status.as_u16()))
        }
    }

    /// The client, for requests the helpers here do not make (its timeouts and redirect rule
    /// apply).
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The body of `response`, reading at most the fetcher's limit.
    pub(crate) async fn read_body(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::Transport(without_url(e)))?
        {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The validators of a cached response, sent back in a conditional GET (RFC 9110 §13.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Validators {
    pub(crate) etag: Option<http::HeaderValue>,
    pub(crate) last_modified: Option<http::HeaderValue>,
}

impl Validators {
    fn from_headers(headers: &http::HeaderMap) -> Self {
        Self {
            etag: headers.get(http::header::ETAG).cloned(),
            last_modified: headers.get(http::header::LAST_MODIFIED).cloned(),
        }
    }
}

/// The outcome of a conditional GET.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 304: the cached document is still current.
    NotModified { headers: http::HeaderMap },
    /// A new document.
    Modified {
        body: Vec<u8>,
        validators: Validators,
        headers: http::HeaderMap,
    },
}

/// At most 3 redirects, never from https to anything else, and to plain http only on loopback
/// (or with `allow_http`), the rule [`check_url`] applies to configured URLs: keys must not
/// arrive over a downgraded connection.
fn redirect_allowed(
    previous: &[reqwest::Url],
    next: &reqwest::Url,
    allow_http: bool,
) -> Result<(), &'static str> {
    if previous.iter().any(|url| url.scheme() == "https") && next.scheme() != "https" {
        return Err("redirect from https to another scheme refused");
    }
    match next.scheme() {
        "https" => {}
        "http" if is_loopback(next) || allow_http => {}
        "http" => return Err("redirect to plain http on a non-loopback host refused"),
        _ => return Err("redirect to a scheme other than https refused"),
    }
    if previous.len() > 3 {
        return Err("too many redirects");
    }
    Ok(())
}

/// reqwest's messages repeat the URL, which the caller already reports.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        // The redirect policy's own words: a refused downgrade is not "too many redirects".
        return std::error::Error::source(&e)
            .map_or_else(|| "redirect refused".to_owned(), ToString::to_string);
    } else if e.is_body() || e.is_decode() {
        "could not read the body"
    } else {
        "transport error"
    };
    kind.to_owned()
}

/// Accepts `https` URLs, and `http` only for loopback hosts (development) unless
/// `allow_http` is set.
pub(crate) fn check_url(
    url: &str,
    what: &str,
    allow_http: bool,
) -> Result<reqwest::Url, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ConfigError::Invalid(format!("{what} `{url}` is not a valid URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) || allow_http => Ok(parsed),
        "http" => Err(ConfigError::Invalid(format!(
            "{what} `{url}` uses plain http: keys fetched without TLS can be replaced in transit. \
             Use https (http is accepted for loopback hosts), or call `dangerous_allow_http()` \
             for a trusted private network"
        ))),
        other => Err(ConfigError::Invalid(format!(
            "{what} `{url}` has scheme `{other}`; use https"
        ))),
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn redirects_never_downgrade_and_are_bounded() {
        let https = url("https://idp.example/jwks");
        let http = url("http://idp.example/jwks");
        let loopback = url("http://127.0.0.1:8080/jwks");
        let allowed = |previous: &[reqwest::Url], next: &reqwest::Url| {
            redirect_allowed(previous, next, false)
        };
        assert!(allowed(
            std::slice::from_ref(&https),
            &url("https://cdn.example/jwks")
        )
        .is_ok());
        assert!(allowed(std::slice::from_ref(&https), &http).is_err());
        assert!(allowed(std::slice::from_ref(&https), &loopback).is_err());
        assert!(allowed(&[https.clone(), https.clone()], &http).is_err());
        assert!(allowed(std::slice::from_ref(&loopback), &loopback).is_ok());
        assert!(allowed(std::slice::from_ref(&loopback), &url("http://localhost/j")).is_ok());
        // Plain http to another host: the same rule as a configured URL.
        assert_eq!(
            allowed(std::slice::from_ref(&loopback), &http),
            Err("redirect to plain http on a non-loopback host refused")
        );
        assert!(redirect_allowed(std::slice::from_ref(&loopback), &http, true).is_ok());
        assert!(redirect_allowed(std::slice::from_ref(&http), &http, true).is_ok());
        assert!(allowed(std::slice::from_ref(&loopback), &url("ftp://127.0.0.1/j")).is_err());
        let three = [loopback.clone(), loopback.clone(), loopback.clone()];
        assert!(allowed(&three, &loopback).is_ok());
        let four = [three.as_slice(), std::slice::from_ref(&loopback)].concat();
        assert_eq!(allowed(&four, &loopback), Err("too many redirects"));
    }

    #[test]
    fn urls_must_be_https_except_on_loopback() {
        assert!(check_url("https://idp.example/", "issuer", false).is_ok());
        for loopback in [
            "http://127.0.0.1:8080/",
            "http://localhost/",
            "http://[::1]:9/",
            "http://127.9.9.9/",
        ] {
            assert!(check_url(loopback, "issuer", false).is_ok(), "{loopback}");
        }
        let err = check_url("http://idp.internal/", "JWKS URL", false)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("JWKS URL `http://idp.internal/` uses plain http")));
        assert!(check_url("http://idp.internal/", "JWKS URL", true).is_ok());
        assert!(check_url("file:///etc/passwd", "JWKS URL", true).is_err());
    }
}
