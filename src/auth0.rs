//! Auth0: a preset over [`JwtProvider`].
//!
//! - issuer `https://{domain}/`: the trailing slash is part of Auth0's `iss`, and an exact
//!   comparison without it would reject every token;
//! - JWKS at `https://{domain}/.well-known/jwks.json` (no discovery round trip);
//! - `aud` must name the API's audience (the API identifier in the Auth0 dashboard); Auth0 often
//!   sends an array such as `["https://api.example.com", "https://{domain}/userinfo"]`, which is
//!   accepted when it names it. An ID token's `aud` is the application's client id, so ID
//!   tokens are refused by the audience check;
//! - scopes from `scope` plus the RBAC `permissions` array (Auth0 puts API permissions there
//!   when "Add Permissions in the Access Token" is on).
//!
//! Custom domains work the same way: give the domain the tokens are issued under.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::auth0::Auth0;
//!
//! let provider = Auth0::new("my-tenant.eu.auth0.com")
//!     .audience("https://api.example.com")
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```

use crate::error::ConfigError;
use crate::jwt::{JwtProvider, JwtProviderBuilder};

/// An Auth0 tenant (or custom domain) and API audience. [`build`](Self::build) gives a
/// [`JwtProvider`] named `"auth0"`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Auth0 {
    domain: String,
    audiences: Vec<String>,
    jwks_url: Option<String>,
}

impl Auth0 {
    /// The tenant's domain, e.g. `my-tenant.eu.auth0.com` or a custom domain such as
    /// `login.example.com`. `https://` and a trailing `/` are tolerated; `http://` or a path
    /// fails `build()`.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            audiences: Vec::new(),
            jwks_url: None,
        }
    }

    /// Adds an accepted API audience (the API identifier). At least one is required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Fetches the keys from `url` instead of `https://{domain}/.well-known/jwks.json`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The bare domain, or why it is not one.
    fn host(&self) -> Result<&str, ConfigError> {
        let raw = self.domain.trim();
        let host = raw.strip_prefix("https://").unwrap_or(raw);
        let host = host.strip_suffix('/').unwrap_or(host);
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
        if valid {
            Ok(host)
        } else {
            Err(ConfigError::Invalid(format!(
                "Auth0 domain {:?} is not a domain name: give it like my-tenant.eu.auth0.com (no http://, no path)",
                self.domain
            )))
        }
    }

    /// The issuer, `https://{domain}/` with its trailing slash.
    ///
    /// # Errors
    /// When the domain is not a host name.
    pub fn issuer(&self) -> Result<String, ConfigError> {
        Ok(format!("https://{}/", self.host()?))
    }

    /// Checks the settings and returns the generic builder they configure, for settings the
    /// preset does not name.
    ///
    /// # Errors
    /// [`ConfigError`] when the domain is malformed or no audience is given.
    pub fn into_jwt_builder(self) -> Result<JwtProviderBuilder, ConfigError> {
        let issuer = self.issuer()?;
        if self.audiences.is_empty() {
            return Err(ConfigError::Missing(
                "no Auth0 audience: call .audience(\"…\") with your API's identifier (Auth0 dashboard → APIs)",
            ));
        }
        let jwks_url = self
            .jwks_url
            .unwrap_or_else(|| format!("{issuer}.well-known/jwks.json"));
        Ok(JwtProvider::builder(issuer)
            .name("auth0")
            .audiences(self.audiences)
            .jwks_url(jwks_url)
            .scope_claims(["scope", "permissions"]))
    }

    /// Checks the settings, loads the tenant's keys and starts their background refresh.
    ///
    /// # Errors
    /// As [`into_jwt_builder`](Self::into_jwt_builder) and [`JwtProviderBuilder::build`].
    pub async fn build(self) -> Result<JwtProvider, ConfigError> {
        self.into_jwt_builder()?.build().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_keeps_the_trailing_slash() {
        for domain in [
            "t.eu.auth0.com",
            "https://t.eu.auth0.com",
            "https://t.eu.auth0.com/",
        ] {
            assert_eq!(
                Auth0::new(domain).issuer().ok().as_deref(),
                Some("https://t.eu.auth0.com/")
            );
        }
        for bad in ["", "http://t.auth0.com", "t.auth0.com/x", "t auth0.com"] {
            let e = Auth0::new(bad).audience("a").into_jwt_builder().err();
            assert!(
                e.is_some_and(|e| e.to_string().contains("is not a domain name")),
                "{bad}"
            );
        }
        let e = Auth0::new("t.auth0.com").into_jwt_builder().err();
        assert!(e.is_some_and(|e| e.to_string().contains("no Auth0 audience")));
    }
}
