//! One API, two kinds of callers: users with Cognito access tokens and machines with API keys.
//!
//! ```text
//! COGNITO_REGION, COGNITO_USER_POOL_ID, COGNITO_CLIENT_IDS, COGNITO_TOKEN_USE, COGNITO_JWKS_URL
//!                              (as in the cognito example)
//! API_KEYS_FILE=api-keys.txt   (required: as in the api_keys example)
//! ADDR=127.0.0.1:3000          (optional)
//! cargo run --example multi_provider
//! ```
//!
//! A bearer token goes to the Cognito pool (chosen by its `iss`; other issuers get 401 without
//! any network call), a key in `x-api-key` or `Authorization: ApiKey …` to the key file. `GET
//! /me` shows which provider accepted the request; `GET /admin` needs the Cognito group
//! `admin` or a key with the scope `admin`.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::api_key::ApiKeys;
use tollgate::guard::{any_of, group, scope, GuardLayer};
use tollgate::{AuthLayer, Principal, Providers};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("multi_provider: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let cognito = common::cognito_from_env()?;
    let file = common::required("API_KEYS_FILE", "api-keys.txt")?;
    let addr = common::addr_from_env()?;
    let keys = ApiKeys::builder().keys_from_file(&file).build()?;
    let cognito = cognito.build().await?;
    let issuer = cognito.issuer().to_owned();
    let providers = Providers::builder().jwt(cognito).api_keys(keys).build()?;

    let listener = common::listen(addr).await?;
    println!(
        "multi_provider listening on http://{} (Cognito {issuer}, API keys from {file})",
        listener.local_addr()?
    );
    axum::serve(listener, app(providers)).await?;
    Ok(())
}

fn app(providers: Providers) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        // A Cognito user in group `admin`, or an API key with scope `admin`.
        .route_layer(GuardLayer::new(any_of((group("admin"), scope("admin")))));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard.
        .route_layer(AuthLayer::new(providers))
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
