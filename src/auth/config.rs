//! The layer's configuration as each request sees it: reading the credential, storing the
//! principal, and answering a rejection with the layer's realm and responder (which guards and
//! extractors behind the layer reuse through the [`Rejecter`] it stores in each request).

use std::sync::Arc;

use http::{Extensions, HeaderMap};

use super::Anonymous;
use crate::credential::{CookieOrigins, Credential, Extractor};
use crate::error::AuthError;
use crate::principal::Principal;
use crate::provider::Provider;
use crate::rejection::{ErrorResponder, LayerResponse, Rejecter, RejectionContext};

pub(crate) type ClaimsHook = fn(&Principal, &mut Extensions) -> Result<(), AuthError>;

pub(crate) struct Shared {
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) extractor: Extractor,
    pub(crate) cookie_origins: CookieOrigins,
    pub(crate) optional: bool,
    pub(crate) realm: Box<str>,
    pub(crate) responder: Arc<dyn ErrorResponder>,
    pub(crate) claims: Option<ClaimsHook>,
    /// The RFC 9728 metadata URL the challenges name, if any.
    pub(crate) resource_metadata: Option<Box<str>>,
    /// Whether requests carry a [`Rejecter`]: only with a custom realm, responder or metadata
    /// URL. Without one, guards answer with [`default_response`] and [`DEFAULT_REALM`], which
    /// is then the same answer, and the request path saves an extension and a shared
    /// reference count.
    pub(crate) mark_rejecter: bool,
    /// Set by [`trust_gateway`](super::AuthLayerBuilder::trust_gateway).
    #[cfg(feature = "lambda")]
    pub(crate) gateway: Option<crate::lambda::GatewayIdentity>,
}

impl Shared {
    /// The request's credential (`Ok(None)` when there is none), refused if it came from a
    /// cookie on a cross-site unsafe request.
    pub(crate) fn read_credential(
        &self,
        parts: &http::request::Parts,
    ) -> Result<Option<Credential>, AuthError> {
        let credential = self.extractor.extract(parts)?;
        if let Some(credential) = &credential {
            self.cookie_origins.check(parts, credential)?;
        }
        Ok(credential)
    }

    /// Stores the principal (and typed claims) in the request's extensions, with the
    /// [`Rejecter`] that guards behind this layer answer with.
    pub(crate) fn admit(
        self: &Arc<Self>,
        extensions: &mut Extensions,
        principal: Principal,
    ) -> Result<(), AuthError> {
        if let Some(hook) = self.claims {
            hook(&principal, extensions)?;
        }
        crate::metrics::request_allowed(principal.provider());
        extensions.insert(principal);
        if self.mark_rejecter {
            extensions.insert(Rejecter(self.clone()));
        }
        Ok(())
    }

    /// Marks a request that passes an optional layer without a credential.
    pub(crate) fn admit_anonymous(self: &Arc<Self>, extensions: &mut Extensions) {
        extensions.insert(Anonymous);
        if self.mark_rejecter {
            extensions.insert(Rejecter(self.clone()));
        }
    }

    pub(crate) fn reject(
        &self,
        error: &AuthError,
        headers: &HeaderMap,
    ) -> http::Response<bytes::Bytes> {
        tracing::debug!(
            target: "tollgate::auth",
            provider = self.provider.name(),
            kind = ?error.kind(),
            reason = ?error.reason(),
            "request rejected"
        );
        crate::metrics::request_denied(self.provider.name(), error);
        self.respond(error, headers)
    }

    fn respond(&self, error: &AuthError, headers: &HeaderMap) -> http::Response<bytes::Bytes> {
        let mut context = RejectionContext::for_request(&self.realm, headers);
        if let Some(url) = &self.resource_metadata {
            context = context.with_resource_metadata(url);
        }
        self.responder.respond(error, &context)
    }
}

impl LayerResponse for Shared {
    fn respond(&self, error: &AuthError, headers: &HeaderMap) -> http::Response<bytes::Bytes> {
        Shared::respond(self, error, headers)
    }
}
