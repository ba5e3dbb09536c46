//! `bounce-triage suppress`: reason-aware suppression, keep and complaint lists as CSV.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::state::SuppressionState;
use bounce_engine::suppress::{SuppressOptions, Suppressor};
use bounce_model::ListKind;
use clap::Args;

use crate::args::{ReadArgs, LIMITS, OUTPUT};
use crate::classify::{stream, SpikeArgs};
use crate::output::{is_closed_pipe, through_symlinks, write_list_csv_pending, Target};
use crate::read_capped::read_to_string_capped;

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
    /// Carry counters between runs: read FILE if it exists, write it back atomically. A run
    /// holds a lock on FILE.lock from reading to writing: a second run on the same state
    /// waits for the first.
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
    // After the reading flags, so this joins their `Limits` heading, which comes last.
    /// Largest state file read, in bytes (256 MiB by default: about a million addresses).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_STATE_BYTES, help_heading = LIMITS)]
    pub(crate) max_state_bytes: u64,
}

/// The default cap of `--max-state-bytes`.
const DEFAULT_MAX_STATE_BYTES: u64 = 256 << 20;

/// Locks `STATE.lock` beside the state file (the file a symlink points to), creating it when
/// needed, waiting while another run holds it; the lock is released when the file is closed.
/// A separate lock file, because the state itself is replaced by a rename at each run.
fn lock_state(state: &Path) -> Result<fs::File> {
    let target = through_symlinks(state);
    let mut name = target.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    let path = target.with_file_name(name);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot lock {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            crate::output::eprint_line(&format!(
                "waiting for another run that holds {} to finish",
                path.display()
            ));
            file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display())));
        }
    }
    Ok(file)
}

pub(crate) fn run(args: &SuppressArgs) -> Result<ExitCode> {
    // Held until the state is written back (dropped at the end of `run`). A state that is a
    // device (`/dev/null`) is not a file to guard: no lock file is put beside it.
    let regular = |path: &Path| fs::metadata(path).map_or(true, |m| m.is_file());
    let _lock = args.state.as_deref().filter(|p| regular(p)).map(lock_state).transpose()?;
    let state = match &args.state {
        Some(path) if path.exists() => {
            let text = read_to_string_capped(path, args.max_state_bytes, "--max-state-bytes")?;
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
    let (lists, state) = suppressor.finish_lists(&aggregates.spikes);
    let of = |kind: ListKind| lists.of(kind);
    // One transaction as far as files allow: every file is written in full (and synced)
    // under its temporary name first, and only then are they renamed into place, the state
    // last; a failure while writing (a full disk) replaces none of them. A closed stdout
    // (`| head`) ends the list there; the files asked for are still written.
    let mut written = Vec::new();
    let closed = match write_list_csv_pending(output, of(ListKind::Suppress)) {
        Err(e) if is_closed_pipe(&e) => true,
        other => {
            written.push(other?);
            false
        }
    };
    if let Some(target) = keep {
        written.push(write_list_csv_pending(target, of(ListKind::Keep))?);
    }
    if let Some(target) = complaints {
        written.push(write_list_csv_pending(target, of(ListKind::Complaint))?);
    }
    if let Some(mut target) = state_file {
        target.write_all(state.to_json()?.as_bytes())?;
        written.push(target.written()?);
    }
    for file in written {
        file.commit()?;
    }
    if closed || args.read.quiet {
        ran.print_input_errors();
    } else {
        ran.print_summary();
        eprintln!(
            "suppress {}, keep {}, complaint {}",
            lists.count(ListKind::Suppress),
            lists.count(ListKind::Keep),
            lists.count(ListKind::Complaint)
        );
    }
    Ok(ran.exit_code(false))
}
