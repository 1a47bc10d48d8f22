//! Interop tests against real identity-provider software, started on 127.0.0.1 by these tests
//! and stopped (killed by PID) when each test ends:
//!
//! - **moto**'s Cognito user-pool emulator (PyPI `moto[cognitoidp,server]`), set up with boto3
//!   by `tests/interop/cognito_setup.py`, which signs a user in with USER_PASSWORD_AUTH;
//! - **oidc-provider** (npm, a certified OpenID Connect provider) run by
//!   `tests/interop/oidc-server.mjs`, issuing RFC 9068 JWT access tokens to a
//!   client-credentials client.
//!
//! `scripts/interop-setup.sh` installs both into the git-ignored `.interop/`. Without them these
//! tests print why they were skipped and pass, so a plain `cargo test` needs nothing but Rust;
//! with `TOLLGATE_INTEROP=require` (set by `.ci/run`) a missing tool fails them instead.

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use tollgate::cognito::{Cognito, CognitoClaims, TokenUse};
use tollgate::jwt::JwtProvider;
use tollgate::{error::Reason, AuthLayer};

use crate::support::*;

const REQUIRE: &str = "TOLLGATE_INTEROP";

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `true` when every need is met; otherwise explains the skip (or fails, when required).
pub(crate) fn installed(test: &str, needs: &[(bool, String)]) -> bool {
    let missing: Vec<&str> = needs
        .iter()
        .filter(|(met, _)| !met)
        .map(|(_, what)| what.as_str())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!(
        "{} not installed; run `bash scripts/interop-setup.sh`",
        missing.join(" and ")
    );
    if std::env::var(REQUIRE).as_deref() == Ok("require") {
        panic!("interop test {test} cannot run: {why} ({REQUIRE}=require)");
    }
    // Straight to the process's stderr, past the test harness's output capture, so the skip is
    // visible in a normal `cargo test` run.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED interop test {test}: {why} (set {REQUIRE}=require to make this a failure)"
    );
    false
}

/// Whether `program args…` runs and succeeds.
fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A process started by a test, killed by PID when dropped.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) what: &'static str,
}

impl Spawned {
    pub(crate) fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.what);
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

// ---------------------------------------------------------------------------------------------
// moto: Cognito user pools

const REGION: &str = "eu-west-1";

struct Moto {
    endpoint: String,
    _process: Spawned,
}

impl Moto {
    fn python() -> PathBuf {
        root().join(".interop/venv/bin/python")
    }

    fn available(test: &str) -> bool {
        let python = Self::python();
        let venv = python.exists();
        let moto = venv && runs(&python, &["-c", "import moto.server, boto3"]);
        installed(
            test,
            &[
                (
                    venv,
                    format!("the interop Python venv ({})", python.display()),
                ),
                (venv && moto, "moto and boto3 in that venv".into()),
            ],
        )
    }

    /// Starts `python -m moto.server` on a free loopback port and waits until it answers.
    async fn start() -> Self {
        let port = free_port();
        let child = Command::new(Self::python())
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto.server");
        let mut process = Spawned {
            child,
            what: "moto.server",
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let c = client();
        for _ in 0..300 {
            process.check_alive();
            if c.get(format!("{endpoint}/moto-api/")).send().await.is_ok() {
                return Self {
                    endpoint,
                    _process: process,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto.server did not answer on {endpoint}");
    }

    /// A pool, two app clients, user `alice` in group `admin`, and her real tokens (boto3).
    fn set_up_pool(&self) -> Value {
        let output = Command::new(Self::python())
            .arg(root().join("tests/interop/cognito_setup.py"))
            .args([&self.endpoint, REGION])
            .output()
            .expect("run cognito_setup.py");
        assert!(
            output.status.success(),
            "cognito_setup.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("cognito_setup.py prints JSON")
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} in {v}"))
}

#[tokio::test]
async fn moto_cognito_tokens_through_the_cognito_preset() {
    if !Moto::available("moto_cognito_tokens_through_the_cognito_preset") {
        return;
    }
    let moto = Moto::start().await;
    let setup = moto.set_up_pool();
    let pool = text(&setup, &["pool_id"]);
    let (app_a, app_b) = (
        text(&setup, &["clients", "app-a"]),
        text(&setup, &["clients", "app-b"]),
    );
    let access_a = text(&setup, &["tokens", "app-a", "access"]);
    let id_a = text(&setup, &["tokens", "app-a", "id"]);
    let access_b = text(&setup, &["tokens", "app-b", "access"]);
    let id_b = text(&setup, &["tokens", "app-b", "id"]);
    // moto issues the AWS issuer URL but serves the keys under its own address.
    let jwks = format!("{}/{pool}/.well-known/jwks.json", moto.endpoint);
    let preset = |token_use| {
        Cognito::new(REGION, pool)
            .client_id(app_a)
            .token_use(token_use)
            .jwks_url(&jwks)
    };

    let access = preset(TokenUse::Access).build().await.expect("build");
    assert_eq!(access.key_count(), 1, "moto's JWKS loaded");
    let p = access
        .verify(access_a)
        .await
        .expect("access token of app-a");
    assert_eq!(p.provider(), "cognito");
    assert_eq!(
        p.issuer(),
        Some(format!("https://cognito-idp.{REGION}.amazonaws.com/{pool}").as_str())
    );
    assert!(p.in_group("admin"), "groups: {:?}", p.groups());
    assert!(p.has_scope("aws.cognito.signin.user.admin"));
    let claims: CognitoClaims = p.claims_as().expect("cognito claims");
    assert_eq!(claims.username(), Some("alice"));
    assert_eq!(claims.app_client_id(), Some(app_a));

    let reason = |r: Result<tollgate::Principal, tollgate::AuthError>| r.err().map(|e| e.reason());
    assert_eq!(
        reason(access.verify(id_a).await),
        Some(Reason::WrongTokenType),
        "an ID token where access is required"
    );
    assert_eq!(
        reason(access.verify(access_b).await),
        Some(Reason::WrongAudience),
        "another app client's access token"
    );

    // The same token is fine for a provider that accepts app-b: the refusal above was about
    // the client, nothing else.
    let for_b = Cognito::new(REGION, pool)
        .client_id(app_b)
        .jwks_url(&jwks)
        .build()
        .await
        .expect("build");
    assert!(for_b.verify(access_b).await.is_ok());

    let ids = preset(TokenUse::Id).build().await.expect("build");
    let p = ids.verify(id_a).await.expect("ID token of app-a");
    assert!(p.in_group("admin"));
    let claims: CognitoClaims = p.claims_as().expect("cognito claims");
    assert_eq!(
        (claims.username(), claims.app_client_id()),
        (Some("alice"), Some(app_a))
    );
    assert_eq!(
        reason(ids.verify(access_a).await),
        Some(Reason::WrongTokenType),
        "an access token where ID tokens are required"
    );
    assert_eq!(
        reason(ids.verify(id_b).await),
        Some(Reason::WrongAudience),
        "another app client's ID token"
    );

    // And through the layer, over HTTP.
    let server = serve(app(AuthLayer::new(access))).await;
    let me = get_me(&server, access_a).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(me.json()["groups"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g == "admin")));
    for token in [id_a, access_b, id_b] {
        let reply = get_me(&server, token).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    }
}

// ---------------------------------------------------------------------------------------------
// oidc-provider: a certified OpenID Connect provider

const RESOURCE: &str = "https://api.tollgate.test";

pub(crate) struct OidcServer {
    pub(crate) issuer: String,
    process: Spawned,
}

impl OidcServer {
    fn module() -> PathBuf {
        root().join(".interop/node_modules/oidc-provider/lib/index.js")
    }

    pub(crate) fn available(test: &str) -> bool {
        let module = Self::module();
        installed(
            test,
            &[
                (
                    runs(Path::new("node"), &["--version"]),
                    "node (Node.js on PATH)".into(),
                ),
                (
                    module.exists(),
                    format!("oidc-provider ({})", module.display()),
                ),
            ],
        )
    }

    /// Starts `node tests/interop/oidc-server.mjs` on an ephemeral port; it prints its issuer.
    fn start() -> Self {
        Self::start_script("oidc-server.mjs")
    }

    /// Starts `node tests/interop/{script}` (which prints `LISTENING {issuer}`) on an ephemeral
    /// port.
    pub(crate) fn start_script(script: &'static str) -> Self {
        let mut child = Command::new("node")
            .arg(root().join("tests/interop").join(script))
            .env("OIDC_PROVIDER_MODULE", Self::module())
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node");
        let stdout = child.stdout.take().expect("stdout");
        let process = Spawned {
            child,
            what: script,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(issuer) = line.strip_prefix("LISTENING ") {
                        return Self {
                            issuer: issuer.trim().to_owned(),
                            process,
                        };
                    }
                }
                Err(e) => panic!("{script} did not start: {e}"),
            }
        }
    }

    /// Kills the server now, so its port refuses connections.
    pub(crate) fn stop(&mut self) {
        let _ = self.process.child.kill();
        let _ = self.process.child.wait();
    }

    /// A client-credentials access token for the resource.
    async fn token(&self) -> String {
        let reply = send(
            client()
                .post(format!("{}/token", self.issuer))
                .basic_auth("tollgate-svc", Some("tollgate-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    "grant_type=client_credentials&resource=https%3A%2F%2Fapi.tollgate.test&scope=read%20admin",
                ),
        )
        .await;
        assert_eq!(reply.status, 200, "token endpoint: {}", reply.body);
        reply.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Rotates the signing key on the running server; the new key's kid.
    async fn rotate(&self) -> String {
        let reply = send(client().post(format!("{}/__rotate", self.issuer))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["kid"].as_str().expect("kid").to_owned()
    }

    /// Publishes one more key without signing with it; its kid.
    async fn publish(&self) -> String {
        let reply = send(client().post(format!("{}/__publish", self.issuer))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["kid"].as_str().expect("kid").to_owned()
    }

    /// How many requests the server's JWKS endpoint has had.
    async fn jwks_fetches(&self) -> u64 {
        let reply = send(client().get(format!("{}/__jwks_fetches", self.issuer))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["fetches"].as_u64().expect("fetches")
    }
}

/// `token` with its header replaced by one naming `kid` (the signature no longer matches,
/// which does not matter: an unknown kid is decided before any signature check).
fn with_kid(token: &str, kid: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}).to_string();
    let rest = token.split_once('.').expect("a JWS").1;
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header))
}

fn header(token: &str) -> Value {
    let segment = token.split('.').next().expect("header segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url"))
        .expect("header JSON")
}

#[tokio::test]
async fn oidc_provider_client_credentials_at_jwt_through_discovery_and_live_key_rotation() {
    let test = "oidc_provider_client_credentials_at_jwt_through_discovery_and_live_key_rotation";
    if !OidcServer::available(test) {
        return;
    }
    let server = OidcServer::start();
    let provider = JwtProvider::builder(&server.issuer)
        .name("oidc-provider")
        .audience(RESOURCE)
        .require_at_jwt()
        .build() // discovery, then the JWKS it names
        .await
        .expect("build through discovery");
    assert_eq!(provider.key_count(), 1);
    assert!(provider.jwks_url().starts_with(&server.issuer));

    let first = server.token().await;
    let first_header = header(&first);
    assert_eq!(first_header["typ"], "at+jwt", "{first_header}");
    let p = provider.verify(&first).await.expect("at+jwt accepted");
    assert_eq!(
        (p.provider(), p.subject()),
        ("oidc-provider", Some("tollgate-svc"))
    );
    assert!(
        p.has_scope("read") && p.has_scope("admin"),
        "{:?}",
        p.scopes()
    );

    // The wrong audience is refused even with a valid signature.
    let elsewhere = JwtProvider::builder(&server.issuer)
        .audience("https://other.api")
        .build()
        .await
        .expect("build");
    assert_eq!(
        elsewhere.verify(&first).await.err().map(|e| e.reason()),
        Some(Reason::WrongAudience)
    );

    // Through the layer, over HTTP.
    let api = serve(app(AuthLayer::new(provider.clone()))).await;
    assert_eq!(get_me(&api, &first).await.status, 200);

    // Rotation on the live server: a new key signs from now on; tollgate's provider, built
    // before, fetches it on the unknown kid.
    let new_kid = server.rotate().await;
    let second = server.token().await;
    assert_eq!(header(&second)["kid"], new_kid.as_str());
    assert_ne!(header(&second)["kid"], first_header["kid"]);
    let me = get_me(&api, &second).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(provider.key_count(), 2, "the new key was fetched");
    assert!(
        provider.verify(&first).await.is_ok(),
        "the old key is still published"
    );
}

/// The rotation that used to lock everyone out for 30 s: the issuer publishes an extra key
/// (tollgate fetches it, here for an unrelated unknown kid), then a moment later rotates and
/// signs with a new kid. Tokens with the new kid are accepted within 5 s of the rotation, while
/// a flood of made-up kids still costs the issuer at most two JWKS requests.
#[tokio::test]
async fn oidc_provider_key_rotation_right_after_a_fetch_locks_nobody_out() {
    let test = "oidc_provider_key_rotation_right_after_a_fetch_locks_nobody_out";
    if !OidcServer::available(test) {
        return;
    }
    let server = OidcServer::start();
    let provider = JwtProvider::builder(&server.issuer)
        .audience(RESOURCE)
        .require_at_jwt()
        .build()
        .await
        .expect("build through discovery");
    let api = serve(app(AuthLayer::new(provider.clone()))).await;
    let first = server.token().await;
    assert_eq!(get_me(&api, &first).await.status, 200);

    // A flood of 200 distinct made-up kids, all at once.
    let before = server.jwks_fetches().await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let request = client()
                .get(format!("{}/me", api.base))
                .bearer_auth(with_kid(&first, &format!("made-up-{i}")));
            tokio::spawn(send(request))
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("join").status, 401);
    }
    let flood_fetches = server.jwks_fetches().await - before;
    assert!(
        (1..=2).contains(&flood_fetches),
        "200 made-up kids cost {flood_fetches} JWKS requests"
    );

    // The issuer publishes an extra key; tollgate fetches it for another unknown kid.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let extra = server.publish().await;
    assert_eq!(get_me(&api, &with_kid(&first, "stray")).await.status, 401);
    assert_eq!(provider.key_count(), 2, "the extra key {extra} was fetched");

    // Right after that fetch the issuer rotates and signs with a new kid.
    let rotated = std::time::Instant::now();
    let new_kid = server.rotate().await;
    let second = server.token().await;
    assert_eq!(header(&second)["kid"], new_kid.as_str());
    let mut statuses = Vec::new();
    loop {
        let status = get_me(&api, &second).await.status;
        statuses.push(status);
        if status == 200 {
            break;
        }
        assert_eq!(status, 401, "{statuses:?}");
        assert!(
            rotated.elapsed() < Duration::from_secs(5),
            "the new kid was still refused 5 s after the rotation: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        rotated.elapsed() < Duration::from_secs(5),
        "accepted after {:?}",
        rotated.elapsed()
    );
    assert!(
        provider.verify(&first).await.is_ok(),
        "the old key is still published"
    );
}
