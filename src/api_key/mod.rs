//! API keys for machine clients: [`ApiKeys`], a [`Provider`](crate::Provider) over hashed keys,
//! found by their public id in a [`KeyStore`] (v2 keys) or by their digest (legacy keys).
//!
//! Keys are read from the `x-api-key` header (the name is configurable) or from
//! `Authorization: ApiKey <key>`; an [`AuthLayer`](crate::AuthLayer) built for an `ApiKeys`
//! reads both without further configuration. Each key has scopes, an optional expiry and (v2
//! keys) an optional revocation time; the principal's [`subject`](crate::Principal::subject) is
//! the key's owner (v2) or id (legacy), never the key. A key is made of RFC 6750 `b64token`
//! characters (letters, digits, `-._~+/`), like a bearer token; a key sent as
//! `Authorization: Bearer` is a bearer token, not an API key, and is refused.
//!
//! ```
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::api_key::{ApiKey, ApiKeys, KeyId, StoredKey};
//! use tollgate::AuthLayer;
//!
//! let keys = ApiKeys::builder()
//!     // The id and hash printed by `ApiKeys::generate()` (or `cargo run --example api_keys -- generate`).
//!     .stored_key(StoredKey::from_hash(
//!         KeyId::parse("7GqL2mXcVb9TzR4s")?,
//!         "sha256:5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99",
//!         "ci-deploy",
//!     )?
//!     .scopes(["deploy"]))
//!     // A key file's line: a v2 key (with `key_id=`), then a legacy `tgk_` key.
//!     .keys_from_str("reporting sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae key_id=Q1w2E3r4T5y6U7i8 scopes=read")
//!     .key(ApiKey::from_hash("old-cron", "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752")?)
//!     .build()?;
//! let layer = AuthLayer::new(keys); // reads `x-api-key` and `Authorization: ApiKey …`
//! # Ok(()) }
//! # run().unwrap();
//! ```
//!
//! # The key format (v2)
//! [`ApiKeys::generate`] makes keys like
//! `tgk2_7GqL2mXcVb9TzR4s_3kP0aZ…(43 characters)…_0Bc9xQ`:
//!
//! ```text
//! key      = "tgk2_" id "_" secret "_" checksum     ; 72 characters
//! id       = 16 base62                               ; random, public: safe to log and show
//! secret   = 43 base62                               ; 256 random bits (62^43 > 2^256)
//! checksum = 6 base62                                ; see below
//! base62   = "0"-"9" / "A"-"Z" / "a"-"z"
//! ```
//!
//! - The fixed prefix `tgk2_` lets secret scanners recognise a leaked key (with the checksum,
//!   without false positives on random text), and tells v2 keys from legacy `tgk_` keys.
//! - `_` separates the fields, so a double-click selects the whole key.
//! - `checksum` is the first 4 bytes of SHA-256 over `tgk2_<id>_<secret>`, read as a
//!   big-endian number and written as 6 base62 digits (zero-padded). SHA-256 rather than
//!   GitHub's CRC32 because the crate already has it (aws-lc-rs); it catches any typo, and a
//!   random string passes with probability 2⁻³².
//! - Parsing is strict and total: exactly 72 bytes, the prefix, two `_` at fixed places, base62
//!   everywhere else, and the checksum. A key that starts with `tgk2_` and fails any of these is
//!   refused ([`Reason::MalformedApiKey`](crate::error::Reason::MalformedApiKey)) **without
//!   any store lookup**, so made-up keys cannot load the store.
//! - The id finds the key: one `HashMap` read in [`MemoryStore`], one indexed read in a database.
//!
//! What is stored is the id and the SHA-256 of the **whole** key text (as for legacy keys, so
//! both kinds hash the same way, and a digest cannot be moved to another id).
//!
//! # Legacy keys
//! Any key that does not start with `tgk2_` (typically a `tgk_` key generated before v2) is a
//! legacy key: configured with [`ApiKey`] or a key-file line without `key_id=`, it keeps
//! working. It has no id, so it is found in a `HashMap` by the first 16 bytes of its digest,
//! then its whole digest is compared in constant time: also O(1), whatever the number of keys.
//! Prefer v2 keys: they are refused without a lookup when mistyped, and can live in a
//! [`KeyStore`] such as a database. (A v2 key configured as an [`ApiKey`], by its hash alone, is
//! found by its digest the same way.)
//!
//! # Lifecycle
//! A [`StoredKey`] has an owner (the principal's subject, so rolling a key keeps the subject),
//! scopes, metadata (copied into the principal's `metadata` claim), an optional expiry and an
//! optional revocation time; [`KeyState`] says which applies. To roll a key with overlap, issue a
//! new key for the same owner and give the old one an expiry at the end of the grace period.
//! Revoked and expired keys are refused with 401.
//!
//! # Stores
//! v2 keys from key files and [`ApiKeysBuilder::stored_key`] go to the built-in
//! [`MemoryStore`], which answers synchronously. [`ApiKeysBuilder::store`] puts any
//! [`KeyStore`] in its place, e.g. one that asks a database: its lookup may wait, and a
//! [`StoreError::Unavailable`] answer gives a 503 (the key is not judged), any other error 401.
//! # Storage: hashes only
//! tollgate never holds a key, only its SHA-256 digest, so a leaked configuration file or memory
//! dump gives nothing that authenticates. The keys [`ApiKeys::generate`] makes carry 256 random
//! bits, so a fast hash is enough: there is nothing to brute-force (a slow password hash only
//! helps for low-entropy secrets, and would cost every request milliseconds).
//!
//! # Constant-time comparison
//! The presented key is hashed first (its timing depends only on its length, which the client
//! chose). The lookup (by id, or by half a legacy digest) finds at most one candidate, and its
//! digest is compared with aws-lc-rs's constant-time comparison, so a request's timing does not
//! depend on how much of a key was guessed right. Whatever timing the map lookup shows concerns
//! the public id, or bits of a SHA-256 digest, from which no key can be recovered.
//!
//! # The key file
//! One key per line; blank lines and lines starting with `#` are ignored:
//!
//! ```text
//! # v2:     <owner> sha256:<64 hex digits> key_id=<16 base62> [scopes=…] [expires=<when>] [revoked=<when>]
//! # legacy: <id> sha256:<64 hex digits> [scopes=<scope>,<scope>…] [expires=<when>]
//! ci-deploy  sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  key_id=7GqL2mXcVb9TzR4s  scopes=deploy,read
//! reporting  sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  expires=2027-01-01
//! ```
//!
//! The first field is the owner of a v2 key (several keys may share it, e.g. while one is
//! rolled) or the id of a legacy key (unique); either becomes the principal's subject and is
//! letters, digits and `.`, `_`, `-`, `:`. The hash is the SHA-256 of the whole key. `when` is
//! a date (`2027-01-01`, meaning 00:00 UTC that day), a UTC time (`2027-01-01T12:00:00Z`) or
//! Unix seconds. Key ids, legacy ids and hashes must be unique. A malformed line fails
//! [`build`](ApiKeysBuilder::build) with its line number.

mod file;
mod format;
mod key;
mod provider;
mod store;

pub(crate) use format::looks_like_api_key;
pub use format::KeyId;
#[cfg(feature = "issuer")]
pub(crate) use key::is_plain_id;
pub use key::{ApiKey, GeneratedKey};
pub use provider::{ApiKeys, ApiKeysBuilder};
pub use store::{KeyState, KeyStore, MemoryStore, StoreError, StoredKey};

/// The header read by default.
pub const DEFAULT_HEADER: &str = "x-api-key";
