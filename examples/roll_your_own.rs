//! Rolling your own, done right: a token issuer with its own users (`tollgate::issuer`) and an
//! API that trusts it through the ordinary `JwtProvider` (by OIDC discovery), in one process.
//!
//! ```text
//! cargo run --example roll_your_own          # SQLite file ./roll-your-own.db, no configuration
//! DATABASE_URL=sqlite:///var/lib/app/users.db   (or sqlite://relative/path, or postgres://…)
//! ISSUER_KEY=<32 bytes in base64>            (seals the signing keys; with SQLite, generated into
//!                                             <database>.issuer-key when unset; required with PostgreSQL)
//! ADMIN_PASSWORD=…                           (the first administrator's; random and printed once otherwise)
//! AUDIENCE=roll-your-own-api                 (the access tokens' `aud`)
//! ADDR=127.0.0.1:3000
//! ```
//!
//! Routes: `GET /.well-known/openid-configuration`, `GET /.well-known/jwks.json`,
//! `POST /oauth/token` (form: `grant_type=password&client_id=cli&username=…&password=…`, or
//! `grant_type=refresh_token&client_id=cli&refresh_token=…`), `POST /oauth/revoke`, the user API
//! under `/admin/users` (scope `admin`), and `GET /me` (any valid token). On first start with an
//! empty store it creates the user `admin` (scope `admin`). A missing or wrong variable stops it
//! with exit status 2 naming the variable.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::{routing::get, Json, Router};
use tollgate::issuer::{Clients, Issuer, IssuerStore, SealingKey, SqliteStore};
use tollgate::jwt::JwtProvider;
use tollgate::{AuthLayer, Principal};

const DEFAULT_DATABASE: &str = "roll-your-own.db";

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("roll_your_own: {e}");
        std::process::exit(2);
    }
}

/// Where the users and keys live.
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

fn database_from_env() -> Result<Database, String> {
    let Some(url) = common::optional("DATABASE_URL") else {
        return Ok(Database::Sqlite(PathBuf::from(DEFAULT_DATABASE)));
    };
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() || path == "/" {
            return Err("DATABASE_URL: sqlite:// needs a path, e.g. sqlite://users.db".into());
        }
        // `sqlite:///abs/path` keeps its leading `/`; `sqlite://rel/path` is relative.
        return sqlite(PathBuf::from(path));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Database::Postgres(url));
    }
    Err("DATABASE_URL must start with sqlite:// or postgres://".into())
}

/// A SQLite file, created if missing; its folder must exist. Checked here so that a missing
/// folder is reported as `DATABASE_URL`, not as a failure to write the generated `ISSUER_KEY`.
fn sqlite(path: PathBuf) -> Result<Database, String> {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() && !folder.is_dir() => Err(format!(
            "DATABASE_URL: the folder {} does not exist",
            folder.display()
        )),
        _ => Ok(Database::Sqlite(path)),
    }
}

/// The key that seals the signing keys: `ISSUER_KEY`, or (SQLite only) one generated once and
/// kept beside the database file, readable by this user only.
fn sealing_key(database: &Database) -> Result<SealingKey, String> {
    if let Some(raw) = common::optional("ISSUER_KEY") {
        return SealingKey::from_base64(&raw).map_err(|e| format!("ISSUER_KEY: {e}"));
    }
    let Database::Sqlite(path) = database else {
        return Err(
            "ISSUER_KEY is not set; with PostgreSQL every replica needs the same key, \
             e.g. ISSUER_KEY=$(openssl rand -base64 32)"
                .into(),
        );
    };
    let key_path = key_file(path);
    if let Ok(existing) = std::fs::read_to_string(&key_path) {
        return SealingKey::from_base64(existing.trim())
            .map_err(|e| format!("ISSUER_KEY: the key in {}: {e}", key_path.display()));
    }
    let (key, text) = SealingKey::generate().map_err(|e| format!("ISSUER_KEY: {e}"))?;
    write_private(&key_path, &text)
        .map_err(|e| format!("ISSUER_KEY: cannot write {}: {e}", key_path.display()))?;
    eprintln!(
        "warning: ISSUER_KEY is not set; generated one into {} (keep it with the database, \
         and set ISSUER_KEY in production)",
        key_path.display()
    );
    Ok(key)
}

fn key_file(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".issuer-key");
    PathBuf::from(name)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

async fn open_store(database: &Database) -> Result<Arc<dyn IssuerStore>, String> {
    match database {
        Database::Sqlite(path) => SqliteStore::open(path)
            .map(|s| Arc::new(s) as Arc<dyn IssuerStore>)
            .map_err(|e| format!("DATABASE_URL: {e}")),
        Database::Postgres(url) => {
            let settings = tollgate::postgres::PostgresSettings::from_url(url)
                .map_err(|e| format!("DATABASE_URL: {e}"))?;
            tollgate::issuer::PostgresIssuerStore::connect(&settings)
                .await
                .map(|s| Arc::new(s) as Arc<dyn IssuerStore>)
                .map_err(|e| format!("DATABASE_URL: {e}"))
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let addr = common::addr_from_env()?;
    let database = database_from_env()?;
    let sealing = sealing_key(&database)?;
    let audience = common::optional("AUDIENCE").unwrap_or_else(|| "roll-your-own-api".to_owned());
    let store = open_store(&database).await?;

    // The issuer is its own base URL, so bind first.
    let std_listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("cannot listen on {addr}: {e} (set ADDR to another address)"))?;
    std_listener.set_nonblocking(true)?;
    let base = format!("http://{}", std_listener.local_addr()?);

    let issuer = Issuer::builder(&base, &audience)
        .clients(Clients::new().public("cli")?)
        .build(store, sealing)
        .await
        .map_err(|e| format!("the issuer cannot start: {e}"))?;
    if let Some(password) = issuer
        .bootstrap_admin("admin", common::optional("ADMIN_PASSWORD").as_deref())
        .await
        .map_err(|e| format!("ADMIN_PASSWORD: {e}"))?
    {
        if common::optional("ADMIN_PASSWORD").is_none() {
            println!("created the administrator: username admin, password {password} (shown once)");
        } else {
            println!("created the administrator: username admin, password from ADMIN_PASSWORD");
        }
    }

    // The API trusts the issuer like any other: by discovery, over HTTP. Serve the issuer's
    // public routes on the listener while the provider is built, then the whole app on the
    // same socket (connections in between wait in the backlog).
    let public = tollgate::issuer::router(issuer.clone());
    let first = tokio::net::TcpListener::from_std(std_listener.try_clone()?)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let discovery_server = tokio::spawn(async move {
        axum::serve(first, public)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let provider = JwtProvider::builder(&base)
        .audience(&audience)
        .require_at_jwt()
        .build()
        .await?;
    let _ = stop.send(());
    discovery_server.await??;

    let auth = AuthLayer::new(provider);
    let app = Router::new()
        .route("/me", get(me))
        .route_layer(auth.clone())
        .merge(tollgate::issuer::admin_router(issuer.clone(), auth))
        .merge(tollgate::issuer::router(issuer));
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    println!("create a user (with an admin token) and get a token (ADMIN_PASSWORD: the administrator's password):");
    println!(
        "  ADMIN=$(curl -s {base}/oauth/token -d grant_type=password -d client_id=cli -d username=admin --data-urlencode password=\"$ADMIN_PASSWORD\" | jq -r .access_token)"
    );
    println!(
        "  curl -s {base}/admin/users -H \"Authorization: Bearer $ADMIN\" -H 'content-type: application/json' -d '{{\"username\":\"alice\",\"password\":\"correct horse battery\",\"scopes\":[\"read\"]}}'"
    );
    println!(
        "  TOKEN=$(curl -s {base}/oauth/token -d grant_type=password -d client_id=cli -d username=alice --data-urlencode 'password=correct horse battery' | jq -r .access_token)"
    );
    println!("  curl -s {base}/me -H \"Authorization: Bearer $TOKEN\"");
    // Last: whoever reads the output up to this line may stop reading there.
    println!("roll_your_own listening on {base} (issuer {base}, audience {audience})");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn me(principal: Principal) -> Json<Principal> {
    Json(principal)
}
