//! [`DevIssuer`] and its builder: start the issuer, point a provider at it, mint tokens, rotate
//! keys.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;

use super::keys::{DevKey, DevKeyType, KeyRing};
use super::server::{self, ServerGuard, State};
use super::{DangerousDevIssuer, TokenBuilder};
use crate::jwt::{JwtProvider, JwtProviderBuilder};

/// Configures a [`DevIssuer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct DevIssuerBuilder {
    addr: SocketAddr,
    audience: String,
    keys: Vec<(String, DevKeyType)>,
}

impl DevIssuerBuilder {
    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The audience put in minted tokens and expected by [`DevIssuer::provider`]
    /// (default `"tollgate-dev"`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Adds a signing key. Without any, one RSA key with kid `dev-rsa` is generated. The first
    /// key signs tokens unless a token names another.
    pub fn key(mut self, kid: impl Into<String>, kind: DevKeyType) -> Self {
        self.keys.push((kid.into(), kind));
        self
    }

    /// Generates the keys, binds the listener and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound or a key cannot be generated.
    pub async fn start(mut self) -> std::io::Result<DevIssuer> {
        if self.keys.is_empty() {
            self.keys.push(("dev-rsa".into(), DevKeyType::Rsa2048));
        }
        let mut keys = Vec::new();
        for (kid, kind) in &self.keys {
            keys.push(generate(kid, *kind)?);
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(
            format!("http://{addr}"),
            self.audience,
            KeyRing::new(keys),
        ));
        let server = server::spawn(listener, state.clone());
        Ok(DevIssuer {
            state,
            addr,
            _server: server,
        })
    }
}

fn generate(kid: &str, kind: DevKeyType) -> std::io::Result<DevKey> {
    DevKey::generate(kid, kind).map_err(|_| std::io::Error::other("key generation failed"))
}

/// A development issuer serving discovery and JWKS on loopback. The server stops when this
/// value is dropped.
pub struct DevIssuer {
    pub(super) state: Arc<State>,
    addr: SocketAddr,
    _server: ServerGuard,
}

impl fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevIssuer")
            .field("issuer", &self.state.issuer)
            .field("audience", &self.state.audience)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Configures an issuer.
    pub fn builder() -> DevIssuerBuilder {
        DevIssuerBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            audience: "tollgate-dev".into(),
            keys: Vec::new(),
        }
    }

    /// Starts an issuer with one RSA key on an ephemeral loopback port.
    ///
    /// # Errors
    /// See [`DevIssuerBuilder::start`].
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// The issuer URL (`http://127.0.0.1:PORT`), the `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.state.issuer)
    }

    /// The audience of minted tokens.
    pub fn audience(&self) -> &str {
        &self.state.audience
    }

    /// A provider builder for this issuer (issuer and audience set; the JWKS found by discovery).
    pub fn provider(&self) -> JwtProviderBuilder {
        JwtProvider::builder(self.issuer()).audience(self.audience())
    }

    /// Starts a token with the defaults: `iss`, `aud`, `sub: "dev-user"`, `iat` now, `exp` in
    /// one hour, signed by the first key with its natural algorithm.
    pub fn token(&self) -> TokenBuilder<'_> {
        TokenBuilder::new(self)
    }

    /// The public JWK of key `kid`.
    pub fn public_jwk(&self, kid: &str) -> Option<Value> {
        self.state.keys.get(kid).map(|k| k.jwk.clone())
    }

    /// Generates a new key and publishes it (first in the JWKS, and the signer from now on):
    /// an issuer-side key rotation.
    ///
    /// # Errors
    /// When key generation fails.
    pub fn rotate(&self, kid: &str, kind: DevKeyType) -> std::io::Result<()> {
        self.state.keys.publish_first(generate(kid, kind)?);
        Ok(())
    }

    /// Hooks that make the issuer misbehave (a failing, slow or lying JWKS endpoint, unpublished
    /// keys, tokens with hostile headers or malformed segments) and count its fetches, to test
    /// how a verifier copes. Nothing here is needed to use the issuer.
    pub fn dangerous(&self) -> DangerousDevIssuer<'_> {
        DangerousDevIssuer::new(self)
    }
}
