//! The verified-token cache: a client reuses its token for the token's whole lifetime, so the
//! second and later requests with it skip the signature check, which is the cost of
//! verification.
//!
//! It is exactly as strict as verifying again, because a hit re-runs every check whose outcome
//! can change between two requests:
//! - the entry is found by a hash of the token's last bytes, but used only if the **whole
//!   token** is byte-for-byte equal to the one that was verified (a hash match alone never
//!   admits anything);
//! - `exp` and `nbf` are checked again against the provider's clock, with the same leeway;
//! - the key that verified the token must still be in the current key set under the same `kid`,
//!   with the same key bytes, accepting the token's `alg` by the same rule as verifying (the
//!   provider's [`UnpinnedRsa`]), and the set must still be within its maximum staleness: a key
//!   withdrawn or replaced by the issuer takes its tokens with it;
//! - only tokens that passed every check are stored; an invalid token is never cached, so a
//!   flood of garbage or forged tokens cannot fill or poison it.
//!
//! Everything else the verification decided (signature, algorithm allowlist, `iss`, `aud`,
//! required claims, claim types) depends only on the token's bytes and the provider's fixed
//! configuration, so it cannot change for the same token.
//!
//! Each worker thread has its own cache (no shared lock, no contended atomic), bounded to
//! `capacity` entries; a full cache drops an arbitrary entry to make room, so memory stays
//! bounded whatever the traffic.

use std::cell::{Ref, RefCell};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::sync::Arc;

use thread_local::ThreadLocal;

use crate::jose::Algorithm;
use crate::jwks::{KeySet, Lookup, UnpinnedRsa};
use crate::principal::Principal;

/// How many bytes at the token's end are hashed: they lie in the signature, which differs
/// between any two tokens an issuer signs.
const HASHED_TAIL: usize = 32;

pub(crate) struct VerifiedTokens {
    capacity: usize,
    leeway: f64,
    threads: ThreadLocal<RefCell<Shard>>,
}

struct Shard {
    entries: HashMap<u64, Entry>,
}

thread_local! {
    /// One hash key per thread, shared by every provider's cache on it, so a token is hashed
    /// once however many caches are looked at (`Providers` looks at each JWT provider's).
    static HASHER: RandomState = RandomState::new();
}

/// Where a token sits in the verified-token caches: a keyed hash of its length and last bytes.
/// Valid in every provider's cache, on the thread that computed it only (hence not `Send`).
#[derive(Clone, Copy)]
pub(crate) struct TokenKey {
    hash: u64,
    this_thread: PhantomData<*const ()>,
}

impl TokenKey {
    pub(crate) fn of(token: &str) -> Self {
        let bytes = token.as_bytes();
        let tail = bytes
            .get(bytes.len().saturating_sub(HASHED_TAIL)..)
            .unwrap_or(bytes);
        Self {
            hash: HASHER.with(|hasher| hasher.hash_one((bytes.len(), tail))),
            this_thread: PhantomData,
        }
    }
}

/// A token this thread verified before, found but not yet re-checked. Borrows the thread's
/// cache until dropped.
pub(crate) struct Found<'a> {
    entry: Ref<'a, Entry>,
    hash: u64,
    tokens: &'a VerifiedTokens,
}

struct Entry {
    token: Box<str>,
    principal: Principal,
    exp: f64,
    nbf: Option<f64>,
    kid: Option<Box<str>>,
    alg: Algorithm,
    key: Arc<[u8]>,
}

/// What a verification established, for storing the token.
pub(crate) struct Verified<'a> {
    pub(crate) token: &'a str,
    pub(crate) principal: &'a Principal,
    pub(crate) exp: f64,
    pub(crate) nbf: Option<f64>,
    pub(crate) kid: Option<&'a str>,
    pub(crate) alg: Algorithm,
    pub(crate) key: &'a Arc<[u8]>,
}

impl VerifiedTokens {
    pub(crate) fn new(capacity: usize, leeway: u64) -> Self {
        Self {
            capacity,
            leeway: leeway as f64,
            threads: ThreadLocal::new(),
        }
    }

    fn shard(&self) -> &RefCell<Shard> {
        self.threads.get_or(|| {
            RefCell::new(Shard {
                entries: HashMap::new(),
            })
        })
    }

    /// The principal of `token` if this thread verified it before and it would pass again at
    /// `now` (seconds since the epoch) against `keys`, looked up as verifying does.
    pub(crate) fn get(
        &self,
        token: &str,
        now: f64,
        keys: &KeySet,
        unpinned: UnpinnedRsa,
    ) -> Option<Principal> {
        self.find(token, TokenKey::of(token))?
            .principal_if_current(now, keys, unpinned)
    }

    /// The entry for exactly `token` (whose key is `key`), if this thread verified it before.
    /// Nothing is re-checked yet, so a miss costs no clock read and no key-set load.
    pub(crate) fn find(&self, token: &str, key: TokenKey) -> Option<Found<'_>> {
        let shard = self.shard().try_borrow().ok()?;
        let entry = Ref::filter_map(shard, |shard| shard.entries.get(&key.hash)).ok()?;
        (*entry.token == *token).then_some(Found {
            entry,
            hash: key.hash,
            tokens: self,
        })
    }

    /// Stores a token that passed every check.
    pub(crate) fn insert(&self, verified: Verified<'_>) {
        let Ok(mut shard) = self.shard().try_borrow_mut() else {
            return;
        };
        let hash = TokenKey::of(verified.token).hash;
        if shard.entries.len() >= self.capacity && !shard.entries.contains_key(&hash) {
            if let Some(evicted) = shard.entries.keys().next().copied() {
                shard.entries.remove(&evicted);
            }
        }
        shard.entries.insert(
            hash,
            Entry {
                token: verified.token.into(),
                principal: verified.principal.clone(),
                exp: verified.exp,
                nbf: verified.nbf,
                kid: verified.kid.map(Into::into),
                alg: verified.alg,
                key: Arc::clone(verified.key),
            },
        );
    }

    #[cfg(test)]
    fn len_on_this_thread(&self) -> usize {
        self.shard().borrow().entries.len()
    }
}

impl Found<'_> {
    /// The principal, if the token would pass again at `now` (seconds since the epoch) against
    /// `keys`; otherwise the entry is dropped, so the token is verified afresh.
    pub(crate) fn principal_if_current(
        self,
        now: f64,
        keys: &KeySet,
        unpinned: UnpinnedRsa,
    ) -> Option<Principal> {
        let Found {
            entry,
            hash,
            tokens,
        } = self;
        let leeway = tokens.leeway;
        let current = now < entry.exp + leeway
            && entry.nbf.is_none_or(|nbf| now + leeway >= nbf)
            && matches!(keys.lookup(entry.kid.as_deref(), entry.alg, unpinned), Lookup::Found(key) if key.is(&entry.key));
        if current {
            return Some(entry.principal.clone());
        }
        drop(entry);
        if let Ok(mut shard) = tokens.shard().try_borrow_mut() {
            shard.entries.remove(&hash);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_never_grows_past_its_capacity_and_needs_the_whole_token() {
        let tokens = VerifiedTokens::new(8, 0);
        let principal = Principal::builder("jwt").build();
        let key: Arc<[u8]> = Arc::from(&b"key"[..]);
        for i in 0..1000 {
            let token = format!("header.payload-{i}.signature-{i:040}");
            tokens.insert(Verified {
                token: &token,
                principal: &principal,
                exp: f64::MAX,
                nbf: None,
                kid: Some("k"),
                alg: Algorithm::RS256,
                key: &key,
            });
            assert!(tokens.len_on_this_thread() <= 8);
        }
        assert_eq!(tokens.len_on_this_thread(), 8);

        // Same hashed tail and length, different bytes before it: not a hit.
        let tokens = VerifiedTokens::new(8, 0);
        let stored = format!("a.b.{}", "s".repeat(64));
        let forged = format!("x.y.{}", "s".repeat(64));
        tokens.insert(Verified {
            token: &stored,
            principal: &principal,
            exp: f64::MAX,
            nbf: None,
            kid: None,
            alg: Algorithm::RS256,
            key: &key,
        });
        assert_eq!(
            TokenKey::of(&stored).hash,
            TokenKey::of(&forged).hash,
            "a deliberate collision"
        );
        assert!(tokens.find(&forged, TokenKey::of(&forged)).is_none());
        assert!(tokens.find(&stored, TokenKey::of(&stored)).is_some());
        let keys = KeySet::default();
        assert!(tokens
            .get(&forged, 0.0, &keys, UnpinnedRsa::Rs256)
            .is_none());
    }
}
