//! API keys for machine clients: [`ApiKeys`], a [`Provider`](crate::Provider) over a set of hashed keys.
//!
//! Keys are read from the `x-api-key` header (the name is configurable) or from
//! `Authorization: ApiKey <key>`; an [`AuthLayer`](crate::AuthLayer) built for an `ApiKeys`
//! reads both without further configuration. Each key has an id, optional scopes and an
//! optional expiry; the principal's [`subject`](crate::Principal::subject) is the key's id, never the
//! key. A key is made of RFC 6750 `b64token` characters (letters, digits, `-._~+/`), like a
//! bearer token; a key sent as `Authorization: Bearer` is a bearer token, not an API key, and
//! is refused.
//!
//! ```
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::api_key::{ApiKey, ApiKeys};
//! use tollgate::AuthLayer;
//!
//! let keys = ApiKeys::builder()
//!     // The hash printed by `ApiKeys::generate()` (or `cargo run --example api_keys -- generate`).
//!     .key(ApiKey::from_hash("ci-deploy", "sha256:5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99")?
//!         .scopes(["deploy"]))
//!     .keys_from_str("reporting sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae scopes=read")
//!     .build()?;
//! let layer = AuthLayer::new(keys); // reads `x-api-key` and `Authorization: ApiKey …`
//! # Ok(()) }
//! ```
//!
//! # Storage: hashes only
//! tollgate never holds a key, only its SHA-256 digest, so a leaked configuration file or memory
//! dump gives nothing that authenticates. The keys [`ApiKeys::generate`] makes carry 256 random
//! bits, so a fast hash is enough: there is nothing to brute-force (a slow password hash only
//! helps for low-entropy secrets, and would cost every request milliseconds).
//!
//! # Constant-time lookup
//! The presented key is hashed first (its timing depends only on its length, which the client
//! chose), then its digest is compared with **every** stored digest with a constant-time
//! comparison and no early exit, so a request's timing depends on the number of keys, not on
//! any key or on how much of one was guessed right. Even a timing leak at this point would only
//! reveal bits of a SHA-256 digest, from which no key can be recovered. The scan costs tens of
//! nanoseconds per key, fine for the hundreds of keys a service typically holds.
//!
//! # The key file
//! One key per line; blank lines and lines starting with `#` are ignored:
//!
//! ```text
//! # <id> sha256:<64 hex digits> [scopes=<scope>,<scope>…] [expires=<when>]
//! ci-deploy  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  scopes=deploy,read
//! reporting  sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  expires=2027-01-01
//! ```
//!
//! `id` is letters, digits and `.`, `_`, `-`, `:` (it becomes the principal's subject). `when` is
//! a date (`2027-01-01`, meaning 00:00 UTC that day), a UTC time (`2027-01-01T12:00:00Z`) or
//! Unix seconds. Ids and hashes must be unique. A malformed line fails
//! [`build`](ApiKeysBuilder::build) with its line number.

mod file;
mod key;
mod provider;

pub use key::{ApiKey, GeneratedKey};
pub use provider::{ApiKeys, ApiKeysBuilder};

/// The header read by default.
pub const DEFAULT_HEADER: &str = "x-api-key";
