//! The [`Provider`] trait: turns a credential into a [`Principal`] or an [`AuthError`]. Several
//! providers behind one layer: [`Providers`](crate::Providers).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::credential::{Credential, CredentialSource};
use crate::error::AuthError;
use crate::principal::Principal;

/// A boxed, `Send` future, as returned by [`Provider::authenticate`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Verifies credentials.
///
/// The trait is object-safe, so providers can be boxed (`Arc<dyn Provider>`) and combined. An
/// implementation must never panic on any credential: every failure is an [`AuthError`].
///
/// ```
/// use tollgate::{AuthError, Credential, Principal, Provider, provider::BoxFuture};
///
/// struct Nobody;
///
/// impl Provider for Nobody {
///     fn name(&self) -> &str {
///         "nobody"
///     }
///     fn authenticate(&self, _credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
///         Box::pin(async { Err(AuthError::insufficient_scope("anything")) })
///     }
/// }
/// let _boxed: std::sync::Arc<dyn Provider> = std::sync::Arc::new(Nobody);
/// ```
pub trait Provider: Send + Sync + 'static {
    /// A short name recorded in each [`Principal`] this provider accepts, and in traces.
    fn name(&self) -> &str;

    /// Verifies `credential`.
    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>>;

    /// Verifies `credential` without waiting, when everything needed is at hand (e.g. the
    /// issuer's keys are cached); `None` means "call [`authenticate`](Self::authenticate)".
    ///
    /// The layer tries this first, so the common case costs no boxed future. The default
    /// always returns `None`. An implementation must return the same answer `authenticate`
    /// would.
    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        let _ = credential;
        None
    }

    /// Where an [`AuthLayer`](crate::AuthLayer) built for this provider reads credentials when
    /// the layer is not told otherwise (with
    /// [`AuthLayerBuilder::sources`](crate::auth::AuthLayerBuilder::sources)).
    ///
    /// The default is `Authorization: Bearer` only; the API-key provider names its header and
    /// `Authorization: ApiKey`, and [`Providers`](crate::Providers) names every source its
    /// providers need.
    fn default_sources(&self) -> Vec<CredentialSource> {
        vec![CredentialSource::AuthorizationBearer]
    }
}

impl<P: Provider + ?Sized> Provider for Arc<P> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        (**self).authenticate(credential)
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        (**self).try_authenticate(credential)
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        (**self).default_sources()
    }
}

impl<P: Provider + ?Sized> Provider for Box<P> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        (**self).authenticate(credential)
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        (**self).try_authenticate(credential)
    }

    fn default_sources(&self) -> Vec<CredentialSource> {
        (**self).default_sources()
    }
}
