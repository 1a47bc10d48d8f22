//! Reading a NumericDate claim (RFC 7519 §2) strictly, for every token format tollgate checks.

use serde_json::Value;

use crate::error::Reason;

/// A NumericDate: a JSON number of seconds, possibly fractional, and finite. Strings, booleans
/// and other types are refused rather than coerced.
pub(crate) fn numeric_date(value: Option<&Value>) -> Result<Option<f64>, Reason> {
    match value {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(secs) if secs.is_finite() => Ok(Some(secs)),
            _ => Err(Reason::InvalidClaim),
        },
        Some(_) => Err(Reason::InvalidClaim),
    }
}
