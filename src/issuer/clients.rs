//! The OAuth clients the issuer knows: first-party public clients (the password grant) and
//! confidential machine clients (client credentials), configured in code.

use std::collections::BTreeMap;
use std::fmt;

use crate::sha256::sha256;
use aws_lc_rs::constant_time::verify_slices_are_equal;

use super::IssuerError;

/// One client.
#[derive(Clone)]
enum Kind {
    /// A first-party app (a CLI, the team's own web or mobile app): no secret, may use the
    /// password grant and refresh tokens.
    Public,
    /// A machine: authenticates with a secret (SHA-256 kept, compared in constant time), may
    /// use the client-credentials grant for the scopes it was given.
    Confidential {
        secret_sha256: [u8; 32],
        scopes: Vec<String>,
    },
}

/// The clients, by id.
#[derive(Clone, Default)]
pub struct Clients {
    clients: BTreeMap<String, Kind>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.clients.keys()).finish()
    }
}

/// What a presented client turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Authenticated {
    Public,
    Confidential { scopes: Vec<String> },
}

fn check_id(id: &str) -> Result<(), IssuerError> {
    if crate::api_key::is_plain_id(id) {
        Ok(())
    } else {
        Err(IssuerError::Invalid(format!(
            "client id {id:?} is malformed: use 1 to 128 letters, digits, `.`, `_`, `-` or `:`"
        )))
    }
}

impl Clients {
    /// No clients.
    pub fn new() -> Self {
        Self::default()
    }

    /// A first-party public client (no secret) that may use the password grant, e.g. `cli`.
    /// Only add your own apps: the password grant hands the user's password to the client.
    ///
    /// # Errors
    /// When the id is malformed or taken.
    pub fn public(mut self, id: &str) -> Result<Self, IssuerError> {
        self.add(id, Kind::Public)?;
        Ok(self)
    }

    /// A confidential machine client for the client-credentials grant, with its secret (at
    /// least 32 bytes: generate it, e.g. `openssl rand -base64 32`; only its SHA-256 is kept)
    /// and the scopes its tokens may carry.
    ///
    /// # Errors
    /// When the id is malformed or taken, or the secret shorter than 32 bytes.
    pub fn confidential<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        id: &str,
        secret: &str,
        scopes: I,
    ) -> Result<Self, IssuerError> {
        if secret.len() < 32 {
            return Err(IssuerError::Invalid(format!(
                "the secret of client {id} must be at least 32 bytes (generate it)"
            )));
        }
        let secret_sha256 = sha256(secret);
        self.add(
            id,
            Kind::Confidential {
                secret_sha256,
                scopes: scopes.into_iter().map(Into::into).collect(),
            },
        )?;
        Ok(self)
    }

    fn add(&mut self, id: &str, kind: Kind) -> Result<(), IssuerError> {
        check_id(id)?;
        if self.clients.insert(id.to_owned(), kind).is_some() {
            return Err(IssuerError::Invalid(format!("client {id} is given twice")));
        }
        Ok(())
    }

    /// Authenticates a client: a public client by id alone (and only without a secret), a
    /// confidential one by its secret. `None` for anything else.
    pub(crate) fn authenticate(&self, id: &str, secret: Option<&str>) -> Option<Authenticated> {
        match (self.clients.get(id)?, secret) {
            (Kind::Public, None) => Some(Authenticated::Public),
            (
                Kind::Confidential {
                    secret_sha256,
                    scopes,
                },
                Some(secret),
            ) => verify_slices_are_equal(&sha256(secret), secret_sha256)
                .ok()
                .map(|()| Authenticated::Confidential {
                    scopes: scopes.clone(),
                }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_authenticate_only_as_configured() {
        let secret = "s".repeat(32);
        let clients = Clients::new()
            .public("cli")
            .unwrap()
            .confidential("reports", &secret, ["read"])
            .unwrap();
        assert_eq!(
            clients.authenticate("cli", None),
            Some(Authenticated::Public)
        );
        assert_eq!(clients.authenticate("cli", Some("x")), None);
        assert_eq!(
            clients.authenticate("reports", Some(&secret)),
            Some(Authenticated::Confidential {
                scopes: vec!["read".into()]
            })
        );
        assert_eq!(clients.authenticate("reports", Some("wrong")), None);
        assert_eq!(clients.authenticate("reports", None), None);
        assert_eq!(clients.authenticate("nobody", None), None);
        assert!(Clients::new().confidential("m", "short", ["a"]).is_err());
        assert!(Clients::new().public("a b").is_err());
        assert!(Clients::new().public("cli").unwrap().public("cli").is_err());
        assert!(!format!("{clients:?}").contains(&secret));
    }
}
