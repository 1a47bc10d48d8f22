//! Bounded HTTP GETs for discovery documents and JWKS.

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
    pub(crate) fn new(timeout: Duration, max_bytes: usize) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client, max_bytes })
    }

    /// GETs `url` and parses the body as JSON into `T`, reading at most `max_bytes`.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> Result<T, FetchError> {
        let mut response = self
            .client
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| FetchError::Transport(without_url(e)))?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
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
        serde_json::from_slice(&body).map_err(|e| FetchError::Json(e.to_string()))
    }
}

/// reqwest's messages repeat the URL, which the caller already reports.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
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
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback || allow_http => Ok(parsed),
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
