//! The [`Cognito`] settings: a user pool, its app clients, which tokens and which issuer URLs are
//! accepted, checked in [`build`](Cognito::build).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::ConfigError;
use crate::jwt::{JwtProvider, JwtProviderBuilder};

use super::pool::CognitoPool;

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

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Access => "access",
            Self::Id => "id",
            Self::Any => "any",
        })
    }
}

/// Which of Cognito's two issuer URL formats are accepted (see the [module docs](super)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IssuerFormats {
    /// Both, the default: a pool can switch formats in the console at any time, and a
    /// replicated pool's tokens may carry either.
    #[default]
    Both,
    /// Only the original `https://cognito-idp.{region}.amazonaws.com/{pool}`.
    Original,
    /// Only the updated `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}`.
    Updated,
}

/// Settings applied to each issuer's [`JwtProviderBuilder`]; see [`Cognito::jwt_settings`].
type JwtSettings = Arc<dyn Fn(JwtProviderBuilder) -> JwtProviderBuilder + Send + Sync>;

/// A Cognito user pool to verify tokens from. [`build`](Self::build) gives a [`CognitoPool`]
/// whose providers are named `"cognito"`.
#[derive(Clone)]
#[must_use]
pub struct Cognito {
    region: String,
    user_pool_id: String,
    additional_regions: Vec<String>,
    formats: IssuerFormats,
    client_ids: Vec<String>,
    token_use: TokenUse,
    jwks_url: Option<String>,
    settings: Option<JwtSettings>,
}

impl fmt::Debug for Cognito {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cognito")
            .field("region", &self.region)
            .field("user_pool_id", &self.user_pool_id)
            .field("additional_regions", &self.additional_regions)
            .field("formats", &self.formats)
            .field("client_ids", &self.client_ids)
            .field("token_use", &self.token_use)
            .field("jwks_url", &self.jwks_url)
            .field("jwt_settings", &self.settings.is_some())
            .finish()
    }
}

impl Cognito {
    /// The user pool `user_pool_id` (e.g. `eu-west-1_AbCdEf123`) whose primary region is
    /// `region` (e.g. `eu-west-1`): the region its id starts with, also for a service that runs
    /// beside one of its replicas (those regions go in
    /// [`additional_regions`](Self::additional_regions)).
    pub fn new(region: impl Into<String>, user_pool_id: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            user_pool_id: user_pool_id.into(),
            additional_regions: Vec::new(),
            formats: IssuerFormats::Both,
            client_ids: Vec::new(),
            token_use: TokenUse::Access,
            jwks_url: None,
            settings: None,
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

    /// The regions the pool is replicated to (Cognito multi-Region replication). With the
    /// original issuer format a replica signs tokens whose `iss` names its own region,
    /// `https://cognito-idp.{replica}.amazonaws.com/{pool}` (the pool id keeps the primary's
    /// region), so each replica region adds that one issuer, with its own keys. The updated
    /// format names the primary region whichever replica signed, so it adds nothing there.
    pub fn additional_regions<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        regions: I,
    ) -> Self {
        self.additional_regions
            .extend(regions.into_iter().map(Into::into));
        self
    }

    /// Which issuer URL formats are accepted (default [`IssuerFormats::Both`]).
    pub fn issuer_formats(mut self, formats: IssuerFormats) -> Self {
        self.formats = formats;
        self
    }

    /// Fetches the keys of every accepted issuer from `url` instead of each issuer's
    /// `{issuer}/.well-known/jwks.json`, e.g. from a local emulator. The issuers checked in
    /// tokens do not change.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Settings the preset does not name (leeway, timeouts, refresh, a JWKS seed…), applied to
    /// the [`JwtProviderBuilder`] of each accepted issuer after the preset's own.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), tollgate::ConfigError> {
    /// use std::time::Duration;
    /// use tollgate::cognito::Cognito;
    ///
    /// let pool = Cognito::new("eu-west-1", "eu-west-1_AbCdEf123")
    ///     .client_id("4t2dd3kq8vnbs1ea0m6mrsnu4i")
    ///     .jwt_settings(|jwt| jwt.leeway(Duration::from_secs(5)).http_timeout(Duration::from_secs(2)))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn jwt_settings(
        mut self,
        settings: impl Fn(JwtProviderBuilder) -> JwtProviderBuilder + Send + Sync + 'static,
    ) -> Self {
        self.settings = Some(Arc::new(settings));
        self
    }

    /// The primary region's issuer in the original format,
    /// `https://cognito-idp.{region}.amazonaws.com/{user_pool_id}`.
    pub fn issuer(&self) -> String {
        original_issuer(&self.region, &self.user_pool_id)
    }

    /// Every issuer URL accepted, the primary region's first: the original format in the
    /// primary and each additional region, and the updated format
    /// `https://issuer-cognito-idp.{region}.amazonaws.com/{user_pool_id}` in the primary
    /// region, as [`issuer_formats`](Self::issuer_formats) allows.
    pub fn issuers(&self) -> Vec<String> {
        let mut issuers = Vec::new();
        if self.formats != IssuerFormats::Updated {
            issuers.push(self.issuer());
            issuers.extend(
                self.additional_regions
                    .iter()
                    .map(|region| original_issuer(region, &self.user_pool_id)),
            );
        }
        if self.formats != IssuerFormats::Original {
            issuers.push(format!(
                "https://issuer-cognito-idp.{}.amazonaws.com/{}",
                self.region, self.user_pool_id
            ));
        }
        issuers
    }

    /// Checks the settings and returns one configured builder per accepted issuer, in the
    /// order of [`issuers`](Self::issuers).
    fn into_jwt_builders(self) -> Result<Vec<JwtProviderBuilder>, ConfigError> {
        self.check()?;
        let issuers = self.issuers();
        let builders = issuers
            .into_iter()
            .enumerate()
            .map(|(i, issuer)| {
                let jwks_url = self
                    .jwks_url
                    .clone()
                    .unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
                let mut builder = JwtProvider::builder(issuer)
                    .name("cognito")
                    .audiences(self.client_ids.clone())
                    .jwks_url(jwks_url)
                    .cognito_token_use(self.token_use.accepted())
                    .subject_claims(["sub", "client_id"])
                    .scope_claims(["scope"])
                    .group_claims(["cognito:groups"])
                    .role_claims(Vec::<String>::new());
                if i > 0 {
                    // Not fetched in `build()`: a pool that never switched to the updated
                    // format answers 403 on that issuer's JWKS, and a region may be a replica
                    // not serving yet. Tokens of those issuers wait for their keys once.
                    builder = builder.lazy_keys();
                }
                match &self.settings {
                    Some(settings) => settings(builder),
                    None => builder,
                }
            })
            .collect();
        Ok(builders)
    }

    fn check(&self) -> Result<(), ConfigError> {
        check_region(&self.region)?;
        check_user_pool_id(&self.user_pool_id, &self.region)?;
        for region in &self.additional_regions {
            check_region(region)?;
            if *region == self.region {
                return Err(ConfigError::Invalid(format!(
                    "additional region {region:?} is the pool's primary region: list only the regions it is replicated to"
                )));
            }
            if self
                .additional_regions
                .iter()
                .filter(|r| *r == region)
                .count()
                > 1
            {
                return Err(ConfigError::Invalid(format!(
                    "additional region {region:?} is listed twice"
                )));
            }
        }
        if !self.additional_regions.is_empty() && self.formats == IssuerFormats::Updated {
            return Err(ConfigError::Invalid(
                "additional_regions has no effect with IssuerFormats::Updated (the updated issuer names the primary region whichever replica signed): drop one of them".into(),
            ));
        }
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
        Ok(())
    }

    /// Checks the settings, loads the primary issuer's keys and starts their background
    /// refresh; the other issuers' keys load in the background.
    ///
    /// # Errors
    /// [`ConfigError`] when the region, an additional region or the user pool id is
    /// malformed, the pool id belongs to another region, no client id is given, or as
    /// [`JwtProviderBuilder::build`] for any issuer (including a setting from
    /// [`jwt_settings`](Self::jwt_settings) that it refuses).
    pub async fn build(self) -> Result<CognitoPool, ConfigError> {
        let mut providers = Vec::new();
        for builder in self.into_jwt_builders()? {
            providers.push(builder.build().await?);
        }
        CognitoPool::new(providers)
    }
}

fn original_issuer(region: &str, pool: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool}")
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
            "Cognito user pool id {pool:?} belongs to region {pool_region:?}, not {region:?}: check COGNITO_REGION / the region argument (a replica keeps its primary's pool id: give the primary region here and the replica's in additional_regions)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(c: Cognito) -> String {
        c.check().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let ok = || Cognito::new("eu-west-1", "eu-west-1_AbC123").client_id("abc123");
        assert!(ok().check().is_ok());
        assert!(Cognito::new("us-gov-west-1", "us-gov-west-1_X")
            .client_id("a")
            .check()
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
            let e = error(ok().additional_regions([region]));
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
        assert!(e.contains("additional_regions"), "{e}");
        let e = error(Cognito::new("eu-west-1", "eu-west-1_AbC"));
        assert!(e.contains("no Cognito app client id"), "{e}");
        let e = error(ok().client_id("bad id"));
        assert!(e.contains("client id \"bad id\" is malformed"), "{e}");
        let e = error(ok().additional_regions(["eu-west-1"]));
        assert!(e.contains("is the pool's primary region"), "{e}");
        let e = error(ok().additional_regions(["us-west-2", "us-west-2"]));
        assert!(e.contains("listed twice"), "{e}");
        let e = error(
            ok().additional_regions(["us-west-2"])
                .issuer_formats(IssuerFormats::Updated),
        );
        assert!(e.contains("no effect with IssuerFormats::Updated"), "{e}");
    }

    #[test]
    fn issuers_are_the_aws_urls_in_both_formats() {
        let c = Cognito::new("eu-west-1", "eu-west-1_AbC123");
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            c.issuers(),
            [
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
                "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            ]
        );
        let replicated = c.clone().additional_regions(["us-east-1"]);
        assert_eq!(
            replicated.issuers(),
            [
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
                "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123",
                "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            ]
        );
        assert_eq!(
            replicated
                .clone()
                .issuer_formats(IssuerFormats::Original)
                .issuers()
                .len(),
            2
        );
        assert_eq!(
            c.issuer_formats(IssuerFormats::Updated).issuers(),
            ["https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"]
        );
    }

    #[test]
    fn token_use_parses() {
        assert_eq!("access".parse(), Ok(TokenUse::Access));
        assert_eq!(" ID ".parse(), Ok(TokenUse::Id));
        assert_eq!("both".parse(), Ok(TokenUse::Any));
        assert!("refresh".parse::<TokenUse>().is_err());
    }
}
