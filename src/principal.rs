//! The verified identity a provider produces, and the typed claims the layer can add.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The latest expiry a principal carries, in seconds since the Unix epoch: 9999-12-31T23:59:59Z.
/// Every platform's `SystemTime` holds it; a token's `exp` beyond it (`1e300`) is clamped here.
pub(crate) const LATEST_EXPIRY: u64 = 253_402_300_799;

/// The verified identity behind a request, stored in the request's extensions by
/// [`AuthLayer`](crate::AuthLayer). Cloning is cheap.
///
/// It serializes to JSON with every field, claims included; its `Debug` output counts the
/// claims but never shows their values.
#[derive(Clone, PartialEq)]
pub struct Principal {
    inner: Arc<Inner>,
}

#[derive(PartialEq)]
struct Inner {
    subject: Option<String>,
    issuer: Option<String>,
    provider: Arc<str>,
    scopes: Vec<String>,
    groups: Vec<String>,
    roles: Vec<String>,
    expires_at: Option<u64>,
    claims: Map<String, Value>,
}

impl Principal {
    /// A principal built by a provider, with scopes but no groups or roles.
    ///
    /// `scopes` are the scopes (or permissions) the credential carries, `expires_at` its expiry
    /// in seconds since the Unix epoch, `claims` every claim of the credential. Use
    /// [`Principal::builder`] to set groups and roles too.
    pub fn new(
        provider: Arc<str>,
        subject: Option<String>,
        issuer: Option<String>,
        scopes: Vec<String>,
        expires_at: Option<u64>,
        claims: Map<String, Value>,
    ) -> Self {
        Self::builder(provider)
            .subject(subject)
            .issuer(issuer)
            .scopes(scopes)
            .expires_at(expires_at)
            .claims(claims)
            .build()
    }

    /// Starts a principal for the provider named `provider`; every other field starts empty.
    pub fn builder(provider: impl Into<Arc<str>>) -> PrincipalBuilder {
        PrincipalBuilder {
            inner: Inner {
                subject: None,
                issuer: None,
                provider: provider.into(),
                scopes: Vec::new(),
                groups: Vec::new(),
                roles: Vec::new(),
                expires_at: None,
                claims: Map::new(),
            },
        }
    }

    /// The `sub` claim: who the credential was issued to.
    pub fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }

    /// The `iss` claim: who issued the credential.
    pub fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }

    /// The name of the provider that accepted the credential.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The scopes the credential carries (from `scope` or `scp`).
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether the credential carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner.scopes.iter().any(|s| s == scope)
    }

    /// The groups the subject belongs to (e.g. Cognito's `cognito:groups`, Okta's `groups`).
    pub fn groups(&self) -> &[String] {
        &self.inner.groups
    }

    /// Whether the subject belongs to `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.inner.groups.iter().any(|g| g == group)
    }

    /// The roles the subject holds (e.g. a `roles` claim).
    pub fn roles(&self) -> &[String] {
        &self.inner.roles
    }

    /// Whether the subject holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.roles.iter().any(|r| r == role)
    }

    /// When the credential expires (`None` only for a credential without an expiry, such as an
    /// API key without one). At most 9999-12-31T23:59:59Z: a later expiry is clamped to it.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.inner
            .expires_at
            .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
    }

    /// Every claim of the credential.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.inner.claims
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.inner.claims.get(name)
    }

    /// The claims deserialized into the application's type.
    ///
    /// # Errors
    /// When the claims do not have the shape `T` expects.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(MapRef(&self.inner.claims))
    }
}

impl Principal {
    /// The claims as the application's `T`, for the layer's `claims::<T>()` and the axum
    /// extractors alike: a token whose claims do not fit is refused (401 `invalid_token`), and
    /// why is logged without the claim values.
    pub(crate) fn typed_claims<T: DeserializeOwned>(&self) -> Result<T, crate::AuthError> {
        self.claims_as::<T>().map_err(|e| {
            let error = redacted_claims_error(&e);
            tracing::debug!(target: "tollgate::auth", %error, "claims do not fit the application's type");
            crate::AuthError::invalid_token(crate::error::Reason::ClaimsShape)
        })
    }
}

/// A [`Principal::claims_as`] error as it may be logged: serde's messages quote the offending
/// value (`invalid type: string "alice@example.com", expected u64`), and claim values can be
/// personal data or secrets. What is kept: the kind of mismatch and what the application's type
/// expected.
fn redacted_claims_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    // Names a field of the application's type, not data from the token.
    if message.starts_with("missing field `") && message.matches('`').count() == 2 {
        return message;
    }
    let (found, expected) = match message.rsplit_once(", expected ") {
        Some((found, expected)) => (found, Some(expected)),
        None => (message.as_str(), None),
    };
    let kind = found
        .split([':', '`', '"'])
        .next()
        .unwrap_or_default()
        .trim();
    match expected {
        Some(expected) => format!("{kind} (value redacted), expected {expected}"),
        None => format!("{kind} (value redacted)"),
    }
}

/// Builds a [`Principal`]; see [`Principal::builder`].
#[must_use]
pub struct PrincipalBuilder {
    inner: Inner,
}

impl fmt::Debug for PrincipalBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrincipalBuilder")
            .field("provider", &self.inner.provider)
            .finish_non_exhaustive()
    }
}

impl PrincipalBuilder {
    /// Who the credential was issued to.
    pub fn subject(mut self, subject: impl Into<Option<String>>) -> Self {
        self.inner.subject = subject.into();
        self
    }

    /// Who issued the credential.
    pub fn issuer(mut self, issuer: impl Into<Option<String>>) -> Self {
        self.inner.issuer = issuer.into();
        self
    }

    /// The scopes (or permissions) the credential carries.
    pub fn scopes(mut self, scopes: Vec<String>) -> Self {
        self.inner.scopes = scopes;
        self
    }

    /// The groups the subject belongs to.
    pub fn groups(mut self, groups: Vec<String>) -> Self {
        self.inner.groups = groups;
        self
    }

    /// The roles the subject holds.
    pub fn roles(mut self, roles: Vec<String>) -> Self {
        self.inner.roles = roles;
        self
    }

    /// Expiry in seconds since the Unix epoch. A time past the end of 9999
    /// (9999-12-31T23:59:59Z) is clamped to it, so [`Principal::expires_at`] always has a time to
    /// give: a principal must never look as if it does not expire because its expiry did not
    /// fit in a `SystemTime`.
    pub fn expires_at(mut self, expires_at: impl Into<Option<u64>>) -> Self {
        self.inner.expires_at = expires_at.into().map(|secs| secs.min(LATEST_EXPIRY));
        self
    }

    /// Every claim of the credential.
    pub fn claims(mut self, claims: Map<String, Value>) -> Self {
        self.inner.claims = claims;
        self
    }

    /// The principal.
    pub fn build(self) -> Principal {
        Principal {
            inner: Arc::new(self.inner),
        }
    }
}

/// Deserializes from a borrowed map without cloning it into a `Value` first.
struct MapRef<'a>(&'a Map<String, Value>);

impl<'de> serde::Deserializer<'de> for MapRef<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        use serde::de::value::MapDeserializer;
        use serde::de::IntoDeserializer;
        let iter = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str().into_deserializer(), v));
        visitor.visit_map(MapDeserializer::new(iter))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("subject", &self.inner.subject)
            .field("issuer", &self.inner.issuer)
            .field("provider", &self.inner.provider)
            .field("scopes", &self.inner.scopes)
            .field("groups", &self.inner.groups)
            .field("roles", &self.inner.roles)
            .field("expires_at", &self.inner.expires_at)
            .field(
                "claims",
                &format_args!("{} claims", self.inner.claims.len()),
            )
            .finish()
    }
}

impl serde::Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Principal", 8)?;
        s.serialize_field("subject", &self.inner.subject)?;
        s.serialize_field("issuer", &self.inner.issuer)?;
        s.serialize_field("provider", &*self.inner.provider)?;
        s.serialize_field("scopes", &self.inner.scopes)?;
        s.serialize_field("groups", &self.inner.groups)?;
        s.serialize_field("roles", &self.inner.roles)?;
        s.serialize_field("expires_at", &self.inner.expires_at)?;
        s.serialize_field("claims", &self.inner.claims)?;
        s.end()
    }
}

/// The application's typed claims, stored in request extensions by an
/// [`AuthLayer`](crate::AuthLayer) configured with
/// [`claims::<T>()`](crate::auth::AuthLayerBuilder::claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Claims<T>(pub T);

impl<T> std::ops::Deref for Claims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn logged_claims_errors_never_quote_claim_values() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Level {
            Low,
            High,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            n: u64,
            level: Option<Level>,
        }
        let error = |claims: Value| {
            let Value::Object(claims) = claims else {
                unreachable!()
            };
            let principal = Principal::builder("p").claims(claims).build();
            principal
                .claims_as::<Typed>()
                .err()
                .map(|e| redacted_claims_error(&e))
                .unwrap_or_default()
        };
        let secret = "secret\" \\ `value`, expected nothing";
        for (claims, shown) in [
            (
                serde_json::json!({"n": secret}),
                "invalid type (value redacted), expected u64",
            ),
            (
                serde_json::json!({"n": -5}),
                "invalid value (value redacted), expected u64",
            ),
            (
                serde_json::json!({"n": 1, "level": secret}),
                "unknown variant (value redacted), expected `Low` or `High`",
            ),
            (serde_json::json!({}), "missing field `n`"),
        ] {
            let logged = error(claims);
            assert_eq!(logged, shown);
            assert!(!logged.contains("secret"), "{logged}");
        }
    }

    #[test]
    fn claims_deserialize_into_user_types() {
        #[derive(Deserialize, PartialEq, Debug)]
        struct Mine {
            sub: String,
            tenant: u32,
            #[serde(default)]
            missing: Option<String>,
        }
        let claims: Map<String, Value> =
            serde_json::from_str(r#"{"sub":"u1","tenant":7,"extra":[1,2]}"#).unwrap_or_default();
        let p = Principal::new(
            "jwt".into(),
            Some("u1".into()),
            None,
            vec![],
            Some(10),
            claims,
        );
        let mine: Result<Mine, _> = p.claims_as();
        assert_eq!(
            mine.ok(),
            Some(Mine {
                sub: "u1".into(),
                tenant: 7,
                missing: None
            })
        );
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrong {
            tenant: String,
        }
        assert!(p.claims_as::<Wrong>().is_err());
        assert_eq!(
            p.expires_at(),
            UNIX_EPOCH.checked_add(Duration::from_secs(10))
        );
    }

    #[test]
    fn an_expiry_past_what_system_time_holds_is_clamped_not_lost() {
        for secs in [u64::MAX, i64::MAX as u64, 253_402_300_800] {
            let p = Principal::builder("jwt").expires_at(secs).build();
            assert_eq!(
                p.expires_at(),
                UNIX_EPOCH.checked_add(Duration::from_secs(253_402_300_799)),
                "{secs}"
            );
        }
        let p = Principal::builder("jwt").expires_at(10).build();
        assert_eq!(
            p.expires_at(),
            UNIX_EPOCH.checked_add(Duration::from_secs(10))
        );
        assert_eq!(Principal::builder("jwt").build().expires_at(), None);
    }
}
