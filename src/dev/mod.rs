//! An embedded development issuer (feature `dev-issuer`): key pairs generated at start, an OIDC
//! discovery document and a JWKS served over HTTP on loopback, and tokens minted on demand.
//!
//! It is what the `quickstart` example and tollgate's own tests run against, and it is handy in
//! an application's tests. **Never use it in production**: it serves plain HTTP and hands out
//! tokens to anyone who asks the code.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::dev::DevIssuer;
//!
//! let issuer = DevIssuer::start().await?;               // RS256 key, random loopback port
//! let provider = issuer.provider().build().await?;      // discovery + JWKS, like a real IdP
//! let token = issuer.token().subject("alice").scope("admin").sign();
//! let principal = provider.verify(&token).await?;
//! assert_eq!(principal.subject(), Some("alice"));
//! assert!(principal.has_scope("admin"));
//! # Ok(()) }
//! ```
//!
//! # What a test needs
//! - [`DevIssuer::start`] starts an issuer with one RSA key on an ephemeral port;
//!   [`DevIssuer::builder`] chooses the address, the audience and the keys ([`DevKeyType`]).
//! - [`DevIssuer::provider`] is a [`JwtProviderBuilder`](crate::jwt::JwtProviderBuilder) for
//!   the issuer, its issuer and audience set, to customise and build like any other.
//! - [`DevIssuer::token`] starts a [`TokenBuilder`] with valid claims; change the subject,
//!   scopes, expiry, any claim, the key or the algorithm, then sign.
//! - [`DevIssuer::rotate`] publishes a new key that signs from then on, as an identity provider
//!   rotating its keys does.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tollgate::dev::{DevIssuer, DevKeyType};
//!
//! let issuer = DevIssuer::builder()
//!     .audience("orders-api")
//!     .key("ec-1", DevKeyType::P256)
//!     .start()
//!     .await?;
//! let provider = issuer.provider().build().await?;
//!
//! issuer.rotate("ec-2", DevKeyType::P256)?;
//! let token = issuer.token().subject("bob").sign(); // signed by ec-2, unknown to the provider
//! let principal = provider.verify(&token).await?;  // so it fetches the JWKS again
//! assert_eq!(principal.subject(), Some("bob"));
//! # Ok(()) }
//! ```
//!
//! # Making the issuer misbehave
//! [`DevIssuer::dangerous`] returns a [`DangerousDevIssuer`], whose hooks break the issuer on
//! purpose (a failing, slow or lying JWKS endpoint, unpublished keys, hostile headers, malformed
//! tokens with valid signatures) and count its fetches, to test how a verifier copes. None is
//! needed to use the issuer.

mod dangerous;
mod issuer;
mod keys;
mod server;
mod token;

pub use dangerous::DangerousDevIssuer;
pub use issuer::{DevIssuer, DevIssuerBuilder};
pub use keys::DevKeyType;
pub use token::TokenBuilder;
