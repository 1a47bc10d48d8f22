//! The IdP presets, API keys and several providers in one layer, against real loopback JWKS
//! servers (DevIssuer signs tokens shaped like each IdP's) and a real axum server.

use serde_json::{json, Value};
use tollgate::api_key::{ApiKey, ApiKeys};
use tollgate::auth0::Auth0;
use tollgate::cognito::{Cognito, CognitoClaims, TokenUse};
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::okta::Okta;
use tollgate::{AuthLayer, Providers};

use crate::support::*;

const POOL: &str = "eu-west-1_Pool123";

/// A Cognito preset whose keys come from `issuer`, and a token builder shaped like Cognito's.
fn cognito(issuer: &DevIssuer, token_use: TokenUse) -> Cognito {
    Cognito::new("eu-west-1", POOL)
        .client_id("client1")
        .client_id("client2")
        .token_use(token_use)
        .jwks_url(issuer.jwks_url())
}

fn cognito_token(issuer: &DevIssuer, token_use: &str, client: &str) -> String {
    let iss = format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}");
    let t = issuer
        .token()
        .claim("iss", iss)
        .without("aud")
        .claim("token_use", token_use)
        .claim("cognito:groups", json!(["admin", "staff"]));
    let t = if token_use == "access" {
        t.claim("client_id", client)
            .claim("username", "alice")
            .claim("scope", "aws.cognito.signin.user.admin orders/read")
    } else {
        t.claim("aud", client).claim("cognito:username", "alice")
    };
    t.sign()
}

#[tokio::test]
async fn cognito_access_tokens_only_from_the_configured_clients() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = cognito(&issuer, TokenUse::Access)
        .build()
        .await
        .expect("build");
    assert_eq!(
        provider.issuer(),
        format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")
    );

    let p = provider
        .verify(&cognito_token(&issuer, "access", "client2"))
        .await
        .expect("access token accepted");
    assert_eq!(p.provider(), "cognito");
    assert!(p.in_group("admin") && p.in_group("staff"));
    assert!(p.has_scope("orders/read"));
    let claims: CognitoClaims = p.claims_as().expect("cognito claims");
    assert_eq!(claims.username(), Some("alice"));
    assert_eq!(claims.app_client_id(), Some("client2"));

    let reason = |r: Result<tollgate::Principal, tollgate::AuthError>| r.err().map(|e| e.reason());
    assert_eq!(
        reason(
            provider
                .verify(&cognito_token(&issuer, "id", "client1"))
                .await
        ),
        Some(tollgate::error::Reason::WrongTokenType),
        "an ID token is not an access token"
    );
    assert_eq!(
        reason(
            provider
                .verify(&cognito_token(&issuer, "access", "client3"))
                .await
        ),
        Some(tollgate::error::Reason::WrongAudience),
        "another app client's access token"
    );
    // An access token carrying a matching `aud` but another client in `client_id` is refused:
    // for access tokens only `client_id` counts.
    let sneaky = issuer
        .token()
        .claim(
            "iss",
            format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        )
        .claim("aud", "client1")
        .claim("token_use", "access")
        .claim("client_id", "client3")
        .sign();
    assert_eq!(
        reason(provider.verify(&sneaky).await),
        Some(tollgate::error::Reason::WrongAudience)
    );
}

#[tokio::test]
async fn cognito_id_and_any_token_use() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let id_only = cognito(&issuer, TokenUse::Id).build().await.expect("build");
    let id = cognito_token(&issuer, "id", "client1");
    let access = cognito_token(&issuer, "access", "client1");
    let p = id_only.verify(&id).await.expect("id token accepted");
    let claims: CognitoClaims = p.claims_as().expect("claims");
    assert_eq!(
        (claims.username(), claims.app_client_id()),
        (Some("alice"), Some("client1"))
    );
    assert!(id_only.verify(&access).await.is_err());
    assert!(id_only
        .verify(&cognito_token(&issuer, "id", "client9"))
        .await
        .is_err());

    let any = cognito(&issuer, TokenUse::Any)
        .build()
        .await
        .expect("build");
    assert!(any.verify(&id).await.is_ok() && any.verify(&access).await.is_ok());
    assert!(any
        .verify(&cognito_token(&issuer, "access", "client9"))
        .await
        .is_err());
    assert!(any
        .verify(&cognito_token(&issuer, "refresh", "client1"))
        .await
        .is_err());
}

#[tokio::test]
async fn auth0_issuer_has_a_trailing_slash_and_permissions_are_scopes() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let domain = issuer.addr().to_string();
    let provider = Auth0::new(&domain)
        .audience("https://api.example.com")
        .jwks_url(issuer.jwks_url())
        .build()
        .await
        .expect("build");
    let iss = format!("https://{domain}/");
    assert_eq!(provider.issuer(), iss);
    let token = issuer
        .token()
        .claim("iss", iss.as_str())
        .claim(
            "aud",
            json!(["https://api.example.com", format!("{iss}userinfo")]),
        )
        .claim("scope", "openid profile")
        .claim("permissions", json!(["read:orders", "admin"]))
        .sign();
    let p = provider.verify(&token).await.expect("accepted");
    assert_eq!(p.provider(), "auth0");
    assert_eq!(p.scopes(), ["openid", "profile", "read:orders", "admin"]);

    let without_slash = issuer
        .token()
        .claim("iss", format!("https://{domain}"))
        .claim("aud", "https://api.example.com")
        .sign();
    assert!(provider.verify(&without_slash).await.is_err());
    // An ID token: same issuer and keys, `aud` is the application's client id.
    let id_token = issuer
        .token()
        .claim("iss", iss.as_str())
        .claim("aud", "spa-client-id")
        .sign();
    assert!(provider.verify(&id_token).await.is_err());
}

#[tokio::test]
async fn okta_scp_groups_claim_and_allowed_clients() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = Okta::new(issuer.issuer())
        .audience("api://default")
        .client_id("0oa-app")
        .groups_claim("okta_groups")
        .build() // through discovery
        .await
        .expect("build");
    assert_eq!(issuer.dangerous().discovery_fetches(), 1);
    let token = |cid: Option<&str>| {
        let t = issuer
            .token()
            .claim("aud", "api://default")
            .claim("scp", json!(["orders.read", "admin"]))
            .claim("okta_groups", json!(["Everyone", "Admins"]))
            .claim("groups", json!(["ignored"]));
        match cid {
            Some(cid) => t.claim("cid", cid).sign(),
            None => t.sign(),
        }
    };
    let p = provider.verify(&token(Some("0oa-app"))).await.expect("ok");
    assert_eq!(p.provider(), "okta");
    assert_eq!(p.scopes(), ["orders.read", "admin"]);
    assert_eq!(p.groups(), ["Everyone", "Admins"]);
    let reason = |r: Result<tollgate::Principal, tollgate::AuthError>| r.err().map(|e| e.reason());
    assert_eq!(
        reason(provider.verify(&token(Some("0oa-other"))).await),
        Some(tollgate::error::Reason::WrongClient)
    );
    assert_eq!(
        reason(provider.verify(&token(None)).await),
        Some(tollgate::error::Reason::MissingClaim)
    );
}

#[tokio::test]
async fn generic_oidc_can_require_rfc9068_access_tokens() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer
        .provider()
        .require_at_jwt()
        .build()
        .await
        .expect("build");
    let claims = Value::Object(issuer.token().claims().clone());
    let with_typ = |typ: Option<&str>| {
        let mut header = json!({"alg": "RS256", "kid": "dev-rsa"});
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
        issuer
            .dangerous()
            .sign_raw(&header, &claims)
            .expect("signed")
    };
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        assert!(provider.verify(&with_typ(Some(typ))).await.is_ok(), "{typ}");
    }
    for typ in [Some("JWT"), None] {
        let err = provider.verify(&with_typ(typ)).await.err();
        assert_eq!(
            err.map(|e| e.reason()),
            Some(tollgate::error::Reason::WrongTokenType),
            "{typ:?}"
        );
    }
    // Without the option, `typ: JWT` is fine.
    let lax = issuer.provider().build().await.expect("build");
    assert!(lax.verify(&with_typ(Some("JWT"))).await.is_ok());
}

#[tokio::test]
async fn api_keys_through_the_layer() {
    let good = ApiKeys::generate().expect("generate");
    let expired = ApiKeys::generate().expect("generate");
    let keys = ApiKeys::builder()
        .key(
            ApiKey::from_hash("ci-deploy", good.hash())
                .expect("hash")
                .scopes(["deploy"]),
        )
        .keys_from_str(&format!("old {} expires=2001-01-01", expired.hash()))
        .build()
        .expect("build");
    let server = serve(app(AuthLayer::new(keys))).await;
    let me = || client().get(format!("{}/me", server.base));

    let ok = send(me().header("x-api-key", good.secret())).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["subject"], "ci-deploy");
    assert_eq!(ok.json()["provider"], "api-keys");
    assert_eq!(ok.json()["scopes"], json!(["deploy"]));
    assert!(
        !ok.body.contains(good.secret()),
        "the key is never echoed: {}",
        ok.body
    );
    let scheme = send(me().header("authorization", format!("ApiKey {}", good.secret()))).await;
    assert_eq!(scheme.status, 200);

    for (request, what) in [
        (me().header("x-api-key", "tgk_unknown"), "unknown key"),
        (me().header("x-api-key", expired.secret()), "expired key"),
        (
            me().header("authorization", format!("Bearer {}", good.secret())),
            "a key sent as a bearer token is not read",
        ),
        (me(), "no key"),
        (me().header("x-api-key", "has space"), "malformed"),
        (
            me().header("x-api-key", good.secret())
                .header("authorization", format!("ApiKey {}", good.secret())),
            "two credentials",
        ),
    ] {
        let reply = send(request).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    }
}

/// Two issuers and API keys behind one layer.
#[tokio::test]
async fn several_providers_route_by_issuer_and_credential_kind() {
    let a = DevIssuer::builder()
        .key("a-key", DevKeyType::P256)
        .start()
        .await
        .expect("issuer a");
    let b = DevIssuer::start().await.expect("issuer b");
    let key = ApiKeys::generate().expect("generate");
    let providers = Providers::builder()
        .jwt(a.provider().name("issuer-a").build().await.expect("a"))
        .jwt(b.provider().name("issuer-b").build().await.expect("b"))
        .api_keys(
            ApiKeys::builder()
                .key(ApiKey::from_hash("robot", key.hash()).expect("hash"))
                .build()
                .expect("keys"),
        )
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;
    let fetches = || (a.dangerous().jwks_fetches(), b.dangerous().jwks_fetches());
    let before = fetches();

    let me = get_me(&server, &a.token().subject("from-a").sign()).await;
    assert_eq!(
        (me.status, me.json()["provider"].as_str()),
        (200, Some("issuer-a"))
    );
    let me = get_me(&server, &b.token().subject("from-b").sign()).await;
    assert_eq!(
        (me.status, me.json()["provider"].as_str()),
        (200, Some("issuer-b"))
    );
    let me = send(
        client()
            .get(format!("{}/me", server.base))
            .header("x-api-key", key.secret()),
    )
    .await;
    assert_eq!(
        (me.status, me.json()["subject"].as_str()),
        (200, Some("robot"))
    );

    // A token signed by A's key but claiming B's issuer goes to B, whose keys do not include
    // A's: key sets are never merged.
    let forged = a.token().claim("iss", b.issuer()).sign();
    let reply = get_me(&server, &forged).await;
    assert_eq!(reply.status, 401);
    // Unknown issuers, and tokens without `iss`, are refused without any fetch.
    for token in [
        a.token().claim("iss", "https://evil.example").sign(),
        a.token().without("iss").sign(),
        "not-a-jwt".to_owned(),
    ] {
        let reply = get_me(&server, &token).await;
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    }
    // Only the forged token's unknown kid may have made B look again; A was never asked.
    assert_eq!(fetches().0, before.0);
    assert!(fetches().1 <= before.1 + 1);
}

#[tokio::test]
async fn several_providers_take_the_slow_path_for_a_rotated_key() {
    let a = DevIssuer::start().await.expect("issuer a");
    let b = DevIssuer::start().await.expect("issuer b");
    let providers = Providers::builder()
        .jwt(a.provider().name("a").build().await.expect("a"))
        .jwt(b.provider().name("b").build().await.expect("b"))
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;
    b.rotate("b-2", DevKeyType::Ed25519).expect("rotate");
    let fetched = b.dangerous().jwks_fetches();
    let reply = get_me(&server, &b.token().sign()).await;
    assert_eq!(
        (reply.status, reply.json()["provider"].as_str()),
        (200, Some("b"))
    );
    assert_eq!(
        b.dangerous().jwks_fetches(),
        fetched + 1,
        "B fetched its new key"
    );
}

#[tokio::test]
async fn several_providers_configuration_mistakes() {
    let a = DevIssuer::start().await.expect("issuer");
    let one = a.provider().build().await.expect("build");
    let err = Providers::builder()
        .jwt(one.clone())
        .jwt(one)
        .build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("two providers for issuer"), "{err}");
    // JWT-only providers make the layer read bearer tokens only: an API key is not read.
    let providers = Providers::builder()
        .jwt(a.provider().build().await.expect("build"))
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;
    let reply = send(
        client()
            .get(format!("{}/me", server.base))
            .header("x-api-key", "tgk_x"),
    )
    .await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some(NO_CREDENTIAL))
    );
}

/// Mutated tokens, random bearer values and random API keys through a `Providers` layer: every
/// one is a 401, never a 5xx, and no garbage `iss` makes anything be fetched.
#[tokio::test]
async fn several_providers_answer_garbage_with_401() {
    let a = DevIssuer::start().await.expect("issuer");
    let key = ApiKeys::generate().expect("generate");
    let providers = Providers::builder()
        .jwt(a.provider().build().await.expect("build"))
        .api_keys(
            ApiKeys::builder()
                .key(ApiKey::from_hash("k", key.hash()).expect("hash"))
                .build()
                .expect("keys"),
        )
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;
    let good = a.token().sign();
    let fetches = a.dangerous().jwks_fetches();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=";
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let c = client();
    for round in 0..150 {
        let mutate = |base: &str, next: &mut dyn FnMut() -> u64| {
            let mut bytes = base.as_bytes().to_vec();
            for _ in 0..(1 + next() % 4) {
                let i = (next() as usize) % bytes.len();
                bytes[i] = alphabet[(next() as usize) % alphabet.len()];
            }
            String::from_utf8(bytes).expect("ascii")
        };
        let (header, value) = match round % 3 {
            0 => (
                "authorization",
                format!("Bearer {}", mutate(&good, &mut next)),
            ),
            1 => ("x-api-key", mutate(key.secret(), &mut next)),
            _ => {
                let len = 1 + (next() as usize) % 200;
                let junk: String = (0..len)
                    .map(|_| alphabet[(next() as usize) % alphabet.len()] as char)
                    .collect();
                ("authorization", format!("ApiKey {junk}"))
            }
        };
        if value.ends_with(&good) || value == key.secret() {
            continue;
        }
        let reply = send(c.get(format!("{}/me", server.base)).header(header, &value)).await;
        assert_eq!(reply.status, 401, "round {round}: {reply:?} for {value}");
    }
    // Mutations that keep the issuer but break the kid may fetch once per cooldown; garbage
    // issuers never do.
    assert!(a.dangerous().jwks_fetches() <= fetches + 1);
}

/// An `exp` past what a `SystemTime` holds (`1e300`) still gives the principal an expiry (the
/// last second of 9999), so it never looks as if it does not expire.
#[tokio::test]
async fn an_exp_past_the_end_of_time_is_clamped_in_the_principal() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let token = issuer.token().claim("exp", 1e300).sign();
    let principal = provider.verify(&token).await.expect("accepted");
    assert_eq!(
        principal.expires_at(),
        std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(253_402_300_799))
    );
}
