//! The token endpoint's request and answers as OAuth 2.0 defines them (RFC 6749 §4–5, RFC 7009):
//! [`TokenRequest`], [`TokenResponse`] and [`OAuthError`].

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A token request: the form fields of `POST /oauth/token`, with the client's credentials from
/// HTTP Basic authentication or the form.
#[derive(Default, Clone)]
#[non_exhaustive]
pub struct TokenRequest {
    /// `password`, `client_credentials` or `refresh_token`.
    pub grant_type: String,
    /// The client's id.
    pub client_id: Option<String>,
    /// The client's secret (confidential clients).
    pub client_secret: Option<String>,
    /// The password grant's username.
    pub username: Option<String>,
    /// The password grant's password.
    pub password: Option<String>,
    /// The refresh grant's token.
    pub refresh_token: Option<String>,
    /// The requested scopes, space-separated; absent means all the caller may have.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Serialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token: an RFC 9068 `at+jwt`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// A new refresh token (password and refresh grants): use it once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space-separated.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// An OAuth error answer (RFC 6749 §5.2): `error`, a description, the HTTP status, and for a
/// sign-in backoff or an unavailable store, how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope` or `temporarily_unavailable`.
    pub error: &'static str,
    /// A human-readable description (never a secret, never which of username and password
    /// was wrong).
    pub description: String,
    /// 400, 401 (`invalid_client`) or 503.
    pub status: u16,
    /// For `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl OAuthError {
    pub(crate) fn new(error: &'static str, status: u16, description: impl Into<String>) -> Self {
        Self {
            error,
            description: description.into(),
            status,
            retry_after: None,
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", 400, description)
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new("invalid_client", 401, "client authentication failed")
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", 400, description)
    }

    pub(crate) fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new("invalid_scope", 400, description)
    }

    pub(crate) fn unavailable() -> Self {
        Self {
            retry_after: Some(Duration::from_secs(2)),
            ..Self::new(
                "temporarily_unavailable",
                503,
                "the issuer cannot reach its store; retry shortly",
            )
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let request = TokenRequest {
            grant_type: "password".into(),
            client_id: Some("cli".into()),
            client_secret: Some("client-secret-value".into()),
            username: Some("alice".into()),
            password: Some("password-value".into()),
            refresh_token: Some("tgr_refresh-value".into()),
            scope: None,
        };
        let shown = format!("{request:?}");
        for secret in ["client-secret-value", "password-value", "tgr_refresh-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let response = TokenResponse {
            access_token: "access-value".into(),
            token_type: "Bearer",
            expires_in: 600,
            refresh_token: Some("tgr_refresh-value".into()),
            scope: "read".into(),
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("access-value") && !shown.contains("tgr_refresh-value"));
        let user = crate::issuer::User::new(
            "id",
            "alice",
            "$argon2id$v=19$hash-value",
            vec![],
            std::time::SystemTime::UNIX_EPOCH,
        );
        assert!(!format!("{user:?}").contains("hash-value"));
    }
}
