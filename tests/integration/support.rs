//! Shared test fixtures.

use std::net::SocketAddr;
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

/// A stand-alone JWKS server whose responses the test controls: status, body, extra headers,
/// an `ETag` it honours (answering 304 to a matching `If-None-Match`), and a delay. It counts
/// requests, conditional requests and 304s.
pub(crate) struct JwksServer {
    pub(crate) url: String,
    state: Arc<Mutex<JwksState>>,
    _server: Server,
}

#[derive(Default)]
struct JwksState {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
    etag: Option<String>,
    delay: Duration,
    hits: usize,
    conditional: usize,
    not_modified: usize,
}

impl JwksServer {
    pub(crate) async fn start(status: u16, body: String) -> Self {
        let state = Arc::new(Mutex::new(JwksState {
            status,
            body,
            ..JwksState::default()
        }));
        let shared = state.clone();
        let app = Router::new().fallback(move |headers: axum::http::HeaderMap| {
            let state = shared.clone();
            async move { JwksServer::answer(&state, &headers).await }
        });
        let server = serve(app).await;
        Self {
            url: format!("{}/jwks", server.base),
            state,
            _server: server,
        }
    }

    async fn answer(
        state: &Mutex<JwksState>,
        request: &axum::http::HeaderMap,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let if_none_match = request
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (delay, response) = {
            let mut s = state.lock().expect("lock");
            s.hits += 1;
            s.conditional += usize::from(if_none_match.is_some());
            let matches = s.etag.is_some() && if_none_match == s.etag;
            s.not_modified += usize::from(matches);
            let status = if matches { 304 } else { s.status };
            let body = if matches {
                String::new()
            } else {
                s.body.clone()
            };
            let mut response = (
                axum::http::StatusCode::from_u16(status).expect("status"),
                body,
            )
                .into_response();
            let etag = s.etag.clone().map(|e| ("etag".to_owned(), e));
            for (name, value) in s.headers.iter().chain(etag.iter()) {
                response.headers_mut().append(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                    axum::http::HeaderValue::from_str(value).expect("value"),
                );
            }
            (s.delay, response)
        };
        tokio::time::sleep(delay).await;
        response
    }

    fn state(&self) -> std::sync::MutexGuard<'_, JwksState> {
        self.state.lock().expect("lock")
    }

    pub(crate) fn hits(&self) -> usize {
        self.state().hits
    }

    /// Requests that carried `If-None-Match`.
    pub(crate) fn conditional_hits(&self) -> usize {
        self.state().conditional
    }

    /// Requests answered 304.
    pub(crate) fn not_modified(&self) -> usize {
        self.state().not_modified
    }

    pub(crate) fn set(&self, status: u16, body: String) {
        let mut s = self.state();
        s.status = status;
        s.body = body;
    }

    /// Extra headers on every response (e.g. `cache-control`).
    pub(crate) fn set_headers(&self, headers: &[(&str, &str)]) {
        self.state().headers = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
    }

    /// The `ETag` sent with every response; a request whose `If-None-Match` equals it gets 304.
    pub(crate) fn set_etag(&self, etag: Option<&str>) {
        self.state().etag = etag.map(str::to_owned);
    }

    /// How long each response is held back.
    pub(crate) fn set_delay(&self, delay: Duration) {
        self.state().delay = delay;
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
