//! The quickstart's routes as an AWS Lambda function behind API Gateway or a Function URL
//! (feature `lambda`), configured from the environment like `jwt_server`:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api                      (required: accepted `aud` values, comma-separated)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256                     (optional: default all asymmetric algorithms)
//! TOLLGATE_JWKS_SEED=jwks.json                  (optional: a JWKS shipped with the function, the
//!                                                starting key set, so a cold start never waits)
//! TOLLGATE_TRUST_GATEWAY=1                      (optional: admit an identity an API Gateway
//!                                                authorizer verified, else verify the token)
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON, and `GET /admin` needs the
//! scope `admin` or the group `admin`. The same axum router and `AuthLayer` as on a server run
//! under `lambda_http::run`. REST API events are routed by their path without the stage
//! (`/me`, not `/prod/me`): `main` sets `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH=true` unless the
//! function's configuration sets it. Locally:
//!
//! ```text
//! cargo lambda watch --only-lambda-apis --invoke-port 9001 &      # the Lambda emulator
//! AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:9001/.rt AWS_LAMBDA_FUNCTION_NAME=lambda_api \
//!   TOLLGATE_ISSUER=… TOLLGATE_AUDIENCE=… cargo run --features lambda --example lambda_api
//! cargo lambda invoke --invoke-port 9001 --data-file function-url-event.json lambda_api
//! ```
//!
//! A missing or wrong variable stops it with exit status 2 and a message naming the variable.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{any_of, group, scope, GuardLayer};
use tollgate::lambda::GatewayIdentity;
use tollgate::{AuthLayer, Principal};

fn main() {
    // Before any thread starts: lambda_http reads it for each REST event.
    if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none() {
        std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("lambda_api: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let trust_gateway = match common::optional("TOLLGATE_TRUST_GATEWAY").as_deref() {
        None => false,
        Some("1") => true,
        Some(other) => {
            return Err(format!(
                "TOLLGATE_TRUST_GATEWAY={other} is not understood; set it to 1 to trust the gateway's identities, or leave it unset"
            )
            .into())
        }
    };
    let provider = common::seeded_provider_from_env().await?;
    let mut layer = AuthLayer::builder(provider);
    if trust_gateway {
        layer = layer.trust_gateway(GatewayIdentity::new());
    }
    let layer = layer.build()?;

    common::lambda_environment()?;
    lambda_http::run(app(layer))
        .await
        .map_err(|e| e.to_string().into())
}

fn app(layer: AuthLayer) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(any_of((scope("admin"), group("admin")))));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        .route_layer(layer)
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
