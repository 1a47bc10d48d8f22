//! The registered-claim policy (RFC 7519 §4.1, RFC 8725 §3): `exp`, `nbf`, `iat`, `iss`,
//! `aud` and required claims, checked after the signature.

use serde_json::{Map, Value};

use super::restrictions::Restrictions;
use crate::error::Reason;
use crate::jose::{audience_accepted, numeric_date};

/// The registered-claim policy of one provider.
#[derive(Debug, Clone)]
pub(crate) struct ClaimPolicy {
    pub(crate) issuer: String,
    pub(crate) audiences: Vec<String>,
    pub(crate) leeway: u64,
    pub(crate) required: Vec<String>,
    pub(crate) restrictions: Restrictions,
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

        self.restrictions.check_token_use(claims)?;
        let audience_claim = self.restrictions.audience_claim(claims)?;
        let audience_ok = match claims.get(audience_claim) {
            None => return Err(Reason::MissingClaim),
            Some(aud) => audience_accepted(aud, &self.audiences)?,
        };
        if !audience_ok {
            return Err(Reason::WrongAudience);
        }
        self.restrictions.check_client(claims)?;

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

#[cfg(test)]
mod tests {
    use super::super::restrictions::AudienceRule;
    use super::*;

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
}
