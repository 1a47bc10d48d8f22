//! [`Issuer`]: the token service: the grants (password, client credentials, refresh with
//! rotation and reuse detection), revocation, and access-token minting.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::clients::{Authenticated, Clients};
use super::keys::Keys;
use super::lockout::Backoff;
use super::oauth::{OAuthError, TokenRequest, TokenResponse};
use super::password::{PasswordCheck, Passwords};
use super::records::{RefreshRecord, RefreshUse, User};
use super::{discovery, IssuerError, IssuerStore};
use crate::clock::Clock;
use crate::sha256::sha256;

/// The prefix of refresh tokens, so secret scanners (and people) can tell them apart.
const REFRESH_PREFIX: &str = "tgr_";

/// A token issuer: signs RFC 9068 access tokens for users (password grant, first-party public
/// clients) and machines (client credentials), rotates refresh tokens, and keeps its signing
/// keys rotating in the background. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use tollgate::issuer::{Clients, Issuer, SealingKey, SqliteStore};
///
/// let store = Arc::new(SqliteStore::open("/var/lib/myapp/issuer.db")?);
/// let sealing = SealingKey::from_base64(&std::env::var("ISSUER_KEY")?)?;
/// let issuer = Issuer::builder("https://auth.example.com", "my-api")
///     .clients(Clients::new().public("cli")?)
///     .build(store, sealing)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Issuer {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) issuer: String,
    pub(super) audience: String,
    pub(super) access_ttl: Duration,
    pub(super) refresh_ttl: Duration,
    pub(super) clients: Clients,
    pub(super) passwords: Passwords,
    pub(super) backoff: Backoff,
    pub(super) store: Arc<dyn IssuerStore>,
    pub(super) keys: Keys,
    pub(super) clock: Arc<dyn Clock>,
    /// Argon2id computations running at once: each takes 19 MiB and a core, so an unbounded
    /// number (one per request on the blocking pool) would let a flood of sign-ins exhaust
    /// memory.
    pub(super) hashing: tokio::sync::Semaphore,
}

/// The most a request waits for a turn to hash, before the answer is 503.
const HASHING_WAIT: Duration = Duration::from_secs(5);

impl Issuer {
    /// Runs `work` (an Argon2id hash or verification) on the blocking pool, at most one per
    /// core at once; `None` when no turn came within [`HASHING_WAIT`].
    pub(super) async fn argon2<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Passwords) -> T + Send + 'static,
    ) -> Option<T> {
        let permit = tokio::time::timeout(HASHING_WAIT, self.inner.hashing.acquire())
            .await
            .ok()?
            .ok()?;
        let passwords = self.inner.passwords.clone();
        let result = tokio::task::spawn_blocking(move || work(&passwords))
            .await
            .ok();
        drop(permit);
        result
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("clients", &self.inner.clients)
            .finish_non_exhaustive()
    }
}

pub(super) fn unix(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub(super) fn random_token(bytes: usize) -> Result<String, IssuerError> {
    let mut buf = vec![0; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| IssuerError::Crypto("the random number generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The scopes granted: all of `allowed` when nothing is requested, else the requested ones,
/// each of which must be allowed.
fn grant_scopes(requested: Option<&str>, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.to_vec());
    };
    let mut granted: Vec<String> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == scope) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {scope:?} is not available to this caller"
            )));
        }
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    Ok(granted)
}

fn store_failed(error: &IssuerError) -> OAuthError {
    tracing::warn!(target: "tollgate::issuer", %error, "issuer store failed");
    OAuthError::unavailable()
}

impl Issuer {
    /// The issuer URL (the tokens' `iss`).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The access tokens' audience.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    pub(super) fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// The OpenID Connect discovery document (also RFC 8414 metadata).
    pub fn discovery(&self) -> Value {
        discovery::discovery_document(&self.inner.issuer, &self.inner.keys.ring().algorithms())
    }

    /// The JWKS: every key published now.
    pub fn jwks(&self) -> Value {
        self.inner.keys.ring().jwks(self.now())
    }

    /// Answers a token request (RFC 6749 §4.3, §4.4, §6).
    ///
    /// # Errors
    /// The OAuth error to answer with.
    pub async fn token(&self, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        let client_id = request
            .client_id
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("client_id is required"))?;
        let client = self
            .inner
            .clients
            .authenticate(client_id, request.client_secret.as_deref())
            .ok_or_else(OAuthError::invalid_client)?;
        match (request.grant_type.as_str(), &client) {
            ("password", Authenticated::Public) => self.password_grant(client_id, &request).await,
            ("refresh_token", Authenticated::Public) => {
                self.refresh_grant(client_id, &request).await
            }
            ("client_credentials", Authenticated::Confidential { scopes }) => {
                let scopes = grant_scopes(request.scope.as_deref(), scopes)?;
                let access = self.mint(client_id, client_id, &scopes)?;
                Ok(self.response(access, None, scopes))
            }
            ("password" | "refresh_token" | "client_credentials", _) => Err(OAuthError::new(
                "unauthorized_client",
                400,
                "this client may not use this grant type",
            )),
            ("", _) => Err(OAuthError::invalid_request("grant_type is required")),
            _ => Err(OAuthError::new(
                "unsupported_grant_type",
                400,
                "supported: password, refresh_token, client_credentials",
            )),
        }
    }

    async fn password_grant(
        &self,
        client_id: &str,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let (Some(username), Some(password)) = (&request.username, &request.password) else {
            return Err(OAuthError::invalid_request(
                "username and password are required",
            ));
        };
        // Longer than any username or password can be (users.rs): refused before any work, and
        // without a failure row for a made-up name (which reveals nothing: the limits are public).
        if username.is_empty() || username.len() > 128 || password.len() > 1024 {
            return Err(OAuthError::invalid_request(
                "username must be 1 to 128 bytes and password at most 1024",
            ));
        }
        let store = &self.inner.store;
        let now = self.now();
        let failures = store
            .failures(username)
            .await
            .map_err(|e| store_failed(&e))?;
        if let Some(wait) = self.inner.backoff.wait(failures, now) {
            // The password is not even checked while the username waits.
            let mut error = OAuthError::invalid_grant("too many failed sign-ins; retry later");
            error.retry_after = Some(wait.max(Duration::from_secs(1)));
            return Err(error);
        }
        let user = store
            .user_by_name(username)
            .await
            .map_err(|e| store_failed(&e))?;
        // Always one Argon2id verification, with a dummy hash for an unknown user, so a missing
        // user, a disabled one and a wrong password take the same time and give the same answer.
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let password_copy = password.clone();
        let check = self
            .argon2(move |passwords| passwords.verify(stored.as_deref(), &password_copy))
            .await
            .ok_or_else(OAuthError::unavailable)?;
        let user = match (user, check) {
            (Some(user), PasswordCheck::Valid { needs_rehash }) if !user.disabled => {
                if needs_rehash {
                    self.rehash(&user, password).await;
                }
                user
            }
            _ => {
                store
                    .record_failure(username, now)
                    .await
                    .map_err(|e| store_failed(&e))?;
                return Err(OAuthError::invalid_grant("invalid username or password"));
            }
        };
        store
            .clear_failures(username)
            .await
            .map_err(|e| store_failed(&e))?;
        let scopes = grant_scopes(request.scope.as_deref(), &user.scopes)?;
        let family = random_token(16).map_err(|_| OAuthError::unavailable())?;
        self.issue_pair(client_id, &user, scopes, family).await
    }

    /// Stores a new hash made with the current parameters; a failure only logs (the sign-in
    /// succeeded either way).
    async fn rehash(&self, user: &User, password: &str) {
        let password = password.to_owned();
        let hashed = self
            .argon2(move |passwords| passwords.hash(&password))
            .await;
        if let Some(Ok(hash)) = hashed {
            let mut updated = user.clone();
            updated.password_hash = hash;
            updated.updated_at = self.now();
            if let Err(error) = self.inner.store.update_user(&updated).await {
                tracing::warn!(target: "tollgate::issuer", %error, "rehashing a password failed");
            }
        }
    }

    async fn refresh_grant(
        &self,
        client_id: &str,
        request: &TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let token = request
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        if !token.starts_with(REFRESH_PREFIX) || token.len() > 128 {
            return Err(invalid());
        }
        let store = &self.inner.store;
        let record = match store
            .use_refresh(&sha256(token), self.now())
            .await
            .map_err(|e| store_failed(&e))?
        {
            RefreshUse::Fresh(record) => record,
            RefreshUse::Reused(record) => {
                // A refresh token used twice: one of the two holders stole it. The store has
                // revoked the whole family; both must sign in again.
                tracing::warn!(
                    target: "tollgate::issuer",
                    family = %record.family,
                    user = %record.user_id,
                    "refresh token reused; its family is revoked"
                );
                return Err(invalid());
            }
            _ => return Err(invalid()),
        };
        if record.client_id != client_id {
            store
                .revoke_family(&record.family)
                .await
                .map_err(|e| store_failed(&e))?;
            return Err(invalid());
        }
        let user = match store
            .user(&record.user_id)
            .await
            .map_err(|e| store_failed(&e))?
        {
            Some(user) if !user.disabled => user,
            _ => return Err(invalid()),
        };
        // Never more than the family was granted, nor more than the user has now.
        let still: Vec<String> = record
            .scopes
            .iter()
            .filter(|s| user.scopes.contains(s))
            .cloned()
            .collect();
        let scopes = grant_scopes(request.scope.as_deref(), &still)?;
        self.issue_pair(client_id, &user, scopes, record.family)
            .await
    }

    async fn issue_pair(
        &self,
        client_id: &str,
        user: &User,
        scopes: Vec<String>,
        family: String,
    ) -> Result<TokenResponse, OAuthError> {
        let access = self.mint(&user.id, client_id, &scopes)?;
        let refresh = format!(
            "{REFRESH_PREFIX}{}",
            random_token(32).map_err(|_| OAuthError::unavailable())?
        );
        let now = self.now();
        let record = RefreshRecord {
            token_hash: sha256(&refresh),
            family,
            user_id: user.id.clone(),
            client_id: client_id.to_owned(),
            scopes: scopes.clone(),
            issued_at: now,
            expires_at: now + self.inner.refresh_ttl,
        };
        self.inner
            .store
            .insert_refresh(&record)
            .await
            .map_err(|e| store_failed(&e))?;
        Ok(self.response(access, Some(refresh), scopes))
    }

    fn response(
        &self,
        access: String,
        refresh: Option<String>,
        scopes: Vec<String>,
    ) -> TokenResponse {
        TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: self.inner.access_ttl.as_secs(),
            refresh_token: refresh,
            scope: scopes.join(" "),
        }
    }

    /// An RFC 9068 access token for `subject`.
    fn mint(
        &self,
        subject: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Result<String, OAuthError> {
        let now = self.now();
        let iat = unix(now);
        let jti = random_token(16).map_err(|_| OAuthError::unavailable())?;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.inner.issuer));
        claims.insert("sub".into(), json!(subject));
        claims.insert("aud".into(), json!(self.inner.audience));
        claims.insert("exp".into(), json!(iat + self.inner.access_ttl.as_secs()));
        claims.insert("iat".into(), json!(iat));
        claims.insert("jti".into(), json!(jti));
        claims.insert("client_id".into(), json!(client_id));
        claims.insert("scope".into(), json!(scopes.join(" ")));
        self.inner
            .keys
            .ring()
            .sign(now, "at+jwt", &claims)
            .map_err(|error| {
                tracing::error!(target: "tollgate::issuer", %error, "signing an access token failed");
                OAuthError::unavailable()
            })
    }

    /// Revokes a refresh token and its whole family (RFC 7009). An unknown token, an access
    /// token (they are short-lived: keep them so) or another client's token is not an error:
    /// the answer is the same, so it reveals nothing.
    ///
    /// # Errors
    /// `invalid_client` for an unknown client; `temporarily_unavailable` when the store fails.
    pub async fn revoke(
        &self,
        token: &str,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<(), OAuthError> {
        let client_id =
            client_id.ok_or_else(|| OAuthError::invalid_request("client_id is required"))?;
        self.inner
            .clients
            .authenticate(client_id, client_secret)
            .ok_or_else(OAuthError::invalid_client)?;
        if !token.starts_with(REFRESH_PREFIX) {
            return Ok(());
        }
        let store = &self.inner.store;
        let hash = sha256(token);
        if let Some(family) = store
            .refresh_family(&hash)
            .await
            .map_err(|e| store_failed(&e))?
        {
            store
                .revoke_family(&family)
                .await
                .map_err(|e| store_failed(&e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_granted_only_from_what_is_allowed() {
        let allowed = vec!["read".to_owned(), "write".to_owned()];
        assert_eq!(grant_scopes(None, &allowed).unwrap(), allowed);
        assert_eq!(
            grant_scopes(Some("read read"), &allowed).unwrap(),
            vec!["read".to_owned()]
        );
        assert_eq!(
            grant_scopes(Some(""), &allowed).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            grant_scopes(Some("read admin"), &allowed)
                .unwrap_err()
                .error,
            "invalid_scope"
        );
    }
}
