//! The records the issuer keeps in its store: users, signing keys (the private key sealed),
//! refresh tokens (hashed, in families) and failed sign-in counts.

use std::fmt;
use std::time::SystemTime;

use serde_json::Value;

/// A user who can sign in with a password.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// Random, stable, public: the access token's `sub`.
    pub id: String,
    /// Unique, what the user types to sign in.
    pub username: String,
    /// The Argon2id hash in PHC string form (`$argon2id$v=19$m=…`); never the password.
    pub password_hash: String,
    /// The scopes the user's tokens may carry.
    pub scopes: Vec<String>,
    /// A disabled user cannot sign in, and their refresh tokens stop working.
    pub disabled: bool,
    /// When the user was created.
    pub created_at: SystemTime,
    /// When the user was last changed.
    pub updated_at: SystemTime,
}

impl User {
    /// A user record; `id` and `password_hash` come from the issuer.
    pub fn new(
        id: impl Into<String>,
        username: impl Into<String>,
        password_hash: impl Into<String>,
        scopes: Vec<String>,
        now: SystemTime,
    ) -> Self {
        Self {
            id: id.into(),
            username: username.into(),
            password_hash: password_hash.into(),
            scopes,
            disabled: false,
            created_at: now,
            updated_at: now,
        }
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("scopes", &self.scopes)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// A signature algorithm the issuer signs with. Asymmetric only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// ECDSA P-256 with SHA-256, the default.
    Es256,
    /// RSA 2048 PKCS#1 v1.5 with SHA-256.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlgorithm {
    /// The JOSE name: `ES256`, `RS256` or `EdDSA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The algorithm with this JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            "EdDSA" => Some(Self::EdDsa),
            _ => None,
        }
    }
}

/// A signing key as stored: its public half in clear, its private half sealed (AES-256-GCM
/// under the operator's key, the `kid` as associated data), and its schedule.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredSigningKey {
    /// The key id, published in the JWKS and each token's header.
    pub kid: String,
    /// What it signs with.
    pub algorithm: SigningAlgorithm,
    /// The PKCS#8 private key, sealed.
    pub sealed_private_key: Vec<u8>,
    /// The public JWK (with `kid`, `alg` and `use: sig`).
    pub public_jwk: Value,
    /// When it was created, and published in the JWKS.
    pub created_at: SystemTime,
    /// When it starts signing (after it has been published long enough for verifiers to
    /// have fetched it).
    pub signs_from: SystemTime,
    /// When it stops signing; `None` while it is the newest key.
    pub signs_until: Option<SystemTime>,
    /// When it leaves the JWKS: after the last token it signed has expired; `None` while it
    /// still signs.
    pub published_until: Option<SystemTime>,
}

impl StoredSigningKey {
    /// A key record, still signing and published (`signs_until` and `published_until` unset).
    pub fn new(
        kid: impl Into<String>,
        algorithm: SigningAlgorithm,
        sealed_private_key: Vec<u8>,
        public_jwk: Value,
        created_at: SystemTime,
        signs_from: SystemTime,
    ) -> Self {
        Self {
            kid: kid.into(),
            algorithm,
            sealed_private_key,
            public_jwk,
            created_at,
            signs_from,
            signs_until: None,
            published_until: None,
        }
    }
}

impl fmt::Debug for StoredSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("signs_from", &self.signs_from)
            .field("signs_until", &self.signs_until)
            .field("published_until", &self.published_until)
            .finish_non_exhaustive()
    }
}

/// A refresh token as stored: its SHA-256, never the token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshRecord {
    /// SHA-256 of the refresh token.
    pub token_hash: [u8; 32],
    /// The family: every token rotated from one sign-in shares it; reusing any revokes all.
    pub family: String,
    /// The user it was issued to.
    pub user_id: String,
    /// The OAuth client it was issued to.
    pub client_id: String,
    /// The scopes it grants.
    pub scopes: Vec<String>,
    /// When it was issued.
    pub issued_at: SystemTime,
    /// When it stops working even unused.
    pub expires_at: SystemTime,
}

impl RefreshRecord {
    /// A refresh token record.
    pub fn new(
        token_hash: [u8; 32],
        family: impl Into<String>,
        user_id: impl Into<String>,
        client_id: impl Into<String>,
        scopes: Vec<String>,
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            token_hash,
            family: family.into(),
            user_id: user_id.into(),
            client_id: client_id.into(),
            scopes,
            issued_at,
            expires_at,
        }
    }
}

impl fmt::Debug for RefreshRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRecord")
            .field("family", &self.family)
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshUse {
    /// First use: it is now marked used; issue its successor in the same family.
    Fresh(RefreshRecord),
    /// It was used before (or its family is revoked): the store has revoked the whole family.
    Reused(RefreshRecord),
    /// No such token (or expired).
    Unknown,
}

/// Failed sign-ins of one username, for the backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Failures {
    /// Consecutive failures since the last success.
    pub count: u32,
    /// When the last one happened.
    pub last: Option<SystemTime>,
}
