//! The `aws_iam` provider against an STS stand-in: `tests/interop/sts_wrapper.py` runs moto
//! in-process (IAM user `ops/alice` with an access key, role `team/AdminDeployer` assumed as
//! session `ci-42`), checks each presigned GetCallerIdentity URL's SigV4 signature as STS
//! does, asks moto who the caller is, and counts the calls it gets. moto alone cannot stand in
//! for STS here: its server routes a presigned GET to its S3 backend and its STS checks no
//! signature. Needs `.interop/venv` (`scripts/interop-setup.sh`); skipped without it, unless
//! `TOLLGATE_INTEROP=require`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use tollgate::aws_iam::{AwsCredentials, AwsIam, AwsIamBuilder, Presigner};
use tollgate::clock::ManualClock;
use tollgate::error::{AuthErrorKind, Reason};
use tollgate::{AuthLayer, Provider, Providers};

use crate::examples::{base_url, example, start};
use crate::interop::{installed, root, Spawned};
use crate::support::*;

const REGION: &str = "eu-west-1";
const SERVER_ID: &str = "orders-api";

/// The running wrapper and what it created.
struct Sts {
    base: String,
    setup: Value,
    _process: Spawned,
}

impl Sts {
    fn available(test: &str) -> bool {
        let python = root().join(".interop/venv/bin/python");
        let venv = python.exists();
        let modules = venv
            && Command::new(&python)
                .args(["-c", "import moto.server, moto.sts, moto.iam, boto3"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        installed(
            test,
            &[
                (
                    venv,
                    format!("the interop Python venv ({})", python.display()),
                ),
                (
                    modules,
                    "moto (iam, sts, server) and boto3 in that venv".into(),
                ),
            ],
        )
    }

    async fn start() -> Self {
        let mut child = Command::new(root().join(".interop/venv/bin/python"))
            .arg(root().join("tests/interop/sts_wrapper.py"))
            .arg(REGION)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sts_wrapper.py");
        let stdout = child.stdout.take().expect("stdout");
        let process = Spawned {
            child,
            what: "sts_wrapper.py",
        };
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = tokio::time::timeout(Duration::from_secs(60), line)
            .await
            .expect("sts_wrapper.py starts within 60 s")
            .expect("join")
            .expect("read");
        let setup: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("sts_wrapper.py printed {line:?}: {e}"));
        let port = setup["port"].as_u64().expect("port");
        Self {
            base: format!("http://127.0.0.1:{port}/"),
            setup,
            _process: process,
        }
    }

    fn text(&self, path: &[&str]) -> String {
        path.iter()
            .fold(&self.setup, |v, k| &v[*k])
            .as_str()
            .unwrap_or_else(|| panic!("{path:?} in {}", self.setup))
            .to_owned()
    }

    fn keys(&self, which: &str) -> AwsCredentials {
        let token = (which == "role").then(|| self.text(&[which, "session_token"]));
        AwsCredentials::new(
            self.text(&[which, "access_key_id"]),
            self.text(&[which, "secret_access_key"]),
            token,
        )
    }

    /// A credential signed by `which` (`user` or `role`) for `server_id`, at `at`.
    fn credential_at(&self, which: &str, server_id: &str, at: SystemTime) -> String {
        Presigner::new(REGION, server_id)
            .endpoint(&self.base)
            .sign(&self.keys(which), at)
            .expect("presign")
    }

    fn credential(&self, which: &str) -> String {
        self.credential_at(which, SERVER_ID, SystemTime::now())
    }

    fn provider(&self) -> AwsIamBuilder {
        AwsIam::builder(REGION, SERVER_ID).sts_endpoint(&self.base)
    }

    async fn calls(&self) -> u64 {
        let reply = send(client().get(format!("{}_calls", self.base))).await;
        reply.json()["calls"].as_u64().expect("calls")
    }

    async fn mode(&self, mode: &str) {
        let reply = send(
            client()
                .post(format!("{}_mode", self.base))
                .body(mode.to_owned()),
        )
        .await;
        assert_eq!(reply.status, 200);
    }

    async fn boto3_credential(&self, which: &str, server_id: &str) -> String {
        let url = format!(
            "{}_boto3_credential?server_id={server_id}&which={which}",
            self.base
        );
        send(client().get(url)).await.body
    }
}

async fn serve_provider(provider: impl Provider) -> Server {
    serve(app(AuthLayer::new(provider))).await
}

fn decoded(credential: &str) -> String {
    let encoded = credential.strip_prefix("tollgate-aws-v1.").expect("prefix");
    String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).expect("base64")).expect("utf-8")
}

fn encoded(url: &str) -> String {
    format!("tollgate-aws-v1.{}", URL_SAFE_NO_PAD.encode(url))
}

#[tokio::test]
async fn user_and_role_credentials_are_verified_by_sts() {
    if !Sts::available("user_and_role_credentials_are_verified_by_sts") {
        return;
    }
    let sts = Sts::start().await;
    let provider = sts.provider().build().expect("provider");
    let server = serve_provider(
        Providers::builder()
            .aws_iam(provider.clone())
            .build()
            .expect("providers"),
    )
    .await;
    let account = sts.text(&["account"]);

    let user = get_me(&server, &sts.credential("user")).await;
    assert_eq!(user.status, 200, "{}", user.body);
    let me = user.json();
    assert_eq!(me["subject"], sts.text(&["user", "arn"]));
    assert_eq!(me["subject"], "arn:aws:iam::123456789012:user/ops/alice");
    assert_eq!(me["provider"], "aws-iam");
    assert_eq!(me["issuer"], sts.base.as_str());
    assert_eq!(me["claims"]["account"], account.as_str());
    assert_eq!(me["claims"]["principal_type"], "user");
    assert!(me["claims"].get("role_name").is_none());

    let role = get_me(&server, &sts.credential("role")).await;
    assert_eq!(role.status, 200, "{}", role.body);
    let me = role.json();
    assert_eq!(me["subject"], sts.text(&["role", "arn"]));
    assert_eq!(me["claims"]["principal_type"], "assumed-role");
    assert_eq!(me["claims"]["role_name"], "AdminDeployer");
    assert_eq!(me["claims"]["session_name"], "ci-42");
    // GetCallerIdentity gives no role path: the role is `/team/AdminDeployer` in IAM.
    assert_eq!(
        sts.text(&["role", "role_arn"]),
        "arn:aws:iam::123456789012:role/team/AdminDeployer"
    );
    assert_eq!(
        me["claims"]["role_arn"],
        "arn:aws:iam::123456789012:role/AdminDeployer"
    );
    assert_eq!(sts.calls().await, 2);

    for which in ["user", "role"] {
        let credential = sts.boto3_credential(which, SERVER_ID).await;
        let reply = get_me(&server, &credential).await;
        assert_eq!(
            reply.status, 200,
            "boto3-made {which} credential: {}",
            reply.body
        );
        assert_eq!(reply.json()["subject"], sts.text(&[which, "arn"]));
    }
    // botocore signs as `Presigner` does: without a session token (whose parameter botocore
    // puts in another place in the query) a boto3 credential made in the same second as the
    // Rust one is the same string, answered from the cache.
    let calls = sts.calls().await;
    assert!((3..=4).contains(&calls), "{calls}");

    // Signed for another server: STS is asked (with this server's id) and refuses.
    for credential in [
        sts.credential_at("user", "billing-api", SystemTime::now()),
        sts.boto3_credential("role", "billing-api").await,
    ] {
        let reply = get_me(&server, &credential).await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    }
    assert_eq!(sts.calls().await, calls + 2);
}

#[tokio::test]
async fn a_credential_costs_one_sts_call_over_its_life() {
    if !Sts::available("a_credential_costs_one_sts_call_over_its_life") {
        return;
    }
    let sts = Sts::start().await;
    let clock = ManualClock::new();
    let provider = sts
        .provider()
        .clock(clock.clone())
        .build()
        .expect("provider");
    let server = serve_provider(provider.clone()).await;

    let credential = sts.credential("user");
    for _ in 0..3 {
        assert_eq!(get_me(&server, &credential).await.status, 200);
    }
    assert_eq!(sts.calls().await, 1, "same credential: one call");
    let answered = provider.try_authenticate(&tollgate::Credential::bearer(credential.as_str()));
    assert!(
        matches!(answered, Some(Ok(_))),
        "a repeat is answered without a future"
    );

    // Refusals are kept too.
    let other = sts.credential_at("user", "billing-api", SystemTime::now());
    for _ in 0..2 {
        assert_eq!(get_me(&server, &other).await.status, 401);
    }
    assert_eq!(sts.calls().await, 2);

    // Concurrent first uses share one call.
    let fresh = sts.credential("role");
    let replies = futures_join(&server, &fresh, 8).await;
    assert!(replies.iter().all(|s| *s == 200), "{replies:?}");
    assert_eq!(
        sts.calls().await,
        3,
        "eight concurrent first uses: one call"
    );

    // Past its validity the cached answer no longer counts; refused locally. The credentials
    // were signed by the wall clock a little after the manual clock was made (seconds, on a
    // loaded machine), so go well past their 900 s; the exact boundary is a unit test in
    // `src/aws_iam/credential.rs`.
    clock.advance(Duration::from_secs(960));
    let reply = get_me(&server, &credential).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        provider.verify(&credential).await.err().map(|e| e.reason()),
        Some(Reason::Expired)
    );
    assert_eq!(sts.calls().await, 3);

    // Bounded: a cache of two keeps two answers whatever it is given.
    let small = sts.provider().max_cached(2).build().expect("provider");
    let now = SystemTime::now();
    for seconds in 0..4 {
        let credential = sts.credential_at("user", SERVER_ID, now - Duration::from_secs(seconds));
        assert!(small.verify(&credential).await.is_ok());
        assert!(small.cached_count() <= 2, "{}", small.cached_count());
    }
    assert_eq!(sts.calls().await, 7);
}

async fn futures_join(server: &Server, credential: &str, n: usize) -> Vec<u16> {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let url = format!("{}/me", server.base);
        let credential = credential.to_owned();
        tasks.push(tokio::spawn(async move {
            send(client().get(url).bearer_auth(credential)).await.status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    statuses
}

#[tokio::test]
async fn forged_credentials_are_refused_without_calling_sts() {
    if !Sts::available("forged_credentials_are_refused_without_calling_sts") {
        return;
    }
    let sts = Sts::start().await;
    let provider = sts.provider().build().expect("provider");
    let server = serve_provider(provider.clone()).await;
    let valid = sts.credential("user");
    let url = decoded(&valid);
    let port = sts.setup["port"].as_u64().expect("port");
    let now = SystemTime::now();
    let b64 = valid.strip_prefix("tollgate-aws-v1.").expect("prefix");
    let huge_token = AwsCredentials::new(
        sts.text(&["role", "access_key_id"]),
        "secret",
        Some("T".repeat(4000)),
    );

    let cases: Vec<(&str, String, Reason)> = vec![
        (
            "wrong prefix",
            format!("tollgate-aws-v2.{b64}"),
            Reason::Malformed,
        ),
        ("no prefix", b64.to_owned(), Reason::Malformed),
        ("padded base64", format!("{valid}=="), Reason::Malformed),
        (
            "space inside",
            format!("tollgate-aws-v1. {b64}"),
            Reason::Malformed,
        ),
        ("invalid base64", format!("{valid}!"), Reason::Malformed),
        (
            "other host",
            encoded(&url.replace("127.0.0.1", "localhost")),
            Reason::WrongIssuer,
        ),
        (
            "attacker host",
            encoded(&url.replace("127.0.0.1", "sts.attacker.example")),
            Reason::WrongIssuer,
        ),
        (
            "https for http",
            encoded(&url.replace("http://", "https://")),
            Reason::WrongIssuer,
        ),
        (
            "other port",
            encoded(&url.replace(&format!(":{port}/"), &format!(":{}/", port + 1))),
            Reason::WrongIssuer,
        ),
        (
            "other path",
            encoded(&url.replace("/?", "/sts/?")),
            Reason::WrongIssuer,
        ),
        (
            "dot segment path",
            encoded(&url.replace("/?", "/x/../?")),
            Reason::WrongIssuer,
        ),
        (
            "userinfo",
            encoded(&url.replace("http://", "http://user:pass@")),
            Reason::WrongIssuer,
        ),
        (
            "fragment",
            encoded(&format!("{url}#x")),
            Reason::WrongIssuer,
        ),
        (
            "other action",
            encoded(&url.replace("Action=GetCallerIdentity", "Action=AssumeRole")),
            Reason::Malformed,
        ),
        (
            "other version",
            encoded(&url.replace("Version=2011-06-15", "Version=2011-06-16")),
            Reason::Malformed,
        ),
        (
            "duplicate action",
            encoded(&format!("{url}&Action=GetCallerIdentity")),
            Reason::Malformed,
        ),
        (
            "unknown parameter",
            encoded(&format!("{url}&Foo=bar")),
            Reason::Malformed,
        ),
        (
            "server id not signed",
            encoded(&url.replace(
                "X-Amz-SignedHeaders=host%3Bx-tollgate-server-id",
                "X-Amz-SignedHeaders=host",
            )),
            Reason::WrongAudience,
        ),
        (
            "extra signed header",
            encoded(&url.replace(
                "host%3Bx-tollgate-server-id",
                "host%3Bx-amz-foo%3Bx-tollgate-server-id",
            )),
            Reason::WrongAudience,
        ),
        (
            "authorization signed",
            encoded(&url.replace(
                "host%3Bx-tollgate-server-id",
                "authorization%3Bhost%3Bx-tollgate-server-id",
            )),
            Reason::WrongAudience,
        ),
        (
            "expires over 900",
            encoded(&url.replace("X-Amz-Expires=900", "X-Amz-Expires=901")),
            Reason::InvalidClaim,
        ),
        (
            "expires zero",
            encoded(&url.replace("X-Amz-Expires=900", "X-Amz-Expires=0")),
            Reason::InvalidClaim,
        ),
        (
            "dated 16 min ahead",
            sts.credential_at("user", SERVER_ID, now + Duration::from_secs(16 * 60)),
            Reason::NotYetValid,
        ),
        (
            "expired",
            sts.credential_at("user", SERVER_ID, now - Duration::from_secs(16 * 60)),
            Reason::Expired,
        ),
        (
            "oversized",
            Presigner::new(REGION, SERVER_ID)
                .endpoint(&sts.base)
                .sign(&huge_token, now)
                .expect("presign"),
            Reason::TooLarge,
        ),
        (
            "region mismatch in scope",
            Presigner::new("us-east-1", SERVER_ID)
                .endpoint(&sts.base)
                .sign(&sts.keys("user"), now)
                .expect("presign"),
            Reason::WrongIssuer,
        ),
    ];
    for (name, credential, reason) in &cases {
        assert_ne!(credential, &valid, "{name} changes the credential");
        let reply = get_me(&server, credential).await;
        assert_eq!(reply.status, 401, "{name}: {}", reply.body);
        let error = provider.verify(credential).await.err();
        assert_eq!(error.as_ref().map(|e| e.reason()), Some(*reason), "{name}");
    }
    assert_eq!(sts.calls().await, 0, "no forged credential reached STS");
    assert_eq!(provider.cached_count(), 0, "nor the cache");
    assert_eq!(
        get_me(&server, &valid).await.status,
        200,
        "the original still works"
    );
    assert_eq!(sts.calls().await, 1);
}

#[tokio::test]
async fn sts_failures_answer_503_and_are_not_cached() {
    if !Sts::available("sts_failures_answer_503_and_are_not_cached") {
        return;
    }
    let sts = Sts::start().await;
    let provider = sts
        .provider()
        .timeout(Duration::from_millis(500))
        .build()
        .expect("provider");
    let server = serve_provider(provider.clone()).await;
    let credential = sts.credential("user");

    for mode in ["error", "garbage", "redirect", "throttle", "hang"] {
        sts.mode(mode).await;
        let started = Instant::now();
        let reply = get_me(&server, &credential).await;
        assert_eq!(reply.status, 503, "{mode}: {}", reply.body);
        assert!(reply.retry_after.is_some(), "{mode}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{mode} bounded by the timeout"
        );
        let error = provider.verify(&credential).await.err();
        assert_eq!(
            error.map(|e| (e.kind(), e.reason())),
            Some((AuthErrorKind::Unavailable, Reason::StsUnavailable))
        );
    }
    assert_eq!(
        sts.calls().await,
        10,
        "each attempt asked again, no redirect followed"
    );
    sts.mode("ok").await;
    assert_eq!(
        get_me(&server, &credential).await.status,
        200,
        "503s were not cached"
    );
    assert_eq!(sts.calls().await, 11);
}

#[tokio::test]
async fn allowlists_refuse_other_callers_with_403() {
    if !Sts::available("allowlists_refuse_other_callers_with_403") {
        return;
    }
    let sts = Sts::start().await;
    let (user, role) = (sts.credential("user"), sts.credential("role"));
    let status = |provider: AwsIam| {
        let (user, role) = (user.clone(), role.clone());
        async move {
            let server = serve_provider(provider).await;
            (
                get_me(&server, &user).await.status,
                get_me(&server, &role).await.status,
            )
        }
    };
    let roles_only = sts
        .provider()
        .allowed_arns(["arn:aws:iam::123456789012:role/Admin*"]);
    assert_eq!(
        status(roles_only.build().expect("provider")).await,
        (403, 200)
    );
    let users_only = sts
        .provider()
        .allowed_arns(["arn:aws:iam::*:user/ops/*", "arn:aws:iam::1:role/*"]);
    assert_eq!(
        status(users_only.build().expect("provider")).await,
        (200, 403)
    );
    let sessions = sts
        .provider()
        .allowed_arns(["arn:aws:sts::123456789012:assumed-role/*/ci-*"]);
    assert_eq!(
        status(sessions.build().expect("provider")).await,
        (403, 200)
    );
    let account = sts.provider().allowed_accounts(["123456789012"]);
    assert_eq!(status(account.build().expect("provider")).await, (200, 200));
    let other_account = sts.provider().allowed_accounts(["210987654321"]);
    assert_eq!(
        status(other_account.build().expect("provider")).await,
        (403, 403)
    );
}

#[test]
fn configuration_mistakes_are_refused_at_build() {
    let bad = [
        AwsIam::builder("EU-WEST-1", SERVER_ID),
        AwsIam::builder(REGION, ""),
        AwsIam::builder(REGION, "orders\napi"),
        AwsIam::builder(REGION, SERVER_ID).sts_endpoint("http://sts.example.com/"),
        AwsIam::builder(REGION, SERVER_ID).sts_endpoint("https://u@sts.example.com/"),
        AwsIam::builder(REGION, SERVER_ID).sts_endpoint("https://sts.example.com/?a=b"),
        AwsIam::builder(REGION, SERVER_ID).timeout(Duration::ZERO),
        AwsIam::builder(REGION, SERVER_ID).allowed_accounts(["12345"]),
        AwsIam::builder(REGION, SERVER_ID).allowed_arns(Vec::<String>::new()),
    ];
    for builder in bad {
        let shown = format!("{builder:?}");
        assert!(builder.build().is_err(), "{shown}");
    }
    let provider = AwsIam::builder(REGION, SERVER_ID)
        .build()
        .expect("defaults");
    assert_eq!(provider.endpoint(), "https://sts.eu-west-1.amazonaws.com/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_server_example_serves_me_and_guards_admin() {
    if !Sts::available("iam_server_example_serves_me_and_guards_admin") {
        return;
    }
    let sts = Sts::start().await;
    let env = [
        ("IAM_REGION", REGION),
        ("IAM_SERVER_ID", SERVER_ID),
        ("IAM_STS_ENDPOINT", sts.base.as_str()),
        ("IAM_ADMIN_ARNS", "arn:aws:iam::123456789012:role/Admin*"),
    ];
    let (_running, lines) = start("iam_server", &env, |lines| !lines.is_empty());
    let base = base_url(&lines);
    let c = client();
    let get = |path: &str, credential: &str| c.get(format!("{base}{path}")).bearer_auth(credential);
    let (user, role) = (sts.credential("user"), sts.credential("role"));
    let me = send(get("/me", &user)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["subject"], sts.text(&["user", "arn"]));
    assert_eq!(send(get("/admin", &user)).await.status, 403);
    assert_eq!(send(get("/admin", &role)).await.status, 200);
    assert_eq!(send(get("/me", "tollgate-aws-v1.AAAA")).await.status, 401);
    assert_eq!(send(c.get(format!("{base}/me"))).await.status, 401);

    let output = Command::new(example("iam_server"))
        .env_remove("IAM_REGION")
        .env("IAM_SERVER_ID", SERVER_ID)
        .env("ADDR", "127.0.0.1:0")
        .output()
        .expect("run iam_server");
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("IAM_REGION is not set"), "{err}");
    let output = Command::new(example("iam_server"))
        .env("IAM_REGION", REGION)
        .env("IAM_SERVER_ID", SERVER_ID)
        .env("IAM_STS_ENDPOINT", "http://sts.example.com/")
        .env("ADDR", "127.0.0.1:0")
        .output()
        .expect("run iam_server");
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("IAM_STS_ENDPOINT"), "{err}");
}
