//! The key file: one key per line (see the [module docs](super) for the format).

use super::{ApiKey, KeyId, StoredKey};

/// A key-file line's key.
#[derive(Debug)]
pub(super) enum Line {
    /// `<id> sha256:<hex> …`: a legacy key, found by its digest.
    Legacy(ApiKey),
    /// `<owner> sha256:<hex> key_id=<id> …`: a v2 key, found by its id.
    V2(StoredKey),
}

/// One key-file line: `None` for blank lines and comments.
pub(super) fn parse_line(line: &str) -> Result<Option<Line>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split_whitespace();
    let (Some(name), Some(hash)) = (fields.next(), fields.next()) else {
        return Err(
            "expected `<id> sha256:<hex> [key_id=…] [scopes=…] [expires=…] [revoked=…]`".into(),
        );
    };
    let key = ApiKey::from_hash(name, hash).map_err(|e| e.to_string())?;
    let (mut key_id, mut revoked_at) = (None, None);
    let mut scopes = Vec::new();
    let mut expires_at = None;
    for field in fields {
        match field.split_once('=') {
            Some(("key_id", id)) => key_id = Some(KeyId::parse(id).map_err(|e| e.to_string())?),
            Some(("scopes", list)) => {
                scopes = list
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            Some(("expires", when)) => expires_at = Some(time_field("expires", when)?),
            Some(("revoked", when)) => revoked_at = Some(time_field("revoked", when)?),
            _ => {
                return Err(format!(
                    "unknown field `{field}`; expected key_id=…, scopes=…, expires=… or revoked=…"
                ))
            }
        }
    }
    let line = match key_id {
        Some(id) => Line::V2(StoredKey {
            scopes,
            expires_at,
            revoked_at,
            ..StoredKey::new(id, key.digest, key.id).map_err(|e| e.to_string())?
        }),
        None if revoked_at.is_some() => {
            return Err(
                "revoked=… needs key_id=… (a legacy key is revoked by deleting its line)".into(),
            )
        }
        None => Line::Legacy(ApiKey {
            scopes,
            expires_at,
            ..key
        }),
    };
    Ok(Some(line))
}

fn time_field(name: &str, when: &str) -> Result<u64, String> {
    parse_time(when).ok_or_else(|| {
        format!("{name}={when} is not a date (2027-01-01), a UTC time (2027-01-01T12:00:00Z) or Unix seconds")
    })
}

/// Unix seconds, `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_time(when: &str) -> Option<u64> {
    if when.bytes().all(|b| b.is_ascii_digit()) {
        return when.parse().ok();
    }
    let (date, time) = match when.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z')?)),
        None => (date_only(when)?, None),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if y < 1970 || !(1..=12).contains(&m) || !(1..=month_days).contains(&d) {
        return None;
    }
    let mut secs = u64::try_from(days_from_civil(y, m, d)).ok()? * 86_400;
    if let Some(time) = time {
        let mut parts = time.split(':');
        let (Some(h), Some(mi), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let (h, mi, s): (u64, u64, u64) = (h.parse().ok()?, mi.parse().ok()?, s.parse().ok()?);
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        secs += h * 3600 + mi * 60 + s;
    }
    Some(secs)
}

fn date_only(when: &str) -> Option<&str> {
    (when.len() == 10).then_some(when)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_formats() {
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time("1970-01-02"), Some(86_400));
        assert_eq!(parse_time("2000-03-01"), Some(951_868_800));
        assert_eq!(parse_time("2024-02-29T12:30:15Z"), Some(1_709_209_815));
        for bad in [
            "2024-13-01",
            "2023-02-29",
            "2024-04-31",
            "2024-1-1x",
            "2024-01-01T25:00:00Z",
            "2024-01-01T10:00:00",
            "-5",
            "1969-12-31",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
