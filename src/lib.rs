//! Authentication middleware for tower services.
//!
//! tollgate puts one [`AuthLayer`] in front of any `tower::Service<http::Request<B>>` (axum,
//! tonic, hyper). The layer reads a bearer token from each request, verifies it with a
//! [`Provider`] (the generic [`jwt::JwtProvider`] checks signatures against an issuer's JWKS,
//! found directly or by OpenID Connect discovery), and stores the verified [`Principal`] and
//! the application's typed [`Claims<T>`] in the request's extensions.
//!
//! ```no_run
//! use axum::{routing::get, Json, Router};
//! use tollgate::{jwt::JwtProvider, AuthLayer, Principal};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let provider = JwtProvider::builder("https://issuer.example.com/")
//!         .audience("my-api")
//!         .build() // OIDC discovery, first JWKS fetch, background refresh
//!         .await?;
//!
//!     let app = Router::new()
//!         .route("/me", get(|principal: Principal| async move { Json(principal) }))
//!         .layer(AuthLayer::new(provider));
//!
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Responses
//! A rejected request never reaches the inner service. It gets 401 with
//! `WWW-Authenticate: Bearer realm="api"` (plus `error="invalid_request"` or
//! `error="invalid_token"` when a credential was presented, RFC 6750 §3), 403 with
//! `error="insufficient_scope"` for a missing scope, or 503 with `Retry-After` when the
//! issuer's keys cannot be loaded and none are cached. The body is a short JSON object; the
//! internal [`Reason`] goes only to `tracing` (target `tollgate::auth`).
//!
//! # Security defaults
//! - asymmetric algorithms only; `alg: none` and HMAC cannot be configured, so a public key can
//!   never serve as an HMAC secret;
//! - `exp` required; `iss` and `aud` always required and checked; leeway 60 s (at most 300 s);
//! - the key must carry the token's `kid`, and its `kty` (and `alg`, if named) must agree with
//!   the token's `alg`; `jku`, `x5u`, `jwk` and `x5c` headers are never read; any `crit` header
//!   is rejected;
//! - RSA keys under 2048 bits, `use: enc` keys and symmetric (`oct`) keys in a JWKS are ignored;
//! - JWKS and discovery over https only (plain http only for loopback, or behind
//!   [`jwt::JwtProviderBuilder::dangerous_allow_http`]), with timeouts and a 1 MiB cap;
//! - tokens are never logged, and `Debug` of a [`Credential`] shows only its length.
//!
//! The threat model in [`manual::security`] lists each attack these defaults stop and the test
//! that proves it.
//!
//! # Crypto backend
//! Signatures are verified with jsonwebtoken's aws-lc-rs provider, called directly: tollgate
//! never consults jsonwebtoken's process-wide default provider, so it cannot panic when the
//! application's dependency graph enables both of jsonwebtoken's backends, or neither.
//!
//! # Features
//! - `axum`: extractors for [`Principal`], [`Claims<T>`] and [`Auth<T>`](crate::Auth), and their
//!   `Option<…>` forms.
//! - `dev-issuer`: [`dev::DevIssuer`], an embedded development issuer for examples and tests.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

#[cfg(feature = "axum")]
mod axum;
pub mod credential;
#[cfg(feature = "dev-issuer")]
pub mod dev;
mod error;
mod fetch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod jwks;
pub mod jwt;
mod layer;
pub mod manual;
mod principal;
#[cfg(test)]
mod proptests;
mod provider;

#[cfg(feature = "axum")]
pub use crate::axum::{Auth, AuthRejection};
pub use credential::{Credential, CredentialSource};
pub use error::{AuthError, AuthErrorKind, ConfigError, Reason};
pub use layer::{
    default_response, Anonymous, AuthBody, AuthLayer, AuthLayerBuilder, AuthService,
    ErrorResponder, ResponseFuture, DEFAULT_REALM,
};
pub use principal::{Claims, Principal, PrincipalBuilder};
pub use provider::{BoxFuture, Provider};

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::AuthLayer>();
        assert_send_sync::<crate::AuthService<()>>();
        assert_send_sync::<crate::Principal>();
        assert_send_sync::<crate::AuthError>();
        assert_send_sync::<crate::jwt::JwtProvider>();
        assert_send_sync::<crate::Credential>();
    }
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
