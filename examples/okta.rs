//! An API protected by an Okta authorization server, configured from the environment:
//!
//! ```text
//! OKTA_ISSUER=https://example.okta.com/oauth2/default (required: the exact `iss`)
//! OKTA_AUDIENCE=api://default                         (required)
//! OKTA_CLIENT_IDS=0oa1b2c3d4e5f6g7h8i9                (optional: allowed `cid`s, comma-separated)
//! OKTA_GROUPS_CLAIM=groups                            (optional: default groups)
//! OKTA_JWKS_URL=https://…/v1/keys                     (optional: OIDC discovery otherwise)
//! ADDR=127.0.0.1:3000                                 (optional)
//! cargo run --example okta
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON, and `GET /admin` needs the
//! scope `admin` (in `scp`).

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::okta::Okta;
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("okta: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let issuer = common::required("OKTA_ISSUER", "https://example.okta.com/oauth2/default")?;
    let audience = common::required("OKTA_AUDIENCE", "api://default")?;
    let addr = common::addr_from_env()?;
    let mut okta = Okta::new(issuer).audience(audience);
    if let Some(clients) = common::optional("OKTA_CLIENT_IDS") {
        for client in common::list(&clients) {
            okta = okta.client_id(client);
        }
    }
    if let Some(claim) = common::optional("OKTA_GROUPS_CLAIM") {
        okta = okta.groups_claim(claim);
    }
    if let Some(url) = common::optional("OKTA_JWKS_URL") {
        okta = okta.jwks_url(url);
    }
    let provider = okta.build().await?;

    let listener = common::listen(addr).await?;
    println!(
        "okta listening on http://{} (issuer {}, JWKS {}, {} keys loaded)",
        listener.local_addr()?,
        provider.issuer(),
        provider.jwks_url(),
        provider.key_count()
    );
    axum::serve(listener, app(provider)).await?;
    Ok(())
}

fn app(provider: JwtProvider) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(scope("admin")));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard.
        .route_layer(AuthLayer::new(provider))
        .route("/public", get(public))
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "anyone can read this" }))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}
