//! The issuer's signing keys: generation, signing, PKCS#8 export, and the key ring that says
//! which keys the JWKS publishes.

use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::jwt::Algorithm;

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

enum Secret {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// One signing key of the issuer.
pub(super) struct DevKey {
    pub(super) kid: String,
    kind: DevKeyType,
    secret: Secret,
    pub(super) jwk: Value,
}

pub(super) type GenResult<T> = Result<T, aws_lc_rs::error::Unspecified>;

impl DevKey {
    pub(super) fn generate(kid: &str, kind: DevKeyType) -> GenResult<Self> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (secret, jwk) = match kind {
            DevKeyType::Rsa2048 => {
                let pair = sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
                let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let jwk = json!({"kty": "RSA", "use": "sig", "kid": kid, "n": b64(&public.n), "e": b64(&public.e)});
                (Secret::Rsa(pair), jwk)
            }
            DevKeyType::P256 | DevKeyType::P384 => {
                let (alg, crv, len, name) = match kind {
                    DevKeyType::P256 => {
                        (&sig::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32, "ES256")
                    }
                    _ => (&sig::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48, "ES384"),
                };
                let pair = sig::EcdsaKeyPair::generate(alg)?;
                let point = pair.public_key().as_ref();
                let x = point.get(1..=len).ok_or(aws_lc_rs::error::Unspecified)?;
                let y = point.get(len + 1..).ok_or(aws_lc_rs::error::Unspecified)?;
                let jwk = json!({"kty": "EC", "use": "sig", "alg": name, "kid": kid, "crv": crv, "x": b64(x), "y": b64(y)});
                (Secret::Ec(pair), jwk)
            }
            DevKeyType::Ed25519 => {
                let pair = sig::Ed25519KeyPair::generate()?;
                let jwk = json!({"kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
                (Secret::Ed(pair), jwk)
            }
        };
        Ok(Self {
            kid: kid.to_owned(),
            kind,
            secret,
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

    fn sign(&self, alg: Algorithm, message: &[u8]) -> GenResult<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.secret {
            Secret::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                    _ => return Err(aws_lc_rs::error::Unspecified),
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)?;
                Ok(out)
            }
            Secret::Ec(pair) => Ok(pair.sign(&rng, message)?.as_ref().to_vec()),
            Secret::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Signs `header_b64.payload_b64` as they are and returns the complete token.
    pub(super) fn sign_segments(
        &self,
        alg: Algorithm,
        header_b64: &str,
        payload_b64: &str,
    ) -> Option<String> {
        let input = format!("{header_b64}.{payload_b64}");
        let signature = self.sign(alg, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// Signs a token made of `header` and `claims`, serialized as they are.
    pub(super) fn sign_json(
        &self,
        alg: Algorithm,
        header: &Value,
        claims: &Value,
    ) -> Option<String> {
        self.sign_segments(
            alg,
            &URL_SAFE_NO_PAD.encode(header.to_string()),
            &URL_SAFE_NO_PAD.encode(claims.to_string()),
        )
    }

    /// The private key as PKCS#8 DER, for tools that want to sign by themselves.
    pub(super) fn pkcs8(&self) -> GenResult<Vec<u8>> {
        Ok(match &self.secret {
            Secret::Rsa(pair) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(pair)?
                .as_ref()
                .to_vec(),
            Secret::Ec(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
            Secret::Ed(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
        })
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
