//! Claims as API Gateway forwards them, read back into the JSON a token carried (the gateway
//! turns every claim into a string, an array into `"[admin ops]"` and a number into
//! `"1700000000"`), and the principal they make.

use serde_json::{Map, Value};

use crate::jwt::mapping::strings_from;
use crate::principal::Principal;

/// The principal of the claims `claims` under the provider name `kind`, read the way a
/// [`JwtProvider`](crate::jwt::JwtProvider) with Cognito's group claim reads a token: subject
/// `sub` (unless `subject` is given), issuer `iss`, scopes `scopes` when the gateway listed them
/// and else `scope` then `scp`, groups `groups` then `cognito:groups`, roles `roles`, expiry
/// `exp`.
pub(super) fn principal(
    kind: &'static str,
    subject: Option<String>,
    scopes: Option<&[String]>,
    claims: Map<String, Value>,
) -> Principal {
    let text = |name: &str| {
        let value = claims.get(name).and_then(Value::as_str);
        value.filter(|v| !v.is_empty()).map(str::to_owned)
    };
    let scopes = match scopes {
        Some(scopes) if !scopes.is_empty() => scopes.to_vec(),
        _ => strings_from(&claims, &["scope", "scp"]),
    };
    Principal::builder(kind)
        .subject(subject.or_else(|| text("sub")))
        .issuer(text("iss"))
        .scopes(scopes)
        .groups(strings_from(&claims, &["groups", "cognito:groups"]))
        .roles(strings_from(&claims, &["roles"]))
        .expires_at(claims.get("exp").and_then(Value::as_u64))
        .claims(claims)
        .build()
}

/// Registered claims that are numbers in a token (seconds since the Unix epoch).
const NUMERIC: [&str; 4] = ["exp", "iat", "nbf", "auth_time"];
/// Claims that are booleans in OpenID Connect ID tokens.
const BOOLEAN: [&str; 2] = ["email_verified", "phone_number_verified"];

/// `claims` with each stringified value read back: a string in square brackets becomes the list
/// of its space-separated items, the registered time claims become numbers and the OpenID
/// Connect `*_verified` claims booleans. Anything else, and any value that does not parse, stays
/// as it came.
pub(super) fn destringified(
    claims: impl IntoIterator<Item = (String, Value)>,
) -> Map<String, Value> {
    claims
        .into_iter()
        .map(|(name, value)| {
            let value = destringify(&name, value);
            (name, value)
        })
        .collect()
}

fn destringify(name: &str, value: Value) -> Value {
    let Value::String(text) = &value else {
        return value;
    };
    if let Some(items) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return Value::Array(
            items
                .split(' ')
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        );
    }
    if NUMERIC.contains(&name) {
        if let Ok(number) = text.parse::<u64>() {
            return Value::from(number);
        }
    }
    if BOOLEAN.contains(&name) {
        match text.as_str() {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
    }
    value
}

/// A field API Gateway filled: it sends unused identity fields as `null` or `""`.
pub(super) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// A Lambda authorizer's `principalId` as text: a non-empty string, or a number or boolean (the
/// other value types a Lambda authorizer may return).
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(claims: Value) -> Value {
        let Value::Object(map) = claims else {
            panic!("an object")
        };
        Value::Object(destringified(map))
    }

    #[test]
    fn arrays_numbers_and_booleans_are_read_back() {
        let claims = read(json!({
            "cognito:groups": "[admin ops]",
            "empty": "[]",
            "exp": "1700000000",
            "email_verified": "true",
            "phone_number_verified": "false",
        }));
        assert_eq!(
            claims,
            json!({
                "cognito:groups": ["admin", "ops"],
                "empty": [],
                "exp": 1_700_000_000u64,
                "email_verified": true,
                "phone_number_verified": false,
            })
        );
    }

    #[test]
    fn everything_else_stays_as_it_came() {
        let original = json!({
            "sub": "1234",
            "exp": "Wed Jan 01 00:00:00 UTC 2031",
            "email_verified": "yes",
            "name": "[bot",
            "email": "a]@example.com",
            "count": 3,
            "flag": true,
        });
        assert_eq!(read(original.clone()), original);
    }
}
