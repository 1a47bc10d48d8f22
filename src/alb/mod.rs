//! Users authenticated by an AWS Application Load Balancer: [`Alb`] verifies the
//! `x-amzn-oidc-data` header an ALB with OIDC or Cognito authentication adds to each request.
//!
//! That header is an ES256 JWT the load balancer signs, in a format standard JWT libraries
//! refuse: its segments are *padded* base64url, and `signer` (the ALB's ARN), `client`, `iss`
//! and `exp` sit in the JWT **header**. The payload holds the identity provider's user claims
//! (`sub`, `email`, `username`, `exp`, `iss`, possibly groups). The key is not in a JWKS: it is
//! a PEM (P-256 SubjectPublicKeyInfo) at `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{routing::get, Json, Router};
//! use tollgate::{alb::Alb, AuthLayer, Principal};
//!
//! let alb = Alb::builder("eu-west-1")
//!     .signer("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188")
//!     .build()?; // fetches nothing yet: each key is fetched when a token first names it
//! let app: Router = Router::new()
//!     .route("/me", get(|p: Principal| async move { Json(p) }))
//!     .route_layer(AuthLayer::new(alb)); // reads `x-amzn-oidc-data`
//! # Ok(()) }
//! ```
//!
//! Customised: several load balancers, the OIDC client and identity provider pinned, a groups
//! claim, and together with bearer tokens behind one layer:
//!
//! ```no_run
//! # async fn run(jwt: tollgate::jwt::JwtProvider) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use tollgate::{alb::Alb, AuthLayer, Providers};
//!
//! let alb = Alb::builder("eu-west-1")
//!     .signers([
//!         "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
//!         "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/admin/9f8e7d6c5b4a3210",
//!     ])
//!     .client_ids(["4t2dd3kq8vnbs1ea0m6mrsnu4i"])
//!     .issuers(["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"])
//!     .groups_claim("cognito:groups")
//!     .leeway(Duration::from_secs(30))
//!     .build()?;
//! // `x-amzn-oidc-data` goes to the ALB provider, `Authorization: Bearer` to the JWT one.
//! let layer = AuthLayer::new(Providers::builder().alb(alb).jwt(jwt).build()?);
//! # Ok(()) }
//! ```
//!
//! # Checks, and the attack each blocks
//! In this order; everything before the key lookup runs on the token alone, so a forged token
//! costs no fetch.
//!
//! 1. **Three segments, each padded base64url with exactly the padding its length calls for**
//!    (the ALB always pads). Unpadded, over-padded, standard-alphabet (`+`, `/`) or
//!    non-canonical segments are refused: one token, one encoding, so no two readers of the
//!    header can disagree on its bytes.
//! 2. **Header and payload are JSON objects with unique member names**: a duplicate `signer`,
//!    `kid` or `exp` would let the check read one value and something else the other.
//! 3. **No `crit`**, and **`alg` exactly `ES256`**: `none`, HMAC (a public key used as a
//!    secret) and every other algorithm are refused before any key is looked at.
//! 4. **`kid` only `[A-Za-z0-9-]`, 1 to 64 characters** (the ALB's are UUIDs). It becomes a
//!    path segment of the key URL, so nothing that means something to a URL (`/`, `..`, `%`,
//!    `?`, `#`) can get there: no path traversal to another object on the key host.
//! 5. **`signer` is one of the configured load balancer ARNs**, checked before any fetch: a
//!    token naming another load balancer (another account's, which signs with the same
//!    regional keys) is refused, and an attacker cannot make the service fetch kids for
//!    signers it does not trust.
//! 6. **`exp` in the header, and in the payload when present, with the leeway** (60 s
//!    default, at most 300 s); a payload `nbf` likewise. An expired token is refused before
//!    its key is fetched.
//! 7. **`iss`**: the payload's, when present, must equal the header's; if
//!    [`issuers`](AlbBuilder::issuers) is set, the header's must be one of them.
//!    **`client`**: if [`client_ids`](AlbBuilder::client_ids) is set, the header's must be one.
//! 8. **The key** of `kid`, fetched from the configured region's endpoint only (the URL is
//!    built from configuration plus the checked `kid`; the token cannot point elsewhere), over
//!    https, no redirects followed, at most 16 KiB, a P-256 SubjectPublicKeyInfo and nothing
//!    else.
//! 9. **The signature**: ES256, 64-byte `r ‖ s`, over the exact `header.payload` bytes as
//!    sent, padding included.
//!
//! # Keys
//! A `kid`'s key never changes, so a key once fetched is kept (up to 64 kids) and a request
//! whose key is cached is answered without a future
//! ([`Provider::try_authenticate`](crate::Provider::try_authenticate)). Concurrent requests for a new `kid` share one fetch. A
//! `kid` the endpoint answers 404 (or 410) for is refused with 401 `invalid_token` and not
//! asked for again for 30 s ([`unknown_kid_cooldown`](AlbBuilder::unknown_kid_cooldown)); any
//! other failure (timeout, another status, a body that is not such a key) answers 503 with
//! `Retry-After`. After any failed fetch, no fetch for another new `kid` starts for 3 s
//! ([`failure_interval`](AlbBuilder::failure_interval)); those requests get 503. So a flood
//! of made-up kids costs the key endpoint one request per 3 s.
//!
//! # The principal
//! Provider name `alb`; subject `sub`; issuer the header's `iss`; groups from
//! [`groups_claim`](AlbBuilder::groups_claim) (default `cognito:groups` if present, else
//! `groups`; an array of strings or a space-separated string); scopes from a space-separated
//! `scope`; expiry the earlier of the header's and the payload's `exp`. The claims are the
//! payload's, plus `alb_signer` (the load balancer's ARN) and `alb_client` (the OIDC client
//! id), both taken from the verified header and overwriting any payload claim of that name.
//!
//! # What to know about this header
//! - The token is signed, so it can be verified anywhere: the service need not trust the
//!   network path it came by. But it is a **bearer assertion**: anyone who sees it (a log, a
//!   proxy, another service it is forwarded to) can replay it until `exp`, against any
//!   service that trusts the same load balancer. AWS documents no lifetime for it; the ALB
//!   sets `exp` in the header, and it is enforced here with the leeway. Keep it out of logs
//!   and do not forward it.
//! - `x-amzn-oidc-accesstoken` (the identity provider's access token, unsigned by the ALB)
//!   and `x-amzn-oidc-identity` (the subject, in plain text) are **never read**: anyone who
//!   can reach the service directly could set them.
//! - The layer's credential size limit (8 KiB by default) applies to this header too. An
//!   identity provider that sends many user claims makes a larger token: raise it with
//!   [`AuthLayerBuilder::max_token_bytes`](crate::auth::AuthLayerBuilder::max_token_bytes).
//! - Tokens are only as specific as the configuration: the regional keys sign for every ALB in
//!   the region, so the `signer` allowlist is what makes a token yours.

mod builder;
mod keys;
mod provider;
mod token;

pub use builder::AlbBuilder;
pub use provider::Alb;
