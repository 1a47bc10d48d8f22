//! The client side: [`Presigner`] makes a `tollgate-aws-v1.` credential from AWS credentials,
//! signing a GetCallerIdentity URL with SigV4 query authentication (hand-written over aws-lc-rs
//! HMAC-SHA256 and SHA-256).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use url::Url;

use super::credential::{format_amz_date, MAX_EXPIRES_SECS, PREFIX, SIGNED_HEADERS};
use super::provider::{default_endpoint, SERVER_ID_HEADER};
use crate::error::ConfigError;

/// The hash of an empty payload: what botocore signs for a presigned STS GET (it sends
/// `UNSIGNED-PAYLOAD` only for S3), and so what STS expects.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// AWS credentials: an access key and, for temporary credentials (an assumed role, an instance
/// profile, SSO), its session token. `Debug` shows the access key id only.
#[derive(Clone)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl AwsCredentials {
    /// Long-term or temporary credentials; `session_token` is `None` for an IAM user's key.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
        }
    }
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// Makes credentials for one server: its region, its id (the audience) and, for tests, its STS
/// endpoint.
///
/// ```
/// use std::time::SystemTime;
/// use tollgate::aws_iam::{AwsCredentials, Presigner};
///
/// let keys = AwsCredentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None);
/// let credential = Presigner::new("eu-west-1", "orders-api").sign(&keys, SystemTime::now())?;
/// assert!(credential.starts_with("tollgate-aws-v1."));
/// // send it as `Authorization: Bearer {credential}`
/// # Ok::<(), tollgate::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Presigner {
    region: String,
    server_id: String,
    endpoint: Option<String>,
    expires_in: Duration,
}

impl Presigner {
    /// For the server configured with `region` and `server_id`; the credential is valid for
    /// 15 minutes by default.
    pub fn new(region: impl Into<String>, server_id: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            server_id: server_id.into(),
            endpoint: None,
            expires_in: Duration::from_secs(MAX_EXPIRES_SECS),
        }
    }

    /// The STS endpoint the server replays to, when it is not the regional
    /// `https://sts.{region}.amazonaws.com/` (it must be the server's exactly).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// How long the credential stays valid (`X-Amz-Expires`, whole seconds, 1 s to 15 min).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = expires_in;
        self
    }

    /// The credential, signed by `credentials` as of `at`.
    ///
    /// # Errors
    /// An endpoint that is not an absolute URL, a validity outside 1 s to 15 min, an empty
    /// server id, or a time before 1970.
    pub fn sign(
        &self,
        credentials: &AwsCredentials,
        at: SystemTime,
    ) -> Result<String, ConfigError> {
        let endpoint = match &self.endpoint {
            Some(url) => Url::parse(url)
                .map_err(|e| ConfigError::Invalid(format!("STS endpoint {url:?}: {e}")))?,
            None => default_endpoint(&self.region)?,
        };
        let expires = self.expires_in.as_secs();
        if expires == 0 || expires > MAX_EXPIRES_SECS {
            return Err(ConfigError::Invalid(format!(
                "expires_in must be between 1 s and {MAX_EXPIRES_SECS} s"
            )));
        }
        if self.server_id.is_empty() {
            return Err(ConfigError::Missing("the server id is empty"));
        }
        let secs = at
            .duration_since(UNIX_EPOCH)
            .map_err(|_| ConfigError::Invalid("a signing time before 1970".into()))?
            .as_secs();
        let amz_date = format_amz_date(secs);
        let day = amz_date.get(..8).unwrap_or_default();
        let scope = format!("{day}/{}/sts/aws4_request", self.region);
        let mut params = vec![
            ("Action", "GetCallerIdentity".to_owned()),
            ("Version", "2011-06-15".to_owned()),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            (
                "X-Amz-Credential",
                format!("{}/{scope}", credentials.access_key_id),
            ),
            ("X-Amz-Date", amz_date.clone()),
            ("X-Amz-Expires", expires.to_string()),
            ("X-Amz-SignedHeaders", SIGNED_HEADERS.to_owned()),
        ];
        if let Some(token) = &credentials.session_token {
            params.push(("X-Amz-Security-Token", token.clone()));
        }
        let query = canonical_query(&params);
        let host = match endpoint.port() {
            Some(port) => format!("{}:{port}", endpoint.host_str().unwrap_or_default()),
            None => endpoint.host_str().unwrap_or_default().to_owned(),
        };
        let canonical_request = format!(
            "GET\n{}\n{query}\nhost:{host}\n{SERVER_ID_HEADER}:{}\n\n{SIGNED_HEADERS}\n{EMPTY_SHA256}",
            endpoint.path(),
            self.server_id.trim()
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(digest::digest(&digest::SHA256, canonical_request.as_bytes()).as_ref())
        );
        let mut key = hmac_sha256(
            format!("AWS4{}", credentials.secret_access_key).as_bytes(),
            day.as_bytes(),
        );
        for part in [self.region.as_str(), "sts", "aws4_request", &string_to_sign] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        let url = format!("{endpoint}?{query}&X-Amz-Signature={}", hex(&key));
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(url)))
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4's canonical query: names and values percent-encoded except `A-Za-z0-9-_.~`, sorted.
pub(crate) fn canonical_query(params: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produced with botocore 1.44.8 in `.interop/venv`:
    ///
    /// ```text
    /// from botocore.auth import SigV4QueryAuth; from botocore.awsrequest import AWSRequest
    /// from botocore.credentials import Credentials; import datetime, unittest.mock as m
    /// r = AWSRequest("GET", "https://sts.eu-west-1.amazonaws.com/",
    ///     params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    ///     headers={"x-tollgate-server-id": "orders-api"})
    /// with m.patch("botocore.auth.get_current_datetime",
    ///              return_value=datetime.datetime(2026, 11, 30, 3, 30, 0)):
    ///     SigV4QueryAuth(Credentials("AKIAIOSFODNN7EXAMPLE",
    ///         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", TOKEN), "sts", "eu-west-1", 900).add_auth(r)
    /// print(r.url)  # TOKEN: None, then "IQoJb3JpZ2luX2VjE/a+b="
    /// ```
    const BOTOCORE_SIGNATURE: &str =
        "3257146964576cbe8369dfffc89a3072edd0c56f006891514e8d46ccd3f5bebc";
    const BOTOCORE_SIGNATURE_WITH_TOKEN: &str =
        "9c4fdb36b7a14cebe5714d55dbf5098734445c2d531ba346fb21c0cc5fb322df";

    fn signature(credential: &str) -> String {
        let raw = URL_SAFE_NO_PAD
            .decode(credential.strip_prefix(PREFIX).unwrap())
            .unwrap();
        let url = String::from_utf8(raw).unwrap();
        url.rsplit_once("X-Amz-Signature=").unwrap().1.to_owned()
    }

    #[test]
    fn matches_botocores_presigned_url() {
        let at = UNIX_EPOCH + Duration::from_secs(1_796_009_400); // 2026-11-30T03:30:00Z
        let presigner = Presigner::new("eu-west-1", "orders-api");
        let keys = |token: Option<&str>| {
            AwsCredentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                token.map(str::to_owned),
            )
        };
        let plain = presigner.sign(&keys(None), at).unwrap();
        assert_eq!(signature(&plain), BOTOCORE_SIGNATURE);
        let with_token = presigner
            .sign(&keys(Some("IQoJb3JpZ2luX2VjE/a+b=")), at)
            .unwrap();
        assert_eq!(signature(&with_token), BOTOCORE_SIGNATURE_WITH_TOKEN);
    }

    #[test]
    fn debug_hides_the_secret() {
        let keys = AwsCredentials::new("AKID", "secret-value", Some("token-value".into()));
        let shown = format!("{keys:?}");
        assert!(
            shown.contains("AKID")
                && !shown.contains("secret-value")
                && !shown.contains("token-value")
        );
    }
}
