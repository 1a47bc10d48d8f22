//! The JWS signature algorithms tollgate verifies (RFC 7518 §3), and each one's key type and
//! aws-lc-rs verification algorithm.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm tollgate verifies. Only asymmetric algorithms exist here: `none`
/// and the HMAC family cannot be configured, so a public key can never be used as an HMAC
/// secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

/// The kind of key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl Algorithm {
    /// Every algorithm tollgate verifies; the default allowlist.
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The JOSE name (`"RS256"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Exact, case-sensitive match on the JOSE name, as RFC 7515 requires.
    pub(crate) fn from_jose(name: &str) -> Option<Self> {
        Self::ASYMMETRIC
            .iter()
            .copied()
            .find(|a| a.as_str() == name)
    }

    pub(crate) fn family(self) -> KeyFamily {
        match self {
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512 => {
                KeyFamily::Rsa
            }
            Self::ES256 => KeyFamily::P256,
            Self::ES384 => KeyFamily::P384,
            Self::EdDSA => KeyFamily::Ed25519,
        }
    }

    /// The aws-lc-rs verification algorithm. JWS ECDSA signatures are the fixed-width `r || s`
    /// (RFC 7518 §3.4), never DER.
    pub(crate) fn verification(self) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
        use aws_lc_rs::signature as s;
        match self {
            Self::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &s::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &s::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &s::RSA_PSS_2048_8192_SHA512,
            Self::ES256 => &s::ECDSA_P256_SHA256_FIXED,
            Self::ES384 => &s::ECDSA_P384_SHA384_FIXED,
            Self::EdDSA => &s::ED25519,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error from parsing an [`Algorithm`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an algorithm tollgate verifies; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA (symmetric HS* and `none` are never accepted)")]
pub struct UnknownAlgorithm(String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_jose(s.trim()).ok_or_else(|| UnknownAlgorithm(s.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!("RS256".parse::<Algorithm>(), Ok(Algorithm::RS256));
        assert_eq!(" EdDSA ".parse::<Algorithm>(), Ok(Algorithm::EdDSA));
        assert!("rs256".parse::<Algorithm>().is_err());
        assert!("HS256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
        let msg = "HS256"
            .parse::<Algorithm>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            msg.contains("symmetric HS* and `none` are never accepted"),
            "{msg}"
        );
    }
}
