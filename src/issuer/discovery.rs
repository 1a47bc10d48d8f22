//! The issuer's metadata: the OpenID Connect discovery document, which is also its RFC 8414
//! authorization server metadata, and where its JWKS lives.

use serde_json::{json, Value};

use super::SigningAlgorithm;

/// Where the issuer serves its JWKS, under its base URL.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The OpenID Connect discovery document (and RFC 8414 metadata) of the issuer at `issuer`,
/// its base URL without a trailing slash, whose keys use `algorithms`.
///
/// It names the JWKS (`{issuer}/.well-known/jwks.json`), the token endpoint
/// (`{issuer}/oauth/token`) and the RFC 7009 revocation endpoint (`{issuer}/oauth/revoke`); the
/// password, client-credentials and refresh-token grants; client authentication by HTTP Basic,
/// form post or none (public clients); no response types, since the issuer has no browser
/// flows. `scopes_supported` is left out: add it to the value to advertise scopes.
///
/// ```
/// use tollgate::issuer::{discovery_document, SigningAlgorithm};
///
/// let doc = discovery_document("https://auth.example.com", &[SigningAlgorithm::Es256]);
/// assert_eq!(doc["jwks_uri"], "https://auth.example.com/.well-known/jwks.json");
/// ```
pub fn discovery_document(issuer: &str, algorithms: &[SigningAlgorithm]) -> Value {
    let mut names: Vec<&str> = Vec::new();
    for algorithm in algorithms {
        if !names.contains(&algorithm.as_str()) {
            names.push(algorithm.as_str());
        }
    }
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "grant_types_supported": ["password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_every_endpoint_under_the_issuer() {
        let doc = discovery_document(
            "https://auth.example.com",
            &[
                SigningAlgorithm::Es256,
                SigningAlgorithm::EdDsa,
                SigningAlgorithm::Es256,
            ],
        );
        assert_eq!(doc["issuer"], "https://auth.example.com");
        assert_eq!(
            doc["jwks_uri"],
            "https://auth.example.com/.well-known/jwks.json"
        );
        assert_eq!(
            doc["token_endpoint"],
            "https://auth.example.com/oauth/token"
        );
        assert_eq!(
            doc["revocation_endpoint"],
            "https://auth.example.com/oauth/revoke"
        );
        assert_eq!(
            doc["grant_types_supported"],
            json!(["password", "client_credentials", "refresh_token"])
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(["client_secret_basic", "client_secret_post", "none"])
        );
        assert_eq!(doc["response_types_supported"], json!([]));
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["ES256", "EdDSA"])
        );
        assert!(doc.get("scopes_supported").is_none());
    }
}
