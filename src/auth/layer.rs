//! [`AuthLayer`]: the tower layer that wraps a service in an [`AuthService`].

use std::fmt;
use std::sync::Arc;

use super::config::Shared;
use super::{AuthLayerBuilder, AuthService};
use crate::provider::Provider;

/// Authenticates every request with a [`Provider`]. Cheap to clone.
#[derive(Clone)]
#[must_use]
pub struct AuthLayer {
    pub(super) shared: Arc<Shared>,
}

impl AuthLayer {
    /// A layer with the defaults: credentials from the provider's
    /// [`default_sources`](Provider::default_sources) (`Authorization: Bearer` for a JWT
    /// provider), 8 KiB limit, realm `"api"`, authentication required, [`default_response`](crate::rejection::default_response).
    pub fn new(provider: impl Provider) -> Self {
        Self {
            shared: Arc::new(AuthLayerBuilder::new(Arc::new(provider)).into_shared()),
        }
    }

    /// Starts configuring a layer.
    pub fn builder(provider: impl Provider) -> AuthLayerBuilder {
        AuthLayerBuilder::new(Arc::new(provider))
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("AuthLayer");
        debug
            .field("provider", &self.shared.provider.name())
            .field("sources", &self.shared.extractor.sources)
            .field("optional", &self.shared.optional)
            .field("realm", &self.shared.realm);
        #[cfg(feature = "lambda")]
        debug.field("trust_gateway", &self.shared.gateway.is_some());
        debug.finish_non_exhaustive()
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService::from_shared(inner, self.shared.clone())
    }
}
