//! Checks beyond the registered claims: RFC 9068's `at+jwt` type, and the IdP presets' rules
//! (Cognito's `token_use` and where it names the client, Okta's allowed clients).

use serde_json::{Map, Value};

use crate::error::Reason;

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

impl Restrictions {
    /// RFC 9068 §4: when required, the header's `typ` must be `at+jwt`; media types are
    /// case-insensitive and the `application/` prefix may be written out (RFC 7515 §4.1.9).
    pub(crate) fn check_type(&self, typ: Option<&str>) -> Result<(), Reason> {
        if !self.require_at_jwt {
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
    pub(crate) fn check_token_use(&self, claims: &Map<String, Value>) -> Result<(), Reason> {
        if self.token_use.is_empty() {
            return Ok(());
        }
        match claims.get("token_use") {
            Some(Value::String(u)) if self.token_use.contains(u) => Ok(()),
            Some(Value::String(_)) => Err(Reason::WrongTokenType),
            None => Err(Reason::MissingClaim),
            Some(_) => Err(Reason::InvalidClaim),
        }
    }

    /// The claim that must name an accepted audience in these claims.
    pub(crate) fn audience_claim(
        &self,
        claims: &Map<String, Value>,
    ) -> Result<&'static str, Reason> {
        match self.audience {
            AudienceRule::Aud => Ok("aud"),
            AudienceRule::CognitoTokenUse => match claims.get("token_use") {
                Some(Value::String(u)) if u == "access" => Ok("client_id"),
                Some(Value::String(u)) if u == "id" => Ok("aud"),
                Some(Value::String(_)) => Err(Reason::WrongTokenType),
                None => Err(Reason::MissingClaim),
                Some(_) => Err(Reason::InvalidClaim),
            },
        }
    }

    /// The client claim, when restricted: present, a string, and one of the accepted clients.
    pub(crate) fn check_client(&self, claims: &Map<String, Value>) -> Result<(), Reason> {
        let Some((claim, clients)) = &self.client else {
            return Ok(());
        };
        match claims.get(&**claim) {
            Some(Value::String(client)) if clients.contains(client) => Ok(()),
            Some(Value::String(_)) => Err(Reason::WrongClient),
            None => Err(Reason::MissingClaim),
            Some(_) => Err(Reason::InvalidClaim),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_jwt_type() {
        let required = Restrictions {
            require_at_jwt: true,
            ..Restrictions::default()
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
        let relaxed = Restrictions::default();
        assert_eq!(relaxed.check_type(Some("JWT")), Ok(()));
        assert_eq!(relaxed.check_type(None), Ok(()));
    }
}
