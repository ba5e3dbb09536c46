//! UTC instants as seconds since the Unix epoch, read from and written as RFC 3339, and the
//! proleptic Gregorian calendar arithmetic behind them (shared by every crate that handles
//! times: the date parser of bounce-mail, the engine's buckets, the report's charts).

/// Seconds in an hour.
pub const HOUR: i64 = 3600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Parses `YYYY-MM-DDTHH:MM[:SS[.frac]](Z|+00:00|±hh:mm)` into seconds since the epoch (UTC).
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 16 || !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let number = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = number(0, 4)?;
    let month = number(5, 2)?;
    let day = number(8, 2)?;
    let hour = number(11, 2)?;
    let minute = number(14, 2)?;
    let mut rest = &text[16..];
    let mut second = 0;
    if let Some(after) = rest.strip_prefix(':') {
        second = after.get(..2).filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()?;
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            rest = &frac[digits..];
        }
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let zone = &rest[1..];
            let hours: i64 = zone.get(..2)?.parse().ok()?;
            let minutes: i64 =
                zone.get(3..5).or_else(|| zone.get(2..4)).unwrap_or("0").parse().ok()?;
            sign * (hours * HOUR + minutes * 60)
        }
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * DAY + hour * HOUR + minute * 60 + second - offset)
}

/// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn format_rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(DAY);
    let in_day = seconds.rem_euclid(DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / HOUR,
        in_day % HOUR / 60,
        in_day % 60
    )
}

/// The start of the bucket of `width` seconds holding `seconds`.
#[must_use]
pub fn floor_to(seconds: i64, width: i64) -> i64 {
    seconds.div_euclid(width) * width
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
#[must_use]
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) of a day number (days since 1970-01-01).
#[must_use]
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::{format_rfc3339, parse_rfc3339};

    #[test]
    fn round_trips_utc_instants() {
        for text in ["1970-01-01T00:00:00Z", "2026-06-11T08:00:00Z", "2000-02-29T23:59:59Z"] {
            let seconds = parse_rfc3339(text).expect("parses");
            assert_eq!(format_rfc3339(seconds), text);
        }
    }

    #[test]
    fn applies_offsets_and_rejects_garbage() {
        assert_eq!(
            parse_rfc3339("2026-06-11T10:00:00+02:00"),
            parse_rfc3339("2026-06-11T08:00:00Z")
        );
        assert_eq!(parse_rfc3339("2026-06-11T08:00Z"), parse_rfc3339("2026-06-11T08:00:00Z"));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
    }
}
