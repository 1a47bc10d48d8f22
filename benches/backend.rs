//! Verification cost: jsonwebtoken's two crypto backends side by side, tollgate's full check
//! against `jsonwebtoken::decode`, and the layer against the bare inner service.
//!
//! Run: `cargo bench --bench backend` (results and machine in BENCHMARKS.md).

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::crypto::CryptoProvider;
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::jwt::{Algorithm, JwtProvider};
use tollgate::{AuthLayer, Credential, Provider};
use tower::{Layer as _, Service as _};

struct Fixture {
    _runtime_guard: tokio::runtime::Runtime,
    issuer: DevIssuer,
    provider: JwtProvider,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (issuer, provider) = runtime.block_on(async {
        let issuer = DevIssuer::builder()
            .key("rsa", DevKeyType::Rsa2048)
            .key("p256", DevKeyType::P256)
            .key("ed", DevKeyType::Ed25519)
            .start()
            .await
            .expect("issuer");
        let provider = issuer.provider().build().await.expect("provider");
        (issuer, provider)
    });
    Fixture {
        _runtime_guard: runtime,
        issuer,
        provider,
    }
}

/// A 15-claim, Cognito-shaped access token.
fn token(issuer: &DevIssuer, kid: &str, alg: Algorithm) -> String {
    issuer
        .token()
        .kid(kid)
        .algorithm(alg)
        .subject("2f0c8e7a-54b1-4c33-9f5a-1e2d3c4b5a69")
        .scope("openid")
        .scope("profile")
        .scope("orders/read")
        .claim("client_id", "4tq1q2ft0kq1example0abcd")
        .claim("token_use", "access")
        .claim("auth_time", 1_795_000_000u64)
        .claim("jti", "8f5ec6b2-0a3c-4f7e-9d2b-6c1a0e9f8d7c")
        .claim("username", "alice")
        .claim("origin_jti", "1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6")
        .claim("event_id", "e1d2c3b4-a5f6-4789-8a9b-0c1d2e3f4a5b")
        .claim("version", 2)
        .sign()
}

const CASES: [(&str, Algorithm); 3] = [
    ("rsa", Algorithm::RS256),
    ("p256", Algorithm::ES256),
    ("ed", Algorithm::EdDSA),
];

fn backends(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("signature");
    for (kid, alg) in CASES {
        let token = token(&f.issuer, kid, alg);
        let (input, signature) = token.rsplit_once('.').expect("token");
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .expect("b64");
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(f.issuer.public_jwk(kid).expect("jwk")).expect("jwk");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key");
        let jalg: jsonwebtoken::Algorithm = alg.as_str().parse().expect("alg");
        for (name, provider) in [
            ("aws_lc_rs", &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER),
            (
                "rust_crypto",
                &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
            ),
        ] {
            group.bench_function(format!("{alg}/{name}"), |b| {
                b.iter(|| {
                    let verifier = (provider.verifier_factory)(&jalg, &key).expect("verifier");
                    assert!(verifier
                        .verify(black_box(input.as_bytes()), &signature)
                        .is_ok());
                })
            });
        }
    }
    group.finish();
}

fn full_check(c: &mut Criterion) {
    let f = fixture();
    // jsonwebtoken's process-wide provider must be installed by hand in this dependency graph
    // (both backends enabled); tollgate does not need it.
    let _ = CryptoProvider::install_default(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
    let mut group = c.benchmark_group("verify");
    for (kid, alg) in CASES {
        let token = token(&f.issuer, kid, alg);
        let credential = Credential::bearer(token.as_str());
        group.bench_function(format!("{alg}/tollgate"), |b| {
            b.iter(|| {
                let principal = f.provider.try_authenticate(black_box(&credential));
                assert!(matches!(principal, Some(Ok(_))));
            })
        });
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(f.issuer.public_jwk(kid).expect("jwk")).expect("jwk");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key");
        let mut validation = jsonwebtoken::Validation::new(alg.as_str().parse().expect("alg"));
        validation.set_issuer(&[f.issuer.issuer()]);
        validation.set_audience(&[f.issuer.audience()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        group.bench_function(format!("{alg}/jsonwebtoken_decode"), |b| {
            b.iter(|| {
                let data =
                    jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation);
                assert!(data.is_ok());
            })
        });
    }
    group.finish();
}

fn layer(c: &mut Criterion) {
    let f = fixture();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let inner = tower::service_fn(|_: http::Request<String>| async {
        Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    });
    let layered = AuthLayer::new(f.provider.clone()).layer(inner);
    let rs256 = format!("Bearer {}", token(&f.issuer, "rsa", Algorithm::RS256));
    let request = |auth: Option<&str>| {
        let mut builder = http::Request::get("/orders");
        if let Some(value) = auth {
            builder = builder.header("authorization", value);
        }
        builder.body(String::new()).expect("request")
    };
    let mut group = c.benchmark_group("layer");
    group.bench_function("bare_inner", |b| {
        b.to_async(&runtime).iter(|| {
            let mut svc = inner;
            let req = request(Some(&rs256));
            async move { svc.call(req).await }
        })
    });
    for (name, auth) in [
        ("valid_rs256", Some(rs256.as_str())),
        ("missing_token", None),
        ("garbage_token", Some("Bearer garbage.garbage.garbage")),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| {
                let mut svc = layered.clone();
                let req = request(auth);
                async move {
                    let response = svc.call(req).await.expect("infallible");
                    black_box(response.status())
                }
            })
        });
    }
    // The same valid token through the AuthLayer and a GuardLayer behind it.
    let guarded = AuthLayer::new(f.provider.clone()).layer(
        tollgate::guard::GuardLayer::new(tollgate::guard::not(tollgate::guard::scope("banned")))
            .layer(inner),
    );
    group.bench_function("valid_rs256_guarded", |b| {
        b.to_async(&runtime).iter(|| {
            let mut svc = guarded.clone();
            let req = request(Some(&rs256));
            async move {
                let response = svc.call(req).await.expect("infallible");
                black_box(response.status())
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = backends, full_check, layer
}
criterion_main!(benches);
