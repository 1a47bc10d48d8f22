//! [`AuthLayer`]: the tower middleware that authenticates every request.
//!
//! The layer reads the credential (see [`credential`](crate::credential)), hands it to the
//! [`Provider`], and on success stores the [`Principal`] (and, if configured, the typed
//! [`Claims<T>`](crate::Claims)) in the request's extensions before calling the inner service.
//! On failure the inner service is not called and the client gets the
//! [`ErrorResponder`]'s response (by default RFC 6750: 401 with `WWW-Authenticate`, a short
//! JSON body).
//!
//! In [optional](AuthLayerBuilder::optional) mode a request without any credential passes
//! through anonymously (no principal), while a request with a bad credential is still
//! rejected.
//!
//! ```no_run
//! # async fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::{AuthLayer, CredentialSource, jwt::JwtProvider};
//!
//! let provider = JwtProvider::builder("https://issuer.example.com").audience("my-api").build().await?;
//!
//! // Defaults: `Authorization: Bearer`, 8 KiB limit, realm "api", authentication required.
//! let layer = AuthLayer::new(provider.clone());
//!
//! // Customised.
//! #[derive(Clone, serde::Deserialize)]
//! struct MyClaims { sub: String, tenant: String }
//! let layer = AuthLayer::builder(provider)
//!     .realm("orders")
//!     .sources([CredentialSource::AuthorizationBearer, CredentialSource::Cookie("session".into())])
//!     // The front end's origin, whose POSTs may carry the session cookie (see `Cookie`).
//!     .trusted_origins(["https://shop.example.com"])
//!     .max_token_bytes(4096)
//!     .claims::<MyClaims>()
//!     .optional()
//!     .build()?;
//! # Ok(()) }
//! ```

mod body;
mod response;
mod service;

use std::fmt;
use std::sync::Arc;

use http::{Extensions, HeaderMap};
use serde::de::DeserializeOwned;

pub use body::AuthBody;
pub use response::{default_response, ErrorResponder, RejectionContext};
use response::{grpc_response, is_grpc};
pub use service::{AuthService, ResponseFuture};

use crate::credential::{CookieOrigins, Credential, CredentialSource, Extractor};
use crate::error::{fits_quoted_string, AuthError, ConfigError, Reason};
use crate::principal::{Claims, Principal};
use crate::provider::Provider;

/// The realm used when none is configured.
pub const DEFAULT_REALM: &str = "api";

/// Marks a request that passed an optional [`AuthLayer`] without a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anonymous;

type ClaimsHook = fn(&Principal, &mut Extensions) -> Result<(), AuthError>;

pub(crate) struct Shared {
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) extractor: Extractor,
    pub(crate) cookie_origins: CookieOrigins,
    pub(crate) optional: bool,
    pub(crate) realm: Box<str>,
    pub(crate) responder: Arc<dyn ErrorResponder>,
    pub(crate) claims: Option<ClaimsHook>,
    /// Whether requests carry a [`Rejecter`]: only with a custom realm or responder. Without
    /// one, guards answer with [`default_response`] and [`DEFAULT_REALM`], which is then the
    /// same answer, and the request path saves an extension and a shared reference count.
    pub(crate) mark_rejecter: bool,
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
        self.respond(error, headers)
    }

    fn respond(&self, error: &AuthError, headers: &HeaderMap) -> http::Response<bytes::Bytes> {
        self.responder
            .respond(error, &RejectionContext::for_request(&self.realm, headers))
    }
}

/// The response to `error` for a request: by the responder of the [`AuthLayer`] it passed, or
/// (for a principal stored by something else) by [`default_response`] with [`DEFAULT_REALM`].
pub(crate) fn respond_to(
    extensions: &Extensions,
    headers: &HeaderMap,
    error: &AuthError,
) -> http::Response<bytes::Bytes> {
    match extensions.get::<Rejecter>() {
        Some(rejecter) => rejecter.respond(error, headers),
        None => default_response(
            error,
            &RejectionContext::for_request(DEFAULT_REALM, headers),
        ),
    }
}

/// The answer to a wiring mistake (no [`AuthLayer`] in front of something that needs one): 500
/// with `message`, or gRPC `INTERNAL` for a gRPC call. The caller logs it at error level.
pub(crate) fn missing_layer_response(
    headers: &HeaderMap,
    message: &'static str,
) -> http::Response<bytes::Bytes> {
    if is_grpc(headers) {
        return grpc_response(13, message, Some(headers));
    }
    let mut response = http::Response::new(bytes::Bytes::from_static(message.as_bytes()));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The realm and responder of the [`AuthLayer`] a request passed, stored in its extensions so
/// that guards behind the layer answer exactly as the layer would.
#[derive(Clone)]
pub(crate) struct Rejecter(Arc<Shared>);

impl Rejecter {
    /// The layer's response to `error` for a request with these headers.
    pub(crate) fn respond(
        &self,
        error: &AuthError,
        headers: &HeaderMap,
    ) -> http::Response<bytes::Bytes> {
        self.0.respond(error, headers)
    }
}

/// Authenticates every request with a [`Provider`]. Cheap to clone.
#[derive(Clone)]
#[must_use]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

impl AuthLayer {
    /// A layer with the defaults: credentials from the provider's
    /// [`default_sources`](Provider::default_sources) (`Authorization: Bearer` for a JWT
    /// provider), 8 KiB limit, realm `"api"`, authentication required, [`default_response`].
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
        f.debug_struct("AuthLayer")
            .field("provider", &self.shared.provider.name())
            .field("sources", &self.shared.extractor.sources)
            .field("optional", &self.shared.optional)
            .field("realm", &self.shared.realm)
            .finish_non_exhaustive()
    }
}

impl<S> tower_layer::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService::from_shared(inner, self.shared.clone())
    }
}

/// Configures an [`AuthLayer`]. Created by [`AuthLayer::builder`].
#[must_use]
pub struct AuthLayerBuilder {
    provider: Arc<dyn Provider>,
    extractor: Extractor,
    cookie_origins: CookieOrigins,
    optional: bool,
    realm: String,
    responder: Arc<dyn ErrorResponder>,
    custom_responder: bool,
    claims: Option<ClaimsHook>,
}

impl fmt::Debug for AuthLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayerBuilder")
            .field("provider", &self.provider.name())
            .field("extractor", &self.extractor)
            .field("cookie_origins", &self.cookie_origins)
            .field("optional", &self.optional)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl AuthLayerBuilder {
    fn new(provider: Arc<dyn Provider>) -> Self {
        Self {
            extractor: Extractor {
                sources: provider.default_sources(),
                ..Extractor::default()
            },
            provider,
            cookie_origins: CookieOrigins::default(),
            optional: false,
            realm: DEFAULT_REALM.into(),
            responder: Arc::new(default_response),
            custom_responder: false,
            claims: None,
        }
    }

    fn into_shared(self) -> Shared {
        Shared {
            mark_rejecter: self.custom_responder || self.realm != DEFAULT_REALM,
            provider: self.provider,
            extractor: self.extractor,
            cookie_origins: self.cookie_origins,
            optional: self.optional,
            realm: self.realm.into_boxed_str(),
            responder: self.responder,
            claims: self.claims,
        }
    }

    /// Where to read the token from, in order (default: the provider's
    /// [`default_sources`](Provider::default_sources), which is `Authorization: Bearer` for a
    /// JWT provider). A request that presents a token in more than one of them is rejected.
    pub fn sources(mut self, sources: impl IntoIterator<Item = CredentialSource>) -> Self {
        self.extractor.sources = sources.into_iter().collect();
        self
    }

    /// Origins whose unsafe requests (`POST`, `PUT`, `DELETE`, …) may carry a token in a
    /// cookie, e.g. `["https://app.example.com"]`: your front end when it is served from
    /// another origin than this API. Each is `scheme://host[:port]` and is compared with the
    /// request's `Origin` header. Same-origin requests (`Sec-Fetch-Site: same-origin`) need no
    /// entry. See [`CredentialSource::Cookie`] for the whole rule.
    pub fn trusted_origins<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        origins: I,
    ) -> Self {
        self.cookie_origins
            .trusted
            .extend(origins.into_iter().map(Into::into));
        self
    }

    /// Accepts a token read from a cookie on any request, cross-site ones included.
    ///
    /// Danger: this opens cross-site request forgery. Any site a signed-in user visits can make
    /// their browser send a form `POST` (or, with a permissive CORS policy, any request) to
    /// this API, and the browser attaches the cookie, so the request runs as that user. Use it
    /// only when something else stops such requests (a CSRF token checked by the application, or
    /// `SameSite=Strict` cookies and no same-site origin you do not control).
    pub fn dangerous_allow_cross_site_cookies(mut self) -> Self {
        self.cookie_origins.allow_cross_site = true;
        self
    }

    /// The longest token accepted, in bytes (default 8 KiB). Longer ones are rejected before
    /// any decoding.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.extractor.max_len = bytes;
        self
    }

    /// The `realm` of the `WWW-Authenticate` challenge (default `"api"`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Lets requests without any credential through, with no principal (and an [`Anonymous`]
    /// marker in their extensions). A credential that is present but invalid is still
    /// rejected.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Also stores the claims deserialized as `T`, wrapped in [`Claims<T>`], in each
    /// authenticated request. A token whose claims do not fit `T` is rejected with 401
    /// `invalid_token`.
    pub fn claims<T>(mut self) -> Self
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        self.claims = Some(insert_claims::<T>);
        self
    }

    /// Replaces the rejection response (status, headers and body are all yours). Guards behind
    /// this layer answer with it too.
    pub fn error_responder(mut self, responder: impl ErrorResponder) -> Self {
        self.responder = Arc::new(responder);
        self.custom_responder = true;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// When no credential source is configured, the size limit is zero, the realm cannot be
    /// written inside a quoted string, or a trusted origin is not `scheme://host[:port]`.
    pub fn build(mut self) -> Result<AuthLayer, ConfigError> {
        self.cookie_origins.trusted = self
            .cookie_origins
            .trusted
            .iter()
            .map(|origin| serialized_origin(origin))
            .collect::<Result<_, _>>()?;
        if self.extractor.sources.is_empty() {
            return Err(ConfigError::Missing(
                "no credential source: keep the default or name at least one in .sources(…)",
            ));
        }
        if self.extractor.max_len == 0 {
            return Err(ConfigError::Invalid(
                "max_token_bytes must be greater than zero".into(),
            ));
        }
        if !fits_quoted_string(&self.realm) {
            return Err(ConfigError::Invalid(format!(
                "realm {:?} must be non-empty printable ASCII without `\"` or `\\`",
                self.realm
            )));
        }
        Ok(AuthLayer {
            shared: Arc::new(self.into_shared()),
        })
    }
}

/// `origin` as a browser's `Origin` header spells it (lower-case scheme and host, no default
/// port), or an error if it is anything but an http(s) origin.
fn serialized_origin(origin: &str) -> Result<String, ConfigError> {
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "trusted origin {origin:?} {why}; write it as scheme://host[:port], e.g. https://app.example.com"
        ))
    };
    let url = url::Url::parse(origin).map_err(|_| invalid("is not a URL"))?;
    if !matches!(url.scheme(), "https" | "http") || !url.has_host() {
        return Err(invalid("is not an http(s) origin"));
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid("has more than scheme, host and port"));
    }
    Ok(url.origin().ascii_serialization())
}

fn insert_claims<T>(principal: &Principal, extensions: &mut Extensions) -> Result<(), AuthError>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let claims = principal.claims_as::<T>().map_err(|e| {
        let error = crate::principal::redacted_claims_error(&e);
        tracing::debug!(target: "tollgate::auth", %error, "claims do not fit the application's type");
        AuthError::invalid_token(Reason::ClaimsShape)
    })?;
    extensions.insert(Claims(claims));
    Ok(())
}
