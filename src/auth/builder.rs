//! [`AuthLayerBuilder`]: where credentials are read, the realm, the responder, the RFC 9728
//! metadata the challenges name, optional authentication and typed claims, checked in
//! `build()`.

use std::fmt;
use std::sync::Arc;

use http::Extensions;
use serde::de::DeserializeOwned;

use super::config::{ClaimsHook, Shared};
use super::AuthLayer;
use crate::credential::{CookieOrigins, CredentialSource, Extractor};
use crate::error::{fits_quoted_string, AuthError, ConfigError};
use crate::principal::{Claims, Principal};
use crate::provider::Provider;
use crate::rejection::{default_response, ErrorResponder, DEFAULT_REALM};
use crate::resource_metadata::check_metadata_url;

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
    resource_metadata: Option<String>,
    #[cfg(feature = "lambda")]
    gateway: Option<crate::lambda::GatewayIdentity>,
}

impl fmt::Debug for AuthLayerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("AuthLayerBuilder");
        debug
            .field("provider", &self.provider.name())
            .field("extractor", &self.extractor)
            .field("cookie_origins", &self.cookie_origins)
            .field("optional", &self.optional)
            .field("realm", &self.realm)
            .field("resource_metadata", &self.resource_metadata);
        #[cfg(feature = "lambda")]
        debug.field("trust_gateway", &self.gateway.is_some());
        debug.finish_non_exhaustive()
    }
}

impl AuthLayerBuilder {
    pub(super) fn new(provider: Arc<dyn Provider>) -> Self {
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
            resource_metadata: None,
            #[cfg(feature = "lambda")]
            gateway: None,
        }
    }

    pub(super) fn into_shared(self) -> Shared {
        Shared {
            mark_rejecter: self.custom_responder
                || self.realm != DEFAULT_REALM
                || self.resource_metadata.is_some(),
            provider: self.provider,
            extractor: self.extractor,
            cookie_origins: self.cookie_origins,
            optional: self.optional,
            realm: self.realm.into_boxed_str(),
            responder: self.responder,
            claims: self.claims,
            resource_metadata: self.resource_metadata.map(String::into_boxed_str),
            #[cfg(feature = "lambda")]
            gateway: self.gateway,
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

    /// Points every 401 challenge, and every 403 `insufficient_scope` one, from this layer,
    /// its guards and the extractors behind it to the RFC 9728 metadata document of `metadata`
    /// (`WWW-Authenticate: Bearer realm="api", resource_metadata="…"`), as the MCP
    /// authorization specification requires. A plain 403 (a guard's denial for other reasons
    /// than scope) stays without a challenge: RFC 6750 defines none, and MCP asks for one only
    /// on `insufficient_scope`. Serve the document itself with
    /// [`ResourceMetadata::service`](crate::resource_metadata::ResourceMetadata::service).
    pub fn resource_metadata(self, metadata: &crate::resource_metadata::ResourceMetadata) -> Self {
        self.resource_metadata_url(metadata.metadata_url())
    }

    /// As [`resource_metadata`](Self::resource_metadata), for a metadata document served
    /// elsewhere: `url` is its absolute URL, checked in `build()`.
    pub fn resource_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// Lets requests without any credential through, with no principal (and an [`Anonymous`](super::Anonymous)
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

    /// Admits a request with the identity API Gateway (or a Function URL) verified, when the
    /// Lambda request context carries one; other requests are authenticated by the provider as
    /// usual (feature `lambda`).
    ///
    /// Danger: anyone allowed to invoke the function directly (`lambda:InvokeFunction`) can
    /// write any request context and so act as any user; use it only when nothing but the
    /// gateway can invoke the function. The identity is never read from a header. See
    /// [`lambda`](crate::lambda) for the whole trust boundary and what each identity becomes.
    #[cfg(feature = "lambda")]
    pub fn trust_gateway(mut self, gateway: crate::lambda::GatewayIdentity) -> Self {
        self.gateway = Some(gateway);
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
    /// When no credential source is configured, the size limit is zero, the realm or the
    /// resource metadata URL cannot be written inside a quoted string, the metadata URL is not
    /// an absolute http(s) URL, or a trusted origin is not `scheme://host[:port]`.
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
        if let Some(url) = &self.resource_metadata {
            check_metadata_url(url)?;
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
    extensions.insert(Claims(principal.typed_claims::<T>()?));
    Ok(())
}
