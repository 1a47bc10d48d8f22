//! Amazon Cognito user pools: a preset over [`JwtProvider`](crate::jwt::JwtProvider).
//!
//! Cognito signs two kinds of JWT with the same keys: access tokens (for APIs) and ID tokens
//! (for the client app). They differ in the claim that names the app client, and mixing them
//! up is the classic Cognito mistake, so [`Cognito`] encodes the rules:
//!
//! - `token_use` must be the configured [`TokenUse`] (`access` by default), so an ID token is
//!   never accepted where an access token is required, nor the reverse;
//! - the app client must be one of the configured client ids: access tokens carry no `aud` and
//!   name it in `client_id`, ID tokens name it in `aud`; with [`TokenUse::Any`] the claim read
//!   follows each token's own `token_use`;
//! - groups from `cognito:groups`, scopes from the space-separated `scope`; the subject is
//!   `sub` (or, for a machine token without it, `client_id`).
//!
//! **Issuers.** A pool's tokens carry one of two issuer URLs: the original
//! `https://cognito-idp.{region}.amazonaws.com/{pool}` or, once the pool switches to it (the
//! console's "updated" issuer, required for multi-Region replication),
//! `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}`. Both are accepted by default
//! ([`IssuerFormats`]). A replicated pool keeps its primary's id (so its region is no longer the
//! one the service runs in); with the original format each replica names its own region in
//! `iss`, so list the replica regions with
//! [`additional_regions`](Cognito::additional_regions). Each accepted issuer is a
//! [`JwtProvider`](crate::jwt::JwtProvider) with the keys published under that issuer
//! (`{issuer}/.well-known/jwks.json`); a token goes to the one its `iss` names, and nothing
//! else is loosened: every issuer still checks `token_use`, the client and the signature with
//! its own keys. The primary issuer's keys are fetched in `build()`; the others' in the
//! background (a pool that never switched formats answers 403 for the updated issuer's keys,
//! which is logged and retried with backoff, and costs nothing else).
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::cognito::{Cognito, TokenUse};
//!
//! let pool = Cognito::new("eu-west-1", "eu-west-1_AbCdEf123")
//!     .client_id("4t2dd3kq8vnbs1ea0m6mrsnu4i")
//!     .build() // first JWKS fetch, background refresh
//!     .await?;
//!
//! // A pool replicated from us-east-1 to us-west-2, ID tokens from two app clients.
//! let replicated = Cognito::new("us-east-1", "us-east-1_xyz")
//!     .additional_regions(["us-west-2"])
//!     .client_ids(["web-client", "mobile-client"])
//!     .token_use(TokenUse::Id)
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! **Several user pools** behind one layer, each with its own app clients: add each pool to
//! [`Providers`](crate::Providers); a token goes to the pool its `iss` names.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::{cognito::Cognito, AuthLayer, Providers};
//!
//! let customers = Cognito::new("eu-west-1", "eu-west-1_Customers1").client_id("webapp").build().await?;
//! let staff = Cognito::new("eu-west-1", "eu-west-1_Staff1").client_ids(["backoffice", "cli"]).build().await?;
//! let layer = AuthLayer::new(Providers::builder().jwt(customers).jwt(staff).build()?);
//! # Ok(()) }
//! ```
//!
//! In a handler, [`CognitoClaims`] gives typed access to the Cognito claims, including those of
//! machine-to-machine (client-credentials) tokens, which name no user:
//!
//! ```
//! # fn handler(principal: tollgate::Principal) -> Option<String> {
//! use tollgate::cognito::CognitoClaims;
//!
//! let claims: CognitoClaims = principal.claims_as().ok()?;
//! let who = claims.username().or(claims.app_client_id())?.to_owned();
//! # Some(who) }
//! ```
//!
//! Claims added by a pre-token-generation trigger (numbers, booleans, arrays and objects
//! included) reach the principal's claims and [`Claims<T>`](crate::Claims) exactly as the
//! token carries them.

mod claims;
mod pool;
mod preset;

pub use claims::CognitoClaims;
pub use pool::CognitoPool;
pub use preset::{Cognito, IssuerFormats, TokenUse, UnknownTokenUse};
