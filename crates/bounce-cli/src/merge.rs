//! `bounce-triage merge`: combines the outputs of shards (`--shard K/N`) without their
//! inputs — summaries, incident groups, suppression states — into what one run over every
//! shard writes. Merging is commutative and associative: any order, any tree of merges.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use bounce_engine::aggregate::{Aggregator, PartialAggregates};
use bounce_engine::merge::{merge_states, merge_summaries};
use bounce_engine::state::SuppressionState;
use bounce_model::Summary;
use clap::{Args, Subcommand};

use crate::args::{LIMITS, OUTPUT};
use crate::output::Target;
use crate::read_capped::read_to_string_capped;

/// The default cap of `--max-input-bytes`.
const DEFAULT_MAX_INPUT_BYTES: u64 = 1 << 30;

/// What to merge.
#[derive(Debug, Subcommand)]
pub(crate) enum MergeCommand {
    /// Add up run summaries (`classify --summary`): every count adds, the lists of problems
    /// join in path and offset order.
    Summary(MergeArgs),
    /// Merge the partial groups of shards (`classify --shard K/N --groups FILE`) into the
    /// incident groups, time series and spikes of the whole run.
    Groups(MergeGroupsArgs),
    /// Merge suppression states (`suppress --state`): counters add, attempts of one original
    /// count once, the latest delivery resets quota failures.
    State(MergeArgs),
}

/// Files to merge and where to write the result.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The files to merge (at least one).
    #[arg(required = true, value_name = "FILE")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Write the result to FILE (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) output: Option<PathBuf>,
    /// Largest input file read, in bytes (1 GiB by default).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT_BYTES, help_heading = LIMITS)]
    pub(crate) max_input_bytes: u64,
}

/// Arguments of `merge groups`.
#[derive(Debug, Args)]
pub(crate) struct MergeGroupsArgs {
    #[command(flatten)]
    pub(crate) merge: MergeArgs,
    /// Write the merged partial groups (to merge again later) instead of the finished
    /// groups, series and spikes.
    #[arg(long, help_heading = OUTPUT)]
    pub(crate) partial: bool,
    /// CSV `receiver,hour,sent` of messages sent per receiver and UTC hour: spikes and series
    /// use bounce rates instead of counts (as `classify --sent`).
    #[arg(long, value_name = "FILE")]
    pub(crate) sent: Option<PathBuf>,
}

pub(crate) fn run(command: &MergeCommand) -> Result<ExitCode> {
    match command {
        MergeCommand::Summary(args) => {
            let parts = read_all(args, |text| {
                serde_json::from_str::<Summary>(text).map_err(|e| anyhow!("not a summary: {e}"))
            })?;
            write(args, &serde_json::to_string_pretty(&merge_summaries(parts))?)
        }
        MergeCommand::State(args) => {
            let parts = read_all(args, |text| Ok(SuppressionState::from_json(text)?))?;
            write(args, &merge_states(parts).to_json()?)
        }
        MergeCommand::Groups(groups) => {
            let args = &groups.merge;
            let parts =
                read_all(args, |text| PartialAggregates::from_json(text).map_err(|e| anyhow!(e)))?;
            let merged = PartialAggregates::merge(parts).map_err(|e| anyhow!(e))?;
            if groups.partial {
                return write(args, &serde_json::to_string_pretty(&merged)?);
            }
            let sent = match &groups.sent {
                None => None,
                Some(path) => Some(
                    bounce_engine::read_sent(std::io::BufReader::new(
                        std::fs::File::open(path)
                            .with_context(|| format!("cannot open {}", path.display()))?,
                    ))
                    .with_context(|| format!("cannot read {}", path.display()))?,
                ),
            };
            let aggregates =
                Aggregator::from_partial(merged, sent).map_err(|e| anyhow!(e))?.finish();
            write(args, &serde_json::to_string_pretty(&aggregates)?)
        }
    }
}

/// Reads every input with `parse`; an error names the file.
fn read_all<T>(args: &MergeArgs, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    // Checked before any input is read, like every command's outputs.
    drop(Target::open_file(args.output.as_deref())?);
    args.inputs
        .iter()
        .map(|path: &PathBuf| {
            let text = read_to_string_capped(path, args.max_input_bytes, "--max-input-bytes")?;
            parse(&text).with_context(|| format!("cannot merge {}", Path::display(path)))
        })
        .collect()
}

/// Writes `text` (the same bytes the command that made the inputs writes).
fn write(args: &MergeArgs, text: &str) -> Result<ExitCode> {
    Target::open(args.output.as_deref())?.put(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
