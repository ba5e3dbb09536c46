//! Tables with a header row (CSV or TSV exports and accounting files): each later row is one
//! unit whose columns are read by name, so any column order works; a UTF-8 BOM, CRLF line
//! ends and quoted fields with commas or line breaks are fine. A [`TableFormat`] says whether
//! a header is its own and what one row states: a record, a row without an address, or a row
//! that is not a delivery result (counted as not-a-bounce).

mod exchange;
mod powermta;
mod sfmc;

use std::io::BufRead;

use bounce_mail::input::{InputFile, Stream};
use bounce_model::{BounceFacts, Bucket, Kind, Record, Source};

pub use exchange::ExchangeTrackingSource;
pub use powermta::PowerMtaSource;
pub use sfmc::{SfmcBounceSource, SubscriberJoin};

use super::{Events, Reading, RecordSource, SourceEvent, Unit};
use crate::pipeline::ReadOptions;

/// Separates a unit's column name from its value, and the columns from each other.
const NAME_END: char = '\u{1f}';
const COLUMN_END: char = '\u{1e}';

/// The columns of one row, by name (matched case-blind).
pub(crate) struct Columns<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Columns<'a> {
    /// The trimmed value of a column, `None` when absent or empty.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(column, _)| column.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }
}

/// What one row is.
pub(crate) enum Row {
    /// A delivery result (or a complaint).
    Record(Box<BounceFacts>),
    /// A failure without an address; the text says why.
    NoRecipient(String),
    /// Not a delivery result (a receipt, a header repeated mid-file).
    Other,
}

/// One table's form.
pub(crate) trait TableFormat: Send + Sync {
    /// The source name (`--input-format`).
    const NAME: &'static str;
    /// One line for `--help` and the docs.
    const DESCRIBE: &'static str;

    /// Whether the header row (lowercased) is this format's.
    fn header(&self, lowercase: &str) -> bool;

    /// What one row is.
    fn row(&self, columns: &Columns<'_>, options: &ReadOptions) -> Result<Row, String>;
}

/// The record source of one table format.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableSource<F>(pub(crate) F);

impl<F: TableFormat + Copy + 'static> RecordSource for TableSource<F> {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn describe(&self) -> &'static str {
        F::DESCRIBE
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        // The header is the first line, or a `#Fields:` line after `#` comments (W3C style).
        let mut lines = head.split(|b| *b == b'\n');
        let first = lines.clone().next().unwrap_or_default();
        let line = if first.starts_with(b"#") {
            lines.find_map(|l| l.strip_prefix(b"#Fields:")).unwrap_or(first)
        } else {
            first
        };
        self.0.header(String::from_utf8_lossy(line).trim().to_ascii_lowercase().as_str())
    }

    fn units(&self, stream: Stream, _file: &InputFile, options: &ReadOptions) -> Events {
        Box::new(Rows::new(stream, options.max_message_bytes))
    }

    fn read(&self, unit: &Unit, source: &Source, options: &ReadOptions) -> Reading {
        let line = unit.line.unwrap_or(0);
        let text = String::from_utf8_lossy(&unit.bytes);
        let columns = Columns(
            text.split(COLUMN_END).filter_map(|column| column.split_once(NAME_END)).collect(),
        );
        let reading = |bucket, records, problem: Option<String>| Reading {
            bucket,
            records,
            problem: problem.map(|p| format!("line {line}: {p}")),
        };
        match self.0.row(&columns, options) {
            Ok(Row::Record(mut facts)) => {
                facts.source = source.clone();
                facts.format = F::NAME.to_owned();
                let bucket = match facts.kind {
                    Some(Kind::Bounce | Kind::Delay) | None => Bucket::Bounce,
                    Some(_) => Bucket::Report,
                };
                reading(bucket, vec![Record::from(*facts)], None)
            }
            Ok(Row::NoRecipient(why)) => reading(Bucket::BounceNoRecipient, Vec::new(), Some(why)),
            Ok(Row::Other) => reading(Bucket::NotABounce, Vec::new(), None),
            Err(error) => reading(Bucket::Unparsed, Vec::new(), Some(error)),
        }
    }
}

/// The rows of a table: the header row names the columns; each later row is one unit.
struct Rows {
    reader: csv::Reader<Stream>,
    header: Option<Vec<String>>,
    limit: u64,
    crlf: bool,
    done: bool,
}

impl Rows {
    fn new(mut stream: Stream, limit: u64) -> Self {
        let head = stream.fill_buf().map(<[u8]>::to_vec).unwrap_or_default();
        let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = delimiter_of(line);
        // With CRLF line ends the reader stops a record at its `\r`: the next one's position
        // is one byte and one line before its first byte.
        let crlf = line.last() == Some(&b'\r');
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(stream);
        Rows { reader, header: None, limit, crlf, done: false }
    }
}

impl Iterator for Rows {
    type Item = SourceEvent;

    fn next(&mut self) -> Option<SourceEvent> {
        let mut row = csv::ByteRecord::new();
        loop {
            if self.done {
                return None;
            }
            let start = self.reader.position().clone();
            let skew = u64::from(self.crlf && self.header.is_some());
            let offset = start.byte() + skew;
            match self.reader.read_byte_record(&mut row) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    return Some(SourceEvent::Error { offset, error: error.to_string() });
                }
                Ok(true) => {}
            }
            let line = start.line() + skew;
            // W3C-style files (Exchange message tracking): `#` comment lines, and the header
            // as `#Fields: name,name,...`.
            let first = row.get(0).unwrap_or_default();
            if first.starts_with(b"#Fields:") {
                let mut names = header_of(&row);
                if let Some(name) = names.first_mut() {
                    *name = name.trim_start_matches("#Fields:").trim().to_owned();
                }
                self.header = Some(names);
                continue;
            }
            if first.starts_with(b"#") {
                continue;
            }
            let Some(header) = &self.header else {
                self.header = Some(header_of(&row));
                continue;
            };
            let len = row.as_slice().len() as u64;
            if len > self.limit {
                return Some(SourceEvent::Oversize { offset, len, limit: self.limit });
            }
            if row.iter().all(|field| field.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let mut bytes = String::new();
            for (name, value) in header.iter().zip(row.iter()) {
                bytes.push_str(name);
                bytes.push(NAME_END);
                bytes.push_str(&String::from_utf8_lossy(value));
                bytes.push(COLUMN_END);
            }
            let unit = Unit { offset, line: Some(line), bytes: bytes.into_bytes() };
            return Some(SourceEvent::Unit(unit));
        }
    }
}

/// Tabs or commas: whichever the header line holds more of.
pub(crate) fn delimiter_of(header: &[u8]) -> u8 {
    let count = |byte: u8| header.iter().filter(|b| **b == byte).count();
    if count(b'\t') > count(b',') {
        b'\t'
    } else {
        b','
    }
}

/// The column names of the header row, without a UTF-8 BOM.
fn header_of(row: &csv::ByteRecord) -> Vec<String> {
    row.iter()
        .map(|name| {
            let name = name.strip_prefix(b"\xef\xbb\xbf").unwrap_or(name);
            String::from_utf8_lossy(name).trim().to_owned()
        })
        .collect()
}
