//! The v2 key format (`tgk2_<id>_<secret>_<checksum>`, grammar in the [module docs](super)):
//! [`KeyId`], the strict parser and the generator.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest::{digest, SHA256};

use crate::error::ConfigError;

/// The prefix of v2 keys; legacy keys start with `tgk_`, so the two never overlap.
pub(super) const V2_PREFIX: &str = "tgk2_";

/// Whether `token` starts like a tollgate API key, v2 or legacy (`tgk_`): such a token sent as
/// a bearer token is a client's mistake, and must never be forwarded to an issuer.
pub(crate) fn looks_like_api_key(token: &str) -> bool {
    token.starts_with(V2_PREFIX) || token.starts_with("tgk_")
}
pub(super) const ID_LEN: usize = 16;
pub(super) const SECRET_LEN: usize = 43;
pub(super) const CHECKSUM_LEN: usize = 6;
/// `tgk2_` + id + `_` + secret + `_` + checksum.
pub(super) const V2_LEN: usize = V2_PREFIX.len() + ID_LEN + 1 + SECRET_LEN + 1 + CHECKSUM_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The public id of a v2 key: 16 base62 characters (about 95 random bits). Safe to log and
/// show; it is how a store finds the key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; ID_LEN]);

impl KeyId {
    /// Parses an id: exactly 16 base62 characters (`0-9`, `A-Z`, `a-z`).
    ///
    /// # Errors
    /// When the length or an alphabet is wrong.
    pub fn parse(id: &str) -> Result<Self, ConfigError> {
        Self::from_bytes(id.as_bytes()).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "API key id {id:?} is malformed: a v2 key id is 16 base62 characters (0-9, A-Z, a-z)"
            ))
        })
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let id: [u8; ID_LEN] = bytes.try_into().ok()?;
        id.iter().all(u8::is_ascii_alphanumeric).then_some(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for KeyId {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.as_str())
    }
}

/// Why a presented key is not a well-formed v2 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FormatError {
    /// Wrong length, separator or alphabet.
    Shape,
    /// Well-shaped, but the checksum does not match: a mistyped or made-up key.
    Checksum,
}

/// Parses a presented v2 key and returns its id. Total and allocation-free: a fixed-length
/// check, a byte scan and one SHA-256 over 65 bytes.
pub(super) fn parse_v2(key: &str) -> Result<KeyId, FormatError> {
    let bytes = key.as_bytes();
    let fields = bytes
        .split_first_chunk::<5>()
        .filter(|(prefix, _)| prefix.as_slice() == V2_PREFIX.as_bytes())
        .and_then(|(_, rest)| rest.split_first_chunk::<ID_LEN>())
        .and_then(|(id, rest)| Some((id, rest.split_first()?)))
        .and_then(|(id, (&sep1, rest))| Some((id, sep1, rest.split_first_chunk::<SECRET_LEN>()?)))
        .and_then(|(id, sep1, (secret, rest))| Some((id, sep1, secret, rest.split_first()?)));
    let Some((id, b'_', secret, (b'_', checksum_text))) = fields else {
        return Err(FormatError::Shape);
    };
    let alphanumeric = id
        .iter()
        .chain(secret)
        .chain(checksum_text)
        .all(u8::is_ascii_alphanumeric);
    if checksum_text.len() != CHECKSUM_LEN || !alphanumeric {
        return Err(FormatError::Shape);
    }
    let body = bytes
        .get(..V2_LEN - CHECKSUM_LEN - 1)
        .ok_or(FormatError::Shape)?;
    if checksum_text != checksum(body) {
        return Err(FormatError::Checksum);
    }
    Ok(KeyId(*id))
}

/// The first 4 bytes of SHA-256 over `tgk2_<id>_<secret>`, as 6 base62 digits (big-endian,
/// zero-padded: 62⁶ > 2³²).
fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let hash = digest(&SHA256, body);
    let mut value = hash
        .as_ref()
        .iter()
        .take(4)
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let mut out = [b'0'; CHECKSUM_LEN];
    for digit in out.iter_mut().rev() {
        *digit = base62_digit(value % 62);
        value /= 62;
    }
    out
}

/// The base62 digit of `value` (below 62).
fn base62_digit(value: u64) -> u8 {
    usize::try_from(value)
        .ok()
        .and_then(|i| BASE62.get(i))
        .copied()
        .unwrap_or(b'0')
}

/// `n` uniformly random base62 characters: each random byte below 248 (4 × 62) gives one
/// character, the others are drawn again, so there is no modulo bias.
fn random_base62(n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        aws_lc_rs::rand::fill(&mut buf)
            .map_err(|_| std::io::Error::other("the system random number generator failed"))?;
        out.extend(
            buf.iter()
                .filter(|&&b| b < 248)
                .map(|&b| base62_digit(u64::from(b % 62)))
                .take(n - out.len()),
        );
    }
    Ok(out)
}

/// A new v2 key: random id, 43 random base62 characters (256 bits), checksum.
pub(super) fn generate_v2() -> std::io::Result<(KeyId, String)> {
    let id = random_base62(ID_LEN)?;
    let secret = random_base62(SECRET_LEN)?;
    let mut key = Vec::with_capacity(V2_LEN);
    key.extend_from_slice(V2_PREFIX.as_bytes());
    key.extend_from_slice(&id);
    key.push(b'_');
    key.extend_from_slice(&secret);
    let sum = checksum(&key);
    key.push(b'_');
    key.extend_from_slice(&sum);
    let key = String::from_utf8(key).map_err(std::io::Error::other)?;
    let id = KeyId::from_bytes(&id).ok_or_else(|| std::io::Error::other("bad generated id"))?;
    Ok((id, key))
}

/// A well-formed v2 key text for `id` and `secret` (43 base62 characters), for tests and
/// benchmarks that need many keys without the random number generator.
#[cfg(test)]
pub(super) fn assemble_v2(id: &KeyId, secret: &str) -> String {
    let body = format!("{V2_PREFIX}{id}_{secret}");
    let sum = checksum(body.as_bytes());
    format!("{body}_{}", String::from_utf8_lossy(&sum))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::*;

    fn valid() -> String {
        let id = KeyId::parse("AbCdEfGh12345678").unwrap();
        assemble_v2(&id, &"x".repeat(SECRET_LEN))
    }

    #[test]
    fn generated_keys_parse_to_their_id() {
        for _ in 0..50 {
            let (id, key) = generate_v2().unwrap();
            assert_eq!(key.len(), V2_LEN);
            assert!(key.starts_with("tgk2_"));
            assert_eq!(parse_v2(&key), Ok(id));
        }
        let (a, b) = (generate_v2().unwrap(), generate_v2().unwrap());
        assert_ne!(a.0, b.0, "ids are random");
        assert_ne!(a.1, b.1);
    }

    #[test]
    fn the_grammar_is_exact() {
        let key = valid();
        assert_eq!(key.len(), 72);
        assert_eq!(parse_v2(&key).unwrap().as_str(), "AbCdEfGh12345678");
        let with = |at: usize, c: char| {
            let mut k = key.clone().into_bytes();
            k[at] = c as u8;
            String::from_utf8(k).unwrap()
        };
        // Any character of the id or secret changed: the checksum no longer matches.
        for at in [5, 20, 22, 50, 64] {
            assert_eq!(parse_v2(&with(at, '9')), Err(FormatError::Checksum), "{at}");
        }
        // A checksum digit changed.
        let last = if key.ends_with('0') { '1' } else { '0' };
        assert_eq!(
            parse_v2(&with(V2_LEN - 1, last)),
            Err(FormatError::Checksum)
        );
        // Alphabet, separators and prefix.
        for (at, c) in [
            (6, '-'),
            (30, '+'),
            (70, '/'),
            (21, 'x'),
            (65, 'x'),
            (3, '3'),
        ] {
            assert_eq!(parse_v2(&with(at, c)), Err(FormatError::Shape), "{at} {c}");
        }
        // Lengths.
        for bad in [
            String::new(),
            "tgk2_".into(),
            key[..V2_LEN - 1].to_owned(),
            format!("{key}0"),
            format!("tgk2_{}", &key[6..]),
        ] {
            assert_eq!(parse_v2(&bad), Err(FormatError::Shape), "{bad}");
        }
        // Non-ASCII of the right byte length never panics.
        let multibyte = format!("tgk2_{}", "é".repeat(33)) + "0";
        assert_eq!(multibyte.len(), V2_LEN);
        assert_eq!(parse_v2(&multibyte), Err(FormatError::Shape));
    }

    #[test]
    fn legacy_keys_are_not_v2() {
        assert_eq!(parse_v2("tgk_abc"), Err(FormatError::Shape));
        let legacy = format!("tgk_{}", "A".repeat(V2_LEN - 4));
        assert_eq!(parse_v2(&legacy), Err(FormatError::Shape));
    }

    fn runner() -> TestRunner {
        TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        })
    }

    #[test]
    fn parsing_never_panics_and_accepts_only_the_grammar() {
        let text = prop_oneof![
            any::<String>(),
            "tgk2_[A-Za-z0-9_é-]{60,72}",
            "tgk2_.{0,80}"
        ];
        runner()
            .run(&text, |key| {
                if let Ok(id) = parse_v2(&key) {
                    prop_assert_eq!(key.len(), V2_LEN);
                    prop_assert_eq!(&key[5..21], id.as_str());
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn any_one_character_changed_is_refused() {
        let key = valid();
        let change = (
            0..V2_LEN,
            any::<char>().prop_filter("alphanumeric", char::is_ascii_alphanumeric),
        );
        runner()
            .run(&change, |(at, c)| {
                let mut bytes = key.clone().into_bytes();
                prop_assume!(bytes[at] != c as u8);
                bytes[at] = c as u8;
                let changed = String::from_utf8(bytes).unwrap();
                prop_assert!(parse_v2(&changed).is_err(), "{}", changed);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn key_ids_are_strict() {
        assert!(KeyId::parse("AbCdEfGh12345678").is_ok());
        for bad in [
            "",
            "AbCdEfGh1234567",
            "AbCdEfGh123456789",
            "AbCdEfGh1234567_",
        ] {
            assert!(KeyId::parse(bad).is_err(), "{bad}");
        }
        let id: KeyId = "0000000000000000".parse().unwrap();
        assert_eq!(
            format!("{id} {id:?}"),
            "0000000000000000 KeyId(0000000000000000)"
        );
    }
}
