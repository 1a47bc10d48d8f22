//! The ALB's user-claims token (`x-amzn-oidc-data`), split and decoded strictly: three padded
//! base64url segments, a header with unique members naming `alg: ES256`, a `kid` that is safe
//! to put in a URL path, `signer`, `exp` and optional `client` and `iss`; a JSON-object payload;
//! a 64-byte `r ‖ s` signature. Nothing is verified here.
//!
//! Everything here runs on attacker-controlled bytes, so every step is total: a malformed
//! input is a [`Reason`], never a panic.

use base64::engine::general_purpose::URL_SAFE;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::Reason;
use crate::jose::{numeric_date, optional_string, StrictObject};

/// The longest `kid` accepted. The ALB's are UUIDs (36 characters).
pub(crate) const MAX_KID_LEN: usize = 64;

/// An ALB token, decoded but not verified.
#[derive(Debug)]
pub(crate) struct AlbToken<'a> {
    /// The key id: only `[A-Za-z0-9-]`, 1 to [`MAX_KID_LEN`] characters.
    pub(crate) kid: String,
    /// The ARN of the load balancer that (claims to have) signed it.
    pub(crate) signer: String,
    /// The OIDC client id the ALB authenticated the user with.
    pub(crate) client: Option<String>,
    /// The identity provider's issuer, as the ALB put it in the header.
    pub(crate) iss: Option<String>,
    /// The header's `exp` (required), in seconds since the Unix epoch.
    pub(crate) exp: f64,
    /// `header "." payload` exactly as sent, padding included: what the ALB signed.
    pub(crate) signing_input: &'a [u8],
    /// The ES256 signature, `r ‖ s`.
    pub(crate) signature: Vec<u8>,
    /// The payload: the identity provider's user claims.
    pub(crate) claims: Map<String, Value>,
}

/// Splits and decodes `token`, checking everything that needs no configuration.
pub(crate) fn parse(token: &str) -> Result<AlbToken<'_>, Reason> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reason::Malformed);
    };
    let StrictObject(mut header) = json_object(header_b64)?;
    // An extension the ALB never uses; a verifier that ignored it could be told to read the
    // token differently from how it checks it (RFC 7515 §4.1.11).
    if header.contains_key("crit") {
        return Err(Reason::UnsupportedCritical);
    }
    // Exactly ES256: `none`, HMAC and every other algorithm are refused before a key is
    // looked at, so no key is ever used with an algorithm it was not made for.
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "ES256" => {}
        Some(Value::String(_)) => return Err(Reason::AlgorithmNotAllowed),
        _ => return Err(Reason::Malformed),
    }
    let kid = required_string(&mut header, "kid")?;
    if !is_safe_kid(&kid) {
        return Err(Reason::Malformed);
    }
    let signer = required_string(&mut header, "signer")?;
    let client = optional_string(&mut header, "client")?;
    let iss = optional_string(&mut header, "iss")?;
    let exp = numeric_date(header.get("exp"))?.ok_or(Reason::MissingClaim)?;

    let StrictObject(claims) = json_object(payload_b64)?;
    let signature = decode_segment(signature_b64)?;
    if signature.len() != 64 {
        return Err(Reason::Malformed);
    }
    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    Ok(AlbToken {
        kid,
        signer,
        client,
        iss,
        exp,
        signing_input: token
            .as_bytes()
            .get(..signing_input_len)
            .ok_or(Reason::Malformed)?,
        signature,
        claims,
    })
}

/// Whether `kid` can be appended to the key URL as one path segment with no encoding and no
/// meaning to a URL parser: no `/`, `.`, `%`, `?`, `#`, nothing outside `[A-Za-z0-9-]`.
pub(crate) fn is_safe_kid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len())
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One segment as padded base64url (the ALB's format): the padding must be exactly what the
/// length calls for, so an unpadded or over-padded segment is refused, as is the standard
/// alphabet (`+`, `/`) and non-canonical trailing bits.
fn decode_segment(segment: &str) -> Result<Vec<u8>, Reason> {
    if segment.is_empty() {
        return Err(Reason::Malformed);
    }
    URL_SAFE.decode(segment).map_err(|_| Reason::Malformed)
}

/// A segment holding one JSON object with unique member names.
fn json_object(segment: &str) -> Result<StrictObject, Reason> {
    serde_json::from_slice(&decode_segment(segment)?).map_err(|_| Reason::Malformed)
}

fn required_string(header: &mut Map<String, Value>, name: &str) -> Result<String, Reason> {
    optional_string(header, name)?.ok_or(Reason::Malformed)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::*;

    const SIGNER: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/50dc6c495c0c9188";

    fn header(extra: &str) -> String {
        format!(
            r#"{{"typ":"JWT","kid":"0f3c0b5e-1f5e-4c1e-9a39-6f5f3e1b2c3d","alg":"ES256","iss":"https://idp","client":"c1","signer":"{SIGNER}","exp":2000000000{extra}}}"#
        )
    }

    fn token(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE.encode(header),
            URL_SAFE.encode(payload),
            URL_SAFE.encode([7u8; 64])
        )
    }

    #[test]
    fn reads_a_well_formed_token() {
        let t = token(&header(""), r#"{"sub":"alice","exp":2000000000}"#);
        assert!(t.contains('='), "the test token is padded: {t}");
        let parsed = parse(&t).map_err(|r| format!("{r:?}"));
        let Ok(parsed) = parsed else {
            panic!("{:?}", parsed.err())
        };
        assert_eq!(parsed.kid, "0f3c0b5e-1f5e-4c1e-9a39-6f5f3e1b2c3d");
        assert_eq!(parsed.signer, SIGNER);
        assert_eq!(parsed.client.as_deref(), Some("c1"));
        assert_eq!(parsed.iss.as_deref(), Some("https://idp"));
        assert_eq!(parsed.exp, 2_000_000_000.0);
        assert_eq!(parsed.signature, [7u8; 64]);
        assert_eq!(parsed.claims.get("sub"), Some(&Value::from("alice")));
        let (input, _) = t.rsplit_once('.').unwrap_or_default();
        assert_eq!(parsed.signing_input, input.as_bytes());
    }

    #[test]
    fn refuses_other_encodings_and_shapes() {
        // JSON allows trailing spaces: enough of them that each segment needs padding.
        let mut padded_header = header("");
        while padded_header.len().is_multiple_of(3) {
            padded_header.push(' ');
        }
        let good = token(&padded_header, r#"{"sub":"a"}"#);
        assert_eq!(good.matches("=.").count(), 2, "{good}");
        let [h, p, s]: [&str; 3] = good
            .split('.')
            .collect::<Vec<_>>()
            .try_into()
            .unwrap_or_default();
        let unpadded = |seg: &str| seg.trim_end_matches('=').to_owned();
        let cases = [
            String::new(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.{s}"),
            format!("{h}.{p}."),
            format!("{h}..{s}"),
            format!("{}.{p}.{s}", unpadded(h)),
            format!("{h}.{}.{s}", unpadded(p)),
            format!("{h}.{p}.{}", unpadded(s)),
            format!("{h}=.{p}.{s}"),
            format!("{h}.{p}.{s}=="),
            // The standard alphabet, and a signature of the wrong length.
            format!("{h}.{p}.{}", STANDARD.encode([0xfbu8; 64])),
            format!("{h}.{p}.{}", URL_SAFE.encode([1u8; 63])),
            format!("{h}.{p}.{}", URL_SAFE.encode([1u8; 72])),
            // JSON that is not one object with unique members.
            token(&header(r#","alg":"ES256""#), "{}"),
            token(&header(r#","signer":"x""#), "{}"),
            token(&header(""), r#"{"sub":"a","sub":"b"}"#),
            token(&header(""), "[]"),
            token("[]", "{}"),
            token("not json", "{}"),
            // Required header members missing or mistyped.
            token(r#"{"alg":"ES256","signer":"s","exp":1}"#, "{}"),
            token(r#"{"alg":"ES256","kid":"k","exp":1}"#, "{}"),
            token(r#"{"alg":"ES256","kid":7,"signer":"s","exp":1}"#, "{}"),
            token(
                r#"{"alg":"ES256","kid":"k","signer":"s","client":1,"exp":1}"#,
                "{}",
            ),
            token(r#"{"kid":"k","signer":"s","exp":1}"#, "{}"),
        ];
        for case in cases {
            assert_eq!(parse(&case).err(), Some(Reason::Malformed), "{case}");
        }
        // Unpadded base64url is what standard JWT libraries write: the ALB never does.
        let no_pad = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header("")),
            URL_SAFE_NO_PAD.encode("{}"),
            URL_SAFE_NO_PAD.encode([7u8; 64])
        );
        assert_eq!(parse(&no_pad).err(), Some(Reason::Malformed));
    }

    #[test]
    fn refuses_other_algorithms_crit_and_bad_expiry() {
        for alg in ["none", "HS256", "RS256", "ES384", "es256", "EdDSA", ""] {
            let h = header("").replace("\"ES256\"", &format!("\"{alg}\""));
            assert_eq!(
                parse(&token(&h, "{}")).err(),
                Some(Reason::AlgorithmNotAllowed),
                "{alg}"
            );
        }
        assert_eq!(
            parse(&token(&header(r#","crit":["signer"]"#), "{}")).err(),
            Some(Reason::UnsupportedCritical)
        );
        let without_exp = header("").replace(r#","exp":2000000000"#, "");
        assert_eq!(
            parse(&token(&without_exp, "{}")).err(),
            Some(Reason::MissingClaim)
        );
        let string_exp = header("").replace("2000000000", "\"2000000000\"");
        assert_eq!(
            parse(&token(&string_exp, "{}")).err(),
            Some(Reason::InvalidClaim)
        );
    }

    #[test]
    fn only_plain_kids_can_reach_the_key_url() {
        for kid in ["0f3c0b5e-1f5e-4c1e-9a39-6f5f3e1b2c3d", "abc", "A-1"] {
            assert!(is_safe_kid(kid), "{kid}");
        }
        let long = "a".repeat(MAX_KID_LEN + 1);
        for kid in [
            "", "../x", "a/b", "%2e%2e", "x?y", "x#y", "a.b", "a b", "a\\b", "ä", &long,
        ] {
            assert!(!is_safe_kid(kid), "{kid}");
            let h = header("").replace("0f3c0b5e-1f5e-4c1e-9a39-6f5f3e1b2c3d", kid);
            assert_eq!(
                parse(&token(&h, "{}")).err(),
                Some(Reason::Malformed),
                "{kid}"
            );
        }
    }
}
