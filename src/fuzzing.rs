//! The bodies of tollgate's cargo-fuzz targets, compiled only with the internal `fuzzing`
//! feature. Each target in `fuzz/fuzz_targets/` is one line that calls the function of its name
//! here, and `tests/integration/fuzz_corpus.rs` replays every target's committed seed corpus
//! through the same functions on stable Rust, so a target that panics on its seeds (a stale
//! assertion, a broken fixture) fails `cargo test`, not only a nightly fuzzing run.
//!
//! Not part of the API, no semver promise, not for use outside fuzzing and that test.

use std::sync::OnceLock;

use http::HeaderName;

use crate::credential::{CookieOrigins, CredentialSource, Extractor};
use crate::dev::DevIssuer;
use crate::error::AuthErrorKind;
use crate::jose::{parse, Algorithm};
use crate::jwks::{JwksDocument, KeySet};
use crate::jwt::{ClaimPolicy, JwtProvider};
use crate::{Credential, Provider};

/// The key set the `verify` target loads: the token vectors' fixed JWKS.
const VECTOR_JWKS: &str = include_str!("../tests/vectors/jwks.json");

/// A fixed "now" (2023-11-14) for the `token` target, so runs are reproducible.
const NOW: u64 = 1_700_000_000;

/// Credential extraction from an arbitrary request, then the layer's cross-site cookie rule. The
/// input is read as: one byte choosing the configured sources, the size limit and the method
/// (`GET` or `POST`), then lines: the first is the request target (path and query), each
/// further line a `name: value` header (values may hold any bytes HTTP allows).
///
/// Whether a credential was extracted and passed the cookie rule.
///
/// # Panics
/// When what the extractor hands on is not a bounded RFC 6750 b64token, or when a cookie
/// credential on a `POST` passes without a same-origin sign.
pub fn credential(data: &[u8]) -> bool {
    let Some((&choice, rest)) = data.split_first() else {
        return false;
    };
    let mut sources = Vec::new();
    if choice & 1 != 0 || choice & 0x0f == 0 {
        sources.push(CredentialSource::AuthorizationBearer);
    }
    if choice & 2 != 0 {
        sources.push(CredentialSource::Header(HeaderName::from_static("x-token")));
    }
    if choice & 4 != 0 {
        sources.push(CredentialSource::Cookie("session".into()));
    }
    if choice & 8 != 0 {
        sources.push(CredentialSource::Query("access_token".into()));
    }
    let max_len = if choice & 0x10 != 0 { 8 * 1024 } else { 32 };
    let method = if choice & 0x20 != 0 {
        http::Method::POST
    } else {
        http::Method::GET
    };

    let mut lines = rest.split(|&b| b == b'\n');
    let target = lines.next().unwrap_or_default();
    let Ok(target) = std::str::from_utf8(target) else {
        return false;
    };
    let mut request = http::Request::builder().method(method).uri(target);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) else {
            continue;
        };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(()) else {
        return false;
    };
    let (parts, ()) = request.into_parts();
    let Ok(Some(credential)) = Extractor { sources, max_len }.extract(&parts) else {
        return false;
    };
    // What the extractor hands on is always a bounded RFC 6750 b64token.
    let token = credential.token();
    assert!(!token.is_empty() && token.len() <= max_len, "{token:?}");
    assert!(
        token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
        "{token:?}"
    );
    let origins = CookieOrigins {
        trusted: vec![TRUSTED_ORIGIN.into()],
        allow_cross_site: false,
    };
    if origins.check(&parts, &credential).is_err() {
        return false;
    }
    if credential.source() == "cookie" && parts.method == http::Method::POST {
        let header = |name: &str| parts.headers.get(name).map(http::HeaderValue::as_bytes);
        let same_origin = matches!(header("sec-fetch-site"), Some(b"same-origin" | b"none"))
            || header("origin") == Some(TRUSTED_ORIGIN.as_bytes());
        assert!(
            same_origin,
            "a cross-site POST passed with a cookie: {parts:?}"
        );
    }
    true
}

/// The origin the `credential` target trusts for cookie credentials on unsafe methods.
const TRUSTED_ORIGIN: &str = "https://app.tollgate.test";

/// Compact JWS parsing and the registered-claim checks at a fixed time, against the policy of
/// the token vectors (their issuer and audience, `sub` required). Signatures are not verified
/// here; [`verify`] does that.
///
/// Whether the token parsed and its claims passed.
///
/// # Panics
/// When an accepted token is expired.
pub fn token(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(parsed) = parse(token, Algorithm::ASYMMETRIC) else {
        return false;
    };
    let policy = ClaimPolicy {
        issuer: "https://issuer.tollgate.test".into(),
        audiences: vec!["tollgate-vectors".into()],
        leeway: 60,
        required: vec!["sub".into()],
        restrictions: Default::default(),
    };
    let Ok(checked) = policy.check(&parsed.claims, NOW) else {
        return false;
    };
    // An accepted token is unexpired (with the 60 s leeway).
    assert!(checked.expires_at.saturating_add(60) > NOW, "{checked:?}");
    true
}

/// JWKS parsing on arbitrary bytes: never a panic, whatever the document holds.
///
/// The number of usable keys, or `None` if the bytes are not a JWKS document.
pub fn jwks(data: &[u8]) -> Option<usize> {
    let doc: JwksDocument = serde_json::from_slice(data).ok()?;
    Some(KeySet::parse(doc).len())
}

/// The whole verify path through the public API: a real [`JwtProvider`] whose keys were loaded
/// once from the token vectors' fixed JWKS (served on loopback by a [`DevIssuer`]), verifying
/// the input synchronously with [`Provider::try_authenticate`], which never does I/O.
///
/// Whether the token was accepted.
///
/// # Panics
/// When the fixture cannot start, when an accepted token's principal names another issuer, or
/// when a refusal is anything but an invalid or expired token.
pub fn verify(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    match verify_fixture()
        .provider
        .try_authenticate(&Credential::bearer(token))
    {
        // An unknown kid: the layer would fetch the keys again; nothing to check here.
        None => false,
        Some(Ok(principal)) => {
            assert_eq!(principal.issuer(), Some("https://issuer.tollgate.test"));
            true
        }
        Some(Err(error)) => {
            assert!(
                matches!(
                    error.kind(),
                    AuthErrorKind::InvalidToken | AuthErrorKind::ExpiredToken
                ),
                "{error:?}"
            );
            false
        }
    }
}

struct VerifyFixture {
    // Kept so the provider's refresh task and the issuer stay valid; neither runs between
    // inputs (the runtime is only driven inside `block_on`).
    _runtime: tokio::runtime::Runtime,
    _issuer: DevIssuer,
    provider: JwtProvider,
}

#[allow(clippy::expect_used)] // a fixture that cannot start is a broken target: fail loudly
fn verify_fixture() -> &'static VerifyFixture {
    static FIXTURE: OnceLock<VerifyFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (issuer, provider) = runtime.block_on(async {
            let issuer = DevIssuer::start().await.expect("development issuer");
            issuer.dangerous().serve_jwks_body(200, VECTOR_JWKS);
            let provider = JwtProvider::builder("https://issuer.tollgate.test")
                .audience("tollgate-vectors")
                .jwks_url(issuer.jwks_url())
                .build()
                .await
                .expect("provider over the vector JWKS");
            // How many keys load is the vector test's business; a fixture with none would
            // refuse every input and fuzz nothing.
            assert!(provider.key_count() > 0, "the vector JWKS loads no key");
            (issuer, provider)
        });
        VerifyFixture {
            _runtime: runtime,
            _issuer: issuer,
            provider,
        }
    })
}
