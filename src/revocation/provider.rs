//! [`CheckRevocation`]: any [`Provider`], then a [`RevocationList`] check of its principal.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::{RevocationError, RevocationList, TokenIdentity};
use crate::clock::{Clock, SystemClock};
use crate::credential::{Credential, CredentialSource};
use crate::error::{AuthError, Reason};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// How long a client is told to wait when the revocation list cannot answer.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Wraps any Provider: authenticates with it, then checks the principal against a
/// [`RevocationList`].
///
/// A revoked token is refused with 401 `invalid_token`
/// ([`Reason::RevokedToken`](crate::error::Reason::RevokedToken)); a list that cannot answer
/// gives 503 with `Retry-After`
/// ([`Reason::RevocationsUnavailable`](crate::error::Reason::RevocationsUnavailable)). The inner
/// provider's refusals are passed on unchanged, and its [`name`](Provider::name) and
/// [`default_sources`](Provider::default_sources) are this provider's.
///
/// `Debug` shows the inner provider's name and the clock, never the list's entries.
#[derive(Clone)]
pub struct CheckRevocation<P, L> {
    provider: P,
    list: L,
    clock: Arc<dyn Clock>,
}

impl<P: Provider, L: RevocationList> CheckRevocation<P, L> {
    /// Checks every principal `provider` accepts against `list`, at the system's time.
    pub fn new(provider: P, list: L) -> Self {
        Self {
            provider,
            list,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time entries expire against from `clock` (the default is
    /// [`SystemClock`]); give it the inner provider's clock in tests.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The inner provider.
    pub fn get_ref(&self) -> &P {
        &self.provider
    }

    /// The revocation list.
    pub fn list(&self) -> &L {
        &self.list
    }

    fn check(&self, principal: Principal) -> Result<Principal, AuthError> {
        let now = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match self.list.check(&TokenIdentity::of(&principal), now) {
            Ok(()) => Ok(principal),
            Err(RevocationError::Revoked(by)) => {
                tracing::debug!(target: "tollgate::revocation", by = by.as_str(), provider = self.provider.name(), "revoked token refused");
                Err(AuthError::invalid_token(Reason::RevokedToken))
            }
            Err(RevocationError::Unavailable(why)) => {
                tracing::warn!(target: "tollgate::revocation", %why, provider = self.provider.name(), "revocation list unavailable");
                Err(AuthError::unavailable_because(
                    Reason::RevocationsUnavailable,
                    RETRY_AFTER,
                ))
            }
        }
    }
}

impl<P: Provider, L: RevocationList> Provider for CheckRevocation<P, L> {
    fn name(&self) -> &str {
        self.provider.name()
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        Box::pin(async move {
            let principal = self.provider.authenticate(credential).await?;
            self.check(principal)
        })
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        let verdict = self.provider.try_authenticate(credential)?;
        Some(verdict.and_then(|principal| self.check(principal)))
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        self.provider.default_sources()
    }
}

impl<P: Provider, L> fmt::Debug for CheckRevocation<P, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRevocation")
            .field("provider", &self.provider.name())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::{json, Map, Value};

    use super::*;
    use crate::clock::ManualClock;
    use crate::error::AuthErrorKind;
    use crate::revocation::MemoryRevocations;

    /// Accepts every bearer token as a principal whose `jti` is the token; refuses `bad`.
    #[derive(Clone)]
    struct Echo {
        cached: bool,
    }

    impl Echo {
        fn verify(credential: &Credential) -> Result<Principal, AuthError> {
            if credential.token() == "bad" {
                return Err(AuthError::invalid_token(Reason::BadSignature));
            }
            let claims: Map<String, Value> = json!({"jti": credential.token(), "iat": 1})
                .as_object()
                .cloned()
                .unwrap_or_default();
            Ok(Principal::builder("echo")
                .subject(Some("ann".to_owned()))
                .claims(claims)
                .build())
        }
    }

    impl Provider for Echo {
        fn name(&self) -> &'static str {
            "echo"
        }
        fn authenticate(
            &self,
            credential: Credential,
        ) -> BoxFuture<'_, Result<Principal, AuthError>> {
            Box::pin(async move { Self::verify(&credential) })
        }
        fn try_authenticate(
            &self,
            credential: &Credential,
        ) -> Option<Result<Principal, AuthError>> {
            self.cached.then(|| Self::verify(credential))
        }
        fn default_sources(&self) -> Vec<CredentialSource> {
            vec![CredentialSource::Header(http::HeaderName::from_static(
                "x-echo",
            ))]
        }
    }

    struct Down;

    impl RevocationList for Down {
        fn check(&self, _: &TokenIdentity<'_>, _: u64) -> Result<(), RevocationError> {
            Err(RevocationError::Unavailable("stale".into()))
        }
    }

    #[tokio::test]
    async fn both_paths_check_and_refusals_map_to_401_and_503() {
        let list = MemoryRevocations::new();
        let clock = ManualClock::new();
        list.revoke_token("gone", clock.now() + Duration::from_secs(60));
        for cached in [false, true] {
            let provider = CheckRevocation::new(Echo { cached }, list.clone()).clock(clock.clone());
            let sync = |token: &str| provider.try_authenticate(&Credential::bearer(token));
            let reason = |r: Result<Principal, AuthError>| r.err().map(|e| (e.kind(), e.reason()));
            let kept = provider.authenticate(Credential::bearer("kept")).await;
            assert_eq!(
                kept.ok()
                    .and_then(|p| p.subject().map(str::to_owned))
                    .as_deref(),
                Some("ann")
            );
            let gone = provider.authenticate(Credential::bearer("gone")).await;
            assert_eq!(
                reason(gone),
                Some((AuthErrorKind::InvalidToken, Reason::RevokedToken))
            );
            let bad = provider.authenticate(Credential::bearer("bad")).await;
            assert_eq!(
                reason(bad),
                Some((AuthErrorKind::InvalidToken, Reason::BadSignature))
            );
            match sync("gone") {
                Some(r) => assert_eq!(reason(r).map(|(_, r)| r), Some(Reason::RevokedToken)),
                None => assert!(!cached, "None stays None"),
            }
        }
        // Expiries round up to the next second.
        clock.advance(Duration::from_secs(61));
        let provider = CheckRevocation::new(Echo { cached: true }, list).clock(clock);
        assert!(
            provider
                .authenticate(Credential::bearer("gone"))
                .await
                .is_ok(),
            "the entry expired"
        );
        assert_eq!(provider.name(), "echo");
        assert_eq!(
            provider.default_sources(),
            Echo { cached: true }.default_sources()
        );

        let down = CheckRevocation::new(Echo { cached: true }, Arc::new(Down));
        let error = down.authenticate(Credential::bearer("kept")).await.err();
        assert_eq!(
            error
                .as_ref()
                .map(|e| (e.status(), e.reason(), e.retry_after())),
            Some((
                http::StatusCode::SERVICE_UNAVAILABLE,
                Reason::RevocationsUnavailable,
                Some(RETRY_AFTER)
            ))
        );
        let bad = down
            .try_authenticate(&Credential::bearer("bad"))
            .and_then(Result::err);
        assert_eq!(
            bad.map(|e| e.reason()),
            Some(Reason::BadSignature),
            "the inner refusal comes first"
        );
    }

    #[test]
    fn debug_names_the_provider_only() {
        let list = MemoryRevocations::new();
        list.revoke_subject("secret-subject", SystemTime::now(), SystemTime::now());
        let debug = format!("{:?}", CheckRevocation::new(Echo { cached: false }, list));
        assert!(
            debug.starts_with("CheckRevocation { provider: \"echo\""),
            "{debug}"
        );
        assert!(!debug.contains("secret"), "{debug}");
    }
}
