//! `trust_gateway` with real Lambda events: the events in `tests/lambda/events/` (REST v1, HTTP
//! API v2 and Function URL, each identity kind and none; an ALB target group) parsed by `lambda_http`'s own
//! `request::from_str` and sent through an axum router with the layer, for the principal each
//! identity becomes, guards, the "either" mode, forged headers, and malformed contexts.

use axum::{routing::get, Json, Router};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tollgate::dev::DevIssuer;
use tollgate::guard::{any_of, group, scope, GuardLayer};
use tollgate::lambda::GatewayIdentity;
use tollgate::{AuthLayer, Principal};
use tower::ServiceExt;

/// The event `tests/lambda/events/{name}.json`.
fn event(name: &str) -> Value {
    let path = format!(
        "{}/tests/lambda/events/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("event file");
    serde_json::from_str(&text).expect("event JSON")
}

/// `event` with the value at the JSON pointer `at` set to `value`.
fn with(mut event: Value, at: &str, value: Value) -> Value {
    let (parent, name) = at.rsplit_once('/').expect("a JSON pointer");
    event.pointer_mut(parent).expect("pointer into the event")[name] = value;
    event
}

/// `event` with an extra header (both the single- and, for REST, multi-value maps).
fn with_header(mut event: Value, name: &str, value: &str) -> Value {
    event["headers"][name] = json!(value);
    if let Some(multi) = event.get_mut("multiValueHeaders") {
        multi[name] = json!([value]);
    }
    event
}

/// `/me` returns the principal; `/admin` needs group or scope `admin`. REST events carry their
/// stage in the path, so the routes are served under `/prod` too.
fn app(layer: AuthLayer) -> Router {
    let admin = Router::new()
        .route("/admin", get(|| async { "admin" }))
        .route_layer(GuardLayer::new(any_of((group("admin"), scope("admin")))));
    let routes = Router::new()
        .route("/me", get(|p: Principal| async move { Json(p) }))
        .merge(admin)
        .route_layer(layer);
    Router::new().nest("/prod", routes.clone()).merge(routes)
}

async fn issuer() -> DevIssuer {
    DevIssuer::start().await.expect("issuer")
}

/// The layer in "either" mode: the gateway's identity, else the dev issuer's bearer token.
async fn trusting(issuer: &DevIssuer) -> AuthLayer {
    let provider = issuer.provider().build().await.expect("provider");
    AuthLayer::builder(provider)
        .trust_gateway(GatewayIdentity::new())
        .build()
        .expect("layer")
}

async fn tokens_only(issuer: &DevIssuer) -> AuthLayer {
    AuthLayer::new(issuer.provider().build().await.expect("provider"))
}

/// Parses `event` as Lambda would hand it to the function and sends it to `app`.
async fn call(app: Router, event: &Value) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event.to_string()).expect("lambda_http parses");
    send(app, request).await
}

async fn send<B>(app: Router, request: http::Request<B>) -> (u16, Value)
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = app.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `event` sent to `path` instead.
fn at(event: Value, path: &str) -> Value {
    if event.get("rawPath").is_some() {
        with(event, "/rawPath", json!(path))
    } else {
        with(event, "/path", json!(path))
    }
}

#[tokio::test]
async fn http_api_jwt_authorizer_claims_are_read_back() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let (status, me) = call(app.clone(), &event("http_api_jwt")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-jwt");
    assert_eq!(me["subject"], "7d2f3c1e-1111-2222-3333-444455556666");
    assert_eq!(
        me["issuer"],
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
    );
    assert_eq!(me["groups"], json!(["admin", "ops"]));
    assert_eq!(me["scopes"], json!(["orders.read", "admin"]));
    assert_eq!(me["claims"]["cognito:groups"], json!(["admin", "ops"]));
    assert_eq!(me["claims"]["exp"], json!(1_893_459_600u64));
    assert_eq!(me["claims"]["username"], "alice");

    let (status, _) = call(app, &at(event("http_api_jwt"), "/admin")).await;
    assert_eq!(status, 200, "group admin passes the guard");
}

#[tokio::test]
async fn http_api_jwt_scopes_listed_by_the_gateway_win() {
    let issuer = issuer().await;
    let event = with(
        event("http_api_jwt"),
        "/requestContext/authorizer/jwt/scopes",
        json!(["orders.write"]),
    );
    let (status, me) = call(app(trusting(&issuer).await), &event).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["scopes"], json!(["orders.write"]));
}

#[tokio::test]
async fn rest_cognito_authorizer() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let (status, me) = call(app.clone(), &event("rest_cognito")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-cognito");
    assert_eq!(me["subject"], "7d2f3c1e-1111-2222-3333-444455556666");
    assert_eq!(me["groups"], json!(["admin", "ops"]));
    assert_eq!(me["claims"]["email_verified"], json!(true));
    assert_eq!(me["claims"]["auth_time"], json!(1_893_455_000u64));
    // REST forwards `exp` as a date: kept as it came, and no expiry is made up.
    assert_eq!(me["claims"]["exp"], "Wed Jan 01 01:00:00 UTC 2030");

    let (status, _) = call(app, &at(event("rest_cognito"), "/admin")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn rest_lambda_authorizer() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let (status, me) = call(app.clone(), &event("rest_lambda")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-lambda");
    assert_eq!(me["subject"], "user|a1b2c3");
    assert_eq!(me["scopes"], json!(["orders.read", "orders.write"]));
    assert_eq!(me["claims"]["tier"], "gold");
    assert_eq!(me["claims"]["clientId"], 42);
    assert_eq!(me["claims"]["verified"], true);

    let (status, _) = call(app, &at(event("rest_lambda"), "/admin")).await;
    assert_eq!(status, 403, "neither group nor scope admin");
}

#[tokio::test]
async fn http_api_lambda_authorizer() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let (status, me) = call(app.clone(), &event("http_api_lambda")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-lambda");
    assert_eq!(me["subject"], "svc-7");
    assert_eq!(me["groups"], json!(["billing"]));
    assert_eq!(me["claims"]["quota"], 100);

    let (status, _) = call(app, &at(event("http_api_lambda"), "/admin")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn rest_iam_caller() {
    let issuer = issuer().await;
    let (status, me) = call(app(trusting(&issuer).await), &event("rest_iam")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-iam");
    assert_eq!(me["subject"], "arn:aws:iam::123456789012:user/deployer");
    assert_eq!(me["issuer"], Value::Null);
    assert_eq!(me["claims"]["accountId"], "123456789012");
    assert_eq!(me["claims"]["accessKey"], "AKIAEXAMPLEKEY");
    assert_eq!(me["claims"]["caller"], "AIDAEXAMPLECALLER");
    assert_eq!(me["claims"].get("cognitoIdentityId"), None);
}

#[tokio::test]
async fn rest_iam_identity_pool_caller_is_the_pool_identity() {
    let issuer = issuer().await;
    let (status, me) = call(
        app(trusting(&issuer).await),
        &event("rest_iam_identity_pool"),
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-iam");
    assert_eq!(
        me["subject"],
        "us-east-1:1a2b3c4d-5e6f-7a8b-9c0d-112233445566"
    );
    assert_eq!(
        me["issuer"],
        "us-east-1:99887766-5544-3322-1100-aabbccddeeff"
    );
    assert_eq!(me["claims"]["cognitoAuthenticationType"], "authenticated");
    assert!(me["claims"]["userArn"]
        .as_str()
        .unwrap()
        .contains("assumed-role/Cognito_PoolAuth_Role"));
}

#[tokio::test]
async fn http_api_iam_caller() {
    let issuer = issuer().await;
    let (status, me) = call(app(trusting(&issuer).await), &event("http_api_iam")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-iam");
    assert_eq!(
        me["subject"],
        "us-east-1:1a2b3c4d-5e6f-7a8b-9c0d-112233445566"
    );
    assert_eq!(me["claims"]["principalOrgId"], "o-abc123");
    assert_eq!(
        me["claims"]["cognitoIdentity"]["amr"][0],
        json!("authenticated")
    );
}

#[tokio::test]
async fn function_url_iam_caller() {
    let issuer = issuer().await;
    let (status, me) = call(app(trusting(&issuer).await), &event("function_url_iam")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-iam");
    assert_eq!(me["subject"], "arn:aws:iam::111122223333:user/example-user");
    assert_eq!(me["claims"]["accountId"], "111122223333");
}

#[tokio::test]
async fn rest_api_key_is_its_id_never_the_key() {
    let issuer = issuer().await;
    let (status, me) = call(app(trusting(&issuer).await), &event("rest_api_key")).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["provider"], "gateway-api-key");
    assert_eq!(me["subject"], "k9x8y7z6");
    assert!(!me.to_string().contains("sEcReTkEyVaLuE"), "{me}");
}

#[tokio::test]
async fn no_identity_and_no_token_is_401() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    for (name, path) in [
        ("rest_none", "/prod/me"),
        ("http_api_none", "/me"),
        ("function_url_none", "/me"),
        ("alb", "/me"),
    ] {
        let request = lambda_http::request::from_str(&event(name).to_string()).unwrap();
        assert_eq!(request.uri().path(), path);
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{name}"
        );
    }
}

/// What an attacker can send over HTTP: headers that look like the gateway's or an ALB's
/// identity, or a whole authorizer block. Only the request context counts.
#[tokio::test]
async fn headers_never_impersonate_a_gateway_identity() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let authorizer = event("http_api_jwt")["requestContext"]["authorizer"].to_string();
    let forged = [
        ("x-amzn-oidc-identity", "admin"),
        (
            "x-amzn-oidc-data",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
        ),
        ("x-amzn-request-context", authorizer.as_str()),
        ("x-amzn-apigateway-api-id", "abc123"),
        ("x-apigateway-context", authorizer.as_str()),
        ("x-authorizer-principal-id", "admin"),
    ];
    // An ALB with OIDC authentication forwards `x-amzn-oidc-*` headers; they are not read
    // either (a client reaching the function another way could send them).
    for name in ["rest_none", "http_api_none", "function_url_none", "alb"] {
        let event = forged
            .iter()
            .fold(event(name), |event, (h, v)| with_header(event, h, v));
        let (status, body) = call(app.clone(), &event).await;
        assert_eq!(status, 401, "{name}: {body}");
    }

    // Off Lambda (no request context at all) the same headers are just headers.
    let mut request = http::Request::get("/me");
    for (name, value) in forged {
        request = request.header(name, value);
    }
    let (status, _) = send(app, request.body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn either_mode_verifies_the_bearer_token_when_the_context_has_no_identity() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let token = issuer.token().subject("bob").scope("admin").sign();
    for name in ["rest_none", "http_api_none", "function_url_none", "alb"] {
        let event = with_header(event(name), "authorization", &format!("Bearer {token}"));
        let (status, me) = call(app.clone(), &event).await;
        assert_eq!(status, 200, "{name}: {me}");
        assert_eq!(me["subject"], "bob");
        assert!(
            !me["provider"].as_str().unwrap().starts_with("gateway-"),
            "{me}"
        );
    }
    let bad = with_header(
        event("http_api_none"),
        "authorization",
        "Bearer not.a.token",
    );
    assert_eq!(call(app.clone(), &bad).await.0, 401);

    // A gateway identity is admitted as the gateway verified it; the token is not read.
    let both = with_header(event("http_api_jwt"), "authorization", "Bearer not.a.token");
    let (status, me) = call(app, &both).await;
    assert_eq!(status, 200);
    assert_eq!(me["provider"], "gateway-jwt");
}

#[tokio::test]
async fn without_trust_gateway_the_context_is_ignored() {
    let issuer = issuer().await;
    let app = app(tokens_only(&issuer).await);
    for name in [
        "http_api_jwt",
        "rest_cognito",
        "rest_lambda",
        "http_api_lambda",
        "rest_iam",
        "http_api_iam",
        "function_url_iam",
        "rest_api_key",
    ] {
        let (status, body) = call(app.clone(), &event(name)).await;
        assert_eq!(status, 401, "{name}: {body}");
    }
    let token = issuer.token().subject("bob").sign();
    let event = with_header(
        event("http_api_jwt"),
        "authorization",
        &format!("Bearer {token}"),
    );
    let (status, me) = call(app, &event).await;
    assert_eq!(status, 200);
    assert_eq!(me["subject"], "bob");
}

/// Contexts no real gateway sends, or sends only in odd cases: each is admitted with what can be
/// read (200) or treated as no identity (401), never a 5xx or a panic.
#[tokio::test]
async fn malformed_contexts_never_fail_the_request() {
    let issuer = issuer().await;
    let app = app(trusting(&issuer).await);
    let rest =
        |authorizer: Value| with(event("rest_none"), "/requestContext/authorizer", authorizer);
    let v2 = |authorizer: Value| {
        with(
            event("http_api_none"),
            "/requestContext/authorizer",
            authorizer,
        )
    };
    let cases = [
        (
            "REST claims not an object",
            rest(json!({"claims": "oops"})),
            401,
        ),
        (
            "REST principalId an object",
            rest(json!({"claims": null, "principalId": {"a": 1}})),
            401,
        ),
        (
            "REST principalId empty",
            rest(json!({"principalId": ""})),
            401,
        ),
        (
            "REST principalId a list",
            rest(json!({"principalId": ["admin"]})),
            401,
        ),
        ("REST authorizer null", rest(Value::Null), 401),
        ("REST authorizer empty", rest(json!({})), 401),
        (
            "REST claims of odd types",
            rest(
                json!({"claims": {"sub": 5, "cognito:groups": {"a": 1}, "scope": ["x", 1], "exp": "-1"}}),
            ),
            200,
        ),
        (
            "REST principalId a number",
            rest(json!({"principalId": 7})),
            200,
        ),
        (
            "REST identity of empty strings",
            with(
                event("rest_none"),
                "/requestContext/identity",
                json!({"userArn": "", "cognitoIdentityId": "", "apiKeyId": "", "caller": ""}),
            ),
            401,
        ),
        ("HTTP API authorizer empty", v2(json!({})), 401),
        ("HTTP API lambda null", v2(json!({"lambda": null})), 401),
        (
            "HTTP API iam without caller",
            v2(json!({"iam": {"userArn": null, "cognitoIdentity": {"amr": []}}})),
            401,
        ),
        (
            "HTTP API iam empty ARN",
            v2(json!({"iam": {"userArn": ""}})),
            401,
        ),
        (
            "HTTP API JWT claims unparsable",
            v2(
                json!({"jwt": {"claims": {"sub": "", "exp": "99999999999999999999999", "cognito:groups": "[", "scope": "", "email_verified": "maybe"}}}),
            ),
            200,
        ),
        (
            "HTTP API JWT without claims",
            v2(json!({"jwt": {"claims": null, "scopes": []}})),
            200,
        ),
        (
            "HTTP API lambda nested values",
            v2(
                json!({"lambda": {"principalId": {"nested": [1, 2]}, "groups": [1, {"a": null}], "exp": -5}}),
            ),
            200,
        ),
    ];
    for (what, event, expected) in cases {
        let (status, body) = call(app.clone(), &event).await;
        assert_eq!(status, expected, "{what}: {body}");
    }
}

/// Typed claims read a gateway principal like a token's; claims that do not fit are a 401.
#[tokio::test]
async fn typed_claims_that_do_not_fit_are_401() {
    #[derive(Clone, serde::Deserialize)]
    #[allow(dead_code)]
    struct Tenant {
        tenant: String,
    }
    #[derive(Clone, serde::Deserialize)]
    struct Groups {
        #[serde(rename = "cognito:groups")]
        groups: Vec<String>,
    }
    let issuer = issuer().await;
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider.clone())
        .trust_gateway(GatewayIdentity::new())
        .claims::<Tenant>()
        .build()
        .unwrap();
    assert_eq!(call(app(layer), &event("http_api_jwt")).await.0, 401);

    let layer = AuthLayer::builder(provider)
        .trust_gateway(GatewayIdentity::new())
        .claims::<Groups>()
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/me",
            get(|tollgate::Claims(c): tollgate::Claims<Groups>| async move { Json(c.groups) }),
        )
        .layer(layer);
    let (status, groups) = call(app, &event("http_api_jwt")).await;
    assert_eq!(status, 200);
    assert_eq!(groups, json!(["admin", "ops"]));
}
