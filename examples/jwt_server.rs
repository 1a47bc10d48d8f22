//! The quickstart's routes protected by any OIDC/JWKS issuer, configured from the environment:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api,other-api           (required: accepted `aud` values)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256,ES256               (optional: default all asymmetric algorithms)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example jwt_server
//! ```

mod common;

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
    let provider = common::provider_from_env().await?;

    common::serve_jwt("jwt_server", addr, provider, common::Admin::Scope).await
}
