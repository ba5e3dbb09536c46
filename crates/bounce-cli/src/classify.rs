//! `bounce-triage classify`: records as JSON Lines, a summary on stderr.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use bounce_engine::EngineOptions;
use bounce_mail::input;
use bounce_mail::split::MboxFormat;
use bounce_model::{Record, Summary};
use clap::Args;

/// Arguments of `classify`.
#[derive(Debug, Args)]
pub(crate) struct ClassifyArgs {
    /// Inputs: mbox files, Maildirs, .eml files, directories, `-` for stdin; gzip is detected.
    #[arg(required = true)]
    pub(crate) inputs: Vec<PathBuf>,
    /// Write the records to FILE (replaced atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Write the run summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) summary: Option<PathBuf>,
    /// The mbox flavour: mboxrd (default), mboxo or mboxcl2.
    #[arg(long, value_name = "FORMAT", default_value = "mboxrd")]
    pub(crate) mbox_format: MboxFormat,
    /// Capture this header of the returned original (repeatable).
    #[arg(long = "capture-header", value_name = "NAME")]
    pub(crate) capture_header: Vec<String>,
    /// Add rules from this file or directory (repeatable); user rules come before built-ins.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// Do not print the summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

pub(crate) fn run(args: &ClassifyArgs) -> Result<ExitCode> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().ok();
    }
    let mut files = Vec::new();
    let mut summary_failures = Vec::new();
    for found in input::discover(&crate::input_paths(&args.inputs)) {
        match found {
            Ok(f) => files.push(f),
            Err(e) => summary_failures.push(e.to_string()),
        }
    }
    let mut options = EngineOptions::default();
    options.read.mbox_format = args.mbox_format;
    options.extract.capture_headers.clone_from(&args.capture_header);

    let mut out = Sink::open(args.output.as_deref())?;
    let mut write_error: Option<io::Error> = None;
    let rules = crate::load_rules(&args.rules)?;
    let classify = |record: &mut Record| rules.apply(record);
    let mut summary = bounce_engine::run(&files, &options, &classify, |item| {
        if let bounce_engine::Output::Record(record) = item {
            if let Err(e) = out.write_record(&record) {
                write_error = Some(e);
                return false;
            }
        }
        true
    });
    if let Some(e) = write_error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e).context("cannot write the records");
    }
    out.finish()?;
    for failure in summary_failures {
        summary.failed_inputs.push(bounce_model::Problem {
            source: bounce_model::Source::default(),
            error: failure,
        });
    }
    if let Some(path) = &args.summary {
        let json = serde_json::to_string_pretty(&summary)?;
        write_atomic(path, json.as_bytes())?;
    }
    if !args.quiet {
        print_summary(&summary);
    }
    Ok(if summary.failed_inputs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_PARTIAL)
    })
}

fn print_summary(s: &Summary) {
    eprintln!(
        "messages {}: bounce {}, report {}, bounce-no-recipient {}, not-a-bounce {}, unparsed {}; records {}",
        s.messages, s.bounce, s.report, s.bounce_no_recipient, s.not_a_bounce, s.unparsed, s.records
    );
    for p in &s.preambles {
        eprintln!("note: {}@{}: {}", p.source.path, p.source.offset, p.error);
    }
    for p in &s.problems {
        eprintln!(
            "warning: {} message {} at byte {}: {}",
            p.source.path, p.source.message, p.source.offset, p.error
        );
    }
    for p in &s.failed_inputs {
        if p.source.path.is_empty() {
            eprintln!("error: {}", p.error);
        } else {
            eprintln!("error: {}: {}", p.source.path, p.error);
        }
    }
}

/// Where records go: stdout, or a temporary file renamed over the target at the end.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File { tmp: tempfile::NamedTempFile, target: PathBuf },
}

impl Sink {
    fn open(path: Option<&Path>) -> Result<Sink> {
        Ok(match path {
            None => Sink::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            Some(p) => {
                let dir =
                    p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
                    format!("cannot create a temporary file in {}", dir.display())
                })?;
                Sink::File { tmp, target: p.to_path_buf() }
            }
        })
    }

    fn write_record(&mut self, record: &Record) -> io::Result<()> {
        let w: &mut dyn Write = match self {
            Sink::Stdout(w) => w,
            Sink::File { tmp, .. } => tmp.as_file_mut(),
        };
        serde_json::to_writer(&mut *w, record).map_err(io::Error::other)?;
        w.write_all(b"\n")
    }

    fn finish(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => match w.flush() {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            },
            Sink::File { tmp, target } => {
                tmp.persist(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    let _ = fs::metadata(path);
    Ok(())
}
