//! `bounce-triage suppress`: not built yet.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

/// Arguments of `suppress`.
#[derive(Debug, Args)]
pub(crate) struct SuppressArgs {
    /// Inputs, as for `classify`.
    pub(crate) inputs: Vec<PathBuf>,
}

pub(crate) fn run(_args: &SuppressArgs) -> Result<ExitCode> {
    bail!("`suppress` is not available yet")
}
