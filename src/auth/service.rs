//! [`AuthService`]: reads each request's credential, authenticates it (at once when the
//! provider can, otherwise in its [`ResponseFuture`]) and admits or rejects the request.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::config::Shared;
use super::future::{Pending, ResponseFuture};
use super::{AuthBody, AuthLayer};
use crate::error::AuthError;
use crate::middleware::inner_service_accessors;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// The service produced by [`AuthLayer`](super::AuthLayer).
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("provider", &self.shared.provider.name())
            .finish_non_exhaustive()
    }
}

impl<S> AuthService<S> {
    /// Wraps `inner` with the default configuration (see [`AuthLayer::new`]).
    pub fn new(inner: S, provider: impl Provider) -> Self {
        tower_layer::Layer::layer(&AuthLayer::new(provider), inner)
    }

    /// The layer with the default configuration, as [`AuthLayer::new`].
    pub fn layer(provider: impl Provider) -> AuthLayer {
        AuthLayer::new(provider)
    }

    pub(crate) fn from_shared(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    inner_service_accessors!();
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<AuthBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let shared = &self.shared;
        let (mut parts, body) = request.into_parts();
        // With `trust_gateway`, an identity API Gateway verified is admitted as it is; without
        // one the request goes on to its credential (the "either" mode).
        #[cfg(feature = "lambda")]
        if let Some(gateway) = &shared.gateway {
            if let Some(principal) = gateway.principal(&parts.extensions) {
                return match shared.admit(&mut parts.extensions, principal) {
                    Ok(()) => {
                        ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)))
                    }
                    Err(error) => ResponseFuture::rejected(shared.reject(&error, &parts.headers)),
                };
            }
        }
        let credential = match shared.read_credential(&parts) {
            Ok(Some(credential)) => credential,
            Ok(None) if shared.optional => {
                shared.admit_anonymous(&mut parts.extensions);
                return ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)));
            }
            Ok(None) => {
                return ResponseFuture::rejected(
                    shared.reject(&AuthError::missing(), &parts.headers),
                )
            }
            Err(error) => return ResponseFuture::rejected(shared.reject(&error, &parts.headers)),
        };

        // Fast path: keys cached, nothing to wait for.
        if let Some(result) = shared.provider.try_authenticate(&credential) {
            return match result.and_then(|p| shared.admit(&mut parts.extensions, p)) {
                Ok(()) => {
                    ResponseFuture::calling(self.inner.call(Request::from_parts(parts, body)))
                }
                Err(error) => ResponseFuture::rejected(shared.reject(&error, &parts.headers)),
            };
        }

        // Slow path (e.g. an unknown key id triggers a JWKS fetch). The ready inner service goes
        // into the future and a fresh clone stays behind for the next `poll_ready`.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        let provider = shared.clone();
        let authenticate: BoxFuture<'static, Result<Principal, AuthError>> =
            Box::pin(async move { provider.provider.authenticate(credential).await });
        ResponseFuture::authenticating(
            authenticate,
            Pending {
                parts,
                body,
                inner,
                shared,
            },
        )
    }
}
