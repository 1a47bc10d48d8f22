//! Private key pairs of the kinds tollgate verifies: generation, PKCS#8 export and import,
//! JWS signing and the public JWK. Shared by the development issuer and the token issuer, so
//! both sign exactly what the verifier checks.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{Algorithm, KeyFamily};

/// A private key and its public half.
pub(crate) enum KeyPair {
    Rsa(sig::RsaKeyPair),
    P256(sig::EcdsaKeyPair),
    P384(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

impl KeyPair {
    /// A new random key of `family` (RSA keys are 2048 bits).
    pub(crate) fn generate(family: KeyFamily) -> Result<Self, Unspecified> {
        Ok(match family {
            KeyFamily::Rsa => {
                Self::Rsa(sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?)
            }
            KeyFamily::P256 => Self::P256(sig::EcdsaKeyPair::generate(
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            )?),
            KeyFamily::P384 => Self::P384(sig::EcdsaKeyPair::generate(
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
            )?),
            KeyFamily::Ed25519 => Self::Ed25519(sig::Ed25519KeyPair::generate()?),
        })
    }

    /// The key of `family` in PKCS#8 DER (v1 or v2), as [`pkcs8`](Self::pkcs8) writes it.
    #[cfg_attr(not(feature = "issuer"), allow(dead_code))]
    pub(crate) fn from_pkcs8(family: KeyFamily, der: &[u8]) -> Result<Self, Unspecified> {
        Ok(match family {
            KeyFamily::Rsa => Self::Rsa(sig::RsaKeyPair::from_pkcs8(der)?),
            KeyFamily::P256 => Self::P256(sig::EcdsaKeyPair::from_pkcs8(
                &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
            )?),
            KeyFamily::P384 => Self::P384(sig::EcdsaKeyPair::from_pkcs8(
                &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
                der,
            )?),
            KeyFamily::Ed25519 => Self::Ed25519(sig::Ed25519KeyPair::from_pkcs8(der)?),
        })
    }

    /// The private key as PKCS#8 v1 DER.
    pub(crate) fn pkcs8(&self) -> Result<Vec<u8>, Unspecified> {
        Ok(match self {
            Self::Rsa(pair) => AsDer::<Pkcs8V1Der<'_>>::as_der(pair)?.as_ref().to_vec(),
            Self::P256(pair) | Self::P384(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
            Self::Ed25519(pair) => pair.to_pkcs8v1()?.as_ref().to_vec(),
        })
    }

    /// The JWS signature of `message`. `alg` picks the RSA padding and hash; an EC or Ed25519
    /// key signs with its own algorithm whatever `alg` says (the development issuer mislabels
    /// tokens on purpose). ECDSA signatures are in the JOSE fixed form `r || s`.
    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, Unspecified> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(pair) => {
                let padding: &'static dyn sig::RsaEncoding = match alg {
                    Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                    Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                    Algorithm::PS512 => &sig::RSA_PSS_SHA512,
                    _ => return Err(Unspecified),
                };
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &rng, message, &mut out)?;
                Ok(out)
            }
            Self::P256(pair) | Self::P384(pair) => Ok(pair.sign(&rng, message)?.as_ref().to_vec()),
            Self::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Signs `header_b64.payload_b64` as they are and returns the complete compact JWS.
    pub(crate) fn sign_segments(
        &self,
        alg: Algorithm,
        header_b64: &str,
        payload_b64: &str,
    ) -> Result<String, Unspecified> {
        let input = format!("{header_b64}.{payload_b64}");
        let signature = self.sign(alg, input.as_bytes())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// Signs a token made of `header` and `claims`, serialized as they are.
    #[cfg_attr(not(feature = "dev-issuer"), allow(dead_code))]
    pub(crate) fn sign_json(
        &self,
        alg: Algorithm,
        header: &Value,
        claims: &Value,
    ) -> Result<String, Unspecified> {
        self.sign_segments(
            alg,
            &URL_SAFE_NO_PAD.encode(header.to_string()),
            &URL_SAFE_NO_PAD.encode(claims.to_string()),
        )
    }

    /// The public JWK with `kid`, `use: sig` and, when given, `alg`.
    pub(crate) fn public_jwk(
        &self,
        kid: &str,
        alg: Option<Algorithm>,
    ) -> Result<Value, Unspecified> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let mut jwk = match self {
            Self::Rsa(pair) => {
                let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({"kty": "RSA", "use": "sig", "kid": kid, "n": b64(&public.n), "e": b64(&public.e)})
            }
            Self::P256(pair) | Self::P384(pair) => {
                let (crv, len) = match self {
                    Self::P256(_) => ("P-256", 32),
                    _ => ("P-384", 48),
                };
                // The uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let x = point.get(1..=len).ok_or(Unspecified)?;
                let y = point.get(len + 1..).ok_or(Unspecified)?;
                json!({"kty": "EC", "use": "sig", "kid": kid, "crv": crv, "x": b64(x), "y": b64(y)})
            }
            Self::Ed25519(pair) => {
                json!({"kty": "OKP", "use": "sig", "kid": kid, "crv": "Ed25519", "x": b64(pair.public_key().as_ref())})
            }
        };
        if let (Some(alg), Some(object)) = (alg, jwk.as_object_mut()) {
            object.insert("alg".into(), alg.as_str().into());
        }
        Ok(jwk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_its_pkcs8_round_trip_and_signs_what_its_jwk_verifies() {
        for (family, alg) in [
            (KeyFamily::Rsa, Algorithm::RS256),
            (KeyFamily::P256, Algorithm::ES256),
            (KeyFamily::P384, Algorithm::ES384),
            (KeyFamily::Ed25519, Algorithm::EdDSA),
        ] {
            let pair = KeyPair::generate(family).unwrap();
            let der = pair.pkcs8().unwrap();
            let again = KeyPair::from_pkcs8(family, &der).unwrap();
            assert_eq!(
                pair.public_jwk("k", Some(alg)).unwrap(),
                again.public_jwk("k", Some(alg)).unwrap()
            );
            let signature = again.sign(alg, b"message").unwrap();
            let public = match &pair {
                KeyPair::Rsa(p) => p.public_key().as_ref().to_vec(),
                KeyPair::P256(p) | KeyPair::P384(p) => p.public_key().as_ref().to_vec(),
                KeyPair::Ed25519(p) => p.public_key().as_ref().to_vec(),
            };
            sig::UnparsedPublicKey::new(alg.verification(), public)
                .verify(b"message", &signature)
                .unwrap();
            assert!(KeyPair::from_pkcs8(family, b"not a key").is_err());
        }
    }
}
