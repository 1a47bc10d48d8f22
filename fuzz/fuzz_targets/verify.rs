//! The whole verify path through the public API: a real `JwtProvider`, its keys loaded once from
//! the token vectors' fixed JWKS (`tests/vectors/jwks.json`, served on loopback by a `DevIssuer`),
//! then every input verified synchronously with `Provider::try_authenticate`, which never does
//! I/O. Seeds from the vectors reach the claim checks; mutations exercise everything before.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tollgate::dev::DevIssuer;
use tollgate::jwt::JwtProvider;
use tollgate::{AuthErrorKind, Credential, Provider};

const JWKS: &str = include_str!("../../tests/vectors/jwks.json");

struct Fixture {
    _runtime: tokio::runtime::Runtime,
    _issuer: DevIssuer,
    provider: JwtProvider,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (issuer, provider) = runtime.block_on(async {
            let issuer = DevIssuer::start().await.expect("issuer");
            issuer.serve_jwks_body(200, JWKS);
            let provider = JwtProvider::builder("https://issuer.tollgate.test")
                .audience("tollgate-vectors")
                .jwks_url(issuer.jwks_url())
                .build()
                .await
                .expect("provider");
            // Five real keys and one off-curve P-384 point (see tests/integration/vectors.rs).
            assert_eq!(provider.key_count(), 6, "the vector JWKS loads six keys");
            (issuer, provider)
        });
        Fixture {
            _runtime: runtime,
            _issuer: issuer,
            provider,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let provider = &fixture().provider;
    match provider.try_authenticate(&Credential::bearer(token)) {
        // An unknown kid: the layer would fetch the keys again; nothing to check here.
        None => {}
        Some(Ok(principal)) => {
            assert_eq!(principal.issuer(), Some("https://issuer.tollgate.test"));
        }
        Some(Err(error)) => {
            assert!(
                matches!(
                    error.kind(),
                    AuthErrorKind::InvalidToken | AuthErrorKind::ExpiredToken
                ),
                "{error:?}"
            );
        }
    }
});
