//! The generic JWT / OpenID Connect provider.
//!
//! [`JwtProvider`] verifies signed JWTs (JWS compact serialization) against the keys an issuer
//! publishes as a JWKS, located directly or through OIDC discovery.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::jwt::JwtProvider;
//!
//! // Discovery: GET https://issuer.example.com/.well-known/openid-configuration
//! let provider = JwtProvider::builder("https://issuer.example.com")
//!     .audience("my-api")
//!     .build()
//!     .await?;
//!
//! // Or an explicit JWKS URL, a narrower algorithm list and required claims.
//! let provider = JwtProvider::builder("https://issuer.example.com")
//!     .audience("my-api")
//!     .jwks_url("https://issuer.example.com/keys")
//!     .algorithms([tollgate::jwt::Algorithm::RS256])
//!     .require_claim("sub")
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! What is checked, in order: the token is three base64url segments of JSON with unique member
//! names; the header has no `crit`; `alg` is on the allowlist (never `none` or `HS*`); a key is
//! found by `kid` whose `kty` (and `alg`, if the key names one) agrees with `alg`; the signature
//! verifies; `exp` is present and in the future, `nbf` (if present) is past, both with the leeway;
//! `iss` equals the issuer; `aud` names an accepted audience; required claims are present.

mod builder;
mod discovery;
pub(crate) mod mapping;
mod policy;
mod provider;
mod restrictions;
mod verified;

pub use crate::jose::{Algorithm, UnknownAlgorithm};
pub use builder::JwtProviderBuilder;
pub use provider::JwtProvider;

pub(crate) use policy::numeric_date;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use policy::ClaimPolicy;
pub(crate) use verified::TokenKey;
