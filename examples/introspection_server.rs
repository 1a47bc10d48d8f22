//! The quickstart's routes for *opaque* access tokens, checked by the issuer's token
//! introspection endpoint (RFC 7662), configured from the environment:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com    (required: the issuer, as its `iss` and for discovery)
//! TOLLGATE_CLIENT_ID=orders-api                 (required: this server's client at the issuer)
//! TOLLGATE_CLIENT_SECRET=…                      (required)
//! TOLLGATE_AUDIENCE=https://orders.example.com  (required: accepted `aud` values, comma-separated)
//! TOLLGATE_INTROSPECTION_URL=https://…/introspect (optional: discovery from the issuer otherwise)
//! TOLLGATE_INTROSPECTION_TTL=60                 (optional: seconds an active answer is trusted)
//! ADDR=127.0.0.1:3000                           (optional)
//! METRICS_ADDR=127.0.0.1:9090                   (optional: Prometheus text at GET /metrics)
//! cargo run --example introspection_server    (add --features metrics for tollgate's metrics)
//! ```
//!
//! `GET /me` answers the principal as JSON, and `GET /admin` needs the scope `admin`. A missing
//! or wrong variable stops it with exit status 2 and a message naming the variable.

mod common;

use std::time::Duration;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{scope, GuardLayer};
use tollgate::introspection::Introspection;
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("introspection_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    common::serve_metrics_from_env().await?;
    let provider = provider_from_env().await?;

    let listener = common::listen(addr).await?;
    println!(
        "introspection_server listening on http://{} (issuer {}, introspection endpoint {})",
        listener.local_addr()?,
        provider.issuer(),
        provider.endpoint()
    );
    axum::serve(listener, app(provider)).await?;
    Ok(())
}

async fn provider_from_env() -> Result<Introspection, Box<dyn std::error::Error>> {
    let issuer = common::required("TOLLGATE_ISSUER", "https://issuer.example.com")?;
    let client_id = common::required("TOLLGATE_CLIENT_ID", "orders-api")?;
    let secret = common::required("TOLLGATE_CLIENT_SECRET", "…")?;
    let audiences = common::required("TOLLGATE_AUDIENCE", "https://orders.example.com")?;
    let mut builder = Introspection::builder(issuer)
        .client(client_id, secret)
        .audiences(common::list(&audiences));
    if let Some(url) = common::optional("TOLLGATE_INTROSPECTION_URL") {
        builder = builder.endpoint(url);
    }
    if let Some(raw) = common::optional("TOLLGATE_INTROSPECTION_TTL") {
        let secs: u64 = raw.parse().map_err(|e| {
            format!("TOLLGATE_INTROSPECTION_TTL `{raw}` is not a number of seconds: {e}")
        })?;
        builder = builder.cache_ttl(Duration::from_secs(secs));
    }
    Ok(builder.build().await?)
}

fn app(provider: Introspection) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(scope("admin")));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard.
        .route_layer(AuthLayer::new(provider))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}
