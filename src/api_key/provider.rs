//! [`ApiKeys`], the [`Provider`] over a set of hashed keys, and its builder.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use http::HeaderName;
use serde_json::{json, Map};

use super::file::parse_line;
use super::key::sha256;
use super::{ApiKey, GeneratedKey, DEFAULT_HEADER};
use crate::clock::{unix_millis, Clock, SystemClock};
use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, ConfigError, Reason};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// Configures [`ApiKeys`]. Created by [`ApiKeys::builder`].
#[must_use]
pub struct ApiKeysBuilder {
    name: String,
    header: HeaderName,
    keys: Vec<ApiKey>,
    errors: Vec<ConfigError>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ApiKeysBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeysBuilder")
            .field("name", &self.name)
            .field("header", &self.header)
            .field("keys", &self.keys)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl ApiKeysBuilder {
    /// The name recorded in each principal (default `"api-keys"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The header the key is read from (default `x-api-key`); `Authorization: ApiKey <key>` is
    /// read too.
    pub fn header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }

    /// Adds a key.
    pub fn key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds the keys of a key file's text (see the [module docs](super) for the format).
    pub fn keys_from_str(mut self, text: &str) -> Self {
        self.add_lines(text, "the key list");
        self
    }

    /// Adds the keys of a key file (see the [module docs](super) for the format). A file that
    /// cannot be read fails [`build`](Self::build).
    pub fn keys_from_file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => self.add_lines(&text, &path.display().to_string()),
            Err(e) => self.errors.push(ConfigError::Invalid(format!(
                "cannot read the API key file {}: {e}",
                path.display()
            ))),
        }
        self
    }

    /// The clock for key expiry (default: the system clock). Tests use
    /// [`ManualClock`](crate::clock::ManualClock) to move time without sleeping.
    ///
    /// ```
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tollgate::api_key::{ApiKey, ApiKeys};
    /// use tollgate::clock::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let expires = clock.now() + Duration::from_secs(3600);
    /// let keys = ApiKeys::builder()
    ///     .key(ApiKey::from_secret("ci", "tgk_example")?.expires_at(expires))
    ///     .clock(clock.clone())
    ///     .build()?;
    /// assert!(keys.verify("tgk_example").is_ok());
    /// clock.advance(Duration::from_secs(3600)); // no sleeping
    /// assert!(keys.verify("tgk_example").is_err());
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn add_lines(&mut self, text: &str, origin: &str) {
        for (number, line) in text.lines().enumerate() {
            match parse_line(line) {
                Ok(Some(key)) => self.keys.push(key),
                Ok(None) => {}
                Err(e) => self.errors.push(ConfigError::Invalid(format!(
                    "{origin}, line {}: {e}",
                    number + 1
                ))),
            }
        }
    }

    /// Checks the keys.
    ///
    /// # Errors
    /// The first unreadable file or malformed line; a duplicate id or hash; no keys at all.
    pub fn build(mut self) -> Result<ApiKeys, ConfigError> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        if self.keys.is_empty() {
            return Err(ConfigError::Missing(
                "no API keys: add some with .key(…), .keys_from_file(…) or .keys_from_str(…)",
            ));
        }
        for (i, key) in self.keys.iter().enumerate() {
            for other in self.keys.iter().skip(i + 1) {
                if other.id == key.id {
                    return Err(ConfigError::Invalid(format!(
                        "API key id {:?} is used twice; ids must be unique",
                        key.id
                    )));
                }
                if other.digest == key.digest {
                    return Err(ConfigError::Invalid(format!(
                        "API keys {:?} and {:?} have the same hash, so the same key; give each client its own",
                        key.id, other.id
                    )));
                }
            }
        }
        Ok(ApiKeys {
            inner: Arc::new(Inner {
                name: self.name.into(),
                header: self.header,
                keys: self.keys,
                clock: self.clock,
            }),
        })
    }
}

/// Verifies API keys against a set of SHA-256 hashes. Cheap to clone; `Debug` shows the key ids
/// only.
#[derive(Clone)]
pub struct ApiKeys {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    header: HeaderName,
    keys: Vec<ApiKey>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.inner.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("ApiKeys")
            .field("name", &self.inner.name)
            .field("header", &self.inner.header)
            .field("key_ids", &ids)
            .field("clock", &self.inner.clock)
            .finish()
    }
}

impl ApiKeys {
    /// Starts a key set: header `x-api-key`, provider name `"api-keys"`, no keys yet.
    pub fn builder() -> ApiKeysBuilder {
        ApiKeysBuilder {
            name: "api-keys".into(),
            header: HeaderName::from_static(DEFAULT_HEADER),
            keys: Vec::new(),
            errors: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Generates a new key: `tgk_` and 256 random bits in base64url, with its hash.
    ///
    /// # Errors
    /// When the system's random number generator fails.
    pub fn generate() -> std::io::Result<GeneratedKey> {
        GeneratedKey::new()
    }

    /// The ids of the configured keys.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.keys.iter().map(|k| k.id.as_str())
    }

    /// Verifies an API key: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// `invalid_token` for an unknown key, `ExpiredToken` for one expired by the
    /// [clock](ApiKeysBuilder::clock).
    pub fn verify(&self, key: &str) -> Result<Principal, AuthError> {
        let now = unix_millis(self.inner.clock.now()) / 1000;
        self.verify_at(key, now)
    }

    fn verify_at(&self, key: &str, now: u64) -> Result<Principal, AuthError> {
        let presented = sha256(key);
        let mut found = None;
        // Every digest is compared, in constant time, whatever matched before (module docs).
        for candidate in &self.inner.keys {
            let equal =
                aws_lc_rs::constant_time::verify_slices_are_equal(&candidate.digest, &presented)
                    .is_ok();
            if equal {
                found = Some(candidate);
            }
        }
        let key = found.ok_or_else(|| AuthError::invalid_token(Reason::UnknownApiKey))?;
        if key.expires_at.is_some_and(|at| now >= at) {
            return Err(AuthError::invalid_token(Reason::Expired));
        }
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(key.id));
        if !key.scopes.is_empty() {
            claims.insert("scope".into(), json!(key.scopes.join(" ")));
        }
        if let Some(at) = key.expires_at {
            claims.insert("exp".into(), json!(at));
        }
        Ok(Principal::builder(self.inner.name.clone())
            .subject(Some(key.id.clone()))
            .scopes(key.scopes.clone())
            .expires_at(key.expires_at)
            .claims(claims)
            .build())
    }

    fn check(&self, credential: &Credential) -> Result<Principal, AuthError> {
        if credential.kind() != CredentialKind::ApiKey {
            return Err(AuthError::invalid_token(Reason::UnsupportedCredential));
        }
        self.verify(credential.token())
    }
}

impl Provider for ApiKeys {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        let result = self.check(&credential);
        Box::pin(std::future::ready(result))
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        Some(self.check(credential))
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        vec![
            CredentialSource::ApiKeyHeader(self.inner.header.clone()),
            CredentialSource::AuthorizationApiKey,
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::super::key::hex;
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::AuthErrorKind;

    fn keys() -> (ApiKeys, GeneratedKey, GeneratedKey) {
        let (a, b) = (ApiKeys::generate().unwrap(), ApiKeys::generate().unwrap());
        let keys = ApiKeys::builder()
            .key(
                ApiKey::from_hash("alpha", a.hash())
                    .unwrap()
                    .scopes(["read", "write"]),
            )
            .keys_from_str(&format!(
                "# comment\n\n{}  expires=2000-01-01\n",
                b.file_line("beta", &["read"])
            ))
            .build()
            .unwrap();
        (keys, a, b)
    }

    #[test]
    fn generated_keys_verify_and_name_their_id_never_the_key() {
        let (keys, a, _) = keys();
        assert!(a.secret().starts_with("tgk_") && a.secret().len() == 47);
        let p = keys.verify(a.secret()).unwrap();
        assert_eq!((p.subject(), p.provider()), (Some("alpha"), "api-keys"));
        assert_eq!(p.scopes(), ["read", "write"]);
        let shown = format!(
            "{p:?} {} {keys:?} {a:?}",
            serde_json::to_string(&p).unwrap()
        );
        assert!(!shown.contains(a.secret()), "{shown}");
        assert!(!format!("{keys:?}").contains(&a.hash()[7..]));
    }

    #[test]
    fn unknown_expired_and_bearer_credentials_are_refused() {
        let (keys, a, b) = keys();
        let reason = |r: Result<Principal, AuthError>| r.err().map(|e| (e.kind(), e.reason()));
        assert_eq!(
            reason(keys.verify("tgk_nope")),
            Some((AuthErrorKind::InvalidToken, Reason::UnknownApiKey))
        );
        let almost = format!("{}x", a.secret());
        assert_eq!(
            reason(keys.verify(&almost)),
            Some((AuthErrorKind::InvalidToken, Reason::UnknownApiKey))
        );
        assert_eq!(
            reason(keys.verify(b.secret())),
            Some((AuthErrorKind::ExpiredToken, Reason::Expired))
        );
        assert!(keys.verify_at(b.secret(), 946_684_799).is_ok());
        assert_eq!(
            reason(keys.check(&Credential::bearer(a.secret()))),
            Some((AuthErrorKind::InvalidToken, Reason::UnsupportedCredential))
        );
        assert!(keys.check(&Credential::api_key(a.secret())).is_ok());
    }

    #[test]
    fn key_file_mistakes_name_the_line() {
        let h = "sha256:".to_owned() + &"ab".repeat(32);
        let h2 = "sha256:".to_owned() + &"cd".repeat(32);
        let err = |text: &str| {
            ApiKeys::builder()
                .keys_from_str(text)
                .build()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&format!("ok {h}\nbad")).contains("line 2"));
        assert!(err("k sha256:abc").contains("64 hex digits"));
        assert!(err(&format!("k {}", h.replace("sha256:", "md5:"))).contains("64 hex digits"));
        assert!(err(&format!("k sha256:{}", "g".repeat(64))).contains("64 hex digits"));
        assert!(err(&format!("k/1 {h}")).contains("id \"k/1\" is malformed"));
        assert!(err(&format!("k {h} colour=red")).contains("unknown field `colour=red`"));
        assert!(err(&format!("k {h} expires=soon")).contains("expires=soon"));
        assert!(err(&format!("k {h}\nk {h2}")).contains("used twice"));
        assert!(err(&format!("k {h}\nj {h}")).contains("same hash"));
        assert!(err("# nothing").contains("no API keys"));
        let missing = ApiKeys::builder()
            .keys_from_file("/nonexistent/keys.txt")
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(missing.contains("cannot read the API key file /nonexistent/keys.txt"));
    }

    /// Both ways of setting an expiry: [`ApiKey::expires_at`] and a key file's `expires=`.
    fn keys_expiring_in_an_hour(clock: &ManualClock) -> ApiKeys {
        let in_an_hour = clock.now() + Duration::from_secs(3600);
        let unix = in_an_hour.duration_since(UNIX_EPOCH).unwrap().as_secs();
        ApiKeys::builder()
            .key(
                ApiKey::from_secret("typed", "tgk_typed")
                    .unwrap()
                    .expires_at(in_an_hour),
            )
            .keys_from_str(&format!(
                "filed sha256:{} expires={unix}",
                hex(&sha256("tgk_filed"))
            ))
            .clock(clock.clone())
            .build()
            .unwrap()
    }

    #[test]
    fn expiry_is_read_on_the_configured_clock() {
        let clock = ManualClock::new();
        let keys = keys_expiring_in_an_hour(&clock);
        let expired = |secret: &str| {
            keys.verify(secret).err().map(|e| (e.kind(), e.reason()))
                == Some((AuthErrorKind::ExpiredToken, Reason::Expired))
        };
        for secret in ["tgk_typed", "tgk_filed"] {
            assert!(keys.verify(secret).is_ok(), "{secret}: valid at first");
        }
        // The system clock has not moved an hour: only the manual clock can expire them.
        clock.advance(Duration::from_secs(3599));
        for secret in ["tgk_typed", "tgk_filed"] {
            assert!(
                keys.verify(secret).is_ok(),
                "{secret}: valid a second before"
            );
        }
        clock.advance(Duration::from_secs(1));
        for secret in ["tgk_typed", "tgk_filed"] {
            assert!(expired(secret), "{secret}: expired on the hour");
        }
    }

    #[test]
    fn the_provider_path_reads_the_same_clock() {
        let clock = ManualClock::new();
        let keys = keys_expiring_in_an_hour(&clock);
        let credential = Credential::api_key("tgk_typed");
        assert!(matches!(keys.try_authenticate(&credential), Some(Ok(_))));
        clock.advance(Duration::from_secs(3600));
        let refused = keys.try_authenticate(&credential).and_then(Result::err);
        assert_eq!(
            refused.map(|e| e.reason()),
            Some(Reason::Expired),
            "the layer's path expires the key too"
        );
    }

    #[test]
    fn layer_sources_are_the_header_and_the_authorization_scheme() {
        let keys = ApiKeys::builder()
            .header(HeaderName::from_static("x-key"))
            .key(ApiKey::from_secret("a", "tgk_x").unwrap())
            .build()
            .unwrap();
        assert_eq!(
            keys.default_sources(),
            [
                CredentialSource::ApiKeyHeader(HeaderName::from_static("x-key")),
                CredentialSource::AuthorizationApiKey
            ]
        );
    }
}
