//! An API for AWS IAM callers: each request carries a presigned `sts:GetCallerIdentity`
//! credential (see `tollgate::aws_iam`), which the server replays to AWS STS to learn the
//! caller's ARN. Configured from the environment:
//!
//! ```text
//! IAM_REGION=eu-west-1                                  (required: the STS region)
//! IAM_SERVER_ID=orders-api                              (required: the audience clients sign)
//! IAM_STS_ENDPOINT=https://sts.eu-west-1.amazonaws.com/ (optional: default the region's endpoint)
//! IAM_ALLOWED_ARNS=arn:aws:iam::123456789012:role/*     (optional: comma-separated ARN patterns,
//!                                                        `*` any characters; default any caller)
//! IAM_ADMIN_ARNS=arn:aws:iam::123456789012:role/Admin*  (optional: who may call /admin; default nobody)
//! ADDR=127.0.0.1:3000                                   (optional)
//! cargo run --example iam_server
//! ```
//!
//! `GET /me` answers the principal as JSON; `GET /admin` only callers matching
//! `IAM_ADMIN_ARNS` (others get 403). A missing or wrong variable stops it with exit status 2
//! and a message naming the variable.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::aws_iam::{arn_matches, AwsIam};
use tollgate::{AuthLayer, GuardLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("iam_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let region = common::required("IAM_REGION", "eu-west-1")?;
    let server_id = common::required("IAM_SERVER_ID", "orders-api")?;
    let mut builder = AwsIam::builder(region, server_id);
    if let Some(endpoint) = common::optional("IAM_STS_ENDPOINT") {
        builder = builder.sts_endpoint(endpoint);
    }
    if let Some(raw) = common::optional("IAM_ALLOWED_ARNS") {
        builder = builder.allowed_arns(common::list(&raw));
    }
    let provider = builder.build().map_err(|e| {
        let message = e.to_string();
        let variable = if message.contains("region") {
            "IAM_REGION"
        } else if message.contains("server id") {
            "IAM_SERVER_ID"
        } else if message.contains("STS endpoint") {
            "IAM_STS_ENDPOINT"
        } else {
            "IAM_ALLOWED_ARNS"
        };
        format!("{variable}: {message}")
    })?;
    let admins: Vec<String> = common::optional("IAM_ADMIN_ARNS")
        .map(|raw| common::list(&raw).map(str::to_owned).collect())
        .unwrap_or_default();

    let listener = common::listen(addr).await?;
    println!(
        "iam_server listening on http://{} (STS {}, {} admin patterns)",
        listener.local_addr()?,
        provider.endpoint(),
        admins.len()
    );
    axum::serve(listener, app(provider, admins)).await?;
    Ok(())
}

fn app(provider: AwsIam, admins: Vec<String>) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(arn_matches(admins)));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // Added last, the AuthLayer runs before the guard; `route_layer` keeps 404s.
        .route_layer(AuthLayer::new(provider))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}
