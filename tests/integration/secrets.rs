//! Secrets stay secret: with every `tracing` event of every target captured at TRACE, rejected
//! tokens of many kinds go through a real server, and neither the logs, nor the responses
//! (status, headers, body), nor the errors' `Debug` and `Display` contain the token or any
//! distinctive piece of it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tollgate::AuthLayer;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::support::*;

/// A `MakeWriter` appending everything to one buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

/// A claims type the marker claim cannot fit, for the claims-shape rejection.
#[derive(Clone, Deserialize)]
#[allow(dead_code)]
struct Strict {
    marker: u64,
}

/// The distinctive pieces of `token` that must never show: the whole token, each segment,
/// and a 16-byte slice from the middle of each segment long enough to have one.
fn pieces(token: &str) -> Vec<String> {
    let mut pieces = vec![token.to_owned()];
    for segment in token.split('.').filter(|s| s.len() >= 24) {
        pieces.push(segment.to_owned());
        let mid = segment.len() / 2;
        pieces.push(segment[mid - 8..mid + 8].to_owned());
    }
    pieces
}

// Current-thread runtime: the servers, the client and the JWKS fetches all run on this
// thread, so the thread-local subscriber sees every event they emit.
#[tokio::test(flavor = "current_thread")]
async fn rejected_tokens_never_reach_logs_or_responses() {
    // tracing-core caches each callsite's interest when the callsite is first hit. While only
    // one dispatcher is registered, a callsite first hit on another test's thread is asked of
    // that thread's default alone (no subscriber) and cached as "never", which would hide it
    // from this test too. With a second dispatcher registered, every registered one is asked.
    let _second_dispatcher = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let capture = Capture::default();
    let writer = capture.clone();
    let _guard = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    let issuer = issuer_all_keys().await;
    let attacker = issuer_all_keys().await;
    let provider = issuer
        .provider()
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .await
        .expect("provider");
    let plain = serve(app(AuthLayer::new(provider.clone()))).await;
    let typed = serve(app(AuthLayer::builder(provider.clone())
        .claims::<Strict>()
        .build()
        .expect("layer")))
    .await;

    // A marker inside the claims: decoded payload content must not leak either.
    const MARKER: &str = "s3cr3t-claim-marker-7f1c";
    let token = || issuer.token().subject(MARKER).claim("marker", MARKER);
    let good = token().sign();
    let claims = serde_json::Value::Object(token().claims().clone());
    let [h, p, s] = <[&str; 3]>::try_from(good.split('.').collect::<Vec<_>>()).expect("3");
    let flipped_sig = {
        let mut sig = s.to_owned().into_bytes();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        String::from_utf8(sig).expect("ascii")
    };
    let rejected: Vec<(&str, String, &Server)> = vec![
        ("bad signature", format!("{h}.{p}.{flipped_sig}"), &plain),
        (
            "expired",
            token().claim("exp", 1_000_000_000).sign(),
            &plain,
        ),
        (
            "wrong audience",
            token().claim("aud", "other").sign(),
            &plain,
        ),
        (
            "signed by another issuer's key",
            attacker.token().subject(MARKER).sign(),
            &plain,
        ),
        (
            "unknown kid",
            issuer
                .dangerous()
                .sign_raw(&json!({"alg": "RS256", "kid": "no-such-key"}), &claims)
                .expect("sign"),
            &plain,
        ),
        (
            "alg none",
            format!("{}.{p}.{s}", crate::algorithms::b64(r#"{"alg":"none"}"#)),
            &plain,
        ),
        ("not base64", format!("{h}.{p}~~{MARKER}.{s}"), &plain),
        (
            "too large",
            token().claim("pad", "x".repeat(9000)).sign(),
            &plain,
        ),
        (
            "EC signature naming an RSA key",
            issuer
                .dangerous()
                .sign_raw(&json!({"alg": "ES256", "kid": "rsa"}), &claims)
                .expect("sign"),
            &plain,
        ),
        (
            "claims do not fit the application's type",
            good.clone(),
            &typed,
        ),
    ];

    let c = client();
    for (what, token, server) in &rejected {
        let response = c
            .get(format!("{}/me", server.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status, 401, "{what}: {body}");
        // The error itself, as an application might log it.
        let error = provider.verify(token).await.err();
        let error = error.map(|e| format!("{e:?} {e}")).unwrap_or_default();
        for piece in pieces(token).iter().map(String::as_str).chain([MARKER]) {
            assert!(
                !headers.contains(piece),
                "{what}: response headers show {piece}"
            );
            assert!(!body.contains(piece), "{what}: response body shows {piece}");
            assert!(
                !error.contains(piece),
                "{what}: the AuthError shows {piece}"
            );
        }
    }

    let logs = capture.text();
    // The capture works: the rejections were traced, with their reasons.
    for reason in [
        "BadSignature",
        "Expired",
        "WrongAudience",
        "UnknownKey",
        "NoMatchingKey",
        "AlgorithmNotAllowed",
        "Malformed",
        "TooLarge",
        "ClaimsShape",
    ] {
        assert!(logs.contains(reason), "no trace of {reason} in:\n{logs}");
    }
    for (what, token, _) in &rejected {
        for piece in pieces(token) {
            assert!(
                !logs.contains(&piece),
                "{what}: the logs show {piece}:\n{logs}"
            );
        }
    }
    assert!(
        !logs.contains(MARKER),
        "a claim value reached the logs:\n{logs}"
    );
}

// Current-thread runtime, as above: the scripted endpoint and the provider run on this thread.
#[tokio::test(flavor = "current_thread")]
async fn introspection_never_logs_the_client_secret_or_the_token() {
    let _second_dispatcher = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let capture = Capture::default();
    let writer = capture.clone();
    let _guard = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    const SECRET: &str = "s3cr3t-introspection-client-secret";
    let endpoint = JwksServer::start(401, r#"{"error":"invalid_client"}"#.into()).await;
    let provider = tollgate::introspection::Introspection::builder("http://127.0.0.1")
        .endpoint(&endpoint.url)
        .client("orders-api", SECRET)
        .audience("api")
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider.clone()))).await;
    let mut shown = vec![format!("{provider:?}")];
    let cases = [
        (401, r#"{"error":"invalid_client"}"#, 503),
        (500, "oops", 503),
        (200, r#"{"active":false}"#, 401),
        (200, r#"{"active":true,"aud":"other"}"#, 401),
    ];
    for (n, (status, body, expected)) in cases.into_iter().enumerate() {
        endpoint.set(status, body.into());
        let token = format!("opaque-token-{n}-that-must-never-be-logged");
        let reply = get_me(&server, &token).await;
        assert_eq!(reply.status, expected, "{status} {body}");
        shown.push(format!("{reply:?}"));
        let error = provider.verify(&token).await.expect_err("refused");
        shown.push(format!("{error:?} {error}"));
        let logs = capture.text();
        assert!(!logs.contains(&token), "token {n} in the logs:\n{logs}");
    }
    let logs = capture.text();
    assert!(
        logs.contains("refused this server's client credentials") && logs.contains("orders-api"),
        "the misconfiguration is named:\n{logs}"
    );
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("orders-api:{SECRET}"))
    };
    for text in shown.iter().chain([&logs]) {
        assert!(
            !text.contains(SECRET) && !text.contains(&basic),
            "the client secret shows in:\n{text}"
        );
    }
}
