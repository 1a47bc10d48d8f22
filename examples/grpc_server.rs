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
//! `grpc.health.v1.Health/Check` needs any valid token; `Watch` also needs scope `admin`. With
//! grpcurl: `grpcurl -plaintext -H "authorization: Bearer $TOKEN" 127.0.0.1:3000
//! grpc.health.v1.Health/Check` (the server has no reflection service, so give grpcurl the
//! `health.proto`).

mod grpc;

use std::net::SocketAddr;

use tollgate::jwt::{Algorithm, JwtProvider};
use tollgate::AuthLayer;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("grpc_server: {e}");
        std::process::exit(2);
    }
}

fn required(name: &str, example: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(format!("{name} is not set; for example {name}={example}")),
    }
}

fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let issuer = required("TOLLGATE_ISSUER", "https://issuer.example.com/")?;
    let audiences = required("TOLLGATE_AUDIENCE", "my-api")?;
    let addr = addr_from_env()?;

    let mut builder = JwtProvider::builder(issuer).audiences(list(&audiences));
    if let Ok(url) = std::env::var("TOLLGATE_JWKS_URL") {
        if !url.trim().is_empty() {
            builder = builder.jwks_url(url.trim());
        }
    }
    if let Ok(raw) = std::env::var("TOLLGATE_ALGORITHMS") {
        let algorithms = list(&raw)
            .map(str::parse::<Algorithm>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("TOLLGATE_ALGORITHMS: {e}"))?;
        builder = builder.algorithms(algorithms);
    }
    let provider = builder.build().await?;

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))?;
    println!(
        "grpc_server listening on http://{} (JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.jwks_url(),
        provider.key_count()
    );
    grpc::serve(listener, AuthLayer::new(provider)).await?;
    Ok(())
}

/// The listen address from `ADDR`, default 127.0.0.1:3000.
fn addr_from_env() -> Result<SocketAddr, String> {
    let raw = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    raw.parse()
        .map_err(|e| format!("ADDR `{raw}` is not a socket address like 127.0.0.1:3000: {e}"))
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tollgate=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
