//! Which records reach the sink: `--provider`, `--category`, `--since`, `--until`.

use bounce_model::time::format_rfc3339;
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
    /// (when given), at or after `since` and before `until` (UTC seconds since the epoch, as
    /// [`bounce_model::time`] counts them; the caller reads the user's text).
    ///
    /// # Errors
    /// An unknown category, with the known ones.
    pub fn new(
        providers: &[String],
        categories: &[String],
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<RecordFilter, String> {
        let categories = categories
            .iter()
            .map(|c| {
                Category::from_name(c).ok_or_else(|| {
                    let known: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                    format!("unknown category `{c}` (known: {})", known.join(", "))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordFilter {
            providers: providers.iter().map(|p| p.to_ascii_lowercase()).collect(),
            categories,
            since: since.map(format_rfc3339),
            until: until.map(format_rfc3339),
        })
    }

    /// The providers asked for (lowercase), to check against the rules' names.
    #[must_use]
    pub fn providers(&self) -> &[String] {
        &self.providers
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

#[cfg(test)]
mod tests {
    use super::RecordFilter;

    #[test]
    fn bounds_are_utc_timestamps_and_categories_are_checked() {
        let filter = RecordFilter::new(&[], &[], Some(0), Some(86_400)).unwrap();
        assert_eq!(
            filter.describe(),
            ["since 1970-01-01T00:00:00Z", "until 1970-01-02T00:00:00Z (exclusive)"]
        );
        let err = RecordFilter::new(&[], &["nosuch".into()], None, None).unwrap_err();
        assert!(err.starts_with("unknown category `nosuch` (known: invalid-recipient, "), "{err}");
    }
}
