//! The standard gRPC health service behind tollgate, configured from the environment like
//! `jwt_server`:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api,other-api           (required: accepted `aud` values)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256,ES256               (optional: default all asymmetric algorithms)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example grpc_server
//! ```
//!
//! `grpc.health.v1.Health/Check` needs any valid token; `Watch` also needs scope `admin`. Try
//! it with grpcurl and the health proto: `grpcurl -plaintext -H "authorization: Bearer $TOKEN"
//! 127.0.0.1:3000 grpc.health.v1.Health/Check`.

mod common;
mod grpc;

use tollgate::AuthLayer;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("grpc_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let provider = common::provider_from_env().await?;
    let listener = common::listen(addr).await?;
    println!(
        "grpc_server listening on http://{} (JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.jwks_url(),
        provider.key_count()
    );
    grpc::serve(listener, AuthLayer::new(provider)).await?;
    Ok(())
}
