//! Compact JWS parsing and registered-claim checks (RFC 7515, RFC 7519, RFC 8725).
//!
//! Everything here runs on attacker-controlled bytes, so every step is total: a malformed
//! input is a [`Reason`], never a panic.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{self, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Algorithm;
use crate::error::Reason;

/// A JWS in compact serialization, split and decoded but not yet verified.
pub(crate) struct UnverifiedToken<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    /// `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) signature: Vec<u8>,
    pub(crate) claims: Map<String, Value>,
}

/// The protected header. Only what verification needs is read; `jku`, `x5u`, `jwk` and `x5c`
/// are deliberately not fields, so they can never be followed or trusted.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Splits and decodes `token`, checking the header against `allowed` algorithms.
pub(crate) fn parse<'a>(
    token: &'a str,
    allowed: &[Algorithm],
) -> Result<UnverifiedToken<'a>, Reason> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reason::Malformed);
    };
    if header_b64.is_empty() || payload_b64.is_empty() || signature_b64.is_empty() {
        return Err(Reason::Malformed);
    }

    let header_json = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| Reason::Malformed)?;
    // Unique member names in the header too (RFC 7515 §4), and the same depth limit as claims.
    let StrictObject(header) =
        serde_json::from_slice(&header_json).map_err(|_| Reason::Malformed)?;
    // `crit` present at all, even as `null`, means the token relies on an extension tollgate
    // does not implement (RFC 7515 §4.1.11).
    if header.contains_key("crit") {
        return Err(Reason::UnsupportedCritical);
    }
    let header: Header =
        serde_json::from_value(Value::Object(header)).map_err(|_| Reason::Malformed)?;
    let alg = Algorithm::from_jose(&header.alg)
        .filter(|alg| allowed.contains(alg))
        .ok_or(Reason::AlgorithmNotAllowed)?;

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| Reason::Malformed)?;
    let payload_json = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| Reason::Malformed)?;
    let StrictObject(claims) =
        serde_json::from_slice(&payload_json).map_err(|_| Reason::Malformed)?;

    let signing_input_len = header_b64.len() + 1 + payload_b64.len();
    Ok(UnverifiedToken {
        alg,
        kid: header.kid,
        signing_input: token
            .as_bytes()
            .get(..signing_input_len)
            .ok_or(Reason::Malformed)?,
        signature,
        claims,
    })
}

/// A JSON object whose top-level keys are unique. Two `exp` or two `iss` members would let a
/// verifier and a downstream reader disagree on the token's meaning (RFC 7519 §4 says to reject).
struct StrictObject(Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with unique member names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.insert(key, value).is_some() {
                        return Err(de::Error::custom("duplicate member"));
                    }
                }
                Ok(StrictObject(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// The registered-claim policy of one provider.
#[derive(Debug, Clone)]
pub(crate) struct ClaimPolicy {
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) required: Vec<String>,
}

/// What the checks learned, for building the principal.
#[derive(Debug)]
pub(crate) struct CheckedClaims {
    pub(crate) expires_at: u64,
}

impl ClaimPolicy {
    /// Checks `exp` (required), `nbf`, `iat` (type only), `iss`, `aud` and required claims at
    /// `now` (seconds since the Unix epoch).
    pub(crate) fn check(
        &self,
        claims: &Map<String, Value>,
        now: u64,
    ) -> Result<CheckedClaims, Reason> {
        let leeway = self.leeway as f64;
        let now = now as f64;

        let exp = numeric_date(claims.get("exp"))?.ok_or(Reason::MissingClaim)?;
        if now >= exp + leeway {
            return Err(Reason::Expired);
        }
        if let Some(nbf) = numeric_date(claims.get("nbf"))? {
            if now + leeway < nbf {
                return Err(Reason::NotYetValid);
            }
        }
        numeric_date(claims.get("iat"))?;

        match claims.get("iss") {
            None => return Err(Reason::MissingClaim),
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(Value::String(_)) => return Err(Reason::WrongIssuer),
            Some(_) => return Err(Reason::InvalidClaim),
        }

        let audience_ok = match claims.get("aud") {
            None => return Err(Reason::MissingClaim),
            Some(Value::String(aud)) => self.audiences.contains(aud),
            Some(Value::Array(auds)) => {
                let mut ok = false;
                for aud in auds {
                    let Value::String(aud) = aud else {
                        return Err(Reason::InvalidClaim);
                    };
                    ok |= self.audiences.contains(aud);
                }
                ok
            }
            Some(_) => return Err(Reason::InvalidClaim),
        };
        if !audience_ok {
            return Err(Reason::WrongAudience);
        }

        if !matches!(claims.get("sub"), None | Some(Value::String(_))) {
            return Err(Reason::InvalidClaim);
        }
        for name in &self.required {
            if matches!(claims.get(name), None | Some(Value::Null)) {
                return Err(Reason::MissingClaim);
            }
        }

        // `exp` was checked to be finite and in the future, so it is positive here.
        Ok(CheckedClaims {
            expires_at: exp as u64,
        })
    }
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly fractional. Strings, booleans
/// and other types are refused rather than coerced.
fn numeric_date(value: Option<&Value>) -> Result<Option<f64>, Reason> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(secs) if secs.is_finite() => Ok(Some(secs)),
            _ => Err(Reason::InvalidClaim),
        },
        Some(_) => Err(Reason::InvalidClaim),
    }
}

/// Every string in the named claims, in order: a claim may be a space-delimited string (as
/// `scope` is in RFC 8693 / RFC 9068) or an array of strings (as `scp`, `groups`, `roles` and
/// `permissions` usually are); other values and non-string array items are ignored.
pub(crate) fn strings_from(claims: &Map<String, Value>, names: &[Box<str>]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        match claims.get(&**name) {
            Some(Value::String(s)) => {
                out.extend(s.split(' ').filter(|s| !s.is_empty()).map(str::to_owned))
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
    }
    out
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

    fn policy() -> ClaimPolicy {
        ClaimPolicy {
            issuer: "https://iss".into(),
            audiences: vec!["api".into(), "other".into()],
            leeway: 60,
            required: vec!["sub".into()],
        }
    }

    fn check(json: &str) -> Result<u64, Reason> {
        let claims: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
        policy().check(&claims, 1_000_000).map(|c| c.expires_at)
    }

    #[test]
    fn registered_claims() {
        let ok = r#""iss":"https://iss","sub":"u""#;
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":1000100}}"#)),
            Ok(1_000_100)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":["x","other"],"exp":1000100.5}}"#)),
            Ok(1_000_100)
        );
        // exp within leeway is accepted; at exp + leeway it is expired.
        assert!(check(&format!(r#"{{{ok},"aud":"api","exp":999950}}"#)).is_ok());
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":999940}}"#)),
            Err(Reason::Expired)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":-5}}"#)),
            Err(Reason::Expired)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api"}}"#)),
            Err(Reason::MissingClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":"1000100"}}"#)),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":null}}"#)),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":1e300}}"#)),
            Ok(u64::MAX)
        );
        assert_eq!(
            check(&format!(
                r#"{{{ok},"aud":"api","exp":1000100,"nbf":1000061}}"#
            )),
            Err(Reason::NotYetValid)
        );
        assert!(check(&format!(
            r#"{{{ok},"aud":"api","exp":1000100,"nbf":1000059}}"#
        ))
        .is_ok());
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":1000100,"nbf":"0"}}"#)),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"api","exp":1000100,"iat":true}}"#)),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(r#"{"sub":"u","aud":"api","exp":1000100}"#),
            Err(Reason::MissingClaim)
        );
        assert_eq!(
            check(r#"{"iss":"https://iss/","sub":"u","aud":"api","exp":1000100}"#),
            Err(Reason::WrongIssuer)
        );
        assert_eq!(
            check(r#"{"iss":["https://iss"],"sub":"u","aud":"api","exp":1000100}"#),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"exp":1000100}}"#)),
            Err(Reason::MissingClaim)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":"API","exp":1000100}}"#)),
            Err(Reason::WrongAudience)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":[],"exp":1000100}}"#)),
            Err(Reason::WrongAudience)
        );
        assert_eq!(
            check(&format!(r#"{{{ok},"aud":["api",1],"exp":1000100}}"#)),
            Err(Reason::InvalidClaim)
        );
        assert_eq!(
            check(r#"{"iss":"https://iss","aud":"api","exp":1000100}"#),
            Err(Reason::MissingClaim)
        );
        assert_eq!(
            check(r#"{"iss":"https://iss","sub":7,"aud":"api","exp":1000100}"#),
            Err(Reason::InvalidClaim)
        );
    }

    #[test]
    fn scopes_from_scope_and_scp() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"scope":"read  write","scp":["admin",3]}"#)
                .unwrap_or_default();
        let names: Vec<Box<str>> = vec!["scope".into(), "scp".into()];
        assert_eq!(strings_from(&claims, &names), ["read", "write", "admin"]);
    }
}
