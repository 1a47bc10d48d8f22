//! An API protected by an Amazon Cognito user pool, configured from the environment:
//!
//! ```text
//! COGNITO_REGION=eu-west-1                      (required)
//! COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123      (required)
//! COGNITO_CLIENT_IDS=4t2dd3kq8vnbs1ea0m6mrsnu4i (required: accepted app clients, comma-separated)
//! COGNITO_TOKEN_USE=access                      (optional: access, id or any; default access)
//! COGNITO_ADDITIONAL_REGIONS=us-west-2          (optional: regions the pool is replicated to)
//! COGNITO_JWKS_URL=http://127.0.0.1:5000/eu-west-1_AbCdEf123/.well-known/jwks.json
//!                                               (optional: for local emulators such as moto)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example cognito
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON for any accepted token, and
//! `GET /admin` needs the Cognito group `admin`.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::cognito::CognitoPool;
use tollgate::guard::{group, GuardLayer};
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("cognito: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let cognito = common::cognito_from_env()?;
    let addr = common::addr_from_env()?;
    let provider = cognito.build().await?;

    let listener = common::listen(addr).await?;
    println!(
        "cognito listening on http://{} (issuers {}, {} keys loaded)",
        listener.local_addr()?,
        provider.issuers().collect::<Vec<_>>().join(" "),
        provider.key_count()
    );
    axum::serve(listener, app(provider)).await?;
    Ok(())
}

fn app(provider: CognitoPool) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(group("admin")));
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
