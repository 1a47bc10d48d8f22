//! Shared test fixtures.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::{AuthLayer, Principal};

/// An issuer with one key of each type: `rsa`, `p256`, `p384`, `ed`.
pub(crate) async fn issuer_all_keys() -> DevIssuer {
    DevIssuer::builder()
        .key("rsa", DevKeyType::Rsa2048)
        .key("p256", DevKeyType::P256)
        .key("p384", DevKeyType::P384)
        .key("ed", DevKeyType::Ed25519)
        .start()
        .await
        .expect("start issuer")
}

/// A running axum server; stopped when dropped.
pub(crate) struct Server {
    pub(crate) base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Runs `serve` (a server already listening on `addr`) until the returned value is dropped.
    pub(crate) fn spawn(
        addr: SocketAddr,
        serve: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Self {
        Self {
            base: format!("http://{addr}"),
            task: tokio::spawn(serve),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn serve(app: Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        base: format!("http://{addr}"),
        task,
    }
}

/// `/me` returns the principal, `/open` needs nothing; `layer` guards `/me` only.
pub(crate) fn app(layer: AuthLayer) -> Router {
    Router::new()
        .route("/me", get(|p: Principal| async move { Json(p) }))
        .route_layer(layer)
        .route("/open", get(|| async { "open" }))
}

/// A response, reduced to what the tests look at.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub(crate) async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let www_authenticate = header("www-authenticate");
    let retry_after = header("retry-after");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Reply {
        status,
        www_authenticate,
        retry_after,
        body,
    }
}

/// GET `{base}/me` with `Authorization: Bearer {token}`.
pub(crate) async fn get_me(server: &Server, token: &str) -> Reply {
    send(
        client()
            .get(format!("{}/me", server.base))
            .header("authorization", format!("Bearer {token}")),
    )
    .await
}

pub(crate) const INVALID_TOKEN: &str =
    "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token is invalid\"";
pub(crate) const INVALID_REQUEST: &str =
    "Bearer realm=\"api\", error=\"invalid_request\", error_description=\"The request's credential could not be read\"";
pub(crate) const NO_CREDENTIAL: &str = "Bearer realm=\"api\"";

/// A stand-alone JWKS server whose responses the test controls, counting requests.
pub(crate) struct JwksServer {
    pub(crate) url: String,
    pub(crate) hits: Arc<AtomicUsize>,
    pub(crate) reply: Arc<Mutex<(u16, String)>>,
    _server: Server,
}

impl JwksServer {
    pub(crate) async fn start(status: u16, body: String) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let reply = Arc::new(Mutex::new((status, body)));
        let (h, r) = (hits.clone(), reply.clone());
        let app = Router::new().fallback(move || {
            let (h, r) = (h.clone(), r.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let (status, body) = r.lock().expect("lock").clone();
                (
                    axum::http::StatusCode::from_u16(status).expect("status"),
                    body,
                )
            }
        });
        let server = serve(app).await;
        Self {
            url: format!("{}/jwks", server.base),
            hits,
            reply,
            _server: server,
        }
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub(crate) fn set(&self, status: u16, body: String) {
        *self.reply.lock().expect("lock") = (status, body);
    }
}

/// The JWKS document for some of `issuer`'s keys.
pub(crate) fn jwks_of(issuer: &DevIssuer, kids: &[&str]) -> String {
    let keys: Vec<Value> = kids.iter().filter_map(|k| issuer.public_jwk(k)).collect();
    json!({ "keys": keys }).to_string()
}

/// Waits (bounded) until `check` holds.
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for: {what}");
}
