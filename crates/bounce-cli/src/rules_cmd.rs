//! `bounce-triage rules`: check and test rule files, list the rules in precedence order,
//! explain how one diagnostic text is decided, and find the gaps in the rules (`gaps.rs`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use bounce_engine::{record_from_text, TextFacts};
use bounce_model::BounceFacts;
use bounce_rules::{RuleInfo, RuleSet};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::args::RuleLimitArgs;
use crate::explain::{check_provider, render_explanation};
use crate::output::print_stdout;

/// Subcommands of `rules`.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Compile the built-in rules and the given files or directories; print every error.
    Check(PathsArgs),
    /// Run every inline example of the built-in and the given rules; print the failures.
    Test(PathsArgs),
    /// List the rules in precedence order (the first matching rule wins).
    List(ListArgs),
    /// Show how the rules decide one diagnostic text: evidence, winner and the rules that lost.
    Explain(RuleExplainArgs),
    /// Cluster the diagnostics only a generic fallback rule (or no rule) decided: the rules
    /// worth writing next.
    Gaps(crate::gaps::GapsArgs),
}

/// User rule files or directories, in the order given.
#[derive(Debug, Args)]
pub(crate) struct PathsArgs {
    /// Rule files or directories (`*.rules`, walked in sorted order), after which the
    /// built-in rules are loaded.
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) limits: RuleLimitArgs,
}

/// How `rules list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// An aligned text table.
    Table,
    /// A JSON array with each rule's documentation and example lines.
    Json,
}

/// Arguments of `rules list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub(crate) format: ListFormat,
    #[command(flatten)]
    pub(crate) limits: RuleLimitArgs,
}

/// Arguments of `rules explain`.
#[derive(Debug, Args)]
pub(crate) struct RuleExplainArgs {
    /// The diagnostic text, as the receiving server wrote it.
    #[arg(value_name = "TEXT")]
    pub(crate) text: String,
    /// The enhanced status code (default: the one the text states).
    #[arg(long, value_name = "CODE")]
    pub(crate) status: Option<String>,
    /// The SMTP reply code (default: the one the text states).
    #[arg(long = "reply-code", value_name = "CODE")]
    pub(crate) reply_code: Option<String>,
    /// Treat the record as coming from this provider (e.g. gmail, microsoft-365).
    #[arg(long, value_name = "NAME")]
    pub(crate) provider: Option<String>,
    /// The SMTP stage: connect, greeting, ehlo, starttls, auth, mail, rcpt, data,
    /// end-of-data, after-acceptance (default: as the text says, else unknown).
    #[arg(long, value_name = "STAGE")]
    pub(crate) stage: Option<String>,
    /// The recipient address (or just its domain).
    #[arg(long, value_name = "ADDR", default_value = "recipient@example.org")]
    pub(crate) recipient: String,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) limits: RuleLimitArgs,
}

pub(crate) fn run(cmd: &RulesCommand) -> Result<ExitCode> {
    match cmd {
        RulesCommand::Check(args) => check(args),
        RulesCommand::Test(args) => test(args),
        RulesCommand::List(args) => list(args),
        RulesCommand::Explain(args) => explain(args),
        RulesCommand::Gaps(args) => crate::gaps::run(args),
    }
}

fn check(args: &PathsArgs) -> Result<ExitCode> {
    match RuleSet::load_limited(&args.paths, args.limits.limits()) {
        Ok(rules) => {
            for warning in rules.warnings() {
                let text = warning.to_string();
                crate::output::eprint_lines(
                    &text
                        .strip_prefix("error")
                        .map_or(text.clone(), |rest| format!("warning{rest}")),
                );
            }
            print_stdout(&format!(
                "ok: {} rules, {} providers\n",
                rules.len(),
                rules.provider_names().count()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            crate::output::eprint_lines(&errors.to_string());
            Ok(ExitCode::from(1))
        }
    }
}

fn test(args: &PathsArgs) -> Result<ExitCode> {
    let rules = crate::load_rules(&args.paths, &args.limits)?;
    let failures = rules.run_examples();
    let total = rules.example_count();
    let mut out = String::new();
    for failure in &failures {
        let _ = writeln!(out, "{}\n", failure.error);
    }
    let passed = total.saturating_sub(failures.len());
    if failures.is_empty() {
        let _ = writeln!(out, "{passed} examples passed");
    } else {
        let _ = writeln!(out, "{passed} examples passed, {} failed", failures.len());
    }
    print_stdout(&out)?;
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn list(args: &ListArgs) -> Result<ExitCode> {
    let rules = crate::load_rules(&args.rules, &args.limits)?;
    let infos: Vec<RuleInfo> = rules.rules().collect();
    let text = match args.format {
        ListFormat::Table => table(&infos),
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = infos
                .iter()
                .map(|info| {
                    json!({
                        "id": info.id,
                        "location": info.location,
                        "providers": info.providers,
                        "reason": info.reason.as_str(),
                        "origin": info.origin.as_str(),
                        "priority": info.priority,
                        "doc": info.doc,
                        "examples": info.example_lines,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rows)? + "\n"
        }
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The rules as an aligned table, one row per rule in precedence order.
fn table(infos: &[RuleInfo]) -> String {
    let header = ["ID", "LOCATION", "PROVIDERS", "REASON", "ORIGIN", "PRIORITY"];
    let rows: Vec<[String; 6]> = infos
        .iter()
        .map(|info| {
            let providers =
                if info.providers.is_empty() { "-".to_owned() } else { info.providers.join(",") };
            [
                info.id.clone(),
                info.location.clone(),
                providers,
                info.reason.to_string(),
                info.origin.as_str().to_owned(),
                info.priority.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (index, cell) in cells.iter().enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[index]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    let _ = writeln!(out, "{} rules", rows.len());
    out
}

fn explain(args: &RuleExplainArgs) -> Result<ExitCode> {
    let rules = crate::load_rules(&args.rules, &args.limits)?;
    let (record, notes) = explain_record(args)?;
    let provider = match &args.provider {
        Some(name) => {
            check_provider(&rules, name)?;
            Some(name.as_str())
        }
        None => rules.provider_of(&record),
    };
    let mut out = String::new();
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
    render_explanation(&mut out, &rules.explain_as(&record, provider));
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The facts `rules explain` describes, and notes on what was read from the text.
fn explain_record(args: &RuleExplainArgs) -> Result<(BounceFacts, Vec<String>)> {
    let facts = TextFacts {
        text: &args.text,
        status: args.status.as_deref(),
        reply_code: args.reply_code.as_deref(),
        stage: args.stage.as_deref(),
        recipient: &args.recipient,
    };
    record_from_text(&facts).map_err(|e| anyhow::anyhow!(e))
}
