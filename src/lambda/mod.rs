//! AWS Lambda (feature `lambda`).
//!
//! - [`authorizer`]: an API Gateway Lambda authorizer built from any tollgate provider.

pub mod authorizer;
