//! The issuer's signing keys: generation, signing, PKCS#8 export, and the key ring that says
//! which keys the JWKS publishes.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use crate::jose::{Algorithm, KeyFamily, KeyPair};

/// The kind of key pair to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DevKeyType {
    /// RSA 2048 (RS256/384/512, PS256/384/512). Published without `alg`, so a provider
    /// verifies tokens other than RS256 with it only when its algorithm list is set explicitly
    /// ([`algorithms`](crate::jwt::JwtProviderBuilder::algorithms)).
    Rsa2048,
    /// ECDSA P-256 (ES256).
    P256,
    /// ECDSA P-384 (ES384).
    P384,
    /// Ed25519 (EdDSA).
    Ed25519,
}

/// One signing key of the issuer.
pub(super) struct DevKey {
    pub(super) kid: String,
    kind: DevKeyType,
    pair: KeyPair,
    pub(super) jwk: Value,
}

pub(super) type GenResult<T> = Result<T, aws_lc_rs::error::Unspecified>;

impl DevKey {
    pub(super) fn generate(kid: &str, kind: DevKeyType) -> GenResult<Self> {
        let (family, alg) = match kind {
            // Published without `alg`: see `DevKeyType::Rsa2048`.
            DevKeyType::Rsa2048 => (KeyFamily::Rsa, None),
            DevKeyType::P256 => (KeyFamily::P256, Some(Algorithm::ES256)),
            DevKeyType::P384 => (KeyFamily::P384, Some(Algorithm::ES384)),
            DevKeyType::Ed25519 => (KeyFamily::Ed25519, Some(Algorithm::EdDSA)),
        };
        let pair = KeyPair::generate(family)?;
        let jwk = pair.public_jwk(kid, alg)?;
        Ok(Self {
            kid: kid.to_owned(),
            kind,
            pair,
            jwk,
        })
    }

    pub(super) fn default_alg(&self) -> Algorithm {
        match self.kind {
            DevKeyType::Rsa2048 => Algorithm::RS256,
            DevKeyType::P256 => Algorithm::ES256,
            DevKeyType::P384 => Algorithm::ES384,
            DevKeyType::Ed25519 => Algorithm::EdDSA,
        }
    }

    /// Signs `header_b64.payload_b64` as they are and returns the complete token.
    pub(super) fn sign_segments(
        &self,
        alg: Algorithm,
        header_b64: &str,
        payload_b64: &str,
    ) -> Option<String> {
        self.pair.sign_segments(alg, header_b64, payload_b64).ok()
    }

    /// Signs a token made of `header` and `claims`, serialized as they are.
    pub(super) fn sign_json(
        &self,
        alg: Algorithm,
        header: &Value,
        claims: &Value,
    ) -> Option<String> {
        self.pair.sign_json(alg, header, claims).ok()
    }

    /// The private key as PKCS#8 DER, for tools that want to sign by themselves.
    pub(super) fn pkcs8(&self) -> GenResult<Vec<u8>> {
        self.pair.pkcs8()
    }
}

/// Every key of the issuer, newest first, and whether the JWKS publishes it.
pub(super) struct KeyRing {
    keys: Mutex<Vec<(Arc<DevKey>, bool)>>,
}

impl KeyRing {
    /// A ring publishing every key of `keys`, in order.
    pub(super) fn new(keys: Vec<DevKey>) -> Self {
        let keys = keys.into_iter().map(|key| (Arc::new(key), true)).collect();
        Self {
            keys: Mutex::new(keys),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Arc<DevKey>, bool)>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every key, published or not, in order.
    pub(super) fn all(&self) -> Vec<Arc<DevKey>> {
        self.lock().iter().map(|(key, _)| key.clone()).collect()
    }

    /// Key `kid`, published or not.
    pub(super) fn get(&self, kid: &str) -> Option<Arc<DevKey>> {
        self.all().into_iter().find(|k| k.kid == kid)
    }

    /// The first key of `alg`'s family, named `kid` if given.
    pub(super) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DevKey>> {
        self.all().into_iter().find(|k| {
            kid.is_none_or(|kid| k.kid == kid) && k.default_alg().family() == alg.family()
        })
    }

    /// The public JWKs of the published keys, in order.
    pub(super) fn published_jwks(&self) -> Vec<Value> {
        self.lock()
            .iter()
            .filter(|(_, published)| *published)
            .map(|(key, _)| key.jwk.clone())
            .collect()
    }

    /// Publishes `key` first, so it signs from now on.
    pub(super) fn publish_first(&self, key: DevKey) {
        self.lock().insert(0, (Arc::new(key), true));
    }

    /// Stops publishing key `kid`; it stays in the ring and can still sign.
    pub(super) fn unpublish(&self, kid: &str) {
        for (key, published) in self.lock().iter_mut() {
            if key.kid == kid {
                *published = false;
            }
        }
    }
}
