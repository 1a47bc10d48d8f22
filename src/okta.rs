//! Okta: a preset over [`JwtProvider`].
//!
//! - the issuer is an Okta authorization server: a custom one (`https://{org}.okta.com/oauth2/default`,
//!   `…/oauth2/{id}`), which is what APIs should use, or the org server (`https://{org}.okta.com`);
//!   its JWKS is found by OIDC discovery unless set;
//! - `aud` must name the configured audience (`api://default` for the default server);
//! - optionally, the token's client (`cid`) must be one of the allowed client ids;
//! - scopes from the `scp` array, groups from a claim you add in Okta (default `groups`).
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::okta::Okta;
//!
//! let provider = Okta::new("https://example.okta.com/oauth2/default")
//!     .audience("api://default")
//!     .client_id("0oa1b2c3d4e5f6g7h8i9") // optional: only this application's tokens
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```

use crate::error::ConfigError;
use crate::jwt::{JwtProvider, JwtProviderBuilder};

/// An Okta authorization server and audience. [`build`](Self::build) gives a [`JwtProvider`]
/// named `"okta"`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Okta {
    issuer: String,
    audiences: Vec<String>,
    client_ids: Vec<String>,
    groups_claim: String,
    jwks_url: Option<String>,
}

impl Okta {
    /// The authorization server's issuer, exactly as in its tokens' `iss`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audiences: Vec::new(),
            client_ids: Vec::new(),
            groups_claim: "groups".into(),
            jwks_url: None,
        }
    }

    /// Adds an accepted audience. At least one is required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds an allowed client id: when any is given, a token's `cid` must name one of them.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// The claim holding the user's groups (default `groups`; Okta only sends one when a
    /// groups claim is configured on the authorization server).
    pub fn groups_claim(mut self, claim: impl Into<String>) -> Self {
        self.groups_claim = claim.into();
        self
    }

    /// Fetches the keys from `url` instead of finding them by discovery.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Checks the settings and returns the generic builder they configure, for settings the
    /// preset does not name.
    ///
    /// # Errors
    /// [`ConfigError`] when no audience is given, or a client id or the groups claim is empty.
    pub fn into_jwt_builder(self) -> Result<JwtProviderBuilder, ConfigError> {
        if self.audiences.is_empty() {
            return Err(ConfigError::Missing(
                "no Okta audience: call .audience(\"…\") with the authorization server's audience (api://default for the default server)",
            ));
        }
        if self.client_ids.iter().any(|c| c.trim().is_empty()) {
            return Err(ConfigError::Invalid(
                "an Okta client id is empty; give the application's client id (0oa…)".into(),
            ));
        }
        if self.groups_claim.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "the Okta groups claim name is empty".into(),
            ));
        }
        let mut builder = JwtProvider::builder(self.issuer)
            .name("okta")
            .audiences(self.audiences)
            .scope_claims(["scp"])
            .group_claims([self.groups_claim]);
        if !self.client_ids.is_empty() {
            builder = builder.allowed_clients("cid", self.client_ids);
        }
        if let Some(url) = self.jwks_url {
            builder = builder.jwks_url(url);
        }
        Ok(builder)
    }

    /// Checks the settings, finds and loads the keys, and starts their background refresh.
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
    fn configuration_mistakes_are_named() {
        let e = |o: Okta| o.into_jwt_builder().err().map(|e| e.to_string());
        assert!(e(Okta::new("https://o.okta.com/oauth2/default"))
            .is_some_and(|e| e.contains("no Okta audience")));
        assert!(e(Okta::new("https://o").audience("a").client_id(" "))
            .is_some_and(|e| e.contains("client id is empty")));
        assert!(e(Okta::new("https://o").audience("a").groups_claim(""))
            .is_some_and(|e| e.contains("groups claim")));
        assert!(e(Okta::new("https://o").audience("a")).is_none());
    }
}
