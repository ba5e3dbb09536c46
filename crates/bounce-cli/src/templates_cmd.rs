//! `bounce-triage templates`: not built yet.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;

/// Subcommands of `templates`.
#[derive(Debug, Subcommand)]
pub(crate) enum TemplatesCommand {
    /// List the built-in templates.
    List,
}

pub(crate) fn run(_cmd: &TemplatesCommand) -> Result<ExitCode> {
    bail!("`templates` is not available yet")
}
