//! [`AwsIam`], the [`Provider`] that asks STS who signed a presigned GetCallerIdentity
//! credential, its builder, and its cache of answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use url::{Host, Url};

use super::credential::{parse, Expected, Presigned};
use super::guard::ArnPattern;
use super::identity::{caller_from_json, claims, identity};
use super::presign::canonical_query;
use crate::answer_cache::{key_of, AnswerCache, Key};
use crate::clock::{unix_millis, Clock, SystemClock};
use crate::credential::{Credential, CredentialKind};
use crate::error::{AuthError, ConfigError, Reason};
use crate::fetch::Fetcher;
use crate::principal::Principal;
use crate::provider::{BoxFuture, Provider};

/// The header carrying the server id, signed by the client and sent by the server to STS.
pub(crate) const SERVER_ID_HEADER: &str = "x-tollgate-server-id";

/// The largest STS answer read; GetCallerIdentity's is a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What a 503 asks the client to wait before retrying.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// `https://sts.{region}.amazonaws.com/`.
pub(crate) fn default_endpoint(region: &str) -> Result<Url, ConfigError> {
    if region.is_empty()
        || region.len() > 32
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ConfigError::Invalid(format!(
            "AWS region {region:?} is not a region name like eu-west-1"
        )));
    }
    Url::parse(&format!("https://sts.{region}.amazonaws.com/"))
        .map_err(|e| ConfigError::Invalid(format!("AWS region {region:?}: {e}")))
}

/// Configures [`AwsIam`]. Created by [`AwsIam::builder`].
#[must_use]
pub struct AwsIamBuilder {
    name: String,
    region: String,
    server_id: String,
    endpoint: Option<String>,
    timeout: Duration,
    allowed_arns: Option<Vec<ArnPattern>>,
    allowed_accounts: Option<Vec<String>>,
    clock: Arc<dyn Clock>,
    max_cached: usize,
}

impl fmt::Debug for AwsIamBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsIamBuilder")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("server_id", &self.server_id)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("allowed_arns", &self.allowed_arns)
            .field("allowed_accounts", &self.allowed_accounts)
            .field("max_cached", &self.max_cached)
            .finish_non_exhaustive()
    }
}

impl AwsIamBuilder {
    /// The name recorded in each principal (default `"aws-iam"`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The STS endpoint credentials must name and are replayed to, instead of the regional
    /// `https://sts.{region}.amazonaws.com/`: e.g. a VPC endpoint's DNS name, a FIPS endpoint,
    /// or a local stand-in in tests. `https` only, except `http` on a loopback address.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// How long one STS call may take, connection included (default 3 s, at most 60 s); past
    /// it the request gets 503.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Accepts only callers whose ARN (or, for an assumed role, role ARN) matches one of
    /// `patterns` (`*` matches any run of characters); anyone else STS vouches for gets 403
    /// with [`Reason::Denied`]: the caller is authenticated, but not let in. Default: any
    /// caller.
    pub fn allowed_arns<P: Into<ArnPattern>>(
        mut self,
        patterns: impl IntoIterator<Item = P>,
    ) -> Self {
        self.allowed_arns = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// Accepts only callers of these AWS accounts (12 digits each); others get 403 as with
    /// [`allowed_arns`](Self::allowed_arns). Default: any account.
    pub fn allowed_accounts<S: Into<String>>(
        mut self,
        accounts: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allowed_accounts = Some(accounts.into_iter().map(Into::into).collect());
        self
    }

    /// The clock for credential validity and cache expiry (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How many credentials' answers are kept (default 10 000); when full, expired answers
    /// are dropped first, then any.
    pub fn max_cached(mut self, max_cached: usize) -> Self {
        self.max_cached = max_cached;
        self
    }

    /// Checks the configuration. Nothing is fetched.
    ///
    /// # Errors
    /// An invalid region, an empty or non-ASCII server id, an endpoint that is not a plain
    /// `https` URL (or `http` on loopback) with a path and nothing else, a zero or over-long
    /// timeout, an account that is not 12 digits, an empty allowlist, or an HTTP client that
    /// cannot be built.
    pub fn build(self) -> Result<AwsIam, ConfigError> {
        let region_endpoint = default_endpoint(&self.region)?;
        let server_id = self.server_id.trim();
        let server_id_value = HeaderValue::from_str(server_id)
            .ok()
            .filter(|_| !server_id.is_empty() && server_id.len() <= 256 && server_id.is_ascii())
            .ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "server id {:?} must be 1 to 256 visible ASCII characters",
                    self.server_id
                ))
            })?;
        let endpoint = match &self.endpoint {
            Some(raw) => checked_endpoint(raw)?,
            None => region_endpoint,
        };
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(60) {
            return Err(ConfigError::Invalid(
                "the STS timeout must be between 1 ms and 60 s".into(),
            ));
        }
        if let Some(accounts) = &self.allowed_accounts {
            if let Some(bad) = accounts
                .iter()
                .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(ConfigError::Invalid(format!(
                    "AWS account {bad:?} is not 12 digits"
                )));
            }
        }
        if self.allowed_arns.as_ref().is_some_and(Vec::is_empty)
            || self.allowed_accounts.as_ref().is_some_and(Vec::is_empty)
        {
            return Err(ConfigError::Invalid(
                "an empty allowlist would refuse every caller; leave it unset to allow any".into(),
            ));
        }
        let client = Fetcher::without_redirects(self.timeout, MAX_ANSWER_BYTES)?;
        Ok(AwsIam {
            inner: Arc::new(Inner {
                name: self.name.into(),
                region: self.region,
                server_id: server_id_value,
                issuer: endpoint.to_string(),
                endpoint,
                client,
                allowed_arns: self.allowed_arns,
                allowed_accounts: self.allowed_accounts,
                clock: self.clock,
                cache: AnswerCache::new(self.max_cached),
            }),
        })
    }
}

fn checked_endpoint(raw: &str) -> Result<Url, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid(format!("STS endpoint {raw:?}: {why}"));
    let url = Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(invalid("plain http is allowed on loopback addresses only")),
        _ => return Err(invalid("not an https URL")),
    }
    if url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid(
            "give a scheme, host, optional port and path, nothing else",
        ));
    }
    Ok(url)
}

/// Verifies presigned `sts:GetCallerIdentity` credentials by replaying them to AWS STS; see
/// the [module docs](super). Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct AwsIam {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    region: String,
    server_id: HeaderValue,
    endpoint: Url,
    issuer: String,
    client: Fetcher,
    allowed_arns: Option<Vec<ArnPattern>>,
    allowed_accounts: Option<Vec<String>>,
    clock: Arc<dyn Clock>,
    cache: AnswerCache<Outcome>,
}

impl fmt::Debug for AwsIam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsIam")
            .field("name", &self.inner.name)
            .field("region", &self.inner.region)
            .field("server_id", &self.inner.server_id)
            .field("endpoint", &self.inner.issuer)
            .field("allowed_arns", &self.inner.allowed_arns)
            .field("allowed_accounts", &self.inner.allowed_accounts)
            .field("cached", &self.inner.cache.len())
            .finish()
    }
}

type Outcome = Result<Principal, AuthError>;

/// What to do with a credential that has no settled answer.
enum Next {
    Done(Outcome),
    Replay(Key, Presigned),
}

impl AwsIam {
    /// Starts a provider for servers in `region` identified by `server_id`: the audience
    /// clients sign into their credential (header `x-tollgate-server-id`).
    pub fn builder(region: impl Into<String>, server_id: impl Into<String>) -> AwsIamBuilder {
        AwsIamBuilder {
            name: "aws-iam".into(),
            region: region.into(),
            server_id: server_id.into(),
            endpoint: None,
            timeout: Duration::from_secs(3),
            allowed_arns: None,
            allowed_accounts: None,
            clock: Arc::new(SystemClock),
            max_cached: 10_000,
        }
    }

    /// The STS endpoint credentials must name, which is also every principal's issuer.
    pub fn endpoint(&self) -> &str {
        &self.inner.issuer
    }

    /// Verifies a `tollgate-aws-v1.` credential (the bearer token without `Bearer `).
    ///
    /// # Errors
    /// As [`Provider::authenticate`]: 401 for a credential refused locally or by STS, 403 for
    /// a caller outside the allowlists, 503 when STS gives no answer.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        match self.inner.next(token) {
            Next::Done(outcome) => self.inner.admit(outcome),
            Next::Replay(key, presigned) => {
                let outcome = self.inner.replay_once(key, presigned).await;
                self.inner.admit(outcome)
            }
        }
    }

    /// How many credentials' answers the cache holds (settled or in flight).
    pub fn cached_count(&self) -> usize {
        self.inner.cache.len()
    }
}

impl Inner {
    fn now(&self) -> u64 {
        unix_millis(self.clock.now()) / 1000
    }

    /// A settled answer, a local refusal, or the checked credential to replay.
    fn next(&self, token: &str) -> Next {
        let now = self.now();
        let key = key_of(token);
        if let Some(outcome) = self.cache.get(&key, now) {
            return Next::Done(outcome);
        }
        let expected = Expected {
            endpoint: &self.endpoint,
            region: &self.region,
        };
        match parse(token, &expected, now) {
            Ok(presigned) => Next::Replay(key, presigned),
            Err(reason) => {
                tracing::debug!(target: "tollgate::aws_iam", ?reason, "credential refused before any STS call");
                Next::Done(Err(AuthError::invalid_token(reason)))
            }
        }
    }

    /// Replays the credential, sharing one STS call between concurrent uses of it, and keeps
    /// the answer unless STS gave none: until the credential expires (it is valid through its
    /// last second).
    async fn replay_once(&self, key: Key, presigned: Presigned) -> Outcome {
        let Some(flight) = self.cache.join(key, self.now()) else {
            return self.replay(&presigned).await;
        };
        let call = async {
            let outcome = self.replay(&presigned).await;
            let settles = !matches!(&outcome, Err(e) if e.reason() == Reason::StsUnavailable);
            let until = settles.then_some(presigned.expires_at.saturating_add(1));
            (outcome, until)
        };
        let (outcome, until) = flight.answer(call).await;
        self.cache.settle(key, &flight, &outcome, until);
        outcome
    }

    /// One GetCallerIdentity call: the configured endpoint with the checked query, `GET`, this
    /// server's id and `Accept: application/json`; redirects are not followed.
    async fn replay(&self, presigned: &Presigned) -> Outcome {
        let mut url = self.endpoint.clone();
        url.set_query(Some(&canonical_query(&presigned.params)));
        let sent = self
            .client
            .client()
            .get(url)
            .header(SERVER_ID_HEADER, self.server_id.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await;
        let unavailable = |why: &str| {
            tracing::warn!(target: "tollgate::aws_iam", why, "STS gave no usable answer");
            Err(AuthError::unavailable_because(
                Reason::StsUnavailable,
                RETRY_AFTER,
            ))
        };
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return unavailable("timed out"),
            Err(_) => return unavailable("request failed"),
        };
        let status = response.status().as_u16();
        let Ok(body) = self.client.read_body(response).await else {
            return unavailable("answer unreadable or too large");
        };
        match status {
            200 => self.principal(&body, presigned.expires_at).map_or_else(
                || unavailable("answer is not a GetCallerIdentity result"),
                Ok,
            ),
            // STS throttles with 400 `Throttling`: not the credential's fault.
            400 | 401 | 403 if !contains(&body, b"Throttl") => {
                tracing::debug!(target: "tollgate::aws_iam", status, "STS refused the credential");
                Err(AuthError::invalid_token(Reason::BadSignature))
            }
            _ => unavailable("unexpected status"),
        }
    }

    fn principal(&self, body: &[u8], expires_at: u64) -> Option<Principal> {
        let caller = caller_from_json(body)?;
        let identity = identity(&caller)?;
        Some(
            Principal::builder(self.name.clone())
                .subject(caller.arn.clone())
                .issuer(self.issuer.clone())
                .expires_at(expires_at)
                .claims(claims(&caller, &identity))
                .build(),
        )
    }

    /// The allowlists, applied to every answer, cached or not.
    fn admit(&self, outcome: Outcome) -> Outcome {
        let principal = outcome?;
        let account_ok = self.allowed_accounts.as_ref().is_none_or(|accounts| {
            principal
                .claim("account")
                .and_then(|v| v.as_str())
                .is_some_and(|a| accounts.iter().any(|allowed| allowed == a))
        });
        let arn_ok = self
            .allowed_arns
            .as_ref()
            .is_none_or(|patterns| patterns.iter().any(|p| p.matches_principal(&principal)));
        if account_ok && arn_ok {
            Ok(principal)
        } else {
            tracing::debug!(target: "tollgate::aws_iam", "caller outside the allowlists");
            Err(AuthError::forbidden())
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl Provider for AwsIam {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn authenticate(&self, credential: Credential) -> BoxFuture<'_, Result<Principal, AuthError>> {
        Box::pin(async move {
            self.verify(credential.token_of(CredentialKind::Bearer)?)
                .await
        })
    }

    fn try_authenticate(&self, credential: &Credential) -> Option<Result<Principal, AuthError>> {
        let token = match credential.token_of(CredentialKind::Bearer) {
            Ok(token) => token,
            Err(error) => return Some(Err(error)),
        };
        match self.inner.next(token) {
            Next::Done(outcome) => Some(self.inner.admit(outcome)),
            Next::Replay(..) => None,
        }
    }
}
