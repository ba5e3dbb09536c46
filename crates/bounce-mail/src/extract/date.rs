//! Normalising the dates found in bounces to UTC RFC 3339.
//!
//! Bounces carry RFC 5322 dates in many dialects: with or without the weekday, with two-digit
//! years, obsolete zone names (`GMT`, `EST`, `JST`), trailing comments, `asctime` order
//! (`Thu Apr 29 23:45:32 2013`), RFC 850 dashes (`29-Apr-13`) and, now and then, ISO 8601.
//! [`to_utc_rfc3339`] accepts all of them and never panics.

/// Seconds in a day.
const DAY_SECONDS: i64 = 86_400;

/// Parses a date as found in a bounce and returns it in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
///
/// A date without a zone is taken as UTC. Returns `None` when no calendar date and time of
/// day can be read, or when a field is out of range.
pub(crate) fn to_utc_rfc3339(date: &str) -> Option<String> {
    let text = date.trim();
    let bytes = text.as_bytes();
    let fields =
        if bytes.len() >= 10 && bytes[4] == b'-' && bytes[..4].iter().all(u8::is_ascii_digit) {
            parse_iso(text)?
        } else {
            parse_rfc5322(text)?
        };
    let seconds = fields.utc_seconds()?;
    Some(bounce_model::time::format_rfc3339(seconds))
}

/// The parts of a date before conversion to UTC.
#[derive(Debug, Default)]
struct Fields {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    has_time: bool,
    /// Offset east of UTC, in minutes.
    offset_minutes: i64,
}

impl Fields {
    /// Seconds since the Unix epoch, after checking every field's range.
    fn utc_seconds(&self) -> Option<i64> {
        let (year, month, day) = (self.year?, self.month?, self.day?);
        if !self.has_time
            || !(1900..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || !(0..24).contains(&self.hour)
            || !(0..60).contains(&self.minute)
            || !(0..=60).contains(&self.second)
            || self.offset_minutes.abs() >= 24 * 60
        {
            return None;
        }
        // A leap second is folded into the second before it.
        let second = self.second.min(59);
        let local = bounce_model::time::days_from_civil(year, month, day) * DAY_SECONDS
            + self.hour * 3600
            + self.minute * 60
            + second;
        Some(local - self.offset_minutes * 60)
    }
}

/// Parses the RFC 5322 family (including obsolete forms, RFC 850 and `asctime`).
fn parse_rfc5322(text: &str) -> Option<Fields> {
    let cleaned: String = strip_comments(text)
        .chars()
        .map(|c| if matches!(c, ',' | '\'' | '"' | '<' | '>') { ' ' } else { c })
        .collect();
    let mut fields = Fields::default();
    let mut zone_seen = false;
    for raw in cleaned.split_whitespace() {
        // RFC 850 writes the date as `29-Apr-13`; split it, but keep `-0500` zones whole.
        let parts: Vec<&str> = if raw.contains('-') && raw.bytes().any(|b| b.is_ascii_alphabetic())
        {
            raw.split('-').filter(|p| !p.is_empty()).collect()
        } else {
            vec![raw]
        };
        for token in parts {
            if !zone_seen && (token.starts_with('+') || token.starts_with('-')) {
                fields.offset_minutes = parse_numeric_zone(token)?;
                zone_seen = true;
            } else if token.contains(':') {
                // Text after the date (a header run on by a broken fold) may hold colons too.
                if !fields.has_time {
                    parse_time(token, &mut fields)?;
                }
            } else if token.bytes().all(|b| b.is_ascii_digit()) {
                let value: i64 = token.parse().ok()?;
                // `029` is a zero-padded day, `113` an obsolete three-digit year.
                if token.len() >= 3 && !(token.len() == 3 && token.starts_with('0')) {
                    fields.year = Some(if token.len() == 3 { value + 1900 } else { value });
                } else if fields.day.is_none() {
                    fields.day = Some(value);
                } else if fields.year.is_none() {
                    fields.year = Some(if value < 50 { 2000 + value } else { 1900 + value });
                }
            } else if let Some(month) = month_number(token) {
                fields.month.get_or_insert(month);
            } else if !zone_seen {
                if let Some(offset) = named_zone_offset(token) {
                    fields.offset_minutes = offset;
                    zone_seen = true;
                }
            }
        }
    }
    Some(fields)
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH:MM|±HHMM]`.
fn parse_iso(text: &str) -> Option<Fields> {
    let mut fields = Fields::default();
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let mut date_parts = date.split('-');
    fields.year = Some(date_parts.next()?.parse().ok()?);
    fields.month = Some(date_parts.next()?.parse().ok()?);
    fields.day = Some(date_parts.next()?.parse().ok()?);
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    parse_time(time.trim(), &mut fields)?;
    let zone = zone.trim();
    if !zone.is_empty() && !zone.eq_ignore_ascii_case("z") {
        fields.offset_minutes = parse_numeric_zone(zone)?;
    }
    Some(fields)
}

/// Reads `H:MM`, `HH:MM:SS` or `HH:MM:SS.frac` into the fields.
fn parse_time(token: &str, fields: &mut Fields) -> Option<()> {
    let mut parts = token.split(':');
    let hour = parts.next()?;
    let minute = parts.next()?;
    let second = parts.next().map(|s| s.split('.').next().unwrap_or(s));
    let number = |s: &str| -> Option<i64> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    fields.hour = number(hour)?;
    fields.minute = number(minute)?;
    fields.second = match second {
        Some(s) => number(s)?,
        None => 0,
    };
    fields.has_time = true;
    Some(())
}

/// Parses `+0900`, `-0000` or `+09:00` into minutes east of UTC.
fn parse_numeric_zone(token: &str) -> Option<i64> {
    let sign = if token.starts_with('-') { -1 } else { 1 };
    let digits: String = token[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    Some(sign * (hours * 60 + minutes))
}

/// Zone names seen in bounces, with their offsets in hours east of UTC.
const NAMED_ZONES: [(&str, i64); 32] = [
    ("UT", 0),
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("WET", 0),
    ("EST", -5),
    ("EDT", -4),
    ("AST", -4),
    ("CST", -6),
    ("CDT", -5),
    ("MST", -7),
    ("MDT", -6),
    ("PST", -8),
    ("PDT", -7),
    ("HST", -10),
    ("AKST", -9),
    ("AKDT", -8),
    ("BST", 1),
    ("CET", 1),
    ("MET", 1),
    ("WEST", 1),
    ("CEST", 2),
    ("MEST", 2),
    ("EET", 2),
    ("EEST", 3),
    ("MSK", 3),
    ("HKT", 8),
    ("SGT", 8),
    ("JST", 9),
    ("KST", 9),
    ("AEST", 10),
    ("AEDT", 11),
];

/// The offset of an obsolete or common zone name, in minutes east of UTC.
fn named_zone_offset(token: &str) -> Option<i64> {
    if let Some((_, hours)) = NAMED_ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(token))
    {
        return Some(hours * 60);
    }
    // RFC 5322 says military zones carry no information: treat them as -0000.
    (token.len() == 1 && token.bytes().all(|b| b.is_ascii_alphabetic())).then_some(0)
}

/// The month number of an English month name or abbreviation.
fn month_number(token: &str) -> Option<i64> {
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if token.len() < 3 || !token.is_ascii() {
        return None;
    }
    let prefix = token[..3].to_ascii_lowercase();
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    i64::try_from(index).ok().map(|i| i + 1)
}

/// Removes parenthesised comments such as `(JST)`, nested or not.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether a year is a Gregorian leap year.
fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in a month.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::to_utc_rfc3339;

    fn utc(date: &str) -> Option<String> {
        to_utc_rfc3339(date)
    }

    #[test]
    fn full_rfc5322_date_with_zone_comment_is_converted_to_utc() {
        assert_eq!(
            utc("Thu, 29 Apr 2013 23:45:32 +0900 (JST)").as_deref(),
            Some("2013-04-29T14:45:32Z")
        );
    }

    #[test]
    fn missing_weekday_and_negative_offset_cross_midnight() {
        assert_eq!(utc("29 Apr 2013 20:00:00 -0500").as_deref(), Some("2013-04-30T01:00:00Z"));
    }

    #[test]
    fn obsolete_zone_names_are_understood() {
        assert_eq!(utc("Mon, 1 Jan 2018 00:00:00 GMT").as_deref(), Some("2018-01-01T00:00:00Z"));
        assert_eq!(utc("Mon, 1 Jan 2018 00:00:00 EST").as_deref(), Some("2018-01-01T05:00:00Z"));
        assert_eq!(utc("Mon, 1 Jan 2018 09:00:00 JST").as_deref(), Some("2018-01-01T00:00:00Z"));
        assert_eq!(utc("Mon, 1 Jan 2018 09:00:00 -0000").as_deref(), Some("2018-01-01T09:00:00Z"));
    }

    #[test]
    fn two_digit_years_and_extra_spaces() {
        assert_eq!(utc("Thu,  9 Apr  09  3:04:05  +0000").as_deref(), Some("2009-04-09T03:04:05Z"));
        assert_eq!(utc("Fri, 31 Dec 99 23:59:59 +0100").as_deref(), Some("1999-12-31T22:59:59Z"));
    }

    #[test]
    fn asctime_and_date_command_forms() {
        assert_eq!(utc("Thu Apr 29 23:45:32 2013").as_deref(), Some("2013-04-29T23:45:32Z"));
        assert_eq!(utc("Thu Apr 29 23:45:32 JST 2013").as_deref(), Some("2013-04-29T14:45:32Z"));
    }

    #[test]
    fn rfc850_and_iso_forms() {
        assert_eq!(
            utc("Thursday, 29-Apr-13 23:45:32 GMT").as_deref(),
            Some("2013-04-29T23:45:32Z")
        );
        assert_eq!(utc("2013-04-29T23:45:32+09:00").as_deref(), Some("2013-04-29T14:45:32Z"));
        assert_eq!(utc("2013-04-29 23:45:32.123Z").as_deref(), Some("2013-04-29T23:45:32Z"));
    }

    #[test]
    fn sloppy_dates_from_real_bounces() {
        assert_eq!(
            utc("'Thu, 29 Apr 2012 23:34:45 +0000'").as_deref(),
            Some("2012-04-29T23:34:45Z")
        );
        assert_eq!(
            utc("Tue, 029 Apr 2019 23:34:45 -0800 (PST)").as_deref(),
            Some("2019-04-30T07:34:45Z")
        );
        assert_eq!(
            utc("Thu, 29 Apr 1995 23:34:45 -0800 From: Mail Delivery Subsystem <MAILER-DAEMON@example.org>").as_deref(),
            Some("1995-04-30T07:34:45Z")
        );
    }

    #[test]
    fn missing_seconds_and_leap_day() {
        assert_eq!(utc("Thu, 29 Feb 2024 23:30 -0100").as_deref(), Some("2024-03-01T00:30:00Z"));
        assert_eq!(utc("Thu, 29 Feb 2023 23:30 +0000"), None);
    }

    #[test]
    fn junk_and_out_of_range_values_give_none_without_panicking() {
        for junk in [
            "",
            "yesterday",
            "Thu, 32 Apr 2013 10:00:00 +0000",
            "Thu, 29 Apr 2013 25:00:00 +0000",
            "Thu, 29 Apr 2013 +0000",
            "29 Apr 2013 10:00:00 +09",
            "2013-04-",
            "2013-13-01T00:00:00Z",
            "Thu, 29 Apr 99999999999999999999 10:00:00",
            "木, 29 4月 2013 23:45:32 +0900",
            "::::",
            "- + -- ++",
            "((((",
        ] {
            assert_eq!(utc(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn non_ascii_noise_around_a_valid_date_is_ignored() {
        assert_eq!(
            utc("Thu, 29 Apr 2013 23:45:32 +0900 (日本標準時)").as_deref(),
            Some("2013-04-29T14:45:32Z")
        );
    }
}
