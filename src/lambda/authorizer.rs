//! [`Authorizer`]: an API Gateway Lambda authorizer built from any tollgate [`Provider`] (and an
//! optional [`Guard`]), for REST API TOKEN and REQUEST authorizers and HTTP API authorizers
//! (payload format 1.0, and 2.0 with simple or IAM-policy responses).
//!
//! API Gateway reads an authorizer's answer this way, and tollgate answers accordingly:
//!
//! | outcome | what the function returns | the client gets |
//! |---|---|---|
//! | no credential, or one the provider refuses | the error `Unauthorized`, exactly | 401 |
//! | a principal the guard refuses | a `Deny` policy (HTTP API simple: `isAuthorized: false`) | 403 |
//! | a principal the guard allows | an `Allow` policy (`isAuthorized: true`) with the context | the route runs |
//! | the issuer's keys cannot be loaded and none are cached | the error `KeysUnavailable` | 500 |
//!
//! Any event, however malformed, gets one of these: a body that is not an authorizer event is
//! `Unauthorized`, never a panic and never another error. (An error other than `Unauthorized` is
//! a 500 to API Gateway, which is right only for an outage: the client is not at fault.)
//!
//! The context passes the principal on, in the value types API Gateway accepts (strings,
//! numbers, booleans): `sub` (when the principal has one), `provider`, `scopes` and `groups`
//! (space-separated), and `expiresAt` (Unix seconds, when known). The REST `principalId` is the
//! subject, or the provider's name for a principal without one. An `Allow` or `Deny` policy names
//! exactly the method (or route) ARN of the event, so a cached answer never covers another route;
//! widen it yourself if you turn on authorizer caching across routes.
//!
//! ```no_run
//! use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
//! use tollgate::{guard, jwt::JwtProvider, lambda::authorizer::Authorizer};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     let provider = JwtProvider::builder("https://issuer.example.com/")
//!         .audience("my-api")
//!         .build()
//!         .await?;
//!     let authorizer = Authorizer::new(provider).guard(guard::scope("orders:read"));
//!     lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
//!         let authorizer = &authorizer;
//!         async move { authorizer.authorize(event.payload).await }
//!     }))
//!     .await
//! }
//! ```

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Map, Value};

use crate::credential::{Credential, Extractor};
use crate::error::{AuthError, AuthErrorKind};
use crate::guard::Guard;
use crate::principal::Principal;
use crate::provider::Provider;

const TARGET: &str = "tollgate::lambda::authorizer";

/// An API Gateway Lambda authorizer: see the [module docs](self). Cheap to clone.
#[derive(Clone)]
pub struct Authorizer {
    provider: Arc<dyn Provider>,
    guard: Option<Arc<dyn Guard>>,
    extractor: Arc<Extractor>,
    policy_responses: bool,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("provider", &self.provider.name())
            .field("guard", &self.guard.is_some())
            .field("http_api_policy_responses", &self.policy_responses)
            .finish()
    }
}

/// Why an authorizer did not answer with a policy. Its `Display` is what API Gateway reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No credential, or one the provider refused: `Unauthorized`, which API Gateway answers
    /// with 401 (the message must be exactly this word).
    #[error("Unauthorized")]
    Unauthorized,
    /// The issuer's keys cannot be loaded and none are cached: API Gateway answers 500.
    #[error("KeysUnavailable")]
    KeysUnavailable,
}

/// Returned from a `lambda_runtime` handler, the error API Gateway reads: `errorMessage` is
/// `Unauthorized` (401) or `KeysUnavailable` (500), and so is `errorType`.
impl From<AuthorizerError> for lambda_http::lambda_runtime::Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        let message = error.to_string();
        Self {
            error_type: message.clone(),
            error_message: message,
        }
    }
}

impl Authorizer {
    /// An authorizer that allows every principal `provider` accepts. Credentials are read where
    /// the provider reads them by default (`Authorization: Bearer` for a JWT provider, the API
    /// key headers for [`ApiKeys`](crate::ApiKeys)).
    pub fn new(provider: impl Provider) -> Self {
        let provider: Arc<dyn Provider> = Arc::new(provider);
        let extractor = Extractor {
            sources: provider.default_sources(),
            ..Extractor::default()
        };
        Self {
            provider,
            guard: None,
            extractor: Arc::new(extractor),
            policy_responses: false,
        }
    }

    /// Allows only principals `guard` lets through; the others get a `Deny` (403).
    #[must_use]
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }

    /// Answers HTTP API (payload format 2.0) events with IAM policies instead of simple
    /// responses, for authorizers configured without "simple responses".
    #[must_use]
    pub fn http_api_policy_responses(mut self) -> Self {
        self.policy_responses = true;
        self
    }

    /// The authorizer's answer to an event, as the JSON API Gateway expects.
    ///
    /// # Errors
    /// [`AuthorizerError::Unauthorized`] for a missing or refused credential and for anything
    /// that is not an authorizer event; [`AuthorizerError::KeysUnavailable`] during an issuer
    /// outage with no keys cached.
    pub async fn authorize(&self, event: Value) -> Result<Value, AuthorizerError> {
        let Some(event) = Event::read(&event) else {
            tracing::debug!(target: TARGET, "not an API Gateway authorizer event");
            return Err(AuthorizerError::Unauthorized);
        };
        let credential = match self.credential(event.headers) {
            Some(credential) => credential,
            None => return Err(AuthorizerError::Unauthorized),
        };
        let principal = match self.provider.authenticate(credential).await {
            Ok(principal) => principal,
            Err(error) => return Err(refusal(&error)),
        };
        let allowed = match &self.guard {
            None => true,
            Some(guard) => match guard.check(&principal) {
                Ok(()) => true,
                Err(denied) => {
                    let error = AuthError::from(denied);
                    tracing::debug!(target: TARGET, reason = ?error.reason(), "denied by the guard");
                    false
                }
            },
        };
        let context = context(&principal);
        Ok(match event.format {
            Format::HttpApiV2 if !self.policy_responses => {
                json!({ "isAuthorized": allowed, "context": context })
            }
            _ => policy(&principal, allowed, &event.resource, context),
        })
    }

    /// The credential in the event's headers, where the provider reads it.
    fn credential(&self, headers: HeaderMap) -> Option<Credential> {
        let mut request = http::Request::new(());
        *request.headers_mut() = headers;
        let (parts, ()) = request.into_parts();
        match self.extractor.extract(&parts) {
            Ok(credential) => credential,
            Err(error) => {
                tracing::debug!(target: TARGET, reason = ?error.reason(), "unreadable credential");
                None
            }
        }
    }
}

fn refusal(error: &AuthError) -> AuthorizerError {
    tracing::debug!(target: TARGET, kind = ?error.kind(), reason = ?error.reason(), "credential refused");
    match error.kind() {
        AuthErrorKind::Unavailable => AuthorizerError::KeysUnavailable,
        _ => AuthorizerError::Unauthorized,
    }
}

/// Which answer an event wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// REST API TOKEN or REQUEST, or HTTP API payload format 1.0: an IAM policy.
    Policy,
    /// HTTP API payload format 2.0: a simple response, or a policy when configured.
    HttpApiV2,
}

/// What tollgate reads from an authorizer event.
struct Event {
    format: Format,
    /// The method ARN (REST, HTTP API 1.0) or route ARN (HTTP API 2.0) the policy names.
    resource: String,
    headers: HeaderMap,
}

impl Event {
    /// The event's parts, or `None` if it is not an authorizer event.
    fn read(event: &Value) -> Option<Self> {
        let event = event.as_object()?;
        let text = |name: &str| event.get(name).and_then(Value::as_str);
        if text("version") == Some("2.0") {
            let mut headers = headers_from(event.get("headers"));
            if let Some(cookies) = event.get("cookies").and_then(Value::as_array) {
                let joined: Vec<&str> = cookies.iter().filter_map(Value::as_str).collect();
                if !joined.is_empty() {
                    insert(&mut headers, "cookie", &joined.join("; "));
                }
            }
            return Some(Self {
                format: Format::HttpApiV2,
                resource: text("routeArn")?.to_owned(),
                headers,
            });
        }
        let resource = text("methodArn")?.to_owned();
        let headers = match text("type") {
            // The token is the value of the identity source (usually `Authorization`); a bare
            // token without a scheme is read as a bearer token.
            Some("TOKEN") => {
                let token = text("authorizationToken")?;
                let mut headers = HeaderMap::new();
                let value = if token.contains(' ') {
                    token.to_owned()
                } else {
                    format!("Bearer {token}")
                };
                insert(&mut headers, "authorization", &value);
                headers
            }
            Some("REQUEST") => headers_from(event.get("headers")),
            _ => return None,
        };
        Some(Self {
            format: Format::Policy,
            resource,
            headers,
        })
    }
}

/// An event's `headers` object as a `HeaderMap`; names or values HTTP cannot carry are skipped.
fn headers_from(headers: Option<&Value>) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Some(headers) = headers.and_then(Value::as_object) {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                insert(&mut map, name, value);
            }
        }
    }
    map
}

fn insert(map: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        map.append(name, value);
    }
}

/// The principal as an authorizer context: strings, numbers and booleans only.
fn context(principal: &Principal) -> Map<String, Value> {
    let mut context = Map::new();
    if let Some(subject) = principal.subject() {
        context.insert("sub".into(), subject.into());
    }
    context.insert("provider".into(), principal.provider().into());
    context.insert("scopes".into(), principal.scopes().join(" ").into());
    context.insert("groups".into(), principal.groups().join(" ").into());
    if let Some(expires_at) = principal.expires_at() {
        if let Ok(since) = expires_at.duration_since(std::time::UNIX_EPOCH) {
            context.insert("expiresAt".into(), since.as_secs().into());
        }
    }
    context
}

/// An IAM policy allowing or denying `resource` (`execute-api:Invoke`).
fn policy(
    principal: &Principal,
    allowed: bool,
    resource: &str,
    context: Map<String, Value>,
) -> Value {
    json!({
        "principalId": principal.subject().unwrap_or_else(|| principal.provider()),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Action": "execute-api:Invoke",
                "Effect": if allowed { "Allow" } else { "Deny" },
                "Resource": resource,
            }],
        },
        "context": context,
    })
}
