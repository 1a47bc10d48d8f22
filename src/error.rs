//! The two error families: [`ConfigError`] from `build()`, and [`AuthError`] per request.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// A configuration mistake, reported by a `build()` method.
///
/// The message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting was not given.
    #[error("{0}")]
    Missing(&'static str),
    /// A setting has a value tollgate cannot use.
    #[error("{0}")]
    Invalid(String),
    /// OpenID Connect discovery failed, so the JWKS location is unknown.
    #[error("OIDC discovery from {url} failed: {reason}; check the issuer URL, or set the JWKS URL explicitly")]
    Discovery {
        /// The discovery document URL that was fetched.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The keys were required at build time and could not be loaded in time.
    #[error("the JWKS at {url} could not be loaded within {timeout:?}: {reason}; check the URL and that the issuer is reachable, or build without require_keys_at_build() to start and answer 503 until the keys load")]
    Jwks {
        /// The JWKS URL.
        url: String,
        /// How long `build()` waited.
        timeout: std::time::Duration,
        /// Why the last fetch failed.
        reason: String,
    },
}

/// Why a request was not authenticated, as far as the client may know.
///
/// Each kind maps to one HTTP status and one RFC 6750 `WWW-Authenticate` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// No credential was presented. 401, challenge without an error code.
    MissingCredential,
    /// The credential could not be read: two `Authorization` headers, an empty or malformed
    /// bearer value, a token over the size limit, or a cookie credential on a cross-site unsafe
    /// request. 401, `error="invalid_request"`.
    InvalidRequest,
    /// A token was presented and is not acceptable (bad signature, wrong issuer or audience,
    /// unknown key, malformed). 401, `error="invalid_token"`.
    InvalidToken,
    /// A token was presented and has expired. 401, `error="invalid_token"`.
    ExpiredToken,
    /// The principal is authenticated but lacks a required scope. 403,
    /// `error="insufficient_scope"`.
    InsufficientScope,
    /// The principal is authenticated but a [guard](crate::guard) denied it for a reason other
    /// than scope (group, role, claim). 403 without a `WWW-Authenticate` challenge: RFC 6750
    /// defines none for this case, and a new token would not help.
    Forbidden,
    /// The identity provider's keys cannot be loaded and none are cached, so no token can be
    /// checked. 503 with `Retry-After`; the client is not at fault.
    Unavailable,
}

impl AuthErrorKind {
    /// The HTTP status this kind is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::MissingCredential
            | Self::InvalidRequest
            | Self::InvalidToken
            | Self::ExpiredToken => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The gRPC status code a gRPC request is answered with: 16 (`UNAUTHENTICATED`) for the
    /// 401 kinds, 7 (`PERMISSION_DENIED`) for the 403 kinds, 14 (`UNAVAILABLE`) for 503, as
    /// gRPC's status-code guide and tonic's `Code` documentation assign them.
    pub fn grpc_code(self) -> u8 {
        match self {
            Self::MissingCredential
            | Self::InvalidRequest
            | Self::InvalidToken
            | Self::ExpiredToken => 16,
            Self::InsufficientScope | Self::Forbidden => 7,
            Self::Unavailable => 14,
        }
    }

    /// The RFC 6750 error code, if this kind has one.
    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Self::MissingCredential | Self::Forbidden | Self::Unavailable => None,
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken | Self::ExpiredToken => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
        }
    }

    /// A short description that is safe to show to the client.
    pub fn description(self) -> &'static str {
        match self {
            Self::MissingCredential => "Authentication is required",
            Self::InvalidRequest => "The request's credential could not be read",
            Self::InvalidToken => "The access token is invalid",
            Self::ExpiredToken => "The access token has expired",
            Self::InsufficientScope => "The access token lacks a required scope",
            Self::Forbidden => "Access to this resource is denied",
            Self::Unavailable => "Authentication is temporarily unavailable",
        }
    }
}

/// The internal reason behind an [`AuthError`], for logs and tests; never sent to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No credential in the configured places.
    NoCredential,
    /// More than one `Authorization` header (or credential source) was present.
    DuplicateCredential,
    /// The header or cookie value was not a well-formed credential.
    MalformedCredential,
    /// The token exceeds the configured size limit.
    TooLarge,
    /// A token read from a cookie on an unsafe method (not `GET`, `HEAD` or `OPTIONS`) of a
    /// request that does not show it is same-origin: the cross-site request forgery defence
    /// described at [`CredentialSource::Cookie`](crate::credential::CredentialSource::Cookie).
    CrossSiteCookie,
    /// The token is not three base64url segments of JSON.
    Malformed,
    /// The header's `alg` is not on the allowlist (this covers `none` and `HS*`).
    AlgorithmNotAllowed,
    /// The header carries a `crit` parameter; tollgate understands no JWS extensions.
    UnsupportedCritical,
    /// No key in the issuer's JWKS has the token's `kid`.
    UnknownKey,
    /// Keys exist but none may verify this token (`kty`/`alg` disagree, or no `kid` and
    /// several candidates).
    NoMatchingKey,
    /// The signature does not verify.
    BadSignature,
    /// `exp` is in the past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iss` is missing or not the configured issuer.
    WrongIssuer,
    /// `aud` is missing or names none of the accepted audiences.
    WrongAudience,
    /// A required claim (including `exp`) is missing.
    MissingClaim,
    /// A registered claim has the wrong JSON type (e.g. `exp` as a string).
    InvalidClaim,
    /// The claims do not deserialize into the application's claims type.
    ClaimsShape,
    /// The principal lacks a required scope.
    MissingScope,
    /// A guard denied the principal (group, role, claim or a custom check).
    Denied,
    /// The JWKS could not be loaded and no keys are cached.
    KeysUnavailable,
    /// The token is of the wrong type: its header `typ` is not `at+jwt` where RFC 9068 access
    /// tokens are required, or its `token_use` (Cognito) is not an accepted one.
    WrongTokenType,
    /// The token was issued to an OAuth client that is not accepted (Okta's `cid`, the ALB
    /// header's `client`).
    WrongClient,
    /// An ALB token's `signer` is not one of the configured load balancers; nothing was
    /// fetched.
    WrongSigner,
    /// The token's (unverified) `iss` names no configured provider; nothing was fetched.
    UnknownIssuer,
    /// No configured API key matches.
    UnknownApiKey,
    /// A key with the v2 prefix `tgk2_` but the wrong length, alphabet or checksum (a
    /// mistyped or made-up key); refused before any key-store lookup.
    MalformedApiKey,
    /// A v2 API key that was revoked.
    RevokedApiKey,
    /// The API key store could not be reached ([`StoreError::Unavailable`](crate::api_key::StoreError::Unavailable)).
    KeyStoreUnavailable,
    /// The API key store failed otherwise ([`StoreError::Failed`](crate::api_key::StoreError::Failed)).
    KeyStoreFailed,
    /// The credential is of a kind this provider does not take (e.g. a bearer token given to
    /// the API-key provider).
    UnsupportedCredential,
    /// AWS STS, which the [`aws_iam`](crate::aws_iam) provider asks who signed a credential,
    /// could not be reached, timed out, or gave no usable answer.
    StsUnavailable,
    /// The token introspection endpoint ([`introspection`](crate::introspection)) says the
    /// token is not active (unknown, expired, revoked, or not for this caller to see).
    Inactive,
    /// The token introspection endpoint could not be reached, timed out, refused this
    /// server's client credentials, or gave no usable answer.
    IntrospectionUnavailable,
    /// A verified token that a [revocation list](crate::revocation) names, by its `jti` or its
    /// subject.
    RevokedToken,
    /// The [revocation list](crate::revocation) cannot say whether the token is revoked (e.g.
    /// a shared store's copy is too stale to trust); the token is not judged.
    RevocationsUnavailable,
}

impl Reason {
    /// The reason as a fixed `snake_case` string (`Expired` is `"expired"`), for metric labels
    /// and log fields: one per variant, never anything from the request.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoCredential => "no_credential",
            Self::DuplicateCredential => "duplicate_credential",
            Self::MalformedCredential => "malformed_credential",
            Self::TooLarge => "too_large",
            Self::CrossSiteCookie => "cross_site_cookie",
            Self::Malformed => "malformed",
            Self::AlgorithmNotAllowed => "algorithm_not_allowed",
            Self::UnsupportedCritical => "unsupported_critical",
            Self::UnknownKey => "unknown_key",
            Self::NoMatchingKey => "no_matching_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::ClaimsShape => "claims_shape",
            Self::MissingScope => "missing_scope",
            Self::Denied => "denied",
            Self::KeysUnavailable => "keys_unavailable",
            Self::WrongTokenType => "wrong_token_type",
            Self::WrongClient => "wrong_client",
            Self::WrongSigner => "wrong_signer",
            Self::UnknownIssuer => "unknown_issuer",
            Self::UnknownApiKey => "unknown_api_key",
            Self::UnsupportedCredential => "unsupported_credential",
            Self::StsUnavailable => "sts_unavailable",
            Self::Inactive => "inactive",
            Self::IntrospectionUnavailable => "introspection_unavailable",
            Self::MalformedApiKey => "malformed_api_key",
            Self::RevokedApiKey => "revoked_api_key",
            Self::KeyStoreUnavailable => "key_store_unavailable",
            Self::KeyStoreFailed => "key_store_failed",
            Self::RevokedToken => "revoked_token",
            Self::RevocationsUnavailable => "revocations_unavailable",
        }
    }
}

/// A per-request authentication failure.
///
/// The client sees only [`kind`](Self::kind) (status, challenge and a short description);
/// the [`reason`](Self::reason) goes to traces. Neither ever contains the credential.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthError {
    kind: AuthErrorKind,
    reason: Reason,
    scope: Option<Box<str>>,
    retry_after: Option<Duration>,
}

impl AuthError {
    /// An error of `kind` with the internal `reason`.
    pub fn new(kind: AuthErrorKind, reason: Reason) -> Self {
        Self {
            kind,
            reason,
            scope: None,
            retry_after: None,
        }
    }

    pub(crate) fn missing() -> Self {
        Self::new(AuthErrorKind::MissingCredential, Reason::NoCredential)
    }

    pub(crate) fn invalid_request(reason: Reason) -> Self {
        Self::new(AuthErrorKind::InvalidRequest, reason)
    }

    pub(crate) fn invalid_token(reason: Reason) -> Self {
        let kind = if reason == Reason::Expired {
            AuthErrorKind::ExpiredToken
        } else {
            AuthErrorKind::InvalidToken
        };
        Self::new(kind, reason)
    }

    pub(crate) fn unavailable(retry_after: Duration) -> Self {
        Self::unavailable_because(Reason::KeysUnavailable, retry_after)
    }

    pub(crate) fn unavailable_because(reason: Reason, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(AuthErrorKind::Unavailable, reason)
        }
    }

    /// A 403 `insufficient_scope` error naming the scope(s) the request needs
    /// (space-separated, as RFC 6750 §3 writes them).
    ///
    /// # Panics
    /// Never; a scope containing `"` or `\` is dropped from the challenge, since RFC 6750 scope
    /// tokens cannot contain them.
    pub fn insufficient_scope(scope: impl Into<String>) -> Self {
        let scope: String = scope.into();
        Self {
            scope: fits_quoted_string(&scope).then(|| scope.into_boxed_str()),
            ..Self::new(AuthErrorKind::InsufficientScope, Reason::MissingScope)
        }
    }

    /// A 403 for an authenticated principal that a guard denied for a reason other than scope;
    /// it carries no `WWW-Authenticate` challenge.
    pub fn forbidden() -> Self {
        Self::new(AuthErrorKind::Forbidden, Reason::Denied)
    }

    /// What the client is told.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// Why, for logs and tests.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The required scope, for `insufficient_scope` errors.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// How long the client should wait, for `Unavailable` errors.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The RFC 6750 `WWW-Authenticate` value for this error, with the given realm.
    ///
    /// `None` for [`AuthErrorKind::Unavailable`] and [`AuthErrorKind::Forbidden`], which are
    /// not challenges.
    pub fn www_authenticate(&self, realm: &str) -> Option<String> {
        if matches!(
            self.kind,
            AuthErrorKind::Unavailable | AuthErrorKind::Forbidden
        ) {
            return None;
        }
        let code = self.kind.error_code();
        let description = self.kind.description();
        let scope = self.scope.as_deref();
        let capacity = 16
            + realm.len()
            + code.map_or(0, |c| 40 + c.len() + description.len())
            + scope.map_or(0, |s| 10 + s.len());
        let mut value = String::with_capacity(capacity);
        value.push_str("Bearer realm=\"");
        value.push_str(realm);
        value.push('"');
        if let Some(code) = code {
            value.push_str(", error=\"");
            value.push_str(code);
            value.push_str("\", error_description=\"");
            value.push_str(description);
            value.push('"');
        }
        if let Some(scope) = scope {
            value.push_str(", scope=\"");
            value.push_str(scope);
            value.push('"');
        }
        Some(value)
    }
}

/// Whether `value` can be written inside an RFC 6750 quoted-string (realm, scope) as is:
/// non-empty printable ASCII (space included) without `"` or `\\`.
pub(crate) fn fits_quoted_string(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AuthError");
        d.field("kind", &self.kind).field("reason", &self.reason);
        if let Some(scope) = &self.scope {
            d.field("scope", scope);
        }
        if let Some(retry) = &self.retry_after {
            d.field("retry_after", retry);
        }
        d.finish()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.description())
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_follow_rfc6750() {
        let e = AuthError::missing();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            e.www_authenticate("api").as_deref(),
            Some("Bearer realm=\"api\"")
        );

        let e = AuthError::invalid_token(Reason::BadSignature);
        assert_eq!(
            e.www_authenticate("api").as_deref(),
            Some("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token is invalid\"")
        );
        assert_eq!(
            AuthError::invalid_token(Reason::Expired).kind(),
            AuthErrorKind::ExpiredToken
        );

        let e = AuthError::insufficient_scope("admin write");
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert!(e
            .www_authenticate("api")
            .is_some_and(|v| v.ends_with(", scope=\"admin write\"")));

        let e = AuthError::forbidden();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert_eq!(e.www_authenticate("api"), None);

        let e = AuthError::unavailable(Duration::from_secs(5));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.www_authenticate("api"), None);
    }

    #[test]
    fn scope_that_would_break_the_header_is_dropped() {
        let e = AuthError::insufficient_scope("a\"b");
        assert_eq!(e.scope(), None);
        assert!(!e
            .www_authenticate("api")
            .unwrap_or_default()
            .contains("scope="));
    }
}
