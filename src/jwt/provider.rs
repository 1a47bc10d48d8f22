//! [`JwtProvider`]: verifies a token with the keys at hand, fetches them when a `kid` is new,
//! and remembers verified tokens.

use std::fmt;
use std::sync::Arc;

use super::builder::JwtProviderBuilder;
use super::mapping::ClaimNames;
use super::policy::ClaimPolicy;
use super::verified::{TokenKey, Verified, VerifiedTokens};
use crate::clock::{unix_millis, Clock};
use crate::credential::Credential;
use crate::error::{AuthError, Reason};
use crate::jose::{parse, Algorithm};
use crate::jwks::{Jwks, JwksCache, Lookup, UnpinnedRsa};
use crate::metrics;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// Verifies JWTs from one issuer against its JWKS. Cheap to clone.
#[derive(Clone)]
pub struct JwtProvider {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) name: Arc<str>,
    pub(super) algorithms: Vec<Algorithm>,
    pub(super) unpinned_rsa: UnpinnedRsa,
    pub(super) policy: ClaimPolicy,
    pub(super) claim_names: ClaimNames,
    pub(super) verified: Option<VerifiedTokens>,
    /// The key set's clock, so expiry and key staleness are read on the same time.
    pub(super) clock: Arc<dyn Clock>,
    pub(super) cache: Arc<JwksCache>,
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
    /// Starts configuring a provider for `issuer` (the exact `iss` value of its tokens). Unless
    /// [`jwks_url`](JwtProviderBuilder::jwks_url) is set, it is also where discovery looks:
    /// `{issuer}/.well-known/openid-configuration`, whose `issuer` must equal it exactly,
    /// trailing slash included.
    pub fn builder(issuer: impl Into<String>) -> JwtProviderBuilder {
        JwtProviderBuilder::new(issuer.into())
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

    /// The provider's key set: health for readiness probes, a manual refresh, shutdown, and
    /// sharing with another provider of the same issuer
    /// ([`JwtProviderBuilder::jwks`](super::JwtProviderBuilder::jwks)).
    pub fn jwks(&self) -> Jwks {
        Jwks::new(Arc::clone(&self.inner.cache))
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
}

impl JwtProvider {
    /// What [`try_authenticate`](Provider::try_authenticate) would answer for `token` from the
    /// verified-token cache: its principal if this provider verified it before on this thread
    /// and it passes the cache's re-checks now. `None` decides nothing: verify the token. A miss
    /// reads neither the clock nor the key set.
    pub(crate) fn cached(&self, token: &str, key: TokenKey) -> Option<Principal> {
        let found = self.inner.verified.as_ref()?.find(token, key)?;
        let now_ms = unix_millis(self.inner.clock.now());
        let keys = self.inner.cache.usable_keys(now_ms)?;
        found
            .principal_if_current((now_ms / 1000) as f64, &keys, self.inner.unpinned_rsa)
            .inspect(|_| metrics::token_cache_hit(&self.inner.name))
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
            metrics::token_cache_hit(&self.name);
            return Ok(hit);
        }
        let timer = metrics::VerificationTimer::start();
        let parsed = parse(token, &self.algorithms).map_err(reject)?;
        let key = match keys.lookup(parsed.kid.as_deref(), parsed.alg, self.unpinned_rsa) {
            Lookup::Found(key) => {
                if self.verified.is_some() {
                    metrics::token_cache_miss(&self.name);
                }
                let valid = key.verify(parsed.alg, parsed.signing_input, &parsed.signature);
                timer.record(&self.name);
                if !valid {
                    return Err(reject(Reason::BadSignature));
                }
                key
            }
            Lookup::UnknownKid => return Err(Miss::UnknownKey(parsed.kid.unwrap_or_default())),
            Lookup::NoMatch => return Err(reject(Reason::NoMatchingKey)),
        };
        self.policy
            .restrictions
            .check_type(parsed.typ.as_deref())
            .map_err(reject)?;
        let checked = self.policy.check(&parsed.claims, now).map_err(reject)?;
        let principal = self.claim_names.principal(
            self.name.clone(),
            &self.policy.issuer,
            parsed.claims,
            checked.expires_at,
        );
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
