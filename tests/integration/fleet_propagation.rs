//! A fleet, measured: two `api_keys_server` replicas (the real example binary, two processes)
//! against one throwaway PostgreSQL. How long a revocation takes to reach the other replica, and
//! what clients see through a PostgreSQL restart. Measurements, so `#[ignore]`d; they print
//! their numbers (BENCHMARKS.md, section 11) and assert only correctness, never timing:
//!
//! ```sh
//! cargo build --release --example api_keys_server
//! TOLLGATE_INTEROP=require cargo test --release --test integration fleet_propagation -- --ignored --nocapture --test-threads=1
//! ```
//!
//! `PostgresAdmin::revoke` runs in the test process: it is what `api_keys_admin revoke` calls.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tollgate::api_key::GeneratedKey;
use tollgate::postgres::{NewKey, PostgresAdmin, PostgresSettings};

use crate::examples::{base_url, start, Running};
use crate::postgres_support::Postgres;

/// Revocations timed in `propagation`.
const REVOCATIONS: usize = 200;

/// A replica refusing a revoked key later than this fails the test as broken, not slow.
const GIVE_UP: Duration = Duration::from_secs(30);

async fn admin(url: &str) -> PostgresAdmin {
    let settings = PostgresSettings::from_url(url).expect("url");
    let mut admin = PostgresAdmin::connect(&settings).await.expect("connect");
    admin.migrate().await.expect("migrate");
    admin
}

struct Replica {
    base: String,
    _process: Running,
}

/// Starts one `api_keys_server` and waits until it has synced with PostgreSQL.
async fn replica(http: &reqwest::Client, pg: &Postgres, max_staleness: &str) -> Replica {
    let url = pg.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("MAX_STALENESS", max_staleness),
    ];
    let (process, lines) = start("api_keys_server", &env, |lines| !lines.is_empty());
    let base = base_url(&lines);
    let started = Instant::now();
    loop {
        let health: serde_json::Value = http
            .get(format!("{base}/health"))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("health JSON");
        if health["in_sync"] == true {
            break;
        }
        assert!(started.elapsed() < GIVE_UP, "{base} never synced");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Replica {
        base,
        _process: process,
    }
}

/// `GET /me` with the key in `x-api-key`; the body is read so the connection is kept alive.
async fn status(http: &reqwest::Client, replica: &Replica, key: &GeneratedKey) -> u16 {
    let response = http
        .get(format!("{}/me", replica.base))
        .header("x-api-key", key.secret())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let _ = response.bytes().await;
    status
}

/// Polls with no pause until `replica` answers `want`, and returns how long that took and the
/// answers it got, by status; only `allowed_before` may come before `want`.
async fn until_status(
    http: &reqwest::Client,
    replica: &Replica,
    key: &GeneratedKey,
    want: u16,
    allowed_before: &[u16],
) -> (Duration, BTreeMap<u16, usize>) {
    let started = Instant::now();
    let mut answers = BTreeMap::new();
    loop {
        let got = status(http, replica, key).await;
        *answers.entry(got).or_default() += 1;
        if got == want {
            return (started.elapsed(), answers);
        }
        assert!(
            allowed_before.contains(&got),
            "{}: {got} while waiting for {want}",
            replica.base
        );
        assert!(
            started.elapsed() < GIVE_UP,
            "{}: still {got}, not {want}, after {GIVE_UP:?}",
            replica.base
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md, section 11): run with --ignored --nocapture"]
async fn propagation() {
    if !Postgres::available("propagation") {
        return;
    }
    let pg = Postgres::start_new().await;
    let admin = admin(&pg.url()).await;
    let http = reqwest::Client::new();
    let a = replica(&http, &pg, "30").await;
    let b = replica(&http, &pg, "30").await;

    let mut keys = Vec::with_capacity(REVOCATIONS);
    for _ in 0..REVOCATIONS {
        let key = admin.create(NewKey::new("fleet")).await.expect("create");
        assert_eq!(status(&http, &b, &key).await, 200, "B caches the key");
        keys.push(key);
    }
    // The floor under every propagation time: one request that B answers from its cache.
    let mut round_trips = Vec::with_capacity(REVOCATIONS);
    for key in &keys {
        let started = Instant::now();
        assert_eq!(status(&http, &b, key).await, 200);
        round_trips.push(started.elapsed());
    }
    round_trips.sort();

    let mut times = Vec::with_capacity(REVOCATIONS);
    let mut requests = 0;
    let mut first_request_refused = 0;
    for key in &keys {
        admin.revoke(key.key_id()).await.expect("revoke");
        let (took, answers) = until_status(&http, &b, key, 401, &[200]).await;
        times.push(took);
        let sent: usize = answers.values().sum();
        requests += sent;
        if sent == 1 {
            first_request_refused += 1;
        }
        assert_eq!(
            status(&http, &b, key).await,
            401,
            "refused for good once refused"
        );
    }
    for key in &keys {
        assert_eq!(status(&http, &a, key).await, 401, "A refuses it too");
        assert_eq!(status(&http, &b, key).await, 401, "B still refuses it");
    }

    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "propagation: {REVOCATIONS} revocations, from `PostgresAdmin::revoke` returning to \
         replica B answering 401, polling B over one kept-alive connection with no pause \
         ({requests} requests in all, {:.1} per revocation)",
        requests as f64 / REVOCATIONS as f64
    );
    println!(
        "refused by the first request after `revoke` returned: {first_request_refused} of \
         {REVOCATIONS}; one cached 200 from B takes p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&round_trips, 50.0)),
        ms(percentile(&round_trips, 99.0)),
    );
    println!(
        "| N | p50 | p90 | p99 | max | mean |\n|---|---|---|---|---|---|\n\
         | {REVOCATIONS} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 90.0)),
        ms(percentile(&times, 99.0)),
        ms(times[times.len() - 1]),
        ms(total / REVOCATIONS as u32),
    );
}

/// The phases of `restart`, as the background client labels its answers.
const PHASES: [&str; 3] = ["before", "outage", "after"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (BENCHMARKS.md, section 11): run with --ignored --nocapture"]
async fn restart() {
    if !Postgres::available("restart") {
        return;
    }
    let mut pg = Postgres::start_new().await;
    let old_admin = admin(&pg.url()).await;
    let http = reqwest::Client::new();
    let a = Arc::new(replica(&http, &pg, "30").await);
    let b = replica(&http, &pg, "30").await;

    let cached = old_admin
        .create(NewKey::new("cached"))
        .await
        .expect("create");
    let to_revoke = old_admin
        .create(NewKey::new("revoked"))
        .await
        .expect("create");
    let unseen = old_admin
        .create(NewKey::new("unseen"))
        .await
        .expect("create");
    assert_eq!(status(&http, &a, &cached).await, 200);
    assert_eq!(status(&http, &b, &to_revoke).await, 200);
    assert_eq!(status(&http, &a, &to_revoke).await, 200);

    // A client of A with the cached key, every 10 ms, counting answers per phase.
    let phase = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Mutex::new(BTreeMap::<(usize, u16), usize>::new()));
    let background = tokio::spawn({
        let (http, a, phase, stop, counts) = (
            http.clone(),
            a.clone(),
            phase.clone(),
            stop.clone(),
            counts.clone(),
        );
        async move {
            while !stop.load(Ordering::Relaxed) {
                let current = phase.load(Ordering::Relaxed);
                let got = status(&http, &a, &cached).await;
                *counts.lock().unwrap().entry((current, got)).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;

    phase.store(1, Ordering::Relaxed);
    pg.stop();
    let outage = Instant::now();
    let mut unseen_during = BTreeMap::<(&str, u16), usize>::new();
    while outage.elapsed() < Duration::from_secs(3) {
        for (name, replica) in [("A", &*a), ("B", &b)] {
            *unseen_during
                .entry((name, status(&http, replica, &unseen).await))
                .or_default() += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pg.start().await;
    phase.store(2, Ordering::Relaxed);
    let down_for = outage.elapsed();
    let back = Instant::now();

    // The old admin connection died with the server.
    let admin = admin(&pg.url()).await;
    let reconnected = back.elapsed();
    admin.revoke(to_revoke.key_id()).await.expect("revoke");
    let revoked_at = back.elapsed();
    let (revocation_took, revocation_answers) =
        until_status(&http, &b, &to_revoke, 401, &[200, 503]).await;
    let revocation_seen = back.elapsed();
    let new_key = admin.create(NewKey::new("new")).await.expect("create");
    let created_at = back.elapsed();
    let (new_key_took, new_key_answers) = until_status(&http, &a, &new_key, 200, &[401, 503]).await;
    let new_key_works = back.elapsed();
    assert_eq!(status(&http, &b, &to_revoke).await, 401, "B still refuses");
    until_status(&http, &a, &to_revoke, 401, &[200]).await;
    assert_eq!(
        status(&http, &a, &unseen).await,
        200,
        "the unseen key works now"
    );

    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    background.await.expect("background client");
    let counts = counts.lock().unwrap().clone();

    println!(
        "restart: PostgreSQL stopped (immediate shutdown) and started again after {:.2} s; \
         replicas with MAX_STALENESS=30",
        down_for.as_secs_f64()
    );
    println!("client of A with a cached key, every 10 ms, answers per phase:");
    for ((p, code), n) in &counts {
        println!("  {:<6} {code}: {n}", PHASES[*p]);
    }
    println!("a key created before the outage but never sent, during the outage:");
    for ((name, code), n) in &unseen_during {
        println!("  replica {name} {code}: {n}");
    }
    println!(
        "after the server accepted connections again (t = 0): admin reconnected at {:.1} ms; \
         revocation returned at {:.1} ms, refused by B {:.1} ms later (t = {:.1} ms); \
         key created at {:.1} ms, accepted by A {:.1} ms later (t = {:.1} ms)",
        ms(reconnected),
        ms(revoked_at),
        ms(revocation_took),
        ms(revocation_seen),
        ms(created_at),
        ms(new_key_took),
        ms(new_key_works),
    );
    println!(
        "B's answers to the revoked key until 401: {revocation_answers:?}; \
         A's answers to the new key until 200: {new_key_answers:?}"
    );

    assert!(
        counts.keys().all(|&(_, code)| code == 200),
        "a cached key is served through the outage: {counts:?}"
    );
    assert!(
        unseen_during.keys().all(|&(_, code)| code == 503),
        "a key no replica has seen cannot be checked during the outage: {unseen_during:?}"
    );
}
