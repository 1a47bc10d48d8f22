//! [`JwtProviderBuilder`]: every setting of a [`JwtProvider`], checked in `build()`, which
//! also loads the issuer's keys (or takes another provider's).

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::discovery::discover;
use super::mapping::{claim_list, ClaimNames};
use super::policy::ClaimPolicy;
use super::provider::{Inner, JwtProvider};
use super::restrictions::{AudienceRule, Restrictions};
use super::verified::VerifiedTokens;
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::fetch::{check_url, Fetcher, DEFAULT_MAX_BYTES};
use crate::jose::Algorithm;
use crate::jwks::{CacheSettings, Jwks, JwksCache, KeySet, Schedule, UnpinnedRsa};

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
    clock: Option<Arc<dyn Clock>>,
    token_cache: usize,
    allow_http: bool,
    claim_names: ClaimNames,
    restrictions: Restrictions,
    /// Another provider's key set, used instead of loading one ([`jwks`](Self::jwks)).
    shared_jwks: Option<Jwks>,
    /// A JWKS supplied at build time, the starting key set ([`jwks_seed`](Self::jwks_seed)).
    seed: Option<Seed>,
    /// The first key-loading setting called: it has no effect on a shared key set.
    key_setting: Option<&'static str>,
}

/// Verified tokens remembered per worker thread, by default.
const DEFAULT_TOKEN_CACHE: usize = 1024;

/// The longest `require_keys_at_build` wait: in effect forever, and a deadline every clock can
/// represent.
const LONGEST_BUILD_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The largest leeway accepted: clock skew beyond this is a clock problem to fix, not to absorb.
const MAX_LEEWAY: Duration = Duration::from_secs(300);

impl JwtProviderBuilder {
    pub(super) fn new(issuer: String) -> Self {
        Self {
            name: "jwt".into(),
            issuer,
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
            shared_jwks: None,
            seed: None,
            key_setting: None,
        }
    }

    /// The name recorded in each principal (default `"jwt"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Adds an accepted audience; a token's `aud` (a string or an array) must name at least
    /// one. Required.
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
    /// `into_jwt_builder()` (Cognito: `jwt_settings`) is explicit.
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
        self.key_setting.get_or_insert("http_timeout");
        self.http_timeout = timeout;
        self
    }

    /// Largest discovery or JWKS response accepted (default 1 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.key_setting.get_or_insert("max_response_bytes");
        self.max_response_bytes = bytes;
        self
    }

    /// The refresh window: the shortest and longest lifetime assumed for a key set, whatever
    /// its `Cache-Control`/`Expires` headers say (default 5 min and 24 h). A response without
    /// those headers is assumed to live for `min`. The set is refreshed at a random 80–90 % of
    /// its lifetime.
    pub fn refresh_window(mut self, min: Duration, max: Duration) -> Self {
        self.key_setting.get_or_insert("refresh_window");
        self.refresh_window = (min, max);
        self
    }

    /// A fixed refresh lifetime, whatever the response headers say: the same as
    /// `refresh_window(interval, interval)`.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.key_setting.get_or_insert("refresh_interval");
        self.refresh_window(interval, interval)
    }

    /// Backoff after failed fetches: the first retry after about `initial`, doubling with each
    /// further failure up to `max` (default 2 s and 5 min; each delay is jittered down to half).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.key_setting.get_or_insert("retry_backoff");
        self.retry_backoff = (initial, max);
        self
    }

    /// Least time between two JWKS fetches caused by unknown `kid`s, whatever the kids
    /// (default 3 s). A token with an unknown `kid` arriving sooner is rejected at once (or
    /// joins the fetch in flight), so made-up kids cost the issuer at most one request per
    /// interval. It is also the longest a newly published key can be refused: the first
    /// request with its `kid` after the interval fetches it.
    pub fn unknown_kid_interval(mut self, interval: Duration) -> Self {
        self.key_setting.get_or_insert("unknown_kid_interval");
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
        self.key_setting.get_or_insert("unknown_kid_cooldown");
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// How long a request with an unknown `kid` waits for the fetch it triggered (or joined)
    /// before it is rejected (default 2 s). The fetch itself goes on.
    pub fn unknown_kid_wait(mut self, wait: Duration) -> Self {
        self.key_setting.get_or_insert("unknown_kid_wait");
        self.unknown_kid_wait = wait;
        self
    }

    /// How long the last good key set keeps verifying while the issuer cannot be reached,
    /// counted from the last successful (or 304-confirmed) fetch (default 24 h). Past it,
    /// requests get 503 until a fetch succeeds.
    pub fn max_staleness(mut self, max: Duration) -> Self {
        self.key_setting.get_or_insert("max_staleness");
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
        self.key_setting.get_or_insert("require_keys_at_build");
        self.startup = Startup::Require(timeout.min(LONGEST_BUILD_WAIT));
        self
    }

    /// A JWKS supplied at build time (the issuer's JWKS document, as JSON), used as the
    /// starting key set, so the first request after a cold start verifies without waiting for
    /// the network: say a JWKS fetched at deploy time and shipped with a Lambda function, or
    /// embedded with `include_bytes!`. `build()` then makes no fetch of its own; the background
    /// refresh fetches at once and replaces the seed with the issuer's live keys. Until then, and
    /// through an issuer outage, the seed serves like any cached set (for up to
    /// [`max_staleness`](Self::max_staleness) from `build()`), and a token with a `kid` the seed
    /// lacks triggers the usual single fetch.
    ///
    /// Set [`jwks_url`](Self::jwks_url) too: without it `build()` still runs discovery, which is
    /// a network round trip.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), tollgate::ConfigError> {
    /// use tollgate::jwt::JwtProvider;
    ///
    /// let provider = JwtProvider::builder("https://issuer.example.com/")
    ///     .audience("my-api")
    ///     .jwks_url("https://issuer.example.com/.well-known/jwks.json")
    ///     .jwks_seed_file("jwks.json") // or .jwks_seed(include_bytes!("../jwks.json").as_slice())
    ///     .build() // no network: the seed's keys verify at once
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// `build()` fails if the seed is not a JWKS or holds no key tollgate can use.
    pub fn jwks_seed(mut self, json: impl Into<Vec<u8>>) -> Self {
        self.key_setting.get_or_insert("jwks_seed");
        self.seed = Some(Seed::Bytes(json.into()));
        self
    }

    /// As [`jwks_seed`](Self::jwks_seed), with the JWKS read from the file at `path` in
    /// `build()`, which fails, naming the path, if the file cannot be read or is not a JWKS.
    pub fn jwks_seed_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_setting.get_or_insert("jwks_seed_file");
        self.seed = Some(Seed::File(path.into()));
        self
    }

    /// Makes `build()` return without fetching the keys: the first fetch runs in the
    /// background at once, and requests that arrive before it completes wait for it (up to
    /// [`unknown_kid_wait`](Self::unknown_kid_wait)) or get 503. Discovery, when used, still
    /// runs in `build()`.
    pub fn lazy_keys(mut self) -> Self {
        self.key_setting.get_or_insert("lazy_keys");
        self.startup = Startup::Lazy;
        self
    }

    /// How many verified tokens each worker thread remembers, so a token seen before skips the
    /// signature check (default 1024; 0 turns the cache off). A hit is exactly as strict as
    /// verifying again: the whole token must match byte for byte, `exp`/`nbf` are checked
    /// again, and the key that verified it must still be published (see
    /// [`manual::token_cache`](crate::manual::token_cache)). Each entry holds the token and its
    /// principal, typically 2–4 KiB.
    /// Each provider has its own cache, even when providers [share a key set](Self::jwks).
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
    /// sleeping. A provider that [shares a key set](Self::jwks) reads that key set's clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.key_setting.get_or_insert("clock");
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The claims read as the principal's [subject](crate::Principal::subject): the first of
    /// them that holds a string (default `sub` only). The Cognito preset adds `client_id`, for
    /// machine tokens that might lack `sub`.
    pub fn subject_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.subject = claim_list(names);
        self
    }

    /// The claims read as the principal's [scopes](crate::Principal::scopes), in order (default
    /// `scope` then `scp`). Each may hold a space-delimited string or an array of strings.
    pub fn scope_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.scopes = claim_list(names);
        self
    }

    /// The claims read as the principal's [groups](crate::Principal::groups) (default `groups`).
    pub fn group_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.claim_names.groups = claim_list(names);
        self
    }

    /// The claims read as the principal's [roles](crate::Principal::roles) (default `roles`).
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

    /// Uses `jwks`, another provider's key set, instead of loading one: the providers share one
    /// set of keys, one refresh task, one unknown-`kid` budget and one clock. For providers of one
    /// issuer that differ in what they accept, say its access tokens and its ID tokens:
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), tollgate::ConfigError> {
    /// use tollgate::jwt::JwtProvider;
    ///
    /// let access = JwtProvider::builder("https://issuer.example.com/")
    ///     .audience("my-api")
    ///     .build()
    ///     .await?;
    /// let id_tokens = JwtProvider::builder("https://issuer.example.com/")
    ///     .audience("my-web-client")
    ///     .jwks(access.jwks())
    ///     .build() // no discovery, no fetch: the keys are already loaded
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// Without it, every provider loads and refreshes its own key set, even for the same URL.
    /// How the keys are loaded is decided by the provider that loaded them: `build()` refuses a
    /// builder that also sets one of the key-loading settings (`http_timeout`, `refresh_window`,
    /// `clock`, …), or a [`jwks_url`](Self::jwks_url) other than the shared set's.
    /// [`Jwks::shutdown`] stops the refresh for every provider using the set.
    pub fn jwks(mut self, jwks: Jwks) -> Self {
        self.shared_jwks = Some(jwks);
        self
    }

    /// Checks the configuration, runs discovery if no JWKS URL was set, loads the keys once and
    /// starts the background refresh; or, with [`jwks`](Self::jwks), uses a shared key set.
    ///
    /// If the first JWKS fetch fails, the provider is still built: requests are answered 503
    /// until a fetch succeeds (retried on demand, at most once per unknown-`kid` interval, and
    /// in the background).
    ///
    /// # Errors
    /// [`ConfigError`], saying what to fix, when a setting is missing or invalid (no audience, a
    /// malformed or plain-http URL, an empty algorithm list, a leeway over 300 s, an invalid
    /// refresh window or backoff, a `max_staleness` shorter than the refresh window's maximum, a
    /// key-loading setting or another `jwks_url` beside [`jwks`](Self::jwks)), when discovery
    /// fails or names another issuer, when
    /// [`require_keys_at_build`](Self::require_keys_at_build) is set and the keys do not load in
    /// time, or when called outside a Tokio runtime.
    pub async fn build(mut self) -> Result<JwtProvider, ConfigError> {
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
        let cache = match self.shared_jwks.take() {
            Some(jwks) => self.check_shared(jwks)?,
            None => self.load_keys().await?,
        };
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

    /// The shared key set, if nothing on this builder contradicts how it was loaded.
    fn check_shared(&self, jwks: Jwks) -> Result<Arc<JwksCache>, ConfigError> {
        if let Some(setting) = self.key_setting {
            return Err(ConfigError::Invalid(format!(
                "`{setting}` has no effect on a provider that uses another provider's key set (`.jwks(…)`): set it on the provider that loads the keys, or drop `.jwks(…)` to load them separately"
            )));
        }
        let cache = jwks.into_cache();
        match &self.jwks_url {
            Some(url) if url != cache.url() => Err(ConfigError::Invalid(format!(
                "jwks_url `{url}` differs from the shared key set's `{}`: share keys only between providers of the same JWKS URL",
                cache.url()
            ))),
            _ => Ok(cache),
        }
    }

    /// Loads this provider's own key set: discovery when no JWKS URL is set, the first fetch
    /// as [`Startup`] says, and the background refresh.
    async fn load_keys(&self) -> Result<Arc<JwksCache>, ConfigError> {
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
        let seed = self.seed.as_ref().map(Seed::load).transpose()?;
        let fetcher = Fetcher::new(self.http_timeout, self.max_response_bytes, self.allow_http)?;
        let jwks_url = match &self.jwks_url {
            Some(url) => url.clone(),
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
        };
        let clock = self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        let cache = JwksCache::new(jwks_url, fetcher, settings, clock, seed);
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
        Ok(cache)
    }
}

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

/// A JWKS supplied at build time.
#[derive(Clone)]
enum Seed {
    Bytes(Vec<u8>),
    File(PathBuf),
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl Seed {
    /// The seed's keys, or what is wrong with it.
    fn load(&self) -> Result<KeySet, ConfigError> {
        let (what, json) = match self {
            Self::Bytes(bytes) => ("the JWKS seed".to_owned(), Cow::Borrowed(bytes.as_slice())),
            Self::File(path) => {
                let what = format!("the JWKS seed file {}", path.display());
                let json = std::fs::read(path)
                    .map_err(|e| ConfigError::Invalid(format!("{what} cannot be read: {e}")))?;
                (what, Cow::Owned(json))
            }
        };
        let keys = KeySet::from_json(&json)
            .map_err(|why| ConfigError::Invalid(format!("{what} is {why}")))?;
        if keys.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "{what} holds no key tollgate can verify with (see the `jwks` module for which keys are skipped)"
            )));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future as _;

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
