//! The checks of the URLs and scopes the metadata and the layer's challenges carry.

use std::net::IpAddr;

use url::Url;

use crate::error::{fits_quoted_string, ConfigError};

/// The resource identifier, parsed and checked (RFC 9728 §2, RFC 8707 §2).
pub(super) fn parse_resource(resource: &str) -> Result<Url, ConfigError> {
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "resource {resource:?} {why}; write it as the absolute URL clients use, e.g. https://api.example.com/mcp"
        ))
    };
    let url = Url::parse(resource).map_err(|_| invalid("is not an absolute URL"))?;
    check_secure(&url).map_err(&invalid)?;
    if url.fragment().is_some() || resource.contains('#') {
        return Err(invalid("has a fragment"));
    }
    if url.query().is_some() || resource.contains('?') {
        return Err(invalid("has a query"));
    }
    // The identifier is compared as a string (token audiences, the document's `resource`), so
    // it must already be in the form the URL parser writes: lower-case scheme and host, no
    // default port, no dot segments.
    let canonical = url.as_str();
    let bare_origin = url.path() == "/" && canonical.strip_suffix('/') == Some(resource);
    if canonical != resource && !bare_origin {
        return Err(invalid(&format!(
            "is not in canonical form (it reads {canonical:?} once parsed)"
        )));
    }
    Ok(url)
}

/// An authorization server's issuer identifier: an https URL (http for loopback), without
/// query or fragment (RFC 8414 §2).
pub(super) fn check_issuer(issuer: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "authorization server {issuer:?} {why}; write its issuer identifier, e.g. https://issuer.example.com"
        ))
    };
    let url = Url::parse(issuer).map_err(|_| invalid("is not an absolute URL"))?;
    check_secure(&url).map_err(&invalid)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("has a query or a fragment"));
    }
    Ok(())
}

/// `https`, or `http` to a loopback host, with a host and no credentials.
fn check_secure(url: &Url) -> Result<(), &'static str> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => return Err("uses http, which is allowed for loopback hosts only"),
        _ => return Err("is not an https URL"),
    }
    if !url.has_host() {
        return Err("has no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries credentials");
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// RFC 6749 §3.3 `scope-token`: `%x21 / %x23-5B / %x5D-7E`, at least one.
pub(super) fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// A `resource_metadata` URL given directly to the layer: an absolute http(s) URL that can be
/// written inside the challenge's quoted-string.
pub(crate) fn check_metadata_url(url: &str) -> Result<(), ConfigError> {
    let parsed = Url::parse(url).ok();
    if !parsed.is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
        || !fits_quoted_string(url)
    {
        return Err(ConfigError::Invalid(format!(
            "resource_metadata URL {url:?} must be an absolute http(s) URL of printable ASCII without `\"` or `\\`, e.g. https://api.example.com/.well-known/oauth-protected-resource/mcp"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_metadata_urls_for_challenges_are_checked() {
        assert!(check_metadata_url("https://api.example.com/.well-known/x").is_ok());
        for bad in ["relative/path", "https://a.example.com/\"x", "mailto:a@b"] {
            assert!(check_metadata_url(bad).is_err(), "{bad}");
        }
    }
}
