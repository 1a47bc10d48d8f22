//! [`RotationPolicy`]: when signing keys rotate, how early they are published and how long
//! their tokens live, and [`JWKS_MAX_AGE`], how long verifiers may cache the JWKS.

use std::time::{Duration, SystemTime};

use super::{IssuerError, SigningAlgorithm};

/// How long verifiers may cache the JWKS: the JWKS response's `Cache-Control: public,
/// max-age=300`. A new key is published at least this long before it signs.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// How long past `exp` a verifier may still accept a token (tollgate's default leeway): an old
/// key stays published this much longer than its last token's lifetime.
const VERIFIER_LEEWAY: Duration = Duration::from_secs(60);

/// [`Keys`](super::Keys) re-reads the store at least this often; the next key is created this much earlier
/// than `publish_ahead` before it signs, so a process syncing late still publishes it in time
/// and every process plans the same `signs_from` (hence the same `kid`).
pub(super) const RESYNC_INTERVAL: Duration = Duration::from_secs(60);

/// The longest duration a policy accepts, so every schedule stays representable.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// When keys rotate, how early they are published and how long their tokens live.
///
/// Every process sharing a store should use the same policy. A change of algorithm takes
/// effect at the next rotation.
#[derive(Debug, Clone)]
#[must_use]
pub struct RotationPolicy {
    pub(super) algorithm: SigningAlgorithm,
    pub(super) rotate_every: Duration,
    pub(super) publish_ahead: Duration,
    pub(super) max_token_lifetime: Duration,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RotationPolicy {
    /// ES256 keys, rotated every 30 days, published 1 hour before they sign, for tokens that
    /// live at most 1 hour.
    pub fn new() -> Self {
        Self {
            algorithm: SigningAlgorithm::Es256,
            rotate_every: Duration::from_secs(30 * 24 * 3600),
            publish_ahead: Duration::from_secs(3600),
            max_token_lifetime: Duration::from_secs(3600),
        }
    }

    /// The algorithm of new keys (default ES256).
    pub fn algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How long each key signs (default 30 days).
    pub fn rotate_every(mut self, every: Duration) -> Self {
        self.rotate_every = every;
        self
    }

    /// How long before it signs a new key is in the JWKS (default 1 hour); at least
    /// [`JWKS_MAX_AGE`], the time verifiers may cache the JWKS.
    pub fn publish_ahead(mut self, ahead: Duration) -> Self {
        self.publish_ahead = ahead;
        self
    }

    /// The longest lifetime of an access token (default 1 hour): an old key stays published
    /// this long, plus 60 s of verifier leeway, after it stops signing.
    /// [`KeyRing::sign`](super::KeyRing::sign) refuses claims whose `exp` is further away.
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_token_lifetime = lifetime;
        self
    }

    /// Checks the policy.
    ///
    /// # Errors
    /// [`IssuerError::Invalid`], saying what to fix, when a duration is zero or over 10 years,
    /// `publish_ahead` is shorter than [`JWKS_MAX_AGE`], or `rotate_every` is not longer than
    /// `publish_ahead` plus one minute.
    pub fn validate(&self) -> Result<(), IssuerError> {
        let invalid = |message: String| Err(IssuerError::Invalid(message));
        for (name, value) in [
            ("rotate_every", self.rotate_every),
            ("publish_ahead", self.publish_ahead),
            ("max_token_lifetime", self.max_token_lifetime),
        ] {
            if value.is_zero() || value > LONGEST {
                return invalid(format!(
                    "the rotation policy's {name} must be more than zero and at most 10 years"
                ));
            }
        }
        if self.publish_ahead < JWKS_MAX_AGE {
            return invalid(format!(
                "publish_ahead ({:?}) must be at least {JWKS_MAX_AGE:?}, how long verifiers cache the JWKS",
                self.publish_ahead
            ));
        }
        if self.rotate_every <= self.publish_ahead + RESYNC_INTERVAL {
            return invalid(format!(
                "rotate_every ({:?}) must be longer than publish_ahead ({:?}) plus one minute",
                self.rotate_every, self.publish_ahead
            ));
        }
        Ok(())
    }

    /// How long a key stays published after it stops signing.
    pub(super) fn retention(&self) -> Duration {
        self.max_token_lifetime + VERIFIER_LEEWAY
    }

    /// When the key after one that signs from `signs_from` must be created.
    pub(super) fn next_due(&self, signs_from: SystemTime) -> Option<SystemTime> {
        signs_from
            .checked_add(self.rotate_every)?
            .checked_sub(self.publish_ahead + RESYNC_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn policy() -> RotationPolicy {
        RotationPolicy::new()
            .rotate_every(120 * MINUTE)
            .publish_ahead(15 * MINUTE)
            .max_token_lifetime(10 * MINUTE)
    }

    #[test]
    fn the_policy_refuses_schedules_that_would_break_verification() {
        assert!(RotationPolicy::new().validate().is_ok());
        assert!(policy().validate().is_ok());
        for bad in [
            policy().publish_ahead(4 * MINUTE),
            policy().rotate_every(16 * MINUTE),
            policy().rotate_every(Duration::ZERO),
            policy().max_token_lifetime(Duration::ZERO),
            policy().max_token_lifetime(LONGEST + MINUTE),
        ] {
            assert!(
                matches!(bad.validate(), Err(IssuerError::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
