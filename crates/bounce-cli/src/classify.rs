//! `bounce-triage classify`: records as JSON Lines, CSV or a table; incident groups with
//! `--groups`; a summary on stderr.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::aggregate::{AggregateOptions, Aggregator};
use bounce_engine::Output;
use bounce_model::Record;
use clap::Args;

use crate::args::{ReadArgs, OUTPUT};
use crate::output::{is_closed_pipe, Format, RecordWriter, Target};
use crate::runner::{self, Ran};

/// The help heading of the spike and incident flags.
pub(crate) const INCIDENTS: &str = "Incidents";

/// Spike settings shared by `classify` and `suppress`.
#[derive(Debug, Args)]
pub(crate) struct SpikeArgs {
    /// A window is a spike when a provider's count is at least F × its median of the
    /// previous windows…
    #[arg(long, value_name = "F", default_value_t = 4.0, help_heading = INCIDENTS)]
    pub(crate) spike_factor: f64,
    /// …and at least N records.
    #[arg(long, value_name = "N", default_value_t = 5, help_heading = INCIDENTS)]
    pub(crate) spike_min: u64,
    /// CSV `receiver,hour,sent` of messages sent per receiving domain or provider and UTC
    /// hour: spikes and series use bounce rates instead of counts.
    #[arg(long, value_name = "FILE", help_heading = INCIDENTS)]
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
    /// Write the records to FILE (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) output: Option<PathBuf>,
    /// Output format (default: a table as wide as the terminal on a terminal, jsonl
    /// otherwise; the table is 100 columns wide, or $COLUMNS, when stdout is not a terminal).
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = OUTPUT)]
    pub(crate) format: Option<Format>,
    /// Write the run summary as JSON to FILE.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) summary: Option<PathBuf>,
    /// Write incident groups, time series and spikes as JSON to FILE; with --shard, the
    /// partial groups that `merge groups` combines.
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) groups: Option<PathBuf>,
    /// Exit with code 4 when a spike is flagged (for scheduled audits).
    #[arg(long, help_heading = INCIDENTS)]
    pub(crate) fail_on_incident: bool,
    #[command(flatten)]
    pub(crate) spikes: SpikeArgs,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

/// Runs the pipeline over the inputs with the progress bar (unless `--quiet`), calling `each`
/// for every record in input order; `each` returns `false` to stop.
pub(crate) fn stream(args: &ReadArgs, each: impl FnMut(&Record) -> bool) -> Result<Ran> {
    let pipeline = args.pipeline()?;
    Ok(stream_pipeline(&pipeline, !args.quiet, each))
}

/// [`stream`] over a pipeline already built.
pub(crate) fn stream_pipeline(
    pipeline: &bounce_engine::Pipeline,
    progress: bool,
    mut each: impl FnMut(&Record) -> bool,
) -> Ran {
    runner::run(pipeline, progress, |item| match item {
        Output::Record(record) => each(&record),
        _ => true,
    })
}

/// A record as one JSON line's text (without the line end), as [`RecordWriter`] writes it.
fn encode_jsonl(record: &Record, out: &mut Vec<u8>) -> bool {
    serde_json::to_writer(out, record).is_ok()
}

pub(crate) fn run(args: &ClassifyArgs) -> Result<ExitCode> {
    let format = Format::choose(args.format, args.output.is_some());
    // Every destination is checked before the inputs are read.
    let mut out = RecordWriter::new(format, Target::open(args.output.as_deref())?);
    let summary_file = Target::open_file(args.summary.as_deref())?;
    let groups_file = Target::open_file(args.groups.as_deref())?;
    let mut aggregator = if args.groups.is_some() || args.fail_on_incident {
        Some(args.spikes.aggregator()?)
    } else {
        None
    };
    // Records on the terminal would fight with a progress bar there.
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    // A closed stdout ends the reading unless a file still needs the whole run.
    let read_to_end = aggregator.is_some() || args.summary.is_some();
    let mut options = args.read.options()?;
    if format == Format::Jsonl {
        // Each JSON line is encoded by the worker that classified the record; the records
        // themselves stay there unless the groups need them.
        options.encode = Some(encode_jsonl);
        options.keep_records = aggregator.is_some();
    }
    let pipeline = crate::args::pipeline(options)?;
    let mut write_error: Option<anyhow::Error> = None;
    let progress = !args.read.quiet && !to_terminal;
    let ran = runner::run(&pipeline, progress, |item| {
        let (record, encoded) = match &item {
            Output::Record(record) => (record, None),
            Output::Encoded { record, encoded } => (record, Some(encoded.as_slice())),
            Output::Lines { lines, .. } => {
                if write_error.is_some() {
                    return read_to_end;
                }
                if let Err(e) = out.write_lines(lines) {
                    write_error = Some(e);
                    return read_to_end;
                }
                return true;
            }
            _ => return true,
        };
        if let Some(aggregator) = &mut aggregator {
            aggregator.add(record);
        }
        if write_error.is_some() {
            return read_to_end;
        }
        let written = match encoded {
            Some(encoded) => out.write_encoded(record, encoded),
            None => out.write(record),
        };
        if let Err(e) = written {
            write_error = Some(e);
            return read_to_end;
        }
        true
    });
    ran.require_input()?;
    // One transaction as far as files allow: the records, groups and summary files are each
    // written in full (and synced) under a temporary name first, then all renamed into place;
    // a failure while writing (a full disk) replaces none of them.
    let mut pending = Vec::new();
    let closed = match write_error {
        Some(e) if is_closed_pipe(&e) => true,
        Some(e) => return Err(e),
        None => match out.written() {
            Err(e) if is_closed_pipe(&e) => true,
            other => {
                pending.push(other?);
                false
            }
        },
    };
    let mut incident = false;
    if let Some(aggregator) = aggregator {
        // A shard's groups are the mergeable state (`merge groups` finishes them): its own
        // spikes would be decided on a part of the archive.
        let partial = args.read.shard.is_some().then(|| aggregator.to_partial());
        let aggregates = aggregator.finish();
        incident = !aggregates.spikes.is_empty();
        if let Some(mut target) = groups_file {
            let json = match &partial {
                Some(partial) => serde_json::to_string_pretty(partial)?,
                None => serde_json::to_string_pretty(&aggregates)?,
            };
            target.write_all(json.as_bytes())?;
            pending.push(target.written()?);
        }
        if incident && !args.read.quiet {
            for spike in &aggregates.spikes {
                crate::output::eprint_line(&format!(
                    "incident: {} spike at {} from {} to {}: {} records (baseline {:.1})",
                    spike.category,
                    spike.provider,
                    spike.window_start,
                    spike.window_end,
                    spike.count,
                    spike.baseline
                ));
            }
        }
    }
    if let Some(mut target) = summary_file {
        target.write_all(serde_json::to_string_pretty(&ran.summary)?.as_bytes())?;
        pending.push(target.written()?);
    }
    for file in pending {
        file.commit()?;
    }
    if closed || args.read.quiet {
        // After a closed stdout the reader has what it wanted: no summary, as `cat` prints
        // nothing either. Inputs that could not be read are errors all the same.
        ran.print_input_errors();
    } else {
        ran.print_summary();
    }
    Ok(ran.exit_code(incident && args.fail_on_incident))
}
