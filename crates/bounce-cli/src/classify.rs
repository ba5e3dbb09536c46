//! `bounce-triage classify`: records as JSON Lines, CSV or a table; incident groups with
//! `--groups`; a summary on stderr.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::aggregate::{AggregateOptions, Aggregator};
use bounce_engine::{Output, Pipeline, Progress};
use bounce_model::{Record, Summary};
use clap::Args;

use crate::args::ReadArgs;
use crate::output::{progress_bar, Format, RecordWriter, Target};

/// Exit code of a `--fail-on-incident` run in which a spike was flagged.
pub(crate) const EXIT_INCIDENT: u8 = 4;

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

/// Runs the pipeline over the inputs with a progress bar, calling `each` for every record in
/// input order; `each` returns `false` to stop. Returns the summary.
pub(crate) fn stream(args: &ReadArgs, each: impl FnMut(&Record) -> bool) -> Result<Summary> {
    let pipeline = args.pipeline()?;
    Ok(stream_pipeline(&pipeline, args.quiet, each))
}

/// [`stream`] over a pipeline already built.
pub(crate) fn stream_pipeline(
    pipeline: &Pipeline,
    quiet: bool,
    mut each: impl FnMut(&Record) -> bool,
) -> Summary {
    let bar = progress_bar(pipeline.total_bytes(), quiet);
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
    let summary = pipeline.run_with_progress(
        |item| match item {
            Output::Record(record) => each(&record),
            _ => true,
        },
        &mut on_progress,
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    summary
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
    let summary = stream(&args.read, |record| {
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
