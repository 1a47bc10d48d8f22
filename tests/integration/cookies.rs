//! Cookie credentials and cross-site requests: a browser attaches cookies to a form another
//! site posts, so an unsafe method with a cookie credential must show it is same-origin.

use axum::{routing::get, Json, Router};
use tollgate::dev::DevIssuer;
use tollgate::{credential::CredentialSource, AuthLayer, Principal};

use crate::support::*;

/// `/me` answers GET and POST with the principal, behind `layer`.
fn app_with_post(layer: AuthLayer) -> Router {
    let me = |p: Principal| async move { Json(p) };
    Router::new()
        .route("/me", get(me).post(me))
        .route_layer(layer)
}

#[tokio::test]
async fn a_cross_site_post_with_a_cookie_is_refused() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .sources([CredentialSource::Cookie("session".into())])
        .build()
        .expect("layer");
    let server = serve(app_with_post(layer)).await;
    let url = format!("{}/me", server.base);
    let cookie = format!("session={}", issuer.token().sign());
    let c = client();
    for (fetch_site, origin) in [
        (Some("cross-site"), Some("https://evil.example")),
        (Some("same-site"), Some("https://sub.example")),
        (None, Some("https://evil.example")),
        (None, Some("null")),
        (None, None),
    ] {
        let mut request = c.post(&url).header("cookie", &cookie);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let reply = send(request).await;
        assert_eq!(reply.status, 401, "{fetch_site:?} {origin:?}: {reply:?}");
        assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_REQUEST));
    }
}

#[tokio::test]
async fn same_origin_trusted_origins_and_safe_methods_are_accepted() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .sources([
            CredentialSource::AuthorizationBearer,
            CredentialSource::Cookie("session".into()),
        ])
        .trusted_origins(["HTTPS://App.Example.com:443/"])
        .build()
        .expect("layer");
    let server = serve(app_with_post(layer)).await;
    let url = format!("{}/me", server.base);
    let token = issuer.token().sign();
    let cookie = format!("session={token}");
    let c = client();
    let accepted = [
        (
            "same-origin",
            c.post(&url).header("sec-fetch-site", "same-origin"),
        ),
        (
            "user-initiated",
            c.post(&url).header("sec-fetch-site", "none"),
        ),
        (
            "trusted origin, cross-site",
            c.post(&url)
                .header("sec-fetch-site", "cross-site")
                .header("origin", "https://app.example.com"),
        ),
        (
            "trusted origin",
            c.post(&url).header("origin", "https://app.example.com"),
        ),
        ("GET", c.get(&url).header("origin", "https://evil.example")),
        ("HEAD", c.head(&url).header("sec-fetch-site", "cross-site")),
    ];
    for (what, request) in accepted {
        let reply = send(request.header("cookie", &cookie)).await;
        assert_eq!(reply.status, 200, "{what}: {reply:?}");
    }
    for (what, origin) in [
        ("another port", "https://app.example.com:8443"),
        ("another scheme", "http://app.example.com"),
        ("a sibling", "https://evil.app.example.com"),
    ] {
        let reply = send(
            c.post(&url)
                .header("origin", origin)
                .header("cookie", &cookie),
        )
        .await;
        assert_eq!(reply.status, 401, "{what}: {reply:?}");
    }
    // The Authorization header is never sent by a browser on its own: a cross-site POST with it
    // is not affected.
    let reply = send(
        c.post(&url)
            .bearer_auth(&token)
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn the_dangerous_switch_turns_the_check_off() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let layer = AuthLayer::builder(provider)
        .sources([CredentialSource::Cookie("session".into())])
        .dangerous_allow_cross_site_cookies()
        .build()
        .expect("layer");
    let server = serve(app_with_post(layer)).await;
    let reply = send(
        client()
            .post(format!("{}/me", server.base))
            .header("cookie", format!("session={}", issuer.token().sign()))
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example"),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn trusted_origins_must_be_origins() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    for origin in [
        "app.example.com",
        "https://app.example.com/path",
        "https://app.example.com/?q",
        "https://user@app.example.com",
        "ftp://app.example.com",
        "null",
        "",
    ] {
        let err = AuthLayer::builder(provider.clone())
            .trusted_origins([origin])
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("scheme://host[:port]"), "{origin:?}: {err}");
    }
}
