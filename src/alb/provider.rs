//! [`Alb`]: verifies the `x-amzn-oidc-data` header against the configured load balancers:
//! the checks that need no key, then the key and the signature, then the principal.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::builder::AlbBuilder;
use super::keys::{AlbKeys, Key};
use super::token::{parse, AlbToken};
use crate::clock::{unix_millis, Clock};
use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, Reason};
use crate::jose::numeric_date;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// Verifies the user claims an AWS Application Load Balancer signed (`x-amzn-oidc-data`).
/// Cheap to clone. See the [module documentation](super) for every check.
#[derive(Clone)]
pub struct Alb {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) name: Arc<str>,
    pub(super) region: String,
    pub(super) signers: Vec<String>,
    pub(super) clients: Option<Vec<String>>,
    pub(super) issuers: Option<Vec<String>>,
    pub(super) leeway: u64,
    pub(super) groups_claim: Option<String>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) keys: Arc<AlbKeys>,
}

impl fmt::Debug for Alb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alb")
            .field("name", &self.inner.name)
            .field("region", &self.inner.region)
            .field("signers", &self.inner.signers)
            .field("clients", &self.inner.clients)
            .field("issuers", &self.inner.issuers)
            .field("keys", &self.inner.keys)
            .finish()
    }
}

impl Alb {
    /// Starts configuring a provider for load balancers in `region` (e.g. `eu-west-1`); add at
    /// least one load balancer ARN with [`signer`](AlbBuilder::signer).
    pub fn builder(region: impl Into<String>) -> AlbBuilder {
        AlbBuilder::new(region.into())
    }

    /// Where keys are fetched from: `{keys_url}/{kid}`.
    pub fn keys_url(&self) -> &str {
        self.inner.keys.url()
    }

    /// How many keys are cached.
    pub fn key_count(&self) -> usize {
        self.inner.keys.key_count()
    }

    /// Verifies an `x-amzn-oidc-data` value: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// An [`AuthError`] saying why the token is not accepted, or 503
    /// ([`AuthErrorKind::Unavailable`](crate::error::AuthErrorKind::Unavailable)) when its key
    /// cannot be fetched.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let token = self.inner.check(token)?;
        let key = match self.inner.keys.cached(&token.kid) {
            Some(key) => key,
            None => self.inner.keys.get(&token.kid).await?,
        };
        self.inner.finish(token, &key)
    }
}

impl Inner {
    /// Every check that needs no key, in the order that keeps an attacker from choosing what
    /// is fetched: the format, then `signer`, then the times, `iss` and `client`.
    fn check<'a>(&self, token: &'a str) -> Result<AlbToken<'a>, AuthError> {
        let token = parse(token).map_err(AuthError::invalid_token)?;
        if !self.signers.contains(&token.signer) {
            return Err(AuthError::invalid_token(Reason::WrongSigner));
        }
        let now = (unix_millis(self.clock.now()) / 1000) as f64;
        let leeway = self.leeway as f64;
        let payload_exp =
            numeric_date(token.claims.get("exp")).map_err(AuthError::invalid_token)?;
        for exp in std::iter::once(token.exp).chain(payload_exp) {
            if now >= exp + leeway {
                return Err(AuthError::invalid_token(Reason::Expired));
            }
        }
        let nbf = numeric_date(token.claims.get("nbf")).map_err(AuthError::invalid_token)?;
        if nbf.is_some_and(|nbf| now + leeway < nbf) {
            return Err(AuthError::invalid_token(Reason::NotYetValid));
        }
        // The payload's `iss`, when there is one, must be the header's: two issuers in one
        // token would let readers disagree on who vouched for the user.
        match (token.claims.get("iss"), &token.iss) {
            (None, _) => {}
            (Some(Value::String(payload)), Some(header)) if payload == header => {}
            (Some(Value::String(_)), _) => {
                return Err(AuthError::invalid_token(Reason::WrongIssuer))
            }
            (Some(_), _) => return Err(AuthError::invalid_token(Reason::InvalidClaim)),
        }
        if let Some(issuers) = &self.issuers {
            match &token.iss {
                Some(iss) if issuers.contains(iss) => {}
                Some(_) => return Err(AuthError::invalid_token(Reason::WrongIssuer)),
                None => return Err(AuthError::invalid_token(Reason::MissingClaim)),
            }
        }
        if let Some(clients) = &self.clients {
            match &token.client {
                Some(client) if clients.contains(client) => {}
                _ => return Err(AuthError::invalid_token(Reason::WrongClient)),
            }
        }
        if !matches!(token.claims.get("sub"), None | Some(Value::String(_))) {
            return Err(AuthError::invalid_token(Reason::InvalidClaim));
        }
        Ok(token)
    }

    /// The signature over the exact bytes sent, then the principal.
    fn finish(&self, token: AlbToken<'_>, key: &Key) -> Result<Principal, AuthError> {
        if key
            .verify_sig(token.signing_input, &token.signature)
            .is_err()
        {
            return Err(AuthError::invalid_token(Reason::BadSignature));
        }
        let payload_exp = numeric_date(token.claims.get("exp")).ok().flatten();
        let exp = payload_exp.map_or(token.exp, |p| p.min(token.exp));
        let mut claims = token.claims;
        let subject = match claims.get("sub") {
            Some(Value::String(sub)) => Some(sub.clone()),
            _ => None,
        };
        let groups = self.groups(&claims);
        let scopes = match claims.get("scope") {
            Some(Value::String(scope)) => scope.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        claims.insert("alb_signer".into(), Value::String(token.signer));
        if let Some(client) = token.client {
            claims.insert("alb_client".into(), Value::String(client));
        }
        Ok(Principal::builder(Arc::clone(&self.name))
            .subject(subject)
            .issuer(token.iss)
            .scopes(scopes)
            .groups(groups)
            .expires_at(exp.max(0.0) as u64)
            .claims(claims)
            .build())
    }

    /// The configured groups claim, or `cognito:groups` if present, else `groups`: an array of
    /// strings, or one space-separated string.
    fn groups(&self, claims: &Map<String, Value>) -> Vec<String> {
        let value = match &self.groups_claim {
            Some(name) => claims.get(name),
            None => claims
                .get("cognito:groups")
                .or_else(|| claims.get("groups")),
        };
        match value {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }
}

impl Provider for Alb {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        Box::pin(async move {
            self.verify(credential.token_of(CredentialKind::AlbOidcData)?)
                .await
        })
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        let token = match credential
            .token_of(CredentialKind::AlbOidcData)
            .and_then(|token| self.inner.check(token))
        {
            Ok(token) => token,
            Err(error) => return Some(Err(error)),
        };
        let key = self.inner.keys.cached(&token.kid)?;
        Some(self.inner.finish(token, &key))
    }

    /// The `x-amzn-oidc-data` header only.
    fn default_sources(&self) -> Vec<CredentialSource> {
        vec![CredentialSource::AlbOidcData]
    }
}
