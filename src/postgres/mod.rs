//! PostgreSQL plumbing (feature `postgres`) for a key and revocation store shared by a fleet of
//! replicas: [`PostgresSettings`], a connection URL with bounded timeouts, and
//! [`InvalidationListener`], which keeps one `LISTEN` connection open and tells its consumer
//! what changed.
//!
//! # Why a resync on every (re)connect
//!
//! PostgreSQL delivers a `NOTIFY` only to sessions listening at the moment it commits, and never
//! replays one: whatever was sent while the listener was disconnected is gone. So the listener
//! first runs `LISTEN`, then emits [`Invalidation::Resync`], and only then passes notifications
//! on. A consumer that reloads its whole state on `Resync` and applies each
//! [`Invalidation::Notify`] after that misses nothing: a change committed after the `LISTEN`
//! arrives as a notification, one committed before it is in the reload. A connection that dies
//! silently is caught by a periodic ping and TCP keepalives; [`ListenerHealth`] says since when
//! the listener has been connected, so a consumer can still bound staleness with a TTL when
//! notifications stop.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::postgres::PostgresError> {
//! use tollgate::postgres::{Invalidation, InvalidationListener, PostgresSettings};
//!
//! let settings = PostgresSettings::from_url("postgres://tollgate@127.0.0.1/keys")?;
//! let mut listener = InvalidationListener::start(settings, "tollgate_keys")?;
//! while let Some(event) = listener.recv().await {
//!     match event {
//!         Invalidation::Resync => { /* reload everything */ }
//!         Invalidation::Notify(payload) => { /* drop `payload` from the cache */ }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
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
