//! One replica of a fleet that shares API keys and JWT revocations through PostgreSQL
//! (`tollgate::postgres`); manage them with `api_keys_admin`. Configured from the environment:
//!
//! ```text
//! DATABASE_URL=postgres://tollgate@127.0.0.1:5432/tollgate   (required; run `api_keys_admin migrate` once)
//! MAX_STALENESS=30                          (optional: seconds a replica cut off from PostgreSQL
//!                                            keeps answering from its cache before 503; default 30)
//! TOLLGATE_ISSUER=https://issuer.example.com/   (optional: also accept bearer JWTs from this issuer,
//! TOLLGATE_AUDIENCE=my-api                       checked against the revocation list; both or neither)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example api_keys_server
//! ```
//!
//! `GET /me` answers the principal as JSON and `GET /admin` needs the scope `admin`, for a key
//! sent as `x-api-key: <key>` or `Authorization: ApiKey <key>` (or a JWT as
//! `Authorization: Bearer`). `GET /health` (open) says how long ago the replica was last in
//! sync with PostgreSQL. The replica starts even while PostgreSQL is down, answering 503 until
//! it is back. A missing or wrong variable stops it with exit status 2 naming the variable.

mod common;

use std::time::Duration;

use axum::extract::State;
use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::api_key::ApiKeys;
use tollgate::guard::{scope, GuardLayer};
use tollgate::postgres::{PostgresSettings, PostgresStore};
use tollgate::revocation::CheckRevocation;
use tollgate::{AuthLayer, Principal, Providers};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("api_keys_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let url = common::required(
        "DATABASE_URL",
        "postgres://tollgate@127.0.0.1:5432/tollgate",
    )?;
    let settings = PostgresSettings::from_url(&url).map_err(|e| format!("DATABASE_URL: {e}"))?;
    let max_staleness = match common::optional("MAX_STALENESS") {
        None => Duration::from_secs(30),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|&s| s > 0)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("MAX_STALENESS: {raw:?} is not a positive number of seconds"))?,
    };
    let store = PostgresStore::builder(settings)
        .max_staleness(max_staleness)
        .start()?;
    let keys = ApiKeys::builder().store(store.keys()).build()?;
    let mut providers = Providers::builder().api_keys(keys);
    let jwt = match (
        common::optional("TOLLGATE_ISSUER"),
        common::optional("TOLLGATE_AUDIENCE"),
    ) {
        (None, None) => None,
        (Some(_), None) => {
            return Err("TOLLGATE_AUDIENCE is not set, but TOLLGATE_ISSUER is".into())
        }
        (None, Some(_)) => {
            return Err("TOLLGATE_ISSUER is not set, but TOLLGATE_AUDIENCE is".into())
        }
        (Some(_), Some(_)) => Some(common::provider_from_env().await?),
    };
    if let Some(jwt) = &jwt {
        let issuer = jwt.issuer().to_owned();
        providers = providers.issuer(
            issuer,
            CheckRevocation::new(jwt.clone(), store.revocations()),
        );
    }
    let providers = providers.build()?;

    let listener = common::listen(addr).await?;
    println!(
        "api_keys_server listening on http://{} (keys and revocations from PostgreSQL, max staleness {}s{})",
        listener.local_addr()?,
        max_staleness.as_secs(),
        jwt.as_ref()
            .map(|j| format!(", JWTs from {}", j.issuer()))
            .unwrap_or_default()
    );
    axum::serve(listener, app(providers, store)).await?;
    Ok(())
}

fn app(providers: Providers, store: PostgresStore) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(scope("admin")));
    let protected = Router::new()
        .route("/me", get(me))
        .merge(admin)
        // Added last, the AuthLayer runs before the guard; `route_layer` keeps 404s.
        .route_layer(AuthLayer::new(providers));
    Router::new()
        .route("/health", get(health))
        .with_state(store)
        .merge(protected)
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}

async fn health(State(store): State<PostgresStore>) -> Json<Value> {
    let staleness = store.staleness().map(|d| d.as_millis());
    Json(json!({ "in_sync": staleness.is_some(), "staleness_ms": staleness }))
}
