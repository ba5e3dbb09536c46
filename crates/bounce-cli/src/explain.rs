//! `bounce-triage explain FILE`: the evidence of every recipient of a message and how the
//! rules decide it; also the text rendering of an [`Explanation`] that `rules explain` shares.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use bounce_engine::Output;
use bounce_model::{BounceFacts, Kind, Provenanced};
use bounce_rules::{Explanation, RuleSet};
use clap::Args;

use crate::args::ReadArgs;
use crate::output::for_terminal;
use crate::runner;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

pub(crate) fn run(args: &ExplainArgs) -> Result<ExitCode> {
    let mut options = args.read.options()?;
    options.trace = true;
    let pipeline = crate::args::pipeline(options)?;
    // Each record's explanation is written as it comes (one archive can be large); a closed
    // stdout stops the run.
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut write_error: Option<io::Error> = None;
    let mut records = 0usize;
    let mut first = true;
    let ran = runner::run(&pipeline, false, |item| {
        let mut text = String::new();
        match item {
            Output::Traced { record, explanation } => {
                records += 1;
                let source = &record.source;
                let _ = writeln!(
                    text,
                    "{} message {}, recipient {}",
                    for_terminal(&source.path),
                    source.message,
                    for_terminal(&record.recipient)
                );
                render_record(&mut text, &record.facts);
                render_explanation(&mut text, &explanation);
            }
            Output::Unit { source, bucket, problem } => {
                let _ = write!(
                    text,
                    "{} message {}: {} (no recipient records)",
                    for_terminal(&source.path),
                    source.message,
                    bucket.as_str()
                );
                if let Some(problem) = &problem {
                    let _ = write!(text, ": {}", for_terminal(problem));
                }
                text.push('\n');
            }
            Output::Problem(p) => {
                let _ = writeln!(
                    text,
                    "{} message {} at byte {}: {}",
                    for_terminal(&p.source.path),
                    p.source.message,
                    p.source.offset,
                    for_terminal(&p.error)
                );
            }
            _ => return true,
        }
        // A blank line between two items, none after the last.
        let separator = if std::mem::take(&mut first) { "" } else { "\n" };
        match out.write_all(separator.as_bytes()).and_then(|()| out.write_all(text.as_bytes())) {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        }
    });
    if let Some(e) = write_error {
        return Err(anyhow::Error::new(e).context("cannot write to stdout"));
    }
    ran.require_input()?;
    out.flush().context("cannot write to stdout")?;
    ran.print_input_errors();
    if records == 0 {
        let names: Vec<String> = args.read.inputs.iter().map(|p| p.display().to_string()).collect();
        crate::output::eprint_line(&format!(
            "note: {} holds no recipient record to explain",
            names.join(", ")
        ));
    }
    Ok(ran.exit_code(false))
}

/// The evidence the extraction found for one record: its facts.
pub(crate) fn render_record(out: &mut String, record: &BounceFacts) {
    out.push_str("evidence:\n");
    let mut field = |name: &str, value: Option<&str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            let _ = writeln!(out, "  {:<16} {}", for_terminal(name), for_terminal(value));
        }
    };
    field("recipient", Some(&record.recipient));
    field("kind", record.kind.map(Kind::as_str));
    field("action", record.action.as_deref());
    let status = record.status.as_deref().map(|code| match bounce_rules::registry::lookup(code) {
        Some(registered) => format!("{code} ({}, {})", registered.title, registered.reference),
        None => code.to_owned(),
    });
    field("status", status.as_deref());
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
        let _ = writeln!(out, "  {:<16} {}", for_terminal(name), for_terminal(value));
    }
    match &explanation.decision {
        Some(verdict) => {
            let _ = writeln!(
                out,
                "winner: {} ({})",
                for_terminal(&verdict.rule_id),
                for_terminal(&verdict.rule_location)
            );
            let mut line = |name: &str, value: &str| {
                let _ = writeln!(out, "  {name:<16} {}", for_terminal(value));
            };
            line("reason", verdict.reason.as_str());
            line("category", verdict.category.as_str());
            line("action", verdict.action.as_str());
            line("owner", verdict.owner.as_str());
            line("hard", if verdict.hard { "yes (permanent)" } else { "no (temporary)" });
            if let Some(token) = &verdict.token {
                line("token", token);
            }
            let stated = explanation.evidence.iter().any(|(name, _)| name == "status");
            if let Some(status) = verdict.status_inferred.as_ref().filter(|_| !stated) {
                line("status inferred", status);
            }
            if let Some(provider) = &verdict.provider {
                line("provider", provider);
            }
            if !verdict.fix.is_empty() {
                line("fix", &verdict.fix);
            }
            for (index, evidence) in verdict.basis.iter().enumerate() {
                line(if index == 0 { "basis" } else { "" }, evidence);
            }
            for (index, bound) in verdict.bounds.iter().enumerate() {
                line(if index == 0 { "bounds applied" } else { "" }, bound);
            }
        }
        None => out.push_str("winner: none (reason undefined: no rule matched)\n"),
    }
    if explanation.losers.is_empty() {
        out.push_str("also matched: none\n");
    } else {
        out.push_str("also matched (lost to the winner):\n");
        for loser in &explanation.losers {
            let _ = writeln!(
                out,
                "  {} ({}) reason {}",
                for_terminal(&loser.rule_id),
                for_terminal(&loser.location),
                loser.reason
            );
        }
    }
}

/// Whether a provider name is defined, with a hint listing the defined ones.
pub(crate) fn check_provider(rules: &RuleSet, name: &str) -> Result<()> {
    if rules.provider_names().any(|p| p == name) {
        return Ok(());
    }
    let known: Vec<&str> = rules.provider_names().collect();
    bail!("unknown provider `{name}` (known: {})", known.join(", "))
}
