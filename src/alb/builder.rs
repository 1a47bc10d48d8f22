//! [`AlbBuilder`]: the configuration of an [`Alb`], checked by `build()`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::keys::{AlbKeys, KeySettings, MAX_PEM_BYTES};
use super::provider::{Alb, Inner};
use crate::clock::{Clock, SystemClock};
use crate::error::ConfigError;
use crate::fetch::{check_url, Fetcher};

/// The largest leeway accepted, as for [`JwtProvider`](crate::jwt::JwtProvider).
const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Configures an [`Alb`] provider. Created by [`Alb::builder`].
#[must_use]
pub struct AlbBuilder {
    region: String,
    signers: Vec<String>,
    clients: Option<Vec<String>>,
    issuers: Option<Vec<String>>,
    keys_url: Option<String>,
    leeway: Duration,
    http_timeout: Duration,
    not_found_cooldown: Duration,
    failure_interval: Duration,
    groups_claim: Option<String>,
    name: String,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for AlbBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbBuilder")
            .field("region", &self.region)
            .field("signers", &self.signers)
            .field("clients", &self.clients)
            .field("issuers", &self.issuers)
            .field("keys_url", &self.keys_url)
            .finish_non_exhaustive()
    }
}

impl AlbBuilder {
    pub(super) fn new(region: String) -> Self {
        Self {
            region,
            signers: Vec::new(),
            clients: None,
            issuers: None,
            keys_url: None,
            leeway: Duration::from_secs(60),
            http_timeout: Duration::from_secs(5),
            not_found_cooldown: Duration::from_secs(30),
            failure_interval: Duration::from_secs(3),
            groups_claim: None,
            name: "alb".into(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Accepts tokens signed by the load balancer with this ARN (the header's `signer`), e.g.
    /// `arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188`.
    /// Call it once per load balancer; at least one is required.
    pub fn signer(mut self, arn: impl Into<String>) -> Self {
        self.signers.push(arn.into());
        self
    }

    /// Accepts tokens signed by any of these load balancers; see [`signer`](Self::signer).
    pub fn signers(mut self, arns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.signers.extend(arns.into_iter().map(Into::into));
        self
    }

    /// Accepts only tokens whose header `client` (the OIDC client id the ALB signed the user
    /// in with) is one of these. Unchecked by default: the `signer` already names your load
    /// balancer.
    pub fn client_ids(mut self, clients: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.clients = Some(clients.into_iter().map(Into::into).collect());
        self
    }

    /// Accepts only tokens whose header `iss` (the identity provider) is one of these.
    /// Unchecked by default.
    pub fn issuers(mut self, issuers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.issuers = Some(issuers.into_iter().map(Into::into).collect());
        self
    }

    /// Where keys are fetched, as `{keys_url}/{kid}`. Default
    /// `https://public-keys.auth.elb.{region}.amazonaws.com` (the commercial partition; set
    /// it for GovCloud or China if their endpoint differs). Must be https, or plain http on a
    /// loopback host (a local stand-in for tests).
    pub fn keys_url(mut self, url: impl Into<String>) -> Self {
        self.keys_url = Some(url.into());
        self
    }

    /// Clock skew allowed on `exp` and `nbf`. Default 60 s, at most 300 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Timeout of a key fetch. Default 5 s.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// How long a `kid` the key endpoint answered 404 for is refused without asking again.
    /// Default 30 s.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.not_found_cooldown = cooldown;
        self
    }

    /// After a failed key fetch, how long no fetch for another new `kid` starts (those
    /// requests get 503 with `Retry-After`). Default 3 s.
    pub fn failure_interval(mut self, interval: Duration) -> Self {
        self.failure_interval = interval;
        self
    }

    /// The claim the principal's groups are read from. Default `cognito:groups` when present,
    /// else `groups`.
    pub fn groups_claim(mut self, claim: impl Into<String>) -> Self {
        self.groups_claim = Some(claim.into());
        self
    }

    /// The provider's name in principals and traces. Default `alb`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The clock `exp` and the cooldowns are read on (tests use a
    /// [`ManualClock`](crate::clock::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the configuration. Fetches nothing: each key is fetched when a token first
    /// names it.
    ///
    /// # Errors
    /// A region that is not an AWS region name; no signer; a signer that is not an Elastic
    /// Load Balancing ARN, or is in another region; an empty client or issuer list; a keys
    /// URL that is not https (or http on loopback), or carries a query or fragment; a leeway
    /// over 300 s; a zero timeout.
    pub fn build(self) -> Result<Alb, ConfigError> {
        if !is_region(&self.region) {
            return Err(ConfigError::Invalid(format!(
                "ALB region `{}` is not an AWS region name like eu-west-1",
                self.region
            )));
        }
        if self.signers.is_empty() {
            return Err(ConfigError::Missing(
                "no ALB signer: add the ARN of each load balancer whose tokens you accept with .signer(\"arn:aws:elasticloadbalancing:…\")",
            ));
        }
        for arn in &self.signers {
            check_signer(arn, &self.region)?;
        }
        if self.clients.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::Invalid(
                "client_ids(…) was given an empty list, which would refuse every token; leave it out to accept any client of your load balancers".into(),
            ));
        }
        if self.issuers.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::Invalid(
                "issuers(…) was given an empty list, which would refuse every token; leave it out to accept any issuer your load balancers use".into(),
            ));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::Invalid(format!(
                "leeway of {:?} is too large: at most {MAX_LEEWAY:?} is accepted; fix the clocks instead",
                self.leeway
            )));
        }
        if self.http_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "http_timeout must be greater than zero".into(),
            ));
        }
        let base = match self.keys_url {
            Some(url) => {
                let parsed = check_url(&url, "ALB keys URL", false)?;
                if parsed.query().is_some() || parsed.fragment().is_some() {
                    return Err(ConfigError::Invalid(format!(
                        "ALB keys URL `{url}` has a query or fragment; the key id is appended as a path segment"
                    )));
                }
                url.trim_end_matches('/').to_owned()
            }
            None => format!("https://public-keys.auth.elb.{}.amazonaws.com", self.region),
        };
        let fetcher = Fetcher::without_redirects(self.http_timeout, MAX_PEM_BYTES)?;
        let keys = AlbKeys::new(
            base,
            fetcher,
            Arc::clone(&self.clock),
            KeySettings {
                not_found_cooldown: self.not_found_cooldown,
                failure_interval: self.failure_interval,
            },
        );
        Ok(Alb {
            inner: Arc::new(Inner {
                name: self.name.into(),
                region: self.region,
                signers: self.signers,
                clients: self.clients,
                issuers: self.issuers,
                leeway: self.leeway.as_secs(),
                groups_claim: self.groups_claim,
                clock: self.clock,
                keys: Arc::new(keys),
            }),
        })
    }
}

/// `xx-name-N` (also `us-gov-west-1`, `eu-central-2`…): lowercase words and a final number.
fn is_region(region: &str) -> bool {
    let mut parts = region.split('-');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return false;
    };
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}`.
fn check_signer(arn: &str, region: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| {
        ConfigError::Invalid(format!(
            "ALB signer `{arn}` {why}; expected arn:aws:elasticloadbalancing:{region}:123456789012:loadbalancer/app/NAME/ID"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, arn_region, account, resource] = parts[..] else {
        return Err(invalid("is not an ARN"));
    };
    if prefix != "arn" || !partition.starts_with("aws") {
        return Err(invalid("is not an ARN"));
    }
    if service != "elasticloadbalancing" {
        return Err(invalid("is not an Elastic Load Balancing ARN"));
    }
    if arn_region != region {
        return Err(invalid(&format!(
            "is in region `{arn_region}`, not the configured `{region}` (keys are fetched from the configured region's endpoint; use one Alb per region)"
        )));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("does not have a 12-digit account id"));
    }
    let segments: Vec<&str> = resource.split('/').collect();
    if !matches!(segments[..], ["loadbalancer", "app", name, id] if !name.is_empty() && !id.is_empty())
    {
        return Err(invalid(
            "is not an Application Load Balancer (loadbalancer/app/NAME/ID)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::CredentialSource;
    use crate::Provider;

    const ARN: &str =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

    fn error(builder: AlbBuilder) -> String {
        builder
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_valid_configuration_builds_with_the_regional_key_url() {
        let alb = Alb::builder("eu-west-1").signer(ARN).build().unwrap();
        assert_eq!(
            alb.keys_url(),
            "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
        );
        assert_eq!(alb.name(), "alb");
        assert_eq!(alb.default_sources(), vec![CredentialSource::AlbOidcData]);
        let alb = Alb::builder("us-gov-west-1")
            .signer("arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/b")
            .keys_url("http://127.0.0.1:9/keys/")
            .build()
            .unwrap();
        assert_eq!(alb.keys_url(), "http://127.0.0.1:9/keys");
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let base = || Alb::builder("eu-west-1").signer(ARN);
        for (builder, expected) in [
            (Alb::builder("eu-west-1"), "no ALB signer"),
            (
                Alb::builder("eu-west-1").signers(Vec::<String>::new()),
                "no ALB signer",
            ),
            (Alb::builder("Europe").signer(ARN), "not an AWS region"),
            (Alb::builder("eu-west-1/x").signer(ARN), "not an AWS region"),
            (
                Alb::builder("us-east-1").signer(ARN),
                "is in region `eu-west-1`, not the configured `us-east-1`",
            ),
            (
                Alb::builder("eu-west-1").signer("arn:aws:iam::123456789012:role/x"),
                "not an Elastic Load Balancing ARN",
            ),
            (Alb::builder("eu-west-1").signer("my-alb"), "is not an ARN"),
            (
                Alb::builder("eu-west-1").signer(
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/n/1",
                ),
                "not an Application Load Balancer",
            ),
            (
                Alb::builder("eu-west-1")
                    .signer("arn:aws:elasticloadbalancing:eu-west-1:1234:loadbalancer/app/a/1"),
                "12-digit account id",
            ),
            (
                base().client_ids(Vec::<String>::new()),
                "client_ids(…) was given an empty list",
            ),
            (
                base().issuers(Vec::<String>::new()),
                "issuers(…) was given an empty list",
            ),
            (base().keys_url("http://keys.example"), "uses plain http"),
            (
                base().keys_url("https://k.example/?x=1"),
                "query or fragment",
            ),
            (base().leeway(Duration::from_secs(301)), "leeway"),
            (base().http_timeout(Duration::ZERO), "http_timeout"),
        ] {
            let e = error(builder);
            assert!(e.contains(expected), "{e:?} should say {expected:?}");
        }
    }
}
