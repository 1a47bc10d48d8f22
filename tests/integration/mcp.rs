//! MCP authorization (RFC 9728 metadata, RFC 8707 audience, `resource_metadata` challenges):
//! the `mcp_server` example walked as an MCP client walks it, then the library pieces through a
//! real axum server.

use std::process::Command;

use axum::{routing::get, Router};
use serde_json::{json, Value};
use tollgate::dev::DevIssuer;
use tollgate::guard::{group, scope, GuardLayer};
use tollgate::jwt::JwtProvider;
use tollgate::resource_metadata::ResourceMetadata;
use tollgate::{AuthLayer, Authorized, Principal};

use crate::examples::{base_url, example, start};
use crate::support::*;

/// `resource_metadata="…"` from a challenge.
fn metadata_param(challenge: &str) -> Option<&str> {
    let start = challenge.find("resource_metadata=\"")? + "resource_metadata=\"".len();
    let len = challenge[start..].find('"')?;
    Some(&challenge[start..start + len])
}

/// A free loopback port: the resource URL names the port, so it is chosen before the example
/// starts.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn rpc(id: u64, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

// Multi-threaded: the test thread blocks reading the child's output while the issuer, on this
// runtime, answers the child's discovery and JWKS requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_client_discovers_the_issuer_and_calls_tools_on_the_example() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let port = free_port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let addr = format!("127.0.0.1:{port}");
    let env = [
        ("ADDR", addr.as_str()),
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_RESOURCE", resource.as_str()),
        ("TOLLGATE_SCOPES_SUPPORTED", "admin"),
    ];
    let (_running, lines) = start("mcp_server", &env, |lines| !lines.is_empty());
    assert_eq!(base_url(&lines), format!("http://{addr}"), "{lines:?}");
    let c = client();
    let post = |token: Option<&str>, body: Value| {
        let request = c.post(&resource).json(&body);
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    };
    let initialize = rpc(1, "initialize", json!({ "protocolVersion": "2025-11-25" }));

    // 1. No token: 401 pointing to the metadata.
    let denied = send(post(None, initialize.clone())).await;
    assert_eq!(denied.status, 401);
    let challenge = denied.www_authenticate.expect("challenge");
    let metadata_url = metadata_param(&challenge)
        .expect("resource_metadata")
        .to_owned();
    assert_eq!(
        metadata_url,
        format!("http://{addr}/.well-known/oauth-protected-resource/mcp")
    );

    // 2. The metadata names this resource and the issuer, without a token.
    let metadata = send(c.get(&metadata_url)).await;
    assert_eq!(metadata.status, 200);
    let metadata_len = metadata.body.len();
    let metadata = metadata.json();
    assert_eq!(metadata["resource"], resource.as_str());
    assert_eq!(metadata["authorization_servers"], json!([issuer.issuer()]));
    assert_eq!(metadata["scopes_supported"], json!(["admin"]));
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    let head = c.head(&metadata_url).send().await.expect("HEAD");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert_eq!(head.headers()["cache-control"], "max-age=3600");
    assert_eq!(
        head.headers()["content-length"],
        metadata_len.to_string().as_str()
    );
    assert_eq!(send(c.post(&metadata_url)).await.status, 405);

    // 3. The authorization server's discovery document.
    let server = metadata["authorization_servers"][0]
        .as_str()
        .expect("issuer");
    let discovery = send(c.get(format!("{server}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery.status, 200);
    assert_eq!(discovery.json()["issuer"], server);

    // 4. A token issued for this resource (RFC 8707 `aud`).
    let token = issuer.token().claim("aud", resource.as_str()).sign();
    let init = send(post(Some(&token), initialize.clone())).await;
    assert_eq!(init.status, 200, "{}", init.body);
    assert_eq!(init.json()["result"]["protocolVersion"], "2025-11-25");
    let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
    let accepted = send(post(Some(&token), initialized)).await;
    assert_eq!(accepted.status, 202);
    assert!(accepted.body.is_empty());
    let list = send(post(Some(&token), rpc(2, "tools/list", json!({})))).await;
    assert_eq!(list.status, 200);
    let tools = list.json()["result"]["tools"].clone();
    assert_eq!(tools[0]["name"], "echo");
    assert_eq!(tools[1]["name"], "admin_echo");
    assert_eq!(tools[1]["inputSchema"]["type"], "object");
    let call = |name: &str| {
        rpc(
            3,
            "tools/call",
            json!({ "name": name, "arguments": { "text": "hi" } }),
        )
    };
    let echoed = send(post(Some(&token), call("echo"))).await;
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.json()["result"]["content"][0]["text"], "hi");

    // 5. admin_echo without the scope: 403 insufficient_scope naming it and the metadata.
    let forbidden = send(post(Some(&token), call("admin_echo"))).await;
    assert_eq!(forbidden.status, 403);
    let challenge = forbidden.www_authenticate.expect("challenge");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"admin\""), "{challenge}");
    assert_eq!(metadata_param(&challenge), Some(metadata_url.as_str()));
    let admin = issuer
        .token()
        .claim("aud", resource.as_str())
        .scope("admin")
        .sign();
    let allowed = send(post(Some(&admin), call("admin_echo"))).await;
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.json()["result"]["content"][0]["text"], "hi");

    let unknown = send(post(Some(&token), rpc(4, "resources/list", json!({})))).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json()["error"]["code"], -32601);

    // 6. A token for another audience (the issuer's default) is not for this resource.
    let other = issuer.token().sign();
    let refused = send(post(Some(&other), call("echo"))).await;
    assert_eq!(refused.status, 401);
    let challenge = refused.www_authenticate.expect("challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(metadata_param(&challenge), Some(metadata_url.as_str()));
}

/// Exit code and stderr of `mcp_server` started with only `env` (plus a loopback `ADDR`).
fn refused(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(example("mcp_server"));
    for var in [
        "TOLLGATE_RESOURCE",
        "TOLLGATE_ISSUER",
        "TOLLGATE_AUDIENCE",
        "TOLLGATE_JWKS_URL",
        "TOLLGATE_SCOPES_SUPPORTED",
    ] {
        command.env_remove(var);
    }
    command.env("ADDR", "127.0.0.1:0");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run mcp_server");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn mcp_server_refuses_bad_configuration_naming_the_variable() {
    let issuer = ("TOLLGATE_ISSUER", "https://issuer.example.com");
    for (env, variable, says) in [
        (vec![issuer], "TOLLGATE_RESOURCE", "is not set"),
        (
            vec![issuer, ("TOLLGATE_RESOURCE", "not a url")],
            "TOLLGATE_RESOURCE",
            "not an absolute URL",
        ),
        (
            vec![issuer, ("TOLLGATE_RESOURCE", "http://api.example.com/mcp")],
            "TOLLGATE_RESOURCE",
            "loopback",
        ),
        (
            vec![issuer, ("TOLLGATE_RESOURCE", "http://127.0.0.1:3000/other")],
            "TOLLGATE_RESOURCE",
            "/mcp endpoint",
        ),
        (
            vec![
                ("TOLLGATE_ISSUER", "ftp://issuer"),
                ("TOLLGATE_RESOURCE", "http://127.0.0.1:3000/mcp"),
            ],
            "TOLLGATE_ISSUER",
            "authorization server",
        ),
        (
            vec![
                issuer,
                ("TOLLGATE_RESOURCE", "http://127.0.0.1:3000/mcp"),
                ("TOLLGATE_SCOPES_SUPPORTED", "a\"b"),
            ],
            "TOLLGATE_SCOPES_SUPPORTED",
            "scope",
        ),
    ] {
        let (code, stderr) = refused(&env);
        assert_eq!(code, Some(2), "{env:?}: {stderr}");
        assert!(
            stderr.contains(variable) && stderr.contains(says),
            "{env:?}: {stderr}"
        );
    }
}

const RESOURCE: &str = "https://api.example.com/mcp";
const METADATA_URL: &str = "https://api.example.com/.well-known/oauth-protected-resource/mcp";

/// A layer for `issuer` accepting tokens for [`RESOURCE`] only, pointing to its metadata when
/// `with_metadata`.
async fn resource_layer(issuer: &DevIssuer, with_metadata: bool) -> AuthLayer {
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(RESOURCE)
        .build()
        .await
        .expect("provider");
    let metadata = ResourceMetadata::builder(RESOURCE)
        .authorization_server(issuer.issuer())
        .build()
        .expect("metadata");
    let builder = AuthLayer::builder(provider);
    let builder = if with_metadata {
        builder.resource_metadata(&metadata)
    } else {
        builder
    };
    builder.build().expect("layer")
}

#[derive(Default)]
struct Admin;

impl tollgate::Guard for Admin {
    fn check(&self, principal: &Principal) -> Result<(), tollgate::guard::Denied> {
        scope("admin").check(principal)
    }
}

/// `/me` (any token), `/admin` (GuardLayer, scope `admin`), `/ops` (GuardLayer, group `ops`),
/// `/handler` (the `Authorized<Admin>` extractor).
fn mcp_app(auth: AuthLayer) -> Router {
    let admin = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(scope("admin")));
    let ops = Router::new()
        .route("/ops", get(|| async { "ops" }))
        .route_layer(GuardLayer::new(group("ops")));
    Router::new()
        .merge(admin)
        .merge(ops)
        .route("/me", get(|_: Principal| async { "me" }))
        .route("/handler", get(|_: Authorized<Admin>| async { "handler" }))
        .route_layer(auth)
}

#[tokio::test]
async fn mcp_audience_is_the_resource_url_compared_exactly() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let server = serve(mcp_app(resource_layer(&issuer, true).await)).await;
    let with_aud = |aud: Value| issuer.token().claim("aud", aud).sign();
    assert_eq!(
        get_me(&server, &with_aud(json!(RESOURCE))).await.status,
        200
    );
    assert_eq!(
        get_me(
            &server,
            &with_aud(json!(["https://other.example.com", RESOURCE]))
        )
        .await
        .status,
        200
    );
    for aud in [
        "https://api.example.com/mcp/",
        "https://API.example.com/mcp",
        "https://api.example.com/mcp?x",
        "https://api.example.com",
        "https://api.example.com/",
        "https://api.example.com/mcp#x",
        "https://api.example.com:443/mcp",
        "http://api.example.com/mcp",
        "https://api.example.com/MCP",
        "https://api.example.com/mcp/tools",
        "tollgate-dev",
    ] {
        let reply = get_me(&server, &with_aud(json!(aud))).await;
        assert_eq!(reply.status, 401, "aud {aud} must be refused");
        let challenge = reply.www_authenticate.unwrap_or_default();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert_eq!(metadata_param(&challenge), Some(METADATA_URL), "{aud}");
    }
}

#[tokio::test]
async fn mcp_guards_and_extractors_name_the_metadata_in_their_challenges() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let server = serve(mcp_app(resource_layer(&issuer, true).await)).await;
    let token = issuer.token().claim("aud", RESOURCE).sign();
    let get = |path: &str, token: Option<&str>| {
        let request = client().get(format!("{}{path}", server.base));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    };
    let expected_scope = format!(
        "Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"The access token lacks a required scope\", scope=\"admin\", resource_metadata=\"{METADATA_URL}\""
    );
    for path in ["/admin", "/handler"] {
        let reply = send(get(path, Some(&token))).await;
        assert_eq!(reply.status, 403, "{path}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(&*expected_scope),
            "{path}"
        );
    }
    let missing = send(get("/me", None)).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.www_authenticate.as_deref(),
        Some(&*format!(
            "Bearer realm=\"api\", resource_metadata=\"{METADATA_URL}\""
        ))
    );
    // A plain 403 (not a scope) stays without a challenge: RFC 6750 defines none, MCP asks
    // for one on insufficient_scope only.
    let ops = send(get("/ops", Some(&token))).await;
    assert_eq!(ops.status, 403);
    assert_eq!(ops.www_authenticate, None);
}

#[tokio::test]
async fn mcp_challenges_are_unchanged_without_metadata() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let server = serve(mcp_app(resource_layer(&issuer, false).await)).await;
    let token = issuer.token().claim("aud", RESOURCE).sign();
    let missing = send(client().get(format!("{}/me", server.base))).await;
    assert_eq!(missing.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
    assert_eq!(
        get_me(&server, &issuer.token().sign())
            .await
            .www_authenticate
            .as_deref(),
        Some(INVALID_TOKEN)
    );
    let admin = send(
        client()
            .get(format!("{}/admin", server.base))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(
        admin.www_authenticate.as_deref(),
        Some("Bearer realm=\"api\", error=\"insufficient_scope\", error_description=\"The access token lacks a required scope\", scope=\"admin\"")
    );
}

#[tokio::test]
async fn mcp_layer_refuses_a_metadata_url_that_cannot_be_a_challenge_parameter() {
    let issuer = DevIssuer::start().await.expect("issuer");
    for url in ["/relative", "https://api.example.com/\"quoted\"", ""] {
        let provider = issuer.provider().build().await.expect("provider");
        let error = AuthLayer::builder(provider)
            .resource_metadata_url(url)
            .build()
            .expect_err(url)
            .to_string();
        assert!(error.contains("resource_metadata URL"), "{error}");
    }
}
