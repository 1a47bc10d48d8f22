//! Tolerant JWKS parsing into ready verification keys, and lookup by `kid`.
//!
//! Parsing rules, applied per key so that one bad or unfamiliar key never takes the set down:
//! - keys with `use` other than `sig` (e.g. `enc`), or `key_ops` without `verify`, are skipped;
//! - `oct` (symmetric) keys are skipped: a published symmetric key is a key anyone can sign with;
//! - RSA keys under 2048 bits are skipped;
//! - Ed25519 keys that are small-order points (the identity and the other seven points of order
//!   at most 8, in any encoding) are skipped: with such a key, `R` = identity and `S` = 0 is a
//!   signature over any payload;
//! - EC keys on curves other than P-256/P-384, OKP keys other than Ed25519, and unknown `kty`s
//!   (post-quantum `AKP`, …) are skipped;
//! - a key whose `alg` tollgate does not verify with (e.g. `RSA-OAEP`), or whose `alg` does not
//!   belong to its `kty`, is skipped;
//! - when two keys share a `kid` and key type, the first one wins.
//!
//! Each skipped key emits a `debug` event on the `tollgate::jwks` target.
//!
//! One key, one algorithm (RFC 8725 §3.1): a key with `alg` verifies only that algorithm. An RSA
//! key without `alg` verifies RS256 only, unless the provider's algorithm list was set
//! explicitly with [`algorithms`](crate::jwt::JwtProviderBuilder::algorithms): then it
//! verifies any RSA algorithm on that list. A set may be shared by several providers
//! (with different lists), so this is decided at lookup, by the [`UnpinnedRsa`] the provider passes, not at
//! parsing. (EC and Ed25519 keys have one algorithm each anyway.)

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::ParsedPublicKey;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::TARGET;
use crate::jose::{Algorithm, KeyFamily};

/// JWK members are base64url; some issuers pad them, which is harmless here.
const JWK_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One usable verification key, parsed once into aws-lc-rs keys: one per algorithm the key may
/// serve (an RSA key without `alg` is parsed for RS256…PS512, since which of them it serves is
/// each provider's [`UnpinnedRsa`]), so verifying never parses a key.
pub(crate) struct VerifyingKey {
    kid: Option<String>,
    family: KeyFamily,
    alg: Option<Algorithm>,
    parsed: Vec<(Algorithm, ParsedPublicKey)>,
    /// The public key's bytes: what makes two keys with one `kid` the same key.
    material: Arc<[u8]>,
}

/// What an RSA key published without `alg` may verify, for one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnpinnedRsa {
    /// RS256 only (the default): one key, one algorithm.
    Rs256,
    /// Any RSA algorithm the provider allows: its algorithm list was set explicitly, and a
    /// token's `alg` is checked against that list before any key is looked up.
    AnyAllowed,
}

impl VerifyingKey {
    /// Whether this key may verify a token signed with `alg`.
    pub(crate) fn accepts(&self, alg: Algorithm, unpinned: UnpinnedRsa) -> bool {
        alg.family() == self.family
            && match self.alg {
                Some(pinned) => pinned == alg,
                None => {
                    self.family != KeyFamily::Rsa
                        || alg == Algorithm::RS256
                        || unpinned == UnpinnedRsa::AnyAllowed
                }
            }
    }

    /// Verifies `signature` over `message`: no allocation, no key parsing.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.parsed
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, key)| key.verify_sig(message, signature).is_ok())
    }

    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub(crate) fn material(&self) -> &Arc<[u8]> {
        &self.material
    }

    /// Whether this is the key whose bytes are `material`.
    pub(crate) fn is(&self, material: &Arc<[u8]>) -> bool {
        Arc::ptr_eq(&self.material, material) || self.material == *material
    }
}

/// The outcome of looking a token's key up in a set.
pub(crate) enum Lookup<'a> {
    Found(&'a VerifyingKey),
    /// No key carries the token's `kid`: the issuer may have rotated keys.
    UnknownKid,
    /// Keys exist but none may verify this token.
    NoMatch,
}

/// A parsed key set.
#[derive(Default)]
pub(crate) struct KeySet {
    keys: Vec<VerifyingKey>,
    by_kid: HashMap<String, Vec<usize>>,
}

impl KeySet {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether a key in the set carries `kid`.
    pub(crate) fn contains_kid(&self, kid: &str) -> bool {
        self.by_kid.contains_key(kid)
    }

    /// The `kid`s in the set, for traces of what changed.
    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(VerifyingKey::kid)
    }

    /// Picks the key for a token: by `kid` when the token has one; otherwise the single key that
    /// accepts `alg` (several candidates are ambiguous, and trying each is not done).
    /// `unpinned` says what an RSA key without `alg` accepts.
    pub(crate) fn lookup(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        unpinned: UnpinnedRsa,
    ) -> Lookup<'_> {
        match kid {
            Some(kid) => match self.by_kid.get(kid) {
                None => Lookup::UnknownKid,
                Some(indexes) => indexes
                    .iter()
                    .filter_map(|&i| self.keys.get(i))
                    .find(|k| k.accepts(alg, unpinned))
                    .map_or(Lookup::NoMatch, Lookup::Found),
            },
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.accepts(alg, unpinned));
                match (candidates.next(), candidates.next()) {
                    (Some(key), None) => Lookup::Found(key),
                    _ => Lookup::NoMatch,
                }
            }
        }
    }

    /// Parses a JWKS supplied as bytes (a seed), or says why it is not one.
    pub(crate) fn from_json(json: &[u8]) -> Result<Self, String> {
        let doc: JwksDocument = serde_json::from_slice(json)
            .map_err(|e| format!("not a JWKS (a JSON object with a `keys` array): {e}"))?;
        Ok(Self::parse(doc))
    }

    /// Parses a JWKS document, keeping every key tollgate can use.
    pub(crate) fn parse(doc: JwksDocument) -> Self {
        let mut set = KeySet::default();
        for (index, raw) in doc.keys.into_iter().enumerate() {
            let raw: RawJwk = match serde_json::from_value(raw) {
                Ok(raw) => raw,
                Err(e) => {
                    tracing::debug!(target: TARGET, index, error = %e, "skipping malformed JWK");
                    continue;
                }
            };
            let kid = raw.kid.clone();
            match raw.into_key() {
                Ok(key) => set.insert(key),
                Err(why) => {
                    tracing::debug!(target: TARGET, index, kid = ?kid, why, "skipping JWK");
                }
            }
        }
        set
    }

    fn insert(&mut self, key: VerifyingKey) {
        if let Some(kid) = &key.kid {
            let same = self.by_kid.get(kid).is_some_and(|existing| {
                existing
                    .iter()
                    .filter_map(|&i| self.keys.get(i))
                    .any(|k| k.family == key.family)
            });
            if same {
                tracing::debug!(target: TARGET, kid = %kid, "skipping JWK: duplicate kid for this key type");
                return;
            }
            self.by_kid
                .entry(kid.clone())
                .or_default()
                .push(self.keys.len());
        }
        self.keys.push(key);
    }
}

/// The top level of a JWKS: entries are kept as raw JSON so each is parsed on its own.
#[derive(Deserialize)]
pub(crate) struct JwksDocument {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

impl RawJwk {
    fn into_key(self) -> Result<VerifyingKey, &'static str> {
        match self.use_.as_deref() {
            None | Some("sig") => {}
            Some(_) => return Err("not a signature key (use)"),
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err("key_ops does not allow verify");
        }
        let alg = match self.alg.as_deref() {
            None => None,
            Some(name) => Some(Algorithm::from_jose(name).ok_or("alg not used for verification")?),
        };
        let b64 = |v: &Option<String>| -> Result<Vec<u8>, &'static str> {
            JWK_B64
                .decode(v.as_deref().ok_or("missing key member")?)
                .map_err(|_| "key member is not base64url")
        };
        let (family, key) = match self.kty.as_str() {
            "RSA" => {
                let n = b64(&self.n)?;
                let e = b64(&self.e)?;
                let n = strip_leading_zeros(&n);
                let e = strip_leading_zeros(&e);
                if n.len() < 256 || n.first().is_some_and(|&b| n.len() == 256 && b < 0x80) {
                    return Err("RSA modulus under 2048 bits");
                }
                if e.is_empty() || e.len() > 4 {
                    return Err("RSA exponent out of range");
                }
                let der = aws_lc_rs::rsa::PublicKeyComponents { n, e }
                    .as_der()
                    .map_err(|_| "invalid RSA key")?;
                (KeyFamily::Rsa, der.as_ref().to_vec())
            }
            "EC" => {
                let (family, len) = match self.crv.as_deref() {
                    Some("P-256") => (KeyFamily::P256, 32),
                    Some("P-384") => (KeyFamily::P384, 48),
                    _ => return Err("unsupported EC curve"),
                };
                let x = b64(&self.x)?;
                let y = b64(&self.y)?;
                if x.len() != len || y.len() != len {
                    return Err("EC coordinate has the wrong length");
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                (family, point)
            }
            "OKP" => {
                if self.crv.as_deref() != Some("Ed25519") {
                    return Err("unsupported OKP curve");
                }
                let x = b64(&self.x)?;
                if x.len() != 32 {
                    return Err("Ed25519 key has the wrong length");
                }
                if is_small_order_ed25519(&x) {
                    return Err("Ed25519 key is a small-order point");
                }
                (KeyFamily::Ed25519, x)
            }
            "oct" => return Err("symmetric keys are never used"),
            _ => return Err("unsupported key type"),
        };
        if alg.is_some_and(|alg| alg.family() != family) {
            return Err("alg does not match the key type");
        }
        let parsed = Algorithm::ASYMMETRIC
            .iter()
            .filter(|a| a.family() == family && alg.is_none_or(|pinned| pinned == **a))
            .map(|&a| {
                ParsedPublicKey::new(a.verification(), &key)
                    .map(|parsed| (a, parsed))
                    .map_err(|_| "key rejected by the crypto backend")
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VerifyingKey {
            kid: self.kid,
            family,
            alg,
            parsed,
            material: key.into(),
        })
    }
}

/// The y-coordinates (little-endian) of Ed25519's eight small-order points, and the two
/// non-canonical encodings at or above p that reduce to one of them: the list libsodium refuses
/// in `ge25519_has_small_order`, tabulated in "Taming the many EdDSAs" (Chalkias, Garillot,
/// Nikolaenko, 2020). An encoding's top bit is the sign of x, so matching without it catches
/// both signs, including the non-canonical set sign bit on the x = 0 points (y = ±1).
const SMALL_ORDER_Y: [[u8; 32]; 7] = [
    // y = 0: (±sqrt(-1), 0), two points of order 4
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    // y = 1: the identity, order 1
    [
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ],
    // y = y8: two points of order 8
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // y = p - y8 = -y8: two points of order 8
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // y = p - 1 = -1: (0, -1), order 2
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // y = p, non-canonical for 0: order 4
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // y = p + 1, non-canonical for 1: the identity
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether `x` (a 32-byte Ed25519 public key) encodes a point of order at most 8. aws-lc-rs
/// accepts such keys, and with one of them `R` = identity, `S` = 0 verifies any message.
fn is_small_order_ed25519(x: &[u8]) -> bool {
    let without_sign = |y: &[u8; 32]| {
        x.len() == 32
            && x.iter()
                .zip(y)
                .enumerate()
                .all(|(i, (a, b))| if i == 31 { a & 0x7f == *b } else { a == b })
    };
    SMALL_ORDER_Y.iter().any(without_sign)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> KeySet {
        let doc: JwksDocument = serde_json::from_str(json).unwrap_or(JwksDocument { keys: vec![] });
        KeySet::parse(doc)
    }

    const N2048: &str = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";

    #[test]
    fn tolerant_parsing_keeps_what_it_can_use() {
        let set = parse(&format!(
            r#"{{"keys":[
                {{"kty":"RSA","kid":"good","n":"{N2048}","e":"AQAB"}},
                {{"kty":"RSA","kid":"enc","use":"enc","n":"{N2048}","e":"AQAB"}},
                {{"kty":"RSA","kid":"oaep","alg":"RSA-OAEP","n":"{N2048}","e":"AQAB"}},
                {{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}},
                {{"kty":"oct","kid":"sym","k":"c2VjcmV0"}},
                {{"kty":"AKP","kid":"pq","alg":"ML-DSA-44","pub":"AAAA"}},
                {{"kty":"EC","kid":"p521","crv":"P-521","x":"AA","y":"AA"}},
                {{"kty":"EC","kid":"badlen","crv":"P-256","x":"AA","y":"AA"}},
                {{"kty":"RSA","kid":"mismatch","alg":"ES256","n":"{N2048}","e":"AQAB"}},
                {{"kty":"RSA","kid":"verifyonly","key_ops":["encrypt"],"n":"{N2048}","e":"AQAB"}},
                {{"kty":"RSA","kid":"good","alg":"PS256","n":"{N2048}","e":"AQAB"}},
                {{"kty":7}},
                "not an object",
                {{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}
            ]}}"#
        ));
        assert_eq!(set.len(), 2, "only `good` and `ed` are usable");
        assert!(matches!(
            set.lookup(Some("good"), Algorithm::RS256, UnpinnedRsa::Rs256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            set.lookup(Some("good"), Algorithm::PS512, UnpinnedRsa::AnyAllowed),
            Lookup::Found(_)
        ));
        assert!(matches!(
            set.lookup(Some("good"), Algorithm::ES256, UnpinnedRsa::Rs256),
            Lookup::NoMatch
        ));
        assert!(matches!(
            set.lookup(Some("ed"), Algorithm::EdDSA, UnpinnedRsa::Rs256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            set.lookup(Some("enc"), Algorithm::RS256, UnpinnedRsa::Rs256),
            Lookup::UnknownKid
        ));
        assert!(matches!(
            set.lookup(None, Algorithm::EdDSA, UnpinnedRsa::Rs256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            set.lookup(None, Algorithm::ES256, UnpinnedRsa::Rs256),
            Lookup::NoMatch
        ));
    }

    #[test]
    fn no_kid_with_several_candidates_is_ambiguous() {
        let set = parse(&format!(
            r#"{{"keys":[{{"kty":"RSA","n":"{N2048}","e":"AQAB"}},{{"kty":"RSA","n":"{N2048}","e":"AQAB"}}]}}"#
        ));
        assert_eq!(set.len(), 2);
        assert!(matches!(
            set.lookup(None, Algorithm::RS256, UnpinnedRsa::Rs256),
            Lookup::NoMatch
        ));
    }

    #[test]
    fn a_key_pinned_to_an_alg_accepts_only_that_alg() {
        let set = parse(&format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"k","alg":"RS256","n":"{N2048}","e":"AQAB"}}]}}"#
        ));
        assert!(matches!(
            set.lookup(Some("k"), Algorithm::RS256, UnpinnedRsa::Rs256),
            Lookup::Found(_)
        ));
        for unpinned in [UnpinnedRsa::Rs256, UnpinnedRsa::AnyAllowed] {
            assert!(matches!(
                set.lookup(Some("k"), Algorithm::PS256, unpinned),
                Lookup::NoMatch
            ));
        }
    }

    #[test]
    fn an_rsa_key_without_alg_serves_rs256_unless_the_list_is_explicit() {
        let set = parse(&format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"k","n":"{N2048}","e":"AQAB"}}]}}"#
        ));
        for alg in &Algorithm::ASYMMETRIC[..6] {
            let by_default = set.lookup(Some("k"), *alg, UnpinnedRsa::Rs256);
            assert_eq!(
                matches!(by_default, Lookup::Found(_)),
                *alg == Algorithm::RS256,
                "{alg}"
            );
            let explicit = set.lookup(Some("k"), *alg, UnpinnedRsa::AnyAllowed);
            assert!(matches!(explicit, Lookup::Found(_)), "{alg}");
            assert!(matches!(
                set.lookup(None, *alg, UnpinnedRsa::AnyAllowed),
                Lookup::Found(_)
            ));
        }
    }

    #[test]
    fn small_order_ed25519_keys_are_skipped() {
        // Each small-order point's y, little-endian, canonical (below p) or not (p, p + 1).
        let mut ys: Vec<[u8; 32]> = vec![[0; 32], [0; 32]];
        ys[1][0] = 1;
        ys.push(*b"\x26\xe8\x95\x8f\xc2\xb2\x27\xb0\x45\xc3\xf4\x89\xf2\xef\x98\xf0\xd5\xdf\xac\x05\xd3\xc6\x33\x39\xb1\x38\x02\x88\x6d\x53\xfc\x05");
        ys.push(*b"\xc7\x17\x6a\x70\x3d\x4d\xd8\x4f\xba\x3c\x0b\x76\x0d\x10\x67\x0f\x2a\x20\x53\xfa\x2c\x39\xcc\xc6\x4e\xc7\xfd\x77\x92\xac\x03\x7a");
        for low in [0xec, 0xed, 0xee] {
            let mut y = [0xff; 32];
            y[0] = low;
            y[31] = 0x7f;
            ys.push(y);
        }
        // Both values of the sign bit: on an x = 0 point (y = 1, p - 1, p + 1) a set sign bit
        // is itself non-canonical.
        let encodings: Vec<[u8; 32]> = ys
            .iter()
            .flat_map(|y| {
                let mut negative = *y;
                negative[31] |= 0x80;
                [*y, negative]
            })
            .collect();
        assert_eq!(encodings.len(), 14);
        for encoding in encodings {
            let set = parse(&format!(
                r#"{{"keys":[
                    {{"kty":"OKP","kid":"weak","crv":"Ed25519","x":"{}"}},
                    {{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}
                ]}}"#,
                JWK_B64.encode(encoding)
            ));
            assert_eq!(set.len(), 1, "{encoding:02x?} must be skipped");
            assert!(matches!(
                set.lookup(Some("weak"), Algorithm::EdDSA, UnpinnedRsa::Rs256),
                Lookup::UnknownKid
            ));
            assert!(matches!(
                set.lookup(Some("ed"), Algorithm::EdDSA, UnpinnedRsa::Rs256),
                Lookup::Found(_)
            ));
        }
    }
}
