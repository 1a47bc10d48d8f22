//! Zero-configuration tour: `cargo run --example quickstart`.
//!
//! Starts an embedded development issuer (a fresh RSA key pair, its discovery document and
//! JWKS served on an ephemeral loopback port), protects an axum app with a `JwtProvider` that
//! discovers that issuer exactly as it would a real one, prints two tokens and the curl
//! commands to try, and serves on 127.0.0.1:3000 (`ADDR` overrides).

mod common;

use std::io::Write as _;
use std::time::Duration;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::dev::DevIssuer;
use tollgate::guard::{scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("quickstart: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;

    let issuer = DevIssuer::start().await?;
    let provider = issuer.provider().build().await?;
    let user = issuer
        .token()
        .subject("alice")
        .expires_in(Duration::from_secs(3600))
        .sign();
    let admin = issuer
        .token()
        .subject("root")
        .scope("admin")
        .expires_in(Duration::from_secs(3600))
        .sign();

    let listener = common::listen(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);

    let mut out = std::io::stdout().lock();
    writeln!(out, "tollgate quickstart listening on {base}")?;
    writeln!(
        out,
        "development issuer: {} (JWKS {})",
        issuer.issuer(),
        issuer.jwks_url()
    )?;
    writeln!(out)?;
    writeln!(out, "USER_TOKEN={user}")?;
    writeln!(out, "ADMIN_TOKEN={admin}")?;
    writeln!(out)?;
    writeln!(out, "Try (tokens are valid for one hour):")?;
    writeln!(
        out,
        "  curl -i {base}/public                                       # 200, no token needed"
    )?;
    writeln!(
        out,
        "  curl -i {base}/me                                           # 401, no token"
    )?;
    writeln!(
        out,
        "  curl -i -H \"Authorization: Bearer {user}\" {base}/me      # 200, the principal"
    )?;
    writeln!(
        out,
        "  curl -i -H \"Authorization: Bearer {user}\" {base}/admin   # 403, scope admin missing"
    )?;
    writeln!(
        out,
        "  curl -i -H \"Authorization: Bearer {admin}\" {base}/admin  # 200"
    )?;
    writeln!(
        out,
        "  curl -i -H \"Authorization: Bearer not.a.token\" {base}/me   # 401 invalid_token"
    )?;
    out.flush()?;
    drop(out);

    axum::serve(listener, app(provider)).await?;
    Ok(())
}

/// `GET /public` for anyone, `GET /me` for any valid token, `GET /admin` for scope `admin`.
fn app(provider: JwtProvider) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
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
