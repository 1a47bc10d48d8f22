//! The examples, run as the README says: real binaries, real servers, real requests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tollgate::dev::DevIssuer;

use crate::support::*;

/// `target/<profile>/examples/NAME`, built by `cargo test` alongside this test binary.
pub(crate) fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    dir.join("examples").join(name)
}

/// Kills the child when dropped.
pub(crate) struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts an example and collects its stdout lines until `done` says enough.
pub(crate) fn start(
    name: &str,
    env: &[(&str, &str)],
    done: impl Fn(&[String]) -> bool,
) -> (Running, Vec<String>) {
    let mut command = Command::new(example(name));
    command.env("ADDR", "127.0.0.1:0").env("RUST_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    start_command(name, command, done)
}

/// As [`start`], for a command the caller has prepared (working directory, variables removed):
/// its stdout is piped and collected until `done` says enough, its stderr discarded.
pub(crate) fn start_command(
    name: &str,
    mut command: Command,
    done: impl Fn(&[String]) -> bool,
) -> (Running, Vec<String>) {
    command.stdout(Stdio::piped()).stderr(Stdio::null());
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

pub(crate) fn base_url(lines: &[String]) -> String {
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
        issuer.dangerous().discovery_fetches(),
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
        issuer.dangerous().discovery_fetches(),
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

/// Runs an example that should refuse to start; its exit code and stderr. Every variable the
/// preset examples read is cleared first, so only `env` counts.
fn refused(name: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(example(name));
    for var in [
        "COGNITO_REGION",
        "COGNITO_USER_POOL_ID",
        "COGNITO_CLIENT_IDS",
        "COGNITO_TOKEN_USE",
        "COGNITO_JWKS_URL",
        "AUTH0_DOMAIN",
        "AUTH0_AUDIENCE",
        "AUTH0_JWKS_URL",
        "OKTA_ISSUER",
        "OKTA_AUDIENCE",
        "OKTA_CLIENT_IDS",
        "OKTA_GROUPS_CLAIM",
        "OKTA_JWKS_URL",
        "API_KEYS_FILE",
        "API_KEY_HEADER",
    ] {
        command.env_remove(var);
    }
    command.env("ADDR", "127.0.0.1:0");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run example");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const POOL: &str = "eu-west-1_Example1";

/// A token shaped like a Cognito access (or ID) token of `POOL`, signed by the dev issuer.
fn cognito_token(issuer: &DevIssuer, token_use: &str, groups: &[&str]) -> String {
    let t = issuer
        .token()
        .claim(
            "iss",
            format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        )
        .without("aud")
        .claim("token_use", token_use)
        .claim("cognito:groups", serde_json::json!(groups));
    if token_use == "access" {
        t.claim("client_id", "exampleclient")
            .claim("username", "alice")
            .sign()
    } else {
        t.claim("aud", "exampleclient")
            .claim("cognito:username", "alice")
            .sign()
    }
}

fn cognito_env(issuer: &DevIssuer) -> Vec<(&'static str, String)> {
    vec![
        ("COGNITO_REGION", "eu-west-1".into()),
        ("COGNITO_USER_POOL_ID", POOL.into()),
        ("COGNITO_CLIENT_IDS", "otherclient, exampleclient".into()),
        ("COGNITO_JWKS_URL", issuer.jwks_url()),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A key file in a fresh temporary directory, removed when dropped.
struct KeyFile(PathBuf);

impl KeyFile {
    fn new(lines: &[String]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tollgate-keys-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("api-keys.txt");
        std::fs::write(&path, lines.join("\n")).expect("write key file");
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `api_keys generate ID SCOPES`: the key and its key-file line.
fn generate_key(id: &str, scopes: &str) -> (String, String) {
    let output = Command::new(example("api_keys"))
        .args(["generate", id, scopes])
        .output()
        .expect("run api_keys generate");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {stdout}"))
            .to_owned()
    };
    (value("API_KEY"), value("KEY_FILE_LINE"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognito_example_accepts_access_tokens_and_guards_admin_by_group() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let env = cognito_env(&issuer);
    let (_running, lines) = start("cognito", &as_refs(&env), |lines| !lines.is_empty());
    assert!(lines[0].contains("1 keys loaded"), "{lines:?}");
    let base = base_url(&lines);
    let c = client();
    let get = |path: &str, token: &str| c.get(format!("{base}{path}")).bearer_auth(token);

    let user = cognito_token(&issuer, "access", &["staff"]);
    let admin = cognito_token(&issuer, "access", &["admin"]);
    let me = send(get("/me", &user)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["provider"], "cognito");
    assert_eq!(me.json()["groups"], serde_json::json!(["staff"]));
    assert_eq!(send(get("/admin", &user)).await.status, 403);
    assert_eq!(send(get("/admin", &admin)).await.status, 200);
    let id_token = cognito_token(&issuer, "id", &["admin"]);
    assert_eq!(
        send(get("/me", &id_token)).await.status,
        401,
        "ID tokens are refused by default"
    );
    assert_eq!(send(c.get(format!("{base}/public"))).await.status, 200);
}

#[test]
fn cognito_example_explains_missing_or_wrong_configuration() {
    let (code, err) = refused("cognito", &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("COGNITO_REGION is not set"), "{err}");
    let base = [
        ("COGNITO_REGION", "eu-west-1"),
        ("COGNITO_USER_POOL_ID", "us-east-1_Abc"),
        ("COGNITO_CLIENT_IDS", "abc"),
    ];
    let (code, err) = refused("cognito", &base);
    assert_eq!(code, Some(2));
    assert!(err.contains("belongs to region \"us-east-1\""), "{err}");
    let mut env = base.to_vec();
    env[1] = ("COGNITO_USER_POOL_ID", "eu-west-1_Abc");
    env.push(("COGNITO_TOKEN_USE", "refresh"));
    let (code, err) = refused("cognito", &env);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("COGNITO_TOKEN_USE") && err.contains("access, id or any"),
        "{err}"
    );
    let (code, err) = refused(
        "cognito",
        &[
            ("COGNITO_REGION", "eu-west-1"),
            ("COGNITO_USER_POOL_ID", "eu-west-1_Abc"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("COGNITO_CLIENT_IDS is not set"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth0_and_okta_examples_serve_their_tokens() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let domain = issuer.addr().to_string();
    let jwks = issuer.jwks_url();
    let env = [
        ("AUTH0_DOMAIN", domain.as_str()),
        ("AUTH0_AUDIENCE", "https://api.example.com"),
        ("AUTH0_JWKS_URL", jwks.as_str()),
    ];
    let (_auth0, lines) = start("auth0", &env, |lines| !lines.is_empty());
    let auth0 = base_url(&lines);
    let okta_env = [
        ("OKTA_ISSUER", issuer.issuer()),
        ("OKTA_AUDIENCE", "api://default"),
        ("OKTA_CLIENT_IDS", "0oa-app"),
    ];
    let (_okta, lines) = start("okta", &okta_env, |lines| !lines.is_empty());
    let okta = base_url(&lines);
    let c = client();

    let auth0_token = |permissions: &[&str]| {
        issuer
            .token()
            .claim("iss", format!("https://{domain}/"))
            .claim("aud", serde_json::json!(["https://api.example.com", "x"]))
            .claim("permissions", serde_json::json!(permissions))
            .sign()
    };
    let reply = send(
        c.get(format!("{auth0}/admin"))
            .bearer_auth(auth0_token(&["admin"])),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = send(
        c.get(format!("{auth0}/admin"))
            .bearer_auth(auth0_token(&["read"])),
    )
    .await;
    assert_eq!(reply.status, 403);

    let okta_token = |cid: &str| {
        issuer
            .token()
            .claim("aud", "api://default")
            .claim("cid", cid)
            .claim("scp", serde_json::json!(["admin"]))
            .sign()
    };
    let reply = send(
        c.get(format!("{okta}/admin"))
            .bearer_auth(okta_token("0oa-app")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        send(
            c.get(format!("{okta}/me"))
                .bearer_auth(okta_token("0oa-other"))
        )
        .await
        .status,
        401
    );
    // The Auth0 token is not an Okta token (wrong issuer), nor the reverse.
    assert_eq!(
        send(c.get(format!("{okta}/me")).bearer_auth(auth0_token(&[])))
            .await
            .status,
        401
    );
}

#[test]
fn auth0_and_okta_examples_explain_missing_or_wrong_configuration() {
    let (code, err) = refused("auth0", &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("AUTH0_DOMAIN is not set"), "{err}");
    let (code, err) = refused(
        "auth0",
        &[
            ("AUTH0_DOMAIN", "http://tenant.auth0.com"),
            ("AUTH0_AUDIENCE", "a"),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("is not a domain name"), "{err}");
    let (code, err) = refused("okta", &[("OKTA_ISSUER", "https://o.okta.com")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("OKTA_AUDIENCE is not set"), "{err}");
}

#[tokio::test]
async fn api_keys_example_generates_keys_and_serves_them() {
    let (admin_key, admin_line) = generate_key("ops", "admin");
    let (ci_key, ci_line) = generate_key("ci-deploy", "deploy");
    assert!(admin_line.starts_with("ops sha256:") && admin_line.ends_with(" scopes=admin"));
    assert!(!admin_line.contains(&admin_key));
    assert!(admin_key.starts_with("tgk2_") && admin_line.contains(" key_id="));
    let file = KeyFile::new(&["# keys".into(), admin_line, ci_line]);
    let (_running, lines) = start("api_keys", &[("API_KEYS_FILE", file.path())], |lines| {
        !lines.is_empty()
    });
    assert!(lines[0].contains("2 keys from"), "{lines:?}");
    let base = base_url(&lines);
    let c = client();
    let me = send(c.get(format!("{base}/me")).header("x-api-key", &ci_key)).await;
    assert_eq!(
        (me.status, me.json()["subject"].as_str()),
        (200, Some("ci-deploy"))
    );
    assert!(!me.body.contains(&ci_key));
    let admin = |key: &str| {
        c.get(format!("{base}/admin"))
            .header("authorization", format!("ApiKey {key}"))
    };
    assert_eq!(send(admin(&admin_key)).await.status, 200);
    assert_eq!(send(admin(&ci_key)).await.status, 403);
    assert_eq!(send(admin("tgk_nope")).await.status, 401);
    assert_eq!(
        send(c.get(format!("{base}/me")).bearer_auth(&ci_key))
            .await
            .status,
        401,
        "an API key is not a bearer token"
    );
}

#[test]
fn api_keys_example_explains_missing_or_wrong_configuration() {
    let (code, err) = refused("api_keys", &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("API_KEYS_FILE is not set"), "{err}");
    let (code, err) = refused("api_keys", &[("API_KEYS_FILE", "/nonexistent/keys.txt")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read the API key file"), "{err}");
    let file = KeyFile::new(&["one sha256:123".into()]);
    let (code, err) = refused("api_keys", &[("API_KEYS_FILE", file.path())]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("line 1") && err.contains("64 hex digits"),
        "{err}"
    );
    let output = Command::new(example("api_keys"))
        .args(["generate", "bad/id"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("malformed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_provider_example_takes_cognito_tokens_and_api_keys() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let (key, line) = generate_key("robot", "admin");
    let file = KeyFile::new(&[line]);
    let mut env = cognito_env(&issuer);
    env.push(("API_KEYS_FILE", file.path().to_owned()));
    let (_running, lines) = start("multi_provider", &as_refs(&env), |lines| !lines.is_empty());
    let base = base_url(&lines);
    let c = client();
    let me = send(
        c.get(format!("{base}/me"))
            .bearer_auth(cognito_token(&issuer, "access", &[])),
    )
    .await;
    assert_eq!(
        (me.status, me.json()["provider"].as_str()),
        (200, Some("cognito"))
    );
    let me = send(c.get(format!("{base}/admin")).header("x-api-key", &key)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let me = send(c.get(format!("{base}/me")).header("x-api-key", &key)).await;
    assert_eq!(
        (me.status, me.json()["provider"].as_str()),
        (200, Some("api-keys"))
    );
    let fetches = issuer.dangerous().jwks_fetches();
    let stranger = issuer
        .token()
        .claim("iss", "https://elsewhere.example")
        .sign();
    assert_eq!(
        send(c.get(format!("{base}/me")).bearer_auth(stranger))
            .await
            .status,
        401
    );
    assert_eq!(
        issuer.dangerous().jwks_fetches(),
        fetches,
        "unknown issuer: no fetch"
    );
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

/// What `scripts/load.sh` relies on: the tokens in `TOKENS_FILE` (the reused one first, then the
/// distinct ones) are all accepted on `/authed`, and `/open` and `/authed` answer alike.
#[tokio::test]
async fn load_target_writes_valid_distinct_tokens_and_serves_both_routes() {
    let file = std::env::temp_dir().join(format!("tollgate-load-target-{}", std::process::id()));
    let path = file.to_str().expect("utf-8 temp path");
    let env = [
        ("TOKENS_FILE", path),
        ("DISTINCT_TOKENS", "3"),
        ("WORKERS", "1"),
        ("TOLLGATE_TOKEN_CACHE", "16"),
    ];
    let (_running, lines) = start("load_target", &env, |lines| !lines.is_empty());
    let tokens = std::fs::read_to_string(&file).expect("tokens file");
    let _ = std::fs::remove_file(&file);
    let tokens: Vec<&str> = tokens.lines().collect();
    assert_eq!(tokens.len(), 4, "{tokens:?}");
    let unique: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(unique.len(), 4, "the tokens are distinct");
    assert!(
        lines[0].contains("workers 1, token cache 16, 4 tokens in"),
        "{lines:?}"
    );

    let base = base_url(&lines);
    let c = client();
    let open = send(c.get(format!("{base}/open"))).await;
    assert_eq!((open.status, open.body.as_str()), (200, "ok"));
    // The first token twice: the second time from the verified-token cache.
    for token in tokens.iter().chain(&tokens[..1]) {
        let authed = send(c.get(format!("{base}/authed")).bearer_auth(token)).await;
        assert_eq!((authed.status, authed.body.as_str()), (200, "ok"));
    }
    assert_eq!(send(c.get(format!("{base}/authed"))).await.status, 401);
    assert_eq!(
        send(
            c.get(format!("{base}/authed"))
                .bearer_auth("not-a.jwt.at-all")
        )
        .await
        .status,
        401
    );
}

/// The Lambda examples refuse bad configuration with exit status 2 and the variable's
/// name, before it needs the Lambda runtime; with good configuration and no runtime, it says what
/// is missing instead of panicking inside `lambda_runtime`.
#[cfg(feature = "lambda")]
#[tokio::test]
async fn lambda_examples_explain_their_configuration() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let seed =
        std::env::temp_dir().join(format!("tollgate-example-seed-{}.json", std::process::id()));
    let not_jwks = seed.with_extension("txt");
    std::fs::write(&seed, jwks_of(&issuer, &["dev-rsa"])).expect("seed");
    std::fs::write(&not_jwks, "not json").expect("bad seed");
    let run = |vars: &[(&str, &str)]| {
        let mut command = Command::new(example("lambda_authorizer"));
        command
            .env("TOLLGATE_ISSUER", issuer.issuer())
            .env("TOLLGATE_AUDIENCE", issuer.audience())
            .env("TOLLGATE_JWKS_URL", issuer.jwks_url())
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .env_remove("AWS_LAMBDA_FUNCTION_NAME")
            .env_remove("AUTHORIZER_RESPONSE")
            .env_remove("TOLLGATE_JWKS_SEED");
        for (name, value) in vars {
            command.env(name, value);
        }
        command.output().expect("run")
    };
    let seed_path = seed.to_string_lossy().into_owned();
    let bad_path = not_jwks.to_string_lossy().into_owned();
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("AUTHORIZER_RESPONSE", "banana")],
            "AUTHORIZER_RESPONSE=banana",
        ),
        (
            &[("TOLLGATE_JWKS_SEED", "/nonexistent/seed.json")],
            "TOLLGATE_JWKS_SEED: cannot read",
        ),
        (
            &[("TOLLGATE_JWKS_SEED", bad_path.as_str())],
            "TOLLGATE_JWKS_SEED (",
        ),
        (
            &[("TOLLGATE_JWKS_SEED", seed_path.as_str())],
            "AWS_LAMBDA_RUNTIME_API is not set",
        ),
    ];
    for (vars, expected) in cases {
        let output = run(vars);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{vars:?}: {err}");
        assert!(err.contains(expected), "{vars:?}: {err}");
        assert!(!err.contains("panicked"), "{vars:?}: {err}");
    }
    // The API example checks its own variable, and shares the others.
    let mut command = Command::new(example("lambda_api"));
    let output = command
        .env("TOLLGATE_ISSUER", issuer.issuer())
        .env("TOLLGATE_AUDIENCE", issuer.audience())
        .env("TOLLGATE_TRUST_GATEWAY", "yes")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("TOLLGATE_TRUST_GATEWAY=yes"), "{err}");
    let output = Command::new(example("lambda_api"))
        .env("TOLLGATE_ISSUER", issuer.issuer())
        .env("TOLLGATE_AUDIENCE", issuer.audience())
        .env("TOLLGATE_JWKS_URL", issuer.jwks_url())
        .env("TOLLGATE_JWKS_SEED", &bad_path)
        .env_remove("TOLLGATE_TRUST_GATEWAY")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("TOLLGATE_JWKS_SEED ("), "{err}");
    std::fs::remove_file(&seed).ok();
    std::fs::remove_file(&not_jwks).ok();
}
