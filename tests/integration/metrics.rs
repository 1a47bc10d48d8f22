//! The `metrics` feature, end to end: the `jwt_server` example with `METRICS_ADDR` set,
//! requests whose outcomes are known, and the counters in its Prometheus scrape checked
//! against `docs/metrics.md`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tollgate::dev::{DevIssuer, DevKeyType};

use crate::examples::{base_url, start};
use crate::support::*;

/// The samples of a Prometheus text page: `name{labels}` (labels sorted) to value.
fn samples(page: &str) -> BTreeMap<String, f64> {
    page.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let series = match series.split_once('{') {
                Some((name, labels)) => {
                    let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                    labels.sort_unstable();
                    format!("{name}{{{}}}", labels.join(","))
                }
                None => series.to_owned(),
            };
            Some((series, value.parse().ok()?))
        })
        .collect()
}

// Multi-threaded: the issuer, on this runtime, answers the example's discovery and JWKS
// requests while the test thread blocks reading the example's output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_server_counts_each_outcome_as_documented() {
    let issuer = DevIssuer::start().await.expect("issuer");
    // Signs with kids the issuer's JWKS never lists: an attacker's choice, never a label.
    let stranger = DevIssuer::builder()
        .key("attacker-chosen-kid-7f3a", DevKeyType::Rsa2048)
        .key("attacker-chosen-kid-9c1e", DevKeyType::P256)
        .start()
        .await
        .expect("second issuer");
    let env = [
        ("TOLLGATE_ISSUER", issuer.issuer()),
        ("TOLLGATE_AUDIENCE", "tollgate-dev"),
        ("METRICS_ADDR", "127.0.0.1:0"),
        // One worker: the verified-token cache is per thread, so a repeat is a hit only on the
        // thread that verified it.
        ("TOKIO_WORKER_THREADS", "1"),
    ];
    let (_running, lines) = start("jwt_server", &env, |lines| {
        lines.iter().any(|l| l.contains("jwt_server listening"))
    });
    let metrics_url = lines
        .iter()
        .find_map(|l| l.strip_prefix("metrics on "))
        .unwrap_or_else(|| panic!("no metrics line in {lines:?}"))
        .to_owned();
    let base = base_url(
        &lines
            .iter()
            .filter(|l| l.contains("jwt_server listening"))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let c = client();
    let get = |path: &str, token: Option<&str>| {
        let request = c.get(format!("{base}{path}"));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    };

    let valid = issuer.token().subject("metrics-subject-alice").sign();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let expired = issuer.token().claim("exp", now - 3600).sign();
    let unknown_kid = stranger.token().kid("attacker-chosen-kid-7f3a").sign();
    let other_unknown_kid = stranger.token().kid("attacker-chosen-kid-9c1e").sign();
    assert!(!unknown_kid.is_empty() && !other_unknown_kid.is_empty());

    // A miss (the signature is checked), then a hit.
    assert_eq!(send(get("/me", Some(&valid))).await.status, 200);
    assert_eq!(send(get("/me", Some(&valid))).await.status, 200);
    // Verified (a miss), then refused for its `exp`.
    assert_eq!(send(get("/me", Some(&expired))).await.status, 401);
    assert_eq!(send(get("/me", None)).await.status, 401);
    // Admitted by the layer (a hit), refused by the scope guard.
    assert_eq!(send(get("/admin", Some(&valid))).await.status, 403);
    // The first unknown kid fetches the JWKS; the same kid again is refused within the
    // cooldown, and another kid within the interval (3 s) since that fetch.
    let first_fetch = Instant::now();
    assert_eq!(send(get("/me", Some(&unknown_kid))).await.status, 401);
    assert_eq!(send(get("/me", Some(&unknown_kid))).await.status, 401);
    assert_eq!(send(get("/me", Some(&other_unknown_kid))).await.status, 401);
    let within_interval = first_fetch.elapsed() < Duration::from_millis(2500);
    assert_eq!(send(get("/public", None)).await.status, 200);

    let scrape = send(c.get(&metrics_url)).await;
    assert_eq!(scrape.status, 200);
    let page = scrape.body.clone();
    let found = samples(&page);
    let value = |series: &str| {
        *found
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in the scrape:\n{page}"))
    };
    let jwks_url = issuer.jwks_url();

    assert_eq!(
        value(r#"tollgate_requests_allowed_total{provider="jwt"}"#),
        3.0
    );
    for (reason, status, count) in [
        ("expired", "401", 1.0),
        ("no_credential", "401", 1.0),
        ("missing_scope", "403", 1.0),
        ("unknown_key", "401", 3.0),
    ] {
        assert_eq!(
            value(&format!(
                r#"tollgate_requests_denied_total{{provider="jwt",reason="{reason}",status="{status}"}}"#
            )),
            count,
            "{reason}"
        );
    }
    assert_eq!(
        found
            .iter()
            .filter(|(series, _)| series.starts_with("tollgate_requests_denied_total{"))
            .map(|(_, v)| v)
            .sum::<f64>(),
        6.0,
        "no other denial:\n{page}"
    );
    assert_eq!(
        value(r#"tollgate_token_cache_misses_total{provider="jwt"}"#),
        2.0
    );
    assert_eq!(
        value(r#"tollgate_token_cache_hits_total{provider="jwt"}"#),
        2.0
    );
    assert_eq!(
        value(r#"tollgate_verification_duration_seconds_count{provider="jwt"}"#),
        2.0
    );
    assert!(
        value(&format!(
            r#"tollgate_jwks_fetches_total{{jwks_url="{jwks_url}",outcome="success"}}"#
        )) >= 2.0,
        "the fetch at build and the one for the unknown kid"
    );
    assert_eq!(
        value(&format!(
            r#"tollgate_jwks_refetch_refused_total{{jwks_url="{jwks_url}",rule="kid_cooldown"}}"#
        )),
        1.0
    );
    // On a machine so loaded that the interval passed, the other kid fetched instead.
    if within_interval {
        assert_eq!(
            value(&format!(
                r#"tollgate_jwks_refetch_refused_total{{jwks_url="{jwks_url}",rule="interval"}}"#
            )),
            1.0
        );
    }
    assert_eq!(
        value(&format!(r#"tollgate_jwks_stale{{jwks_url="{jwks_url}"}}"#)),
        0.0
    );

    for secret in [
        valid.as_str(),
        expired.as_str(),
        unknown_kid.as_str(),
        "metrics-subject-alice",
        "attacker-chosen-kid-7f3a",
        "attacker-chosen-kid-9c1e",
    ] {
        assert!(!page.contains(secret), "{secret} in the scrape:\n{page}");
    }
    // Token fragments too: no header, payload or signature segment of any token.
    for token in [&valid, &expired, &unknown_kid, &other_unknown_kid] {
        for segment in token.split('.') {
            assert!(!page.contains(segment), "a token segment in the scrape");
        }
    }
}

#[test]
fn a_bad_metrics_addr_stops_jwt_server_naming_the_variable() {
    let output = std::process::Command::new(crate::examples::example("jwt_server"))
        .env("METRICS_ADDR", "not-an-address")
        .env("TOLLGATE_ISSUER", "https://issuer.example.com/")
        .env("TOLLGATE_AUDIENCE", "my-api")
        .env("ADDR", "127.0.0.1:0")
        .output()
        .expect("run jwt_server");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("METRICS_ADDR"), "{stderr}");
}
