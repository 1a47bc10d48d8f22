//! Credential extraction from arbitrary requests. The input is read as: one byte choosing the
//! configured sources, then lines: the first is the request target (path and query), each
//! further line a `name: value` header (values may hold any bytes HTTP allows).
#![no_main]

use http::HeaderName;
use libfuzzer_sys::fuzz_target;
use tollgate::fuzzing::extract_credential;
use tollgate::CredentialSource;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mut sources = Vec::new();
    if choice & 1 != 0 || choice & 0x0f == 0 {
        sources.push(CredentialSource::AuthorizationBearer);
    }
    if choice & 2 != 0 {
        sources.push(CredentialSource::Header(HeaderName::from_static("x-token")));
    }
    if choice & 4 != 0 {
        sources.push(CredentialSource::Cookie("session".into()));
    }
    if choice & 8 != 0 {
        sources.push(CredentialSource::Query("access_token".into()));
    }
    let max_len = if choice & 0x10 != 0 { 8 * 1024 } else { 32 };

    let mut lines = rest.split(|&b| b == b'\n');
    let target = lines.next().unwrap_or_default();
    let Ok(target) = std::str::from_utf8(target) else {
        return;
    };
    let mut request = http::Request::builder().uri(target);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) else {
            continue;
        };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(()) else {
        return;
    };
    let (parts, ()) = request.into_parts();
    if let Ok(Some(credential)) = extract_credential(&parts, sources, max_len) {
        // What the extractor hands on is always a bounded RFC 6750 b64token.
        let token = credential.token();
        assert!(!token.is_empty() && token.len() <= max_len);
        assert!(token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)));
    }
});
