//! The crypto-backend trap: this test binary is built with both of jsonwebtoken's backends
//! enabled (see the dev-dependencies), the dependency graph in which jsonwebtoken's
//! process-wide provider panics. tollgate never consults that provider.

use tollgate::dev::DevIssuer;

#[tokio::test]
async fn tollgate_verifies_where_jsonwebtokens_default_provider_panics() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let token = issuer.token().sign();

    let key = jsonwebtoken::DecodingKey::from_secret(b"irrelevant");
    let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let direct = std::panic::catch_unwind(|| {
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
    });
    assert!(
        direct.is_err(),
        "with both backends enabled, jsonwebtoken's default provider panics"
    );

    let principal = provider
        .verify(&token)
        .await
        .expect("tollgate verifies regardless");
    assert_eq!(principal.subject(), Some("dev-user"));
}
