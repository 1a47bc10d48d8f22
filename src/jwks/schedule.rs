//! When to fetch a JWKS again: the lifetime its response declares, clamped to the configured
//! window, refreshed ahead with jitter; and exponential backoff with jitter after failures.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use http::header::{AGE, CACHE_CONTROL, DATE, EXPIRES};
use http::HeaderMap;

/// Refresh-schedule settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Schedule {
    /// Shortest lifetime assumed for a key set, whatever its headers say.
    pub(crate) min: Duration,
    /// Longest lifetime assumed for a key set, whatever its headers say.
    pub(crate) max: Duration,
    /// First delay after a failed fetch; doubles with each further failure.
    pub(crate) backoff_initial: Duration,
    /// Longest delay between attempts while fetches fail.
    pub(crate) backoff_max: Duration,
}

impl Schedule {
    /// The delay before refreshing a key set whose response declared `lifetime`: the lifetime
    /// clamped to `[min, max]`, of which a random 80–90 % elapses before the refresh, so the
    /// refresh happens ahead of expiry and a fleet of servers does not fetch in step.
    pub(crate) fn after_success(&self, lifetime: Option<Duration>) -> Duration {
        let lifetime = lifetime.unwrap_or(self.min).clamp(self.min, self.max);
        lifetime.mul_f64(0.8 + 0.1 * random_fraction())
    }

    /// The delay before the next attempt after `failures` consecutive failures (at least 1):
    /// `backoff_initial × 2^(failures−1)`, capped at `backoff_max`, of which a random half to
    /// whole is used ("equal jitter").
    pub(crate) fn after_failure(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let base = self
            .backoff_initial
            .saturating_mul(1 << exponent)
            .min(self.backoff_max);
        base.mul_f64(0.5 + 0.5 * random_fraction())
    }
}

/// How long a response may be considered fresh, from `Cache-Control` (`max-age` less `Age`;
/// `no-cache` and `no-store` mean zero) or else `Expires` (relative to `Date`, or to `now`).
/// `None` when the response says nothing.
pub(crate) fn freshness(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim();
            let (name, arg) = match directive.split_once('=') {
                Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                // An unparseable max-age makes the response stale (RFC 9111 §4.2.1).
                let secs = arg.and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
                max_age = Some(Duration::from_secs(secs));
            }
        }
    }
    if let Some(max_age) = max_age {
        let age = headers
            .get(AGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(Duration::ZERO, Duration::from_secs);
        return Some(max_age.saturating_sub(age));
    }
    let expires = headers.get(EXPIRES)?;
    // An invalid Expires, such as "0", means already expired (RFC 9111 §5.3).
    let Some(expires) = http_date(expires) else {
        return Some(Duration::ZERO);
    };
    let date = headers.get(DATE).and_then(http_date).unwrap_or(now);
    Some(expires.duration_since(date).unwrap_or(Duration::ZERO))
}

fn http_date(value: &http::HeaderValue) -> Option<SystemTime> {
    httpdate::parse_http_date(value.to_str().ok()?).ok()
}

/// A uniformly distributed number in `[0, 1)`, for jitter: not for anything secret.
fn random_fraction() -> f64 {
    // Each `RandomState` is seeded from the OS's randomness (and then incremented per thread),
    // which is plenty for spreading refreshes out.
    let bits = RandomState::new().hash_one(0u8);
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    const SCHEDULE: Schedule = Schedule {
        min: Duration::from_secs(300),
        max: Duration::from_secs(86_400),
        backoff_initial: Duration::from_secs(2),
        backoff_max: Duration::from_secs(300),
    };

    #[test]
    fn freshness_follows_cache_control_then_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(freshness(&headers(&[]), now), None);
        assert_eq!(
            freshness(&headers(&[("cache-control", "public, max-age=3600")]), now),
            secs(3600)
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "MAX-AGE=\"60\"")]), now),
            secs(60)
        );
        assert_eq!(
            freshness(
                &headers(&[("cache-control", "max-age=3600"), ("age", "600")]),
                now
            ),
            secs(3000)
        );
        assert_eq!(
            freshness(
                &headers(&[("cache-control", "max-age=10"), ("age", "99")]),
                now
            ),
            secs(0)
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "max-age=abc")]), now),
            secs(0)
        );
        assert_eq!(
            freshness(&headers(&[("cache-control", "no-cache, max-age=900")]), now),
            secs(0)
        );
        assert_eq!(
            freshness(
                &headers(&[("cache-control", "private"), ("cache-control", "no-store")]),
                now
            ),
            secs(0)
        );
        assert_eq!(
            freshness(
                &headers(&[
                    ("date", "Tue, 14 Nov 2023 22:13:20 GMT"),
                    ("expires", "Tue, 14 Nov 2023 23:13:20 GMT")
                ]),
                now
            ),
            secs(3600),
            "Expires is read relative to the response's Date"
        );
        assert_eq!(
            freshness(
                &headers(&[("expires", "Tue, 14 Nov 2023 22:23:20 GMT")]),
                now
            ),
            secs(600)
        );
        assert_eq!(freshness(&headers(&[("expires", "0")]), now), secs(0));
        assert_eq!(
            freshness(
                &headers(&[
                    ("expires", "Tue, 14 Nov 2023 23:13:20 GMT"),
                    ("cache-control", "max-age=5")
                ]),
                now
            ),
            secs(5),
            "max-age wins over Expires"
        );
    }

    #[test]
    fn refreshes_come_ahead_of_the_clamped_lifetime() {
        for lifetime in [
            None,
            Some(Duration::ZERO),
            Some(Duration::from_secs(3600)),
            Some(Duration::from_secs(10_000_000)),
        ] {
            let clamped = lifetime
                .unwrap_or(SCHEDULE.min)
                .clamp(SCHEDULE.min, SCHEDULE.max);
            for _ in 0..100 {
                let delay = SCHEDULE.after_success(lifetime);
                assert!(
                    delay >= clamped.mul_f64(0.8) && delay <= clamped.mul_f64(0.9),
                    "{lifetime:?} → {delay:?}"
                );
            }
        }
        let delays: std::collections::HashSet<Duration> =
            (0..20).map(|_| SCHEDULE.after_success(None)).collect();
        assert!(delays.len() > 1, "jittered");
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_the_cap() {
        for (failures, base) in [
            (1, 2),
            (2, 4),
            (3, 8),
            (8, 256),
            (9, 300),
            (1000, 300),
            (u32::MAX, 300),
        ] {
            for _ in 0..50 {
                let delay = SCHEDULE.after_failure(failures);
                let base = Duration::from_secs(base);
                assert!(delay >= base / 2 && delay <= base, "{failures}: {delay:?}");
            }
        }
    }
}
