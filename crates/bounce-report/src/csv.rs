//! The one CSV writer of bounce-triage: records (`classify --format csv`), suppression, keep and
//! complaint lists (`suppress` and the `suppression.csv` template) and single cells (the
//! templates' `csv` and `csv_address` filters) are all written here, through the `csv` crate,
//! with one policy:
//! - free text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//!   or carriage return) gets a leading `'`;
//! - an address column holding a plain `local@domain` address is written unchanged (`+`, `=`
//!   and `-` may begin a real local part, and a list must import as it is); anything else in
//!   it is protected like free text;
//! - quoting is RFC 4180, where needed.

use std::borrow::Cow;
use std::io::{self, Write};

use bounce_model::{Kind, ListEntry, ListKind, Record};

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Free text: protected against formula injection.
    Text(&'a str),
    /// An address: unchanged when it is a plain address, else protected like text.
    Address(&'a str),
}

impl<'a> Cell<'a> {
    /// The text written for the cell, before CSV quoting.
    #[must_use]
    pub fn protected(self) -> Cow<'a, str> {
        match self {
            Cell::Address(a) if a.is_empty() || is_address(a) => Cow::Borrowed(a),
            Cell::Text(t) | Cell::Address(t) => protect_formula(t),
        }
    }
}

/// The columns of a record row.
pub const RECORD_COLUMNS: [&str; 21] = [
    "path",
    "message",
    "offset",
    "recipient",
    "kind",
    "status",
    "reply_code",
    "reason",
    "category",
    "action",
    "provider",
    "token",
    "rule_id",
    "hard",
    "timestamp",
    "remote_mta",
    "sending_ip",
    "message_id",
    "envelope_sender",
    "subject",
    "diagnostic",
];

/// The columns of a suppression, keep or complaint list row.
pub const LIST_COLUMNS: [&str; 12] = [
    "address",
    "list",
    "reason",
    "rule_id",
    "why",
    "attempts",
    "path",
    "message",
    "offset",
    "date",
    "message_id",
    "diagnostic",
];

/// Writes rows of cells as CSV.
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    /// A writer into `out` (rows only: call [`Writer::header`] for a header row).
    pub fn new(out: W) -> Self {
        Writer { inner: csv::WriterBuilder::new().has_headers(false).from_writer(out) }
    }

    /// Writes a header row of column names.
    ///
    /// # Errors
    /// The underlying writer failed.
    pub fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.row(columns.iter().map(|c| Cell::Text(c)))
    }

    /// Writes one row.
    ///
    /// # Errors
    /// The underlying writer failed.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) -> io::Result<()> {
        let row: Vec<Cow<'_, str>> = cells.into_iter().map(Cell::protected).collect();
        self.inner.write_record(row.iter().map(|c| c.as_bytes())).map_err(into_io)
    }

    /// Writes a record as a row of [`RECORD_COLUMNS`].
    ///
    /// # Errors
    /// The underlying writer failed.
    pub fn record(&mut self, record: &Record) -> io::Result<()> {
        let verdict = record.verdict.as_ref();
        let (message, offset) =
            (record.source.message.to_string(), record.source.offset.to_string());
        self.row([
            Cell::Text(&record.source.path),
            Cell::Text(&message),
            Cell::Text(&offset),
            Cell::Address(&record.recipient),
            Cell::Text(or_empty(record.kind.map(Kind::as_str))),
            Cell::Text(or_empty(record.status.as_deref())),
            Cell::Text(or_empty(record.reply_code.as_deref())),
            Cell::Text(or_empty(record.reason().map(|r| r.as_str()))),
            Cell::Text(or_empty(verdict.map(|v| v.category.as_str()))),
            Cell::Text(or_empty(verdict.map(|v| v.action.as_str()))),
            Cell::Text(or_empty(verdict.and_then(|v| v.provider.as_deref()))),
            Cell::Text(or_empty(verdict.and_then(|v| v.token.as_deref()))),
            Cell::Text(or_empty(verdict.map(|v| v.rule_id.as_str()))),
            Cell::Text(or_empty(verdict.map(|v| if v.hard { "true" } else { "false" }))),
            Cell::Text(or_empty(record.timestamp.as_deref())),
            Cell::Text(or_empty(record.remote_mta.as_deref())),
            Cell::Text(or_empty(record.original.sending_ip.as_ref().map(|p| p.value.as_str()))),
            Cell::Text(or_empty(record.original.message_id.as_deref())),
            Cell::Address(or_empty(
                record.original.envelope_sender.as_ref().map(|p| p.value.as_str()),
            )),
            Cell::Text(or_empty(record.original.subject.as_deref())),
            Cell::Text(or_empty(record.diagnostic.as_deref())),
        ])
    }

    /// Writes a list entry as a row of [`LIST_COLUMNS`].
    ///
    /// # Errors
    /// The underlying writer failed.
    pub fn entry(&mut self, entry: &ListEntry) -> io::Result<()> {
        let evidence = &entry.evidence;
        let (attempts, message, offset) = (
            entry.attempts.to_string(),
            evidence.source.message.to_string(),
            evidence.source.offset.to_string(),
        );
        self.row([
            Cell::Address(&entry.address),
            Cell::Text(entry.list.map_or("", ListKind::as_str)),
            Cell::Text(&entry.reason),
            Cell::Text(&entry.rule_id),
            Cell::Text(&entry.why),
            Cell::Text(&attempts),
            Cell::Text(&evidence.source.path),
            Cell::Text(&message),
            Cell::Text(&offset),
            Cell::Text(evidence.timestamp.as_deref().unwrap_or("")),
            Cell::Text(evidence.message_id.as_deref().unwrap_or("")),
            Cell::Text(evidence.diagnostic.as_deref().unwrap_or("")),
        ])
    }

    /// Flushes the rows written so far.
    ///
    /// # Errors
    /// The underlying writer failed.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The writer's own error when the CSV error is one (its kind intact, so a closed pipe stays
/// `BrokenPipe`), else the CSV error as an `io::Error`.
fn into_io(error: csv::Error) -> io::Error {
    if !error.is_io_error() {
        return io::Error::other(error);
    }
    match error.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

fn or_empty(text: Option<&str>) -> &str {
    text.unwrap_or("")
}

/// A list with its header row, as text.
#[must_use]
pub fn list_text<E: std::borrow::Borrow<ListEntry>>(
    entries: impl IntoIterator<Item = E>,
) -> String {
    let mut out = Vec::new();
    let mut writer = Writer::new(&mut out);
    let written = writer
        .header(&LIST_COLUMNS)
        .and_then(|()| entries.into_iter().try_for_each(|e| writer.entry(e.borrow())))
        .and_then(|()| writer.flush());
    drop(writer);
    debug_assert!(written.is_ok(), "writing to memory does not fail");
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One cell as CSV text (protected and quoted where needed), without a line end.
#[must_use]
pub fn cell_text(cell: Cell<'_>) -> String {
    if cell.protected().is_empty() {
        return String::new();
    }
    let mut out = Vec::new();
    let mut writer = Writer::new(&mut out);
    let _ = writer.row([cell]).and_then(|()| writer.flush());
    drop(writer);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// Prefixes `'` to text a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`, tab or carriage return).
#[must_use]
pub fn protect_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether `text` is a plain `local@domain` address: dot-atom local part, a domain of letters,
/// digits, hyphens and dots. Such a cell cannot hold a spreadsheet formula call.
#[must_use]
pub fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    let atext =
        |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii();
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local.chars().all(atext)
        && !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::{cell_text, is_address, protect_formula, Cell};

    #[test]
    fn formulas_are_neutralised_and_addresses_validated() {
        assert_eq!(protect_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(protect_formula("-2+3"), "'-2+3");
        assert_eq!(protect_formula("550 5.1.1 user unknown"), "550 5.1.1 user unknown");
        assert!(is_address("-ann+tag@example.net"));
        assert!(!is_address("=HYPERLINK(\"http://x\")@example.net"));
        assert!(!is_address("not an address"));
    }

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell_text(Cell::Text("a,b")), "\"a,b\"");
        assert_eq!(cell_text(Cell::Text("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(cell_text(Cell::Text("=cmd()")), "'=cmd()");
        assert_eq!(cell_text(Cell::Text("plain")), "plain");
        assert_eq!(cell_text(Cell::Text("\tcmd")), "'\tcmd");
        assert_eq!(cell_text(Cell::Address("-list+tag@example.com")), "-list+tag@example.com");
        assert_eq!(cell_text(Cell::Address("=a@example.com")), "=a@example.com");
        assert_eq!(cell_text(Cell::Address("=HYPERLINK(\"x\")")), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
