//! ARN patterns (`*` matches any run of characters) and the [`arn_matches`] guard built on them.

use std::fmt;

use crate::guard::{Denied, Guard};
use crate::principal::Principal;

/// An ARN pattern: literal text in which `*` matches any run of characters (`/` and `:`
/// included), compared case-sensitively as IAM compares ARNs.
#[derive(Clone, PartialEq, Eq)]
pub struct ArnPattern {
    pattern: String,
}

impl ArnPattern {
    /// The pattern `pattern`, e.g. `arn:aws:iam::123456789012:role/Admin*`.
    pub fn new(pattern: impl Into<String>) -> Self {
        Self {
            pattern: pattern.into(),
        }
    }

    /// Whether `arn` matches.
    pub fn matches(&self, arn: &str) -> bool {
        wildcard_match(self.pattern.as_bytes(), arn.as_bytes())
    }

    /// Whether the principal matches: its caller ARN, or for an assumed role the role's ARN
    /// (`role_arn`). Only principals of the [`AwsIam`](super::AwsIam) provider have these claims.
    pub fn matches_principal(&self, principal: &Principal) -> bool {
        ["arn", "role_arn"].iter().any(|claim| {
            principal
                .claim(claim)
                .and_then(|v| v.as_str())
                .is_some_and(|arn| self.matches(arn))
        })
    }
}

impl fmt::Debug for ArnPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ArnPattern").field(&self.pattern).finish()
    }
}

impl<S: Into<String>> From<S> for ArnPattern {
    fn from(pattern: S) -> Self {
        Self::new(pattern)
    }
}

/// `*` matches any run of bytes; everything else matches itself. Greedy with one backtrack
/// point, so linear-ish time and no recursion whatever the pattern.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == c => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|c| *c == b'*')
}

/// A [`Guard`] passing principals whose ARN matches any of `patterns` (see
/// [`ArnPattern::matches_principal`]); others get a plain 403.
///
/// ```
/// use tollgate::aws_iam::arn_matches;
/// use tollgate::GuardLayer;
///
/// let admins = GuardLayer::new(arn_matches([
///     "arn:aws:iam::123456789012:role/Admin*",
///     "arn:aws:iam::123456789012:user/ops/*",
/// ]));
/// ```
pub fn arn_matches<P: Into<ArnPattern>>(patterns: impl IntoIterator<Item = P>) -> ArnMatches {
    ArnMatches {
        patterns: patterns.into_iter().map(Into::into).collect(),
    }
}

/// The guard [`arn_matches`] returns.
#[derive(Debug, Clone)]
pub struct ArnMatches {
    patterns: Vec<ArnPattern>,
}

impl ArnMatches {
    /// Whether any pattern matches the principal.
    pub fn allows(&self, principal: &Principal) -> bool {
        self.patterns.iter().any(|p| p.matches_principal(principal))
    }
}

impl Guard for ArnMatches {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if self.allows(principal) {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    #[test]
    fn star_matches_any_run_of_characters() {
        let cases = [
            (
                "arn:aws:iam::1:role/Admin*",
                "arn:aws:iam::1:role/Admin",
                true,
            ),
            (
                "arn:aws:iam::1:role/Admin*",
                "arn:aws:iam::1:role/AdminTeam",
                true,
            ),
            (
                "arn:aws:iam::1:role/Admin*",
                "arn:aws:iam::1:role/admin",
                false,
            ),
            (
                "arn:aws:iam::1:role/Admin*",
                "arn:aws:iam::2:role/Admin",
                false,
            ),
            (
                "arn:aws:iam::*:user/*",
                "arn:aws:iam::1:user/ops/alice",
                true,
            ),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbYcZ", false),
            ("a*b", "abab", true),
            ("a**b", "ab", true),
            (
                "arn:aws:iam::1:user/alice",
                "arn:aws:iam::1:user/alice",
                true,
            ),
            (
                "arn:aws:iam::1:user/alice",
                "arn:aws:iam::1:user/alice2",
                false,
            ),
            (
                "arn:aws:iam::1:user/alice",
                "arn:aws:iam::1:user/alic",
                false,
            ),
        ];
        for (pattern, arn, expected) in cases {
            assert_eq!(
                ArnPattern::new(pattern).matches(arn),
                expected,
                "{pattern} {arn}"
            );
        }
        let long = "a".repeat(5000);
        assert!(
            !ArnPattern::new("*a*a*a*a*a*b").matches(&long),
            "no blow-up"
        );
    }

    fn principal(claims: Value) -> Principal {
        let Value::Object(claims) = claims else {
            return Principal::builder("x").build();
        };
        Principal::builder("aws-iam").claims(claims).build()
    }

    #[test]
    fn an_assumed_role_matches_by_session_arn_or_role_arn() {
        let role = principal(json!({
            "arn": "arn:aws:sts::1:assumed-role/AdminTeam/ci",
            "role_arn": "arn:aws:iam::1:role/AdminTeam",
        }));
        assert!(arn_matches(["arn:aws:iam::1:role/Admin*"]).allows(&role));
        assert!(arn_matches(["arn:aws:sts::1:assumed-role/*/ci"]).allows(&role));
        assert!(!arn_matches(["arn:aws:iam::1:user/*"]).allows(&role));
        let user = principal(json!({ "arn": "arn:aws:iam::1:user/alice" }));
        assert!(arn_matches(["arn:aws:iam::1:user/*"]).check(&user).is_ok());
        assert!(arn_matches(["arn:aws:iam::1:role/*"]).check(&user).is_err());
        assert!(!arn_matches(["*"]).allows(&principal(Value::Object(Map::new()))));
    }
}
