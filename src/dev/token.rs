//! [`TokenBuilder`]: the claims, key and algorithm of a token minted by a [`DevIssuer`].

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::DevIssuer;
use crate::clock::unix_now;
use crate::jose::Algorithm;

/// Builds a token minted by a [`DevIssuer`]. Created by [`DevIssuer::token`].
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a DevIssuer,
    claims: Map<String, Value>,
    kid: Option<String>,
    alg: Option<Algorithm>,
}

impl<'a> TokenBuilder<'a> {
    /// The defaults documented on [`DevIssuer::token`].
    pub(super) fn new(issuer: &'a DevIssuer) -> Self {
        let now = unix_now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(issuer.state.issuer));
        claims.insert("aud".into(), json!(issuer.state.audience));
        claims.insert("sub".into(), json!("dev-user"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 3600));
        Self {
            issuer,
            claims,
            kid: None,
            alg: None,
        }
    }
}

impl TokenBuilder<'_> {
    /// Sets `sub`.
    pub fn subject(self, subject: &str) -> Self {
        self.claim("sub", subject)
    }

    /// Adds a scope to the space-separated `scope` claim.
    pub fn scope(mut self, scope: &str) -> Self {
        let joined = match self.claims.get("scope").and_then(Value::as_str) {
            Some(existing) if !existing.is_empty() => format!("{existing} {scope}"),
            _ => scope.to_owned(),
        };
        self.claims.insert("scope".into(), json!(joined));
        self
    }

    /// Sets `exp` to now plus `ttl`.
    pub fn expires_in(self, ttl: Duration) -> Self {
        self.claim("exp", unix_now() + ttl.as_secs())
    }

    /// Sets any claim (replacing the default `iss`, `aud`, `exp`… if named).
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Signs with key `kid` instead of the first key.
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with `alg` (the key must be of its family).
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Signs the token. Returns an empty string if no key fits the requested kid/algorithm.
    pub fn sign(self) -> String {
        self.try_sign().unwrap_or_default()
    }

    /// Signs the token, or `None` if no key fits the requested kid/algorithm.
    pub fn try_sign(self) -> Option<String> {
        let keys = self.issuer.state.keys.all();
        let key = match (&self.kid, self.alg) {
            (Some(kid), _) => keys.iter().find(|k| &k.kid == kid)?,
            (None, Some(alg)) => keys
                .iter()
                .find(|k| k.default_alg().family() == alg.family())?,
            (None, None) => keys.first()?,
        };
        let alg = self.alg.unwrap_or_else(|| key.default_alg());
        let header = json!({"alg": alg.as_str(), "typ": "JWT", "kid": key.kid});
        key.sign_json(alg, &header, &Value::Object(self.claims))
    }
}
