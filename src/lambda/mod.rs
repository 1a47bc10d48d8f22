//! AWS Lambda (feature `lambda`): behind API Gateway or a Function URL, admit the identity the
//! gateway already verified, with [`GatewayIdentity`] and
//! [`AuthLayerBuilder::trust_gateway`](crate::auth::AuthLayerBuilder::trust_gateway); and
//! [`authorizer`], an API Gateway Lambda authorizer built from any provider.
//!
//! When an API Gateway authorizer (JWT, Cognito user pool, Lambda, IAM) or a Function URL's IAM
//! authorization has checked the caller, the function receives the result in the event's
//! `requestContext`, not as a token it could verify again. `lambda_http` turns the event into an
//! `http::Request` and stores that context in the request's extensions as
//! [`lambda_http::request::RequestContext`]; a layer built with `trust_gateway` reads it there
//! and admits the request with the [`Principal`](crate::Principal) it describes. When the
//! context carries no identity (no authorizer, or not on Lambda at all), the request is
//! authenticated as without `trust_gateway`: by the layer's provider, from its credential (the
//! "either" mode), and without one it gets the usual 401.
//!
//! # The trust boundary
//!
//! The identity is read **only** from the request context `lambda_http` built from the Lambda
//! event, never from a header: no HTTP client can forge it, since API Gateway writes the context
//! itself and an `x-amzn-…` or authorizer-looking header is just a header. But the event is
//! whatever the invoker sends: **anyone allowed `lambda:InvokeFunction` on the function can
//! invoke it directly with any request context, and so act as any user.** Trusting the gateway is
//! right only when nothing but the gateway may invoke the function (its resource policy names the
//! API, and no role you do not control holds `lambda:InvokeFunction` on it); that is why it is an
//! explicit choice. Without `trust_gateway`, a layer never looks at the request context.
//!
//! # What each identity becomes
//!
//! | Gateway identity | [`provider`](crate::Principal::provider) | subject | scopes, groups |
//! |---|---|---|---|
//! | HTTP API JWT authorizer (`authorizer.jwt`) | `gateway-jwt` | `sub` | `jwt.scopes`, else `scope`/`scp`; `groups`, `cognito:groups` |
//! | REST Cognito user-pool authorizer (`authorizer.claims`) | `gateway-cognito` | `sub` | `scope`/`scp`; `groups`, `cognito:groups` |
//! | Lambda authorizer (REST: flattened into `authorizer`, needs `principalId`; HTTP API: `authorizer.lambda`) | `gateway-lambda` | `principalId`, else `sub` | from the context's `scope`, `groups`, … |
//! | IAM (REST `identity`; HTTP API and Function URL `authorizer.iam`) | `gateway-iam` | the Cognito identity-pool identity id, else the caller's ARN | none |
//! | API key the gateway validated (REST `identity.apiKeyId`) | `gateway-api-key` | the key's id | none |
//!
//! The claims are the authorizer's claims or context. API Gateway forwards every JWT claim as a
//! string (`"[admin ops]"` for an array, `"1700000000"` for a number); tollgate reads them back:
//! a value in square brackets becomes the list of its space-separated items, `exp`, `iat`,
//! `nbf` and `auth_time` numbers, `email_verified` and `phone_number_verified` booleans, so
//! guards and typed claims read the same whether the gateway or tollgate verified the token.
//! An IAM principal's claims are the identity's fields (`userArn`, `accountId`, `accessKey`,
//! `caller`, the Cognito identity-pool fields); an API key's principal holds the key's id only,
//! never the key. ALB requests carry no identity in their context: the `x-amzn-oidc-*` headers
//! an ALB with OIDC authentication adds are headers like any other and are not read.
//!
//! # Example
//!
//! Tokens verified by tollgate's provider, or identities verified by the gateway:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use axum::{routing::get, Router};
//! use tollgate::{lambda::GatewayIdentity, jwt::JwtProvider, AuthLayer, Principal};
//!
//! let provider = JwtProvider::builder("https://issuer.example.com").audience("my-api").build().await?;
//! let layer = AuthLayer::builder(provider)
//!     .trust_gateway(GatewayIdentity::new())
//!     .build()?;
//! let app = Router::new()
//!     .route("/me", get(|principal: Principal| async move { axum::Json(principal) }))
//!     .layer(layer);
//! lambda_http::run(app).await?;
//! # Ok(()) }
//! ```
//!
//! A test feeds an event through `lambda_http`'s own parsing; here an HTTP API JWT authorizer
//! verified a Cognito user in the group `admin`:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{routing::get, Router};
//! use tower::ServiceExt;
//! use tollgate::{api_key::{ApiKey, ApiKeys}, guard, lambda::GatewayIdentity, AuthLayer, GuardLayer};
//!
//! # let hash = "sha256:5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99";
//! let keys = ApiKeys::builder().key(ApiKey::from_hash("ci", hash)?).build()?;
//! let app = Router::new()
//!     .route("/admin", get(|| async { "hello, admin" }))
//!     .route_layer(GuardLayer::new(guard::group("admin")))
//!     .layer(AuthLayer::builder(keys).trust_gateway(GatewayIdentity::new()).build()?);
//!
//! let event = r#"{
//!     "version": "2.0", "routeKey": "GET /admin", "rawPath": "/admin", "rawQueryString": "",
//!     "headers": {"host": "api.example.com"},
//!     "requestContext": {
//!         "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
//!         "http": {"method": "GET", "path": "/admin", "protocol": "HTTP/1.1",
//!                  "sourceIp": "192.0.2.1", "userAgent": "curl"},
//!         "requestId": "id", "routeKey": "GET /admin", "stage": "$default",
//!         "time": "01/Jan/2030:00:00:00 +0000", "timeEpoch": 1893456000000,
//!         "authorizer": {"jwt": {"claims": {"sub": "alice", "cognito:groups": "[admin ops]"},
//!                                "scopes": null}}
//!     },
//!     "isBase64Encoded": false
//! }"#;
//! let response = app.oneshot(lambda_http::request::from_str(event)?).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(()) }
//! ```

pub mod authorizer;
mod claims;
mod http_api;
mod identity;
mod rest;

pub use identity::GatewayIdentity;
