//! A plain hyper 1.x service (through hyper-util) behind tollgate, configured from the
//! environment like `jwt_server`:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api,other-api           (required: accepted `aud` values)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256,ES256               (optional: default all asymmetric algorithms)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example hyper_server
//! ```
//!
//! `GET /me` needs any valid token, `GET /admin` also scope `admin`.

mod common;
mod plain_hyper;

use tollgate::AuthLayer;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("hyper_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let provider = common::provider_from_env().await?;
    let listener = common::listen(addr).await?;
    println!(
        "hyper_server listening on http://{} (JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.jwks_url(),
        provider.key_count()
    );
    plain_hyper::serve(listener, AuthLayer::new(provider)).await?;
    Ok(())
}
