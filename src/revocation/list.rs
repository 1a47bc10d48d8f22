//! The [`RevocationList`] trait a request is checked against, and its answers.

use std::fmt;
use std::sync::Arc;

use super::TokenIdentity;

/// What matched a revoked token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevokedBy {
    /// The token's own `jti` was revoked.
    Token,
    /// Every token of its subject issued before a time was revoked.
    Subject,
}

impl RevokedBy {
    /// `"token"` or `"subject"`, for logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Subject => "subject",
        }
    }
}

impl fmt::Display for RevokedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a [`RevocationList`] did not clear a token.
///
/// [`CheckRevocation`](super::CheckRevocation) answers `Revoked` with 401 `invalid_token`
/// ([`Reason::RevokedToken`](crate::error::Reason::RevokedToken)) and `Unavailable` with 503
/// and `Retry-After`
/// ([`Reason::RevocationsUnavailable`](crate::error::Reason::RevocationsUnavailable)): never a
/// 500, and never an acceptance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The token is revoked.
    #[error("the token is revoked (by {0})")]
    Revoked(RevokedBy),
    /// The list cannot say (e.g. a shared store's copy is too stale to trust); the message is
    /// for logs only.
    #[error("revocations are unavailable: {0}")]
    Unavailable(String),
}

/// A list of revoked tokens, checked after a token verified.
///
/// Answers from memory: called on the request path after a token verified, so it must not wait
/// or do I/O. A list kept in a shared store loads it in the background and answers from its
/// copy; when that copy cannot be trusted it returns [`RevocationError::Unavailable`].
///
/// ```
/// use tollgate::revocation::{RevocationError, RevocationList, TokenIdentity};
///
/// /// Refuses every token without an `iat`.
/// struct NeedsIat;
///
/// impl RevocationList for NeedsIat {
///     fn check(&self, token: &TokenIdentity<'_>, _now: u64) -> Result<(), RevocationError> {
///         match token.issued_at {
///             Some(_) => Ok(()),
///             None => Err(RevocationError::Unavailable("no iat".into())),
///         }
///     }
/// }
/// ```
pub trait RevocationList: Send + Sync + 'static {
    /// `Ok(())` when `token` is not revoked at `now` (seconds since the Unix epoch).
    ///
    /// # Errors
    /// [`RevocationError::Revoked`] when it is, [`RevocationError::Unavailable`] when the list
    /// cannot say.
    fn check(&self, token: &TokenIdentity<'_>, now: u64) -> Result<(), RevocationError>;
}

impl<L: RevocationList + ?Sized> RevocationList for Arc<L> {
    fn check(&self, token: &TokenIdentity<'_>, now: u64) -> Result<(), RevocationError> {
        (**self).check(token, now)
    }
}
