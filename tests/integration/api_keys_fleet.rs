//! The PostgreSQL fleet examples as real binaries against a real server: `api_keys_admin`
//! (every command, its exit statuses and messages) and `api_keys_server` (keys and JWT
//! revocations read from PostgreSQL, propagation of revocations, a PostgreSQL restart).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tollgate::api_key::ApiKeys;
use tollgate::dev::DevIssuer;

use crate::examples::{base_url, example, start, Running};
use crate::postgres_support::Postgres;
use crate::support::*;

/// An `api_keys_admin` run: exit status, stdout and stderr.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn of(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts exit status 0 and returns stdout.
    fn ok(self, what: &str) -> String {
        assert_eq!(self.code, Some(0), "{what}: {}", self.stderr);
        self.stdout
    }

    /// Asserts exit status `code` and a message on stderr containing `message`.
    fn fails(self, what: &str, code: i32, message: &str) {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: {}{}",
            self.stdout,
            self.stderr
        );
        assert!(self.stderr.contains(message), "{what}: {}", self.stderr);
    }
}

/// Runs `api_keys_admin` with `DATABASE_URL` set to `url` (unset for `None`).
fn admin(url: Option<&str>, args: &[&str]) -> Ran {
    let mut command = Command::new(example("api_keys_admin"));
    command.args(args).env("RUST_LOG", "warn");
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    Ran::of(command.output().expect("run api_keys_admin"))
}

/// The `id=` and `key=` lines of `create` or `roll`.
fn id_and_key(stdout: &str) -> (String, String) {
    let value = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} line in {stdout:?}"))
            .to_owned()
    };
    let (id, key) = (value("id="), value("key="));
    assert_eq!(stdout.lines().count(), 2, "{stdout:?}");
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert!(key.starts_with("tgk2_") && key.contains(&id), "{key}");
    (id, key)
}

/// The `list` line of key `id`.
fn listed(url: &str, id: &str) -> String {
    admin(Some(url), &["list"])
        .ok("list")
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("{id} is not listed"))
        .to_owned()
}

/// Runs `api_keys_server` to completion with `vars` (and no JWT configuration unless given).
fn server_exit(vars: &[(&str, &str)], unset: &[&str]) -> Ran {
    let mut command = Command::new(example("api_keys_server"));
    command
        .env("ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env_remove("TOLLGATE_ISSUER")
        .env_remove("TOLLGATE_AUDIENCE")
        .env_remove("TOLLGATE_JWKS_URL")
        .env_remove("MAX_STALENESS");
    for name in unset {
        command.env_remove(name);
    }
    for (name, value) in vars {
        command.env(name, value);
    }
    Ran::of(command.output().expect("run api_keys_server"))
}

/// Starts `api_keys_server` on `url` with `vars`; returns it and its base URL.
fn server(url: &str, vars: &[(&str, &str)]) -> (Running, String) {
    let mut env = vec![("DATABASE_URL", url)];
    env.extend_from_slice(vars);
    let (running, lines) = start("api_keys_server", &env, |lines| {
        lines.iter().any(|l| l.contains("listening on"))
    });
    (running, base_url(&lines))
}

/// The status of `GET {base}{path}` with one header.
async fn status(base: &str, path: &str, header: (&str, &str)) -> u16 {
    send(
        client()
            .get(format!("{base}{path}"))
            .header(header.0, header.1),
    )
    .await
    .status
}

/// Polls until `GET {base}{path}` with `header` answers `want`; a wait, not a timing assertion.
async fn until_status(base: &str, path: &str, header: (&str, &str), want: u16, limit: Duration) {
    let started = Instant::now();
    loop {
        let got = status(base, path, header).await;
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "{path} with {}: still {got} after {limit:?}, expected {want}",
            header.0
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn api_key(key: &str) -> (&'static str, &str) {
    ("x-api-key", key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_admin_cli_lifecycle() {
    if !Postgres::available("api_keys_admin_cli_lifecycle") {
        return;
    }
    let pg = Postgres::start_new().await;
    let db = pg.url();
    let url = Some(db.as_str());

    assert!(admin(url, &["migrate"])
        .ok("migrate")
        .contains("schema ready"));
    let (id, key) = id_and_key(
        &admin(
            url,
            &[
                "create",
                "ci-deploy",
                "--scopes",
                "deploy,admin",
                "--expires",
                "2099-01-01T00:00:00Z",
            ],
        )
        .ok("create"),
    );
    let line = listed(&db, &id);
    for part in [
        "owner=ci-deploy ",
        "scopes=deploy,admin ",
        "state=active_(expiring) ",
        "expires=2099-01-01T00:00:00Z ",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!line.contains(&key), "list never shows the key");

    let (expired, _) = id_and_key(
        &admin(url, &["create", "svc", "--expires", "1700000000"]).ok("create, expired"),
    );
    let line = listed(&db, &expired);
    assert!(line.contains("state=expired "), "{line}");
    assert!(line.contains("expires=2023-11-14T22:13:20Z "), "{line}");

    let (rolled, _) = id_and_key(&admin(url, &["roll", &id, "--grace", "3600"]).ok("roll"));
    assert_ne!(rolled, id);
    let old = listed(&db, &id);
    assert!(old.contains("state=active_(expiring) "), "{old}");
    let new = listed(&db, &rolled);
    assert!(
        new.contains("owner=ci-deploy scopes=deploy,admin state=active"),
        "{new}"
    );

    assert!(admin(url, &["revoke", &rolled])
        .ok("revoke")
        .contains(&format!("revoked {rolled}")));
    let line = listed(&db, &rolled);
    assert!(line.contains("state=revoked "), "{line}");

    admin(url, &["revoke-token", "--jti", "abc"]).ok("revoke-token");
    admin(url, &["revoke-subject", "alice"]).ok("revoke-subject");
    admin(
        url,
        &[
            "revoke-subject",
            "bob",
            "--before",
            "2026-01-01T00:00:00+02:00",
        ],
    )
    .ok("revoke-subject --before");
    let client = pg.client().await;
    let jtis = client
        .query("SELECT jti FROM tollgate_revoked_tokens", &[])
        .await
        .expect("query");
    let jtis: Vec<String> = jtis.iter().map(|r| r.get(0)).collect();
    assert_eq!(jtis, ["abc"]);
    let subjects = client
        .query(
            "SELECT subject, to_char(before AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             expires_at > now() FROM tollgate_revoked_subjects ORDER BY subject",
            &[],
        )
        .await
        .expect("query");
    let subjects: Vec<(String, String, bool)> = subjects
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(subjects[0].0, "alice");
    assert!(subjects[0].2, "{subjects:?}");
    assert_eq!(
        subjects[1],
        ("bob".to_owned(), "2025-12-31T22:00:00Z".to_owned(), true),
        "--before in +02:00 is stored as UTC; kept 24 h after now by default"
    );

    // Bad usage: exit status 2 and a message.
    admin(url, &[]).fails("no command", 2, "no command given");
    admin(url, &["frobnicate"]).fails("unknown command", 2, "unknown command \"frobnicate\"");
    admin(url, &["create"]).fails("create without owner", 2, "create takes 1 argument");
    admin(url, &["roll", &id]).fails("roll without --grace", 2, "--grace");
    admin(url, &["create", "x", "--expires", "notatime"]).fails(
        "--expires notatime",
        2,
        "--expires: \"notatime\" is neither RFC 3339",
    );
    admin(url, &["revoke", "not-an-id"]).fails("revoke not-an-id", 2, "is not a key id");
    admin(url, &["revoke", "0000000000000000"]).fails(
        "revoke an unknown id",
        2,
        "no API key has the id 0000000000000000",
    );
    admin(None, &["list"]).fails("DATABASE_URL unset", 2, "DATABASE_URL is not set");

    // A database that cannot be reached: exit status 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let nowhere = format!("postgres://tollgate@127.0.0.1:{port}/postgres");
    let ran = admin(Some(&nowhere), &["list"]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(ran.stderr.starts_with("api_keys_admin: "), "{}", ran.stderr);
    assert!(!ran.stderr.contains("usage:"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_server_serves_keys_from_postgres() {
    if !Postgres::available("api_keys_server_serves_keys_from_postgres") {
        return;
    }
    let pg = Postgres::start_new().await;
    let url = pg.url();
    let (admin_id, admin_key) =
        id_and_key(&admin(Some(&url), &["create", "root", "--scopes", "admin"]).ok("create admin"));
    let (_, user_key) =
        id_and_key(&admin(Some(&url), &["create", "ci-deploy", "--scopes", "deploy"]).ok("create"));

    let (_running, base) = server(&url, &[]);
    let c = client();
    let me = send(c.get(format!("{base}/me")).header("x-api-key", &user_key)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["subject"], "ci-deploy");
    let me = send(
        c.get(format!("{base}/me"))
            .header("authorization", format!("ApiKey {user_key}")),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["subject"], "ci-deploy");
    assert_eq!(status(&base, "/admin", api_key(&user_key)).await, 403);
    let root = send(
        c.get(format!("{base}/admin"))
            .header("x-api-key", &admin_key),
    )
    .await;
    assert_eq!(root.status, 200, "{}", root.body);
    assert_eq!(root.json()["subject"], "root");

    let unknown = ApiKeys::generate().expect("generate");
    let refused = send(
        c.get(format!("{base}/me"))
            .header("x-api-key", unknown.secret()),
    )
    .await;
    assert_eq!(refused.status, 401);
    assert!(refused.www_authenticate.is_some(), "{refused:?}");
    assert_eq!(
        status(&base, "/me", api_key("tgk2_not-a-well-formed-key")).await,
        401
    );
    assert_eq!(send(c.get(format!("{base}/me"))).await.status, 401);

    let started = Instant::now();
    loop {
        let health = send(c.get(format!("{base}/health"))).await;
        assert_eq!(health.status, 200);
        if health.json()["in_sync"] == true {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never in sync: {}",
            health.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    admin(Some(&url), &["revoke", &admin_id]).ok("revoke");
    until_status(
        &base,
        "/admin",
        api_key(&admin_key),
        401,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status(&base, "/me", api_key(&user_key)).await, 200);

    // Bad configuration: exit status 2 naming the variable.
    server_exit(&[], &["DATABASE_URL"]).fails("DATABASE_URL unset", 2, "DATABASE_URL");
    server_exit(&[("DATABASE_URL", &url), ("MAX_STALENESS", "abc")], &[]).fails(
        "MAX_STALENESS=abc",
        2,
        "MAX_STALENESS",
    );
    server_exit(
        &[
            ("DATABASE_URL", &url),
            ("TOLLGATE_ISSUER", "https://issuer.example.com/"),
        ],
        &[],
    )
    .fails(
        "TOLLGATE_ISSUER without TOLLGATE_AUDIENCE",
        2,
        "TOLLGATE_AUDIENCE",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_server_checks_jwts_against_the_revocation_list() {
    if !Postgres::available("api_keys_server_checks_jwts_against_the_revocation_list") {
        return;
    }
    let pg = Postgres::start_new().await;
    let url = pg.url();
    admin(Some(&url), &["migrate"]).ok("migrate");
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks_url = issuer.jwks_url();
    let (_running, base) = server(
        &url,
        &[
            ("TOLLGATE_ISSUER", issuer.issuer()),
            ("TOLLGATE_AUDIENCE", issuer.audience()),
            ("TOLLGATE_JWKS_URL", &jwks_url),
        ],
    );
    let bearer = |token: &str| format!("Bearer {token}");
    let first = bearer(
        &issuer
            .token()
            .subject("alice")
            .claim("jti", "alice-1")
            .sign(),
    );
    let second = bearer(
        &issuer
            .token()
            .subject("alice")
            .claim("jti", "alice-2")
            .sign(),
    );
    let me = send(
        client()
            .get(format!("{base}/me"))
            .header("authorization", &first),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["subject"], "alice");

    admin(Some(&url), &["revoke-token", "--jti", "alice-1"]).ok("revoke-token");
    let limit = Duration::from_secs(5);
    until_status(&base, "/me", ("authorization", &first), 401, limit).await;
    assert_eq!(status(&base, "/me", ("authorization", &second)).await, 200);

    admin(Some(&url), &["revoke-subject", "alice"]).ok("revoke-subject");
    until_status(&base, "/me", ("authorization", &second), 401, limit).await;
    // A token issued after the revocation (its `iat` is now, a second later) passes, as does
    // another subject's.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = bearer(
        &issuer
            .token()
            .subject("alice")
            .claim("jti", "alice-3")
            .sign(),
    );
    assert_eq!(status(&base, "/me", ("authorization", &later)).await, 200);
    let bob = bearer(&issuer.token().subject("bob").claim("jti", "bob-1").sign());
    assert_eq!(status(&base, "/me", ("authorization", &bob)).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_server_survives_a_postgres_restart() {
    if !Postgres::available("api_keys_server_survives_a_postgres_restart") {
        return;
    }
    let mut pg = Postgres::start_new().await;
    let url = pg.url();
    let (id, key) =
        id_and_key(&admin(Some(&url), &["create", "worker", "--scopes", "admin"]).ok("create"));
    let (_running, base) = server(&url, &[("MAX_STALENESS", "30")]);
    until_status(&base, "/admin", api_key(&key), 200, Duration::from_secs(10)).await;

    pg.stop();
    for _ in 0..5 {
        assert_eq!(
            status(&base, "/admin", api_key(&key)).await,
            200,
            "served from the cache while PostgreSQL is down"
        );
    }

    let ran = admin(Some(&url), &["list"]);
    assert_eq!(ran.code, Some(1), "PostgreSQL is down: {}", ran.stderr);

    pg.start().await;
    until_status(&base, "/admin", api_key(&key), 200, Duration::from_secs(30)).await;
    admin(Some(&url), &["revoke", &id]).ok("revoke after the restart");
    until_status(&base, "/admin", api_key(&key), 401, Duration::from_secs(10)).await;
}
