//! [`Providers`]: several providers behind one [`AuthLayer`](crate::AuthLayer).
//!
//! Each request goes to exactly one provider, chosen without verifying anything and without
//! trying providers in turn:
//!
//! - an API key (read from an API-key source, see [`CredentialKind`]) goes to the API-key
//!   provider;
//! - a bearer token is decoded just far enough to read its payload's `iss`, and goes to the
//!   provider configured for exactly that issuer, which then verifies everything (signature
//!   with its own keys, `iss` again, `aud`, …). Key sets are never merged, so one issuer's keys
//!   can never vouch for another issuer's tokens.
//!
//! A token whose `iss` names no configured issuer is rejected with 401 `invalid_token` at once,
//! with no network call (an attacker choosing the `iss` cannot make the service fetch anything).
//! The principal's [`provider`](crate::Principal::provider) is the name of the provider that
//! accepted the request.
//!
//! The layer reads every credential source any of the providers needs
//! ([`Provider::default_sources`]): `Authorization: Bearer` for JWT providers, the API-key
//! header and `Authorization: ApiKey` for API keys.
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

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, ConfigError, Reason};
use crate::jwt::JwtProvider;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// Routes each credential to one of several providers. Cheap to clone.
#[derive(Clone)]
pub struct Providers {
    inner: Arc<Inner>,
}

struct Inner {
    by_issuer: HashMap<Box<str>, Arc<dyn Provider>>,
    api_keys: Option<Arc<dyn Provider>>,
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
            .finish()
    }
}

/// Configures [`Providers`]. Created by [`Providers::builder`].
#[must_use]
pub struct ProvidersBuilder {
    issuers: Vec<(String, Arc<dyn Provider>)>,
    api_keys: Vec<Arc<dyn Provider>>,
}

impl fmt::Debug for ProvidersBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self.issuers.iter().map(|(iss, _)| iss.as_str()).collect();
        f.debug_struct("ProvidersBuilder")
            .field("issuers", &issuers)
            .field("api_keys", &self.api_keys.len())
            .finish()
    }
}

impl ProvidersBuilder {
    /// Adds a JWT provider; tokens whose `iss` is its [issuer](JwtProvider::issuer) go to it.
    pub fn jwt(self, provider: JwtProvider) -> Self {
        let issuer = provider.issuer().to_owned();
        self.issuer(issuer, provider)
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

    /// Checks the configuration.
    ///
    /// # Errors
    /// When no provider is given, two providers claim the same issuer, or more than one
    /// API-key provider is given.
    pub fn build(self) -> Result<Providers, ConfigError> {
        if self.issuers.is_empty() && self.api_keys.is_empty() {
            return Err(ConfigError::Missing(
                "no providers: add some with .jwt(…), .issuer(…) or .api_keys(…)",
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
        Ok(Providers {
            inner: Arc::new(Inner {
                by_issuer,
                api_keys,
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
            api_keys: Vec::new(),
        }
    }

    /// The provider a credential goes to, or why none does. Nothing is verified here.
    fn route(&self, credential: &Credential) -> Result<&dyn Provider, AuthError> {
        if credential.kind() == CredentialKind::ApiKey {
            return self
                .inner
                .api_keys
                .as_deref()
                .ok_or_else(|| AuthError::invalid_token(Reason::UnsupportedCredential));
        }
        let issuer = unverified_issuer(credential.token()).map_err(AuthError::invalid_token)?;
        self.inner
            .by_issuer
            .get(issuer.as_str())
            .map(|p| &**p)
            .ok_or_else(|| AuthError::invalid_token(Reason::UnknownIssuer))
    }
}

/// The payload's `iss`, read without verifying anything: only to pick the provider, which
/// verifies the whole token.
fn unverified_issuer(token: &str) -> Result<String, Reason> {
    #[derive(Deserialize)]
    struct Payload {
        iss: Option<String>,
    }
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reason::Malformed);
    };
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Reason::Malformed)?;
    let payload: Payload = serde_json::from_slice(&json).map_err(|_| Reason::Malformed)?;
    payload.iss.ok_or(Reason::MissingClaim)
}

impl Provider for Providers {
    fn name(&self) -> &str {
        "providers"
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        match self.route(&credential) {
            Ok(provider) => provider.authenticate(credential),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        match self.route(credential) {
            Ok(provider) => provider.try_authenticate(credential),
            Err(error) => Some(Err(error)),
        }
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        self.inner.sources.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_the_unverified_issuer() {
        assert_eq!(
            unverified_issuer(&token(r#"{"iss":"https://a","aud":["x"],"n":{"d":[1]}}"#)),
            Ok("https://a".into())
        );
        assert_eq!(
            unverified_issuer(&token(r#"{"sub":"x"}"#)),
            Err(Reason::MissingClaim)
        );
        for bad in [
            token(r#"{"iss":7}"#),
            token(r#"{"iss":"a","iss":"b"}"#),
            token("[]"),
            token("not json"),
            "a.b".into(),
            "a.b.c.d".into(),
            "a.!!.c".into(),
        ] {
            assert_eq!(unverified_issuer(&bad), Err(Reason::Malformed), "{bad}");
        }
    }

    #[test]
    fn empty_and_ambiguous_configurations_are_refused() {
        let e = Providers::builder().build().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("no providers")));
    }
}
