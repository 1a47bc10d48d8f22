//! Per-route authorization: may this principal call this route?
//!
//! Authentication happens once, in the [`AuthLayer`](crate::AuthLayer), which stores the
//! verified [`Principal`]. A [`Guard`] is a cheap synchronous check of that principal. Guards
//! read [`Principal::scopes`], [`groups`](Principal::groups), [`roles`](Principal::roles) and
//! [`claim`](Principal::claim); the provider decides which token claims fill those lists
//! (Cognito's `cognito:groups`, Okta's `scp`, Auth0's `permissions`, see
//! [`JwtProviderBuilder::scope_claims`](crate::jwt::JwtProviderBuilder::scope_claims)), so one
//! guard reads the same across providers. Guards see neither the method nor the path: they
//! compose with any router.
//!
//! - Ready-made: [`scope`], [`scopes`] (all of them), [`any_scope`], [`group`], [`groups`],
//!   [`any_group`], [`role`], [`roles`], [`any_role`], [`claim_equals`], [`claim_contains`].
//! - Combinators: [`any_of`], [`all_of`] (over a tuple, an array or a `Vec` of guards) and
//!   [`not`].
//! - Your own: any `Fn(&Principal) -> bool` closure, or a type implementing [`Guard`].
//!
//! A guard runs as a tower layer, [`GuardLayer`], placed behind the `AuthLayer`, or in a
//! handler through the axum extractor [`Authorized<G>`](crate::Authorized).
//!
//! # Responses
//! - Guard passes: the inner service is called.
//! - A scope guard denies: 403 with `WWW-Authenticate: Bearer realm="…",
//!   error="insufficient_scope", …, scope="…"` naming the required scopes (RFC 6750 §3.1),
//!   and `resource_metadata="…"` when the `AuthLayer` names an RFC 9728
//!   [metadata document](crate::resource_metadata).
//! - Any other guard denies: 403 with a terse body and no challenge (RFC 6750 defines none,
//!   and another token would not help).
//! - No principal, but the request passed an [optional](crate::auth::AuthLayerBuilder::optional)
//!   `AuthLayer` anonymously: 401 with the RFC 6750 challenge.
//! - No principal and no `AuthLayer` in front: a wiring mistake. 500 with "Perhaps you forgot to
//!   add tollgate::AuthLayer in front of the GuardLayer" and an error-level trace (target
//!   `tollgate::rejection`); the request is never let through.
//!
//! Rejections are built by the [`ErrorResponder`](crate::rejection::ErrorResponder) of the `AuthLayer`
//! the request passed (it leaves its realm and responder in the request's extensions), so a
//! custom responder and gRPC-shaped failures apply to guards too. A principal stored by your
//! own middleware, with no `AuthLayer`, is answered with
//! [`default_response`](crate::rejection::default_response) and realm `"api"`.
//!
//! # With axum
//! Add guards with `route_layer`, never `layer`: `route_layer` runs only for matched routes, so
//! an unknown path stays 404 instead of becoming 401 or 403. Layers added later run first, so
//! the `AuthLayer` goes on after (outside) the guards:
//!
//! ```
//! use axum::{routing::{get, post}, Router};
//! use tollgate::guard::{any_of, group, scope, GuardLayer};
//! use tollgate::{AuthLayer, Principal};
//!
//! fn app(auth: AuthLayer) -> Router {
//!     let admin = Router::new()
//!         .route("/admin/users", get(|| async { "users" }))
//!         .route_layer(GuardLayer::new(any_of((scope("admin"), group("operators")))));
//!     let writes = Router::new()
//!         .route("/orders", post(|| async { "created" }))
//!         .route_layer(GuardLayer::new(scope("orders:write")));
//!     let own = Router::new()
//!         .route("/beta", get(|| async { "beta" }))
//!         .route_layer(GuardLayer::new(|p: &Principal| p.subject().is_some_and(|s| s.ends_with("@example.com"))));
//!     Router::new()
//!         .merge(admin)
//!         .merge(writes)
//!         .merge(own)
//!         .route("/me", get(|p: Principal| async move { format!("{:?}", p.subject()) }))
//!         .route_layer(auth)
//! }
//! ```

mod builtin;
mod layer;

pub use builtin::{
    all_of, any_group, any_of, any_role, any_scope, claim_contains, claim_equals, group, groups,
    not, role, roles, scope, scopes, AllOf, AnyOf, ClaimContains, ClaimEquals, Groups, GuardList,
    Not, Roles, Scopes,
};
#[cfg(feature = "axum")]
pub(crate) use layer::authorize;
pub use layer::{GuardLayer, GuardService, ResponseFuture};

use crate::error::AuthError;
use crate::principal::Principal;

/// A synchronous authorization check of a verified [`Principal`].
///
/// Implemented by closures `Fn(&Principal) -> bool` (a `false` is a plain 403) and by the
/// ready-made guards of this module. Implement it yourself to deny with a scope challenge:
///
/// ```
/// use tollgate::guard::{Denied, Guard};
/// use tollgate::Principal;
///
/// /// Writers need `docs:write`, except members of `editors`.
/// #[derive(Default)]
/// struct CanWrite;
///
/// impl Guard for CanWrite {
///     fn check(&self, principal: &Principal) -> Result<(), Denied> {
///         if principal.has_scope("docs:write") || principal.in_group("editors") {
///             Ok(())
///         } else {
///             Err(Denied::insufficient_scope("docs:write"))
///         }
///     }
/// }
/// ```
pub trait Guard: Send + Sync + 'static {
    /// `Ok(())` when `principal` may proceed.
    ///
    /// # Errors
    /// [`Denied`] when it may not; the request gets 403.
    fn check(&self, principal: &Principal) -> Result<(), Denied>;
}

impl<F> Guard for F
where
    F: Fn(&Principal) -> bool + Send + Sync + 'static,
{
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if self(principal) {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

/// Why a [`Guard`] refused a principal: a missing scope (403 `insufficient_scope` with the
/// required scopes) or anything else (a plain 403).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Denied {
    scope: Option<String>,
}

impl Denied {
    /// A plain denial: 403 without a challenge.
    pub fn new() -> Self {
        Self { scope: None }
    }

    /// A denial for lack of scope: 403 with `error="insufficient_scope"` and `scope` (the
    /// required scopes, space-separated) in the challenge.
    pub fn insufficient_scope(scope: impl Into<String>) -> Self {
        Self {
            scope: Some(scope.into()),
        }
    }

    /// The required scopes, for a denial for lack of scope.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

impl From<Denied> for AuthError {
    fn from(denied: Denied) -> Self {
        match denied.scope {
            Some(scope) => AuthError::insufficient_scope(scope),
            None => AuthError::forbidden(),
        }
    }
}
