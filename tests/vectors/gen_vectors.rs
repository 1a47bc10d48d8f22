//! Generates the token vectors: `tests/vectors/jwks.json` (the key set the vector test serves)
//! and `tests/vectors/tokens.json` (the named cases), from the fixed keys in
//! `tests/vectors/keys/`.
//!
//! ```text
//! cargo run --example gen_vectors
//! ```
//!
//! Every claim is time-independent (`exp` 4102444800 is 2100-01-01, expired tokens are from
//! 2001), so the file does not go stale. RSA PKCS#1 v1.5 and Ed25519 signatures are
//! deterministic; ECDSA and RSA-PSS signatures are randomized, so regenerating changes those
//! tokens' bytes but never their expected outcome. Regenerate after changing this file and
//! commit both outputs; `tests/integration/vectors.rs` runs them.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};

type Res<T> = Result<T, Box<dyn Error>>;

/// The provider the vector test builds: these exact issuer and audience.
const ISS: &str = "https://issuer.tollgate.test";
const AUD: &str = "tollgate-vectors";
/// 2100-01-01T00:00:00Z.
const EXP: u64 = 4_102_444_800;
/// 2023-11-14T22:13:20Z.
const IAT: u64 = 1_700_000_000;
/// The default token size limit of the credential extractor.
const MAX_TOKEN: usize = 8 * 1024;
/// The order of the P-256 group: r = s = n is the other classic "psychic" signature.
const P256_ORDER: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
/// The Ed25519 identity point's encoding (y = 1, x = 0): a small-order public key.
const ED25519_IDENTITY: [u8; 32] = {
    let mut y = [0; 32];
    y[0] = 1;
    y
};

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem_der(path: &Path) -> Res<Vec<u8>> {
    let text = fs::read_to_string(path)?;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(STANDARD.decode(body)?)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

enum Signer {
    Rsa(sig::RsaKeyPair),
    /// The same key twice: fixed-width `r || s` (what JWS requires) and ASN.1 DER.
    Ec(sig::EcdsaKeyPair, sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
    /// Under 2048 bits, which aws-lc-rs refuses to load: signed with jsonwebtoken's RustCrypto
    /// backend instead.
    SmallRsa(jsonwebtoken::EncodingKey),
}

struct Keys {
    rsa: Signer,
    rsa1024: Signer,
    p256: Signer,
    p384: Signer,
    ed: Signer,
    attacker_rsa: Signer,
    attacker_p256: Signer,
    oct: Vec<u8>,
    /// Public keys as JWK members.
    rsa_jwk: Value,
    rsa1024_jwk: Value,
    p256_jwk: Value,
    p384_jwk: Value,
    ed_jwk: Value,
    attacker_rsa_jwk: Value,
    /// The RSA public key as SubjectPublicKeyInfo DER, the bytes HMAC-confusion attacks use.
    rsa_spki: Vec<u8>,
}

fn rsa_key(path: &Path) -> Res<(Signer, Value, Vec<u8>)> {
    let pair = sig::RsaKeyPair::from_pkcs8(&pem_der(path)?)?;
    let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let jwk = json!({"kty": "RSA", "n": b64(&public.n), "e": b64(&public.e)});
    let spki = AsDer::<PublicKeyX509Der<'_>>::as_der(pair.public_key())?
        .as_ref()
        .to_vec();
    Ok((Signer::Rsa(pair), jwk, spki))
}

fn ec_key(path: &Path, p384: bool) -> Res<(Signer, Value)> {
    let der = pem_der(path)?;
    let (fixed, asn1, crv, len) = if p384 {
        (
            &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            "P-384",
            48,
        )
    } else {
        (
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            "P-256",
            32,
        )
    };
    let pair = sig::EcdsaKeyPair::from_pkcs8(fixed, &der)?;
    let point = pair.public_key().as_ref().to_vec();
    let jwk =
        json!({"kty": "EC", "crv": crv, "x": b64(&point[1..=len]), "y": b64(&point[len + 1..])});
    let der_pair = sig::EcdsaKeyPair::from_pkcs8(asn1, &der)?;
    Ok((Signer::Ec(pair, der_pair), jwk))
}

fn load_keys(dir: &Path) -> Res<Keys> {
    let (rsa, rsa_jwk, rsa_spki) = rsa_key(&dir.join("rsa-2048.pem"))?;
    let (attacker_rsa, attacker_rsa_jwk, _) = rsa_key(&dir.join("attacker-rsa-2048.pem"))?;
    let (p256, p256_jwk) = ec_key(&dir.join("p256.pem"), false)?;
    let (p384, p384_jwk) = ec_key(&dir.join("p384.pem"), true)?;
    let (attacker_p256, _) = ec_key(&dir.join("attacker-p256.pem"), false)?;
    let ed = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pem_der(&dir.join("ed25519.pem"))?)?;
    let ed_jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(ed.public_key().as_ref())});

    let small = pem_der(&dir.join("rsa-1024.pem"))?;
    let (n, e) = (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
        .key_utils
        .rsa_pub_components_from_private_key)(&small)?;
    let rsa1024_jwk = json!({"kty": "RSA", "n": b64(&n), "e": b64(&e)});

    let oct = URL_SAFE_NO_PAD.decode(fs::read_to_string(dir.join("oct.b64u"))?.trim())?;
    Ok(Keys {
        rsa,
        rsa1024: Signer::SmallRsa(jsonwebtoken::EncodingKey::from_rsa_der(&small)),
        p256,
        p384,
        ed: Signer::Ed(ed),
        attacker_rsa,
        attacker_p256,
        oct,
        rsa_jwk,
        rsa1024_jwk,
        p256_jwk,
        p384_jwk,
        ed_jwk,
        attacker_rsa_jwk,
        rsa_spki,
    })
}

impl Signer {
    fn sign(&self, alg: &str, input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Signer::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match alg {
                    "RS384" => &sig::RSA_PKCS1_SHA384,
                    "RS512" => &sig::RSA_PKCS1_SHA512,
                    "PS256" => &sig::RSA_PSS_SHA256,
                    "PS384" => &sig::RSA_PSS_SHA384,
                    "PS512" => &sig::RSA_PSS_SHA512,
                    _ => &sig::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, input, &mut out).expect("RSA sign");
                out
            }
            Signer::Ec(pair, _) => pair
                .sign(&rng, input)
                .expect("ECDSA sign")
                .as_ref()
                .to_vec(),
            Signer::Ed(pair) => pair.sign(input).as_ref().to_vec(),
            Signer::SmallRsa(key) => {
                let alg = match alg {
                    "PS256" => jsonwebtoken::Algorithm::PS256,
                    _ => jsonwebtoken::Algorithm::RS256,
                };
                let sig = jsonwebtoken::crypto::sign(input, key, alg).expect("RSA-1024 sign");
                URL_SAFE_NO_PAD.decode(sig).expect("base64")
            }
        }
    }

    /// An ECDSA signature in ASN.1 DER instead of JWS's fixed-width form.
    fn sign_der(&self, input: &[u8]) -> Vec<u8> {
        match self {
            Signer::Ec(_, der) => der
                .sign(&SystemRandom::new(), input)
                .expect("ECDSA sign")
                .as_ref()
                .to_vec(),
            _ => panic!("DER signatures are ECDSA only"),
        }
    }
}

fn hmac(alg: &str, key: &[u8], input: &[u8]) -> Vec<u8> {
    let alg = match alg {
        "HS384" => aws_lc_rs::hmac::HMAC_SHA384,
        "HS512" => aws_lc_rs::hmac::HMAC_SHA512,
        _ => aws_lc_rs::hmac::HMAC_SHA256,
    };
    aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(alg, key), input)
        .as_ref()
        .to_vec()
}

/// The well-formed claims of a vector named `name` (its `sub` is the name, so an accepted
/// vector can be recognised in the response).
fn claims(name: &str) -> Value {
    json!({"iss": ISS, "aud": AUD, "sub": name, "iat": IAT, "exp": EXP})
}

fn with(mut value: Value, name: &str, member: Value) -> Value {
    value[name] = member;
    value
}

fn without(mut value: Value, name: &str) -> Value {
    if let Value::Object(map) = &mut value {
        map.remove(name);
    }
    value
}

/// `BASE64URL(header) "." BASE64URL(payload)` from raw bytes.
fn input(header: &[u8], payload: &[u8]) -> String {
    format!("{}.{}", b64(header), b64(payload))
}

fn signed_raw(key: &Signer, alg: &str, header: &[u8], payload: &[u8]) -> String {
    let input = input(header, payload);
    let signature = key.sign(alg, input.as_bytes());
    format!("{input}.{}", b64(signature))
}

fn signed(key: &Signer, header: &Value, payload: &Value) -> String {
    let alg = header["alg"].as_str().unwrap_or("RS256");
    signed_raw(
        key,
        alg,
        header.to_string().as_bytes(),
        payload.to_string().as_bytes(),
    )
}

/// `a - b` for big-endian unsigned integers of one length, `a >= b`.
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = d as u8;
    }
    out
}

fn with_signature(input: &str, signature: &[u8]) -> String {
    format!("{input}.{}", b64(signature))
}

struct Vectors {
    cases: Vec<Value>,
}

/// What a case expects: `"accept"`, or the status, RFC 6750 error code, [`AuthErrorKind`] and
/// internal [`Reason`] (the `Debug` names of tollgate's enums).
fn reject(reason: &str) -> Value {
    let (status, error, kind) = match reason {
        "Expired" => (401, json!("invalid_token"), "ExpiredToken"),
        "NoCredential" => (401, Value::Null, "MissingCredential"),
        "DuplicateCredential" | "MalformedCredential" | "TooLarge" => {
            (401, json!("invalid_request"), "InvalidRequest")
        }
        _ => (401, json!("invalid_token"), "InvalidToken"),
    };
    json!({"status": status, "error": error, "kind": kind, "reason": reason})
}

impl Vectors {
    fn add(&mut self, category: &str, name: &str, token: String, expect: Value) {
        self.add_with(category, name, token, expect, None);
    }

    fn add_with(
        &mut self,
        category: &str,
        name: &str,
        token: String,
        expect: Value,
        authorization: Option<Vec<&str>>,
    ) {
        assert!(
            !self.cases.iter().any(|c| c["name"] == name),
            "duplicate vector name {name}"
        );
        let mut case =
            json!({"name": name, "category": category, "token": token, "expect": expect});
        if let Some(values) = authorization {
            case["authorization"] = json!(values);
        }
        self.cases.push(case);
    }

    fn accept(&mut self, category: &str, name: &str, token: String) {
        self.add(category, name, token, json!("accept"));
    }

    /// Accepted, with the principal's subject `subject` (the `sub` of another vector's claims).
    fn accept_as(&mut self, category: &str, name: &str, token: String, subject: &str) {
        self.add(category, name, token, json!("accept"));
        if let Some(case) = self.cases.last_mut() {
            case["subject"] = json!(subject);
        }
    }

    fn reject(&mut self, category: &str, name: &str, token: String, reason: &str) {
        self.add(category, name, token, reject(reason));
    }
}

fn rs256(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

fn main() -> Res<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let k = load_keys(&root.join("keys"))?;
    jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
        .install_default()
        .map_err(|_| "a jsonwebtoken provider was already installed")?;

    let jwks = json!({"keys": [
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-2048")), "use", json!("sig")),
        // The same key, pinned to RS256.
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-rs256-only")), "alg", json!("RS256")),
        // The same key, pinned to each other RSA algorithm: `rsa-2048` names no `alg`, so it
        // verifies RS256 only (RFC 8725 §3.1: one key, one algorithm), since the vector
        // provider's algorithm list is the default, not set explicitly.
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-rs384")), "alg", json!("RS384")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-rs512")), "alg", json!("RS512")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-ps256")), "alg", json!("PS256")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-ps384")), "alg", json!("PS384")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-ps512")), "alg", json!("PS512")),
        with(with(k.p256_jwk.clone(), "kid", json!("p256")), "alg", json!("ES256")),
        with(with(k.p384_jwk.clone(), "kid", json!("p384")), "alg", json!("ES384")),
        with(with(k.ed_jwk.clone(), "kid", json!("ed25519")), "alg", json!("EdDSA")),
        // Keys tollgate must skip. Each would verify its vectors' signatures if it were used.
        with(with(k.rsa1024_jwk.clone(), "kid", json!("rsa-1024")), "use", json!("sig")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-enc")), "use", json!("enc")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-encrypt-ops")), "key_ops", json!(["encrypt"])),
        with(with(k.p256_jwk.clone(), "kid", json!("p256-enc")), "use", json!("enc")),
        with(with(k.rsa_jwk.clone(), "kid", json!("rsa-oaep")), "alg", json!("RSA-OAEP")),
        with(with(k.p256_jwk.clone(), "kid", json!("p256-as-rs256")), "alg", json!("RS256")),
        // A P-384 "key" whose point is not on the curve (y = x): the invalid-curve attack's
        // raw material. aws-lc-rs refuses the point when the set is loaded, so it is skipped and
        // tokens naming it meet an unknown kid. (P-384, so kid-less ES256 tokens would still
        // have a single candidate if it were kept.)
        {"kty": "EC", "crv": "P-384", "kid": "p384-off-curve", "alg": "ES384", "x": k.p384_jwk["x"], "y": k.p384_jwk["x"]},
        // An Ed25519 "key" that is the identity point (y = 1): with it, R = identity and S = 0
        // verify any payload, and aws-lc-rs does not refuse it, so tollgate skips the
        // small-order points itself.
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed25519-small-order", "alg": "EdDSA", "x": b64(ED25519_IDENTITY)},
        {"kty": "oct", "kid": "oct", "k": b64(&k.oct)},
        {"kty": "oct", "kid": "oct-hs256", "alg": "HS256", "use": "sig", "k": b64(&k.oct)},
        // Malformed and unfamiliar entries: skipped one by one, never fatal to the set.
        {"kty": "RSA", "kid": "rsa-no-n", "e": "AQAB"},
        {"kty": "EC", "kid": "p521", "crv": "P-521", "x": "AA", "y": "AA"},
        {"kty": "AKP", "kid": "ml-dsa", "alg": "ML-DSA-44", "pub": "AA"},
        {"kid": "no-kty"},
        "not an object",
    ]});

    let mut v = Vectors { cases: Vec::new() };
    valid(&mut v, &k);
    alg_none(&mut v, &k);
    hmac_confusion(&mut v, &k);
    ecdsa(&mut v, &k);
    header_injection(&mut v, &k);
    kid_injection(&mut v, &k);
    crit(&mut v, &k);
    numeric_dates(&mut v, &k);
    issuer_audience(&mut v, &k);
    base64url(&mut v, &k);
    json_structure(&mut v, &k);
    size(&mut v, &k);
    jwks_keys(&mut v, &k);
    alg_kty(&mut v, &k);
    signatures(&mut v, &k);
    credential(&mut v, &k);

    let doc = json!({
        "issuer": ISS,
        "audience": AUD,
        "generated_by": "cargo run --example gen_vectors",
        "vectors": v.cases,
    });
    fs::write(
        root.join("jwks.json"),
        serde_json::to_string_pretty(&jwks)? + "\n",
    )?;
    fs::write(
        root.join("tokens.json"),
        serde_json::to_string_pretty(&doc)? + "\n",
    )?;
    println!(
        "wrote {} vectors to {}",
        v.cases.len(),
        root.join("tokens.json").display()
    );
    let seeds = fuzz_seeds(&root.join("../../fuzz/corpus"), &v.cases, &jwks)?;
    println!("wrote {seeds} fuzz seeds to fuzz/corpus");
    Ok(())
}

/// The committed seed corpus of the fuzz targets (`fuzz/corpus/<target>/`), which this generator
/// owns: small vectors of every category for `token` and `verify`, the key set and each of its
/// entries for `jwks`, and a few request shapes for `credential`.
fn fuzz_seeds(dir: &Path, cases: &[Value], jwks: &Value) -> Res<usize> {
    let mut count = 0;
    let mut write = |target: &str, name: &str, bytes: &[u8]| -> Res<()> {
        let dir = dir.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)?;
        count += 1;
        Ok(())
    };
    for target in ["token", "verify", "jwks", "credential"] {
        let _ = fs::remove_dir_all(dir.join(target));
    }
    let mut per_category = std::collections::HashMap::new();
    for case in cases {
        let (Some(name), Some(category), Some(token)) = (
            case["name"].as_str(),
            case["category"].as_str(),
            case["token"].as_str(),
        ) else {
            continue;
        };
        let taken = per_category.entry(category).or_insert(0);
        if token.len() > 2048 || case.get("authorization").is_some() || *taken >= 4 {
            continue;
        }
        *taken += 1;
        write("token", name, token.as_bytes())?;
        write("verify", name, token.as_bytes())?;
    }
    write("jwks", "vector-key-set", jwks.to_string().as_bytes())?;
    for (i, key) in jwks["keys"].as_array().into_iter().flatten().enumerate() {
        write(
            "jwks",
            &format!("entry-{i:02}"),
            json!({ "keys": [key] }).to_string().as_bytes(),
        )?;
    }
    // credential: one byte choosing the sources, then the request target, then header lines.
    let token = cases
        .first()
        .and_then(|c| c["token"].as_str())
        .unwrap_or("a.b.c");
    for (name, choice, text) in [
        ("bearer", 0x11u8, format!("/\nauthorization: Bearer {token}")),
        ("bearer-lowercase", 0x11, format!("/\nauthorization: bearer {token}")),
        ("two-authorization", 0x11, format!("/\nauthorization: Bearer {token}\nauthorization: Bearer x")),
        ("basic", 0x11, "/\nauthorization: Basic dXNlcjpwYXNz".to_owned()),
        ("cookie", 0x14, format!("/\ncookie: a=1; session={token}; b=2")),
        ("custom-header", 0x12, format!("/\nx-token: {token}")),
        ("query", 0x18, format!("/p?x=1&access_token={token}")),
        ("everywhere", 0x1f, format!("/p?access_token={token}\nauthorization: Bearer {token}\nx-token: {token}\ncookie: session={token}")),
        // 0x20: POST, where a cookie credential needs a same-origin sign (fuzzing::credential).
        ("cookie-post-cross-site", 0x34, format!("/\ncookie: session={token}\norigin: https://evil.example")),
        ("cookie-post-same-origin", 0x34, format!("/\ncookie: session={token}\nsec-fetch-site: same-origin")),
        ("cookie-post-trusted-origin", 0x34, format!("/\ncookie: session={token}\norigin: https://app.tollgate.test")),
        ("bearer-post-cross-site", 0x31, format!("/\nauthorization: Bearer {token}\nsec-fetch-site: cross-site")),
    ] {
        write("credential", name, &[&[choice], text.as_bytes()].concat())?;
    }
    Ok(count)
}

fn valid(v: &mut Vectors, k: &Keys) {
    let c = "valid";
    // RS256 with the key published without `alg`; the others with the key pinned to them.
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let lower = alg.to_lowercase();
        let name = format!("valid-{lower}");
        let kid = if alg == "RS256" {
            "rsa-2048".to_owned()
        } else {
            format!("rsa-{lower}")
        };
        let h = json!({"alg": alg, "typ": "JWT", "kid": kid});
        v.accept(c, &name, signed(&k.rsa, &h, &claims(&name)));
    }
    for (alg, kid, key) in [
        ("ES256", "p256", &k.p256),
        ("ES384", "p384", &k.p384),
        ("EdDSA", "ed25519", &k.ed),
    ] {
        let name = format!("valid-{}", alg.to_lowercase());
        v.accept(
            c,
            &name,
            signed(key, &json!({"alg": alg, "kid": kid}), &claims(&name)),
        );
    }
    v.accept(
        c,
        "valid-rs256-key-pinned-to-rs256",
        signed(
            &k.rsa,
            &rs256("rsa-rs256-only"),
            &claims("valid-rs256-key-pinned-to-rs256"),
        ),
    );
    // No kid: the one key that fits the algorithm is used (for PS256, `rsa-ps256`).
    for (name, alg, key) in [
        ("valid-es256-without-kid", "ES256", &k.p256),
        ("valid-eddsa-without-kid", "EdDSA", &k.ed),
        ("valid-ps256-without-kid", "PS256", &k.rsa),
    ] {
        v.accept(c, name, signed(key, &json!({"alg": alg}), &claims(name)));
    }
    let h = rs256("rsa-2048");
    let mut accept = |name: &str, payload: Value| v.accept(c, name, signed(&k.rsa, &h, &payload));
    accept(
        "valid-aud-array-with-match",
        with(
            claims("valid-aud-array-with-match"),
            "aud",
            json!(["other-api", AUD]),
        ),
    );
    accept(
        "valid-exp-fractional",
        with(
            claims("valid-exp-fractional"),
            "exp",
            json!(4_102_444_800.5),
        ),
    );
    accept(
        "valid-exp-exponent-notation",
        with(claims("valid-exp-exponent-notation"), "exp", json!(4.1e9)),
    );
    accept(
        "valid-exp-beyond-i64",
        with(claims("valid-exp-beyond-i64"), "exp", json!(1e19)),
    );
    accept(
        "valid-exp-beyond-u64",
        with(claims("valid-exp-beyond-u64"), "exp", json!(1e300)),
    );
    accept(
        "valid-nbf-past",
        with(claims("valid-nbf-past"), "nbf", json!(IAT)),
    );
    accept(
        "valid-nbf-negative",
        with(claims("valid-nbf-negative"), "nbf", json!(-1)),
    );
    accept(
        "valid-iat-missing",
        without(claims("valid-iat-missing"), "iat"),
    );
    accept(
        "valid-iat-fractional",
        with(claims("valid-iat-fractional"), "iat", json!(1.7e9)),
    );
    accept(
        "valid-sub-missing-is-allowed-by-default",
        without(claims("valid-sub-missing-is-allowed-by-default"), "sub"),
    );
    accept("valid-extra-claims-of-every-type", {
        let mut p = claims("valid-extra-claims-of-every-type");
        p["scope"] = json!("read write");
        p["groups"] = json!(["a", "b"]);
        p["null"] = Value::Null;
        p["nested"] = json!({"a": [1, 2.5, {"b": null}], "ünï": "cödé ✓"});
        p["big"] = json!(1e300);
        p
    });
    let mut deep = json!(1);
    for _ in 0..100 {
        deep = json!([deep]);
    }
    accept(
        "valid-claim-nested-100-deep",
        with(claims("valid-claim-nested-100-deep"), "deep", deep),
    );
    // Unknown header parameters (other than crit) are ignored; typ is not checked by default.
    let name = "valid-unknown-header-params";
    v.accept(c, name, signed(&k.rsa, &json!({"alg": "RS256", "kid": "rsa-2048", "typ": "at+jwt", "cty": "x", "x-custom": [1, {"a": null}]}), &claims(name)));
    let name = "valid-pretty-printed-json";
    let header = serde_json::to_string_pretty(&rs256("rsa-2048")).unwrap_or_default();
    let payload = serde_json::to_string_pretty(&claims(name)).unwrap_or_default();
    v.accept(
        c,
        name,
        signed_raw(
            &k.rsa,
            "RS256",
            header.as_bytes(),
            format!("\n {payload}\n").as_bytes(),
        ),
    );
    let name = "valid-escaped-member-names";
    let payload = format!(r#"{{"\u0069ss":"{ISS}","aud":"{AUD}","sub":"{name}","exp":{EXP}}}"#);
    v.accept(
        c,
        name,
        signed_raw(
            &k.rsa,
            "RS256",
            rs256("rsa-2048").to_string().as_bytes(),
            payload.as_bytes(),
        ),
    );
}

fn alg_none(v: &mut Vectors, k: &Keys) {
    let c = "alg-none";
    let p = claims("alg-none");
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = json!({"alg": alg, "typ": "JWT"});
        let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
        v.reject(
            c,
            &format!("alg-{alg}-empty-signature"),
            format!("{unsigned}."),
            "Malformed",
        );
        v.reject(
            c,
            &format!("alg-{alg}-with-signature"),
            with_signature(&unsigned, b"sig"),
            "AlgorithmNotAllowed",
        );
    }
    // An `alg: none` header over a genuine RS256 signature of the same input.
    let h = json!({"alg": "none", "kid": "rsa-2048"});
    let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
    let sig = k.rsa.sign("RS256", unsigned.as_bytes());
    v.reject(
        c,
        "alg-none-with-valid-rsa-signature",
        with_signature(&unsigned, &sig),
        "AlgorithmNotAllowed",
    );
    for (name, alg) in [
        ("alg-empty-string", json!("")),
        ("alg-lowercase-rs256", json!("rs256")),
        ("alg-trailing-space", json!("RS256 ")),
        ("alg-es512-unsupported", json!("ES512")),
        ("alg-rsa1_5-encryption", json!("RSA1_5")),
    ] {
        let h = json!({"alg": alg, "kid": "rsa-2048"});
        v.reject(
            c,
            name,
            signed_raw(
                &k.rsa,
                "RS256",
                h.to_string().as_bytes(),
                p.to_string().as_bytes(),
            ),
            "AlgorithmNotAllowed",
        );
    }
    for (name, alg) in [
        ("alg-null", Value::Null),
        ("alg-array", json!(["RS256"])),
        ("alg-number", json!(256)),
    ] {
        let h = json!({"alg": alg, "kid": "rsa-2048"});
        v.reject(
            c,
            name,
            signed_raw(
                &k.rsa,
                "RS256",
                h.to_string().as_bytes(),
                p.to_string().as_bytes(),
            ),
            "Malformed",
        );
    }
    v.reject(
        c,
        "alg-missing",
        signed(&k.rsa, &json!({"kid": "rsa-2048"}), &p),
        "Malformed",
    );
}

fn hmac_confusion(v: &mut Vectors, k: &Keys) {
    let c = "hmac-key-confusion";
    let p = claims("hmac");
    let pem = {
        let body = STANDARD.encode(&k.rsa_spki);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|l| std::str::from_utf8(l).unwrap_or(""))
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    };
    let n = URL_SAFE_NO_PAD
        .decode(k.rsa_jwk["n"].as_str().unwrap_or(""))
        .unwrap_or_default();
    let secrets: [(&str, Vec<u8>); 5] = [
        ("spki-pem", pem.clone().into_bytes()),
        ("spki-pem-no-newline", pem.trim_end().as_bytes().to_vec()),
        ("spki-der", k.rsa_spki.clone()),
        ("jwk-n", n),
        ("jwk-json", k.rsa_jwk.to_string().into_bytes()),
    ];
    for (what, secret) in &secrets {
        for alg in ["HS256", "HS384", "HS512"] {
            if *what != "spki-pem" && alg != "HS256" {
                continue;
            }
            let h = json!({"alg": alg, "typ": "JWT", "kid": "rsa-2048"});
            let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
            let tag = hmac(alg, secret, unsigned.as_bytes());
            v.reject(
                c,
                &format!("{}-with-rsa-public-key-{what}", alg.to_lowercase()),
                with_signature(&unsigned, &tag),
                "AlgorithmNotAllowed",
            );
        }
    }
    // The oct keys in the JWKS are skipped, whatever the header claims.
    for kid in ["oct", "oct-hs256"] {
        let h = json!({"alg": "HS256", "kid": kid});
        let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
        v.reject(
            c,
            &format!("hs256-with-jwks-{kid}-secret"),
            with_signature(&unsigned, &hmac("HS256", &k.oct, unsigned.as_bytes())),
            "AlgorithmNotAllowed",
        );
        let h = json!({"alg": "RS256", "kid": kid});
        let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
        v.reject(
            c,
            &format!("rs256-header-naming-{kid}-signed-with-its-secret"),
            with_signature(&unsigned, &hmac("HS256", &k.oct, unsigned.as_bytes())),
            "UnknownKey",
        );
    }
}

fn ecdsa(v: &mut Vectors, k: &Keys) {
    let c = "ecdsa-psychic";
    let p = claims("ecdsa");
    let es256 = json!({"alg": "ES256", "kid": "p256"});
    let es384 = json!({"alg": "ES384", "kid": "p384"});
    let in256 = input(es256.to_string().as_bytes(), p.to_string().as_bytes());
    let in384 = input(es384.to_string().as_bytes(), p.to_string().as_bytes());
    let good = k.p256.sign("ES256", in256.as_bytes());
    let order = hex(P256_ORDER);
    let cases: Vec<(&str, &String, Vec<u8>)> = vec![
        ("es256-r-and-s-zero", &in256, vec![0; 64]),
        ("es384-r-and-s-zero", &in384, vec![0; 96]),
        (
            "es256-r-zero",
            &in256,
            [vec![0; 32], good[32..].to_vec()].concat(),
        ),
        (
            "es256-s-zero",
            &in256,
            [good[..32].to_vec(), vec![0; 32]].concat(),
        ),
        (
            "es256-r-and-s-equal-the-group-order",
            &in256,
            [order.clone(), order.clone()].concat(),
        ),
        (
            "es256-s-equals-the-group-order",
            &in256,
            [good[..32].to_vec(), order.clone()].concat(),
        ),
        ("es256-all-ones", &in256, vec![0xff; 64]),
        (
            "es256-der-encoded-zero",
            &in256,
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
        ),
    ];
    for (name, input, sig) in cases {
        v.reject(c, name, with_signature(input, &sig), "BadSignature");
    }
    let kidless = input(
        json!({"alg": "ES256"}).to_string().as_bytes(),
        p.to_string().as_bytes(),
    );
    v.reject(
        c,
        "es256-r-and-s-zero-without-kid",
        with_signature(&kidless, &[0; 64]),
        "BadSignature",
    );

    // ECDSA malleability: (r, n - s) verifies wherever (r, s) does. JWS does not forbid it, so
    // both strings are accepted, as the same principal; an application denylist must key on
    // `jti`, not on the token string.
    let c = "ecdsa-malleability";
    let name = "es256-malleable-original";
    let unsigned = input(
        es256.to_string().as_bytes(),
        claims(name).to_string().as_bytes(),
    );
    let original = k.p256.sign("ES256", unsigned.as_bytes());
    let negated_s = sub_be(&order, &original[32..]);
    v.accept(c, name, with_signature(&unsigned, &original));
    v.accept_as(
        c,
        "es256-malleable-s-negated",
        with_signature(&unsigned, &[&original[..32], &negated_s].concat()),
        name,
    );

    let c = "ecdsa-der";
    v.reject(
        c,
        "es256-der-signature",
        with_signature(&in256, &k.p256.sign_der(in256.as_bytes())),
        "BadSignature",
    );
    v.reject(
        c,
        "es384-der-signature",
        with_signature(&in384, &k.p384.sign_der(in384.as_bytes())),
        "BadSignature",
    );
    v.reject(
        c,
        "es256-signature-plus-one-byte",
        with_signature(&in256, &[good.clone(), vec![0]].concat()),
        "BadSignature",
    );
    v.reject(
        c,
        "es256-signature-with-leading-zero",
        with_signature(&in256, &[vec![0], good.clone()].concat()),
        "BadSignature",
    );
    v.reject(
        c,
        "es256-signature-minus-one-byte",
        with_signature(&in256, &good[..63]),
        "BadSignature",
    );
    v.reject(
        c,
        "es256-signature-twice",
        with_signature(&in256, &[good.clone(), good.clone()].concat()),
        "BadSignature",
    );
}

fn header_injection(v: &mut Vectors, k: &Keys) {
    let c = "header-injection";
    let p = claims("header-injection");
    let attacker_jwk = with(k.attacker_rsa_jwk.clone(), "kid", json!("rsa-2048"));
    let attacker_jwks = "http://127.0.0.1:9/attacker/jwks.json";
    let cases = [
        (
            "jku-attacker-with-our-kid",
            json!({"alg": "RS256", "kid": "rsa-2048", "jku": attacker_jwks}),
            "BadSignature",
        ),
        (
            "jku-attacker-with-attacker-kid",
            json!({"alg": "RS256", "kid": "attacker", "jku": attacker_jwks}),
            "UnknownKey",
        ),
        (
            "jku-https-attacker",
            json!({"alg": "RS256", "kid": "attacker", "jku": "https://attacker.example/.well-known/jwks.json"}),
            "UnknownKey",
        ),
        (
            "x5u-attacker",
            json!({"alg": "RS256", "kid": "rsa-2048", "x5u": "https://attacker.example/cert.pem"}),
            "BadSignature",
        ),
        (
            "jwk-embedded-attacker-key-our-kid",
            json!({"alg": "RS256", "kid": "rsa-2048", "jwk": attacker_jwk}),
            "BadSignature",
        ),
        (
            "jwk-embedded-attacker-key-no-kid",
            json!({"alg": "PS256", "jwk": k.attacker_rsa_jwk}),
            "BadSignature",
        ),
        (
            "jwk-embedded-attacker-key-its-kid",
            json!({"alg": "RS256", "kid": "attacker", "jwk": with(k.attacker_rsa_jwk.clone(), "kid", json!("attacker"))}),
            "UnknownKey",
        ),
        (
            "x5c-attacker-chain",
            json!({"alg": "RS256", "kid": "rsa-2048", "x5c": [STANDARD.encode(b"attacker certificate")]}),
            "BadSignature",
        ),
        (
            "all-key-headers-at-once",
            json!({"alg": "RS256", "kid": "attacker", "jku": attacker_jwks, "x5u": attacker_jwks, "jwk": k.attacker_rsa_jwk, "x5c": ["MIIB"]}),
            "UnknownKey",
        ),
    ];
    for (name, header, reason) in cases {
        let alg = header["alg"].as_str().unwrap_or("RS256").to_owned();
        v.reject(
            c,
            name,
            signed_raw(
                &k.attacker_rsa,
                &alg,
                header.to_string().as_bytes(),
                p.to_string().as_bytes(),
            ),
            reason,
        );
    }
    let h = json!({"alg": "ES256", "kid": "p256", "jwk": {"kty": "EC", "crv": "P-256"}});
    v.reject(
        c,
        "jwk-embedded-attacker-ec-key",
        signed(&k.attacker_p256, &h, &p),
        "BadSignature",
    );
}

fn kid_injection(v: &mut Vectors, k: &Keys) {
    let c = "kid-injection";
    let p = claims("kid");
    let long = "a".repeat(4000);
    let string_kids: [(&str, &str); 14] = [
        ("kid-path-traversal", "../../../../../../dev/null"),
        ("kid-absolute-path", "/etc/passwd"),
        ("kid-sql-injection", "x' UNION SELECT 'secret' --"),
        ("kid-sql-tautology", "rsa-2048' OR '1'='1"),
        ("kid-command-injection", "rsa-2048; rm -rf /"),
        ("kid-with-nul", "rsa-2048\u{0}"),
        ("kid-uppercase", "RSA-2048"),
        ("kid-leading-space", " rsa-2048"),
        ("kid-trailing-space", "rsa-2048 "),
        ("kid-homoglyph", "rsa-2048\u{200b}"),
        ("kid-empty-string", ""),
        ("kid-url", "https://attacker.example/key"),
        ("kid-format-string", "%s%s%s%n"),
        ("kid-very-long", &long),
    ];
    for (name, kid) in string_kids {
        v.reject(c, name, signed(&k.rsa, &rs256(kid), &p), "UnknownKey");
    }
    for (name, kid) in [
        ("kid-number", json!(1)),
        ("kid-array", json!(["rsa-2048"])),
        ("kid-object", json!({"kid": "rsa-2048"})),
        ("kid-bool", json!(true)),
    ] {
        let h = json!({"alg": "RS256", "kid": kid});
        v.reject(c, name, signed(&k.rsa, &h, &p), "Malformed");
    }
    // A null kid is no kid: RS256 then has two candidate keys and picking one is refused.
    v.reject(
        c,
        "kid-null-ambiguous",
        signed(&k.rsa, &json!({"alg": "RS256", "kid": null}), &p),
        "NoMatchingKey",
    );
    v.reject(
        c,
        "no-kid-ambiguous-rs256",
        signed(&k.rsa, &json!({"alg": "RS256"}), &p),
        "NoMatchingKey",
    );
}

fn crit(v: &mut Vectors, k: &Keys) {
    let c = "crit";
    let p = claims("crit");
    for (name, crit) in [
        ("crit-exp", json!(["exp"])),
        ("crit-b64", json!(["b64"])),
        ("crit-empty-array", json!([])),
        ("crit-string", json!("exp")),
        (
            "crit-unknown-extension",
            json!(["http://attacker.example/ext"]),
        ),
        ("crit-null", Value::Null),
    ] {
        let h = json!({"alg": "RS256", "kid": "rsa-2048", "crit": crit, "b64": false, "exp": EXP});
        v.reject(c, name, signed(&k.rsa, &h, &p), "UnsupportedCritical");
    }
}

fn numeric_dates(v: &mut Vectors, k: &Keys) {
    let c = "numeric-dates";
    let h = rs256("rsa-2048");
    let mut case = |name: &str, claim: &str, value: Option<Value>, reason: Option<&str>| {
        let p = match value {
            Some(value) => with(claims(name), claim, value),
            None => without(claims(name), claim),
        };
        let token = signed(&k.rsa, &h, &p);
        match reason {
            Some(reason) => v.reject(c, name, token, reason),
            None => v.accept(c, name, token),
        }
    };
    case("exp-missing", "exp", None, Some("MissingClaim"));
    case(
        "exp-past",
        "exp",
        Some(json!(1_000_000_000)),
        Some("Expired"),
    );
    case("exp-zero", "exp", Some(json!(0)), Some("Expired"));
    case("exp-negative", "exp", Some(json!(-1)), Some("Expired"));
    case("exp-below-i64", "exp", Some(json!(-1e19)), Some("Expired"));
    case(
        "exp-negative-huge",
        "exp",
        Some(json!(-1e300)),
        Some("Expired"),
    );
    case(
        "exp-string",
        "exp",
        Some(json!("4102444800")),
        Some("InvalidClaim"),
    );
    case(
        "exp-empty-string",
        "exp",
        Some(json!("")),
        Some("InvalidClaim"),
    );
    case("exp-null", "exp", Some(Value::Null), Some("InvalidClaim"));
    case("exp-true", "exp", Some(json!(true)), Some("InvalidClaim"));
    case("exp-array", "exp", Some(json!([EXP])), Some("InvalidClaim"));
    case(
        "exp-object",
        "exp",
        Some(json!({"$numberLong": "4102444800"})),
        Some("InvalidClaim"),
    );
    case(
        "nbf-future",
        "nbf",
        Some(json!(EXP - 1)),
        Some("NotYetValid"),
    );
    case("nbf-huge", "nbf", Some(json!(1e300)), Some("NotYetValid"));
    case("nbf-string", "nbf", Some(json!("0")), Some("InvalidClaim"));
    case("nbf-null", "nbf", Some(Value::Null), Some("InvalidClaim"));
    case("nbf-false", "nbf", Some(json!(false)), Some("InvalidClaim"));
    case("nbf-array", "nbf", Some(json!([0])), Some("InvalidClaim"));
    case(
        "iat-string",
        "iat",
        Some(json!("1700000000")),
        Some("InvalidClaim"),
    );
    case("iat-null", "iat", Some(Value::Null), Some("InvalidClaim"));
    case("iat-object", "iat", Some(json!({})), Some("InvalidClaim"));
    case(
        "iat-negative-is-only-a-number",
        "iat",
        Some(json!(-5)),
        None,
    );
    case("iat-future-is-not-checked", "iat", Some(json!(EXP)), None);
    // Numbers serde_json cannot represent make the whole payload unreadable.
    let h = rs256("rsa-2048").to_string();
    for (name, literal) in [
        ("exp-overflowing-exponent", "1e400"),
        ("exp-negative-overflowing-exponent", "-1e400"),
        ("exp-nan-literal", "NaN"),
        ("exp-infinity-literal", "Infinity"),
        ("exp-hex-literal", "0x7fffffff"),
        ("exp-leading-plus", "+4102444800"),
        ("exp-leading-zero", "04102444800"),
    ] {
        let payload = format!(r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"{name}","exp":{literal}}}"#);
        v.reject(
            c,
            name,
            signed_raw(&k.rsa, "RS256", h.as_bytes(), payload.as_bytes()),
            "Malformed",
        );
    }
    let huge = |digits: usize| {
        let payload = format!(
            r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"exp-{digits}-digit-integer","exp":{}}}"#,
            "9".repeat(digits)
        );
        signed_raw(&k.rsa, "RS256", h.as_bytes(), payload.as_bytes())
    };
    // Past u64, an integer is read as the nearest f64: a far-future expiry.
    v.accept(c, "exp-30-digit-integer", huge(30));
    // Past f64 it cannot be read at all.
    v.reject(c, "exp-400-digit-integer", huge(400), "Malformed");
}

fn issuer_audience(v: &mut Vectors, k: &Keys) {
    let c = "issuer-audience";
    let h = rs256("rsa-2048");
    let mut case = |name: &str, claim: &str, value: Option<Value>, reason: &str| {
        let p = match value {
            Some(value) => with(claims(name), claim, value),
            None => without(claims(name), claim),
        };
        v.reject(c, name, signed(&k.rsa, &h, &p), reason);
    };
    case("iss-missing", "iss", None, "MissingClaim");
    case(
        "iss-uppercase",
        "iss",
        Some(json!(ISS.to_uppercase())),
        "WrongIssuer",
    );
    case(
        "iss-trailing-slash",
        "iss",
        Some(json!(format!("{ISS}/"))),
        "WrongIssuer",
    );
    case(
        "iss-http-scheme",
        "iss",
        Some(json!(ISS.replace("https", "http"))),
        "WrongIssuer",
    );
    case(
        "iss-trailing-space",
        "iss",
        Some(json!(format!("{ISS} "))),
        "WrongIssuer",
    );
    case(
        "iss-prefix-match",
        "iss",
        Some(json!(format!("{ISS}.attacker.example"))),
        "WrongIssuer",
    );
    case("iss-empty", "iss", Some(json!("")), "WrongIssuer");
    case("iss-array", "iss", Some(json!([ISS])), "InvalidClaim");
    case("iss-null", "iss", Some(Value::Null), "InvalidClaim");
    case("iss-number", "iss", Some(json!(1)), "InvalidClaim");
    case("aud-missing", "aud", None, "MissingClaim");
    case(
        "aud-uppercase",
        "aud",
        Some(json!(AUD.to_uppercase())),
        "WrongAudience",
    );
    case(
        "aud-trailing-slash",
        "aud",
        Some(json!(format!("{AUD}/"))),
        "WrongAudience",
    );
    case(
        "aud-other",
        "aud",
        Some(json!("another-api")),
        "WrongAudience",
    );
    case("aud-empty-string", "aud", Some(json!("")), "WrongAudience");
    case("aud-empty-array", "aud", Some(json!([])), "WrongAudience");
    case(
        "aud-array-without-match",
        "aud",
        Some(json!(["a", "b"])),
        "WrongAudience",
    );
    case(
        "aud-array-nested",
        "aud",
        Some(json!([[AUD]])),
        "InvalidClaim",
    );
    case(
        "aud-array-with-number",
        "aud",
        Some(json!([AUD, 1])),
        "InvalidClaim",
    );
    case("aud-null", "aud", Some(Value::Null), "InvalidClaim");
    case(
        "aud-object",
        "aud",
        Some(json!({"aud": AUD})),
        "InvalidClaim",
    );
    case(
        "aud-space-separated",
        "aud",
        Some(json!(format!("x {AUD}"))),
        "WrongAudience",
    );
    case("sub-number", "sub", Some(json!(42)), "InvalidClaim");
}

fn base64url(v: &mut Vectors, k: &Keys) {
    let c = "base64url";
    let name = "base64url";
    let good = signed(&k.rsa, &rs256("rsa-2048"), &claims(name));
    let [h, p, s]: [&str; 3] = good
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .expect("3 parts");
    let std_alphabet = |seg: &str| seg.replace('-', "+").replace('_', "/");
    // Correct base64 padding where the length needs it, one stray '=' otherwise.
    let padded = |seg: &str| format!("{seg}{}", "=".repeat(((4 - seg.len() % 4) % 4).max(1)));
    let mut case = |name: &str, token: String, reason: &str| v.reject(c, name, token, reason);
    // A '=' inside the token is not an RFC 6750 b64token: the request itself is malformed.
    case(
        "padded-header",
        format!("{}.{p}.{s}", padded(h)),
        "MalformedCredential",
    );
    case(
        "padded-payload",
        format!("{h}.{}.{s}", padded(p)),
        "MalformedCredential",
    );
    case(
        "padded-signature-at-the-end",
        format!("{h}.{p}.{s}=="),
        "Malformed",
    );
    let header_with_slash = signed_raw(
        &k.rsa,
        "RS256",
        br#"{"alg":"RS256","kid":"rsa-2048","x":"??>"}"#,
        claims(name).to_string().as_bytes(),
    );
    let [h2, p2, s2]: [&str; 3] = header_with_slash
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .expect("3 parts");
    assert!(
        h2.contains('_') || h2.contains('-'),
        "the header must need the url-safe alphabet"
    );
    case(
        "standard-alphabet-header",
        format!("{}.{p2}.{s2}", std_alphabet(h2)),
        "Malformed",
    );
    let s_std = std_alphabet(s);
    if s_std != s {
        case(
            "standard-alphabet-signature",
            format!("{h}.{p}.{s_std}"),
            "Malformed",
        );
    }
    case(
        "space-inside",
        format!("{h}.{p} .{s}"),
        "MalformedCredential",
    );
    case(
        "tab-inside",
        format!("{h}.{p}\t.{s}"),
        "MalformedCredential",
    );
    case(
        "non-ascii-inside",
        format!("{h}.{p}é.{s}"),
        "MalformedCredential",
    );
    case(
        "percent-encoded-dot",
        format!("{h}%2E{p}.{s}"),
        "MalformedCredential",
    );
    case("quoted", format!("\"{good}\""), "MalformedCredential");
    case(
        "comma-separated-twice",
        format!("{good},{good}"),
        "MalformedCredential",
    );
    case("empty-header-segment", format!(".{p}.{s}"), "Malformed");
    case("empty-payload-segment", format!("{h}..{s}"), "Malformed");
    case("empty-signature-segment", format!("{h}.{p}."), "Malformed");
    case("only-dots", "..".into(), "Malformed");
    case("one-segment", h.into(), "Malformed");
    case("two-segments", format!("{h}.{p}"), "Malformed");
    case("four-segments", format!("{good}.{s}"), "Malformed");
    case(
        "five-segments-jwe-shape",
        format!("{h}.{p}.{s}.{p}.{s}"),
        "Malformed",
    );
    case("trailing-dot", format!("{good}."), "Malformed");
    let mut bad_len = s.to_owned();
    while bad_len.len() % 4 != 1 {
        bad_len.push('A');
    }
    case(
        "signature-length-one-mod-four",
        format!("{h}.{p}.{bad_len}"),
        "Malformed",
    );
    // The last character of a base64url segment has spare low bits; they must be zero.
    let last = s.chars().last().unwrap_or('A');
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap_or(0);
    let spare_bits = match s.len() % 4 {
        2 => 0b1111,
        3 => 0b11,
        _ => 0,
    };
    if spare_bits != 0 {
        let tweaked = alphabet.chars().nth(index | 1).unwrap_or('B');
        let token = format!("{h}.{p}.{}{tweaked}", &s[..s.len() - 1]);
        case("signature-non-canonical-trailing-bits", token, "Malformed");
    }
    case(
        "header-not-json",
        format!("{}.{p}.{s}", b64("alg=RS256")),
        "Malformed",
    );
    case(
        "header-utf8-bom",
        format!(
            "{}.{p}.{s}",
            b64([
                &[0xef, 0xbb, 0xbf][..],
                br#"{"alg":"RS256","kid":"rsa-2048"}"#
            ]
            .concat())
        ),
        "Malformed",
    );
    let payload = [br#"{"iss":""#.as_slice(), &[0xff, 0xfe], br#""}"#].concat();
    case(
        "payload-invalid-utf8",
        signed_raw(
            &k.rsa,
            "RS256",
            rs256("rsa-2048").to_string().as_bytes(),
            &payload,
        ),
        "Malformed",
    );
}

fn json_structure(v: &mut Vectors, k: &Keys) {
    let c = "json-structure";
    let h = rs256("rsa-2048").to_string();
    let p = claims("json").to_string();
    let body = |p: &str| p.trim_start_matches('{').trim_end_matches('}').to_owned();
    let raw = |v: &mut Vectors, name: &str, header: &str, payload: &str, reason: &str| {
        v.reject(
            c,
            name,
            signed_raw(&k.rsa, "RS256", header.as_bytes(), payload.as_bytes()),
            reason,
        );
    };
    raw(
        v,
        "header-duplicate-alg",
        r#"{"alg":"ES256","alg":"RS256","kid":"rsa-2048"}"#,
        &p,
        "Malformed",
    );
    raw(
        v,
        "header-duplicate-kid",
        r#"{"alg":"RS256","kid":"p256","kid":"rsa-2048"}"#,
        &p,
        "Malformed",
    );
    raw(
        v,
        "header-duplicate-typ",
        r#"{"alg":"RS256","kid":"rsa-2048","typ":"JWT","typ":"at+jwt"}"#,
        &p,
        "Malformed",
    );
    raw(
        v,
        "header-duplicate-unknown-member",
        r#"{"alg":"RS256","kid":"rsa-2048","x":1,"x":2}"#,
        &p,
        "Malformed",
    );
    raw(
        v,
        "header-duplicate-crit",
        r#"{"alg":"RS256","kid":"rsa-2048","crit":["b64"],"crit":["b64"]}"#,
        &p,
        "Malformed",
    );
    let with_scope = with(claims("json"), "scope", json!("read")).to_string();
    for claim in ["exp", "iss", "aud", "sub", "scope"] {
        let payload = format!(r#"{{{},"{claim}":"x"}}"#, body(&with_scope));
        raw(
            v,
            &format!("payload-duplicate-{claim}"),
            &h,
            &payload,
            "Malformed",
        );
    }
    let payload = format!(r#"{{{},"iss":"{ISS}"}}"#, body(&p));
    raw(
        v,
        "payload-duplicate-iss-with-same-value",
        &h,
        &payload,
        "Malformed",
    );
    for (name, payload) in [
        ("payload-array", format!("[{p}]")),
        ("payload-string", format!("{:?}", p)),
        ("payload-number", "4102444800".into()),
        ("payload-null", "null".into()),
        ("payload-true", "true".into()),
        ("payload-empty", String::new()),
        ("payload-whitespace", " ".into()),
        ("payload-trailing-garbage", format!("{p}x")),
        ("payload-two-objects", format!("{p}{p}")),
        ("payload-trailing-comma", format!("{{{},}}", body(&p))),
        ("payload-single-quotes", p.replace('"', "'")),
        ("payload-comment", format!("/*x*/{p}")),
        ("payload-unterminated", p[..p.len() - 1].to_owned()),
    ] {
        raw(v, name, &h, &payload, "Malformed");
    }
    for (name, header) in [
        (
            "header-array",
            r#"[{"alg":"RS256","kid":"rsa-2048"}]"#.to_owned(),
        ),
        ("header-string", r#""RS256""#.to_owned()),
        ("header-null", "null".to_owned()),
        ("header-empty-object", "{}".to_owned()),
        ("header-empty", String::new()),
    ] {
        raw(v, name, &header, &p, "Malformed");
    }
    let deep_payload = format!(
        r#"{{{},"deep":{}1{}}}"#,
        body(&p),
        "[".repeat(200),
        "]".repeat(200)
    );
    raw(
        v,
        "payload-claim-nested-200-deep",
        &h,
        &deep_payload,
        "Malformed",
    );
    raw(
        v,
        "payload-nested-5000-deep",
        &h,
        &"[".repeat(5000),
        "Malformed",
    );
    let deep_header = format!(
        r#"{{"alg":"RS256","kid":"rsa-2048","x":{}}}"#,
        "{\"a\":".repeat(200) + "1" + &"}".repeat(200)
    );
    raw(v, "header-nested-200-deep", &deep_header, &p, "Malformed");
}

fn size(v: &mut Vectors, k: &Keys) {
    let c = "size";
    let h = rs256("rsa-2048");
    let sized = |name: &str, total: usize| {
        // Pad a claim until the whole token is `total` bytes (within a base64 quantum).
        let mut pad = 0;
        loop {
            let token = signed(
                &k.rsa,
                &h,
                &with(claims(name), "pad", json!("x".repeat(pad))),
            );
            if token.len() >= total {
                return token;
            }
            pad += ((total - token.len()) * 3 / 4).max(1);
        }
    };
    let under = sized("token-just-under-the-limit", MAX_TOKEN - 8);
    assert!(under.len() <= MAX_TOKEN, "{}", under.len());
    v.accept(c, "token-just-under-the-limit", under);
    v.reject(
        c,
        "token-just-over-the-limit",
        sized("token-just-over-the-limit", MAX_TOKEN + 1),
        "TooLarge",
    );
    v.reject(
        c,
        "token-of-64-kib",
        sized("token-of-64-kib", 64 * 1024),
        "TooLarge",
    );
    let name = "header-of-9-kib";
    let header = json!({"alg": "RS256", "kid": "rsa-2048", "x": "y".repeat(9 * 1024)});
    v.reject(c, name, signed(&k.rsa, &header, &claims(name)), "TooLarge");
    let name = "kid-of-9-kib";
    v.reject(
        c,
        name,
        signed(&k.rsa, &rs256(&"k".repeat(9 * 1024)), &claims(name)),
        "TooLarge",
    );
    let name = "400-extra-claims-under-the-limit";
    let mut p = claims(name);
    for i in 0..400 {
        p[format!("c{i}")] = json!(i);
    }
    v.accept(c, name, signed(&k.rsa, &h, &p));
}

fn jwks_keys(v: &mut Vectors, k: &Keys) {
    let c = "jwks-keys";
    let p = |n: &str| claims(n);
    v.reject(
        c,
        "rsa-1024-key-by-kid",
        signed(&k.rsa1024, &rs256("rsa-1024"), &p("rsa-1024-key-by-kid")),
        "UnknownKey",
    );
    // Without a kid the only PS256 candidate is the 2048-bit key pinned to PS256, which did not
    // sign it.
    v.reject(
        c,
        "rsa-1024-key-without-kid",
        signed(
            &k.rsa1024,
            &json!({"alg": "PS256"}),
            &p("rsa-1024-key-without-kid"),
        ),
        "BadSignature",
    );
    for kid in ["rsa-enc", "rsa-encrypt-ops", "rsa-oaep"] {
        let name = format!("{kid}-key");
        v.reject(
            c,
            &name,
            signed(&k.rsa, &rs256(kid), &p(&name)),
            "UnknownKey",
        );
    }
    v.reject(
        c,
        "p256-enc-key",
        signed(
            &k.p256,
            &json!({"alg": "ES256", "kid": "p256-enc"}),
            &p("p256-enc-key"),
        ),
        "UnknownKey",
    );
    v.reject(
        c,
        "ec-key-published-as-rs256",
        signed(
            &k.p256,
            &json!({"alg": "ES256", "kid": "p256-as-rs256"}),
            &p("ec-key-published-as-rs256"),
        ),
        "UnknownKey",
    );
    let name = "ec-key-off-the-curve";
    v.reject(
        c,
        name,
        signed(
            &k.p384,
            &json!({"alg": "ES384", "kid": "p384-off-curve"}),
            &p(name),
        ),
        "UnknownKey",
    );
    let name = "ec-key-off-the-curve-psychic";
    let unsigned = input(
        json!({"alg": "ES384", "kid": "p384-off-curve"})
            .to_string()
            .as_bytes(),
        p(name).to_string().as_bytes(),
    );
    v.reject(c, name, with_signature(&unsigned, &[0; 96]), "UnknownKey");
    // R = identity, S = 0 "verifies" any payload under the small-order key; the key is skipped
    // at load, so the token meets an unknown kid, and without a kid the real Ed25519 key.
    let name = "eddsa-small-order-key-identity-signature";
    let unsigned = input(
        json!({"alg": "EdDSA", "kid": "ed25519-small-order"})
            .to_string()
            .as_bytes(),
        p(name).to_string().as_bytes(),
    );
    let identity_signature = [ED25519_IDENTITY, [0; 32]].concat();
    v.reject(
        c,
        name,
        with_signature(&unsigned, &identity_signature),
        "UnknownKey",
    );
    let name = "eddsa-identity-signature-without-kid";
    let unsigned = input(
        json!({"alg": "EdDSA"}).to_string().as_bytes(),
        p(name).to_string().as_bytes(),
    );
    v.reject(
        c,
        name,
        with_signature(&unsigned, &identity_signature),
        "BadSignature",
    );
    for kid in ["rsa-no-n", "p521", "ml-dsa", "no-kty"] {
        let name = format!("malformed-jwks-entry-{kid}");
        v.reject(
            c,
            &name,
            signed(&k.rsa, &rs256(kid), &p(&name)),
            "UnknownKey",
        );
    }
}

fn alg_kty(v: &mut Vectors, k: &Keys) {
    let c = "alg-kty-mismatch";
    let cases: [(&str, &str, &str, &Signer); 9] = [
        ("rs256-header-with-ec-key", "RS256", "p256", &k.rsa),
        ("rs256-header-with-ed25519-key", "RS256", "ed25519", &k.rsa),
        ("es256-header-with-p384-key", "ES256", "p384", &k.p384),
        ("es384-header-with-p256-key", "ES384", "p256", &k.p256),
        ("es256-header-with-rsa-key", "ES256", "rsa-2048", &k.p256),
        ("eddsa-header-with-rsa-key", "EdDSA", "rsa-2048", &k.ed),
        ("eddsa-header-with-p256-key", "EdDSA", "p256", &k.ed),
        (
            "ps256-header-with-key-pinned-to-rs256",
            "PS256",
            "rsa-rs256-only",
            &k.rsa,
        ),
        (
            "rs512-header-with-key-pinned-to-rs256",
            "RS512",
            "rsa-rs256-only",
            &k.rsa,
        ),
    ];
    for (name, alg, kid, key) in cases {
        v.reject(
            c,
            name,
            signed(key, &json!({"alg": alg, "kid": kid}), &claims(name)),
            "NoMatchingKey",
        );
    }
    // An RSA key without `alg` verifies RS256 only unless the provider's algorithm list is
    // explicit (RFC 8725 §3.1); these are validly signed by that very key.
    for alg in ["RS384", "RS512", "PS256", "PS384", "PS512"] {
        let name = format!("{}-header-with-rsa-key-without-alg", alg.to_lowercase());
        v.reject(
            c,
            &name,
            signed(
                &k.rsa,
                &json!({"alg": alg, "kid": "rsa-2048"}),
                &claims(&name),
            ),
            "NoMatchingKey",
        );
    }
}

fn signatures(v: &mut Vectors, k: &Keys) {
    let c = "signature";
    for (alg, kid, key) in [
        ("RS256", "rsa-2048", &k.rsa),
        ("PS256", "rsa-ps256", &k.rsa),
        ("ES256", "p256", &k.p256),
        ("ES384", "p384", &k.p384),
        ("EdDSA", "ed25519", &k.ed),
    ] {
        let lower = alg.to_lowercase();
        let h = json!({"alg": alg, "kid": kid});
        let p = claims(&format!("{lower}-signature"));
        let unsigned = input(h.to_string().as_bytes(), p.to_string().as_bytes());
        let sig = key.sign(alg, unsigned.as_bytes());
        let flipped = |i: usize, bit: u8| {
            let mut s = sig.clone();
            s[i] ^= bit;
            with_signature(&unsigned, &s)
        };
        v.reject(
            c,
            &format!("{lower}-first-bit-flipped"),
            flipped(0, 0x80),
            "BadSignature",
        );
        v.reject(
            c,
            &format!("{lower}-last-bit-flipped"),
            flipped(sig.len() - 1, 0x01),
            "BadSignature",
        );
        v.reject(
            c,
            &format!("{lower}-truncated-by-one-byte"),
            with_signature(&unsigned, &sig[..sig.len() - 1]),
            "BadSignature",
        );
        v.reject(
            c,
            &format!("{lower}-truncated-to-half"),
            with_signature(&unsigned, &sig[..sig.len() / 2]),
            "BadSignature",
        );
        v.reject(
            c,
            &format!("{lower}-one-zero-byte"),
            with_signature(&unsigned, &[0]),
            "BadSignature",
        );
        let tampered = input(
            h.to_string().as_bytes(),
            with(p.clone(), "sub", json!("admin"))
                .to_string()
                .as_bytes(),
        );
        v.reject(
            c,
            &format!("{lower}-payload-changed-after-signing"),
            with_signature(&tampered, &sig),
            "BadSignature",
        );
    }
    let name = "signature-from-the-attacker-key-with-our-kid";
    v.reject(
        c,
        name,
        signed(&k.attacker_rsa, &rs256("rsa-2048"), &claims(name)),
        "BadSignature",
    );
    let name = "signature-of-another-token";
    let other = signed(&k.rsa, &rs256("rsa-2048"), &claims("another"));
    let unsigned = input(
        rs256("rsa-2048").to_string().as_bytes(),
        claims(name).to_string().as_bytes(),
    );
    let other_sig = other.rsplit('.').next().unwrap_or("");
    v.reject(c, name, format!("{unsigned}.{other_sig}"), "BadSignature");
    let name = "header-changed-after-signing";
    let good = signed(&k.rsa, &rs256("rsa-2048"), &claims(name));
    let (_, rest) = good.split_once('.').unwrap_or_default();
    let header = json!({"alg": "RS256", "kid": "rsa-2048", "typ": "JWT", "x": 1});
    v.reject(
        c,
        name,
        format!("{}.{rest}", b64(header.to_string())),
        "BadSignature",
    );
}

fn credential(v: &mut Vectors, k: &Keys) {
    let c = "credential";
    let token = |name: &str| signed(&k.rsa, &rs256("rsa-2048"), &claims(name));
    let accept = json!("accept");
    let shapes: [(&str, Vec<&str>, Value); 18] = [
        ("scheme-lowercase", vec!["bearer {token}"], accept.clone()),
        ("scheme-uppercase", vec!["BEARER {token}"], accept.clone()),
        (
            "two-spaces-after-scheme",
            vec!["Bearer  {token}"],
            accept.clone(),
        ),
        (
            "trailing-whitespace",
            vec!["Bearer {token} \t"],
            accept.clone(),
        ),
        ("no-authorization-header", vec![], reject("NoCredential")),
        (
            "basic-scheme",
            vec!["Basic {token}"],
            reject("NoCredential"),
        ),
        (
            "token-scheme",
            vec!["Token {token}"],
            reject("NoCredential"),
        ),
        (
            "tab-after-scheme",
            vec!["Bearer\t{token}"],
            reject("NoCredential"),
        ),
        ("no-scheme", vec!["{token}"], reject("NoCredential")),
        (
            "scheme-glued-to-token",
            vec!["Bearer{token}"],
            reject("NoCredential"),
        ),
        (
            "two-authorization-headers",
            vec!["Bearer {token}", "Bearer {token}"],
            reject("DuplicateCredential"),
        ),
        (
            "bearer-and-basic-headers",
            vec!["Basic dXNlcjpwYXNz", "Bearer {token}"],
            reject("DuplicateCredential"),
        ),
        (
            "scheme-without-token",
            vec!["Bearer"],
            reject("MalformedCredential"),
        ),
        (
            "scheme-and-spaces-only",
            vec!["Bearer    "],
            reject("MalformedCredential"),
        ),
        (
            "token-then-extra-word",
            vec!["Bearer {token} extra"],
            reject("MalformedCredential"),
        ),
        (
            "two-tokens-comma-separated",
            vec!["Bearer {token}, Bearer {token}"],
            reject("MalformedCredential"),
        ),
        (
            "token-with-latin1-byte",
            vec!["Bearer {token}\u{e9}"],
            reject("MalformedCredential"),
        ),
        (
            "bearer-equals-token",
            vec!["Bearer={token}"],
            reject("NoCredential"),
        ),
    ];
    for (name, values, expect) in shapes {
        let name = format!("authorization-{name}");
        v.add_with(c, &name, token(&name), expect, Some(values));
    }
}
