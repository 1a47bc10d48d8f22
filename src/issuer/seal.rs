//! [`SealingKey`]: the operator's key (`ISSUER_KEY`) that seals the signing keys' private
//! halves at rest, with AES-256-GCM.
//!
//! A sealed blob is `nonce (12 bytes) || ciphertext || tag (16 bytes)`, the nonce random for
//! each seal, and the key's `kid` is the associated data: a sealed key moved to another record
//! does not open.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use super::IssuerError;

/// The length of a sealing key: 256 bits.
const KEY_LEN: usize = 32;

/// The operator's AES-256-GCM key that seals the signing keys at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct SealingKey {
    key: Arc<RandomizedNonceKey>,
}

impl SealingKey {
    /// The key from its base64 text (standard or URL-safe alphabet, padded or not), which must
    /// decode to exactly 32 bytes. Surrounding whitespace (a file's final newline) is ignored.
    ///
    /// # Errors
    /// [`IssuerError::Invalid`] when `text` is not base64 of 32 bytes; the message never
    /// repeats the text.
    pub fn from_base64(text: &str) -> Result<Self, IssuerError> {
        let text = text.trim();
        let bytes = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
            .into_iter()
            .find_map(|engine| engine.decode(text).ok())
            .filter(|bytes| bytes.len() == KEY_LEN)
            .ok_or_else(|| {
                IssuerError::Invalid(
                    "ISSUER_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)".into(),
                )
            })?;
        Self::from_bytes(&bytes)
    }

    /// A new random key, and its base64 (standard alphabet, padded) to keep in the operator's
    /// secret store and give back to [`from_base64`](Self::from_base64).
    ///
    /// # Errors
    /// [`IssuerError::Crypto`] when the system's random number generator fails.
    pub fn generate() -> Result<(Self, String), IssuerError> {
        let mut bytes = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| crypto("the random number generator"))?;
        let key = Self::from_bytes(&bytes)?;
        Ok((key, STANDARD.encode(bytes)))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, IssuerError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map_err(|_| crypto("AES-256-GCM key setup"))?;
        Ok(Self { key: Arc::new(key) })
    }

    /// Seals `plaintext` bound to `aad`: `nonce || ciphertext || tag`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, IssuerError> {
        let mut in_out = plaintext.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(aad), &mut in_out)
            .map_err(|_| crypto("sealing"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Opens what [`seal`](Self::seal) sealed with the same `aad`.
    ///
    /// Fails with [`IssuerError::Unseal`] on another key, another `aad`, or any altered or
    /// truncated byte.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, IssuerError> {
        let unseal = || IssuerError::Unseal("wrong ISSUER_KEY, or the record was altered".into());
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or_else(unseal)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unseal())?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut in_out)
            .map_err(|_| unseal())?;
        Ok(plaintext.to_vec())
    }
}

fn crypto(what: &str) -> IssuerError {
    IssuerError::Crypto(format!("{what} failed"))
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::generate().unwrap().0
    }

    #[test]
    fn what_is_sealed_opens_with_the_same_key_and_aad_only() {
        let key = key();
        let sealed = key.seal(b"es256-1", b"private key").unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + b"private key".len() + 16);
        assert_eq!(key.open(b"es256-1", &sealed).unwrap(), b"private key");
        assert_ne!(
            key.seal(b"es256-1", b"private key").unwrap(),
            sealed,
            "a fresh nonce each time"
        );

        let unseal = |result: Result<Vec<u8>, IssuerError>| {
            assert!(matches!(result, Err(IssuerError::Unseal(_))), "{result:?}");
        };
        unseal(self::key().open(b"es256-1", &sealed));
        unseal(key.open(b"es256-2", &sealed));
        for at in [0, NONCE_LEN, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 1;
            unseal(key.open(b"es256-1", &flipped));
        }
        unseal(key.open(b"es256-1", &sealed[..sealed.len() - 1]));
        unseal(key.open(b"es256-1", &sealed[..NONCE_LEN]));
        unseal(key.open(b"es256-1", &sealed[..3]));
        unseal(key.open(b"es256-1", b""));
    }

    #[test]
    fn from_base64_takes_32_bytes_in_either_alphabet_and_never_echoes_its_input() {
        let (key, text) = SealingKey::generate().unwrap();
        let bytes = STANDARD.decode(&text).unwrap();
        let sealed = key.seal(b"kid", b"x").unwrap();
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let again = SealingKey::from_base64(&engine.encode(&bytes)).unwrap();
            assert_eq!(again.open(b"kid", &sealed).unwrap(), b"x");
        }
        assert!(SealingKey::from_base64(&format!(" {text}\n")).is_ok());

        // A key whose bytes differ in both alphabets (0xfb, 0xff encode as `+`/`/` or `-`/`_`).
        let odd = [0xfbu8; 32];
        assert!(SealingKey::from_base64(&STANDARD.encode(odd)).is_ok());
        assert!(SealingKey::from_base64(&URL_SAFE_NO_PAD.encode(odd)).is_ok());

        for bad in [
            STANDARD.encode([7u8; 31]),
            STANDARD.encode([7u8; 33]),
            "not-a-key-but-a-secret-password!".to_owned(),
            String::new(),
        ] {
            let message = SealingKey::from_base64(&bad).unwrap_err().to_string();
            assert!(message.contains("ISSUER_KEY must be 32 bytes"), "{message}");
            if !bad.is_empty() {
                assert!(!message.contains(&bad), "{message}");
            }
        }
    }

    #[test]
    fn debug_shows_nothing_of_the_key() {
        let (key, text) = SealingKey::generate().unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "SealingKey(<redacted>)");
        assert!(!debug.contains(&text));
    }
}
