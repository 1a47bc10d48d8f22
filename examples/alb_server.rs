//! Users an AWS Application Load Balancer authenticated (OIDC or Cognito at the listener),
//! verified from the `x-amzn-oidc-data` header it signs, configured from the environment:
//!
//! ```text
//! ALB_REGION=eu-west-1                                  (required: the load balancers' region)
//! ALB_ARNS=arn:aws:elasticloadbalancing:eu-west-1:…     (required: comma-separated signer ARNs)
//! ALB_KEYS_URL=http://127.0.0.1:9000/keys               (optional: keys are fetched as
//!                                                         {ALB_KEYS_URL}/{kid}; default the
//!                                                         region's public-keys.auth.elb endpoint)
//! ADDR=127.0.0.1:3000                                   (optional)
//! cargo run --example alb_server
//! ```
//!
//! `GET /me` answers the principal as JSON; `GET /admin` needs the group `admin` (from
//! `cognito:groups` or `groups` in the claims the ALB forwards) or the scope `admin`. A missing
//! or wrong variable stops it with exit status 2 and a message naming the variable.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::alb::Alb;
use tollgate::guard::{any_of, group, scope, GuardLayer};
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("alb_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let alb = alb_from_env()?;

    let listener = common::listen(addr).await?;
    println!(
        "alb_server listening on http://{} (keys from {})",
        listener.local_addr()?,
        alb.keys_url()
    );
    axum::serve(listener, app(alb)).await?;
    Ok(())
}

/// The provider from `ALB_REGION`, `ALB_ARNS` and `ALB_KEYS_URL`; each error names its variable.
fn alb_from_env() -> Result<Alb, String> {
    let region = common::required("ALB_REGION", "eu-west-1")?;
    let arns = common::required(
        "ALB_ARNS",
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188",
    )?;
    let mut builder = Alb::builder(region).signers(common::list(&arns));
    let keys_url = common::optional("ALB_KEYS_URL");
    if let Some(url) = &keys_url {
        builder = builder.keys_url(url);
    }
    builder.build().map_err(|e| {
        let message = e.to_string();
        let variable = if message.contains("region") && !message.contains("signer") {
            "ALB_REGION"
        } else if message.contains("keys URL") {
            "ALB_KEYS_URL"
        } else {
            "ALB_ARNS"
        };
        format!("{variable}: {message}")
    })
}

fn app(alb: Alb) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(any_of((group("admin"), scope("admin")))));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard. It reads `x-amzn-oidc-data`.
        .route_layer(AuthLayer::new(alb))
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}

async fn admin(principal: Principal) -> Json<Value> {
    Json(json!({ "message": "welcome, admin", "subject": principal.subject() }))
}
