//! Cognito as it is in 2026: both issuer formats, replica regions, machine-to-machine tokens,
//! several user pools behind one layer, and custom claims from a pre-token-generation trigger.
//!
//! moto's Cognito has no client-credentials grant and signs only the original issuer format,
//! so these tokens come from development issuers (real loopback JWKS servers), shaped like
//! Cognito's as AWS documents them; `interop.rs` covers moto's own tokens.

use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tollgate::cognito::{Cognito, CognitoClaims, CognitoPool, IssuerFormats};
use tollgate::dev::DevIssuer;
use tollgate::error::Reason;
use tollgate::{AuthLayer, Claims, Providers};

use crate::support::*;

const POOL: &str = "us-east-1_Primary1";

fn original(region: &str, pool: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{pool}")
}

fn updated(region: &str, pool: &str) -> String {
    format!("https://issuer-cognito-idp.{region}.amazonaws.com/{pool}")
}

/// A user's access token from the app client `client`, as Cognito shapes it.
fn access_token(issuer: &DevIssuer, iss: &str, client: &str) -> String {
    issuer
        .token()
        .claim("iss", iss)
        .without("aud")
        .claim("token_use", "access")
        .claim("client_id", client)
        .claim("username", "alice")
        .claim("cognito:groups", json!(["admin"]))
        .claim("scope", "aws.cognito.signin.user.admin")
        .sign()
}

async fn pool(issuer: &DevIssuer, cognito: Cognito) -> CognitoPool {
    cognito
        .client_id("app1")
        .jwks_url(issuer.jwks_url())
        .build()
        .await
        .expect("build")
}

fn reason(r: Result<tollgate::Principal, tollgate::AuthError>) -> Option<Reason> {
    r.err().map(|e| e.reason())
}

#[tokio::test]
async fn both_issuer_formats_and_replica_regions_are_accepted_and_nothing_else() {
    let keys = DevIssuer::start().await.expect("issuer");
    let pool = pool(
        &keys,
        Cognito::new("us-east-1", POOL).additional_regions(["us-west-2"]),
    )
    .await;
    assert_eq!(
        pool.issuers().collect::<Vec<_>>(),
        [
            original("us-east-1", POOL),
            original("us-west-2", POOL),
            updated("us-east-1", POOL)
        ]
    );

    for iss in [
        original("us-east-1", POOL),
        original("us-west-2", POOL),
        updated("us-east-1", POOL),
    ] {
        let p = pool
            .verify(&access_token(&keys, &iss, "app1"))
            .await
            .unwrap_or_else(|e| panic!("{iss}: {e:?}"));
        assert_eq!(p.issuer(), Some(iss.as_str()));
        assert_eq!(p.provider(), "cognito");
        assert!(p.in_group("admin"));
    }

    // Not loosened: a region not listed, the updated format in a replica region (it names the
    // primary), another pool, other hosts and the usual client and token_use checks.
    for iss in [
        original("eu-west-1", POOL),
        updated("us-west-2", POOL),
        original("us-east-1", "us-east-1_Other1"),
        format!("https://issuer.cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}/"),
        format!("http://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
    ] {
        assert_eq!(
            reason(pool.verify(&access_token(&keys, &iss, "app1")).await),
            Some(Reason::UnknownIssuer),
            "{iss}"
        );
    }
    let replica = original("us-west-2", POOL);
    assert_eq!(
        reason(pool.verify(&access_token(&keys, &replica, "app2")).await),
        Some(Reason::WrongAudience),
        "another app client, from a replica"
    );
    let id_token = keys
        .token()
        .claim("iss", updated("us-east-1", POOL))
        .claim("aud", "app1")
        .claim("token_use", "id")
        .sign();
    assert_eq!(
        reason(pool.verify(&id_token).await),
        Some(Reason::WrongTokenType),
        "an ID token where access tokens are required, in the updated format"
    );

    // One format only, when asked.
    let only_original = self::pool(
        &keys,
        Cognito::new("us-east-1", POOL).issuer_formats(IssuerFormats::Original),
    )
    .await;
    assert!(only_original
        .verify(&access_token(&keys, &original("us-east-1", POOL), "app1"))
        .await
        .is_ok());
    assert_eq!(
        reason(
            only_original
                .verify(&access_token(&keys, &updated("us-east-1", POOL), "app1"))
                .await
        ),
        Some(Reason::UnknownIssuer)
    );
}

#[tokio::test]
async fn a_replica_service_is_told_how_to_configure_the_pool() {
    let e = Cognito::new("us-west-2", POOL)
        .client_id("app1")
        .build()
        .await
        .expect_err("the pool id names the primary region");
    let e = e.to_string();
    assert!(
        e.contains("belongs to region \"us-east-1\"") && e.contains("additional_regions"),
        "{e}"
    );
}

#[tokio::test]
async fn machine_to_machine_tokens_make_a_complete_principal() {
    let keys = DevIssuer::start().await.expect("issuer");
    let pool = pool(&keys, Cognito::new("us-east-1", POOL)).await;
    let iss = original("us-east-1", POOL);
    // A client-credentials access token: `sub` is the app client, no username, no groups,
    // custom scopes of a resource server.
    let m2m = keys
        .token()
        .claim("iss", iss.as_str())
        .without("aud")
        .subject("app1")
        .claim("token_use", "access")
        .claim("client_id", "app1")
        .claim("scope", "orders/read orders/write")
        .claim("version", 2)
        .sign();
    let p = pool.verify(&m2m).await.expect("machine token");
    assert_eq!(p.subject(), Some("app1"));
    assert!(p.has_scope("orders/read") && p.has_scope("orders/write"));
    assert!(p.groups().is_empty());
    let claims: CognitoClaims = p.claims_as().expect("cognito claims");
    assert!(claims.is_machine());
    assert_eq!(
        (claims.username(), claims.app_client_id()),
        (None, Some("app1"))
    );

    // Should one ever lack `sub`, the principal is still named: by its app client.
    let without_sub = keys
        .token()
        .claim("iss", iss.as_str())
        .without("aud")
        .without("sub")
        .claim("token_use", "access")
        .claim("client_id", "app1")
        .claim("scope", "orders/read")
        .sign();
    let p = pool.verify(&without_sub).await.expect("machine token");
    assert_eq!(p.subject(), Some("app1"));
    let claims: CognitoClaims = p.claims_as().expect("cognito claims");
    assert_eq!(claims.subject(), Some("app1"));

    // And it still has to come from an accepted client.
    let other = keys
        .token()
        .claim("iss", iss.as_str())
        .without("aud")
        .claim("token_use", "access")
        .claim("client_id", "app9")
        .sign();
    assert_eq!(
        reason(pool.verify(&other).await),
        Some(Reason::WrongAudience)
    );
}

#[tokio::test]
async fn several_user_pools_behind_one_layer_each_with_its_own_clients_and_keys() {
    let (customer_keys, staff_keys) = (
        DevIssuer::start().await.expect("issuer"),
        DevIssuer::start().await.expect("issuer"),
    );
    let customers = Cognito::new("eu-west-1", "eu-west-1_Customers1")
        .client_id("webapp")
        .jwks_url(customer_keys.jwks_url())
        .build()
        .await
        .expect("build");
    let staff = Cognito::new("eu-west-1", "eu-west-1_Staff1")
        .client_ids(["backoffice", "cli"])
        .jwks_url(staff_keys.jwks_url())
        .build()
        .await
        .expect("build");
    let providers = Providers::builder()
        .jwt(customers)
        .jwt(staff)
        .build()
        .expect("providers");
    let server = serve(app(AuthLayer::new(providers))).await;

    let customer_iss = original("eu-west-1", "eu-west-1_Customers1");
    let staff_iss = updated("eu-west-1", "eu-west-1_Staff1");
    let me = get_me(
        &server,
        &access_token(&customer_keys, &customer_iss, "webapp"),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["issuer"], customer_iss.as_str());
    let me = get_me(&server, &access_token(&staff_keys, &staff_iss, "cli")).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["issuer"], staff_iss.as_str());

    for (what, token) in [
        (
            "a staff client in the customer pool",
            access_token(&customer_keys, &customer_iss, "backoffice"),
        ),
        (
            "the customer pool's iss signed with the staff pool's keys",
            access_token(&staff_keys, &customer_iss, "webapp"),
        ),
        (
            "the staff pool's iss signed with the customer pool's keys",
            access_token(&customer_keys, &staff_iss, "cli"),
        ),
    ] {
        let reply = get_me(&server, &token).await;
        assert_eq!(reply.status, 401, "{what}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(INVALID_TOKEN),
            "{what}"
        );
    }
}

/// What a pre-token-generation trigger (V2) added to the access token.
#[derive(Debug, Clone, Deserialize)]
struct Enriched {
    sub: String,
    tenant: Tenant,
    tier: u32,
    beta: bool,
    entitlements: Vec<String>,
    limits: Value,
}

#[derive(Debug, Clone, Deserialize)]
struct Tenant {
    id: String,
    regions: Vec<String>,
}

#[tokio::test]
async fn custom_claims_from_a_pre_token_generation_trigger_reach_claims_unchanged() {
    let keys = DevIssuer::start().await.expect("issuer");
    let pool = pool(&keys, Cognito::new("us-east-1", POOL)).await;
    let layer = AuthLayer::builder(pool)
        .claims::<Enriched>()
        .build()
        .expect("layer");
    let app = Router::new()
        .route(
            "/enriched",
            get(|Claims(c): Claims<Enriched>| async move {
                Json(json!({
                    "sub": c.sub,
                    "tenant": c.tenant.id,
                    "regions": c.tenant.regions,
                    "tier": c.tier,
                    "beta": c.beta,
                    "entitlements": c.entitlements,
                    "limits": c.limits,
                }))
            }),
        )
        .layer(layer);
    let server = serve(app).await;
    let limits = json!({"rps": 50, "burst": 1.5, "nested": {"ok": null}});
    let token = keys
        .token()
        .claim("iss", original("us-east-1", POOL))
        .without("aud")
        .subject("user-1")
        .claim("token_use", "access")
        .claim("client_id", "app1")
        .claim("username", "alice")
        .claim("tenant", json!({"id": "acme", "regions": ["eu", "us"]}))
        .claim("tier", 3)
        .claim("beta", true)
        .claim("entitlements", json!(["reports", "export"]))
        .claim("limits", limits.clone())
        .sign();
    let reply = send(
        client()
            .get(format!("{}/enriched", server.base))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({
            "sub": "user-1", "tenant": "acme", "regions": ["eu", "us"], "tier": 3, "beta": true,
            "entitlements": ["reports", "export"], "limits": limits,
        })
    );
}
