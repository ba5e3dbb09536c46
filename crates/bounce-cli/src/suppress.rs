//! `bounce-triage suppress`: reason-aware suppression, keep and complaint lists as CSV.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::state::SuppressionState;
use bounce_engine::suppress::{SuppressOptions, Suppressor};
use bounce_model::{ListEntry, ListKind};
use clap::Args;

use crate::args::{ReadArgs, OUTPUT};
use crate::classify::{stream, SpikeArgs};
use crate::output::{is_closed_pipe, write_list_csv, Target};

/// The help heading of the suppression policy flags.
const POLICY: &str = "Suppression policy";

/// Arguments of `suppress`.
#[derive(Debug, Args)]
pub(crate) struct SuppressArgs {
    /// Write the suppression list (CSV) to FILE, replaced atomically, instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) output: Option<PathBuf>,
    /// Write the addresses that bounced but must be kept, with why, to FILE (CSV).
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) keep: Option<PathBuf>,
    /// Write the complainants (ARF feedback reports) to FILE (CSV).
    #[arg(long, value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) complaints: Option<PathBuf>,
    /// Carry counters between runs: read FILE if it exists, write it back atomically.
    #[arg(long, value_name = "FILE", help_heading = POLICY)]
    pub(crate) state: Option<PathBuf>,
    /// CSV `address,time` of successful deliveries; a delivery resets the quota counter.
    #[arg(long, value_name = "FILE", help_heading = POLICY)]
    pub(crate) deliveries: Option<PathBuf>,
    /// Distinct attempts that confirm a no-route (NXDOMAIN, null MX) domain.
    #[arg(long, value_name = "N", default_value_t = 2, help_heading = POLICY)]
    pub(crate) confirm: usize,
    /// Consecutive quota failures that suppress a full mailbox.
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = POLICY)]
    pub(crate) soft_limit: usize,
    #[command(flatten)]
    pub(crate) spikes: SpikeArgs,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

pub(crate) fn run(args: &SuppressArgs) -> Result<ExitCode> {
    let state = match &args.state {
        Some(path) if path.exists() => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            SuppressionState::from_json(&text)
                .with_context(|| format!("cannot read {}", path.display()))?
        }
        _ => SuppressionState::default(),
    };
    let options =
        SuppressOptions { confirm: args.confirm.max(1), soft_limit: args.soft_limit.max(1) };
    let mut suppressor = Suppressor::new(options, state);
    if let Some(path) = &args.deliveries {
        let file =
            fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let rows = bounce_engine::read_deliveries(io::BufReader::new(file))
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (address, time) in rows {
            suppressor.add_delivery(&address, time);
        }
    }
    // Every destination is checked before the inputs are read.
    let output = Target::open(args.output.as_deref())?;
    let keep = Target::open_file(args.keep.as_deref())?;
    let complaints = Target::open_file(args.complaints.as_deref())?;
    let state_file = Target::open_file(args.state.as_deref())?;
    let mut aggregator = args.spikes.aggregator()?;
    let ran = stream(&args.read, |record| {
        aggregator.add(record);
        suppressor.add(record);
        true
    })?;
    ran.require_input()?;
    let aggregates = aggregator.finish();
    let (lists, state) = suppressor.finish(&aggregates.spikes);
    let of = |kind: ListKind| -> Vec<&ListEntry> {
        lists.iter().filter(|e| e.list == Some(kind)).collect()
    };
    // A closed stdout (`| head`) ends the list there; the files asked for are still written.
    let closed = match write_list_csv(output, &of(ListKind::Suppress)) {
        Err(e) if is_closed_pipe(&e) => true,
        other => other.map(|()| false)?,
    };
    if let Some(target) = keep {
        write_list_csv(target, &of(ListKind::Keep))?;
    }
    if let Some(target) = complaints {
        write_list_csv(target, &of(ListKind::Complaint))?;
    }
    if let Some(target) = state_file {
        target.put(state.to_json()?.as_bytes())?;
    }
    if closed || args.read.quiet {
        ran.print_input_errors();
    } else {
        ran.print_summary();
        eprintln!(
            "suppress {}, keep {}, complaint {}",
            of(ListKind::Suppress).len(),
            of(ListKind::Keep).len(),
            of(ListKind::Complaint).len()
        );
    }
    Ok(ran.exit_code(false))
}
