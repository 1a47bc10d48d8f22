//! The data-driven token vectors: `tests/vectors/tokens.json`, written from the fixed keys in
//! `tests/vectors/keys/` by `cargo run --example gen_vectors` (see `tests/vectors/gen_vectors.rs`).
//!
//! The fixed key set `tests/vectors/jwks.json` is served by a loopback JWKS server, a real axum
//! server runs the layer, and every vector goes over TCP. Each must get exactly its expected
//! status, RFC 6750 error code, error kind (read back from the default body's description) and
//! internal reason (exposed by this test's responder in a header), and nothing may get a 5xx.

use std::time::Duration;

use axum::http::HeaderValue;
use serde::Deserialize;
use serde_json::Value;
use tollgate::jwt::JwtProvider;
use tollgate::{error::AuthErrorKind, rejection::default_response, AuthError, AuthLayer};

use crate::support::*;

const VECTORS: &str = include_str!("../vectors/tokens.json");
const JWKS: &str = include_str!("../vectors/jwks.json");
const REASON_HEADER: &str = "x-vector-reason";

#[derive(Deserialize)]
struct VectorFile {
    issuer: String,
    audience: String,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    category: String,
    token: String,
    /// The `Authorization` header values to send, with `{token}` replaced; absent means one
    /// `Bearer {token}` header.
    authorization: Option<Vec<String>>,
    /// For an accepted vector, the principal's expected subject, when it is not the vector's
    /// own name (a second string for another vector's token, such as a malleated signature).
    subject: Option<String>,
    expect: Expect,
}

#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Expect {
    /// `"accept"`.
    Accept(String),
    Reject {
        status: u16,
        error: Option<String>,
        kind: String,
        reason: String,
    },
}

/// Every kind, to map the body's `error_description` back to one.
const KINDS: [AuthErrorKind; 6] = [
    AuthErrorKind::MissingCredential,
    AuthErrorKind::InvalidRequest,
    AuthErrorKind::InvalidToken,
    AuthErrorKind::ExpiredToken,
    AuthErrorKind::InsufficientScope,
    AuthErrorKind::Unavailable,
];

fn vectors() -> VectorFile {
    serde_json::from_str(VECTORS).expect("tests/vectors/tokens.json parses")
}

/// What one request got back.
struct Outcome {
    status: u16,
    error: Option<String>,
    kind: Option<String>,
    reason: Option<String>,
    www_authenticate: Option<String>,
    cache_control: Option<String>,
    subject: Value,
}

async fn send_vector(client: &reqwest::Client, server: &Server, vector: &Vector) -> Outcome {
    let mut request = client.get(format!("{}/me", server.base));
    let values = vector
        .authorization
        .clone()
        .unwrap_or_else(|| vec!["Bearer {token}".to_owned()]);
    for value in values {
        let value = value.replace("{token}", &vector.token);
        // From bytes: some vectors carry non-ASCII (obs-text) bytes on purpose.
        let value = HeaderValue::from_bytes(value.as_bytes()).expect("a sendable header value");
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let reason = header(REASON_HEADER);
    let www_authenticate = header("www-authenticate");
    let cache_control = header("cache-control");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let kind = body["error_description"].as_str().and_then(|d| {
        KINDS
            .iter()
            .find(|k| k.description() == d)
            .map(|k| format!("{k:?}"))
    });
    Outcome {
        status,
        error: body["error"].as_str().map(str::to_owned),
        kind,
        reason,
        www_authenticate,
        cache_control,
        subject: body["subject"].clone(),
    }
}

/// Compares an outcome with the expectation; `Err` says how they differ.
fn check(vector: &Vector, got: &Outcome) -> Result<(), String> {
    match &vector.expect {
        Expect::Accept(word) => {
            if word != "accept" {
                return Err(format!("unknown expectation {word:?}"));
            }
            if got.status != 200 {
                return Err(format!(
                    "expected 200, got {} ({:?}, {:?})",
                    got.status, got.kind, got.reason
                ));
            }
            // Accepted vectors carry their own name as `sub` (or no `sub` at all), or the
            // subject they name.
            let subject_ok = match &vector.subject {
                Some(subject) => got.subject == subject.as_str(),
                None => got.subject.is_null() || got.subject == vector.name.as_str(),
            };
            if !subject_ok {
                return Err(format!("accepted with subject {}", got.subject));
            }
        }
        Expect::Reject {
            status,
            error,
            kind,
            reason,
        } => {
            let expected_error = error.clone().unwrap_or_else(|| "unauthorized".into());
            let challenge_ok = match (error, &got.www_authenticate) {
                (Some(code), Some(challenge)) => challenge.contains(&format!("error=\"{code}\"")),
                (None, Some(challenge)) => challenge == NO_CREDENTIAL,
                (_, None) => false,
            };
            if got.status != *status
                || got.error.as_deref() != Some(&expected_error)
                || got.kind.as_deref() != Some(kind)
                || got.reason.as_deref() != Some(reason)
                || !challenge_ok
                || got.cache_control.as_deref() != Some("no-store")
            {
                return Err(format!(
                    "expected {status} {expected_error} {kind} {reason}, got {} {:?} {:?} {:?} (challenge {:?}, cache-control {:?})",
                    got.status, got.error, got.kind, got.reason, got.www_authenticate, got.cache_control
                ));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_vector_gets_its_expected_outcome_and_none_a_5xx() {
    let file = vectors();
    let jwks = JwksServer::start(200, JWKS.to_owned()).await;
    let provider = JwtProvider::builder(&file.issuer)
        .audience(&file.audience)
        .jwks_url(&jwks.url)
        // One on-demand refetch for the whole run, however many unknown kids the vectors use.
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .await
        .expect("provider");
    // Of the twenty-five published entries, only the ten real keys (five of them the RSA key
    // pinned to one algorithm each) are loaded. The P-384 entry whose point is off the curve is
    // skipped at parse time, where aws-lc-rs refuses the point (vectors
    // `ec-key-off-the-curve*`); the small-order Ed25519 key is skipped by tollgate itself
    // (vectors `eddsa-*identity-signature*`); tests/vectors/gen_vectors.rs says why each of the
    // other thirteen is skipped.
    assert_eq!(provider.key_count(), 10);

    let layer = AuthLayer::builder(provider)
        .error_responder(
            |error: &AuthError, cx: &tollgate::rejection::RejectionContext<'_>| {
                let mut response = default_response(error, cx);
                let reason = format!("{:?}", error.reason());
                if let Ok(value) = HeaderValue::from_str(&reason) {
                    response.headers_mut().insert(REASON_HEADER, value);
                }
                response
            },
        )
        .build()
        .expect("layer");
    let server = serve(app(layer)).await;

    let client = client();
    let mut failures = Vec::new();
    for vector in &file.vectors {
        let got = send_vector(&client, &server, vector).await;
        assert!(
            got.status < 500,
            "{} ({}): a 5xx for attacker input: {}",
            vector.name,
            vector.category,
            got.status
        );
        if let Err(why) = check(vector, &got) {
            failures.push(format!("{} ({}): {why}", vector.name, vector.category));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        file.vectors.len(),
        failures.join("\n")
    );
    // The initial fetch plus at most one on demand: unknown kids cannot make tollgate hammer
    // the issuer, and jku/x5u URLs are never fetched (they point elsewhere anyway).
    assert!(jwks.hits() <= 2, "JWKS fetched {} times", jwks.hits());
}

#[test]
fn the_vector_file_covers_every_category() {
    let file = vectors();
    assert!(file.vectors.len() >= 150, "{} vectors", file.vectors.len());
    let mut names: Vec<&str> = file.vectors.iter().map(|v| v.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "vector names are unique");
    for category in [
        "valid",
        "alg-none",
        "hmac-key-confusion",
        "ecdsa-psychic",
        "ecdsa-der",
        "header-injection",
        "kid-injection",
        "crit",
        "numeric-dates",
        "issuer-audience",
        "base64url",
        "json-structure",
        "size",
        "jwks-keys",
        "alg-kty-mismatch",
        "signature",
        "credential",
    ] {
        let count = file
            .vectors
            .iter()
            .filter(|v| v.category == category)
            .count();
        assert!(count >= 5, "category {category} has {count} vectors");
    }
    let accepted = file
        .vectors
        .iter()
        .filter(|v| matches!(v.expect, Expect::Accept(_)))
        .count();
    assert!(accepted >= 20, "{accepted} accepted vectors");
}
