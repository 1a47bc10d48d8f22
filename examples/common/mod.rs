//! Configuration from the environment, shared by the examples: reading and checking the
//! variables, and binding the listen address. Each example builds its own provider, layer and
//! routes.

#![allow(dead_code)] // each example uses some of these

use std::net::SocketAddr;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

use tollgate::cognito::{Cognito, TokenUse};
use tollgate::jwt::{Algorithm, JwtProvider, JwtProviderBuilder};

/// A required environment variable, or a message naming it with an example value.
pub(crate) fn required(name: &str, example: &str) -> Result<String, String> {
    optional(name).ok_or_else(|| format!("{name} is not set; for example {name}={example}"))
}

/// An optional environment variable (unset and blank are the same).
pub(crate) fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The items of a comma-separated list.
pub(crate) fn list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// A `JwtProvider` from `TOLLGATE_ISSUER`, `TOLLGATE_AUDIENCE`, `TOLLGATE_JWKS_URL` and
/// `TOLLGATE_ALGORITHMS`.
pub(crate) async fn provider_from_env() -> Result<JwtProvider, Box<dyn std::error::Error>> {
    Ok(builder_from_env(None)?.build().await?)
}

/// As [`provider_from_env`], with `TOLLGATE_AUDIENCE` optional: unset, the accepted audience is
/// `resource` alone (RFC 8707: tokens issued for this resource).
pub(crate) async fn provider_for_resource_from_env(
    resource: &str,
) -> Result<JwtProvider, Box<dyn std::error::Error>> {
    Ok(builder_from_env(Some(resource))?.build().await?)
}

/// As [`provider_from_env`], plus `TOLLGATE_JWKS_SEED`: a JWKS file used as the starting key
/// set, so a cold start verifies without waiting for the issuer.
pub(crate) async fn seeded_provider_from_env() -> Result<JwtProvider, Box<dyn std::error::Error>> {
    let builder = builder_from_env(None)?;
    let Some(path) = optional("TOLLGATE_JWKS_SEED") else {
        return Ok(builder.build().await?);
    };
    let seed =
        std::fs::read(&path).map_err(|e| format!("TOLLGATE_JWKS_SEED: cannot read {path}: {e}"))?;
    builder.jwks_seed(seed).build().await.map_err(|e| {
        let message = e.to_string();
        if message.contains("JWKS seed") {
            format!("TOLLGATE_JWKS_SEED ({path}): {message}").into()
        } else {
            e.into()
        }
    })
}

/// The `JwtProvider` settings the `TOLLGATE_*` variables name; `default_audience` stands in for
/// an unset `TOLLGATE_AUDIENCE`.
fn builder_from_env(default_audience: Option<&str>) -> Result<JwtProviderBuilder, String> {
    let issuer = required("TOLLGATE_ISSUER", "https://issuer.example.com/")?;
    let mut builder = match (optional("TOLLGATE_AUDIENCE"), default_audience) {
        (None, Some(default)) => JwtProvider::builder(issuer).audience(default),
        _ => {
            let audiences = required("TOLLGATE_AUDIENCE", "my-api")?;
            JwtProvider::builder(issuer).audiences(list(&audiences))
        }
    };
    if let Some(url) = optional("TOLLGATE_JWKS_URL") {
        builder = builder.jwks_url(url);
    }
    if let Some(raw) = optional("TOLLGATE_ALGORITHMS") {
        let algorithms = list(&raw)
            .map(str::parse::<Algorithm>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("TOLLGATE_ALGORITHMS: {e}"))?;
        builder = builder.algorithms(algorithms);
    }
    Ok(builder)
}

/// The variables the Lambda runtime sets, checked before `lambda_runtime` reads them (it panics
/// without them): outside Lambda, run the function under `cargo lambda watch`.
pub(crate) fn lambda_environment() -> Result<(), String> {
    for name in ["AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME"] {
        if optional(name).is_none() {
            return Err(format!(
                "{name} is not set: this is a Lambda function; deploy it, or run it locally under `cargo lambda watch`"
            ));
        }
    }
    Ok(())
}

/// The Cognito preset from the `COGNITO_*` variables.
pub(crate) fn cognito_from_env() -> Result<Cognito, String> {
    let region = required("COGNITO_REGION", "eu-west-1")?;
    let pool = required("COGNITO_USER_POOL_ID", "eu-west-1_AbCdEf123")?;
    let clients = required("COGNITO_CLIENT_IDS", "4t2dd3kq8vnbs1ea0m6mrsnu4i")?;
    let token_use: TokenUse = optional("COGNITO_TOKEN_USE")
        .as_deref()
        .unwrap_or("access")
        .parse()
        .map_err(|e| format!("COGNITO_TOKEN_USE: {e}"))?;
    let mut cognito = Cognito::new(region, pool)
        .client_ids(list(&clients))
        .token_use(token_use);
    if let Some(regions) = optional("COGNITO_ADDITIONAL_REGIONS") {
        cognito = cognito.additional_regions(list(&regions));
    }
    if let Some(url) = optional("COGNITO_JWKS_URL") {
        cognito = cognito.jwks_url(url);
    }
    Ok(cognito)
}

/// The listen address from `ADDR`, default 127.0.0.1:3000.
pub(crate) fn addr_from_env() -> Result<SocketAddr, String> {
    let raw = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    raw.parse()
        .map_err(|e| format!("ADDR `{raw}` is not a socket address like 127.0.0.1:3000: {e}"))
}

/// A listener on `addr` (from [`addr_from_env`]), or a message saying to change `ADDR`.
pub(crate) async fn listen(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))
}

/// With `METRICS_ADDR` set (e.g. `127.0.0.1:9090`), installs a Prometheus recorder for the
/// `metrics` facade and serves its text at `GET /metrics` on that address; prints
/// `metrics on http://ADDR/metrics`. Without it, nothing is installed and `Ok(None)`.
///
/// tollgate emits only when built with its `metrics` feature (`--features metrics`); without it
/// the page lists none of tollgate's metrics, and this says so on stderr. Any other exporter
/// (OpenTelemetry, StatsD, …) is installed the same way: tollgate only talks to the facade.
pub(crate) async fn serve_metrics_from_env() -> Result<Option<SocketAddr>, String> {
    let Some(raw) = optional("METRICS_ADDR") else {
        return Ok(None);
    };
    let addr: SocketAddr = raw.parse().map_err(|e| {
        format!("METRICS_ADDR `{raw}` is not a socket address like 127.0.0.1:9090: {e}")
    })?;
    if cfg!(not(feature = "metrics")) {
        eprintln!(
            "METRICS_ADDR is set but tollgate was built without its `metrics` feature: \
             /metrics lists none of its metrics (build with --features metrics)"
        );
    }
    // Buckets make the verification time a Prometheus histogram rather than a summary: from
    // 10 µs (an Ed25519 check) to 10 ms (far beyond any single signature).
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("tollgate_verification_duration_seconds".into()),
            &[1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2],
        )
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| format!("METRICS_ADDR: cannot install the Prometheus recorder: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("METRICS_ADDR: {e}"))?;
    // The recorder's upkeep (draining histogram samples) is the application's job.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || std::future::ready(handle.render())),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("metrics server stopped: {e}");
        }
    });
    println!("metrics on http://{addr}/metrics");
    Ok(Some(addr))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info,tollgate=debug`).
pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tollgate=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
