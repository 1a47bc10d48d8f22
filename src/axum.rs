//! axum extractors (feature `axum`).
//!
//! - [`Principal`]: the verified identity. `Option<Principal>` is `None` for an anonymous
//!   request through an [optional](crate::auth::AuthLayerBuilder::optional) layer.
//! - [`Claims<T>`]: the claims as the application's type (stored by
//!   [`claims::<T>()`](crate::auth::AuthLayerBuilder::claims), or deserialized on demand).
//! - [`Auth<T>`]: both at once.
//! - [`Authorized<G>`]: the principal, once the [`Guard`] `G` let it through: a handler-level
//!   check, for when a per-route [`GuardLayer`](crate::GuardLayer) does not fit.
//!
//! A handler that extracts these behind no [`AuthLayer`](crate::AuthLayer) answers 500 and logs
//! an error on target `tollgate::rejection`: that is a wiring mistake, not the client's fault,
//! and it must not pass silently as "anonymous". Every other rejection
//! ([`AuthRejection`](crate::rejection::AuthRejection)) is built by the layer's
//! [`ErrorResponder`](crate::rejection::ErrorResponder).
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
use http::request::Parts;
use serde::de::DeserializeOwned;

use std::marker::PhantomData;

use crate::auth::Anonymous;
use crate::error::AuthError;
use crate::guard::{authorize, Guard};
use crate::principal::{Claims, Principal};
use crate::rejection::AuthRejection;

/// The verified principal and the claims as `T`.
#[derive(Debug, Clone)]
pub struct Auth<T> {
    /// Who the request is from.
    pub principal: Principal,
    /// The claims, deserialized as `T`.
    pub claims: T,
}

fn principal(parts: &Parts) -> Result<Option<Principal>, AuthRejection> {
    if let Some(principal) = parts.extensions.get::<Principal>() {
        Ok(Some(principal.clone()))
    } else if parts.extensions.get::<Anonymous>().is_some() {
        Ok(None)
    } else {
        Err(AuthRejection::missing_layer(parts))
    }
}

fn required<T>(parts: &Parts, value: Option<T>) -> Result<T, AuthRejection> {
    value.ok_or_else(|| AuthRejection::new(parts, AuthError::missing()))
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
        let value = <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        required(parts, value)
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
            principal
                .typed_claims::<T>()
                .map_err(|error| AuthRejection::new(parts, error))?
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
        let value = <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        required(parts, value)
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
        let value = <Self as OptionalFromRequestParts<S>>::from_request_parts(parts, state).await?;
        required(parts, value)
    }
}

/// The [`Principal`], once the [`Guard`] `G` allowed it: a handler-level authorization check.
///
/// `G` is a type implementing [`Guard`] and [`Default`], typically a unit struct naming the
/// rule, so the requirement is part of the handler's signature. A denial is answered exactly as
/// a [`GuardLayer`](crate::GuardLayer) would answer it, with the `AuthLayer`'s responder: 403
/// (`insufficient_scope` for a scope guard), 401 for an anonymous request, 500 when no
/// `AuthLayer` ran.
///
/// ```
/// use axum::{routing::delete, Router};
/// use tollgate::guard::{self, Denied, Guard};
/// use tollgate::{Authorized, Principal};
///
/// #[derive(Default)]
/// struct Admin;
///
/// impl Guard for Admin {
///     fn check(&self, principal: &Principal) -> Result<(), Denied> {
///         guard::any_of((guard::scope("admin"), guard::group("operators"))).check(principal)
///     }
/// }
///
/// async fn purge(admin: Authorized<Admin>) -> String {
///     format!("purged by {:?}", admin.subject())
/// }
/// # let _: Router = Router::new().route("/cache", delete(purge));
/// ```
pub struct Authorized<G> {
    principal: Principal,
    guard: PhantomData<fn() -> G>,
}

impl<G> Authorized<G> {
    /// The authorized principal.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Consumes `self`, returning the principal.
    pub fn into_principal(self) -> Principal {
        self.principal
    }
}

impl<G> std::ops::Deref for Authorized<G> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<G> Clone for Authorized<G> {
    fn clone(&self) -> Self {
        Self {
            principal: self.principal.clone(),
            guard: PhantomData,
        }
    }
}

impl<G> std::fmt::Debug for Authorized<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("guard", &std::any::type_name::<G>())
            .field("principal", &self.principal)
            .finish()
    }
}

impl<S, G> FromRequestParts<S> for Authorized<G>
where
    S: Send + Sync,
    G: Guard + Default,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match authorize(&G::default(), &parts.extensions, &parts.headers) {
            Ok(principal) => Ok(Self {
                principal: principal.clone(),
                guard: PhantomData,
            }),
            Err(refusal) => Err(AuthRejection::from_refusal(refusal)),
        }
    }
}
