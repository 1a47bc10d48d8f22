//! Measures a Lambda cold start (BENCHMARKS.md, "Lambda cold start"): the time from starting the
//! `lambda_authorizer` function under cargo-lambda's emulator to its first verified answer,
//! while the issuer's JWKS answers only after a delay, with a JWKS seed and without one.
//!
//! ```text
//! bash scripts/interop-setup.sh                                   # cargo-lambda in .interop/
//! cargo build --release --features lambda --example lambda_authorizer --example lambda_cold_start
//! target/release/examples/lambda_cold_start [ROUNDS] [JWKS_DELAY_MS]   # default 20 rounds, 1000 ms
//! ```

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tollgate::dev::DevIssuer;

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders";

/// Kills the process when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let delay_ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let here = std::env::current_exe().expect("current exe");
    let function = here.with_file_name("lambda_authorizer");
    let cargo_lambda = root.join(".interop/cargo-lambda/bin/cargo-lambda");
    assert!(
        function.exists(),
        "build {} first (see the header)",
        function.display()
    );
    assert!(
        cargo_lambda.exists(),
        "run `bash scripts/interop-setup.sh` first"
    );

    let issuer = DevIssuer::start().await.expect("issuer");
    issuer
        .dangerous()
        .set_jwks_delay(Duration::from_millis(delay_ms));
    let seed =
        std::env::temp_dir().join(format!("tollgate-cold-start-{}.json", std::process::id()));
    let jwks = json!({ "keys": [issuer.public_jwk("dev-rsa").expect("key")] });
    std::fs::write(&seed, jwks.to_string()).expect("seed");
    let anchor =
        std::env::temp_dir().join(format!("tollgate-cold-start-anchor-{}", std::process::id()));
    std::fs::create_dir_all(anchor.join("src")).expect("anchor");
    std::fs::write(
        anchor.join("Cargo.toml"),
        "[package]\nname = \"anchor\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
    )
    .expect("anchor");
    std::fs::write(anchor.join("src/main.rs"), "fn main() {}\n").expect("anchor");

    let token = issuer.token().sign();
    let event = json!({ "type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": METHOD_ARN });
    let client = reqwest::Client::new();
    println!("{rounds} rounds, JWKS answering after {delay_ms} ms; milliseconds from starting the function to its first verified answer");
    for seeded in [true, false] {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            times.push(
                cold_start(
                    &cargo_lambda,
                    &anchor,
                    &function,
                    &issuer,
                    seeded.then_some(seed.as_path()),
                    &client,
                    &event,
                )
                .await,
            );
        }
        times.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:>12}: median {:.1}, min {:.1}, max {:.1}",
            if seeded { "with seed" } else { "without seed" },
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1]),
        );
    }
    let _ = std::fs::remove_file(&seed);
    let _ = std::fs::remove_dir_all(&anchor);
}

/// One cold start: the emulator is up first (API Gateway's side), then the clock starts with the
/// function's process and stops at the answer to the first invocation.
async fn cold_start(
    cargo_lambda: &Path,
    anchor: &Path,
    function: &Path,
    issuer: &DevIssuer,
    seed: Option<&Path>,
    client: &reqwest::Client,
    event: &serde_json::Value,
) -> Duration {
    let port = free_port();
    let _emulator = Killed(
        Command::new(cargo_lambda)
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(anchor)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator"),
    );
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut command = Command::new(function);
    command
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("http://127.0.0.1:{port}/.rt"),
        )
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_REGION", "eu-west-1")
        .env("RUST_LOG", "off")
        .env("TOLLGATE_ISSUER", issuer.issuer())
        .env("TOLLGATE_AUDIENCE", issuer.audience())
        .env("TOLLGATE_JWKS_URL", issuer.jwks_url())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(seed) = seed {
        command.env("TOLLGATE_JWKS_SEED", seed);
    }
    let started = Instant::now();
    let _function = Killed(command.spawn().expect("function"));
    let answer: serde_json::Value = client
        .post(format!(
            "http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"
        ))
        .json(event)
        .send()
        .await
        .expect("invoke")
        .json()
        .await
        .expect("JSON");
    let elapsed = started.elapsed();
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "not verified: {answer}"
    );
    elapsed
}
