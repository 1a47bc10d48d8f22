//! [`Providers`]: several providers behind one [`AuthLayer`](crate::AuthLayer).
//!
//! Each request goes to exactly one provider, chosen without verifying anything and without
//! trying providers in turn:
//!
//! - an API key (read from an API-key source, see [`CredentialKind`]) goes to the API-key
//!   provider;
//! - an ALB's signed user claims (`x-amzn-oidc-data`, [`CredentialKind::AlbOidcData`]) go to
//!   the [`alb::Alb`](crate::alb::Alb) provider, and nowhere else: a bearer token never reaches
//!   it, and the ALB header never reaches a JWT provider;
//! - a bearer token is decoded just far enough to read its payload's `iss` (by the same strict
//!   rules as verification), and goes to the provider configured for exactly that issuer, which
//!   then verifies everything (signature with its own keys, `iss` again, `aud`, …). Key sets
//!   are never merged, so one issuer's keys can never vouch for another issuer's tokens;
//! - a bearer token starting with `tollgate-aws-v1.` goes to the provider added with
//!   [`aws_iam`](ProvidersBuilder::aws_iam), and is never decoded as a JWT;
//! - a bearer token that starts like a tollgate API key (`tgk2_`, `tgk_`) is refused: an API
//!   key belongs in an API-key header, and must not be forwarded to an introspection endpoint;
//! - any other bearer token not shaped like a JWT (three base64url segments) is opaque, and
//!   goes to the provider added with [`introspection`](ProvidersBuilder::introspection);
//!   without one it is refused as malformed;
//! - a repeat token is not decoded at all: it is answered by the provider added with
//!   [`jwt`](ProvidersBuilder::jwt) whose verified-token cache holds it, exactly as that provider
//!   would answer (the cache's re-checks of expiry and keys included). Only tokens that passed
//!   every check of a provider, `iss` included, are in its cache, so this is the provider `iss`
//!   routes to.
//!
//! A token whose `iss` names no configured issuer is rejected with 401 `invalid_token` at once,
//! with no network call (an attacker choosing the `iss` cannot make the service fetch anything),
//! even when an introspection provider is configured: a JWT is never introspected by default.
//! The principal's [`provider`](crate::Principal::provider) is the name of the provider that
//! accepted the request.
//!
//! The layer reads every credential source any of the providers needs
//! ([`Provider::default_sources`]): `Authorization: Bearer` for JWT providers, the API-key
//! header and `Authorization: ApiKey` for API keys, `x-amzn-oidc-data` for the ALB provider.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::{api_key::ApiKeys, cognito::Cognito, okta::Okta, AuthLayer, Providers};
//!
//! let cognito = Cognito::new("eu-west-1", "eu-west-1_AbC123").client_id("abc123").build().await?;
//! let okta = Okta::new("https://example.okta.com/oauth2/default").audience("api://default").build().await?;
//! let keys = ApiKeys::builder().keys_from_file("api-keys.txt").build()?;
//!
//! let providers = Providers::builder().jwt(cognito).jwt(okta).api_keys(keys).build()?;
//! let layer = AuthLayer::new(providers);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::api_key::looks_like_api_key;
use crate::aws_iam::{AwsIam, CREDENTIAL_PREFIX};
use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, ConfigError, Reason};
use crate::introspection::Introspection;
use crate::jose::{parse, unverified_claims, Algorithm};
use crate::jwt::{JwtProvider, TokenKey};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// Routes each credential to one of several providers. Cheap to clone.
#[derive(Clone)]
pub struct Providers {
    inner: Arc<Inner>,
}

struct Inner {
    by_issuer: HashMap<Box<str>, Arc<dyn Provider>>,
    /// The providers added with [`ProvidersBuilder::jwt`] (also in `by_issuer`), whose
    /// verified-token caches are looked at before a token is decoded.
    jwt: Vec<JwtProvider>,
    api_keys: Option<Arc<dyn Provider>>,
    alb: Option<Arc<dyn Provider>>,
    aws_iam: Option<AwsIam>,
    introspection: Option<Introspection>,
    sources: Vec<CredentialSource>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<(&str, &str)> = self
            .inner
            .by_issuer
            .iter()
            .map(|(iss, p)| (&**iss, p.name()))
            .collect();
        issuers.sort_unstable();
        f.debug_struct("Providers")
            .field("issuers", &issuers)
            .field("api_keys", &self.inner.api_keys.as_ref().map(|p| p.name()))
            .field("alb", &self.inner.alb.as_ref().map(|p| p.name()))
            .field("aws_iam", &self.inner.aws_iam.as_ref().map(|p| p.name()))
            .field(
                "introspection",
                &self.inner.introspection.as_ref().map(|p| p.name()),
            )
            .finish()
    }
}

/// What [`ProvidersBuilder::jwt`] takes: JWT providers, each for its own issuer.
pub trait IntoJwtProviders {
    /// The providers, each to be routed the tokens of its issuer.
    fn into_jwt_providers(self) -> Vec<JwtProvider>;
}

impl IntoJwtProviders for JwtProvider {
    fn into_jwt_providers(self) -> Vec<JwtProvider> {
        vec![self]
    }
}

/// Configures [`Providers`]. Created by [`Providers::builder`].
#[must_use]
pub struct ProvidersBuilder {
    issuers: Vec<(String, Arc<dyn Provider>)>,
    jwt: Vec<JwtProvider>,
    api_keys: Vec<Arc<dyn Provider>>,
    alb: Vec<Arc<dyn Provider>>,
    aws_iam: Vec<AwsIam>,
    introspection: Vec<Introspection>,
}

impl fmt::Debug for ProvidersBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self.issuers.iter().map(|(iss, _)| iss.as_str()).collect();
        f.debug_struct("ProvidersBuilder")
            .field("issuers", &issuers)
            .field("api_keys", &self.api_keys.len())
            .field("alb", &self.alb.len())
            .field("aws_iam", &self.aws_iam.len())
            .field("introspection", &self.introspection.len())
            .finish()
    }
}

impl ProvidersBuilder {
    /// Adds a JWT provider; tokens whose `iss` is its [issuer](JwtProvider::issuer) go to it.
    /// A [`CognitoPool`](crate::cognito::CognitoPool) adds the provider of each of its issuers.
    pub fn jwt(mut self, providers: impl IntoJwtProviders) -> Self {
        for provider in providers.into_jwt_providers() {
            let issuer = provider.issuer().to_owned();
            self.jwt.push(provider.clone());
            self = self.issuer(issuer, provider);
        }
        self
    }

    /// Adds any provider of bearer tokens for tokens whose unverified `iss` is exactly
    /// `issuer`. The provider must still check `iss` itself: the routing reads it unverified.
    pub fn issuer(mut self, issuer: impl Into<String>, provider: impl Provider) -> Self {
        self.issuers.push((issuer.into(), Arc::new(provider)));
        self
    }

    /// The provider for API-key credentials, e.g. [`ApiKeys`](crate::api_key::ApiKeys).
    pub fn api_keys(mut self, provider: impl Provider) -> Self {
        self.api_keys.push(Arc::new(provider));
        self
    }

    /// The provider for an Application Load Balancer's signed user claims
    /// (`x-amzn-oidc-data`); one [`Alb`](crate::alb::Alb) takes any number of load balancers
    /// of its region.
    pub fn alb(mut self, provider: crate::alb::Alb) -> Self {
        self.alb.push(Arc::new(provider));
        self
    }

    /// The provider for bearer tokens starting with `tollgate-aws-v1.`: presigned
    /// `sts:GetCallerIdentity` credentials (see [`aws_iam`](crate::aws_iam)).
    pub fn aws_iam(mut self, provider: AwsIam) -> Self {
        self.aws_iam.push(provider);
        self
    }

    /// The provider for opaque bearer tokens (not shaped like a JWT), checked by token
    /// introspection (see [`introspection`](crate::introspection)). JWTs still go to the JWT
    /// provider of their `iss`.
    pub fn introspection(mut self, provider: Introspection) -> Self {
        self.introspection.push(provider);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// When no provider is given, two providers claim the same issuer, or more than one
    /// API-key, ALB, AWS IAM or introspection provider is given.
    pub fn build(self) -> Result<Providers, ConfigError> {
        if self.issuers.is_empty()
            && self.api_keys.is_empty()
            && self.alb.is_empty()
            && self.aws_iam.is_empty()
            && self.introspection.is_empty()
        {
            return Err(ConfigError::Missing(
                "no providers: add some with .jwt(…), .issuer(…), .api_keys(…), .alb(…), .aws_iam(…) or .introspection(…)",
            ));
        }
        if self.alb.len() > 1 {
            return Err(ConfigError::Invalid(
                "more than one ALB provider: the ALB header is routed by its kind, so give one Alb all the load balancer ARNs".into(),
            ));
        }
        if self.aws_iam.len() > 1 {
            return Err(ConfigError::Invalid(
                "more than one AWS IAM provider: `tollgate-aws-v1.` credentials are routed by their prefix, so configure one AwsIam".into(),
            ));
        }
        if self.introspection.len() > 1 {
            return Err(ConfigError::Invalid(
                "more than one introspection provider: opaque tokens carry no issuer to route by, so configure one Introspection".into(),
            ));
        }
        if self.api_keys.len() > 1 {
            return Err(ConfigError::Invalid(
                "more than one API-key provider: put all keys in one ApiKeys".into(),
            ));
        }
        let mut by_issuer = HashMap::new();
        let mut sources = Vec::new();
        for (issuer, provider) in self.issuers {
            if issuer.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "provider {:?} has an empty issuer",
                    provider.name()
                )));
            }
            add_sources(&mut sources, provider.default_sources());
            if by_issuer
                .insert(issuer.clone().into_boxed_str(), provider)
                .is_some()
            {
                return Err(ConfigError::Invalid(format!(
                    "two providers for issuer {issuer:?}: tokens are routed by `iss`, so each issuer needs exactly one provider (give it several audiences instead)"
                )));
            }
        }
        let api_keys = self.api_keys.into_iter().next();
        if let Some(provider) = &api_keys {
            add_sources(&mut sources, provider.default_sources());
        }
        let alb = self.alb.into_iter().next();
        if let Some(provider) = &alb {
            add_sources(&mut sources, provider.default_sources());
        }
        let aws_iam = self.aws_iam.into_iter().next();
        if let Some(provider) = &aws_iam {
            add_sources(&mut sources, provider.default_sources());
        }
        let introspection = self.introspection.into_iter().next();
        if let Some(provider) = &introspection {
            add_sources(&mut sources, provider.default_sources());
        }
        Ok(Providers {
            inner: Arc::new(Inner {
                by_issuer,
                jwt: self.jwt,
                api_keys,
                alb,
                aws_iam,
                introspection,
                sources,
            }),
        })
    }
}

fn add_sources(all: &mut Vec<CredentialSource>, more: Vec<CredentialSource>) {
    for source in more {
        if !all.contains(&source) {
            all.push(source);
        }
    }
}

impl Providers {
    /// Starts an empty set of providers.
    pub fn builder() -> ProvidersBuilder {
        ProvidersBuilder {
            issuers: Vec::new(),
            jwt: Vec::new(),
            api_keys: Vec::new(),
            alb: Vec::new(),
            aws_iam: Vec::new(),
            introspection: Vec::new(),
        }
    }

    /// Where a credential goes, or why nowhere. Nothing is verified here, except by a JWT
    /// provider's own cache.
    fn route(&self, credential: &Credential) -> Result<Route<'_>, AuthError> {
        let by_kind = match credential.kind() {
            CredentialKind::ApiKey => Some(&self.inner.api_keys),
            CredentialKind::AlbOidcData => Some(&self.inner.alb),
            _ => None,
        };
        if let Some(provider) = by_kind {
            return provider
                .as_deref()
                .map(Route::To)
                .ok_or_else(|| AuthError::invalid_token(Reason::UnsupportedCredential));
        }
        let token = credential.token();
        if token.starts_with(CREDENTIAL_PREFIX) {
            return self
                .inner
                .aws_iam
                .as_ref()
                .map(|p| Route::To(p))
                .ok_or_else(|| AuthError::invalid_token(Reason::UnsupportedCredential));
        }
        // An API key sent as a bearer token is refused here, so it never reaches an
        // introspection endpoint (another party) by mistake.
        if looks_like_api_key(token) {
            return Err(AuthError::invalid_token(Reason::UnsupportedCredential));
        }
        if let (Some(provider), false) = (&self.inner.introspection, jwt_shaped(token)) {
            return Ok(Route::To(provider));
        }
        if let Some(principal) = self.cached(token) {
            return Ok(Route::Cached(principal));
        }
        let issuer = unverified_issuer(token).map_err(AuthError::invalid_token)?;
        self.inner
            .by_issuer
            .get(issuer.as_str())
            .map(|p| Route::To(&**p))
            .ok_or_else(|| AuthError::invalid_token(Reason::UnknownIssuer))
    }

    /// The answer of the JWT provider whose verified-token cache holds `token` and still vouches
    /// for it. The token is hashed once for all the caches, and a cache that does not hold it
    /// costs one lookup.
    fn cached(&self, token: &str) -> Option<Principal> {
        if self.inner.jwt.is_empty() {
            return None;
        }
        let key = TokenKey::of(token);
        self.inner
            .jwt
            .iter()
            .find_map(|provider| provider.cached(token, key))
    }
}

/// Where [`Providers::route`] sends a credential.
enum Route<'a> {
    /// A JWT provider's answer from its verified-token cache.
    Cached(Principal),
    To(&'a dyn Provider),
}

/// Three base64url segments, the first two non-empty: a JWS compact serialization's shape.
/// Anything else is an opaque token.
fn jwt_shaped(token: &str) -> bool {
    let mut segments = token.split('.');
    let shape = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    );
    matches!(shape, (Some(header), Some(payload), Some(_), None) if !header.is_empty() && !payload.is_empty())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The payload's `iss`, read without verifying anything: only to pick the provider, which
/// verifies the whole token.
fn unverified_issuer(token: &str) -> Result<String, Reason> {
    // A token the strict rules refuse gets the reason verification would give, which reads the
    // header first (`crit`, then `alg` against every algorithm a provider may allow).
    let mut claims = unverified_claims(token)
        .map_err(|reason| parse(token, Algorithm::ASYMMETRIC).err().unwrap_or(reason))?;
    match claims.remove("iss") {
        Some(Value::String(iss)) => Ok(iss),
        None | Some(Value::Null) => Err(Reason::MissingClaim),
        Some(_) => Err(Reason::Malformed),
    }
}

impl Provider for Providers {
    fn name(&self) -> &str {
        "providers"
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        match self.route(&credential) {
            Ok(Route::To(provider)) => provider.authenticate(credential),
            Ok(Route::Cached(principal)) => Box::pin(std::future::ready(Ok(principal))),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        match self.route(credential) {
            Ok(Route::To(provider)) => provider.try_authenticate(credential),
            Ok(Route::Cached(principal)) => Some(Ok(principal)),
            Err(error) => Some(Err(error)),
        }
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        self.inner.sources.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    use super::*;
    use crate::clock::ManualClock;
    use crate::dev::{DevIssuer, DevKeyType};

    fn token(payload: &str) -> String {
        token_with(r#"{"alg":"RS256"}"#, payload)
    }

    fn token_with(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_the_unverified_issuer() {
        assert_eq!(
            unverified_issuer(&token(r#"{"iss":"https://a","aud":["x"],"n":{"d":[1]}}"#)),
            Ok("https://a".into())
        );
        for missing in [token(r#"{"sub":"x"}"#), token(r#"{"iss":null}"#)] {
            assert_eq!(
                unverified_issuer(&missing),
                Err(Reason::MissingClaim),
                "{missing}"
            );
        }
        for bad in [
            token(r#"{"iss":7}"#),
            token(r#"{"iss":"a","iss":"b"}"#),
            token(r#"{"iss":"a","exp":1,"exp":2}"#),
            token(r#"["https://a"]"#),
            token("[]"),
            token("not json"),
            token(r#"{"iss":"a"}"#).replace(".c2ln", "."),
            "a.b".into(),
            "a.b.c.d".into(),
            "a.!!.c".into(),
        ] {
            assert_eq!(unverified_issuer(&bad), Err(Reason::Malformed), "{bad}");
        }
    }

    /// A payload only the strict rules refuse, with a known `iss`: the old, looser routing sent
    /// such a token to its provider, whose parse reported the header's fault first.
    #[test]
    fn a_token_verification_refuses_gets_verifications_reason() {
        let duplicate = r#"{"iss":"https://a","exp":1,"exp":2}"#;
        let cases = [
            (
                token_with(r#"{"alg":"RS256","crit":["exp"]}"#, duplicate),
                Reason::UnsupportedCritical,
            ),
            (
                token_with(r#"{"alg":"none"}"#, duplicate),
                Reason::AlgorithmNotAllowed,
            ),
            (
                token_with(r#"{"alg":"HS256"}"#, r#"["https://a"]"#),
                Reason::AlgorithmNotAllowed,
            ),
            (
                token_with(r#"{"alg":"RS256"}"#, duplicate),
                Reason::Malformed,
            ),
        ];
        for (token, reason) in cases {
            assert_eq!(unverified_issuer(&token), Err(reason), "{token}");
        }
    }

    #[test]
    fn opaque_tokens_are_told_from_jwts_by_shape() {
        assert!(jwt_shaped(&token(r#"{"iss":"https://a"}"#)));
        assert!(
            jwt_shaped("a.b."),
            "an empty signature is still a JWT's shape"
        );
        for opaque in [
            "2YotnFZFEjr1zCsicMWpAA",
            "a.b",
            "a.b.c.d",
            ".b.c",
            "a..c",
            "a.b+/.c",
            "tGzv3JOkF0XG5Qx2TlKWIA",
        ] {
            assert!(!jwt_shaped(opaque), "{opaque}");
        }
    }

    #[test]
    fn empty_and_ambiguous_configurations_are_refused() {
        let e = Providers::builder().build().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("no providers")));
    }

    /// Three issuers, their providers (named `a`, `b`, `c`, on `clock`) and all three behind one
    /// `Providers`.
    async fn three_issuers(clock: &ManualClock) -> (Vec<DevIssuer>, Vec<JwtProvider>, Providers) {
        let mut issuers = Vec::new();
        let mut providers = Vec::new();
        let mut builder = Providers::builder();
        for name in ["a", "b", "c"] {
            let issuer = DevIssuer::start().await.expect("issuer");
            let provider = issuer
                .provider()
                .name(name)
                .clock(clock.clone())
                .build()
                .await
                .expect("provider");
            builder = builder.jwt(provider.clone());
            issuers.push(issuer);
            providers.push(provider);
        }
        (issuers, providers, builder.build().expect("providers"))
    }

    fn routed_to(providers: &Providers, credential: &Credential) -> String {
        match providers.route(credential) {
            Ok(Route::To(provider)) => format!("to {}", provider.name()),
            Ok(Route::Cached(principal)) => format!("cached by {}", principal.provider()),
            Err(e) => format!("{:?}", e.reason()),
        }
    }

    #[tokio::test]
    async fn a_repeat_token_is_answered_from_the_cache_of_its_provider() {
        let clock = ManualClock::new();
        let (issuers, _, providers) = three_issuers(&clock).await;
        for (issuer, name) in issuers.iter().zip(["a", "b", "c"]).skip(1) {
            let token = issuer.token().sign();
            let credential = Credential::bearer(token.as_str());
            assert_eq!(routed_to(&providers, &credential), format!("to {name}"));
            let first = providers.try_authenticate(&credential);
            assert_eq!(
                first.and_then(Result::ok).map(|p| p.provider().to_owned()),
                Some(name.to_owned())
            );
            assert_eq!(
                routed_to(&providers, &credential),
                format!("cached by {name}")
            );
            let again = providers.authenticate(credential).await;
            assert_eq!(
                again.ok().map(|p| p.provider().to_owned()),
                Some(name.into())
            );
        }
    }

    #[tokio::test]
    async fn a_cached_token_that_would_fail_now_is_not_served_from_the_cache() {
        let clock = ManualClock::new();
        let (issuers, jwt, providers) = three_issuers(&clock).await;
        let short = issuers[1]
            .token()
            .expires_in(Duration::from_secs(600))
            .sign();
        let long = issuers[2]
            .token()
            .expires_in(Duration::from_secs(24 * 3600))
            .sign();
        for token in [&short, &long] {
            let credential = Credential::bearer(token.as_str());
            assert!(matches!(
                providers.try_authenticate(&credential),
                Some(Ok(_))
            ));
            assert!(routed_to(&providers, &credential).starts_with("cached by"));
        }

        // Expired (well past the 60 s leeway, as the tokens' `exp` is read from the system clock
        // a little after the manual one started): routed by `iss`, and refused as its provider
        // refuses.
        clock.advance(Duration::from_secs(1800));
        let credential = Credential::bearer(short.as_str());
        assert_eq!(routed_to(&providers, &credential), "to b");
        let reason =
            |r: Option<Result<Principal, AuthError>>| r.map(|r| r.err().map(|e| e.reason()));
        assert_eq!(
            reason(providers.try_authenticate(&credential)),
            Some(Some(Reason::Expired))
        );
        assert_eq!(
            reason(jwt[1].try_authenticate(&credential)),
            Some(Some(Reason::Expired))
        );

        // The key that verified it withdrawn by its issuer: the same.
        let credential = Credential::bearer(long.as_str());
        assert_eq!(routed_to(&providers, &credential), "cached by c");
        issuers[2]
            .rotate("next", DevKeyType::Ed25519)
            .expect("rotate");
        issuers[2].dangerous().unpublish("dev-rsa");
        jwt[2].jwks().refresh().await;
        assert_eq!(jwt[2].key_count(), 1, "only the new key is published");
        assert_eq!(routed_to(&providers, &credential), "to c");
        let reason = |r: Result<Principal, AuthError>| r.err().map(|e| e.reason());
        assert_eq!(
            reason(providers.authenticate(credential.clone()).await),
            Some(Reason::UnknownKey)
        );
        assert_eq!(
            reason(jwt[2].authenticate(credential).await),
            Some(Reason::UnknownKey)
        );
    }

    #[tokio::test]
    async fn a_token_of_no_configured_issuer_is_refused_even_when_cached_elsewhere() {
        let clock = ManualClock::new();
        let (issuers, _, providers) = three_issuers(&clock).await;
        let outsider = DevIssuer::start().await.expect("issuer");
        let own = outsider.provider().build().await.expect("provider");
        let token = outsider.token().sign();
        assert!(
            own.verify(&token).await.is_ok(),
            "cached by its own provider"
        );
        let cases = [
            (token, Reason::UnknownIssuer),
            (
                issuers[0].token().without("iss").sign(),
                Reason::MissingClaim,
            ),
            ("not-a-jwt".to_owned(), Reason::Malformed),
        ];
        for (token, reason) in cases {
            let credential = Credential::bearer(token.as_str());
            assert_eq!(
                providers
                    .try_authenticate(&credential)
                    .map(|r| r.err().map(|e| e.reason())),
                Some(Some(reason)),
                "{token}"
            );
        }
    }
}
