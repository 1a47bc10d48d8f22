//! PostgreSQL as the shared store of a fleet of replicas (feature `postgres`): API keys and JWT
//! revocations live in PostgreSQL, and every replica answers from its own cache, so the request
//! path never waits on the database.
//!
//! - [`PostgresStore`] is a replica's side: [`keys`](PostgresStore::keys) is a
//!   [`KeyStore`](crate::api_key::KeyStore) for [`ApiKeys`](crate::api_key::ApiKeys), and
//!   [`revocations`](PostgresStore::revocations) a
//!   [`RevocationList`](crate::revocation::RevocationList) for
//!   [`CheckRevocation`](crate::revocation::CheckRevocation).
//! - [`PostgresAdmin`] writes: the schema ([`migrate`](PostgresAdmin::migrate)), keys (create,
//!   list, revoke, roll with a grace period) and JWT revocations (one token by `jti`, or every
//!   token of a subject issued before a time).
//! - [`PostgresSettings`] is the connection URL with bounded timeouts; [`InvalidationListener`]
//!   the `LISTEN` connection underneath, usable on its own.
//!
//! ```no_run
//! # async fn run(jwt: tollgate::jwt::JwtProvider) -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::api_key::ApiKeys;
//! use tollgate::postgres::{PostgresSettings, PostgresStore};
//! use tollgate::revocation::CheckRevocation;
//! use tollgate::{AuthLayer, Providers};
//!
//! let settings = PostgresSettings::from_url("postgres://tollgate@127.0.0.1/tollgate")?;
//! let store = PostgresStore::builder(settings).start()?; // returns at once
//! let keys = ApiKeys::builder().store(store.keys()).build()?;
//! let issuer = jwt.issuer().to_owned();
//! let jwt = CheckRevocation::new(jwt, store.revocations());
//! let layer = AuthLayer::new(Providers::builder().api_keys(keys).issuer(issuer, jwt).build()?);
//! # Ok(()) }
//! ```
//!
//! # The tables
//! `tollgate_api_keys` (id, SHA-256 digest, owner, scopes, metadata, created/expires/revoked/last
//! used times, the key that replaced it), `tollgate_revoked_tokens` (`jti`, expiry) and
//! `tollgate_revoked_subjects` (subject, `before`, expiry). A trigger on each table sends
//! `NOTIFY tollgate_changes` with `key:<id>`, `jti:<jti>` or `sub:<subject>` on every change
//! that matters, whoever writes it (`psql` included); the batched `last_used_at` writes do not
//! notify. [`PostgresAdmin::migrate`] creates all of it, idempotently.
//!
//! # How a replica stays current
//! - **Keys** are read by id (one primary-key read) the first time a replica sees them, and
//!   cached: found keys for 60 s (`key_ttl`), unknown ids for 10 s (`miss_ttl`, so a flood of
//!   one made-up id asks once). A notification drops the key from every replica's cache at
//!   once, so a revoked key is refused by its next request there; the TTL is the backstop if a
//!   notification is ever lost with the connection still up. A lookup waits at most 2 s
//!   (`lookup_deadline`, connecting included), then the answer is 503.
//! - **JWT revocations** are held in full in memory (they drop out when the tokens they cover
//!   have expired, so the list stays small) and checked after a token verified: no I/O per
//!   request. A notification re-reads the one entry it names.
//! - **Every (re)connect resyncs**: PostgreSQL drops notifications sent while a listener is
//!   away, so after each `LISTEN` the replica reloads the revocation list and re-reads every key
//!   it caches, then applies notifications. See [`InvalidationListener`].
//! - The last use of each key is noted in memory on the request path (one atomic store) and
//!   written every 30 s (`usage_flush_every`), one statement for all keys.
//!
//! # When PostgreSQL is unreachable
//! A replica knows when it was last in sync: at the end of a resync, then continuously while
//! its listener stays connected. For `max_staleness` after that (30 s by default), it keeps
//! answering from its caches: cached keys authenticate, cached misses are refused, the
//! revocation list applies. After it, a request that needs the store gets **503** with
//! `Retry-After`: never "accept everything", never 500. A key the replica has not seen gets 503
//! within the lookup deadline. When PostgreSQL is back, the listener reconnects (with backoff),
//! the resync runs and everything answers again, without a restart.
//!
//! **A revocation made while a replica is cut off** (the database up, that replica unable to
//! reach it) cannot reach it: that replica keeps accepting the key, or the token, for at most
//! `max_staleness` after it was last in sync, then answers 503 until it reconnects; the resync
//! then applies the revocation. `max_staleness` is therefore the bound on how long a revocation
//! can go unseen; choose it as your revocation budget.
//!
//! Replicas compare times with their own clocks (a key revoked "now" is refused once the
//! replica's clock passes the database's `now()`), so keep clocks synchronised.
//!
//! Connections are plain TCP (no TLS yet): use a loopback or otherwise private network.

mod admin;
mod connection;
mod error;
mod freshness;
mod key_cache;
mod keys;
mod listener;
mod revocations;
mod rows;
mod schema;
mod settings;
mod store;
mod sync;

pub use admin::{AdminError, KeyRecord, NewKey, PostgresAdmin};
pub use error::PostgresError;
pub use keys::PostgresKeys;
pub use listener::{Invalidation, InvalidationListener, ListenerHealth};
pub use revocations::PostgresRevocations;
pub use schema::CHANNEL;
pub use settings::PostgresSettings;
pub use store::{PostgresStore, PostgresStoreBuilder};
