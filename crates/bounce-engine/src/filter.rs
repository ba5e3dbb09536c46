//! Which records reach the sink: `--provider`, `--category`, `--since`, `--until`.

use bounce_model::time::{days_from_civil, format_rfc3339, parse_rfc3339, DAY};
use bounce_model::{Category, Record};

/// Record filters; an empty filter keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    providers: Vec<String>,
    categories: Vec<Category>,
    since: Option<String>,
    until: Option<String>,
}

impl RecordFilter {
    /// A filter keeping records of any of `providers` (when given), of any of `categories`
    /// (when given), at or after `since` and before `until` (RFC 3339, or `YYYY-MM-DD`: the
    /// start of that day, for `until` the start of the next).
    ///
    /// # Errors
    /// An unknown category or a time that is neither RFC 3339 nor a date.
    pub fn new(
        providers: &[String],
        categories: &[String],
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<RecordFilter, String> {
        let categories = categories
            .iter()
            .map(|c| Category::from_name(c).ok_or_else(|| format!("unknown category `{c}`")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordFilter {
            providers: providers.iter().map(|p| p.to_ascii_lowercase()).collect(),
            categories,
            since: since.map(|t| utc_bound(t, false)).transpose()?,
            until: until.map(|t| utc_bound(t, true)).transpose()?,
        })
    }

    /// Whether `record` passes.
    #[must_use]
    pub fn keeps(&self, record: &Record) -> bool {
        let verdict = record.verdict.as_ref();
        if !self.providers.is_empty() {
            let provider = verdict.and_then(|v| v.provider.as_deref()).unwrap_or("other");
            if !self.providers.iter().any(|p| p == provider) {
                return false;
            }
        }
        if !self.categories.is_empty()
            && !verdict.is_some_and(|v| self.categories.contains(&v.category))
        {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(time) = record.timestamp.as_deref() else { return false };
        self.since.as_deref().is_none_or(|s| time >= s)
            && self.until.as_deref().is_none_or(|u| time < u)
    }

    /// The filters in words, for report headers.
    #[must_use]
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.providers.is_empty() {
            out.push(format!("provider = {}", self.providers.join(" or ")));
        }
        if !self.categories.is_empty() {
            let names: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
            out.push(format!("category = {}", names.join(" or ")));
        }
        if let Some(s) = &self.since {
            out.push(format!("since {s}"));
        }
        if let Some(u) = &self.until {
            out.push(format!("until {u} (exclusive)"));
        }
        out
    }
}

/// Normalises a bound to `YYYY-MM-DDTHH:MM:SSZ` (UTC), comparable with record timestamps.
/// A date alone means its start, or for `until` the start of the next day.
fn utc_bound(text: &str, end_of_day: bool) -> Result<String, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time or a YYYY-MM-DD date");
    let text = text.trim();
    let seconds = if text.len() == 10 {
        let part = |range: std::ops::Range<usize>| -> Option<i64> {
            let p = text.get(range)?;
            p.bytes().all(|b| b.is_ascii_digit()).then(|| p.parse().ok()).flatten()
        };
        let (y, m, d) = (part(0..4), part(5..7), part(8..10));
        let (Some(y), Some(m), Some(d)) = (y, m, d) else { return Err(bad()) };
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) || &text[4..5] != "-" {
            return Err(bad());
        }
        days_from_civil(y, m, d) * DAY + if end_of_day { DAY } else { 0 }
    } else {
        parse_rfc3339(text).ok_or_else(bad)?
    };
    Ok(format_rfc3339(seconds))
}

#[cfg(test)]
mod tests {
    use super::utc_bound;

    #[test]
    fn dates_and_times_become_utc_bounds() {
        assert_eq!(utc_bound("2026-06-02", false).unwrap(), "2026-06-02T00:00:00Z");
        assert_eq!(utc_bound("2026-06-02", true).unwrap(), "2026-06-03T00:00:00Z");
        assert_eq!(utc_bound("2026-06-02T10:00:00+02:00", false).unwrap(), "2026-06-02T08:00:00Z");
        assert!(utc_bound("yesterday", false).is_err());
        assert!(utc_bound("2026-13-01", false).is_err());
    }
}
