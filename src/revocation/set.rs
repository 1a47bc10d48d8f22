//! [`RevocationSet`]: revoked tokens by `jti` and revoked subjects, each with an expiry.

use std::collections::HashMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{RevokedBy, TokenIdentity};

/// The revocations a replica knows: tokens by `jti`, and subjects whose tokens issued before a
/// time are revoked.
///
/// Each entry has an expiry: the time by which every token it covers has expired, chosen by
/// whoever revokes. After it the entry no longer counts (even before
/// [`purge_expired`](Self::purge_expired) drops it), so give it an expiry at least as late as
/// the longest lifetime of the tokens it covers, leeway included.
///
/// Times are kept in whole seconds since the Unix epoch, rounded up: a subject revoked at
/// 12:00:00.3 refuses tokens with `iat` up to 12:00:00 (their `iat` cannot say whether they
/// were issued before or after), and an entry expiring at 13:00:00.3 counts until 13:00:01.
///
/// `Debug` shows how many entries there are, never a `jti` or a subject.
#[derive(Clone, Default)]
pub struct RevocationSet {
    /// `jti` → the entry's expiry.
    tokens: HashMap<String, u64>,
    subjects: HashMap<String, SubjectEntry>,
}

#[derive(Clone, Copy)]
struct SubjectEntry {
    /// Tokens with an `iat` strictly before this are revoked.
    before: u64,
    expires: u64,
}

/// `time` in seconds since the Unix epoch, rounded up (0 before the epoch).
fn ceil_unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| {
        d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
    })
}

impl RevocationSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Revokes the token whose `jti` is `jti`, until `expires_at`. When the token is already
    /// there the later expiry is kept.
    pub fn revoke_token(&mut self, jti: impl Into<String>, expires_at: SystemTime) {
        let expires = ceil_unix_seconds(expires_at);
        self.tokens
            .entry(jti.into())
            .and_modify(|e| *e = (*e).max(expires))
            .or_insert(expires);
    }

    /// Revokes every token of `subject` issued before `before` (and every token of it without
    /// an `iat`), until `expires_at`.
    ///
    /// When the subject is already there, the later `before` and the later expiry are kept:
    /// revoking again never un-revokes a token.
    pub fn revoke_subject(
        &mut self,
        subject: impl Into<String>,
        before: SystemTime,
        expires_at: SystemTime,
    ) {
        let entry = SubjectEntry {
            before: ceil_unix_seconds(before),
            expires: ceil_unix_seconds(expires_at),
        };
        self.subjects
            .entry(subject.into())
            .and_modify(|e| {
                e.before = e.before.max(entry.before);
                e.expires = e.expires.max(entry.expires);
            })
            .or_insert(entry);
    }

    /// Removes the revocation of the token `jti`, if there is one.
    pub fn forget_token(&mut self, jti: &str) {
        self.tokens.remove(jti);
    }

    /// Removes the revocation of `subject`, if there is one.
    pub fn forget_subject(&mut self, subject: &str) {
        self.subjects.remove(subject);
    }

    /// Drops the entries whose expiry is at or before `now` (seconds since the Unix epoch).
    pub fn purge_expired(&mut self, now: u64) {
        self.tokens.retain(|_, expires| *expires > now);
        self.subjects.retain(|_, entry| entry.expires > now);
    }

    /// How many entries (tokens and subjects) the set holds, expired ones included until they
    /// are purged.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len() + self.subjects.len()
    }

    /// Whether the set holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.subjects.is_empty()
    }

    /// Why `token` is revoked at `now` (seconds since the Unix epoch), or `None` when it is not.
    ///
    /// - by token: an unexpired entry has its `jti`;
    /// - by subject: an unexpired entry has its subject, and its `iat` is strictly before the
    ///   entry's `before`, **or it has no `iat`** (it cannot show it was issued after). A token
    ///   without a subject is not checked by subject.
    ///
    /// An entry whose expiry is at or before `now` does not count, purged or not.
    #[must_use]
    pub fn revoked(&self, token: &TokenIdentity<'_>, now: u64) -> Option<RevokedBy> {
        let by_token = token
            .jti
            .and_then(|jti| self.tokens.get(jti))
            .is_some_and(|expires| *expires > now);
        if by_token {
            return Some(RevokedBy::Token);
        }
        let by_subject = token
            .subject
            .and_then(|subject| self.subjects.get(subject))
            .is_some_and(|entry| {
                entry.expires > now && token.issued_at.is_none_or(|iat| iat < entry.before)
            });
        by_subject.then_some(RevokedBy::Subject)
    }
}

impl fmt::Debug for RevocationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationSet")
            .field("tokens", &self.tokens.len())
            .field("subjects", &self.subjects.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn token<'a>(
        jti: Option<&'a str>,
        subject: Option<&'a str>,
        iat: Option<u64>,
    ) -> TokenIdentity<'a> {
        TokenIdentity {
            jti,
            subject,
            issued_at: iat,
        }
    }

    #[test]
    fn a_revoked_jti_is_refused_and_others_are_not() {
        let mut set = RevocationSet::new();
        set.revoke_token("t-1", at(NOW + 3600));
        let same = token(Some("t-1"), Some("ann"), Some(NOW - 10));
        let other = token(Some("t-2"), Some("ann"), Some(NOW - 10));
        assert_eq!(set.revoked(&same, NOW), Some(RevokedBy::Token));
        assert_eq!(set.revoked(&other, NOW), None);
        assert_eq!(set.revoked(&token(None, Some("ann"), None), NOW), None);
    }

    #[test]
    fn a_subject_is_revoked_for_tokens_issued_strictly_before() {
        let mut set = RevocationSet::new();
        set.revoke_subject("ann", at(NOW), at(NOW + 3600));
        let id = |iat| token(Some("t"), Some("ann"), Some(iat));
        assert_eq!(set.revoked(&id(NOW - 1), NOW), Some(RevokedBy::Subject));
        assert_eq!(
            set.revoked(&id(NOW), NOW),
            None,
            "iat == before is not before"
        );
        assert_eq!(set.revoked(&id(NOW + 1), NOW + 2), None);
        let bob = token(Some("t"), Some("bob"), Some(NOW - 1));
        assert_eq!(set.revoked(&bob, NOW), None);
        let nobody = token(Some("t"), None, Some(NOW - 1));
        assert_eq!(
            set.revoked(&nobody, NOW),
            None,
            "no subject, no subject check"
        );
    }

    #[test]
    fn a_token_without_iat_of_a_revoked_subject_is_revoked() {
        let mut set = RevocationSet::new();
        set.revoke_subject("ann", at(NOW), at(NOW + 3600));
        assert_eq!(
            set.revoked(&token(None, Some("ann"), None), NOW),
            Some(RevokedBy::Subject)
        );
    }

    #[test]
    fn a_subject_revoked_mid_second_covers_that_whole_second() {
        let mut set = RevocationSet::new();
        let before = at(NOW) + Duration::from_millis(300);
        set.revoke_subject("ann", before, at(NOW + 3600));
        let id = |iat| token(None, Some("ann"), Some(iat));
        assert_eq!(set.revoked(&id(NOW), NOW), Some(RevokedBy::Subject));
        assert_eq!(set.revoked(&id(NOW + 1), NOW), None);
    }

    #[test]
    fn expired_entries_no_longer_count_and_are_purged() {
        let mut set = RevocationSet::new();
        set.revoke_token("t-1", at(NOW + 60));
        set.revoke_subject("ann", at(NOW), at(NOW + 120));
        let id = token(Some("t-1"), Some("ann"), Some(NOW - 1));
        assert_eq!(set.revoked(&id, NOW + 59), Some(RevokedBy::Token));
        assert_eq!(set.revoked(&id, NOW + 60), Some(RevokedBy::Subject));
        assert_eq!(
            set.revoked(&id, NOW + 120),
            None,
            "ignored before any purge"
        );
        assert_eq!(set.len(), 2);
        set.purge_expired(NOW + 59);
        assert_eq!(set.len(), 2);
        set.purge_expired(NOW + 60);
        assert_eq!(set.len(), 1);
        set.purge_expired(NOW + 120);
        assert!(set.is_empty());
    }

    #[test]
    fn the_later_before_and_the_later_expiry_win() {
        let mut set = RevocationSet::new();
        set.revoke_subject("ann", at(NOW), at(NOW + 100));
        set.revoke_subject("ann", at(NOW - 50), at(NOW + 50));
        let id = |iat| token(None, Some("ann"), Some(iat));
        assert_eq!(
            set.revoked(&id(NOW - 10), NOW + 99),
            Some(RevokedBy::Subject)
        );
        set.revoke_subject("ann", at(NOW + 10), at(NOW + 200));
        assert_eq!(
            set.revoked(&id(NOW + 5), NOW + 150),
            Some(RevokedBy::Subject)
        );
        assert_eq!(set.len(), 1);

        set.revoke_token("t", at(NOW + 100));
        set.revoke_token("t", at(NOW + 10));
        assert_eq!(
            set.revoked(&token(Some("t"), None, None), NOW + 50),
            Some(RevokedBy::Token)
        );
    }

    #[test]
    fn forgotten_entries_no_longer_count() {
        let mut set = RevocationSet::new();
        set.revoke_token("t-1", at(NOW + 60));
        set.revoke_subject("ann", at(NOW), at(NOW + 60));
        let id = token(Some("t-1"), Some("ann"), Some(NOW - 1));
        set.forget_token("t-1");
        assert_eq!(set.revoked(&id, NOW), Some(RevokedBy::Subject));
        set.forget_subject("ann");
        set.forget_subject("never-there");
        assert_eq!(set.revoked(&id, NOW), None);
        assert!(set.is_empty());
    }

    #[test]
    fn debug_counts_entries_and_shows_no_jti_or_subject() {
        let mut set = RevocationSet::new();
        set.revoke_token("secret-jti", at(NOW));
        set.revoke_subject("secret-subject", at(NOW), at(NOW));
        let debug = format!("{set:?}");
        assert_eq!(debug, "RevocationSet { tokens: 1, subjects: 1 }");
    }
}
