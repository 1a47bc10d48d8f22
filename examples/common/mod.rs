//! The routes shared by the `quickstart` and `jwt_server` examples.

use std::net::SocketAddr;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{scope, GuardLayer};
use tollgate::{AuthLayer, Principal, Provider};

/// `GET /public` (no auth), `GET /me` (any valid token), `GET /admin` (scope `admin`).
pub(crate) fn app(provider: impl Provider) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(scope("admin")));
    let protected = Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only matched routes are authenticated (and guarded), so an unknown
        // path stays 404. The AuthLayer is added last, so it runs before the guard.
        .route_layer(AuthLayer::new(provider));
    Router::new().route("/public", get(public)).merge(protected)
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "anyone can read this" }))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}

/// The listen address from `ADDR`, default 127.0.0.1:3000.
pub(crate) fn addr_from_env() -> Result<SocketAddr, String> {
    let raw = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    raw.parse()
        .map_err(|e| format!("ADDR `{raw}` is not a socket address like 127.0.0.1:3000: {e}"))
}

pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tollgate=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
