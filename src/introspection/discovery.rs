//! Finding the introspection endpoint from the issuer: OpenID Connect discovery, then RFC 8414
//! authorization server metadata.

use std::time::Duration;

use serde::Deserialize;

use super::builder::checked_url;
use crate::error::ConfigError;
use crate::fetch::{Fetcher, DEFAULT_MAX_BYTES};

/// `introspection_endpoint` from OpenID Connect discovery, else from RFC 8414 metadata.
pub(super) async fn discover(issuer: &str, timeout: Duration) -> Result<String, ConfigError> {
    #[derive(Deserialize)]
    struct Metadata {
        issuer: String,
        introspection_endpoint: Option<String>,
    }
    let fetcher = Fetcher::new(timeout, DEFAULT_MAX_BYTES, false)?;
    let trimmed = issuer.trim_end_matches('/');
    let oidc = format!("{trimmed}/.well-known/openid-configuration");
    let mut failure = None;
    for url in [oidc, oauth_metadata_url(issuer)?] {
        let reason = match fetcher.get_json::<Metadata>(&url).await {
            Ok(doc) if doc.issuer != issuer => format!(
                "the document names issuer `{}`, not `{issuer}` (they must match exactly, trailing slash included)",
                doc.issuer
            ),
            Ok(Metadata {
                introspection_endpoint: Some(endpoint),
                ..
            }) => return Ok(endpoint),
            Ok(_) => "the document has no `introspection_endpoint`; set it with .endpoint(…)".into(),
            Err(e) => e.to_string(),
        };
        failure.get_or_insert((url, reason));
    }
    let (url, reason) = failure.unwrap_or_default();
    Err(ConfigError::Discovery { url, reason })
}

/// RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
fn oauth_metadata_url(issuer: &str) -> Result<String, ConfigError> {
    let url = checked_url(issuer, "issuer")?;
    let path = url.path().trim_end_matches('/');
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    Ok(format!(
        "{}/.well-known/oauth-authorization-server{path}",
        origin.as_str().trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8414_metadata_url() {
        let url = |issuer: &str| oauth_metadata_url(issuer).unwrap_or_default();
        assert_eq!(
            url("https://as.example"),
            "https://as.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            url("https://as.example/tenant/1/"),
            "https://as.example/.well-known/oauth-authorization-server/tenant/1"
        );
    }
}
