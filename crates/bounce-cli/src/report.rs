//! `bounce-triage report`: renders a report or escalation document from archives or from the
//! JSON Lines of an earlier `classify` run.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use bounce_engine::aggregate::{aggregate_records, AggregateOptions};
use bounce_engine::EngineOptions;
use bounce_mail::input;
use bounce_mail::split::MboxFormat;
use bounce_model::{Aggregates, Category, Dimension, Kind, Record, Summary};
use bounce_report::{build_context, ReportOptions, Templates};
use clap::Args;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Inputs: archives (as for `classify`), or the JSON Lines of an earlier `classify` run
    /// (detected by content: the first non-blank byte is `{`).
    #[arg(required = true)]
    pub(crate) inputs: Vec<PathBuf>,
    /// The template: a file name or a name without extension (`templates list` shows them).
    #[arg(short, long, value_name = "NAME", default_value = "triage-summary")]
    pub(crate) template: String,
    /// Write the report to FILE (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Templates in DIR override built-ins of the same file name or add new ones.
    #[arg(long = "templates", value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
    /// Keep only records of this provider (repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) provider: Vec<String>,
    /// Keep only records of this category (repeatable).
    #[arg(long, value_name = "NAME")]
    pub(crate) category: Vec<String>,
    /// Keep records at or after this time (RFC 3339 or YYYY-MM-DD, UTC).
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Keep records before this time (RFC 3339, or YYYY-MM-DD for the end of that day).
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Group by these keys, comma-separated: category, reason, provider, token, remote_mta,
    /// sending_ip, recipient_domain, sender_domain, stage, action, provider+category+token,
    /// header:NAME.
    #[arg(long = "group", value_name = "KEY", default_value = "provider,category,token")]
    pub(crate) group: String,
    /// The report title.
    #[arg(long, value_name = "TEXT", default_value = "Bounce triage")]
    pub(crate) title: String,
    /// Print this as the generation time (omitted by default, so output is reproducible).
    #[arg(long, value_name = "TEXT")]
    pub(crate) generated_at: Option<String>,
    /// Add rules from this file or directory (repeatable), for archive inputs.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// The mbox flavour of archive inputs: mboxrd (default), mboxo or mboxcl2.
    #[arg(long, value_name = "FORMAT", default_value = "mboxrd")]
    pub(crate) mbox_format: MboxFormat,
}

pub(crate) fn run(args: &ReportArgs) -> Result<ExitCode> {
    let templates = load_templates(args.templates.as_deref())?;
    let name = templates.resolve(&args.template)?.to_string();
    let keys = parse_group_keys(&args.group)?;
    let (records, summary, notes) = load_records(args)?;
    let filter = Filter::new(args)?;
    let records: Vec<Record> = records.into_iter().filter(|r| filter.keeps(r)).collect();
    let aggregates = simple_aggregates(&records, keys);
    let options = ReportOptions {
        title: args.title.clone(),
        generated_at: args.generated_at.clone(),
        inputs: args.inputs.iter().map(|p| p.display().to_string()).collect(),
        filters: filter.describe(),
        notes,
    };
    let context = build_context(&records, &summary, &aggregates, &options);
    let text = templates.render(&name, &context)?;
    match &args.output {
        Some(path) => crate::classify::write_atomic(path, text.as_bytes())?,
        None => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(if summary.failed_inputs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_PARTIAL)
    })
}

/// The built-ins plus every file of `dir` (by file name).
pub(crate) fn load_templates(dir: Option<&Path>) -> Result<Templates> {
    let mut user = Vec::new();
    if let Some(dir) = dir {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot read the template folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let source = fs::read_to_string(&path)
                .with_context(|| format!("cannot read the template {}", path.display()))?;
            user.push((name.to_string(), source));
        }
    }
    Ok(Templates::with_overrides(user)?)
}

fn parse_group_keys(text: &str) -> Result<Vec<Dimension>> {
    let keys = text
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|key| {
            Dimension::parse(key).with_context(|| {
                format!(
                    "unknown group key `{key}` (known: {}, header:NAME)",
                    Dimension::NAMES.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("--group needs at least one key");
    }
    Ok(keys)
}

/// Whether a file holds JSON Lines: its first non-blank byte is `{`.
fn is_jsonl(path: &Path) -> bool {
    let Ok(mut file) = fs::File::open(path) else { return false };
    let mut buf = [0u8; 512];
    let Ok(n) = file.read(&mut buf) else { return false };
    buf[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads every input: JSON Lines directly, archives through the engine and the rules.
fn load_records(args: &ReportArgs) -> Result<(Vec<Record>, Summary, Vec<String>)> {
    let mut records = Vec::new();
    let mut summary = Summary::default();
    let mut notes = Vec::new();
    let mut archives = Vec::new();
    for path in &args.inputs {
        if path.is_file() && is_jsonl(path) {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let before = records.len();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let record = parse_record(line).with_context(|| {
                    format!("{}:{}: not a record of `classify`", path.display(), n + 1)
                })?;
                records.push(record);
            }
            summary.merge(summary_of_jsonl(&records[before..]));
            notes.push(format!(
                "{} is an earlier classify run: its message counts cover only messages with records",
                path.display()
            ));
        } else {
            archives.push(path.clone());
        }
    }
    if !archives.is_empty() {
        let mut files = Vec::new();
        for found in input::discover(&crate::input_paths(&archives)) {
            match found {
                Ok(f) => files.push(f),
                Err(e) => summary.failed_inputs.push(bounce_model::Problem {
                    source: bounce_model::Source::default(),
                    error: e.to_string(),
                }),
            }
        }
        let mut options = EngineOptions::default();
        options.read.mbox_format = args.mbox_format;
        let rules = crate::load_rules(&args.rules)?;
        let classify = |record: &mut Record| rules.apply(record);
        let run = bounce_engine::run(&files, &options, &classify, |item| {
            if let bounce_engine::Output::Record(record) = item {
                records.push(*record);
            }
            true
        });
        summary.merge(run);
    }
    for p in &summary.failed_inputs {
        eprintln!("error: {} {}", p.source.path, p.error);
    }
    Ok((records, summary, notes))
}

/// Parses one JSON Lines record of an earlier `classify` run.
fn parse_record(line: &str) -> Result<Record> {
    Ok(serde_json::from_str(line)?)
}

/// A summary rebuilt from records: one message per distinct source.
fn summary_of_jsonl(records: &[Record]) -> Summary {
    let mut messages: BTreeMap<(&str, u64), bool> = BTreeMap::new();
    for r in records {
        let failure = r.kind.is_some_and(Kind::is_failure);
        *messages.entry((r.source.path.as_str(), r.source.message)).or_default() |= failure;
    }
    let mut summary = Summary::default();
    for failure in messages.values() {
        summary.count(if *failure {
            bounce_model::Bucket::Bounce
        } else {
            bounce_model::Bucket::Report
        });
    }
    summary.records = records.len() as u64;
    summary
}

/// The record filters of the command line.
struct Filter {
    providers: Vec<String>,
    categories: Vec<String>,
    since: Option<String>,
    until: Option<String>,
}

impl Filter {
    fn new(args: &ReportArgs) -> Result<Filter> {
        for c in &args.category {
            if Category::from_name(c).is_none() {
                bail!("unknown category `{c}`");
            }
        }
        Ok(Filter {
            providers: args.provider.iter().map(|p| p.to_ascii_lowercase()).collect(),
            categories: args.category.clone(),
            since: args.since.as_deref().map(|t| utc_bound(t, false)).transpose()?,
            until: args.until.as_deref().map(|t| utc_bound(t, true)).transpose()?,
        })
    }

    fn keeps(&self, record: &Record) -> bool {
        let verdict = record.verdict.as_ref();
        let provider = verdict.and_then(|v| v.provider.as_deref()).unwrap_or("other");
        let category = verdict.map_or("unknown", |v| v.category.as_str());
        if !self.providers.is_empty() && !self.providers.iter().any(|p| p == provider) {
            return false;
        }
        if !self.categories.is_empty() && !self.categories.iter().any(|c| c == category) {
            return false;
        }
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(time) = record.timestamp.as_deref() else { return false };
        self.since.as_deref().is_none_or(|s| time >= s)
            && self.until.as_deref().is_none_or(|u| time < u)
    }

    fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.providers.is_empty() {
            out.push(format!("provider = {}", self.providers.join(" or ")));
        }
        if !self.categories.is_empty() {
            out.push(format!("category = {}", self.categories.join(" or ")));
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
/// A date alone means its start, or for `--until` the start of the next day.
fn utc_bound(text: &str, end_of_day: bool) -> Result<String> {
    let bad = || anyhow::anyhow!("`{text}` is not an RFC 3339 time or a YYYY-MM-DD date");
    let digits = |s: &str| -> Result<i64> {
        if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
            Ok(s.parse()?)
        } else {
            Err(bad())
        }
    };
    let date = text.get(..10).ok_or_else(bad)?;
    let (y, m, d) = (
        digits(date.get(..4).ok_or_else(bad)?)?,
        digits(date.get(5..7).ok_or_else(bad)?)?,
        digits(date.get(8..10).ok_or_else(bad)?)?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut seconds = bounce_model::time::days_from_civil(y, m, d) * 86_400;
    if text.len() == 10 {
        if end_of_day {
            seconds += 86_400;
        }
    } else {
        let rest = text.get(11..).filter(|_| matches!(text.as_bytes()[10], b'T' | b't' | b' '));
        let rest = rest.ok_or_else(bad)?;
        let (h, mi, s) = (
            digits(rest.get(..2).ok_or_else(bad)?)?,
            digits(rest.get(3..5).ok_or_else(bad)?)?,
            digits(rest.get(6..8).ok_or_else(bad)?)?,
        );
        seconds += h * 3600 + mi * 60 + s;
        let zone = rest[8..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        match zone {
            "Z" | "z" => {}
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
                let offset = digits(&z[1..3])? * 3600 + digits(&z[4..6])? * 60;
                seconds -= if z.starts_with('+') { offset } else { -offset };
            }
            _ => return Err(bad()),
        }
    }
    Ok(bounce_model::time::format_rfc3339(seconds))
}

/// Groups by the `--group` keys, hour and day series for the charts, spikes and the
/// suppression, keep and complaint lists: the engine's one aggregator, so reports and
/// `suppress` decide alike.
pub(crate) fn simple_aggregates(records: &[Record], keys: Vec<Dimension>) -> Aggregates {
    aggregate_records(records, AggregateOptions::report(keys))
}
