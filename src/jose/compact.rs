//! Compact JWS parsing (RFC 7515 §7.1): split, decode and read the header of a token that is
//! not yet verified.
//!
//! Everything here runs on attacker-controlled bytes, so every step is total: a malformed
//! input is a [`Reason`], never a panic.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::strict_json::StrictObject;
use super::Algorithm;
use crate::error::Reason;

/// A JWS in compact serialization, split and decoded but not yet verified.
pub(crate) struct UnverifiedToken<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    /// The header's `typ`, read only to enforce RFC 9068's `at+jwt` when configured.
    pub(crate) typ: Option<String>,
    /// `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) signature: Vec<u8>,
    pub(crate) claims: Map<String, Value>,
}

/// Splits and decodes `token`, checking the header against `allowed` algorithms.
pub(crate) fn parse<'a>(
    token: &'a str,
    allowed: &[Algorithm],
) -> Result<UnverifiedToken<'a>, Reason> {
    let [header_b64, payload_b64, signature_b64] = segments(token)?;

    let header_json = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| Reason::Malformed)?;
    // Unique member names in the header too (RFC 7515 §4), and the same depth limit as claims.
    let StrictObject(mut header) =
        serde_json::from_slice(&header_json).map_err(|_| Reason::Malformed)?;
    // `crit` present at all, even as `null`, means the token relies on an extension tollgate
    // does not implement (RFC 7515 §4.1.11).
    if header.contains_key("crit") {
        return Err(Reason::UnsupportedCritical);
    }
    // Only what verification needs is read: `jku`, `x5u`, `jwk` and `x5c` are never looked at,
    // so they can never be followed or trusted.
    let Some(Value::String(alg)) = header.get("alg") else {
        return Err(Reason::Malformed);
    };
    let alg = Algorithm::from_jose(alg)
        .filter(|alg| allowed.contains(alg))
        .ok_or(Reason::AlgorithmNotAllowed)?;
    let kid = optional_string(&mut header, "kid")?;
    let typ = optional_string(&mut header, "typ")?;

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| Reason::Malformed)?;
    let claims = decode_claims(payload_b64)?;

    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    Ok(UnverifiedToken {
        alg,
        kid,
        typ,
        signing_input: token
            .as_bytes()
            .get(..signing_input_len)
            .ok_or(Reason::Malformed)?,
        signature,
        claims,
    })
}

/// The claims of `token`, read by the same rules as [`parse`] without looking at the header or
/// the signature, and verifying nothing: only to route the token to the provider that verifies
/// it (`Providers` reads `iss`).
pub(crate) fn unverified_claims(token: &str) -> Result<Map<String, Value>, Reason> {
    let [_, payload_b64, _] = segments(token)?;
    decode_claims(payload_b64)
}

/// The three segments of a compact JWS, none of them empty.
fn segments(token: &str) -> Result<[&str; 3], Reason> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None)
            if !header.is_empty() && !payload.is_empty() && !signature.is_empty() =>
        {
            Ok([header, payload, signature])
        }
        _ => Err(Reason::Malformed),
    }
}

/// The payload segment as a JSON object with unique member names.
fn decode_claims(payload_b64: &str) -> Result<Map<String, Value>, Reason> {
    let json = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| Reason::Malformed)?;
    let StrictObject(claims) = serde_json::from_slice(&json).map_err(|_| Reason::Malformed)?;
    Ok(claims)
}

/// A header member that, when present and not `null`, must be a string.
pub(crate) fn optional_string(
    header: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<String>, Reason> {
    match header.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Reason::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Algorithm] = Algorithm::ASYMMETRIC;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    #[test]
    fn splits_a_well_formed_token() {
        let t = token(
            r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            r#"{"sub":"a"}"#,
        );
        let parsed = parse(&t, ALL).map_err(|r| format!("{r:?}"));
        let Ok(parsed) = parsed else {
            panic!("{parsed:?}", parsed = parsed.err())
        };
        assert_eq!(parsed.alg, Algorithm::RS256);
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.claims.get("sub"), Some(&Value::String("a".into())));
        assert!(t.starts_with(std::str::from_utf8(parsed.signing_input).unwrap_or("\u{0}")));
    }

    #[test]
    fn rejects_malformed_shapes() {
        let good_h = b64(r#"{"alg":"RS256"}"#);
        let good_p = b64(r#"{"exp":1}"#);
        let cases = [
            String::new(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{good_h}.{good_p}."),
            format!("{good_h}..c2ln"),
            format!("{good_h}.{good_p}=.c2ln"),
            format!("{good_h} .{good_p}.c2ln"),
            format!("{}.{good_p}.c2ln", b64("not json")),
            format!("{}.{good_p}.c2ln", b64(r#"{"alg":1}"#)),
            format!("{}.{good_p}.c2ln", b64(r#"{"alg":"RS256","alg":"ES256"}"#)),
            format!(
                "{}.{good_p}.c2ln",
                b64(r#"{"alg":"RS256","typ":"a","typ":"b"}"#)
            ),
            format!(
                "{}.{good_p}.c2ln",
                b64(&format!(
                    r#"{{"alg":"RS256","x":{}1{}}}"#,
                    "[".repeat(200),
                    "]".repeat(200)
                ))
            ),
            format!("{good_h}.{}.c2ln", b64("[1,2]")),
            format!("{good_h}.{}.c2ln", b64("\"str\"")),
            format!("{good_h}.{}.c2ln", b64(r#"{"exp":1,"exp":2}"#)),
            format!("{good_h}.{}.c2ln", b64(&"[".repeat(200))),
        ];
        for case in cases {
            assert_eq!(parse(&case, ALL).err(), Some(Reason::Malformed), "{case}");
        }
    }

    #[test]
    fn rejects_none_hmac_unknown_and_crit() {
        for alg in ["none", "None", "HS256", "HS512", "ES512", "RS1", ""] {
            let t = token(&format!(r#"{{"alg":"{alg}"}}"#), "{}");
            assert_eq!(
                parse(&t, ALL).err(),
                Some(Reason::AlgorithmNotAllowed),
                "{alg}"
            );
        }
        let t = token(r#"{"alg":"ES256"}"#, "{}");
        assert_eq!(
            parse(&t, &[Algorithm::RS256]).err(),
            Some(Reason::AlgorithmNotAllowed)
        );
        let t = token(r#"{"alg":"RS256","crit":["exp"],"exp":1}"#, "{}");
        assert_eq!(parse(&t, ALL).err(), Some(Reason::UnsupportedCritical));
        let t = token(r#"{"alg":"RS256","b64":false,"crit":["b64"]}"#, "{}");
        assert_eq!(parse(&t, ALL).err(), Some(Reason::UnsupportedCritical));
        let t = token(r#"{"alg":"RS256","crit":null}"#, "{}");
        assert_eq!(parse(&t, ALL).err(), Some(Reason::UnsupportedCritical));
    }
}
