//! `bounce-triage classify`: records as JSON Lines, CSV or a table; incident groups with
//! `--groups`; a summary on stderr.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::aggregate::{AggregateOptions, Aggregator};
use bounce_engine::{EngineOptions, Output, Progress};
use bounce_mail::input::{self, InputFile};
use bounce_mail::split::MboxFormat;
use bounce_model::{Record, Summary};
use clap::Args;

use crate::output::{progress_bar, Format, RecordWriter, Target};

/// Exit code of a `--fail-on-incident` run in which a spike was flagged.
pub(crate) const EXIT_INCIDENT: u8 = 4;

/// Arguments shared by the commands that read archives.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// Inputs: mbox files, Maildirs, .eml files, directories, `-` for stdin; gzip is detected.
    #[arg(required = true)]
    pub(crate) inputs: Vec<PathBuf>,
    /// The mbox flavour: mboxrd (default), mboxo or mboxcl2.
    #[arg(long, value_name = "FORMAT", default_value = "mboxrd")]
    pub(crate) mbox_format: MboxFormat,
    /// Capture this header of the returned original (repeatable).
    #[arg(long = "capture-header", value_name = "NAME")]
    pub(crate) capture_header: Vec<String>,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Worker threads (default: one per core); the output is the same whatever N is.
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// No progress bar and no summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Largest message read, in bytes; larger ones are skipped and listed as unparsed.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub(crate) max_message_size: u64,
    /// Most header fields in a message's header block.
    #[arg(long, value_name = "N", default_value_t = 2_000)]
    pub(crate) max_header_count: usize,
    /// Largest header field, continuation lines included, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub(crate) max_header_line: usize,
    /// Deepest nesting of MIME parts.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub(crate) max_mime_depth: usize,
    /// Most recipients kept from one report (the rest are dropped with a warning).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub(crate) max_recipients: usize,
    /// Most bytes of one decoded text part read as the bounce's text (the rest is cut).
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub(crate) max_part_size: usize,
}

impl ReadArgs {
    /// The per-message limits these arguments set.
    pub(crate) fn limits(&self) -> bounce_mail::extract::Limits {
        bounce_mail::extract::Limits {
            max_header_count: self.max_header_count,
            max_header_line: self.max_header_line,
            max_mime_depth: self.max_mime_depth,
            max_recipients: self.max_recipients,
            max_decoded_part: self.max_part_size,
        }
    }
}

/// Spike settings shared by `classify` and `suppress`.
#[derive(Debug, Args)]
pub(crate) struct SpikeArgs {
    /// A window is a spike when a provider's count is at least F × its median of the
    /// previous windows…
    #[arg(long, value_name = "F", default_value_t = 4.0)]
    pub(crate) spike_factor: f64,
    /// …and at least N records.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(crate) spike_min: u64,
    /// CSV `receiver,hour,sent` of messages sent per receiving domain or provider and UTC
    /// hour: spikes and series use bounce rates instead of counts.
    #[arg(long, value_name = "FILE")]
    pub(crate) sent: Option<PathBuf>,
}

impl SpikeArgs {
    pub(crate) fn aggregator(&self) -> Result<Aggregator> {
        let sent = match &self.sent {
            None => None,
            Some(path) => {
                let file = fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                Some(
                    bounce_engine::read_sent(io::BufReader::new(file))
                        .with_context(|| format!("cannot read {}", path.display()))?,
                )
            }
        };
        let options = AggregateOptions {
            spike_factor: self.spike_factor,
            spike_min: self.spike_min,
            ..AggregateOptions::default()
        };
        Ok(Aggregator::new(options, sent))
    }
}

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub(crate) struct ClassifyArgs {
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Write the records to FILE (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<Format>,
    /// Write the run summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) summary: Option<PathBuf>,
    /// Write incident groups, time series and spikes as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) groups: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) spikes: SpikeArgs,
    /// Exit with code 4 when a spike is flagged (for scheduled audits).
    #[arg(long)]
    pub(crate) fail_on_incident: bool,
}

/// The inputs found, and the errors of those that could not be.
pub(crate) fn discover(inputs: &[PathBuf]) -> (Vec<InputFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for found in input::discover(&crate::input_paths(inputs)) {
        match found {
            Ok(f) => files.push(f),
            Err(e) => failures.push(e.to_string()),
        }
    }
    (files, failures)
}

/// Runs the engine over the inputs with a progress bar, calling `each` for every record in
/// input order; `each` returns `false` to stop. Returns the summary.
pub(crate) fn stream(
    args: &ReadArgs,
    mut each: impl FnMut(&Record) -> bool,
) -> Result<(Summary, Vec<String>)> {
    let (files, failures) = discover(&args.inputs);
    let mut options = EngineOptions::default();
    options.read.mbox_format = args.mbox_format;
    options.extract.capture_headers.clone_from(&args.capture_header);
    options.extract.limits = args.limits();
    options.read.max_message_bytes = args.max_message_size;
    options.threads = args.threads;
    let rules = crate::load_rules(&args.rules)?;
    let classify = |record: &mut Record| rules.apply(record);
    let bar = progress_bar(bounce_engine::total_bytes(&files), args.quiet);
    let started = std::time::Instant::now();
    let mut on_progress = |p: Progress| {
        if let Some(bar) = &bar {
            bar.set_position(p.bytes);
            let seconds = started.elapsed().as_secs_f64().max(1e-3);
            #[allow(clippy::cast_precision_loss)]
            let rate = p.messages as f64 / seconds;
            bar.set_message(format!("{} msgs, {rate:.0} msgs/s", p.messages));
        }
    };
    let summary = bounce_engine::run_with_progress(
        &files,
        &options,
        &classify,
        |item| match item {
            Output::Record(record) => each(&record),
            Output::Problem(_) => true,
        },
        &mut on_progress,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok((summary, failures))
}

pub(crate) fn run(args: &ClassifyArgs) -> Result<ExitCode> {
    let format = Format::choose(args.format, args.output.is_some());
    let mut out = RecordWriter::new(format, Target::open(args.output.as_deref())?);
    let mut aggregator = if args.groups.is_some() || args.fail_on_incident {
        Some(args.spikes.aggregator()?)
    } else {
        None
    };
    let mut write_error: Option<io::Error> = None;
    let (mut summary, failures) = stream(&args.read, |record| {
        if let Some(aggregator) = &mut aggregator {
            aggregator.add(record);
        }
        if write_error.is_some() {
            return aggregator.is_some();
        }
        if let Err(e) = out.write(record) {
            write_error = Some(e);
            return aggregator.is_some();
        }
        true
    })?;
    match write_error {
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Some(e) => return Err(e).context("cannot write the records"),
        None => out.finish()?,
    }
    add_failures(&mut summary, failures);
    let mut incident = false;
    if let Some(aggregator) = aggregator {
        let aggregates = aggregator.finish();
        incident = !aggregates.spikes.is_empty();
        if let Some(path) = &args.groups {
            write_atomic(path, serde_json::to_string_pretty(&aggregates)?.as_bytes())?;
        }
        if incident && !args.read.quiet {
            for spike in &aggregates.spikes {
                eprintln!(
                    "incident: {} spike at {} from {} to {}: {} records (baseline {:.1})",
                    spike.category,
                    spike.provider,
                    spike.window_start,
                    spike.window_end,
                    spike.count,
                    spike.baseline
                );
            }
        }
    }
    if let Some(path) = &args.summary {
        write_atomic(path, serde_json::to_string_pretty(&summary)?.as_bytes())?;
    }
    if !args.read.quiet {
        print_summary(&summary);
    }
    Ok(exit_code(&summary, incident && args.fail_on_incident))
}

/// Adds the inputs that could not be found to the summary.
pub(crate) fn add_failures(summary: &mut Summary, failures: Vec<String>) {
    for failure in failures {
        summary.failed_inputs.push(bounce_model::Problem {
            source: bounce_model::Source::default(),
            error: failure,
        });
    }
}

/// 4 for a flagged incident (when asked), 3 for a partial run, 0 otherwise.
pub(crate) fn exit_code(summary: &Summary, incident: bool) -> ExitCode {
    if incident {
        ExitCode::from(EXIT_INCIDENT)
    } else if summary.failed_inputs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_PARTIAL)
    }
}

pub(crate) fn print_summary(s: &Summary) {
    eprintln!(
        "messages {}: bounce {}, report {}, bounce-no-recipient {}, not-a-bounce {}, unparsed {}; records {}",
        s.messages, s.bounce, s.report, s.bounce_no_recipient, s.not_a_bounce, s.unparsed, s.records
    );
    for p in &s.preambles {
        eprintln!("note: {}@{}: {}", p.source.path, p.source.offset, p.error);
    }
    for p in &s.problems {
        eprintln!(
            "warning: {} message {} at byte {}: {}",
            p.source.path, p.source.message, p.source.offset, p.error
        );
    }
    for p in &s.failed_inputs {
        if p.source.path.is_empty() {
            eprintln!("error: {}", p.error);
        } else {
            eprintln!("error: {}: {}", p.source.path, p.error);
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename); a
/// device or pipe (`/dev/null`, a FIFO) is written in place instead of being replaced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if crate::output::is_special(path) {
        let mut file = crate::output::open_special(path)?;
        return file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
