//! `tollgate::revocation` behind a real `AuthLayer`: tokens minted by a `DevIssuer`, verified by
//! its `JwtProvider`, then checked against a revocation list on an injected clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tollgate::clock::{Clock, ManualClock};
use tollgate::dev::DevIssuer;
use tollgate::error::Reason;
use tollgate::jwt::JwtProvider;
use tollgate::revocation::{
    CheckRevocation, MemoryRevocations, RevocationError, RevocationList, TokenIdentity,
};
use tollgate::{AuthLayer, Credential, Provider};

use crate::support::*;

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The issuer's provider, reading the time from `clock`.
async fn jwt_on(issuer: &DevIssuer, clock: &ManualClock) -> JwtProvider {
    issuer
        .provider()
        .clock(clock.clone())
        .build()
        .await
        .expect("provider")
}

/// Why `provider` refuses `token` (`None`: it accepts it).
async fn reason_for(provider: &impl Provider, token: &str) -> Option<Reason> {
    provider
        .authenticate(Credential::bearer(token))
        .await
        .err()
        .map(|e| e.reason())
}

#[tokio::test]
async fn revoked_jtis_are_refused_and_other_tokens_of_the_subject_pass() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let clock = ManualClock::new();
    let list = MemoryRevocations::new();
    let provider = Arc::new(
        CheckRevocation::new(jwt_on(&issuer, &clock).await, list.clone()).clock(clock.clone()),
    );
    let server = serve(app(AuthLayer::new(provider.clone()))).await;
    let first = issuer.token().subject("ann").claim("jti", "t-1").sign();
    let second = issuer.token().subject("ann").claim("jti", "t-2").sign();

    assert_eq!(get_me(&server, &first).await.status, 200);
    list.revoke_token("t-1", clock.now() + Duration::from_secs(3600 + 60));

    let reply = get_me(&server, &first).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    assert_eq!(
        reason_for(&provider, &first).await,
        Some(Reason::RevokedToken)
    );
    assert_eq!(get_me(&server, &second).await.status, 200);
    assert_eq!(reason_for(&provider, &second).await, None);
}

#[tokio::test]
async fn a_revoked_subject_refuses_tokens_issued_before_and_admits_later_ones() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let clock = ManualClock::new();
    let list = MemoryRevocations::new();
    let provider = Arc::new(
        CheckRevocation::new(jwt_on(&issuer, &clock).await, list.clone()).clock(clock.clone()),
    );
    let server = serve(app(AuthLayer::new(provider.clone()))).await;
    let now = unix(clock.now());
    let old = issuer.token().subject("ann").claim("iat", now - 60).sign();
    let without_iat = issuer.token().subject("ann").without("iat").sign();
    let bob = issuer.token().subject("bob").claim("iat", now - 60).sign();
    assert_eq!(get_me(&server, &old).await.status, 200);
    assert_eq!(get_me(&server, &without_iat).await.status, 200);

    let revoked_at = clock.now();
    list.revoke_subject(
        "ann",
        revoked_at,
        revoked_at + Duration::from_secs(3600 + 60),
    );
    clock.advance(Duration::from_secs(10));
    // Signed in again after the revocation (`iat` is whole seconds, the revocation rounded up).
    let fresh = issuer
        .token()
        .subject("ann")
        .claim("iat", unix(revoked_at) + 2)
        .sign();

    for (name, token) in [("old", &old), ("without iat", &without_iat)] {
        let reply = get_me(&server, token).await;
        assert_eq!(reply.status, 401, "{name}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(INVALID_TOKEN),
            "{name}"
        );
        assert_eq!(
            reason_for(&provider, token).await,
            Some(Reason::RevokedToken),
            "{name}"
        );
    }
    assert_eq!(get_me(&server, &fresh).await.status, 200);
    assert_eq!(
        get_me(&server, &bob).await.status,
        200,
        "other subjects pass"
    );

    // Past the entry's expiry it no longer counts: a token of hers issued before the revocation
    // and still within its `exp` passes again.
    clock.advance(Duration::from_secs(3600 + 60));
    let still_valid = issuer
        .token()
        .subject("ann")
        .claim("iat", now - 60)
        .claim("exp", unix(clock.now()) + 600)
        .sign();
    assert_eq!(get_me(&server, &still_valid).await.status, 200);
}

/// A shared store whose copy is too stale to trust.
struct Stale;

impl RevocationList for Stale {
    fn check(&self, _: &TokenIdentity<'_>, _: u64) -> Result<(), RevocationError> {
        Err(RevocationError::Unavailable(
            "last sync 10 minutes ago".into(),
        ))
    }
}

#[tokio::test]
async fn an_unavailable_list_is_a_503_with_retry_after_and_inner_refusals_are_unchanged() {
    let issuer = DevIssuer::start().await.expect("issuer");
    let clock = ManualClock::new();
    let provider =
        Arc::new(CheckRevocation::new(jwt_on(&issuer, &clock).await, Stale).clock(clock.clone()));
    let server = serve(app(AuthLayer::new(provider.clone()))).await;

    let token = issuer.token().subject("ann").claim("jti", "t-1").sign();
    let reply = get_me(&server, &token).await;
    assert_eq!(reply.status, 503, "never a 500, never an acceptance");
    assert_eq!(reply.retry_after.as_deref(), Some("2"));
    assert_eq!(reply.www_authenticate, None);
    assert_eq!(
        reason_for(&provider, &token).await,
        Some(Reason::RevocationsUnavailable)
    );

    // The inner provider refuses first; the list is never asked.
    let expired = issuer.token().subject("ann").claim("exp", 1).sign();
    let reply = get_me(&server, &expired).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reason_for(&provider, &expired).await, Some(Reason::Expired));
    let reply = get_me(&server, "not.a.token").await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.www_authenticate.as_deref(), Some(INVALID_TOKEN));
    assert_eq!(
        reason_for(&provider, "not.a.token").await,
        Some(Reason::Malformed)
    );
    let reply = send(client().get(format!("{}/me", server.base))).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some(NO_CREDENTIAL))
    );
}
