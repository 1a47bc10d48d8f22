//! One signing key of the issuer: generated and sealed into a [`StoredSigningKey`], unsealed
//! back into a key that signs compact JWS, and its public JWK.

use std::fmt;
use std::time::SystemTime;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::seal::SealingKey;
use super::{IssuerError, SigningAlgorithm, StoredSigningKey};
use crate::jose::{Algorithm, KeyFamily, KeyPair};

impl SigningAlgorithm {
    /// The algorithm as tollgate's verifier names it.
    pub(crate) fn jose(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::Rs256 => Algorithm::RS256,
            Self::EdDsa => Algorithm::EdDSA,
        }
    }

    fn family(self) -> KeyFamily {
        self.jose().family()
    }
}

/// The `kid` of a key of `algorithm` that starts signing at `signs_from`, e.g.
/// `es256-1790000000`: every process that plans the same key names it the same, so the store
/// keeps one.
pub(crate) fn kid_for(algorithm: SigningAlgorithm, signs_from: SystemTime) -> String {
    let seconds = signs_from
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{}-{seconds}", algorithm.as_str().to_ascii_lowercase())
}

/// An unsealed signing key.
pub(crate) struct SigningKey {
    kid: String,
    algorithm: SigningAlgorithm,
    pair: KeyPair,
    jwk: Value,
}

impl SigningKey {
    /// A new key of `algorithm`, published from `created_at`, signing from `signs_from`, its
    /// private half sealed under `sealing`: the record to store.
    pub(crate) fn generate(
        algorithm: SigningAlgorithm,
        sealing: &SealingKey,
        created_at: SystemTime,
        signs_from: SystemTime,
    ) -> Result<StoredSigningKey, IssuerError> {
        let kid = kid_for(algorithm, signs_from);
        let pair = KeyPair::generate(algorithm.family())
            .map_err(|_| IssuerError::Crypto("key generation failed".into()))?;
        let pkcs8 = pair
            .pkcs8()
            .map_err(|_| IssuerError::Crypto("PKCS#8 export failed".into()))?;
        Ok(StoredSigningKey {
            sealed_private_key: sealing.seal(kid.as_bytes(), &pkcs8)?,
            public_jwk: jwk(&pair, &kid, algorithm)?,
            kid,
            algorithm,
            created_at,
            signs_from,
            signs_until: None,
            published_until: None,
        })
    }

    /// Opens a stored key. The JWK is derived from the private key, and must equal the stored
    /// one: a public key written into the store by someone without the sealing key is never
    /// published.
    ///
    /// # Errors
    /// [`IssuerError::Unseal`] when the key does not open (another sealing key, an altered
    /// record) or does not match its stored JWK or algorithm.
    pub(crate) fn unseal(
        stored: &StoredSigningKey,
        sealing: &SealingKey,
    ) -> Result<Self, IssuerError> {
        let pkcs8 = sealing.open(stored.kid.as_bytes(), &stored.sealed_private_key)?;
        let altered = || {
            IssuerError::Unseal(format!(
                "key `{}` does not match its stored algorithm or public key",
                stored.kid
            ))
        };
        let pair = KeyPair::from_pkcs8(stored.algorithm.family(), &pkcs8).map_err(|_| altered())?;
        let jwk = jwk(&pair, &stored.kid, stored.algorithm)?;
        if jwk != stored.public_jwk {
            return Err(altered());
        }
        Ok(Self {
            kid: stored.kid.clone(),
            algorithm: stored.algorithm,
            pair,
            jwk,
        })
    }

    /// The key id.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm it signs with.
    pub(crate) fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The public JWK, with `kid`, `alg` and `use: sig`.
    pub(crate) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Signs `claims` as a compact JWS whose header is `{"alg", "kid", "typ"}`.
    pub(crate) fn sign(
        &self,
        typ: &str,
        claims: &Map<String, Value>,
    ) -> Result<String, IssuerError> {
        let alg = self.algorithm.jose();
        let header = serde_json::json!({"alg": alg.as_str(), "kid": self.kid, "typ": typ});
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        let payload = serde_json::to_vec(claims)
            .map_err(|e| IssuerError::Invalid(format!("the claims do not serialize: {e}")))?;
        self.pair
            .sign_segments(alg, &header, &URL_SAFE_NO_PAD.encode(payload))
            .map_err(|_| IssuerError::Crypto("signing failed".into()))
    }
}

fn jwk(pair: &KeyPair, kid: &str, algorithm: SigningAlgorithm) -> Result<Value, IssuerError> {
    pair.public_jwk(kid, Some(algorithm.jose()))
        .map_err(|_| IssuerError::Crypto("the public key could not be read".into()))
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const ALL: [SigningAlgorithm; 3] = [
        SigningAlgorithm::Es256,
        SigningAlgorithm::Rs256,
        SigningAlgorithm::EdDsa,
    ];

    #[test]
    fn only_asymmetric_algorithms_the_verifier_accepts() {
        for algorithm in ALL {
            assert!(Algorithm::ASYMMETRIC.contains(&algorithm.jose()));
            assert_eq!(algorithm.jose().as_str(), algorithm.as_str());
        }
    }

    #[test]
    fn the_kid_names_the_algorithm_and_the_first_second_it_signs() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        assert_eq!(kid_for(SigningAlgorithm::Es256, at), "es256-1790000000");
        assert_eq!(kid_for(SigningAlgorithm::EdDsa, at), "eddsa-1790000000");
    }

    #[test]
    fn a_stored_key_is_sealed_and_unseals_to_the_key_its_jwk_describes() {
        let (sealing, _) = SealingKey::generate().unwrap();
        let now = SystemTime::now();
        for algorithm in ALL {
            let stored = SigningKey::generate(algorithm, &sealing, now, now).unwrap();
            assert_eq!(stored.public_jwk["alg"], algorithm.as_str());
            assert_eq!(stored.public_jwk["use"], "sig");
            assert_eq!(stored.public_jwk["kid"], stored.kid.as_str());
            assert!(stored.public_jwk.get("d").is_none(), "no private part");

            let key = SigningKey::unseal(&stored, &sealing).unwrap();
            let pkcs8 = key.pair.pkcs8().unwrap();
            assert!(
                !stored
                    .sealed_private_key
                    .windows(pkcs8.len())
                    .any(|w| w == pkcs8.as_slice()),
                "the PKCS#8 bytes are not stored in clear"
            );
            let other = SealingKey::generate().unwrap().0;
            assert!(matches!(
                SigningKey::unseal(&stored, &other),
                Err(IssuerError::Unseal(_))
            ));

            let mut swapped = stored.clone();
            swapped.public_jwk = SigningKey::generate(algorithm, &sealing, now, now)
                .unwrap()
                .public_jwk;
            swapped.public_jwk["kid"] = stored.kid.clone().into();
            assert!(matches!(
                SigningKey::unseal(&swapped, &sealing),
                Err(IssuerError::Unseal(_))
            ));
        }
    }
}
