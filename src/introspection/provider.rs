//! [`Introspection`], the [`Provider`] that asks the issuer whether an opaque token is active:
//! the call to the endpoint, what each of its outcomes means, and the cache in front of it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use url::form_urlencoded;

use super::builder::{ClientAuthMethod, IntrospectionBuilder, Secret};
use super::response::{parse, AnswerPolicy, Checked};
use crate::answer_cache::{key_of, AnswerCache, Key};
use crate::clock::{unix_millis, Clock};
use crate::credential::{Credential, CredentialKind};
use crate::error::{AuthError, Reason};
use crate::fetch::Fetcher;
use crate::metrics::{self, IntrospectionOutcome};
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// What a 503 asks the client to wait before retrying.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// The longest token sent to the endpoint; longer ones are refused without a call.
pub const MAX_TOKEN_LEN: usize = 4096;

/// Verifies opaque access tokens with the issuer's token introspection endpoint (RFC 7662);
/// see the [module docs](super). Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct Introspection {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) name: Arc<str>,
    pub(super) issuer: String,
    pub(super) endpoint: reqwest::Url,
    pub(super) client_id: String,
    pub(super) secret: Secret,
    pub(super) method: ClientAuthMethod,
    pub(super) http: Fetcher,
    pub(super) policy: AnswerPolicy,
    /// Seconds an active answer is kept (never past `exp`).
    pub(super) ttl: u64,
    /// Seconds a refusal is kept.
    pub(super) negative_ttl: u64,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) cache: AnswerCache<Outcome>,
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("name", &self.inner.name)
            .field("issuer", &self.inner.issuer)
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("client_id", &self.inner.client_id)
            .field("secret", &self.inner.secret)
            .field("method", &self.inner.method)
            .field("audiences", &self.inner.policy.audiences)
            .field("ttl_secs", &self.inner.ttl)
            .field("negative_ttl_secs", &self.inner.negative_ttl)
            .field("cached", &self.inner.cache.len())
            .finish()
    }
}

type Outcome = Result<Principal, AuthError>;
/// An outcome, and until when it may be kept (seconds since the Unix epoch; `None`: never).
type Answer = (Outcome, Option<u64>);

/// What to do with a token that has no settled answer.
enum Next {
    Done(Outcome),
    Ask(Key),
}

impl Introspection {
    /// Starts a provider for tokens issued by `issuer` (the exact `iss` the endpoint answers
    /// with, and the base URL for discovery).
    pub fn builder(issuer: impl Into<String>) -> IntrospectionBuilder {
        IntrospectionBuilder::new(issuer.into())
    }

    /// The configured issuer, also every principal's issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The introspection endpoint in use (configured or discovered).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// How many tokens' answers the cache holds (settled or in flight).
    pub fn cached_count(&self) -> usize {
        self.inner.cache.len()
    }

    /// Verifies an opaque access token (the bearer token without `Bearer `).
    ///
    /// # Errors
    /// As [`Provider::authenticate`]: 401 for a token the endpoint calls inactive or that
    /// fails a check, 503 when the endpoint gives no usable answer.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        match self.inner.next(token) {
            Next::Done(outcome) => outcome,
            Next::Ask(key) => self.inner.ask_once(key, token).await,
        }
    }
}

impl Inner {
    fn now(&self) -> u64 {
        unix_millis(self.clock.now()) / 1000
    }

    /// A cached answer, a local refusal, or the key to ask under.
    fn next(&self, token: &str) -> Next {
        if token.is_empty() {
            return Next::Done(Err(AuthError::invalid_token(Reason::Malformed)));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Next::Done(Err(AuthError::invalid_token(Reason::TooLarge)));
        }
        let key = key_of(token);
        match self.cache.get(&key, self.now()) {
            Some(outcome) => {
                metrics::introspection_cache(&self.name, true);
                Next::Done(outcome)
            }
            None => Next::Ask(key),
        }
    }

    /// Asks the endpoint, sharing one call between concurrent uses of a token, and keeps the
    /// answer for as long as it may be trusted.
    async fn ask_once(&self, key: Key, token: &str) -> Outcome {
        // Counted here, not where the cache is looked at: the layer looks twice (without and
        // then with a future) for one request that misses.
        metrics::introspection_cache(&self.name, false);
        let Some(flight) = self.cache.join(key, self.now()) else {
            return self.ask(token).await.0;
        };
        let (outcome, until) = flight.answer(self.ask(token)).await;
        self.cache.settle(key, &flight, &outcome, until);
        outcome
    }

    /// One introspection call: the outcome, and until when it may be kept (`None`: never).
    async fn ask(&self, token: &str) -> Answer {
        let response = match self.request(token).send().await {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return self.unavailable("timed out"),
            Err(e) if e.is_connect() => return self.unavailable("could not connect"),
            Err(_) => return self.unavailable("request failed"),
        };
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 => return self.misconfigured(status),
            _ => return self.unavailable("unexpected HTTP status"),
        }
        let Ok(body) = self.http.read_body(response).await else {
            return self.unavailable("answer unreadable or too large");
        };
        let Some(answer) = parse(&body) else {
            return self.unavailable("answer is not one JSON object with unique member names");
        };
        let said = if answer.get("active") == Some(&serde_json::Value::Bool(true)) {
            IntrospectionOutcome::Active
        } else {
            IntrospectionOutcome::Inactive
        };
        metrics::introspection_call(&self.name, said);
        let now = self.now();
        match self.policy.check(answer, now) {
            Ok(checked) => self.accepted(checked, now),
            Err(reason) => self.refused(reason, now),
        }
    }

    /// An active token that passed every check: kept until the earlier of its `exp` and the
    /// revocation budget (RFC 7662 §4: never past `exp`).
    fn accepted(&self, checked: Checked, now: u64) -> Answer {
        let budget = now.saturating_add(self.ttl);
        let until = checked.expires_at.map_or(budget, |exp| exp.min(budget));
        let principal = Principal::builder(self.name.clone())
            .subject(checked.subject)
            .issuer(self.issuer.clone())
            .scopes(checked.scopes)
            .expires_at(checked.expires_at)
            .claims(checked.claims)
            .build();
        (Ok(principal), (until > now).then_some(until))
    }

    /// The POST: the token, the hint, and this server's client credentials.
    fn request(&self, token: &str) -> reqwest::RequestBuilder {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token)
            .append_pair("token_type_hint", "access_token");
        let mut request = self
            .http
            .client()
            .post(self.endpoint.clone())
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        match self.method {
            ClientAuthMethod::ClientSecretBasic => {
                // RFC 6749 §2.3.1: each part form-encoded before base64.
                let encode =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let pair = format!("{}:{}", encode(&self.client_id), encode(&self.secret.0));
                request = request.header(
                    http::header::AUTHORIZATION,
                    format!("Basic {}", STANDARD.encode(pair)),
                );
            }
            ClientAuthMethod::ClientSecretPost => {
                form.append_pair("client_id", &self.client_id)
                    .append_pair("client_secret", &self.secret.0);
            }
        }
        request.body(form.finish())
    }

    /// The token is not acceptable: kept briefly, so a repeat costs no call.
    fn refused(&self, reason: Reason, now: u64) -> Answer {
        tracing::debug!(target: "tollgate::introspection", ?reason, "token refused");
        let until = now.saturating_add(self.negative_ttl);
        (
            Err(AuthError::invalid_token(reason)),
            (self.negative_ttl > 0).then_some(until),
        )
    }

    /// The endpoint refused *our* credentials: the server is misconfigured, not the caller.
    fn misconfigured(&self, status: u16) -> Answer {
        metrics::introspection_call(&self.name, IntrospectionOutcome::Failure);
        tracing::error!(
            target: "tollgate::introspection",
            status,
            client_id = %self.client_id,
            endpoint = %self.endpoint,
            "the introspection endpoint refused this server's client credentials; check the client id, secret and auth method"
        );
        (Err(self.unavailable_error()), None)
    }

    /// No usable answer: 503, never kept.
    fn unavailable(&self, why: &str) -> Answer {
        metrics::introspection_call(&self.name, IntrospectionOutcome::Failure);
        tracing::warn!(target: "tollgate::introspection", why, endpoint = %self.endpoint, "no usable introspection answer");
        (Err(self.unavailable_error()), None)
    }

    fn unavailable_error(&self) -> AuthError {
        AuthError::unavailable_because(Reason::IntrospectionUnavailable, RETRY_AFTER)
    }
}

impl Provider for Introspection {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        Box::pin(async move {
            self.verify(credential.token_of(CredentialKind::Bearer)?)
                .await
        })
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        let token = match credential.token_of(CredentialKind::Bearer) {
            Ok(token) => token,
            Err(error) => return Some(Err(error)),
        };
        match self.inner.next(token) {
            Next::Done(outcome) => Some(outcome),
            Next::Ask(_) => None,
        }
    }
}
