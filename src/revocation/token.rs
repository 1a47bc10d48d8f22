//! [`TokenIdentity`]: what a revocation list needs to know about a verified token.

use serde_json::Value;

use crate::principal::Principal;

/// The parts of a verified token a [`RevocationList`](super::RevocationList) looks at: its
/// `jti`, its subject and its `iat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenIdentity<'a> {
    /// The token's `jti` claim, when it is a string.
    pub jti: Option<&'a str>,
    /// The principal's [`subject`](Principal::subject).
    pub subject: Option<&'a str>,
    /// The token's `iat` claim in seconds since the Unix epoch, when it is a non-negative
    /// number (a fraction is rounded down).
    pub issued_at: Option<u64>,
}

impl<'a> TokenIdentity<'a> {
    /// Reads the identity of `principal`: `jti` is the string claim `jti`, `subject` the
    /// principal's subject, `issued_at` the claim `iat` when it is a non-negative integer or
    /// float (floored).
    ///
    /// A `jti` that is not a string and an `iat` that is not a non-negative number (a string,
    /// a negative number) are `None`: they are not guessed at.
    pub fn of(principal: &'a Principal) -> Self {
        Self {
            jti: principal.claim("jti").and_then(Value::as_str),
            subject: principal.subject(),
            issued_at: principal.claim("iat").and_then(unix_seconds),
        }
    }
}

/// A JSON number as whole seconds: integers as they are, finite non-negative floats floored.
fn unix_seconds(value: &Value) -> Option<u64> {
    let Value::Number(number) = value else {
        return None;
    };
    number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            // `as` saturates: a float beyond u64::MAX becomes u64::MAX, never wraps.
            .map(|f| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let seconds = f.floor() as u64;
                seconds
            })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::*;

    fn principal(claims: &Value) -> Principal {
        let claims: Map<String, Value> = claims.as_object().cloned().unwrap_or_default();
        let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
        Principal::builder("jwt")
            .subject(subject)
            .claims(claims)
            .build()
    }

    #[test]
    fn reads_jti_subject_and_iat() {
        let p = principal(&json!({"sub": "ann", "jti": "t-1", "iat": 1_700_000_000}));
        assert_eq!(
            TokenIdentity::of(&p),
            TokenIdentity {
                jti: Some("t-1"),
                subject: Some("ann"),
                issued_at: Some(1_700_000_000),
            }
        );
    }

    #[test]
    fn odd_claim_types_are_not_guessed_at() {
        let cases = [
            (json!({"jti": 42, "iat": "1700000000"}), None, None),
            (json!({"jti": null, "iat": -5}), None, None),
            (
                json!({"jti": ["a"], "iat": 1.5e9 + 0.9}),
                None,
                Some(1_500_000_000),
            ),
            (json!({"iat": -0.5}), None, None),
            (json!({"iat": 1e300}), None, Some(u64::MAX)),
            (json!({"iat": true}), None, None),
            (json!({"jti": "", "iat": 0}), Some(""), Some(0)),
            (json!({}), None, None),
        ];
        for (claims, jti, iat) in cases {
            let p = principal(&claims);
            let id = TokenIdentity::of(&p);
            assert_eq!((id.jti, id.issued_at), (jti, iat), "{claims}");
            assert_eq!(id.subject, None);
        }
    }
}
