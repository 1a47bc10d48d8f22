//! The loopback HTTP server: the discovery document and the JWKS, and the state both are served
//! from (the key ring, plus the faults and counters [`DangerousDevIssuer`] reads and sets).
//!
//! [`DangerousDevIssuer`]: super::DangerousDevIssuer

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;

use super::keys::KeyRing;

/// What the server serves, shared with the [`DevIssuer`](super::DevIssuer) that owns it.
pub(super) struct State {
    pub(super) issuer: String,
    pub(super) audience: String,
    pub(super) keys: KeyRing,
    /// A JWKS document served instead of the keys' own, for rotation and failure tests.
    jwks_override: Mutex<Option<(u16, String)>>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    /// How long the JWKS endpoint waits before answering.
    jwks_delay: Mutex<Duration>,
}

impl State {
    pub(super) fn new(issuer: String, audience: String, keys: KeyRing) -> Self {
        Self {
            issuer,
            audience,
            keys,
            jwks_override: Mutex::new(None),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            jwks_delay: Mutex::new(Duration::ZERO),
        }
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
        let keys = self.keys.published_jwks();
        (200, json!({ "keys": keys }).to_string())
    }

    /// Serves `(status, body)` at the JWKS URL instead of the key ring's keys (`None`: the keys
    /// again).
    pub(super) fn override_jwks(&self, response: Option<(u16, String)>) {
        *self
            .jwks_override
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = response;
    }

    fn jwks_delay(&self) -> Duration {
        *self
            .jwks_delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn set_jwks_delay(&self, delay: Duration) {
        *self
            .jwks_delay
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    pub(super) fn jwks_fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::Relaxed)
    }

    pub(super) fn discovery_fetches(&self) -> usize {
        self.discovery_fetches.load(Ordering::Relaxed)
    }
}

/// Serves `state` on `listener` until the returned guard is dropped.
pub(super) fn spawn(listener: tokio::net::TcpListener, state: Arc<State>) -> ServerGuard {
    ServerGuard(tokio::spawn(serve(listener, state)).abort_handle())
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
                        tokio::time::sleep(state.jwks_delay()).await;
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

/// Stops the server (and its connections) when dropped.
pub(super) struct ServerGuard(tokio::task::AbortHandle);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}
