//! Revoked JWTs: [`CheckRevocation`] wraps a provider and refuses the tokens a
//! [`RevocationList`] names, by `jti` or by subject.
//!
//! A JWT stays valid until its `exp`; to end one sooner (a stolen token, a user logged out
//! everywhere, an account closed), the server must remember that it was revoked. The check
//! runs **after** the inner provider verified the token (so an unverified token never reaches
//! the list, and the inner provider's refusals are unchanged), and answers **from memory**: a
//! [`RevocationList`] does no I/O on the request path.
//!
//! - [`MemoryRevocations`] is the embedded list: one process, revocations made in code (e.g.
//!   by an admin endpoint). It is empty after a restart and not seen by other replicas.
//! - A fleet shares revocations through a store: a store shared by replicas implements
//!   [`RevocationList`] the same way, loading its entries into a [`RevocationSet`] in the
//!   background and answering from it.
//!
//! A revoked token is refused with 401 `invalid_token`
//! ([`Reason::RevokedToken`](crate::error::Reason::RevokedToken)); a list that cannot answer
//! gives 503 with `Retry-After`
//! ([`Reason::RevocationsUnavailable`](crate::error::Reason::RevocationsUnavailable)), never a
//! 500 and never an acceptance.
//!
//! ```
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use std::time::{Duration, SystemTime};
//! use tollgate::jwt::JwtProvider;
//! use tollgate::revocation::{CheckRevocation, MemoryRevocations};
//! use tollgate::AuthLayer;
//!
//! let jwt = JwtProvider::builder("https://issuer.example.com/")
//!     .audience("my-api")
//!     .build()
//!     .await?;
//! let revocations = MemoryRevocations::new();
//! let layer = AuthLayer::new(CheckRevocation::new(jwt, revocations.clone()));
//!
//! // Later, e.g. in an admin handler: log "ann" out everywhere. Her tokens live at most an
//! // hour, so after an hour (and the leeway) the entry has nothing left to refuse.
//! let now = SystemTime::now();
//! revocations.revoke_subject("ann", now, now + Duration::from_secs(3600 + 60));
//! # let _ = layer;
//! # Ok(()) }
//! ```
//!
//! # What is revoked
//! - **A token**, by its `jti` claim: [`MemoryRevocations::revoke_token`]. Tokens without a
//!   string `jti` cannot be revoked one by one.
//! - **A subject**, from a time: [`MemoryRevocations::revoke_subject`] refuses the subject's
//!   tokens whose `iat` is strictly before `before` (new sign-ins after it work). A token of
//!   that subject **without an `iat`** is refused too: it cannot show it was issued after. A
//!   token without a subject is never checked by subject. Times are whole seconds, rounded up,
//!   so tokens issued in the second of the revocation are refused as well.
//!
//! A subject revocation applies to that subject **whatever its issuer**: the list stores no
//! issuer. Where several issuers are accepted and their subjects could collide, wrap only the
//! provider(s) whose subjects the list names, e.g.
//! `Providers::builder().issuer(iss, CheckRevocation::new(jwt, list))`.
//!
//! # Expiry
//! Each entry has an expiry, chosen by whoever revokes: the time by which every token it covers
//! has expired. After it the entry is ignored and then purged, so the list does not grow
//! forever. Give it an expiry at least as late as the longest lifetime of the tokens it covers,
//! plus the provider's leeway (for a token, its `exp` plus the leeway); an entry that expires
//! earlier lets those tokens back in.

mod list;
mod memory;
mod provider;
mod set;
mod token;

pub use list::{RevocationError, RevocationList, RevokedBy};
pub use memory::MemoryRevocations;
pub use provider::CheckRevocation;
pub use set::RevocationSet;
pub use token::TokenIdentity;
