//! Entry points for tollgate's cargo-fuzz targets in `fuzz/`, compiled only with the internal
//! `fuzzing` feature. They hand crate-private parsers to the fuzzer; they are not part of the
//! API, carry no semver promise, and are not for use outside fuzzing. (The verify target needs
//! none of this: it drives a real [`JwtProvider`](crate::jwt::JwtProvider) through the public
//! API.)

use http::request::Parts;

use crate::credential::{Credential, CredentialSource, Extractor};
use crate::error::{AuthError, Reason};
use crate::jwks::{JwksDocument, KeySet};
use crate::jwt::{parse, Algorithm, ClaimPolicy};

/// Credential extraction from `parts`, reading `sources` with a `max_len` byte limit.
///
/// # Errors
/// As the layer would reject the request.
pub fn extract_credential(
    parts: &Parts,
    sources: Vec<CredentialSource>,
    max_len: usize,
) -> Result<Option<Credential>, AuthError> {
    Extractor { sources, max_len }.extract(parts)
}

/// Parses `token` as a compact JWS for any asymmetric algorithm and, if it parses, checks its
/// registered claims at `now` against a fixed policy (the issuer and audience of the token
/// vectors, `sub` required). The signature is not verified.
///
/// # Errors
/// The reason the token or its claims are refused.
pub fn parse_token(token: &str, now: u64) -> Result<u64, Reason> {
    let parsed = parse(token, Algorithm::ASYMMETRIC)?;
    let policy = ClaimPolicy {
        issuer: "https://issuer.tollgate.test".into(),
        audiences: vec!["tollgate-vectors".into()],
        leeway: 60,
        required: vec!["sub".into()],
        restrictions: Default::default(),
    };
    Ok(policy.check(&parsed.claims, now)?.expires_at)
}

/// Parses `json` as a JWKS document: the number of usable keys, or `None` if it is not one.
pub fn parse_jwks(json: &[u8]) -> Option<usize> {
    let doc: JwksDocument = serde_json::from_slice(json).ok()?;
    Some(KeySet::parse(doc).len())
}
