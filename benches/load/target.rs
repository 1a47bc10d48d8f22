//! The server `scripts/load.sh` puts under load: one trivial handler served twice, so the only
//! difference between the two routes is the [`AuthLayer`].
//!
//! ```text
//! GET /open     "ok", no authentication (the baseline)
//! GET /authed   "ok" behind AuthLayer (route_layer), verified against an embedded DevIssuer
//! ```
//!
//! No configuration is needed; the environment tunes it:
//!
//! ```text
//! ADDR=127.0.0.1:0          listen address (default: an ephemeral loopback port)
//! WORKERS=2                 tokio worker threads (default: the CPUs this process may run on)
//! TOKENS_FILE=/tmp/tokens   where to write the tokens (default: stdout)
//! DISTINCT_TOKENS=10000     how many distinct tokens to mint for the cold path (default 10000)
//! TOLLGATE_TOKEN_CACHE=0    verified-token cache capacity per worker thread (0: off; default:
//!                           the library's default)
//! RUST_LOG=warn             tracing filter (default warn: a load test should not log per request)
//! cargo run --release --example load_target   (scripts/load.sh builds and runs it)
//! ```
//!
//! Before it listens, it writes the tokens, one per line: first the token to reuse on every
//! request (the warm path), then `DISTINCT_TOKENS` distinct ones (the cold path). All are RS256,
//! valid for 12 hours, and carry the claims of a Cognito-style access token (the shape of
//! `benches/verify.rs`), each with its own `jti`. Then it prints
//! `load_target listening on http://ADDR …`, which is the line to wait for.

use std::io::Write as _;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use axum::{routing::get, Router};
use tollgate::dev::DevIssuer;
use tollgate::AuthLayer;

const LIFETIME: Duration = Duration::from_secs(12 * 3600);

fn main() {
    if let Err(e) = run() {
        eprintln!("load_target: {e}");
        std::process::exit(2);
    }
}

/// The same handler behind both routes.
async fn ok() -> &'static str {
    "ok"
}

fn app(layer: AuthLayer) -> Router {
    let authed = Router::new().route("/authed", get(ok)).route_layer(layer);
    Router::new().route("/open", get(ok)).merge(authed)
}

/// The variable `name` parsed, or `None` when it is unset or empty.
fn env<T: std::str::FromStr>(name: &str, example: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => {
            raw.trim().parse().map(Some).map_err(|e| {
                format!("{name} `{raw}` is invalid ({e}); for example {name}={example}")
            })
        }
        _ => Ok(None),
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let addr = env("ADDR", "127.0.0.1:0")?.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    let cpus = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    let workers: NonZeroUsize = env("WORKERS", "2")?.unwrap_or(cpus);
    let distinct: usize = env("DISTINCT_TOKENS", "10000")?.unwrap_or(10_000);
    let token_cache: Option<usize> = env("TOLLGATE_TOKEN_CACHE", "0")?;
    let tokens_file = std::env::var_os("TOKENS_FILE").filter(|p| !p.is_empty());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.get())
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let issuer = DevIssuer::start().await?;
        let mut provider = issuer.provider();
        if let Some(capacity) = token_cache {
            provider = provider.token_cache(capacity);
        }
        let provider = provider.build().await?;

        let tokens = mint(&issuer, distinct, cpus.get());
        let mut out: Box<dyn std::io::Write> = match &tokens_file {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| format!("cannot write TOKENS_FILE {path:?}: {e}"))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        for token in &tokens {
            writeln!(out, "{token}")?;
        }
        out.flush()?;
        drop(out);

        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))?;
        println!(
            "load_target listening on http://{} (workers {}, token cache {}, {} tokens {})",
            listener.local_addr()?,
            workers,
            match token_cache {
                None => "default".to_owned(),
                Some(0) => "off".to_owned(),
                Some(n) => n.to_string(),
            },
            tokens.len(),
            match &tokens_file {
                Some(path) => format!("in {}", path.to_string_lossy()),
                None => "above".to_owned(),
            },
        );
        std::io::stdout().flush()?;

        axum::serve(listener, app(AuthLayer::new(provider))).await?;
        Ok(())
    })
}

/// The reused token, then `distinct` more, signed on `threads` threads (RSA signing dominates
/// start-up).
fn mint(issuer: &DevIssuer, distinct: usize, threads: usize) -> Vec<String> {
    let total = distinct + 1;
    let per_thread = total.div_ceil(threads.max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..total)
            .step_by(per_thread)
            .map(|start| {
                scope.spawn(move || {
                    (start..total.min(start + per_thread))
                        .map(|i| token(issuer, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A Cognito-shaped access token; `n` makes it distinct.
fn token(issuer: &DevIssuer, n: usize) -> String {
    issuer
        .token()
        .subject("2f0c8e7a-54b1-4c33-9f5a-1e2d3c4b5a69")
        .scope("openid")
        .scope("profile")
        .scope("orders/read")
        .claim("client_id", "4tq1q2ft0kq1example0abcd")
        .claim("token_use", "access")
        .claim("auth_time", 1_795_000_000u64)
        .claim("jti", format!("8f5ec6b2-0a3c-4f7e-9d2b-{n:012x}"))
        .claim("username", "alice")
        .claim("origin_jti", "1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6")
        .claim("event_id", "e1d2c3b4-a5f6-4789-8a9b-0c1d2e3f4a5b")
        .claim("version", 2)
        .expires_in(LIFETIME)
        .sign()
}
