//! Where and how results are written: JSON Lines, CSV or a terminal table, to stdout or to a
//! file replaced atomically (CSV through `bounce_report::csv`, the one CSV writer); the progress
//! bar.

use std::borrow::Cow;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use bounce_model::{Kind, ListEntry, Record};
use bounce_report::csv;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The output formats of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// An aligned table for reading on a terminal.
    Table,
}

impl Format {
    /// The format asked for, else a table when writing to a terminal and JSON Lines otherwise.
    pub(crate) fn choose(asked: Option<Format>, to_file: bool) -> Format {
        asked.unwrap_or(if !to_file && io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        })
    }
}

/// A destination: stdout, a temporary file renamed over the target when finished, or a
/// device or pipe written in place.
pub(crate) enum Target {
    Stdout(BufWriter<io::Stdout>),
    File { tmp: BufWriter<tempfile::NamedTempFile>, target: PathBuf },
    Special(BufWriter<std::fs::File>, PathBuf),
}

/// Whether `path` is an existing device, pipe or socket (`-o /dev/null`, `-o /dev/stderr`, a
/// FIFO): such a path is written in place, never replaced by a regular file.
pub(crate) fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Opens a device or pipe for writing, without creating or truncating anything.
pub(crate) fn open_special(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

impl Target {
    /// Opens stdout (`None`) or a temporary file next to `path`.
    pub(crate) fn open(path: Option<&Path>) -> Result<Target> {
        Ok(match path {
            None => Target::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            Some(p) if is_special(p) => {
                Target::Special(BufWriter::with_capacity(1 << 16, open_special(p)?), p.to_owned())
            }
            Some(p) => {
                let dir =
                    p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
                    format!("cannot create a temporary file in {}", dir.display())
                })?;
                Target::File {
                    tmp: BufWriter::with_capacity(1 << 16, tmp),
                    target: p.to_path_buf(),
                }
            }
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Target::Stdout(w) => w,
            Target::File { tmp, .. } => tmp,
            Target::Special(w, _) => w,
        }
    }

    /// Flushes stdout (a closed pipe is fine) or renames the file into place.
    pub(crate) fn finish(self) -> Result<()> {
        match self {
            Target::Stdout(mut w) => match w.flush() {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            },
            Target::Special(mut w, path) => {
                w.flush().with_context(|| format!("cannot write {}", path.display()))
            }
            Target::File { tmp, target } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                tmp.persist(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
        }
    }
}

/// Writes records in one format.
pub(crate) struct RecordWriter {
    format: Format,
    target: Target,
    wrote_header: bool,
}

impl RecordWriter {
    pub(crate) fn new(format: Format, target: Target) -> Self {
        RecordWriter { format, target, wrote_header: false }
    }

    pub(crate) fn write(&mut self, record: &Record) -> io::Result<()> {
        let format = self.format;
        let header = !self.wrote_header;
        self.wrote_header = true;
        let w = self.target.writer();
        match format {
            Format::Jsonl => {
                serde_json::to_writer(&mut *w, record).map_err(io::Error::other)?;
                w.write_all(b"\n")
            }
            Format::Csv => {
                let mut csv = csv::Writer::new(w);
                if header {
                    csv.header(&csv::RECORD_COLUMNS)?;
                }
                csv.record(record)?;
                csv.flush()
            }
            Format::Table => {
                if header {
                    writeln!(
                        w,
                        "{:<32} {:<10} {:<14} {:<26} {:<13} {:<12} DIAGNOSTIC",
                        "RECIPIENT", "KIND", "REASON", "CATEGORY", "CODE", "PROVIDER"
                    )?;
                }
                let verdict = record.verdict.as_ref();
                let code = [record.reply_code.as_deref(), record.status.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                writeln!(
                    w,
                    "{:<32} {:<10} {:<14} {:<26} {:<13} {:<12} {}",
                    clip(&record.recipient, 32),
                    record.kind.map_or("-", Kind::as_str),
                    record.reason().map_or("-", |r| r.as_str()),
                    verdict.map_or("-", |v| v.category.as_str()),
                    clip(&code, 13),
                    clip(verdict.and_then(|v| v.provider.as_deref()).unwrap_or("-"), 12),
                    clip(&one_line(record.diagnostic.as_deref().unwrap_or("")), 100),
                )
            }
        }
    }

    pub(crate) fn finish(self) -> Result<()> {
        self.target.finish()
    }
}

/// Writes list entries as CSV to `path` (atomically) or stdout.
pub(crate) fn write_list_csv(path: Option<&Path>, entries: &[&ListEntry]) -> Result<()> {
    let mut target = Target::open(path)?;
    let result = (|| -> io::Result<()> {
        let mut csv = csv::Writer::new(target.writer());
        csv.header(&csv::LIST_COLUMNS)?;
        for entry in entries {
            csv.entry(entry)?;
        }
        csv.flush()
    })();
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write the list"),
        Ok(()) => target.finish(),
    }
}

fn clip(text: &str, width: usize) -> Cow<'_, str> {
    if text.chars().count() <= width {
        Cow::Borrowed(text)
    } else {
        let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        Cow::Owned(out)
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A progress bar on stderr when it is a terminal and the user did not ask for quiet.
pub(crate) fn progress_bar(total_bytes: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {msg} ({bytes_per_sec}, ETA {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    Some(bar)
}
