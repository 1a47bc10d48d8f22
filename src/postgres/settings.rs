//! Connection settings read from a `postgres://` URL, with a connect timeout and a statement
//! timeout so that no request waits on a dead or stuck database for longer than they allow.

use std::fmt;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{Client, Config, Connection, NoTls, Socket};

use super::PostgresError;

/// Where the database is and how long any call to it may take.
///
/// Built from a URL (`postgres://user:password@host:port/dbname?…`, or the `key=value` form);
/// the defaults bound every wait: 2 s to connect (TCP and the startup handshake together), 2 s
/// for any statement (the server cancels it), and TCP keepalives so a vanished peer is noticed.
/// `Debug` never prints the password.
#[derive(Clone)]
pub struct PostgresSettings {
    config: Config,
    connect_timeout: Duration,
    statement_timeout: Duration,
}

impl PostgresSettings {
    /// Reads `url`.
    ///
    /// # Errors
    ///
    /// When `url` is not a valid connection string.
    pub fn from_url(url: &str) -> Result<Self, PostgresError> {
        let config: Config = url
            .parse()
            .map_err(|e| PostgresError::with_source("invalid PostgreSQL URL", e))?;
        Ok(Self {
            config,
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(2),
        })
    }

    /// How long connecting may take, the TCP connection and PostgreSQL's startup handshake
    /// together (default 2 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one statement may run before the server cancels it (default 2 s; sent as the
    /// session's `statement_timeout`).
    #[must_use]
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Connects and runs an empty query: whether the database answers now.
    ///
    /// # Errors
    ///
    /// When connecting or the query fails, or takes longer than the timeouts allow.
    pub async fn check(&self) -> Result<(), PostgresError> {
        let (client, connection) = self.connect().await?;
        let driver = tokio::spawn(connection);
        let answer = tokio::time::timeout(self.statement_timeout, client.simple_query("")).await;
        driver.abort();
        match answer {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(PostgresError::with_source("query failed", e)),
            Err(_) => Err(PostgresError::new("query timed out")),
        }
    }

    pub(crate) fn statement_timeout_value(&self) -> Duration {
        self.statement_timeout
    }

    /// A new connection; the caller must poll (or spawn) the [`Connection`].
    pub(crate) async fn connect(
        &self,
    ) -> Result<(Client, Connection<Socket, NoTlsStream>), PostgresError> {
        // The client's own timeout covers only the TCP connection, not the startup handshake
        // with a server that accepted it and then stalls.
        match tokio::time::timeout(self.connect_timeout, self.client_config().connect(NoTls)).await
        {
            Ok(Ok(pair)) => Ok(pair),
            Ok(Err(e)) => Err(PostgresError::with_source(
                "cannot connect to PostgreSQL",
                e,
            )),
            Err(_) => Err(PostgresError::new("connecting to PostgreSQL timed out")),
        }
    }

    /// The URL's configuration with the timeouts and keepalives added.
    fn client_config(&self) -> Config {
        let mut config = self.config.clone();
        let statement = format!(
            "-c statement_timeout={}",
            self.statement_timeout.as_millis()
        );
        let options = match config.get_options() {
            Some(theirs) if !theirs.is_empty() => format!("{theirs} {statement}"),
            _ => statement,
        };
        config
            .options(options)
            .connect_timeout(self.connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3);
        config
    }
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        f.debug_struct("PostgresSettings")
            .field("hosts", &hosts)
            .field("ports", &self.config.get_ports())
            .field("user", &self.config.get_user())
            .field("dbname", &self.config.get_dbname())
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_password() {
        let settings =
            PostgresSettings::from_url("postgres://app:s3cret-pw@db.internal:6432/keys").unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(
            debug.contains("db.internal") && debug.contains("6432"),
            "{debug}"
        );
    }

    #[test]
    fn the_statement_timeout_joins_the_urls_own_options() {
        let plain = PostgresSettings::from_url("postgres://app@db/keys")
            .unwrap()
            .statement_timeout(Duration::from_millis(1500))
            .client_config();
        assert_eq!(plain.get_options(), Some("-c statement_timeout=1500"));
        assert_eq!(plain.get_connect_timeout(), Some(&Duration::from_secs(2)));
        let theirs =
            PostgresSettings::from_url("postgres://app@db/keys?options=-c%20search_path%3Dauth")
                .unwrap()
                .client_config();
        assert_eq!(
            theirs.get_options(),
            Some("-c search_path=auth -c statement_timeout=2000")
        );
    }

    #[test]
    fn a_malformed_url_is_an_error() {
        assert!(PostgresSettings::from_url("postgres://host:notaport/db").is_err());
    }
}
