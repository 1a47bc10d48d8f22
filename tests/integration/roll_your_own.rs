//! The `roll_your_own` example as a real binary, each run in its own temporary folder: the
//! whole flow with no configuration at all (SQLite file and sealing key generated beside it),
//! a restart that keeps the users and the signing keys, the `DATABASE_URL` forms, PostgreSQL
//! with `ISSUER_KEY`, and the configuration mistakes that must stop it with exit status 2.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::examples::{example, start_command, Running};
use crate::support::*;

const NAME: &str = "roll_your_own";
const USER_PASSWORD: &str = "correct horse battery staple";

/// A temporary folder, deleted on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tollgate-ryo-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The example run in `dir`, with only `env` among the variables it reads.
fn command(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(example(NAME));
    command.current_dir(dir);
    for var in ["DATABASE_URL", "ISSUER_KEY", "ADMIN_PASSWORD", "AUDIENCE"] {
        command.env_remove(var);
    }
    command.env("ADDR", "127.0.0.1:0").env("RUST_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

/// Starts the example in `dir`; its stdout up to the listening line.
fn serve(dir: &Path, env: &[(&str, &str)]) -> (Running, Vec<String>) {
    start_command(NAME, command(dir, env), |lines| {
        lines.iter().any(|l| l.contains("listening on"))
    })
}

/// The base URL from the `listening on` line (the curl lines above it name endpoints).
fn listening_url(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.split("listening on ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a listening line")
        .to_owned()
}

/// Runs the example where it should refuse to start: its exit status and stderr.
fn refused(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = command(dir, env).output().expect("run roll_your_own");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `ADDR` for a restart on the same port, so the issuer (its own base URL) stays the same.
fn same_addr(base: &str) -> String {
    base.strip_prefix("http://").expect("http base").to_owned()
}

/// The random administrator password printed on first start, if any.
fn printed_password(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|l| {
        l.strip_prefix("created the administrator: username admin, password ")?
            .strip_suffix(" (shown once)")
            .map(str::to_owned)
    })
}

fn created_admin(lines: &[String]) -> bool {
    lines
        .iter()
        .any(|l| l.contains("created the administrator"))
}

async fn token_request(base: &str, form: &[(&str, &str)]) -> Reply {
    send(client().post(format!("{base}/oauth/token")).form(form)).await
}

async fn sign_in(base: &str, username: &str, password: &str) -> Reply {
    token_request(
        base,
        &[
            ("grant_type", "password"),
            ("client_id", "cli"),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

async fn refresh(base: &str, refresh_token: &str) -> Reply {
    token_request(
        base,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "cli"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// The access and refresh tokens of a successful token response.
fn tokens(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    let field = |name: &str| {
        json[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {}", reply.body))
            .to_owned()
    };
    (field("access_token"), field("refresh_token"))
}

async fn signed_in(base: &str, username: &str, password: &str) -> (String, String) {
    tokens(&sign_in(base, username, password).await)
}

fn assert_invalid_grant(reply: &Reply) {
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (400, Some("invalid_grant")),
        "{}",
        reply.body
    );
}

async fn create_user(base: &str, admin: &str, username: &str, scopes: &[&str]) -> Reply {
    send(
        client()
            .post(format!("{base}/admin/users"))
            .bearer_auth(admin)
            .json(&json!({ "username": username, "password": USER_PASSWORD, "scopes": scopes })),
    )
    .await
}

/// Creates `username` with `scopes` and [`USER_PASSWORD`]; its id.
async fn created_user(base: &str, admin: &str, username: &str, scopes: &[&str]) -> String {
    let created = create_user(base, admin, username, scopes).await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()["id"].as_str().expect("id").to_owned()
}

async fn me(base: &str, token: &str) -> Reply {
    send(client().get(format!("{base}/me")).bearer_auth(token)).await
}

/// Asserts `/me` accepts `token` as `subject` with audience `audience`.
async fn assert_me(base: &str, token: &str, subject: &str, audience: &str) {
    let reply = me(base, token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let principal = reply.json();
    assert_eq!(principal["subject"], subject, "{principal}");
    assert_eq!(principal["issuer"], base, "{principal}");
    let aud = &principal["claims"]["aud"];
    assert!(
        aud == audience || aud.as_array().is_some_and(|a| a == &[json!(audience)]),
        "{principal}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_your_own_on_sqlite_with_no_configuration() {
    let dir = TempDir::new("bare");
    let (running, lines) = serve(dir.path(), &[]);
    let base = listening_url(&lines);
    let admin_password = printed_password(&lines).expect("the administrator's password, printed");
    let database = dir.path().join("roll-your-own.db");
    assert!(database.is_file(), "{}", database.display());
    let key_file = dir.path().join("roll-your-own.db.issuer-key");
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o600, "{}", key_file.display());
    }

    let c = client();
    let discovery = send(c.get(format!("{base}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery.status, 200, "{}", discovery.body);
    let discovery = discovery.json();
    assert_eq!(discovery["issuer"], base.as_str());
    let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
    let jwks = c.get(jwks_uri).send().await.expect("jwks");
    assert_eq!(jwks.status(), 200);
    assert_eq!(
        jwks.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=300")
    );
    let jwks: Value = jwks.json().await.expect("jwks json");
    assert!(
        jwks["keys"].as_array().is_some_and(|k| !k.is_empty()),
        "{jwks}"
    );

    let (admin, _) = signed_in(&base, "admin", &admin_password).await;
    let alice_id = created_user(&base, &admin, "alice", &["read"]).await;
    let (alice, alice_refresh) = signed_in(&base, "alice", USER_PASSWORD).await;
    assert_me(&base, &alice, &alice_id, "roll-your-own-api").await;
    let forbidden = create_user(&base, &alice, "mallory", &["admin"]).await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.body);
    assert_invalid_grant(&sign_in(&base, "alice", "not her password").await);

    // Refresh rotates; replaying the old refresh token is refused and ends the new one too.
    let (rotated_access, rotated_refresh) = tokens(&refresh(&base, &alice_refresh).await);
    assert_ne!(rotated_refresh, alice_refresh);
    assert_me(&base, &rotated_access, &alice_id, "roll-your-own-api").await;
    assert_invalid_grant(&refresh(&base, &alice_refresh).await);
    assert_invalid_grant(&refresh(&base, &rotated_refresh).await);

    let (_, to_revoke) = signed_in(&base, "alice", USER_PASSWORD).await;
    let revoked = send(
        c.post(format!("{base}/oauth/revoke"))
            .form(&[("token", to_revoke.as_str()), ("client_id", "cli")]),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_invalid_grant(&refresh(&base, &to_revoke).await);

    // A restart in the same folder, on the same address: same users, same keys.
    drop(running);
    let addr = same_addr(&base);
    let (_running, lines) = serve(dir.path(), &[("ADDR", &addr)]);
    assert_eq!(listening_url(&lines), base);
    assert!(!created_admin(&lines), "no second administrator: {lines:?}");
    assert_me(&base, &alice, &alice_id, "roll-your-own-api").await;
    let (again, _) = signed_in(&base, "alice", USER_PASSWORD).await;
    assert_me(&base, &again, &alice_id, "roll-your-own-api").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_your_own_database_url_forms() {
    const ADMIN_PASSWORD: &str = "the administrator's own password";
    let dir = TempDir::new("urls");

    std::fs::create_dir(dir.path().join("relative")).expect("relative folder");
    let env = [
        ("DATABASE_URL", "sqlite://relative/users.db"),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
    ];
    let (running, lines) = serve(dir.path(), &env);
    assert!(dir.path().join("relative/users.db").is_file());
    assert!(dir.path().join("relative/users.db.issuer-key").is_file());
    assert!(!dir.path().join("roll-your-own.db").exists());
    assert!(
        created_admin(&lines) && printed_password(&lines).is_none(),
        "{lines:?}"
    );
    let base = listening_url(&lines);
    let (admin, _) = signed_in(&base, "admin", ADMIN_PASSWORD).await;
    let alice_id = created_user(&base, &admin, "alice", &["read"]).await;
    let (alice, _) = signed_in(&base, "alice", USER_PASSWORD).await;
    assert_me(&base, &alice, &alice_id, "roll-your-own-api").await;
    drop(running);

    let absolute = dir.path().join("absolute.db");
    let url = format!("sqlite://{}", absolute.display());
    assert!(url.starts_with("sqlite:///"), "{url}");
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("AUDIENCE", "other-api"),
    ];
    let (_running, lines) = serve(dir.path(), &env);
    assert!(absolute.is_file(), "{}", absolute.display());
    let base = listening_url(&lines);
    let (admin, _) = signed_in(&base, "admin", ADMIN_PASSWORD).await;
    let bob_id = created_user(&base, &admin, "bob", &[]).await;
    let (bob, _) = signed_in(&base, "bob", USER_PASSWORD).await;
    assert_me(&base, &bob, &bob_id, "other-api").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roll_your_own_on_postgres() {
    use crate::postgres_support::Postgres;
    use tollgate::issuer::SealingKey;

    const ADMIN_PASSWORD: &str = "the administrator's own password";
    if !Postgres::available("roll_your_own_on_postgres") {
        return;
    }
    let pg = Postgres::start_new().await;
    let url = pg.url();
    let dir = TempDir::new("postgres");

    let (code, err) = refused(dir.path(), &[("DATABASE_URL", &url)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ISSUER_KEY"), "{err}");

    let (_, key) = SealingKey::generate().expect("sealing key");
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("ISSUER_KEY", key.as_str()),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
    ];
    let (running, lines) = serve(dir.path(), &env);
    assert!(created_admin(&lines), "{lines:?}");
    let base = listening_url(&lines);
    let (admin, _) = signed_in(&base, "admin", ADMIN_PASSWORD).await;
    let alice_id = created_user(&base, &admin, "alice", &["read"]).await;
    let (alice, _) = signed_in(&base, "alice", USER_PASSWORD).await;
    assert_me(&base, &alice, &alice_id, "roll-your-own-api").await;
    drop(running);

    let addr = same_addr(&base);
    let restart = [
        ("DATABASE_URL", url.as_str()),
        ("ISSUER_KEY", key.as_str()),
        ("ADDR", addr.as_str()),
    ];
    let (running, lines) = serve(dir.path(), &restart);
    assert!(!created_admin(&lines), "{lines:?}");
    assert_me(&base, &alice, &alice_id, "roll-your-own-api").await;
    drop(running);

    let (_, other_key) = SealingKey::generate().expect("sealing key");
    let wrong = [
        ("DATABASE_URL", url.as_str()),
        ("ISSUER_KEY", other_key.as_str()),
        ("ADDR", addr.as_str()),
    ];
    let (code, err) = refused(dir.path(), &wrong);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("unsealed") && err.contains("ISSUER_KEY"),
        "{err}"
    );
}

#[test]
fn roll_your_own_refuses_bad_configuration() {
    let dir = TempDir::new("refused");
    let cases = [
        ("ISSUER_KEY", "not-base64", "ISSUER_KEY"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        (
            "DATABASE_URL",
            "sqlite:///nonexistent-dir/x.db",
            "DATABASE_URL",
        ),
        ("ADDR", "nonsense", "ADDR"),
    ];
    for (var, value, named) in cases {
        let (code, err) = refused(dir.path(), &[(var, value)]);
        assert_eq!(code, Some(2), "{var}={value}: {err}");
        assert!(err.contains(named), "{var}={value}: {err}");
    }
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "nothing is created when the configuration is refused"
    );
}
