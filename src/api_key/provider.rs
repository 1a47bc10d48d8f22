//! [`ApiKeys`], the [`Provider`] over v2 keys in a [`KeyStore`] and legacy keys by digest, and
//! its builder.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use http::HeaderName;
use serde_json::{json, Map};

use super::file::{parse_line, Line};
use super::format::{parse_v2, V2_PREFIX};
use super::key::sha256;
use super::store::{KeyState, KeyStore, MemoryStore, StoreError, StoredKey};
use super::{ApiKey, GeneratedKey, KeyId, DEFAULT_HEADER};
use crate::clock::{unix_millis, Clock, SystemClock};
use crate::credential::{Credential, CredentialKind, CredentialSource};
use crate::error::{AuthError, ConfigError, Reason};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// How long a client is told to wait when the key store is unavailable.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Legacy keys are found by the first half of their digest; the whole digest of each key found
/// (one, but a key file may hold made-up hashes sharing a first half) is then compared in
/// constant time.
type LookupKey = [u8; 16];

fn lookup_key(digest: &[u8; 32]) -> LookupKey {
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Configures [`ApiKeys`]. Created by [`ApiKeys::builder`].
#[must_use]
pub struct ApiKeysBuilder {
    name: String,
    header: HeaderName,
    keys: Vec<ApiKey>,
    stored: Vec<StoredKey>,
    store: Option<Arc<dyn KeyStore>>,
    errors: Vec<ConfigError>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ApiKeysBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeysBuilder")
            .field("name", &self.name)
            .field("header", &self.header)
            .field("keys", &self.keys)
            .field("stored", &self.stored)
            .field("custom_store", &self.store.is_some())
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

    /// Adds a legacy key (any key text, found by its digest).
    pub fn key(mut self, key: ApiKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds a v2 key to the built-in [`MemoryStore`].
    pub fn stored_key(mut self, key: StoredKey) -> Self {
        self.stored.push(key);
        self
    }

    /// Looks v2 keys up in `store` instead of the built-in [`MemoryStore`] (v2 keys then go
    /// in that store, not in [`stored_key`](Self::stored_key) or key files). Legacy keys are
    /// still configured here.
    pub fn store(mut self, store: impl KeyStore) -> Self {
        self.store = Some(Arc::new(store));
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

    /// The clock for key expiry and revocation (default: the system clock). Tests use
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
                Ok(Some(Line::Legacy(key))) => self.keys.push(key),
                Ok(Some(Line::V2(key))) => self.stored.push(key),
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
    /// The first unreadable file or malformed line; a duplicate id or hash; v2 keys given
    /// here as well as a custom [`store`](Self::store); no keys and no store at all.
    pub fn build(mut self) -> Result<ApiKeys, ConfigError> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        if self.keys.is_empty() && self.stored.is_empty() && self.store.is_none() {
            return Err(ConfigError::Missing(
                "no API keys: add some with .key(…), .stored_key(…), .keys_from_file(…), .keys_from_str(…) or .store(…)",
            ));
        }
        let mut ids = HashSet::with_capacity(self.keys.len());
        let mut legacy: HashMap<LookupKey, Vec<ApiKey>> = HashMap::with_capacity(self.keys.len());
        for key in self.keys {
            if !ids.insert(key.id.clone()) {
                return Err(ConfigError::Invalid(format!(
                    "API key id {:?} is used twice; ids must be unique",
                    key.id
                )));
            }
            let bucket = legacy.entry(lookup_key(&key.digest)).or_default();
            if let Some(other) = bucket.iter().find(|other| other.digest == key.digest) {
                return Err(ConfigError::Invalid(format!(
                    "API keys {:?} and {:?} have the same hash, so the same key; give each client its own",
                    other.id, key.id
                )));
            }
            bucket.push(key);
        }
        let (store, memory): (Arc<dyn KeyStore>, _) = match self.store {
            Some(_) if !self.stored.is_empty() => {
                return Err(ConfigError::Invalid(
                    "v2 keys (key_id=…) were given to the builder as well as a custom .store(…); put them in that store".into(),
                ))
            }
            Some(store) => (store, None),
            None => {
                let memory = Arc::new(MemoryStore::new(self.stored)?);
                (memory.clone(), Some(memory))
            }
        };
        Ok(ApiKeys {
            inner: Arc::new(Inner {
                name: self.name.into(),
                header: self.header,
                legacy,
                store,
                memory,
                clock: self.clock,
            }),
        })
    }
}

/// Verifies API keys: v2 keys (`tgk2_…`) by id in a [`KeyStore`], legacy keys by digest.
/// Cheap to clone; `Debug` shows the legacy key ids and the number of v2 keys only.
#[derive(Clone)]
pub struct ApiKeys {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    header: HeaderName,
    legacy: HashMap<LookupKey, Vec<ApiKey>>,
    store: Arc<dyn KeyStore>,
    /// The built-in store, when there is no custom one (for [`ApiKeys::key_ids`]).
    memory: Option<Arc<MemoryStore>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let legacy: Vec<&str> = self.legacy_keys().map(|k| k.id.as_str()).collect();
        f.debug_struct("ApiKeys")
            .field("name", &self.inner.name)
            .field("header", &self.inner.header)
            .field("legacy_key_ids", &legacy)
            .field(
                "store",
                &self.inner.memory.as_ref().map_or("custom", |_| "memory"),
            )
            .field("v2_keys", &self.inner.memory.as_ref().map(|m| m.len()))
            .field("clock", &self.inner.clock)
            .finish()
    }
}

/// What the first, synchronous step of a verification found.
enum Step {
    Done(Result<Principal, AuthError>),
    /// A well-formed v2 key (its id and digest) whose record the store must fetch.
    Fetch(KeyId, [u8; 32]),
}

impl ApiKeys {
    /// Starts a key set: header `x-api-key`, provider name `"api-keys"`, no keys yet.
    pub fn builder() -> ApiKeysBuilder {
        ApiKeysBuilder {
            name: "api-keys".into(),
            header: HeaderName::from_static(DEFAULT_HEADER),
            keys: Vec::new(),
            stored: Vec::new(),
            store: None,
            errors: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Generates a new v2 key, `tgk2_<id>_<secret>_<checksum>` with 256 random bits, with its
    /// id and hash.
    ///
    /// # Errors
    /// When the system's random number generator fails.
    pub fn generate() -> std::io::Result<GeneratedKey> {
        GeneratedKey::new()
    }

    /// The ids of the configured keys: legacy ids, then the v2 key ids held by the
    /// built-in store (a custom store's keys are not listed).
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        let legacy = self.legacy_keys().map(|k| k.id.as_str());
        let v2 = self
            .inner
            .memory
            .iter()
            .flat_map(|m| m.ids().map(KeyId::as_str));
        legacy.chain(v2)
    }

    /// Verifies an API key: the whole check, without the HTTP layer.
    ///
    /// # Errors
    /// `invalid_token` for an unknown, malformed or revoked key, `ExpiredToken` for one
    /// expired by the [clock](ApiKeysBuilder::clock), `Unavailable` when the store fails to
    /// answer, or answers only asynchronously (then use
    /// [`Provider::authenticate`]).
    pub fn verify(&self, key: &str) -> Result<Principal, AuthError> {
        match self.start(key, self.now()) {
            Step::Done(result) => result,
            Step::Fetch(..) => Err(AuthError::unavailable_because(
                Reason::KeyStoreUnavailable,
                RETRY_AFTER,
            )),
        }
    }

    fn legacy_keys(&self) -> impl Iterator<Item = &ApiKey> {
        self.inner.legacy.values().flatten()
    }

    fn now(&self) -> u64 {
        unix_millis(self.inner.clock.now()) / 1000
    }

    /// Parses the key, and answers at once unless the store must be asked.
    fn start(&self, key: &str, now: u64) -> Step {
        if !key.starts_with(V2_PREFIX) {
            let found = self.verify_legacy(&sha256(key), now);
            return Step::Done(
                found.unwrap_or_else(|| Err(AuthError::invalid_token(Reason::UnknownApiKey))),
            );
        }
        // A malformed key or a wrong checksum is refused here, without any lookup.
        let Ok(id) = parse_v2(key) else {
            return Step::Done(Err(AuthError::invalid_token(Reason::MalformedApiKey)));
        };
        let presented = sha256(key);
        // A v2 key configured as an `ApiKey` (by its hash alone) is found by digest.
        if let Some(result) = self.verify_legacy(&presented, now) {
            return Step::Done(result);
        }
        match self.inner.store.try_get(&id) {
            Some(found) => Step::Done(self.finish(&presented, found, now)),
            None => Step::Fetch(id, presented),
        }
    }

    /// Checks a v2 key's digest against the store's answer.
    fn finish(
        &self,
        presented: &[u8; 32],
        found: Result<Option<Arc<StoredKey>>, StoreError>,
        now: u64,
    ) -> Result<Principal, AuthError> {
        let stored = match found {
            Ok(Some(stored)) => stored,
            Ok(None) => return Err(AuthError::invalid_token(Reason::UnknownApiKey)),
            Err(error) => {
                tracing::warn!(target: "tollgate::api_key", %error, "API key store lookup failed");
                return Err(match error {
                    StoreError::Unavailable(_) => {
                        AuthError::unavailable_because(Reason::KeyStoreUnavailable, RETRY_AFTER)
                    }
                    StoreError::Failed(_) => AuthError::invalid_token(Reason::KeyStoreFailed),
                });
            }
        };
        if verify_slices_are_equal(&stored.digest, presented).is_err() {
            return Err(AuthError::invalid_token(Reason::UnknownApiKey));
        }
        match stored.state_at(now) {
            KeyState::Active => {}
            KeyState::Expired => return Err(AuthError::invalid_token(Reason::Expired)),
            KeyState::Revoked => return Err(AuthError::invalid_token(Reason::RevokedApiKey)),
        }
        self.inner.store.record_use(&stored.id, now);
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(stored.owner));
        claims.insert("key_id".into(), json!(stored.id.as_str()));
        if !stored.scopes.is_empty() {
            claims.insert("scope".into(), json!(stored.scopes.join(" ")));
        }
        if let Some(at) = stored.expires_at {
            claims.insert("exp".into(), json!(at));
        }
        if !stored.metadata.is_empty() {
            claims.insert("metadata".into(), json!(stored.metadata));
        }
        Ok(Principal::builder(self.inner.name.clone())
            .subject(Some(stored.owner.clone()))
            .scopes(stored.scopes.clone())
            .expires_at(stored.expires_at)
            .claims(claims)
            .build())
    }

    /// A legacy key: found by the first half of its digest, then the whole digest compared in
    /// constant time (module docs). `None` when no legacy key has this digest.
    fn verify_legacy(
        &self,
        presented: &[u8; 32],
        now: u64,
    ) -> Option<Result<Principal, AuthError>> {
        let mut found = None;
        for candidate in self
            .inner
            .legacy
            .get(&lookup_key(presented))
            .into_iter()
            .flatten()
        {
            if verify_slices_are_equal(&candidate.digest, presented).is_ok() {
                found = Some(candidate);
            }
        }
        let key = found?;
        if key.expires_at.is_some_and(|at| now >= at) {
            return Some(Err(AuthError::invalid_token(Reason::Expired)));
        }
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(key.id));
        if !key.scopes.is_empty() {
            claims.insert("scope".into(), json!(key.scopes.join(" ")));
        }
        if let Some(at) = key.expires_at {
            claims.insert("exp".into(), json!(at));
        }
        Some(Ok(Principal::builder(self.inner.name.clone())
            .subject(Some(key.id.clone()))
            .scopes(key.scopes.clone())
            .expires_at(key.expires_at)
            .claims(claims)
            .build()))
    }

    fn check(&self, credential: &Credential) -> Step {
        match credential.token_of(CredentialKind::ApiKey) {
            Ok(token) => self.start(token, self.now()),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

impl Provider for ApiKeys {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        match self.check(&credential) {
            Step::Done(result) => Box::pin(std::future::ready(result)),
            Step::Fetch(id, presented) => Box::pin(async move {
                let found = self.inner.store.get(&id).await;
                self.finish(&presented, found, self.now())
            }),
        }
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        match self.check(credential) {
            Step::Done(result) => Some(result),
            Step::Fetch(..) => None,
        }
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
    use serde_json::json;

    fn keys() -> (ApiKeys, GeneratedKey, GeneratedKey) {
        let (a, b) = (ApiKeys::generate().unwrap(), ApiKeys::generate().unwrap());
        let keys = ApiKeys::builder()
            .stored_key(
                a.stored_key("alpha")
                    .unwrap()
                    .scopes(["read", "write"])
                    .metadata("team", "data"),
            )
            .keys_from_str(&format!(
                "# comment\n\n{}  expires=2000-01-01\nlegacy sha256:{}\n",
                b.file_line("beta", &["read"]),
                hex(&sha256("tgk_legacy"))
            ))
            .build()
            .unwrap();
        (keys, a, b)
    }

    fn verify_at(keys: &ApiKeys, key: &str, now: u64) -> Result<Principal, AuthError> {
        match keys.start(key, now) {
            Step::Done(result) => result,
            Step::Fetch(id, _) => panic!("the memory store answers at once, not for {id}"),
        }
    }

    #[test]
    fn generated_keys_verify_and_name_their_owner_never_the_key() {
        let (keys, a, _) = keys();
        assert!(a.secret().starts_with("tgk2_") && a.secret().len() == 72);
        assert!(a.secret().contains(a.key_id().as_str()));
        let p = keys.verify(a.secret()).unwrap();
        assert_eq!((p.subject(), p.provider()), (Some("alpha"), "api-keys"));
        assert_eq!(p.scopes(), ["read", "write"]);
        assert_eq!(p.claims()["key_id"], a.key_id().as_str());
        assert_eq!(p.claims()["metadata"], json!({"team": "data"}));
        let shown = format!(
            "{p:?} {} {keys:?} {a:?}",
            serde_json::to_string(&p).unwrap()
        );
        assert!(!shown.contains(a.secret()), "{shown}");
        assert!(!format!("{keys:?}").contains(&a.hash()[7..]));
        let legacy = keys.verify("tgk_legacy").unwrap();
        assert_eq!(legacy.subject(), Some("legacy"));
        let mut ids: Vec<&str> = keys.key_ids().collect();
        ids.sort_unstable();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&"legacy") && ids.contains(&a.key_id().as_str()));
    }

    #[test]
    fn unknown_malformed_expired_and_bearer_credentials_are_refused() {
        let (keys, a, b) = keys();
        let reason = |r: Result<Principal, AuthError>| r.err().map(|e| (e.kind(), e.reason()));
        let invalid = |r| Some((AuthErrorKind::InvalidToken, r));
        assert_eq!(
            reason(keys.verify("tgk_nope")),
            invalid(Reason::UnknownApiKey)
        );
        let almost = format!("{}x", a.secret());
        assert_eq!(
            reason(keys.verify(&almost)),
            invalid(Reason::MalformedApiKey)
        );
        // A well-formed key with a valid checksum, but no such id.
        let other = ApiKeys::generate().unwrap();
        assert_eq!(
            reason(keys.verify(other.secret())),
            invalid(Reason::UnknownApiKey)
        );
        // A known id with another secret (and a valid checksum): the digest differs.
        let forged = super::super::format::assemble_v2(a.key_id(), &"A".repeat(43));
        assert_eq!(reason(keys.verify(&forged)), invalid(Reason::UnknownApiKey));
        assert_eq!(
            reason(keys.verify(b.secret())),
            Some((AuthErrorKind::ExpiredToken, Reason::Expired))
        );
        assert!(verify_at(&keys, b.secret(), 946_684_799).is_ok());
        assert_eq!(
            reason(
                keys.try_authenticate(&Credential::bearer(a.secret()))
                    .unwrap()
            ),
            invalid(Reason::UnsupportedCredential)
        );
        assert!(matches!(
            keys.try_authenticate(&Credential::api_key(a.secret())),
            Some(Ok(_))
        ));
    }

    #[test]
    fn a_v2_key_configured_by_its_hash_alone_is_found_by_digest() {
        let key = ApiKeys::generate().unwrap();
        let keys = ApiKeys::builder()
            .key(ApiKey::from_hash("by-hash", key.hash()).unwrap())
            .build()
            .unwrap();
        assert_eq!(
            keys.verify(key.secret()).unwrap().subject(),
            Some("by-hash")
        );
        let other = ApiKeys::generate().unwrap();
        assert_eq!(
            keys.verify(other.secret()).err().map(|e| e.reason()),
            Some(Reason::UnknownApiKey)
        );
    }

    #[test]
    fn revoked_keys_are_refused_from_their_revocation_time() {
        let clock = ManualClock::new();
        let now = clock.now();
        let (a, b) = (ApiKeys::generate().unwrap(), ApiKeys::generate().unwrap());
        let keys = ApiKeys::builder()
            .stored_key(
                a.stored_key("a")
                    .unwrap()
                    .revoked_at(now + Duration::from_secs(60)),
            )
            .keys_from_str(&format!("{} revoked=0", b.file_line("b", &[])))
            .clock(clock.clone())
            .build()
            .unwrap();
        let reason = |key: &str| keys.verify(key).err().map(|e| e.reason());
        assert_eq!(reason(b.secret()), Some(Reason::RevokedApiKey));
        assert_eq!(reason(a.secret()), None);
        clock.advance(Duration::from_secs(60));
        assert_eq!(reason(a.secret()), Some(Reason::RevokedApiKey));
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
        // Made-up hashes that share their first half are still two keys.
        let shared = format!(
            "k sha256:{}\nj sha256:{}",
            "0".repeat(64),
            "0".repeat(63) + "1"
        );
        assert!(ApiKeys::builder().keys_from_str(&shared).build().is_ok());
        assert!(err("# nothing").contains("no API keys"));
        assert!(err(&format!("k {h} key_id=short")).contains("16 base62"));
        assert!(err(&format!("k {h} revoked=0")).contains("needs key_id"));
        let id = "key_id=AAAAAAAAAAAAAAAA";
        assert!(err(&format!("k {h} {id}\nj {h2} {id}")).contains("used twice"));
        assert!(err(&format!("k {h} {id}\nk {h} key_id=BBBBBBBBBBBBBBBB")).contains("same hash"));
        assert!(err(&format!("k {h} {id} revoked=never")).contains("revoked=never"));
        // One owner, two keys (a key being rolled): fine.
        assert!(ApiKeys::builder()
            .keys_from_str(&format!(
                "k {h} {id}\nk {h2} key_id=BBBBBBBBBBBBBBBB expires=2030-01-01"
            ))
            .build()
            .is_ok());
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
