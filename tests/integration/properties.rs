//! Property tests of the whole verify path through the public API: a provider built against a
//! real loopback issuer. (The parsers' own properties are in `src/proptests.rs`.)

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Number, Value};
use tollgate::dev::DevIssuer;
use tollgate::error::AuthErrorKind;
use tollgate::jwt::JwtProvider;

use crate::support::issuer_all_keys;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn provider(issuer: &DevIssuer) -> JwtProvider {
    issuer
        .provider()
        // Mutated kids are unknown kids: one refetch for the whole run is enough.
        .unknown_kid_cooldown(Duration::from_secs(3600))
        .build()
        .await
        .expect("provider")
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";

#[test]
fn any_change_to_a_valid_token_is_rejected_and_nothing_panics() {
    let rt = runtime();
    let (issuer, provider, tokens) = rt.block_on(async {
        let issuer = issuer_all_keys().await;
        let provider = provider(&issuer).await;
        let tokens: Vec<String> = ["rsa", "p256", "p384", "ed"]
            .iter()
            .map(|kid| issuer.token().kid(kid).sign())
            .collect();
        for token in &tokens {
            provider
                .verify(token)
                .await
                .expect("control: valid tokens verify");
        }
        (issuer, provider, tokens)
    });
    let edit = prop_oneof![
        // Replace one byte.
        (
            any::<prop::sample::Index>(),
            prop::sample::select(ALPHABET.to_vec())
        )
            .prop_map(|(i, c)| (i, Some(c), false)),
        // Delete one byte.
        any::<prop::sample::Index>().prop_map(|i| (i, None, false)),
        // Truncate.
        any::<prop::sample::Index>().prop_map(|i| (i, None, true)),
    ];
    let strategy = prop_oneof![
        (
            prop::sample::select(tokens.clone()),
            prop::collection::vec(edit, 1..4)
        )
            .prop_map(|(token, edits)| {
                let mut bytes = token.into_bytes();
                for (at, replacement, truncate) in edits {
                    if bytes.is_empty() {
                        break;
                    }
                    let i = at.index(bytes.len());
                    match (replacement, truncate) {
                        (_, true) => bytes.truncate(i),
                        (Some(c), _) => bytes[i] = c,
                        (None, _) => {
                            bytes.remove(i);
                        }
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }),
        any::<String>(),
    ];
    runner(256)
        .run(&strategy, |token| {
            if tokens.contains(&token) {
                return Ok(());
            }
            let result = rt.block_on(provider.verify(&token));
            let kind = result.as_ref().err().map(|e| e.kind());
            prop_assert!(
                matches!(
                    kind,
                    Some(AuthErrorKind::InvalidToken | AuthErrorKind::ExpiredToken)
                ),
                "{token}: {result:?}"
            );
            Ok(())
        })
        .unwrap();
    drop(issuer);
}

#[test]
fn a_valid_token_with_any_extra_claims_is_accepted_and_keeps_them() {
    let rt = runtime();
    let (issuer, provider) = rt.block_on(async {
        let issuer = issuer_all_keys().await;
        let provider = provider(&issuer).await;
        (issuer, provider)
    });
    let registered = ["iss", "aud", "exp", "nbf", "iat", "sub"];
    let strategy = (
        prop::collection::btree_map(
            any::<String>().prop_filter("not registered", move |n| !registered.contains(&&**n)),
            json_value(),
            0..8,
        ),
        prop::sample::select(vec!["rsa", "p256", "p384", "ed"]),
    );
    runner(128)
        .run(&strategy, |(extra, kid)| {
            let mut builder = issuer.token().kid(kid);
            for (name, value) in &extra {
                builder = builder.claim(name, value.clone());
            }
            let token = builder.sign();
            let principal = rt.block_on(provider.verify(&token));
            prop_assert!(principal.is_ok(), "{:?}", principal.err());
            let claims: &Map<String, Value> = principal.as_ref().unwrap().claims();
            for (name, value) in extra {
                // Compare with what serde_json reads back from the signed text (floats may
                // differ from the generated value by one ulp without `float_roundtrip`).
                let expected: Value = serde_json::from_str(&value.to_string()).unwrap();
                prop_assert_eq!(claims.get(&name), Some(&expected), "claim {:?}", name);
            }
            Ok(())
        })
        .unwrap();
}
