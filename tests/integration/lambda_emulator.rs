//! The `lambda_authorizer` example as a real Lambda function: the prebuilt example binary runs
//! against cargo-lambda's emulator of the Lambda Runtime API (`cargo lambda watch
//! --only-lambda-apis`, installed into `.interop/` by `scripts/interop-setup.sh`), and each
//! event goes through the emulator's Invoke API, as API Gateway's call would. Tokens come from
//! the development issuer, whose JWKS is also the function's seed.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tollgate::dev::DevIssuer;

use crate::examples::example;
use crate::interop::{free_port, installed, root, Spawned};
use crate::support::*;

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders";

fn cargo_lambda() -> PathBuf {
    root().join(".interop/cargo-lambda/bin/cargo-lambda")
}

/// The emulator and the function running against it; both are killed when dropped.
struct Function {
    invoke: String,
    _emulator: Spawned,
    _function: Spawned,
    _anchor: TempDir,
}

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Function {
    /// Starts the emulator on a free port, then the example binary with the environment the
    /// Lambda service sets plus `vars`, and waits until the emulator accepts connections.
    async fn start(example_name: &str, vars: &[(&str, String)]) -> Self {
        // `cargo lambda watch` runs inside a Cargo package with a binary target, even when it
        // builds nothing (`--only-lambda-apis`).
        let anchor = std::env::temp_dir().join(format!(
            "tollgate-lambda-anchor-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(anchor.join("src")).expect("anchor dir");
        std::fs::write(
            anchor.join("Cargo.toml"),
            "[package]\nname = \"anchor\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
        )
        .expect("anchor manifest");
        std::fs::write(anchor.join("src/main.rs"), "fn main() {}\n").expect("anchor main");
        let anchor = TempDir(anchor);

        let port = free_port();
        let emulator = Command::new(cargo_lambda())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(&anchor.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn cargo lambda watch");
        let mut emulator = Spawned {
            child: emulator,
            what: "cargo lambda watch",
        };
        let base = format!("http://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..300 {
            emulator.check_alive();
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "the emulator did not listen on {base}");

        let mut command = Command::new(example(example_name));
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "tollgate-test")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "tollgate-test")
            .env("AWS_REGION", "eu-west-1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in vars {
            command.env(name, value);
        }
        let function = Spawned {
            child: command.spawn().expect("spawn the function"),
            what: "the Lambda function",
        };
        Self {
            invoke: format!("{base}/2015-03-31/functions/_/invocations"),
            _emulator: emulator,
            _function: function,
            _anchor: anchor,
        }
    }

    /// Invokes the function with `event`: its answer, or its error's `errorMessage`.
    async fn invoke(&self, event: &Value) -> Result<Value, String> {
        let response = client()
            .post(&self.invoke)
            .json(event)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("invoke");
        let ok = response.status().is_success();
        let body: Value = response.json().await.expect("JSON answer");
        if ok {
            Ok(body)
        } else {
            Err(body["errorMessage"].as_str().unwrap_or_default().to_owned())
        }
    }
}

fn token_event(token: &str) -> Value {
    json!({ "type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": METHOD_ARN })
}

#[tokio::test]
async fn the_authorizer_example_answers_api_gateway_events_under_the_lambda_emulator() {
    if !installed(
        "the_authorizer_example_answers_api_gateway_events_under_the_lambda_emulator",
        &[(
            cargo_lambda().exists(),
            format!("cargo-lambda ({})", cargo_lambda().display()),
        )],
    ) {
        return;
    }
    let issuer = DevIssuer::start().await.expect("issuer");
    // The issuer answers slowly: the seed lets the function answer before any fetch completes.
    issuer.dangerous().set_jwks_delay(Duration::from_secs(20));
    let seed =
        std::env::temp_dir().join(format!("tollgate-lambda-seed-{}.json", std::process::id()));
    std::fs::write(&seed, jwks_of(&issuer, &["dev-rsa"])).expect("seed");
    let started = Instant::now();
    let function = Function::start(
        "lambda_authorizer",
        &[
            ("TOLLGATE_ISSUER", issuer.issuer().to_owned()),
            ("TOLLGATE_AUDIENCE", issuer.audience().to_owned()),
            ("TOLLGATE_JWKS_URL", issuer.jwks_url()),
            ("TOLLGATE_JWKS_SEED", seed.to_string_lossy().into_owned()),
            ("AUTHORIZER_SCOPE", "admin".to_owned()),
        ],
    )
    .await;

    let admin = issuer.token().subject("alice").scope("admin").sign();
    let answer = function
        .invoke(&token_event(&admin))
        .await
        .expect("allowed");
    let first_answer = started.elapsed();
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{answer}"
    );
    assert_eq!(answer["principalId"], "alice");
    assert_eq!(answer["context"]["scopes"], "admin");
    assert!(
        first_answer < Duration::from_secs(15),
        "the first answer waited for the slow JWKS ({first_answer:?})"
    );

    let plain = issuer.token().subject("bob").sign();
    let answer = function
        .invoke(&token_event(&plain))
        .await
        .expect("an answer");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "{answer}"
    );

    for event in [
        token_event("not.a.token"),
        json!({"type": "TOKEN"}),
        json!("garbage"),
    ] {
        assert_eq!(
            function.invoke(&event).await,
            Err("Unauthorized".to_owned()),
            "{event}"
        );
    }

    let v2 = json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/$default/GET/orders",
        "headers": { "authorization": format!("Bearer {admin}") },
    });
    let answer = function.invoke(&v2).await.expect("allowed");
    assert_eq!(answer["isAuthorized"], true, "{answer}");
    let rest_request = json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": { "Authorization": format!("Bearer {plain}") },
        "requestContext": { "stage": "prod" },
    });
    let answer = function.invoke(&rest_request).await.expect("an answer");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "{answer}"
    );
    let http_v1 = json!({
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": { "authorization": format!("Bearer {admin}") },
    });
    let answer = function.invoke(&http_v1).await.expect("allowed");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{answer}"
    );
    drop(function);

    // HTTP API authorizers without simple responses: IAM policies.
    let policies = Function::start(
        "lambda_authorizer",
        &[
            ("TOLLGATE_ISSUER", issuer.issuer().to_owned()),
            ("TOLLGATE_AUDIENCE", issuer.audience().to_owned()),
            ("TOLLGATE_JWKS_URL", issuer.jwks_url()),
            ("TOLLGATE_JWKS_SEED", seed.to_string_lossy().into_owned()),
            ("AUTHORIZER_RESPONSE", "policy".to_owned()),
        ],
    )
    .await;
    let answer = policies.invoke(&v2).await.expect("allowed");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{answer}"
    );
    std::fs::remove_file(&seed).ok();
}

fn lambda_event(name: &str) -> Value {
    let path = root()
        .join("tests/lambda/events")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("event file")).expect("event JSON")
}

/// An HTTP API (payload 2.0) or Function URL request for `path`, with `token` if any.
fn http_api(path: &str, token: Option<&str>) -> Value {
    let mut event = lambda_event("http_api_none");
    event["rawPath"] = path.into();
    event["routeKey"] = format!("GET {path}").into();
    event["requestContext"]["http"]["path"] = path.into();
    if let Some(token) = token {
        event["headers"]["authorization"] = format!("Bearer {token}").into();
    }
    event
}

/// `(status, body as JSON)` of a `lambda_http` answer.
fn http_answer(answer: &Value) -> (u64, Value) {
    let status = answer["statusCode"].as_u64().unwrap_or_default();
    let body = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn the_api_example_runs_the_same_router_under_the_lambda_emulator() {
    if !installed(
        "the_api_example_runs_the_same_router_under_the_lambda_emulator",
        &[(
            cargo_lambda().exists(),
            format!("cargo-lambda ({})", cargo_lambda().display()),
        )],
    ) {
        return;
    }
    let issuer = DevIssuer::start().await.expect("issuer");
    let seed = std::env::temp_dir().join(format!(
        "tollgate-lambda-api-seed-{}.json",
        std::process::id()
    ));
    std::fs::write(&seed, jwks_of(&issuer, &["dev-rsa"])).expect("seed");
    // The issuer's JWKS is down the whole time: every token verifies from the seed.
    issuer.dangerous().serve_jwks_body(503, "down");
    let vars = |trust: bool| {
        let mut vars = vec![
            ("TOLLGATE_ISSUER", issuer.issuer().to_owned()),
            ("TOLLGATE_AUDIENCE", issuer.audience().to_owned()),
            ("TOLLGATE_JWKS_URL", issuer.jwks_url()),
            ("TOLLGATE_JWKS_SEED", seed.to_string_lossy().into_owned()),
        ];
        if trust {
            vars.push(("TOLLGATE_TRUST_GATEWAY", "1".to_owned()));
        }
        vars
    };

    let function = Function::start("lambda_api", &vars(false)).await;
    let user = issuer.token().subject("alice").sign();
    let admin = issuer.token().subject("carol").scope("admin").sign();
    let call = |event: Value| {
        let function = &function;
        async move { http_answer(&function.invoke(&event).await.expect("an HTTP answer")) }
    };
    assert_eq!(call(http_api("/public", None)).await.0, 200);
    assert_eq!(call(http_api("/me", None)).await.0, 401);
    assert_eq!(call(http_api("/me", Some("not.a.token"))).await.0, 401);
    let (status, body) = call(http_api("/me", Some(&user))).await;
    assert_eq!(
        (status, body["subject"].as_str()),
        (200, Some("alice")),
        "{body}"
    );
    assert_eq!(call(http_api("/admin", Some(&user))).await.0, 403);
    assert_eq!(call(http_api("/admin", Some(&admin))).await.0, 200);
    assert_eq!(call(http_api("/nowhere", Some(&user))).await.0, 404);

    // A REST API event with stage `prod` is routed by its path without the stage.
    let mut rest = lambda_event("rest_none");
    rest["headers"]["Authorization"] = format!("Bearer {user}").into();
    rest["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {user}")]);
    let (status, body) = call(rest).await;
    assert_eq!(
        (status, body["subject"].as_str()),
        (200, Some("alice")),
        "{body}"
    );

    // Without TOLLGATE_TRUST_GATEWAY an authorizer's identity is not trusted.
    assert_eq!(call(lambda_event("http_api_jwt")).await.0, 401);
    drop(function);

    let trusting = Function::start("lambda_api", &vars(true)).await;
    let answer = trusting
        .invoke(&lambda_event("http_api_jwt"))
        .await
        .expect("answer");
    let (status, body) = http_answer(&answer);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(body["provider"], "gateway-jwt", "{body}");
    let mut to_admin = lambda_event("http_api_jwt");
    to_admin["rawPath"] = "/admin".into();
    to_admin["requestContext"]["http"]["path"] = "/admin".into();
    let answer = trusting.invoke(&to_admin).await.expect("answer");
    assert_eq!(
        http_answer(&answer).0,
        200,
        "group admin from \"[admin ops]\": {answer}"
    );
    // Still verifies tokens when the context carries no identity.
    let answer = trusting
        .invoke(&http_api("/me", Some(&user)))
        .await
        .expect("answer");
    assert_eq!(http_answer(&answer).0, 200);
    std::fs::remove_file(&seed).ok();
}
