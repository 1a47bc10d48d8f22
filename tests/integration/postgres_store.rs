//! The PostgreSQL key and revocation store against a real server: lifecycle (create, revoke,
//! roll with grace, last use written in batches), propagation by notification, cached misses,
//! and outages: the server stopped, and one replica cut off (through a proxy the test can cut)
//! while revocations are made, then reconnected.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tollgate::api_key::{ApiKeys, KeyId, KeyStore};
use tollgate::error::{AuthErrorKind, Reason};
use tollgate::postgres::{NewKey, PostgresAdmin, PostgresSettings, PostgresStore};
use tollgate::revocation::{RevocationError, RevocationList, RevokedBy, TokenIdentity};
use tollgate::{Credential, Provider};

use crate::postgres_support::Postgres;

async fn admin(url: &str) -> PostgresAdmin {
    let settings = PostgresSettings::from_url(url).expect("url");
    let mut admin = PostgresAdmin::connect(&settings).await.expect("connect");
    admin.migrate().await.expect("migrate");
    admin
}

fn store(url: &str, max_staleness: Duration) -> PostgresStore {
    PostgresStore::builder(PostgresSettings::from_url(url).expect("url"))
        .max_staleness(max_staleness)
        .usage_flush_every(Duration::from_millis(200))
        .start()
        .expect("start")
}

fn keys(store: &PostgresStore) -> ApiKeys {
    ApiKeys::builder()
        .store(store.keys())
        .build()
        .expect("build")
}

async fn check(keys: &ApiKeys, key: &str) -> Result<String, Reason> {
    keys.authenticate(Credential::api_key(key))
        .await
        .map(|p| p.subject().unwrap_or_default().to_owned())
        .map_err(|e| e.reason())
}

/// Polls until `f` holds (or panics after `within`); the time it took.
async fn until<F: std::future::Future<Output = bool>>(
    within: Duration,
    what: &str,
    mut f: impl FnMut() -> F,
) -> Duration {
    let started = Instant::now();
    while !f().await {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// Waits for the store's first sync.
async fn synced(store: &PostgresStore) {
    until(Duration::from_secs(10), "first sync", || async {
        store.staleness().is_some()
    })
    .await;
}

#[tokio::test]
async fn keys_live_in_postgres_and_changes_reach_a_replica_by_notification() {
    if !Postgres::available("keys_live_in_postgres_and_changes_reach_a_replica_by_notification") {
        return;
    }
    let pg = Postgres::start_new().await;
    let mut admin = admin(&pg.url()).await;
    let replica = store(&pg.url(), Duration::from_secs(30));
    synced(&replica).await;
    let keys = keys(&replica);

    let key = admin
        .create(
            NewKey::new("ci-deploy")
                .scopes(["deploy"])
                .metadata("team", "platform"),
        )
        .await
        .expect("create");
    let principal = keys
        .authenticate(Credential::api_key(key.secret()))
        .await
        .expect("the new key works");
    assert_eq!(principal.subject(), Some("ci-deploy"));
    assert!(principal.has_scope("deploy"));
    assert_eq!(principal.claim("metadata").unwrap()["team"], "platform");
    // Cached (once the creation's own notification has come by): answered without a future,
    // and without the database.
    until(Duration::from_secs(5), "the key is cached", || async {
        check(&keys, key.secret()).await.is_ok() && replica.keys().try_get(key.key_id()).is_some()
    })
    .await;

    // The last use is written in a batch, not on the request path.
    until(Duration::from_secs(10), "last_used_at written", || async {
        admin.list().await.expect("list")[0].last_used_at.is_some()
    })
    .await;

    // Rolling: both keys work during the grace period, then only the new one.
    let rolled = admin
        .roll(key.key_id(), Duration::from_secs(2))
        .await
        .expect("roll");
    assert_eq!(
        check(&keys, rolled.secret()).await.as_deref(),
        Ok("ci-deploy")
    );
    assert_eq!(check(&keys, key.secret()).await.as_deref(), Ok("ci-deploy"));
    let list = admin.list().await.expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].replaced_by.as_deref(),
        Some(rolled.key_id().as_str())
    );
    assert_eq!(list[1].key.granted_scopes(), ["deploy"]);
    until(Duration::from_secs(10), "the old key expires", || async {
        check(&keys, key.secret()).await == Err(Reason::Expired)
    })
    .await;
    assert!(check(&keys, rolled.secret()).await.is_ok());

    // Revoking: the cached key is refused once the notification arrives.
    admin.revoke(rolled.key_id()).await.expect("revoke");
    until(
        Duration::from_secs(5),
        "the revoked key is refused",
        || async { check(&keys, rolled.secret()).await == Err(Reason::RevokedApiKey) },
    )
    .await;
    assert!(matches!(
        admin
            .revoke(&KeyId::parse("0000000000000000").unwrap())
            .await,
        Err(tollgate::postgres::AdminError::NotFound(_))
    ));
    assert!(matches!(
        admin.roll(rolled.key_id(), Duration::from_secs(1)).await,
        Err(tollgate::postgres::AdminError::NotActive(_))
    ));
}

#[tokio::test]
async fn unknown_ids_are_remembered_so_a_flood_asks_once() {
    if !Postgres::available("unknown_ids_are_remembered_so_a_flood_asks_once") {
        return;
    }
    let pg = Postgres::start_new().await;
    let admin = admin(&pg.url()).await;
    let replica = store(&pg.url(), Duration::from_secs(30));
    synced(&replica).await;
    let keys = keys(&replica);
    // A well-formed key nobody created (the checksum is public, so anyone can make one).
    let made_up = ApiKeys::generate().expect("generate");
    assert!(replica.keys().try_get(made_up.key_id()).is_none());
    assert_eq!(
        check(&keys, made_up.secret()).await,
        Err(Reason::UnknownApiKey)
    );
    assert!(
        matches!(replica.keys().try_get(made_up.key_id()), Some(Ok(None))),
        "the miss is cached"
    );
    // A wrong secret for a real id is refused by the digest, not found by the id alone.
    let real = admin.create(NewKey::new("svc")).await.expect("create");
    let mut forged = real.secret().to_owned();
    forged.replace_range(30..31, if &forged[30..31] == "a" { "b" } else { "a" });
    assert!(check(&keys, &forged).await.is_err());
    assert!(check(&keys, real.secret()).await.is_ok());
}

#[tokio::test]
async fn jwt_revocations_reach_the_replica_and_expire() {
    if !Postgres::available("jwt_revocations_reach_the_replica_and_expire") {
        return;
    }
    let pg = Postgres::start_new().await;
    let admin = admin(&pg.url()).await;
    let replica = store(&pg.url(), Duration::from_secs(30));
    let list = replica.revocations();
    let now = unix(SystemTime::now());
    let token = |jti: &'static str, sub: &'static str, iat: u64| TokenIdentity {
        jti: Some(jti),
        subject: Some(sub),
        issued_at: Some(iat),
    };
    synced(&replica).await;
    assert_eq!(list.check(&token("t1", "alice", now), now), Ok(()));

    let hour = Duration::from_secs(3600);
    admin
        .revoke_token("t1", SystemTime::now() + hour)
        .await
        .expect("revoke token");
    until(Duration::from_secs(5), "jti revoked", || async {
        list.check(&token("t1", "alice", now), now)
            == Err(RevocationError::Revoked(RevokedBy::Token))
    })
    .await;
    assert_eq!(list.check(&token("t2", "alice", now), now), Ok(()));

    admin
        .revoke_subject("alice", SystemTime::now(), SystemTime::now() + hour)
        .await
        .expect("revoke subject");
    until(Duration::from_secs(5), "subject revoked", || async {
        list.check(&token("t2", "alice", now - 10), now)
            == Err(RevocationError::Revoked(RevokedBy::Subject))
    })
    .await;
    // Issued after the revocation: accepted.
    assert_eq!(list.check(&token("t3", "alice", now + 5), now + 5), Ok(()));
    assert_eq!(list.check(&token("t4", "bob", now), now), Ok(()));

    // An entry expires with the tokens it covers, and is then purged from the table too.
    admin
        .revoke_token("short", SystemTime::now() + Duration::from_secs(1))
        .await
        .expect("revoke");
    until(Duration::from_secs(5), "short revoked", || async {
        list.check(&token("short", "carol", now), now).is_err()
    })
    .await;
    let later = now + 5;
    assert_eq!(list.check(&token("short", "carol", later), later), Ok(()));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(admin.purge_expired().await.expect("purge") >= 1);
}

#[tokio::test]
async fn a_stopped_server_is_survived_from_the_cache_then_refused_with_503_never_accepted() {
    if !Postgres::available(
        "a_stopped_server_is_survived_from_the_cache_then_refused_with_503_never_accepted",
    ) {
        return;
    }
    let mut pg = Postgres::start_new().await;
    let admin = admin(&pg.url()).await;
    let cached = admin.create(NewKey::new("cached")).await.expect("create");
    let unseen = admin.create(NewKey::new("unseen")).await.expect("create");
    drop(admin);
    let replica = store(&pg.url(), Duration::from_secs(3));
    synced(&replica).await;
    let keys = keys(&replica);
    let revocations = replica.revocations();
    assert!(check(&keys, cached.secret()).await.is_ok());

    pg.stop();
    // Within the staleness bound, the cached key still works.
    assert!(check(&keys, cached.secret()).await.is_ok());
    // A key this replica never saw: 503 quickly, not a hang on a pool.
    let started = Instant::now();
    assert_eq!(
        check(&keys, unseen.secret()).await,
        Err(Reason::KeyStoreUnavailable)
    );
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    // Past the bound: the cached key and the revocation list answer 503, never "accept".
    until(Duration::from_secs(10), "the cache goes stale", || async {
        check(&keys, cached.secret()).await == Err(Reason::KeyStoreUnavailable)
    })
    .await;
    let err = keys
        .authenticate(Credential::api_key(cached.secret()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), AuthErrorKind::Unavailable);
    assert!(err.retry_after().is_some());
    let now = unix(SystemTime::now());
    assert!(matches!(
        revocations.check(
            &TokenIdentity {
                jti: Some("x"),
                subject: Some("s"),
                issued_at: Some(now)
            },
            now
        ),
        Err(RevocationError::Unavailable(_))
    ));

    // Back: everything works again without a restart.
    pg.start().await;
    until(
        Duration::from_secs(20),
        "works after the server is back",
        || async {
            check(&keys, cached.secret()).await.is_ok()
                && check(&keys, unseen.secret()).await.is_ok()
        },
    )
    .await;
}

/// A TCP proxy to the server that the test can cut (closing every connection and refusing new
/// ones) and restore: one replica cut off while the database and the admin go on.
struct Proxy {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(to: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (o, c) = (Arc::clone(&open), Arc::clone(&cut));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !o.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let c = Arc::clone(&c);
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", to)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        () = c.notified() => {}
                    }
                });
            }
        });
        Self {
            addr,
            open,
            cut,
            task,
        }
    }

    fn url(&self, pg: &Postgres) -> String {
        pg.url().replace(
            &format!(":{}/", pg.port),
            &format!(":{}/", self.addr.port()),
        )
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_revocation_made_while_a_replica_is_cut_off_applies_when_it_reconnects() {
    if !Postgres::available(
        "a_revocation_made_while_a_replica_is_cut_off_applies_when_it_reconnects",
    ) {
        return;
    }
    let pg = Postgres::start_new().await;
    let admin = admin(&pg.url()).await;
    let key = admin.create(NewKey::new("svc")).await.expect("create");
    let proxy = Proxy::start(pg.port).await;
    assert!(proxy.url(&pg).contains(&proxy.addr.port().to_string()));
    let replica = store(&proxy.url(&pg), Duration::from_secs(3));
    synced(&replica).await;
    let keys = keys(&replica);
    let revocations = replica.revocations();
    assert!(check(&keys, key.secret()).await.is_ok());

    proxy.cut();
    admin.revoke(key.key_id()).await.expect("revoke");
    admin
        .revoke_subject(
            "alice",
            SystemTime::now(),
            SystemTime::now() + Duration::from_secs(3600),
        )
        .await
        .expect("revoke subject");
    // The cut-off replica cannot know: it keeps its cached answer, at most for the staleness
    // bound, then answers 503.
    assert!(
        check(&keys, key.secret()).await.is_ok(),
        "served from the cache meanwhile"
    );
    until(Duration::from_secs(10), "503 once stale", || async {
        check(&keys, key.secret()).await == Err(Reason::KeyStoreUnavailable)
    })
    .await;

    // Reconnected: the resync brings the revocations, with no notification replayed.
    proxy.restore();
    until(
        Duration::from_secs(20),
        "the revocation applies",
        || async { check(&keys, key.secret()).await == Err(Reason::RevokedApiKey) },
    )
    .await;
    let now = unix(SystemTime::now());
    let old = TokenIdentity {
        jti: Some("j"),
        subject: Some("alice"),
        issued_at: Some(now - 60),
    };
    until(
        Duration::from_secs(5),
        "the subject revocation applies",
        || async {
            revocations.check(&old, now) == Err(RevocationError::Revoked(RevokedBy::Subject))
        },
    )
    .await;
}

fn unix(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn a_database_that_accepts_connections_and_never_answers_gives_503_within_the_deadline() {
    // A listener that accepts and then says nothing: a hung server or a black-holed route.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let url = format!("postgres://tollgate@127.0.0.1:{port}/tollgate");
    let replica = store(&url, Duration::from_secs(30));
    let keys = keys(&replica);
    let key = ApiKeys::generate().expect("generate");
    for _ in 0..3 {
        let started = Instant::now();
        let err = keys
            .authenticate(Credential::api_key(key.secret()))
            .await
            .unwrap_err();
        let waited = started.elapsed();
        assert_eq!(err.reason(), Reason::KeyStoreUnavailable);
        assert_eq!(err.status(), 503);
        // The lookup deadline is 2 s; never an unbounded wait on a connection.
        assert!(waited < Duration::from_secs(4), "waited {waited:?}");
    }
    let now = unix(SystemTime::now());
    let token = TokenIdentity {
        jti: Some("j"),
        subject: Some("s"),
        issued_at: Some(now),
    };
    assert!(matches!(
        replica.revocations().check(&token, now),
        Err(RevocationError::Unavailable(_))
    ));
    hold.abort();
}

#[tokio::test]
async fn impossible_store_limits_fail_at_start() {
    let settings = || PostgresSettings::from_url("postgres://tollgate@127.0.0.1:1/x").expect("url");
    let too_long = Duration::from_secs(400 * 24 * 3600);
    let builders = [
        PostgresStore::builder(settings()).max_staleness(Duration::ZERO),
        PostgresStore::builder(settings()).key_ttl(too_long),
        PostgresStore::builder(settings()).lookup_deadline(Duration::MAX),
        PostgresStore::builder(settings()).usage_flush_every(Duration::ZERO),
        PostgresStore::builder(settings()).max_cached_keys(0),
    ];
    for builder in builders {
        assert!(builder.start().is_err());
    }
    assert!(PostgresStore::builder(settings()).start().is_ok());
}
