//! What verification costs, side by side in one run:
//!
//! - `signature/*`: jsonwebtoken's two crypto backends on the same key and token (why aws-lc-rs);
//! - `verify/{alg}/*`: the floor (`raw_signature`: a pre-parsed aws-lc-rs key's check alone;
//!   `raw_signature+parse`: plus base64url-decoding and deserializing the claims once), tollgate
//!   on a token it has not seen (`tollgate_cold`, verified-token cache off) and on one it has
//!   (`tollgate_warm`), and `jsonwebtoken_decode` with the same checks;
//! - `layer/*`: the whole `AuthService::call` against the bare inner service;
//! - `providers/*`: a repeat token through one `JwtProvider` and through `Providers` routing
//!   among three issuers;
//! - `keys/*`, `token_size/*`, `threads/*`: how the cost scales with the key set, the token's
//!   size and the number of threads;
//! - `metrics/*`: a repeat token through the layer with the `metrics` feature off
//!   (`cargo bench --bench verify -- metrics/`), and on (`--features metrics`) without a
//!   recorder and with the Prometheus recorder.
//! - `api_key_verify/*`: an API key's check at 10 to 1 000 000 keys: v2 keys by id in the
//!   in-memory store, legacy keys by digest, a malformed v2 key (refused before any lookup), and
//!   for comparison the linear scan over every digest that `ApiKeys` did before v2 keys.
//!
//! Run: `cargo bench --bench verify` (results, machine and commands in BENCHMARKS.md).

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use jsonwebtoken::crypto::CryptoProvider;
use serde_json::{Map, Value};
use tollgate::api_key::{ApiKey, ApiKeys, KeyId, StoredKey};
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::guard::{not, scope, GuardLayer};
use tollgate::jwt::{Algorithm, JwtProvider};
use tollgate::{AuthLayer, Credential, Provider, Providers};
use tower::{Layer as _, Service as _};

/// A runtime kept alive for the issuer's JWKS server and the providers' refresh tasks.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    issuer: DevIssuer,
}

impl Fixture {
    fn new(keys: &[(&str, DevKeyType)]) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let issuer = runtime.block_on(async {
            let mut builder = DevIssuer::builder();
            for (kid, kind) in keys {
                builder = builder.key(*kid, *kind);
            }
            builder.start().await.expect("issuer")
        });
        Self { runtime, issuer }
    }

    fn provider(&self, token_cache: usize) -> JwtProvider {
        self.runtime.block_on(async {
            self.issuer
                .provider()
                .token_cache(token_cache)
                .build()
                .await
                .expect("provider")
        })
    }
}

const STANDARD_KEYS: [(&str, DevKeyType); 3] = [
    ("rsa", DevKeyType::Rsa2048),
    ("p256", DevKeyType::P256),
    ("ed", DevKeyType::Ed25519),
];

const CASES: [(&str, Algorithm); 3] = [
    ("rsa", Algorithm::RS256),
    ("p256", Algorithm::ES256),
    ("ed", Algorithm::EdDSA),
];

/// A 15-claim, Cognito-shaped access token, optionally padded with a `pad` claim.
fn token(issuer: &DevIssuer, kid: &str, alg: Algorithm, pad: usize) -> String {
    let mut builder = issuer
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
        .claim("version", 2);
    if pad > 0 {
        builder = builder.claim("pad", "x".repeat(pad));
    }
    builder.sign()
}

/// A token of about `bytes` bytes.
fn token_of_size(issuer: &DevIssuer, bytes: usize) -> String {
    let base = token(issuer, "rsa", Algorithm::RS256, 0).len();
    // Base64url turns 3 bytes of claims into 4 characters.
    let pad = bytes.saturating_sub(base + 16) * 3 / 4;
    token(issuer, "rsa", Algorithm::RS256, pad)
}

/// The issuer's public key for `kid`, parsed once by aws-lc-rs, as a hand-written verifier would.
fn parsed_key(issuer: &DevIssuer, kid: &str, alg: Algorithm) -> ParsedPublicKey {
    let jwk = issuer.public_jwk(kid).expect("jwk");
    let b64 = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect(name))
            .expect(name)
    };
    let (algorithm, bytes): (&'static dyn sig::VerificationAlgorithm, Vec<u8>) = match alg {
        Algorithm::RS256 => {
            let der = aws_lc_rs::rsa::PublicKeyComponents {
                n: b64("n"),
                e: b64("e"),
            }
            .as_der()
            .expect("der");
            (&sig::RSA_PKCS1_2048_8192_SHA256, der.as_ref().to_vec())
        }
        Algorithm::ES256 => {
            let mut point = vec![4];
            point.extend(b64("x"));
            point.extend(b64("y"));
            (&sig::ECDSA_P256_SHA256_FIXED, point)
        }
        Algorithm::EdDSA => (&sig::ED25519, b64("x")),
        other => panic!("no raw case for {other}"),
    };
    ParsedPublicKey::new(algorithm, bytes).expect("key")
}

fn signature_backends(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let mut group = c.benchmark_group("signature");
    for (kid, alg) in CASES {
        let token = token(&f.issuer, kid, alg, 0);
        let (input, signature) = token.rsplit_once('.').expect("token");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("b64");
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(f.issuer.public_jwk(kid).expect("jwk")).expect("jwk");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key");
        let jalg: jsonwebtoken::Algorithm = alg.as_str().parse().expect("alg");
        for (name, provider) in [
            (
                "jsonwebtoken_aws_lc_rs",
                &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
            ),
            (
                "jsonwebtoken_rust_crypto",
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

fn verify(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let cold = f.provider(0);
    let warm = f.provider(1024);
    // jsonwebtoken's process-wide provider must be installed by hand in this dependency graph
    // (both backends enabled); tollgate does not use it.
    let _ = CryptoProvider::install_default(&jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER);
    let mut group = c.benchmark_group("verify");
    for (kid, alg) in CASES {
        let token = token(&f.issuer, kid, alg, 0);
        let key = parsed_key(&f.issuer, kid, alg);
        let (input, signature_b64) = token.rsplit_once('.').expect("token");
        let payload_b64 = input.split('.').nth(1).expect("payload");
        group.bench_function(format!("{alg}/raw_signature"), |b| {
            let signature = URL_SAFE_NO_PAD.decode(signature_b64).expect("b64");
            b.iter(|| {
                assert!(key
                    .verify_sig(black_box(input.as_bytes()), &signature)
                    .is_ok())
            })
        });
        group.bench_function(format!("{alg}/raw_signature+parse"), |b| {
            b.iter(|| {
                let signature = URL_SAFE_NO_PAD
                    .decode(black_box(signature_b64))
                    .expect("b64");
                assert!(key.verify_sig(input.as_bytes(), &signature).is_ok());
                let payload = URL_SAFE_NO_PAD.decode(black_box(payload_b64)).expect("b64");
                let claims: Map<String, Value> = serde_json::from_slice(&payload).expect("json");
                black_box(claims)
            })
        });
        let credential = Credential::bearer(token.as_str());
        for (name, provider) in [("tollgate_cold", &cold), ("tollgate_warm", &warm)] {
            group.bench_function(format!("{alg}/{name}"), |b| {
                b.iter(|| {
                    let principal = provider.try_authenticate(black_box(&credential));
                    assert!(matches!(principal, Some(Ok(_))));
                })
            });
        }
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(f.issuer.public_jwk(kid).expect("jwk")).expect("jwk");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("key");
        let mut validation = jsonwebtoken::Validation::new(alg.as_str().parse().expect("alg"));
        validation.set_issuer(&[f.issuer.issuer()]);
        validation.set_audience(&[f.issuer.audience()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        group.bench_function(format!("{alg}/jsonwebtoken_decode"), |b| {
            b.iter(|| {
                let data = jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation);
                assert!(data.is_ok());
            })
        });
    }
    group.finish();
}

fn layer(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let inner = tower::service_fn(|_: http::Request<String>| async {
        Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    });
    let cold = AuthLayer::new(f.provider(0)).layer(inner);
    let warm = AuthLayer::new(f.provider(1024)).layer(inner);
    // The same, with a guard behind the layer.
    let guarded =
        AuthLayer::new(f.provider(1024)).layer(GuardLayer::new(not(scope("banned"))).layer(inner));
    let rs256 = format!("Bearer {}", token(&f.issuer, "rsa", Algorithm::RS256, 0));
    let oversized = format!("Bearer {}", "a".repeat(9 * 1024));
    let request = |auth: Option<&str>| {
        let mut builder = http::Request::get("/orders");
        if let Some(value) = auth {
            builder = builder.header("authorization", value);
        }
        builder.body(String::new()).expect("request")
    };
    let mut group = c.benchmark_group("layer");
    // Requests are built outside the timed part (`iter_batched`), so the rows compare the
    // services alone.
    group.bench_function("bare_inner", |b| {
        b.to_async(&runtime).iter_batched(
            || request(Some(&rs256)),
            |req| {
                let mut svc = inner;
                async move { svc.call(req).await }
            },
            BatchSize::SmallInput,
        )
    });
    for (name, service, auth, status) in [
        ("rs256_cold", &cold, Some(rs256.as_str()), 200),
        ("rs256_warm", &warm, Some(rs256.as_str()), 200),
        ("missing_token", &warm, None, 401),
        (
            "garbage_token",
            &warm,
            Some("Bearer garbage.garbage.garbage"),
            401,
        ),
        ("oversized_token", &warm, Some(oversized.as_str()), 401),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                || request(auth),
                |req| {
                    let mut svc = service.clone();
                    async move {
                        let response = svc.call(req).await.expect("infallible");
                        assert_eq!(response.status(), status);
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.bench_function("rs256_warm_guarded", |b| {
        b.to_async(&runtime).iter_batched(
            || request(Some(&rs256)),
            |req| {
                let mut svc = guarded.clone();
                async move {
                    let response = svc.call(req).await.expect("infallible");
                    assert_eq!(response.status(), 200);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A repeat token through the layer (`layer/rs256_warm`), for the cost of the `metrics` feature.
/// Features are chosen at compile time, so a plain `cargo bench` gives the `feature_off` row and
/// `--features metrics` the two others; the recorder is installed for this thread only, so no
/// other benchmark sees it.
fn metrics(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let inner = tower::service_fn(|_: http::Request<String>| async {
        Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    });
    let warm = AuthLayer::new(f.provider(1024)).layer(inner);
    let rs256 = format!("Bearer {}", token(&f.issuer, "rsa", Algorithm::RS256, 0));
    let mut group = c.benchmark_group("metrics");
    let mut row = |name: &str| {
        group.bench_function(name, |b| {
            // The runtime is current-thread: the request runs on this thread, under its
            // recorder.
            b.to_async(&runtime).iter_batched(
                || {
                    http::Request::get("/orders")
                        .header("authorization", &rs256)
                        .body(String::new())
                        .expect("request")
                },
                |req| {
                    let mut svc = warm.clone();
                    async move {
                        let response = svc.call(req).await.expect("infallible");
                        assert_eq!(response.status(), 200);
                    }
                },
                BatchSize::SmallInput,
            )
        });
    };
    if cfg!(feature = "metrics") {
        row("rs256_warm/feature_on_no_recorder");
    } else {
        row("rs256_warm/feature_off");
    }
    #[cfg(feature = "metrics")]
    {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        ::metrics::with_local_recorder(&recorder, || row("rs256_warm/feature_on_prometheus"));
        assert!(
            handle
                .render()
                .contains("tollgate_requests_allowed_total{provider=\"jwt\"}"),
            "the recorder saw the requests"
        );
    }
    group.finish();
}

/// A repeat token (already in the verified-token cache) through its own `JwtProvider`, and
/// through `Providers` with three issuers, for a token of the first and of the third: routing
/// must not cost more than the cache lookup it leads to.
fn providers(c: &mut Criterion) {
    let fixtures = [(); 3].map(|()| Fixture::new(&[("rsa", DevKeyType::Rsa2048)]));
    let [first, _, third] = &fixtures;
    let one = third.provider(1024);
    let mut builder = Providers::builder();
    for f in &fixtures {
        builder = builder.jwt(f.provider(1024));
    }
    let three = builder.build().expect("providers");
    let mut group = c.benchmark_group("providers");
    for (name, provider, issuer) in [
        ("warm/one_provider", &one as &dyn Provider, third),
        ("warm/three_issuers_first", &three, first),
        ("warm/three_issuers_third", &three, third),
    ] {
        let token = token(&issuer.issuer, "rsa", Algorithm::RS256, 0);
        let credential = Credential::bearer(token.as_str());
        assert!(matches!(
            provider.try_authenticate(&credential),
            Some(Ok(_))
        ));
        group.bench_function(name, |b| {
            b.iter(|| {
                let principal = provider.try_authenticate(black_box(&credential));
                assert!(matches!(principal, Some(Ok(_))));
            })
        });
    }
    group.finish();
}

fn key_set_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys");
    for count in [1usize, 10, 100] {
        // One RSA signing key among Ed25519 fillers (fast to generate).
        let fillers: Vec<String> = (1..count).map(|i| format!("filler-{i}")).collect();
        let mut keys = vec![("rsa", DevKeyType::Rsa2048)];
        keys.extend(fillers.iter().map(|k| (k.as_str(), DevKeyType::Ed25519)));
        let f = Fixture::new(&keys);
        let token = token(&f.issuer, "rsa", Algorithm::RS256, 0);
        let credential = Credential::bearer(token.as_str());
        for (name, provider) in [("cold", f.provider(0)), ("warm", f.provider(1024))] {
            assert_eq!(provider.key_count(), count);
            group.bench_with_input(
                BenchmarkId::new(name, count),
                &credential,
                |b, credential| {
                    b.iter(|| assert!(matches!(provider.try_authenticate(credential), Some(Ok(_)))))
                },
            );
        }
    }
    group.finish();
}

fn token_size(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let (cold, warm) = (f.provider(0), f.provider(1024));
    let mut group = c.benchmark_group("token_size");
    for bytes in [1024usize, 8 * 1024] {
        let token = token_of_size(&f.issuer, bytes);
        let credential = Credential::bearer(token.as_str());
        let label = format!("{}KiB", bytes / 1024);
        for (name, provider) in [("cold", &cold), ("warm", &warm)] {
            group.bench_with_input(
                BenchmarkId::new(name, &label),
                &credential,
                |b, credential| {
                    b.iter(|| assert!(matches!(provider.try_authenticate(credential), Some(Ok(_)))))
                },
            );
        }
    }
    group.finish();
}

/// Wall time per verification with `threads` threads verifying at once: if verification scales
/// with cores, doubling the threads (up to the core count) halves it.
fn threads(c: &mut Criterion) {
    let f = Fixture::new(&STANDARD_KEYS);
    let token = token(&f.issuer, "rsa", Algorithm::RS256, 0);
    let mut group = c.benchmark_group("threads");
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut counts = vec![1, 2, cores, 2 * cores];
    counts.dedup();
    for (name, provider) in [("cold", f.provider(0)), ("warm", f.provider(1024))] {
        let provider = Arc::new(provider);
        for &threads in &counts {
            group.bench_function(BenchmarkId::new(name, threads), |b| {
                b.iter_custom(|iters| {
                    let per_thread = iters.div_ceil(threads as u64);
                    let start = Instant::now();
                    std::thread::scope(|scope| {
                        for _ in 0..threads {
                            let provider = Arc::clone(&provider);
                            let credential = Credential::bearer(token.as_str());
                            scope.spawn(move || {
                                for _ in 0..per_thread {
                                    assert!(matches!(
                                        provider.try_authenticate(&credential),
                                        Some(Ok(_))
                                    ));
                                }
                            });
                        }
                    });
                    start
                        .elapsed()
                        .mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
                })
            });
        }
    }
    group.finish();
}

/// A synthetic v2 key id for the `i`th key: `i` in base62, zero-padded to 16 characters.
fn synthetic_id(mut i: usize) -> KeyId {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut id = [b'0'; 16];
    for c in id.iter_mut().rev() {
        *c = BASE62[i % 62];
        i /= 62;
    }
    KeyId::parse(std::str::from_utf8(&id).expect("ascii")).expect("id")
}

/// A synthetic digest for the `i`th key (never a real key's digest).
fn synthetic_digest(i: usize) -> [u8; 32] {
    let mut digest = [0xa5; 32];
    digest[..8].copy_from_slice(&(i as u64).to_be_bytes());
    digest
}

/// One real generated key among `n - 1` synthetic ones (built outside the measured loop); the
/// real key is verified.
fn api_key_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("api_key_verify");
    for n in [10usize, 10_000, 1_000_000] {
        let real = ApiKeys::generate().expect("generate");
        let keys = (1..n)
            .map(|i| StoredKey::new(synthetic_id(i), synthetic_digest(i), "bench").expect("key"))
            .fold(ApiKeys::builder(), |b, k| b.stored_key(k))
            .stored_key(real.stored_key("bench").expect("key").scopes(["read"]))
            .build()
            .expect("keys");
        group.bench_function(BenchmarkId::new("v2", n), |b| {
            b.iter(|| black_box(keys.verify(black_box(real.secret())).expect("valid")))
        });
        if n == 1_000_000 {
            let mut bad = real.secret().to_owned();
            let last = if bad.ends_with('0') { "1" } else { "0" };
            bad.replace_range(bad.len() - 1.., last);
            group.bench_function(BenchmarkId::new("v2_bad_checksum", n), |b| {
                b.iter(|| black_box(keys.verify(black_box(&bad)).is_err()))
            });
        }
    }
    for n in [10usize, 10_000] {
        let secret = "tgk_legacyBenchKeyLegacyBenchKeyLegacyBenchKey0";
        let keys = (1..n)
            .map(|i| {
                let hash: String = synthetic_digest(i)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let hash = format!("sha256:{hash}");
                ApiKey::from_hash(format!("k{i}"), &hash).expect("key")
            })
            .fold(ApiKeys::builder(), |b, k| b.key(k))
            .key(ApiKey::from_secret("real", secret).expect("key"))
            .build()
            .expect("keys");
        group.bench_function(BenchmarkId::new("legacy", n), |b| {
            b.iter(|| black_box(keys.verify(black_box(secret)).expect("valid")))
        });
        // What every key cost before v2: hash, then compare with each digest, no early exit.
        let real = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
        let mut digests: Vec<[u8; 32]> = (1..n).map(synthetic_digest).collect();
        digests.push(real.as_ref().try_into().expect("32 bytes"));
        group.bench_function(BenchmarkId::new("linear_scan_before_v2", n), |b| {
            b.iter(|| {
                let presented = aws_lc_rs::digest::digest(
                    &aws_lc_rs::digest::SHA256,
                    black_box(secret).as_bytes(),
                );
                let mut found = None;
                for (i, candidate) in digests.iter().enumerate() {
                    if aws_lc_rs::constant_time::verify_slices_are_equal(
                        candidate,
                        presented.as_ref(),
                    )
                    .is_ok()
                    {
                        found = Some(i);
                    }
                }
                black_box(found.expect("found"))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = signature_backends, verify, layer, providers, key_set_size, token_size, threads,
        metrics, api_key_verify
}
criterion_main!(benches);
