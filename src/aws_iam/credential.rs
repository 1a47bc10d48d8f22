//! Reading and checking a `tollgate-aws-v1.` credential before anything is sent to STS: every
//! check here is local, so a forged or stale credential costs no network call.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use url::Url;

use crate::error::Reason;

/// What every credential starts with.
pub(crate) const PREFIX: &str = "tollgate-aws-v1.";

/// The longest credential accepted, in bytes (prefix included). A presigned GetCallerIdentity
/// URL with a session token of the largest size AWS documents is under 3 KiB of base64url.
pub const MAX_CREDENTIAL_LEN: usize = 4096;

/// The longest `X-Amz-Expires` accepted, in seconds (15 minutes, as Vault and
/// aws-iam-authenticator).
pub const MAX_EXPIRES_SECS: u64 = 900;

/// How far in the future `X-Amz-Date` may be, in seconds: the clock skew STS itself tolerates.
pub const MAX_FUTURE_SECS: u64 = 900;

/// The signed headers a credential may name; it must name both.
pub(crate) const SIGNED_HEADERS: &str = "host;x-tollgate-server-id";

/// The only query parameters a credential's URL may carry, each at most once.
const ALLOWED_PARAMS: [&str; 9] = [
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// A credential that passed every local check: its query, to be replayed against the
/// configured endpoint, and when it stops being valid.
#[derive(Debug)]
pub(crate) struct Presigned {
    /// The decoded query parameters, in the allowlist's order.
    pub(crate) params: Vec<(&'static str, String)>,
    /// `X-Amz-Date` + `X-Amz-Expires`, in seconds since the Unix epoch.
    pub(crate) expires_at: u64,
}

/// What the configured endpoint and region require of a credential.
#[derive(Debug)]
pub(crate) struct Expected<'a> {
    pub(crate) endpoint: &'a Url,
    pub(crate) region: &'a str,
}

/// Checks `token` (the whole bearer value) at `now` (Unix seconds).
pub(crate) fn parse(token: &str, expected: &Expected<'_>, now: u64) -> Result<Presigned, Reason> {
    if token.len() > MAX_CREDENTIAL_LEN {
        return Err(Reason::TooLarge);
    }
    let encoded = token.strip_prefix(PREFIX).ok_or(Reason::Malformed)?;
    // The base64 engine refuses padding and non-canonical trailing bits.
    let raw = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| Reason::Malformed)?;
    let text = std::str::from_utf8(&raw).map_err(|_| Reason::Malformed)?;
    if !text.is_ascii() || text.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(Reason::Malformed);
    }
    let url = Url::parse(text).map_err(|_| Reason::Malformed)?;
    check_endpoint(&url, text, expected.endpoint)?;
    let params = allowed_params(url.query().unwrap_or_default())?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    };
    let required = |name: &str| get(name).ok_or(Reason::MissingClaim);
    if required("Action")? != "GetCallerIdentity"
        || required("Version")? != "2011-06-15"
        || required("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256"
    {
        return Err(Reason::Malformed);
    }
    if required("X-Amz-SignedHeaders")? != SIGNED_HEADERS {
        return Err(Reason::WrongAudience);
    }
    let signature = required("X-Amz-Signature")?;
    if signature.len() != 64
        || !signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(Reason::Malformed);
    }
    if get("X-Amz-Security-Token").is_some_and(str::is_empty) {
        return Err(Reason::Malformed);
    }
    let date = required("X-Amz-Date")?;
    let signed_at = parse_amz_date(date).ok_or(Reason::Malformed)?;
    check_scope(required("X-Amz-Credential")?, date, expected.region)?;
    let expires: u64 = parse_decimal(required("X-Amz-Expires")?).ok_or(Reason::Malformed)?;
    if expires == 0 || expires > MAX_EXPIRES_SECS {
        return Err(Reason::InvalidClaim);
    }
    if signed_at > now.saturating_add(MAX_FUTURE_SECS) {
        return Err(Reason::NotYetValid);
    }
    let expires_at = signed_at + expires;
    if expires_at < now {
        return Err(Reason::Expired);
    }
    Ok(Presigned { params, expires_at })
}

/// The URL must be the configured endpoint exactly: scheme, host, port and path, with no
/// userinfo and no fragment. `text` is the URL as sent, since the parser normalises some forms
/// (a default port written out, `..` segments) that the comparison must not forgive.
fn check_endpoint(url: &Url, text: &str, endpoint: &Url) -> Result<(), Reason> {
    let same = url.scheme() == endpoint.scheme()
        && url.host_str() == endpoint.host_str()
        && url.port_or_known_default() == endpoint.port_or_known_default()
        && url.port() == endpoint.port()
        && url.path() == endpoint.path()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none();
    let prefix = format!("{}?", endpoint.as_str());
    if same && text.starts_with(&prefix) {
        Ok(())
    } else {
        Err(Reason::WrongIssuer)
    }
}

/// The query's parameters, decoded, each allowed and present at most once. Every pair must be
/// `name=value`, and a raw `+` (a space to some decoders, a plus to others) is refused: SigV4
/// clients percent-encode it.
fn allowed_params(query: &str) -> Result<Vec<(&'static str, String)>, Reason> {
    if query.contains('+')
        || !query.split('&').all(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, _)| !name.is_empty())
        })
    {
        return Err(Reason::Malformed);
    }
    let mut params: Vec<(&'static str, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let name = ALLOWED_PARAMS
            .iter()
            .find(|allowed| **allowed == name)
            .ok_or(Reason::Malformed)?;
        if params.iter().any(|(seen, _)| seen == name) {
            return Err(Reason::Malformed);
        }
        params.push((name, value.into_owned()));
    }
    params.sort_by_key(|(name, _)| ALLOWED_PARAMS.iter().position(|a| a == name));
    Ok(params)
}

/// `AKID/YYYYMMDD/REGION/sts/aws4_request`, dated the day of `X-Amz-Date`, for the configured
/// region.
fn check_scope(credential: &str, amz_date: &str, region: &str) -> Result<(), Reason> {
    let mut parts = credential.split('/');
    let (Some(key_id), Some(day), Some(scope_region), Some("sts"), Some("aws4_request"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Reason::Malformed);
    };
    if !(16..=128).contains(&key_id.len()) || !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Reason::Malformed);
    }
    if amz_date.get(..8) != Some(day) {
        return Err(Reason::Malformed);
    }
    if scope_region != region {
        return Err(Reason::WrongIssuer);
    }
    Ok(())
}

/// Digits only (no sign, no spaces), as `u64`.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
pub(crate) fn parse_amz_date(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| parse_decimal(text.get(range)?);
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Unix seconds as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_amz_date(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`, for years from 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::aws_iam::{AwsCredentials, Presigner};

    const NOW: u64 = 1_796_009_400; // 2026-11-30T03:30:00Z

    fn presigned(endpoint: &str, region: &str, signed_at: u64, token: Option<&str>) -> String {
        let keys = AwsCredentials::new("AKIAIOSFODNN7EXAMPLE", "secret", token.map(str::to_owned));
        Presigner::new(region, "orders-api")
            .endpoint(endpoint)
            .expires_in(Duration::from_secs(600))
            .sign(&keys, UNIX_EPOCH + Duration::from_secs(signed_at))
            .unwrap()
    }

    #[test]
    fn a_presigned_url_passes_and_expires_at_its_date_plus_expires() {
        let endpoint = Url::parse("https://sts.eu-west-1.amazonaws.com/").unwrap();
        let expected = Expected {
            endpoint: &endpoint,
            region: "eu-west-1",
        };
        let credential = presigned(endpoint.as_str(), "eu-west-1", NOW, Some("tok/en+="));
        let checked = parse(&credential, &expected, NOW + 10).unwrap();
        assert_eq!(checked.expires_at, NOW + 600);
        assert!(checked
            .params
            .iter()
            .any(|(k, v)| *k == "X-Amz-Security-Token" && v == "tok/en+="));
        assert_eq!(
            parse(&credential, &expected, NOW + 600).map(|p| p.expires_at),
            Ok(NOW + 600)
        );
        assert_eq!(
            parse(&credential, &expected, NOW + 601).err(),
            Some(Reason::Expired)
        );
        assert_eq!(
            parse(&credential, &expected, NOW - 900).map(|p| p.expires_at),
            Ok(NOW + 600)
        );
        assert_eq!(
            parse(&credential, &expected, NOW - 901).err(),
            Some(Reason::NotYetValid)
        );
        let elsewhere = presigned(
            "https://sts.us-east-1.amazonaws.com/",
            "eu-west-1",
            NOW,
            None,
        );
        assert_eq!(
            parse(&elsewhere, &expected, NOW).err(),
            Some(Reason::WrongIssuer)
        );
        let port = presigned(
            "https://sts.eu-west-1.amazonaws.com:443/",
            "eu-west-1",
            NOW,
            None,
        );
        assert!(
            parse(&port, &expected, NOW).is_ok(),
            "the default port is the same URL"
        );
    }

    #[test]
    fn amz_dates_round_trip() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
        for secs in [0, 951_782_400, 1_440_938_160, 1_709_251_199, 4_102_444_800] {
            assert_eq!(parse_amz_date(&format_amz_date(secs)), Some(secs));
        }
        for bad in [
            "20230229T000000Z",
            "20150830T123600",
            "2015-08-30T12:36Z",
            "20151330T123600Z",
            "20150830T243600Z",
            "+0150830T123600Z",
            "20150830t123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_query_is_an_allowlist_without_repeats() {
        assert!(allowed_params("Action=GetCallerIdentity&Version=2011-06-15").is_ok());
        for bad in [
            "Action=GetCallerIdentity&Action=GetCallerIdentity",
            "Action=GetCallerIdentity&X-Amz-Foo=1",
            "Action=GetCallerIdentity&action=AssumeRole",
            "Action=GetCallerIdentity&",
            "Action=GetCallerIdentity&&Version=2011-06-15",
            "Action=GetCallerIdentity&Version",
            "Action=GetCallerIdentity&=x",
            "Action=GetCallerIdentity&X-Amz-Security-Token=a+b",
        ] {
            assert_eq!(allowed_params(bad).err(), Some(Reason::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_scope_is_the_day_region_and_service() {
        let key = "AKIDEXAMPLE12345";
        let ok = format!("{key}/20150830/us-east-1/sts/aws4_request");
        assert_eq!(check_scope(&ok, "20150830T123600Z", "us-east-1"), Ok(()));
        assert_eq!(
            check_scope(&ok, "20150830T123600Z", "eu-west-1"),
            Err(Reason::WrongIssuer)
        );
        for bad in [
            format!("{key}/20150831/us-east-1/sts/aws4_request"),
            format!("{key}/20150830/us-east-1/iam/aws4_request"),
            format!("{key}/20150830/us-east-1/sts/aws4_request/x"),
            "short/20150830/us-east-1/sts/aws4_request".to_owned(),
            format!("{key}/20150830/us-east-1/sts"),
        ] {
            assert_eq!(
                check_scope(&bad, "20150830T123600Z", "us-east-1"),
                Err(Reason::Malformed),
                "{bad}"
            );
        }
    }
}
