//! Every allowed algorithm is accepted through the layer; the allowlist is enforced.

use tollgate::jwt::Algorithm;
use tollgate::AuthLayer;

use crate::support::*;

fn kid_for(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "p256",
        Algorithm::ES384 => "p384",
        Algorithm::EdDSA => "ed",
        _ => "rsa",
    }
}

#[tokio::test]
async fn each_allowed_algorithm_is_accepted() {
    let issuer = issuer_all_keys().await;
    // The dev issuer publishes its RSA key without `alg`: an explicit list lets it serve every
    // RSA algorithm (by default it serves RS256 only; see the test below).
    let provider = issuer
        .provider()
        .algorithms(Algorithm::ASYMMETRIC.iter().copied())
        .build()
        .await
        .expect("provider");
    assert_eq!(provider.key_count(), 4);
    let server = serve(app(AuthLayer::new(provider))).await;

    for &alg in Algorithm::ASYMMETRIC {
        let token = issuer
            .token()
            .subject(alg.as_str())
            .kid(kid_for(alg))
            .algorithm(alg)
            .sign();
        assert!(!token.is_empty(), "{alg}: could not sign");
        let reply = get_me(&server, &token).await;
        assert_eq!(reply.status, 200, "{alg}: {reply:?}");
        assert_eq!(reply.json()["subject"], alg.as_str());
        assert_eq!(reply.json()["provider"], "jwt");
    }
}

#[tokio::test]
async fn an_rsa_key_without_alg_serves_rs256_only_unless_the_list_is_explicit() {
    let issuer = issuer_all_keys().await;
    let rsa = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];
    let by_default = issuer.provider().build().await.expect("provider");
    let explicit = issuer
        .provider()
        .algorithms([Algorithm::RS256, Algorithm::PS256])
        .build()
        .await
        .expect("provider");
    for alg in rsa {
        let token = issuer.token().kid("rsa").algorithm(alg).sign();
        let kind = |result: Result<_, tollgate::AuthError>| result.err().map(|e| e.reason());
        let expected = (alg != Algorithm::RS256).then_some(tollgate::error::Reason::NoMatchingKey);
        assert_eq!(
            kind(by_default.verify(&token).await),
            expected,
            "{alg} by default"
        );
        let expected = match alg {
            Algorithm::RS256 | Algorithm::PS256 => None,
            _ => Some(tollgate::error::Reason::AlgorithmNotAllowed),
        };
        assert_eq!(
            kind(explicit.verify(&token).await),
            expected,
            "{alg} explicit"
        );
    }
}

#[tokio::test]
async fn algorithms_outside_the_allowlist_are_rejected() {
    let issuer = issuer_all_keys().await;
    let provider = issuer
        .provider()
        .algorithms([Algorithm::ES256, Algorithm::PS256])
        .build()
        .await
        .expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;

    for &alg in Algorithm::ASYMMETRIC {
        let token = issuer.token().kid(kid_for(alg)).algorithm(alg).sign();
        let reply = get_me(&server, &token).await;
        let allowed = matches!(alg, Algorithm::ES256 | Algorithm::PS256);
        assert_eq!(
            reply.status,
            if allowed { 200 } else { 401 },
            "{alg}: {reply:?}"
        );
        if !allowed {
            assert_eq!(
                reply.www_authenticate.as_deref(),
                Some(INVALID_TOKEN),
                "{alg}"
            );
        }
    }
}

#[tokio::test]
async fn the_key_type_must_match_the_algorithm() {
    // A token claiming ES256 but naming the RSA key's kid finds no usable key.
    let issuer = issuer_all_keys().await;
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    let header_b64 = b64(&serde_json::json!({"alg": "ES256", "kid": "rsa"}).to_string());
    let claims = serde_json::Value::Object(issuer.token().claims().clone());
    let payload_b64 = b64(&claims.to_string());
    // Signed by the P-256 key, labelled with the RSA kid.
    let token = issuer
        .dangerous()
        .sign_segments("p256", Algorithm::ES256, &header_b64, &payload_b64)
        .expect("sign");
    let token = token.clone();
    let reply = get_me(&server, &token).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
}

pub(crate) fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}
