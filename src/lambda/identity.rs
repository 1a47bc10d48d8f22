//! [`GatewayIdentity`]: which identity in a Lambda request context becomes the principal.

use http::Extensions;
use lambda_http::request::RequestContext;

use super::{http_api, rest};
use crate::principal::Principal;

/// Trusts the identity API Gateway (or a Function URL) verified before invoking the function:
/// the principal comes from the request context `lambda_http` built from the Lambda event, never
/// from a header. Give it to [`AuthLayerBuilder::trust_gateway`](crate::auth::AuthLayerBuilder::trust_gateway).
///
/// See the [module documentation](super) for the trust boundary and what each kind becomes.
#[derive(Debug, Clone, Default)]
pub struct GatewayIdentity {
    _private: (),
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

    /// The principal of the identity the gateway verified, or `None` when the context carries
    /// none (no authorizer, an ALB, a Function URL without IAM authorization, or fields this
    /// version does not recognise).
    pub fn principal(&self, context: &RequestContext) -> Option<Principal> {
        match context {
            RequestContext::ApiGatewayV1(context) => rest::identity(context),
            RequestContext::ApiGatewayV2(context) => http_api::identity(context),
            _ => None,
        }
    }

    /// The principal of the request context `lambda_http` stored in `extensions`, if any.
    pub(crate) fn principal_in(&self, extensions: &Extensions) -> Option<Principal> {
        extensions
            .get::<RequestContext>()
            .and_then(|context| self.principal(context))
    }
}
