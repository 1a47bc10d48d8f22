//! API keys for machine clients: [`ApiKeys`], a [`Provider`] over a set of hashed keys.
//!
//! Keys are read from the `x-api-key` header (the name is configurable) or from
//! `Authorization: ApiKey <key>`; an [`AuthLayer`](crate::AuthLayer) built for an `ApiKeys`
//! reads both without further configuration. Each key has an id, optional scopes and an
//! optional expiry; the principal's [`subject`](Principal::subject) is the key's id, never the
//! key. A key is made of RFC 6750 `b64token` characters (letters, digits, `-._~+/`), like a
//! bearer token; a key sent as `Authorization: Bearer` is a bearer token, not an API key, and
//! is refused.
//!
//! ```
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::api_key::{ApiKey, ApiKeys};
//! use tollgate::AuthLayer;
//!
//! let keys = ApiKeys::builder()
//!     // The hash printed by `ApiKeys::generate()` (or `cargo run --example api_keys -- generate`).
//!     .key(ApiKey::from_hash("ci-deploy", "sha256:5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99")?
//!         .scopes(["deploy"]))
//!     .keys_from_str("reporting sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae scopes=read")
//!     .build()?;
//! let layer = AuthLayer::new(keys); // reads `x-api-key` and `Authorization: ApiKey …`
//! # Ok(()) }
//! ```
//!
//! # Storage: hashes only
//! tollgate never holds a key, only its SHA-256 digest, so a leaked configuration file or memory
//! dump gives nothing that authenticates. The keys [`ApiKeys::generate`] makes carry 256 random
//! bits, so a fast hash is enough: there is nothing to brute-force (a slow password hash only
//! helps for low-entropy secrets, and would cost every request milliseconds).
//!
//! # Constant-time lookup
//! The presented key is hashed first (its timing depends only on its length, which the client
//! chose), then its digest is compared with **every** stored digest with a constant-time
//! comparison and no early exit, so a request's timing depends on the number of keys, not on
//! any key or on how much of one was guessed right. Even a timing leak at this point would only
//! reveal bits of a SHA-256 digest, from which no key can be recovered. The scan costs tens of
//! nanoseconds per key, fine for the hundreds of keys a service typically holds.
//!
//! # The key file
//! One key per line; blank lines and lines starting with `#` are ignored:
//!
//! ```text
//! # <id> sha256:<64 hex digits> [scopes=<scope>,<scope>…] [expires=<when>]
//! ci-deploy  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  scopes=deploy,read
//! reporting  sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  expires=2027-01-01
//! ```
//!
//! `id` is letters, digits and `.`, `_`, `-`, `:` (it becomes the principal's subject). `when` is
//! a date (`2027-01-01`, meaning 00:00 UTC that day), a UTC time (`2027-01-01T12:00:00Z`) or
//! Unix seconds. Ids and hashes must be unique. A malformed line fails
//! [`build`](ApiKeysBuilder::build) with its line number.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::HeaderName;
use serde_json::{json, Map};

use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, ConfigError, Reason};
use crate::jwt::unix_now;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

mod file;

use file::parse_line;

/// The header read by default.
pub const DEFAULT_HEADER: &str = "x-api-key";

/// The prefix of generated keys (so they are recognisable in secret scanners and logs).
const KEY_PREFIX: &str = "tgk_";

type Digest = [u8; 32];

fn sha256(secret: &str) -> Digest {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, secret.as_bytes()).as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One API key: its id, the SHA-256 of the key, and what it grants. `Debug` shows neither the
/// key nor its hash.
#[derive(Clone)]
#[must_use]
pub struct ApiKey {
    id: String,
    digest: Digest,
    scopes: Vec<String>,
    expires_at: Option<u64>,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl ApiKey {
    /// A key known by its hash, `sha256:` followed by 64 hex digits (as
    /// [`GeneratedKey::hash`] prints it).
    ///
    /// # Errors
    /// When the id or the hash is malformed.
    pub fn from_hash(id: impl Into<String>, hash: &str) -> Result<Self, ConfigError> {
        let id = id.into();
        check_id(&id)?;
        let digest = parse_hash(hash).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "the hash of API key {id:?} is not `sha256:` followed by 64 hex digits"
            ))
        })?;
        Ok(Self {
            id,
            digest,
            scopes: Vec::new(),
            expires_at: None,
        })
    }

    /// A key given in clear, hashed at once (for tests and development; in production keep
    /// only hashes in configuration, see [`from_hash`](Self::from_hash)).
    ///
    /// # Errors
    /// When the id is malformed.
    pub fn from_secret(id: impl Into<String>, key: &str) -> Result<Self, ConfigError> {
        let id = id.into();
        check_id(&id)?;
        Ok(Self {
            id,
            digest: sha256(key),
            scopes: Vec::new(),
            expires_at: None,
        })
    }

    /// The scopes the key grants.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// When the key stops working.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
        self
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn check_id(id: &str) -> Result<(), ConfigError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "API key id {id:?} is malformed: use 1 to 128 letters, digits, `.`, `_`, `-` or `:`"
        )))
    }
}

fn parse_hash(hash: &str) -> Option<Digest> {
    let hex = hash.trim().strip_prefix("sha256:")?;
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// A freshly generated key and its hash. `Debug` does not show the key.
#[derive(Clone)]
pub struct GeneratedKey {
    secret: String,
    hash: String,
}

impl GeneratedKey {
    /// The key to hand to the client, once. Never store or log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The hash to configure: `sha256:` and 64 hex digits.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// A line for the key file, e.g. `ci-deploy sha256:… scopes=deploy`.
    pub fn file_line(&self, id: &str, scopes: &[&str]) -> String {
        let mut line = format!("{id} {}", self.hash);
        if !scopes.is_empty() {
            line.push_str(" scopes=");
            line.push_str(&scopes.join(","));
        }
        line
    }
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("secret", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

/// Configures [`ApiKeys`]. Created by [`ApiKeys::builder`].
#[must_use]
pub struct ApiKeysBuilder {
    name: String,
    header: HeaderName,
    keys: Vec<ApiKey>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for ApiKeysBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeysBuilder")
            .field("name", &self.name)
            .field("header", &self.header)
            .field("keys", &self.keys)
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

    /// Adds the keys of a key file's text (see the [module docs](self) for the format).
    pub fn keys_from_str(mut self, text: &str) -> Self {
        self.add_lines(text, "the key list");
        self
    }

    /// Adds the keys of a key file (see the [module docs](self) for the format). A file that
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
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.inner.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("ApiKeys")
            .field("name", &self.inner.name)
            .field("header", &self.inner.header)
            .field("key_ids", &ids)
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
        }
    }

    /// Generates a new key: `tgk_` and 256 random bits in base64url, with its hash.
    ///
    /// # Errors
    /// When the system's random number generator fails.
    pub fn generate() -> std::io::Result<GeneratedKey> {
        let mut bytes = [0; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| std::io::Error::other("the system random number generator failed"))?;
        let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = format!("sha256:{}", hex(&sha256(&secret)));
        Ok(GeneratedKey { secret, hash })
    }

    /// The ids of the configured keys.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.inner.keys.iter().map(|k| k.id.as_str())
    }

    /// Verifies an API key: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// `invalid_token` for an unknown key, `ExpiredToken` for an expired one.
    pub fn verify(&self, key: &str) -> Result<Principal, AuthError> {
        self.verify_at(key, unix_now())
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
    use super::*;
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
