//! Amazon Cognito user pools: a preset over [`JwtProvider`].
//!
//! Cognito signs two kinds of JWT with the same keys: access tokens (for APIs) and ID tokens
//! (for the client app). They differ in the claim that names the app client, and mixing them
//! up is the classic Cognito mistake, so [`Cognito`] encodes the rules:
//!
//! - issuer `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`, JWKS at
//!   `{issuer}/.well-known/jwks.json` (overridable for local emulators);
//! - `token_use` must be the configured [`TokenUse`] (`access` by default), so an ID token is
//!   never accepted where an access token is required, nor the reverse;
//! - the app client must be one of the configured client ids: access tokens carry no `aud` and
//!   name it in `client_id`, ID tokens name it in `aud`; with [`TokenUse::Any`] the claim read
//!   follows each token's own `token_use`;
//! - groups from `cognito:groups`, scopes from the space-separated `scope`.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::cognito::{Cognito, TokenUse};
//!
//! let provider = Cognito::new("eu-west-1", "eu-west-1_AbCdEf123")
//!     .client_id("4t2dd3kq8vnbs1ea0m6mrsnu4i")
//!     .build() // first JWKS fetch, background refresh
//!     .await?;
//!
//! // ID tokens from two app clients, keys from a local emulator.
//! let provider = Cognito::new("us-east-1", "us-east-1_xyz")
//!     .client_ids(["web-client", "mobile-client"])
//!     .token_use(TokenUse::Id)
//!     .jwks_url("http://127.0.0.1:5000/us-east-1_xyz/.well-known/jwks.json")
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! In a handler, [`CognitoClaims`] gives typed access to the Cognito claims:
//!
//! ```
//! # fn handler(principal: tollgate::Principal) -> Option<String> {
//! use tollgate::cognito::CognitoClaims;
//!
//! let claims: CognitoClaims = principal.claims_as().ok()?;
//! let who = claims.username()?.to_owned();
//! # Some(who) }
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::error::ConfigError;
use crate::jwt::{JwtProvider, JwtProviderBuilder};

/// Which Cognito tokens are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenUse {
    /// Access tokens (`token_use: access`), the right choice for an API. The default.
    #[default]
    Access,
    /// ID tokens (`token_use: id`).
    Id,
    /// Both; the app client is read from `client_id` or `aud` according to each token's
    /// `token_use`.
    Any,
}

impl TokenUse {
    fn accepted(self) -> Vec<String> {
        match self {
            Self::Access => vec!["access".into()],
            Self::Id => vec!["id".into()],
            Self::Any => vec!["access".into(), "id".into()],
        }
    }
}

/// The error from parsing a [`TokenUse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Cognito token use; use access, id or any")]
pub struct UnknownTokenUse(String);

impl FromStr for TokenUse {
    type Err = UnknownTokenUse;

    /// `access`, `id` or `any` (`both` is accepted for `any`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "access" => Ok(Self::Access),
            "id" => Ok(Self::Id),
            "any" | "both" => Ok(Self::Any),
            _ => Err(UnknownTokenUse(s.trim().to_owned())),
        }
    }
}

/// A Cognito user pool to verify tokens from. [`build`](Self::build) gives a [`JwtProvider`]
/// named `"cognito"`.
#[derive(Debug, Clone)]
#[must_use]
pub struct Cognito {
    region: String,
    user_pool_id: String,
    client_ids: Vec<String>,
    token_use: TokenUse,
    jwks_url: Option<String>,
}

impl Cognito {
    /// The user pool `user_pool_id` (e.g. `eu-west-1_AbCdEf123`) in `region` (e.g.
    /// `eu-west-1`).
    pub fn new(region: impl Into<String>, user_pool_id: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            user_pool_id: user_pool_id.into(),
            client_ids: Vec::new(),
            token_use: TokenUse::Access,
            jwks_url: None,
        }
    }

    /// Adds an accepted app client id. At least one is required.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Adds several accepted app client ids.
    pub fn client_ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.client_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Which tokens are accepted (default [`TokenUse::Access`]).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = token_use;
        self
    }

    /// Fetches the keys from `url` instead of `{issuer}/.well-known/jwks.json`, e.g. from a local
    /// emulator. The issuer checked in tokens does not change.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The issuer URL, `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }

    /// Checks the settings and returns the generic builder they configure, for settings the
    /// preset does not name (leeway, timeouts, refresh interval…).
    ///
    /// # Errors
    /// [`ConfigError`] when the region or user pool id is malformed, the pool id belongs to
    /// another region, or no client id is given.
    pub fn into_jwt_builder(self) -> Result<JwtProviderBuilder, ConfigError> {
        check_region(&self.region)?;
        check_user_pool_id(&self.user_pool_id, &self.region)?;
        if self.client_ids.is_empty() {
            return Err(ConfigError::Missing(
                "no Cognito app client id: call .client_id(\"…\") with the app client ids whose tokens are accepted (without them any app client of the pool would be accepted)",
            ));
        }
        if let Some(bad) = self.client_ids.iter().find(|id| {
            id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+')
        }) {
            return Err(ConfigError::Invalid(format!(
                "Cognito app client id {bad:?} is malformed: client ids are ASCII letters, digits, `_` and `+`"
            )));
        }
        let issuer = self.issuer();
        let jwks_url = self
            .jwks_url
            .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        Ok(JwtProvider::builder(issuer)
            .name("cognito")
            .audiences(self.client_ids)
            .jwks_url(jwks_url)
            .cognito_token_use(self.token_use.accepted())
            .scope_claims(["scope"])
            .group_claims(["cognito:groups"])
            .role_claims(Vec::<String>::new()))
    }

    /// Checks the settings, loads the pool's keys and starts their background refresh.
    ///
    /// # Errors
    /// As [`into_jwt_builder`](Self::into_jwt_builder) and [`JwtProviderBuilder::build`].
    pub async fn build(self) -> Result<JwtProvider, ConfigError> {
        self.into_jwt_builder()?.build().await
    }
}

/// An AWS region name: `xx-name-N`, e.g. `eu-west-1`, `ap-southeast-2`, `us-gov-west-1`.
fn check_region(region: &str) -> Result<(), ConfigError> {
    let parts: Vec<&str> = region.split('-').collect();
    let ok = match parts.as_slice() {
        [first, middle @ .., last] if !middle.is_empty() => {
            first.len() == 2
                && first.bytes().all(|b| b.is_ascii_lowercase())
                && middle
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
                && !last.is_empty()
                && last.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "Cognito region {region:?} is not an AWS region name like eu-west-1"
        )))
    }
}

/// A user pool id: `{region}_{letters and digits}`, e.g. `eu-west-1_AbCdEf123`.
fn check_user_pool_id(pool: &str, region: &str) -> Result<(), ConfigError> {
    let Some((pool_region, id)) = pool.split_once('_') else {
        return Err(ConfigError::Invalid(format!(
            "Cognito user pool id {pool:?} is malformed: it looks like {region}_AbCdEf123"
        )));
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ConfigError::Invalid(format!(
            "Cognito user pool id {pool:?} is malformed: after `{pool_region}_` come only letters and digits"
        )));
    }
    if pool_region != region {
        return Err(ConfigError::Invalid(format!(
            "Cognito user pool id {pool:?} belongs to region {pool_region:?}, not {region:?}: check COGNITO_REGION / the region argument"
        )));
    }
    Ok(())
}

/// The claims of a Cognito access or ID token, for
/// [`Principal::claims_as`](crate::Principal::claims_as) or
/// [`AuthLayerBuilder::claims`](crate::auth::AuthLayerBuilder::claims).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CognitoClaims {
    /// The user's unique, immutable id.
    pub sub: String,
    /// `access` or `id`.
    pub token_use: String,
    /// The user name: `username` in access tokens, `cognito:username` in ID tokens.
    #[serde(default, alias = "cognito:username")]
    pub username: Option<String>,
    /// The user's groups (`cognito:groups`).
    #[serde(default, rename = "cognito:groups")]
    pub groups: Vec<String>,
    /// The access token's scopes (the space-separated `scope`).
    #[serde(default, rename = "scope", deserialize_with = "space_separated")]
    pub scopes: Vec<String>,
    /// The app client, in access tokens.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app client, in ID tokens.
    #[serde(default)]
    pub aud: Option<String>,
    /// The user's e-mail address, in ID tokens that carry it.
    #[serde(default)]
    pub email: Option<String>,
}

impl CognitoClaims {
    /// The user name, whichever claim carried it.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The app client the token was issued to: `client_id` for access tokens, `aud` for ID
    /// tokens.
    pub fn app_client_id(&self) -> Option<&str> {
        match self.token_use.as_str() {
            "id" => self.aud.as_deref(),
            _ => self.client_id.as_deref(),
        }
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

fn space_separated<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    Ok(raw
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Access => "access",
            Self::Id => "id",
            Self::Any => "any",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(c: Cognito) -> String {
        c.into_jwt_builder()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let ok = || Cognito::new("eu-west-1", "eu-west-1_AbC123").client_id("abc123");
        assert!(ok().into_jwt_builder().is_ok());
        assert!(Cognito::new("us-gov-west-1", "us-gov-west-1_X")
            .client_id("a")
            .into_jwt_builder()
            .is_ok());
        for region in [
            "",
            "eu",
            "EU-west-1",
            "eu-west",
            "eu-west-x",
            "eu--1",
            "e-west-1",
        ] {
            let e = error(Cognito::new(region, format!("{region}_A")).client_id("a"));
            assert!(e.contains("not an AWS region name"), "{region}: {e}");
        }
        let e = error(Cognito::new("eu-west-1", "AbC123").client_id("a"));
        assert!(e.contains("malformed"), "{e}");
        let e = error(Cognito::new("eu-west-1", "eu-west-1_").client_id("a"));
        assert!(e.contains("malformed"), "{e}");
        let e = error(Cognito::new("eu-west-1", "eu-west-1_a/b").client_id("a"));
        assert!(e.contains("malformed"), "{e}");
        let e = error(Cognito::new("eu-west-1", "us-east-1_AbC").client_id("a"));
        assert!(e.contains("belongs to region \"us-east-1\""), "{e}");
        let e = error(Cognito::new("eu-west-1", "eu-west-1_AbC"));
        assert!(e.contains("no Cognito app client id"), "{e}");
        let e = error(ok().client_id("bad id"));
        assert!(e.contains("client id \"bad id\" is malformed"), "{e}");
    }

    #[test]
    fn issuer_is_the_aws_url() {
        let c = Cognito::new("eu-west-1", "eu-west-1_AbC123");
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
    }

    #[test]
    fn token_use_parses() {
        assert_eq!("access".parse(), Ok(TokenUse::Access));
        assert_eq!(" ID ".parse(), Ok(TokenUse::Id));
        assert_eq!("both".parse(), Ok(TokenUse::Any));
        assert!("refresh".parse::<TokenUse>().is_err());
    }

    #[test]
    fn claims_from_access_and_id_tokens() {
        let access: CognitoClaims = serde_json::from_str(
            r#"{"sub":"u1","token_use":"access","username":"alice","cognito:groups":["admin"],
                "scope":"aws.cognito.signin.user.admin read","client_id":"c1","exp":1}"#,
        )
        .unwrap();
        assert_eq!(access.username(), Some("alice"));
        assert_eq!(access.app_client_id(), Some("c1"));
        assert!(access.in_group("admin") && access.has_scope("read"));
        let id: CognitoClaims = serde_json::from_str(
            r#"{"sub":"u1","token_use":"id","cognito:username":"alice","aud":"c2","email":"a@x"}"#,
        )
        .unwrap();
        assert_eq!(id.username(), Some("alice"));
        assert_eq!(id.app_client_id(), Some("c2"));
        assert!(id.groups.is_empty() && id.scopes.is_empty());
    }
}
