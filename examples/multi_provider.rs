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

use tollgate::api_key::ApiKeys;
use tollgate::Providers;

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

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))?;
    println!(
        "multi_provider listening on http://{} (Cognito {issuer}, API keys from {file})",
        listener.local_addr()?
    );
    axum::serve(
        listener,
        common::app_with(providers, common::Admin::GroupOrScope),
    )
    .await?;
    Ok(())
}
