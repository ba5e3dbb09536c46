//! `bounce-triage explain`: not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The message file to explain.
    pub(crate) file: PathBuf,
}

pub(crate) fn run(_args: &ExplainArgs) -> Result<ExitCode> {
    bail!("`explain` is not available yet")
}
