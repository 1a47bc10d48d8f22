//! The issuer's errors: what a store, the key ring or a grant can fail with.

/// Why an issuer operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The store cannot be reached or failed; the HTTP answer is 503 (or 500 for a write that
    /// must not be retried blindly).
    #[error("the issuer's store failed: {0}")]
    Store(String),
    /// A unique value is taken (a username, a key id).
    #[error("{0} already exists")]
    Conflict(String),
    /// A sealed private key does not open with the operator's key (wrong `ISSUER_KEY`, or the
    /// record was altered).
    #[error("a signing key could not be unsealed: {0}")]
    Unseal(String),
    /// Key generation, signing or the random number generator failed.
    #[error("cryptography failed: {0}")]
    Crypto(String),
    /// An argument is invalid (the message says which).
    #[error("{0}")]
    Invalid(String),
}
