//! SHA-256 of a secret as a fixed-size array: what API keys, refresh tokens, client secrets and
//! the answer caches are stored and looked up by, so the secret itself is never kept.

use aws_lc_rs::digest::{digest, SHA256};

/// The SHA-256 digest of `text`.
pub(crate) fn sha256(text: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, text.as_bytes()).as_ref());
    out
}
