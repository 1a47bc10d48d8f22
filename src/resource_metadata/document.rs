//! [`ResourceMetadata`] and its builder: the checked RFC 9728 document and where it lives.

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::checks::{check_issuer, is_scope_token, parse_resource};
use super::MetadataService;
use crate::error::ConfigError;

const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A checked RFC 9728 protected resource metadata document, with its well-known location.
/// Built by [`ResourceMetadata::builder`]; cheap to clone.
#[derive(Clone)]
pub struct ResourceMetadata {
    resource: Box<str>,
    url: Box<str>,
    path: Box<str>,
    json: Arc<str>,
}

impl fmt::Debug for ResourceMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceMetadata")
            .field("resource", &self.resource)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ResourceMetadata {
    /// Starts the metadata of the resource identified by `resource`, the URL clients send as
    /// RFC 8707's `resource` parameter (for an MCP server: its endpoint, e.g.
    /// `https://api.example.com/mcp`).
    pub fn builder(resource: impl Into<String>) -> ResourceMetadataBuilder {
        ResourceMetadataBuilder {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes_supported: None,
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// The resource identifier, exactly as configured.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The absolute URL of the metadata document, as challenges name it in
    /// `resource_metadata="…"`.
    pub fn metadata_url(&self) -> &str {
        &self.url
    }

    /// The path to serve the document at (RFC 9728 §3.1), e.g.
    /// `/.well-known/oauth-protected-resource/mcp`: route it to [`service`](Self::service).
    pub fn well_known_path(&self) -> &str {
        &self.path
    }

    /// The document as JSON.
    pub fn to_json(&self) -> &str {
        &self.json
    }

    /// A tower service answering `GET` and `HEAD` with the document.
    pub fn service(&self) -> MetadataService {
        MetadataService::new(self.json.clone())
    }
}

/// Configures a [`ResourceMetadata`]. Created by [`ResourceMetadata::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ResourceMetadataBuilder {
    resource: String,
    authorization_servers: Vec<String>,
    scopes_supported: Option<Vec<String>>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
}

impl ResourceMetadataBuilder {
    /// Adds an authorization server (its issuer identifier, e.g.
    /// `https://issuer.example.com`) whose tokens this resource accepts. The MCP specification
    /// requires at least one.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// Adds several authorization servers; see [`authorization_server`](Self::authorization_server).
    pub fn authorization_servers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        issuers: I,
    ) -> Self {
        self.authorization_servers
            .extend(issuers.into_iter().map(Into::into));
        self
    }

    /// The scopes clients may request for this resource (`scopes_supported`); left out of the
    /// document when not set.
    pub fn scopes_supported<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        scopes: I,
    ) -> Self {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// A human-readable name for the resource (`resource_name`).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// The URL of a page documenting the resource for developers (`resource_documentation`).
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// Checks the settings and writes the document.
    ///
    /// # Errors
    /// When the resource is not an absolute `https` URL (`http` is allowed for loopback hosts
    /// only) in canonical form, or has a query or a fragment (RFC 9728 §2, RFC 8707 §2); when
    /// there is no authorization server, or one is not such a URL; when a scope is not an
    /// RFC 6749 scope token; or when the documentation is not an `http(s)` URL.
    pub fn build(self) -> Result<ResourceMetadata, ConfigError> {
        let resource = parse_resource(&self.resource)?;
        if self.authorization_servers.is_empty() {
            return Err(ConfigError::Missing(
                "no authorization server: add the issuer of your tokens with .authorization_server(\"https://issuer.example.com\")",
            ));
        }
        for issuer in &self.authorization_servers {
            check_issuer(issuer)?;
        }
        if let Some(scope) = self
            .scopes_supported
            .iter()
            .flatten()
            .find(|s| !is_scope_token(s))
        {
            return Err(ConfigError::Invalid(format!(
                "scope {scope:?} is not an OAuth scope token (printable ASCII without spaces, `\"` or `\\`)"
            )));
        }
        if let Some(doc) = &self.resource_documentation {
            let ok = Url::parse(doc).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "resource_documentation {doc:?} is not an absolute http(s) URL"
                )));
            }
        }

        let path = well_known_path(&resource);
        let origin = resource.origin().ascii_serialization();
        let url = format!("{origin}{path}");
        let mut document = serde_json::Map::new();
        document.insert("resource".into(), self.resource.clone().into());
        document.insert(
            "authorization_servers".into(),
            self.authorization_servers.into(),
        );
        if let Some(scopes) = self.scopes_supported {
            document.insert("scopes_supported".into(), scopes.into());
        }
        document.insert("bearer_methods_supported".into(), vec!["header"].into());
        if let Some(name) = self.resource_name {
            document.insert("resource_name".into(), name.into());
        }
        if let Some(doc) = self.resource_documentation {
            document.insert("resource_documentation".into(), doc.into());
        }
        Ok(ResourceMetadata {
            resource: self.resource.into_boxed_str(),
            url: url.into_boxed_str(),
            path: path.into_boxed_str(),
            json: serde_json::Value::Object(document).to_string().into(),
        })
    }
}

/// RFC 9728 §3.1: the well-known segment goes between the host and the path; a path of just
/// `/` adds nothing.
fn well_known_path(resource: &Url) -> String {
    match resource.path() {
        "/" => WELL_KNOWN.to_owned(),
        path => format!("{WELL_KNOWN}{path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(resource: &str) -> Result<ResourceMetadata, ConfigError> {
        ResourceMetadata::builder(resource)
            .authorization_server("https://issuer.example.com")
            .build()
    }

    #[test]
    fn resource_well_known_path_is_derived_as_rfc_9728_says() {
        for (resource, path, url) in [
            (
                "https://api.example.com/mcp",
                "/.well-known/oauth-protected-resource/mcp",
                "https://api.example.com/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://api.example.com",
                "/.well-known/oauth-protected-resource",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com/",
                "/.well-known/oauth-protected-resource",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "https://api.example.com/v1/mcp/",
                "/.well-known/oauth-protected-resource/v1/mcp/",
                "https://api.example.com/.well-known/oauth-protected-resource/v1/mcp/",
            ),
            (
                "https://api.example.com:8443/mcp",
                "/.well-known/oauth-protected-resource/mcp",
                "https://api.example.com:8443/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "http://127.0.0.1:3000/mcp",
                "/.well-known/oauth-protected-resource/mcp",
                "http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "http://[::1]:3000",
                "/.well-known/oauth-protected-resource",
                "http://[::1]:3000/.well-known/oauth-protected-resource",
            ),
        ] {
            let m = metadata(resource).unwrap();
            assert_eq!(m.well_known_path(), path, "{resource}");
            assert_eq!(m.metadata_url(), url, "{resource}");
            assert_eq!(m.resource(), resource);
        }
    }

    #[test]
    fn resource_builder_refuses_what_rfc_9728_and_8707_exclude() {
        for (resource, says) in [
            ("api.example.com/mcp", "not an absolute URL"),
            ("/mcp", "not an absolute URL"),
            ("http://api.example.com/mcp", "loopback hosts only"),
            ("ftp://api.example.com/mcp", "not an https URL"),
            ("https://api.example.com/mcp#top", "fragment"),
            ("https://api.example.com/mcp#", "fragment"),
            ("https://api.example.com/mcp?x=1", "query"),
            ("https://api.example.com/mcp?", "query"),
            ("https://API.example.com/mcp", "canonical"),
            ("https://api.example.com:443/mcp", "canonical"),
            ("https://api.example.com/a/../mcp", "canonical"),
            ("https://user:pw@api.example.com/mcp", "credentials"),
        ] {
            let error = metadata(resource).unwrap_err().to_string();
            assert!(error.contains(says), "{resource}: {error}");
            assert!(error.contains(resource), "{error}");
        }

        let build = |b: ResourceMetadataBuilder| b.build().unwrap_err().to_string();
        let base = || ResourceMetadata::builder("https://api.example.com/mcp");
        assert!(build(base()).contains("no authorization server"));
        assert!(
            build(base().authorization_server("http://issuer.example.com"))
                .contains("loopback hosts only")
        );
        assert!(
            build(base().authorization_server("https://issuer.example.com/?tenant=1"))
                .contains("query or a fragment")
        );
        assert!(build(
            base()
                .authorization_server("https://issuer.example.com")
                .scopes_supported(["read", "two words"])
        )
        .contains("\"two words\""));
        assert!(build(
            base()
                .authorization_server("https://issuer.example.com")
                .resource_documentation("docs")
        )
        .contains("resource_documentation"));
        assert!(
            metadata("http://localhost:8080/mcp").is_ok(),
            "loopback http is fine"
        );
    }

    #[test]
    fn resource_document_holds_what_was_configured_and_no_more() {
        let m = ResourceMetadata::builder("https://api.example.com/mcp")
            .authorization_servers(["https://a.example.com", "http://127.0.0.1:9000"])
            .scopes_supported(["tools:read", "admin"])
            .resource_name("Example")
            .resource_documentation("https://docs.example.com/mcp")
            .build()
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(m.to_json()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "resource": "https://api.example.com/mcp",
                "authorization_servers": ["https://a.example.com", "http://127.0.0.1:9000"],
                "scopes_supported": ["tools:read", "admin"],
                "bearer_methods_supported": ["header"],
                "resource_name": "Example",
                "resource_documentation": "https://docs.example.com/mcp",
            })
        );
        let bare: serde_json::Value =
            serde_json::from_str(metadata("https://api.example.com").unwrap().to_json()).unwrap();
        assert_eq!(
            bare,
            serde_json::json!({
                "resource": "https://api.example.com",
                "authorization_servers": ["https://issuer.example.com"],
                "bearer_methods_supported": ["header"],
            })
        );
        assert!(!format!("{m:?}").contains("tools:read"));
    }

    #[test]
    fn resource_metadata_types_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<ResourceMetadata>();
        check::<ResourceMetadataBuilder>();
        check::<MetadataService>();
    }
}
