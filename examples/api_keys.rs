//! An API for machine clients, protected by hashed API keys.
//!
//! ```text
//! cargo run --example api_keys -- generate ci-deploy admin,deploy >> api-keys.txt.out
//!     prints a new v2 key `tgk2_<id>_<secret>_<checksum>` (give it to the client, once), its
//!     public id, and the key-file line holding its owner, hash and id
//!
//! API_KEYS_FILE=api-keys.txt   (required: the key file, see tollgate::api_key)
//! API_KEY_HEADER=x-api-key     (optional: default x-api-key; `Authorization: ApiKey …` also works)
//! ADDR=127.0.0.1:3000          (optional)
//! cargo run --example api_keys
//! ```
//!
//! `GET /public` is open, `GET /me` answers the principal (the key's owner, id and scopes, never
//! the key) as JSON, and `GET /admin` needs a key with the scope `admin`.

mod common;

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};
use tollgate::api_key::ApiKeys;
use tollgate::guard::{scope, GuardLayer};
use tollgate::{AuthLayer, Principal};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(&args[1..]),
        Some(other) => Err(format!(
            "unknown command `{other}`; run without arguments to serve, or `generate [ID] [SCOPES]`"
        )
        .into()),
        None => serve().await,
    };
    if let Err(e) = result {
        eprintln!("api_keys: {e}");
        std::process::exit(2);
    }
}

/// Prints a new v2 key, its id, and the key-file line with its owner, hash and id.
fn generate(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let id = args.first().map_or("my-client", String::as_str);
    let scopes: Vec<&str> = args
        .get(1)
        .map(|s| common::list(s).collect())
        .unwrap_or_default();
    let key = ApiKeys::generate()?;
    // Validate the owner now rather than when the server reads the file.
    let _checked = key.stored_key(id)?;
    eprintln!("# Give API_KEY to the client once; store only KEY_FILE_LINE (the hash and id).");
    println!("API_KEY={}", key.secret());
    println!("KEY_ID={}", key.key_id());
    println!("KEY_FILE_LINE={}", key.file_line(id, &scopes));
    Ok(())
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let file = common::required("API_KEYS_FILE", "api-keys.txt")?;
    let addr = common::addr_from_env()?;
    let mut keys = ApiKeys::builder().keys_from_file(&file);
    if let Some(header) = common::optional("API_KEY_HEADER") {
        let name = header
            .parse()
            .map_err(|e| format!("API_KEY_HEADER `{header}` is not a header name: {e}"))?;
        keys = keys.header(name);
    }
    let keys = keys.build()?;

    let listener = common::listen(addr).await?;
    println!(
        "api_keys listening on http://{} ({} keys from {file})",
        listener.local_addr()?,
        keys.key_ids().count()
    );
    axum::serve(listener, app(keys)).await?;
    Ok(())
}

fn app(keys: ApiKeys) -> Router {
    let admin = Router::new()
        .route("/admin", get(admin))
        .route_layer(GuardLayer::new(scope("admin")));
    Router::new()
        .route("/me", get(me))
        .merge(admin)
        // `route_layer`: only these routes are authenticated, so an unknown path stays 404.
        // Added last, the AuthLayer runs before the guard.
        .route_layer(AuthLayer::new(keys))
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
