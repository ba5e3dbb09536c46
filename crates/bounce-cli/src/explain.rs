//! `bounce-triage explain FILE`: the evidence of every recipient of a message and how the
//! rules decide it; also the text rendering of an [`Explanation`] that `rules explain` shares.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use bounce_mail::extract::{extract, ExtractOptions};
use bounce_mail::input::{self, ReadOptions};
use bounce_mail::split::Event;
use bounce_model::{Kind, Provenanced, Record, Source};
use bounce_rules::{Explanation, RuleSet};
use clap::Args;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The message file to explain (.eml, mbox, Maildir file; gzip is detected).
    pub(crate) file: PathBuf,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Capture this header of the returned original (repeatable).
    #[arg(long = "capture-header", value_name = "NAME")]
    pub(crate) capture_header: Vec<String>,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<ExitCode> {
    let rules = crate::load_rules(&args.rules)?;
    let mut files = Vec::new();
    for found in input::discover(std::slice::from_ref(&args.file)) {
        files.push(found.map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    if files.is_empty() {
        bail!("{}: no message file found", args.file.display());
    }
    let options = ExtractOptions {
        capture_headers: args.capture_header.clone(),
        ..ExtractOptions::default()
    };
    let mut out = String::new();
    let mut records = 0usize;
    let mut failed = false;
    for file in &files {
        let messages =
            input::open(file, &ReadOptions::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut number = 0u64;
        for event in messages {
            match event {
                Event::Message(raw) => {
                    number += 1;
                    let source =
                        Source { path: file.display.clone(), message: number, offset: raw.offset };
                    let extraction = extract(&raw.bytes, &source, &options);
                    let header = format!("{} message {number}", file.display);
                    if extraction.records.is_empty() {
                        let bucket = extraction.bucket.as_str();
                        let _ = write!(out, "{header}: {bucket} (no recipient records)");
                        if let Some(problem) = &extraction.problem {
                            let _ = write!(out, ": {problem}");
                        }
                        out.push_str("\n\n");
                    }
                    for record in &extraction.records {
                        records += 1;
                        let _ = writeln!(out, "{header}, recipient {}", record.recipient);
                        render_record(&mut out, record);
                        render_explanation(&mut out, &rules.explain(record));
                        out.push('\n');
                    }
                }
                Event::Oversize { offset, len, limit } => {
                    number += 1;
                    let _ = writeln!(
                        out,
                        "{} message {number} at byte {offset}: {len} bytes exceed the limit of {limit}\n",
                        file.display
                    );
                }
                Event::Preamble { .. } => {}
                Event::Error { offset, error } => {
                    eprintln!("error: {} at byte {offset}: {error}", file.display);
                    failed = true;
                }
            }
        }
    }
    print!("{}", out.trim_end());
    println!();
    if records == 0 {
        eprintln!("note: {} holds no recipient record to explain", args.file.display());
    }
    Ok(if failed { ExitCode::from(crate::EXIT_PARTIAL) } else { ExitCode::SUCCESS })
}

/// The evidence the extraction found for one record.
pub(crate) fn render_record(out: &mut String, record: &Record) {
    out.push_str("evidence:\n");
    let mut field = |name: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            let _ = writeln!(out, "  {name:<16} {value}");
        }
    };
    field("recipient", Some(&record.recipient));
    field("kind", record.kind.map(Kind::as_str));
    field("action", record.action.as_deref());
    field("status", record.status.as_deref());
    field("reply", record.reply_code.as_deref());
    let stage = match &record.stage_source {
        Some(how) => format!("{} ({how})", record.smtp_stage.as_str()),
        None => record.smtp_stage.as_str().to_owned(),
    };
    field("stage", Some(&stage));
    field("diagnostic", record.diagnostic.as_deref());
    field("remote mta", record.remote_mta.as_deref());
    field("reporting mta", record.reporting_mta.as_deref());
    field("format", Some(&record.format));
    field("message-id", record.original.message_id.as_deref());
    let sending_ip = record.original.sending_ip.as_ref().map(provenanced);
    field("sending ip", sending_ip.as_deref());
    let helo = record.original.helo.as_ref().map(provenanced);
    field("helo", helo.as_deref());
    let sender = record.original.envelope_sender.as_ref().map(provenanced);
    field("envelope sender", sender.as_deref());
    for (name, value) in &record.original.captured {
        field(name, Some(value));
    }
}

/// `value (from source)`, marked when the source is uncertain.
fn provenanced(value: &Provenanced) -> String {
    let doubt = if value.uncertain { ", uncertain" } else { "" };
    format!("{} (from {}{doubt})", value.value, value.source)
}

/// What the rules saw, the winning rule with its whole verdict, and the rules that lost.
pub(crate) fn render_explanation(out: &mut String, explanation: &Explanation) {
    out.push_str("rules saw:\n");
    for (name, value) in &explanation.evidence {
        let _ = writeln!(out, "  {name:<16} {value}");
    }
    match &explanation.decision {
        Some(decision) => {
            let verdict = &decision.verdict;
            let _ = writeln!(out, "winner: {} ({})", verdict.rule_id, verdict.rule_location);
            let mut line = |name: &str, value: &str| {
                let _ = writeln!(out, "  {name:<16} {value}");
            };
            line("reason", decision.reason.as_str());
            line("category", verdict.category.as_str());
            line("action", verdict.action.as_str());
            line("owner", verdict.owner.as_str());
            line("hard", if verdict.hard { "yes (permanent)" } else { "no (temporary)" });
            if let Some(token) = &verdict.token {
                line("token", token);
            }
            let stated = explanation.evidence.iter().any(|(name, _)| name == "status");
            if let Some(status) = decision.status_inferred.as_ref().filter(|_| !stated) {
                line("status inferred", status);
            }
            if let Some(provider) = &verdict.provider {
                line("provider", provider);
            }
            if !verdict.fix.is_empty() {
                line("fix", &verdict.fix);
            }
        }
        None => out.push_str("winner: none (reason undefined: no rule matched)\n"),
    }
    if explanation.losers.is_empty() {
        out.push_str("also matched: none\n");
    } else {
        out.push_str("also matched (lost to the winner):\n");
        for loser in &explanation.losers {
            let _ =
                writeln!(out, "  {} ({}) reason {}", loser.rule_id, loser.location, loser.reason);
        }
    }
}

/// Whether a provider name is defined, with a hint listing the defined ones.
pub(crate) fn check_provider(rules: &RuleSet, name: &str) -> Result<()> {
    if rules.provider_names().any(|p| p == name) {
        return Ok(());
    }
    let known: Vec<&str> = rules.provider_names().collect();
    bail!("unknown provider `{name}`; the defined providers are: {}", known.join(", "))
}
