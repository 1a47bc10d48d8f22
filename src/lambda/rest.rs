//! The identities in a REST API (payload 1.0) request context: a Cognito user-pool authorizer's
//! claims, a Lambda authorizer's `principalId` and context, IAM callers, and API keys.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayRequestIdentity,
};
use serde_json::{Map, Value};

use super::claims::{destringified, present, principal, scalar_text};
use super::GatewayIdentity;
use crate::principal::Principal;

/// The identity API Gateway verified for this REST API request, if any, in this order: the
/// authorizer's (Cognito user pool, then Lambda), the IAM caller's, the API key's.
pub(super) fn identity(context: &ApiGatewayProxyRequestContext) -> Option<Principal> {
    let authorizer = &context.authorizer.fields;
    if let Some(Value::Object(claims)) = authorizer.get("claims") {
        return Some(principal(
            GatewayIdentity::COGNITO,
            None,
            None,
            destringified(claims.clone()),
        ));
    }
    if let Some(subject) = authorizer.get("principalId").and_then(scalar_text) {
        let claims = destringified(authorizer.clone());
        return Some(principal(
            GatewayIdentity::LAMBDA,
            Some(subject),
            None,
            claims,
        ));
    }
    iam(&context.identity).or_else(|| api_key(&context.identity))
}

/// An IAM caller (SigV4-signed request): subject the identity-pool identity when the caller used
/// Cognito identity-pool credentials (every user of a pool shares the role's ARN), else the
/// caller's ARN.
fn iam(identity: &ApiGatewayRequestIdentity) -> Option<Principal> {
    let pool_identity = present(&identity.cognito_identity_id);
    let subject = pool_identity.or(present(&identity.user_arn))?;
    let mut claims = Map::new();
    for (name, value) in [
        ("userArn", &identity.user_arn),
        ("user", &identity.user),
        ("caller", &identity.caller),
        ("accountId", &identity.account_id),
        ("accessKey", &identity.access_key),
        ("cognitoIdentityId", &identity.cognito_identity_id),
        ("cognitoIdentityPoolId", &identity.cognito_identity_pool_id),
        (
            "cognitoAuthenticationType",
            &identity.cognito_authentication_type,
        ),
        (
            "cognitoAuthenticationProvider",
            &identity.cognito_authentication_provider,
        ),
    ] {
        if let Some(value) = present(value) {
            claims.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    }
    let issuer = pool_identity.and(present(&identity.cognito_identity_pool_id));
    Some(
        Principal::builder(GatewayIdentity::IAM)
            .subject(Some(subject.to_owned()))
            .issuer(issuer.map(str::to_owned))
            .claims(claims)
            .build(),
    )
}

/// A request whose API key the gateway checked against a usage plan. The key itself
/// (`identity.apiKey`) is a secret and is never copied into the principal; its id is the subject.
fn api_key(identity: &ApiGatewayRequestIdentity) -> Option<Principal> {
    let id = present(&identity.api_key_id)?;
    let mut claims = Map::new();
    claims.insert("apiKeyId".to_owned(), Value::String(id.to_owned()));
    Some(
        Principal::builder(GatewayIdentity::API_KEY)
            .subject(Some(id.to_owned()))
            .claims(claims)
            .build(),
    )
}
