//! The introspection answer (RFC 7662 §2.2): read strictly, then checked by the same rules as a
//! JWT's registered claims.

use serde_json::{Map, Value};

use crate::error::Reason;
use crate::jose::StrictObject;
use crate::jose::{audience_accepted, numeric_date};

/// The rules one provider applies to every answer.
#[derive(Debug, Clone)]
pub(super) struct AnswerPolicy {
    pub(super) issuer: String,
    /// Empty only with `dangerous_accept_any_audience()`.
    pub(super) audiences: Vec<String>,
    pub(super) leeway: u64,
}

/// An answer that passed every check.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    /// The whole answer, the principal's claims.
    pub(super) claims: Map<String, Value>,
    /// `sub`, else `client_id`.
    pub(super) subject: Option<String>,
    pub(super) scopes: Vec<String>,
    /// `exp` in whole seconds, when the answer has one.
    pub(super) expires_at: Option<u64>,
}

/// The body as one JSON object with unique member names; `None` for anything else (the
/// endpoint gave no usable answer, which is not the token's fault).
pub(super) fn parse(body: &[u8]) -> Option<Map<String, Value>> {
    serde_json::from_slice::<StrictObject>(body)
        .ok()
        .map(|object| object.0)
}

/// `token_type` values that name an access token presented with the Bearer scheme
/// (compared without regard to case). Anything else, `refresh_token` and `DPoP` included, is
/// refused.
const ACCESS_TOKEN_TYPES: [&str; 3] = [
    "bearer",
    "access_token",
    "urn:ietf:params:oauth:token-type:access_token",
];

impl AnswerPolicy {
    /// Checks a parsed answer at `now` (seconds since the Unix epoch).
    pub(super) fn check(&self, claims: Map<String, Value>, now: u64) -> Result<Checked, Reason> {
        if claims.get("active") != Some(&Value::Bool(true)) {
            return Err(Reason::Inactive);
        }
        let leeway = self.leeway as f64;
        let now_f = now as f64;
        let exp = numeric_date(claims.get("exp"))?;
        if exp.is_some_and(|exp| now_f >= exp + leeway) {
            return Err(Reason::Expired);
        }
        for name in ["nbf", "iat"] {
            if numeric_date(claims.get(name))?.is_some_and(|at| now_f + leeway < at) {
                return Err(Reason::NotYetValid);
            }
        }
        match claims.get("iss") {
            None => {}
            Some(Value::String(iss)) if *iss == self.issuer => {}
            Some(Value::String(_)) => return Err(Reason::WrongIssuer),
            Some(_) => return Err(Reason::InvalidClaim),
        }
        if !self.audiences.is_empty() {
            self.check_audience(claims.get("aud"))?;
        }
        match claims.get("token_type") {
            None => {}
            Some(Value::String(kind))
                if ACCESS_TOKEN_TYPES
                    .iter()
                    .any(|ok| kind.eq_ignore_ascii_case(ok)) => {}
            Some(Value::String(_)) => return Err(Reason::WrongTokenType),
            Some(_) => return Err(Reason::InvalidClaim),
        }
        // A sender-constrained token (DPoP, mTLS) is only as good as its proof of possession,
        // which a bearer-token layer does not check.
        if claims.contains_key("cnf") {
            return Err(Reason::WrongTokenType);
        }
        let text = |name: &str| match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Reason::InvalidClaim),
        };
        let sub = text("sub")?;
        let client_id = text("client_id")?;
        text("username")?;
        let scopes = text("scope")?
            .map(|scope| {
                scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Checked {
            subject: sub.or(client_id),
            scopes,
            // Checked above to be past `now - leeway`, so not negative.
            expires_at: exp.map(|exp| exp as u64),
            claims,
        })
    }

    fn check_audience(&self, aud: Option<&Value>) -> Result<(), Reason> {
        let ok = match aud {
            None => return Err(Reason::WrongAudience),
            Some(aud) => audience_accepted(aud, &self.audiences)?,
        };
        if ok {
            Ok(())
        } else {
            Err(Reason::WrongAudience)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    fn policy(audiences: &[&str]) -> AnswerPolicy {
        AnswerPolicy {
            issuer: "https://iss".into(),
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            leeway: 60,
        }
    }

    fn check_with(audiences: &[&str], json: &str) -> Result<Checked, Reason> {
        let claims = parse(json.as_bytes()).unwrap_or_else(|| panic!("parse {json}"));
        policy(audiences).check(claims, NOW)
    }

    fn reason(json: &str) -> Option<Reason> {
        check_with(&["api"], json).err()
    }

    #[test]
    fn an_active_answer_gives_subject_scopes_and_expiry() {
        let checked = check_with(
            &["api"],
            r#"{"active":true,"iss":"https://iss","aud":["x","api"],"exp":1000100.5,
                "iat":999000,"nbf":999000,"sub":"alice","client_id":"app","username":"al",
                "scope":"read  admin","token_type":"Bearer"}"#,
        )
        .expect("active");
        assert_eq!(checked.subject.as_deref(), Some("alice"));
        assert_eq!(checked.scopes, ["read", "admin"]);
        assert_eq!(checked.expires_at, Some(1_000_100));
        assert_eq!(checked.claims["client_id"], "app");

        let client = check_with(&["api"], r#"{"active":true,"aud":"api","client_id":"app"}"#)
            .expect("client credentials");
        assert_eq!(
            client.subject.as_deref(),
            Some("app"),
            "client_id stands in"
        );
        assert_eq!(client.expires_at, None);
        assert!(client.scopes.is_empty());
        for kind in [
            "bearer",
            "access_token",
            "urn:ietf:params:oauth:token-type:access_token",
        ] {
            let json = format!(r#"{{"active":true,"aud":"api","token_type":"{kind}"}}"#);
            assert!(check_with(&["api"], &json).is_ok(), "{kind}");
        }
    }

    #[test]
    fn anything_but_active_true_is_inactive() {
        for json in [
            r#"{"active":false}"#,
            r#"{"active":false,"aud":"api","sub":"x"}"#,
            r#"{"active":"true","aud":"api"}"#,
            r#"{"active":1,"aud":"api"}"#,
            r#"{"aud":"api"}"#,
            r#"{}"#,
        ] {
            assert_eq!(reason(json), Some(Reason::Inactive), "{json}");
        }
    }

    #[test]
    fn time_claims_follow_the_jwt_rules() {
        let ok = r#""active":true,"aud":"api""#;
        assert!(
            reason(&format!(r#"{{{ok},"exp":999950}}"#)).is_none(),
            "in leeway"
        );
        let cases = [
            (r#""exp":999940"#, Reason::Expired),
            (r#""exp":-1"#, Reason::Expired),
            (r#""exp":"1000100""#, Reason::InvalidClaim),
            (r#""nbf":1000061"#, Reason::NotYetValid),
            (r#""iat":1000061"#, Reason::NotYetValid),
            (r#""iat":true"#, Reason::InvalidClaim),
        ];
        for (claim, expected) in cases {
            assert_eq!(
                reason(&format!("{{{ok},{claim}}}")),
                Some(expected),
                "{claim}"
            );
        }
        assert!(reason(&format!(r#"{{{ok},"nbf":1000059,"iat":1000059}}"#)).is_none());
    }

    #[test]
    fn issuer_and_audience() {
        let cases = [
            (
                r#"{"active":true,"aud":"api","iss":"https://iss/"}"#,
                Reason::WrongIssuer,
            ),
            (
                r#"{"active":true,"aud":"api","iss":["https://iss"]}"#,
                Reason::InvalidClaim,
            ),
            (r#"{"active":true}"#, Reason::WrongAudience),
            (r#"{"active":true,"aud":"API"}"#, Reason::WrongAudience),
            (r#"{"active":true,"aud":[]}"#, Reason::WrongAudience),
            (r#"{"active":true,"aud":["x","y"]}"#, Reason::WrongAudience),
            (r#"{"active":true,"aud":["api",1]}"#, Reason::InvalidClaim),
            (r#"{"active":true,"aud":7}"#, Reason::InvalidClaim),
        ];
        for (json, expected) in cases {
            assert_eq!(reason(json), Some(expected), "{json}");
        }
        assert!(reason(r#"{"active":true,"aud":"api","iss":"https://iss"}"#).is_none());
        // Only with dangerous_accept_any_audience(): no audiences configured.
        assert!(check_with(&[], r#"{"active":true}"#).is_ok());
        assert!(check_with(&[], r#"{"active":true,"aud":"anyone"}"#).is_ok());
    }

    #[test]
    fn only_bearer_access_tokens() {
        for kind in [
            "refresh_token",
            "urn:ietf:params:oauth:token-type:refresh_token",
            "DPoP",
            "id_token",
            "",
        ] {
            let json = format!(r#"{{"active":true,"aud":"api","token_type":"{kind}"}}"#);
            assert_eq!(reason(&json), Some(Reason::WrongTokenType), "{kind}");
        }
        assert_eq!(
            reason(r#"{"active":true,"aud":"api","token_type":7}"#),
            Some(Reason::InvalidClaim)
        );
        assert_eq!(
            reason(r#"{"active":true,"aud":"api","cnf":{"jkt":"abc"}}"#),
            Some(Reason::WrongTokenType),
            "sender-constrained"
        );
    }

    #[test]
    fn string_claims_must_be_strings() {
        for claim in ["sub", "client_id", "username", "scope"] {
            let json = format!(r#"{{"active":true,"aud":"api","{claim}":["x"]}}"#);
            assert_eq!(reason(&json), Some(Reason::InvalidClaim), "{claim}");
        }
    }

    #[test]
    fn only_one_json_object_with_unique_members_is_an_answer() {
        for body in [
            r#"{"active":true,"active":false}"#,
            r#"{"active":false,"active":true}"#,
            r#"[{"active":true}]"#,
            r#""active""#,
            "true",
            "",
            "{",
            r#"{"active":true} {}"#,
            "<html>active</html>",
        ] {
            assert!(parse(body.as_bytes()).is_none(), "{body}");
        }
        assert!(parse(br#" {"active":true} "#).is_some());
    }
}
