//! Authentication middleware for tower services.
//!
//! tollgate puts one [`AuthLayer`] in front of any `tower::Service<http::Request<B>>` (axum,
//! tonic, hyper). The layer reads a bearer token from each request, verifies it with a
//! [`Provider`] (the generic [`jwt::JwtProvider`] checks signatures against an issuer's JWKS,
//! found directly or by OpenID Connect discovery), and stores the verified [`Principal`] and
//! the application's typed [`Claims<T>`] in the request's extensions.
//!
//! Add it with `cargo add tollgate --features axum` (features below), then put the layer in
//! front of your routes:
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
//!         .route_layer(AuthLayer::new(provider)); // route_layer: unknown paths stay 404
//!
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! # Providers
//! - [`jwt::JwtProvider`]: any OIDC/JWKS issuer (optionally requiring RFC 9068 `at+jwt`);
//! - presets over it that encode each IdP's claim layout: [`cognito::Cognito`] (`token_use`,
//!   `client_id` vs `aud`, `cognito:groups`), [`auth0::Auth0`] (trailing-slash issuer,
//!   `permissions`), [`okta::Okta`] (`scp`, `cid`, a groups claim);
//! - [`ApiKeys`]: hashed API keys for machine clients, from `x-api-key` or
//!   `Authorization: ApiKey`;
//! - [`alb::Alb`]: users an AWS Application Load Balancer authenticated, from its signed
//!   `x-amzn-oidc-data` header;
//! - [`Providers`]: several of them behind one layer, routed by the token's `iss` or the
//!   credential's kind.
//! - [`revocation::CheckRevocation`]: wraps one of them to refuse revoked tokens (by `jti`, or a
//!   subject's tokens issued before a time), answered from memory.
//!
//! Keycloak, Microsoft Entra ID, FusionAuth and OneLogin tokens are verified by the generic
//! provider; [`manual::providers`] gives each one's issuer, audience and claim layout.
//!
//! Per-route authorization is separate: a [`guard`] (scopes, groups, roles, claims, closures,
//! combinators) checks the stored principal, as a [`GuardLayer`] behind the `AuthLayer` (in
//! axum, with `route_layer`) or as the [`Authorized<G>`](crate::Authorized) extractor.
//!
//! # Responses
//! A rejected request never reaches the inner service. It gets 401 with
//! `WWW-Authenticate: Bearer realm="api"` (plus `error="invalid_request"` or
//! `error="invalid_token"` when a credential was presented, RFC 6750 §3), 403 with
//! `error="insufficient_scope"` when a scope guard denies (a plain 403 for other guards), or 503
//! with `Retry-After` when the issuer's keys cannot be loaded and none are cached. The body is a
//! short JSON object; the internal [`Reason`](error::Reason) goes only to `tracing` (target `tollgate::auth`).
//! gRPC calls (`content-type: application/grpc*`) get the same outcomes as gRPC statuses on
//! HTTP 200 (16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 14 `UNAVAILABLE`), so tonic clients
//! see a proper `Status`. An [`ErrorResponder`](rejection::ErrorResponder) replaces these responses for every framework.
//!
//! # Security defaults
//! - asymmetric algorithms only; `alg: none` and HMAC cannot be configured, so a public key can
//!   never serve as an HMAC secret;
//! - `exp` required; `iss` and `aud` always required and checked; leeway 60 s (at most 300 s);
//! - the key must carry the token's `kid`, and its `kty` (and `alg`, if named) must agree with
//!   the token's `alg`; `jku`, `x5u`, `jwk` and `x5c` headers are never read; any `crit` header
//!   is rejected;
//! - RSA keys under 2048 bits, small-order Ed25519 keys, `use: enc` keys and symmetric (`oct`)
//!   keys in a JWKS are ignored; an RSA key without `alg` verifies RS256 only, unless the
//!   algorithm list is set explicitly;
//! - the issuer's keys are refreshed in the background and on an unknown `kid` (single flight,
//!   at most one such fetch per 3 s), survive an issuer outage for up to 24 h, and a key the
//!   issuer stops listing stops verifying at once (see [`jwks`]);
//! - JWKS and discovery over https only (plain http only for loopback, or behind
//!   [`jwt::JwtProviderBuilder::dangerous_allow_http`]), with timeouts and a 1 MiB cap;
//! - a token read from a cookie is refused on cross-site unsafe requests (CSRF);
//! - tokens are never logged, and `Debug` of a [`Credential`] shows only its length.
//!
//! The threat model in [`manual::security`] lists each attack these defaults stop and the test
//! that proves it.
//!
//! # Crypto backend
//! Signatures are verified with aws-lc-rs, with each JWKS key parsed once per fetch into a ready
//! verifier (no key parsing, no allocation per request). tollgate does not depend on
//! `jsonwebtoken`, so it is unaffected by that crate's process-wide provider, which panics
//! when an application's dependency graph enables both of its backends, or neither.
//!
//! # Where things are
//! - the middleware: [`auth`] (the [`AuthLayer`], its builder, service, future and body),
//!   [`guard`] (guards and the [`GuardLayer`]), [`rejection`] (how refusals are answered, the
//!   [`ErrorResponder`](rejection::ErrorResponder), and with `axum` the extractors'
//!   rejection), [`credential`] (where a credential is read), [`principal`], [`error`],
//!   [`resource_metadata`] (RFC 9728 metadata and challenges pointing to it, for MCP servers);
//! - providers: [`provider`] (the [`Provider`] trait), [`providers`] ([`Providers`]: several
//!   behind one layer), [`jwt`], [`jwks`] (key sets: refresh, outages, a seed for cold starts,
//!   sharing one between providers), the presets [`cognito`], [`auth0`], [`okta`],
//!   [`api_key`], [`alb`] (an Application Load Balancer's signed user claims), and
//!   [`aws_iam`] (AWS IAM callers, verified by STS), [`introspection`] (opaque tokens checked
//!   by the issuer's RFC 7662 introspection endpoint);
//! - [`lambda`] (feature `lambda`: identities API Gateway verified, a Lambda authorizer);
//! - [`clock`] (injectable time), [`dev`] (the development issuer, feature `dev-issuer`), and
//!   [`manual`] (the threat model, the verified-token cache, provider notes, metrics).
//!
//! # Features
//! - `axum`: extractors for [`Principal`], [`Claims<T>`] and [`Auth<T>`](crate::Auth), and their
//!   `Option<…>` forms; [`Authorized<G>`](crate::Authorized) for a guard in the handler.
//! - `dev-issuer`: [`dev::DevIssuer`], an embedded development issuer for examples and tests.
//! - `lambda`: on AWS Lambda, [`lambda::GatewayIdentity`] admits the identity API Gateway or a
//!   Function URL already verified (an explicit trust choice, see [`lambda`]), and
//!   [`lambda::authorizer::Authorizer`] is an API Gateway Lambda authorizer built from any
//!   provider.
//! - `metrics`: allowed and denied requests (with the reason), JWKS fetches, the verified-token
//!   cache's hits and misses and verification time, through the `metrics` facade; no exporter is
//!   bundled. Names, labels and what each counts: [`manual::metrics`].

#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod alb;
mod answer_cache;
pub mod api_key;
pub mod auth;
pub mod auth0;
pub mod aws_iam;
#[cfg(feature = "axum")]
mod axum;
pub mod clock;
pub mod cognito;
pub mod credential;
#[cfg(feature = "dev-issuer")]
pub mod dev;
pub mod error;
mod fetch;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod guard;
pub mod introspection;
#[cfg(feature = "issuer")]
pub mod issuer;
mod jose;
pub mod jwks;
pub mod jwt;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod manual;
mod metrics;
mod middleware;
pub mod okta;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod principal;
#[cfg(test)]
mod proptests;
pub mod provider;
pub mod providers;
pub mod rejection;
pub mod resource_metadata;
pub mod revocation;
mod sha256;

#[cfg(feature = "axum")]
pub use crate::axum::{Auth, Authorized};
pub use api_key::ApiKeys;
pub use auth::AuthLayer;
pub use credential::Credential;
pub use error::{AuthError, ConfigError};
pub use guard::{Guard, GuardLayer};
pub use principal::{Claims, Principal};
pub use provider::Provider;
pub use providers::Providers;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<crate::AuthLayer>();
        assert_send_sync::<crate::auth::AuthService<()>>();
        assert_send_sync::<crate::Principal>();
        assert_send_sync::<crate::AuthError>();
        assert_send_sync::<crate::jwt::JwtProvider>();
        assert_send_sync::<crate::Credential>();
        assert_send_sync::<crate::ApiKeys>();
        assert_send_sync::<crate::api_key::MemoryStore>();
        assert_send_sync::<crate::api_key::StoredKey>();
        assert_send_sync::<crate::api_key::KeyId>();
        assert_send_sync::<crate::api_key::StoreError>();
        assert_send_sync::<std::sync::Arc<dyn crate::api_key::KeyStore>>();
        assert_send_sync::<crate::Providers>();
        assert_send_sync::<crate::alb::Alb>();
        assert_send_sync::<crate::aws_iam::AwsIam>();
        assert_send_sync::<crate::introspection::Introspection>();
        assert_send_sync::<crate::GuardLayer<crate::guard::Scopes>>();
        assert_send_sync::<crate::guard::GuardService<(), crate::guard::Scopes>>();
        assert_send_sync::<crate::rejection::RejectionContext<'static>>();
        assert_send_sync::<crate::revocation::MemoryRevocations>();
        assert_send_sync::<crate::revocation::RevocationSet>();
        assert_send_sync::<crate::revocation::RevocationError>();
        assert_send_sync::<
            crate::revocation::CheckRevocation<
                crate::jwt::JwtProvider,
                crate::revocation::MemoryRevocations,
            >,
        >();
        assert_send_sync::<std::sync::Arc<dyn crate::revocation::RevocationList>>();
        #[cfg(feature = "lambda")]
        assert_send_sync::<crate::lambda::GatewayIdentity>();
        #[cfg(feature = "postgres")]
        {
            assert_send_sync::<crate::postgres::PostgresSettings>();
            assert_send_sync::<crate::postgres::InvalidationListener>();
            assert_send_sync::<crate::postgres::PostgresError>();
        }
    }
}

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
