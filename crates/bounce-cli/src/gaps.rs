//! `bounce-triage rules gaps`: the diagnostics that no specific rule decided, clustered by their
//! text with the variable parts masked, most frequent first — the rules worth writing next.
//!
//! A record is a gap when no rule matched it, or when the rule that won is a built-in rule of
//! `rules/generic/fallback.rules`: those read the status or reply code alone, so the text said
//! something no rule understands. Texts are clustered after masking addresses (`<addr>`), IP
//! addresses (`<ip>`), times (`<time>`), quoted strings (`<str>`), numbers (`<n>`) and ids
//! (`<id>`: words of 8 or more characters with 3 or more digits). Enhanced status codes and the
//! leading reply code are kept: they are part of what a rule would match.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::LazyLock;

use anyhow::Result;
use bounce_engine::{EngineOptions, Output};
use bounce_mail::input;
use bounce_mail::split::MboxFormat;
use bounce_model::{Problem, Record, Source};
use bounce_rules::{Origin, RuleSet};
use clap::Args;
use regex::{Captures, Regex};

/// The built-in file whose rules decide on codes alone.
const FALLBACK_FILE: &str = "rules/generic/fallback.rules";

/// The label of records without any diagnostic text.
const NO_TEXT: &str = "(no diagnostic text)";

/// Arguments of `rules gaps`.
#[derive(Debug, Args)]
pub(crate) struct GapsArgs {
    /// Inputs: mbox files, Maildirs, .eml files, directories, `-` for stdin; gzip is detected.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Show the N most frequent clusters.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) top: usize,
    /// The mbox flavour: mboxrd (default), mboxo or mboxcl2.
    #[arg(long, value_name = "FORMAT", default_value = "mboxrd")]
    pub(crate) mbox_format: MboxFormat,
}

/// Records whose diagnostics mask to the same text.
#[derive(Debug)]
struct Cluster {
    pattern: String,
    count: usize,
    providers: BTreeMap<String, usize>,
    winners: BTreeMap<String, usize>,
    sample: Sample,
}

/// The first record of a cluster, shown in full.
#[derive(Debug)]
struct Sample {
    source: Source,
    recipient: String,
    codes: String,
    text: String,
}

pub(crate) fn run(args: &GapsArgs) -> Result<ExitCode> {
    let rules = crate::load_rules(&args.rules)?;
    let fallback = fallback_ids(&rules);
    let mut files = Vec::new();
    let mut failed: Vec<Problem> = Vec::new();
    for found in input::discover(&crate::input_paths(&args.inputs)) {
        match found {
            Ok(file) => files.push(file),
            Err(e) => failed.push(Problem { source: Source::default(), error: e.to_string() }),
        }
    }
    let mut options = EngineOptions::default();
    options.read.mbox_format = args.mbox_format;
    let classify = |record: &mut Record| rules.apply(record);
    let mut clusters: BTreeMap<String, Cluster> = BTreeMap::new();
    let mut gaps = 0usize;
    let summary = bounce_engine::run(&files, &options, &classify, |item| {
        if let Output::Record(record) = item {
            if is_gap(&record, &fallback) {
                gaps += 1;
                add(&mut clusters, &record);
            }
        }
        true
    });
    failed.extend(summary.failed_inputs.iter().cloned());
    let mut sorted: Vec<Cluster> = clusters.into_values().collect();
    sorted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.pattern.cmp(&b.pattern)));
    print!("{}", render(&sorted, gaps, summary.records, args.top));
    for problem in &failed {
        if problem.source.path.is_empty() {
            eprintln!("error: {}", problem.error);
        } else {
            eprintln!("error: {}: {}", problem.source.path, problem.error);
        }
    }
    Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(crate::EXIT_PARTIAL) })
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

/// The report: a summary line, then each cluster with its counts and a full sample.
fn render(clusters: &[Cluster], gaps: usize, records: u64, top: usize) -> String {
    let mut out = String::new();
    let shown = clusters.len().min(top);
    let _ = writeln!(
        out,
        "{gaps} of {records} records decided only by a fallback rule or by no rule; {} {} (showing {shown})",
        clusters.len(),
        if clusters.len() == 1 { "cluster" } else { "clusters" }
    );
    for (index, cluster) in clusters.iter().take(top).enumerate() {
        let _ = writeln!(out, "\n[{}] {} × {}", index + 1, cluster.count, cluster.pattern);
        let _ = writeln!(out, "    providers:  {}", counts(&cluster.providers));
        let _ = writeln!(out, "    decided by: {}", counts(&cluster.winners));
        let sample = &cluster.sample;
        let codes =
            if sample.codes.is_empty() { String::new() } else { format!(", {}", sample.codes) };
        let _ = writeln!(
            out,
            "    sample:     {} message {} ({}{codes})",
            sample.source.path, sample.source.message, sample.recipient
        );
        let _ = writeln!(out, "      {}", sample.text);
    }
    out
}

/// `name count, name count`, most frequent first.
fn counts(map: &BTreeMap<String, usize>) -> String {
    let mut pairs: Vec<(&String, &usize)> = map.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    pairs.iter().map(|(name, count)| format!("{name} {count}")).collect::<Vec<_>>().join(", ")
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
pub(crate) fn mask(text: &str) -> String {
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
