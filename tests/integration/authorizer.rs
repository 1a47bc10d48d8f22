//! The Lambda authorizer (feature `lambda`): REST TOKEN and REQUEST events, HTTP API payload 1.0
//! and 2.0 (simple and policy responses), with tokens from the development issuer verified
//! against its JWKS over loopback, API keys, a guard, an issuer outage, and malformed events.

use serde_json::{json, Value};
use tollgate::dev::DevIssuer;
use tollgate::guard;
use tollgate::lambda::authorizer::{Authorizer, AuthorizerError};
use tollgate::ApiKeys;

const METHOD_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders";
const ROUTE_ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/$default/GET/orders";

fn token_event(token: &str) -> Value {
    json!({ "type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN })
}

fn rest_request_event(headers: Value) -> Value {
    json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "GET",
        "headers": headers,
        "queryStringParameters": {},
        "requestContext": { "accountId": "123456789012", "stage": "prod", "httpMethod": "GET" },
    })
}

fn http_v1_event(headers: Value) -> Value {
    json!({
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "identitySource": "Bearer x",
        "headers": headers,
    })
}

fn http_v2_event(headers: Value) -> Value {
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": ROUTE_ARN,
        "identitySource": ["x"],
        "routeKey": "GET /orders",
        "rawPath": "/orders",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": { "http": { "method": "GET", "path": "/orders" } },
    })
}

fn effect(answer: &Value) -> Option<&str> {
    answer["policyDocument"]["Statement"][0]["Effect"].as_str()
}

#[tokio::test]
async fn rest_token_and_request_authorizers_allow_deny_and_refuse() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let authorizer = Authorizer::new(provider).guard(guard::scope("orders:read"));
    let reader = issuer.token().subject("alice").scope("orders:read").sign();
    let other = issuer.token().subject("bob").scope("profile").sign();

    for event in [
        token_event(&format!("Bearer {reader}")),
        token_event(&reader), // a bare token is a bearer token
        rest_request_event(json!({ "Authorization": format!("Bearer {reader}") })),
        http_v1_event(json!({ "authorization": format!("Bearer {reader}") })),
    ] {
        let answer = authorizer
            .authorize(event.clone())
            .await
            .expect("an answer");
        assert_eq!(effect(&answer), Some("Allow"), "{event}");
        assert_eq!(answer["principalId"], "alice");
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"],
            METHOD_ARN
        );
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Action"],
            "execute-api:Invoke"
        );
        let context = answer["context"].as_object().expect("context");
        assert_eq!(context["sub"], "alice");
        assert_eq!(context["scopes"], "orders:read");
        assert_eq!(context["provider"], "jwt");
        assert!(context["expiresAt"].is_u64());
        assert!(
            context
                .values()
                .all(|v| v.is_string() || v.is_number() || v.is_boolean()),
            "API Gateway accepts only strings, numbers and booleans: {context:?}"
        );
    }

    // A principal the guard refuses: Deny, which API Gateway answers with 403.
    let answer = authorizer
        .authorize(token_event(&format!("Bearer {other}")))
        .await
        .expect("an answer");
    assert_eq!(effect(&answer), Some("Deny"));
    assert_eq!(answer["principalId"], "bob");

    // No credential, or a bad one: exactly `Unauthorized` (401).
    for event in [
        token_event("Bearer not.a.token"),
        token_event(""),
        rest_request_event(json!({})),
        rest_request_event(json!({ "Authorization": "Basic dXNlcjpwYXNz" })),
        http_v1_event(json!({ "authorization": format!("Bearer {reader}x") })),
    ] {
        let error = authorizer
            .authorize(event.clone())
            .await
            .expect_err("refused");
        assert_eq!(error, AuthorizerError::Unauthorized, "{event}");
        assert_eq!(error.to_string(), "Unauthorized");
        let diagnostic = lambda_http::lambda_runtime::Diagnostic::from(error);
        assert_eq!(diagnostic.error_message, "Unauthorized");
    }
}

#[tokio::test]
async fn http_api_v2_simple_and_policy_responses() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let admin = issuer.token().subject("carol").scope("admin").sign();
    let plain = issuer.token().subject("dave").sign();
    let headers = |token: &str| json!({ "authorization": format!("Bearer {token}") });

    let simple = Authorizer::new(provider.clone()).guard(guard::scope("admin"));
    let allowed = simple
        .authorize(http_v2_event(headers(&admin)))
        .await
        .expect("answer");
    assert_eq!(allowed["isAuthorized"], true);
    assert_eq!(allowed["context"]["sub"], "carol");
    assert!(allowed.get("policyDocument").is_none());
    let denied = simple
        .authorize(http_v2_event(headers(&plain)))
        .await
        .expect("answer");
    assert_eq!(denied["isAuthorized"], false);
    assert_eq!(
        simple.authorize(http_v2_event(json!({}))).await,
        Err(AuthorizerError::Unauthorized)
    );

    let policy = Authorizer::new(provider)
        .guard(guard::scope("admin"))
        .http_api_policy_responses();
    let allowed = policy
        .authorize(http_v2_event(headers(&admin)))
        .await
        .expect("answer");
    assert_eq!(effect(&allowed), Some("Allow"));
    assert_eq!(
        allowed["policyDocument"]["Statement"][0]["Resource"],
        ROUTE_ARN
    );
    let denied = policy
        .authorize(http_v2_event(headers(&plain)))
        .await
        .expect("answer");
    assert_eq!(effect(&denied), Some("Deny"));
}

#[tokio::test]
async fn api_keys_are_read_where_the_provider_reads_them() {
    let generated = ApiKeys::generate().expect("key");
    let keys = ApiKeys::builder()
        .keys_from_str(&generated.file_line("ci-deploy", &["deploy"]))
        .build()
        .expect("keys");
    let authorizer = Authorizer::new(keys);
    let answer = authorizer
        .authorize(rest_request_event(
            json!({ "x-api-key": generated.secret() }),
        ))
        .await
        .expect("an answer");
    assert_eq!(effect(&answer), Some("Allow"));
    assert_eq!(answer["context"]["sub"], "ci-deploy");
    assert_eq!(
        authorizer
            .authorize(rest_request_event(json!({ "x-api-key": "tgk_wrong" })))
            .await,
        Err(AuthorizerError::Unauthorized)
    );
}

#[tokio::test]
async fn an_issuer_outage_is_not_the_clients_fault() {
    let issuer = DevIssuer::start().await.expect("issuer");
    issuer.dangerous().serve_jwks_body(503, "down");
    let provider = issuer.provider().build().await.expect("built without keys");
    let authorizer = Authorizer::new(provider);
    let token = issuer.token().sign();
    let error = authorizer
        .authorize(token_event(&format!("Bearer {token}")))
        .await
        .expect_err("no keys");
    assert_eq!(error, AuthorizerError::KeysUnavailable);
}

#[tokio::test]
async fn malformed_events_are_unauthorized_never_a_panic() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let authorizer = Authorizer::new(provider);
    let token = issuer.token().sign();
    let events = [
        Value::Null,
        json!("TOKEN"),
        json!([token_event(&token)]),
        json!({}),
        json!({ "type": "TOKEN", "authorizationToken": token }), // no methodArn
        json!({ "type": "TOKEN", "authorizationToken": 7, "methodArn": METHOD_ARN }),
        json!({ "type": "TOKEN", "methodArn": METHOD_ARN }),
        json!({ "type": "WEBSOCKET", "methodArn": METHOD_ARN, "headers": {} }),
        json!({ "version": "2.0", "headers": { "authorization": format!("Bearer {token}") } }),
        json!({ "version": "2.0", "routeArn": ROUTE_ARN, "headers": "authorization" }),
        json!({ "version": "2.0", "routeArn": ROUTE_ARN, "headers": { "authorization": ["Bearer", token] } }),
        json!({ "version": "2.0", "routeArn": ROUTE_ARN, "headers": { "bad name": "x", "authorization": "Bearer \u{7f}" } }),
        json!({ "type": "REQUEST", "methodArn": METHOD_ARN, "headers": { "authorization": format!("Bearer {}", "a".repeat(100_000)) } }),
        json!({ "type": "TOKEN", "authorizationToken": format!("Bearer {token}\r\nx-api-key: y"), "methodArn": METHOD_ARN }),
    ];
    for event in events {
        let shown: String = event.to_string().chars().take(120).collect();
        assert_eq!(
            authorizer.authorize(event).await,
            Err(AuthorizerError::Unauthorized),
            "{shown}"
        );
    }
}
