//! Property tests of the parsers that read attacker-controlled bytes: credential extraction,
//! compact JWS parsing, the registered-claim checks and JWKS parsing. Each runs a modest number
//! of cases so `cargo test` stays fast; `fuzz/` explores the same functions for longer.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Number, Value};

use crate::credential::{CredentialSource, Extractor};
use crate::jose::{parse, Algorithm};
use crate::jwks::{JwksDocument, KeySet, Lookup, UnpinnedRsa};
use crate::jwt::ClaimPolicy;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        // A failure is turned into a named vector or unit test, not a regressions file.
        failure_persistence: None,
        ..Config::default()
    })
}

/// Any JSON value, a few levels deep, biased towards the shapes claims and JWKs take.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop_oneof![Just(1.0e300), Just(-1.0e300), Just(4.1e9), Just(0.5)]
            .prop_filter_map("finite", |f: f64| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[A-Za-z0-9_-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(member_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Member names: the registered and JWK ones often, anything else sometimes.
fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "exp", "nbf", "iat", "iss", "aud", "sub", "kid", "alg", "kty", "crv", "n", "e", "x",
            "y", "use", "key_ops", "crit", "keys",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

// ---- credential extraction ----

fn all_sources() -> Extractor {
    Extractor {
        sources: vec![
            CredentialSource::AuthorizationBearer,
            CredentialSource::Header(HeaderName::from_static("x-token")),
            CredentialSource::Cookie("session".into()),
            CredentialSource::Query("access_token".into()),
        ],
        max_len: 64,
    }
}

fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[test]
fn extraction_never_panics_and_only_yields_bounded_b64tokens() {
    let header = (
        prop::sample::select(vec!["authorization", "x-token", "cookie", "x-other"]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            "(Bearer|bearer|Basic|session=|access_token=)[ \t]{0,3}[A-Za-z0-9._~+/=;, \"-]{0,70}"
                .prop_map(String::into_bytes),
        ],
    );
    let strategy = (
        prop::collection::vec(header, 0..4),
        "[A-Za-z0-9_=&.%+/-]{0,60}",
    );
    let extractor = all_sources();
    runner(512)
        .run(&strategy, |(headers, query)| {
            let mut request = http::Request::builder().uri(format!("/p?{query}"));
            for (name, value) in headers {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    request = request.header(name, value);
                }
            }
            let Ok(request) = request.body(()) else {
                return Ok(());
            };
            let (parts, ()) = request.into_parts();
            if let Ok(Some(credential)) = extractor.extract(&parts) {
                prop_assert!(credential.token().len() <= extractor.max_len);
                prop_assert!(is_b64token(credential.token()), "{:?}", credential.token());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_bearer_b64token_is_extracted_exactly() {
    let strategy = (
        "[A-Za-z0-9._~+/-]{1,300}={0,2}",
        prop::sample::select(vec!["Bearer", "bearer", "BEARER", "bEaReR"]),
        1usize..4,
    );
    let extractor = Extractor::default();
    runner(256)
        .run(&strategy, |(token, scheme, spaces)| {
            let value = format!("{scheme}{}{token}", " ".repeat(spaces));
            let request = http::Request::get("/")
                .header("authorization", value)
                .body(())
                .unwrap();
            let got = extractor.extract(&request.into_parts().0);
            prop_assert_eq!(
                got.ok().flatten().map(|c| c.token().to_owned()),
                Some(token)
            );
            Ok(())
        })
        .unwrap();
}

// ---- compact JWS parsing ----

/// Strings shaped like tokens: segments of base64url of arbitrary bytes or JSON, or raw text,
/// joined by dots.
fn token_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64).prop_map(b64),
        json_value().prop_map(|v| b64(v.to_string())),
        "[A-Za-z0-9_=+/.-]{0,20}",
        any::<String>(),
    ];
    prop::collection::vec(segment, 0..6).prop_map(|s| s.join("."))
}

#[test]
fn parsing_never_panics_and_accepts_only_allowed_algorithms() {
    runner(512)
        .run(&token_like(), |token| {
            if let Ok(parsed) = parse(&token, &[Algorithm::RS256, Algorithm::ES256]) {
                prop_assert!(matches!(parsed.alg, Algorithm::RS256 | Algorithm::ES256));
                prop_assert!(token.as_bytes().starts_with(parsed.signing_input));
                prop_assert_eq!(token.split('.').count(), 3);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_well_formed_token_parses_back_to_its_parts() {
    let extra = prop::collection::btree_map(
        member_name().prop_filter("not alg/kid/crit", |n| {
            !matches!(n.as_str(), "alg" | "kid" | "crit")
        }),
        json_value(),
        0..4,
    );
    let claims = prop::collection::btree_map(member_name(), json_value(), 0..8);
    let strategy = (
        prop::sample::select(Algorithm::ASYMMETRIC.to_vec()),
        prop::option::of(any::<String>()),
        extra,
        claims,
        prop::collection::vec(any::<u8>(), 1..600),
    );
    runner(256)
        .run(&strategy, |(alg, kid, extra, claims, signature)| {
            let mut header: Map<String, Value> = extra.into_iter().collect();
            header.insert("alg".into(), json!(alg.as_str()));
            if let Some(kid) = &kid {
                header.insert("kid".into(), json!(kid));
            }
            let claims_json = Value::Object(claims.into_iter().collect()).to_string();
            // What serde_json reads back: without its `float_roundtrip` feature a float may
            // come back one ulp off, and that is serde_json's doing, not the parser's here.
            let claims: Map<String, Value> = serde_json::from_str(&claims_json).unwrap();
            let input = format!(
                "{}.{}",
                b64(Value::Object(header).to_string()),
                b64(&claims_json)
            );
            let token = format!("{input}.{}", b64(&signature));
            let parsed = parse(&token, Algorithm::ASYMMETRIC);
            prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
            let parsed = parsed.unwrap();
            prop_assert_eq!(parsed.alg, alg);
            prop_assert_eq!(parsed.kid, kid);
            prop_assert_eq!(parsed.signing_input, input.as_bytes());
            prop_assert_eq!(parsed.signature, signature);
            prop_assert_eq!(parsed.claims, claims);
            Ok(())
        })
        .unwrap();
}

// ---- registered claims ----

const NOW: u64 = 1_700_000_000;

fn policy() -> ClaimPolicy {
    ClaimPolicy {
        issuer: "https://issuer.example".into(),
        audiences: vec!["api".into()],
        leeway: 60,
        required: Vec::new(),
        restrictions: Default::default(),
    }
}

#[test]
fn accepted_claims_satisfy_every_rule() {
    // Plausible values most of the time, anything now and then.
    let date = prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|d| json!(NOW as i64 + d)),
        json_value(),
    ];
    let iss = prop_oneof![
        Just(json!("https://issuer.example")),
        Just(json!("https://issuer.example/")),
        json_value(),
    ];
    let aud = prop_oneof![
        Just(json!("api")),
        Just(json!(["other", "api"])),
        Just(json!([])),
        json_value(),
    ];
    let strategy = (
        prop::option::of(date.clone()),
        prop::option::of(date.clone()),
        prop::option::of(date),
        prop::option::of(iss),
        prop::option::of(aud),
        prop::option::of(json_value()),
    );
    let policy = policy();
    runner(1024)
        .run(&strategy, |(exp, nbf, iat, iss, aud, sub)| {
            let mut claims = Map::new();
            for (name, value) in [
                ("exp", exp),
                ("nbf", nbf),
                ("iat", iat),
                ("iss", iss),
                ("aud", aud),
                ("sub", sub),
            ] {
                if let Some(value) = value {
                    claims.insert(name.into(), value);
                }
            }
            let Ok(checked) = policy.check(&claims, NOW) else {
                return Ok(());
            };
            let exp = claims["exp"].as_f64().unwrap();
            prop_assert!(exp + 60.0 > NOW as f64);
            prop_assert!(checked.expires_at as f64 <= exp.max(0.0) + 1.0);
            if let Some(nbf) = claims.get("nbf") {
                prop_assert!(nbf.as_f64().unwrap() <= NOW as f64 + 60.0);
            }
            prop_assert!(claims.get("iat").is_none_or(Value::is_number));
            prop_assert_eq!(&claims["iss"], &json!("https://issuer.example"));
            let aud_ok = match &claims["aud"] {
                Value::String(a) => a == "api",
                Value::Array(a) => a.contains(&json!("api")),
                _ => false,
            };
            prop_assert!(aud_ok, "{:?}", claims["aud"]);
            prop_assert!(claims.get("sub").is_none_or(Value::is_string));
            Ok(())
        })
        .unwrap();
}

// ---- JWKS ----

const VECTOR_JWKS: &str = include_str!("../tests/vectors/jwks.json");

/// The ten usable keys of the vector key set, with an algorithm each must verify.
const GOOD_KEYS: [(&str, Algorithm); 10] = [
    ("rsa-2048", Algorithm::RS256),
    ("rsa-rs256-only", Algorithm::RS256),
    ("rsa-rs384", Algorithm::RS384),
    ("rsa-rs512", Algorithm::RS512),
    ("rsa-ps256", Algorithm::PS256),
    ("rsa-ps384", Algorithm::PS384),
    ("rsa-ps512", Algorithm::PS512),
    ("p256", Algorithm::ES256),
    ("p384", Algorithm::ES384),
    ("ed25519", Algorithm::EdDSA),
];

/// JWK-shaped objects with plausible and hostile members.
fn jwk_like() -> impl Strategy<Value = Value> {
    let kty = prop::sample::select(vec!["RSA", "EC", "OKP", "oct", "AKP", ""]);
    let crv = prop::sample::select(vec!["P-256", "P-384", "P-521", "Ed25519", "X25519", ""]);
    let alg = prop::sample::select(vec!["RS256", "ES256", "EdDSA", "HS256", "none", "RSA-OAEP"]);
    let member = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| json!(b64(b))),
        json_value(),
    ];
    (
        kty,
        prop::option::of(crv),
        prop::option::of(alg),
        "j[a-z0-9-]{0,6}",
        prop::collection::btree_map(
            prop::sample::select(vec!["n", "e", "x", "y", "k", "use", "key_ops", "d"]),
            member,
            0..6,
        ),
    )
        .prop_map(|(kty, crv, alg, kid, members)| {
            let mut jwk: Map<String, Value> = members
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            jwk.insert("kty".into(), json!(kty));
            jwk.insert("kid".into(), json!(kid));
            if let Some(crv) = crv {
                jwk.insert("crv".into(), json!(crv));
            }
            if let Some(alg) = alg {
                jwk.insert("alg".into(), json!(alg));
            }
            Value::Object(jwk)
        })
}

#[test]
fn jwks_parsing_never_panics_on_any_bytes() {
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        json_value().prop_map(|v| json!({ "keys": [v] }).to_string().into_bytes()),
        prop::collection::vec(jwk_like(), 0..6)
            .prop_map(|keys| json!({ "keys": keys }).to_string().into_bytes()),
    ];
    runner(512)
        .run(&strategy, |bytes| {
            if let Ok(doc) = serde_json::from_slice::<JwksDocument>(&bytes) {
                let set = KeySet::parse(doc);
                prop_assert!(set.len() <= 6);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn junk_entries_never_cost_a_good_key() {
    let good: Value = serde_json::from_str(VECTOR_JWKS).unwrap();
    let good_keys = good["keys"].as_array().cloned().unwrap_or_default();
    let strategy = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop_oneof![jwk_like(), json_value()],
        ),
        0..8,
    );
    runner(256)
        .run(&strategy, |junk| {
            let mut keys = good_keys.clone();
            for (at, entry) in junk {
                keys.insert(at.index(keys.len() + 1), entry);
            }
            let doc: JwksDocument = serde_json::from_value(json!({ "keys": keys })).unwrap();
            let set = KeySet::parse(doc);
            for (kid, alg) in GOOD_KEYS {
                prop_assert!(
                    matches!(
                        set.lookup(Some(kid), alg, UnpinnedRsa::Rs256),
                        Lookup::Found(_)
                    ),
                    "{kid} lost"
                );
            }
            Ok(())
        })
        .unwrap();
}
