//! `bounce-triage report`: not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Inputs: archives, or the JSON Lines of an earlier `classify` run.
    pub(crate) inputs: Vec<PathBuf>,
}

pub(crate) fn run(_args: &ReportArgs) -> Result<ExitCode> {
    bail!("`report` is not available yet")
}
