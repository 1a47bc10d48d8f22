//! Passwords: Argon2id hashes in PHC string form, verification that takes as long for a user
//! who does not exist as for a wrong password, and the rules a new password must meet.

use std::fmt;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};

use super::IssuerError;

/// The shortest password [`check_new_password`] accepts, in bytes.
const MIN_PASSWORD_BYTES: usize = 8;
/// The longest password [`check_new_password`] accepts, in bytes. Argon2 reads the whole
/// password, so without a bound a sign-in request could make the server hash megabytes.
const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes and verifies passwords with Argon2id.
///
/// [`Passwords::new`] uses OWASP's recommended parameters; a hash made with other parameters
/// (older ones, or another Argon2 variant) still verifies, and [`PasswordCheck::Valid`] then
/// says it should be rehashed at this sign-in.
///
/// ```
/// use tollgate::issuer::{PasswordCheck, Passwords};
///
/// let passwords = Passwords::with_params(1024, 1, 1)?; // small parameters: a doctest
/// let hash = passwords.hash("correct horse battery staple")?;
/// assert_eq!(
///     passwords.verify(Some(&hash), "correct horse battery staple"),
///     PasswordCheck::Valid { needs_rehash: false }
/// );
/// assert_eq!(passwords.verify(None, "anything"), PasswordCheck::Invalid);
/// # Ok::<(), tollgate::issuer::IssuerError>(())
/// ```
#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    params: Params,
    /// A hash of a random password made with `params`: what a missing user is verified
    /// against, so that it costs as much as a wrong password.
    dummy: String,
}

/// What [`Passwords::verify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordCheck {
    /// The password matches.
    Valid {
        /// The stored hash uses other parameters or another algorithm than this
        /// [`Passwords`]: store [`Passwords::hash`] of the password now.
        needs_rehash: bool,
    },
    /// No such user, a wrong password, or a stored hash that cannot be read.
    Invalid,
}

impl Passwords {
    /// Argon2id with OWASP's recommended parameters: m = 19 MiB (19456 KiB), t = 2 iterations,
    /// p = 1 lane (the OWASP Password Storage Cheat Sheet,
    /// <https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html>).
    /// Each hash and each verification takes 19 MiB of memory for its duration, so bound how
    /// many sign-ins run at once. Construction makes one hash (the dummy).
    ///
    /// # Errors
    ///
    /// When the random number generator fails (making the dummy hash).
    pub fn new() -> Result<Self, IssuerError> {
        Self::with_params(19 * 1024, 2, 1)
    }

    /// Argon2id with these parameters: memory in KiB, iterations, parallelism (lanes).
    ///
    /// # Errors
    ///
    /// [`IssuerError::Invalid`] when Argon2 refuses the parameters (memory below 8 KiB per
    /// lane, no iteration, no lane); [`IssuerError::Crypto`] when the random number generator
    /// fails.
    pub fn with_params(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> Result<Self, IssuerError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| IssuerError::Invalid(format!("invalid Argon2 parameters: {e}")))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut passwords = Self {
            argon2,
            params,
            dummy: String::new(),
        };
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| IssuerError::Crypto("the random number generator failed".into()))?;
        passwords.dummy = passwords.hash_bytes(&secret)?;
        Ok(passwords)
    }

    /// The Argon2id hash of `password`, in PHC string form (`$argon2id$v=19$m=…`), with a
    /// fresh 16-byte random salt.
    ///
    /// # Errors
    ///
    /// [`IssuerError::Crypto`] when the random number generator or Argon2 fails.
    pub fn hash(&self, password: &str) -> Result<String, IssuerError> {
        self.hash_bytes(password.as_bytes())
    }

    fn hash_bytes(&self, password: &[u8]) -> Result<String, IssuerError> {
        let mut salt = [0u8; 16];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| IssuerError::Crypto("the random number generator failed".into()))?;
        self.argon2
            .hash_password_with_salt(password, &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| IssuerError::Crypto(format!("Argon2 failed: {e}")))
    }

    /// Checks `password` against the `stored` hash; `None` (no such user) is checked against
    /// a dummy hash with the same parameters, so it takes as long as a wrong password and the
    /// answer time does not tell which usernames exist.
    pub fn verify(&self, stored: Option<&str>, password: &str) -> PasswordCheck {
        let Some(stored) = stored else {
            // The result is thrown away: only the time it takes matters.
            let _ = self.check(&self.dummy, password);
            return PasswordCheck::Invalid;
        };
        match self.check(stored, password) {
            Some(needs_rehash) => PasswordCheck::Valid { needs_rehash },
            None => PasswordCheck::Invalid,
        }
    }

    /// `Some(needs_rehash)` when `password` matches `stored`.
    fn check(&self, stored: &str, password: &str) -> Option<bool> {
        let hash = PasswordHash::new(stored).ok()?;
        // Verifying uses the parameters and variant written in the hash.
        self.argon2
            .verify_password(password.as_bytes(), &hash)
            .ok()?;
        let same = hash.algorithm == Algorithm::Argon2id.ident()
            && hash.version == Some(Version::V0x13.into())
            && Params::try_from(&hash).is_ok_and(|theirs| {
                theirs.m_cost() == self.params.m_cost()
                    && theirs.t_cost() == self.params.t_cost()
                    && theirs.p_cost() == self.params.p_cost()
                    && theirs.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
                        == self
                            .params
                            .output_len()
                            .unwrap_or(Params::DEFAULT_OUTPUT_LEN)
            });
        Some(!same)
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("algorithm", &"argon2id")
            .field("memory_kib", &self.params.m_cost())
            .field("iterations", &self.params.t_cost())
            .field("parallelism", &self.params.p_cost())
            .finish_non_exhaustive()
    }
}

/// Whether `password` may be set as a new password: 8 to 1024 bytes (the upper bound caps
/// what one sign-in costs to hash), and not only whitespace.
///
/// # Errors
///
/// [`IssuerError::Invalid`] saying which rule it breaks.
pub fn check_new_password(password: &str) -> Result<(), IssuerError> {
    if password.len() < MIN_PASSWORD_BYTES {
        return Err(IssuerError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_BYTES} bytes"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(IssuerError::Invalid(format!(
            "a password may have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.chars().all(char::is_whitespace) {
        return Err(IssuerError::Invalid(
            "a password cannot be only whitespace".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small parameters, so the tests run fast.
    fn passwords() -> Passwords {
        Passwords::with_params(256, 1, 1).unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password() {
        let p = passwords();
        let hash = p.hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{hash}");
        assert_eq!(
            p.verify(Some(&hash), "correct horse"),
            PasswordCheck::Valid {
                needs_rehash: false
            }
        );
        assert_ne!(hash, p.hash("correct horse").unwrap(), "salted");
    }

    #[test]
    fn a_wrong_password_is_invalid() {
        let p = passwords();
        let hash = p.hash("correct horse").unwrap();
        assert_eq!(
            p.verify(Some(&hash), "correct horsf"),
            PasswordCheck::Invalid
        );
        assert_eq!(p.verify(Some(&hash), ""), PasswordCheck::Invalid);
    }

    #[test]
    fn a_missing_user_is_invalid_whatever_the_password() {
        let p = passwords();
        assert_eq!(p.verify(None, "correct horse"), PasswordCheck::Invalid);
        assert_eq!(p.verify(None, ""), PasswordCheck::Invalid);
        assert!(p.dummy.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_and_asks_for_a_rehash() {
        let old = Passwords::with_params(128, 1, 1).unwrap();
        let hash = old.hash("correct horse").unwrap();
        let current = passwords();
        assert_eq!(
            current.verify(Some(&hash), "correct horse"),
            PasswordCheck::Valid { needs_rehash: true }
        );
        assert_eq!(
            current.verify(Some(&hash), "wrong horse"),
            PasswordCheck::Invalid
        );
        let more_lanes = Passwords::with_params(256, 1, 2).unwrap();
        let hash = more_lanes.hash("correct horse").unwrap();
        assert_eq!(
            current.verify(Some(&hash), "correct horse"),
            PasswordCheck::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn another_argon2_variant_verifies_and_asks_for_a_rehash() {
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(256, 1, 1, None).unwrap(),
        );
        let hash = argon2i
            .hash_password_with_salt(b"correct horse", &[7u8; 16])
            .unwrap()
            .to_string();
        assert!(hash.starts_with("$argon2i$"), "{hash}");
        assert_eq!(
            passwords().verify(Some(&hash), "correct horse"),
            PasswordCheck::Valid { needs_rehash: true }
        );
    }

    #[test]
    fn a_one_kib_password_hashes_and_verifies() {
        let p = passwords();
        let long = "é".repeat(512);
        assert_eq!(long.len(), 1024);
        check_new_password(&long).unwrap();
        let hash = p.hash(&long).unwrap();
        assert_eq!(
            p.verify(Some(&hash), &long),
            PasswordCheck::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(p.verify(Some(&hash), &long[..1022]), PasswordCheck::Invalid);
    }

    #[test]
    fn garbage_hashes_are_invalid() {
        let p = passwords();
        let good = p.hash("correct horse").unwrap();
        for stored in [
            "",
            "correct horse",
            "$argon2id$",
            "$argon2id$v=19$m=256,t=1,p=1$",
            "$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$!!!!",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            &good[..good.len() - 2],
            &good.replace("t=1", "t=0"),
        ] {
            assert_eq!(
                p.verify(Some(stored), "correct horse"),
                PasswordCheck::Invalid,
                "{stored}"
            );
        }
    }

    #[test]
    fn new_passwords_follow_the_rules() {
        check_new_password("12345678").unwrap();
        check_new_password(" a      ").unwrap();
        assert!(check_new_password("1234567").is_err());
        assert!(check_new_password("        ").is_err());
        assert!(check_new_password("\t\n \u{3000}    ").is_err());
        assert!(check_new_password(&"a".repeat(1025)).is_err());
        check_new_password(&"a".repeat(1024)).unwrap();
    }

    #[test]
    fn debug_shows_the_parameters_only() {
        let p = passwords();
        let debug = format!("{p:?}");
        assert!(debug.contains("memory_kib: 256"), "{debug}");
        assert!(!debug.contains("$argon2"), "{debug}");
    }

    #[test]
    fn refused_parameters_are_an_error() {
        assert!(matches!(
            Passwords::with_params(1, 1, 1),
            Err(IssuerError::Invalid(_))
        ));
        assert!(Passwords::with_params(256, 0, 1).is_err());
    }
}
