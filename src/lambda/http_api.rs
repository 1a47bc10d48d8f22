//! The identities in an HTTP API (payload 2.0) or Function URL request context: a JWT
//! authorizer's claims and scopes, a Lambda authorizer's context, and IAM callers.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizerIamDescription, ApiGatewayV2httpRequestContext,
};
use serde_json::{Map, Value};

use super::claims::{destringified, present, principal, scalar_text};
use super::GatewayIdentity;
use crate::principal::Principal;

/// The identity the HTTP API's authorizer (JWT, Lambda or IAM) or the Function URL's IAM
/// authorization verified, if any.
pub(super) fn identity(context: &ApiGatewayV2httpRequestContext) -> Option<Principal> {
    let authorizer = context.authorizer.as_ref()?;
    if let Some(jwt) = &authorizer.jwt {
        let claims = destringified(
            jwt.claims
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone()))),
        );
        return Some(principal(
            GatewayIdentity::JWT,
            None,
            jwt.scopes.as_deref(),
            claims,
        ));
    }
    if !authorizer.fields.is_empty() {
        let subject = authorizer.fields.get("principalId").and_then(scalar_text);
        let claims = destringified(authorizer.fields.clone());
        return Some(principal(GatewayIdentity::LAMBDA, subject, None, claims));
    }
    authorizer.iam.as_ref().and_then(iam)
}

/// An IAM caller: subject the identity-pool identity for Cognito identity-pool credentials, else
/// the caller's ARN.
fn iam(iam: &ApiGatewayRequestAuthorizerIamDescription) -> Option<Principal> {
    let pool = iam.cognito_identity.as_ref();
    let pool_identity = pool.and_then(|c| present(&c.identity_id));
    let subject = pool_identity.or(present(&iam.user_arn))?;
    let mut claims = Map::new();
    for (name, value) in [
        ("userArn", &iam.user_arn),
        ("userId", &iam.user_id),
        ("callerId", &iam.caller_id),
        ("accountId", &iam.account_id),
        ("accessKey", &iam.access_key),
        ("principalOrgId", &iam.principal_org_id),
    ] {
        if let Some(value) = present(value) {
            claims.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    }
    let issuer = pool_identity.and(pool.and_then(|c| present(&c.identity_pool_id)));
    if let Some(pool) = pool {
        let mut cognito = Map::new();
        if let Some(id) = present(&pool.identity_id) {
            cognito.insert("identityId".to_owned(), Value::String(id.to_owned()));
        }
        if let Some(id) = present(&pool.identity_pool_id) {
            cognito.insert("identityPoolId".to_owned(), Value::String(id.to_owned()));
        }
        let amr = pool.amr.iter().cloned().map(Value::String).collect();
        cognito.insert("amr".to_owned(), Value::Array(amr));
        claims.insert("cognitoIdentity".to_owned(), Value::Object(cognito));
    }
    Some(
        Principal::builder(GatewayIdentity::IAM)
            .subject(Some(subject.to_owned()))
            .issuer(issuer.map(str::to_owned))
            .claims(claims)
            .build(),
    )
}
