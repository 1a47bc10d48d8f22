//! `alb::Alb` against a loopback stand-in for the ALB key endpoint, with tokens signed the way
//! an Application Load Balancer signs `x-amzn-oidc-data`; and the `alb_server` example run as
//! a real binary.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use tollgate::alb::Alb;
use tollgate::clock::ManualClock;
use tollgate::dev::DevIssuer;
use tollgate::error::{AuthErrorKind, Reason};
use tollgate::{AuthLayer, Credential, Provider, Providers};

use crate::alb_support::*;
use crate::examples::{base_url, example, start};
use crate::support::*;

const KID: &str = "0f3c0b5e-1f5e-4c1e-9a39-6f5f3e1b2c3d";

fn alb(keys: &KeyServer) -> tollgate::alb::AlbBuilder {
    Alb::builder(REGION).signer(SIGNER).keys_url(&keys.url)
}

/// GET `{base}/me` with the ALB header.
async fn get_me_alb(server: &Server, token: &str) -> Reply {
    send(
        client()
            .get(format!("{}/me", server.base))
            .header("x-amzn-oidc-data", token),
    )
    .await
}

#[tokio::test]
async fn a_token_the_alb_signed_is_accepted_and_its_key_fetched_once() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    let provider = alb(&keys).build().expect("alb");
    let server = serve(app(AuthLayer::new(provider.clone()))).await;

    let (header, mut payload) = key.claims("alice");
    payload["cognito:groups"] = json!(["admin", "staff"]);
    payload["scope"] = json!("openid profile");
    let token = key.sign(&header, &payload);
    assert!(token.contains("=."), "segments are padded: {token}");

    let reply = get_me_alb(&server, &token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let me = reply.json();
    assert_eq!(me["provider"], "alb");
    assert_eq!(me["subject"], "alice");
    assert_eq!(me["issuer"], ISSUER);
    assert_eq!(me["groups"], json!(["admin", "staff"]));
    assert_eq!(me["scopes"], json!(["openid", "profile"]));
    assert_eq!(me["expires_at"], header["exp"]);
    assert_eq!(me["claims"]["email"], "alice@example.com");
    assert_eq!(me["claims"]["alb_signer"], SIGNER);
    assert_eq!(me["claims"]["alb_client"], CLIENT);
    // The URL is the configured base plus the kid: nothing in the token chooses it.
    assert_eq!(keys.hits(), vec![format!("/keys/{KID}")]);

    // Cached: answered without a future, and no new fetch.
    let other = key.token("bob");
    let cached = provider.try_authenticate(&Credential::alb_oidc_data(other.as_str()));
    assert_eq!(
        cached
            .and_then(Result::ok)
            .and_then(|p| p.subject().map(str::to_owned)),
        Some("bob".to_owned())
    );
    assert_eq!(get_me_alb(&server, &other).await.status, 200);
    assert_eq!(keys.hits().len(), 1, "a cached kid is not fetched again");

    // Without the header: 401 with a challenge; the unsigned ALB headers are not read.
    let reply = send(
        client()
            .get(format!("{}/me", server.base))
            .header("x-amzn-oidc-identity", "alice")
            .header("x-amzn-oidc-accesstoken", key.token("alice")),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(NO_CREDENTIAL));
    // An ALB token sent as a bearer token is not read by the ALB layer.
    let reply = get_me(&server, &token).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn forged_tokens_are_refused_before_any_key_is_fetched() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    let provider = alb(&keys).client_ids([CLIENT]).build().expect("alb");
    let server = serve(app(AuthLayer::new(provider))).await;
    let (header, payload) = key.claims("mallory");
    let with = |name: &str, value: Value| {
        let mut h = header.clone();
        h[name] = value;
        key.sign(&h, &payload)
    };
    let unpadded = key
        .token("mallory")
        .split('.')
        .map(|s| s.trim_end_matches('='))
        .collect::<Vec<_>>()
        .join(".");
    let header_text = header.to_string();
    let duplicate_signer = header_text.replacen(
        "\"signer\"",
        "\"signer\":\"arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/evil/1\",\"signer\"",
        1,
    );
    let duplicate_kid = header_text.replacen("\"kid\"", "\"kid\":\"other\",\"kid\"", 1);
    let mut expired_payload = payload.clone();
    expired_payload["exp"] = json!(now() - 3600);
    let mut cases = vec![
        (
            "another load balancer",
            with(
                "signer",
                json!("arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/evil/50dc6c495c0c9188"),
            ),
            Reason::WrongSigner,
        ),
        (
            "another region's load balancer",
            with(
                "signer",
                json!("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"),
            ),
            Reason::WrongSigner,
        ),
        ("no signer", with("signer", Value::Null), Reason::Malformed),
        ("unpadded segments", unpadded, Reason::Malformed),
        ("alg RS256", with("alg", json!("RS256")), Reason::AlgorithmNotAllowed),
        ("alg HS256", with("alg", json!("HS256")), Reason::AlgorithmNotAllowed),
        ("alg none", with("alg", json!("none")), Reason::AlgorithmNotAllowed),
        (
            "header exp past",
            with("exp", json!(now() - 3600)),
            Reason::Expired,
        ),
        (
            "payload exp past",
            key.sign(&header, &expired_payload),
            Reason::Expired,
        ),
        ("client not allowed", with("client", json!("other-client")), Reason::WrongClient),
        (
            "duplicate signer",
            key.sign_raw(&duplicate_signer, &payload.to_string()),
            Reason::Malformed,
        ),
        (
            "duplicate kid",
            key.sign_raw(&duplicate_kid, &payload.to_string()),
            Reason::Malformed,
        ),
    ];
    for kid in ["../x", "a/b", "%2e%2e", "x?y", "x#y", "..", &"a".repeat(65)] {
        cases.push(("kid path trick", with("kid", json!(kid)), Reason::Malformed));
    }
    for (name, token, reason) in cases {
        let credential = Credential::alb_oidc_data(token.as_str());
        let provider = alb(&keys).client_ids([CLIENT]).build().expect("alb");
        let verdict = provider.authenticate(credential).await;
        assert_eq!(verdict.err().map(|e| e.reason()), Some(reason), "{name}");
        let reply = get_me_alb(&server, &token).await;
        assert_eq!(reply.status, 401, "{name}");
    }
    assert_eq!(
        keys.hits(),
        Vec::<String>::new(),
        "no forged token caused a fetch"
    );
}

#[tokio::test]
async fn a_bad_signature_or_another_keys_signature_is_refused() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    let provider = alb(&keys).build().expect("alb");
    let good = key.token("alice");
    let (input, signature) = good.rsplit_once('.').expect("three segments");
    // Another signature of the right shape: the first byte changed.
    let mut flipped = signature.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{input}.{}", String::from_utf8(flipped).expect("ascii"));
    let impostor = AlbKey::generate(KID).token("alice");
    let (header, mut payload) = key.claims("alice");
    let original = key.sign(&header, &payload);
    payload["sub"] = json!("admin");
    let resigned = key.sign(&header, &payload);
    let segment = |t: &str, i: usize| t.split('.').nth(i).expect("segment").to_owned();
    let payload_swapped = format!(
        "{}.{}.{}",
        segment(&original, 0),
        segment(&resigned, 1),
        segment(&original, 2)
    );
    for (name, token) in [
        ("tampered signature", tampered),
        ("another key", impostor),
        ("payload changed after signing", payload_swapped),
    ] {
        let verdict = provider
            .authenticate(Credential::alb_oidc_data(token.as_str()))
            .await;
        assert_eq!(
            verdict.err().map(|e| e.reason()),
            Some(Reason::BadSignature),
            "{name}"
        );
    }
    assert!(provider
        .authenticate(Credential::alb_oidc_data(good.as_str()))
        .await
        .is_ok());
    assert_eq!(keys.hits().len(), 1, "one kid, one fetch");
}

#[tokio::test]
async fn an_unknown_kid_is_401_and_cools_down_and_an_outage_is_503() {
    let keys = KeyServer::start().await;
    let clock = ManualClock::new();
    let provider = alb(&keys).clock(clock.clone()).build().expect("alb");
    let server = serve(app(AuthLayer::new(provider.clone()))).await;
    let unknown = AlbKey::generate("unknown-kid");

    let reply = get_me_alb(&server, &unknown.token("alice")).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    assert_eq!(keys.hits(), vec!["/keys/unknown-kid".to_owned()]);
    // Within the cooldown: refused again without a fetch.
    let again = provider
        .authenticate(Credential::alb_oidc_data(unknown.token("alice").as_str()))
        .await;
    assert_eq!(again.err().map(|e| e.reason()), Some(Reason::UnknownKey));
    assert_eq!(keys.hits().len(), 1);
    // Another new kid right after a failure: 503, no fetch (a flood of kids is one fetch).
    let other = AlbKey::generate("other-kid");
    let reply = get_me_alb(&server, &other.token("alice")).await;
    assert_eq!(reply.status, 503);
    assert!(reply.retry_after.is_some());
    assert_eq!(keys.hits().len(), 1);

    // Once the cooldown is over, the kid is asked for again, and now it exists.
    clock.advance(Duration::from_secs(31));
    keys.publish(&unknown);
    assert_eq!(
        get_me_alb(&server, &unknown.token("alice")).await.status,
        200
    );
    assert_eq!(keys.hits().len(), 2);

    // The endpoint down, the kid not cached: 503 with Retry-After, not 401.
    keys.fail_with(Some(500));
    let reply = get_me_alb(&server, &other.token("alice")).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.retry_after.is_some());
    assert_eq!(keys.hits().len(), 3);
    // A cached kid is unaffected by the outage.
    assert_eq!(get_me_alb(&server, &unknown.token("bob")).await.status, 200);
    // A redirect is not followed.
    clock.advance(Duration::from_secs(5));
    keys.fail_with(Some(302));
    let verdict = provider
        .authenticate(Credential::alb_oidc_data(other.token("alice").as_str()))
        .await;
    assert_eq!(
        verdict.err().map(|e| e.kind()),
        Some(AuthErrorKind::Unavailable)
    );
    assert_eq!(keys.hits().len(), 4);
}

#[tokio::test]
async fn concurrent_requests_for_a_new_kid_make_one_fetch() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    keys.delay(Duration::from_millis(300));
    let provider = alb(&keys).build().expect("alb");
    let tokens: Vec<String> = (0..20).map(|i| key.token(&format!("user{i}"))).collect();
    let verdicts = futures_join(&provider, &tokens).await;
    assert!(verdicts.iter().all(|ok| *ok), "{verdicts:?}");
    assert_eq!(keys.hits().len(), 1);
}

async fn futures_join(provider: &Alb, tokens: &[String]) -> Vec<bool> {
    let mut tasks = tokio::task::JoinSet::new();
    for token in tokens {
        let provider = provider.clone();
        let token = token.clone();
        tasks.spawn(async move {
            provider
                .authenticate(Credential::alb_oidc_data(token.as_str()))
                .await
                .is_ok()
        });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn providers_send_the_alb_header_to_the_alb_and_bearer_tokens_to_the_jwt_provider() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwt = issuer.provider().name("dev").build().await.expect("jwt");
    let providers = Providers::builder()
        .jwt(jwt)
        .alb(alb(&keys).build().expect("alb"))
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;

    let reply = get_me_alb(&server, &key.token("alice")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["provider"], "alb");
    let bearer = issuer.token().subject("bob").sign();
    let reply = get_me(&server, &bearer).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["provider"], "dev");

    // A JWT in the ALB header goes to the ALB provider, which refuses it: never to the JWT one.
    let reply = get_me_alb(&server, &bearer).await;
    assert_eq!(reply.status, 401);
    // An ALB token as a bearer token: its padding is not a b64token, and it never reaches the
    // ALB provider.
    let reply = get_me(&server, &key.token("alice")).await;
    assert_eq!(reply.status, 401);
    // Both at once is two credentials.
    let reply = send(
        client()
            .get(format!("{}/me", server.base))
            .header("authorization", format!("Bearer {bearer}"))
            .header("x-amzn-oidc-data", key.token("alice")),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_REQUEST));
    assert_eq!(keys.hits().len(), 1);

    let only_jwt = Providers::builder()
        .jwt(issuer.provider().build().await.expect("jwt"))
        .build()
        .expect("providers");
    let verdict = only_jwt
        .authenticate(Credential::alb_oidc_data(key.token("alice").as_str()))
        .await;
    assert_eq!(
        verdict.err().map(|e| e.reason()),
        Some(Reason::UnsupportedCredential)
    );
}

#[tokio::test]
async fn the_alb_server_example_serves_me_and_admin() {
    let keys = KeyServer::start().await;
    let key = AlbKey::generate(KID);
    keys.publish(&key);
    let (_running, lines) = start(
        "alb_server",
        &[
            ("ALB_REGION", REGION),
            ("ALB_ARNS", &format!(" {SIGNER} , arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/1")),
            ("ALB_KEYS_URL", &keys.url),
        ],
        |lines| lines.iter().any(|l| l.contains("listening")),
    );
    let base = base_url(&lines);
    let get = |path: &str, token: Option<String>| {
        let request = client().get(format!("{base}{path}"));
        match token {
            Some(t) => request.header("x-amzn-oidc-data", t),
            None => request,
        }
    };
    let me = send(get("/me", Some(key.token("alice")))).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["subject"], "alice");
    assert_eq!(
        send(get("/admin", Some(key.token("alice")))).await.status,
        403
    );
    let (header, mut payload) = key.claims("root");
    payload["cognito:groups"] = json!(["admin"]);
    let admin = send(get("/admin", Some(key.sign(&header, &payload)))).await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    let (header, mut payload) = key.claims("ops");
    payload["scope"] = json!("openid admin");
    assert_eq!(
        send(get("/admin", Some(key.sign(&header, &payload))))
            .await
            .status,
        200
    );
    let missing = send(get("/me", None)).await;
    assert_eq!(missing.status, 401);
    assert_eq!(keys.hits().len(), 1);
}

#[test]
fn the_alb_server_example_exits_2_naming_the_bad_variable() {
    for (env, variable) in [
        (vec![("ALB_ARNS", SIGNER)], "ALB_REGION"),
        (vec![("ALB_REGION", REGION)], "ALB_ARNS"),
        (
            vec![("ALB_REGION", "us-east-1"), ("ALB_ARNS", SIGNER)],
            "ALB_ARNS",
        ),
        (
            vec![
                ("ALB_REGION", REGION),
                ("ALB_ARNS", SIGNER),
                ("ALB_KEYS_URL", "http://keys.example.com"),
            ],
            "ALB_KEYS_URL",
        ),
    ] {
        let mut command = Command::new(example("alb_server"));
        command
            .env_remove("ALB_REGION")
            .env_remove("ALB_ARNS")
            .env_remove("ALB_KEYS_URL")
            .env("ADDR", "127.0.0.1:0");
        for (k, v) in &env {
            command.env(k, v);
        }
        let output = command.output().expect("run alb_server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{env:?}: {stderr}");
        assert!(stderr.contains(variable), "{env:?}: {stderr}");
    }
}
