//! Managing users through the [`Issuer`]: create, read, update (disabling revokes their refresh
//! tokens), delete, list, and the first administrator.

use std::fmt;

use super::service::{random_token, Issuer};
use super::{IssuerError, User};

/// Changes to a user, for [`Issuer::update_user`]; `None` leaves a field as it is.
#[derive(Default, Clone)]
#[non_exhaustive]
pub struct UserUpdate {
    /// A new username.
    pub username: Option<String>,
    /// A new password (checked like a new one, hashed with the current parameters).
    pub password: Option<String>,
    /// New scopes.
    pub scopes: Option<Vec<String>>,
    /// Disable (their refresh tokens are revoked) or enable.
    pub disabled: Option<bool>,
}

impl fmt::Debug for UserUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserUpdate")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("scopes", &self.scopes)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// Scopes are RFC 6749 `scope-token`s: printable ASCII without space, `"` or `\`.
fn check_scopes(scopes: &[String]) -> Result<(), IssuerError> {
    for scope in scopes {
        let ok = !scope.is_empty()
            && scope.len() <= 128
            && scope
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if !ok {
            return Err(IssuerError::Invalid(format!(
                "scope {scope:?} is malformed: printable ASCII without spaces, quotes or backslashes"
            )));
        }
    }
    Ok(())
}

fn check_username(username: &str) -> Result<(), IssuerError> {
    let ok = !username.is_empty()
        && username.len() <= 128
        && !username.chars().any(char::is_control)
        && username.trim() == username;
    if ok {
        Ok(())
    } else {
        Err(IssuerError::Invalid(
            "the username must be 1 to 128 bytes, without control characters or surrounding spaces"
                .into(),
        ))
    }
}

impl Issuer {
    /// Creates a user with a new random id and an Argon2id hash of `password`.
    ///
    /// # Errors
    /// [`IssuerError::Invalid`] for a bad username, password or scope;
    /// [`IssuerError::Conflict`] for a taken username; a store failure.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        scopes: Vec<String>,
    ) -> Result<User, IssuerError> {
        check_username(username)?;
        super::password::check_new_password(password)?;
        check_scopes(&scopes)?;
        let hash = self.hash(password).await?;
        let user = User::new(random_token(16)?, username, hash, scopes, self.now());
        self.inner.store.create_user(&user).await?;
        Ok(user)
    }

    async fn hash(&self, password: &str) -> Result<String, IssuerError> {
        let password = password.to_owned();
        self.argon2(move |passwords| passwords.hash(&password))
            .await
            .ok_or_else(|| {
                IssuerError::Store("too many passwords are being hashed; retry".into())
            })?
    }

    /// Changes a user; disabling one revokes their refresh tokens. `None` for an unknown id.
    ///
    /// # Errors
    /// As [`create_user`](Self::create_user).
    pub async fn update_user(
        &self,
        id: &str,
        update: UserUpdate,
    ) -> Result<Option<User>, IssuerError> {
        let store = &self.inner.store;
        let Some(mut user) = store.user(id).await? else {
            return Ok(None);
        };
        if let Some(username) = update.username {
            check_username(&username)?;
            user.username = username;
        }
        if let Some(password) = update.password {
            super::password::check_new_password(&password)?;
            user.password_hash = self.hash(&password).await?;
        }
        if let Some(scopes) = update.scopes {
            check_scopes(&scopes)?;
            user.scopes = scopes;
        }
        if let Some(disabled) = update.disabled {
            user.disabled = disabled;
        }
        user.updated_at = self.now();
        if !store.update_user(&user).await? {
            return Ok(None);
        }
        if user.disabled {
            store.revoke_user_refresh(&user.id).await?;
        }
        Ok(Some(user))
    }

    /// The user with this id.
    ///
    /// # Errors
    /// A store failure.
    pub async fn user(&self, id: &str) -> Result<Option<User>, IssuerError> {
        self.inner.store.user(id).await
    }

    /// Every user.
    ///
    /// # Errors
    /// A store failure.
    pub async fn users(&self) -> Result<Vec<User>, IssuerError> {
        self.inner.store.list_users().await
    }

    /// Deletes a user and their refresh tokens; `false` for an unknown id.
    ///
    /// # Errors
    /// A store failure.
    pub async fn delete_user(&self, id: &str) -> Result<bool, IssuerError> {
        self.inner.store.delete_user(id).await
    }

    /// On first start: when the store has no user at all, creates `username` with scope
    /// `admin` and `password` (or a random one), and returns the password it used. `None` when
    /// users exist (nothing changed).
    ///
    /// # Errors
    /// As [`create_user`](Self::create_user).
    pub async fn bootstrap_admin(
        &self,
        username: &str,
        password: Option<&str>,
    ) -> Result<Option<String>, IssuerError> {
        if self.inner.store.count_users().await? > 0 {
            return Ok(None);
        }
        let password = match password {
            Some(p) => p.to_owned(),
            None => random_token(18)?,
        };
        match self
            .create_user(username, &password, vec!["admin".into()])
            .await
        {
            Ok(_) => Ok(Some(password)),
            // Another process sharing the store created it first.
            Err(IssuerError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_scopes_are_checked() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username(" alice").is_err());
        assert!(check_username("a\nb").is_err());
        assert!(check_scopes(&["read".into()]).is_ok());
        assert!(check_scopes(&["a b".into()]).is_err());
        assert!(check_scopes(&[String::new()]).is_err());
    }
}
