//! A JSON object reader that refuses duplicate member names, for JOSE headers and claim sets.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON object whose top-level keys are unique. Two `exp` or two `iss` members would let a
/// verifier and a downstream reader disagree on the token's meaning (RFC 7519 §4 says to reject).
pub(crate) struct StrictObject(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = StrictObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object with unique member names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.insert(key, value).is_some() {
                        return Err(de::Error::custom("duplicate member"));
                    }
                }
                Ok(StrictObject(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}
