//! An API protected by an Amazon Cognito user pool, configured from the environment:
//!
//! ```text
//! COGNITO_REGION=eu-west-1                      (required)
//! COGNITO_USER_POOL_ID=eu-west-1_AbCdEf123      (required)
//! COGNITO_CLIENT_IDS=4t2dd3kq8vnbs1ea0m6mrsnu4i (required: accepted app clients, comma-separated)
//! COGNITO_TOKEN_USE=access                      (optional: access, id or any; default access)
//! COGNITO_JWKS_URL=http://127.0.0.1:5000/eu-west-1_AbCdEf123/.well-known/jwks.json
//!                                               (optional: for local emulators such as moto)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example cognito
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON for any accepted token, and
//! `GET /admin` needs the Cognito group `admin`.

mod common;

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

    common::serve_jwt("cognito", addr, provider, common::Admin::Group).await
}
