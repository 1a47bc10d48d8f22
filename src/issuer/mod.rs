//! A small token issuer (feature `issuer`), for teams that keep their own user table: signing
//! keys that rotate, a user store with Argon2id passwords and a backoff against guessing, an
//! OAuth 2.0 token endpoint (password and client-credentials grants, rotating refresh tokens
//! with reuse detection, revocation), and the OIDC discovery document and JWKS that let
//! tollgate's [`JwtProvider`](crate::jwt::JwtProvider), or any verifier, trust its tokens.
//!
//! Work in progress: this module is being built (issue 17).

mod discovery;
mod error;
mod keys;
mod memory;
mod records;
mod seal;
mod signing;
mod store;

pub use discovery::{discovery_document, JWKS_PATH};
pub use error::IssuerError;
pub use keys::{KeyRing, Keys, RotationPolicy, JWKS_MAX_AGE};
pub use memory::MemoryIssuerStore;
pub use records::{Failures, RefreshRecord, RefreshUse, SigningAlgorithm, StoredSigningKey, User};
pub use seal::SealingKey;
pub use store::{IssuerStore, StoreResult};
