//! The issuer's own tokens through the attacks the verifier's token vectors
//! (`tests/vectors/tokens.json`) are built from: for each algorithm the issuer signs with, a
//! token from its client-credentials grant is accepted by tollgate's `JwtProvider`, and every
//! mutation of it in the vectors' categories (`alg: none`, HMAC key confusion, `kid` and header
//! injection, `crit`, signature and claim tampering, non-canonical base64url, DER-encoded ECDSA)
//! is refused. Issuer and verifier must agree: whatever the one signs, the other accepts, and
//! nothing else.

use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use tollgate::issuer::{
    Clients, Issuer, MemoryIssuerStore, RotationPolicy, SealingKey, SigningAlgorithm, TokenRequest,
};
use tollgate::jwt::JwtProvider;

const AUDIENCE: &str = "vectors-api";
const SECRET: &str = "vectors-secret-vectors-secret-vectors-secret";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(segment: &str) -> Map<String, Value> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url");
    serde_json::from_slice(&bytes).expect("a JSON object")
}

fn encode(object: &Map<String, Value>) -> String {
    b64(&serde_json::to_vec(object).expect("json"))
}

/// The issuer on a loopback port, its verifier, and one of its access tokens.
async fn issuer_and_token(
    algorithm: SigningAlgorithm,
) -> (JwtProvider, String, Value, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (sealing, _) = SealingKey::generate().expect("sealing key");
    let issuer = Issuer::builder(&base, AUDIENCE)
        .clients(
            Clients::new()
                .confidential("machine", SECRET, ["read"])
                .expect("client"),
        )
        .rotation(RotationPolicy::new().algorithm(algorithm))
        .build(Arc::new(MemoryIssuerStore::new()), sealing)
        .await
        .expect("issuer");
    let jwks = issuer.jwks();
    let app = tollgate::issuer::router(issuer.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let provider = JwtProvider::builder(&base)
        .audience(AUDIENCE)
        .require_at_jwt()
        .build()
        .await
        .expect("provider by discovery");
    let mut request = TokenRequest::default();
    request.grant_type = "client_credentials".into();
    request.client_id = Some("machine".into());
    request.client_secret = Some(SECRET.into());
    let token = issuer.token(request).await.expect("a token").access_token;
    (provider, token, jwks, server)
}

/// Every mutation, named, in the vectors' categories.
fn mutations(token: &str, jwk: &Value, algorithm: SigningAlgorithm) -> Vec<(String, String)> {
    let mut parts = token.split('.');
    let (h, p, s) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    let header = decode(h);
    let payload = decode(p);
    let mut out = Vec::new();
    let mut with_header = |name: &str, change: &dyn Fn(&mut Map<String, Value>), sig: &str| {
        let mut changed = header.clone();
        change(&mut changed);
        out.push((name.to_owned(), format!("{}.{p}.{sig}", encode(&changed))));
    };
    // alg-none, in every spelling, with and without the real signature.
    for none in ["none", "None", "NONE", "nOnE"] {
        with_header(
            &format!("alg-{none}-empty"),
            &|m| {
                m.insert("alg".into(), json!(none));
            },
            "",
        );
        with_header(
            &format!("alg-{none}-with-signature"),
            &|m| {
                m.insert("alg".into(), json!(none));
            },
            s,
        );
    }
    // kid and header injection, crit: the header changes, the signature does not.
    with_header(
        "kid-path",
        &|m| {
            m.insert("kid".into(), json!("../../../dev/null"));
        },
        s,
    );
    with_header(
        "kid-unknown",
        &|m| {
            m.insert("kid".into(), json!("attacker"));
        },
        s,
    );
    with_header(
        "jku",
        &|m| {
            m.insert("jku".into(), json!("https://attacker.example/jwks.json"));
        },
        s,
    );
    with_header(
        "x5u",
        &|m| {
            m.insert("x5u".into(), json!("https://attacker.example/cert.pem"));
        },
        s,
    );
    with_header(
        "jwk-embedded",
        &|m| {
            m.insert("jwk".into(), jwk.clone());
        },
        s,
    );
    with_header(
        "crit",
        &|m| {
            m.insert("crit".into(), json!(["exp"]));
        },
        s,
    );
    with_header(
        "typ-jwt",
        &|m| {
            m.insert("typ".into(), json!("JWT"));
        },
        s,
    );

    // HMAC key confusion: HS256 with the public key as the secret, in the forms an attacker
    // would try (the JWK's JSON, its raw members).
    let public_key_forms: Vec<Vec<u8>> = ["n", "x", "y"]
        .iter()
        .filter_map(|member| jwk.get(*member).and_then(Value::as_str))
        .filter_map(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .chain(std::iter::once(jwk.to_string().into_bytes()))
        .collect();
    for (i, secret) in public_key_forms.iter().enumerate() {
        let mut hs = header.clone();
        hs.insert("alg".into(), json!("HS256"));
        let input = format!("{}.{p}", encode(&hs));
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        out.push((
            format!("hs256-with-public-key-{i}"),
            format!("{input}.{}", b64(tag.as_ref())),
        ));
    }

    // Claims changed under the original signature.
    for (name, claim, value) in [
        ("aud", "aud", json!("another-api")),
        ("iss", "iss", json!("https://attacker.example")),
        ("sub", "sub", json!("admin")),
        ("exp", "exp", json!(4_102_444_800_u64)),
        ("scope", "scope", json!("read admin")),
    ] {
        let mut changed = payload.clone();
        changed.insert(claim.into(), value);
        out.push((
            format!("claim-{name}"),
            format!("{h}.{}.{s}", encode(&changed)),
        ));
    }
    let mut without_exp = payload.clone();
    without_exp.remove("exp");
    out.push((
        "claim-exp-removed".into(),
        format!("{h}.{}.{s}", encode(&without_exp)),
    ));

    // The signature itself.
    let sig = URL_SAFE_NO_PAD.decode(s).expect("signature");
    let mut flipped = sig.clone();
    if let Some(last) = flipped.last_mut() {
        *last ^= 1;
    }
    out.push((
        "signature-bit-flipped".into(),
        format!("{h}.{p}.{}", b64(&flipped)),
    ));
    out.push((
        "signature-truncated".into(),
        format!("{h}.{p}.{}", b64(&sig[..sig.len() - 1])),
    ));
    out.push((
        "signature-extended".into(),
        format!("{h}.{p}.{}", b64(&[sig.as_slice(), &[0]].concat())),
    ));
    out.push((
        "signature-twice".into(),
        format!(
            "{h}.{p}.{}",
            b64(&[sig.as_slice(), sig.as_slice()].concat())
        ),
    ));
    out.push(("signature-empty".into(), format!("{h}.{p}.")));
    out.push(("segments-four".into(), format!("{token}.{s}")));
    out.push(("segments-two".into(), format!("{h}.{p}")));

    // Non-canonical base64url: padding, the standard alphabet.
    out.push(("base64-padded-signature".into(), format!("{h}.{p}.{}=", s)));
    out.push((
        "base64-standard-alphabet".into(),
        format!("{h}.{p}.{}", STANDARD.encode(&sig)),
    ));

    // ECDSA in DER rather than JOSE's fixed r || s.
    if algorithm == SigningAlgorithm::Es256 && sig.len() == 64 {
        let der_int = |bytes: &[u8]| {
            let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
            let mut v = trimmed;
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                v.insert(0, 0);
            }
            let mut out = vec![0x02, u8::try_from(v.len()).expect("short")];
            out.extend(v);
            out
        };
        let body = [der_int(&sig[..32]), der_int(&sig[32..])].concat();
        let mut der = vec![0x30, u8::try_from(body.len()).expect("short")];
        der.extend(body);
        out.push(("ecdsa-der".into(), format!("{h}.{p}.{}", b64(&der))));
    }
    out
}

#[tokio::test]
async fn the_issuers_tokens_pass_and_every_vector_mutation_of_them_fails() {
    for algorithm in [
        SigningAlgorithm::Es256,
        SigningAlgorithm::Rs256,
        SigningAlgorithm::EdDsa,
    ] {
        let (provider, token, jwks, server) = issuer_and_token(algorithm).await;
        let principal = provider
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{algorithm:?}: the issuer's token is refused: {e:?}"));
        assert_eq!(principal.subject(), Some("machine"));
        let jwk = &jwks["keys"][0];
        let cases = mutations(&token, jwk, algorithm);
        assert!(cases.len() >= 30, "{}", cases.len());
        for (name, mutated) in cases {
            assert!(
                provider.verify(&mutated).await.is_err(),
                "{algorithm:?}: mutation {name} was accepted"
            );
        }
        server.abort();
    }
}
