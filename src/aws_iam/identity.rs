//! STS's answer to GetCallerIdentity, and the caller's ARN read into principal claims.

use serde_json::{Map, Value};

/// The caller STS vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) arn: String,
    pub(crate) account: String,
    pub(crate) user_id: String,
}

/// Reads `GetCallerIdentityResponse.GetCallerIdentityResult.{Arn,Account,UserId}` from STS's
/// JSON answer, and nothing else of it.
pub(crate) fn caller_from_json(body: &[u8]) -> Option<Caller> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let result = value
        .get("GetCallerIdentityResponse")?
        .get("GetCallerIdentityResult")?;
    let text = |name: &str| result.get(name)?.as_str().map(str::to_owned);
    Some(Caller {
        arn: text("Arn")?,
        account: text("Account")?,
        user_id: text("UserId")?,
    })
}

/// What the ARN says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    User,
    Root,
    FederatedUser,
    AssumedRole {
        role_name: String,
        session_name: String,
        role_arn: String,
    },
}

/// The caller's identity, when its ARN has one of the shapes GetCallerIdentity returns and
/// names the account STS answered with.
pub(crate) fn identity(caller: &Caller) -> Option<Identity> {
    let mut parts = caller.arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if partition.is_empty()
        || account != caller.account
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    match (service, resource.split_once('/')) {
        ("iam", None) if resource == "root" => Some(Identity::Root),
        ("iam", Some(("user", name))) if !name.is_empty() => Some(Identity::User),
        ("sts", Some(("federated-user", name))) if !name.is_empty() => {
            Some(Identity::FederatedUser)
        }
        ("sts", Some(("assumed-role", rest))) => {
            let (role, session) = rest.split_once('/')?;
            if role.is_empty() || session.is_empty() || session.contains('/') {
                return None;
            }
            Some(Identity::AssumedRole {
                role_name: role.to_owned(),
                session_name: session.to_owned(),
                role_arn: format!("arn:{partition}:iam::{account}:role/{role}"),
            })
        }
        _ => None,
    }
}

/// The principal's claims for `caller`.
pub(crate) fn claims(caller: &Caller, identity: &Identity) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("arn".into(), caller.arn.clone().into());
    claims.insert("account".into(), caller.account.clone().into());
    claims.insert("user_id".into(), caller.user_id.clone().into());
    let kind = match identity {
        Identity::User => "user",
        Identity::Root => "root",
        Identity::FederatedUser => "federated-user",
        Identity::AssumedRole { .. } => "assumed-role",
    };
    claims.insert("principal_type".into(), kind.into());
    if let Identity::AssumedRole {
        role_name,
        session_name,
        role_arn,
    } = identity
    {
        claims.insert("role_name".into(), role_name.clone().into());
        claims.insert("session_name".into(), session_name.clone().into());
        claims.insert("role_arn".into(), role_arn.clone().into());
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(arn: &str) -> Caller {
        Caller {
            arn: arn.into(),
            account: "123456789012".into(),
            user_id: "AIDAEXAMPLE".into(),
        }
    }

    #[test]
    fn reads_each_shape_of_caller_arn() {
        assert_eq!(
            identity(&caller("arn:aws:iam::123456789012:user/ops/alice")),
            Some(Identity::User)
        );
        assert_eq!(
            identity(&caller("arn:aws:iam::123456789012:root")),
            Some(Identity::Root)
        );
        assert_eq!(
            identity(&caller("arn:aws:sts::123456789012:federated-user/bob")),
            Some(Identity::FederatedUser)
        );
        assert_eq!(
            identity(&caller(
                "arn:aws-cn:sts::123456789012:assumed-role/Deploy/ci-42"
            )),
            Some(Identity::AssumedRole {
                role_name: "Deploy".into(),
                session_name: "ci-42".into(),
                role_arn: "arn:aws-cn:iam::123456789012:role/Deploy".into(),
            })
        );
        for bad in [
            "arn:aws:iam::210987654321:user/alice",
            "arn:aws:iam::123456789012:role/Deploy",
            "arn:aws:sts::123456789012:assumed-role/Deploy",
            "arn:aws:sts::123456789012:assumed-role/Deploy/a/b",
            "arn:aws:iam:us-east-1:123456789012:user/alice",
            "arn:aws:s3::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/",
            "not an arn",
        ] {
            assert_eq!(identity(&caller(bad)), None, "{bad}");
        }
    }

    #[test]
    fn reads_only_the_documented_json_fields() {
        let body = br#"{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"arn:aws:iam::123456789012:user/alice","Account":"123456789012","UserId":"AIDA"},"ResponseMetadata":{"RequestId":"x"}}}"#;
        assert_eq!(
            caller_from_json(body).map(|c| c.arn),
            Some("arn:aws:iam::123456789012:user/alice".into())
        );
        for bad in [
            &b"<GetCallerIdentityResponse/>"[..],
            br#"{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":7,"Account":"1","UserId":"x"}}}"#,
            br#"{"GetCallerIdentityResult":{"Arn":"a","Account":"1","UserId":"x"}}"#,
        ] {
            assert_eq!(caller_from_json(bad), None);
        }
    }
}
