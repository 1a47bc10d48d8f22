//! The ready-made guards and the combinators.

use std::fmt;

use serde_json::Value;

use super::{Denied, Guard};
use crate::principal::Principal;

/// A set of required values, all or any of them.
#[derive(Clone, PartialEq, Eq)]
struct Required {
    values: Box<[Box<str>]>,
    any: bool,
}

impl Required {
    fn new<I>(values: I, any: bool) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            values: values
                .into_iter()
                .map(|v| v.into().into_boxed_str())
                .collect(),
            any,
        }
    }

    /// An empty list is met by no one: a list read from configuration that comes back empty
    /// must close the route, not open it.
    fn met_by(&self, held: &[String]) -> bool {
        if self.values.is_empty() {
            return false;
        }
        let holds = |value: &str| held.iter().any(|h| h == value);
        let mut values = self.values.iter().map(|v| &**v);
        if self.any {
            values.any(holds)
        } else {
            values.all(holds)
        }
    }

    fn joined(&self) -> String {
        self.values.join(" ")
    }
}

impl fmt::Debug for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.any { "any of" } else { "all of" };
        write!(f, "{mode} {:?}", self.values)
    }
}

/// Requires scopes ([`Principal::scopes`]); built by [`scope`], [`scopes`] and [`any_scope`].
/// Denies with 403 `insufficient_scope` naming them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Required);

/// Requires group membership ([`Principal::groups`]); built by [`group`], [`groups`] and
/// [`any_group`]. Denies with a plain 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups(Required);

/// Requires roles ([`Principal::roles`]); built by [`role`], [`roles`] and [`any_role`].
/// Denies with a plain 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Required);

impl Guard for Scopes {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if self.0.met_by(principal.scopes()) {
            Ok(())
        } else if self.0.values.is_empty() {
            // No scope to name in a challenge: a new token would not help.
            Err(Denied::new())
        } else {
            Err(Denied::insufficient_scope(self.0.joined()))
        }
    }
}

impl Guard for Groups {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if self.0.met_by(principal.groups()) {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

impl Guard for Roles {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if self.0.met_by(principal.roles()) {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

/// Requires the scope `scope`.
pub fn scope(scope: impl Into<String>) -> Scopes {
    scopes([scope])
}

/// Requires every one of `scopes`. The challenge names them all.
///
/// An empty list lets no one through (a plain 403): a list read from configuration that comes
/// back empty closes the route rather than opening it.
pub fn scopes<I>(scopes: I) -> Scopes
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Scopes(Required::new(scopes, false))
}

/// Requires at least one of `scopes`. The challenge names them all: holding all of them
/// certainly suffices, and RFC 6750 has no way to say "one of".
///
/// An empty list lets no one through (a plain 403).
pub fn any_scope<I>(scopes: I) -> Scopes
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Scopes(Required::new(scopes, true))
}

/// Requires membership of `group`.
pub fn group(group: impl Into<String>) -> Groups {
    groups([group])
}

/// Requires membership of every one of `groups`.
///
/// An empty list lets no one through: a list read from configuration that comes back empty
/// closes the route rather than opening it.
pub fn groups<I>(groups: I) -> Groups
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Groups(Required::new(groups, false))
}

/// Requires membership of at least one of `groups`. An empty list lets no one through.
pub fn any_group<I>(groups: I) -> Groups
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Groups(Required::new(groups, true))
}

/// Requires the role `role`.
pub fn role(role: impl Into<String>) -> Roles {
    roles([role])
}

/// Requires every one of `roles`.
///
/// An empty list lets no one through: a list read from configuration that comes back empty
/// closes the route rather than opening it.
pub fn roles<I>(roles: I) -> Roles
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Roles(Required::new(roles, false))
}

/// Requires at least one of `roles`. An empty list lets no one through.
pub fn any_role<I>(roles: I) -> Roles
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    Roles(Required::new(roles, true))
}

/// Requires the claim `name` to equal `value` exactly (JSON equality: `"7"` is not `7`);
/// built by [`claim_equals`]. Denies with a plain 403.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimEquals {
    name: Box<str>,
    value: Value,
}

/// Requires the claim `name` to contain `value`; built by [`claim_contains`]. Denies with a
/// plain 403.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimContains {
    name: Box<str>,
    value: Value,
}

/// Requires the claim `name` to be present and equal to `value`, e.g.
/// `claim_equals("tenant", "acme")` or `claim_equals("email_verified", true)`.
pub fn claim_equals(name: impl Into<String>, value: impl Into<Value>) -> ClaimEquals {
    ClaimEquals {
        name: name.into().into_boxed_str(),
        value: value.into(),
    }
}

/// Requires the claim `name` to contain `value`: an array claim with `value` as an element, or
/// a space-delimited string claim (like `scope`) with the string `value` as one of its words.
pub fn claim_contains(name: impl Into<String>, value: impl Into<Value>) -> ClaimContains {
    ClaimContains {
        name: name.into().into_boxed_str(),
        value: value.into(),
    }
}

impl Guard for ClaimEquals {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        if principal.claim(&self.name) == Some(&self.value) {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

impl Guard for ClaimContains {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        let contains = match (principal.claim(&self.name), &self.value) {
            (Some(Value::Array(items)), value) => items.contains(value),
            (Some(Value::String(words)), Value::String(word)) => {
                words.split_whitespace().any(|w| w == word)
            }
            _ => false,
        };
        if contains {
            Ok(())
        } else {
            Err(Denied::new())
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Several guards for [`any_of`] and [`all_of`]: a tuple of up to eight guards of any types,
/// or an array or `Vec` of guards of one type.
pub trait GuardList: sealed::Sealed + Send + Sync + 'static {
    /// Calls `visit` with each guard's verdict, in order, until it returns `false`.
    #[doc(hidden)]
    fn visit(&self, principal: &Principal, visit: &mut dyn FnMut(Result<(), Denied>) -> bool);
}

macro_rules! tuple_list {
    ($($name:ident),+) => {
        impl<$($name: Guard),+> sealed::Sealed for ($($name,)+) {}
        impl<$($name: Guard),+> GuardList for ($($name,)+) {
            #[allow(non_snake_case)]
            fn visit(&self, principal: &Principal, visit: &mut dyn FnMut(Result<(), Denied>) -> bool) {
                let ($($name,)+) = self;
                $(
                    if !visit($name.check(principal)) {
                        return;
                    }
                )+
            }
        }
    };
}

tuple_list!(A);
tuple_list!(A, B);
tuple_list!(A, B, C);
tuple_list!(A, B, C, D);
tuple_list!(A, B, C, D, E);
tuple_list!(A, B, C, D, E, F);
tuple_list!(A, B, C, D, E, F, G);
tuple_list!(A, B, C, D, E, F, G, H);

impl<G: Guard> sealed::Sealed for Vec<G> {}
impl<G: Guard> GuardList for Vec<G> {
    fn visit(&self, principal: &Principal, visit: &mut dyn FnMut(Result<(), Denied>) -> bool) {
        for guard in self {
            if !visit(guard.check(principal)) {
                return;
            }
        }
    }
}

impl<G: Guard, const N: usize> sealed::Sealed for [G; N] {}
impl<G: Guard, const N: usize> GuardList for [G; N] {
    fn visit(&self, principal: &Principal, visit: &mut dyn FnMut(Result<(), Denied>) -> bool) {
        for guard in self {
            if !visit(guard.check(principal)) {
                return;
            }
        }
    }
}

/// Passes when any of its guards passes; built by [`any_of`].
#[derive(Clone)]
pub struct AnyOf<L>(L);

/// Passes when all of its guards pass; built by [`all_of`].
#[derive(Clone)]
pub struct AllOf<L>(L);

/// Passes when its guard denies; built by [`not`].
#[derive(Clone)]
pub struct Not<G>(G);

/// Passes when any of `guards` passes, e.g. `any_of((scope("admin"), group("operators")))`.
/// Checked in order, stopping at the first pass; none at all lets no one through.
///
/// When every guard denied for lack of scope, the denial is `insufficient_scope` naming all
/// of their scopes; otherwise it is a plain 403.
pub fn any_of<L: GuardList>(guards: L) -> AnyOf<L> {
    AnyOf(guards)
}

/// Passes when every one of `guards` passes; the denial is that of the first guard that
/// denies. Checked in order.
///
/// None at all (an empty `Vec` or array) lets no one through, with a plain 403: guards built
/// from configuration that comes back empty close the route rather than opening it.
pub fn all_of<L: GuardList>(guards: L) -> AllOf<L> {
    AllOf(guards)
}

/// Passes when `guard` denies (a plain 403 when it passes), e.g. `not(group("suspended"))`.
pub fn not<G: Guard>(guard: G) -> Not<G> {
    Not(guard)
}

impl<L: GuardList> Guard for AnyOf<L> {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        let mut passed = false;
        let mut denied_any = false;
        // The union of the required scopes while every denial so far is a scope denial.
        let mut scopes: Option<Vec<String>> = Some(Vec::new());
        self.0.visit(principal, &mut |verdict| {
            match verdict {
                Ok(()) => passed = true,
                Err(denied) => {
                    denied_any = true;
                    match (denied.scope(), scopes.as_mut()) {
                        (Some(scope), Some(all)) => {
                            for s in scope.split(' ') {
                                if !all.iter().any(|a| a == s) {
                                    all.push(s.to_owned());
                                }
                            }
                        }
                        _ => scopes = None,
                    }
                }
            }
            !passed
        });
        match scopes {
            _ if passed => Ok(()),
            Some(scopes) if denied_any => Err(Denied::insufficient_scope(scopes.join(" "))),
            _ => Err(Denied::new()),
        }
    }
}

impl<L: GuardList> Guard for AllOf<L> {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        let mut result = Err(Denied::new());
        self.0.visit(principal, &mut |verdict| {
            result = verdict;
            result.is_ok()
        });
        result
    }
}

impl<G: Guard> Guard for Not<G> {
    fn check(&self, principal: &Principal) -> Result<(), Denied> {
        match self.0.check(principal) {
            Ok(()) => Err(Denied::new()),
            Err(_) => Ok(()),
        }
    }
}

impl<L> fmt::Debug for AnyOf<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyOf")
            .field(&std::any::type_name::<L>())
            .finish()
    }
}

impl<L> fmt::Debug for AllOf<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AllOf")
            .field(&std::any::type_name::<L>())
            .finish()
    }
}

impl<G> fmt::Debug for Not<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Not")
            .field(&std::any::type_name::<G>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn principal(claims: Value) -> Principal {
        let claims = claims.as_object().cloned().unwrap_or_default();
        let list = |name: &str| -> Vec<String> {
            claims
                .get(name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        Principal::builder("test")
            .scopes(list("scp"))
            .groups(list("groups"))
            .roles(list("roles"))
            .claims(claims)
            .build()
    }

    fn case(name: &str, guard: impl Guard, expected: bool) -> (&str, Box<dyn Guard>, bool) {
        (name, Box::new(guard), expected)
    }

    #[test]
    fn named_guards_read_the_principal() {
        let p = principal(json!({
            "scp": ["read", "write"],
            "groups": ["ops"],
            "roles": ["viewer"],
            "tenant": "acme",
            "level": 3,
            "amr": ["pwd", "mfa"],
            "scope": "read write",
        }));
        let cases = [
            case("scope held", scope("read"), true),
            case("scope missing", scope("admin"), false),
            case("all scopes", scopes(["read", "write"]), true),
            case("all scopes, one missing", scopes(["read", "admin"]), false),
            case("any scope", any_scope(["admin", "write"]), true),
            case("all of no scopes", scopes(Vec::<String>::new()), false),
            case("any of no scopes", any_scope(Vec::<String>::new()), false),
            case("group", group("ops"), true),
            case("group missing", group("admins"), false),
            case("all of no groups", groups(Vec::<String>::new()), false),
            case("any of no groups", any_group(Vec::<String>::new()), false),
            case("groups all", groups(["ops", "admins"]), false),
            case("any group", any_group(["admins", "ops"]), true),
            case("role", role("viewer"), true),
            case("roles", roles(["viewer", "editor"]), false),
            case("all of no roles", roles(Vec::<String>::new()), false),
            case("any of no roles", any_role(Vec::<String>::new()), false),
            case("any role", any_role(["editor", "viewer"]), true),
            case("claim equals", claim_equals("tenant", "acme"), true),
            case("claim differs", claim_equals("tenant", "other"), false),
            case("claim equals number", claim_equals("level", 3), true),
            case("no string coercion", claim_equals("level", "3"), false),
            case("claim absent", claim_equals("nope", "x"), false),
            case("array contains", claim_contains("amr", "mfa"), true),
            case("array lacks", claim_contains("amr", "otp"), false),
            case("words contain", claim_contains("scope", "write"), true),
            case("no substring match", claim_contains("scope", "wri"), false),
            case("scalar contains nothing", claim_contains("level", 3), false),
            case("closure", |p: &Principal| p.provider() == "test", true),
            case(
                "closure denies",
                |p: &Principal| p.subject().is_some(),
                false,
            ),
            case("not", not(group("banned")), true),
            case("not held", not(group("ops")), false),
            case("any of", any_of((scope("admin"), group("ops"))), true),
            case("any of none", any_of(Vec::<Scopes>::new()), false),
            case("all of", all_of((scope("read"), role("viewer"))), true),
            case(
                "all of, one fails",
                all_of([scope("read"), scope("admin")]),
                false,
            ),
            case("all of no guards", all_of(Vec::<Scopes>::new()), false),
            case("all of no guards, array", all_of::<[Scopes; 0]>([]), false),
        ];
        for (name, guard, expected) in cases {
            assert_eq!(guard.check(&p).is_ok(), expected, "{name}");
        }
    }

    #[test]
    fn denials_say_which_scopes_are_required() {
        let p = principal(json!({ "scp": ["read"], "groups": ["ops"] }));
        assert_eq!(
            scopes(["read", "write", "admin"]).check(&p),
            Err(Denied::insufficient_scope("read write admin"))
        );
        assert_eq!(group("admins").check(&p), Err(Denied::new()));
        assert_eq!(
            any_of((scope("admin"), scopes(["write", "admin"]))).check(&p),
            Err(Denied::insufficient_scope("admin write"))
        );
        assert_eq!(
            any_of((scope("admin"), group("admins"))).check(&p),
            Err(Denied::new())
        );
        assert_eq!(
            all_of((group("ops"), scope("admin"), group("nope"))).check(&p),
            Err(Denied::insufficient_scope("admin"))
        );
        assert_eq!(not(scope("read")).check(&p), Err(Denied::new()));
    }
}
