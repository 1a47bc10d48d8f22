//! A small token issuer (feature `issuer`), for teams that keep their own user table: signing
//! keys that rotate, a user store with Argon2id passwords and a backoff against guessing, an
//! OAuth 2.0 token endpoint (password and client-credentials grants, rotating refresh tokens
//! with reuse detection, revocation), and the OIDC discovery document and JWKS that let
//! tollgate's [`JwtProvider`](crate::jwt::JwtProvider), or any verifier, trust its tokens.
//!
//! - [`Issuer`]: the token service (grants, refresh rotation, revocation, user management);
//!   [`router`] and [`admin_router`] serve it over HTTP.
//! - [`Passwords`]: Argon2id hashes (OWASP's parameters), verification that costs the same
//!   for a missing user, rehash detection; [`check_new_password`].
//! - [`Backoff`]: how long a username waits after repeated failed sign-ins.
//! - [`IssuerStore`] and its implementations: [`SqliteStore`] (one file, the embedded
//!   default), `PostgresIssuerStore` (feature `postgres`, for several replicas) and
//!   [`MemoryIssuerStore`] (tests).
//!
//! # Signing keys
//!
//! [`Keys`] keeps the signing keys current: the private halves are sealed in the store under
//! the operator's [`SealingKey`] (`ISSUER_KEY`), each key is published in the JWKS
//! ([`KeyRing::jwks`], served at [`JWKS_PATH`] with `Cache-Control: public, max-age=300`)
//! before it signs, signs for a while, and stays published until its last token has expired
//! ([`RotationPolicy`]). Processes sharing a store share the keys.
//!
//! ```
//! # async fn f() -> Result<(), tollgate::issuer::IssuerError> {
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use tollgate::clock::SystemClock;
//! use tollgate::issuer::{Keys, MemoryIssuerStore, RotationPolicy, SealingKey, SigningAlgorithm};
//!
//! // In production: SealingKey::from_base64(&std::env::var("ISSUER_KEY")?)
//! let (sealing, _base64) = SealingKey::generate()?;
//! let policy = RotationPolicy::new()
//!     .algorithm(SigningAlgorithm::EdDsa)
//!     .rotate_every(Duration::from_secs(7 * 24 * 3600))
//!     .max_token_lifetime(Duration::from_secs(15 * 60));
//! let keys = Keys::start(
//!     Arc::new(MemoryIssuerStore::new()),
//!     sealing,
//!     policy,
//!     Arc::new(SystemClock),
//! )
//! .await?;
//!
//! let now = SystemTime::now();
//! let exp = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 900;
//! let claims = serde_json::json!({"iss": "https://auth.example.com", "sub": "u1", "exp": exp});
//! let token = keys.ring().sign(now, "at+jwt", claims.as_object().expect("an object"))?;
//! let jwks = keys.ring().jwks(now); // the body of GET /.well-known/jwks.json
//! # let _ = (token, jwks);
//! # Ok(()) }
//! ```

mod clients;
mod discovery;
mod error;
mod http;
mod keys;
mod lockout;
mod memory;
mod oauth;
mod password;
mod policy;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod seal;
mod service;
mod signing;
mod sqlite;
mod store;

pub use clients::Clients;
pub use discovery::{discovery_document, JWKS_PATH};
pub use error::IssuerError;
pub use http::{admin_router, router};
pub use keys::{KeyRing, Keys};
pub use lockout::Backoff;
pub use memory::MemoryIssuerStore;
pub use oauth::{OAuthError, TokenRequest, TokenResponse};
pub use password::{check_new_password, PasswordCheck, Passwords};
pub use policy::{RotationPolicy, JWKS_MAX_AGE};
#[cfg(feature = "postgres")]
pub use postgres::PostgresIssuerStore;
pub use records::{Failures, RefreshRecord, RefreshUse, SigningAlgorithm, StoredSigningKey, User};
pub use seal::SealingKey;
pub use service::{Issuer, IssuerBuilder, UserUpdate};
pub use sqlite::SqliteStore;
pub use store::{IssuerStore, StoreResult};
