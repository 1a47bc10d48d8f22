//! AWS IAM callers, without a shared secret: [`AwsIam`], a [`Provider`](crate::Provider) for
//! presigned `sts:GetCallerIdentity` credentials (the construction of Vault's AWS auth method
//! and aws-iam-authenticator).
//!
//! A workload holding AWS credentials (an IAM user's key, or a role's temporary credentials
//! on EC2, ECS, Lambda, EKS…) signs, without sending it, a request to STS asking "who am I?",
//! and sends that signed URL to the service. The service cannot check a SigV4 signature itself
//! (it does not know the caller's secret), so it replays the request to STS, which checks the
//! signature and answers with the caller's ARN. STS is the verifier; the service learns who
//! called without ever holding a secret of the caller's.
//!
//! # The credential
//! `tollgate-aws-v1.` followed by the unpadded base64url of a presigned (query-string SigV4)
//! URL, sent as `Authorization: Bearer <credential>`:
//!
//! ```text
//! https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15
//!   &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={AKID}/{YYYYMMDD}/{region}/sts/aws4_request
//!   &X-Amz-Date={YYYYMMDDTHHMMSSZ}&X-Amz-Expires={1..900}
//!   &X-Amz-SignedHeaders=host;x-tollgate-server-id
//!   [&X-Amz-Security-Token={session token}]&X-Amz-Signature={64 hex}
//! ```
//!
//! The signature covers the header `x-tollgate-server-id`, whose value is the id of the server
//! the credential is for (its audience). [`Presigner`] makes such credentials in Rust; any
//! SigV4 presigner can, see [Clients](#clients).
//!
//! # Server
//! ```
//! # fn run() -> Result<(), tollgate::ConfigError> {
//! use tollgate::aws_iam::{arn_matches, AwsIam};
//! use tollgate::{AuthLayer, GuardLayer};
//!
//! // Default: the regional endpoint https://sts.eu-west-1.amazonaws.com/, any caller STS
//! // vouches for.
//! let iam = AwsIam::builder("eu-west-1", "orders-api").build()?;
//! let layer = AuthLayer::new(iam);
//!
//! // Customised: callers of one account only, admins guarded per route.
//! let iam = AwsIam::builder("eu-west-1", "orders-api")
//!     .allowed_accounts(["123456789012"])
//!     .allowed_arns(["arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:user/ops/*"])
//!     .timeout(std::time::Duration::from_secs(2))
//!     .build()?;
//! let admins = GuardLayer::new(arn_matches(["arn:aws:iam::123456789012:role/Admin*"]));
//! # let _ = (layer, iam, admins); Ok(()) }
//! ```
//!
//! To take these credentials next to JWTs or API keys behind one layer, add the provider with
//! [`ProvidersBuilder::aws_iam`](crate::providers::ProvidersBuilder::aws_iam): a bearer token
//! starting with `tollgate-aws-v1.` goes to it.
//!
//! # The principal
//! - [`subject`](crate::Principal::subject): the caller's ARN as STS gives it, e.g.
//!   `arn:aws:iam::123456789012:user/alice` or
//!   `arn:aws:sts::123456789012:assumed-role/Deploy/i-0abc`;
//! - [`issuer`](crate::Principal::issuer): the STS endpoint;
//!   [`provider`](crate::Principal::provider): `aws-iam` (see [`AwsIamBuilder::name`]);
//! - [`expires_at`](crate::Principal::expires_at): when the presigned credential stops being
//!   valid (`X-Amz-Date` + `X-Amz-Expires`), not when the caller's AWS credentials expire;
//! - claims: `arn`, `account`, `user_id` (STS's `UserId`: the unique id, or for a role
//!   `ROLEID:session`), `principal_type` (`user`, `assumed-role`, `root` or `federated-user`),
//!   and for an assumed role `role_name`, `session_name` and `role_arn`
//!   (`arn:{partition}:iam::{account}:role/{role_name}`). GetCallerIdentity does not give the
//!   role's path, so `role_arn` has none: a role created as `/team/Deploy` yields
//!   `…:role/Deploy`. Write ARN patterns for roles without the path.
//!
//! # What is checked, and the attack each check blocks
//! Before anything is sent (each refusal is a 401 `invalid_token` with no network call, so a
//! forged credential costs the service nothing and cannot steer its requests):
//! - **the prefix, a size limit of [`MAX_CREDENTIAL_LEN`] bytes, and strict unpadded
//!   base64url**: no work on junk, and one spelling per credential (the cache key is the
//!   credential);
//! - **the URL's scheme, host, port and path are exactly the configured endpoint's**, with no
//!   userinfo and no fragment: the credential cannot point the server at a host of the
//!   attacker's choosing (which would answer "you are the admin role") or make it a proxy for
//!   requests to internal addresses (SSRF). The server never sends anything to the URL's host
//!   anyway: it rebuilds the URL from its configured endpoint and the checked query. Another
//!   endpoint (a VPC endpoint, a test stand-in) must be configured with
//!   [`AwsIamBuilder::sts_endpoint`];
//! - **the query is an allowlist** (`Action`, `Version`, the `X-Amz-*` SigV4 parameters),
//!   each parameter at most once, with `Action=GetCallerIdentity`, `Version=2011-06-15` and
//!   `X-Amz-Algorithm=AWS4-HMAC-SHA256`: a credential presigned for another action (e.g. an
//!   `sts:AssumeRole` or any other call the signer may make) cannot be replayed through the
//!   server, and a duplicate parameter cannot be read one way here and another way by STS;
//! - **the signed headers are exactly `host;x-tollgate-server-id`**: the audience must be
//!   signed (else a credential made for one service works at all of them), and no other
//!   header may be signed, since the server sends only those two and would fail STS's check
//!   (a signed `authorization` or `x-amz-*` header is also how the Project Zero attacks changed
//!   STS's answer);
//! - **`X-Amz-Credential`'s scope is `{AKID}/{day}/{region}/sts/aws4_request`** with the
//!   configured region and the day of `X-Amz-Date`;
//! - **time**: `X-Amz-Expires` from 1 to [`MAX_EXPIRES_SECS`] (900 s), `X-Amz-Date` at most
//!   [`MAX_FUTURE_SECS`] (15 min) ahead of the server's clock, and the credential not expired
//!   (`X-Amz-Date` + `X-Amz-Expires` ≥ now): a stolen credential is useful for 15 minutes at
//!   most, and a credential cannot be dated ahead to last longer. The clock is injectable
//!   ([`AwsIamBuilder::clock`]).
//!
//! Then the replay: `GET` of the configured endpoint with the checked query, the header
//! `x-tollgate-server-id: {configured id}` and `Accept: application/json`, no redirects
//! followed, within [`AwsIamBuilder::timeout`] (default 3 s). The server always sends its
//! **own** id, so a credential signed for another server fails STS's signature check: a
//! service that receives a credential cannot reuse it at another service. JSON is forced and
//! only `GetCallerIdentityResponse.GetCallerIdentityResult.{Arn,Account,UserId}` is read, so
//! an answer cannot be confused by XML tricks (Project Zero's finding against Vault), and the
//! ARN must have one of the shapes GetCallerIdentity gives and name the answering account.
//!
//! STS's answer decides: 200 with that JSON gives the principal; 400, 401 or 403 (signature
//! mismatch, expired, invalid token) gives 401 `invalid_token`; anything else (5xx,
//! throttling, a transport error, a timeout, a 200 that is not that JSON) gives 503 with
//! `Retry-After` (never a 500: the client did nothing wrong, and retrying may work).
//!
//! [`allowed_accounts`](AwsIamBuilder::allowed_accounts) and
//! [`allowed_arns`](AwsIamBuilder::allowed_arns) refuse anyone else with **403**
//! ([`Reason::Denied`](crate::error::Reason::Denied)): STS authenticated the caller, so
//! another credential would not help, and 401 would invite retrying with one.
//!
//! # Cache and single flight
//! Answers are kept by the SHA-256 of the credential (never the credential itself) until the
//! credential expires, so a credential costs at most one STS call over its life, and a repeat
//! is answered synchronously ([`Provider::try_authenticate`](crate::Provider::try_authenticate)).
//! Concurrent first uses of one credential share one STS call. STS's refusals are kept too
//! (the same credential will be refused again); failures to get an answer (503) never are.
//! The cache holds at most [`AwsIamBuilder::max_cached`] entries, dropping expired ones first.
//! The allowlists are applied to every answer, cached or not.
//!
//! # Clients
//! **Rust, with this crate** ([`Presigner`], SigV4 written out over aws-lc-rs):
//!
//! ```
//! # fn run() -> Result<(), tollgate::ConfigError> {
//! use std::time::SystemTime;
//! use tollgate::aws_iam::{AwsCredentials, Presigner};
//!
//! let keys = AwsCredentials::new("AKIA…", "secret…", None); // or Some(session_token)
//! let credential = Presigner::new("eu-west-1", "orders-api").sign(&keys, SystemTime::now())?;
//! // reqwest::Client::new().get(url).bearer_auth(&credential)
//! # Ok(()) }
//! ```
//!
//! **Rust, with the AWS SDK** (`aws-sigv4`'s `http_request::sign`, not compiled here since
//! tollgate does not depend on it): build a `SignableRequest` for `GET
//! https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15` with the
//! single header `x-tollgate-server-id: {server id}` and `SignableBody::Bytes(&[])` (the
//! empty-payload hash STS expects, not `UnsignedPayload`); sign it with `SigningSettings`
//! whose `signature_location` is `SignatureLocation::QueryParams` and `expires_in` is
//! `Some(Duration::from_secs(900))`, for service `sts` and the region, with the credentials
//! from `aws-config` (a session token goes into the query as `X-Amz-Security-Token`); apply
//! the signing instructions to the URL; then send `tollgate-aws-v1.` + unpadded base64url of
//! that URL. Sign no other header. This path is described, not tested: the tests check
//! [`Presigner`] and botocore.
//!
//! **Python, with boto3/botocore**:
//!
//! ```text
//! import base64, boto3
//! from botocore.auth import SigV4QueryAuth
//! from botocore.awsrequest import AWSRequest
//!
//! creds = boto3.Session().get_credentials().get_frozen_credentials()
//! request = AWSRequest("GET", "https://sts.eu-west-1.amazonaws.com/",
//!     params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
//!     headers={"x-tollgate-server-id": "orders-api"})
//! SigV4QueryAuth(creds, "sts", "eu-west-1", expires=900).add_auth(request)
//! token = "tollgate-aws-v1." + base64.urlsafe_b64encode(request.url.encode()).decode().rstrip("=")
//! ```

mod credential;
mod guard;
mod identity;
mod presign;
mod provider;

pub use credential::{MAX_CREDENTIAL_LEN, MAX_EXPIRES_SECS, MAX_FUTURE_SECS};
pub use guard::{arn_matches, ArnMatches, ArnPattern};
pub use presign::{AwsCredentials, Presigner};
pub(crate) use provider::read_bounded;
pub use provider::{AwsIam, AwsIamBuilder};

/// What every credential starts with; [`Providers`](crate::Providers) routes bearer tokens
/// starting with it to the [`AwsIam`] provider.
pub const CREDENTIAL_PREFIX: &str = credential::PREFIX;
