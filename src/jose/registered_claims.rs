//! Reading registered claims strictly, for every token format tollgate checks (JWTs, ALB
//! tokens, introspection answers): NumericDates (RFC 7519 §2) and `aud` (§4.1.3).

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

/// Whether an `aud` value (a string, or an array of strings) names one of `accepted`. Any
/// other type, or a non-string array item, is refused rather than skipped.
pub(crate) fn audience_accepted(aud: &Value, accepted: &[String]) -> Result<bool, Reason> {
    match aud {
        Value::String(aud) => Ok(accepted.contains(aud)),
        Value::Array(auds) => {
            let mut ok = false;
            for aud in auds {
                let Value::String(aud) = aud else {
                    return Err(Reason::InvalidClaim);
                };
                ok |= accepted.contains(aud);
            }
            Ok(ok)
        }
        _ => Err(Reason::InvalidClaim),
    }
}
