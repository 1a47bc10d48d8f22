//! An API Gateway Lambda authorizer for any OIDC/JWKS issuer (feature `lambda`), configured
//! from the environment like `jwt_server`:
//!
//! ```text
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=my-api                      (required: accepted `aud` values, comma-separated)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_ALGORITHMS=RS256                     (optional: default all asymmetric algorithms)
//! TOLLGATE_JWKS_SEED=jwks.json                  (optional: a JWKS shipped with the function, the
//!                                                starting key set, so a cold start never waits)
//! AUTHORIZER_SCOPE=orders:read                  (optional: the scope a caller needs, else Deny)
//! AUTHORIZER_RESPONSE=simple|policy             (optional: HTTP API payload 2.0 answers; default simple)
//! ```
//!
//! It answers REST API TOKEN and REQUEST authorizer events and HTTP API (payload 1.0 and 2.0)
//! events: the exact error `Unauthorized` (401) for a missing or bad token, a Deny (403) for a
//! token without `AUTHORIZER_SCOPE`, an Allow with the principal in the context otherwise (see
//! `tollgate::lambda::authorizer`). Locally:
//!
//! ```text
//! cargo lambda watch --only-lambda-apis --invoke-port 9001 &      # the Lambda emulator
//! AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:9001/.rt AWS_LAMBDA_FUNCTION_NAME=lambda_authorizer \
//!   TOLLGATE_ISSUER=… TOLLGATE_AUDIENCE=… cargo run --features lambda --example lambda_authorizer
//! cargo lambda invoke --invoke-port 9001 --data-file token-event.json lambda_authorizer
//! ```
//!
//! A missing or wrong variable stops it with exit status 2 and a message naming the variable.

mod common;

use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::Value;
use tollgate::guard;
use tollgate::lambda::authorizer::Authorizer;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("lambda_authorizer: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let policy_responses = match common::optional("AUTHORIZER_RESPONSE").as_deref() {
        None | Some("simple") => false,
        Some("policy") => true,
        Some(other) => {
            return Err(format!(
                "AUTHORIZER_RESPONSE={other} is not a response kind; use simple or policy"
            )
            .into())
        }
    };
    let provider = common::seeded_provider_from_env().await?;

    let mut authorizer = Authorizer::new(provider);
    if let Some(scope) = common::optional("AUTHORIZER_SCOPE") {
        authorizer = authorizer.guard(guard::scope(scope));
    }
    if policy_responses {
        authorizer = authorizer.http_api_policy_responses();
    }

    common::lambda_environment()?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let authorizer = authorizer.clone();
        async move { authorizer.authorize(event.payload).await }
    }))
    .await
    .map_err(|e| e.to_string().into())
}
