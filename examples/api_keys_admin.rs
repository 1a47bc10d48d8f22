//! The admin CLI for API keys and JWT revocations in PostgreSQL (`tollgate::postgres`), the
//! store a fleet of `api_keys_server` replicas reads:
//!
//! ```text
//! DATABASE_URL=postgres://tollgate@127.0.0.1:5432/tollgate   (required)
//! cargo run --example api_keys_admin -- migrate
//! cargo run --example api_keys_admin -- create ci-deploy --scopes deploy,read --expires 2027-01-01T00:00:00Z
//! cargo run --example api_keys_admin -- list
//! cargo run --example api_keys_admin -- revoke <id>
//! cargo run --example api_keys_admin -- roll <id> --grace 3600
//! cargo run --example api_keys_admin -- revoke-token --jti <jti> [--expires <time>]
//! cargo run --example api_keys_admin -- revoke-subject <sub> [--before <time>] [--expires <time>]
//! ```
//!
//! Every command creates the schema first if it is missing (`migrate` does only that). `create`
//! and `roll` print `id=<id>` and `key=<key>`, each on its own line: the only time the key is
//! shown (the database keeps its SHA-256). `list` prints one key per line. A time is RFC 3339
//! (`2027-01-01T12:00:00Z`, `2027-01-01T14:00:00+02:00`) or Unix seconds. `revoke-subject`
//! without `--before` means now. A revocation is kept until `--expires` (default 24 hours after
//! the revocation, or after `--before`): give at least your tokens' longest lifetime.
//!
//! Exit status: 0 on success, 2 on bad usage or missing configuration, 1 when the database
//! fails, each with a message.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tollgate::api_key::{KeyId, KeyState};
use tollgate::postgres::{AdminError, NewKey, PostgresAdmin, PostgresSettings};

const USAGE: &str = "usage: api_keys_admin <command>
  migrate
  create <owner> [--scopes a,b] [--expires <time>]
  list
  revoke <id>
  roll <id> --grace <seconds>
  revoke-token --jti <jti> [--expires <time>]
  revoke-subject <subject> [--before <time>] [--expires <time>]
(time: RFC 3339 or Unix seconds; DATABASE_URL must be set)";

/// How long a JWT revocation is kept when `--expires` is not given.
const DEFAULT_REVOCATION_LIFETIME: Duration = Duration::from_secs(24 * 3600);

enum Failure {
    Usage(String),
    Database(String),
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(message) => Failure::Usage(message),
            other => Failure::Database(other.to_string()),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("api_keys_admin: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Database(message)) => {
            eprintln!("api_keys_admin: {message}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: &[String]) -> Result<(), Failure> {
    let command = Command::parse(args).map_err(Failure::Usage)?;
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            Failure::Usage(
                "DATABASE_URL is not set; for example DATABASE_URL=postgres://tollgate@127.0.0.1:5432/tollgate"
                    .into(),
            )
        })?;
    let settings = PostgresSettings::from_url(&url)
        .map_err(|e| Failure::Usage(format!("DATABASE_URL: {e}")))?;
    let mut admin = PostgresAdmin::connect(&settings)
        .await
        .map_err(|e| Failure::Database(e.to_string()))?;
    admin
        .migrate()
        .await
        .map_err(|e| Failure::Database(e.to_string()))?;
    let now = SystemTime::now();
    match command {
        Command::Migrate => println!("schema ready"),
        Command::Create {
            owner,
            scopes,
            expires,
        } => {
            let mut key = NewKey::new(owner).scopes(scopes);
            if let Some(at) = expires {
                key = key.expires_at(at);
            }
            let key = admin.create(key).await?;
            println!("id={}", key.key_id());
            println!("key={}", key.secret());
        }
        Command::List => {
            for record in admin.list().await? {
                let key = &record.key;
                let state = match record.state_at(now) {
                    KeyState::Active if key.expiry().is_some() => "active (expiring)",
                    KeyState::Active => "active",
                    KeyState::Expired => "expired",
                    KeyState::Revoked => "revoked",
                    _ => "unknown",
                };
                let scopes = if key.granted_scopes().is_empty() {
                    "-".to_owned()
                } else {
                    key.granted_scopes().join(",")
                };
                println!(
                    "id={} owner={} scopes={} state={} created={} expires={} last_used={}",
                    key.id(),
                    key.owner(),
                    scopes,
                    state.replace(' ', "_"),
                    show(key.creation()),
                    show(key.expiry()),
                    show(record.last_used_at),
                );
            }
        }
        Command::Revoke { id } => {
            admin.revoke(&id).await.map_err(not_found_is_usage)?;
            println!("revoked {id}");
        }
        Command::Roll { id, grace } => {
            let key = admin.roll(&id, grace).await.map_err(not_found_is_usage)?;
            println!("id={}", key.key_id());
            println!("key={}", key.secret());
            eprintln!("{id} stays valid for {}s more", grace.as_secs());
        }
        Command::RevokeToken { jti, expires } => {
            let expires = expires.unwrap_or(now + DEFAULT_REVOCATION_LIFETIME);
            admin.revoke_token(&jti, expires).await?;
            println!("revoked token {jti} until {}", rfc3339(expires));
        }
        Command::RevokeSubject {
            subject,
            before,
            expires,
        } => {
            let before = before.unwrap_or(now);
            let expires = expires.unwrap_or(before.max(now) + DEFAULT_REVOCATION_LIFETIME);
            admin.revoke_subject(&subject, before, expires).await?;
            println!(
                "revoked the tokens of {subject} issued before {} until {}",
                rfc3339(before),
                rfc3339(expires)
            );
        }
    }
    Ok(())
}

/// An unknown id or a key that cannot be rolled is the caller's mistake, not the database's.
fn not_found_is_usage(e: AdminError) -> Failure {
    match e {
        AdminError::NotFound(_) | AdminError::NotActive(_) => Failure::Usage(e.to_string()),
        other => other.into(),
    }
}

enum Command {
    Migrate,
    Create {
        owner: String,
        scopes: Vec<String>,
        expires: Option<SystemTime>,
    },
    List,
    Revoke {
        id: KeyId,
    },
    Roll {
        id: KeyId,
        grace: Duration,
    },
    RevokeToken {
        jti: String,
        expires: Option<SystemTime>,
    },
    RevokeSubject {
        subject: String,
        before: Option<SystemTime>,
        expires: Option<SystemTime>,
    },
}

impl Command {
    fn parse(args: &[String]) -> Result<Self, String> {
        let (name, rest) = args.split_first().ok_or("no command given")?;
        let mut positional = Vec::new();
        let mut options = std::collections::BTreeMap::new();
        let mut iter = rest.iter();
        while let Some(arg) = iter.next() {
            if let Some(option) = arg.strip_prefix("--") {
                let value = iter
                    .next()
                    .ok_or_else(|| format!("--{option} needs a value"))?;
                if options.insert(option.to_owned(), value.clone()).is_some() {
                    return Err(format!("--{option} is given twice"));
                }
            } else {
                positional.push(arg.clone());
            }
        }
        // The command first, so a misspelt one is named as such rather than as a wrong arity.
        let (allowed, arity): (&[&str], usize) = match name.as_str() {
            "migrate" | "list" => (&[], 0),
            "create" => (&["scopes", "expires"], 1),
            "revoke" => (&[], 1),
            "roll" => (&["grace"], 1),
            "revoke-token" => (&["jti", "expires"], 0),
            "revoke-subject" => (&["before", "expires"], 1),
            other => return Err(format!("unknown command {other:?}")),
        };
        if let Some(unknown) = options.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("{name} takes no --{unknown}"));
        }
        if positional.len() != arity {
            return Err(format!(
                "{name} takes {arity} argument(s), got {}",
                positional.len()
            ));
        }
        let time = |option: &str| {
            options
                .get(option)
                .map(|v| parse_time(v).map_err(|e| format!("--{option}: {e}")))
                .transpose()
        };
        let id = || {
            KeyId::parse(&positional[0]).map_err(|_| {
                format!(
                    "{:?} is not a key id (16 letters and digits)",
                    positional[0]
                )
            })
        };
        Ok(match name.as_str() {
            "migrate" => Self::Migrate,
            "list" => Self::List,
            "create" => Self::Create {
                owner: positional[0].clone(),
                scopes: options
                    .get("scopes")
                    .map(|s| {
                        s.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                expires: time("expires")?,
            },
            "revoke" => Self::Revoke { id: id()? },
            "roll" => {
                let grace = options.get("grace").ok_or("roll needs --grace <seconds>")?;
                let grace = grace
                    .parse::<u64>()
                    .map_err(|_| format!("--grace: {grace:?} is not a number of seconds"))?;
                Self::Roll {
                    id: id()?,
                    grace: Duration::from_secs(grace),
                }
            }
            "revoke-token" => Self::RevokeToken {
                jti: options
                    .get("jti")
                    .cloned()
                    .ok_or("revoke-token needs --jti <jti>")?,
                expires: time("expires")?,
            },
            "revoke-subject" => Self::RevokeSubject {
                subject: positional[0].clone(),
                before: time("before")?,
                expires: time("expires")?,
            },
            _ => unreachable!("the command was checked above"),
        })
    }
}

fn show(at: Option<SystemTime>) -> String {
    at.map_or_else(|| "-".to_owned(), rfc3339)
}

/// Unix seconds, or RFC 3339 `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn parse_time(text: &str) -> Result<SystemTime, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(UNIX_EPOCH + Duration::from_secs(secs));
    }
    let bad = || format!("{text:?} is neither RFC 3339 (2027-01-01T00:00:00Z) nor Unix seconds");
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = text.get(range).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(&rest[..1], "+" | "-") && &rest[3..4] == ":" => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hours: i64 = rest[1..3].parse().map_err(|_| bad())?;
            let minutes: i64 = rest[4..6].parse().map_err(|_| bad())?;
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs)
        .map(|s| UNIX_EPOCH + Duration::from_secs(s))
        .map_err(|_| format!("{text:?} is before 1970"))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
