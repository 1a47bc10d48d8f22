//! A small token issuer (feature `issuer`), for teams that keep their own user table: signing
//! keys that rotate, a user store with Argon2id passwords and a backoff against guessing, an
//! OAuth 2.0 token endpoint (password and client-credentials grants, rotating refresh tokens
//! with reuse detection, revocation), and the OIDC discovery document and JWKS that let
//! tollgate's [`JwtProvider`](crate::jwt::JwtProvider), or any verifier, trust its tokens.
//!
//! Built so far:
//! - [`Passwords`]: Argon2id hashes (OWASP's parameters), verification that costs the same
//!   for a missing user, rehash detection; [`check_new_password`].
//! - [`Backoff`]: how long a username waits after repeated failed sign-ins.
//! - [`IssuerStore`] and its implementations: [`SqliteStore`] (one file, the embedded
//!   default) and `PostgresIssuerStore` (feature `postgres`, for several replicas).
//!
//! Work in progress: this module is being built (issue 17).

mod error;
mod lockout;
mod password;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod sqlite;
mod store;

pub use error::IssuerError;
pub use lockout::Backoff;
pub use password::{check_new_password, PasswordCheck, Passwords};
#[cfg(feature = "postgres")]
pub use postgres::PostgresIssuerStore;
pub use records::{Failures, RefreshRecord, RefreshUse, SigningAlgorithm, StoredSigningKey, User};
pub use sqlite::SqliteStore;
pub use store::{IssuerStore, StoreResult};
