//! `bounce-triage rules gaps`: the diagnostics that no specific rule decided, clustered by their
//! text with the variable parts masked, most frequent first — the rules worth writing next.
//!
//! A record is a gap when no rule matched it, or when the rule that won is a built-in rule of
//! `rules/generic/fallback.rules`: those read the status or reply code alone, so the text said
//! something no rule understands. Texts are clustered after masking addresses (`<addr>`), IP
//! addresses (`<ip>`), times (`<time>`), quoted strings (`<str>`), numbers (`<n>`) and ids
//! (`<id>`: words of 8 or more characters with 3 or more digits). Enhanced status codes and the
//! leading reply code are kept: they are part of what a rule would match.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Result;
use bounce_engine::gaps::{Cluster, GapFinder};
use clap::Args;

use crate::args::{ReadArgs, OUTPUT};
use crate::output::for_terminal;

/// Arguments of `rules gaps`.
#[derive(Debug, Args)]
pub(crate) struct GapsArgs {
    /// Show the N most frequent clusters.
    #[arg(long, value_name = "N", default_value_t = 20, help_heading = OUTPUT)]
    pub(crate) top: usize,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

pub(crate) fn run(args: &GapsArgs) -> Result<ExitCode> {
    let pipeline = args.read.pipeline()?;
    let mut finder = GapFinder::new(pipeline.rules());
    let ran = crate::classify::stream_pipeline(&pipeline, !args.read.quiet, |record| {
        finder.add(record);
        true
    });
    ran.require_input()?;
    let (gaps, records, clusters) = finder.finish();
    crate::output::print_stdout(&render(&clusters, gaps, records, args.top))?;
    ran.print_input_errors();
    Ok(ran.exit_code(false))
}

/// The report: a summary line, then each cluster with its counts and a full sample.
fn render(clusters: &[Cluster], gaps: usize, records: usize, top: usize) -> String {
    let mut out = String::new();
    let shown = clusters.len().min(top);
    let _ = writeln!(
        out,
        "{gaps} of {records} records decided only by a fallback rule or by no rule; {} {} (showing {shown})",
        clusters.len(),
        if clusters.len() == 1 { "cluster" } else { "clusters" }
    );
    for (index, cluster) in clusters.iter().take(top).enumerate() {
        let _ = writeln!(
            out,
            "\n[{}] {} × {}",
            index + 1,
            cluster.count,
            for_terminal(&cluster.pattern)
        );
        let _ = writeln!(out, "    providers:  {}", counts(&cluster.providers));
        let _ = writeln!(out, "    decided by: {}", counts(&cluster.winners));
        let sample = &cluster.sample;
        let codes = if sample.codes.is_empty() {
            String::new()
        } else {
            format!(", {}", for_terminal(&sample.codes))
        };
        let _ = writeln!(
            out,
            "    sample:     {} message {} ({}{codes})",
            for_terminal(&sample.source.path),
            sample.source.message,
            for_terminal(&sample.recipient)
        );
        let _ = writeln!(out, "      {}", for_terminal(&sample.text));
    }
    out
}

/// `name count, name count`, most frequent first.
fn counts(map: &BTreeMap<String, usize>) -> String {
    let mut pairs: Vec<(&String, &usize)> = map.iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    pairs
        .iter()
        .map(|(name, count)| format!("{} {count}", for_terminal(name)))
        .collect::<Vec<_>>()
        .join(", ")
}
