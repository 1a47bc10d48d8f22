//! The examples, run as the README says: real binaries, real servers, real requests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tollgate::dev::DevIssuer;

use crate::support::*;

/// `target/<profile>/examples/NAME`, built by `cargo test` alongside this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    dir.join("examples").join(name)
}

/// Kills the child when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an example and collects its stdout lines until `done` says enough.
fn start(
    name: &str,
    env: &[(&str, &str)],
    done: impl Fn(&[String]) -> bool,
) -> (Running, Vec<String>) {
    let mut command = Command::new(example(name));
    command
        .env("ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("spawn {name}: {e} (run through `cargo test`, which builds examples)")
    });
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while !done(&lines) {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => lines.push(line),
            Err(_) => panic!("{name} did not print what was expected; got {lines:?}"),
        }
    }
    (running, lines)
}

fn base_url(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
        })
        .expect("a listening line")
        .to_owned()
}

#[tokio::test]
async fn quickstart_gives_200_401_and_403_as_documented() {
    let (_running, lines) = start("quickstart", &[], |lines| {
        lines.iter().any(|l| l.contains("401 invalid_token"))
    });
    let base = base_url(&lines);
    let value = |key: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .expect(key)
            .to_owned()
    };
    let (user, admin) = (value("USER_TOKEN"), value("ADMIN_TOKEN"));
    let c = client();
    let get = |path: &str, token: Option<&str>| {
        let request = c.get(format!("{base}{path}"));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    };
    assert_eq!(send(get("/public", None)).await.status, 200);
    assert_eq!(send(get("/me", None)).await.status, 401);
    let me = send(get("/me", Some(&user))).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["subject"], "alice");
    let forbidden = send(get("/admin", Some(&user))).await;
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.www_authenticate.as_deref().is_some_and(|v| v
        .contains("error=\"insufficient_scope\"")
        && v.contains("scope=\"admin\"")));
    assert_eq!(send(get("/admin", Some(&admin))).await.status, 200);
    assert_eq!(send(get("/me", Some("not.a.token"))).await.status, 401);
    assert_eq!(
        send(get("/nowhere", Some(&admin))).await.status,
        404,
        "unknown paths stay 404"
    );
}

// Multi-threaded: the test thread blocks reading the child's output while the issuer, on this
// runtime, answers the child's discovery and JWKS requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_server_serves_a_jwks_backed_api_configured_by_environment() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let env = [
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_AUDIENCE", "other-api, tollgate-dev"),
    ];
    let (_running, lines) = start("jwt_server", &env, |lines| !lines.is_empty());
    assert!(lines[0].contains("1 keys loaded"), "{lines:?}");
    assert_eq!(
        issuer.discovery_fetches(),
        1,
        "the JWKS was found by discovery"
    );
    let base = base_url(&lines);
    let c = client();
    let me = send(
        c.get(format!("{base}/me"))
            .bearer_auth(issuer.token().subject("bob").sign()),
    )
    .await;
    assert_eq!(
        (me.status, me.json()["subject"].as_str()),
        (200, Some("bob"))
    );
    let admin = issuer.token().scope("admin").sign();
    assert_eq!(
        send(c.get(format!("{base}/admin")).bearer_auth(&admin))
            .await
            .status,
        200
    );
    let wrong_aud = issuer.token().claim("aud", "elsewhere").sign();
    assert_eq!(
        send(c.get(format!("{base}/me")).bearer_auth(&wrong_aud))
            .await
            .status,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_server_honours_the_jwks_url_and_algorithm_list() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = issuer.jwks_url();
    let env = [
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_AUDIENCE", "tollgate-dev"),
        ("TOLLGATE_JWKS_URL", jwks.as_str()),
        ("TOLLGATE_ALGORITHMS", "PS256"),
    ];
    let (_running, lines) = start("jwt_server", &env, |lines| !lines.is_empty());
    assert!(lines[0].contains("1 keys loaded"), "{lines:?}");
    assert_eq!(
        issuer.discovery_fetches(),
        0,
        "no discovery when the JWKS URL is given"
    );
    let base = base_url(&lines);
    let c = client();
    let rs = issuer.token().sign();
    let ps = issuer
        .token()
        .algorithm(tollgate::jwt::Algorithm::PS256)
        .sign();
    assert_eq!(
        send(c.get(format!("{base}/me")).bearer_auth(&rs))
            .await
            .status,
        401,
        "RS256 is not on the list"
    );
    assert_eq!(
        send(c.get(format!("{base}/me")).bearer_auth(&ps))
            .await
            .status,
        200
    );
}

#[test]
fn jwt_server_explains_missing_or_wrong_configuration() {
    let run = |env: &[(&str, &str)]| {
        let mut command = Command::new(example("jwt_server"));
        command
            .env_remove("TOLLGATE_ISSUER")
            .env_remove("TOLLGATE_AUDIENCE")
            .env("ADDR", "127.0.0.1:0");
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().expect("run jwt_server");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("TOLLGATE_ISSUER is not set"), "{err}");
    let (code, err) = run(&[("TOLLGATE_ISSUER", "https://issuer.example")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("TOLLGATE_AUDIENCE is not set"), "{err}");
    let (code, err) = run(&[
        ("TOLLGATE_ISSUER", "https://i.example"),
        ("TOLLGATE_AUDIENCE", "a"),
        ("TOLLGATE_ALGORITHMS", "RS256,HS256"),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("TOLLGATE_ALGORITHMS")
            && err.contains("`HS256` is not an algorithm tollgate verifies"),
        "{err}"
    );
    let (code, err) = run(&[
        ("TOLLGATE_ISSUER", "http://issuer.example.com"),
        ("TOLLGATE_AUDIENCE", "a"),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("plain http"), "{err}");
    let (code, err) = run(&[
        ("TOLLGATE_ISSUER", "https://i.example"),
        ("TOLLGATE_AUDIENCE", "a"),
        ("ADDR", "nonsense"),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("ADDR `nonsense`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_server_serves_the_health_service_configured_by_environment() {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = issuer.jwks_url();
    let env = [
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_AUDIENCE", "tollgate-dev"),
        ("TOLLGATE_JWKS_URL", jwks.as_str()),
        ("TOLLGATE_ALGORITHMS", "RS256"),
    ];
    let (_running, lines) = start("grpc_server", &env, |lines| !lines.is_empty());
    assert!(lines[0].contains("1 keys loaded"), "{lines:?}");
    let channel = tonic::transport::Channel::from_shared(base_url(&lines))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let mut health = HealthClient::new(channel);
    let call = |token: Option<String>| {
        let mut request = tonic::Request::new(HealthCheckRequest::default());
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("ascii");
            request.metadata_mut().insert("authorization", value);
        }
        request
    };
    let status = health.check(call(None)).await.expect_err("no token");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let token = issuer.token().subject("carol").sign();
    let response = health
        .check(call(Some(token.clone())))
        .await
        .expect("check");
    assert_eq!(
        response
            .metadata()
            .get("x-subject")
            .map(|v| v.to_str().ok()),
        Some(Some("carol"))
    );
    let status = health.watch(call(Some(token))).await.expect_err("no admin");
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_server_serves_a_plain_hyper_service_configured_by_environment() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let env = [
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_AUDIENCE", "tollgate-dev"),
    ];
    let (_running, lines) = start("hyper_server", &env, |lines| !lines.is_empty());
    assert!(lines[0].contains("1 keys loaded"), "{lines:?}");
    let base = base_url(&lines);
    let c = client();
    let token = issuer.token().subject("dave").sign();
    let me = send(c.get(format!("{base}/me")).bearer_auth(&token)).await;
    assert_eq!(
        (me.status, me.json()["subject"].as_str()),
        (200, Some("dave"))
    );
    assert_eq!(send(c.get(format!("{base}/me"))).await.status, 401);
    assert_eq!(
        send(c.get(format!("{base}/admin")).bearer_auth(&token))
            .await
            .status,
        403
    );
}

#[test]
fn grpc_and_hyper_servers_explain_missing_configuration() {
    for name in ["grpc_server", "hyper_server"] {
        let output = Command::new(example(name))
            .env_remove("TOLLGATE_ISSUER")
            .env_remove("TOLLGATE_AUDIENCE")
            .env("ADDR", "127.0.0.1:0")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(err.contains("TOLLGATE_ISSUER is not set"), "{name}: {err}");
    }
}
