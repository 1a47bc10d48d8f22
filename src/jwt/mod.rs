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
mod verified;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::clock::{unix_millis, Clock};
use crate::credential::Credential;
use crate::error::{AuthError, ConfigError, Reason};
use crate::fetch::{check_url, Fetcher, DEFAULT_MAX_BYTES};
use crate::jwks::{CacheSettings, JwksCache, JwksHandle, Lookup, Schedule, UnpinnedRsa};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};
use verified::{Verified, VerifiedTokens};

pub(crate) use token::{parse, unverified_claims, AudienceRule, ClaimPolicy, Restrictions};
pub(crate) use verified::TokenKey;

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

    /// The aws-lc-rs verification algorithm. JWS ECDSA signatures are the fixed-width `r || s`
    /// (RFC 7518 §3.4), never DER.
    pub(crate) fn verification(self) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
        use aws_lc_rs::signature as s;
        match self {
            Self::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &s::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &s::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &s::RSA_PSS_2048_8192_SHA512,
            Self::ES256 => &s::ECDSA_P256_SHA256_FIXED,
            Self::ES384 => &s::ECDSA_P384_SHA384_FIXED,
            Self::EdDSA => &s::ED25519,
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
    /// Whether `algorithms()` was called: what an RSA key without `alg` may verify.
    unpinned_rsa: UnpinnedRsa,
    leeway: Duration,
    required: Vec<String>,
    http_timeout: Duration,
    max_response_bytes: usize,
    refresh_window: (Duration, Duration),
    retry_backoff: (Duration, Duration),
    unknown_kid_interval: Duration,
    unknown_kid_cooldown: Duration,
    unknown_kid_wait: Duration,
    max_staleness: Duration,
    startup: Startup,
    clock: Option<ClockArc>,
    token_cache: usize,
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

/// Verified tokens remembered per worker thread, by default.
const DEFAULT_TOKEN_CACHE: usize = 1024;

/// The longest `require_keys_at_build` wait: in effect forever, and a deadline every clock can
/// represent.
const LONGEST_BUILD_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

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
    ///
    /// Calling this also decides what an RSA key published **without** `alg` may verify. RFC
    /// 8725 §3.1 asks that each key be used with one algorithm, so by default such a key
    /// verifies RS256 only (the algorithm issuers sign with unless told otherwise) and a PS256,
    /// RS384, … token naming it is refused. Once the list is set here, explicitly, the key
    /// verifies any RSA algorithm on this list: you have said which ones your issuer uses. A
    /// key that names its `alg` verifies exactly that one either way. The presets
    /// ([`Cognito`](crate::cognito), [`Auth0`](crate::auth0), [`Okta`](crate::okta)) do not
    /// call it, so their alg-less RSA keys verify RS256 only, which is what those issuers sign
    /// with (and their keys name `alg: RS256` anyway); calling it on a preset's
    /// `into_jwt_builder()` is explicit.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self.unpinned_rsa = UnpinnedRsa::AnyAllowed;
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

    /// The refresh window: the shortest and longest lifetime assumed for a key set, whatever
    /// its `Cache-Control`/`Expires` headers say (default 5 min and 24 h). A response without
    /// those headers is assumed to live for `min`. The set is refreshed at a random 80–90 % of
    /// its lifetime.
    pub fn refresh_window(mut self, min: Duration, max: Duration) -> Self {
        self.refresh_window = (min, max);
        self
    }

    /// A fixed refresh lifetime, whatever the response headers say: the same as
    /// `refresh_window(interval, interval)`.
    pub fn refresh_interval(self, interval: Duration) -> Self {
        self.refresh_window(interval, interval)
    }

    /// Backoff after failed fetches: the first retry after about `initial`, doubling with each
    /// further failure up to `max` (default 2 s and 5 min; each delay is jittered down to half).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_backoff = (initial, max);
        self
    }

    /// Least time between two JWKS fetches caused by unknown `kid`s, whatever the kids
    /// (default 3 s). A token with an unknown `kid` arriving sooner is rejected at once (or
    /// joins the fetch in flight), so made-up kids cost the issuer at most one request per
    /// interval. It is also the longest a newly published key can be refused: the first
    /// request with its `kid` after the interval fetches it.
    pub fn unknown_kid_interval(mut self, interval: Duration) -> Self {
        self.unknown_kid_interval = interval;
        self
    }

    /// How long a `kid` is refused without fetching once a fetch made after it was first seen
    /// did not list it (default 30 s), so one made-up or withdrawn `kid` sent again and again
    /// costs one fetch per cooldown. Only fetches that started after the request count, so a
    /// fetch that happened before the issuer published a key never holds that key back. An
    /// issuer that signs with a key *before* publishing it (a JWKS behind a lagging cache) can
    /// see that key's tokens refused for up to this long: shorten it for such issuers.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// How long a request with an unknown `kid` waits for the fetch it triggered (or joined)
    /// before it is rejected (default 2 s). The fetch itself goes on.
    pub fn unknown_kid_wait(mut self, wait: Duration) -> Self {
        self.unknown_kid_wait = wait;
        self
    }

    /// How long the last good key set keeps verifying while the issuer cannot be reached,
    /// counted from the last successful (or 304-confirmed) fetch (default 24 h). Past it,
    /// requests get 503 until a fetch succeeds.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.max_staleness = max;
        self
    }

    /// Makes `build()` wait until the keys are loaded, retrying with backoff for up to
    /// `timeout`, and fail with [`ConfigError::Jwks`] if they are not: for services that should
    /// not start without keys. By default `build()` makes one attempt and, if it fails,
    /// succeeds anyway (requests get 503 until the keys load).
    ///
    /// A timeout above 100 years is taken as 100 years, which is to say: wait until the keys
    /// load (`Duration::MAX` is fine; the deadline is computed on the provider's clock and must
    /// fit in a `SystemTime`).
    pub fn require_keys_at_build(mut self, timeout: Duration) -> Self {
        self.startup = Startup::Require(timeout.min(LONGEST_BUILD_WAIT));
        self
    }

    /// Makes `build()` return without fetching the keys: the first fetch runs in the
    /// background at once, and requests that arrive before it completes wait for it (up to
    /// [`unknown_kid_wait`](Self::unknown_kid_wait)) or get 503. Discovery, when used, still
    /// runs in `build()`.
    pub fn lazy_keys(mut self) -> Self {
        self.startup = Startup::Lazy;
        self
    }

    /// How many verified tokens each worker thread remembers, so a token seen before skips the
    /// signature check (default 1024; 0 turns the cache off). A hit is exactly as strict as
    /// verifying again: the whole token must match byte for byte, `exp`/`nbf` are checked
    /// again, and the key that verified it must still be published (see the README's
    /// "Verified-token cache"). Each entry holds the token and its principal, typically 2–4 KiB.
    /// Each provider has its own cache, even when providers share a key set.
    ///
    /// The cache keys on the token string, which is safe for caching a *success*, but one token
    /// can have several valid strings: an ECDSA signature (r, s) has the twin (r, n − s), which
    /// JWS does not forbid and tollgate accepts. So an application denylist (revoked or
    /// logged-out tokens) must key on the `jti` claim, never on the token string.
    pub fn token_cache(mut self, capacity: usize) -> Self {
        self.token_cache = capacity;
        self
    }

    /// The clock for token expiry, key staleness, refresh schedules and cooldowns (default: the
    /// system clock). Tests use [`ManualClock`](crate::clock::ManualClock) to move time without
    /// sleeping. A provider with its own clock does not share its key-set manager.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
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

    /// Accepts plain-`http` issuer and JWKS URLs on non-loopback hosts, and redirects to them.
    /// Without it, plain http is accepted only on loopback hosts (development), for configured
    /// URLs and redirect targets alike, and never after https.
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
    /// until a fetch succeeds (retried on demand, at most once per unknown-`kid` interval, and
    /// in the background).
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
        if self.http_timeout.is_zero() || self.max_response_bytes == 0 {
            return Err(ConfigError::Invalid(
                "http_timeout and max_response_bytes must be greater than zero".into(),
            ));
        }
        let (min, max) = self.refresh_window;
        if min.is_zero() || min > max {
            return Err(ConfigError::Invalid(format!(
                "refresh window {min:?}..{max:?} is invalid: the minimum must be greater than zero and not above the maximum"
            )));
        }
        let (initial, most) = self.retry_backoff;
        if initial.is_zero() || initial > most {
            return Err(ConfigError::Invalid(format!(
                "retry backoff {initial:?}..{most:?} is invalid: the initial delay must be greater than zero and not above the maximum"
            )));
        }
        if self.max_staleness < max {
            return Err(ConfigError::Invalid(format!(
                "max_staleness ({:?}) is shorter than the refresh window's maximum ({max:?}): keys would go stale before their scheduled refresh; raise max_staleness or lower the window",
                self.max_staleness
            )));
        }
        let fetcher = Fetcher::new(self.http_timeout, self.max_response_bytes, self.allow_http)?;

        let jwks_url = match self.jwks_url {
            Some(url) => url,
            None => discover(&fetcher, &self.issuer).await?,
        };
        check_url(&jwks_url, "JWKS URL", self.allow_http)?;

        let settings = CacheSettings {
            schedule: Schedule {
                min,
                max,
                backoff_initial: initial,
                backoff_max: most,
            },
            unknown_kid_interval: self.unknown_kid_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            unknown_kid_wait: self.unknown_kid_wait,
            max_staleness: self.max_staleness,
            http_timeout: self.http_timeout,
            max_response_bytes: self.max_response_bytes,
            allow_http: self.allow_http,
        };
        let cache = JwksCache::shared(jwks_url, fetcher, settings, self.clock.clone());
        match self.startup {
            Startup::TryOnce => {
                if !cache.wait_for_keys(Duration::ZERO).await {
                    tracing::warn!(
                        target: "tollgate::jwks",
                        url = %cache.url(),
                        "first JWKS fetch failed; requests get 503 until the keys load"
                    );
                }
            }
            Startup::Require(timeout) => {
                if !cache.wait_for_keys(timeout).await {
                    let reason = cache
                        .status()
                        .last_error
                        .unwrap_or_else(|| "no fetch completed".into());
                    return Err(ConfigError::Jwks {
                        url: cache.url().to_owned(),
                        timeout,
                        reason,
                    });
                }
            }
            Startup::Lazy => {}
        }

        Ok(JwtProvider {
            inner: Arc::new(Inner {
                name: self.name.into(),
                algorithms: self.algorithms,
                unpinned_rsa: self.unpinned_rsa,
                policy: ClaimPolicy {
                    issuer: self.issuer,
                    audiences: self.audiences,
                    leeway: self.leeway.as_secs(),
                    required: self.required,
                    restrictions: self.restrictions,
                },
                claim_names: self.claim_names,
                verified: (self.token_cache > 0)
                    .then(|| VerifiedTokens::new(self.token_cache, self.leeway.as_secs())),
                clock: cache.clock_arc(),
                cache,
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
type ClockArc = Arc<dyn Clock>;

/// What `build()` does about the first key fetch.
#[derive(Debug, Clone, Copy)]
enum Startup {
    /// One attempt; the provider is built whatever its outcome.
    TryOnce,
    /// Retry until the keys load or the timeout passes; fail the build if they do not.
    Require(Duration),
    /// No attempt in `build()`; the refresh task fetches at once.
    Lazy,
}

/// Verifies JWTs from one issuer against its JWKS. Cheap to clone.
#[derive(Clone)]
pub struct JwtProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    algorithms: Vec<Algorithm>,
    unpinned_rsa: UnpinnedRsa,
    policy: ClaimPolicy,
    claim_names: ClaimNames,
    verified: Option<VerifiedTokens>,
    clock: ClockArc,
    cache: Arc<JwksCache>,
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
            unpinned_rsa: UnpinnedRsa::Rs256,
            leeway: Duration::from_secs(60),
            required: Vec::new(),
            http_timeout: Duration::from_secs(5),
            max_response_bytes: DEFAULT_MAX_BYTES,
            refresh_window: (Duration::from_secs(300), Duration::from_secs(24 * 3600)),
            retry_backoff: (Duration::from_secs(2), Duration::from_secs(300)),
            unknown_kid_interval: Duration::from_secs(3),
            unknown_kid_cooldown: Duration::from_secs(30),
            unknown_kid_wait: Duration::from_secs(2),
            max_staleness: Duration::from_secs(24 * 3600),
            startup: Startup::TryOnce,
            clock: None,
            token_cache: DEFAULT_TOKEN_CACHE,
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

    /// How many usable keys are loaded (stale or not).
    pub fn key_count(&self) -> usize {
        self.inner.cache.key_count()
    }

    /// The key-set manager's handle: health for readiness probes, manual refresh, shutdown.
    pub fn jwks(&self) -> JwksHandle {
        JwksHandle::new(Arc::clone(&self.inner.cache))
    }

    /// Verifies a token: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// An [`AuthError`] saying why the token is not accepted.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        match self.inner.verify_cached(token) {
            Ok(principal) => Ok(principal),
            Err(miss @ (Miss::UnknownKey(_) | Miss::NoKeys)) => {
                // The issuer may have rotated its keys since the last fetch.
                let kid = match &miss {
                    Miss::UnknownKey(kid) => Some(kid.as_str()),
                    _ => None,
                };
                self.inner.cache.refresh_on_miss(kid).await;
                self.inner
                    .verify_cached(token)
                    .map_err(|miss| self.inner.miss_error(miss))
            }
            Err(miss) => Err(self.inner.miss_error(miss)),
        }
    }

    /// What [`try_authenticate`](Provider::try_authenticate) would answer for `token` from the
    /// verified-token cache: its principal if this provider verified it before on this thread
    /// and it passes the cache's re-checks now. `None` decides nothing: verify the token. A miss
    /// reads neither the clock nor the key set.
    pub(crate) fn cached(&self, token: &str, key: TokenKey) -> Option<Principal> {
        let found = self.inner.verified.as_ref()?.find(token, key)?;
        let now_ms = unix_millis(self.inner.clock.now());
        let keys = self.inner.cache.usable_keys(now_ms)?;
        found.principal_if_current((now_ms / 1000) as f64, &keys, self.inner.unpinned_rsa)
    }
}

enum Miss {
    NoKeys,
    /// The token's `kid`, which the key set lacks.
    UnknownKey(String),
    Rejected(AuthError),
}

impl Inner {
    /// Verifies with the keys at hand; a missing key is reported, not fetched.
    fn verify_cached(&self, token: &str) -> Result<Principal, Miss> {
        let reject = |reason| Miss::Rejected(AuthError::invalid_token(reason));
        let now_ms = unix_millis(self.clock.now());
        let now = now_ms / 1000;
        let Some(keys) = self.cache.usable_keys(now_ms) else {
            // A malformed token is the client's fault whether or not keys are loaded.
            parse(token, &self.algorithms).map_err(reject)?;
            return Err(Miss::NoKeys);
        };
        if let Some(hit) = self
            .verified
            .as_ref()
            .and_then(|tokens| tokens.get(token, now as f64, &keys, self.unpinned_rsa))
        {
            return Ok(hit);
        }
        let parsed = parse(token, &self.algorithms).map_err(reject)?;
        let key = match keys.lookup(parsed.kid.as_deref(), parsed.alg, self.unpinned_rsa) {
            Lookup::Found(key)
                if key.verify(parsed.alg, parsed.signing_input, &parsed.signature) =>
            {
                key
            }
            Lookup::Found(_) => return Err(reject(Reason::BadSignature)),
            Lookup::UnknownKid => return Err(Miss::UnknownKey(parsed.kid.unwrap_or_default())),
            Lookup::NoMatch => return Err(reject(Reason::NoMatchingKey)),
        };
        self.policy
            .check_type(parsed.typ.as_deref())
            .map_err(reject)?;
        let checked = self.policy.check(&parsed.claims, now).map_err(reject)?;
        let subject = parsed
            .claims
            .get("sub")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let names = &self.claim_names;
        let principal = Principal::builder(self.name.clone())
            .subject(subject)
            .issuer(Some(self.policy.issuer.clone()))
            .scopes(token::strings_from(&parsed.claims, &names.scopes))
            .groups(token::strings_from(&parsed.claims, &names.groups))
            .roles(token::strings_from(&parsed.claims, &names.roles))
            .expires_at(checked.expires_at)
            .claims(parsed.claims)
            .build();
        if let Some(tokens) = &self.verified {
            tokens.insert(Verified {
                token,
                principal: &principal,
                exp: checked.exp,
                nbf: checked.nbf,
                kid: parsed.kid.as_deref(),
                alg: parsed.alg,
                key: key.material(),
            });
        }
        Ok(principal)
    }

    fn miss_error(&self, miss: Miss) -> AuthError {
        match miss {
            Miss::NoKeys => AuthError::unavailable(self.cache.retry_after()),
            Miss::UnknownKey(_) => AuthError::invalid_token(Reason::UnknownKey),
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
            Err(Miss::UnknownKey(_) | Miss::NoKeys) => None,
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
