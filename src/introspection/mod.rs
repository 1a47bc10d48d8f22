//! Opaque access tokens, checked by the issuer: [`Introspection`], a
//! [`Provider`](crate::Provider) that asks an OAuth 2.0 token introspection endpoint (RFC 7662)
//! whether a token is active.
//!
//! Okta, Keycloak, Ory Hydra, Auth0 (without an `audience`), node oidc-provider (without a JWT
//! resource) and many in-house servers issue access tokens only they can read. The service
//! POSTs each new token to the issuer's introspection endpoint, authenticated with its own
//! client credentials, and the issuer answers whether the token is active and, if so, for
//! whom, which client, which audience and scopes. A token revoked at the issuer stops working
//! here once the cached answer runs out (the *revocation budget*, below), which a JWT cannot
//! offer without such a call.
//!
//! # Server
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::introspection::Introspection;
//! use tollgate::AuthLayer;
//!
//! // Default: the endpoint from the issuer's discovery document, client_secret_basic,
//! // active answers trusted for 60 s, inactive ones kept 10 s.
//! let introspection = Introspection::builder("https://idp.example.com")
//!     .client("orders-api", std::env::var("INTROSPECTION_SECRET").unwrap_or_default())
//!     .audience("https://orders.example.com")
//!     .build()
//!     .await?;
//! let layer = AuthLayer::new(introspection);
//!
//! // Customised: a configured endpoint, client_secret_post, a 15 s revocation budget.
//! use std::time::Duration;
//! use tollgate::introspection::ClientAuthMethod;
//! let introspection = Introspection::builder("https://idp.example.com")
//!     .endpoint("https://idp.example.com/oauth2/introspect")
//!     .client("orders-api", "…")
//!     .client_auth_method(ClientAuthMethod::ClientSecretPost)
//!     .audiences(["https://orders.example.com", "orders"])
//!     .cache_ttl(Duration::from_secs(15))
//!     .build()
//!     .await?;
//! # let _ = (layer, introspection); Ok(()) }
//! ```
//!
//! Next to JWTs, API keys and the rest behind one layer, add it with
//! [`ProvidersBuilder::introspection`](crate::providers::ProvidersBuilder::introspection): a
//! bearer token that is not shaped like a JWT (three base64url segments) goes to it, while a
//! JWT still goes to the JWT provider of its `iss`. A JWT whose `iss` names no JWT provider is
//! refused (401, no call), even with an introspection provider: the routing must not let an
//! attacker choose which verifier sees a token. A server whose JWT-shaped tokens must be
//! introspected is served by an `Introspection` used alone, or added with
//! [`ProvidersBuilder::issuer`](crate::providers::ProvidersBuilder::issuer) for its issuer.
//!
//! # The call
//! `POST` to the endpoint with `token=…&token_type_hint=access_token`, `Accept:
//! application/json`, and this server's client credentials: `client_secret_basic` (default,
//! RFC 6749 §2.3.1: id and secret form-encoded, then base64) or `client_secret_post`
//! ([`ClientAuthMethod`]). `private_key_jwt` is not offered. Redirects are not followed (they
//! would carry the token and secret elsewhere); the endpoint must be `https`, or `http` on a
//! loopback address; tokens longer than [`MAX_TOKEN_LEN`] are refused without a call. The
//! secret never appears in `Debug` output, traces or errors.
//!
//! # What is checked, and the attack each check blocks
//! The answer must be one JSON object with unique member names, at most 64 KiB (else it is no
//! answer: 503). Then, with the same rules as a JWT's claims (each failure is 401
//! `invalid_token`):
//! - **`active` is exactly `true`**: anything else (`false`, missing, `"true"`) means the
//!   token is unknown, expired, revoked, or not for this server to see;
//! - **`exp`**, if present, not past (with the leeway, default 60 s), **`nbf`** and **`iat`**,
//!   if present, not in the future beyond the leeway, all numbers: a stale or confused answer
//!   is not trusted;
//! - **`iss`**, if present, equals the configured issuer exactly: an endpoint serving several
//!   tenants cannot vouch for another tenant's tokens;
//! - **`aud`** (a string or an array of strings) names a configured audience; an answer
//!   without `aud` is refused. RFC 7662 makes `aud` optional, but without it any token the
//!   issuer minted for *any* service would be accepted here (token passthrough: a service that
//!   receives a token for itself replays it here). Building without an audience needs
//!   [`IntrospectionBuilder::dangerous_accept_any_audience`];
//! - **`token_type`**, if present, is `Bearer`, `access_token` or
//!   `urn:ietf:params:oauth:token-type:access_token` (any case): a refresh token (which some
//!   servers call active) is not an access token, and a `DPoP` token needs a proof this layer
//!   does not check. An answer with **`cnf`** (a sender-constrained token, RFC 8705 / 9449) is
//!   refused for the same reason;
//! - `sub`, `client_id`, `username` and `scope`, if present, are strings.
//!
//! # The principal
//! - [`subject`](crate::Principal::subject): `sub`, or `client_id` when there is no `sub` (a
//!   client-credentials token, whose subject is the client, as RFC 9068 §2.2 writes it). A
//!   guard that must tell users from clients reads the `sub` or `client_id` claim;
//! - [`scopes`](crate::Principal::scopes): `scope`, split at spaces;
//! - [`issuer`](crate::Principal::issuer): the configured issuer;
//!   [`expires_at`](crate::Principal::expires_at): `exp`, if any;
//! - claims: the whole answer (`active`, `client_id`, `username`, `aud`, `jti`, …).
//!
//! # Failures
//! A token the endpoint calls inactive, or that fails a check, is the caller's problem: 401.
//! No usable answer is not: a transport error, a timeout ([`IntrospectionBuilder::timeout`],
//! default 3 s), any status but 200, or an unparseable body gives **503 with `Retry-After`**
//! ([`AuthErrorKind::Unavailable`](crate::error::AuthErrorKind::Unavailable),
//! [`Reason::IntrospectionUnavailable`](crate::error::Reason::IntrospectionUnavailable)),
//! never "inactive" and never 500. A 401 or 403 from the endpoint means *this server's* client
//! credentials are wrong: 503 as well, with an error trace naming the client id and endpoint.
//!
//! # Cache and the revocation budget
//! Answers are kept by the SHA-256 of the token (the token itself is never stored):
//! - an accepted token until the earlier of its `exp` (RFC 7662 §4: never past it) and
//!   [`cache_ttl`](IntrospectionBuilder::cache_ttl) (default 60 s). This is the revocation
//!   budget: a token revoked at the issuer keeps working here for up to that long, and a
//!   cached token keeps working for that long while the endpoint is down;
//! - a refused token for [`negative_cache_ttl`](IntrospectionBuilder::negative_cache_ttl)
//!   (default 10 s), so a client repeating a dead token costs one call per period;
//! - a 503 never: the next request asks again.
//!
//! A cached answer is given without a future
//! ([`Provider::try_authenticate`](crate::Provider::try_authenticate)). Concurrent first uses
//! of one token share one call. The cache holds at most
//! [`max_cached`](IntrospectionBuilder::max_cached) tokens (default 10 000), dropping expired
//! answers first, then any settled one; when it is full of calls in flight, a call goes
//! uncached. Each replica has its own cache, so the budget holds per replica.

mod builder;
mod discovery;
mod provider;
mod response;

pub use builder::{ClientAuthMethod, IntrospectionBuilder, DEFAULT_NEGATIVE_TTL, DEFAULT_TTL};
pub use provider::{Introspection, MAX_TOKEN_LEN};
