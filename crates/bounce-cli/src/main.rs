//! The `bounce-triage` command line: glue between the engine, the rules and the reports.
//! Only this crate prints, and it prints to stdout only through `output::print_stdout` and the
//! writers of `output`, which report a closed pipe instead of panicking.

mod args;
mod classify;
mod dns_args;
mod explain;
mod gaps;
mod manual;
mod merge;
mod output;
mod read_capped;
mod report;
mod rules_cmd;
mod runner;
mod suppress;
mod table;
mod templates_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Triage bounce archives: why each recipient failed, what to do with the address, and the
/// evidence to send to an ESP or IT team.
#[derive(Debug, Parser)]
#[command(name = "bounce-triage", version, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Extract and classify every recipient of every bounce in the inputs (JSON Lines).
    Classify(classify::ClassifyArgs),
    /// Reason-aware suppression, keep and complaint lists from the inputs.
    Suppress(suppress::SuppressArgs),
    /// Render a report or escalation document from archives or an earlier classify run.
    Report(report::ReportArgs),
    /// List or export the built-in report templates.
    #[command(subcommand)]
    Templates(templates_cmd::TemplatesCommand),
    /// Check, test, list and explain rules; find the diagnostics no specific rule decides.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Show the evidence of one message and how the rules decide it.
    Explain(explain::ExplainArgs),
    /// Combine the outputs of shards (`--shard K/N`): summaries, groups, suppression states.
    #[command(subcommand)]
    Merge(merge::MergeCommand),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions(manual::CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a folder.
    Man(manual::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Classify(args) => classify::run(&args),
        Command::Suppress(args) => suppress::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Templates(cmd) => templates_cmd::run(&cmd),
        Command::Rules(cmd) => rules_cmd::run(&cmd),
        Command::Explain(args) => explain::run(&args),
        Command::Merge(cmd) => merge::run(&cmd),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
    };
    match result {
        Ok(code) => code,
        // `| head` closed the pipe: the reader has what it wanted, so end quietly.
        Err(e) if output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The error can name a path or quote an input: made safe for a terminal.
            output::eprint_line(&format!("error: {e:#}"));
            ExitCode::from(1)
        }
    }
}

/// Loads the built-in rules plus the user's, printing every error like a compiler does.
pub(crate) fn load_rules(
    paths: &[PathBuf],
    limits: &args::RuleLimitArgs,
) -> anyhow::Result<bounce_rules::RuleSet> {
    bounce_rules::RuleSet::load_limited(paths, limits.limits()).map_err(|errors| {
        output::eprint_lines(&errors.to_string());
        anyhow::anyhow!("the rules do not compile")
    })
}
