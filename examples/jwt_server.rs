//! The quickstart's routes protected by any OIDC/JWKS issuer, configured from the environment:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api,other-api           (required: accepted `aud` values)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256,ES256               (optional: default all asymmetric algorithms)
//! ADDR=127.0.0.1:3000                           (optional)
//! METRICS_ADDR=127.0.0.1:9090                   (optional: Prometheus text at GET /metrics)
//! cargo run --example jwt_server              (add --features metrics for tollgate's metrics)
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON, and `GET /admin` needs the
//! scope `admin`. A missing or wrong variable stops it with exit status 2 and a message naming
//! the variable.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("jwt_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    common::serve_metrics_from_env().await?;
    let provider = common::provider_from_env().await?;

    let listener = common::listen(addr).await?;
    println!(
        "jwt_server listening on http://{} (issuer {}, JWKS {}, {} keys loaded)",
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
