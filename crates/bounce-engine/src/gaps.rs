//! Gaps in the rules: the diagnostics that no specific rule decided, clustered by their text
//! with the variable parts masked, most frequent first — the rules worth writing next.
//!
//! A record is a gap when no rule matched it, or when the rule that won is a built-in rule of
//! `rules/generic/fallback.rules`: those read the status or reply code alone, so the text said
//! something no rule understands. Texts are clustered after masking addresses (`<addr>`), IP
//! addresses (`<ip>`), times (`<time>`), quoted strings (`<str>`), numbers (`<n>`) and ids
//! (`<id>`: words of 8 or more characters with 3 or more digits). Enhanced status codes and the
//! leading reply code are kept: they are part of what a rule would match.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use bounce_model::{Record, Source};
use bounce_rules::{Origin, RuleSet};
use regex::{Captures, Regex};

/// The built-in file whose rules decide on codes alone.
const FALLBACK_FILE: &str = "rules/generic/fallback.rules";

/// The label of records without any diagnostic text.
pub const NO_TEXT: &str = "(no diagnostic text)";

/// Records whose diagnostics mask to the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The masked text.
    pub pattern: String,
    /// Records in the cluster.
    pub count: usize,
    /// Records per provider (`-` for none).
    pub providers: BTreeMap<String, usize>,
    /// Records per deciding rule (`no rule` for none).
    pub winners: BTreeMap<String, usize>,
    /// The first record of the cluster.
    pub sample: Sample,
}

/// The first record of a cluster, shown in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Where it is.
    pub source: Source,
    /// Its recipient.
    pub recipient: String,
    /// `status X, reply Y` as stated.
    pub codes: String,
    /// The diagnostic text.
    pub text: String,
}

/// Collects the gaps of a stream of classified records.
#[derive(Debug)]
pub struct GapFinder {
    fallback: HashSet<String>,
    clusters: BTreeMap<String, Cluster>,
    gaps: usize,
    records: usize,
}

impl GapFinder {
    /// A finder for records classified by `rules`.
    #[must_use]
    pub fn new(rules: &RuleSet) -> GapFinder {
        GapFinder { fallback: fallback_ids(rules), clusters: BTreeMap::new(), gaps: 0, records: 0 }
    }

    /// Adds one classified record.
    pub fn add(&mut self, record: &Record) {
        self.records += 1;
        if is_gap(record, &self.fallback) {
            self.gaps += 1;
            add(&mut self.clusters, record);
        }
    }

    /// The gaps found, the records seen, and the clusters, most frequent first.
    #[must_use]
    pub fn finish(self) -> (usize, usize, Vec<Cluster>) {
        let mut sorted: Vec<Cluster> = self.clusters.into_values().collect();
        sorted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.pattern.cmp(&b.pattern)));
        (self.gaps, self.records, sorted)
    }
}

/// The ids of the built-in rules that decide on codes alone.
fn fallback_ids(rules: &RuleSet) -> HashSet<String> {
    rules
        .rules()
        .filter(|info| {
            info.origin == Origin::Builtin
                && info.location.rsplit_once(':').is_some_and(|(path, _)| path == FALLBACK_FILE)
        })
        .map(|info| info.id)
        .collect()
}

/// Whether no rule, or only a fallback rule, decided the record.
fn is_gap(record: &Record, fallback: &HashSet<String>) -> bool {
    match &record.verdict {
        Some(verdict) => verdict.rule_id.is_empty() || fallback.contains(&verdict.rule_id),
        None => true,
    }
}

fn add(clusters: &mut BTreeMap<String, Cluster>, record: &Record) {
    let text = record.diagnostic.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let pattern = text.map_or_else(|| NO_TEXT.to_owned(), mask);
    let verdict = record.verdict.as_ref();
    let provider = verdict.and_then(|v| v.provider.clone()).unwrap_or_else(|| "-".to_owned());
    let winner = verdict
        .map(|v| v.rule_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "no rule".to_owned());
    let cluster = clusters.entry(pattern.clone()).or_insert_with(|| {
        let codes = [
            record.status.as_deref().map(|s| format!("status {s}")),
            record.reply_code.as_deref().map(|r| format!("reply {r}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        Cluster {
            pattern,
            count: 0,
            providers: BTreeMap::new(),
            winners: BTreeMap::new(),
            sample: Sample {
                source: record.source.clone(),
                recipient: record.recipient.clone(),
                codes,
                text: text.unwrap_or(NO_TEXT).to_owned(),
            },
        }
    });
    cluster.count += 1;
    *cluster.providers.entry(provider).or_default() += 1;
    *cluster.winners.entry(winner).or_default() += 1;
}

/// The leading reply code (after an optional `smtp;`), kept as written.
static LEADING_REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?i:smtp;\s*)?[245][0-5]\d(?:[ -]|$)").expect("the pattern is valid")
});

/// The variable parts of a diagnostic, in the order they are tried at each position.
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r#"(?x)
        (?P<addr>[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)
      | (?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b)
      | (?P<status>\b[245]\.\d{1,3}\.\d{1,3}\b)
      | (?P<time>\b\d{1,2}:\d{2}(?::\d{2})?\b)
      | (?P<ip6>\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:)+:[0-9A-Fa-f]{0,4}\b)
      | (?P<quoted>"[^"\n]{1,200}"|\B'[^'\n]{1,200}'\B)
      | (?P<word>\b[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*\b)
    "#;
    Regex::new(pattern).expect("the pattern is valid")
});

/// The text with its variable parts masked and its whitespace collapsed.
pub fn mask(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let keep = LEADING_REPLY.find(&text).map_or(0, |m| m.end());
    let (head, rest) = text.split_at(keep);
    let masked = VARIABLE.replace_all(rest, |caps: &Captures<'_>| {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        if caps.name("addr").is_some() {
            "<addr>".to_owned()
        } else if caps.name("ip").is_some() || caps.name("ip6").is_some() {
            "<ip>".to_owned()
        } else if caps.name("time").is_some() {
            "<time>".to_owned()
        } else if caps.name("quoted").is_some() {
            "<str>".to_owned()
        } else if caps.name("status").is_some() {
            whole.to_owned()
        } else if whole.bytes().all(|b| b.is_ascii_digit()) {
            "<n>".to_owned()
        } else if whole.len() >= 8 && whole.bytes().filter(u8::is_ascii_digit).count() >= 3 {
            "<id>".to_owned()
        } else {
            whole.to_owned()
        }
    });
    format!("{head}{masked}")
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_addresses_ips_numbers_and_ids_but_keeps_codes() {
        let text = "550 5.7.1 <ann@example.net>: message from [192.0.2.7] refused, id AB12CD34EF99, try in 300 seconds";
        assert_eq!(
            mask(text),
            "550 5.7.1 <<addr>>: message from [<ip>] refused, id <id>, try in <n> seconds"
        );
    }

    #[test]
    fn keeps_short_tokens_and_apostrophes() {
        let text = "554 Messages weren't sent (S3150) at 10:42:01 by \"corp filter\"";
        assert_eq!(mask(text), "554 Messages weren't sent (S3150) at <time> by <str>");
    }
}
