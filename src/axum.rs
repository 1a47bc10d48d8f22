//! axum extractors (feature `axum`).
//!
//! - [`Principal`]: the verified identity. `Option<Principal>` is `None` for an anonymous
//!   request through an [optional](crate::AuthLayerBuilder::optional) layer.
//! - [`Claims<T>`]: the claims as the application's type (stored by
//!   [`claims::<T>()`](crate::AuthLayerBuilder::claims), or deserialized on demand).
//! - [`Auth<T>`]: both at once.
//!
//! A handler that extracts these behind no [`AuthLayer`](crate::AuthLayer) answers 500 and logs
//! an error on target `tollgate::rejection`: that is a wiring mistake, not the client's fault,
//! and it must not pass silently as "anonymous".
//!
//! ```no_run
//! use axum::{routing::get, Router};
//! use tollgate::{Auth, Claims, Principal};
//!
//! #[derive(Clone, serde::Deserialize)]
//! struct MyClaims { sub: String, tenant: String }
//!
//! async fn me(principal: Principal) -> String { format!("{:?}", principal.subject()) }
//! async fn tenant(Claims(c): Claims<MyClaims>) -> String { c.tenant }
//! async fn both(auth: Auth<MyClaims>) -> String { format!("{} via {}", auth.claims.sub, auth.principal.provider()) }
//! async fn maybe(principal: Option<Principal>) -> &'static str {
//!     if principal.is_some() { "hello, user" } else { "hello, stranger" }
//! }
//! # let _: Router = Router::new().route("/me", get(me)).route("/t", get(tenant)).route("/b", get(both)).route("/m", get(maybe));
//! ```

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AuthError, Reason};
use crate::layer::{default_response, Anonymous, DEFAULT_REALM};
use crate::principal::{Claims, Principal};

const TARGET: &str = "tollgate::rejection";

/// The verified principal and the claims as `T`.
#[derive(Debug, Clone)]
pub struct Auth<T> {
    /// Who the request is from.
    pub principal: Principal,
    /// The claims, deserialized as `T`.
    pub claims: T,
}

/// Why an extractor could not produce its value.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthRejection {
    /// The request is not authenticated (anonymous through an optional layer), or its claims
    /// do not fit the requested type.
    Unauthenticated(AuthError),
    /// No [`AuthLayer`](crate::AuthLayer) ran before this extractor.
    MissingLayer,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthenticated(error) => error.into_response(),
            Self::MissingLayer => {
                tracing::error!(
                    target: TARGET,
                    "no Principal in the request extensions; perhaps you forgot to add tollgate::AuthLayer in front of this route"
                );
                (
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Missing request extension: tollgate::Principal. Perhaps you forgot to add tollgate::AuthLayer in front of this route?",
                )
                    .into_response()
            }
        }
    }
}

/// Uses [`DEFAULT_REALM`]; to answer with another realm, build the response with
/// [`default_response`](crate::default_response).
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        default_response(&self, DEFAULT_REALM).map(axum_core::body::Body::from)
    }
}

fn principal(parts: &Parts) -> Result<Option<Principal>, AuthRejection> {
    if let Some(principal) = parts.extensions.get::<Principal>() {
        Ok(Some(principal.clone()))
    } else if parts.extensions.get::<Anonymous>().is_some() {
        Ok(None)
    } else {
        Err(AuthRejection::MissingLayer)
    }
}

fn required<T>(value: Option<T>) -> Result<T, AuthRejection> {
    value.ok_or_else(|| AuthRejection::Unauthenticated(AuthError::missing()))
}

// Each required extractor is its optional form plus "anonymous is 401".

impl<S: Send + Sync> OptionalFromRequestParts<S> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        principal(parts)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(<Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?)
    }
}

impl<S, T> OptionalFromRequestParts<S> for Auth<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        let Some(principal) = principal(parts)? else {
            return Ok(None);
        };
        let claims = if let Some(Claims(claims)) = parts.extensions.get::<Claims<T>>() {
            claims.clone()
        } else {
            principal.claims_as::<T>().map_err(|e| {
                let error = crate::principal::redacted_claims_error(&e);
                tracing::debug!(target: TARGET, %error, "claims do not fit the requested type");
                AuthRejection::Unauthenticated(AuthError::invalid_token(Reason::ClaimsShape))
            })?
        };
        Ok(Some(Auth { principal, claims }))
    }
}

impl<S, T> FromRequestParts<S> for Auth<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(<Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?)
    }
}

impl<S, T> OptionalFromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let auth =
            <Auth<T> as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        Ok(auth.map(|auth| Claims(auth.claims)))
    }
}

impl<S, T> FromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        required(<Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?)
    }
}
