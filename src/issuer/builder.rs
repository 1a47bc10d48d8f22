//! [`IssuerBuilder`]: an [`Issuer`]'s settings, checked at `build`, which also loads (or creates)
//! the signing keys and starts their rotation.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::clients::Clients;
use super::keys::Keys;
use super::lockout::Backoff;
use super::password::Passwords;
use super::policy::RotationPolicy;
use super::seal::SealingKey;
use super::service::{Inner, Issuer};
use super::{IssuerError, IssuerStore};
use crate::clock::{Clock, SystemClock};

/// Configures an [`Issuer`].
#[must_use]
pub struct IssuerBuilder {
    issuer: String,
    audience: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
    clients: Clients,
    passwords: Option<Passwords>,
    backoff: Backoff,
    rotation: RotationPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer at `issuer` (its base URL, the tokens' `iss`: `https`, or `http` on a loopback
    /// host for development) whose access tokens are for `audience`. Defaults: access tokens
    /// live 10 minutes, refresh tokens 30 days (each use rotates it), no clients, Argon2id with
    /// OWASP's parameters, the default backoff, ES256 keys rotated every 30 days.
    pub fn builder(issuer: impl Into<String>, audience: impl Into<String>) -> IssuerBuilder {
        IssuerBuilder {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            audience: audience.into(),
            access_ttl: Duration::from_secs(600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            clients: Clients::new(),
            passwords: None,
            backoff: Backoff::default(),
            rotation: RotationPolicy::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl IssuerBuilder {
    /// How long access tokens live (default 10 minutes). Keep it short: they cannot be
    /// revoked before they expire.
    pub fn access_token_lifetime(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// How long a refresh token works unused (default 30 days); each use replaces it.
    pub fn refresh_token_lifetime(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// The OAuth clients.
    pub fn clients(mut self, clients: Clients) -> Self {
        self.clients = clients;
        self
    }

    /// The password hashing parameters (default [`Passwords::new`]).
    pub fn passwords(mut self, passwords: Passwords) -> Self {
        self.passwords = Some(passwords);
        self
    }

    /// The backoff against password guessing (default [`Backoff::default`]).
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The signing keys' algorithm and rotation schedule; its maximum token lifetime is set to
    /// the access tokens' lifetime.
    pub fn rotation(mut self, policy: RotationPolicy) -> Self {
        self.rotation = policy;
        self
    }

    /// The clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings, loads (or creates) the signing keys and starts their rotation.
    ///
    /// # Errors
    /// A malformed issuer URL or audience, a zero lifetime, an invalid rotation policy, keys
    /// that do not unseal with `sealing` (the wrong `ISSUER_KEY`), or a store failure.
    pub async fn build(
        self,
        store: Arc<dyn IssuerStore>,
        sealing: SealingKey,
    ) -> Result<Issuer, IssuerError> {
        check_issuer_url(&self.issuer)?;
        if self.audience.is_empty() {
            return Err(IssuerError::Invalid(
                "the audience must not be empty".into(),
            ));
        }
        let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
        if self.access_ttl.is_zero() || self.refresh_ttl.is_zero() {
            return Err(IssuerError::Invalid(
                "token lifetimes must be more than zero".into(),
            ));
        }
        if self.access_ttl > ten_years || self.refresh_ttl > ten_years {
            return Err(IssuerError::Invalid(
                "token lifetimes must be at most 10 years".into(),
            ));
        }
        let passwords = match self.passwords {
            Some(passwords) => passwords,
            None => Passwords::new()?,
        };
        let policy = self.rotation.max_token_lifetime(self.access_ttl);
        policy.validate()?;
        let keys =
            Keys::start(Arc::clone(&store), sealing, policy, Arc::clone(&self.clock)).await?;
        Ok(Issuer {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                audience: self.audience,
                access_ttl: self.access_ttl,
                refresh_ttl: self.refresh_ttl,
                clients: self.clients,
                passwords,
                backoff: self.backoff,
                store,
                keys,
                clock: self.clock,
                hashing: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
                ),
            }),
        })
    }
}

/// `https://host[:port][/path]`, or `http://` on a loopback host; no query or fragment.
fn check_issuer_url(issuer: &str) -> Result<(), IssuerError> {
    let bad = |why: &str| {
        Err(IssuerError::Invalid(format!(
            "the issuer URL {issuer:?} {why}"
        )))
    };
    let Ok(url) = url::Url::parse(issuer) else {
        return bad("is not a URL");
    };
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return bad("must have no query, fragment or user");
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => bad("must be https (http only on a loopback host)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_urls_are_https_or_loopback_http() {
        assert!(check_issuer_url("https://auth.example.com").is_ok());
        assert!(check_issuer_url("http://127.0.0.1:3000").is_ok());
        assert!(check_issuer_url("http://localhost:3000").is_ok());
        assert!(check_issuer_url("http://[::1]:3000").is_ok());
        assert!(check_issuer_url("http://auth.example.com").is_err());
        assert!(check_issuer_url("https://auth.example.com/?x=1").is_err());
        assert!(check_issuer_url("ftp://auth.example.com").is_err());
        assert!(check_issuer_url("not a url").is_err());
    }
}
