//! [`AuthLayer`]: the tower middleware that authenticates every request.
//!
//! The layer reads the credential (see [`credential`](crate::credential)), hands it to the
//! [`Provider`](crate::Provider), and on success stores the [`Principal`](crate::Principal) (and, if configured, the typed
//! [`Claims<T>`](crate::Claims)) in the request's extensions before calling the inner service.
//! On failure the inner service is not called and the client gets the
//! [`ErrorResponder`](crate::rejection::ErrorResponder)'s response (by default RFC 6750: 401 with `WWW-Authenticate`, a short
//! JSON body).
//!
//! In [optional](AuthLayerBuilder::optional) mode a request without any credential passes
//! through anonymously (no principal), while a request with a bad credential is still
//! rejected.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::{AuthLayer, credential::CredentialSource, jwt::JwtProvider};
//!
//! let provider = JwtProvider::builder("https://issuer.example.com").audience("my-api").build().await?;
//!
//! // Defaults: `Authorization: Bearer`, 8 KiB limit, realm "api", authentication required.
//! let layer = AuthLayer::new(provider.clone());
//!
//! // Customised.
//! #[derive(Clone, serde::Deserialize)]
//! struct MyClaims { sub: String, tenant: String }
//! let layer = AuthLayer::builder(provider)
//!     .realm("orders")
//!     .sources([CredentialSource::AuthorizationBearer, CredentialSource::Cookie("session".into())])
//!     // The front end's origin, whose POSTs may carry the session cookie (see `Cookie`).
//!     .trusted_origins(["https://shop.example.com"])
//!     .max_token_bytes(4096)
//!     .claims::<MyClaims>()
//!     .optional()
//!     .build()?;
//! # Ok(()) }
//! ```

mod builder;
mod config;
mod future;
mod layer;
mod service;

pub use crate::middleware::AuthBody;
pub use builder::AuthLayerBuilder;
pub use future::ResponseFuture;
pub use layer::AuthLayer;
pub use service::AuthService;

/// Marks a request that passed an optional [`AuthLayer`] without a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anonymous;
