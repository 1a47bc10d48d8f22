//! [`IntrospectionBuilder`]: the endpoint (configured or discovered), this server's client
//! credentials, the accepted audiences and the cache's lifetimes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::discovery::discover;
use super::provider::{Inner, Introspection};
use super::response::AnswerPolicy;
use crate::answer_cache::AnswerCache;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::fetch::{is_loopback, Fetcher};

/// The largest introspection answer read (a few hundred bytes is usual); larger is no answer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// How this server authenticates to the introspection endpoint (RFC 7662 §2.1 requires it to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `Authorization: Basic` with the form-encoded client id and secret (RFC 6749 §2.3.1),
    /// the method every server must support.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

/// A client secret: never printed.
#[derive(Clone)]
pub(super) struct Secret(pub(super) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// Configures [`Introspection`]. Created by [`Introspection::builder`].
#[must_use]
pub struct IntrospectionBuilder {
    name: String,
    issuer: String,
    endpoint: Option<String>,
    client: Option<(String, Secret)>,
    method: ClientAuthMethod,
    audiences: Vec<String>,
    any_audience: bool,
    ttl: Duration,
    negative_ttl: Duration,
    leeway: Duration,
    timeout: Duration,
    max_cached: usize,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for IntrospectionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionBuilder")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client.as_ref().map(|(id, _)| id))
            .field("method", &self.method)
            .field("audiences", &self.audiences)
            .field("any_audience", &self.any_audience)
            .field("ttl", &self.ttl)
            .field("negative_ttl", &self.negative_ttl)
            .field("leeway", &self.leeway)
            .field("timeout", &self.timeout)
            .field("max_cached", &self.max_cached)
            .finish_non_exhaustive()
    }
}

/// The default revocation budget: how long a positive answer is trusted.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// The default time an "inactive" answer is kept.
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(10);

impl IntrospectionBuilder {
    pub(super) fn new(issuer: String) -> Self {
        Self {
            name: "introspection".into(),
            issuer,
            endpoint: None,
            client: None,
            method: ClientAuthMethod::default(),
            audiences: Vec::new(),
            any_audience: false,
            ttl: DEFAULT_TTL,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
            leeway: Duration::from_secs(60),
            timeout: Duration::from_secs(3),
            max_cached: 10_000,
            clock: Arc::new(SystemClock),
        }
    }

    /// The name recorded in each principal (default `"introspection"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The introspection endpoint, instead of `introspection_endpoint` from the issuer's
    /// discovery document. `https`, or `http` on a loopback address only: this server's client
    /// secret and the callers' tokens are sent to it.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// This server's client id and secret at the authorization server (required). The secret
    /// is never printed by `Debug`, logged, or put in an error.
    pub fn client(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.client = Some((client_id.into(), Secret(secret.into())));
        self
    }

    /// How the client credentials are sent (default [`ClientAuthMethod::ClientSecretBasic`]).
    pub fn client_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.method = method;
        self
    }

    /// Accepts tokens whose `aud` names `audience`; may be called several times.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Accepts tokens whose `aud` names any of `audiences`.
    pub fn audiences<S: Into<String>>(mut self, audiences: impl IntoIterator<Item = S>) -> Self {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Accepts active tokens whatever their `aud`, or without one, instead of requiring an
    /// [`audience`](Self::audience).
    ///
    /// The authorization server calls a token active for *any* resource server that asks; only
    /// the audience says which service it was issued for. Without the check, a token a client
    /// obtained for another service (which that service may pass on, or leak) is accepted
    /// here too: the token-passthrough attack the MCP authorization spec forbids. Use this only
    /// when the issuer mints tokens for this service alone.
    pub fn dangerous_accept_any_audience(mut self) -> Self {
        self.any_audience = true;
        self
    }

    /// How long an active answer is trusted (default [`DEFAULT_TTL`], 60 s), never past the
    /// token's `exp`: the revocation budget, since a token revoked at the issuer keeps working
    /// here for up to this long. Zero asks the endpoint on every request (concurrent first
    /// uses still share one call). At most one day.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long an "inactive" answer (or one refused by a check) is kept (default
    /// [`DEFAULT_NEGATIVE_TTL`], 10 s), so a client repeating a dead token costs one call per
    /// period. At most one hour.
    pub fn negative_cache_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// Tolerated clock skew for `exp`, `nbf` and `iat` (default 60 s, at most 5 minutes).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long one introspection call (or the discovery fetch) may take, connection included
    /// (default 3 s, at most 60 s); past it the request gets 503.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many tokens' answers are kept (default 10 000); when full, expired answers are
    /// dropped first, then any.
    pub fn max_cached(mut self, max_cached: usize) -> Self {
        self.max_cached = max_cached;
        self
    }

    /// The clock for `exp`/`nbf`/`iat` and cache expiry (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the configuration and, without a configured [`endpoint`](Self::endpoint), finds
    /// it by discovery: `introspection_endpoint` in `{issuer}/.well-known/openid-configuration`,
    /// else in the RFC 8414 `/.well-known/oauth-authorization-server` document, whose `issuer`
    /// must equal the configured issuer exactly.
    ///
    /// # Errors
    /// No client credentials; neither an audience nor
    /// [`dangerous_accept_any_audience`](Self::dangerous_accept_any_audience); an issuer or
    /// endpoint that is not `https` (or `http` on loopback); a lifetime, leeway or timeout
    /// out of range; discovery that fails or names no introspection endpoint.
    pub async fn build(self) -> Result<Introspection, ConfigError> {
        let (client_id, secret) = self.client.clone().ok_or(ConfigError::Missing(
            "no client credentials: call .client(client_id, secret) with this server's credentials at the authorization server",
        ))?;
        if client_id.is_empty() {
            return Err(ConfigError::Invalid("the client id is empty".into()));
        }
        if self.audiences.is_empty() && !self.any_audience {
            return Err(ConfigError::Missing(
                "no audience: call .audience(…) with this service's identifier, so tokens issued for other services are refused (or .dangerous_accept_any_audience(), see its docs)",
            ));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::Invalid("an audience is empty".into()));
        }
        checked_url(&self.issuer, "issuer")?;
        let in_range = |d: Duration, max: u64| d <= Duration::from_secs(max);
        if !in_range(self.ttl, 24 * 3600)
            || !in_range(self.negative_ttl, 3600)
            || !in_range(self.leeway, 300)
        {
            return Err(ConfigError::Invalid(
                "introspection cache lifetimes: cache_ttl at most 1 day, negative_cache_ttl at most 1 hour, leeway at most 5 minutes".into(),
            ));
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(60) {
            return Err(ConfigError::Invalid(
                "the introspection timeout must be between 1 ms and 60 s".into(),
            ));
        }
        let endpoint = match &self.endpoint {
            Some(raw) => checked_url(raw, "introspection endpoint")?,
            None => {
                let found = discover(&self.issuer, self.timeout).await?;
                checked_url(&found, "discovered introspection endpoint")?
            }
        };
        // No redirects: one would carry the token (and, in a form, the secret) elsewhere.
        let http = Fetcher::without_redirects(self.timeout, MAX_ANSWER_BYTES)?;
        Ok(Introspection {
            inner: Arc::new(Inner {
                name: self.name.into(),
                issuer: self.issuer.clone(),
                endpoint,
                client_id,
                secret,
                method: self.method,
                http,
                policy: AnswerPolicy {
                    issuer: self.issuer,
                    audiences: self.audiences,
                    leeway: self.leeway.as_secs(),
                },
                ttl: self.ttl.as_secs(),
                negative_ttl: self.negative_ttl.as_secs(),
                clock: self.clock,
                cache: AnswerCache::new(self.max_cached),
            }),
        })
    }
}

/// `https`, or `http` on loopback; a host; no userinfo or fragment.
pub(super) fn checked_url(raw: &str, what: &str) -> Result<reqwest::Url, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid(format!("{what} `{raw}`: {why}"));
    let url = reqwest::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "plain http is allowed on loopback addresses only: tokens and the client secret are sent there",
            ))
        }
        _ => return Err(invalid("not an https URL")),
    }
    if url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid(
            "give a scheme, host, optional port and path, nothing else",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_on_loopback() {
        assert!(checked_url("https://idp.example/introspect", "e").is_ok());
        assert!(checked_url("http://127.0.0.1:9/introspect", "e").is_ok());
        assert!(checked_url("http://localhost/introspect", "e").is_ok());
        for bad in [
            "http://idp.example/introspect",
            "ftp://idp.example/",
            "https://user:pw@idp.example/",
            "https://idp.example/#x",
            "not a url",
        ] {
            assert!(checked_url(bad, "e").is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_are_never_printed() {
        let builder = super::super::Introspection::builder("https://as.example")
            .client("svc", "hunter2-secret");
        let shown = format!("{builder:?}");
        assert!(
            shown.contains("svc") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn configuration_mistakes_are_named() {
        let base = || {
            super::super::Introspection::builder("https://as.example")
                .endpoint("https://as.example/introspect")
        };
        let error =
            |b: IntrospectionBuilder| async move { b.build().await.err().map(|e| e.to_string()) };
        let e = error(base().audience("api")).await;
        assert!(e.is_some_and(|e| e.contains("no client credentials")));
        let e = error(base().client("svc", "s")).await;
        assert!(e.is_some_and(|e| e.contains("no audience")));
        let e = error(
            base()
                .client("svc", "s")
                .audience("api")
                .cache_ttl(Duration::from_secs(90_000)),
        )
        .await;
        assert!(e.is_some_and(|e| e.contains("cache_ttl")));
        let e = error(
            base()
                .client("svc", "hunter2")
                .audience("api")
                .endpoint("http://as.example/introspect"),
        )
        .await;
        assert!(
            e.as_ref()
                .is_some_and(|e| e.contains("loopback") && !e.contains("hunter2")),
            "{e:?}"
        );
        assert!(base()
            .client("svc", "s")
            .audience("api")
            .build()
            .await
            .is_ok());
        assert!(base()
            .client("svc", "s")
            .dangerous_accept_any_audience()
            .build()
            .await
            .is_ok());
    }
}
