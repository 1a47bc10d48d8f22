//! A JWKS supplied at build time (`jwks_seed`, `jwks_seed_file`): the first request after a cold
//! start verifies without waiting for the issuer, the live keys replace the seed, an outage keeps
//! it, a new `kid` is still fetched, and a bad seed fails `build()`.

use std::time::Duration;

use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::jwt::JwtProvider;
use tollgate::{Credential, Provider};

use crate::support::*;

fn seeded(issuer: &DevIssuer, jwks: &JwksServer) -> tollgate::jwt::JwtProviderBuilder {
    JwtProvider::builder(issuer.issuer())
        .audience(issuer.audience())
        .jwks_url(&jwks.url)
        .jwks_seed(jwks_of(issuer, &["dev-rsa"]))
}

fn bearer(token: &str) -> Credential {
    Credential::bearer(token)
}

#[tokio::test]
async fn a_seeded_provider_verifies_at_once_while_the_issuer_is_slow() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    jwks.set_delay(Duration::from_secs(30));
    // build() makes no fetch of its own: with a 30 s JWKS it still returns at once.
    let provider = tokio::time::timeout(Duration::from_secs(10), seeded(&issuer, &jwks).build())
        .await
        .expect("build() did not wait for the slow JWKS")
        .expect("provider");
    // Verified from the seed, synchronously: no fetch could have been waited for.
    let token = issuer.token().sign();
    let principal = provider
        .try_authenticate(&bearer(&token))
        .expect("answered from the keys at hand")
        .expect("verified by the seed");
    assert_eq!(principal.subject(), issuer.token().claims()["sub"].as_str());
    assert!(provider.jwks().is_ready());
}

#[tokio::test]
async fn the_live_keys_replace_the_seed_and_an_outage_keeps_it() {
    let issuer = DevIssuer::start().await.expect("issuer");
    // The issuer has rotated since the seed was taken: it publishes only `next`.
    issuer.rotate("next", DevKeyType::Rsa2048).expect("rotate");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["next"])).await;
    let provider = seeded(&issuer, &jwks).build().await.expect("provider");
    eventually("the background fetch to replace the seed", || {
        jwks.hits() >= 1 && provider.jwks().status().last_success.is_some()
    })
    .await;
    let old = issuer.token().kid("dev-rsa").sign();
    assert!(
        provider.verify(&old).await.is_err(),
        "a key the issuer no longer lists stops verifying once the live set arrives"
    );
    assert!(provider.verify(&issuer.token().sign()).await.is_ok());

    // The issuer is down from the start: the seed keeps verifying.
    let down = JwksServer::start(500, String::new()).await;
    let provider = seeded(&issuer, &down).build().await.expect("provider");
    eventually("the failed background fetch", || {
        provider.jwks().status().last_error.is_some()
    })
    .await;
    let seeded_token = issuer.token().kid("dev-rsa").sign();
    assert!(
        provider.verify(&seeded_token).await.is_ok(),
        "the seed survives the outage"
    );
}

#[tokio::test]
async fn a_kid_the_seed_lacks_verifies_once_fetched() {
    let issuer = DevIssuer::start().await.expect("issuer");
    issuer.rotate("next", DevKeyType::P256).expect("rotate");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["next", "dev-rsa"])).await;
    let provider = seeded(&issuer, &jwks).build().await.expect("provider");
    let token = issuer.token().sign(); // signed with `next`, which the seed lacks
    assert!(
        provider.verify(&token).await.is_ok(),
        "fetched on the unknown kid"
    );
    assert!(jwks.hits() >= 1);
}

#[tokio::test]
async fn a_bad_seed_fails_build_saying_what_is_wrong() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let jwks = JwksServer::start(200, jwks_of(&issuer, &["dev-rsa"])).await;
    let base = || {
        JwtProvider::builder(issuer.issuer())
            .audience(issuer.audience())
            .jwks_url(&jwks.url)
    };
    let err = |b: tollgate::jwt::JwtProviderBuilder| async move {
        b.build().await.expect_err("bad seed").to_string()
    };
    let not_json = err(base().jwks_seed("not json")).await;
    assert!(
        not_json.contains("the JWKS seed is not a JWKS"),
        "{not_json}"
    );
    let empty = err(base().jwks_seed(r#"{"keys":[]}"#)).await;
    assert!(
        empty.contains("holds no key tollgate can verify with"),
        "{empty}"
    );
    let symmetric = err(base().jwks_seed(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)).await;
    assert!(symmetric.contains("holds no key"), "{symmetric}");
    let missing = err(base().jwks_seed_file("/nonexistent/tollgate-seed.json")).await;
    assert!(
        missing.contains("/nonexistent/tollgate-seed.json") && missing.contains("cannot be read"),
        "{missing}"
    );

    let path = std::env::temp_dir().join(format!("tollgate-seed-{}.json", std::process::id()));
    std::fs::write(&path, jwks_of(&issuer, &["dev-rsa"])).expect("write seed");
    let from_file = base().jwks_seed_file(&path).build().await;
    std::fs::remove_file(&path).ok();
    let from_file = from_file.expect("a seed file");
    assert!(from_file
        .try_authenticate(&bearer(&issuer.token().sign()))
        .is_some_and(|r| r.is_ok()));
}
