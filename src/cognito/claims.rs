//! [`CognitoClaims`]: typed access to the claims of Cognito user, ID and machine tokens.

use serde::{Deserialize, Deserializer};

/// The claims of a Cognito access or ID token, for
/// [`Principal::claims_as`](crate::Principal::claims_as) or
/// [`AuthLayerBuilder::claims`](crate::auth::AuthLayerBuilder::claims).
///
/// Machine-to-machine access tokens (the client-credentials grant) name an app client, not a
/// user: they carry `client_id` and `scope` but no `username` and no groups, and they
/// deserialize here all the same ([`is_machine`](Self::is_machine) tells them apart). Claims
/// a pre-token-generation trigger adds are not listed here: read them with your own type
/// (with [`Claims<T>`](crate::Claims)), which receives every claim as the token carries it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CognitoClaims {
    /// The user's unique, immutable id; in a machine token, the app client's id.
    #[serde(default)]
    pub sub: Option<String>,
    /// `access` or `id`.
    pub token_use: String,
    /// The user name: `username` in access tokens, `cognito:username` in ID tokens; absent in
    /// machine tokens.
    #[serde(default, alias = "cognito:username")]
    pub username: Option<String>,
    /// The user's groups (`cognito:groups`).
    #[serde(default, rename = "cognito:groups")]
    pub groups: Vec<String>,
    /// The access token's scopes (the space-separated `scope`).
    #[serde(default, rename = "scope", deserialize_with = "space_separated")]
    pub scopes: Vec<String>,
    /// The app client, in access tokens.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app client, in ID tokens.
    #[serde(default)]
    pub aud: Option<String>,
    /// The user's e-mail address, in ID tokens that carry it.
    #[serde(default)]
    pub email: Option<String>,
}

impl CognitoClaims {
    /// Who the token speaks for: `sub`, or for a machine token without it, the app client.
    /// The same value as the principal's [`subject`](crate::Principal::subject).
    pub fn subject(&self) -> Option<&str> {
        self.sub.as_deref().or(self.client_id.as_deref())
    }

    /// The user name, whichever claim carried it.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The app client the token was issued to: `client_id` for access tokens, `aud` for ID
    /// tokens.
    pub fn app_client_id(&self) -> Option<&str> {
        match self.token_use.as_str() {
            "id" => self.aud.as_deref(),
            _ => self.client_id.as_deref(),
        }
    }

    /// Whether this is a machine-to-machine access token (client credentials): an access
    /// token that names no user.
    pub fn is_machine(&self) -> bool {
        self.token_use == "access" && self.username.is_none()
    }

    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

fn space_separated<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    Ok(raw
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_from_access_id_and_machine_tokens() {
        let access: CognitoClaims = serde_json::from_str(
            r#"{"sub":"u1","token_use":"access","username":"alice","cognito:groups":["admin"],
                "scope":"aws.cognito.signin.user.admin read","client_id":"c1","exp":1}"#,
        )
        .unwrap();
        assert_eq!(access.username(), Some("alice"));
        assert_eq!(access.app_client_id(), Some("c1"));
        assert!(access.in_group("admin") && access.has_scope("read"));
        assert!(!access.is_machine());
        let id: CognitoClaims = serde_json::from_str(
            r#"{"sub":"u1","token_use":"id","cognito:username":"alice","aud":"c2","email":"a@x"}"#,
        )
        .unwrap();
        assert_eq!(id.username(), Some("alice"));
        assert_eq!(id.app_client_id(), Some("c2"));
        assert!(id.groups.is_empty() && id.scopes.is_empty() && !id.is_machine());
        // Client credentials: no username, no groups; with and without `sub`.
        for json in [
            r#"{"sub":"m2m","token_use":"access","client_id":"m2m","scope":"orders/read","version":2}"#,
            r#"{"token_use":"access","client_id":"m2m","scope":"orders/read"}"#,
        ] {
            let machine: CognitoClaims = serde_json::from_str(json).unwrap();
            assert!(machine.is_machine(), "{json}");
            assert_eq!(machine.subject(), Some("m2m"));
            assert_eq!(machine.app_client_id(), Some("m2m"));
            assert!(machine.has_scope("orders/read") && machine.username().is_none());
        }
    }
}
