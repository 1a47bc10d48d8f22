//! One legacy API key: [`ApiKey`] (id, SHA-256 digest, scopes, expiry), the checks on ids and
//! `sha256:` hashes, and [`GeneratedKey`], a fresh random v2 key with its id and hash.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::format::generate_v2;
use super::{KeyId, StoredKey};
use crate::error::ConfigError;

type Digest = [u8; 32];

pub(super) use crate::sha256::sha256;

/// Unix seconds (0 before the epoch).
pub(super) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One legacy API key (any key text, typically `tgk_` keys made before the v2 format): its id,
/// the SHA-256 of the key, and what it grants. `Debug` shows neither the key nor its hash.
///
/// A v2 key (`tgk2_…`, what [`ApiKeys::generate`](super::ApiKeys::generate) makes) is best
/// configured as a [`StoredKey`], found by its id with its whole lifecycle; configured as an
/// `ApiKey` (by its hash alone), it is found by its digest like a legacy key.
#[derive(Clone)]
#[must_use]
pub struct ApiKey {
    pub(super) id: String,
    pub(super) digest: Digest,
    pub(super) scopes: Vec<String>,
    /// Unix seconds.
    pub(super) expires_at: Option<u64>,
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
        self.expires_at = Some(unix_secs(at));
        self
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// An identifier safe to log and to use as a subject: 1 to 128 letters, digits, `.`, `_`, `-`
/// or `:` (API key owners and ids, OAuth client ids).
pub(crate) fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

pub(super) fn check_id(id: &str) -> Result<(), ConfigError> {
    if is_plain_id(id) {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "API key id {id:?} is malformed: use 1 to 128 letters, digits, `.`, `_`, `-` or `:`"
        )))
    }
}

pub(super) fn parse_hash(hash: &str) -> Option<Digest> {
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

/// A freshly generated v2 key, with its id and hash. `Debug` does not show the key.
#[derive(Clone)]
pub struct GeneratedKey {
    id: KeyId,
    secret: String,
    hash: String,
}

impl GeneratedKey {
    /// `tgk2_<id>_<secret>_<checksum>` with 256 random bits, its id and the SHA-256 of the
    /// whole key.
    pub(super) fn new() -> std::io::Result<Self> {
        let (id, secret) = generate_v2()?;
        let hash = format!("sha256:{}", hex(&sha256(&secret)));
        Ok(Self { id, secret, hash })
    }

    /// The key to hand to the client, once. Never store or log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The key's public id (also inside the key), safe to log and show.
    pub fn key_id(&self) -> &KeyId {
        &self.id
    }

    /// The hash to store: `sha256:` and 64 hex digits, the SHA-256 of the whole key.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The record to put in a [`KeyStore`](super::KeyStore), owned by `owner`.
    ///
    /// # Errors
    /// When the owner is malformed (see [`StoredKey::new`]).
    pub fn stored_key(&self, owner: impl Into<String>) -> Result<StoredKey, ConfigError> {
        StoredKey::new(self.id.clone(), sha256(&self.secret), owner)
    }

    /// A line for the key file, e.g. `ci-deploy sha256:… key_id=… scopes=deploy`.
    pub fn file_line(&self, owner: &str, scopes: &[&str]) -> String {
        let mut line = format!("{owner} {} key_id={}", self.hash, self.id);
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
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}
