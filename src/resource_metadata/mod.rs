//! OAuth 2.0 Protected Resource Metadata (RFC 9728), as MCP servers need it.
//!
//! The MCP authorization specification (2025-06-18, 2025-11-25) asks every MCP server to:
//!
//! 1. publish an RFC 9728 metadata document naming its resource identifier and the
//!    authorization servers that issue tokens for it: [`ResourceMetadata`], served by
//!    [`MetadataService`] at [`ResourceMetadata::well_known_path`];
//! 2. point to that document from its 401 challenges, and from 403 `insufficient_scope` ones
//!    (which also name the required `scope`):
//!    [`AuthLayerBuilder::resource_metadata`](crate::auth::AuthLayerBuilder::resource_metadata);
//! 3. accept only tokens issued for itself (RFC 8707): configure the resource identifier as the
//!    JWT provider's audience, see below.
//!
//! # The well-known path
//! RFC 9728 §3.1 inserts `/.well-known/oauth-protected-resource` between the host and the
//! path of the resource identifier: resource `https://api.example.com/mcp` publishes its
//! metadata at `https://api.example.com/.well-known/oauth-protected-resource/mcp`, and
//! `https://api.example.com` at `https://api.example.com/.well-known/oauth-protected-resource`.
//! A trailing slash after a longer path is kept (`/mcp/` gives `…-resource/mcp/`).
//!
//! # The document
//! `resource` (exactly as configured), `authorization_servers`, `scopes_supported`,
//! `bearer_methods_supported`, `resource_name` and `resource_documentation`; fields not set are
//! left out. `bearer_methods_supported` is always `["header"]`: tollgate reads tokens from
//! headers (and cookies, which RFC 6750 does not name as a method), never from a body or the
//! query string. DPoP and mutual-TLS fields are not written: tollgate does not check
//! sender-constrained tokens yet.
//!
//! The service answers `GET` and `HEAD` (200, `application/json`,
//! `Cache-Control: max-age=3600`, `Access-Control-Allow-Origin: *` so browser-based MCP clients
//! can read it; the document is public) and anything else with 405 and `Allow: GET, HEAD`.
//! It answers whatever request it is given: route only the well-known path to it, and put it
//! outside the `AuthLayer`, since clients read it before they have a token.
//!
//! # Audience: tokens issued for this resource (RFC 8707)
//! An MCP client asks for a token with `resource=<the resource identifier>`, and the
//! authorization server writes that identifier into the token's `aud`. Configure the same
//! string as the JWT provider's audience
//! ([`JwtProviderBuilder::audience`](crate::jwt::JwtProviderBuilder::audience)): audiences are
//! compared as exact strings, so `https://api.example.com/mcp` accepts exactly that `aud` and
//! refuses `https://api.example.com/mcp/`, `https://API.example.com/mcp`,
//! `https://api.example.com/mcp?x` and `https://api.example.com`. A token issued for another
//! resource is refused with 401 `invalid_token`, so it cannot be replayed here, and a server
//! that never forwards the client's token to upstream APIs does not pass tokens through.
//!
//! # Example
//! ```no_run
//! use axum::{routing::post, Router};
//! use tollgate::jwt::JwtProvider;
//! use tollgate::resource_metadata::ResourceMetadata;
//! use tollgate::AuthLayer;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let resource = "https://api.example.com/mcp";
//! let metadata = ResourceMetadata::builder(resource)
//!     .authorization_server("https://issuer.example.com")
//!     .scopes_supported(["tools:read", "admin"])
//!     .resource_name("Example MCP server")
//!     .build()?;
//! let provider = JwtProvider::builder("https://issuer.example.com")
//!     .audience(resource)
//!     .build()
//!     .await?;
//! let auth = AuthLayer::builder(provider)
//!     .resource_metadata(&metadata)
//!     .build()?;
//!
//! let app: Router = Router::new()
//!     .route("/mcp", post(|| async { "…" }))
//!     .route_layer(auth)
//!     // Unauthenticated: added after the route_layer, so the AuthLayer does not cover it.
//!     .route_service(metadata.well_known_path(), metadata.service());
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//! A 401 from this layer then reads `WWW-Authenticate: Bearer realm="api",
//! resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"`.
//! Guards ([`GuardLayer`](crate::GuardLayer), [`Authorized<G>`](crate::Authorized)) behind the
//! layer answer with the same setting; for a check inside a handler, extract
//! `Result<Authorized<G>, AuthRejection>` and return the rejection (as the `mcp_server`
//! example does for its `admin_echo` tool). An [`AuthError`](crate::AuthError) returned from a
//! handler as a response knows no layer, so its challenge has neither a custom realm nor
//! `resource_metadata`.

mod checks;
mod document;
mod service;

pub use document::{ResourceMetadata, ResourceMetadataBuilder};
pub use service::MetadataService;

pub(crate) use checks::check_metadata_url;
