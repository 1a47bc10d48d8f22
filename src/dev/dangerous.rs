//! [`DangerousDevIssuer`]: the hooks that make a [`DevIssuer`] misbehave on purpose.

use std::time::Duration;

use serde_json::Value;

use super::DevIssuer;
use crate::jwt::Algorithm;

/// Fault injection and inspection for a [`DevIssuer`], returned by [`DevIssuer::dangerous`].
///
/// These hooks exist to test how a verifier behaves when the issuer misbehaves: a JWKS endpoint
/// that fails, stalls or serves garbage, a key signing tokens it no longer publishes, tokens with
/// hostile headers or malformed segments under a valid signature, and counters of how often the
/// verifier came back for keys. None of them is needed to use the issuer: starting it, building a
/// provider, minting tokens and rotating keys are all on [`DevIssuer`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tollgate::dev::DevIssuer;
///
/// let issuer = DevIssuer::start().await?;
/// let provider = issuer.provider().build().await?;
/// assert_eq!(issuer.dangerous().jwks_fetches(), 1);
///
/// // A token naming a key the issuer never published is refused.
/// let claims = serde_json::Value::Object(issuer.token().claims().clone());
/// let header = serde_json::json!({"alg": "RS256", "kid": "no-such-key"});
/// let token = issuer.dangerous().sign_raw(&header, &claims).expect("an RSA key signs it");
/// assert!(provider.verify(&token).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct DangerousDevIssuer<'a> {
    issuer: &'a DevIssuer,
}

impl<'a> DangerousDevIssuer<'a> {
    pub(super) fn new(issuer: &'a DevIssuer) -> Self {
        Self { issuer }
    }

    /// Signs `claims` under an arbitrary `header` — for tests of hostile headers. The header's
    /// `alg` picks the algorithm; the key is the one whose kid the header names, or else the
    /// first key of the algorithm's type (so a header may name a kid the issuer never had).
    /// Returns `None` if no key fits.
    pub fn sign_raw(&self, header: &Value, claims: &Value) -> Option<String> {
        let alg: Algorithm = header.get("alg")?.as_str()?.parse().ok()?;
        let kid = header.get("kid").and_then(Value::as_str);
        let keys = &self.issuer.state.keys;
        let key = keys.find(kid, alg).or_else(|| keys.find(None, alg))?;
        key.sign_json(alg, header, claims)
    }

    /// Signs the bytes `header_b64.payload_b64` with key `kid` and returns the complete token,
    /// whatever the segments contain — for tests of malformed tokens with valid signatures.
    /// Returns `None` if the issuer has no key `kid` of `alg`'s type.
    pub fn sign_segments(
        &self,
        kid: &str,
        alg: Algorithm,
        header_b64: &str,
        payload_b64: &str,
    ) -> Option<String> {
        let key = self.issuer.state.keys.find(Some(kid), alg)?;
        key.sign_segments(alg, header_b64, payload_b64)
    }

    /// The private key `kid` as PKCS#8 DER, for tools that sign by themselves.
    pub fn private_key_pkcs8(&self, kid: &str) -> Option<Vec<u8>> {
        self.issuer.state.keys.get(kid)?.pkcs8().ok()
    }

    /// Stops publishing key `kid`; it can still sign, so its tokens now name a kid the JWKS lacks.
    pub fn unpublish(&self, kid: &str) {
        self.issuer.state.keys.unpublish(kid);
    }

    /// Serves `body` with `status` at the JWKS URL instead of the real key set, until
    /// [`serve_real_jwks`](Self::serve_real_jwks).
    pub fn serve_jwks_body(&self, status: u16, body: impl Into<String>) {
        self.issuer.state.override_jwks(Some((status, body.into())));
    }

    /// Serves the issuer's own keys again.
    pub fn serve_real_jwks(&self) {
        self.issuer.state.override_jwks(None);
    }

    /// Makes the JWKS endpoint wait `delay` before each answer (a slow issuer).
    pub fn set_jwks_delay(&self, delay: Duration) {
        self.issuer.state.set_jwks_delay(delay);
    }

    /// How many times the JWKS was requested.
    pub fn jwks_fetches(&self) -> usize {
        self.issuer.state.jwks_fetches()
    }

    /// How many times the discovery document was requested.
    pub fn discovery_fetches(&self) -> usize {
        self.issuer.state.discovery_fetches()
    }
}
