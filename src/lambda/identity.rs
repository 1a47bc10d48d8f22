//! [`GatewayIdentity`]: which identity in a Lambda request context becomes the principal.

use std::fmt;

use http::Extensions;
use lambda_http::request::RequestContext;

use super::{http_api, rest};
use crate::principal::Principal;

/// Trusts the identity API Gateway (or a Function URL) verified before invoking the function:
/// the principal comes from the request context `lambda_http` built from the Lambda event, never
/// from a header. Give it to [`AuthLayerBuilder::trust_gateway`](crate::auth::AuthLayerBuilder::trust_gateway).
///
/// See the [module documentation](super) for the trust boundary and what each kind becomes.
#[derive(Clone, Default)]
pub struct GatewayIdentity {
    _private: (),
}

impl fmt::Debug for GatewayIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayIdentity").finish_non_exhaustive()
    }
}

impl GatewayIdentity {
    /// The provider name of an HTTP API JWT authorizer's principal.
    pub const JWT: &'static str = "gateway-jwt";
    /// The provider name of a REST API Cognito user-pool authorizer's principal.
    pub const COGNITO: &'static str = "gateway-cognito";
    /// The provider name of a Lambda authorizer's principal (REST or HTTP API).
    pub const LAMBDA: &'static str = "gateway-lambda";
    /// The provider name of an IAM caller's principal (REST, HTTP API or Function URL).
    pub const IAM: &'static str = "gateway-iam";
    /// The provider name of the principal of an API key the gateway validated (REST).
    pub const API_KEY: &'static str = "gateway-api-key";

    /// Trusts every kind of gateway identity listed in the [module documentation](super).
    pub fn new() -> Self {
        Self::default()
    }

    /// The principal of the identity the gateway verified, read from the request context
    /// `lambda_http` stored in a request's `extensions` (what the layer does; also usable on
    /// its own, e.g. with `request.extensions()` or `parts.extensions`).
    ///
    /// `None` when there is no request context (not on Lambda) or it carries no identity: no
    /// authorizer, an ALB target group, a Function URL without IAM authorization, or fields
    /// that do not make an identity (see the [module documentation](super)).
    pub fn principal(&self, extensions: &Extensions) -> Option<Principal> {
        match extensions.get::<RequestContext>()? {
            RequestContext::ApiGatewayV1(context) => rest::identity(context),
            RequestContext::ApiGatewayV2(context) => http_api::identity(context),
            _ => None,
        }
    }
}
