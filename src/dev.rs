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

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};

use crate::clock::unix_now;
use crate::jwt::{Algorithm, JwtProvider, JwtProviderBuilder};

/// The kind of key pair to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DevKeyType {
    /// RSA 2048 (RS256/384/512, PS256/384/512). Published without `alg`, so a provider
    /// verifies tokens other than RS256 with it only when its algorithm list is set explicitly
    /// ([`algorithms`](crate::jwt::JwtProviderBuilder::algorithms)).
    Rsa2048,
    /// ECDSA P-256 (ES256).
    P256,
    /// ECDSA P-384 (ES384).
    P384,
    /// Ed25519 (EdDSA).
    Ed25519,
}

enum Secret {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// One signing key of the issuer.
struct DevKey {
    kid: String,
    kind: DevKeyType,
    secret: Secret,
    jwk: Value,
}

type GenResult<T> = Result<T, aws_lc_rs::error::Unspecified>;

impl DevKey {
    fn generate(kid: &str, kind: DevKeyType) -> GenResult<Self> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (secret, jwk) = match kind {
            DevKeyType::Rsa2048 => {
                let pair = sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
                let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let jwk = json!({"kty": "RSA", "use": "sig", "kid": kid, "n": b64(&public.n), "e": b64(&public.e)});
                (Secret::Rsa(pair), jwk)
            }
            DevKeyType::P256 | DevKeyType::P384 => {
                let (alg, crv, len, name) = match kind {
                    DevKeyType::P256 => {
                        (&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32, "ES256")
                    }
                    _ => (&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48, "ES384"),
                };
                let pair = sig::EcdsaKeyPair::generate(alg)?;
                let point = pair.public_key().as_ref();
                let x = point.get(1..=len).ok_or(aws_lc_rs::error::Unspecified)?;
                let y = point.get(len + 1..).ok_or(aws_lc_rs::error::Unspecified)?;
                let jwk = json!({"kty": "EC", "use": "sig", "alg": name, "kid": kid, "crv": crv, "x": b64(x), "y": b64(y)});
                (Secret::Ec(pair), jwk)
            }
            DevKeyType::Ed25519 => {
                let pair = sig::Ed25519KeyPair::generate()?;
                let jwk = json!({"kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
                (Secret::Ed(pair), jwk)
            }
        };
        Ok(Self {
            kid: kid.to_owned(),
            kind,
            secret,
            jwk,
        })
    }

    fn default_alg(&self) -> Algorithm {
        match self.kind {
            DevKeyType::Rsa2048 => Algorithm::RS256,
            DevKeyType::P256 => Algorithm::ES256,
            DevKeyType::P384 => Algorithm::ES384,
            DevKeyType::Ed25519 => Algorithm::EdDSA,
        }
    }

    fn sign(&self, alg: Algorithm, message: &[u8]) -> GenResult<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.secret {
            Secret::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                    _ => return Err(aws_lc_rs::error::Unspecified),
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)?;
                Ok(out)
            }
            Secret::Ec(pair) => Ok(pair.sign(&rng, message)?.as_ref().to_vec()),
            Secret::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The private key as PKCS#8 DER, for tools that want to sign by themselves.
    fn pkcs8(&self) -> GenResult<Vec<u8>> {
        Ok(match &self.secret {
            Secret::Rsa(pair) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(pair)?
                .as_ref()
                .to_vec(),
            Secret::Ec(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
            Secret::Ed(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
        })
    }
}

struct State {
    issuer: String,
    audience: String,
    /// Every key, and whether the JWKS publishes it.
    keys: Mutex<Vec<(Arc<DevKey>, bool)>>,
    /// A JWKS document served instead of the keys' own, for rotation and failure tests.
    jwks_override: Mutex<Option<(u16, String)>>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    /// How long the JWKS endpoint waits before answering.
    jwks_delay: Mutex<Duration>,
}

impl State {
    fn keys(&self) -> Vec<Arc<DevKey>> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.iter().map(|(key, _)| key.clone()).collect()
    }

    fn jwks(&self) -> (u16, String) {
        if let Some(over) = self
            .jwks_override
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return over;
        }
        let keys: Vec<Value> = {
            let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            keys.iter()
                .filter(|(_, published)| *published)
                .map(|(key, _)| key.jwk.clone())
                .collect()
        };
        (200, json!({ "keys": keys }).to_string())
    }
}

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
            let key = DevKey::generate(kid, *kind)
                .map_err(|_| std::io::Error::other("key generation failed"))?;
            keys.push((Arc::new(key), true));
        }
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            issuer: format!("http://{addr}"),
            audience: self.audience,
            keys: Mutex::new(keys),
            jwks_override: Mutex::new(None),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            jwks_delay: Mutex::new(Duration::ZERO),
        });
        let server = tokio::spawn(serve(listener, state.clone())).abort_handle();
        Ok(DevIssuer {
            state,
            addr,
            _server: ServerGuard(server),
        })
    }
}

async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    // Connection tasks live in this set, so aborting the accept loop closes them too.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = state.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move {
                    if request.uri().path() == "/jwks" {
                        let delay = *state
                            .jwks_delay
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner);
                        tokio::time::sleep(delay).await;
                    }
                    Ok::<_, Infallible>(respond(&state, &request))
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond<B>(state: &State, request: &http::Request<B>) -> http::Response<Full<Bytes>> {
    let (status, body) = match (request.method(), request.uri().path()) {
        (&http::Method::GET, "/.well-known/openid-configuration") => {
            state.discovery_fetches.fetch_add(1, Ordering::Relaxed);
            let doc = json!({
                "issuer": state.issuer,
                "jwks_uri": format!("{}/jwks", state.issuer),
                "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256", "ES384", "EdDSA"],
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
            });
            (200, doc.to_string())
        }
        (&http::Method::GET, "/jwks") => {
            state.jwks_fetches.fetch_add(1, Ordering::Relaxed);
            state.jwks()
        }
        _ => (404, r#"{"error":"not found"}"#.to_owned()),
    };
    let mut response = http::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

struct ServerGuard(tokio::task::AbortHandle);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A development issuer serving discovery and JWKS on loopback. The server stops when this
/// value is dropped.
pub struct DevIssuer {
    state: Arc<State>,
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
        let now = unix_now();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.state.issuer));
        claims.insert("aud".into(), json!(self.state.audience));
        claims.insert("sub".into(), json!("dev-user"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 3600));
        TokenBuilder {
            issuer: self,
            claims,
            kid: None,
            alg: None,
        }
    }

    /// Signs `claims` under an arbitrary `header` — for tests of hostile headers. The header's
    /// `alg` picks the algorithm; the key is the one whose kid the header names, or else the
    /// first key of the algorithm's type (so a header may name a kid the issuer never had).
    /// Returns `None` if no key fits.
    pub fn sign_raw(&self, header: &Value, claims: &Value) -> Option<String> {
        let alg: Algorithm = header.get("alg")?.as_str()?.parse().ok()?;
        let kid = header.get("kid").and_then(Value::as_str);
        let key = self
            .find_key(kid, alg)
            .or_else(|| self.find_key(None, alg))?;
        self.sign_with(&key, alg, header, claims)
    }

    /// Signs the bytes `header_b64.payload_b64` and returns the complete token, whatever the
    /// segments contain — for tests of malformed tokens with valid signatures.
    pub fn sign_segments(
        &self,
        kid: &str,
        alg: Algorithm,
        header_b64: &str,
        payload_b64: &str,
    ) -> Option<String> {
        let key = self.find_key(Some(kid), alg)?;
        let input = format!("{header_b64}.{payload_b64}");
        let signature = key.sign(alg, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The public JWK of key `kid`.
    pub fn public_jwk(&self, kid: &str) -> Option<Value> {
        self.state
            .keys()
            .into_iter()
            .find(|k| k.kid == kid)
            .map(|k| k.jwk.clone())
    }

    /// The private key `kid` as PKCS#8 DER.
    pub fn private_key_pkcs8(&self, kid: &str) -> Option<Vec<u8>> {
        self.state
            .keys()
            .into_iter()
            .find(|k| k.kid == kid)?
            .pkcs8()
            .ok()
    }

    /// Generates a new key and publishes it (first in the JWKS, and the signer from now on):
    /// an issuer-side key rotation.
    ///
    /// # Errors
    /// When key generation fails.
    pub fn rotate(&self, kid: &str, kind: DevKeyType) -> std::io::Result<()> {
        let key = DevKey::generate(kid, kind)
            .map_err(|_| std::io::Error::other("key generation failed"))?;
        self.state
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(0, (Arc::new(key), true));
        Ok(())
    }

    /// Stops publishing key `kid` (it can still sign).
    pub fn unpublish(&self, kid: &str) {
        let mut keys = self
            .state
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (key, published) in keys.iter_mut() {
            if key.kid == kid {
                *published = false;
            }
        }
    }

    /// Serves `body` with `status` at the JWKS URL instead of the real key set, until
    /// [`serve_real_jwks`](Self::serve_real_jwks).
    pub fn serve_jwks_body(&self, status: u16, body: impl Into<String>) {
        *self
            .state
            .jwks_override
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((status, body.into()));
    }

    /// Makes the JWKS endpoint wait `delay` before each answer (a slow issuer).
    pub fn set_jwks_delay(&self, delay: Duration) {
        *self
            .state
            .jwks_delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// Serves the issuer's own keys again.
    pub fn serve_real_jwks(&self) {
        *self
            .state
            .jwks_override
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// How many times the JWKS was requested.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::Relaxed)
    }

    /// How many times the discovery document was requested.
    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::Relaxed)
    }

    fn find_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DevKey>> {
        self.state.keys().into_iter().find(|k| {
            kid.is_none_or(|kid| k.kid == kid) && k.default_alg().family() == alg.family()
        })
    }

    fn sign_with(
        &self,
        key: &DevKey,
        alg: Algorithm,
        header: &Value,
        claims: &Value,
    ) -> Option<String> {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.sign(alg, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// Builds a token minted by a [`DevIssuer`]. Created by [`DevIssuer::token`].
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a DevIssuer,
    claims: Map<String, Value>,
    kid: Option<String>,
    alg: Option<Algorithm>,
}

impl TokenBuilder<'_> {
    /// Sets `sub`.
    pub fn subject(self, subject: &str) -> Self {
        self.claim("sub", subject)
    }

    /// Adds a scope to the space-separated `scope` claim.
    pub fn scope(mut self, scope: &str) -> Self {
        let joined = match self.claims.get("scope").and_then(Value::as_str) {
            Some(existing) if !existing.is_empty() => format!("{existing} {scope}"),
            _ => scope.to_owned(),
        };
        self.claims.insert("scope".into(), json!(joined));
        self
    }

    /// Sets `exp` to now plus `ttl`.
    pub fn expires_in(self, ttl: Duration) -> Self {
        self.claim("exp", unix_now() + ttl.as_secs())
    }

    /// Sets any claim (replacing the default `iss`, `aud`, `exp`… if named).
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Signs with key `kid` instead of the first key.
    pub fn kid(mut self, kid: &str) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with `alg` (the key must be of its family).
    pub fn algorithm(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// The claims as they will be signed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Signs the token. Returns an empty string if no key fits the requested kid/algorithm.
    pub fn sign(self) -> String {
        self.try_sign().unwrap_or_default()
    }

    /// Signs the token, or `None` if no key fits the requested kid/algorithm.
    pub fn try_sign(self) -> Option<String> {
        let keys = self.issuer.state.keys();
        let key = match (&self.kid, self.alg) {
            (Some(kid), _) => keys.iter().find(|k| &k.kid == kid)?,
            (None, Some(alg)) => keys
                .iter()
                .find(|k| k.default_alg().family() == alg.family())?,
            (None, None) => keys.first()?,
        };
        let alg = self.alg.unwrap_or_else(|| key.default_alg());
        let header = json!({"alg": alg.as_str(), "typ": "JWT", "kid": key.kid});
        self.issuer
            .sign_with(key, alg, &header, &Value::Object(self.claims))
    }
}
