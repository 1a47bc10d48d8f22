//! JOSE itself (RFC 7515, RFC 7518): the signature algorithms tollgate verifies and the parser
//! of compact-serialized tokens, and the strict readers of their JSON. Both [`jwt`](crate::jwt) (verifying tokens) and
//! [`jwks`](crate::jwks) (reading keys) build on it; it depends on neither.

mod algorithm;
mod compact;
#[cfg(any(feature = "dev-issuer", feature = "issuer"))]
mod key_pair;
mod registered_claims;
mod strict_json;

pub(crate) use algorithm::KeyFamily;
pub use algorithm::{Algorithm, UnknownAlgorithm};
pub(crate) use compact::{optional_string, parse, unverified_claims};
#[cfg(any(feature = "dev-issuer", feature = "issuer"))]
pub(crate) use key_pair::KeyPair;
pub(crate) use registered_claims::{audience_accepted, numeric_date};
pub(crate) use strict_json::StrictObject;
