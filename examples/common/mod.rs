//! The routes every example serves, and configuration from the environment.

mod env;

#[allow(unused_imports)] // each example uses some of these
pub(crate) use env::{
    addr_from_env, cognito_from_env, init_tracing, list, optional, provider_from_env, required,
};

use std::net::SocketAddr;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{any_of, group, scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal, Provider};

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
    let admin = Router::new().route("/admin", get(admin));
    let admin = match rule {
        Admin::Scope => admin.route_layer(GuardLayer::new(scope("admin"))),
        Admin::Group => admin.route_layer(GuardLayer::new(group("admin"))),
        Admin::GroupOrScope => {
            admin.route_layer(GuardLayer::new(any_of((group("admin"), scope("admin")))))
        }
    };
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

/// Serves [`app_with`] for a JWT `provider` on `addr`, after printing
/// `NAME listening on http://ADDR (issuer …, JWKS …, N keys loaded)`.
#[allow(dead_code)] // the examples with other providers print their own line
pub(crate) async fn serve_jwt(
    name: &str,
    addr: SocketAddr,
    provider: JwtProvider,
    rule: Admin,
) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))?;
    println!(
        "{name} listening on http://{} (issuer {}, JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.issuer(),
        provider.jwks_url(),
        provider.key_count()
    );
    axum::serve(listener, app_with(provider, rule)).await?;
    Ok(())
}
