//! `bounce-triage rules`: not built yet.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Subcommand;

/// Subcommands of `rules`.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the rules.
    List,
}

pub(crate) fn run(_cmd: &RulesCommand) -> Result<ExitCode> {
    bail!("`rules` is not available yet")
}
