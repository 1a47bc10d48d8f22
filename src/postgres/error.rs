//! The error of the PostgreSQL plumbing: what failed, with the client's error as its source.

use std::fmt;

/// A PostgreSQL setting, connection or query failed.
///
/// The client library's error is available as [`source`](std::error::Error::source) for
/// logging; it is not part of the API.
#[derive(Debug)]
pub struct PostgresError {
    what: &'static str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl PostgresError {
    pub(crate) fn new(what: &'static str) -> Self {
        Self { what, source: None }
    }

    pub(crate) fn with_source(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            what,
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for PostgresError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.what),
            None => f.write_str(self.what),
        }
    }
}

impl std::error::Error for PostgresError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
