//! An API protected by an Auth0 tenant, configured from the environment:
//!
//! ```text
//! AUTH0_DOMAIN=my-tenant.eu.auth0.com   (required: the tenant or custom domain)
//! AUTH0_AUDIENCE=https://api.example.com (required: the API identifier)
//! AUTH0_JWKS_URL=https://…/jwks.json     (optional: default https://{domain}/.well-known/jwks.json)
//! ADDR=127.0.0.1:3000                    (optional)
//! cargo run --example auth0
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON, and `GET /admin` needs the
//! scope or RBAC permission `admin`.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::auth0::Auth0;
use tollgate::guard::{scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("auth0: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let domain = common::required("AUTH0_DOMAIN", "my-tenant.eu.auth0.com")?;
    let audience = common::required("AUTH0_AUDIENCE", "https://api.example.com")?;
    let addr = common::addr_from_env()?;
    let mut auth0 = Auth0::new(domain).audience(audience);
    if let Some(url) = common::optional("AUTH0_JWKS_URL") {
        auth0 = auth0.jwks_url(url);
    }
    let provider = auth0.build().await?;

    let listener = common::listen(addr).await?;
    println!(
        "auth0 listening on http://{} (issuer {}, JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.issuer(),
        provider.jwks_url(),
        provider.key_count()
    );
    axum::serve(listener, app(provider)).await?;
    Ok(())
}

fn app(provider: JwtProvider) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        // Auth0 RBAC `permissions` count as scopes.
        .route_layer(GuardLayer::new(scope("admin")));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard.
        .route_layer(AuthLayer::new(provider))
        .route("/public", get(public))
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
