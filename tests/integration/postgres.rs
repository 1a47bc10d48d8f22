//! The PostgreSQL plumbing (`tollgate::postgres`) against a real server (`postgres_support`):
//! settings and their timeouts, and the invalidation listener through a server restart.

use std::time::{Duration, Instant};

use tollgate::postgres::{Invalidation, InvalidationListener, PostgresSettings};

use crate::postgres_support::Postgres;

const CHANNEL: &str = "tollgate_test";

async fn next(listener: &mut InvalidationListener, within: Duration) -> Invalidation {
    tokio::time::timeout(within, listener.recv())
        .await
        .unwrap_or_else(|_| panic!("no event within {within:?}; {:?}", listener.health()))
        .expect("the listener is running")
}

async fn notify(pg: &Postgres, payload: &str) {
    pg.client()
        .await
        .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
        .await
        .expect("pg_notify");
}

#[tokio::test]
async fn settings_connect_and_query_a_real_server() {
    if !Postgres::available("settings_connect_and_query_a_real_server") {
        return;
    }
    let pg = Postgres::start_new().await;
    let settings = PostgresSettings::from_url(&pg.url()).expect("url");
    settings.check().await.expect("the server answers");

    let rows = pg
        .client()
        .await
        .query("SELECT current_user::text, 40 + 2", &[])
        .await
        .expect("query");
    assert_eq!(rows[0].get::<_, String>(0), "tollgate");
    assert_eq!(rows[0].get::<_, i32>(1), 42);
}

#[tokio::test]
async fn the_connect_timeout_bounds_a_call_to_a_stopped_server() {
    if !Postgres::available("the_connect_timeout_bounds_a_call_to_a_stopped_server") {
        return;
    }
    let mut pg = Postgres::start_new().await;
    let settings = PostgresSettings::from_url(&pg.url()).expect("url");
    pg.stop();
    let started = Instant::now();
    assert!(settings.check().await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A port that accepts TCP but never speaks PostgreSQL: the startup handshake is bounded too.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let settings = PostgresSettings::from_url(&format!("postgres://tollgate@127.0.0.1:{port}/x"))
        .expect("url")
        .connect_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let error = settings.check().await.expect_err("no server there");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn the_listener_delivers_a_notify_sent_from_another_connection() {
    if !Postgres::available("the_listener_delivers_a_notify_sent_from_another_connection") {
        return;
    }
    let pg = Postgres::start_new().await;
    let settings = PostgresSettings::from_url(&pg.url()).expect("url");
    let mut listener = InvalidationListener::start(settings, CHANNEL).expect("start");
    assert_eq!(
        next(&mut listener, Duration::from_secs(5)).await,
        Invalidation::Resync,
        "the first event is a resync"
    );
    assert!(listener.health().connected_since.is_some());
    assert_eq!(listener.health().connections, 1);

    let sent = Instant::now();
    notify(&pg, "key-1").await;
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("key-1".into())
    );
    assert!(sent.elapsed() < Duration::from_secs(1));

    // Other channels are not listened to; order is kept.
    pg.client()
        .await
        .batch_execute(
            "SELECT pg_notify('elsewhere', 'no'); \
             SELECT pg_notify('tollgate_test', 'a'); SELECT pg_notify('tollgate_test', 'b')",
        )
        .await
        .expect("notify");
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("a".into())
    );
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("b".into())
    );
}

/// Notifications are not replayed: the one sent while the listener is disconnected is lost for
/// good, which is why the listener emits `Resync` after reconnecting (by itself) and before any
/// later notification.
#[tokio::test]
async fn after_a_restart_the_listener_reconnects_and_resyncs_before_further_notifications() {
    let test = "after_a_restart_the_listener_reconnects_and_resyncs_before_further_notifications";
    if !Postgres::available(test) {
        return;
    }
    let mut pg = Postgres::start_new().await;
    // The listener logs in as its own role, so the test can keep it out while the server is
    // back: then the notification below is certainly sent while the listener is away.
    pg.execute("CREATE ROLE listener LOGIN").await;
    let settings = PostgresSettings::from_url(&pg.url_as("listener")).expect("url");
    let mut listener = InvalidationListener::start(settings, CHANNEL).expect("start");
    assert_eq!(
        next(&mut listener, Duration::from_secs(5)).await,
        Invalidation::Resync
    );
    notify(&pg, "before").await;
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("before".into())
    );

    pg.execute("ALTER ROLE listener NOLOGIN").await;
    pg.stop();
    // The listener notices the cut connection.
    let noticed = Instant::now();
    while listener.health().connected_since.is_some() {
        assert!(
            noticed.elapsed() < Duration::from_secs(5),
            "still connected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(listener.health().last_error.is_some());

    // Sent while the listener is away: the server is back, but the listener's role may not
    // log in until the notification is out.
    pg.start().await;
    notify(&pg, "while-away").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(listener.health().connected_since, None);
    pg.execute("ALTER ROLE listener LOGIN").await;

    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !events.contains(&Invalidation::Resync) {
        assert!(Instant::now() < deadline, "no resync: {events:?}");
        events.push(next(&mut listener, Duration::from_secs(10)).await);
    }
    notify(&pg, "after").await;
    events.push(next(&mut listener, Duration::from_secs(1)).await);
    assert_eq!(
        events,
        [Invalidation::Resync, Invalidation::Notify("after".into())],
        "the notification sent while away is never delivered; the resync comes first"
    );
    let health = listener.health();
    assert_eq!(health.connections, 2, "{health:?}");
    assert!(health.connected_since.is_some());

    // And again through `restart`.
    pg.restart().await;
    assert_eq!(
        next(&mut listener, Duration::from_secs(10)).await,
        Invalidation::Resync
    );
    notify(&pg, "after-restart").await;
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("after-restart".into())
    );
}

#[tokio::test]
async fn a_stopped_listener_closes_its_connection() {
    if !Postgres::available("a_stopped_listener_closes_its_connection") {
        return;
    }
    let pg = Postgres::start_new().await;
    let settings = PostgresSettings::from_url(&pg.url()).expect("url");
    let mut listener = InvalidationListener::start(settings, CHANNEL).expect("start");
    assert_eq!(
        next(&mut listener, Duration::from_secs(5)).await,
        Invalidation::Resync
    );
    let listening = || async {
        pg.client()
            .await
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'",
                &[],
            )
            .await
            .expect("pg_stat_activity")
            .get::<_, i64>(0)
    };
    assert_eq!(listening().await, 1);
    listener.shutdown();
    assert_eq!(listener.recv().await, None);
    let started = Instant::now();
    while listening().await != 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still listening"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A connection that stays open but stops answering (its server process frozen with SIGSTOP,
/// as behind a dead NAT entry) sends no error at all: the listener's periodic ping, bounded by
/// the statement timeout, notices it, and the listener reconnects and resyncs.
#[tokio::test]
async fn a_listener_whose_server_process_hangs_reconnects_and_resyncs() {
    let test = "a_listener_whose_server_process_hangs_reconnects_and_resyncs";
    if !Postgres::available(test) {
        return;
    }
    let pg = Postgres::start_new().await;
    let settings = PostgresSettings::from_url(&pg.url())
        .expect("url")
        .statement_timeout(Duration::from_secs(1));
    let mut listener = InvalidationListener::start(settings, CHANNEL).expect("start");
    assert_eq!(
        next(&mut listener, Duration::from_secs(5)).await,
        Invalidation::Resync
    );
    let backend: i32 = pg
        .client()
        .await
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%'",
            &[],
        )
        .await
        .expect("the listener's backend")
        .get(0);
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &backend.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {name} {backend}");
    };
    signal("-STOP");
    let frozen = Instant::now();
    // Pinged every 10 s, each ping allowed 1 s here.
    let event = next(&mut listener, Duration::from_secs(20)).await;
    let after = frozen.elapsed();
    signal("-CONT");
    assert_eq!(event, Invalidation::Resync);
    assert!(after < Duration::from_secs(15), "{after:?}");
    let health = listener.health();
    assert_eq!(health.connections, 2, "{health:?}");
    assert!(
        health
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("ping timed out")),
        "{health:?}"
    );
    notify(&pg, "after").await;
    assert_eq!(
        next(&mut listener, Duration::from_secs(1)).await,
        Invalidation::Notify("after".into())
    );
}
