//! Hostile and broken credentials: each is rejected with 401 and the right challenge, never a
//! 5xx, and none makes tollgate fetch anything it was not configured to fetch.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tollgate::dev::{DevIssuer, DevKeyType};
use tollgate::jwt::Algorithm;
use tollgate::AuthLayer;

use crate::algorithms::b64;
use crate::support::*;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn hmac_sha256(key: &[u8], message: &str) -> String {
    use base64::Engine as _;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, message.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
}

async fn setup() -> (DevIssuer, Server) {
    let issuer = DevIssuer::builder()
        .key("rsa", DevKeyType::Rsa2048)
        .start()
        .await
        .expect("issuer");
    let provider = issuer.provider().build().await.expect("provider");
    let server = serve(app(AuthLayer::new(provider))).await;
    (issuer, server)
}

#[tokio::test]
async fn invalid_tokens_get_401_invalid_token() {
    let (issuer, server) = setup().await;
    let attacker = DevIssuer::builder()
        .key("rsa", DevKeyType::Rsa2048)
        .start()
        .await
        .expect("attacker");
    let good = issuer.token().sign();
    assert_eq!(
        get_me(&server, &good).await.status,
        200,
        "control: the good token is accepted"
    );
    let [h, p, s] = <[String; 3]>::try_from(segments(&good)).expect("three segments");
    let claims = Value::Object(issuer.token().claims().clone());
    let claims_with = |name: &str, value: Value| {
        let mut c = claims.clone();
        c[name] = value;
        c
    };
    let signed_header =
        |header: Value| issuer.dangerous().sign_raw(&header, &claims).expect("sign");
    let jwk = issuer.public_jwk("rsa").expect("jwk");
    let n_bytes = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwk["n"].as_str().expect("n"))
            .expect("n bytes")
    };
    let hs_input = format!("{}.{p}", b64(r#"{"alg":"HS256","typ":"JWT","kid":"rsa"}"#));
    let rs_input_hmac = format!("{h}.{p}");

    let cases: Vec<(&str, String)> = vec![
        ("expired", issuer.token().claim("exp", now() - 3600).sign()),
        (
            "expired just past the leeway",
            issuer.token().claim("exp", now() - 61).sign(),
        ),
        (
            "not yet valid",
            issuer.token().claim("nbf", now() + 3600).sign(),
        ),
        (
            "wrong issuer",
            issuer.token().claim("iss", "https://evil.example").sign(),
        ),
        (
            "issuer with trailing slash",
            issuer
                .token()
                .claim("iss", format!("{}/", issuer.issuer()))
                .sign(),
        ),
        ("missing issuer", issuer.token().without("iss").sign()),
        (
            "wrong audience",
            issuer.token().claim("aud", "someone-else").sign(),
        ),
        (
            "audience array without ours",
            issuer.token().claim("aud", json!(["a", "b"])).sign(),
        ),
        ("missing audience", issuer.token().without("aud").sign()),
        ("missing exp", issuer.token().without("exp").sign()),
        (
            "exp as a string",
            issuer
                .token()
                .claim("exp", (now() + 3600).to_string())
                .sign(),
        ),
        ("nbf as a string", issuer.token().claim("nbf", "0").sign()),
        (
            "iat as an object",
            issuer.token().claim("iat", json!({})).sign(),
        ),
        (
            "alg none, empty signature",
            format!("{}.{p}.", b64(r#"{"alg":"none","typ":"JWT"}"#)),
        ),
        (
            "alg none, with signature",
            format!("{}.{p}.{s}", b64(r#"{"alg":"none","typ":"JWT"}"#)),
        ),
        (
            "alg None",
            format!("{}.{p}.{s}", b64(r#"{"alg":"None","kid":"rsa"}"#)),
        ),
        (
            "HS256 keyed with the JWK",
            format!(
                "{hs_input}.{}",
                hmac_sha256(jwk.to_string().as_bytes(), &hs_input)
            ),
        ),
        (
            "HS256 keyed with the modulus",
            format!("{hs_input}.{}", hmac_sha256(&n_bytes, &hs_input)),
        ),
        (
            "RS256 header, HMAC signature",
            format!("{rs_input_hmac}.{}", hmac_sha256(&n_bytes, &rs_input_hmac)),
        ),
        (
            "unknown kid",
            issuer.token().kid("rsa").sign().replacen(
                &h,
                &b64(r#"{"alg":"RS256","kid":"nope"}"#),
                1,
            ),
        ),
        (
            "kid injection",
            signed_header(json!({"alg": "RS256", "kid": "../../../../dev/null"})),
        ),
        (
            "tampered payload",
            format!(
                "{h}.{}.{s}",
                b64(&claims_with("sub", json!("admin")).to_string())
            ),
        ),
        ("tampered signature", format!("{h}.{p}.{}", flip(&s))),
        (
            "signature from another key with the same kid",
            attacker_token(&attacker, &claims),
        ),
        (
            "jku to the attacker",
            attacker
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": "rsa", "jku": attacker.jwks_url()}),
                    &claims,
                )
                .expect("sign"),
        ),
        (
            "x5u to the attacker",
            attacker
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": "rsa", "x5u": attacker.jwks_url()}),
                    &claims,
                )
                .expect("sign"),
        ),
        (
            "embedded jwk",
            attacker
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": "rsa", "jwk": attacker.public_jwk("rsa")}),
                    &claims,
                )
                .expect("sign"),
        ),
        (
            "embedded x5c",
            attacker
                .dangerous()
                .sign_raw(
                    &json!({"alg": "RS256", "kid": "rsa", "x5c": ["MIIB"]}),
                    &claims,
                )
                .expect("sign"),
        ),
        (
            "crit header",
            signed_header(json!({"alg": "RS256", "kid": "rsa", "crit": ["exp"], "exp": 1})),
        ),
        (
            "crit b64",
            signed_header(json!({"alg": "RS256", "kid": "rsa", "crit": ["b64"], "b64": false})),
        ),
        (
            "duplicate exp",
            issuer
                .dangerous()
                .sign_segments(
                    "rsa",
                    Algorithm::RS256,
                    &h,
                    &b64(&dup_member(&claims, "exp")),
                )
                .expect("sign"),
        ),
        (
            "duplicate iss",
            issuer
                .dangerous()
                .sign_segments(
                    "rsa",
                    Algorithm::RS256,
                    &h,
                    &b64(&dup_member(&claims, "iss")),
                )
                .expect("sign"),
        ),
        (
            "payload is an array",
            issuer
                .dangerous()
                .sign_segments("rsa", Algorithm::RS256, &h, &b64("[1,2,3]"))
                .expect("sign"),
        ),
        (
            "payload not JSON",
            issuer
                .dangerous()
                .sign_segments("rsa", Algorithm::RS256, &h, &b64("hello"))
                .expect("sign"),
        ),
        ("padded signature", format!("{h}.{p}.{s}==")),
        (
            "truncated signature",
            format!("{h}.{p}.{}", &s[..s.len() / 2]),
        ),
        ("truncated token", good[..good.len() - 40].to_owned()),
        ("two segments", format!("{h}.{p}")),
        ("four segments", format!("{h}.{p}.{s}.{s}")),
        ("empty header segment", format!(".{p}.{s}")),
        ("garbage", "this.is.garbage".into()),
        ("one word", "garbage".into()),
        ("dots", "...".into()),
    ];
    for (name, token) in &cases {
        let reply = get_me(&server, token).await;
        assert_eq!(reply.status, 401, "{name}: {reply:?}");
        let expected = if *name == "expired" || *name == "expired just past the leeway" {
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token has expired\""
        } else {
            INVALID_TOKEN
        };
        assert_eq!(reply.www_authenticate.as_deref(), Some(expected), "{name}");
        assert_eq!(reply.json()["error"], "invalid_token", "{name}");
        assert!(
            !reply.body.contains(token.as_str()),
            "{name}: the token is echoed"
        );
    }
    assert_eq!(
        attacker.dangerous().jwks_fetches(),
        0,
        "jku/x5u/jwk headers must never be followed"
    );
    assert_eq!(attacker.dangerous().discovery_fetches(), 0);
}

#[tokio::test]
async fn leeway_accepts_small_clock_skew() {
    let (issuer, server) = setup().await;
    let reply = get_me(&server, &issuer.token().claim("exp", now() - 30).sign()).await;
    assert_eq!(
        reply.status, 200,
        "expired 30 s ago is inside the 60 s leeway: {reply:?}"
    );
    let reply = get_me(&server, &issuer.token().claim("nbf", now() + 30).sign()).await;
    assert_eq!(
        reply.status, 200,
        "nbf 30 s ahead is inside the leeway: {reply:?}"
    );
}

fn flip(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}

fn attacker_token(attacker: &DevIssuer, claims: &Value) -> String {
    attacker
        .dangerous()
        .sign_raw(&json!({"alg": "RS256", "kid": "rsa", "typ": "JWT"}), claims)
        .expect("sign")
}

/// The claims object with `name` written twice (the second time with a different value).
fn dup_member(claims: &Value, name: &str) -> String {
    let json = claims.to_string();
    let extra = match name {
        "exp" => format!(r#","exp":{}}}"#, now() + 100_000),
        _ => r#","iss":"https://evil.example"}"#.to_owned(),
    };
    format!("{}{extra}", &json[..json.len() - 1])
}

#[tokio::test]
async fn unreadable_credentials_get_401_invalid_request() {
    let (issuer, server) = setup().await;
    let token = issuer.token().sign();
    let url = format!("{}/me", server.base);
    let c = client();
    let oversized = format!("{token}{}", "A".repeat(9 * 1024));
    let cases = vec![
        (
            "oversized token",
            c.get(&url)
                .header("authorization", format!("Bearer {oversized}")),
        ),
        (
            "two authorization headers",
            c.get(&url)
                .header("authorization", format!("Bearer {token}"))
                .header("authorization", format!("Bearer {token}")),
        ),
        (
            "empty bearer",
            c.get(&url).header("authorization", "Bearer "),
        ),
        (
            "space inside the token",
            c.get(&url).header("authorization", "Bearer abc def"),
        ),
        (
            "quote inside the token",
            c.get(&url).header("authorization", "Bearer abc\"def"),
        ),
        (
            "non-ASCII bytes",
            c.get(&url).header(
                "authorization",
                reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("value"),
            ),
        ),
    ];
    for (name, request) in cases {
        let reply = send(request).await;
        assert_eq!(reply.status, 401, "{name}: {reply:?}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(INVALID_REQUEST),
            "{name}"
        );
        assert_eq!(reply.json()["error"], "invalid_request", "{name}");
    }
}

#[tokio::test]
async fn no_bearer_credential_gets_a_bare_challenge() {
    let (_issuer, server) = setup().await;
    let url = format!("{}/me", server.base);
    let c = client();
    for (name, request) in [
        ("no header", c.get(&url)),
        (
            "basic scheme",
            c.get(&url).header("authorization", "Basic dXNlcjpwYXNz"),
        ),
        (
            "token in the query string",
            c.get(format!("{url}?access_token=a.b.c")),
        ),
        (
            "token in a cookie",
            c.get(&url).header("cookie", "access_token=a.b.c"),
        ),
    ] {
        let reply = send(request).await;
        assert_eq!(reply.status, 401, "{name}: {reply:?}");
        assert_eq!(
            reply.www_authenticate.as_deref(),
            Some(NO_CREDENTIAL),
            "{name}"
        );
    }
    // The unprotected route is untouched.
    assert_eq!(
        send(c.get(format!("{}/open", server.base))).await.status,
        200
    );
}

#[tokio::test]
async fn random_garbage_never_yields_a_5xx() {
    let (issuer, server) = setup().await;
    let good = issuer.token().sign();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let c = client();
    for round in 0..300 {
        let token: String = if round % 3 == 0 {
            // Mutate a valid token in a few places.
            let mut bytes = good.clone().into_bytes();
            for _ in 0..(1 + next() % 4) {
                let i = (next() as usize) % bytes.len();
                bytes[i] = alphabet[(next() as usize) % alphabet.len()];
            }
            String::from_utf8(bytes).expect("ascii")
        } else {
            let len = 1 + (next() as usize) % 300;
            (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()] as char)
                .collect()
        };
        if token == good {
            continue;
        }
        let reply = send(
            c.get(format!("{}/me", server.base))
                .header("authorization", format!("Bearer {token}")),
        )
        .await;
        assert!(reply.status == 401, "round {round}: {reply:?} for {token}");
    }
}
