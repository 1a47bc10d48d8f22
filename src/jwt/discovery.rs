//! OpenID Connect discovery (OpenID Connect Discovery 1.0 §4): the JWKS URL from the issuer's
//! `/.well-known/openid-configuration`.

use serde::Deserialize;

use crate::error::ConfigError;
use crate::fetch::Fetcher;

/// Finds the JWKS URL in the issuer's discovery document (OpenID Connect Discovery 1.0 §4),
/// whose `issuer` must equal the configured issuer exactly (§4.3).
pub(super) async fn discover(fetcher: &Fetcher, issuer: &str) -> Result<String, ConfigError> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc: Discovery = fetcher
        .get_json(&url)
        .await
        .map_err(|e| ConfigError::Discovery {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    if doc.issuer != issuer {
        return Err(ConfigError::Discovery {
            url,
            reason: format!(
                "the document names issuer `{}`, not `{issuer}` (they must match exactly, trailing slash included)",
                doc.issuer
            ),
        });
    }
    Ok(doc.jwks_uri)
}
