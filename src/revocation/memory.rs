//! [`MemoryRevocations`]: the embedded [`RevocationList`], one process's revocations made in
//! code.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use super::{RevocationError, RevocationList, RevocationSet, TokenIdentity};

/// The embedded default: one process, revocations made in code (e.g. by an admin endpoint).
/// Clone shares the list.
///
/// Checks take a read lock on a [`RevocationSet`] and never wait on I/O. Expired entries are
/// purged lazily, on each write, as of the latest time a check was made at (so a provider's
/// injected clock decides, not the system's). The list lives in memory only: it is empty after
/// a restart and not seen by other replicas.
///
/// `Debug` shows how many entries there are, never a `jti` or a subject.
#[derive(Clone, Default)]
pub struct MemoryRevocations {
    set: Arc<RwLock<RevocationSet>>,
    /// The latest `now` a check was made at, in seconds since the Unix epoch.
    latest_check: Arc<AtomicU64>,
}

impl MemoryRevocations {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, RevocationSet> {
        // A panic elsewhere cannot leave the set half-written: every write is one map update.
        self.set.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, RevocationSet> {
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        set.purge_expired(self.latest_check.load(Ordering::Relaxed));
        set
    }

    /// Revokes the token whose `jti` is `jti`, until `expires_at` (at least its `exp`).
    pub fn revoke_token(&self, jti: impl Into<String>, expires_at: SystemTime) {
        self.write().revoke_token(jti, expires_at);
    }

    /// Revokes every token of `subject` issued before `before` (and those without `iat`),
    /// until `expires_at` (at least the latest `exp` of the tokens it covers); see
    /// [`RevocationSet::revoke_subject`].
    pub fn revoke_subject(
        &self,
        subject: impl Into<String>,
        before: SystemTime,
        expires_at: SystemTime,
    ) {
        self.write().revoke_subject(subject, before, expires_at);
    }

    /// Removes the revocation of the token `jti`, if there is one.
    pub fn forget_token(&self, jti: &str) {
        self.write().forget_token(jti);
    }

    /// Removes the revocation of `subject`, if there is one.
    pub fn forget_subject(&self, subject: &str) {
        self.write().forget_subject(subject);
    }

    /// How many entries the list holds (expired ones until the next write purges them).
    #[must_use]
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the list holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }
}

impl RevocationList for MemoryRevocations {
    fn check(&self, token: &TokenIdentity<'_>, now: u64) -> Result<(), RevocationError> {
        self.latest_check.fetch_max(now, Ordering::Relaxed);
        match self.read().revoked(token, now) {
            Some(by) => Err(RevocationError::Revoked(by)),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for MemoryRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemoryRevocations")
            .field(&*self.read())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::revocation::RevokedBy;

    const NOW: u64 = 1_800_000_000;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn clones_share_the_list_and_writes_purge_what_checks_saw_expire() {
        let list = MemoryRevocations::new();
        let admin = list.clone();
        admin.revoke_token("t-1", at(NOW + 60));
        let id = TokenIdentity {
            jti: Some("t-1"),
            subject: None,
            issued_at: None,
        };
        assert_eq!(
            list.check(&id, NOW),
            Err(RevocationError::Revoked(RevokedBy::Token))
        );
        assert_eq!(list.check(&id, NOW + 60), Ok(()));
        assert_eq!(list.len(), 1, "not purged until a write");
        admin.revoke_subject("ann", at(NOW), at(NOW + 3600));
        assert_eq!(list.len(), 1, "the expired token entry went");
        admin.forget_subject("ann");
        assert!(list.is_empty());
        assert_eq!(
            format!("{list:?}"),
            "MemoryRevocations(RevocationSet { tokens: 0, subjects: 0 })"
        );
    }
}
