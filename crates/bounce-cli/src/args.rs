//! The arguments every archive-reading command shares, flattened into each command (after the
//! command's own flags, so its help leads with them), and the one place they become the
//! engine's [`ReadOptions`] and [`Pipeline`].

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use bounce_engine::{
    ExtractOptions, Limits, MboxFormat, Pipeline, PipelineError, ReadOptions, RecordFilter,
};
use bounce_model::Category;
use bounce_rules::RuleLimits;
use clap::builder::PossibleValuesParser;
use clap::Args;

/// The help heading of the flags that say how inputs are read.
pub(crate) const INPUT: &str = "Input";
/// The help heading of the flags that say where and how results are written.
pub(crate) const OUTPUT: &str = "Output";
/// The help heading of the rule flags.
pub(crate) const RULES: &str = "Rules";
/// The help heading of the record filters.
pub(crate) const FILTERS: &str = "Filters";
/// The help heading of the per-message limits.
pub(crate) const LIMITS: &str = "Limits";

/// What `--since` and `--until` accept, for their help and their errors.
const TIME_FORMS: &str = "RFC 3339 (2026-06-10T15:00:00Z, 2026-06-10T17:00:00+02:00), a date \
     (2026-06-10) or a date and time without a zone, read as UTC (2026-06-10T15:00)";

/// The most worker threads `--threads` accepts.
pub(crate) const MAX_THREADS: usize = 1024;

/// Reads `--threads`: a whole number from 1 to [`MAX_THREADS`].
fn thread_count(text: &str) -> Result<usize, String> {
    let n: usize = text.parse().map_err(|_| format!("`{text}` is not a whole number"))?;
    if (1..=MAX_THREADS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is not in 1..={MAX_THREADS}"))
    }
}

/// Arguments shared by `classify`, `suppress`, `report`, `rules gaps` and `explain`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// Inputs: mbox files, Maildirs, .eml files, directories, the JSON Lines of an earlier
    /// `classify` run, `-` for stdin; gzip is detected, the format is sniffed by content.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Read every input as this format instead of sniffing it: mail, jsonl, postfix-log,
    /// exim-log, sendmail-log, kumomta-log, sfmc-bounce, powermta-acct, exchange-tracking, esp-events, smtp-transcript.
    #[arg(long, value_name = "FORMAT", help_heading = INPUT)]
    pub(crate) input_format: Option<String>,
    /// The zone of log times that carry none (Postfix, Sendmail and Exim logs; Marketing Cloud
    /// exports, whose default is UTC-06:00): UTC (default), an offset such as +02:00, or a zone
    /// name such as Europe/Berlin.
    #[arg(long, value_name = "ZONE", help_heading = INPUT)]
    pub(crate) log_timezone: Option<String>,
    /// The year of syslog times that carry none (`Jun  9 06:12:03`); default: this year, or
    /// the last one when the date would lie more than a day ahead.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i16).range(1970..=9999), help_heading = INPUT)]
    pub(crate) log_year: Option<i16>,
    /// A Marketing Cloud `_Subscribers` or `_Sent` export (CSV or TSV with SubscriberKey and
    /// EmailAddress columns): the address of `_Bounce` rows whose SubscriberKey is not one.
    #[arg(long, value_name = "FILE", help_heading = INPUT)]
    pub(crate) join: Option<PathBuf>,
    /// The mbox flavour: mboxrd (default), mboxo or mboxcl2.
    #[arg(long, value_name = "FORMAT", default_value = "mboxrd", help_heading = INPUT)]
    pub(crate) mbox_format: MboxFormat,
    /// Read only shard K of N of the inputs (1 <= K <= N): the units (messages, lines,
    /// events, rows) that start in the K-th of N equal byte ranges of each file; gzip and
    /// Maildir files go whole to one shard. The N shards' results add up to the unsharded
    /// run's (`merge`; see docs/shards.md).
    #[arg(long, value_name = "K/N", help_heading = INPUT)]
    pub(crate) shard: Option<bounce_engine::Shard>,
    /// Capture this header of the returned original (repeatable).
    #[arg(long = "capture-header", value_name = "NAME", help_heading = INPUT)]
    pub(crate) capture_header: Vec<String>,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH", help_heading = RULES)]
    pub(crate) rules: Vec<PathBuf>,
    /// Worker threads, 1 to 1024 (default: one per core); the output is the same whatever N
    /// is. More threads than cores gain nothing, and thousands exhaust the system's thread
    /// limit: N above 1024 is a usage error.
    #[arg(long, value_name = "N", value_parser = thread_count)]
    pub(crate) threads: Option<usize>,
    /// No progress bar and no summary on stderr (errors are still printed).
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    #[command(flatten)]
    pub(crate) dns: Box<crate::dns_args::DnsArgs>,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) rule_limits: RuleLimitArgs,
}

/// Caps on the user's rule files (`--rules`), so an endless or huge file ends with an error.
#[derive(Debug, Args)]
pub(crate) struct RuleLimitArgs {
    /// Largest rule file read, in bytes (16 MiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = RuleLimits::DEFAULT_MAX_FILE_BYTES, help_heading = LIMITS)]
    pub(crate) max_rules_bytes: u64,
    /// Longest string or regex literal in a rule file, in bytes (64 KiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = RuleLimits::DEFAULT_MAX_LITERAL_BYTES, help_heading = LIMITS)]
    pub(crate) max_rule_literal: usize,
}

impl RuleLimitArgs {
    /// The limits as the rules crate takes them.
    pub(crate) fn limits(&self) -> RuleLimits {
        RuleLimits {
            max_file_bytes: self.max_rules_bytes,
            max_literal_bytes: self.max_rule_literal,
        }
    }
}

/// Size and structure limits of one message.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Largest message read, in bytes; larger ones are skipped and listed as unparsed.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20, help_heading = LIMITS)]
    pub(crate) max_message_size: u64,
    /// Most header fields in a message's header block.
    #[arg(long, value_name = "N", default_value_t = 2_000, help_heading = LIMITS)]
    pub(crate) max_header_count: usize,
    /// Largest header field, continuation lines included, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20, help_heading = LIMITS)]
    pub(crate) max_header_line: usize,
    /// Deepest nesting of MIME parts.
    #[arg(long, value_name = "N", default_value_t = 50, help_heading = LIMITS)]
    pub(crate) max_mime_depth: usize,
    /// Most recipients kept from one report (the rest are dropped with a warning).
    #[arg(long, value_name = "N", default_value_t = 10_000, help_heading = LIMITS)]
    pub(crate) max_recipients: usize,
    /// Most bytes of one decoded text part read as the bounce's text (the rest is cut).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20, help_heading = LIMITS)]
    pub(crate) max_part_size: usize,
}

/// Which records the command sees (every message is still counted in the summary).
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Keep only records of this provider (repeatable): a provider the rules define
    /// (`rules list`), or `other` for records no provider claims.
    #[arg(long, value_name = "NAME", help_heading = FILTERS)]
    pub(crate) provider: Vec<String>,
    /// Keep only records of this category (repeatable): a category of the taxonomy, such as
    /// invalid-recipient, mailbox-full or reputation (a wrong name lists them all).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = FILTERS,
        value_parser = PossibleValuesParser::new(Category::ALL.map(Category::as_str)),
        hide_possible_values = true
    )]
    pub(crate) category: Vec<String>,
    /// Keep records at or after this time: RFC 3339 (2026-06-10T15:00:00Z,
    /// 2026-06-10T17:00:00+02:00), a date (its start, UTC: 2026-06-10) or a date and time
    /// without a zone, read as UTC (2026-06-10T15:00).
    #[arg(long, value_name = "TIME", help_heading = FILTERS, value_parser = parse_time)]
    pub(crate) since: Option<TimeArg>,
    /// Keep records before this time, in the same forms as --since; a date means the end of
    /// that day (UTC).
    #[arg(long, value_name = "TIME", help_heading = FILTERS, value_parser = parse_time)]
    pub(crate) until: Option<TimeArg>,
}

/// A `--since` or `--until` value: an instant, or a whole day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeArg {
    /// Seconds since the epoch.
    Instant(i64),
    /// The start of the day, in seconds since the epoch.
    Day(i64),
}

impl TimeArg {
    /// The bound as seconds: a day starts at its midnight, or for `--until` ends at the next.
    fn seconds(self, end_of_day: bool) -> i64 {
        match self {
            TimeArg::Instant(seconds) => seconds,
            TimeArg::Day(start) => start + if end_of_day { 86_400 } else { 0 },
        }
    }
}

/// Reads a `--since`/`--until` value with jiff: an RFC 3339 time with its offset, a date, or
/// a date and time without a zone (UTC). An impossible date or time is an error, never
/// another date.
pub(crate) fn parse_time(text: &str) -> Result<TimeArg, String> {
    let text = text.trim();
    let fail = |e: jiff::Error| format!("{e}; expected {TIME_FORMS}");
    let time_at = text.find(['T', 't', ' ']);
    let Some(time_at) = time_at else {
        let date: jiff::civil::Date = text.parse().map_err(fail)?;
        let start = jiff::tz::Offset::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map_err(fail)?;
        return Ok(TimeArg::Day(start.as_second()));
    };
    let zoned = text[time_at..].contains(['Z', 'z', '+', '-']);
    let instant = if zoned {
        text.parse::<jiff::Timestamp>().map_err(fail)?
    } else {
        let local: jiff::civil::DateTime = text.parse().map_err(fail)?;
        jiff::tz::Offset::UTC.to_timestamp(local).map_err(fail)?
    };
    Ok(TimeArg::Instant(instant.as_second()))
}

impl ReadArgs {
    /// What the user typed, resolved into the engine's options.
    pub(crate) fn options(&self) -> Result<ReadOptions> {
        let limits = &self.limits;
        let filter = &self.filter;
        Ok(ReadOptions {
            inputs: self.inputs.clone(),
            input_format: self.input_format.clone(),
            mbox_format: self.mbox_format,
            max_message_bytes: limits.max_message_size,
            extract: ExtractOptions {
                capture_headers: self.capture_header.clone(),
                limits: Limits {
                    max_header_count: limits.max_header_count,
                    max_header_line: limits.max_header_line,
                    max_mime_depth: limits.max_mime_depth,
                    max_recipients: limits.max_recipients,
                    max_decoded_part: limits.max_part_size,
                },
            },
            rules: self.rules.clone(),
            rule_limits: self.rule_limits.limits(),
            filter: RecordFilter::new(
                &filter.provider,
                &filter.category,
                filter.since.map(|t| t.seconds(false)),
                filter.until.map(|t| t.seconds(true)),
            )
            .map_err(|e| anyhow!(e))?,
            threads: self.threads,
            log_timezone: self.log_timezone.clone(),
            log_year: self.log_year,
            shard: self.shard.unwrap_or_default(),
            join: match &self.join {
                Some(path) => Some(std::sync::Arc::new(
                    bounce_engine::source::SubscriberJoin::load(path).map_err(|e| anyhow!(e))?,
                )),
                None => None,
            },
            dns: self.dns.client()?,
            ..ReadOptions::default()
        })
        .and_then(|options| {
            bounce_engine::source::log_zone(&options).map_err(|e| anyhow!(e))?;
            if let Some(format) = &options.input_format {
                let registry = bounce_engine::source::Registry::builtin();
                if registry.get(format).is_none() {
                    bail!("{}", registry.unknown(format));
                }
            }
            Ok(options)
        })
    }

    /// The pipeline these arguments ask for.
    pub(crate) fn pipeline(&self) -> Result<Pipeline> {
        pipeline(self.options()?)
    }
}

/// Builds a pipeline, printing rule errors like a compiler does; a `--provider` the loaded
/// rules do not define is an error listing those they do.
pub(crate) fn pipeline(options: ReadOptions) -> Result<Pipeline> {
    let pipeline = Pipeline::new(options).map_err(|e| match e {
        PipelineError::Rules(errors) => {
            crate::output::eprint_lines(&errors.to_string());
            anyhow!("the rules do not compile")
        }
        other => anyhow!(other),
    })?;
    let known: Vec<&str> = pipeline.rules().provider_names().chain(["other"]).collect();
    for name in pipeline.options().filter.providers() {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            bail!("unknown provider `{name}` for --provider (known: {})", known.join(", "));
        }
    }
    Ok(pipeline)
}
