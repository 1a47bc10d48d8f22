//! Tracing, in a test binary of its own: `tracing` caches per-callsite interest process-wide,
//! and tests running in parallel on other threads (without a subscriber) can race a scoped
//! subscriber's registration and leave a callsite disabled. Alone here, that cannot happen.

#[allow(dead_code, unreachable_pub)]
#[path = "integration/support.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use tollgate::clock::ManualClock;
use tollgate::dev::DevIssuer;
use tollgate::jwt::JwtProvider;

use support::*;

const MINUTE: Duration = Duration::from_secs(60);

/// Collects everything a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[tokio::test]
async fn fetches_failures_unknown_kid_bounds_and_changes_are_traced_without_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // This runtime is single-threaded, so the refresh tasks run under this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let clock = ManualClock::new();
    let provider = JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .clock(clock.clone())
        .build()
        .await
        .expect("provider");
    let unknown = issuer
        .dangerous()
        .sign_raw(
            &json!({"alg": "RS256", "kid": "nobody"}),
            &serde_json::Value::Object(issuer.token().claims().clone()),
        )
        .expect("sign");
    let another = issuer
        .dangerous()
        .sign_raw(
            &json!({"alg": "RS256", "kid": "nobody-else"}),
            &serde_json::Value::Object(issuer.token().claims().clone()),
        )
        .expect("sign");
    assert!(provider.verify(&unknown).await.is_err()); // fetches
    assert!(provider.verify(&unknown).await.is_err()); // remembered as absent
    assert!(provider.verify(&another).await.is_err()); // within the interval
    jwks.set(500, "down".into());
    clock.advance(10 * MINUTE);
    eventually("the failed refresh", || jwks.hits() >= 3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let logs = captured.text();
    for event in [
        "fetching JWKS",
        "JWKS key set changed",
        "fetching JWKS for an unknown key",
        "a kid the last fetch did not list; not fetching",
        "unknown key within the interval since the last fetch for one; not fetching",
        "JWKS fetch failed",
    ] {
        assert!(
            logs.lines()
                .any(|l| l.contains("tollgate::jwks") && l.contains(event)),
            "no `{event}` event on tollgate::jwks in:\n{logs}"
        );
    }
    let signature = unknown.rsplit('.').next().expect("signature");
    assert!(
        !logs.contains(signature) && !logs.contains(&unknown),
        "a token leaked into the logs"
    );
}
