//! How a verified token's claims become a [`Principal`]: which claims hold its scopes, groups
//! and roles, and how their values are read.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::principal::Principal;

/// Which claims fill a principal's subject, scopes, groups and roles.
#[derive(Debug, Clone)]
pub(crate) struct ClaimNames {
    /// The first of these that is a string is the subject.
    pub(crate) subject: Vec<Box<str>>,
    pub(crate) scopes: Vec<Box<str>>,
    pub(crate) groups: Vec<Box<str>>,
    pub(crate) roles: Vec<Box<str>>,
}

impl Default for ClaimNames {
    fn default() -> Self {
        Self {
            subject: vec!["sub".into()],
            scopes: vec!["scope".into(), "scp".into()],
            groups: vec!["groups".into()],
            roles: vec!["roles".into()],
        }
    }
}

pub(crate) fn claim_list<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Vec<Box<str>> {
    names
        .into_iter()
        .map(|n| n.into().into_boxed_str())
        .collect()
}

impl ClaimNames {
    /// The principal of a verified token from `issuer`, recorded under the provider `name`.
    pub(crate) fn principal(
        &self,
        name: Arc<str>,
        issuer: &str,
        claims: Map<String, Value>,
        expires_at: u64,
    ) -> Principal {
        let subject = self
            .subject
            .iter()
            .find_map(|name| claims.get(&**name).and_then(Value::as_str))
            .map(str::to_owned);
        Principal::builder(name)
            .subject(subject)
            .issuer(Some(issuer.to_owned()))
            .scopes(strings_from(&claims, &self.scopes))
            .groups(strings_from(&claims, &self.groups))
            .roles(strings_from(&claims, &self.roles))
            .expires_at(expires_at)
            .claims(claims)
            .build()
    }
}

/// Every string in the named claims, in order: a claim may be a space-delimited string (as
/// `scope` is in RFC 8693 / RFC 9068) or an array of strings (as `scp`, `groups`, `roles` and
/// `permissions` usually are); other values and non-string array items are ignored.
pub(crate) fn strings_from<N: AsRef<str>>(claims: &Map<String, Value>, names: &[N]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        match claims.get(name.as_ref()) {
            Some(Value::String(s)) => {
                out.extend(s.split(' ').filter(|s| !s.is_empty()).map(str::to_owned))
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_from_scope_and_scp() {
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"scope":"read  write","scp":["admin",3]}"#)
                .unwrap_or_default();
        let names: Vec<Box<str>> = vec!["scope".into(), "scp".into()];
        assert_eq!(strings_from(&claims, &names), ["read", "write", "admin"]);
    }
}
