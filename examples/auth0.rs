//! An API protected by an Auth0 tenant, configured from the environment:
//!
//! ```text
//! AUTH0_DOMAIN=my-tenant.eu.auth0.com   (required: the tenant or custom domain)
//! AUTH0_AUDIENCE=https://api.example.com (required: the API identifier)
//! AUTH0_JWKS_URL=https://…/jwks.json     (optional: default https://{domain}/.well-known/jwks.json)
//! ADDR=127.0.0.1:3000                    (optional)
//! cargo run --example auth0
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal as JSON, and `GET /admin` needs the
//! scope or RBAC permission `admin`.

mod common;

use tollgate::auth0::Auth0;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("auth0: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let domain = common::required("AUTH0_DOMAIN", "my-tenant.eu.auth0.com")?;
    let audience = common::required("AUTH0_AUDIENCE", "https://api.example.com")?;
    let addr = common::addr_from_env()?;
    let mut auth0 = Auth0::new(domain).audience(audience);
    if let Some(url) = common::optional("AUTH0_JWKS_URL") {
        auth0 = auth0.jwks_url(url);
    }
    let provider = auth0.build().await?;

    common::serve_jwt("auth0", addr, provider, common::Admin::Scope).await
}
