//! The generic JWT / OpenID Connect provider.
//!
//! [`JwtProvider`] verifies signed JWTs (JWS compact serialization) against the keys an issuer
//! publishes as a JWKS, located directly or through OIDC discovery.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::jwt::JwtProvider;
//!
//! // Discovery: GET https://issuer.example.com/.well-known/openid-configuration
//! let provider = JwtProvider::builder("https://issuer.example.com")
//!     .audience("my-api")
//!     .build()
//!     .await?;
//!
//! // Or an explicit JWKS URL, a narrower algorithm list and required claims.
//! let provider = JwtProvider::builder("https://issuer.example.com")
//!     .audience("my-api")
//!     .jwks_url("https://issuer.example.com/keys")
//!     .algorithms([tollgate::jwt::Algorithm::RS256])
//!     .require_claim("sub")
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! What is checked, in order: the token is three base64url segments of JSON with unique member
//! names; the header has no `crit`; `alg` is on the allowlist (never `none` or `HS*`); a key is
//! found by `kid` whose `kty` (and `alg`, if the key names one) agrees with `alg`; the signature
//! verifies; `exp` is present and in the future, `nbf` (if present) is past, both with the leeway;
//! `iss` equals the issuer; `aud` names an accepted audience; required claims are present.

mod token;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::credential::Credential;
use crate::error::{AuthError, ConfigError, Reason};
use crate::fetch::{check_url, Fetcher, DEFAULT_MAX_BYTES};
use crate::jwks::{CacheSettings, JwksCache, Lookup};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

pub(crate) use token::{parse, AudienceRule, ClaimPolicy, Restrictions};

/// A JWS signature algorithm tollgate verifies. Only asymmetric algorithms exist here: `none`
/// and the HMAC family cannot be configured, so a public key can never be used as an HMAC
/// secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl Algorithm {
    /// Every algorithm tollgate verifies; the default allowlist.
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The JOSE name (`"RS256"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Exact, case-sensitive match on the JOSE name, as RFC 7515 requires.
    pub(crate) fn from_jose(name: &str) -> Option<Self> {
        Self::ASYMMETRIC
            .iter()
            .copied()
            .find(|a| a.as_str() == name)
    }

    pub(crate) fn family(self) -> KeyFamily {
        match self {
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 => KeyFamily::P256,
            Self::ES384 => KeyFamily::P384,
            Self::EdDSA => KeyFamily::Ed25519,
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error from parsing an [`Algorithm`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an algorithm tollgate verifies; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA (symmetric HS* and `none` are never accepted)")]
pub struct UnknownAlgorithm(String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_jose(s.trim()).ok_or_else(|| UnknownAlgorithm(s.trim().to_owned()))
    }
}

/// Configures and builds a [`JwtProvider`]. Created by [`JwtProvider::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct JwtProviderBuilder {
    name: String,
    issuer: String,
    audiences: Vec<String>,
    jwks_url: Option<String>,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    required: Vec<String>,
    http_timeout: Duration,
    max_response_bytes: usize,
    refresh_interval: Duration,
    unknown_kid_cooldown: Duration,
    allow_http: bool,
    claim_names: ClaimNames,
    restrictions: Restrictions,
}

/// Which claims fill a principal's scopes, groups and roles.
#[derive(Debug, Clone)]
struct ClaimNames {
    scopes: Vec<Box<str>>,
    groups: Vec<Box<str>>,
    roles: Vec<Box<str>>,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            scopes: vec!["scope".into(), "scp".into()],
            groups: vec!["groups".into()],
            roles: vec!["roles".into()],
        }
    }
}

fn claim_list<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Vec<Box<str>> {
    names
        .into_iter()
        .map(|n| n.into().into_boxed_str())
        .collect()
}

/// The largest leeway accepted: clock skew beyond this is a clock problem to fix, not to absorb.
const MAX_LEEWAY: Duration = Duration::from_secs(300);

impl JwtProviderBuilder {
    /// The name recorded in each principal (default `"jwt"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Adds an accepted audience; a token's `aud` must name at least one. Required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds several accepted audiences.
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// The JWKS URL. Without it, `build()` finds it by OIDC discovery from the issuer.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The accepted algorithms (default: [`Algorithm::ASYMMETRIC`]).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Clock-skew allowance for `exp` and `nbf` (default 60 s, at most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// A claim that must be present (and not `null`) in every accepted token.
    pub fn require_claim(mut self, claim: impl Into<String>) -> Self {
        self.required.push(claim.into());
        self
    }

    /// Timeout for each discovery or JWKS request (default 5 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// Largest discovery or JWKS response accepted (default 1 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// How often the JWKS is fetched again in the background (default 5 min).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Minimum time between two fetches caused by unknown `kid`s (default 30 s). During the
    /// cooldown a token with an unknown `kid` is rejected at once, so a flood of made-up kids
    /// costs the issuer one request per cooldown.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// The claims read as the principal's [scopes](Principal::scopes), in order (default
    /// `scope` then `scp`). Each may hold a space-delimited string or an array of strings.
    pub fn scope_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.scopes = claim_list(names);
        self
    }

    /// The claims read as the principal's [groups](Principal::groups) (default `groups`).
    pub fn group_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.groups = claim_list(names);
        self
    }

    /// The claims read as the principal's [roles](Principal::roles) (default `roles`).
    pub fn role_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.roles = claim_list(names);
        self
    }

    /// Requires RFC 9068 JWT access tokens: the header's `typ` must be `at+jwt` (or
    /// `application/at+jwt`, compared case-insensitively), so an ID token or any other JWT
    /// from the same issuer, signed by the same keys and naming the same audience, is refused.
    ///
    /// Off by default, since many issuers (Auth0's default profile, Okta, Cognito) sign access
    /// tokens with `typ: JWT`.
    pub fn require_at_jwt(mut self) -> Self {
        self.restrictions.require_at_jwt = true;
        self
    }

    /// Cognito: `token_use` must be one of `uses`, and the accepted audiences are matched
    /// against `client_id` in access tokens and `aud` in ID tokens.
    pub(crate) fn cognito_token_use(mut self, uses: Vec<String>) -> Self {
        self.restrictions.audience = AudienceRule::CognitoTokenUse;
        self.restrictions.token_use = uses;
        self
    }

    /// The string claim `claim` must name one of `clients` (Okta's `cid`).
    pub(crate) fn allowed_clients(mut self, claim: &str, clients: Vec<String>) -> Self {
        self.restrictions.client = Some((claim.into(), clients));
        self
    }

    /// Accepts plain-`http` issuer and JWKS URLs on non-loopback hosts.
    ///
    /// Danger: keys fetched without TLS can be swapped by anyone on the path, who can then sign
    /// tokens. Only for trusted private networks.
    pub fn dangerous_allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// Checks the configuration, runs discovery if no JWKS URL was set, loads the keys once and
    /// starts the background refresh.
    ///
    /// If the first JWKS fetch fails, the provider is still built: requests are answered 503
    /// until a fetch succeeds (retried on demand, at most once per cooldown, and in the
    /// background).
    ///
    /// # Errors
    /// [`ConfigError`] when a setting is missing or invalid, when discovery fails, or when
    /// called outside a Tokio runtime.
    pub async fn build(self) -> Result<JwtProvider, ConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::Invalid(
                "JwtProvider::build() must run inside a Tokio runtime (it fetches keys and starts a refresh task)".into(),
            ));
        }
        check_url(&self.issuer, "issuer", self.allow_http)?;
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::Missing(
                "no audience: call .audience(\"…\") with the audience your API's tokens carry in `aud`",
            ));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::Missing(
                "the algorithm list is empty: leave the default or name at least one algorithm",
            ));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::Invalid(format!(
                "leeway of {:?} is too large: at most {:?} is accepted; fix the clocks instead",
                self.leeway, MAX_LEEWAY
            )));
        }
        if self.http_timeout.is_zero()
            || self.refresh_interval.is_zero()
            || self.max_response_bytes == 0
        {
            return Err(ConfigError::Invalid(
                "http_timeout, refresh_interval and max_response_bytes must be greater than zero"
                    .into(),
            ));
        }
        let fetcher = Fetcher::new(self.http_timeout, self.max_response_bytes)?;

        let jwks_url = match self.jwks_url {
            Some(url) => url,
            None => discover(&fetcher, &self.issuer).await?,
        };
        check_url(&jwks_url, "JWKS URL", self.allow_http)?;

        let cache = Arc::new(JwksCache::new(
            jwks_url,
            fetcher,
            CacheSettings {
                refresh_interval: self.refresh_interval,
                unknown_kid_cooldown: self.unknown_kid_cooldown,
            },
        ));
        if cache.refresh().await.is_err() {
            tracing::warn!(
                target: "tollgate::jwks",
                url = %cache.url(),
                "first JWKS fetch failed; requests get 503 until the keys load"
            );
        }
        let refresher = cache.spawn_refresher();

        Ok(JwtProvider {
            inner: Arc::new(Inner {
                name: self.name.into(),
                algorithms: self.algorithms,
                policy: ClaimPolicy {
                    issuer: self.issuer,
                    audiences: self.audiences,
                    leeway: self.leeway.as_secs(),
                    required: self.required,
                    restrictions: self.restrictions,
                },
                claim_names: self.claim_names,
                cache,
                _refresher: RefresherGuard(refresher),
            }),
        })
    }
}

/// Finds the JWKS URL in the issuer's discovery document (OpenID Connect Discovery 1.0 §4),
/// whose `issuer` must equal the configured issuer exactly (§4.3).
async fn discover(fetcher: &Fetcher, issuer: &str) -> Result<String, ConfigError> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: Discovery = fetcher
        .get_json(&url)
        .await
        .map_err(|e| ConfigError::Discovery {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    if doc.issuer != issuer {
        return Err(ConfigError::Discovery {
            url,
            reason: format!(
                "the document names issuer `{}`, not `{issuer}` (they must match exactly, trailing slash included)",
                doc.issuer
            ),
        });
    }
    Ok(doc.jwks_uri)
}

/// Aborts the background refresh when the provider is dropped.
struct RefresherGuard(tokio::task::AbortHandle);

impl Drop for RefresherGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Verifies JWTs from one issuer against its JWKS. Cheap to clone.
#[derive(Clone)]
pub struct JwtProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    algorithms: Vec<Algorithm>,
    policy: ClaimPolicy,
    claim_names: ClaimNames,
    cache: Arc<JwksCache>,
    _refresher: RefresherGuard,
}

impl fmt::Debug for JwtProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtProvider")
            .field("name", &self.inner.name)
            .field("issuer", &self.inner.policy.issuer)
            .field("audiences", &self.inner.policy.audiences)
            .field("algorithms", &self.inner.algorithms)
            .field("jwks", &self.inner.cache)
            .finish()
    }
}

impl JwtProvider {
    /// Starts configuring a provider for `issuer` (the exact `iss` value of its tokens).
    pub fn builder(issuer: impl Into<String>) -> JwtProviderBuilder {
        JwtProviderBuilder {
            name: "jwt".into(),
            issuer: issuer.into(),
            audiences: Vec::new(),
            jwks_url: None,
            algorithms: Algorithm::ASYMMETRIC.to_vec(),
            leeway: Duration::from_secs(60),
            required: Vec::new(),
            http_timeout: Duration::from_secs(5),
            max_response_bytes: DEFAULT_MAX_BYTES,
            refresh_interval: Duration::from_secs(300),
            unknown_kid_cooldown: Duration::from_secs(30),
            allow_http: false,
            claim_names: ClaimNames::default(),
            restrictions: Restrictions::default(),
        }
    }

    /// The issuer: the exact `iss` this provider accepts.
    pub fn issuer(&self) -> &str {
        &self.inner.policy.issuer
    }

    /// The JWKS URL in use (configured or discovered).
    pub fn jwks_url(&self) -> &str {
        self.inner.cache.url()
    }

    /// How many usable keys are loaded.
    pub fn key_count(&self) -> usize {
        self.inner.cache.keys().len()
    }

    /// Verifies a token: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// An [`AuthError`] saying why the token is not accepted.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        match self.inner.verify_cached(token) {
            Ok(principal) => Ok(principal),
            Err(Miss::UnknownKey | Miss::NoKeys) => {
                // The issuer may have rotated its keys since the last fetch.
                self.inner.cache.refresh_on_miss().await;
                self.inner
                    .verify_cached(token)
                    .map_err(|miss| self.inner.miss_error(miss))
            }
            Err(miss) => Err(self.inner.miss_error(miss)),
        }
    }
}

enum Miss {
    NoKeys,
    UnknownKey,
    Rejected(AuthError),
}

impl Inner {
    /// Verifies with the keys at hand; a missing key is reported, not fetched.
    fn verify_cached(&self, token: &str) -> Result<Principal, Miss> {
        let reject = |reason| Miss::Rejected(AuthError::invalid_token(reason));
        let parsed = parse(token, &self.algorithms).map_err(reject)?;
        {
            let keys = self.cache.keys();
            if keys.is_empty() {
                return Err(Miss::NoKeys);
            }
            match keys.lookup(parsed.kid.as_deref(), parsed.alg) {
                Lookup::Found(key)
                    if key.verify(parsed.alg, parsed.signing_input, &parsed.signature) => {}
                Lookup::Found(_) => return Err(reject(Reason::BadSignature)),
                Lookup::UnknownKid => return Err(Miss::UnknownKey),
                Lookup::NoMatch => return Err(reject(Reason::NoMatchingKey)),
            }
        }
        self.policy
            .check_type(parsed.typ.as_deref())
            .map_err(reject)?;
        let checked = self
            .policy
            .check(&parsed.claims, unix_now())
            .map_err(reject)?;
        let subject = parsed
            .claims
            .get("sub")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let names = &self.claim_names;
        Ok(Principal::builder(self.name.clone())
            .subject(subject)
            .issuer(Some(self.policy.issuer.clone()))
            .scopes(token::strings_from(&parsed.claims, &names.scopes))
            .groups(token::strings_from(&parsed.claims, &names.groups))
            .roles(token::strings_from(&parsed.claims, &names.roles))
            .expires_at(checked.expires_at)
            .claims(parsed.claims)
            .build())
    }

    fn miss_error(&self, miss: Miss) -> AuthError {
        match miss {
            Miss::NoKeys => AuthError::unavailable(self.cache.retry_after()),
            Miss::UnknownKey => AuthError::invalid_token(Reason::UnknownKey),
            Miss::Rejected(error) => error,
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Provider for JwtProvider {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        Box::pin(async move { self.verify(credential.token()).await })
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        match self.inner.verify_cached(credential.token()) {
            Ok(principal) => Some(Ok(principal)),
            Err(Miss::UnknownKey | Miss::NoKeys) => None,
            Err(miss) => Some(Err(self.inner.miss_error(miss))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future as _;

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!("RS256".parse::<Algorithm>(), Ok(Algorithm::RS256));
        assert_eq!(" EdDSA ".parse::<Algorithm>(), Ok(Algorithm::EdDSA));
        assert!("rs256".parse::<Algorithm>().is_err());
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
        let msg = "HS256"
            .parse::<Algorithm>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("symmetric HS* and `none` are never accepted"),
            "{msg}"
        );
    }

    #[tokio::test]
    async fn build_reports_configuration_mistakes() {
        let err = |b: JwtProviderBuilder| async move {
            b.build()
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let base = || {
            JwtProvider::builder("https://issuer.example").jwks_url("https://issuer.example/jwks")
        };
        assert!(err(base()).await.contains("no audience"));
        assert!(err(base().audience("a").algorithms([]))
            .await
            .contains("algorithm list is empty"));
        assert!(err(base().audience("a").leeway(Duration::from_secs(3600)))
            .await
            .contains("leeway"));
        assert!(err(JwtProvider::builder("not a url").audience("a"))
            .await
            .contains("not a valid URL"));
        assert!(
            err(JwtProvider::builder("http://issuer.example").audience("a"))
                .await
                .contains("plain http")
        );
        assert!(err(base().audience("a").jwks_url("ftp://x/jwks"))
            .await
            .contains("scheme `ftp`"));
    }

    #[test]
    fn build_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        let build = JwtProvider::builder("https://issuer.example")
            .audience("a")
            .build();
        // Poll once by hand: an executor that is not Tokio.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut build = std::pin::pin!(build);
        match build.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(Err(e)) => {
                assert!(e.to_string().contains("inside a Tokio runtime"), "{e}")
            }
            std::task::Poll::Ready(Ok(_)) => panic!("built outside a runtime"),
            std::task::Poll::Pending => panic!("expected an immediate configuration error"),
        }
    }
}
