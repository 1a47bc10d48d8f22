//! The routes and configuration helpers shared by the examples.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::{AuthError, AuthLayer, Principal, Provider};

/// Who may call `GET /admin`.
#[derive(Clone, Copy)]
#[allow(dead_code)] // each example uses one rule
pub(crate) enum Admin {
    /// Scope `admin` (403 `insufficient_scope` otherwise).
    Scope,
    /// Group `admin` (Cognito's `cognito:groups`).
    Group,
    /// Group `admin` or scope `admin` (a Cognito user, or an API key with scope `admin`).
    GroupOrScope,
}

/// `GET /public` (no auth), `GET /me` (any valid token), `GET /admin` (scope `admin`).
#[allow(dead_code)] // the preset examples call `app_with`
pub(crate) fn app(provider: impl Provider) -> Router {
    app_with(provider, Admin::Scope)
}

/// `GET /public` (no auth), `GET /me` (any valid credential), `GET /admin` (per `rule`).
pub(crate) fn app_with(provider: impl Provider, rule: Admin) -> Router {
    let protected = Router::new()
        .route("/me", get(me))
        .route(
            "/admin",
            get(move |principal: Principal| async move { admin(principal, rule) }),
        )
        // `route_layer`: only matched routes are authenticated, so an unknown path stays 404.
        .route_layer(AuthLayer::new(provider));
    Router::new().route("/public", get(public)).merge(protected)
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "anyone can read this" }))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

fn admin(principal: Principal, rule: Admin) -> Response {
    // Plain checks; per-route guards will make this declarative.
    let allowed = match rule {
        Admin::Scope => principal.has_scope("admin"),
        Admin::Group => principal.in_group("admin"),
        Admin::GroupOrScope => principal.in_group("admin") || principal.has_scope("admin"),
    };
    if allowed {
        return Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
            .into_response();
    }
    match rule {
        Admin::Scope => AuthError::insufficient_scope("admin").into_response(),
        Admin::Group | Admin::GroupOrScope => (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "forbidden", "message": "group admin required" })),
        )
            .into_response(),
    }
}

/// A required environment variable, or a message naming it with an example value.
#[allow(dead_code)] // not every example reads configuration
pub(crate) fn required(name: &str, example: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(format!("{name} is not set; for example {name}={example}")),
    }
}

/// An optional environment variable (unset and blank are the same).
#[allow(dead_code)] // not every example reads configuration
pub(crate) fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The items of a comma-separated list.
#[allow(dead_code)] // not every example reads configuration
pub(crate) fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
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
