//! `bounce-triage report`: renders a report or escalation document from archives or from the
//! JSON Lines of an earlier `classify` run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use bounce_engine::aggregate::{AggregateOptions, ReportAggregator};
use bounce_engine::source::{JsonlSource, RecordSource};
use bounce_engine::{Output, Pipeline};
use bounce_model::{Dimension, Record};
use bounce_report::{
    ContextBuilder, Origin, RenderLimits, ReportError, ReportOptions, SpillStore, Templates,
};
use clap::Args;

use crate::args::{ReadArgs, LIMITS, OUTPUT};
use crate::output::Target;
use crate::read_capped::{read_to_string_capped, DEFAULT_MAX_FILE_BYTES};
use crate::runner::{self, Ran};

/// Arguments of `report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The template: a file name or a name without extension (`templates list` shows them).
    #[arg(short, long, value_name = "NAME", default_value = "triage-summary", help_heading = OUTPUT)]
    pub(crate) template: String,
    /// Write the report to FILE (replaced atomically) instead of stdout. When a list is longer
    /// than a document shows (1,000 entries), the whole lists go to STEM.lists.csv beside FILE.
    #[arg(short = 'o', long = "output", value_name = "FILE", help_heading = OUTPUT)]
    pub(crate) output: Option<PathBuf>,
    /// Templates in DIR override built-ins of the same file name or add new ones.
    #[arg(long = "templates", value_name = "DIR", help_heading = OUTPUT)]
    pub(crate) templates: Option<PathBuf>,
    /// Group by these keys, comma-separated: category, reason, provider, token, remote_mta,
    /// sending_ip, recipient_domain, sender_domain, stage, action, provider+category+token,
    /// smtp_code, wording, mx_host, mx_ip, asn, operator (these four with --resolve), abuse
    /// (with --resolve --rdap),
    /// header:NAME, vendor:NAME (default: the keys the template declares in a
    /// `{#- group: KEYS -#}` comment, as sfmc does; else provider,category,token).
    #[arg(long = "group", value_name = "KEY", help_heading = OUTPUT)]
    pub(crate) group: Option<String>,
    /// The report title.
    #[arg(long, value_name = "TEXT", default_value = "Bounce triage", help_heading = OUTPUT)]
    pub(crate) title: String,
    /// Print this as the generation time (omitted by default, so output is reproducible).
    #[arg(long, value_name = "TEXT", help_heading = OUTPUT)]
    pub(crate) generated_at: Option<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    // After the reading flags, so these join their `Limits` heading, which comes last.
    /// Largest template file read from `--templates`, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_BYTES, help_heading = LIMITS)]
    pub(crate) max_template_bytes: u64,
    /// Instructions one render may execute (minijinja's fuel); a template that runs longer
    /// ends with an error.
    #[arg(long, value_name = "N", default_value_t = RenderLimits::DEFAULT_FUEL, help_heading = LIMITS)]
    pub(crate) template_fuel: u64,
    /// Largest report a template may write, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = RenderLimits::DEFAULT_MAX_OUTPUT_BYTES, help_heading = LIMITS)]
    pub(crate) max_report_bytes: usize,
}

pub(crate) fn run(args: &ReportArgs) -> Result<ExitCode> {
    let mut templates = load_templates(args.templates.as_deref(), args.max_template_bytes)?;
    templates.set_limits(RenderLimits {
        fuel: args.template_fuel,
        max_output_bytes: args.max_report_bytes,
    });
    let name = templates.resolve(&args.template)?.to_string();
    let declared = templates.declared_group(&name).unwrap_or("provider,category,token");
    let keys = parse_group_keys(args.group.as_deref().unwrap_or(declared))?;
    let output = Target::open(args.output.as_deref())?;
    let pipeline = args.read.pipeline()?;
    let spill = tempfile::tempfile().context("cannot create a temporary file for the evidence")?;
    let mut aggregator = ReportAggregator::new(AggregateOptions::report(keys.clone()));
    let mut builder = ContextBuilder::new(keys, SpillStore::new(spill));
    let (ran, notes) = fold_records(&pipeline, !args.read.quiet, |record| {
        aggregator.add(record);
        builder.push(record)
    })?;
    ran.require_input()?;
    ran.print_input_errors();
    runner::print_problems(&ran.summary);
    let summary = &ran.summary;
    let (aggregates, lists) = aggregator.finish_lists();
    let options = ReportOptions {
        title: args.title.clone(),
        generated_at: args.generated_at.clone(),
        inputs: args.read.inputs.iter().map(|p| p.display().to_string()).collect(),
        filters: pipeline.options().filter.describe(),
        notes,
    };
    let mut context = builder
        .finish_with_lists(summary, &aggregates, lists.iter(), &options)
        .context("cannot read back the evidence from the temporary file")?;
    let builtin =
        |n: &str| templates.list().iter().any(|i| i.name == n && i.origin == Origin::Builtin);
    // The built-in lists template is the lists as the one CSV writer writes them: every entry,
    // not the context's first LIST_CAP of each list.
    if name == LISTS_TEMPLATE && builtin(LISTS_TEMPLATE) {
        let text = bounce_report::csv::list_text(lists.iter());
        let text = if output.is_terminal() {
            crate::output::for_terminal_lines(&text)
        } else {
            text.into()
        };
        output.put(text.as_bytes())?;
        return Ok(ran.exit_code(false));
    }
    // A list longer than the document shows goes whole into a CSV beside the document.
    if let Some(path) = args.output.as_deref().filter(|p| !crate::output::is_special(p)) {
        if context.list_counts.capped() {
            let beside = lists_path(path);
            crate::output::write_atomic(
                &beside,
                bounce_report::csv::list_text(lists.iter()).as_bytes(),
            )?;
            context.lists_csv = beside.file_name().map(|n| n.to_string_lossy().into_owned());
            if !args.read.quiet {
                eprintln!(
                    "note: a list is longer than the document shows ({} entries each): the whole lists are in {}",
                    bounce_report::LIST_CAP,
                    crate::output::for_terminal_lines(&beside.display().to_string())
                );
            }
        }
    }
    drop((aggregates, lists));
    let text = templates.render(&name, &context).map_err(|error| {
        let flag = match error {
            ReportError::OutOfFuel { .. } => "--template-fuel N",
            ReportError::OutputTooLarge { .. } => "--max-report-bytes BYTES",
            _ => return anyhow::Error::new(error),
        };
        anyhow::anyhow!("{error}; raise the limit with {flag}")
    })?;
    // On a terminal the report's data (diagnostics, subjects, paths) must not drive it.
    let text =
        if output.is_terminal() { crate::output::for_terminal_lines(&text) } else { text.into() };
    output.put(text.as_bytes())?;
    Ok(ran.exit_code(false))
}

/// The built-in template of the suppression, keep and complaint lists.
const LISTS_TEMPLATE: &str = "suppression.csv";

/// Where the whole lists go beside a document: `report.html` → `report.lists.csv`.
fn lists_path(document: &Path) -> PathBuf {
    let stem = document.file_stem().map_or_else(|| "report".into(), |s| s.to_string_lossy());
    document.with_file_name(format!("{stem}.lists.csv"))
}

/// The built-ins plus every file of `dir` (by file name).
pub(crate) fn load_templates(dir: Option<&Path>, max_bytes: u64) -> Result<Templates> {
    let mut user = Vec::new();
    if let Some(dir) = dir {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot read the template folder {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let source = read_to_string_capped(&path, max_bytes, "--max-template-bytes")?;
            user.push((name.to_string(), source));
        }
    }
    Ok(Templates::with_overrides(user)?)
}

fn parse_group_keys(text: &str) -> Result<Vec<Dimension>> {
    let keys = text
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|key| {
            Dimension::parse(key).with_context(|| {
                format!(
                    "unknown group key `{key}` (known: {}, header:NAME, vendor:NAME)",
                    Dimension::NAMES.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if keys.is_empty() {
        bail!("--group needs at least one key");
    }
    Ok(keys)
}

/// Reads every input through the pipeline (with the progress bar when asked), handing each
/// record (filtered) to `fold` as it comes, none kept: what was read, and notes on inputs that
/// are earlier `classify` runs. The first error of `fold` stops the run.
fn fold_records(
    pipeline: &Pipeline,
    progress: bool,
    mut fold: impl FnMut(&Record) -> std::io::Result<()>,
) -> Result<(Ran, Vec<String>)> {
    let mut notes = Vec::new();
    let mut failed = None;
    let ran = runner::run(pipeline, progress, |item| {
        match item {
            Output::Record(record) => {
                if let Err(error) = fold(&record) {
                    failed = Some(error);
                    return false;
                }
            }
            Output::Opened { path, format } if format == JsonlSource.name() => notes.push(format!(
                "{path} is an earlier classify run: its message counts cover only messages with records"
            )),
            _ => {}
        }
        true
    });
    if let Some(error) = failed {
        return Err(anyhow::Error::new(error)
            .context("cannot write the evidence to a temporary file (is the disk full?)"));
    }
    Ok((ran, notes))
}
