//! A stand-in for an Application Load Balancer: P-256 keys served as PEM by a loopback key
//! server (counting requests per path), and tokens signed the way the ALB signs
//! `x-amzn-oidc-data`: padded base64url, `signer`/`client`/`iss`/`exp` in the header.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::support::{serve, Server};

pub(crate) const REGION: &str = "eu-west-1";
pub(crate) const SIGNER: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";
pub(crate) const CLIENT: &str = "4t2dd3kq8vnbs1ea0m6mrsnu4i";
pub(crate) const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123";

/// The DER prefix of a P-256 SubjectPublicKeyInfo, before the 65-byte point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A signing key of the load balancer, with its `kid`.
pub(crate) struct AlbKey {
    pair: EcdsaKeyPair,
    pub(crate) kid: String,
}

impl AlbKey {
    pub(crate) fn generate(kid: &str) -> Self {
        Self {
            pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key"),
            kid: kid.to_owned(),
        }
    }

    /// The public key as the ALB key endpoint serves it: a PEM SubjectPublicKeyInfo.
    pub(crate) fn pem(&self) -> String {
        let der = [&P256_SPKI_PREFIX[..], self.pair.public_key().as_ref()].concat();
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("ascii"))
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// A valid token's header (for `exp` seconds from now) and payload, to change and sign.
    pub(crate) fn claims(&self, subject: &str) -> (Value, Value) {
        let exp = now() + 120;
        let header = json!({
            "typ": "JWT",
            "kid": self.kid,
            "alg": "ES256",
            "iss": ISSUER,
            "client": CLIENT,
            "signer": SIGNER,
            "exp": exp,
        });
        let payload = json!({
            "sub": subject,
            "email": format!("{subject}@example.com"),
            "username": subject,
            "exp": exp,
            "iss": ISSUER,
        });
        (header, payload)
    }

    /// A valid token for `subject`.
    pub(crate) fn token(&self, subject: &str) -> String {
        let (header, payload) = self.claims(subject);
        self.sign(&header, &payload)
    }

    pub(crate) fn sign(&self, header: &Value, payload: &Value) -> String {
        self.sign_raw(&header.to_string(), &payload.to_string())
    }

    /// Signs exactly these JSON texts (duplicate members and all), as the ALB does: padded
    /// base64url segments, ES256 over `header.payload` as written.
    pub(crate) fn sign_raw(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", URL_SAFE.encode(header), URL_SAFE.encode(payload));
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .expect("sign");
        format!("{input}.{}", URL_SAFE.encode(signature.as_ref()))
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The loopback key endpoint: `GET /keys/{kid}` answers the PEM of a published key, 404 for
/// any other path, or `status` for everything while it is set. Counts requests per path.
pub(crate) struct KeyServer {
    /// The base URL to configure as `keys_url`.
    pub(crate) url: String,
    state: Arc<Mutex<KeyState>>,
    _server: Server,
}

#[derive(Default)]
struct KeyState {
    keys: HashMap<String, String>,
    hits: Vec<String>,
    status: Option<u16>,
    delay: Duration,
}

impl KeyServer {
    pub(crate) async fn start() -> Self {
        let state = Arc::new(Mutex::new(KeyState::default()));
        let shared = state.clone();
        let app = Router::new().fallback(move |uri: axum::http::Uri| {
            let state = shared.clone();
            async move {
                use axum::response::IntoResponse;
                let path = uri.path().to_owned();
                let (delay, status, body) = {
                    let mut s = state.lock().expect("lock");
                    s.hits.push(path.clone());
                    let pem = path
                        .strip_prefix("/keys/")
                        .and_then(|kid| s.keys.get(kid))
                        .cloned();
                    let (status, body) = match (s.status, pem) {
                        (Some(status), _) => (status, String::new()),
                        (None, Some(pem)) => (200, pem),
                        (None, None) => (404, String::new()),
                    };
                    (s.delay, status, body)
                };
                tokio::time::sleep(delay).await;
                (
                    axum::http::StatusCode::from_u16(status).expect("status"),
                    body,
                )
                    .into_response()
            }
        });
        let server = serve(app).await;
        Self {
            url: format!("{}/keys", server.base),
            state,
            _server: server,
        }
    }

    /// Serves `key`'s PEM at `/keys/{kid}`.
    pub(crate) fn publish(&self, key: &AlbKey) {
        self.publish_as(&key.kid, key);
    }

    /// Serves `key`'s PEM at `/keys/{kid}` whatever its own kid.
    pub(crate) fn publish_as(&self, kid: &str, key: &AlbKey) {
        let mut s = self.state.lock().expect("lock");
        s.keys.insert(kid.to_owned(), key.pem());
    }

    /// Answers every request with `status` (`None`: normally again).
    pub(crate) fn fail_with(&self, status: Option<u16>) {
        self.state.lock().expect("lock").status = status;
    }

    pub(crate) fn delay(&self, delay: Duration) {
        self.state.lock().expect("lock").delay = delay;
    }

    /// Every path requested, in order.
    pub(crate) fn hits(&self) -> Vec<String> {
        self.state.lock().expect("lock").hits.clone()
    }
}
