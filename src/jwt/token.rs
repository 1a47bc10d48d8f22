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
fn optional_string(header: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Reason> {
    match header.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Reason::Malformed),
    }
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
    pub(crate) restrictions: Restrictions,
}

/// Checks beyond the registered claims, set by the IdP presets (and, for `at+jwt`, by the
/// generic builder). The default checks nothing more.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restrictions {
    /// Where the accepted audiences are looked for.
    pub(crate) audience: AudienceRule,
    /// Accepted `token_use` values (Cognito); empty means the claim is not read.
    pub(crate) token_use: Vec<String>,
    /// A claim naming the OAuth client, and the accepted clients (Okta's `cid`); `None` means
    /// any client.
    pub(crate) client: Option<(Box<str>, Vec<String>)>,
    /// RFC 9068: the header's `typ` must be `at+jwt` (or `application/at+jwt`).
    pub(crate) require_at_jwt: bool,
}

/// Which claim must name one of the accepted audiences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum AudienceRule {
    /// `aud` (RFC 7519), a string or an array of strings.
    #[default]
    Aud,
    /// Cognito: access tokens carry no `aud` and name their app client in `client_id`; ID
    /// tokens name it in `aud`. Which one is read follows `token_use`, which must be `access`
    /// or `id`.
    CognitoTokenUse,
}

/// What the checks learned, for building the principal.
#[derive(Debug)]
pub(crate) struct CheckedClaims {
    pub(crate) expires_at: u64,
    /// `exp` and `nbf` as read, for re-checking a cached token.
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
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
        let nbf = numeric_date(claims.get("nbf"))?;
        if nbf.is_some_and(|nbf| now + leeway < nbf) {
            return Err(Reason::NotYetValid);
        }
        numeric_date(claims.get("iat"))?;

        match claims.get("iss") {
            None => return Err(Reason::MissingClaim),
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(Value::String(_)) => return Err(Reason::WrongIssuer),
            Some(_) => return Err(Reason::InvalidClaim),
        }

        self.check_token_use(claims)?;
        let audience_claim = match self.restrictions.audience {
            AudienceRule::Aud => "aud",
            AudienceRule::CognitoTokenUse => match claims.get("token_use") {
                Some(Value::String(u)) if u == "access" => "client_id",
                Some(Value::String(u)) if u == "id" => "aud",
                Some(Value::String(_)) => return Err(Reason::WrongTokenType),
                None => return Err(Reason::MissingClaim),
                Some(_) => return Err(Reason::InvalidClaim),
            },
        };
        let audience_ok = match claims.get(audience_claim) {
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
        if let Some((claim, clients)) = &self.restrictions.client {
            match claims.get(&**claim) {
                Some(Value::String(client)) if clients.contains(client) => {}
                Some(Value::String(_)) => return Err(Reason::WrongClient),
                None => return Err(Reason::MissingClaim),
                Some(_) => return Err(Reason::InvalidClaim),
            }
        }

        if !matches!(claims.get("sub"), None | Some(Value::String(_))) {
            return Err(Reason::InvalidClaim);
        }
        for name in &self.required {
            if matches!(claims.get(name), None | Some(Value::Null)) {
                return Err(Reason::MissingClaim);
            }
        }

        // `exp` was checked to be in the future, so it is positive here; past what a
        // `SystemTime` holds (`1e300`), `PrincipalBuilder::expires_at` clamps it, never loses it.
        Ok(CheckedClaims {
            expires_at: exp as u64,
            exp,
            nbf,
        })
    }
}

impl ClaimPolicy {
    /// RFC 9068 §4: when required, the header's `typ` must be `at+jwt`; media types are
    /// case-insensitive and the `application/` prefix may be written out (RFC 7515 §4.1.9).
    pub(crate) fn check_type(&self, typ: Option<&str>) -> Result<(), Reason> {
        if !self.restrictions.require_at_jwt {
            return Ok(());
        }
        let typ = typ.ok_or(Reason::WrongTokenType)?;
        let bare = match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..),
            _ => Some(typ),
        };
        match bare {
            Some(bare) if bare.eq_ignore_ascii_case("at+jwt") => Ok(()),
            _ => Err(Reason::WrongTokenType),
        }
    }

    /// Cognito's `token_use`, when restricted: present, a string, and one of the accepted uses.
    fn check_token_use(&self, claims: &Map<String, Value>) -> Result<(), Reason> {
        if self.restrictions.token_use.is_empty() {
            return Ok(());
        }
        match claims.get("token_use") {
            Some(Value::String(u)) if self.restrictions.token_use.contains(u) => Ok(()),
            Some(Value::String(_)) => Err(Reason::WrongTokenType),
            None => Err(Reason::MissingClaim),
            Some(_) => Err(Reason::InvalidClaim),
        }
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
            restrictions: Restrictions::default(),
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
        // Past what a `u64` holds: saturates here; the principal builder then clamps it to
        // the last second of 9999 (tests/integration/providers.rs).
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

    fn check_with(restrictions: Restrictions, json: &str) -> Result<u64, Reason> {
        let claims: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
        ClaimPolicy {
            restrictions,
            ..policy()
        }
        .check(&claims, 1_000_000)
        .map(|c| c.expires_at)
    }

    #[test]
    fn cognito_reads_the_client_by_token_use() {
        let only = |uses: &[&str]| Restrictions {
            audience: AudienceRule::CognitoTokenUse,
            token_use: uses.iter().map(|u| (*u).to_owned()).collect(),
            ..Restrictions::default()
        };
        let base = r#""iss":"https://iss","sub":"u","exp":1000100"#;
        let access = format!(r#"{{{base},"token_use":"access","client_id":"api"}}"#);
        let id = format!(r#"{{{base},"token_use":"id","aud":"api"}}"#);
        assert!(check_with(only(&["access"]), &access).is_ok());
        assert_eq!(
            check_with(only(&["access"]), &id),
            Err(Reason::WrongTokenType)
        );
        assert!(check_with(only(&["id"]), &id).is_ok());
        assert_eq!(
            check_with(only(&["id"]), &access),
            Err(Reason::WrongTokenType)
        );
        let any = only(&["access", "id"]);
        assert!(check_with(any.clone(), &access).is_ok() && check_with(any.clone(), &id).is_ok());
        // The client is read from the claim the token use names, never from the other one.
        let cases = [
            (
                format!(r#"{{{base},"token_use":"access","client_id":"elsewhere","aud":"api"}}"#),
                Reason::WrongAudience,
            ),
            (
                format!(r#"{{{base},"token_use":"access","aud":"api"}}"#),
                Reason::MissingClaim,
            ),
            (
                format!(r#"{{{base},"token_use":"id","client_id":"api"}}"#),
                Reason::MissingClaim,
            ),
            (
                format!(r#"{{{base},"token_use":"refresh","aud":"api"}}"#),
                Reason::WrongTokenType,
            ),
            (format!(r#"{{{base},"aud":"api"}}"#), Reason::MissingClaim),
            (
                format!(r#"{{{base},"token_use":["access"],"client_id":"api"}}"#),
                Reason::InvalidClaim,
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(check_with(any.clone(), &json), Err(reason), "{json}");
        }
    }

    #[test]
    fn allowed_clients() {
        let r = Restrictions {
            client: Some(("cid".into(), vec!["app".into()])),
            ..Restrictions::default()
        };
        let base = r#""iss":"https://iss","sub":"u","aud":"api","exp":1000100"#;
        assert!(check_with(r.clone(), &format!(r#"{{{base},"cid":"app"}}"#)).is_ok());
        assert_eq!(
            check_with(r.clone(), &format!(r#"{{{base},"cid":"other"}}"#)),
            Err(Reason::WrongClient)
        );
        assert_eq!(
            check_with(r, &format!("{{{base}}}")),
            Err(Reason::MissingClaim)
        );
    }

    #[test]
    fn at_jwt_type() {
        let required = ClaimPolicy {
            restrictions: Restrictions {
                require_at_jwt: true,
                ..Restrictions::default()
            },
            ..policy()
        };
        for ok in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+JWT",
        ] {
            assert_eq!(required.check_type(Some(ok)), Ok(()), "{ok}");
        }
        for bad in [
            None,
            Some("JWT"),
            Some("at+jwt "),
            Some("application/jwt"),
            Some(""),
        ] {
            assert_eq!(
                required.check_type(bad),
                Err(Reason::WrongTokenType),
                "{bad:?}"
            );
        }
        assert_eq!(policy().check_type(Some("JWT")), Ok(()));
        assert_eq!(policy().check_type(None), Ok(()));
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
