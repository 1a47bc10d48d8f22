//! [`CognitoPool`]: one user pool's issuers, each a [`JwtProvider`] with its own keys, behind
//! one [`Provider`].

use std::fmt;

use crate::credential::{Credential, CredentialSource};
use crate::error::{AuthError, ConfigError};
use crate::jwt::JwtProvider;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};
use crate::providers::{IntoJwtProviders, Providers};

/// A Cognito user pool, built by [`Cognito::build`](super::Cognito::build): one
/// [`JwtProvider`] per accepted issuer URL, a token going to the one whose issuer equals its
/// `iss` (read unverified only to choose; that provider then verifies everything, `iss`
/// included, with that issuer's own keys). Cheap to clone.
///
/// Put it behind a layer with [`AuthLayer::new`](crate::AuthLayer::new), or beside other
/// providers with [`ProvidersBuilder::jwt`](crate::providers::ProvidersBuilder::jwt).
#[derive(Clone)]
pub struct CognitoPool {
    providers: Vec<JwtProvider>,
    router: Providers,
}

impl fmt::Debug for CognitoPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoPool")
            .field("issuers", &self.issuers().collect::<Vec<_>>())
            .finish()
    }
}

impl CognitoPool {
    pub(super) fn new(providers: Vec<JwtProvider>) -> Result<Self, ConfigError> {
        let router = providers
            .iter()
            .cloned()
            .fold(Providers::builder(), |b, p| b.jwt(p))
            .build()?;
        Ok(Self { providers, router })
    }

    /// The first accepted issuer: the primary region's, in the original format unless only
    /// the updated one is accepted.
    pub fn issuer(&self) -> &str {
        self.providers
            .first()
            .map(JwtProvider::issuer)
            .unwrap_or_default()
    }

    /// Every accepted issuer.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(JwtProvider::issuer)
    }

    /// The provider of each accepted issuer, the first [`issuer`](Self::issuer)'s first.
    pub fn providers(&self) -> &[JwtProvider] {
        &self.providers
    }

    /// The number of keys loaded for the first issuer.
    pub fn key_count(&self) -> usize {
        self.providers.first().map_or(0, JwtProvider::key_count)
    }

    /// Verifies a token (without a request), as the layer would.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.router.authenticate(Credential::bearer(token)).await
    }
}

impl Provider for CognitoPool {
    fn name(&self) -> &str {
        "cognito"
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        self.router.authenticate(credential)
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        self.router.try_authenticate(credential)
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        self.router.default_sources()
    }
}

impl IntoJwtProviders for CognitoPool {
    fn into_jwt_providers(self) -> Vec<JwtProvider> {
        self.providers
    }
}
