//! An MCP-shaped JSON-RPC endpoint protected as the MCP authorization specification asks
//! (2025-06-18, 2025-11-25), configured from the environment:
//!
//! ```text
//! TOLLGATE_RESOURCE=http://127.0.0.1:3000/mcp    (required: this endpoint's URL, its resource identifier)
//! TOLLGATE_ISSUER=https://issuer.example.com/   (required: the exact `iss` of your tokens)
//! TOLLGATE_AUDIENCE=…                          (optional: accepted `aud` values; default TOLLGATE_RESOURCE)
//! TOLLGATE_JWKS_URL=https://…/jwks.json         (optional: OIDC discovery from the issuer otherwise)
//! TOLLGATE_SCOPES_SUPPORTED=admin               (optional: advertised in the metadata)
//! ADDR=127.0.0.1:3000                           (optional)
//! cargo run --example mcp_server
//! ```
//!
//! - `GET /.well-known/oauth-protected-resource/mcp`: the RFC 9728 metadata, unauthenticated,
//!   naming TOLLGATE_ISSUER as the authorization server.
//! - `POST /mcp`: JSON-RPC 2.0 behind the `AuthLayer`. A request without a valid token for this
//!   resource gets 401 with `resource_metadata="…"` pointing to the metadata. Answers
//!   `initialize`, notifications (202), `tools/list`, and `tools/call` of `echo` (any valid
//!   token) and `admin_echo` (scope `admin`, else 403 `insufficient_scope` naming it).
//!
//! It is MCP-shaped, not a full Streamable HTTP transport: no sessions, no SSE streams. A
//! missing or wrong variable stops it with exit status 2 and a message naming the variable.

mod common;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{routing::post, Json, Router};
use serde_json::{json, Value};
use tollgate::guard::{self, Denied, Guard};
use tollgate::rejection::AuthRejection;
use tollgate::resource_metadata::ResourceMetadata;
use tollgate::{AuthLayer, Authorized, Principal};

/// The path this example serves; TOLLGATE_RESOURCE must name it.
const MCP_PATH: &str = "/mcp";

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("mcp_server: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let resource = common::required("TOLLGATE_RESOURCE", "http://127.0.0.1:3000/mcp")?;
    let issuer = common::required("TOLLGATE_ISSUER", "https://issuer.example.com/")?;
    let metadata = metadata(&resource, &issuer)?;
    let provider = common::provider_for_resource_from_env(&resource).await?;
    let auth = AuthLayer::builder(provider)
        .resource_metadata(&metadata)
        .build()?;

    let listener = common::listen(addr).await?;
    println!(
        "mcp_server listening on http://{} (resource {}, metadata {})",
        listener.local_addr()?,
        metadata.resource(),
        metadata.metadata_url()
    );
    let app = Router::new()
        .route(MCP_PATH, post(mcp))
        .route_layer(auth)
        // After the route_layer: clients read the metadata before they have a token.
        .route_service(metadata.well_known_path(), metadata.service());
    axum::serve(listener, app).await?;
    Ok(())
}

/// The RFC 9728 document, each mistake reported under the variable that caused it.
fn metadata(resource: &str, issuer: &str) -> Result<ResourceMetadata, String> {
    let mut builder = ResourceMetadata::builder(resource)
        .authorization_server(issuer)
        .resource_name("tollgate MCP example");
    if let Some(raw) = common::optional("TOLLGATE_SCOPES_SUPPORTED") {
        builder = builder.scopes_supported(common::list(&raw));
    }
    let metadata = builder.build().map_err(|e| {
        let message = e.to_string();
        let variable = if message.starts_with("resource") {
            "TOLLGATE_RESOURCE"
        } else if message.starts_with("authorization server") {
            "TOLLGATE_ISSUER"
        } else {
            "TOLLGATE_SCOPES_SUPPORTED"
        };
        format!("{variable}: {message}")
    })?;
    if metadata.well_known_path() != format!("/.well-known/oauth-protected-resource{MCP_PATH}") {
        return Err(format!(
            "TOLLGATE_RESOURCE {resource:?} must be this server's {MCP_PATH} endpoint, e.g. http://127.0.0.1:3000{MCP_PATH}"
        ));
    }
    Ok(metadata)
}

/// The `admin_echo` tool's requirement.
#[derive(Default)]
struct Admin;

impl Guard for Admin {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        guard::scope("admin").check(principal)
    }
}

/// One JSON-RPC message. `admin` is the guard's verdict, taken as a `Result` so only
/// `admin_echo` depends on it; its rejection is the layer's own 403 (realm, responder and
/// `resource_metadata` included).
async fn mcp(admin: Result<Authorized<Admin>, AuthRejection>, body: Bytes) -> Response {
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(error(Value::Null, -32700, "Parse error")),
        )
            .into_response();
    };
    let Some(id) = message.get("id").cloned() else {
        // A notification (`notifications/initialized`, …): accepted, no answer.
        return StatusCode::ACCEPTED.into_response();
    };
    let method = message.get("method").and_then(Value::as_str).unwrap_or("");
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => json!({
            "protocolVersion": "2025-11-25",
            "capabilities": { "tools": {} },
            "serverInfo": { "name": "tollgate-mcp-example", "version": env!("CARGO_PKG_VERSION") },
        }),
        "tools/list" => {
            json!({ "tools": [tool("echo", "Echoes the text."), tool("admin_echo", "Echoes the text; needs the scope `admin`.")] })
        }
        "tools/call" => {
            let text = params["arguments"]["text"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            match params["name"].as_str() {
                Some("echo") => echo(text),
                Some("admin_echo") => match admin {
                    Ok(_) => echo(text),
                    Err(rejection) => return rejection.into_response(),
                },
                _ => return Json(error(id, -32602, "Unknown tool")).into_response(),
            }
        }
        _ => return Json(error(id, -32601, "Method not found")).into_response(),
    };
    Json(json!({ "jsonrpc": "2.0", "id": id, "result": result })).into_response()
}

fn tool(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": { "text": { "type": "string" } },
            "required": ["text"],
        },
    })
}

fn echo(text: String) -> Value {
    json!({ "content": [{ "type": "text", "text": text }] })
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}
