//! Every metric tollgate emits, through the [`metrics`](https://docs.rs/metrics) facade when the
//! `metrics` feature is on. Without it each function here is an empty `#[inline]` one, so call
//! sites carry no `#[cfg]` and compile to nothing.
//!
//! The names, labels and their meaning are documented once, in `docs/metrics.md`
//! ([`manual::metrics`](crate::manual::metrics)). Every label value is bounded by configuration
//! or by an enum: provider names and JWKS URLs come from the configuration, reasons and outcomes
//! are fixed strings. Nothing a client sends (a token, a subject, a `kid`) ever becomes a label.

#[cfg(feature = "metrics")]
use ::metrics::{counter, gauge, histogram};

use crate::error::{AuthError, AuthErrorKind};
use crate::principal::Principal;

/// How a JWKS fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwksFetch {
    /// A 2xx answer with a well-formed JWKS document (even one with no usable key).
    Success,
    /// A 304 to a conditional request: the keys are confirmed.
    NotModified,
    /// A transport error, a non-2xx status, malformed JSON or an oversized body.
    Failure,
}

impl JwksFetch {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::NotModified => "not_modified",
            Self::Failure => "failure",
        }
    }
}

/// Why a fetch for an unknown `kid` was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefetchRefused {
    /// The `kid` was missing from a fetch made after it was first asked for, within the
    /// unknown-`kid` cooldown.
    KidCooldown,
    /// Another fetch for an unknown `kid` started within the unknown-`kid` interval.
    Interval,
}

impl RefetchRefused {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Self::KidCooldown => "kid_cooldown",
            Self::Interval => "interval",
        }
    }
}

/// What a call to an RFC 7662 introspection endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntrospectionOutcome {
    /// `"active": true`.
    Active,
    /// `"active": false`.
    Inactive,
    /// No usable answer: a transport error, a non-2xx status or a malformed body.
    Failure,
}

impl IntrospectionOutcome {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Failure => "failure",
        }
    }
}

/// The HTTP status of a denial, as a fixed label value.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn status_label(kind: AuthErrorKind) -> &'static str {
    match kind.status().as_u16() {
        401 => "401",
        403 => "403",
        503 => "503",
        _ => "other",
    }
}

/// A request an [`AuthLayer`](crate::AuthLayer) admitted, by the provider that accepted it.
#[inline]
pub(crate) fn request_allowed(provider: &str) {
    #[cfg(feature = "metrics")]
    counter!("tollgate_requests_allowed_total", "provider" => provider.to_owned()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = provider;
}

/// A request refused by a layer (`provider`: the layer's provider) or a guard (`provider`: the
/// principal's provider, empty for an anonymous request).
#[inline]
pub(crate) fn request_denied(provider: &str, error: &AuthError) {
    #[cfg(feature = "metrics")]
    counter!(
        "tollgate_requests_denied_total",
        "provider" => provider.to_owned(),
        "reason" => error.reason().as_str(),
        "status" => status_label(error.kind()),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (provider, error);
}

/// A request a guard refused: counted as [`request_denied`] with the principal's provider
/// (empty for an anonymous request behind an optional layer).
#[inline]
pub(crate) fn guard_denied(principal: Option<&Principal>, error: &AuthError) {
    request_denied(principal.map_or("", Principal::provider), error);
}

/// A JWKS fetch of `url` (the configured or discovered JWKS URL) ended with `outcome`.
#[inline]
pub(crate) fn jwks_fetch(url: &str, outcome: JwksFetch) {
    #[cfg(feature = "metrics")]
    counter!(
        "tollgate_jwks_fetches_total",
        "jwks_url" => url.to_owned(),
        "outcome" => outcome.as_str(),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (url, outcome);
}

/// Whether the key set of `url` is served past its refresh time because refreshing it fails.
#[inline]
pub(crate) fn jwks_stale(url: &str, stale: bool) {
    #[cfg(feature = "metrics")]
    gauge!("tollgate_jwks_stale", "jwks_url" => url.to_owned()).set(f64::from(u8::from(stale)));
    #[cfg(not(feature = "metrics"))]
    let _ = (url, stale);
}

/// A token's unknown `kid` was answered without fetching the JWKS of `url`.
#[inline]
pub(crate) fn jwks_refetch_refused(url: &str, rule: RefetchRefused) {
    #[cfg(feature = "metrics")]
    counter!(
        "tollgate_jwks_refetch_refused_total",
        "jwks_url" => url.to_owned(),
        "rule" => rule.as_str(),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (url, rule);
}

/// A token found in `provider`'s verified-token cache and still current.
#[inline]
pub(crate) fn token_cache_hit(provider: &str) {
    #[cfg(feature = "metrics")]
    counter!("tollgate_token_cache_hits_total", "provider" => provider.to_owned()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = provider;
}

/// A token not in `provider`'s verified-token cache (or no longer current there), whose
/// signature is checked instead.
#[inline]
pub(crate) fn token_cache_miss(provider: &str) {
    #[cfg(feature = "metrics")]
    counter!("tollgate_token_cache_misses_total", "provider" => provider.to_owned()).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = provider;
}

/// Times a verification on the slow path (parsing the token, finding its key, checking its
/// signature). Zero-sized and free without the feature.
#[must_use]
pub(crate) struct VerificationTimer {
    #[cfg(feature = "metrics")]
    started: std::time::Instant,
}

impl VerificationTimer {
    #[inline]
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            started: std::time::Instant::now(),
        }
    }

    /// Records the time since [`start`](Self::start) for `provider`.
    #[inline]
    pub(crate) fn record(self, provider: &str) {
        #[cfg(feature = "metrics")]
        histogram!("tollgate_verification_duration_seconds", "provider" => provider.to_owned())
            .record(self.started.elapsed().as_secs_f64());
        #[cfg(not(feature = "metrics"))]
        let _ = provider;
    }
}

/// A call to `provider`'s introspection endpoint answered `outcome` (a cache hit is no call).
#[inline]
pub(crate) fn introspection_call(provider: &str, outcome: IntrospectionOutcome) {
    #[cfg(feature = "metrics")]
    counter!(
        "tollgate_introspection_requests_total",
        "provider" => provider.to_owned(),
        "outcome" => outcome.as_str(),
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (provider, outcome);
}

/// A token looked up in `provider`'s introspection cache: found and still valid (`hit`), or
/// not (then the endpoint is called).
#[inline]
pub(crate) fn introspection_cache(provider: &str, hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        counter!("tollgate_introspection_cache_hits_total", "provider" => provider.to_owned())
            .increment(1);
    } else {
        counter!("tollgate_introspection_cache_misses_total", "provider" => provider.to_owned())
            .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (provider, hit);
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    use super::*;
    use crate::error::Reason;

    type Snapshot = Vec<(
        metrics_util::CompositeKey,
        Option<::metrics::Unit>,
        Option<::metrics::SharedString>,
        DebugValue,
    )>;

    /// The value of the metric `name` whose labels are exactly `labels`.
    fn value<'a>(
        snapshot: &'a Snapshot,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&'a DebugValue> {
        let mut wanted = labels.to_vec();
        wanted.sort_unstable();
        snapshot
            .iter()
            .find(|(key, _, _, _)| {
                let key = key.key();
                let mut found: Vec<(&str, &str)> =
                    key.labels().map(|l| (l.key(), l.value())).collect();
                found.sort_unstable();
                key.name() == name && found == wanted
            })
            .map(|(_, _, _, value)| value)
    }

    #[test]
    fn each_function_emits_its_documented_metric_and_labels() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        ::metrics::with_local_recorder(&recorder, || {
            request_allowed("jwt");
            request_denied("jwt", &AuthError::invalid_token(Reason::Expired));
            request_denied("jwt", &AuthError::insufficient_scope("admin"));
            jwks_fetch("https://issuer/jwks", JwksFetch::NotModified);
            jwks_stale("https://issuer/jwks", true);
            jwks_refetch_refused("https://issuer/jwks", RefetchRefused::KidCooldown);
            token_cache_hit("jwt");
            token_cache_miss("jwt");
            VerificationTimer::start().record("jwt");
            introspection_call("opaque", IntrospectionOutcome::Inactive);
            introspection_cache("opaque", true);
            introspection_cache("opaque", false);
        });
        let snapshot = snapshotter.snapshot().into_vec();
        let counter = |name, labels: &[(&str, &str)]| match value(&snapshot, name, labels) {
            Some(DebugValue::Counter(n)) => *n,
            other => panic!("{name} {labels:?}: {other:?}"),
        };
        assert_eq!(
            counter("tollgate_requests_allowed_total", &[("provider", "jwt")]),
            1
        );
        assert_eq!(
            counter(
                "tollgate_requests_denied_total",
                &[
                    ("provider", "jwt"),
                    ("reason", "expired"),
                    ("status", "401")
                ]
            ),
            1
        );
        assert_eq!(
            counter(
                "tollgate_requests_denied_total",
                &[
                    ("provider", "jwt"),
                    ("reason", "missing_scope"),
                    ("status", "403")
                ]
            ),
            1
        );
        let url = ("jwks_url", "https://issuer/jwks");
        assert_eq!(
            counter(
                "tollgate_jwks_fetches_total",
                &[url, ("outcome", "not_modified")]
            ),
            1
        );
        assert!(matches!(
            value(&snapshot, "tollgate_jwks_stale", &[url]),
            Some(DebugValue::Gauge(v)) if v.into_inner() == 1.0
        ));
        assert_eq!(
            counter(
                "tollgate_jwks_refetch_refused_total",
                &[url, ("rule", "kid_cooldown")]
            ),
            1
        );
        let jwt = [("provider", "jwt")];
        assert_eq!(counter("tollgate_token_cache_hits_total", &jwt), 1);
        assert_eq!(counter("tollgate_token_cache_misses_total", &jwt), 1);
        assert!(matches!(
            value(&snapshot, "tollgate_verification_duration_seconds", &jwt),
            Some(DebugValue::Histogram(v)) if v.len() == 1
        ));
        assert_eq!(
            counter(
                "tollgate_introspection_requests_total",
                &[("provider", "opaque"), ("outcome", "inactive")]
            ),
            1
        );
        let opaque = [("provider", "opaque")];
        assert_eq!(
            counter("tollgate_introspection_cache_hits_total", &opaque),
            1
        );
        assert_eq!(
            counter("tollgate_introspection_cache_misses_total", &opaque),
            1
        );
    }
}
