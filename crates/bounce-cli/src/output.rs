//! Where and how results are written: JSON Lines, CSV or a terminal table, to stdout or to a
//! file replaced atomically (CSV through `bounce_report::csv`, the one CSV writer); what a
//! closed stdout means.
//!
//! A file is written beside its target under a temporary name, with the permissions any new
//! file gets (the umask decides), then renamed over it; a device or pipe is written in place.
//! A target that is a symlink is written through: the file it points to is replaced and the
//! link stays. SIGINT or SIGTERM while temporary files exist removes them before the process
//! ends (the first temporary file installs the handler). Every error names the path the user
//! gave, never the temporary one.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, PoisonError};

use anyhow::{Context, Result};
use bounce_model::{ListEntry, Record};
use bounce_report::csv;
use clap::ValueEnum;

use crate::table::RecordTable;

/// The output formats of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// An aligned table for reading on a terminal, as wide as the terminal.
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

/// Whether an error is a write to a closed pipe (`| head`): the reader has what it wants, so
/// the command ends quietly with exit 0, as `cat` or `grep` do.
pub(crate) fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Writes `text` to stdout and flushes it; a closed pipe is an `io::ErrorKind::BrokenPipe`
/// error for the caller (and `main`) to recognise, never a panic.
pub(crate) fn print_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).context("cannot write to stdout")
}

/// A destination: stdout, a temporary file renamed over the target when finished, or a
/// device or pipe written in place.
pub(crate) enum Target {
    Stdout(BufWriter<io::Stdout>),
    File { tmp: BufWriter<tempfile::NamedTempFile>, target: PathBuf, user: PathBuf },
    Special(BufWriter<std::fs::File>, PathBuf),
}

/// A destination written in full, waiting for [`Written::commit`] to rename it into place (a
/// no-op for stdout and devices): a command with several output files writes them all first,
/// then commits them all, so a failure while writing (a full disk) replaces none of them.
pub(crate) struct Written(Option<(tempfile::NamedTempFile, PathBuf, PathBuf)>);

impl Written {
    /// Renames the file into place.
    pub(crate) fn commit(self) -> Result<()> {
        let Some((tmp, target, user)) = self.0 else { return Ok(()) };
        let path = tmp.path().to_owned();
        tmp.persist(&target)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", user.display()))?;
        forget_temp(&path);
        Ok(())
    }
}

/// Temporary files not renamed into place yet: what the signal handler removes.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs, once, a handler of SIGINT and SIGTERM that removes the files in [`TEMPS`], then
/// ends the process as the signal would have (exit status 130 or 143 in a shell).
fn install_signal_handler() {
    static INSTALL: Once = Once::new();
    #[cfg(unix)]
    INSTALL.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the end, so no new temporary file is registered meanwhile.
                let mut temps = TEMPS.lock().unwrap_or_else(PoisonError::into_inner);
                for path in temps.drain(..) {
                    let _ = std::fs::remove_file(path);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Registers a temporary file for removal on SIGINT or SIGTERM.
fn remember_temp(path: &Path) {
    install_signal_handler();
    TEMPS.lock().unwrap_or_else(PoisonError::into_inner).push(path.to_owned());
}

/// A temporary file renamed or removed: no longer the signal handler's.
fn forget_temp(path: &Path) {
    TEMPS.lock().unwrap_or_else(PoisonError::into_inner).retain(|p| p != path);
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

/// The file a path names once symlinks are followed (the path itself when it is none), even
/// when the last link points to a file that does not exist yet. Its folder's own links are
/// left as they are: renaming into a folder through a link reaches the real folder.
pub(crate) fn through_symlinks(path: &Path) -> PathBuf {
    let mut current = path.to_owned();
    // As the kernel does, give up after 40 links (a loop): the error comes when writing.
    for _ in 0..40 {
        let Ok(next) = std::fs::read_link(&current) else { break };
        current = match current.parent() {
            Some(parent) if next.is_relative() => parent.join(next),
            _ => next,
        };
    }
    current
}

/// A new file in the folder of `target`, to be renamed over it: created as any new file is
/// (mode 0666 less the umask on Unix, not tempfile's 0600). Its error names `user`, the path
/// the user gave.
fn temp_beside(target: &Path, user: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let named =
        |e: io::Error| anyhow::Error::new(e).context(format!("cannot write {}", user.display()));
    // The folder's own error first ("No such file or directory"), as the OS words it.
    std::fs::metadata(dir).map_err(named)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".bounce-triage-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // tempfile's error adds the temporary file's path, which means nothing to the user.
    let file = builder.tempfile_in(dir).map_err(|e| named(io::Error::from(e.kind())))?;
    remember_temp(file.path());
    Ok(file)
}

/// Writes `bytes` to `path` atomically (a new file in the same folder, then rename); a device
/// or pipe (`/dev/null`, a FIFO) is written in place instead of being replaced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Target::open(Some(path))?.put(bytes)
}

impl Target {
    /// Opens stdout (`None`) or a temporary file next to `path` (next to the file it links
    /// to, when it is a symlink).
    pub(crate) fn open(path: Option<&Path>) -> Result<Target> {
        Ok(match path {
            None => Target::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            Some(p) if is_special(p) => {
                Target::Special(BufWriter::with_capacity(1 << 16, open_special(p)?), p.to_owned())
            }
            Some(p) => {
                let target = through_symlinks(p);
                Target::File {
                    tmp: BufWriter::with_capacity(1 << 16, temp_beside(&target, p)?),
                    target,
                    user: p.to_path_buf(),
                }
            }
        })
    }

    /// Whether this is stdout and stdout is a terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Target::Stdout(_)) && io::stdout().is_terminal()
    }

    /// Opens `path` when one is given (the file is only replaced by [`Target::finish`]).
    pub(crate) fn open_file(path: Option<&Path>) -> Result<Option<Target>> {
        path.map(|p| Target::open(Some(p))).transpose()
    }

    /// Writes all of `bytes`, then finishes.
    pub(crate) fn put(mut self, bytes: &[u8]) -> Result<()> {
        self.write_all(bytes)?;
        self.finish()
    }

    /// Writes all of `bytes`; the file is only replaced by [`Target::finish`] or
    /// [`Written::commit`].
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer().write_all(bytes).with_context(|| self.cannot_write())
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Target::Stdout(w) => w,
            Target::File { tmp, .. } => tmp,
            Target::Special(w, _) => w,
        }
    }

    /// The context of a write error, naming the destination the user gave.
    fn cannot_write(&self) -> String {
        match self {
            Target::Stdout(_) => "cannot write to stdout".to_owned(),
            Target::File { user: path, .. } | Target::Special(_, path) => {
                format!("cannot write {}", path.display())
            }
        }
    }

    /// Flushes stdout or the device, or renames the file into place.
    pub(crate) fn finish(self) -> Result<()> {
        self.written()?.commit()
    }

    /// Flushes everything written: stdout or the device reach their reader; a file is on disk
    /// in full (synced, so a full disk shows here), under its temporary name until
    /// [`Written::commit`].
    pub(crate) fn written(self) -> Result<Written> {
        match self {
            Target::Stdout(mut w) => w.flush().context("cannot write to stdout")?,
            Target::Special(mut w, path) => {
                w.flush().with_context(|| format!("cannot write {}", path.display()))?;
            }
            Target::File { tmp, target, user } => {
                let cannot = || format!("cannot write {}", user.display());
                let tmp = tmp.into_inner().map_err(|e| e.into_error()).with_context(cannot)?;
                tmp.as_file().sync_all().with_context(cannot)?;
                return Ok(Written(Some((tmp, target, user))));
            }
        }
        Ok(Written(None))
    }
}

/// Writes records in one format.
pub(crate) struct RecordWriter {
    format: Format,
    target: Target,
    table: Option<RecordTable>,
    wrote_header: bool,
}

impl RecordWriter {
    pub(crate) fn new(format: Format, target: Target) -> Self {
        let table = (format == Format::Table).then(|| RecordTable::new(crate::table::width()));
        RecordWriter { format, target, table, wrote_header: false }
    }

    /// Writes one record; an error names the destination and keeps the `io::ErrorKind` (a
    /// closed pipe stays `BrokenPipe`).
    pub(crate) fn write(&mut self, record: &Record) -> Result<()> {
        self.write_io(record).with_context(|| self.target.cannot_write())
    }

    /// Writes one record whose JSON line `encoded` was made already (by `serde_json::to_vec`,
    /// as [`RecordWriter::write`] would write it); other formats write the record.
    pub(crate) fn write_encoded(&mut self, record: &Record, encoded: &[u8]) -> Result<()> {
        if self.format != Format::Jsonl {
            return self.write(record);
        }
        self.wrote_header = true;
        let w = self.target.writer();
        let written = w.write_all(encoded).and_then(|()| w.write_all(b"\n"));
        written.with_context(|| self.target.cannot_write())
    }

    /// Writes JSON lines made already, each ended by its line feed (see
    /// `ReadOptions::keep_records`).
    pub(crate) fn write_lines(&mut self, lines: &[u8]) -> Result<()> {
        debug_assert_eq!(self.format, Format::Jsonl);
        self.wrote_header = true;
        let written = self.target.writer().write_all(lines);
        written.with_context(|| self.target.cannot_write())
    }

    fn write_io(&mut self, record: &Record) -> io::Result<()> {
        let header = !self.wrote_header;
        self.wrote_header = true;
        let w = self.target.writer();
        match self.format {
            Format::Jsonl => {
                // `io::Error::from` gives back the writer's own error (its kind intact).
                serde_json::to_writer(&mut *w, record).map_err(io::Error::from)?;
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
                let Some(table) = &self.table else { return Ok(()) };
                if header {
                    writeln!(w, "{}", table.header())?;
                }
                writeln!(w, "{}", table.row(record))
            }
        }
    }

    /// Everything written, in full, not yet renamed into place ([`Target::written`]).
    pub(crate) fn written(self) -> Result<Written> {
        self.target.written()
    }
}

/// Writes list entries as CSV to `target`, in full, without renaming it into place yet.
pub(crate) fn write_list_csv_pending(
    mut target: Target,
    entries: impl IntoIterator<Item = ListEntry>,
) -> Result<Written> {
    let result = (|| -> io::Result<()> {
        let mut csv = csv::Writer::new(target.writer());
        csv.header(&csv::LIST_COLUMNS)?;
        for entry in entries {
            csv.entry(&entry)?;
        }
        csv.flush()
    })();
    result.with_context(|| target.cannot_write())?;
    target.written()
}

/// `text` made safe to print on a terminal, on one line: every control character (C0 with
/// newline and tab, DEL, C1) and every bidirectional override or isolate is replaced by a
/// visible escape (`\n`, `\t`, `\r`, `\u{1b}`), so bounce text or a file name can neither
/// move the cursor, retitle the window, clear the screen, add a link, reorder what is shown
/// nor forge a line of its own. JSON Lines and CSV are data and never go through it.
pub(crate) fn for_terminal(text: &str) -> Cow<'_, str> {
    escape_for_terminal(text, false)
}

/// [`for_terminal`] for a text of several lines: newlines and tabs are kept.
pub(crate) fn for_terminal_lines(text: &str) -> Cow<'_, str> {
    escape_for_terminal(text, true)
}

/// Whether `c` must not reach a terminal as it is.
fn is_unsafe_for_terminal(c: char, keep_lines: bool) -> bool {
    if keep_lines && matches!(c, '\n' | '\t') {
        return false;
    }
    // `is_control` is C0, DEL and C1; the rest are the bidirectional marks, embeddings,
    // overrides and isolates.
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape_for_terminal(text: &str, keep_lines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe_for_terminal(c, keep_lines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe_for_terminal(c, keep_lines) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// Prints one line on stderr, made safe for a terminal ([`for_terminal`]).
pub(crate) fn eprint_line(line: &str) {
    eprintln!("{}", for_terminal(line));
}

/// Prints a text of several lines on stderr, made safe for a terminal
/// ([`for_terminal_lines`]).
pub(crate) fn eprint_lines(text: &str) {
    eprintln!("{}", for_terminal_lines(text));
}

#[cfg(test)]
mod tests {
    use super::{for_terminal, for_terminal_lines};

    #[test]
    fn terminal_text_carries_no_control_or_bidi_character() {
        let hostile = "a\u{1b}]0;title\u{7}b\u{1b}[2Jc\u{1b}]8;;http://x\u{1b}\\l\u{202e}d\u{2066}\u{85}\u{7f}\n\tz";
        let safe = for_terminal(hostile);
        assert!(!safe.chars().any(|c| c.is_control() || ('\u{2000}'..='\u{206f}').contains(&c)));
        assert_eq!(
            safe,
            "a\\u{1b}]0;title\\u{7}b\\u{1b}[2Jc\\u{1b}]8;;http://x\\u{1b}\\l\\u{202e}d\\u{2066}\\u{85}\\u{7f}\\n\\tz"
        );
        assert_eq!(for_terminal_lines("a\n\tb\u{1b}"), "a\n\tb\\u{1b}");
        assert_eq!(for_terminal("plain — text ü"), "plain — text ü");
    }
}
