//! [`PostgresRevocations`]: the [`RevocationList`] a replica checks verified tokens against,
//! a full copy of the unexpired revocations in memory, refused as unavailable once too stale.

use std::fmt;
use std::sync::{Arc, PoisonError};

use super::store::{Shared, Task};
use crate::revocation::{RevocationError, RevocationList, TokenIdentity};

/// JWT revocations from PostgreSQL, held in memory by this replica; made by
/// [`PostgresStore::revocations`](super::PostgresStore::revocations). Cheap to clone.
///
/// Every check answers from memory. Before the first sync, and once the replica has been out
/// of sync for longer than the maximum staleness, it answers
/// [`RevocationError::Unavailable`] (503): a list it cannot vouch for never lets everything
/// through.
#[derive(Clone)]
pub struct PostgresRevocations {
    pub(crate) shared: Arc<Shared>,
    pub(crate) _task: Arc<Task>,
}

impl fmt::Debug for PostgresRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .shared
            .revoked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("PostgresRevocations")
            .field("entries", &len)
            .finish_non_exhaustive()
    }
}

impl RevocationList for PostgresRevocations {
    fn check(&self, token: &TokenIdentity<'_>, now: u64) -> Result<(), RevocationError> {
        let s = &self.shared;
        if !s.freshness.synced_within_bound(s.freshness.now_ms()) {
            return Err(RevocationError::Unavailable(
                "the revocation list is not in sync with PostgreSQL".into(),
            ));
        }
        let set = s.revoked.read().unwrap_or_else(PoisonError::into_inner);
        match set.revoked(token, now) {
            Some(by) => Err(RevocationError::Revoked(by)),
            None => Ok(()),
        }
    }
}
