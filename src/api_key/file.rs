//! The key file: one key per line (see the [module docs](super) for the format).

use super::ApiKey;

/// One key-file line: `None` for blank lines and comments.
pub(super) fn parse_line(line: &str) -> Result<Option<ApiKey>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut fields = line.split_whitespace();
    let (Some(id), Some(hash)) = (fields.next(), fields.next()) else {
        return Err("expected `<id> sha256:<hex> [scopes=…] [expires=…]`".into());
    };
    let mut key = ApiKey::from_hash(id, hash).map_err(|e| e.to_string())?;
    for field in fields {
        match field.split_once('=') {
            Some(("scopes", list)) => {
                key.scopes = list
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            Some(("expires", when)) => {
                key.expires_at = Some(parse_time(when).ok_or_else(|| {
                    format!("expires={when} is not a date (2027-01-01), a UTC time (2027-01-01T12:00:00Z) or Unix seconds")
                })?);
            }
            _ => {
                return Err(format!(
                    "unknown field `{field}`; expected scopes=… or expires=…"
                ))
            }
        }
    }
    Ok(Some(key))
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
