//! The design manual: why tollgate behaves as it does, and how to point it at your issuer.
//!
//! - [`security`]: the threat model. Every attack tollgate is built to stop, its defence and
//!   default, and the tests that prove it. (The same text is `SECURITY.md` in the repository.)
//! - [`providers`]: identity providers without a preset (Keycloak, Microsoft Entra ID,
//!   FusionAuth, OneLogin): the issuer, the audience, and which guard reads their scopes,
//!   groups and roles.
//! - [`token_cache`]: the verified-token cache, and why a hit is as strict as verifying again.
//! - [`metrics`]: the metrics behind the `metrics` feature, their labels, and what each counts.

#[doc = include_str!("../../SECURITY.md")]
pub mod security {}

#[doc = include_str!("../../docs/providers.md")]
pub mod providers {}

#[doc = include_str!("../../docs/token-cache.md")]
pub mod token_cache {}

#[doc = include_str!("../../docs/metrics.md")]
pub mod metrics {}
